/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which worker a packet goes to when one port feeds several (the software
 * distributor of bollard live): a hash of the packet's two addresses that
 * is the same in both directions.  Every flow between two hosts lands on
 * one worker, so a worker sees whole conversations, and the policy's
 * per-pair state (aggregation, timing, rate) is the one a single worker
 * would keep.  IPv4 and IPv6 behind up to two VLAN tags; anything else by
 * its MAC pair.  Plain C on a packet view: no DPDK, unit-tested.
 */
#ifndef BLD_SPREAD_H
#define BLD_SPREAD_H

#include <stdint.h>
#include <string.h>

#include "packet.h"

static inline uint32_t bld_spread_mix(uint32_t h)
{
	h ^= h >> 16;   /* the murmur3 finaliser: every input bit moves the worker */
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* XOR of two byte strings' 32-bit words: symmetric in its two arguments. */
static inline uint32_t bld_spread_pair(const uint8_t *a, const uint8_t *b, unsigned len)
{
	uint32_t h = len;
	for (unsigned i = 0; i + 4 <= len; i += 4) {
		uint32_t x, y;
		memcpy(&x, a + i, 4);
		memcpy(&y, b + i, 4);
		h ^= x ^ y;
	}
	if (len % 4) {   /* MACs: the last two bytes */
		uint32_t x = 0, y = 0;
		memcpy(&x, a + len - len % 4, len % 4);
		memcpy(&y, b + len - len % 4, len % 4);
		h ^= x ^ y;
	}
	return bld_spread_mix(h);
}

/* The worker (0 .. n-1) of an Ethernet frame. */
static inline unsigned bld_spread_worker(const struct bld_pkt *p, unsigned n)
{
	if (n <= 1 || p->caplen < 14)
		return 0;
	const uint8_t *d = p->data;
	uint32_t off = 12;
	uint16_t type = (uint16_t)(d[off] << 8 | d[off + 1]);
	for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8) && p->caplen >= off + 6; tags++) {
		off += 4;
		type = (uint16_t)(d[off] << 8 | d[off + 1]);
	}
	off += 2;
	uint32_t h;
	if (type == 0x0800 && p->caplen >= off + 20)
		h = bld_spread_pair(d + off + 12, d + off + 16, 4);
	else if (type == 0x86dd && p->caplen >= off + 40)
		h = bld_spread_pair(d + off + 8, d + off + 24, 16);
	else
		h = bld_spread_pair(d, d + 6, 6);
	return h % n;
}

#endif /* BLD_SPREAD_H */
