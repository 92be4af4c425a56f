/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for RELP framing (export/relp.c, librelp's doc/relp.html):
 *
 *   frame  = TXNR SP COMMAND SP DATALEN [SP DATA] LF
 *
 * bld_relp_parse() on real frames (librelp's own open offer, answers, the
 * server's serverclose), every strict prefix of each (need more: 0), two
 * frames in one buffer, and frames that are not RELP (-1, and never a
 * length for a prefix of one); bld_relp_header() through the parser and
 * back; bld_relp_status(); transaction numbers wrapping.
 *
 * Every buffer handed to the parser is a heap block of exactly its length
 * (bld_test_dup), so that AddressSanitizer sees a read one byte past it.
 */
#include <stdbool.h>

#include "bld_test.h"
#include "relp.h"

/* bld_relp_parse on a heap copy of exactly n bytes of s. */
static long parse_n(const char *s, size_t n, struct bld_relp_frame *f)
{
	uint8_t *b = bld_test_dup((const uint8_t *)s, (uint32_t)n);
	long r = bld_relp_parse((const char *)b, n, f);
	/* data points into the buffer: keep its offset, not the pointer, past the free */
	if (r > 0)
		f->data = s + ((const char *)f->data - (const char *)b);
	free(b);
	return r;
}

/* ---- frames that parse ---- */

/* librelp 1.2.7's open offer: DATA is the three lines without the frame's own LF. */
#define LIBRELP_OFFER "relp_version=0\nrelp_software=librelp,1.2.7,http://librelp.adiscon.com\ncommands=syslog"

static const struct good {
	const char *what, *frame;
	uint32_t txnr;
	const char *cmd, *data;   /* data: exactly DATALEN bytes */
	unsigned status;          /* bld_relp_status() of it */
} goods[] = {
	{ "librelp open", "1 open 85 " LIBRELP_OFFER "\n", 1, "open", LIBRELP_OFFER, 0 },
	{ "answer 200 OK", "2 rsp 6 200 OK\n", 2, "rsp", "200 OK", 200 },
	{ "answer without data", "3 rsp 0\n", 3, "rsp", "", 0 },
	{ "serverclose", "0 serverclose 0\n", 0, "serverclose", "", 0 },
	{ "open answer", "1 rsp 37 200 OK\nrelp_version=0\ncommands=syslog\n", 1, "rsp",
	  "200 OK\nrelp_version=0\ncommands=syslog", 200 },
	{ "answer 500", "7 rsp 9 500 error\n", 7, "rsp", "500 error", 500 },
	{ "syslog", "42 syslog 13 <13>1 - - - -\n", 42, "syslog", "<13>1 - - - -", 0 },
	{ "DATA holds LF and SP", "5 syslog 5 a\n b\n\n", 5, "syslog", "a\n b\n", 0 },
	{ "TXNR of 9 digits", "999999999 close 0\n", 999999999, "close", "", 0 },
	{ "command of 32 letters", "4 abcdefghijklmnopqrstuvwxyzABCDEF 1 x\n", 4, "abcdefghijklmnopqrstuvwxyzABCDEF", "x",
	  0 },
};

static void test_librelp_open_length(void)
{
	/* the 85 in librelp's frame is DATA's length: the three lines and the two LF between them */
	CU_ASSERT_EQUAL(strlen(LIBRELP_OFFER), 85);
	CU_ASSERT_EQUAL(strlen("200 OK\nrelp_version=0\ncommands=syslog"), 37);
}

static void test_good_frames(void)
{
	for (size_t i = 0; i < BLD_TEST_COUNT(goods); i++) {
		const struct good *g = &goods[i];
		size_t n = strlen(g->frame);
		struct bld_relp_frame f;
		memset(&f, 0x5a, sizeof(f));
		long r = parse_n(g->frame, n, &f);
		if (r != (long)n)
			fprintf(stderr, "\n  %s: parse gave %ld, want %zu\n", g->what, r, n);
		CU_ASSERT_EQUAL(r, (long)n);
		if (r != (long)n)
			continue;
		CU_ASSERT_EQUAL(f.txnr, g->txnr);
		CU_ASSERT_STRING_EQUAL(f.cmd, g->cmd);
		CU_ASSERT_EQUAL(f.datalen, strlen(g->data));
		CU_ASSERT(memcmp(f.data, g->data, f.datalen) == 0);
		CU_ASSERT_EQUAL(bld_relp_status(&f), g->status);
	}
}

/* Every strict prefix of a frame is "need more", from the empty one to the last byte before LF. */
static void test_prefixes_need_more(void)
{
	for (size_t i = 0; i < BLD_TEST_COUNT(goods); i++) {
		size_t n = strlen(goods[i].frame);
		unsigned wrong = 0;
		for (size_t k = 0; k < n; k++) {
			struct bld_relp_frame f;
			long r = parse_n(goods[i].frame, k, &f);
			if (r != 0 && !wrong++)
				fprintf(stderr, "\n  %s: the first %zu bytes gave %ld, want 0\n", goods[i].what, k, r);
		}
		CU_ASSERT_EQUAL(wrong, 0);
	}
}

/* Two frames in one buffer: the first's length, then the second from there; a third part-frame needs more. */
static void test_back_to_back(void)
{
	static const char two[] = "2 rsp 6 200 OK\n3 rsp 9 500 error\n4 rsp 6 20";
	size_t n = sizeof(two) - 1;
	uint8_t *b = bld_test_dup((const uint8_t *)two, (uint32_t)n);
	const char *p = (const char *)b;
	struct bld_relp_frame f;
	long r = bld_relp_parse(p, n, &f);
	CU_ASSERT_EQUAL_FATAL(r, 15);
	CU_ASSERT(f.txnr == 2 && bld_relp_status(&f) == 200);
	long r2 = bld_relp_parse(p + r, n - (size_t)r, &f);
	CU_ASSERT_EQUAL_FATAL(r2, 18);
	CU_ASSERT(f.txnr == 3 && strcmp(f.cmd, "rsp") == 0 && bld_relp_status(&f) == 500);
	CU_ASSERT(f.data == p + r + 8 && memcmp(f.data, "500 error", 9) == 0);
	CU_ASSERT_EQUAL(bld_relp_parse(p + r + r2, n - (size_t)(r + r2), &f), 0);
	free(b);
}

/* ---- frames that are not RELP ---- */

static void test_malformed(void)
{
	static const struct {
		const char *what, *frame;
	} bad[] = {
		{ "no SP after TXNR", "1open 0\n" },
		{ "no SP after COMMAND", "1 open0\n" },
		{ "two SP after TXNR", "1  open 0\n" },
		{ "SP first", " 1 open 0\n" },
		{ "no TXNR", "rsp 0\n" },
		{ "letters in TXNR", "1a rsp 0\n" },
		{ "letters only in TXNR", "x rsp 0\n" },
		{ "negative TXNR", "-1 rsp 0\n" },
		{ "TXNR of 10 digits", "1000000000 rsp 0\n" },
		{ "TXNR of 10 digits, leading zero", "0000000001 rsp 0\n" },
		{ "DATALEN of 10 digits", "2 syslog 1000000000 x\n" },
		{ "DATALEN missing", "2 rsp \n" },
		{ "DATALEN with letters", "2 rsp 6x 200 OK\n" },
		{ "command of 33 letters", "4 abcdefghijklmnopqrstuvwxyzABCDEFG 0\n" },
		{ "digit in command", "4 rsp2 0\n" },
		{ "dash in command", "4 r-p 0\n" },
		{ "DATALEN 0 then SP", "3 rsp 0 \n" },
		{ "DATALEN 0 then SP and data", "3 rsp 0 x\n" },
		{ "DATALEN > 0 then LF", "2 rsp 6\n" },
		{ "wrong trailer", "2 rsp 6 200 OKX" },
		{ "CR LF trailer", "2 rsp 6 200 OK\r\n" },
		{ "DATALEN 0, CR LF trailer", "3 rsp 0\r\n" },
		{ "DATALEN too small", "2 rsp 5 200 OK\n" },
		{ "DATALEN larger than the data, then the next frame", "2 rsp 10 200 OK\n3 rsp 0\n" },
		{ "empty line", "\n" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(bad); i++) {
		size_t n = strlen(bad[i].frame);
		struct bld_relp_frame f;
		long r = parse_n(bad[i].frame, n, &f);
		if (r != -1)
			fprintf(stderr, "\n  %s: parse gave %ld, want -1\n", bad[i].what, r);
		CU_ASSERT_EQUAL(r, -1);
		/* no prefix is a frame, and once broken always broken: a receiver can stop at the first bad byte */
		bool broken = false;
		unsigned wrong = 0;
		for (size_t k = 0; k <= n; k++) {
			long rk = parse_n(bad[i].frame, k, &f);
			if (rk > 0 || (broken && rk != -1))
				wrong++;
			broken = broken || rk == -1;
		}
		if (wrong)
			fprintf(stderr, "\n  %s: %u prefixes gave a frame or healed\n", bad[i].what, wrong);
		CU_ASSERT_EQUAL(wrong, 0);
	}
	/* a DATALEN larger than the data is "need more" until the byte where the LF should be */
	static const char longer[] = "2 rsp 10 200 OK\n";
	struct bld_relp_frame f;
	CU_ASSERT_EQUAL(parse_n(longer, sizeof(longer) - 1, &f), 0);
}

/* ---- the header, through the parser and back ---- */

static void test_header_round_trip(void)
{
	static const struct {
		uint32_t txnr;
		const char *cmd, *data;
	} cases[] = {
		{ 1, "open", "relp_version=0\nrelp_software=bollard,1\ncommands=syslog" },
		{ 2, "syslog", "<134>1 2024-05-14T06:00:36.011097Z sensor-t bollard 4242 flow.not_allowed - x" },
		{ 3, "close", "" },
		{ 999999999, "syslog", "m" },
		{ 77, "abcdefghijklmnopqrstuvwxyzABCDEF", "thirty-two" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		char buf[BLD_RELP_HEADER_MAX + 256];
		size_t dl = strlen(cases[i].data);
		size_t h = bld_relp_header(buf, cases[i].txnr, cases[i].cmd, dl);
		CU_ASSERT(h > 0 && h < BLD_RELP_HEADER_MAX);
		CU_ASSERT_EQUAL(buf[h - 1], dl ? ' ' : '0');   /* the SP before DATA only when there is DATA */
		memcpy(buf + h, cases[i].data, dl);
		buf[h + dl] = '\n';
		struct bld_relp_frame f;
		long r = parse_n(buf, h + dl + 1, &f);
		CU_ASSERT_EQUAL(r, (long)(h + dl + 1));
		if (r <= 0)
			continue;
		CU_ASSERT_EQUAL(f.txnr, cases[i].txnr);
		CU_ASSERT_STRING_EQUAL(f.cmd, cases[i].cmd);
		CU_ASSERT_EQUAL(f.datalen, dl);
		CU_ASSERT(memcmp(f.data, cases[i].data, dl) == 0);
	}
	/* the longest header fits the buffer the header file asks for */
	char buf[BLD_RELP_HEADER_MAX];
	size_t h = bld_relp_header(buf, BLD_RELP_TXNR_MAX, "abcdefghijklmnopqrstuvwxyzABCDEF", 999999999);
	CU_ASSERT_EQUAL(h, 9 + 1 + 32 + 1 + 9 + 1);
	CU_ASSERT(memcmp(buf, "999999999 abcdefghijklmnopqrstuvwxyzABCDEF 999999999 ", h) == 0);
	CU_ASSERT_EQUAL(bld_relp_header(buf, 5, "close", 0), 9);
	CU_ASSERT(memcmp(buf, "5 close 0", 9) == 0);
}

/* ---- status, transaction numbers ---- */

static void test_status(void)
{
	static const struct {
		const char *data;
		unsigned want;
	} cases[] = {
		{ "200 OK", 200 }, { "500 error", 500 }, { "200", 200 }, { "200\nrelp_version=0", 200 },
		{ "20", 0 },       { "2000", 0 },         { "", 0 },      { "2x0 OK", 0 },
		{ " 200 OK", 0 },  { "OK", 0 },           { "418-x", 0 },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		size_t n = strlen(cases[i].data);
		uint8_t *b = bld_test_dup((const uint8_t *)cases[i].data, (uint32_t)n);
		struct bld_relp_frame f = { .txnr = 2, .cmd = "rsp", .datalen = n, .data = (const char *)b };
		unsigned s = bld_relp_status(&f);
		if (s != cases[i].want)
			fprintf(stderr, "\n  status of '%s': %u, want %u\n", cases[i].data, s, cases[i].want);
		CU_ASSERT_EQUAL(s, cases[i].want);
		free(b);
	}
}

static void test_next(void)
{
	CU_ASSERT_EQUAL(bld_relp_next(0), 1);
	CU_ASSERT_EQUAL(bld_relp_next(1), 2);
	CU_ASSERT_EQUAL(bld_relp_next(999999998), 999999999);
	CU_ASSERT_EQUAL(bld_relp_next(999999999), 1);   /* wraps to 1: 0 is the server's own */
	CU_ASSERT_EQUAL(BLD_RELP_TXNR_MAX, 999999999u);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "librelp's open frame: DATALEN 85 is right", test_librelp_open_length },
		{ "frames parse: TXNR, command, DATA, status", test_good_frames },
		{ "every strict prefix needs more", test_prefixes_need_more },
		{ "two frames back to back", test_back_to_back },
		{ "malformed frames: -1, never a frame", test_malformed },
		{ "header round-trips through the parser", test_header_round_trip },
		{ "status of an answer", test_status },
		{ "transaction numbers wrap to 1", test_next },
	};
	return bld_test_run("export/relp", tests, BLD_TEST_COUNT(tests));
}
