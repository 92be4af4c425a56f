/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table: one per worker, no locks.
 *
 * A flow is both directions of a conversation under one canonical key (the
 * lower (address, port) end first), so a packet and its reply find the same
 * entry and the hash is symmetric.  Flows live in a preallocated array and
 * are chained from a power-of-two bucket array by index; untouched slots cost
 * no resident memory because the arrays come from calloc (lazily mapped zero
 * pages) and freed slots are reused last-in first-out.
 *
 * Time is packet time only.  Each flow sits on one of a few idle lists, one
 * per timeout class, in last-seen order: the head of each list is the next
 * to expire, so expiry and "evict the oldest idle flow" are O(1).
 */
#ifndef BLD_FLOW_H
#define BLD_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "policy.h"

/* 48 bytes, all padding explicit and zeroed so keys compare with memcmp. */
struct bld_flow_key {
	struct bld_addr a, b;    /* IP addresses, or MACs (first 6 bytes) for L2 flows */
	uint16_t port_a, port_b; /* 0 for protocols without ports */
	uint16_t vlan[2];
	uint16_t ethertype;      /* L2 flows only; 0 for IP */
	uint8_t l4;              /* IPPROTO_*; 0 for L2 flows */
	uint8_t ip_version;      /* 4, 6, or 0 for L2 */
	uint8_t pad[4];
};

enum bld_flow_class {
	BLD_FLOW_CLASS_TCP_OPENING,     /* handshake not complete */
	BLD_FLOW_CLASS_TCP_ESTABLISHED,
	BLD_FLOW_CLASS_TCP_CLOSED,      /* both FINs or a RST: linger briefly for stragglers */
	BLD_FLOW_CLASS_UDP,
	BLD_FLOW_CLASS_OTHER,           /* ICMP, other IP protocols, L2 */
	BLD_FLOW_CLASS_MAX
};

enum bld_tcp_state {
	BLD_TCP_NONE,            /* not TCP */
	BLD_TCP_SYN_SENT,
	BLD_TCP_SYN_RECEIVED,
	BLD_TCP_ESTABLISHED,
	BLD_TCP_CLOSING,         /* one FIN seen */
	BLD_TCP_CLOSED,          /* FINs both ways */
	BLD_TCP_RESET,
};

enum bld_flow_end {
	BLD_FLOW_END_IDLE,       /* idle timeout */
	BLD_FLOW_END_CLOSED,     /* TCP closed (FIN/RST), after the linger time */
	BLD_FLOW_END_REUSED,     /* a new SYN reused the 5-tuple of a closed connection */
	BLD_FLOW_END_EVICTED,    /* table full: the oldest idle flow made room */
	BLD_FLOW_END_EOF,        /* end of input */
};

extern const char *const bld_flow_end_names[];
extern const char *const bld_tcp_state_names[];

/* bld_flow.tcp_fin_from: which key side sent a FIN, and a SYN (so a stream knows its start). */
#define BLD_FLOW_FIN_FROM_A 0x01
#define BLD_FLOW_FIN_FROM_B 0x02
#define BLD_FLOW_SYN_FROM_A 0x04
#define BLD_FLOW_SYN_FROM_B 0x08

/* Direction index into per-direction counters. */
#define BLD_DIR_TO_SERVER 0
#define BLD_DIR_TO_CLIENT 1

struct bld_flow {
	struct bld_flow_key key;
	uint64_t id;             /* per-table sequence number, 1-based */
	uint64_t ts_first, ts_last;
	uint64_t pkts[2], bytes[2];
	void *classify_state;    /* classifier's per-flow state while it works, else NULL */
	void *session;           /* application layer (session.h) while a Bollard dissector may parse, else NULL */
	struct bld_policy_flow_state policy;   /* the policy's verdict (policy.h) */
	uint32_t hash_next;      /* bucket chain, slot index (0 = end) */
	uint32_t lru_prev, lru_next;
	uint16_t ndpi_master, ndpi_app;
	uint8_t app;             /* enum bld_app (classify.h) */
	uint8_t app_source : 4;  /* enum bld_app_source (five values); a nibble each: the slot stays 152 bytes */
	uint8_t class : 4;       /* enum bld_flow_class */
	uint8_t classify_pkts;   /* packets handed to the classifier so far */
	uint8_t tcp_state;       /* enum bld_tcp_state */
	bool client_is_a;        /* key side a is the client */
	bool classified;         /* classification is final */
	uint8_t tcp_fin_from;    /* BLD_FLOW_FIN_FROM_x / BLD_FLOW_SYN_FROM_x bits per key side */
	uint8_t port;            /* the capture port its first packet came in on (live: the DPDK port) */
};

typedef void (*bld_flow_end_fn)(void *ctx, struct bld_flow *f, enum bld_flow_end why);

struct bld_flow_config {
	uint32_t max_flows;
	uint64_t timeout_ns[BLD_FLOW_CLASS_MAX];
	/* flow ids: id_first, then every id_step (0: 1, 1, 2, ...); several workers' ids stay apart */
	uint64_t id_first, id_step;
};

/* Defaults: 1M flows, timeouts in the range Suricata and Zeek use. */
void bld_flow_config_default(struct bld_flow_config *cfg);

struct bld_flow_table;

struct bld_flow_table *bld_flow_table_create(const struct bld_flow_config *cfg, bld_flow_end_fn on_end,
					     void *ctx);
void bld_flow_table_destroy(struct bld_flow_table *t);

/*
 * Build the canonical key of a decoded packet.  Returns true when the
 * packet's source is key side a.
 */
bool bld_flow_key_make(const struct bld_decoded *d, struct bld_flow_key *k);

/* Symmetric by construction: the key is canonical. */
uint32_t bld_flow_key_hash(const struct bld_flow_key *k);

/* End every flow idle past its class timeout at packet time now. */
void bld_flow_table_expire(struct bld_flow_table *t, uint64_t now);

/*
 * Find the flow of key, or create it (evicting the oldest idle flow when
 * full).  *created tells which.  The flow is not yet touched.
 */
struct bld_flow *bld_flow_table_get(struct bld_flow_table *t, const struct bld_flow_key *k, uint32_t hash,
				    uint64_t now, bool *created);

/* Record activity at time now and (re)file the flow under its class. */
void bld_flow_table_touch(struct bld_flow_table *t, struct bld_flow *f, uint64_t now, enum bld_flow_class c);

/* End one flow now (e.g. TCP port reuse). */
void bld_flow_table_end(struct bld_flow_table *t, struct bld_flow *f, enum bld_flow_end why);

/* End all flows, oldest first (end of input). */
void bld_flow_table_flush(struct bld_flow_table *t);

struct bld_flow_stats {
	uint64_t created, ended, evicted, active, peak;
};
void bld_flow_table_stats(const struct bld_flow_table *t, struct bld_flow_stats *s);

#endif /* BLD_FLOW_H */
