/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MD4 after RFC 1320 §3: 512-bit blocks of 16 little-endian words, three
 * rounds of 16 steps, the message padded with 0x80, zeros and its length in
 * bits (64 bits, little-endian) to a multiple of 64 bytes.  Written from the
 * RFC's description; words are assembled from bytes, never read through
 * casts, so alignment and host byte order do not matter.
 */
#include "md4.h"

#include <string.h>

const uint32_t bld_md4_rfc_iv[4] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u };

static uint32_t rotl(uint32_t x, unsigned s)
{
	return x << s | x >> (32u - s);
}

/* RFC 1320 §3.4: F (round 1), G (round 2), H (round 3). */
static uint32_t f_(uint32_t x, uint32_t y, uint32_t z) { return (x & y) | (~x & z); }
static uint32_t g_(uint32_t x, uint32_t y, uint32_t z) { return (x & y) | (x & z) | (y & z); }
static uint32_t h_(uint32_t x, uint32_t y, uint32_t z) { return x ^ y ^ z; }

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One 64-byte block into the state s[4]. */
static void block(uint32_t s[4], const uint8_t *p)
{
	/* Word order and shifts of each round (RFC 1320 §3.4). */
	static const uint8_t order[3][16] = {
		{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
		{ 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15 },
		{ 0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15 },
	};
	static const uint8_t shift[3][4] = { { 3, 7, 11, 19 }, { 3, 5, 9, 13 }, { 3, 9, 11, 15 } };
	static const uint32_t k[3] = { 0, 0x5a827999u, 0x6ed9eba1u };
	uint32_t (*const fn[3])(uint32_t, uint32_t, uint32_t) = { f_, g_, h_ };
	uint32_t x[16], v[4];
	for (int i = 0; i < 16; i++)
		x[i] = le32(p + 4 * i);
	memcpy(v, s, sizeof(v));
	for (int r = 0; r < 3; r++)
		for (int i = 0; i < 16; i++) {
			/* Step i updates a, d, c, b in turn: v[(4 - i % 4) % 4] with the other three in order. */
			int a = (4 - i % 4) % 4;
			uint32_t t = v[a] + fn[r](v[(a + 1) % 4], v[(a + 2) % 4], v[(a + 3) % 4]) + x[order[r][i]] + k[r];
			v[a] = rotl(t, shift[r][i % 4]);
		}
	for (int i = 0; i < 4; i++)
		s[i] += v[i];
}

void bld_md4(const uint8_t *p, size_t n, const uint32_t iv[4], uint8_t out[BLD_MD4_DIGEST])
{
	uint32_t s[4] = { iv[0], iv[1], iv[2], iv[3] };
	size_t whole = n - n % 64;
	for (size_t off = 0; off < whole; off += 64)
		block(s, p + off);
	/* The tail, 0x80, zeros to 56 mod 64, then the length in bits: one or two blocks. */
	uint8_t tail[128] = { 0 };
	size_t rest = n - whole;
	if (rest)
		memcpy(tail, p + whole, rest);
	tail[rest] = 0x80;
	size_t tlen = rest < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)n << 3;
	for (int i = 0; i < 8; i++)
		tail[tlen - 8 + i] = (uint8_t)(bits >> (8 * i));
	block(s, tail);
	if (tlen == 128)
		block(s, tail + 64);
	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 4; b++)
			out[4 * i + b] = (uint8_t)(s[i] >> (8 * b));
}
