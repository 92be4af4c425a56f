/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request/response pairing for protocols that number their transactions
 * (Modbus transaction id, DNP3 application sequence, S7 PDU reference, ENIP
 * sender context, OPC UA request handle).  A dissector embeds one table in
 * its per-flow state, records each request under its key and looks the key
 * up when a response comes: the response's op gets the response time.
 *
 * Hard cap: BLD_TXN_MAX outstanding requests per table (S7comm-plus HMIs
 * pipeline 20 and more).  One more forgets the oldest and raises
 * app.txn_capacity, so a flood of unanswered requests costs at most 768
 * bytes.  Requests unanswered for the table's timeout of packet time are
 * forgotten quietly first: a gateway polling a unit that is switched off is
 * normal, not a flood.
 */
#ifndef BLD_TXN_H
#define BLD_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include "op.h"

#define BLD_TXN_MAX 32
/* Longer than any protocol's response timeout; an OPC UA server may hold a Publish request for a keep-alive period. */
#define BLD_TXN_TIMEOUT_NS (120ull * 1000000000ull)

struct bld_txn {
	uint64_t key;
	uint64_t ts_ns;
	uint64_t info;           /* whatever the dissector needs to read the response (its function, address) */
};

/*
 * All zero is an empty table.  Entries are allocated as requests wait (4, 8,
 * 16, then BLD_TXN_MAX): most flows have one or two outstanding, and a
 * polled SCADA flow is long-lived, so the table stays small (16 bytes and
 * the entries) where it can.  bld_txn_fini() frees them.
 */
struct bld_txn_table {
	struct bld_txn *t;               /* cap entries, oldest first; NULL until the first request */
	uint64_t timeout_ns;             /* 0: BLD_TXN_TIMEOUT_NS; a dissector may set its protocol's */
	uint8_t n, cap;
};

/* Free the entries; the table is empty again (its timeout kept). */
void bld_txn_fini(struct bld_txn_table *t);

/* A request under key (a repeat of an outstanding key replaces it: a retry). */
void bld_txn_request(struct bld_parse_ctx *pc, struct bld_txn_table *t, uint64_t key, uint64_t info);

/*
 * A response under key: true when its request was outstanding; the request
 * is removed, *info (may be NULL) gets its info, and pc->op (begun already)
 * gets the response time.
 */
bool bld_txn_response(struct bld_parse_ctx *pc, struct bld_txn_table *t, uint64_t key, uint64_t *info);

#endif /* BLD_TXN_H */
