/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dissectors/cursor.h, the bounds-checked byte cursor.
 *
 * Every reader is tried at every offset of buffers of every length up to a
 * few bytes past its width, in a heap block of exactly that length, so a read
 * one byte out of bounds is an AddressSanitizer report and a wrong bound is a
 * failed assertion.  Then the sticky error, take() and rest().
 */
#include "bld_test.h"

#include "cursor.h"

/* 01 02 ... : distinct bytes so a value read at the wrong offset shows. */
static uint8_t *seq_buf(uint32_t n, uint8_t first)
{
	uint8_t *b = malloc(n ? n : 1);
	for (uint32_t i = 0; i < n; i++)
		b[i] = (uint8_t)(first + i);
	return b;
}

enum reader { R_U8, R_BE16, R_LE16, R_BE32, R_LE32 };

static const struct {
	enum reader r;
	uint32_t width;
	const char *name;
} readers[] = {
	{ R_U8, 1, "u8" }, { R_BE16, 2, "be16" }, { R_LE16, 2, "le16" }, { R_BE32, 4, "be32" }, { R_LE32, 4, "le32" },
};

static uint32_t read_one(struct bld_cur *c, enum reader r)
{
	switch (r) {
	case R_U8: return bld_cur_u8(c);
	case R_BE16: return bld_cur_be16(c);
	case R_LE16: return bld_cur_le16(c);
	case R_BE32: return bld_cur_be32(c);
	case R_LE32: return bld_cur_le32(c);
	}
	return 0;
}

static uint32_t expect_value(const uint8_t *p, enum reader r)
{
	switch (r) {
	case R_U8: return p[0];
	case R_BE16: return (uint32_t)p[0] << 8 | p[1];
	case R_LE16: return (uint32_t)p[1] << 8 | p[0];
	case R_BE32: return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	case R_LE32: return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
	}
	return 0;
}

static void test_make(void)
{
	uint8_t *b = seq_buf(5, 1);
	struct bld_cur c = bld_cur_make(b, 5);
	CU_ASSERT_PTR_EQUAL(c.p, b);
	CU_ASSERT_EQUAL(c.len, 5);
	CU_ASSERT_EQUAL(c.off, 0);
	CU_ASSERT_FALSE(c.err);
	CU_ASSERT_EQUAL(bld_cur_left(&c), 5);
	free(b);

	/* An empty cursor over nothing at all: every read fails cleanly. */
	struct bld_cur e = bld_cur_make(NULL, 0);
	CU_ASSERT_EQUAL(bld_cur_left(&e), 0);
	CU_ASSERT_PTR_NULL(bld_cur_peek(&e, 1));
	CU_ASSERT_FALSE(e.err);
	CU_ASSERT_EQUAL(bld_cur_u8(&e), 0);
	CU_ASSERT_TRUE(e.err);
}

/* Every integer reader, every buffer length 0..width+3, every start offset. */
static void test_readers_every_boundary(void)
{
	for (size_t k = 0; k < BLD_TEST_COUNT(readers); k++) {
		uint32_t w = readers[k].width;
		for (uint32_t n = 0; n <= w + 3; n++) {
			uint8_t *b = seq_buf(n, 0xF0); /* F0 F1 ...: high bits set, no sign extension allowed */
			for (uint32_t o = 0; o <= n; o++) {
				struct bld_cur c = bld_cur_make(b, n);
				bld_cur_skip(&c, o);
				CU_ASSERT_FALSE_FATAL(c.err);
				uint32_t v = read_one(&c, readers[k].r);
				if (o + w <= n) {
					CU_ASSERT_EQUAL(v, expect_value(b + o, readers[k].r));
					CU_ASSERT_FALSE(c.err);
					CU_ASSERT_EQUAL(c.off, o + w);
					CU_ASSERT_EQUAL(bld_cur_left(&c), n - o - w);
				} else {
					CU_ASSERT_EQUAL(v, 0);
					CU_ASSERT_TRUE(c.err);
					CU_ASSERT_EQUAL(c.off, o); /* a failed read does not move */
					CU_ASSERT_EQUAL(bld_cur_left(&c), 0);
				}
			}
			free(b);
		}
	}
}

/* bytes(), peek(), skip() and copy() with n = left-1, left, left+1 from every offset. */
static void test_spans_every_boundary(void)
{
	for (uint32_t n = 0; n <= 6; n++) {
		uint8_t *b = seq_buf(n, 0x10);
		for (uint32_t o = 0; o <= n; o++) {
			for (uint32_t want = 0; want <= n - o + 1; want++) {
				bool fits = o + want <= n;

				struct bld_cur c = bld_cur_make(b, n);
				bld_cur_skip(&c, o);
				const uint8_t *q = bld_cur_peek(&c, want);
				CU_ASSERT_EQUAL(q != NULL, fits);
				if (fits)
					CU_ASSERT_PTR_EQUAL(q, b + o);
				CU_ASSERT_FALSE(c.err);        /* peek never sets the error */
				CU_ASSERT_EQUAL(c.off, o);     /* nor moves */

				q = bld_cur_bytes(&c, want);
				CU_ASSERT_EQUAL(q != NULL, fits);
				if (fits)
					CU_ASSERT_PTR_EQUAL(q, b + o);
				CU_ASSERT_EQUAL(c.err, !fits);
				CU_ASSERT_EQUAL(c.off, fits ? o + want : o);

				c = bld_cur_make(b, n);
				bld_cur_skip(&c, o);
				bld_cur_skip(&c, want);
				CU_ASSERT_EQUAL(c.err, !fits);
				CU_ASSERT_EQUAL(c.off, fits ? o + want : o);

				uint8_t dst[8];
				memset(dst, 0xAA, sizeof(dst));
				c = bld_cur_make(b, n);
				bld_cur_skip(&c, o);
				bld_cur_copy(&c, dst, want);
				CU_ASSERT_EQUAL(c.err, !fits);
				for (uint32_t i = 0; i < want; i++)
					CU_ASSERT_EQUAL(dst[i], fits ? b[o + i] : 0); /* zero-filled when short */
				for (uint32_t i = want; i < sizeof(dst); i++)
					CU_ASSERT_EQUAL(dst[i], 0xAA);                 /* nothing written past n */
			}
		}
		free(b);
	}
}

/* Lengths near UINT32_MAX must not wrap the bound check around. */
static void test_huge_lengths(void)
{
	uint8_t *b = seq_buf(4, 1);
	struct bld_cur c = bld_cur_make(b, 4);
	bld_cur_skip(&c, 1);
	CU_ASSERT_PTR_NULL(bld_cur_peek(&c, UINT32_MAX));
	CU_ASSERT_PTR_NULL(bld_cur_peek(&c, UINT32_MAX - 2));
	bld_cur_skip(&c, UINT32_MAX);
	CU_ASSERT_TRUE(c.err);
	CU_ASSERT_EQUAL(c.off, 1);

	c = bld_cur_make(b, 4);
	bld_cur_skip(&c, 3);
	CU_ASSERT_PTR_NULL(bld_cur_bytes(&c, UINT32_MAX));
	CU_ASSERT_TRUE(c.err);

	c = bld_cur_make(b, 4);
	struct bld_cur t = bld_cur_take(&c, UINT32_MAX - 1);
	CU_ASSERT_TRUE(t.err);
	CU_ASSERT_EQUAL(t.len, 0);
	CU_ASSERT_TRUE(c.err);
	free(b);
}

/* Once a read fails, everything after it fails too, even reads that would fit. */
static void test_sticky_error(void)
{
	uint8_t *b = seq_buf(6, 1);
	struct bld_cur c = bld_cur_make(b, 6);
	CU_ASSERT_EQUAL(bld_cur_be16(&c), 0x0102);
	CU_ASSERT_EQUAL(bld_cur_be32(&c), 0x03040506);
	CU_ASSERT_EQUAL(bld_cur_u8(&c), 0);        /* one past the end */
	CU_ASSERT_TRUE(c.err);

	c = bld_cur_make(b, 6);
	CU_ASSERT_EQUAL(bld_cur_be32(&c), 0x01020304);
	CU_ASSERT_EQUAL(bld_cur_be32(&c), 0);      /* 2 left, 4 wanted */
	CU_ASSERT_TRUE(c.err);
	CU_ASSERT_EQUAL(c.off, 4);
	/* Two bytes are still there, but the cursor is poisoned. */
	CU_ASSERT_EQUAL(bld_cur_left(&c), 0);
	CU_ASSERT_EQUAL(bld_cur_u8(&c), 0);
	CU_ASSERT_EQUAL(bld_cur_be16(&c), 0);
	CU_ASSERT_EQUAL(bld_cur_le16(&c), 0);
	CU_ASSERT_EQUAL(bld_cur_le32(&c), 0);
	CU_ASSERT_PTR_NULL(bld_cur_peek(&c, 0));
	CU_ASSERT_PTR_NULL(bld_cur_peek(&c, 1));
	CU_ASSERT_PTR_NULL(bld_cur_bytes(&c, 0));
	bld_cur_skip(&c, 0);
	CU_ASSERT_EQUAL(c.off, 4);
	uint8_t d[2] = { 0xAA, 0xAA };
	bld_cur_copy(&c, d, 2);
	CU_ASSERT_EQUAL(d[0], 0);
	CU_ASSERT_EQUAL(d[1], 0);
	CU_ASSERT_TRUE(c.err);
	struct bld_cur t = bld_cur_take(&c, 0);
	CU_ASSERT_TRUE(t.err);
	struct bld_cur r = bld_cur_rest(&c);
	CU_ASSERT_TRUE(r.err);
	CU_ASSERT_EQUAL(bld_cur_left(&r), 0);
	free(b);
}

/* take(): a child bounded by a length field; its overrun poisons it, not the parent. */
static void test_take(void)
{
	uint8_t *b = seq_buf(10, 1);
	struct bld_cur c = bld_cur_make(b, 10);
	bld_cur_skip(&c, 2);
	struct bld_cur t = bld_cur_take(&c, 3); /* bytes 03 04 05 */
	CU_ASSERT_FALSE(c.err);
	CU_ASSERT_FALSE(t.err);
	CU_ASSERT_EQUAL(c.off, 5);
	CU_ASSERT_PTR_EQUAL(t.p, b + 2);
	CU_ASSERT_EQUAL(t.len, 3);
	CU_ASSERT_EQUAL(t.off, 0);
	CU_ASSERT_EQUAL(bld_cur_left(&t), 3);
	CU_ASSERT_EQUAL(bld_cur_be16(&t), 0x0304);
	CU_ASSERT_EQUAL(bld_cur_be16(&t), 0);   /* byte 06 belongs to the parent, not the child */
	CU_ASSERT_TRUE(t.err);
	CU_ASSERT_FALSE(c.err);
	CU_ASSERT_EQUAL(bld_cur_u8(&c), 6);

	/* take at exactly what is left, and one more */
	struct bld_cur all = bld_cur_take(&c, 4); /* 07 08 09 0A */
	CU_ASSERT_FALSE(all.err);
	CU_ASSERT_EQUAL(bld_cur_le32(&all), 0x0A090807);
	CU_ASSERT_EQUAL(bld_cur_left(&c), 0);
	CU_ASSERT_FALSE(c.err);

	c = bld_cur_make(b, 10);
	bld_cur_skip(&c, 7);
	struct bld_cur over = bld_cur_take(&c, 4);
	CU_ASSERT_TRUE(over.err);
	CU_ASSERT_PTR_NULL(over.p);
	CU_ASSERT_EQUAL(over.len, 0);
	CU_ASSERT_EQUAL(bld_cur_left(&over), 0);
	CU_ASSERT_EQUAL(bld_cur_u8(&over), 0);
	CU_ASSERT_TRUE(c.err);                    /* a short parent carries the error too */
	CU_ASSERT_EQUAL(c.off, 7);

	/* take(0): an empty, healthy child */
	c = bld_cur_make(b, 10);
	struct bld_cur z = bld_cur_take(&c, 0);
	CU_ASSERT_FALSE(z.err);
	CU_ASSERT_EQUAL(bld_cur_left(&z), 0);
	CU_ASSERT_FALSE(c.err);
	CU_ASSERT_EQUAL(c.off, 0);

	/* take() of a take(): nested length fields */
	c = bld_cur_make(b, 10);
	struct bld_cur outer = bld_cur_take(&c, 6);
	bld_cur_skip(&outer, 1);
	struct bld_cur inner = bld_cur_take(&outer, 4); /* 02 03 04 05 */
	CU_ASSERT_EQUAL(bld_cur_be32(&inner), 0x02030405);
	CU_ASSERT_EQUAL(bld_cur_u8(&outer), 6);
	CU_ASSERT_EQUAL(bld_cur_left(&outer), 0);
	struct bld_cur past = bld_cur_take(&outer, 1);
	CU_ASSERT_TRUE(past.err);
	CU_ASSERT_TRUE(outer.err);
	CU_ASSERT_FALSE(c.err);
	CU_ASSERT_EQUAL(c.off, 6);
	free(b);
}

static void test_rest(void)
{
	uint8_t *b = seq_buf(5, 1);
	struct bld_cur c = bld_cur_make(b, 5);
	bld_cur_skip(&c, 2);
	struct bld_cur r = bld_cur_rest(&c);
	CU_ASSERT_FALSE(r.err);
	CU_ASSERT_PTR_EQUAL(r.p, b + 2);
	CU_ASSERT_EQUAL(r.len, 3);
	CU_ASSERT_EQUAL(bld_cur_left(&c), 0);
	CU_ASSERT_FALSE(c.err);

	/* rest of a cursor at its end: empty, not an error */
	struct bld_cur e = bld_cur_rest(&c);
	CU_ASSERT_FALSE(e.err);
	CU_ASSERT_EQUAL(e.len, 0);
	CU_ASSERT_FALSE(c.err);
	free(b);
}

/* Byte order: the same four bytes read four ways, at an odd (unaligned) address. */
static void test_byte_order(void)
{
	uint32_t len;
	uint8_t *b = bld_test_hex("00 | 12 34 56 78 | ff fe fd fc", &len);
	struct bld_cur c = bld_cur_make(b, len);
	bld_cur_skip(&c, 1);
	struct bld_cur d = c;
	CU_ASSERT_EQUAL(bld_cur_be32(&c), 0x12345678u);
	CU_ASSERT_EQUAL(bld_cur_le32(&d), 0x78563412u);
	CU_ASSERT_EQUAL(bld_cur_be32(&c), 0xfffefdfcu);
	CU_ASSERT_EQUAL(bld_cur_le32(&d), 0xfcfdfeffu);

	c = bld_cur_make(b + 1, 4);
	d = c;
	CU_ASSERT_EQUAL(bld_cur_be16(&c), 0x1234);
	CU_ASSERT_EQUAL(bld_cur_le16(&d), 0x3412);
	CU_ASSERT_EQUAL(bld_cur_be16(&c), 0x5678);
	CU_ASSERT_EQUAL(bld_cur_le16(&d), 0x7856);

	c = bld_cur_make(b + 5, 4);
	CU_ASSERT_EQUAL(bld_cur_be16(&c), 0xfffe);  /* no sign extension */
	CU_ASSERT_EQUAL(bld_cur_le16(&c), 0xfcfd);
	CU_ASSERT_EQUAL(bld_cur_u8(&c), 0);
	free(b);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "make and empty cursor", test_make },
		{ "u8/be16/le16/be32/le32 at every boundary", test_readers_every_boundary },
		{ "bytes/peek/skip/copy at every boundary", test_spans_every_boundary },
		{ "lengths near UINT32_MAX", test_huge_lengths },
		{ "sticky error", test_sticky_error },
		{ "take: bounded sub-cursor", test_take },
		{ "rest", test_rest },
		{ "byte order and alignment", test_byte_order },
	};
	return bld_test_run("dissectors/cursor", tests, BLD_TEST_COUNT(tests));
}
