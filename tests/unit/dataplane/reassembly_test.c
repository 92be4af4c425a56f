/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/reassembly.c.
 *
 * Every byte sent is a function of its sequence number (pattern()), so any
 * byte delivered can be checked against the number it was sent at; a test
 * that sends different bytes for the same numbers (an overlap conflict) says
 * so with another seed.  Parsers are toys: "drain" takes everything ready,
 * "pdus" reads PDUs framed by a 2-octet big-endian length (as Modbus/TCP and
 * IEC 104 frame theirs) through the byte cursor, the way a dissector will.
 */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bld_test.h"
#include "cursor.h"
#include "dataplane/reassembly.h"

static uint64_t ctr[BLD_STREAM_COUNTER_MAX];

/* The byte sent at seq, for seed 0; other seeds make conflicting copies. */
static uint8_t pattern(uint32_t seq, uint8_t seed)
{
	uint32_t x = seq * 2654435761u + seed * 0x9e3779b9u;
	return (uint8_t)(x >> 24 ^ x >> 13 ^ seq);
}

/* Exactly len heap bytes (ASan catches a read past them). */
static uint8_t *bytes_at(uint32_t seq, uint32_t len, uint8_t seed)
{
	uint8_t *b = malloc(len ? len : 1);
	CU_ASSERT_FATAL(b != NULL);
	for (uint32_t i = 0; i < len; i++)
		b[i] = pattern(seq + i, seed);
	return b;
}

static void feed(struct bld_stream *s, const struct bld_stream_config *cfg, uint32_t seq, uint32_t len, bool syn,
		 bool fin, uint8_t seed)
{
	uint8_t *b = bytes_at(seq + (syn ? 1 : 0), len, seed);
	bld_stream_segment(s, cfg, seq, syn, fin, b, len, ctr);
	free(b);
}

static void seg(struct bld_stream *s, const struct bld_stream_config *cfg, uint32_t seq, uint32_t len)
{
	feed(s, cfg, seq, len, false, false, 0);
}

/* What a toy parser received: bytes, with the sequence number of each, and gaps. */
struct sink {
	uint8_t b[1 << 17];
	uint32_t seq[1 << 17];
	uint32_t n;
	uint32_t pos;        /* sequence number of the next ready byte, as the parser tracks it */
	uint64_t lost;
	uint32_t gaps;
};

static struct sink out;

static void sink_reset(uint32_t first_seq)
{
	memset(&out, 0, sizeof(out));
	out.pos = first_seq;
}

/* Take n ready bytes. */
static void take(struct bld_stream *s, uint32_t n)
{
	uint32_t len;
	const uint8_t *p = bld_stream_ready(s, &len);
	CU_ASSERT_FATAL(n <= len);
	for (uint32_t i = 0; i < n && out.n < BLD_TEST_COUNT(out.b); i++) {
		out.seq[out.n] = out.pos + i;
		out.b[out.n++] = p[i];
	}
	out.pos += n;
	bld_stream_consume(s, n);
}

/* The parser's loop: everything ready, gaps skipped (the lost bytes move the position on). */
static void drain(struct bld_stream *s)
{
	for (;;) {
		uint32_t len;
		bld_stream_ready(s, &len);
		take(s, len);
		if (!bld_stream_gap_ahead(s))
			break;
		uint64_t lost = bld_stream_skip_gap(s, ctr);
		out.lost += lost;
		out.pos += (uint32_t)lost;
		out.gaps++;
	}
}

/* Every byte received is the one sent at its sequence number (seed 0). */
static bool sink_matches(void)
{
	for (uint32_t i = 0; i < out.n; i++)
		if (out.b[i] != pattern(out.seq[i], 0))
			return false;
	return true;
}

static bool sink_is_range(uint32_t seq, uint32_t len)
{
	if (out.n != len)
		return false;
	for (uint32_t i = 0; i < len; i++)
		if (out.seq[i] != seq + i || out.b[i] != pattern(seq + i, 0))
			return false;
	return true;
}

/* The counters are exactly these (all others zero); then they are cleared. */
static void expect(const uint64_t want[BLD_STREAM_COUNTER_MAX], int line)
{
	for (int i = 0; i < BLD_STREAM_COUNTER_MAX; i++) {
		if (ctr[i] != want[i])
			fprintf(stderr, "\n  line %d: %s = %llu, expected %llu", line, bld_stream_counter_names[i],
				(unsigned long long)ctr[i], (unsigned long long)want[i]);
		CU_ASSERT_EQUAL(ctr[i], want[i]);
	}
	memset(ctr, 0, sizeof(ctr));
}
#define EXPECT(...) expect((const uint64_t[BLD_STREAM_COUNTER_MAX]){ __VA_ARGS__ }, __LINE__)
#define EXPECT_NONE() expect((const uint64_t[BLD_STREAM_COUNTER_MAX]){ 0 }, __LINE__)

static struct bld_stream_usage usage(const struct bld_stream *s)
{
	struct bld_stream_usage u;
	bld_stream_usage(s, &u);
	CU_ASSERT_EQUAL(u.held, u.history + u.ready + u.after_gap + u.out_of_order);
	return u;
}

static uint32_t ready_len(const struct bld_stream *s)
{
	uint32_t n;
	bld_stream_ready(s, &n);
	return n;
}

static struct bld_stream fresh(uint32_t first_seq)
{
	struct bld_stream s;
	bld_stream_init(&s);
	memset(ctr, 0, sizeof(ctr));
	sink_reset(first_seq);
	return s;
}

/* ---- PDUs: 2-octet big-endian length, then that many octets ------------------ */

struct pdus {
	uint32_t n;
	uint32_t len[16];
	uint8_t first[16];  /* first body octet */
};

/* Parse whole PDUs from the ready bytes, consuming them one at a time. */
static void parse_pdus(struct bld_stream *s, struct pdus *p)
{
	for (;;) {
		uint32_t len;
		const uint8_t *r = bld_stream_ready(s, &len);
		struct bld_cur c = bld_cur_make(r, len);
		uint16_t body = bld_cur_be16(&c);
		const uint8_t *q = bld_cur_bytes(&c, body);
		if (c.err)
			return; /* need more */
		if (p->n < 16) {
			p->len[p->n] = body;
			p->first[p->n] = body ? q[0] : 0;
		}
		p->n++;
		bld_stream_consume(s, 2u + body);
	}
}

/* PDU bytes: length then body octets 1, 2, 3, ... + tag. */
static uint8_t *make_pdu(uint16_t body, uint8_t tag)
{
	uint8_t *b = malloc(2u + body);
	b[0] = (uint8_t)(body >> 8);
	b[1] = (uint8_t)body;
	for (uint32_t i = 0; i < body; i++)
		b[2 + i] = (uint8_t)(tag + i);
	return b;
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_in_order(void)
{
	struct bld_stream s = fresh(1001);
	feed(&s, NULL, 1000, 0, true, false, 0); /* SYN: ISN 1000, data from 1001 */
	CU_ASSERT_EQUAL(usage(&s).allocated, 0);
	seg(&s, NULL, 1001, 100);
	CU_ASSERT_EQUAL(ready_len(&s), 100);
	drain(&s);
	seg(&s, NULL, 1101, 200);
	seg(&s, NULL, 1301, 50); /* two before the parser runs: both ready */
	CU_ASSERT_EQUAL(ready_len(&s), 250);
	drain(&s);
	CU_ASSERT(sink_is_range(1001, 350));
	EXPECT_NONE();

	/* consumed bytes stay as history until acknowledged, then nothing is held */
	struct bld_stream_usage u = usage(&s);
	CU_ASSERT_EQUAL(u.history, 350);
	CU_ASSERT_EQUAL(u.ready, 0);
	bld_stream_ack(&s, 1201);
	CU_ASSERT_EQUAL(usage(&s).history, 150);
	bld_stream_ack(&s, 1001); /* older: nothing more */
	CU_ASSERT_EQUAL(usage(&s).history, 150);
	bld_stream_ack(&s, 1351);
	u = usage(&s);
	CU_ASSERT_EQUAL(u.held, 0);
	CU_ASSERT_EQUAL(u.allocated, 0);
	bld_stream_fini(&s);
}

static void test_pdu_split(void)
{
	struct bld_stream s = fresh(1);
	struct pdus p = { 0 };
	uint8_t *pdu = make_pdu(298, 7); /* 300 octets over three segments */
	bld_stream_segment(&s, NULL, 0, true, false, NULL, 0, ctr);
	bld_stream_segment(&s, NULL, 1, false, false, pdu, 1, ctr); /* half the length field */
	parse_pdus(&s, &p);
	CU_ASSERT_EQUAL(p.n, 0);
	CU_ASSERT_EQUAL(ready_len(&s), 1);
	bld_stream_segment(&s, NULL, 2, false, false, pdu + 1, 150, ctr);
	parse_pdus(&s, &p);
	CU_ASSERT_EQUAL(p.n, 0);
	CU_ASSERT_EQUAL(ready_len(&s), 151); /* left unconsumed, extended */
	bld_stream_segment(&s, NULL, 152, false, false, pdu + 151, 149, ctr);
	parse_pdus(&s, &p);
	CU_ASSERT_EQUAL(p.n, 1);
	CU_ASSERT_EQUAL(p.len[0], 298);
	CU_ASSERT_EQUAL(p.first[0], 7);
	CU_ASSERT_EQUAL(ready_len(&s), 0);
	EXPECT_NONE();
	free(pdu);
	bld_stream_fini(&s);
}

static void test_pdus_in_one_segment(void)
{
	struct bld_stream s = fresh(1);
	uint8_t seg3[3 * 12 + 5];
	for (int i = 0; i < 3; i++) {
		uint8_t *pdu = make_pdu(10, (uint8_t)(i * 40));
		memcpy(seg3 + 12 * i, pdu, 12);
		free(pdu);
	}
	uint8_t *half = make_pdu(10, 200);
	memcpy(seg3 + 36, half, 5); /* and the start of a fourth */
	uint8_t *copy = bld_test_dup(seg3, sizeof(seg3));
	bld_stream_segment(&s, NULL, 100, false, false, copy, sizeof(seg3), ctr);
	struct pdus p = { 0 };
	parse_pdus(&s, &p);
	CU_ASSERT_EQUAL(p.n, 3);
	CU_ASSERT_EQUAL(p.first[0], 0);
	CU_ASSERT_EQUAL(p.first[1], 40);
	CU_ASSERT_EQUAL(p.first[2], 80);
	CU_ASSERT_EQUAL(ready_len(&s), 5);
	bld_stream_segment(&s, NULL, 100 + sizeof(seg3), false, false, half + 5, 7, ctr);
	parse_pdus(&s, &p);
	CU_ASSERT_EQUAL(p.n, 4);
	CU_ASSERT_EQUAL(p.first[3], 200);
	EXPECT([BLD_STREAM_MIDSTREAM] = 1);
	free(copy);
	free(half);
	bld_stream_fini(&s);
}

static void test_out_of_order(void)
{
	/* reverse: nothing until the first arrives, then all in order */
	struct bld_stream s = fresh(501);
	feed(&s, NULL, 500, 0, true, false, 0);
	for (int i = 4; i >= 1; i--) {
		seg(&s, NULL, 501 + 100 * (uint32_t)i, 100);
		CU_ASSERT_EQUAL(ready_len(&s), 0);
	}
	struct bld_stream_usage u = usage(&s);
	CU_ASSERT_EQUAL(u.segments, 4);
	CU_ASSERT_EQUAL(u.out_of_order, 400);
	seg(&s, NULL, 501, 100);
	CU_ASSERT_EQUAL(ready_len(&s), 500);
	drain(&s);
	CU_ASSERT(sink_is_range(501, 500));
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 4);
	u = usage(&s);
	CU_ASSERT_EQUAL(u.segments, 0);
	CU_ASSERT_EQUAL(u.out_of_order, 0);
	bld_stream_fini(&s);

	/* interleaved: 0 2 1 4 3, the parser running after each */
	s = fresh(501);
	feed(&s, NULL, 500, 0, true, false, 0);
	static const int order[] = { 0, 2, 1, 4, 3 };
	static const uint32_t ready_after[] = { 100, 0, 200, 0, 200 };
	for (int i = 0; i < 5; i++) {
		seg(&s, NULL, 501 + 100 * (uint32_t)order[i], 100);
		CU_ASSERT_EQUAL(ready_len(&s), ready_after[i]);
		drain(&s);
	}
	CU_ASSERT(sink_is_range(501, 500));
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 2);
	bld_stream_fini(&s);
}

static void test_retransmission(void)
{
	struct bld_stream s = fresh(1);
	feed(&s, NULL, 0, 0, true, false, 0);
	seg(&s, NULL, 1, 100);
	drain(&s);
	seg(&s, NULL, 1, 100); /* consumed already, same bytes */
	CU_ASSERT_EQUAL(ready_len(&s), 0);
	seg(&s, NULL, 301, 100); /* held out of order ... */
	seg(&s, NULL, 301, 100); /* ... and sent again */
	seg(&s, NULL, 101, 200);
	drain(&s);
	CU_ASSERT(sink_is_range(1, 400));
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 1, [BLD_STREAM_RETRANSMISSION] = 2);
	/* the SYN again, and a retransmission older than anything kept */
	feed(&s, NULL, 0, 0, true, false, 0);
	bld_stream_ack(&s, 401);
	seg(&s, NULL, 1, 50);
	CU_ASSERT_EQUAL(ready_len(&s), 0);
	EXPECT([BLD_STREAM_RETRANSMISSION] = 1);
	bld_stream_fini(&s);
}

static void test_partial_overlap(void)
{
	struct bld_stream s = fresh(1);
	feed(&s, NULL, 0, 0, true, false, 0);
	seg(&s, NULL, 1, 100);
	seg(&s, NULL, 51, 100); /* 50 known, 50 new: in order still */
	CU_ASSERT_EQUAL(ready_len(&s), 150);
	/* held ones: [301, 401) and [501, 601), then one across both and the hole between */
	seg(&s, NULL, 301, 100);
	seg(&s, NULL, 501, 100);
	CU_ASSERT_EQUAL(usage(&s).segments, 2);
	seg(&s, NULL, 351, 200);
	struct bld_stream_usage u = usage(&s);
	CU_ASSERT_EQUAL(u.segments, 1); /* merged */
	CU_ASSERT_EQUAL(u.out_of_order, 300);
	seg(&s, NULL, 141, 170); /* known at both ends, new between */
	drain(&s);
	CU_ASSERT(sink_is_range(1, 600));
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 3, [BLD_STREAM_RETRANSMISSION] = 3);
	CU_ASSERT_EQUAL(usage(&s).segments, 0);
	bld_stream_fini(&s);
}

static void test_conflict_held(void)
{
	struct bld_stream s = fresh(1);
	feed(&s, NULL, 0, 0, true, false, 0);
	seg(&s, NULL, 101, 100);             /* held: [101, 201) */
	feed(&s, NULL, 151, 100, false, false, 9); /* [151, 251), different bytes */
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 2, [BLD_STREAM_OVERLAP_CONFLICT] = 1);
	seg(&s, NULL, 1, 100);
	drain(&s);
	CU_ASSERT_EQUAL(out.n, 250);
	/* first copy wins: [101, 201) as first sent; [201, 251) from the second copy */
	bool first_wins = true;
	for (uint32_t i = 0; i < 250; i++)
		if (out.b[i] != pattern(1 + i, i < 200 ? 0 : 9))
			first_wins = false;
	CU_ASSERT(first_wins);
	/* a copy of held bytes that differs in one octet only */
	seg(&s, NULL, 1001, 10);
	uint8_t *b = bytes_at(1001, 10, 0);
	b[9] ^= 1;
	bld_stream_segment(&s, NULL, 1001, false, false, b, 10, ctr);
	free(b);
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 1, [BLD_STREAM_OVERLAP_CONFLICT] = 1);
	bld_stream_fini(&s);
}

static void test_conflict_consumed(void)
{
	struct bld_stream s = fresh(1);
	feed(&s, NULL, 0, 0, true, false, 0);
	seg(&s, NULL, 1, 1000);
	drain(&s);
	feed(&s, NULL, 901, 150, false, false, 5); /* 100 consumed (differ) + 50 new */
	EXPECT([BLD_STREAM_OVERLAP_CONFLICT] = 1);
	drain(&s);
	CU_ASSERT_EQUAL(out.n, 1050);
	CU_ASSERT_EQUAL(out.b[1000], pattern(1001, 5)); /* the new part is taken */
	CU_ASSERT_EQUAL(out.b[999], pattern(1000, 0));

	/* the history keeps the last BLD_STREAM_HISTORY consumed bytes: older ones are not compared */
	seg(&s, NULL, 1051, 4000);
	drain(&s);
	uint32_t next = 5051;
	CU_ASSERT_EQUAL(usage(&s).history, BLD_STREAM_HISTORY);
	feed(&s, NULL, next - BLD_STREAM_HISTORY - 10, 10, false, false, 5); /* just beyond: plain */
	EXPECT([BLD_STREAM_RETRANSMISSION] = 1);
	feed(&s, NULL, next - BLD_STREAM_HISTORY - 5, 10, false, false, 5); /* half inside: compared */
	EXPECT([BLD_STREAM_OVERLAP_CONFLICT] = 1);
	feed(&s, NULL, next - BLD_STREAM_HISTORY - 5, 10, false, false, 0); /* same bytes: fine */
	EXPECT([BLD_STREAM_RETRANSMISSION] = 1);

	/* once the peer acknowledged them, they are no longer kept (nor compared) */
	bld_stream_ack(&s, next - 20);
	CU_ASSERT_EQUAL(usage(&s).history, 20);
	feed(&s, NULL, next - 100, 100, false, false, 5);
	EXPECT([BLD_STREAM_OVERLAP_CONFLICT] = 1); /* the last 20 are still compared */
	feed(&s, NULL, next - 100, 80, false, false, 5);
	EXPECT([BLD_STREAM_RETRANSMISSION] = 1);
	bld_stream_ack(&s, next);
	CU_ASSERT_EQUAL(usage(&s).allocated, 0);
	CU_ASSERT(out.n == 5050);
	bld_stream_fini(&s);
}

static void test_midstream(void)
{
	struct bld_stream s = fresh(5000);
	seg(&s, NULL, 5000, 100); /* no SYN seen: the capture started mid-stream */
	seg(&s, NULL, 4900, 100); /* before the start: as good as old */
	seg(&s, NULL, 4950, 200); /* straddles the start: the new half is taken */
	drain(&s);
	CU_ASSERT(sink_is_range(5000, 150));
	EXPECT([BLD_STREAM_MIDSTREAM] = 1, [BLD_STREAM_RETRANSMISSION] = 2);
	bld_stream_fini(&s);

	/* the SYN comes only later (retransmitted): its sequence number changes nothing */
	s = fresh(5000);
	seg(&s, NULL, 5000, 10);
	feed(&s, NULL, 4000, 0, true, false, 0);
	seg(&s, NULL, 5010, 10);
	drain(&s);
	CU_ASSERT(sink_is_range(5000, 20));
	EXPECT([BLD_STREAM_MIDSTREAM] = 1);
	bld_stream_fini(&s);
}

static void test_syn_fin(void)
{
	/* SYN with data (TCP Fast Open, RFC 7413): the data starts at ISN + 1 */
	struct bld_stream s = fresh(101);
	feed(&s, NULL, 100, 5, true, false, 0);
	seg(&s, NULL, 106, 10);
	CU_ASSERT(!bld_stream_finished(&s));
	feed(&s, NULL, 116, 5, false, true, 0); /* data and FIN: the FIN is at 121 */
	CU_ASSERT(bld_stream_finished(&s));
	drain(&s);
	CU_ASSERT(sink_is_range(101, 20));
	EXPECT_NONE();
	feed(&s, NULL, 121, 0, false, true, 0); /* the FIN again: nothing */
	EXPECT_NONE();
	seg(&s, NULL, 121, 10);                 /* data past the FIN */
	EXPECT([BLD_STREAM_DATA_AFTER_FIN] = 1);
	seg(&s, NULL, 119, 4);                  /* two old octets, two past the FIN */
	EXPECT([BLD_STREAM_DATA_AFTER_FIN] = 1, [BLD_STREAM_RETRANSMISSION] = 1);
	feed(&s, NULL, 125, 0, false, true, 0); /* a FIN elsewhere: the first one stays */
	EXPECT([BLD_STREAM_DATA_AFTER_FIN] = 1);
	CU_ASSERT(bld_stream_finished(&s));
	CU_ASSERT_EQUAL(ready_len(&s), 0);
	bld_stream_fini(&s);

	/* the FIN arrives before data it follows */
	s = fresh(1);
	feed(&s, NULL, 0, 0, true, false, 0);
	feed(&s, NULL, 11, 0, false, true, 0);
	CU_ASSERT(!bld_stream_finished(&s));
	seg(&s, NULL, 1, 14); /* runs 4 octets past it: those are cut */
	CU_ASSERT(bld_stream_finished(&s));
	drain(&s);
	CU_ASSERT(sink_is_range(1, 10));
	EXPECT([BLD_STREAM_DATA_AFTER_FIN] = 1);
	bld_stream_fini(&s);

	/* a FIN that would cut off data already held is not believed */
	s = fresh(1);
	feed(&s, NULL, 0, 0, true, false, 0);
	seg(&s, NULL, 21, 10);
	feed(&s, NULL, 11, 0, false, true, 0);
	seg(&s, NULL, 1, 20);
	CU_ASSERT(!bld_stream_finished(&s));
	drain(&s);
	CU_ASSERT(sink_is_range(1, 30));
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 1, [BLD_STREAM_DATA_AFTER_FIN] = 1);
	bld_stream_fini(&s);

	/* SYN and FIN in one segment with data */
	s = fresh(8);
	feed(&s, NULL, 7, 3, true, true, 0);
	CU_ASSERT(bld_stream_finished(&s));
	drain(&s);
	CU_ASSERT(sink_is_range(8, 3));
	EXPECT_NONE();
	bld_stream_fini(&s);
}

static void test_wrap(void)
{
	/* RFC 9293 §3.4: sequence numbers wrap at 2^32; data starts at 0xFFFFFF01 */
	struct bld_stream s = fresh(0xFFFFFF01u);
	feed(&s, NULL, 0xFFFFFF00u, 0, true, false, 0);
	seg(&s, NULL, 0xFFFFFF01u, 100);  /* up to 0xFFFFFF65 */
	seg(&s, NULL, 0x00000029u, 100);  /* after the wrap, out of order */
	seg(&s, NULL, 0xFFFFFFC9u, 96);   /* across 2^32: 0xFFFFFF65 .. 0x29 */
	CU_ASSERT_EQUAL(ready_len(&s), 100);
	seg(&s, NULL, 0xFFFFFF65u, 100);
	CU_ASSERT_EQUAL(ready_len(&s), 396);
	drain(&s);
	CU_ASSERT(sink_is_range(0xFFFFFF01u, 396));
	seg(&s, NULL, 0xFFFFFFF0u, 32); /* behind next, across the wrap: old */
	feed(&s, NULL, 0x0000008Du, 0, false, true, 0);
	CU_ASSERT(bld_stream_finished(&s));
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 2, [BLD_STREAM_RETRANSMISSION] = 1);
	/* the history is found across the wrap too */
	feed(&s, NULL, 0xFFFFFFF0u, 32, false, false, 3);
	EXPECT([BLD_STREAM_OVERLAP_CONFLICT] = 1);
	bld_stream_ack(&s, 0x0000008Du);
	CU_ASSERT_EQUAL(usage(&s).allocated, 0);
	bld_stream_fini(&s);
}

static void test_cap_segments(void)
{
	struct bld_stream_config cfg = { .max_segments = 4 };
	struct bld_stream s = fresh(1);
	feed(&s, &cfg, 0, 0, true, false, 0);
	seg(&s, &cfg, 1, 10);
	take(&s, 5); /* the parser needs more than the 5 left */
	/* [11, 21) never comes; four segments wait behind it */
	for (uint32_t i = 0; i < 4; i++)
		seg(&s, &cfg, 21 + 10 * i, 10);
	CU_ASSERT(!bld_stream_gap_ahead(&s));
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 4);
	seg(&s, &cfg, 61, 10); /* a fifth: the hole is given up */
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 1, [BLD_STREAM_CAPACITY] = 1, [BLD_STREAM_GAP] = 1,
	       [BLD_STREAM_BYTES_LOST] = 10);
	CU_ASSERT(bld_stream_gap_ahead(&s));
	struct bld_stream_usage u = usage(&s);
	CU_ASSERT_EQUAL(u.ready, 5);      /* still readable before the gap */
	CU_ASSERT_EQUAL(u.history, 0);    /* not across a gap */
	CU_ASSERT_EQUAL(u.after_gap, 50);
	CU_ASSERT_EQUAL(u.segments, 0);
	CU_ASSERT_EQUAL(u.held, 55);
	/* the parser still cannot use its 5; the skip drops them too */
	CU_ASSERT_EQUAL(bld_stream_skip_gap(&s, ctr), 15);
	EXPECT([BLD_STREAM_BYTES_LOST] = 5);
	CU_ASSERT_EQUAL(bld_stream_skip_gap(&s, ctr), 0); /* no gap any more */
	out.pos = 21;
	drain(&s);
	CU_ASSERT_EQUAL(out.n, 55);
	CU_ASSERT(sink_matches());
	CU_ASSERT_EQUAL(out.seq[5], 21);
	/* late: the lost segment arrives after all, behind next now */
	seg(&s, &cfg, 11, 10);
	EXPECT([BLD_STREAM_RETRANSMISSION] = 1);
	bld_stream_fini(&s);
}

static void test_cap_bytes(void)
{
	struct bld_stream_config cfg = { .max_buffered = 1000 };
	struct bld_stream s = fresh(1);
	feed(&s, &cfg, 0, 0, true, false, 0);
	seg(&s, &cfg, 1, 100);
	take(&s, 60);                 /* history 60, ready 40 */
	seg(&s, &cfg, 201, 400);      /* [101, 201) missing */
	seg(&s, &cfg, 601, 400);
	struct bld_stream_usage u = usage(&s);
	CU_ASSERT_EQUAL(u.held, 900);
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 2);

	/* 200 more: 100 over.  The history goes, then the ready bytes (whole) */
	seg(&s, &cfg, 1001, 200);
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 1, [BLD_STREAM_CAPACITY] = 1, [BLD_STREAM_GAP] = 1,
	       [BLD_STREAM_BYTES_LOST] = 40);
	u = usage(&s);
	CU_ASSERT_EQUAL(u.held, 1000);
	CU_ASSERT_EQUAL(u.history, 0);
	CU_ASSERT_EQUAL(u.ready, 0);
	CU_ASSERT_EQUAL(u.segments, 3);
	CU_ASSERT(bld_stream_gap_ahead(&s));
	CU_ASSERT_EQUAL(bld_stream_skip_gap(&s, ctr), 40);
	out.pos = 101;
	EXPECT_NONE();
	CU_ASSERT_EQUAL(ready_len(&s), 0); /* the hole at 101 is still awaited */

	/* 100 more: the hole and the oldest 100 held bytes are given up */
	seg(&s, &cfg, 1201, 100);
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 1, [BLD_STREAM_CAPACITY] = 1, [BLD_STREAM_GAP] = 1,
	       [BLD_STREAM_BYTES_LOST] = 200);
	u = usage(&s);
	CU_ASSERT_EQUAL(u.held, 1000);
	CU_ASSERT_EQUAL(u.after_gap, 1000);
	CU_ASSERT_EQUAL(u.segments, 0);
	CU_ASSERT(u.allocated <= 1000); /* the buffer never grows past the cap */
	drain(&s);
	CU_ASSERT_EQUAL(out.lost, 200);
	CU_ASSERT_EQUAL(out.n, 60 + 1000);
	CU_ASSERT_EQUAL(out.seq[60], 301);
	CU_ASSERT(sink_matches());
	bld_stream_ack(&s, 1301);
	u = usage(&s);
	CU_ASSERT_EQUAL(u.held, 0);
	CU_ASSERT_EQUAL(u.allocated, 0);

	/* a parser that never consumes: in-order data over the cap drops its bytes, whole */
	seg(&s, &cfg, 1301, 700);
	seg(&s, &cfg, 2001, 700);
	EXPECT([BLD_STREAM_CAPACITY] = 1, [BLD_STREAM_GAP] = 1, [BLD_STREAM_BYTES_LOST] = 700);
	CU_ASSERT_EQUAL(bld_stream_skip_gap(&s, ctr), 700);
	CU_ASSERT_EQUAL(ready_len(&s), 700);
	/* one segment larger than the cap: only its last max_buffered bytes are kept */
	bld_stream_consume(&s, 700);
	bld_stream_ack(&s, 2701);
	seg(&s, &cfg, 2701, 1500);
	EXPECT([BLD_STREAM_CAPACITY] = 1, [BLD_STREAM_GAP] = 1, [BLD_STREAM_BYTES_LOST] = 500);
	CU_ASSERT_EQUAL(bld_stream_skip_gap(&s, ctr), 500);
	uint32_t n;
	const uint8_t *p = bld_stream_ready(&s, &n);
	CU_ASSERT_EQUAL(n, 1000);
	CU_ASSERT(p && p[0] == pattern(3201, 0) && p[999] == pattern(4200, 0));
	CU_ASSERT(usage(&s).allocated <= 1000);
	bld_stream_fini(&s);
	CU_ASSERT_EQUAL(usage(&s).allocated, 0);
}

static void test_flush(void)
{
	struct bld_stream s = fresh(1);
	feed(&s, NULL, 0, 0, true, false, 0);
	seg(&s, NULL, 1, 10);
	drain(&s);
	seg(&s, NULL, 21, 10); /* [11, 21) and [31, 41) never come */
	seg(&s, NULL, 41, 10);
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 2);
	bld_stream_flush(&s, ctr);
	EXPECT([BLD_STREAM_GAP] = 1, [BLD_STREAM_BYTES_LOST] = 10);
	CU_ASSERT(bld_stream_gap_ahead(&s));
	drain(&s); /* skips one gap, reads, finds the next */
	CU_ASSERT_EQUAL(out.gaps, 2);
	CU_ASSERT_EQUAL(out.lost, 20);
	CU_ASSERT_EQUAL(out.n, 30);
	CU_ASSERT(sink_matches());
	EXPECT([BLD_STREAM_GAP] = 1, [BLD_STREAM_BYTES_LOST] = 10);
	CU_ASSERT_EQUAL(usage(&s).segments, 0);
	/* flushing with nothing held does nothing */
	bld_stream_flush(&s, ctr);
	CU_ASSERT(!bld_stream_gap_ahead(&s));
	EXPECT_NONE();
	bld_stream_fini(&s);
}

static void test_skip_gap_resync(void)
{
	struct bld_stream s = fresh(1);
	struct pdus p = { 0 };
	uint8_t *a = make_pdu(8, 10), *b = make_pdu(8, 20), *c = make_pdu(8, 30), *d = make_pdu(8, 40);
	bld_stream_segment(&s, NULL, 0, true, false, NULL, 0, ctr);
	bld_stream_segment(&s, NULL, 1, false, false, a, 10, ctr);
	bld_stream_segment(&s, NULL, 11, false, false, b, 4, ctr);      /* the rest of b is lost */
	bld_stream_segment(&s, NULL, 21, false, false, c, 10, ctr);
	bld_stream_segment(&s, NULL, 31, false, false, d, 10, ctr);
	parse_pdus(&s, &p);
	CU_ASSERT_EQUAL(p.n, 1);
	bld_stream_flush(&s, ctr);
	parse_pdus(&s, &p);
	CU_ASSERT_EQUAL(p.n, 1);
	CU_ASSERT(bld_stream_gap_ahead(&s));
	CU_ASSERT_EQUAL(bld_stream_skip_gap(&s, ctr), 4 + 6); /* b's start, unconsumed, and its rest */
	parse_pdus(&s, &p);
	CU_ASSERT_EQUAL(p.n, 3);
	CU_ASSERT_EQUAL(p.first[1], 30);
	CU_ASSERT_EQUAL(p.first[2], 40);
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 2, [BLD_STREAM_GAP] = 1, [BLD_STREAM_BYTES_LOST] = 10);
	free(a);
	free(b);
	free(c);
	free(d);
	bld_stream_fini(&s);
}

static void test_zero_length(void)
{
	struct bld_stream s = fresh(1000);
	seg(&s, NULL, 500, 0); /* a pure ACK does not start the stream */
	CU_ASSERT_EQUAL(usage(&s).allocated, 0);
	feed(&s, NULL, 700, 0, false, true, 0); /* nor a bare FIN */
	seg(&s, NULL, 1000, 10);
	EXPECT([BLD_STREAM_MIDSTREAM] = 1);
	seg(&s, NULL, 1009, 0); /* keep-alive: SND.NXT - 1 (RFC 9293 §3.8.4) */
	seg(&s, NULL, 1010, 0);
	seg(&s, NULL, 77, 0);
	seg(&s, NULL, 0x80000000u, 0);
	seg(&s, NULL, 1010, 10);
	drain(&s);
	CU_ASSERT(sink_is_range(1000, 20));
	EXPECT_NONE();
	bld_stream_fini(&s);
}

static void test_window(void)
{
	struct bld_stream s = fresh(1);
	feed(&s, NULL, 0, 0, true, false, 0);
	seg(&s, NULL, 1 + BLD_STREAM_MAX_WINDOW + 1, 10); /* no window reaches that far (RFC 7323 §2.3) */
	EXPECT([BLD_STREAM_OUT_OF_WINDOW] = 1);
	seg(&s, NULL, 1 + BLD_STREAM_MAX_WINDOW, 10); /* at the edge: held */
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 1);
	uint8_t one = 0;
	bld_stream_segment(&s, NULL, 1, false, false, &one, BLD_STREAM_MAX_WINDOW + 1, ctr); /* not read */
	EXPECT([BLD_STREAM_OUT_OF_WINDOW] = 1);
	CU_ASSERT_EQUAL(usage(&s).held, 10);
	bld_stream_fini(&s);
}

/* ---- random order ----------------------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

struct piece {
	uint32_t seq, len;
};

/*
 * A known string cut at random, with random duplicates and overlapping re-cuts
 * of the same bytes, shuffled; the parser consumes random amounts.  With no
 * cap reached the output is the string, in order, once.
 */
static void test_random_order(void)
{
	enum { LEN = 6000, MAXP = 1000 };
	struct bld_stream_config cfg = { .max_buffered = 1u << 20, .max_segments = BLD_STREAM_MAX_SEGMENTS_LIMIT };
	rng_state = 0x2545f4914f6cdd1dull;
	uint64_t ooo = 0, retrans = 0;
	for (int round = 0; round < 200; round++) {
		uint32_t isn = round % 4 == 0 ? 0xFFFFFFFFu - rnd(LEN) : (uint32_t)rng_state;
		struct bld_stream s = fresh(isn + 1);
		struct piece p[MAXP];
		uint32_t n = 0;
		for (uint32_t at = 0; at < LEN && n < MAXP;) {
			uint32_t len = 1 + rnd(round % 2 ? 40 : 400);
			if (len > LEN - at)
				len = LEN - at;
			p[n++] = (struct piece){ isn + 1 + at, len };
			at += len;
			CU_ASSERT_FATAL(at == LEN || n < MAXP);
		}
		uint32_t cuts = n;
		for (uint32_t i = 0; i < cuts / 3 && n < MAXP; i++) {
			if (rnd(2)) {
				p[n] = p[rnd(cuts)]; /* duplicate */
			} else {
				uint32_t a = rnd(LEN), len = 1 + rnd(500); /* re-cut across pieces */
				if (len > LEN - a)
					len = LEN - a;
				p[n] = (struct piece){ isn + 1 + a, len };
			}
			n++;
		}
		for (uint32_t i = n - 1; i > 0; i--) {
			uint32_t j = rnd(i + 1);
			struct piece t = p[i];
			p[i] = p[j];
			p[j] = t;
		}
		feed(&s, &cfg, isn, 0, true, false, 0);
		for (uint32_t i = 0; i < n; i++) {
			seg(&s, &cfg, p[i].seq, p[i].len);
			if (rnd(3) == 0)
				bld_stream_ack(&s, isn + 1 + rnd(LEN)); /* any ACK the peer may send */
			uint32_t r = ready_len(&s);
			if (r)
				take(&s, rnd(r + 1));
			CU_ASSERT(usage(&s).held <= cfg.max_buffered);
		}
		drain(&s);
		CU_ASSERT(sink_is_range(isn + 1, LEN));
		CU_ASSERT_EQUAL(ctr[BLD_STREAM_GAP], 0);
		CU_ASSERT_EQUAL(ctr[BLD_STREAM_CAPACITY], 0);
		CU_ASSERT_EQUAL(ctr[BLD_STREAM_OVERLAP_CONFLICT], 0);
		CU_ASSERT_EQUAL(ctr[BLD_STREAM_BYTES_LOST], 0);
		ooo += ctr[BLD_STREAM_OUT_OF_ORDER];
		retrans += ctr[BLD_STREAM_RETRANSMISSION];
		struct bld_stream_usage u = usage(&s);
		CU_ASSERT_EQUAL(u.segments, 0);
		CU_ASSERT_EQUAL(u.held, u.history);
		bld_stream_ack(&s, isn + 1 + LEN);
		CU_ASSERT_EQUAL(usage(&s).allocated, 0);
		bld_stream_fini(&s);
	}
	CU_ASSERT(ooo > 10000 && retrans > 10000); /* the test did what it says */
}

/*
 * The same with small caps: bytes are lost, but every byte delivered is the
 * one sent at the position the parser believes it at (consumed + lost),
 * nothing is delivered twice, and the caps hold after every call.
 */
static void test_random_caps(void)
{
	enum { LEN = 6000, MAXP = 400 };
	rng_state = 0x9e3779b97f4a7c15ull;
	uint64_t gaps = 0, capacity = 0, delivered = 0;
	for (int round = 0; round < 200; round++) {
		struct bld_stream_config cfg = { .max_buffered = 64 + rnd(2000), .max_segments = 1 + rnd(8) };
		uint32_t isn = (uint32_t)rng_state;
		struct bld_stream s = fresh(isn + 1);
		struct piece p[MAXP];
		uint32_t n = 0;
		for (uint32_t at = 0; at < LEN && n < MAXP;) {
			uint32_t len = 1 + rnd(300);
			if (len > LEN - at)
				len = LEN - at;
			p[n++] = (struct piece){ isn + 1 + at, len };
			at += len;
		}
		for (uint32_t i = n - 1; i > 0; i--) {
			if (rnd(3))
				continue; /* mostly in order: a shuffle of some */
			uint32_t j = rnd(i + 1);
			struct piece t = p[i];
			p[i] = p[j];
			p[j] = t;
		}
		feed(&s, &cfg, isn, 0, true, false, 0);
		for (uint32_t i = 0; i < n; i++) {
			if (rnd(10) == 0)
				continue; /* lost on the way */
			seg(&s, &cfg, p[i].seq, p[i].len);
			uint32_t r = ready_len(&s);
			if (r && rnd(2))
				take(&s, rnd(r + 1));
			if (bld_stream_gap_ahead(&s) && rnd(2))
				drain(&s);
			CU_ASSERT(usage(&s).held <= cfg.max_buffered);
			CU_ASSERT(usage(&s).segments <= cfg.max_segments);
		}
		bld_stream_flush(&s, ctr);
		drain(&s);
		CU_ASSERT(sink_matches());
		bool increasing = true;
		for (uint32_t i = 1; i < out.n; i++)
			if (out.seq[i] - out.seq[0] <= out.seq[i - 1] - out.seq[0])
				increasing = false;
		CU_ASSERT(increasing);
		CU_ASSERT(out.n + out.lost <= LEN);
		CU_ASSERT_EQUAL(out.n + out.lost, out.pos - (isn + 1));
		CU_ASSERT_EQUAL(ctr[BLD_STREAM_OVERLAP_CONFLICT], 0);
		CU_ASSERT_EQUAL(usage(&s).segments, 0);
		gaps += ctr[BLD_STREAM_GAP];
		capacity += ctr[BLD_STREAM_CAPACITY];
		delivered += out.n;
		bld_stream_fini(&s);
	}
	CU_ASSERT(gaps > 1000 && capacity > 1000 && delivered > 200 * 1000);
	fprintf(stderr, "(gaps %llu, capacity %llu, delivered %llu) ", (unsigned long long)gaps,
		(unsigned long long)capacity, (unsigned long long)delivered);
}

static void test_names(void)
{
	for (int i = 0; i < BLD_STREAM_COUNTER_MAX; i++) {
		CU_ASSERT_PTR_NOT_NULL(bld_stream_counter_names[i]);
		CU_ASSERT(strncmp(bld_stream_counter_names[i], "stream.", 7) == 0);
	}
	CU_ASSERT(bld_stream_counter_is_error[BLD_STREAM_OVERLAP_CONFLICT]);
	CU_ASSERT(!bld_stream_counter_is_error[BLD_STREAM_RETRANSMISSION]);
	CU_ASSERT(sizeof(struct bld_stream) <= 64);
	/* all zero is a valid initial state, and fini leaves one */
	struct bld_stream s;
	memset(&s, 0, sizeof(s));
	seg(&s, NULL, 1, 10);
	bld_stream_segment(&s, NULL, 11, false, false, (const uint8_t *)"abc", 3, NULL); /* counters optional */
	CU_ASSERT_EQUAL(ready_len(&s), 13);
	bld_stream_consume(&s, 1000); /* more than ready: all of it */
	CU_ASSERT_EQUAL(ready_len(&s), 0);
	CU_ASSERT_EQUAL(usage(&s).history, 13);
	bld_stream_fini(&s);
	CU_ASSERT_EQUAL(ready_len(&s), 0);
	CU_ASSERT(!bld_stream_gap_ahead(&s));
}

/* The peer acknowledges past a hole and into the data held behind it: the capture lost the hole. */
static void test_acked_hole(void)
{
	struct bld_stream s = fresh(1001);
	feed(&s, NULL, 1000, 0, true, false, 0);
	seg(&s, NULL, 1001, 100);
	drain(&s);
	seg(&s, NULL, 1201, 100); /* 1101..1200 never captured */
	drain(&s);
	CU_ASSERT_EQUAL(out.n, 100);
	EXPECT([BLD_STREAM_OUT_OF_ORDER] = 1);
	bld_stream_ack_hole(&s, NULL, 1101, ctr); /* acknowledges only what came before the hole */
	bld_stream_ack_hole(&s, NULL, 1201, ctr); /* up to the held data, not into it: it may still come */
	CU_ASSERT_FALSE(bld_stream_gap_ahead(&s));
	EXPECT_NONE();
	bld_stream_ack_hole(&s, NULL, 1301, ctr); /* the host has the held bytes: the hole will never come */
	CU_ASSERT_TRUE(bld_stream_gap_ahead(&s));
	drain(&s);
	CU_ASSERT_EQUAL(out.n, 200);
	CU_ASSERT_EQUAL(out.lost, 100);
	CU_ASSERT_TRUE(sink_matches());
	EXPECT([BLD_STREAM_GAP] = 1, [BLD_STREAM_BYTES_LOST] = 100);
	/* A late copy of the lost bytes is old data now; nothing held: an ACK changes nothing. */
	seg(&s, NULL, 1101, 100);
	bld_stream_ack_hole(&s, NULL, 1401, ctr);
	drain(&s);
	CU_ASSERT_EQUAL(out.n, 200);
	EXPECT([BLD_STREAM_RETRANSMISSION] = 1);
	bld_stream_fini(&s);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "in order", test_in_order },
		{ "PDU split over three segments", test_pdu_split },
		{ "three PDUs in one segment", test_pdus_in_one_segment },
		{ "out of order: reverse, interleaved", test_out_of_order },
		{ "exact retransmission", test_retransmission },
		{ "partial overlap, same bytes", test_partial_overlap },
		{ "conflicting overlap with held data", test_conflict_held },
		{ "conflicting overlap with consumed data", test_conflict_consumed },
		{ "mid-stream start", test_midstream },
		{ "SYN and FIN sequence numbers", test_syn_fin },
		{ "sequence wrap at 2^32", test_wrap },
		{ "cap: segments", test_cap_segments },
		{ "cap: bytes", test_cap_bytes },
		{ "flush", test_flush },
		{ "skip gap, resynchronise", test_skip_gap_resync },
		{ "a hole the peer acknowledged is given up", test_acked_hole },
		{ "zero-length segments", test_zero_length },
		{ "window", test_window },
		{ "random order, no cap", test_random_order },
		{ "random order, small caps", test_random_caps },
		{ "names and initial state", test_names },
	};
	return bld_test_run("dataplane/reassembly", tests, BLD_TEST_COUNT(tests));
}
