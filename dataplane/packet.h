/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A packet view: what every capture back-end (libpcap reader, DPDK ethdev)
 * hands to the engine.  Zero copy: `data` points into the back-end's buffer
 * and stays valid until the burst has been processed.
 */
#ifndef BLD_PACKET_H
#define BLD_PACKET_H

#include <stdint.h>

/* Link-layer header types we decode (values of tcpdump.org LINKTYPE_*). */
enum bld_link {
	BLD_LINK_NULL = 0,       /* BSD loopback, host-order 4-byte family */
	BLD_LINK_ETHERNET = 1,
	BLD_LINK_RAW = 101,      /* raw IPv4/IPv6 */
	BLD_LINK_LOOP = 108,     /* OpenBSD loopback, network-order family */
	BLD_LINK_LINUX_SLL = 113,
	BLD_LINK_IPV4 = 228,
	BLD_LINK_IPV6 = 229,
	BLD_LINK_LINUX_SLL2 = 276,
};

struct bld_pkt {
	const uint8_t *data;     /* first byte of the link-layer header */
	uint32_t caplen;         /* bytes captured (present at data) */
	uint32_t wirelen;        /* bytes on the wire */
	uint64_t ts_ns;          /* packet time, ns since the Unix epoch */
	uint16_t linktype;       /* enum bld_link (or any LINKTYPE_* value) */
	uint16_t port;           /* capture port or pcapng interface index */
};

#define BLD_BURST_MAX 32

#endif /* BLD_PACKET_H */
