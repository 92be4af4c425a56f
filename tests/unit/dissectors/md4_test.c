/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dissectors/md4.c: RFC 1320's test suite (§A.5) with the
 * RFC's initial values, DIN VDE V 0831-200 Annex A's example message with
 * the default and a modified initial value (as SBB's RaSTA implementation
 * quotes them, unit_test_srmd4.cc), and the padding boundaries against
 * OpenSSL's MD4.
 */
#include "bld_test.h"
#include "md4.h"

static void hex16(const uint8_t d[16], char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static const char *digest(const void *p, size_t n, const uint32_t iv[4])
{
	static char out[33];
	uint8_t d[16];
	bld_md4(p, n, iv, d);
	hex16(d, out);
	return out;
}

/* RFC 1320 §A.5. */
static void test_rfc1320_suite(void)
{
	static const struct {
		const char *in, *md;
	} v[] = {
		{ "", "31d6cfe0d16ae931b73c59d7e0c089c0" },
		{ "a", "bde52cb31de33e46245e05fbdbd6fb24" },
		{ "abc", "a448017aaf21d8525fc10ae87aa6729d" },
		{ "message digest", "d9130a8164549fe818874806e1c7014b" },
		{ "abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		  "043f8582f241db351ce627e153e7f0e4" },
		{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		  "e33b4ddc9c38f2199c3e7b164fcc0536" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(v); i++)
		CU_ASSERT_STRING_EQUAL(digest(v[i].in, strlen(v[i].in), bld_md4_rfc_iv), v[i].md);
}

/* DIN VDE V 0831-200 Annex A: a heartbeat's 28 header bytes; default and modified A, B. */
static void test_rasta_annex_a(void)
{
	static const uint8_t msg[28] = { 0x24, 0x00, 0x4c, 0x18, 0x3f, 0xb4, 0x96, 0x00, 0xce, 0xca,
					 0x23, 0x00, 0x56, 0x44, 0x33, 0x22, 0x66, 0x55, 0x44, 0x33,
					 0x57, 0x01, 0x00, 0x00, 0xcb, 0x00, 0x00, 0x00 };
	static const uint32_t modified[4] = { 0xafb16782u, 0x304c59deu, 0x98badcfeu, 0x10325476u };
	CU_ASSERT_STRING_EQUAL(digest(msg, sizeof(msg), bld_md4_rfc_iv), "83f0d052406bf492f89f8d1e9b89c98d");
	CU_ASSERT_STRING_EQUAL(digest(msg, sizeof(msg), modified), "939f1c8659cff503953c4ed32596895d");
	/* The initial value matters: any one word changed changes the digest. */
	for (int w = 0; w < 4; w++) {
		uint32_t iv[4] = { bld_md4_rfc_iv[0], bld_md4_rfc_iv[1], bld_md4_rfc_iv[2], bld_md4_rfc_iv[3] };
		iv[w] ^= 1;
		CU_ASSERT_STRING_NOT_EQUAL(digest(msg, sizeof(msg), iv), "83f0d052406bf492f89f8d1e9b89c98d");
	}
}

/*
 * The padding boundaries (RFC 1320 §3.1-3.2): "a" repeated 55 (one block),
 * 56 and 57 (the length no longer fits: two blocks), 63, 64, 65, 119, 120
 * and 1000 times.  Digests from OpenSSL 3's legacy MD4 (`openssl dgst -md4
 * -provider legacy`), which agrees with scripts/scenario/rail.py's Python
 * MD4.  Each input is a heap block of exactly n bytes (ASan: no overread).
 */
static void test_padding_boundaries(void)
{
	static const struct {
		size_t n;
		const char *md;
	} v[] = {
		{ 55, "c889c81dd86c4d2e025778944ea02881" },   { 56, "d5f9a9e9257077a5f08b0b92f348b0ad" },
		{ 57, "872097e6f78e3b53f890459d03bc6fb7" },   { 63, "7ea3da77432d44c323671097d1348fc8" },
		{ 64, "52f5076fabd22680234a3fa9f9dc5732" },   { 65, "330e377bf231f3cacfecc2c182fe7e5b" },
		{ 119, "e65dd227ccef97fa1d34d70189120f76" },  { 120, "b03ddbd470b47c013e0c7ab2ddd763db" },
		{ 1000, "5f1bf26a8067c9159b91f1440f7c9e8a" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(v); i++) {
		uint8_t *b = malloc(v[i].n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		memset(b, 'a', v[i].n);
		CU_ASSERT_STRING_EQUAL(digest(b, v[i].n, bld_md4_rfc_iv), v[i].md);
		free(b);
	}
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "rfc1320_suite", test_rfc1320_suite },
		{ "rasta_annex_a", test_rasta_annex_a },
		{ "padding_boundaries", test_padding_boundaries },
	};
	return bld_test_run("dissectors/md4", tests, BLD_TEST_COUNT(tests));
}
