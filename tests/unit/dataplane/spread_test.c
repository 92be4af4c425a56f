/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/spread.h, the worker a packet belongs to when
 * several share the ports: the hash is a NIC's RSS hash (a textbook
 * Toeplitz, itself checked against Microsoft's published RSS vectors, with
 * the symmetric key); both directions of a host pair on one worker, for
 * IPv4, IPv6, VLAN-tagged and non-IP frames; every worker used; short
 * frames on worker 0.
 */
#include "bld_test.h"

#include <stdbool.h>

#include "dataplane/spread.h"

/* An Ethernet frame from a to b: IPv4 (4-byte addresses), IPv6 (16) or ARP-like (0: MACs only); vlans tags. */
static size_t frame(uint8_t *f, unsigned family, const uint8_t *a, const uint8_t *b, unsigned vlans, bool swap)
{
	memset(f, 0, 128);
	const uint8_t *s = swap ? b : a, *d = swap ? a : b;
	unsigned alen = family == 4 ? 4 : family == 6 ? 16 : 6;
	memcpy(f, d, 6 < alen ? 6 : alen);       /* MACs from the addresses: a pair per host */
	memcpy(f + 6, s, 6 < alen ? 6 : alen);
	size_t off = 12;
	for (unsigned v = 0; v < vlans; v++, off += 4) {
		f[off] = v ? 0x81 : 0x88, f[off + 1] = v ? 0x00 : 0xa8;
		f[off + 3] = (uint8_t)(10 + v);
	}
	uint16_t type = family == 4 ? 0x0800 : family == 6 ? 0x86dd : 0x0806;
	f[off] = (uint8_t)(type >> 8), f[off + 1] = (uint8_t)type;
	off += 2;
	if (family == 4) {
		f[off] = 0x45;
		memcpy(f + off + 12, s, 4);
		memcpy(f + off + 16, d, 4);
		return off + 40;
	}
	if (family == 6) {
		f[off] = 0x60;
		memcpy(f + off + 8, s, 16);
		memcpy(f + off + 24, d, 16);
		return off + 60;
	}
	return off + 28;
}

static unsigned worker_of(const uint8_t *f, size_t len, unsigned n)
{
	struct bld_pkt p = { .data = f, .caplen = (uint32_t)len, .wirelen = (uint32_t)len };
	return bld_spread_worker(&p, n);
}

static void test_both_directions_one_worker(void)
{
	static const struct { unsigned family, vlans; } kinds[] = { { 4, 0 }, { 4, 1 }, { 4, 2 }, { 6, 0 }, { 6, 2 },
								    { 0, 0 }, { 0, 1 } };
	uint8_t fa[128], fb[128], a[16], b[16];
	unsigned bad = 0;
	for (size_t k = 0; k < BLD_TEST_COUNT(kinds); k++)
		for (unsigned i = 0; i < 500; i++) {
			for (unsigned j = 0; j < 16; j++) {
				a[j] = (uint8_t)(i * 7 + j * 13 + k);
				b[j] = (uint8_t)(i * 11 + j * 3 + 1);
			}
			size_t la = frame(fa, kinds[k].family, a, b, kinds[k].vlans, false);
			size_t lb = frame(fb, kinds[k].family, a, b, kinds[k].vlans, true);
			for (unsigned n = 2; n <= 8; n++)
				bad += worker_of(fa, la, n) != worker_of(fb, lb, n);
		}
	CU_ASSERT_EQUAL(bad, 0);
}

/* Toeplitz as the RSS specification defines it: each set input bit, from the top, XORs in the key's next 32 bits. */
static uint32_t toeplitz(const uint8_t *key, const uint8_t *in, size_t len)
{
	uint32_t h = 0, window = (uint32_t)key[0] << 24 | key[1] << 16 | key[2] << 8 | key[3];
	for (size_t i = 0; i < len; i++)
		for (int b = 7; b >= 0; b--) {
			if (in[i] >> b & 1)
				h ^= window;
			window = window << 1 | (key[i + 4] >> b & 1);
		}
	return h;
}

/* Microsoft's "Verifying the RSS Hash Calculation" vectors (IPv4 addresses only) with its example key. */
static void test_textbook_toeplitz(void)
{
	static const uint8_t ms_key[40] = { 0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
					    0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
					    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
					    0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa };
	static const struct { uint8_t src[4], dst[4]; uint32_t hash; } v[] = {
		{ { 66, 9, 149, 187 }, { 161, 142, 100, 80 }, 0x323e8fc2 },
		{ { 199, 92, 111, 2 }, { 65, 69, 140, 83 }, 0xd718262a },
		{ { 24, 19, 198, 95 }, { 12, 22, 207, 184 }, 0xd2d0a5de },
		{ { 38, 27, 205, 30 }, { 209, 142, 163, 6 }, 0x82989176 },
		{ { 153, 39, 163, 191 }, { 202, 188, 127, 2 }, 0x5d1809c5 },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(v); i++) {
		uint8_t in[8];
		memcpy(in, v[i].src, 4);
		memcpy(in + 4, v[i].dst, 4);
		CU_ASSERT_EQUAL(toeplitz(ms_key, in, 8), v[i].hash);
	}
}

/* spread.h's hash is the NIC's: Toeplitz with the key 0x6d5a... over source then destination address. */
static void test_hash_is_symmetric_rss(void)
{
	uint8_t key[4 + 32];
	for (size_t i = 0; i < sizeof(key); i += 2)
		key[i] = 0x6d, key[i + 1] = 0x5a;
	uint8_t f[128], a[16], b[16], in[32];
	unsigned bad = 0;
	uint32_t seed = 12345;
	for (unsigned i = 0; i < 2000; i++) {
		for (unsigned j = 0; j < 16; j++) {
			seed = seed * 1103515245u + 12345u;
			a[j] = (uint8_t)(seed >> 16);
			seed = seed * 1103515245u + 12345u;
			b[j] = (uint8_t)(seed >> 16);
		}
		unsigned family = i % 2 ? 6 : 4, alen = family == 4 ? 4 : 16;
		size_t len = frame(f, family, a, b, i % 3, false);
		memcpy(in, a, alen);
		memcpy(in + alen, b, alen);
		struct bld_pkt p = { .data = f, .caplen = (uint32_t)len, .wirelen = (uint32_t)len };
		bad += bld_spread_hash(&p) != toeplitz(key, in, 2 * alen);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_every_worker_used(void)
{
	uint8_t f[128], a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 1, 0 };
	unsigned seen[4] = { 0 };
	for (unsigned i = 0; i < 4000; i++) {
		b[2] = (uint8_t)(i >> 8), b[3] = (uint8_t)i;
		seen[worker_of(f, frame(f, 4, a, b, 0, false), 4)]++;
	}
	for (unsigned w = 0; w < 4; w++)
		CU_ASSERT(seen[w] > 700 && seen[w] < 1300);   /* an even spread, give or take */
}

static void test_one_worker_and_short_frames(void)
{
	uint8_t f[128], a[4] = { 1, 2, 3, 4 }, b[4] = { 5, 6, 7, 8 };
	size_t len = frame(f, 4, a, b, 0, false);
	CU_ASSERT_EQUAL(worker_of(f, len, 1), 0);
	CU_ASSERT_EQUAL(worker_of(f, 13, 4), 0);   /* no ethertype */
	/* an IPv4 header cut short: hashed by its MACs, still the same both ways */
	uint8_t g[128];
	size_t lg = frame(g, 4, a, b, 0, true);
	CU_ASSERT_EQUAL(worker_of(f, 20, 4), worker_of(g, 20, 4));
	(void)lg;
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "textbook Toeplitz: Microsoft's RSS vectors", test_textbook_toeplitz },
		{ "the hash is RSS's with the symmetric key (IPv4, IPv6, VLAN)", test_hash_is_symmetric_rss },
		{ "both directions of a pair on one worker (IPv4, IPv6, VLAN, L2)", test_both_directions_one_worker },
		{ "every worker gets a share", test_every_worker_used },
		{ "one worker, short frames", test_one_worker_and_short_frames },
	};
	return bld_test_run("dataplane/spread", tests, BLD_TEST_COUNT(tests));
}
