/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EULYNX SCI telegrams, the application messages RaSTA Data and RetrData
 * carry (rail-protocols.md §2).  Decoded by the rasta dissector (rasta.c)
 * into the `sci` list of its operation; its events are rasta's (rasta.h).
 */
#ifndef BLD_SCI_H
#define BLD_SCI_H

#include <stdbool.h>
#include <stdint.h>

#include "op.h"

#define BLD_SCI_HEADER 43        /* protocol type, message type, two 20-byte identifiers */
#define BLD_SCI_ID 20
#define BLD_SCI_NAMES 8          /* names remembered per direction (hard cap) */

/* The names one direction of a flow addressed telegrams to. */
struct bld_sci_names {
	uint8_t n;
	uint8_t len[BLD_SCI_NAMES];
	char name[BLD_SCI_NAMES][BLD_SCI_ID];
};

/* SCI state of one flow. */
struct bld_sci_flow {
	uint8_t order;                     /* byte order of the message type found so far: enum bld_rasta_byte_order_setting */
	bool seen;                         /* the flow carried a well-formed SCI telegram */
	struct bld_sci_names addressed[2]; /* [to_server]: receivers named in that direction */
};

/*
 * Whether an application message is (or, on a flow that carries SCI, is
 * meant to be) an SCI telegram: a defined protocol type and two printable
 * identifiers.  Other payloads are the application's own.
 */
bool bld_sci_is_telegram(const struct bld_sci_flow *st, const uint8_t *p, uint32_t len);

/*
 * Decode one telegram as an unnamed object into pc->op (an element of the
 * open `sci` list) and raise its events.  order: the sci_byte_order setting.
 * learn: the PDU passed its integrity checks, so its names and byte order may
 * teach the flow's state.
 */
void bld_sci_decode(struct bld_parse_ctx *pc, struct bld_sci_flow *st, const uint8_t *p, uint32_t len,
		    uint8_t order, bool learn);

/* Names for the fields table (rasta.c): NULL for numbers without one. */
const char *bld_sci_protocol_name(uint64_t v);
const char *bld_sci_position_name(uint64_t v);
const char *bld_sci_occupancy_name(uint64_t v);
const char *bld_sci_fc_mode_name(uint64_t v);
const char *bld_sci_luminosity_name(uint64_t v);

#endif /* BLD_SCI_H */
