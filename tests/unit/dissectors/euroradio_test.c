/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the euroradio dissector (dissectors/euroradio.c).
 *
 * No public EuroRadio capture exists (shared/pcaps has none; tshark 4.0 has
 * no dissector and decodes TCP 7911 as ISC OMAPI).  The fixtures are built
 * to rail-protocols.md §4: the ALE headers of the session below are the
 * five Subset-098 Table 14 vectors byte for byte (their CRCs included), the
 * SaPDUs follow §6.2.5, the ETCS messages Subset-026 ch. 8 (the openETCS
 * data dictionary's formalisation).  MACs are made up: nobody can check
 * them passively.  Variants are built by ale(), which computes the header
 * CRC with crc.h (itself checked against the Table 14 vectors in
 * probes_test.c).
 */
#include "crc.h"
#include "dsc_test.h"
#include "euroradio.h"
#include "registry.h"

#define C2S true   /* from the TCP client: the initiator, the OBU */
#define S2C false  /* from the TCP server: the responder, the RBC */
#define MS 1000000ull

/* ---- a session: OBU engine 0x0A1B2C calls RBC 0x000123 -------------------------------------- */

static const char AU1[] =
	"001e"            /* ALE length 30 */
	"01 1a"           /* version 1, application type 0x1A */
	"0000"            /* T-sequence 0 */
	"01 01"           /* N/R 1 (normal), packet type 1 AU1 */
	"1089"            /* CRC-16/CCITT-FALSE (Table 14 vector 1) */
	"02 0a1b2c"       /* calling ETCS-ID: type 2 engine, 0x0A1B2C */
	"01 000123"       /* called ETCS-ID: type 1 RBC, 0x000123 */
	"03"              /* class of service */
	"42"              /* SaPDU: ETY 2, MTI 0001 AU1, DF 0 */
	"0a1b2c"          /* SA: the calling identity */
	"01"              /* SaF: single DES, ISO 9797-1 MAC algorithm 3 */
	"1122334455667788"; /* R_B */

static const char AU2[] =
	"0021 01 1a 0000 01 02 f38e" /* length 33, T-seq 0, type 2 AU2 (vector 2) */
	"01 000123"       /* responding ETCS-ID: RBC 0x000123 */
	"25"              /* ETY 1, MTI 0010 AU2, DF 1 */
	"000123 01"       /* SA, SaF */
	"99aabbccddeeff00" /* R_A */
	"c1c2c3c4c5c6c7c8"; /* MAC */

static const char AU3[] =
	"0011 01 1a 0001 01 03 8d12" /* length 17, T-seq 1, type 3 DT (vector 3) */
	"06"              /* ETY 0, MTI 0011 AU3, DF 0 */
	"d1d2d3d4d5d6d7d8"; /* MAC */

static const char AR[] =
	"0011 01 1a 0001 01 03 8d12" /* the RBC's T-seq 1: the same header */
	"13"              /* ETY 0, MTI 1001 AR, DF 1 */
	"e1e2e3e4e5e6e7e8";

/* The OBU's validated train data (NID_MESSAGE 129), 25 bytes. */
static const char DT_TRAIN_DATA[] =
	"002a 01 1a 0002 01 03 c6e0" /* length 42, T-seq 2 (vector 4) */
	"0a"              /* ETY 0, MTI 0101 DT, DF 0 */
	"81"              /* NID_MESSAGE 129 validated train data */
	"06 40"           /* L_MESSAGE 0000011001 = 25 bytes, then T_TRAIN's first 6 bits */
	"00 09 c4"        /* T_TRAIN 10000 (x 10 ms), 32 bits in all */
	"02 86 cb 00"     /* NID_ENGINE 0x0A1B2C (24 bits), padding */
	"0b 0000000000000000000000000000" /* NID_PACKET 11 train data, not decoded */
	"f1f2f3f4f5f6f7f8"; /* MAC */

/* The RBC's acknowledgement of train data (NID_MESSAGE 8), 14 bytes. */
static const char DT_ACK_TRAIN_DATA[] =
	"001f 01 1a 0002 01 03 e6ca" /* length 31, T-seq 2 of the RBC */
	"0b"              /* ETY 0, MTI DT, DF 1 */
	"08"              /* NID_MESSAGE 8 */
	"03 80"           /* L_MESSAGE 14 */
	"00 09 c4"        /* T_TRAIN 10000 */
	"00 24 68 a0"     /* M_ACK 0, NID_LRBG 0x012345 */
	"00 04 e2 00"     /* T_TRAIN of the train data: 10000 */
	"0102030405060708";

static const char DI[] =
	"000b 01 1a 0003 01 04 57a0" /* length 11, T-seq 3, type 4 DI (vector 5) */
	"10"              /* ETY 0, MTI 1000 DI, DF 0 */
	"00 00";          /* reason 0, sub-reason 0 */

/* ---- helpers -------------------------------------------------------------------------------- */

/* An ALE packet: header with its CRC, then user_hex. */
static uint8_t *ale(uint8_t type, uint16_t tseq, const char *user_hex, uint32_t *len)
{
	uint32_t n;
	uint8_t *user = bld_test_hex(user_hex, &n);
	uint8_t *p = malloc(10 + n);
	CU_ASSERT_FATAL(p != NULL);
	uint16_t length = (uint16_t)(8 + n);
	uint8_t h[8] = { (uint8_t)(length >> 8), (uint8_t)length, 1, 0x1a, (uint8_t)(tseq >> 8), (uint8_t)tseq, 1, type };
	memcpy(p, h, 8);
	uint16_t crc = bld_crc16_ccitt_false(h, 8);
	p[8] = (uint8_t)(crc >> 8);
	p[9] = (uint8_t)crc;
	memcpy(p + 10, user, n);
	free(user);
	*len = 10 + n;
	return p;
}

static struct bld_parse_result feed_ale(struct dsc_run *r, bool to_server, uint8_t type, uint16_t tseq,
					const char *user_hex)
{
	uint32_t len;
	uint8_t *p = ale(type, tseq, user_hex, &len);
	struct bld_parse_result res = dsc_parse(r, to_server, false, p, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, len);
	free(p);
	return res;
}

/* Parse one PDU with site settings (dsc_parse hands the parser none: the default). */
static struct bld_parse_result feed_cfg(struct dsc_run *r, bool to_server, const char *hex,
					const struct bld_euroradio_config *cfg)
{
	uint32_t len;
	uint8_t *p = bld_test_hex(hex, &len);
	r->pc = (struct bld_parse_ctx){ .dsc = r->dsc, .state = r->state, .ts_ns = r->ts_ns,
					.to_server = to_server, .op = &r->op, .sink = &r->sink, .config = cfg };
	r->last = r->dsc->parse(&r->pc, p, len);
	free(p);
	return r->last;
}

static void feed_all(struct dsc_run *r, bool to_server, const char *hex)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	free(b);
	CU_ASSERT_EQUAL(dsc_feed_hex(r, to_server, hex), len);
}

/* AU1 .. AR at 10 ms steps: a safe connection is up. */
static struct dsc_run *session_up(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_euroradio);
	feed_all(r, C2S, AU1);
	r->ts_ns += 10 * MS;
	feed_all(r, S2C, AU2);
	r->ts_ns += 10 * MS;
	feed_all(r, C2S, AU3);
	r->ts_ns += 10 * MS;
	feed_all(r, S2C, AR);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_clear(r);
	return r;
}

/* One event raised once, and no other. */
static void expect_only(const struct dsc_run *r, enum bld_event ev)
{
	if (r->n_events != 1 || dsc_events(r, ev) != 1) {
		fprintf(stderr, "\n    want only %s, got %u events:", bld_event_names[ev], r->n_events);
		for (int e = 0; e < BLD_EVENT_MAX; e++)
			if (r->events[e])
				fprintf(stderr, " %s", bld_event_names[e]);
		fprintf(stderr, "\n");
	}
	CU_ASSERT_EQUAL(dsc_events(r, ev), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
}

/* Bodies of short ETCS messages (10 bytes) for DTs whose content does not matter. */
#define OBU_MSG "92 0280 0009c402 86cb00 "   /* 146 acknowledgement, L 10, T_TRAIN 10000, NID_ENGINE 0x0A1B2C */
#define RBC_MSG "29 0280 0009c400 2468a0 "   /* 41 train accepted, L 10, T_TRAIN 10000, M_ACK 0, NID_LRBG 0x012345 */

#define SESSION_IDS                                                                                    \
	"calling_type=2 calling_type_name=\"engine\" calling_id=662316 called_type=1 "                 \
	"called_type_name=\"rbc\" called_id=291"

/* ---- the session ---------------------------------------------------------------------------- */

static void test_registered(void)
{
	CU_ASSERT_PTR_EQUAL(bld_dissectors[BLD_PROTO_EURORADIO], &bld_dsc_euroradio);
	CU_ASSERT_STRING_EQUAL(bld_dsc_euroradio.name, "euroradio");
	CU_ASSERT_PTR_NOT_NULL(bld_dsc_euroradio.parse);
	CU_ASSERT_EQUAL(bld_dsc_euroradio.ports[0], 7911);
}

/* AU1 .. AR .. DT both ways .. DI: every op as expected, no event. */
static void test_session(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_euroradio);
	feed_all(r, C2S, AU1);
	r->ts_ns += 12 * MS;
	feed_all(r, S2C, AU2);
	r->ts_ns += 5 * MS;
	feed_all(r, C2S, AU3);
	r->ts_ns += 7 * MS;
	feed_all(r, S2C, AR);
	feed_all(r, C2S, DT_TRAIN_DATA);
	feed_all(r, S2C, DT_ACK_TRAIN_DATA);
	feed_all(r, C2S, DI);
	CU_ASSERT_EQUAL(r->n_events, 0);
	CU_ASSERT_EQUAL_FATAL(r->n_ops, 7);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request packet_type=1 packet_type_name=\"au1\" tseq=0 version=1 app_type=26 nr_flag=1 "
			       SESSION_IDS " class_of_service=3 sapdu=1 sapdu_name=\"au1\" df=0 sa=662316 saf=1");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1),
			       "response packet_type=2 packet_type_name=\"au2\" tseq=0 version=1 app_type=26 nr_flag=1 "
			       SESSION_IDS " responding_type=1 responding_type_name=\"rbc\" responding_id=291 sapdu=2 "
			       "sapdu_name=\"au2\" df=1 sa=291 saf=1");
	CU_ASSERT_EQUAL(r->response_time[1], 12 * MS); /* AU2 answers AU1 */
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2),
			       "request packet_type=3 packet_type_name=\"dt\" tseq=1 version=1 app_type=26 nr_flag=1 "
			       SESSION_IDS " sapdu=3 sapdu_name=\"au3\" df=0");
	CU_ASSERT_EQUAL(r->response_time[2], UINT64_MAX);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 3),
			       "response packet_type=3 packet_type_name=\"dt\" tseq=1 version=1 app_type=26 nr_flag=1 "
			       SESSION_IDS " sapdu=9 sapdu_name=\"ar\" df=1");
	CU_ASSERT_EQUAL(r->response_time[3], 7 * MS); /* AR answers AU3 */
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 4),
			       "request packet_type=3 packet_type_name=\"dt\" tseq=2 version=1 app_type=26 nr_flag=1 "
			       SESSION_IDS " sapdu=5 sapdu_name=\"dt\" df=0 user_data_len=25 mac=f1f2f3f4f5f6f7f8 "
			       "nid_message=129 message_name=\"validated_train_data\" l_message=25 t_train=10000 "
			       "nid_engine=662316");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 5),
			       "response packet_type=3 packet_type_name=\"dt\" tseq=2 version=1 app_type=26 nr_flag=1 "
			       SESSION_IDS " sapdu=5 sapdu_name=\"dt\" df=1 user_data_len=14 mac=0102030405060708 "
			       "nid_message=8 message_name=\"ack_of_train_data\" l_message=14 t_train=10000 m_ack=0 "
			       "nid_lrbg=74565");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 6),
			       "request packet_type=4 packet_type_name=\"di\" tseq=3 version=1 app_type=26 nr_flag=1 "
			       SESSION_IDS " sapdu=8 sapdu_name=\"di\" df=0 reason=0 sub_reason=0");
	dsc_run_free(r);
}

/* The headers of the fixtures are the Subset-098 Table 14 vectors, and their CRCs verify. */
static void test_table14_vectors(void)
{
	static const struct {
		const char *pdu;
		uint16_t crc;
	} v[] = { { AU1, 0x1089 }, { AU2, 0xF38E }, { AU3, 0x8D12 }, { DT_TRAIN_DATA, 0xC6E0 }, { DI, 0x57A0 } };
	for (size_t i = 0; i < BLD_TEST_COUNT(v); i++) {
		uint32_t len;
		uint8_t *b = bld_test_hex(v[i].pdu, &len);
		CU_ASSERT_EQUAL(bld_crc16_ccitt_false(b, 8), v[i].crc);
		CU_ASSERT_EQUAL(b[8] << 8 | b[9], v[i].crc);
		CU_ASSERT_EQUAL(len, 2u + (b[0] << 8 | b[1]));   /* the length frames the whole packet */
		free(b);
	}
}

/* Every proper prefix of every PDU is INCOMPLETE, with no op and no event. */
static void test_truncations(void)
{
	const char *all[] = { AU1, AU2, AU3, AR, DT_TRAIN_DATA, DT_ACK_TRAIN_DATA, DI };
	for (size_t i = 0; i < BLD_TEST_COUNT(all); i++) {
		dsc_truncation_sweep(&bld_dsc_euroradio, C2S, all[i]);
		dsc_truncation_sweep(&bld_dsc_euroradio, S2C, all[i]);
	}
	/* Once the CRC holds, the length says the size to wait for; before, nothing is trusted. */
	struct dsc_run *r = dsc_run_new(&bld_dsc_euroradio);
	uint32_t len;
	uint8_t *b = bld_test_hex(AU1, &len);
	struct bld_parse_result res = dsc_parse(r, C2S, false, b, 9);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(res.needed, 0);
	res = dsc_parse(r, C2S, false, b, 10);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(res.needed, 32);
	free(b);
	dsc_run_free(r);
}

/* Packets back to back in one stream buffer, and a directions' worth of them. */
static void test_stream(void)
{
	struct dsc_run *r = session_up();
	char both[1024];
	snprintf(both, sizeof(both), "%s %s", DT_TRAIN_DATA, DI);
	feed_all(r, C2S, both);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* ---- ALE corruptions ------------------------------------------------------------------------ */

static void test_bad_crc(void)
{
	/* a CRC bit, a T-sequence bit, a length bit: the checksum fails, framing is lost */
	static const uint32_t flip[] = { 9, 5, 1 };
	for (size_t i = 0; i < BLD_TEST_COUNT(flip); i++) {
		struct dsc_run *r = dsc_run_new(&bld_dsc_euroradio);
		uint32_t len;
		uint8_t *b = bld_test_hex(AU1, &len);
		b[flip[i]] ^= 0x01;
		struct bld_parse_result res = dsc_parse(r, C2S, false, b, len);
		CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
		CU_ASSERT_EQUAL(res.consumed, 1);
		CU_ASSERT_EQUAL(r->n_ops, 0);
		expect_only(r, BLD_EVENT_EURORADIO_BAD_CRC);
		free(b);
		dsc_run_free(r);
	}
}

static void test_bad_length(void)
{
	/* length 7 with a CRC that holds: shorter than the header itself */
	struct dsc_run *r = dsc_run_new(&bld_dsc_euroradio);
	uint8_t h[10] = { 0x00, 0x07, 1, 0x1a, 0, 0, 1, 3 };
	uint16_t crc = bld_crc16_ccitt_false(h, 8);
	h[8] = (uint8_t)(crc >> 8), h[9] = (uint8_t)crc;
	struct bld_parse_result res = dsc_parse(r, C2S, false, h, sizeof(h));
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	expect_only(r, BLD_EVENT_EURORADIO_BAD_LENGTH);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	dsc_run_free(r);

	/* length 8: a header and nothing else, in a DT: no SaPDU */
	r = session_up();
	feed_ale(r, C2S, 3, 2, "");
	expect_only(r, BLD_EVENT_EURORADIO_BAD_SIZE);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request packet_type=3 packet_type_name=\"dt\" tseq=2 version=1 "
					     "app_type=26 nr_flag=1 " SESSION_IDS);
	dsc_run_free(r);
}

static void test_packet_types(void)
{
	/* an undefined type with a good CRC: reported, framing kept */
	struct dsc_run *r = session_up();
	feed_ale(r, C2S, 5, 2, "0a 01 0102030405060708");
	expect_only(r, BLD_EVENT_EURORADIO_UNKNOWN_PACKET_TYPE);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request packet_type=5 tseq=2 version=1 app_type=26 nr_flag=1 "
					     SESSION_IDS " user_data_len=10");
	/* Class A keep-alive: named, not decoded, no event */
	dsc_clear(r);
	feed_ale(r, S2C, 254, 2, "00");
	CU_ASSERT_EQUAL(r->n_events, 0);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "response packet_type=254 packet_type_name=\"kana\" tseq=2 version=1 "
					     "app_type=26 nr_flag=1 " SESSION_IDS " user_data_len=1");
	/* the vendor type 6 carries DT SaPDUs: decoded, flagged once per connection */
	dsc_clear(r);
	feed_ale(r, C2S, 6, 3, "0a 81064000 09c40286 cb00 0b0000000000000000000000000000 a1a2a3a4a5a6a7a8");
	feed_ale(r, C2S, 6, 4, "0a 81064000 09c40286 cb00 0b0000000000000000000000000000 b1b2b3b4b5b6b7b8");
	expect_only(r, BLD_EVENT_EURORADIO_VENDOR_PACKET_TYPE);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 1), "packet_type_name=\"dt_vendor\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 1), "nid_message=129"));
	dsc_run_free(r);
}

static void test_tseq(void)
{
	struct dsc_run *r = session_up();
	/* the OBU's T-seq 2 skipped */
	feed_ale(r, C2S, 3, 3, "0a " OBU_MSG "0102030405060708");
	expect_only(r, BLD_EVENT_EURORADIO_TSEQ_ERROR);
	/* one jump, one event: the count goes on from 3 */
	dsc_clear(r);
	feed_ale(r, C2S, 3, 4, "0a " OBU_MSG "1102030405060708");
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* the RBC's direction counts for itself: its next is 2 */
	feed_ale(r, S2C, 3, 2, "0b " RBC_MSG "0102030405060708");
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* the same number again */
	feed_ale(r, S2C, 3, 2, "0b " RBC_MSG "1102030405060708");
	expect_only(r, BLD_EVENT_EURORADIO_TSEQ_ERROR);
	dsc_run_free(r);

	/* AU1 must carry 0 */
	r = dsc_run_new(&bld_dsc_euroradio);
	feed_ale(r, C2S, 1, 7, "020a1b2c 01000123 03 42 0a1b2c 01 1122334455667788");
	expect_only(r, BLD_EVENT_EURORADIO_TSEQ_ERROR);
	dsc_run_free(r);

	/* the wrap: 65535 -> 0, and 65535 -> 1 (whether 0 is skipped is not known) */
	for (uint16_t after = 0; after <= 1; after++) {
		r = session_up();
		char user[64];
		feed_ale(r, C2S, 3, 65534, "0a " OBU_MSG "2102030405060708");
		dsc_clear(r);
		feed_ale(r, C2S, 3, 65535, "0a " OBU_MSG "3102030405060708");
		snprintf(user, sizeof(user), "0a " OBU_MSG "%02x02030405060708", 0x41 + after);
		feed_ale(r, C2S, 3, after, user);
		CU_ASSERT_EQUAL(r->n_events, 0);
		feed_ale(r, C2S, 3, 2, "0a " OBU_MSG "5102030405060708");   /* after 0 comes 1, not 2 */
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_EURORADIO_TSEQ_ERROR), after == 0 ? 1 : 0);
		dsc_run_free(r);
	}

	/* a gap forgets the count of its direction */
	r = session_up();
	bld_dsc_euroradio.gap(r->state, C2S);
	feed_ale(r, C2S, 3, 40, "0a " OBU_MSG "0102030405060708");
	CU_ASSERT_EQUAL(r->n_events, 0);
	feed_ale(r, C2S, 3, 41, "0a " OBU_MSG "1102030405060708");
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* ---- SaPDU corruptions ---------------------------------------------------------------------- */

static void test_type_mismatch(void)
{
	/* a DI SaPDU in an ALE DT packet, an AU3 in an ALE DI packet */
	struct dsc_run *r = session_up();
	feed_ale(r, C2S, 3, 2, "10 0000");
	expect_only(r, BLD_EVENT_EURORADIO_TYPE_MISMATCH);
	dsc_run_free(r);

	r = dsc_run_new(&bld_dsc_euroradio);
	feed_all(r, C2S, AU1);
	feed_all(r, S2C, AU2);
	feed_ale(r, C2S, 4, 1, "06 d1d2d3d4d5d6d7d8");
	expect_only(r, BLD_EVENT_EURORADIO_TYPE_MISMATCH);
	dsc_run_free(r);

	/* an undefined MTI (0111): reported as a number, nothing else judged */
	r = session_up();
	feed_ale(r, C2S, 3, 2, "0e 0102030405060708");
	expect_only(r, BLD_EVENT_EURORADIO_UNKNOWN_SAPDU);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), " sapdu=7 df=0"));
	dsc_run_free(r);
}

static void test_df(void)
{
	/* a DT with DF 1 from the initiator, a DT with DF 0 from the responder: reflections */
	struct dsc_run *r = session_up();
	feed_ale(r, C2S, 3, 2, "0b " OBU_MSG "0102030405060708");
	expect_only(r, BLD_EVENT_EURORADIO_DF_MISMATCH);
	dsc_clear(r);
	feed_ale(r, S2C, 3, 2, "0a " RBC_MSG "0102030405060708");
	expect_only(r, BLD_EVENT_EURORADIO_DF_MISMATCH);
	dsc_run_free(r);

	/* the AU1 sent back at the OBU by the server: DF 0 from the responder, and an initiator's SaPDU */
	r = dsc_run_new(&bld_dsc_euroradio);
	feed_all(r, S2C, AU1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_EURORADIO_DF_MISMATCH), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_EURORADIO_WRONG_ROLE), 1);
	CU_ASSERT_EQUAL(r->n_events, 2);
	dsc_run_free(r);
}

static void test_wrong_role(void)
{
	/* an AR (a responder's SaPDU) from the client, with the DF a client uses */
	struct dsc_run *r = dsc_run_new(&bld_dsc_euroradio);
	feed_all(r, C2S, AU1);
	feed_all(r, S2C, AU2);
	feed_all(r, C2S, AU3);
	feed_ale(r, C2S, 3, 2, "12 e1e2e3e4e5e6e7e8");
	expect_only(r, BLD_EVENT_EURORADIO_WRONG_ROLE);
	dsc_run_free(r);
}

static void test_sizes(void)
{
	/* AU1 SaPDU one byte short (R_B of 7), AU2 one long, AU3 without MAC, DI with an extra byte, empty DT */
	struct dsc_run *r = dsc_run_new(&bld_dsc_euroradio);
	feed_ale(r, C2S, 1, 0, "020a1b2c 01000123 03 42 0a1b2c 01 11223344556677");
	expect_only(r, BLD_EVENT_EURORADIO_BAD_SIZE);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "sa=662316 saf=1"));
	dsc_clear(r);
	feed_ale(r, S2C, 2, 0, "01000123 25 000123 01 99aabbccddeeff00 c1c2c3c4c5c6c7c8 00");
	expect_only(r, BLD_EVENT_EURORADIO_BAD_SIZE);
	dsc_clear(r);
	feed_ale(r, C2S, 3, 1, "06");
	expect_only(r, BLD_EVENT_EURORADIO_BAD_SIZE);
	dsc_run_free(r);

	r = session_up();
	feed_ale(r, C2S, 3, 2, "0a 0102030405060708");   /* DT: a MAC and no data */
	expect_only(r, BLD_EVENT_EURORADIO_BAD_SIZE);
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 0), "user_data_len"));
	dsc_clear(r);
	feed_ale(r, C2S, 4, 3, "10 0000 00");
	expect_only(r, BLD_EVENT_EURORADIO_BAD_SIZE);
	dsc_run_free(r);

	/* an AU1 too short for its identities: no SaPDU to read */
	r = dsc_run_new(&bld_dsc_euroradio);
	feed_ale(r, C2S, 1, 0, "020a1b2c 010001");
	expect_only(r, BLD_EVENT_EURORADIO_BAD_SIZE);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request packet_type=1 packet_type_name=\"au1\" tseq=0 version=1 "
					     "app_type=26 nr_flag=1 user_data_len=7");
	dsc_run_free(r);
}

static void test_ety_saf_ids(void)
{
	/* ETY 1 in a DT */
	struct dsc_run *r = session_up();
	feed_ale(r, C2S, 3, 2, "2a " OBU_MSG "0102030405060708");
	expect_only(r, BLD_EVENT_EURORADIO_BAD_ETY);
	dsc_run_free(r);

	/* ETY 7 in an AU1, and a calling type 7 in the ALE: one event per packet (and the ids differ) */
	r = dsc_run_new(&bld_dsc_euroradio);
	feed_ale(r, C2S, 1, 0, "070a1b2c 01000123 03 e2 0a1b2c 01 1122334455667788");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_EURORADIO_BAD_ETY), 2);
	CU_ASSERT_EQUAL(r->n_events, 2);
	dsc_run_free(r);

	/* SaF 0x02 */
	r = dsc_run_new(&bld_dsc_euroradio);
	feed_ale(r, C2S, 1, 0, "020a1b2c 01000123 03 42 0a1b2c 02 1122334455667788");
	expect_only(r, BLD_EVENT_EURORADIO_BAD_SAF);
	dsc_run_free(r);

	/* the SaPDU's SA is not the ALE calling identity */
	r = dsc_run_new(&bld_dsc_euroradio);
	feed_ale(r, C2S, 1, 0, "020a1b2c 01000123 03 42 0a1b2d 01 1122334455667788");
	expect_only(r, BLD_EVENT_EURORADIO_ID_MISMATCH);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "calling_id=662316"));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "sa=662317"));
	/* the SaPDU's ETY is not the ALE calling type (same identity number) */
	dsc_run_free(r);
	r = dsc_run_new(&bld_dsc_euroradio);
	feed_ale(r, C2S, 1, 0, "020a1b2c 01000123 03 22 0a1b2c 01 1122334455667788");
	expect_only(r, BLD_EVENT_EURORADIO_ID_MISMATCH);
	dsc_run_free(r);
	r = dsc_run_new(&bld_dsc_euroradio);
	feed_all(r, C2S, AU1);
	/* the AU2 comes from another RBC than the one called */
	dsc_clear(r);
	feed_ale(r, S2C, 2, 0, "01000124 25 000124 01 99aabbccddeeff00 c1c2c3c4c5c6c7c8");
	expect_only(r, BLD_EVENT_EURORADIO_ID_MISMATCH);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "responding_id=292"));
	dsc_run_free(r);
}

/* ---- connection order ----------------------------------------------------------------------- */

static void test_order(void)
{
	/* DT before AR (AU3 seen, AR not) */
	struct dsc_run *r = dsc_run_new(&bld_dsc_euroradio);
	feed_all(r, C2S, AU1);
	feed_all(r, S2C, AU2);
	feed_all(r, C2S, AU3);
	feed_all(r, C2S, DT_TRAIN_DATA);
	expect_only(r, BLD_EVENT_EURORADIO_OUT_OF_ORDER);
	/* the state stayed: the AR still completes the set-up, the DT after it is fine */
	dsc_clear(r);
	feed_all(r, S2C, AR);
	feed_ale(r, C2S, 3, 3, "0a " OBU_MSG "0102030405060708");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_EURORADIO_OUT_OF_ORDER), 0);
	dsc_run_free(r);

	/* AU3 before AU2 */
	r = dsc_run_new(&bld_dsc_euroradio);
	feed_all(r, C2S, AU1);
	feed_all(r, C2S, AU3);
	expect_only(r, BLD_EVENT_EURORADIO_OUT_OF_ORDER);
	dsc_run_free(r);

	/* a second AU1 before the AU2 */
	r = dsc_run_new(&bld_dsc_euroradio);
	feed_all(r, C2S, AU1);
	feed_all(r, C2S, AU1);
	expect_only(r, BLD_EVENT_EURORADIO_OUT_OF_ORDER);
	dsc_run_free(r);

	/* after the set-up: AU1 (T-seq 0 is its own), AU3, AR are replays */
	r = session_up();
	feed_all(r, C2S, AU1);
	expect_only(r, BLD_EVENT_EURORADIO_REPLAY);
	dsc_run_free(r);
	r = session_up();
	feed_ale(r, S2C, 3, 2, "13 e1e2e3e4e5e6e7e8");
	expect_only(r, BLD_EVENT_EURORADIO_REPLAY);
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	dsc_run_free(r);

	/* after a DI: a DT is out of order, a new AU1 starts a new session */
	r = session_up();
	feed_ale(r, C2S, 4, 2, "10 0000");
	CU_ASSERT_EQUAL(r->n_events, 0);
	feed_ale(r, S2C, 4, 2, "11 0000");   /* both ends may send theirs */
	CU_ASSERT_EQUAL(r->n_events, 0);
	feed_ale(r, C2S, 3, 3, "0a " OBU_MSG "0102030405060708");
	expect_only(r, BLD_EVENT_EURORADIO_OUT_OF_ORDER);
	dsc_clear(r);
	feed_all(r, C2S, AU1);
	feed_all(r, S2C, AU2);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* A capture that starts after the set-up: a first DT with T-seq >= 2 is data; below, the set-up was skipped. */
static void test_midstream(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_euroradio);
	feed_ale(r, C2S, 3, 57, "0a " OBU_MSG "0102030405060708");
	feed_ale(r, S2C, 3, 40, "0b " RBC_MSG "0102030405060708");
	feed_ale(r, C2S, 3, 58, "0a " OBU_MSG "1102030405060708");
	CU_ASSERT_EQUAL(r->n_events, 0);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request packet_type=3 packet_type_name=\"dt\" tseq=57 version=1 "
					     "app_type=26 nr_flag=1 sapdu=5 sapdu_name=\"dt\" df=0 user_data_len=10 "
					     "mac=0102030405060708 nid_message=146 message_name=\"acknowledgement\" "
					     "l_message=10 t_train=10000 nid_engine=662316");
	dsc_run_free(r);

	r = dsc_run_new(&bld_dsc_euroradio);
	feed_ale(r, C2S, 3, 1, "0a " OBU_MSG "0102030405060708");   /* in the AU3's place */
	expect_only(r, BLD_EVENT_EURORADIO_OUT_OF_ORDER);
	dsc_run_free(r);
}

/* ---- DI, MAC ------------------------------------------------------------------------------- */

static void test_di_reasons(void)
{
	struct dsc_run *r = session_up();
	feed_ale(r, S2C, 4, 2, "11 04 01");   /* invalid MAC in a DT */
	expect_only(r, BLD_EVENT_EURORADIO_SECURITY_DISCONNECT);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "reason=4 reason_name=\"invalid_mac\" sub_reason=1"));
	dsc_run_free(r);

	static const struct {
		uint8_t reason;
		bool security;
	} v[] = { { 0, false }, { 3, false }, { 5, true }, { 6, true }, { 8, false }, { 9, false }, { 200, false } };
	for (size_t i = 0; i < BLD_TEST_COUNT(v); i++) {
		r = session_up();
		char user[32];
		snprintf(user, sizeof(user), "11 %02x 02", v[i].reason);
		feed_ale(r, S2C, 4, 2, user);
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_EURORADIO_SECURITY_DISCONNECT), v[i].security);
		CU_ASSERT_EQUAL(r->n_events, v[i].security);
		dsc_run_free(r);
	}
}

static void test_repeated_mac(void)
{
	struct dsc_run *r = session_up();
	feed_ale(r, C2S, 3, 2, "0a " OBU_MSG "a1a2a3a4a5a6a7a8");
	feed_ale(r, S2C, 3, 2, "0b " RBC_MSG "a1a2a3a4a5a6a7a8");   /* the other direction: its own memory */
	CU_ASSERT_EQUAL(r->n_events, 0);
	feed_ale(r, C2S, 3, 3, "0a " OBU_MSG "a1a2a3a4a5a6a7a8");   /* the same SaPDU under a fresh T-seq */
	expect_only(r, BLD_EVENT_EURORADIO_REPEATED_MAC);
	dsc_run_free(r);

	/* 16 are remembered: the 17th back is forgotten */
	r = session_up();
	char user[64];
	for (uint16_t i = 0; i <= 16; i++) {
		snprintf(user, sizeof(user), "0a " OBU_MSG "%02x02030405060708", i);
		feed_ale(r, C2S, 3, (uint16_t)(2 + i), user);
	}
	CU_ASSERT_EQUAL(r->n_events, 0);
	feed_ale(r, C2S, 3, 19, "0a " OBU_MSG "0102030405060708");   /* the oldest remembered */
	expect_only(r, BLD_EVENT_EURORADIO_REPEATED_MAC);
	dsc_clear(r);
	feed_ale(r, C2S, 3, 20, "0a " OBU_MSG "0002030405060708");   /* 17 back: forgotten */
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);

	/* a DT of the session before, resent in a new session on the same connection */
	r = session_up();
	feed_all(r, C2S, DT_TRAIN_DATA);
	feed_all(r, C2S, DI);
	feed_all(r, C2S, AU1);
	feed_all(r, S2C, AU2);
	feed_all(r, C2S, AU3);
	feed_all(r, S2C, AR);
	CU_ASSERT_EQUAL(r->n_events, 0);
	feed_all(r, C2S, DT_TRAIN_DATA);
	expect_only(r, BLD_EVENT_EURORADIO_REPEATED_MAC);
	dsc_run_free(r);
}

/* ---- ETCS messages -------------------------------------------------------------------------- */

static void test_etcs_checks(void)
{
	/* L_MESSAGE 24 for 25 bytes */
	struct dsc_run *r = session_up();
	feed_ale(r, C2S, 3, 2, "0a 81 0600 0009c402 86cb000b 0000000000000000000000000000 f1f2f3f4f5f6f7f8");
	expect_only(r, BLD_EVENT_EURORADIO_BAD_MESSAGE_LENGTH);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "l_message=24 t_train=10000 nid_engine=662316"));
	dsc_run_free(r);

	/* 5 bytes: too short for T_TRAIN */
	r = session_up();
	feed_ale(r, C2S, 3, 2, "0a 81 0140 0009 f1f2f3f4f5f6f7f8");
	expect_only(r, BLD_EVENT_EURORADIO_BAD_MESSAGE_LENGTH);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "nid_message=129 message_name=\"validated_train_data\" "
						    "l_message=5"));
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 0), "t_train"));
	dsc_run_free(r);

	/* NID_MESSAGE 200: not in Subset-026 */
	r = session_up();
	feed_ale(r, C2S, 3, 2, "0a c8 0280 0009c402 86cb00 f1f2f3f4f5f6f7f8");
	expect_only(r, BLD_EVENT_EURORADIO_UNKNOWN_MESSAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "nid_message=200 l_message=10 t_train=10000"));
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 0), "nid_engine"));
	dsc_run_free(r);

	/* the engine reports another NID_ENGINE (position report 136, 10 bytes) */
	r = session_up();
	feed_ale(r, C2S, 3, 2, "0a 88 0280 0009c402 eeb400 f1f2f3f4f5f6f7f8");
	expect_only(r, BLD_EVENT_EURORADIO_ENGINE_MISMATCH);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "nid_engine=768720"));
	dsc_run_free(r);

	/* the RBC sends a train-to-track acknowledgement (146); the engine an MA (3) */
	r = session_up();
	feed_ale(r, S2C, 3, 2, "0b 92 0280 0009c402 86cb00 f1f2f3f4f5f6f7f8");
	expect_only(r, BLD_EVENT_EURORADIO_MESSAGE_DIRECTION);
	dsc_clear(r);
	feed_ale(r, C2S, 3, 2, "0a 03 0280 0009c400 2468a0 f1f2f3f4f5f6f7f8");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_EURORADIO_MESSAGE_DIRECTION), 1);
	dsc_run_free(r);

	/*
	 * An RBC calls an engine (0x0A1B2C) and another engine (0x0A1B2D) answers:
	 * the engine of the session is the one that answered, its NID_ENGINE is right.
	 */
	r = dsc_run_new(&bld_dsc_euroradio);
	feed_ale(r, C2S, 1, 0, "01000123 020a1b2c 03 22 000123 01 1122334455667788");
	feed_ale(r, S2C, 2, 0, "020a1b2d 45 0a1b2d 01 99aabbccddeeff00 c1c2c3c4c5c6c7c8");
	expect_only(r, BLD_EVENT_EURORADIO_ID_MISMATCH);
	dsc_clear(r);
	feed_ale(r, C2S, 3, 1, "06 d1d2d3d4d5d6d7d8");
	feed_ale(r, S2C, 3, 1, "13 e1e2e3e4e5e6e7e8");
	feed_ale(r, S2C, 3, 2, "0b 92 0280 0009c402 86cb40 f1f2f3f4f5f6f7f8");   /* 146, NID_ENGINE 0x0A1B2D */
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 2), "nid_engine=662317"));
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* RBC to RBC (Subset-098): DT carries SAI PDUs, not ETCS messages, unless the site says so. */
static void test_dt_content(void)
{
	static const char RBC_AU1[] = "01000321 01000123 03 22 000321 01 1122334455667788";
	static const char SAI_DT[] = "0a 86 0001 000000000000000000000000 00000007 0102 a1a2a3a4a5a6a7a8";
	struct dsc_run *r = dsc_run_new(&bld_dsc_euroradio);
	feed_ale(r, C2S, 1, 0, RBC_AU1);
	feed_ale(r, S2C, 2, 0, "01000123 25 000123 01 99aabbccddeeff00 c1c2c3c4c5c6c7c8");
	feed_ale(r, C2S, 3, 1, "06 d1d2d3d4d5d6d7d8");
	feed_ale(r, S2C, 3, 1, "13 e1e2e3e4e5e6e7e8");
	feed_ale(r, C2S, 3, 2, SAI_DT);
	CU_ASSERT_EQUAL(r->n_events, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 4), "user_data_len=21 mac=a1a2a3a4a5a6a7a8"));
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 4), "nid_message"));

	/* the site says DTs carry ETCS messages: decoded, and judged */
	static const struct bld_euroradio_config etcs = { .dt_content = BLD_EURORADIO_DT_ETCS };
	dsc_clear(r);
	uint32_t len;
	uint8_t *p = ale(3, 3, SAI_DT, &len);
	char hex[256] = "";
	for (uint32_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, sizeof(hex) - 2 * i, "%02x", p[i]);
	free(p);
	CU_ASSERT_EQUAL(feed_cfg(r, C2S, hex, &etcs).status, BLD_PARSE_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "nid_message=134"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_EURORADIO_UNKNOWN_MESSAGE), 1);
	dsc_run_free(r);

	/* an OBU session with dt_content: opaque: nothing decoded */
	static const struct bld_euroradio_config opaque = { .dt_content = BLD_EURORADIO_DT_OPAQUE };
	r = session_up();
	CU_ASSERT_EQUAL(feed_cfg(r, C2S, DT_TRAIN_DATA, &opaque).status, BLD_PARSE_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "user_data_len=25 mac=f1f2f3f4f5f6f7f8"));
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 0), "nid_message"));
	dsc_run_free(r);

	/* joined mid-session (no identities): decoded when L_MESSAGE fits and NID_MESSAGE is defined */
	r = dsc_run_new(&bld_dsc_euroradio);
	feed_all(r, C2S, DT_TRAIN_DATA);   /* T-seq 2: joined after the set-up */
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "nid_message=129"));
	feed_ale(r, C2S, 3, 3, SAI_DT);
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 1), "nid_message"));
	feed_ale(r, C2S, 3, 4, "0a c8 0280 0009c402 86cb00 b1b2b3b4b5b6b7b8");   /* L_MESSAGE fits, NID 200 */
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 2), "nid_message"));
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* ---- the probe ------------------------------------------------------------------------------ */

static void test_probe(void)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(AU1, &len);
	CU_ASSERT_EQUAL(bld_dsc_euroradio.probe(b, len, true), BLD_PROBE_MATCH);
	CU_ASSERT_EQUAL(bld_dsc_euroradio.probe(b, 10, true), BLD_PROBE_MATCH);
	/* a segment ending inside the header: could be */
	for (uint32_t n = 1; n < 10; n++)
		CU_ASSERT_EQUAL(bld_dsc_euroradio.probe(b, n, true), BLD_PROBE_NEED_MORE);
	CU_ASSERT_EQUAL(bld_dsc_euroradio.probe(b, 0, true), BLD_PROBE_NO);
	b[9] ^= 1;   /* CRC */
	CU_ASSERT_EQUAL(bld_dsc_euroradio.probe(b, len, true), BLD_PROBE_NO);
	b[9] ^= 1;
	b[7] = 5;    /* packet type: decided as soon as it is there */
	CU_ASSERT_EQUAL(bld_dsc_euroradio.probe(b, 8, true), BLD_PROBE_NO);
	/* the vendor DT type 6, with its CRC: found again after a gap */
	uint8_t v[10] = { 0x00, 0x11, 1, 0x1a, 0x00, 0x05, 1, 6 };
	uint16_t crc = bld_crc16_ccitt_false(v, 8);
	v[8] = (uint8_t)(crc >> 8), v[9] = (uint8_t)crc;
	CU_ASSERT_EQUAL(bld_dsc_euroradio.probe(v, sizeof(v), true), BLD_PROBE_MATCH);
	v[7] = 250;
	crc = bld_crc16_ccitt_false(v, 8);
	v[8] = (uint8_t)(crc >> 8), v[9] = (uint8_t)crc;
	CU_ASSERT_EQUAL(bld_dsc_euroradio.probe(v, sizeof(v), true), BLD_PROBE_NO);
	b[7] = 1;
	b[1] = 7;    /* length 7 */
	CU_ASSERT_EQUAL(bld_dsc_euroradio.probe(b, 2, true), BLD_PROBE_NO);
	free(b);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "registered", test_registered },
		{ "a session AU1 .. AR .. DT .. DI", test_session },
		{ "Subset-098 Table 14 vectors", test_table14_vectors },
		{ "every truncation", test_truncations },
		{ "packets back to back", test_stream },
		{ "bad CRC", test_bad_crc },
		{ "bad length", test_bad_length },
		{ "packet types: unknown, Class A, vendor 6", test_packet_types },
		{ "T-sequence", test_tseq },
		{ "SaPDU type vs ALE type", test_type_mismatch },
		{ "direction flag", test_df },
		{ "initiator and responder roles", test_wrong_role },
		{ "exact SaPDU sizes", test_sizes },
		{ "ETY, SaF, identities", test_ety_saf_ids },
		{ "connection order, replay", test_order },
		{ "joined mid-session", test_midstream },
		{ "DI reasons", test_di_reasons },
		{ "repeated MAC", test_repeated_mac },
		{ "ETCS message checks", test_etcs_checks },
		{ "DT content: ETCS or not", test_dt_content },
		{ "probe", test_probe },
	};
	return bld_test_run("dissectors/euroradio", tests, BLD_TEST_COUNT(tests));
}
