/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the iec104 dissector (dissectors/iec104.c).
 *
 * Fixtures are APDUs copied from public captures (the frame is named) or
 * built by hand after IEC 60870-5-104:2006 and 60870-5-101:2003 (the clause
 * is named).  Captures:
 *   diverse   /work/shared/pcaps/iti/IEC60870-5-104/090813_diverse.pcap (server port 2404, client 1075)
 *   iec60780  /work/shared/pcaps/ndpi/iec60780-5-104.pcap (client port 1578)
 *   ndpi      /work/shared/pcaps/ndpi/IEC104.pcap
 *   scada     tests/fixtures/scenario/port-scada-attacks.pcap
 */
#include "dsc_test.h"
#include "registry.h"
#include "txn.h"

#define C2S true   /* client (controlling station) -> server (controlled station, port 2404) */
#define S2C false
#define MS 1000000ull

/* ---- fixtures ------------------------------------------------------------------------------- */

static const char STARTDT_ACT[] = "68 04 07 00 00 00";   /* scada frame 6288 */
static const char STARTDT_CON[] = "68 04 0b 00 00 00";   /* scada frame 6289 */

/* diverse frame 1: M_ME_NC_1, two short floats, cyclic. */
static const char ME_NC[] =
	"68 1a"             /* start, APDU length 26 */
	"9a00 2800"         /* I format: N(S) 77, N(R) 20 */
	"0d 02 01 00 0300"  /* type 13 M_ME_NC_1, SQ 0 N 2, COT 1 per/cyc, originator 0, CA 3 */
	"140500 0000f041 00" /* IOA 1300, R32 30.0, QDS 0 */
	"150500 00003144 00"; /* IOA 1301, R32 708.0, QDS 0 */

/* diverse frame 7: S format. */
static const char S_78[] = "68 04 01 00 9c 00"; /* S format, N(R) 78 */

/* diverse frames 9..17: C_SC_TA_1 select, confirm, execute, confirm, terminate (IOA 4501, CA 3). */
static const char SC_TA_SELECT[] =
	"68 15 2800 9c00"       /* I: N(S) 20, N(R) 78 */
	"3a 01 06 00 0300"      /* type 58 C_SC_TA_1, N 1, COT 6 act, CA 3 */
	"951100 81"             /* IOA 4501, SCO: S/E 1 select, QU 0, SCS 1 on */
	"080017130d086d";       /* CP56Time2a */
static const char SC_TA_SELECT_CON[] =
	"68 15 9c00 2a00 3a 01 07 00 0300 951100 81 080017130d0809"; /* N(S) 78 N(R) 21, COT 7 actcon */
static const char SC_TA_EXEC[] =
	"68 15 2a00 9e00 3a 01 06 00 0300 951100 01 080017130d086d"; /* N(S) 21 N(R) 79, SCO execute on */
static const char SC_TA_EXEC_CON[] =
	"68 15 9e00 2c00 3a 01 07 00 0300 951100 01 080017130d0809"; /* N(S) 79 N(R) 22, actcon */
static const char SC_TA_TERM[] =
	"68 15 a000 2c00 3a 01 0a 00 0300 951100 01 080017130d0809"; /* N(S) 80 N(R) 22, COT 10 actterm */

/* diverse frame 51: C_SE_NC_1 select, 12.0 at IOA 5020. */
static const char SE_NC[] =
	"68 12 3400 b000"       /* N(S) 26, N(R) 88 */
	"32 01 06 00 0300"      /* type 50 C_SE_NC_1, N 1, act, CA 3 */
	"9c1300 00004041 80";   /* IOA 5020, R32 12.0, QOS S/E 1 select, QL 0 */

/* diverse frame 154: C_SE_TA_1 select, normalized 0x4074 at IOA 4821. */
static const char SE_TA[] =
	"68 17 4a00 f600 3d 01 06 00 0300" /* N(S) 37 N(R) 123, type 61 C_SE_TA_1, act, CA 3 */
	"d51200 7440 80"                   /* IOA 4821, NVA 16500, QOS select */
	"c8001a130d086d";                  /* CP56Time2a */

/* diverse frame 91: C_DC_NA_1 execute ON, short pulse. */
static const char DC_NA[] =
	"68 0e 3e00 ca00 2e 01 06 00 0300" /* N(S) 31 N(R) 101, type 46 C_DC_NA_1, act, CA 3 */
	"f81100 06";                       /* IOA 4600, DCO: execute, QU 1 short pulse, DCS 2 on */

/* iec60780 frame 110: S, then C_IC_NA_1 actcon and interrogated points (SQ = 1) in one segment. */
static const char GI_SEGMENT[] =
	"68 04 01 00 02 00"                     /* S format, N(R) 1 */
	"68 0e 0200 0200 64 01 07 00 0d91"      /* I N(S) 1 N(R) 1: C_IC_NA_1, actcon, CA 37133 */
	"000000 14"                             /* IOA 0, QOI 20 station */
	"68 16 0400 0200 01 89 14 00 0d91"      /* I N(S) 2: M_SP_NA_1, SQ 1 N 9, COT 20 inrogen */
	"1a2700 d0 80 80 80 c0 80 80 80 80"     /* IOA 10010.., SIQ x 9 */
	"68 10 0600 0200 03 83 14 00 0d91"      /* I N(S) 3: M_DP_NA_1, SQ 1 N 3, inrogen */
	"2a4e00 80 80 80";                      /* IOA 20010.., DIQ x 3 */

/* iec60780 frames 117/118: C_DC_NA_1 select and its negative confirmation. */
static const char DC_SELECT[] =
	"68 0e 0200 0a00 2e 01 06 01 0d91"      /* N(S) 1 N(R) 5, C_DC_NA_1, act, originator 1, CA 37133 */
	"983a00 82";                            /* IOA 15000, DCO select, DCS 2 on */
static const char DC_SELECT_NEG[] =
	"68 0e 0a00 0400 2e 01 47 01 0d91"      /* N(S) 5 N(R) 2, COT 7 actcon with P/N 1 */
	"983a00 82";

/* ndpi frame 7: M_ME_TF_1 spontaneous. */
static const char ME_TF[] =
	"68 19 2c7e 42b9"              /* N(S) 16150, N(R) 23713 */
	"24 01 03 00 1429"             /* type 36 M_ME_TF_1, N 1, spont, CA 0x2914 */
	"cbb202 cdcc2c3e 00"           /* IOA 176843, R32 0.16875, QDS 0 */
	"94dc028a230a0b";              /* CP56Time2a */

/* scada frames 6293..6298: C_SC_NA_1 from the unknown master, OFF at IOA 2001. */
static const char SC_ACT[] = "68 0e 0000 0000 2d 01 06 00 0100 d10700 00"; /* N(S) 0 N(R) 0, act, CA 1, execute off */
static const char SC_CON[] = "68 0e 0000 0200 2d 01 07 00 0100 d10700 00"; /* N(S) 0 N(R) 1, actcon */
static const char SC_TERM[] = "68 0e 0200 0200 2d 01 0a 00 0100 d10700 00"; /* N(S) 1 N(R) 1, actterm */

/* scada frame 7197: M_SP_TB_1 spontaneous with CP56Time2a. */
static const char SP_TB[] =
	"68 15 1600 0200"       /* I: N(S) 11, N(R) 1 */
	"1e 01 03 00 0100"      /* type 30 M_SP_TB_1, N 1, COT 3 spont, CA 1 */
	"d30700 01"             /* IOA 2003, SIQ: on */
	"3e0302064e0518";       /* CP56Time2a */

/* ---- helpers -------------------------------------------------------------------------------- */

static struct dsc_run *run_new(void)
{
	return dsc_run_new(&bld_dsc_iec104);
}

/* A run whose data transfer was started (STARTDT act / con) at time 0. */
static struct dsc_run *run_started(void)
{
	struct dsc_run *r = run_new();
	CU_ASSERT_EQUAL(dsc_feed_hex(r, C2S, STARTDT_ACT), 6);
	CU_ASSERT_EQUAL(dsc_feed_hex(r, S2C, STARTDT_CON), 6);
	dsc_clear(r);
	return r;
}

/* The last op in full (dsc_op() keeps 2048 characters; a capped record is longer). */
static const char *last_op(struct dsc_run *r)
{
	static char line[16384];
	bld_op_format(&r->op, line, sizeof(line));
	return line;
}

static uint32_t hex_len(const char *hex)
{
	uint32_t len;
	free(bld_test_hex(hex, &len));
	return len;
}

/* Feed one APDU: it must be consumed whole. */
static void feed1(struct dsc_run *r, bool to_server, const char *hex)
{
	CU_ASSERT_EQUAL(dsc_feed_hex(r, to_server, hex), hex_len(hex));
}

/* ---- APCI ----------------------------------------------------------------------------------- */

static void test_u_format(void)
{
	struct dsc_run *r = run_new();
	r->ts_ns = 1 * MS;
	feed1(r, C2S, STARTDT_ACT);
	r->ts_ns = 6 * MS;
	feed1(r, S2C, STARTDT_CON);
	r->ts_ns = 10 * MS;
	feed1(r, S2C, "68 04 43 00 00 00");   /* diverse frame 3: TESTFR act from the server */
	r->ts_ns = 12 * MS;
	feed1(r, C2S, "68 04 83 00 00 00");   /* diverse frame 5: TESTFR con from the client */
	feed1(r, C2S, "68 04 13 00 00 00");   /* STOPDT act */
	feed1(r, S2C, "68 04 23 00 00 00");   /* STOPDT con */
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request apci=\"u\" u_function=\"startdt_act\"");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response apci=\"u\" u_function=\"startdt_con\"");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2), "request apci=\"u\" u_function=\"testfr_act\"");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 3), "response apci=\"u\" u_function=\"testfr_con\"");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 4), "request apci=\"u\" u_function=\"stopdt_act\"");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 5), "response apci=\"u\" u_function=\"stopdt_con\"");
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	CU_ASSERT_EQUAL(r->response_time[1], 5 * MS);
	CU_ASSERT_EQUAL(r->response_time[3], 2 * MS);
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* A con nobody asked for; a TESTFR con answering an act of the same side does not pair. */
	feed1(r, S2C, "68 04 83 00 00 00");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_RESPONSE_WITHOUT_REQUEST), 1);
	feed1(r, C2S, "68 04 43 00 00 00");
	feed1(r, C2S, "68 04 83 00 00 00");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_RESPONSE_WITHOUT_REQUEST), 2);
	dsc_run_free(r);
}

static void test_bad_u_function(void)
{
	struct dsc_run *r = run_new();
	/* Two functions at once (STARTDT act + TESTFR act): framed, so OK, with the event (§5.3). */
	feed1(r, C2S, "68 04 47 00 00 00");
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_OK);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request apci=\"u\" u_function=\"invalid\" u_bits=17");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_U_FUNCTION), 1);
	/* No function at all. */
	feed1(r, S2C, "68 04 03 00 00 00");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response apci=\"u\" u_function=\"invalid\" u_bits=0");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_U_FUNCTION), 2);
	/* One function but a stray octet, and a U format with a length of 5. */
	feed1(r, C2S, "68 04 43 00 01 00");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_CONTROL), 1);
	feed1(r, C2S, "68 05 43 00 00 00 00");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_LENGTH), 1);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 3), "request apci=\"u\" u_function=\"testfr_act\"");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_U_FUNCTION), 2);
	dsc_run_free(r);
}

static void test_s_format(void)
{
	struct dsc_run *r = run_new();
	feed1(r, C2S, S_78);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "response apci=\"s\" recv_seq=78");
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* S format with octet 2 not 0, with the spare bit of octet 3 set, and 2 octets too long. */
	feed1(r, C2S, "68 04 01 01 9c 00");
	feed1(r, C2S, "68 04 01 00 9d 00");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_CONTROL), 2);
	feed1(r, C2S, "68 06 01 00 9c 00 00 00");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_ops, 4);
	dsc_run_free(r);
}

static void test_framing_lost(void)
{
	static const struct {
		const char *hex;
		enum bld_event ev;
		const char *why;
	} cases[] = {
		{ "67 04 01 00 9c 00", BLD_EVENT_IEC104_BAD_START, "start octet 0x67" },
		{ "00", BLD_EVENT_IEC104_BAD_START, "a single octet that is not 0x68" },
		{ "68 03 01 00 9c", BLD_EVENT_IEC104_BAD_LENGTH, "APDU length 3 < 4 (§5)" },
		{ "68 00", BLD_EVENT_IEC104_BAD_LENGTH, "APDU length 0" },
		{ "68 fe 01 00 9c 00", BLD_EVENT_IEC104_BAD_LENGTH, "APDU length 254 > 253 (§5)" },
		{ "68 ff", BLD_EVENT_IEC104_BAD_LENGTH, "APDU length 255" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		struct dsc_run *r = run_new();
		uint32_t len;
		uint8_t *b = bld_test_hex(cases[i].hex, &len);
		struct bld_parse_result res = dsc_parse(r, C2S, false, b, len);
		if (res.status != BLD_PARSE_ERROR || dsc_events(r, cases[i].ev) != 1)
			fprintf(stderr, "\n    %s: status %d\n", cases[i].why, res.status);
		CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
		CU_ASSERT_EQUAL(res.consumed, 1);
		CU_ASSERT_EQUAL(dsc_events(r, cases[i].ev), 1);
		CU_ASSERT_EQUAL(r->n_events, 1);
		CU_ASSERT_EQUAL(r->n_ops, 0);
		free(b);
		dsc_run_free(r);
	}
	/* The header says how much is needed. */
	struct dsc_run *r = run_new();
	uint32_t len;
	uint8_t *b = bld_test_hex(ME_NC, &len);
	struct bld_parse_result res = dsc_parse(r, C2S, false, b, 9);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(res.needed, 28);
	res = dsc_parse(r, C2S, false, b, 1);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(res.needed, 0);
	free(b);
	dsc_run_free(r);
}

/* ---- ASDUs ---------------------------------------------------------------------------------- */

static void test_measured_float(void)
{
	struct dsc_run *r = run_new();
	feed1(r, S2C, ME_NC);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "response apci=\"i\" send_seq=77 recv_seq=20 typeid=13 type_name=\"M_ME_NC_1\" sq=false "
			       "num_objects=2 cot=1 cot_name=\"per_cyc\" negative=false test=false originator=0 ca=3 "
			       "ioas=[1300 1301] objects=[{ioa=1300 value=30 quality=0} "
			       "{ioa=1301 value=708 quality=0}]");
	/* Joined mid-connection (N(S) 77): no STARTDT seen, and no event for it. */
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);

	r = run_new();
	feed1(r, S2C, ME_TF);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "response apci=\"i\" send_seq=16150 recv_seq=23713 typeid=36 type_name=\"M_ME_TF_1\" "
			       "sq=false num_objects=1 cot=3 cot_name=\"spont\" negative=false test=false originator=0 "
			       "ca=10516 ioas=[176843] objects=[{ioa=176843 value=0.16875 quality=0}]");
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_interrogation_segment(void)
{
	struct dsc_run *r = run_started();
	feed1(r, C2S, "68 0e 0000 0000 64 01 06 00 0d91 000000 14"); /* C_IC_NA_1 act, QOI 20 (frame 109 at N(S) 0) */
	r->ts_ns = 4 * MS;
	feed1(r, S2C, GI_SEGMENT);
	CU_ASSERT_EQUAL(r->n_ops, 5);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request apci=\"i\" send_seq=0 recv_seq=0 typeid=100 type_name=\"C_IC_NA_1\" sq=false "
			       "num_objects=1 cot=6 cot_name=\"act\" negative=false test=false originator=0 ca=37133 "
			       "ioas=[0] objects=[{ioa=0 qualifier=20}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response apci=\"s\" recv_seq=1");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2),
			       "response apci=\"i\" send_seq=1 recv_seq=1 typeid=100 type_name=\"C_IC_NA_1\" sq=false "
			       "num_objects=1 cot=7 cot_name=\"actcon\" negative=false test=false originator=0 "
			       "ca=37133 ioas=[0] objects=[{ioa=0 qualifier=20}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 3),
			       "response apci=\"i\" send_seq=2 recv_seq=1 typeid=1 type_name=\"M_SP_NA_1\" sq=true "
			       "num_objects=9 cot=20 cot_name=\"inrogen\" negative=false test=false originator=0 "
			       "ca=37133 ioas=[10010 10011 10012 10013 10014 10015 10016 10017 10018] "
			       "objects=[{ioa=10010 value=0 quality=208} {ioa=10011 value=0 quality=128} "
			       "{ioa=10012 value=0 quality=128} {ioa=10013 value=0 quality=128} "
			       "{ioa=10014 value=0 quality=192} {ioa=10015 value=0 quality=128} "
			       "{ioa=10016 value=0 quality=128} {ioa=10017 value=0 quality=128} "
			       "{ioa=10018 value=0 quality=128}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 4),
			       "response apci=\"i\" send_seq=3 recv_seq=1 typeid=3 type_name=\"M_DP_NA_1\" sq=true "
			       "num_objects=3 cot=20 cot_name=\"inrogen\" negative=false test=false originator=0 "
			       "ca=37133 ioas=[20010 20011 20012] objects=[{ioa=20010 value=0 quality=128} "
			       "{ioa=20011 value=0 quality=128} {ioa=20012 value=0 quality=128}]");
	/* The activation confirmation pairs with the act; interrogated data does not. */
	CU_ASSERT_EQUAL(r->response_time[2], 4 * MS);
	CU_ASSERT_EQUAL(r->response_time[3], UINT64_MAX);
	/* The termination counts from the activation. */
	r->ts_ns = 9 * MS;
	feed1(r, S2C, "68 0e 0800 0200 64 01 0a 00 0d91 000000 14"); /* iec60780 frame 113 */
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 5),
			       "response apci=\"i\" send_seq=4 recv_seq=1 typeid=100 type_name=\"C_IC_NA_1\" sq=false "
			       "num_objects=1 cot=10 cot_name=\"actterm\" negative=false test=false originator=0 "
			       "ca=37133 ioas=[0] objects=[{ioa=0 qualifier=20}]");
	CU_ASSERT_EQUAL(r->response_time[5], 9 * MS);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_select_execute(void)
{
	struct dsc_run *r = run_new();
	/* Joined mid-connection: the server's cyclic data, the client's S, then select-before-operate. */
	feed1(r, S2C, ME_NC);
	feed1(r, C2S, S_78);
	r->ts_ns = 100 * MS;
	feed1(r, C2S, SC_TA_SELECT);
	r->ts_ns = 103 * MS;
	feed1(r, S2C, SC_TA_SELECT_CON);
	r->ts_ns = 110 * MS;
	feed1(r, C2S, SC_TA_EXEC);
	r->ts_ns = 112 * MS;
	feed1(r, S2C, SC_TA_EXEC_CON);
	r->ts_ns = 150 * MS;
	feed1(r, S2C, SC_TA_TERM);
	CU_ASSERT_EQUAL(r->n_ops, 7);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2),
			       "request apci=\"i\" send_seq=20 recv_seq=78 typeid=58 type_name=\"C_SC_TA_1\" sq=false "
			       "num_objects=1 cot=6 cot_name=\"act\" negative=false test=false originator=0 ca=3 "
			       "ioas=[4501] objects=[{ioa=4501 value=1 select=true qualifier=0}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 3),
			       "response apci=\"i\" send_seq=78 recv_seq=21 typeid=58 type_name=\"C_SC_TA_1\" sq=false "
			       "num_objects=1 cot=7 cot_name=\"actcon\" negative=false test=false originator=0 ca=3 "
			       "ioas=[4501] objects=[{ioa=4501 value=1 select=true qualifier=0}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 4),
			       "request apci=\"i\" send_seq=21 recv_seq=79 typeid=58 type_name=\"C_SC_TA_1\" sq=false "
			       "num_objects=1 cot=6 cot_name=\"act\" negative=false test=false originator=0 ca=3 "
			       "ioas=[4501] objects=[{ioa=4501 value=1 select=false qualifier=0}]");
	CU_ASSERT_EQUAL(r->response_time[2], UINT64_MAX);
	CU_ASSERT_EQUAL(r->response_time[3], 3 * MS);
	CU_ASSERT_EQUAL(r->response_time[5], 2 * MS);
	CU_ASSERT_EQUAL(r->response_time[6], 40 * MS);   /* actterm: from the execute */
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_select_has_no_termination(void)
{
	struct dsc_run *r = run_new();
	feed1(r, C2S, SC_TA_SELECT);
	feed1(r, S2C, SC_TA_SELECT_CON);
	/* An actterm after a select's confirmation: nothing to pair (a select does not execute). */
	feed1(r, S2C, "68 15 9e00 2a00 3a 01 0a 00 0300 951100 81 080017130d0809");
	CU_ASSERT_EQUAL(r->n_ops, 3);
	CU_ASSERT_EQUAL(r->response_time[2], UINT64_MAX);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* The one op of an APDU parsed on a connection of its own (joined in the middle). */
static char one_line[2048];
static const char *one_op(bool to_server, const char *hex)
{
	struct dsc_run *r = run_new();
	feed1(r, to_server, hex);
	snprintf(one_line, sizeof(one_line), "%s", dsc_op(r, 0));
	CU_ASSERT_EQUAL(r->n_ops, 1);
	dsc_run_free(r);
	return one_line;
}

static void test_set_points(void)
{
	CU_ASSERT_STRING_EQUAL(one_op(C2S, SE_NC),
			       "request apci=\"i\" send_seq=26 recv_seq=88 typeid=50 type_name=\"C_SE_NC_1\" sq=false "
			       "num_objects=1 cot=6 cot_name=\"act\" negative=false test=false originator=0 ca=3 "
			       "ioas=[5020] objects=[{ioa=5020 value=12 select=true qualifier=0}]");
	/* diverse frame 63: -43.5, execute */
	CU_ASSERT_STRING_EQUAL(one_op(C2S, "68 12 3800 b600 32 01 06 00 0300 9c1300 00002ec2 00"),
			       "request apci=\"i\" send_seq=28 recv_seq=91 typeid=50 type_name=\"C_SE_NC_1\" sq=false "
			       "num_objects=1 cot=6 cot_name=\"act\" negative=false test=false originator=0 ca=3 "
			       "ioas=[5020] objects=[{ioa=5020 value=-43.5 select=false qualifier=0}]");
	CU_ASSERT_STRING_EQUAL(one_op(C2S, SE_TA),
			       "request apci=\"i\" send_seq=37 recv_seq=123 typeid=61 type_name=\"C_SE_TA_1\" sq=false "
			       "num_objects=1 cot=6 cot_name=\"act\" negative=false test=false originator=0 ca=3 "
			       "ioas=[4821] objects=[{ioa=4821 value=16500 select=true qualifier=0}]");
	CU_ASSERT_STRING_EQUAL(one_op(C2S, DC_NA),
			       "request apci=\"i\" send_seq=31 recv_seq=101 typeid=46 type_name=\"C_DC_NA_1\" sq=false "
			       "num_objects=1 cot=6 cot_name=\"act\" negative=false test=false originator=0 ca=3 "
			       "ioas=[4600] objects=[{ioa=4600 value=2 select=false qualifier=1}]");
}

static void test_negative_confirm(void)
{
	struct dsc_run *r = run_new();
	feed1(r, C2S, DC_SELECT);
	r->ts_ns = 7 * MS;
	feed1(r, S2C, DC_SELECT_NEG);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1),
			       "response apci=\"i\" send_seq=5 recv_seq=2 typeid=46 type_name=\"C_DC_NA_1\" sq=false "
			       "num_objects=1 cot=7 cot_name=\"actcon\" negative=true test=false originator=1 ca=37133 "
			       "ioas=[15000] objects=[{ioa=15000 value=2 select=true qualifier=0}]");
	CU_ASSERT_EQUAL(r->response_time[1], 7 * MS);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_NEGATIVE_CONFIRM), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

/* The scenario's attack: a new master starts data transfer and switches IOA 2001 off. */
static void test_scada_command(void)
{
	struct dsc_run *r = run_new();
	r->ts_ns = 104911 * MS;
	feed1(r, C2S, STARTDT_ACT);
	feed1(r, S2C, STARTDT_CON);
	r->ts_ns = 104965 * MS;
	feed1(r, C2S, SC_ACT);
	r->ts_ns = 104974 * MS;
	feed1(r, S2C, SC_CON);
	r->ts_ns = 105026 * MS;
	feed1(r, S2C, SC_TERM);
	feed1(r, C2S, "68 04 01 00 04 00");  /* frame 6301: S, N(R) 2 */
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2),
			       "request apci=\"i\" send_seq=0 recv_seq=0 typeid=45 type_name=\"C_SC_NA_1\" sq=false "
			       "num_objects=1 cot=6 cot_name=\"act\" negative=false test=false originator=0 ca=1 "
			       "ioas=[2001] objects=[{ioa=2001 value=0 select=false qualifier=0}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 4),
			       "response apci=\"i\" send_seq=1 recv_seq=1 typeid=45 type_name=\"C_SC_NA_1\" sq=false "
			       "num_objects=1 cot=10 cot_name=\"actterm\" negative=false test=false originator=0 ca=1 "
			       "ioas=[2001] objects=[{ioa=2001 value=0 select=false qualifier=0}]");
	CU_ASSERT_EQUAL(r->response_time[3], 9 * MS);
	CU_ASSERT_EQUAL(r->response_time[4], 61 * MS);
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* Monitor data with time tag (frame 7197). */
	feed1(r, S2C, "68 15 0400 0200 1e 01 03 00 0100 d30700 01 3e0302064e0518");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 6),
			       "response apci=\"i\" send_seq=2 recv_seq=1 typeid=30 type_name=\"M_SP_TB_1\" sq=false "
			       "num_objects=1 cot=3 cot_name=\"spont\" negative=false test=false originator=0 ca=1 "
			       "ioas=[2003] objects=[{ioa=2003 value=1 quality=0}]");
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* One object of each decoded type, built after IEC 60870-5-101 §7.3. */
static void test_value_types(void)
{
	static const struct {
		const char *hex;
		const char *objects;
	} cases[] = {
		/* ASDU: type, VSQ, COT, originator, CA | IOA | element (101 §7.3.x of the type) */
		{ "05 01 03 00 0100 0a0000 c5 10", "[{ioa=10 value=-59 transient=true quality=16}]" }, /* VTI -59 */
		{ "07 01 03 00 0100 0a0000 78563412 00", "[{ioa=10 value=305419896 quality=0}]" }, /* BSI LE */
		{ "09 01 03 00 0100 0a0000 0080 00", "[{ioa=10 value=-32768 quality=0}]" }, /* NVA -1.0 */
		{ "0b 01 03 00 0100 0a0000 ffff 01", "[{ioa=10 value=-1 quality=1}]" }, /* SVA, OV */
		{ "0f 01 25 00 0100 0a0000 feffffff e3", "[{ioa=10 value=-2 quality=224}]" }, /* BCR, SQ 3 */
		{ "14 01 03 00 0100 0a0000 0f00f000 00", "[{ioa=10 value=15728655 quality=0}]" }, /* SCD */
		{ "15 01 03 00 0100 0a0000 0040", "[{ioa=10 value=16384}]" }, /* NVA, no QDS */
		{ "2f 01 06 00 0100 0a0000 86", "[{ioa=10 value=2 select=true qualifier=1}]" }, /* RCO higher */
		/* C_SE_NA_1: NVA 0.5, QOS execute with QL 5 */
		{ "30 01 06 00 0100 0a0000 0040 05", "[{ioa=10 value=16384 select=false qualifier=5}]" },
		{ "31 01 06 00 0100 0a0000 9cff 80", "[{ioa=10 value=-100 select=true qualifier=0}]" }, /* C_SE_NB_1 */
		{ "33 01 06 00 0100 0a0000 01000000", "[{ioa=10 value=1}]" }, /* C_BO_NA_1 */
		{ "46 01 04 00 0100 000000 02", "[{ioa=0 qualifier=2}]" }, /* M_EI_NA_1 */
		{ "65 01 06 00 0100 000000 05", "[{ioa=0 qualifier=5}]" }, /* C_CI_NA_1 */
		{ "66 01 05 00 0100 0a0000", "[{ioa=10}]" }, /* C_RD_NA_1 */
		{ "67 01 06 00 0100 000000 c83239081d0808", "[{ioa=0}]" }, /* C_CS_NA_1 */
		{ "69 01 06 00 0100 000000 01", "[{ioa=0 qualifier=1}]" }, /* C_RP_NA_1 */
		{ "6b 01 06 00 0100 000000 3412 c83239081d0808", "[{ioa=0 value=4660}]" }, /* C_TS_TA_1 */
		{ "6e 01 06 00 0100 0a0000 0020 01", "[{ioa=10 value=8192 qualifier=1}]" }, /* P_ME_NA_1 */
		{ "6e 01 06 00 0100 0a0000 0000c03f 01", "" }, /* P_ME_NA_1 with an R32: bad_length */
		{ "70 01 06 00 0100 0a0000 0000c03f 01", "[{ioa=10 value=1.5 qualifier=1}]" }, /* P_ME_NC_1 */
		{ "7d 01 0d 00 0100 0a0000 0100 01 02 aabb", "[{ioa=10}]" }, /* F_SG_NA_1 */
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		char hex[256];
		/* An I format APDU around the ASDU, on a connection joined in the middle (N(S) 5). */
		snprintf(hex, sizeof(hex), "68 %02x 0a00 0200 %s", 4 + hex_len(cases[i].hex), cases[i].hex);
		struct dsc_run *r = run_new();
		feed1(r, S2C, hex);
		const char *line = dsc_op(r, 0);
		const char *objects = strstr(line, " objects=");
		bool ok = cases[i].objects[0] ? objects && strcmp(objects + 9, cases[i].objects) == 0
					      : dsc_events(r, BLD_EVENT_IEC104_BAD_LENGTH) == 1;
		if (!ok)
			fprintf(stderr, "\n    case %zu: %s\n", i, line);
		CU_ASSERT_TRUE(ok);
		dsc_run_free(r);
	}
}

/* Short floats print like printf's %.7g. */
static void test_float_text(void)
{
	static const uint32_t bits[] = {
		0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3e2ccccd, 0x449a522b, 0x4b189680, 0x49742400,
		0x501502f9, 0x33d6bf95, 0x3727c5ac, 0x38d1b717, 0x7f7fffff, 0x00000001, 0x00800000, 0x4b3c614e,
		0x7f800000, 0xff800000, 0x42f60000, 0x3dcccccd, 0x4cbebc20, 0x461c4000,
	};
	/* M_ME_NC_1 with SQ = 1: one address, then the elements. */
	char hex[512];
	unsigned count = (unsigned)BLD_TEST_COUNT(bits);
	int n = snprintf(hex, sizeof(hex), "68 %02x 0a00 0200 0d %02x 03 00 0100 010000", 4 + 9 + 5 * count,
			 0x80 | count);
	for (size_t i = 0; i < count; i++)
		n += snprintf(hex + n, sizeof(hex) - (size_t)n, " %02x%02x%02x%02x 00", bits[i] & 0xff,
			      bits[i] >> 8 & 0xff, bits[i] >> 16 & 0xff, bits[i] >> 24);
	char want[2048];
	int w = snprintf(want, sizeof(want), " objects=[");
	for (size_t i = 0; i < BLD_TEST_COUNT(bits); i++) {
		float f;
		memcpy(&f, &bits[i], sizeof(f));
		char num[32]; /* the shortest text that reads back as the same float */
		for (int digits = 6; digits <= 9; digits++) {
			snprintf(num, sizeof(num), "%.*g", digits, (double)f);
			if ((float)strtod(num, NULL) == f || f != f)
				break;
		}
		if (f != f)
			snprintf(num, sizeof(num), "nan");
		w += snprintf(want + w, sizeof(want) - (size_t)w, "%s{ioa=%zu value=%s quality=0}", i ? " " : "", i + 1,
			      num);
	}
	snprintf(want + w, sizeof(want) - (size_t)w, "]");
	struct dsc_run *r = run_new();
	feed1(r, S2C, hex);
	const char *objects = strstr(dsc_op(r, 0), " objects=");
	CU_ASSERT_PTR_NOT_NULL_FATAL(objects);
	if (strcmp(objects, want))
		fprintf(stderr, "\n    got  %s\n    want %s\n", objects, want);
	CU_ASSERT_STRING_EQUAL(objects, want);
	/* NaN has no sign in the text. */
	dsc_clear(r);
	feed1(r, S2C, "68 12 0c00 0200 0d 01 03 00 0100 010000 0000c0ff 00");
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "value=nan"));
	dsc_run_free(r);
}

/* ---- malformed ASDUs ------------------------------------------------------------------------ */

static void test_bad_asdu_length(void)
{
	struct dsc_run *r = run_new();
	/* N = 2 but one object's bytes (the second's address and element are missing). */
	feed1(r, S2C, "68 12 0a00 0200 0d 02 03 00 0300 140500 0000f041 00");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_LENGTH), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "num_objects=2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "ioas=[1300] objects=[{ioa=1300 value=30 quality=0}]"));
	/* One object and two octets more than it needs. */
	feed1(r, S2C, "68 14 0c00 0200 0d 01 03 00 0300 140500 0000f041 00 ffff");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_LENGTH), 2);
	/* SQ = 1, N = 3 with two elements: the three addresses are known, two values. */
	feed1(r, S2C, "68 0f 0e00 0200 01 83 03 00 0300 0a0000 01 00");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_LENGTH), 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 2), "ioas=[10 11 12] objects=[{ioa=10 value=1 quality=0} "
						 "{ioa=11 value=0 quality=0}]"));
	/* A cut element of a partially present object (C_SC_NA_1 without its SCO). */
	feed1(r, C2S, "68 0d 0000 1000 2d 01 06 00 0300 941100");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_LENGTH), 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 3), "ioas=[] objects=[]"));
	/* An I format with no room for the ASDU header: truncated, APCI fields still reported. */
	feed1(r, S2C, "68 07 1000 0200 0d 01 03");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_TRUNCATED), 1);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 4), "response apci=\"i\" send_seq=8 recv_seq=1");
	feed1(r, C2S, "68 04 0200 1200");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_TRUNCATED), 2);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 5), "request apci=\"i\" send_seq=1 recv_seq=9");
	CU_ASSERT_EQUAL(r->n_ops, 6);
	dsc_run_free(r);
}

static void test_illegal_type_and_cause(void)
{
	struct dsc_run *r = run_new();
	/* Type 42 is not defined: the SQ = 1 addresses are still known, no values, no length check. */
	feed1(r, S2C, "68 10 0a00 0200 2a 83 03 00 0300 0a0000 01 02 03");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "response apci=\"i\" send_seq=5 recv_seq=1 typeid=42 sq=true num_objects=3 cot=3 "
			       "cot_name=\"spont\" negative=false test=false originator=0 ca=3 ioas=[10 11 12]");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_ILLEGAL_TYPE), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_LENGTH), 0);
	/* SQ = 0: only the first address. */
	feed1(r, S2C, "68 12 0c00 0200 80 02 03 00 0300 0a0000 01 0b0000 02");
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 1), "typeid=128 sq=false num_objects=2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 1), "ioas=[10]"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_ILLEGAL_TYPE), 2);
	/* Cause 0 (not used) and 50 (undefined) with the T bit: no name, the sender's direction. */
	feed1(r, S2C, "68 0e 0e00 0200 01 01 80 00 0300 0a0000 01");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2),
			       "response apci=\"i\" send_seq=7 recv_seq=1 typeid=1 type_name=\"M_SP_NA_1\" sq=false "
			       "num_objects=1 cot=0 negative=false test=true originator=0 ca=3 ioas=[10] "
			       "objects=[{ioa=10 value=1 quality=0}]");
	feed1(r, C2S, "68 0e 0000 1000 2d 01 32 00 0300 0a0000 01");
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 3), "request apci=\"i\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 3), "cot=50 negative"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_ILLEGAL_CAUSE), 2);
	dsc_run_free(r);
}

/* ---- state ---------------------------------------------------------------------------------- */

static void test_i_before_startdt(void)
{
	/* The first I format of a connection (N(S) = N(R) = 0) without STARTDT. */
	struct dsc_run *r = run_new();
	feed1(r, C2S, SC_ACT);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_I_BEFORE_STARTDT), 1);
	CU_ASSERT_EQUAL(r->n_ops, 1);   /* still reported */
	feed1(r, S2C, SC_CON);          /* and every one after it, until STARTDT con */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_I_BEFORE_STARTDT), 2);
	feed1(r, C2S, STARTDT_ACT);
	feed1(r, S2C, STARTDT_CON);
	feed1(r, S2C, SC_TERM);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_I_BEFORE_STARTDT), 2);
	/* STOPDT con stops it again. */
	feed1(r, C2S, "68 04 13 00 00 00");
	feed1(r, C2S, "68 0e 0200 0400 2d 01 06 00 0100 d10700 01"); /* before the con: allowed */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_I_BEFORE_STARTDT), 2);
	feed1(r, S2C, "68 04 23 00 00 00");
	feed1(r, S2C, "68 0e 0400 0400 2d 01 07 00 0100 d10700 01");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_I_BEFORE_STARTDT), 3);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_SEQUENCE_ERROR), 0);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_ACK_ERROR), 0);
	dsc_run_free(r);

	/* Between STARTDT act and its con. */
	r = run_new();
	feed1(r, C2S, STARTDT_ACT);
	feed1(r, C2S, SC_ACT);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_I_BEFORE_STARTDT), 1);
	dsc_run_free(r);

	/* Joined mid-connection: sequence numbers say I format went before, so it was started. */
	r = run_new();
	feed1(r, C2S, SC_TA_EXEC);
	feed1(r, S2C, SC_TA_EXEC_CON);
	CU_ASSERT_EQUAL(r->n_events, 0);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_I_BEFORE_STARTDT), 0);
	dsc_run_free(r);
	r = run_new();
	feed1(r, C2S, S_78);                /* an S format acknowledging 78 frames */
	feed1(r, S2C, "68 0e 0000 0000 2d 01 03 00 0100 d10700 01");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_I_BEFORE_STARTDT), 0);
	dsc_run_free(r);
}

static void test_sequence(void)
{
	struct dsc_run *r = run_started();
	/* The server sends N(S) 0, 1, 3: the third skips one. */
	feed1(r, S2C, "68 0e 0000 0000 01 01 03 00 0100 0a0000 01");
	feed1(r, S2C, "68 0e 0200 0000 01 01 03 00 0100 0a0000 01");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_SEQUENCE_ERROR), 0);
	feed1(r, S2C, "68 0e 0600 0000 01 01 03 00 0100 0a0000 01");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_SEQUENCE_ERROR), 1);
	/* Then 4 follows 3: one gap is one event. A repeat of 4 is another. */
	feed1(r, S2C, "68 0e 0800 0000 01 01 03 00 0100 0a0000 01");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_SEQUENCE_ERROR), 1);
	feed1(r, S2C, "68 0e 0800 0000 01 01 03 00 0100 0a0000 01");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_SEQUENCE_ERROR), 2);
	/* The client's numbers are its own: N(S) 0 is right for its first. */
	feed1(r, C2S, "68 0e 0000 0a00 64 01 06 00 0100 000000 14");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_SEQUENCE_ERROR), 2);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_ACK_ERROR), 0);
	dsc_run_free(r);

	/* Modulo 2^15: 32767 is followed by 0. */
	r = run_new();
	feed1(r, S2C, "68 0e feff 0200 01 01 03 00 0100 0a0000 01");
	feed1(r, S2C, "68 0e 0000 0200 01 01 03 00 0100 0a0000 01");
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "send_seq=32767"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_SEQUENCE_ERROR), 0);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_I_BEFORE_STARTDT), 0);
	dsc_run_free(r);
}

static void test_ack(void)
{
	struct dsc_run *r = run_started();
	/* The server sends N(S) 0 and 1: the client may acknowledge up to 2. */
	feed1(r, S2C, "68 0e 0000 0000 01 01 03 00 0100 0a0000 01");
	feed1(r, S2C, "68 0e 0200 0000 01 01 03 00 0100 0a0000 01");
	feed1(r, C2S, "68 04 01 00 02 00");   /* N(R) 1 */
	feed1(r, C2S, "68 04 01 00 04 00");   /* N(R) 2 */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_ACK_ERROR), 0);
	feed1(r, C2S, "68 04 01 00 06 00");   /* N(R) 3: one frame the server never sent */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_ACK_ERROR), 1);
	feed1(r, C2S, "68 04 01 00 02 00");   /* N(R) 1: behind the 2 acknowledged already */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_ACK_ERROR), 2);
	/* In an I format from the client too. */
	feed1(r, C2S, "68 0e 0000 1000 64 01 06 00 0100 000000 14");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_ACK_ERROR), 3);
	/* And from the server: the client sent N(S) 0 only. */
	feed1(r, S2C, "68 0e 0400 0200 64 01 07 00 0100 000000 14");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_ACK_ERROR), 3);
	feed1(r, S2C, "68 04 01 00 04 00");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_ACK_ERROR), 4);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_SEQUENCE_ERROR), 0);
	dsc_run_free(r);
}

static void test_pairing(void)
{
	struct dsc_run *r = run_started();
	/* Deactivation pairs with its confirmation; an actcon for another IOA does not pair. */
	r->ts_ns = 1 * MS;
	feed1(r, C2S, "68 0e 0000 0000 2d 01 08 00 0100 d10700 01");
	r->ts_ns = 3 * MS;
	feed1(r, S2C, "68 0e 0000 0200 2d 01 09 00 0100 d10700 01");
	CU_ASSERT_EQUAL(r->response_time[1], 2 * MS);
	feed1(r, S2C, "68 0e 0200 0200 2d 01 07 00 0100 d20700 01");
	CU_ASSERT_EQUAL(r->response_time[2], UINT64_MAX);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_RESPONSE_WITHOUT_REQUEST), 1);
	/* A read (COT 5) answered by monitor data with COT 5 (requested). */
	r->ts_ns = 10 * MS;
	feed1(r, C2S, "68 0d 0200 0400 66 01 05 00 0100 d30700");
	r->ts_ns = 15 * MS;
	feed1(r, S2C, "68 0e 0400 0400 01 01 05 00 0100 d30700 01");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 3),
			       "request apci=\"i\" send_seq=1 recv_seq=2 typeid=102 type_name=\"C_RD_NA_1\" sq=false "
			       "num_objects=1 cot=5 cot_name=\"req\" negative=false test=false originator=0 ca=1 "
			       "ioas=[2003] objects=[{ioa=2003}]");
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 4), "response apci=\"i\""));
	CU_ASSERT_EQUAL(r->response_time[4], 5 * MS);
	/* A negative reply (unknown IOA, P/N) to an act. */
	r->ts_ns = 20 * MS;
	feed1(r, C2S, "68 0e 0400 0600 2d 01 06 00 0100 ff0700 01");
	r->ts_ns = 21 * MS;
	feed1(r, S2C, "68 0e 0600 0600 2d 01 6f 00 0100 ff0700 01");
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 6), "cot=47 cot_name=\"unknown_ioa\" negative=true"));
	CU_ASSERT_EQUAL(r->response_time[6], 1 * MS);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_NEGATIVE_CONFIRM), 1);
	/* A confirmation from the side that sent the act does not pair. */
	feed1(r, C2S, "68 0e 0600 0800 64 01 06 00 0100 000000 14");
	feed1(r, C2S, "68 0e 0800 0800 64 01 07 00 0100 000000 14");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_RESPONSE_WITHOUT_REQUEST), 2);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_SEQUENCE_ERROR), 0);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_ACK_ERROR), 0);
	dsc_run_free(r);
}

/* Pending terminations are bounded and forgotten silently; the transaction table raises its own event. */
static void test_term_waits_bounded(void)
{
	struct dsc_run *r = run_started();
	char hex[128];
	for (unsigned i = 0; i < 20; i++) {
		snprintf(hex, sizeof(hex), "68 0e %02x%02x 0000 2d 01 06 00 0100 %02x0700 01", (2 * i) & 0xff,
			 (2 * i) >> 8, i);
		feed1(r, C2S, hex);
		snprintf(hex, sizeof(hex), "68 0e %02x%02x %02x%02x 2d 01 07 00 0100 %02x0700 01", (2 * i) & 0xff,
			 (2 * i) >> 8, (2 * i + 2) & 0xff, (2 * i + 2) >> 8, i);
		feed1(r, S2C, hex);
	}
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* The last eight are remembered, the first is not. */
	feed1(r, S2C, "68 0e 2800 2800 2d 01 0a 00 0100 130700 01");
	CU_ASSERT_NOT_EQUAL(r->response_time[40], UINT64_MAX);
	feed1(r, S2C, "68 0e 2a00 2800 2d 01 0a 00 0100 000700 01");
	CU_ASSERT_EQUAL(r->response_time[41], UINT64_MAX);
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* BLD_TXN_MAX + 1 unanswered acts: the transaction table forgets the oldest with its event. */
	for (unsigned i = 0; i < BLD_TXN_MAX + 1; i++) {
		snprintf(hex, sizeof(hex), "68 0e %02x%02x 0000 2d 01 06 00 0200 %02x0700 01", (2 * (20 + i)) & 0xff,
			 (2 * (20 + i)) >> 8, i);
		feed1(r, C2S, hex);
	}
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_TXN_CAPACITY), 1);
	dsc_run_free(r);
}

/* ---- caps ----------------------------------------------------------------------------------- */

static void test_caps(void)
{
	/* M_SP_NA_1, SQ = 1, N = 127 (the most a VSQ holds): 6 + 3 + 127 = 136 octets of ASDU. */
	char hex[1024];
	int n = snprintf(hex, sizeof(hex), "68 8c 0a00 0200 01 ff 14 00 0100 e80300");
	for (int i = 0; i < 127; i++)
		n += snprintf(hex + n, sizeof(hex) - (size_t)n, " %02x", i & 1);
	struct dsc_run *r = run_new();
	feed1(r, S2C, hex);
	const char *line = last_op(r);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "ioas=[1000 1001 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, " 1063] ioas_count=127 objects=[{ioa=1000 value=0 quality=0} "));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "{ioa=1063 value=1 quality=0}] objects_count=127"));
	CU_ASSERT_PTR_NULL(strstr(line, "1064"));
	CU_ASSERT_PTR_NULL(strstr(line, "overflow"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_OP_CAPACITY), 0);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_LENGTH), 0);
	dsc_run_free(r);

	/* The largest APDU (253): C_RD_NA_1 with SQ = 0 and 81 addresses of 3 octets (6 + 243 = 249). */
	n = snprintf(hex, sizeof(hex), "68 fd 0a00 0200 66 51 05 00 0100");
	for (int i = 0; i < 81; i++)
		n += snprintf(hex + n, sizeof(hex) - (size_t)n, " %02x0000", i);
	r = run_new();
	feed1(r, C2S, hex);
	line = last_op(r);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "num_objects=81"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, " 63] ioas_count=81 objects=[{ioa=0} "));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "{ioa=63}] objects_count=81"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_OP_CAPACITY), 0);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_IEC104_BAD_LENGTH), 0);
	dsc_run_free(r);

	/* The widest objects (4 fields: commands) at the cap: C_SC_NA_1 with SQ = 1 and N = 127 fits one record. */
	n = snprintf(hex, sizeof(hex), "68 8c 0a00 0200 2d ff 06 00 0100 e80300");
	for (int i = 0; i < 127; i++)
		n += snprintf(hex + n, sizeof(hex) - (size_t)n, " 81");
	r = run_new();
	feed1(r, C2S, hex);
	line = last_op(r);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "{ioa=1063 value=1 select=true qualifier=0}] objects_count=127"));
	CU_ASSERT_PTR_NULL(strstr(line, "overflow"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_OP_CAPACITY), 0);
	dsc_run_free(r);

	/* Four-field monitor objects (VTI): 48 of them with SQ = 0 fill the largest ASDU (6 + 48 x 5 = 246). */
	n = snprintf(hex, sizeof(hex), "68 fa 0a00 0200 05 30 03 00 0100");
	for (int i = 0; i < 48; i++)
		n += snprintf(hex + n, sizeof(hex) - (size_t)n, " %02x0000 c5 10", i);
	r = run_new();
	feed1(r, S2C, hex);
	CU_ASSERT_EQUAL(r->n_events, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_op(r), "{ioa=47 value=-59 transient=true quality=16}]"));
	dsc_run_free(r);
}

/* ---- truncation ----------------------------------------------------------------------------- */

static void test_truncation(void)
{
	static const char *const fixtures[] = {
		STARTDT_ACT, STARTDT_CON, ME_NC, S_78, SC_TA_SELECT, SC_TA_SELECT_CON, SC_TA_EXEC, SC_TA_TERM, SE_NC,
		SE_TA, DC_NA, DC_SELECT, DC_SELECT_NEG, ME_TF, SC_ACT, SC_CON, SC_TERM, SP_TB,
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(fixtures); i++) {
		dsc_truncation_sweep(&bld_dsc_iec104, C2S, fixtures[i]);
		dsc_truncation_sweep(&bld_dsc_iec104, S2C, fixtures[i]);
	}
	/* The segment of four APDUs: each prefix parses the whole APDUs and stops at the cut one. */
	uint32_t len;
	uint8_t *b = bld_test_hex(GI_SEGMENT, &len);
	CU_ASSERT_EQUAL_FATAL(len, 64);
	for (uint32_t k = 0; k <= len; k++) {
		struct dsc_run *r = run_new();
		uint32_t used = dsc_feed(r, S2C, b, k);
		uint32_t whole = k >= 64 ? 64 : k >= 46 ? 46 : k >= 22 ? 22 : k >= 6 ? 6 : 0;
		CU_ASSERT_EQUAL(used, whole);
		CU_ASSERT_EQUAL(r->n_ops, whole == 64 ? 4 : whole == 46 ? 3 : whole == 22 ? 2 : whole == 6 ? 1 : 0);
		if (k != whole)
			CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_INCOMPLETE);
		dsc_run_free(r);
	}
	free(b);
}

/* The probe keeps matching what the parser parses. */
static void test_probe_agrees(void)
{
	static const char *const fixtures[] = { STARTDT_ACT, ME_NC, S_78, SC_TA_SELECT, SE_TA, GI_SEGMENT, ME_TF };
	for (size_t i = 0; i < BLD_TEST_COUNT(fixtures); i++) {
		uint32_t len;
		uint8_t *b = bld_test_hex(fixtures[i], &len);
		CU_ASSERT_EQUAL(bld_dsc_iec104.probe(b, len, true), BLD_PROBE_MATCH);
		free(b);
	}
	CU_ASSERT_PTR_NOT_NULL(bld_dsc_iec104.state_fini); /* it frees the request table's entries */
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "U format: functions, pairing, con without act", test_u_format },
		{ "U format with no or two functions", test_bad_u_function },
		{ "S format and its malformations", test_s_format },
		{ "framing lost: start octet, APDU length", test_framing_lost },
		{ "M_ME_NC_1 / M_ME_TF_1 short floats", test_measured_float },
		{ "interrogation: actcon, SQ=1 points, actterm in one segment", test_interrogation_segment },
		{ "C_SC_TA_1 select before operate, response times", test_select_execute },
		{ "a select is not terminated", test_select_has_no_termination },
		{ "set points and double command values", test_set_points },
		{ "negative confirmation", test_negative_confirm },
		{ "scenario: C_SC_NA_1 from a new master", test_scada_command },
		{ "values of each decoded type", test_value_types },
		{ "short floats as %.7g text", test_float_text },
		{ "ASDU size against its objects; truncated ASDU", test_bad_asdu_length },
		{ "illegal type, illegal cause", test_illegal_type_and_cause },
		{ "I format before STARTDT con / after STOPDT con", test_i_before_startdt },
		{ "send sequence numbers", test_sequence },
		{ "receive sequence numbers (acknowledgements)", test_ack },
		{ "pairing: deact, read, negative reply, wrong side", test_pairing },
		{ "pending terminations and transactions are bounded", test_term_waits_bounded },
		{ "caps: 127 objects, largest APDU, widest objects", test_caps },
		{ "truncation sweeps", test_truncation },
		{ "the probe matches the fixtures", test_probe_agrees },
	};
	return bld_test_run("iec104", tests, BLD_TEST_COUNT(tests));
}
