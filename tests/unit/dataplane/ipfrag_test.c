/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/ipfrag.c.
 *
 * Each test builds a whole datagram (IPv4 with a correct header checksum, or
 * IPv6 with its extension headers), fragments it the way a sender would
 * (RFC 791 §3.2: later IPv4 fragments keep only the options whose copied flag
 * is set; RFC 8200 §4.5: every IPv6 fragment repeats the Unfragmentable Part,
 * whose last Next Header names the Fragment header), describes each fragment
 * with the `struct bld_frag` decode would fill, and checks that reassembly
 * gives back the original datagram byte for byte.
 */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/ipfrag.h"

#define WIRE_OVERHEAD 14u /* an Ethernet header, so wire_bytes != l3 bytes */

/* ---- packet building ------------------------------------------------------ */

struct pkt {
	uint8_t *b;
	uint32_t len;
	uint8_t ver;
	struct bld_frag fr;
};

struct frags {
	struct pkt *p;
	uint32_t n;
};

static struct bld_addr SRC4, DST4, SRC6, DST6;

static void addrs_init(void)
{
	/* IPv4 stored IPv4-mapped, as decode.h says: ::ffff:192.0.2.1 */
	static const uint8_t m4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	memcpy(SRC4.b, m4, 12);
	memcpy(DST4.b, m4, 12);
	memcpy(SRC4.b + 12, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	memcpy(DST4.b + 12, (uint8_t[]){ 192, 0, 2, 2 }, 4);
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t d6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	memcpy(SRC6.b, s6, 16);
	memcpy(DST6.b, d6, 16);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t cksum(const uint8_t *p, uint32_t len)
{
	uint32_t s = 0;
	for (uint32_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void fill(uint8_t *p, uint32_t n, uint8_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

/* A whole IPv4 datagram with options `opts` (a multiple of 4 octets) and paylen payload octets. */
static uint8_t *make_v4(uint32_t *len, uint16_t id, uint8_t proto, const uint8_t *opts,
			uint32_t optlen, uint32_t paylen, uint8_t seed)
{
	uint32_t hl = 20 + optlen;
	*len = hl + paylen;
	uint8_t *b = calloc(1, *len);
	b[0] = (uint8_t)(0x40 | hl / 4);
	b[1] = 0x10;
	put16(b + 2, *len);
	put16(b + 4, id);
	b[6] = 0x00;
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, SRC4.b + 12, 4);
	memcpy(b + 16, DST4.b + 12, 4);
	if (optlen)
		memcpy(b + 20, opts, optlen);
	put16(b + 10, cksum(b, hl));
	fill(b + hl, paylen, seed);
	return b;
}

/*
 * One IPv4 fragment of orig: payload octets [off, off + n).  Fragments after
 * the first keep only the options with the copied flag (RFC 791 §3.1,
 * "Options"), so their header may be shorter.
 */
static struct pkt frag_v4(const uint8_t *orig, uint32_t off, uint32_t n, bool more)
{
	uint32_t ohl = (orig[0] & 0xf) * 4u;
	uint8_t hdr[60];
	uint32_t hl = 20;
	memcpy(hdr, orig, 20);
	if (off == 0) {
		memcpy(hdr, orig, ohl);
		hl = ohl;
	} else {
		for (uint32_t i = 20; i < ohl;) {
			uint8_t t = orig[i];
			if (t == 0)
				break;
			if (t == 1) {
				i++;
				continue;
			}
			uint32_t ol = orig[i + 1];
			if (t & 0x80) {
				memcpy(hdr + hl, orig + i, ol);
				hl += ol;
			}
			i += ol;
		}
		while (hl % 4)
			hdr[hl++] = 0;
	}
	hdr[0] = (uint8_t)(0x40 | hl / 4);
	put16(hdr + 2, hl + n);
	put16(hdr + 6, (more ? 0x2000u : 0) | off / 8);
	put16(hdr + 10, 0);
	put16(hdr + 10, cksum(hdr, hl));

	struct pkt p = { .len = hl + n, .ver = 4 };
	p.b = malloc(p.len);
	memcpy(p.b, hdr, hl);
	memcpy(p.b + hl, orig + ohl + off, n);
	p.fr = (struct bld_frag){ .l3 = p.b, .unfrag_len = hl, .data_off = hl, .data_len = n,
				  .offset = off, .id = (uint32_t)orig[4] << 8 | orig[5],
				  .more = more, .next_proto = orig[9] };
	return p;
}

/* A whole IPv6 datagram; with hbh, a Hop-by-Hop Options header (PadN only) comes first. */
static uint8_t *make_v6(uint32_t *len, bool hbh, uint8_t upper, uint32_t paylen, uint8_t seed)
{
	uint32_t ul = 40 + (hbh ? 8 : 0);
	*len = ul + paylen;
	uint8_t *b = calloc(1, *len);
	b[0] = 0x60;
	put16(b + 4, *len - 40);
	b[6] = hbh ? 0 : upper;
	b[7] = 64;
	memcpy(b + 8, SRC6.b, 16);
	memcpy(b + 24, DST6.b, 16);
	if (hbh) {
		/* RFC 8200 §4.3: Next Header, Hdr Ext Len 0, then PadN with 4 octets of padding */
		b[40] = upper;
		b[41] = 0;
		b[42] = 1;
		b[43] = 4;
	}
	fill(b + ul, paylen, seed);
	return b;
}

/*
 * One IPv6 fragment of orig, whose Unfragmentable Part is ul octets with its
 * last Next Header at nh_pos: payload octets [off, off + n) after a Fragment
 * header (RFC 8200 §4.5).
 */
static struct pkt frag_v6(const uint8_t *orig, uint32_t ul, uint32_t nh_pos, uint32_t off,
			  uint32_t n, bool more, uint32_t id)
{
	struct pkt p = { .len = ul + 8 + n, .ver = 6 };
	p.b = malloc(p.len);
	memcpy(p.b, orig, ul);
	put16(p.b + 4, ul - 40 + 8 + n);
	p.b[nh_pos] = 44;
	p.b[ul] = orig[nh_pos];
	p.b[ul + 1] = 0;
	put16(p.b + ul + 2, off | (more ? 1u : 0));
	put32(p.b + ul + 4, id);
	memcpy(p.b + ul + 8, orig + ul + off, n);
	p.fr = (struct bld_frag){ .l3 = p.b, .unfrag_len = ul, .data_off = ul + 8, .data_len = n,
				  .offset = off, .id = id, .more = more, .next_proto = orig[nh_pos] };
	return p;
}

/* Cut the payload into pieces of `size` octets (a multiple of 8), the last one shorter. */
static struct frags split_v4(const uint8_t *orig, uint32_t len, uint32_t size)
{
	uint32_t pay = len - (orig[0] & 0xf) * 4u;
	struct frags fs = { .n = (pay + size - 1) / size };
	fs.p = calloc(fs.n, sizeof(*fs.p));
	for (uint32_t i = 0; i < fs.n; i++) {
		uint32_t off = i * size, n = pay - off < size ? pay - off : size;
		fs.p[i] = frag_v4(orig, off, n, i + 1 < fs.n);
	}
	return fs;
}

static struct frags split_v6(const uint8_t *orig, uint32_t len, uint32_t ul, uint32_t nh_pos,
			     uint32_t size, uint32_t id)
{
	uint32_t pay = len - ul;
	struct frags fs = { .n = (pay + size - 1) / size };
	fs.p = calloc(fs.n, sizeof(*fs.p));
	for (uint32_t i = 0; i < fs.n; i++) {
		uint32_t off = i * size, n = pay - off < size ? pay - off : size;
		fs.p[i] = frag_v6(orig, ul, nh_pos, off, n, i + 1 < fs.n, id);
	}
	return fs;
}

static void frags_free(struct frags *fs)
{
	for (uint32_t i = 0; i < fs->n; i++)
		free(fs->p[i].b);
	free(fs->p);
}

/* ---- harness ---------------------------------------------------------------- */

static uint64_t ctr[BLD_DECODE_COUNTER_MAX];
static struct bld_ipfrag_done done;

static int feed(struct bld_ipfrag *f, const struct pkt *p, uint64_t now)
{
	memset(&done, 0, sizeof(done));
	return bld_ipfrag_add(f, &p->fr, p->ver, p->ver == 4 ? &SRC4 : &SRC6,
			      p->ver == 4 ? &DST4 : &DST6, p->len + WIRE_OVERHEAD, now, &done, ctr);
}

static struct bld_ipfrag *fresh(uint32_t max_datagrams, uint32_t max_bytes, uint64_t timeout_ns)
{
	memset(ctr, 0, sizeof(ctr));
	struct bld_ipfrag_config cfg = { .max_datagrams = max_datagrams, .max_bytes = max_bytes,
					 .timeout_ns = timeout_ns, .hash_seed = 0x5eed };
	struct bld_ipfrag *f = bld_ipfrag_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	return f;
}

/* The FRAG_* counters are exactly these, and nothing else was touched. */
static void expect_counters(uint64_t reassembled, uint64_t overlap, uint64_t too_big,
			    uint64_t timeout, uint64_t capacity)
{
	CU_ASSERT_EQUAL(ctr[BLD_DECODE_FRAG_REASSEMBLED], reassembled);
	CU_ASSERT_EQUAL(ctr[BLD_DECODE_FRAG_OVERLAP], overlap);
	CU_ASSERT_EQUAL(ctr[BLD_DECODE_FRAG_TOO_BIG], too_big);
	CU_ASSERT_EQUAL(ctr[BLD_DECODE_FRAG_TIMEOUT], timeout);
	CU_ASSERT_EQUAL(ctr[BLD_DECODE_FRAG_CAPACITY], capacity);
	for (int i = 0; i < BLD_DECODE_FRAG_REASSEMBLED; i++)
		CU_ASSERT_EQUAL(ctr[i], 0);
}

static void expect_usage(const struct bld_ipfrag *f, uint32_t datagrams, uint64_t bytes)
{
	uint32_t n = UINT32_MAX;
	uint64_t b = UINT64_MAX;
	bld_ipfrag_usage(f, &n, &b);
	CU_ASSERT_EQUAL(n, datagrams);
	CU_ASSERT_EQUAL(b, bytes);
}

static uint64_t wire_sum(const struct frags *fs)
{
	uint64_t w = 0;
	for (uint32_t i = 0; i < fs->n; i++)
		w += fs->p[i].len + WIRE_OVERHEAD;
	return w;
}

/* The datagram handed back is exactly want[0..len) (and there is one). */
static bool done_is(const uint8_t *want, uint32_t len)
{
	return done.l3 && done.len == len && memcmp(done.l3, want, len) == 0;
}

/*
 * Feed fs in `order` (indices; NULL: in order): every fragment but the last
 * is held, the last completes, and the result is orig byte for byte.
 */
static void feed_expect(struct bld_ipfrag *f, const struct frags *fs, const uint32_t *order,
			const uint8_t *orig, uint32_t len, uint64_t now)
{
	for (uint32_t k = 0; k < fs->n; k++) {
		int rc = feed(f, &fs->p[order ? order[k] : k], now);
		CU_ASSERT_EQUAL(rc, k + 1 < fs->n ? 0 : 1);
	}
	CU_ASSERT_EQUAL_FATAL(done.len, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(done.l3);
	CU_ASSERT(done_is(orig, len));
	CU_ASSERT_EQUAL(done.n_frames, fs->n);
	CU_ASSERT_EQUAL(done.wire_bytes, wire_sum(fs));
}

/* ---- IPv4 ---------------------------------------------------------------- */

static void test_v4_in_order(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v4(&len, 0x1234, 17, NULL, 0, 1000, 1);
	struct frags fs = split_v4(o, len, 400);
	CU_ASSERT_EQUAL(fs.n, 3);
	feed_expect(f, &fs, NULL, o, len, 1000);
	CU_ASSERT_EQUAL(cksum(done.l3, 20), 0);
	expect_counters(1, 0, 0, 0, 0);
	expect_usage(f, 0, 0);
	frags_free(&fs);
	free(o);
	bld_ipfrag_destroy(f);
}

static void test_v4_reverse(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v4(&len, 7, 6, NULL, 0, 3001, 2);
	struct frags fs = split_v4(o, len, 1480 / 8 * 8);
	uint32_t order[] = { 2, 1, 0 };
	CU_ASSERT_EQUAL_FATAL(fs.n, 3);
	feed_expect(f, &fs, order, o, len, 1000);
	expect_counters(1, 0, 0, 0, 0);
	expect_usage(f, 0, 0);
	frags_free(&fs);
	free(o);
	bld_ipfrag_destroy(f);
}

/* Two datagrams of the same pair, ids 1 and 2, fragments interleaved and out of order. */
static void test_v4_interleaved(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t la, lb;
	uint8_t *a = make_v4(&la, 1, 17, NULL, 0, 1000, 3);
	uint8_t *b = make_v4(&lb, 2, 17, NULL, 0, 900, 4);
	struct frags fa = split_v4(a, la, 256), fb = split_v4(b, lb, 256);
	CU_ASSERT_EQUAL_FATAL(fa.n, 4);
	CU_ASSERT_EQUAL_FATAL(fb.n, 4);

	CU_ASSERT_EQUAL(feed(f, &fa.p[0], 10), 0);
	CU_ASSERT_EQUAL(feed(f, &fb.p[3], 11), 0);
	CU_ASSERT_EQUAL(feed(f, &fa.p[2], 12), 0);
	CU_ASSERT_EQUAL(feed(f, &fb.p[1], 13), 0);
	/* a: header, payload to 768 held in 1024 (512 doubled); b: its end 880 known, 1024 */
	expect_usage(f, 2, (20 + 1024 + 1024 / 64) + (1024 + 1024 / 64));
	CU_ASSERT_EQUAL(feed(f, &fa.p[1], 14), 0);
	CU_ASSERT_EQUAL(feed(f, &fb.p[0], 15), 0);
	CU_ASSERT_EQUAL(feed(f, &fa.p[3], 16), 1);
	CU_ASSERT_EQUAL_FATAL(done.len, la);
	CU_ASSERT(done_is(a, la));
	CU_ASSERT_EQUAL(done.n_frames, 4);
	CU_ASSERT_EQUAL(done.wire_bytes, wire_sum(&fa));
	CU_ASSERT_EQUAL(feed(f, &fb.p[2], 17), 1);
	CU_ASSERT_EQUAL_FATAL(done.len, lb);
	CU_ASSERT(done_is(b, lb));
	CU_ASSERT_EQUAL(done.wire_bytes, wire_sum(&fb));
	expect_counters(2, 0, 0, 0, 0);
	expect_usage(f, 0, 0);
	frags_free(&fa);
	frags_free(&fb);
	free(a);
	free(b);
	bld_ipfrag_destroy(f);
}

/*
 * Options: Record Route (type 7, copied flag clear) and Router Alert (type
 * 148, copied flag set, RFC 2113).  The first fragment carries both (IHL 8),
 * the others Router Alert only (IHL 6); the result has the first's header.
 */
static void test_v4_options(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	static const uint8_t opts[12] = { 7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0, 0 };
	uint32_t len;
	uint8_t *o = make_v4(&len, 0xbeef, 17, opts, sizeof(opts), 2000, 5);
	struct frags fs = split_v4(o, len, 800);
	CU_ASSERT_EQUAL_FATAL(fs.n, 3);
	CU_ASSERT_EQUAL(fs.p[0].fr.unfrag_len, 32);
	CU_ASSERT_EQUAL(fs.p[1].fr.unfrag_len, 24);
	uint32_t order[] = { 1, 2, 0 };
	feed_expect(f, &fs, order, o, len, 1);
	CU_ASSERT_EQUAL(cksum(done.l3, 32), 0);
	expect_counters(1, 0, 0, 0, 0);
	expect_usage(f, 0, 0);
	frags_free(&fs);
	free(o);
	bld_ipfrag_destroy(f);
}

/* 8-octet fragments in a scrambled order, the last one 3 octets. */
static void test_v4_tiny(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v4(&len, 99, 17, NULL, 0, 8 * 40 + 3, 6);
	struct frags fs = split_v4(o, len, 8);
	CU_ASSERT_EQUAL_FATAL(fs.n, 41);
	uint32_t order[41];
	for (uint32_t i = 0; i < 41; i++)
		order[i] = (i * 17 + 5) % 41; /* 17 is coprime with 41: a permutation */
	feed_expect(f, &fs, order, o, len, 1);
	expect_counters(1, 0, 0, 0, 0);
	expect_usage(f, 0, 0);
	frags_free(&fs);
	free(o);
	bld_ipfrag_destroy(f);
}

/* Duplicates are absorbed (and counted in n_frames / wire_bytes), not overlaps. */
static void test_v4_duplicates(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v4(&len, 5, 17, NULL, 0, 600, 7);
	struct frags fs = split_v4(o, len, 256);
	CU_ASSERT_EQUAL_FATAL(fs.n, 3);
	uint32_t seq[] = { 1, 0, 1, 0, 1, 2 };
	uint64_t wire = 0;
	for (uint32_t k = 0; k < 6; k++) {
		CU_ASSERT_EQUAL(feed(f, &fs.p[seq[k]], k), k == 5 ? 1 : 0);
		wire += fs.p[seq[k]].len + WIRE_OVERHEAD;
	}
	CU_ASSERT_EQUAL_FATAL(done.len, len);
	CU_ASSERT(done_is(o, len));
	CU_ASSERT_EQUAL(done.n_frames, 6);
	CU_ASSERT_EQUAL(done.wire_bytes, wire);
	/* a duplicate after completion starts a new datagram, which times out */
	CU_ASSERT_EQUAL(feed(f, &fs.p[1], 6), 0);
	expect_usage(f, 1, 512 + 8);
	CU_ASSERT_EQUAL(bld_ipfrag_expire(f, 6 + BLD_IPFRAG_DEFAULT_TIMEOUT_NS - 1, ctr), 0);
	CU_ASSERT_EQUAL(bld_ipfrag_expire(f, 6 + BLD_IPFRAG_DEFAULT_TIMEOUT_NS, ctr), 1);
	expect_counters(1, 0, 0, 1, 0);
	expect_usage(f, 0, 0);
	frags_free(&fs);
	free(o);
	bld_ipfrag_destroy(f);
}

/*
 * IPv4 overlap: A [0,16), B [8,24) whose octets 8..15 differ, C [24,end).
 * First copy wins (A's octets 8..15), the datagram completes, one FRAG_OVERLAP.
 * An overlap with the same octets is counted as nothing.
 */
static void test_v4_overlap(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v4(&len, 77, 17, NULL, 0, 100, 8);
	struct pkt a = frag_v4(o, 0, 16, true);
	struct pkt b = frag_v4(o, 8, 16, true);
	struct pkt b_same = frag_v4(o, 8, 16, true);
	struct pkt c = frag_v4(o, 24, 76, false);
	for (int i = 0; i < 8; i++)
		b.b[20 + i] ^= 0xa5;

	CU_ASSERT_EQUAL(feed(f, &a, 1), 0);
	CU_ASSERT_EQUAL(feed(f, &b_same, 2), 0);
	expect_counters(0, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(feed(f, &b, 3), 0);
	expect_counters(0, 1, 0, 0, 0);
	CU_ASSERT_EQUAL(feed(f, &c, 4), 1);
	CU_ASSERT_EQUAL_FATAL(done.len, len);
	CU_ASSERT(done_is(o, len));
	CU_ASSERT_EQUAL(done.n_frames, 4);
	expect_counters(1, 1, 0, 0, 0);

	/* the conflicting copy first: then it wins */
	uint8_t *want = malloc(len);
	memcpy(want, o, len);
	for (int i = 0; i < 8; i++)
		want[20 + 8 + i] ^= 0xa5;
	CU_ASSERT_EQUAL(feed(f, &c, 5), 0);
	CU_ASSERT_EQUAL(feed(f, &b, 5), 0);
	CU_ASSERT_EQUAL(feed(f, &a, 5), 1);
	CU_ASSERT_EQUAL_FATAL(done.len, len);
	CU_ASSERT(done_is(want, len));
	expect_counters(2, 2, 0, 0, 0);
	expect_usage(f, 0, 0);

	free(want);
	free(a.b);
	free(b.b);
	free(b_same.b);
	free(c.b);
	free(o);
	bld_ipfrag_destroy(f);
}

/*
 * Fragments that disagree about the end: a second last fragment with another
 * end, data past the end, a last fragment before data already held.  Each
 * abandons the datagram (FRAG_OVERLAP).
 */
static void test_v4_conflicting_end(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v4(&len, 3, 17, NULL, 0, 300, 9);
	struct pkt head = frag_v4(o, 0, 64, true);
	struct pkt mid = frag_v4(o, 64, 32, true);
	struct pkt last100 = frag_v4(o, 96, 4, false);
	struct pkt last104 = frag_v4(o, 96, 8, false);
	struct pkt past = frag_v4(o, 96, 16, true);
	struct pkt big = frag_v4(o, 0, 200, true);

	CU_ASSERT_EQUAL(feed(f, &head, 1), 0);
	CU_ASSERT_EQUAL(feed(f, &last100, 1), 0);
	CU_ASSERT_EQUAL(feed(f, &last104, 1), -EINVAL);
	expect_counters(0, 1, 0, 0, 0);
	expect_usage(f, 0, 0);

	CU_ASSERT_EQUAL(feed(f, &last100, 2), 0);
	CU_ASSERT_EQUAL(feed(f, &past, 2), -EINVAL);
	expect_counters(0, 2, 0, 0, 0);
	expect_usage(f, 0, 0);

	CU_ASSERT_EQUAL(feed(f, &big, 3), 0);
	CU_ASSERT_EQUAL(feed(f, &last100, 3), -EINVAL);
	expect_counters(0, 3, 0, 0, 0);
	expect_usage(f, 0, 0);

	/* the same last fragment twice is a duplicate, not a conflict */
	CU_ASSERT_EQUAL(feed(f, &last100, 4), 0);
	CU_ASSERT_EQUAL(feed(f, &last100, 4), 0);
	CU_ASSERT_EQUAL(feed(f, &head, 4), 0);
	CU_ASSERT_EQUAL(feed(f, &mid, 4), 1);
	CU_ASSERT_EQUAL(done.n_frames, 4);
	CU_ASSERT_EQUAL_FATAL(done.len, 20 + 100);
	CU_ASSERT(memcmp(done.l3 + 20, o + 20, 100) == 0);
	CU_ASSERT_EQUAL(cksum(done.l3, 20), 0);
	CU_ASSERT_EQUAL(done.l3[2] << 8 | done.l3[3], 120);
	expect_counters(1, 3, 0, 0, 0);

	free(head.b);
	free(mid.b);
	free(last100.b);
	free(last104.b);
	free(past.b);
	free(big.b);
	free(o);
	bld_ipfrag_destroy(f);
}

/*
 * 65535 octets is the largest IPv4 datagram (RFC 791 §3.1 Total Length); a
 * fragment reaching past it drops itself and its datagram (FRAG_TOO_BIG).
 */
static void test_v4_oversize(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v4(&len, 0x4242, 17, NULL, 0, 65535 - 20, 10);
	struct frags fs = split_v4(o, len, 1480);
	feed_expect(f, &fs, NULL, o, len, 1);
	expect_counters(1, 0, 0, 0, 0);
	expect_usage(f, 0, 0);

	/* ping of death: offset 65528 (the largest) with 16 octets */
	uint8_t *bad = make_v4(&len, 0x4243, 17, NULL, 0, 65535 - 20, 11);
	struct pkt head = frag_v4(bad, 0, 1480, true);
	struct pkt tail = frag_v4(bad, 64000, 16, false);
	tail.fr.offset = 65528; /* as decode reads it; 65528 + 16 + 20 > 65535 */
	CU_ASSERT_EQUAL(feed(f, &tail, 2), -EMSGSIZE);
	expect_counters(1, 0, 1, 0, 0);
	expect_usage(f, 0, 0);
	CU_ASSERT_EQUAL(feed(f, &head, 3), 0);
	expect_usage(f, 1, 1536 + 24 + 20);
	CU_ASSERT_EQUAL(feed(f, &tail, 3), -EMSGSIZE);
	expect_counters(1, 0, 2, 0, 0);
	expect_usage(f, 0, 0);

	/*
	 * Fragments after the first may carry fewer options: each fits alone, but
	 * with the first's 32-octet header the datagram is 12 octets too long.
	 */
	static const uint8_t opts[12] = { 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t *opt = make_v4(&len, 0x4244, 17, opts, sizeof(opts), 65535 - 20 - 12, 12);
	struct frags fo = split_v4(opt, len, 1480);
	uint32_t lbig;
	uint8_t *nopt = make_v4(&lbig, 0x4244, 17, NULL, 0, 65535 - 20, 12);
	uint32_t off = (fo.n - 1) * 1480;
	struct pkt last = frag_v4(nopt, off, 65535 - 20 - off, false); /* ends at 65515, 12 past opt's */
	CU_ASSERT_EQUAL(last.fr.unfrag_len, 20);
	for (uint32_t i = 0; i + 1 < fo.n; i++)
		CU_ASSERT_EQUAL(feed(f, &fo.p[i], 4), 0);
	CU_ASSERT_EQUAL(feed(f, &last, 4), -EMSGSIZE);
	expect_counters(1, 0, 3, 0, 0);
	expect_usage(f, 0, 0);

	free(last.b);
	free(nopt);
	frags_free(&fo);
	free(opt);
	free(head.b);
	free(tail.b);
	free(bad);
	frags_free(&fs);
	free(o);
	bld_ipfrag_destroy(f);
}

/* ---- IPv6 ---------------------------------------------------------------- */

static void test_v6_plain(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v6(&len, false, 17, 3000, 13);
	struct frags fs = split_v6(o, len, 40, 6, 1232, 0xdeadbeef);
	CU_ASSERT_EQUAL_FATAL(fs.n, 3);
	uint32_t order[] = { 2, 0, 1 };
	feed_expect(f, &fs, order, o, len, 1);
	expect_counters(1, 0, 0, 0, 0);
	expect_usage(f, 0, 0);
	frags_free(&fs);
	free(o);
	bld_ipfrag_destroy(f);
}

/* Hop-by-Hop before the Fragment header: its Next Header is the one to restore. */
static void test_v6_hbh(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v6(&len, true, 17, 2500, 14);
	struct frags fs = split_v6(o, len, 48, 40, 1000, 42);
	CU_ASSERT_EQUAL_FATAL(fs.n, 3);
	CU_ASSERT_EQUAL(fs.p[0].b[6], 0);   /* IPv6 header still names HBH */
	CU_ASSERT_EQUAL(fs.p[0].b[40], 44); /* HBH names Fragment */
	feed_expect(f, &fs, NULL, o, len, 1);
	CU_ASSERT_EQUAL(done.l3[40], 17);
	CU_ASSERT_EQUAL(done.l3[4] << 8 | done.l3[5], 8 + 2500);
	uint32_t order[] = { 2, 1, 0 };
	feed_expect(f, &fs, order, o, len, 2);
	expect_counters(2, 0, 0, 0, 0);
	expect_usage(f, 0, 0);
	frags_free(&fs);
	free(o);
	bld_ipfrag_destroy(f);
}

/* RFC 8200 §4.5: exact duplicates may be dropped alone, without abandoning the datagram. */
static void test_v6_duplicates(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v6(&len, true, 6, 1500, 15);
	struct frags fs = split_v6(o, len, 48, 40, 512, 7);
	CU_ASSERT_EQUAL_FATAL(fs.n, 3);
	uint32_t seq[] = { 0, 0, 2, 2, 1 };
	for (uint32_t k = 0; k < 5; k++)
		CU_ASSERT_EQUAL(feed(f, &fs.p[seq[k]], k), k == 4 ? 1 : 0);
	CU_ASSERT_EQUAL_FATAL(done.len, len);
	CU_ASSERT(done_is(o, len));
	CU_ASSERT_EQUAL(done.n_frames, 5);
	expect_counters(1, 0, 0, 0, 0);
	expect_usage(f, 0, 0);
	frags_free(&fs);
	free(o);
	bld_ipfrag_destroy(f);
}

/*
 * RFC 5722 / RFC 8200 §4.5: any overlap that is not an exact duplicate
 * abandons the datagram, identical octets or not; what arrives after starts
 * afresh and, missing its head, times out.
 */
static void test_v6_overlap(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 1000);
	uint32_t len;
	uint8_t *o = make_v6(&len, false, 17, 100, 16);
	struct pkt a = frag_v6(o, 40, 6, 0, 16, true, 9);
	struct pkt b = frag_v6(o, 40, 6, 8, 16, true, 9);
	struct pkt rest = frag_v6(o, 40, 6, 24, 76, false, 9);

	/* partial overlap, same octets */
	CU_ASSERT_EQUAL(feed(f, &a, 1), 0);
	CU_ASSERT_EQUAL(feed(f, &b, 2), -EINVAL);
	expect_counters(0, 1, 0, 0, 0);
	expect_usage(f, 0, 0);

	/* full cover, different octets */
	struct pkt a2 = frag_v6(o, 40, 6, 0, 16, true, 9);
	a2.b[48 + 3] ^= 1;
	CU_ASSERT_EQUAL(feed(f, &a, 3), 0);
	CU_ASSERT_EQUAL(feed(f, &a2, 4), -EINVAL);
	expect_counters(0, 2, 0, 0, 0);
	CU_ASSERT_EQUAL(feed(f, &b, 5), 0);
	CU_ASSERT_EQUAL(feed(f, &rest, 6), 0);
	expect_usage(f, 1, 512 + 8); /* no offset-zero fragment, so no header */
	CU_ASSERT_EQUAL(bld_ipfrag_expire(f, 5 + 999, ctr), 0);
	CU_ASSERT_EQUAL(bld_ipfrag_expire(f, 5 + 1000, ctr), 1);
	expect_counters(0, 2, 0, 1, 0);
	expect_usage(f, 0, 0);

	free(a.b);
	free(a2.b);
	free(b.b);
	free(rest.b);
	free(o);
	bld_ipfrag_destroy(f);
}

/* RFC 8200 §4.5: the reassembled Payload Length is 16 bits; the largest fits. */
static void test_v6_oversize(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v6(&len, true, 17, 65535 - 8, 17);
	CU_ASSERT_EQUAL(len, BLD_IPFRAG_MAX_DATAGRAM_LEN);
	struct frags fs = split_v6(o, len, 48, 40, 1232, 1);
	feed_expect(f, &fs, NULL, o, len, 1);
	expect_counters(1, 0, 0, 0, 0);

	struct pkt head = frag_v6(o, 48, 40, 0, 1232, true, 2);
	struct pkt tail = frag_v6(o, 48, 40, 64000, 16, false, 2);
	tail.fr.offset = 65528; /* as decode reads it; 8 of HBH + 65528 + 16 > 65535 */
	CU_ASSERT_EQUAL(feed(f, &head, 2), 0);
	CU_ASSERT_EQUAL(feed(f, &tail, 2), -EMSGSIZE);
	expect_counters(1, 0, 1, 0, 0);
	expect_usage(f, 0, 0);

	free(head.b);
	free(tail.b);
	frags_free(&fs);
	free(o);
	bld_ipfrag_destroy(f);
}

/* RFC 6946 §4: an atomic fragment is returned at once, the datagram in progress left alone. */
static void test_v6_atomic(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v6(&len, true, 58, 64, 18);
	struct pkt first = frag_v6(o, 48, 40, 0, 32, true, 5);
	struct pkt atomic = frag_v6(o, 48, 40, 0, 64, false, 5);
	struct pkt second = frag_v6(o, 48, 40, 32, 32, false, 5);

	CU_ASSERT_EQUAL(feed(f, &first, 1), 0);
	CU_ASSERT_EQUAL(feed(f, &atomic, 2), 1);
	CU_ASSERT_EQUAL_FATAL(done.len, len);
	CU_ASSERT(done_is(o, len));
	CU_ASSERT_EQUAL(done.n_frames, 1);
	CU_ASSERT_EQUAL(done.wire_bytes, atomic.len + WIRE_OVERHEAD);
	expect_usage(f, 1, 512 + 8 + 48);
	CU_ASSERT_EQUAL(feed(f, &second, 3), 1);
	CU_ASSERT(done_is(o, len));
	CU_ASSERT_EQUAL(done.n_frames, 2);
	expect_counters(2, 0, 0, 0, 0);
	expect_usage(f, 0, 0);

	free(first.b);
	free(atomic.b);
	free(second.b);
	free(o);
	bld_ipfrag_destroy(f);
}

/* ---- limits and input checks -------------------------------------------------- */

/*
 * Time comes from packets only: a datagram is dropped once timeout_ns have
 * passed since its first fragment, when any later call sees that time; an
 * earlier timestamp never moves the clock back.
 */
static void test_timeout(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 1000);
	uint32_t la, lb;
	uint8_t *a = make_v4(&la, 1, 17, NULL, 0, 100, 19);
	uint8_t *b = make_v4(&lb, 2, 17, NULL, 0, 100, 20);
	struct frags fa = split_v4(a, la, 64), fb = split_v4(b, lb, 64);

	CU_ASSERT_EQUAL(feed(f, &fa.p[0], 100), 0);
	CU_ASSERT_EQUAL(feed(f, &fb.p[0], 1099), 0);
	expect_usage(f, 2, 2 * (512 + 8 + 20));
	CU_ASSERT_EQUAL(bld_ipfrag_expire(f, 1099, ctr), 0);
	/* b's last fragment at 1100 expires a (first seen at 100) before b completes */
	CU_ASSERT_EQUAL(feed(f, &fb.p[1], 1100), 1);
	CU_ASSERT(done_is(b, lb));
	expect_counters(1, 0, 0, 1, 0);
	expect_usage(f, 0, 0);

	/* a's tail arriving late starts a new datagram; a timestamp from the past counts as 1100 */
	CU_ASSERT_EQUAL(feed(f, &fa.p[1], 5), 0);
	CU_ASSERT_EQUAL(bld_ipfrag_expire(f, 2099, ctr), 0);
	CU_ASSERT_EQUAL(bld_ipfrag_expire(f, 2100, ctr), 1);
	expect_counters(1, 0, 0, 2, 0);

	/* end of capture: everything left is counted */
	CU_ASSERT_EQUAL(feed(f, &fa.p[0], 3000), 0);
	CU_ASSERT_EQUAL(feed(f, &fb.p[0], 3001), 0);
	CU_ASSERT_EQUAL(bld_ipfrag_expire(f, UINT64_MAX, ctr), 2);
	expect_counters(1, 0, 0, 4, 0);
	expect_usage(f, 0, 0);

	frags_free(&fa);
	frags_free(&fb);
	free(a);
	free(b);
	bld_ipfrag_destroy(f);
}

/* max_datagrams: a third datagram evicts the oldest. */
static void test_capacity_datagrams(void)
{
	struct bld_ipfrag *f = fresh(2, 0, 0);
	struct frags fs[3];
	uint8_t *o[3];
	uint32_t len[3];
	for (int i = 0; i < 3; i++) {
		o[i] = make_v4(&len[i], (uint16_t)(10 + i), 17, NULL, 0, 200, (uint8_t)(21 + i));
		fs[i] = split_v4(o[i], len[i], 128);
		CU_ASSERT_EQUAL(feed(f, &fs[i].p[0], (uint64_t)i), 0);
	}
	expect_counters(0, 0, 0, 0, 1);
	expect_usage(f, 2, 2 * (512 + 8 + 20));
	CU_ASSERT_EQUAL(feed(f, &fs[1].p[1], 3), 1);
	CU_ASSERT(done_is(o[1], len[1]));
	CU_ASSERT_EQUAL(feed(f, &fs[2].p[1], 4), 1);
	CU_ASSERT(done_is(o[2], len[2]));
	/* datagram 0 lost its head: its tail is held, alone */
	CU_ASSERT_EQUAL(feed(f, &fs[0].p[1], 5), 0);
	expect_usage(f, 1, 512 + 8);
	expect_counters(2, 0, 0, 0, 1);
	for (int i = 0; i < 3; i++) {
		frags_free(&fs[i]);
		free(o[i]);
	}
	bld_ipfrag_destroy(f);
}

/*
 * max_bytes: what is charged is the buffer (payload rounded up to 512 octets,
 * doubling as it grows, plus one bitmap bit per 8 octets) and the first
 * header.  Growing one datagram past the cap evicts the oldest others; a
 * datagram that cannot fit even alone is dropped itself.
 */
static void test_capacity_bytes(void)
{
	struct bld_ipfrag *f = fresh(0, 2000, 0);
	struct frags fs[3];
	uint8_t *o[3];
	uint32_t len[3];
	for (int i = 0; i < 3; i++) {
		o[i] = make_v4(&len[i], (uint16_t)(20 + i), 17, NULL, 0, 1500, (uint8_t)(31 + i));
		fs[i] = split_v4(o[i], len[i], 512);
		CU_ASSERT_EQUAL_FATAL(fs[i].n, 3);
		CU_ASSERT_EQUAL(feed(f, &fs[i].p[0], (uint64_t)i), 0);
	}
	expect_usage(f, 3, 3 * 540);
	CU_ASSERT_EQUAL(feed(f, &fs[0].p[1], 3), 0); /* 1024 + 16 + 20: 1 has to go */
	expect_counters(0, 0, 0, 0, 1);
	expect_usage(f, 2, 1060 + 540);
	CU_ASSERT_EQUAL(feed(f, &fs[0].p[2], 4), 1); /* 1536 + 24 + 20: 2 has to go */
	CU_ASSERT(done_is(o[0], len[0]));
	expect_counters(1, 0, 0, 0, 2);
	expect_usage(f, 0, 0);

	/* alone too big: 2048 + 32 + 20 > 2000, nobody else is evicted for it */
	CU_ASSERT_EQUAL(feed(f, &fs[1].p[0], 5), 0);
	uint32_t l;
	uint8_t *big = make_v4(&l, 30, 17, NULL, 0, 3000, 40);
	struct pkt p = frag_v4(big, 0, 2048, true);
	CU_ASSERT_EQUAL(feed(f, &p, 6), -ENOBUFS);
	expect_counters(1, 0, 0, 0, 3);
	expect_usage(f, 1, 540);

	free(p.b);
	free(big);
	for (int i = 0; i < 3; i++) {
		frags_free(&fs[i]);
		free(o[i]);
	}
	bld_ipfrag_destroy(f);
}

/* Malformed descriptions are refused without a counter (decode counted them) and hold nothing. */
static void test_malformed(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v4(&len, 1, 17, NULL, 0, 100, 41);
	struct pkt p = frag_v4(o, 0, 64, true);
	struct pkt odd = frag_v4(o, 0, 60, true); /* M set, not a multiple of 8 octets (RFC 8200 §4.5) */
	CU_ASSERT_EQUAL(feed(f, &odd, 1), -EINVAL);
	struct pkt q = p;
	q.fr.data_len = 56; /* cut short by the snaplen: Total Length says 64 octets of data */
	CU_ASSERT_EQUAL(feed(f, &q, 1), -EINVAL);
	q = p;
	q.fr.offset = 4;
	CU_ASSERT_EQUAL(feed(f, &q, 1), -EINVAL);
	q = p;
	q.fr.unfrag_len = 16;
	q.fr.data_off = 16;
	CU_ASSERT_EQUAL(feed(f, &q, 1), -EINVAL);
	q = p;
	q.fr.data_off = 24;
	CU_ASSERT_EQUAL(feed(f, &q, 1), -EINVAL);
	q = p;
	q.fr.data_len = UINT32_MAX - 8;
	CU_ASSERT_EQUAL(feed(f, &q, 1), -EINVAL);
	q = p;
	q.ver = 5;
	CU_ASSERT_EQUAL(bld_ipfrag_add(f, &q.fr, 5, &SRC4, &DST4, 100, 1, &done, ctr), -EINVAL);

	/* IPv6 offset-zero fragment whose Unfragmentable Part does not lead to a Fragment header */
	uint32_t l6;
	uint8_t *o6 = make_v6(&l6, true, 17, 64, 42);
	struct pkt r = frag_v6(o6, 48, 40, 0, 32, true, 3);
	r.b[40] = 17;
	CU_ASSERT_EQUAL(feed(f, &r, 1), -EINVAL);
	r.b[40] = 44;
	r.b[6] = 6; /* TCP before the "extension header" */
	CU_ASSERT_EQUAL(feed(f, &r, 1), -EINVAL);
	r.b[6] = 0;
	r.fr.data_len = 24;
	CU_ASSERT_EQUAL(feed(f, &r, 1), -EINVAL); /* Payload Length says 32 */
	r.fr.data_len = 32;
	CU_ASSERT_EQUAL(feed(f, &r, 1), 0);

	expect_counters(0, 0, 0, 0, 0);
	expect_usage(f, 1, 512 + 8 + 48);
	free(r.b);
	free(o6);
	free(odd.b);
	free(p.b);
	free(o);
	bld_ipfrag_destroy(f);
}

/* Key: IPv4 fragments of another protocol, or from another source, are another datagram. */
static void test_key(void)
{
	struct bld_ipfrag *f = fresh(0, 0, 0);
	uint32_t len;
	uint8_t *o = make_v4(&len, 1, 17, NULL, 0, 100, 43);
	struct pkt h = frag_v4(o, 0, 64, true), t = frag_v4(o, 64, 36, false);
	t.fr.next_proto = 6;
	CU_ASSERT_EQUAL(feed(f, &h, 1), 0);
	CU_ASSERT_EQUAL(feed(f, &t, 1), 0);
	CU_ASSERT_EQUAL(bld_ipfrag_add(f, &t.fr, 4, &DST4, &SRC4, 50, 1, &done, ctr), 0);
	expect_usage(f, 3, (512 + 8 + 20) + 2 * (512 + 8));
	t.fr.next_proto = 17;
	CU_ASSERT_EQUAL(feed(f, &t, 1), 1);
	CU_ASSERT(done_is(o, len));
	expect_counters(1, 0, 0, 0, 0);
	free(h.b);
	free(t.b);
	free(o);
	bld_ipfrag_destroy(f);
}

static void test_create(void)
{
	struct bld_ipfrag_config c = { .max_datagrams = BLD_IPFRAG_MAX_DATAGRAMS_LIMIT + 1 };
	errno = 0;
	CU_ASSERT_PTR_NULL(bld_ipfrag_create(&c));
	CU_ASSERT_EQUAL(errno, EINVAL);
	struct bld_ipfrag *f = bld_ipfrag_create(NULL);
	CU_ASSERT_PTR_NOT_NULL(f);
	bld_ipfrag_destroy(f);
	bld_ipfrag_destroy(NULL);
}

int main(void)
{
	addrs_init();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite s = CU_add_suite("dataplane/ipfrag", NULL, NULL);
	if (!s)
		goto fail;
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "ipv4 in order", test_v4_in_order },
		{ "ipv4 reverse order", test_v4_reverse },
		{ "ipv4 two datagrams interleaved", test_v4_interleaved },
		{ "ipv4 options", test_v4_options },
		{ "ipv4 tiny fragments", test_v4_tiny },
		{ "ipv4 duplicates", test_v4_duplicates },
		{ "ipv4 overlap: first wins, counted", test_v4_overlap },
		{ "ipv4 conflicting end", test_v4_conflicting_end },
		{ "ipv4 oversize", test_v4_oversize },
		{ "ipv6 plain", test_v6_plain },
		{ "ipv6 hop-by-hop before fragment", test_v6_hbh },
		{ "ipv6 duplicates", test_v6_duplicates },
		{ "ipv6 overlap drops datagram", test_v6_overlap },
		{ "ipv6 oversize", test_v6_oversize },
		{ "ipv6 atomic fragment", test_v6_atomic },
		{ "timeout", test_timeout },
		{ "capacity: datagrams", test_capacity_datagrams },
		{ "capacity: bytes", test_capacity_bytes },
		{ "malformed", test_malformed },
		{ "key", test_key },
		{ "create", test_create },
	};
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!CU_add_test(s, tests[i].name, tests[i].fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
fail:
	CU_cleanup_registry();
	return 1;
}
