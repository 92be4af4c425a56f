/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/spread.h, the worker a packet goes to when one
 * port feeds several: both directions of a host pair on one worker, for
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
		{ "both directions of a pair on one worker (IPv4, IPv6, VLAN, L2)", test_both_directions_one_worker },
		{ "every worker gets a share", test_every_worker_used },
		{ "one worker, short frames", test_one_worker_and_short_frames },
	};
	return bld_test_run("dataplane/spread", tests, BLD_TEST_COUNT(tests));
}
