/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the application-layer session (dataplane/session.c): the
 * parser loop over TCP reassembly and datagrams.
 *
 * A toy protocol keeps the framework's behaviour separate from any real
 * dissector's: a PDU is  AB | n | n bytes  (magic, length, payload), its
 * probe matches the magic with a length, and a PDU starting AC makes the
 * parser "forget" to consume (OK of 0 bytes), to exercise the progress guard.
 * Each PDU becomes an op "request n=<n> payload=<hex>".
 */
#include "bld_test.h"

#include "session.h"

static enum bld_probe toy_probe(const uint8_t *p, uint32_t len, bool to_server)
{
	(void)to_server;
	if (len == 0 || p[0] != 0xAB)
		return BLD_PROBE_NO;
	return len >= 2 ? BLD_PROBE_MATCH : BLD_PROBE_NEED_MORE;
}

static struct bld_parse_result toy_parse(struct bld_parse_ctx *pc, const uint8_t *p, uint32_t len)
{
	if (len >= 1 && p[0] == 0xAC)
		return bld_parse_ok(0); /* a buggy parser */
	if (len >= 1 && p[0] != 0xAB)
		return bld_parse_error(1);
	if (len < 2)
		return bld_parse_incomplete(0);
	uint32_t total = 2u + p[1];
	if (len < total)
		return bld_parse_incomplete(total);
	struct bld_op *op = bld_op_begin(pc, pc->to_server ? BLD_OP_REQUEST : BLD_OP_RESPONSE);
	bld_op_uint(op, "n", p[1]);
	bld_op_hex(op, "payload", p + 2, p[1]);
	bld_op_emit(pc);
	return bld_parse_ok(total);
}

static unsigned gaps[2]; /* gap callbacks by direction (1: to the server) */

static void toy_gap(void *state, bool to_server)
{
	(void)state;
	gaps[to_server]++;
}

static const struct bld_dissector toy = {
	.name = "toy", .transports = BLD_TRANSPORT_TCP | BLD_TRANSPORT_UDP, .probe = toy_probe, .parse = toy_parse,
	.gap = toy_gap,
};

/* ---- a collecting sink ------------------------------------------------------ */

static char ops[32][256];
static uint64_t op_ts[32];
static unsigned n_ops;
static unsigned events[BLD_EVENT_MAX];
static uint64_t counters[BLD_STREAM_COUNTER_MAX];
static struct bld_op scratch;
static struct bld_stream_config cfg;

static void on_op(void *ctx, const struct bld_op *op)
{
	(void)ctx;
	if (n_ops < 32) {
		bld_op_format(op, ops[n_ops], sizeof(ops[0]));
		op_ts[n_ops] = op->ts_ns;
	}
	n_ops++;
}

static void on_event(void *ctx, enum bld_event ev, uint64_t ts, bool to_server)
{
	(void)ctx, (void)ts, (void)to_server;
	events[ev]++;
}

static const struct bld_sink sink = { .op = on_op, .event = on_event };

static struct bld_session_env env(void)
{
	return (struct bld_session_env){ .sink = &sink, .op = &scratch, .stream_cfg = &cfg,
					 .stream_counters = counters, .ts_ns = 1 };
}

/* A fresh session already parsing the toy protocol. */
static struct bld_session *fresh(void)
{
	n_ops = 0;
	memset(events, 0, sizeof(events));
	memset(counters, 0, sizeof(counters));
	memset(&cfg, 0, sizeof(cfg));
	memset(gaps, 0, sizeof(gaps));
	struct bld_session *s = bld_session_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct bld_session_env e = env();
	CU_ASSERT_EQUAL(bld_session_set_dissector(s, &e, &toy), 0);
	return s;
}

/* Client segment at seq (relative to ISN 1000, whose SYN was seen) of annotated hex. */
static uint64_t now = 1; /* packet time of what seg() feeds */

static void seg(struct bld_session *s, bool to_server, uint32_t seq, const char *hex)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	struct bld_session_env e = env();
	e.ts_ns = now;
	bld_session_tcp(s, &e, to_server, 1000 + seq, false, false, false, 0, b, len);
	free(b);
}

static void syn(struct bld_session *s, bool to_server)
{
	struct bld_session_env e = env();
	bld_session_tcp(s, &e, to_server, 1000, true, false, false, 0, NULL, 0);
}

static void finish(struct bld_session *s)
{
	struct bld_session_env e = env();
	bld_session_finish(s, &e);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_split_pdu(void)
{
	struct bld_session *s = fresh();
	syn(s, true);
	seg(s, true, 1, "AB 04 | 01");
	CU_ASSERT_EQUAL(n_ops, 0);
	seg(s, true, 4, "02 03");
	CU_ASSERT_EQUAL(n_ops, 0);
	seg(s, true, 6, "04");
	CU_ASSERT_EQUAL(n_ops, 1);
	CU_ASSERT_STRING_EQUAL(ops[0], "request n=4 payload=01020304");
	finish(s);
	CU_ASSERT_EQUAL(counters[BLD_STREAM_MIDSTREAM], 0);
}

static void test_coalesced_pdus(void)
{
	struct bld_session *s = fresh();
	syn(s, true);
	seg(s, true, 1, "AB 01 aa | AB 00 | AB 02 bb cc | AB 03 dd");
	CU_ASSERT_EQUAL(n_ops, 3);
	CU_ASSERT_STRING_EQUAL(ops[0], "request n=1 payload=aa");
	CU_ASSERT_STRING_EQUAL(ops[1], "request n=0 payload=");
	CU_ASSERT_STRING_EQUAL(ops[2], "request n=2 payload=bbcc");
	seg(s, true, 13, "ee ff");
	CU_ASSERT_EQUAL(n_ops, 4);
	CU_ASSERT_STRING_EQUAL(ops[3], "request n=3 payload=ddeeff");
	finish(s);
}

static void test_both_directions(void)
{
	struct bld_session *s = fresh();
	seg(s, true, 1, "AB 01 01");
	seg(s, false, 1, "AB 01 02");
	CU_ASSERT_EQUAL(n_ops, 2);
	CU_ASSERT_STRING_EQUAL(ops[0], "request n=1 payload=01");
	CU_ASSERT_STRING_EQUAL(ops[1], "response n=1 payload=02");
	finish(s);
}

static void test_out_of_order(void)
{
	struct bld_session *s = fresh();
	syn(s, true);
	seg(s, true, 4, "02 | AB 01 03");
	CU_ASSERT_EQUAL(n_ops, 0);
	seg(s, true, 1, "AB 02 01");
	CU_ASSERT_EQUAL(n_ops, 2);
	CU_ASSERT_STRING_EQUAL(ops[0], "request n=2 payload=0102");
	CU_ASSERT_STRING_EQUAL(ops[1], "request n=1 payload=03");
	CU_ASSERT_EQUAL(counters[BLD_STREAM_OUT_OF_ORDER], 1);
	finish(s);
}

static void test_retransmission(void)
{
	struct bld_session *s = fresh();
	syn(s, true);
	seg(s, true, 1, "AB 02 01 02");
	seg(s, true, 1, "AB 02 01 02");
	CU_ASSERT_EQUAL(n_ops, 1);
	CU_ASSERT_EQUAL(counters[BLD_STREAM_RETRANSMISSION], 1);
	CU_ASSERT_EQUAL(events[BLD_EVENT_STREAM_OVERLAP_CONFLICT], 0);
	finish(s);
}

static void test_conflicting_overlap_first_copy_wins(void)
{
	struct bld_session *s = fresh();
	syn(s, true);
	seg(s, true, 4, "02 03");         /* held out of order */
	seg(s, true, 4, "ff ff | AB 00"); /* different bytes for 4..5, then new ones */
	CU_ASSERT_EQUAL(events[BLD_EVENT_STREAM_OVERLAP_CONFLICT], 1);
	seg(s, true, 1, "AB 04 01");
	CU_ASSERT_EQUAL(n_ops, 1);
	CU_ASSERT_STRING_EQUAL(ops[0], "request n=4 payload=010203" "ab");
	finish(s);
}

static void test_gap_resynchronises_at_next_pdu(void)
{
	struct bld_session *s = fresh();
	syn(s, true);
	seg(s, true, 1, "AB 01 01 | AB 05 02");  /* the second PDU loses its tail ... */
	seg(s, true, 11, "33 | AB 01 04");        /* ... in a hole 6..10; after it, a tail end, then a PDU */
	CU_ASSERT_EQUAL(n_ops, 1);
	finish(s);                                /* the hole will never be filled */
	CU_ASSERT_EQUAL(n_ops, 2);
	CU_ASSERT_STRING_EQUAL(ops[1], "request n=1 payload=04");
	CU_ASSERT_EQUAL(events[BLD_EVENT_STREAM_GAP], 1);
	CU_ASSERT_EQUAL(events[BLD_EVENT_APP_RESYNC], 1);
	CU_ASSERT_EQUAL(gaps[1], 1); /* the dissector was told, for its half-assembled PDUs */
	CU_ASSERT_EQUAL(gaps[0], 0);
}

static void test_midstream_start(void)
{
	struct bld_session *s = fresh();
	/* No SYN: the first data segment is the start, wherever it is in sequence space. */
	seg(s, true, 500000, "AB 01 07");
	CU_ASSERT_EQUAL(n_ops, 1);
	CU_ASSERT_EQUAL(counters[BLD_STREAM_MIDSTREAM], 1);
	finish(s);
}

static void test_midstream_mid_pdu_resyncs(void)
{
	struct bld_session *s = fresh();
	seg(s, true, 7, "01 02 | AB 01 09"); /* joined in the middle of a PDU */
	CU_ASSERT_EQUAL(n_ops, 1);
	CU_ASSERT_STRING_EQUAL(ops[0], "request n=1 payload=09");
	CU_ASSERT_EQUAL(events[BLD_EVENT_APP_RESYNC], 1);
	finish(s);
}

static void test_stuck_parser_is_contained(void)
{
	struct bld_session *s = fresh();
	seg(s, true, 1, "AC AC | AB 01 05");
	CU_ASSERT_EQUAL(events[BLD_EVENT_APP_PARSER_STUCK], 1);
	CU_ASSERT_EQUAL(n_ops, 1);
	CU_ASSERT_STRING_EQUAL(ops[0], "request n=1 payload=05");
	finish(s);
}

static void test_bytes_kept_until_classified(void)
{
	n_ops = 0;
	memset(events, 0, sizeof(events));
	memset(&cfg, 0, sizeof(cfg));
	struct bld_session *s = bld_session_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	syn(s, true);
	now = 100;
	seg(s, true, 1, "AB 01 01");
	now = 200;
	seg(s, false, 1, "AB 01 02");
	now = 300;
	seg(s, true, 4, "AB 01");
	CU_ASSERT_EQUAL(n_ops, 0);
	struct bld_session_env e = env();
	e.ts_ns = 400;
	CU_ASSERT_EQUAL(bld_session_set_dissector(s, &e, &toy), 0);
	CU_ASSERT_EQUAL(n_ops, 2);
	CU_ASSERT_EQUAL(op_ts[0], 100); /* each PDU carries the time its bytes came, not the verdict's */
	CU_ASSERT_EQUAL(op_ts[1], 200);
	now = 500;
	seg(s, true, 6, "03");
	CU_ASSERT_EQUAL(op_ts[2], 500);
	now = 1;
	CU_ASSERT_EQUAL(n_ops, 3);
	CU_ASSERT_STRING_EQUAL(ops[0], "request n=1 payload=01");
	CU_ASSERT_STRING_EQUAL(ops[1], "response n=1 payload=02");
	CU_ASSERT_STRING_EQUAL(ops[2], "request n=1 payload=03");
	finish(s);
}

static void test_pdu_larger_than_the_cap(void)
{
	struct bld_session *s = fresh();
	cfg.max_buffered = 64;
	seg(s, true, 1, "AB ff 00 00 00 00 | AB 01 06");
	CU_ASSERT_EQUAL(events[BLD_EVENT_APP_PDU_TOO_LARGE], 1);
	CU_ASSERT_EQUAL(n_ops, 1);
	CU_ASSERT_STRING_EQUAL(ops[0], "request n=1 payload=06");
	finish(s);
}

static void test_datagrams(void)
{
	struct bld_session *s = fresh();
	struct bld_session_env e = env();
	uint32_t len;
	uint8_t *b = bld_test_hex("AB 01 01 | AB 02 02 03", &len);
	bld_session_datagram(s, &e, true, b, len);
	CU_ASSERT_EQUAL(n_ops, 2);
	bld_session_datagram(s, &e, false, b, len - 1); /* truncated: its second PDU is lost */
	CU_ASSERT_EQUAL(n_ops, 3);
	free(b);
	b = bld_test_hex("00 11 | AB 00", &len); /* garbage first: resynchronised within the datagram */
	bld_session_datagram(s, &e, true, b, len);
	CU_ASSERT_EQUAL(n_ops, 4);
	CU_ASSERT_EQUAL(events[BLD_EVENT_APP_RESYNC], 1); /* the parser's ERROR skipped 00, the resync 11 */
	free(b);
	finish(s);
}

static void test_memory_is_bounded(void)
{
	struct bld_session *s = fresh();
	cfg.max_buffered = 4096;
	syn(s, true);
	/* A PDU header that never completes, then a flood behind a hole: held bytes stay under the cap. */
	seg(s, true, 1, "AB ff");
	uint8_t junk[1000];
	memset(junk, 0x11, sizeof(junk));
	struct bld_session_env e = env();
	for (uint32_t i = 0; i < 100; i++)
		bld_session_tcp(s, &e, true, 1000 + 10 + i * 1000, false, false, false, 0, junk, sizeof(junk));
	CU_ASSERT_TRUE(bld_session_memory(s) < 3 * 4096 + 1024);
	CU_ASSERT_TRUE(events[BLD_EVENT_STREAM_CAPACITY] > 0);
	finish(s);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "a PDU split over segments", test_split_pdu },
		{ "several PDUs in one segment", test_coalesced_pdus },
		{ "both directions", test_both_directions },
		{ "out-of-order segments", test_out_of_order },
		{ "retransmission parsed once", test_retransmission },
		{ "conflicting overlap: event, first copy wins", test_conflicting_overlap_first_copy_wins },
		{ "gap: event, resynchronised at the next PDU", test_gap_resynchronises_at_next_pdu },
		{ "capture starts mid-stream", test_midstream_start },
		{ "mid-stream inside a PDU: resynchronised", test_midstream_mid_pdu_resyncs },
		{ "a parser that makes no progress is contained", test_stuck_parser_is_contained },
		{ "bytes before the verdict are parsed at it", test_bytes_kept_until_classified },
		{ "a PDU larger than the stream cap", test_pdu_larger_than_the_cap },
		{ "datagrams", test_datagrams },
		{ "memory stays bounded", test_memory_is_bounded },
	};
	return bld_test_run("session", tests, BLD_TEST_COUNT(tests));
}
