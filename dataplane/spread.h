/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which worker a packet belongs to when several share the ports (bollard
 * live): every flow between two hosts on one worker, so that a worker sees
 * whole conversations and the policy's per-pair state (aggregation, timing,
 * rate) is the one a single worker would keep.
 *
 * The hash is the one a NIC computes for RSS: Toeplitz over the source and
 * destination IP addresses, with the symmetric key (the 16-bit pattern
 * 0x6d5a repeated: Woo and Park, "Scalable TCP session monitoring with
 * symmetric receive-side scaling", 2012), whose windows repeat every 16
 * bits, so the hash depends only on the XOR of the addresses' 16-bit words
 * and is the same in both directions.  With the NIC's redirection table
 * filled as worker = index % n (bld_dpdk_ports_start does), a packet's
 * worker here is the RX queue the NIC chose, and whatever a NIC puts on
 * another queue (its hash covered the ports, or it does not parse the
 * frame) is handed on to its worker.  IPv4 and IPv6 behind up to two VLAN
 * tags; anything else by its MAC pair.  Plain C on a packet view: no DPDK,
 * unit-tested against a textbook Toeplitz.
 */
#ifndef BLD_SPREAD_H
#define BLD_SPREAD_H

#include <stdint.h>
#include <string.h>

#include "packet.h"

#define BLD_SPREAD_KEY 0x6d5a6d5au   /* the key's first 32 bits; it repeats every 16 */
#define BLD_SPREAD_RETA 64           /* the redirection table's entries that choose the worker (a NIC's has 64 or more) */

/* Toeplitz with the symmetric key over a string whose 16-bit words XOR to x. */
static inline uint32_t bld_spread_toeplitz(uint16_t x)
{
	uint32_t h = 0, window = BLD_SPREAD_KEY;
	for (unsigned m = 0; m < 16; m++) {   /* input bit m (from the top) picks the key's window at bit m */
		h ^= window & (0u - (uint32_t)(x >> (15 - m) & 1));   /* no branch on the packet's bits */
		window = window << 1 | window >> 31;
	}
	return h;
}

/* The XOR of the 16-bit big-endian words of a and b (len even). */
static inline uint16_t bld_spread_fold(const uint8_t *a, const uint8_t *b, unsigned len)
{
	uint16_t x = 0;
	for (unsigned i = 0; i + 1 < len; i += 2)
		x ^= (uint16_t)((a[i] ^ b[i]) << 8 | (a[i + 1] ^ b[i + 1]));
	return x;
}

/* The RSS hash of an Ethernet frame: its IP addresses (IPv4, IPv6), else its MACs. */
static inline uint32_t bld_spread_hash(const struct bld_pkt *p)
{
	if (p->caplen < 14)
		return 0;
	const uint8_t *d = p->data;
	uint32_t off = 12;
	uint16_t type = (uint16_t)(d[off] << 8 | d[off + 1]);
	for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8) && p->caplen >= off + 6; tags++) {
		off += 4;
		type = (uint16_t)(d[off] << 8 | d[off + 1]);
	}
	off += 2;
	if (type == 0x0800 && p->caplen >= off + 20)
		return bld_spread_toeplitz(bld_spread_fold(d + off + 12, d + off + 16, 4));
	if (type == 0x86dd && p->caplen >= off + 40)
		return bld_spread_toeplitz(bld_spread_fold(d + off + 8, d + off + 24, 16));
	return bld_spread_toeplitz(bld_spread_fold(d, d + 6, 6));
}

/* The worker (0 .. n-1) of an Ethernet frame: its hash's redirection table entry. */
static inline unsigned bld_spread_worker(const struct bld_pkt *p, unsigned n)
{
	return n <= 1 ? 0 : (bld_spread_hash(p) & (BLD_SPREAD_RETA - 1)) % n;
}

#endif /* BLD_SPREAD_H */
