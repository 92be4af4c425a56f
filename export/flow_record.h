/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A finished flow as the outside world sees it: plain values, no engine
 * types, so export/ depends on nothing in dataplane/.
 */
#ifndef BLD_FLOW_RECORD_H
#define BLD_FLOW_RECORD_H

#include <stdint.h>
#include <stdio.h>

struct bld_flow_record {
	uint64_t flow_id;
	const char *port;            /* the capture port's name (live), or NULL */
	uint64_t ts_first_ns, ts_last_ns;
	char l4[8];                  /* "tcp", "udp", "icmp", "icmpv6", "sctp", "l2", or the IP protocol number */
	int ip_version;              /* 4, 6, or 0 for L2 flows */
	char src[64], dst[64];       /* client and server: IP addresses, or MACs for L2 flows */
	uint16_t src_port, dst_port;
	int has_ports;
	uint16_t vlan[2];
	int n_vlan;
	uint16_t ethertype;          /* L2 flows */
	char app[64];                /* application protocol, lower case */
	const char *app_source;      /* who said so: bollard, ndpi, ethertype, none */
	const char *tcp_state;       /* NULL for non-TCP */
	const char *end_reason;
	uint64_t pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient;
};

/* ISO 8601 UTC with microseconds, as Suricata and most SIEMs expect: 2026-11-27T09:00:00.123456Z */
void bld_format_time(uint64_t ts_ns, char *buf, size_t len);

/* One JSON object on one line.  Returns 0 or -errno. */
int bld_flow_record_write_json(FILE *out, const struct bld_flow_record *r);

#endif /* BLD_FLOW_RECORD_H */
