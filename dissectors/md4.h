/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MD4 (RFC 1320) with configurable initial values: RaSTA's safety code is
 * MD4 over the SafRetL PDU, started from initial values A..D that each RaSTA
 * network may choose (DIN VDE V 0831-200; rail-protocols.md §1.5).  With the
 * RFC's values it is plain MD4 (checked against RFC 1320's test suite in
 * tests/unit/dissectors/md4_test.c).  MD4 is broken as a cryptographic hash;
 * RaSTA uses it as a safety code against random corruption, and so do we.
 */
#ifndef BLD_MD4_H
#define BLD_MD4_H

#include <stddef.h>
#include <stdint.h>

#define BLD_MD4_DIGEST 16

/* RFC 1320 §3.3: A = 0x67452301, B = 0xefcdab89, C = 0x98badcfe, D = 0x10325476. */
extern const uint32_t bld_md4_rfc_iv[4];

/* The digest of p[0, n) in out, the state started from iv[0..3] (A, B, C, D). */
void bld_md4(const uint8_t *p, size_t n, const uint32_t iv[4], uint8_t out[BLD_MD4_DIGEST]);

#endif /* BLD_MD4_H */
