/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the dnp3 dissector (dissectors/dnp3.c).
 *
 * Fixtures are link frames copied from public captures (the frame is named)
 * or, for sequences that need many frames or deliberate faults, built by
 * frame() below around annotated user data, which computes the header and
 * block CRCs (CRC-16/DNP, IEEE 1815-2012 §9.2.4.2).  Captures:
 *   scada     tests/fixtures/scenario/port-scada.pcap (master 1 at 10.10.0.10, outstation 10)
 *   attacks   tests/fixtures/scenario/port-scada-attacks.pcap
 *   iti       /work/shared/pcaps/iti/dnp3/<name>.pcap
 *   conf      /work/shared/pcaps/iti/dnp3/opendnp3-3/conformance/<test>/dump.pcap
 */
#include "crc.h"
#include "dsc_test.h"
#include "registry.h"

#define M2O true    /* master (client) -> outstation (server, port 20000) */
#define O2M false
#define MS 1000000ull

/* Link control octets: DIR PRM unconfirmed user data from the master, PRM only from the outstation. */
#define CTL_M 0xc4
#define CTL_O 0x44

/* ---- fixtures ------------------------------------------------------------------------------- */

/* scada frame 175: READ class 2, 3, 4, 1 (integrity poll). */
static const char READ_CLASS0123[] =
	"0564 14 c4 0a00 0100 8fed"  /* start, length 20, DIR PRM unconfirmed user data, dst 10, src 1, CRC */
	"d8"                         /* transport FIN FIR seq 24 */
	"ce 01"                      /* app FIR FIN seq 14, READ */
	"3c0206 3c0306 3c0406 3c0106" /* g60v2 g60v3 g60v4 g60v1, qualifier 0x06 all */
	"f7c9";                      /* block CRC */

/* scada frame 176: its response, g30v1 0..7 and g1v2 0..7 across four blocks. */
static const char RESP_ANALOG_BINARY[] =
	"0564 44 44 0100 0a00 167a"  /* length 68, PRM unconfirmed user data, dst 1, src 10 */
	"f3"                         /* transport FIN FIR seq 51 */
	"ce 81 0000"                 /* app FIR FIN seq 14, RESPONSE, IIN 0 */
	"1e0100 00 07"               /* g30v1, qualifier 0x00, start 0 stop 7 */
	"01e90400 00 01be"           /* point 0: flags, 1257 ... block CRC */
	"15950400 0001 6b030000 01000000 00 0100 d2e9" /* points 1..4 ... block CRC */
	"000000 01 9f010000 01 8e010000 01 9413 d006" /* points 4..7 ... block CRC */
	"000001 02 0000 07"          /* point 7; g1v2, qualifier 0x00, start 0 stop 7 */
	"81 01 81 81 81 01 01 81"    /* eight flag octets */
	"31da";                      /* block CRC */

/* scada frame 787: response CON, IIN1.1 class 1 events, g32v1 with 1-octet index prefix, 1-octet count. */
static const char RESP_EVENT[] =
	"0564 14 44 0100 0a00 aaac"
	"f5"                         /* transport FIN FIR seq 53 */
	"e0 81 0200"                 /* app FIR FIN CON seq 0, RESPONSE, IIN 0x0200 */
	"2001 17 01"                 /* g32v1, qualifier 0x17, count 1 */
	"00 01 de040000"             /* index 0, flags, value 1246 */
	"7e85";

/* scada frame 788: the master's CONFIRM of it. */
static const char CONFIRM_0[] =
	"0564 08 c4 0a00 0100 fc42"
	"db"                         /* transport FIN FIR seq 27 */
	"c0 00"                      /* app FIR FIN seq 0, CONFIRM */
	"c2a7";

/* scada frames 2033 and 2034: link status request and answer (no user data). */
static const char LINK_STATUS_REQ[] = "0564 05 c9 0a00 0100 feda"; /* DIR PRM request link status */
static const char LINK_STATUS[] = "0564 05 0b 0100 0a00 6ded";     /* secondary: link status */

/* iti directoperate_and_response frames 4 and 6: DIRECT_OPERATE g12v1 CROB, 2-octet index, 1-octet count. */
static const char DIRECT_OPERATE[] =
	"0564 1a c4 0a00 0100 8a1c"
	"c0"                         /* transport FIN FIR seq 0 */
	"c0 05"                      /* app FIR FIN seq 0, DIRECT_OPERATE */
	"0c01 28 0100"               /* g12v1, qualifier 0x28, count 1 */
	"0000 03 01 64000000 dded"   /* index 0, latch on, count 1, on 100 ms ... block CRC */
	"64000000 00"                /* off 100 ms, status 0 */
	"005b";
static const char DIRECT_OPERATE_RESP[] =
	"0564 1c 44 0100 0a00 7636"
	"c9 c0 81 0000"              /* transport seq 9, app seq 0 RESPONSE, IIN 0 */
	"0c01 28 0100 0000 03 01 6400 8ccd"
	"0000 64000000 00"
	"005b";

/* iti read_and_response frames 4, 6 and 8: a READ answered by a 269-octet fragment in two segments. */
static const char RR_READ[] =
	"0564 14 c4 0a00 0100 8fed c0 c0 01 3c0206 3c0306 3c0406 3c0106 8a51"; /* seq 0 */
static const char RR_SEG1[] =
	"0564 ff 44 0100 0a00 5aeb"  /* length 255: 250 user octets in 16 blocks */
	"53"                         /* transport FIR, seq 19 (no FIN) */
	"c0 81 0000"                 /* app FIR FIN seq 0, RESPONSE, IIN 0 */
	"010200 0009 020202020202 2d3a" /* g1v2 0..9: 10 flag octets ... block CRC */
	"02020202 030200 0009 02020202020202 70da" /* g3v2 0..9 */
	"020202 140100 0009 0200000000 020000 e30b"  /* g20v1 0..9: flags + 32-bit count each */
	"00000200000000020000000002000000 4dba"
	"00020000000002000000000200000000 7eae"
	"0200000000 0200000000 150100 0009 02 d342" /* g21v1 0..9 */
	"00000000020000000002000000000200 69ce"
	"00000002000000000200000000020000 dd5e"
	"00000200000000020000000002000000 4dba"
	"00 1e0100 0009 02000000000200000000 cd63"  /* g30v1 0..9 */
	"02000000000200000000020000000002 f003"
	"00000000020000000002000000000200 69ce"
	"0000000200000000 0a0200 0009 020202 1710"  /* g10v2 0..9 */
	"02020202020202 280100 0009 02000000 58e4"  /* g40v1 0..9 */
	"00020000000002000000000200000000 7eae"
	"02000000000200000000 4e72"; /* 10 octets and their CRC */
static const char RR_SEG2[] =
	"0564 1a 44 0100 0a00 af5d"
	"94"                         /* transport FIN, seq 20 */
	"02000000000200000000020000000066 42"
	"0200000000 f3b9";

/* iti disable_unsolcited_and_response frame 4 and iti enable_unsolicited_and_response frame 4. */
static const char DISABLE_UNSOL[] =
	"0564 11 c4 0a00 0100 0615 c0 c0 15 3c0206 3c0306 3c0406 1a55"; /* DISABLE_UNSOLICITED classes 1-3 */
static const char ENABLE_UNSOL[] =
	"0564 11 c4 0a00 0100 0615 c0 c0 14 3c0206 3c0306 3c0406 7896"; /* ENABLE_UNSOLICITED classes 1-3 */

/* attacks frames 5421 and 5422: COLD_RESTART, answered with g52v2 time delay fine 5000 ms. */
static const char COLD_RESTART[] = "0564 08 c4 0a00 0100 fc42 fb cd 0d f6a4"; /* transport seq 59, app seq 13 */
static const char COLD_RESTART_RESP[] =
	"0564 10 44 0100 0a00 c4e1"
	"c5 cd 81 0000"              /* transport seq 5, app seq 13, RESPONSE, IIN 0 */
	"3402 07 01 8813"            /* g52v2, qualifier 0x07, count 1, 5000 */
	"b90d";

/* iti cold_restart_and_response frame 6: a response with IIN2.0 (function code not supported). */
static const char RESP_NO_FUNC[] = "0564 0a 44 0100 0a00 6e25 c0 c0 81 0001 c2de";

/* conf 6.6.2.4 frame 6: unconfirmed user data with length 5, so no transport header. */
static const char USER_DATA_EMPTY[] = "0564 05 c4 0004 0100 cf7b";

/* ---- helpers -------------------------------------------------------------------------------- */

/* A link frame around n user octets, with its CRCs: *len gets its size (free() it). */
static uint8_t *frame_bytes(uint8_t control, uint16_t dst, uint16_t src, const uint8_t *ud, uint32_t n,
			    uint32_t *len)
{
	CU_ASSERT_FATAL(n <= 250);
	uint8_t *f = malloc(10 + n + 2 * ((n + 15) / 16));
	CU_ASSERT_FATAL(f != NULL);
	uint8_t h[8] = { 0x05, 0x64, (uint8_t)(n + 5), control, (uint8_t)dst, (uint8_t)(dst >> 8), (uint8_t)src,
			 (uint8_t)(src >> 8) };
	memcpy(f, h, 8);
	uint16_t crc = bld_crc16_dnp(f, 8);
	f[8] = (uint8_t)crc;
	f[9] = (uint8_t)(crc >> 8);
	uint32_t o = 10;
	for (uint32_t off = 0; off < n; off += 16) {
		uint32_t k = n - off < 16 ? n - off : 16;
		memcpy(f + o, ud + off, k);
		crc = bld_crc16_dnp(ud + off, k);
		f[o + k] = (uint8_t)crc;
		f[o + k + 1] = (uint8_t)(crc >> 8);
		o += k + 2;
	}
	*len = o;
	return f;
}

/* Parse one frame built around user data given in annotated hex. */
static struct bld_parse_result frame(struct dsc_run *r, bool to_server, uint8_t control, uint16_t dst, uint16_t src,
				     const char *user_hex)
{
	uint32_t n, len;
	uint8_t *ud = bld_test_hex(user_hex, &n);
	uint8_t *f = frame_bytes(control, dst, src, ud, n, &len);
	struct bld_parse_result res = dsc_parse(r, to_server, false, f, len);
	CU_ASSERT_TRUE(res.status != BLD_PARSE_OK || res.consumed == len);
	free(ud);
	free(f);
	return res;
}

/* Feed a fixture that must be exactly one frame. */
static void feed1(struct dsc_run *r, bool to_server, const char *hex)
{
	uint32_t len;
	free(bld_test_hex(hex, &len));
	CU_ASSERT_EQUAL(dsc_feed_hex(r, to_server, hex), len);
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_OK);
}

static bool op_has(const struct dsc_run *r, unsigned i, const char *s)
{
	if (strstr(dsc_op(r, i), s))
		return true;
	fprintf(stderr, "\nop %u: %s\n  lacks: %s\n", i, dsc_op(r, i), s);
	return false;
}

#define LINK_M "link_src=1 link_dst=10 link_function=4 link_function_name=\"unconfirmed_user_data\" " \
	       "link_dir=true link_prm=true link_fcb=false link_fcv=false"
#define LINK_O "link_src=10 link_dst=1 link_function=4 link_function_name=\"unconfirmed_user_data\" " \
	       "link_dir=false link_prm=true link_fcb=false link_fcv=false"

/* ---- real PDUs ------------------------------------------------------------------------------ */

static void test_read_and_response(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	r->ts_ns = 1000 * MS;
	feed1(r, M2O, READ_CLASS0123);
	r->ts_ns = 1011 * MS;
	feed1(r, O2M, RESP_ANALOG_BINARY);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request " LINK_M " transport_fin=true transport_fir=true transport_seq=24 "
			       "transport_segments=1 fragment_len=14 app_fir=true app_fin=true app_con=false "
			       "app_uns=false app_seq=14 app_function=1 app_function_name=\"read\" "
			       "objects=[{group=60 variation=2 qualifier=6} {group=60 variation=3 qualifier=6} "
			       "{group=60 variation=4 qualifier=6} {group=60 variation=1 qualifier=6}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1),
			       "response " LINK_O " transport_fin=true transport_fir=true transport_seq=51 "
			       "transport_segments=1 fragment_len=62 app_fir=true app_fin=true app_con=false "
			       "app_uns=false app_seq=14 app_function=129 app_function_name=\"response\" iin=0 "
			       "request_function=1 objects=[{group=30 variation=1 qualifier=0 start=0 stop=7} "
			       "{group=1 variation=2 qualifier=0 start=0 stop=7}]");
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	CU_ASSERT_EQUAL(r->response_time[1], 11 * MS);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_event_response_and_confirm(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	/* A READ with sequence 0 first, so that the response pairs. */
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "da c0 01 3c0206 3c0306 3c0406").status, BLD_PARSE_OK);
	feed1(r, O2M, RESP_EVENT);
	feed1(r, M2O, CONFIRM_0);
	CU_ASSERT_EQUAL(r->n_ops, 3);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1),
			       "response " LINK_O " transport_fin=true transport_fir=true transport_seq=53 "
			       "transport_segments=1 fragment_len=14 app_fir=true app_fin=true app_con=true "
			       "app_uns=false app_seq=0 app_function=129 app_function_name=\"response\" iin=512 "
			       "iin_flags=[\"class_1_events\"] request_function=1 "
			       "objects=[{group=32 variation=1 qualifier=23 count=1}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2),
			       "request " LINK_M " transport_fin=true transport_fir=true transport_seq=27 "
			       "transport_segments=1 fragment_len=2 app_fir=true app_fin=true app_con=false "
			       "app_uns=false app_seq=0 app_function=0 app_function_name=\"confirm\" objects=[]");
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_link_only(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	feed1(r, M2O, LINK_STATUS_REQ);
	feed1(r, O2M, LINK_STATUS);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request link_src=1 link_dst=10 link_function=9 "
			       "link_function_name=\"request_link_status\" "
			       "link_dir=true link_prm=true link_fcb=false link_fcv=false");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1),
			       "response link_src=10 link_dst=1 link_function=11 link_function_name=\"link_status\" "
			       "link_dir=false link_prm=false link_dfc=false");
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* Reset link states with FCV, and an ACK with DFC set (built). */
	CU_ASSERT_EQUAL(frame(r, M2O, 0xd0, 10, 1, "").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, 0x10, 1, 10, "").status, BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 2, "link_function=0 link_function_name=\"reset_link_states\" link_dir=true "
				    "link_prm=true link_fcb=false link_fcv=true"));
	CU_ASSERT_TRUE(op_has(r, 3, "link_function=0 link_function_name=\"ack\" link_dir=false link_prm=false "
				    "link_dfc=true"));
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_crob(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	r->ts_ns = 5 * MS;
	feed1(r, M2O, DIRECT_OPERATE);
	r->ts_ns = 7 * MS;
	feed1(r, O2M, DIRECT_OPERATE_RESP);
	CU_ASSERT_TRUE(op_has(r, 0, "app_seq=0 app_function=5 app_function_name=\"direct_operate\" "
				    "objects=[{group=12 variation=1 qualifier=40 count=1}]"));
	CU_ASSERT_TRUE(op_has(r, 1, "transport_seq=9 transport_segments=1 fragment_len=22"));
	CU_ASSERT_TRUE(op_has(r, 1, "iin=0 request_function=5 objects=[{group=12 variation=1 qualifier=40 count=1}]"));
	CU_ASSERT_FALSE(strstr(dsc_op(r, 1), "objects_incomplete"));
	CU_ASSERT_EQUAL(r->response_time[1], 2 * MS);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_multi_segment_fragment(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	r->ts_ns = 100 * MS;
	feed1(r, M2O, RR_READ);
	r->ts_ns = 300 * MS;
	feed1(r, O2M, RR_SEG1);
	CU_ASSERT_EQUAL(r->n_ops, 1); /* the first segment alone is no fragment */
	r->ts_ns = 308 * MS;
	feed1(r, O2M, RR_SEG2);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1),
			       "response " LINK_O " transport_fin=true transport_fir=false transport_seq=20 "
			       "transport_segments=2 fragment_len=269 app_fir=true app_fin=true app_con=false "
			       "app_uns=false app_seq=0 app_function=129 app_function_name=\"response\" iin=0 "
			       "request_function=1 objects=[{group=1 variation=2 qualifier=0 start=0 stop=9} "
			       "{group=3 variation=2 qualifier=0 start=0 stop=9} "
			       "{group=20 variation=1 qualifier=0 start=0 stop=9} "
			       "{group=21 variation=1 qualifier=0 start=0 stop=9} "
			       "{group=30 variation=1 qualifier=0 start=0 stop=9} "
			       "{group=10 variation=2 qualifier=0 start=0 stop=9} "
			       "{group=40 variation=1 qualifier=0 start=0 stop=9}]");
	CU_ASSERT_EQUAL(r->response_time[1], 208 * MS);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_cold_restart(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	feed1(r, M2O, COLD_RESTART);
	feed1(r, O2M, COLD_RESTART_RESP);
	CU_ASSERT_TRUE(op_has(r, 0, "app_seq=13 app_function=13 app_function_name=\"cold_restart\" objects=[]"));
	CU_ASSERT_TRUE(op_has(r, 1, "app_seq=13 app_function=129 app_function_name=\"response\" iin=0 "
				    "request_function=13 objects=[{group=52 variation=2 qualifier=7 count=1}]"));
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* The same request refused: IIN2.0. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c0 c0 0d").status, BLD_PARSE_OK);
	feed1(r, O2M, RESP_NO_FUNC);
	CU_ASSERT_TRUE(op_has(r, 1, "iin=1 iin_flags=[\"no_func_code_support\"] request_function=13"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_ERROR_RESPONSE), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

static void test_truncation_sweeps(void)
{
	const char *const fx[] = { READ_CLASS0123, RESP_ANALOG_BINARY, RESP_EVENT, CONFIRM_0, LINK_STATUS_REQ,
				   LINK_STATUS, DIRECT_OPERATE, DIRECT_OPERATE_RESP, RR_READ, RR_SEG1, RR_SEG2,
				   DISABLE_UNSOL, ENABLE_UNSOL, COLD_RESTART, COLD_RESTART_RESP, RESP_NO_FUNC,
				   USER_DATA_EMPTY };
	for (unsigned i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
		dsc_truncation_sweep(&bld_dsc_dnp3, true, fx[i]);
		dsc_truncation_sweep(&bld_dsc_dnp3, false, fx[i]);
	}
}

/* ---- datagrams ------------------------------------------------------------------------------ */

static void test_datagram(void)
{
	/* Two frames in one datagram: the framework parses the second with the rest. */
	uint32_t l1, l2;
	uint8_t *a = bld_test_hex(LINK_STATUS_REQ, &l1);
	uint8_t *b = bld_test_hex(READ_CLASS0123, &l2);
	uint8_t *d = malloc(l1 + l2);
	memcpy(d, a, l1);
	memcpy(d + l1, b, l2);
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	struct bld_parse_result res = dsc_parse(r, M2O, true, d, l1 + l2);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, l1);
	res = dsc_parse(r, M2O, true, d + l1, l2);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, l2);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	CU_ASSERT_TRUE(op_has(r, 1, "app_function_name=\"read\""));
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* A datagram that ends inside a frame: truncated. */
	res = dsc_parse(r, M2O, true, b, l2 - 1);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(res.needed, l2);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_TRUNCATED), 1);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	dsc_run_free(r);
	free(a);
	free(b);
	free(d);
}

/* ---- corruption ----------------------------------------------------------------------------- */

static void test_bad_block_crc(void)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(RESP_ANALOG_BINARY, &len);
	b[len - 1] ^= 0x40; /* last block CRC */
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	struct bld_parse_result res = dsc_parse(r, O2M, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK); /* the header holds: the frame is consumed */
	CU_ASSERT_EQUAL(res.consumed, len);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_BAD_CRC), 1);
	CU_ASSERT_EQUAL(r->n_ops, 0); /* no op for damaged application data */
	/* A data octet flipped in the first block: the same. */
	b[len - 1] ^= 0x40;
	b[12] ^= 0x01;
	dsc_clear(r);
	res = dsc_parse(r, O2M, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_BAD_CRC), 1);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	/* The damaged first segment of a fragment loses the whole fragment. */
	dsc_clear(r);
	uint8_t *s1 = bld_test_hex(RR_SEG1, &len);
	s1[100] ^= 0x10;
	CU_ASSERT_EQUAL(dsc_parse(r, O2M, false, s1, len).status, BLD_PARSE_OK);
	feed1(r, O2M, RR_SEG2);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_BAD_CRC), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_TRANSPORT_SEQUENCE), 1);
	dsc_run_free(r);
	free(b);
	free(s1);
}

static void test_lost_framing(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	/* Bad header CRC: framing lost. */
	CU_ASSERT_EQUAL(dsc_feed_hex(r, M2O, "0564 14 c4 0a00 0100 8fec d8"), 0);
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_BAD_CRC), 1);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	/* Bad start octets. */
	dsc_clear(r);
	dsc_feed_hex(r, M2O, "0565 14 c4 0a00 0100 8fed");
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_BAD_START), 1);
	dsc_clear(r);
	dsc_feed_hex(r, M2O, "00");
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_BAD_START), 1);
	/* Length below 5. */
	dsc_clear(r);
	dsc_feed_hex(r, M2O, "0564 04 c4");
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	dsc_run_free(r);
}

/* After lost framing the parser drops up to the next good header, past headers with bad CRCs. */
static void test_resync_skip(void)
{
	uint32_t lg;
	uint8_t *good = bld_test_hex(LINK_STATUS_REQ, &lg);
	static const uint8_t junk[] = { 0x05, 0x64, 0x05, 0xc9, 0x0a, 0x00, 0x01, 0x00, 0xfe, 0xdb, /* bad CRC */
					0x05, 0x64, 0x05, 0xc9, 0x0a, 0x00, 0x01, 0x00, 0x00, 0x00, /* bad CRC */
					0x77 };
	uint8_t buf[sizeof(junk) + 10];
	memcpy(buf, junk, sizeof(junk));
	memcpy(buf + sizeof(junk), good, lg);
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	struct bld_parse_result res = dsc_parse(r, M2O, false, buf, sizeof(buf));
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(res.consumed, sizeof(junk));
	res = dsc_parse(r, M2O, false, buf + sizeof(junk), lg);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	/* No good header: everything goes but what may start one at the end. */
	res = dsc_parse(r, M2O, false, junk, sizeof(junk));
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(res.consumed, sizeof(junk));
	res = dsc_parse(r, M2O, false, junk, 13); /* ... 05 64 05 at the end: kept */
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(res.consumed, 10);
	dsc_run_free(r);
	free(good);
}

static void test_user_data_without_transport(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	feed1(r, M2O, USER_DATA_EMPTY);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request link_src=1 link_dst=1024 link_function=4 "
					     "link_function_name=\"unconfirmed_user_data\" link_dir=true link_prm=true "
					     "link_fcb=false link_fcv=false");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

static void test_illegal_functions(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	/* Primary link function 5 and secondary 3 are not defined (Tables 9-1, 9-2). */
	CU_ASSERT_EQUAL(frame(r, M2O, 0xc5, 10, 1, "").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, 0x03, 1, 10, "").status, BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 0, "link_function=5 link_function_name=\"unknown\""));
	CU_ASSERT_TRUE(op_has(r, 1, "link_function=3 link_function_name=\"unknown\""));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_ILLEGAL_FUNCTION), 2);
	/* Application function 0x70 (conf 8.6.2.2 frame 4): op with the function, no object walk. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c0 c0 70 3c0106").status, BLD_PARSE_OK);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request " LINK_M " transport_fin=true transport_fir=true transport_seq=0 "
			       "transport_segments=1 fragment_len=5 app_fir=true app_fin=true app_con=false "
			       "app_uns=false app_seq=0 app_function=112 app_function_name=\"unknown\" "
			       "objects_incomplete=true");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_ILLEGAL_FUNCTION), 1);
	/* 0x84 from the outstation: a response direction it does not have. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c1 c0 84 0000").status, BLD_PARSE_OK);
	CU_ASSERT_TRUE(strncmp(dsc_op(r, 0), "response ", 9) == 0);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_ILLEGAL_FUNCTION), 1);
	dsc_run_free(r);
}

static void test_short_fragments(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	/* One application octet: no function code. */
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c0 c0").status, BLD_PARSE_OK);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request " LINK_M " transport_fin=true transport_fir=true "
					     "transport_seq=0 transport_segments=1 fragment_len=1");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_TRUNCATED), 1);
	/* A response without its IIN. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c0 c0 81 00").status, BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 0, "app_function=129 app_function_name=\"response\""));
	CU_ASSERT_FALSE(strstr(dsc_op(r, 0), "iin="));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_TRUNCATED), 1);
	/* Object data shorter than its header says: 8 points of g30v1 (40 octets), 10 present. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c1 c1 81 0000 1e01 00 00 07 01e9040000 01e9040000").status,
			BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 0, "objects=[{group=30 variation=1 qualifier=0 start=0 stop=7}] "
				    "objects_incomplete=true"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_TRUNCATED), 1);
	/* An object header cut inside its range field. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c2 c2 01 1e01 01 0000").status, BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 0, "objects=[] objects_incomplete=true"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_TRUNCATED), 1);
	dsc_run_free(r);
}

/* ---- object walk ---------------------------------------------------------------------------- */

static void test_object_walk(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	/* Response: packed bits, 2-octet start/stop, a CTO with relative-time events, an octet string. */
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10,
			      "c3 c3 81 0000"
			      "0101 00 00 09 ff03"             /* g1v1 0..9: 10 bits in 2 octets */
			      "0301 01 0000 0400 5501"         /* g3v1 0..4 (2-octet range): 10 bits in 2 octets */
			      "3302 07 01 000000000000"        /* g51v2 CTO, count 1 */
			      "0203 28 0200 0100 01 0a00 0200 81 1400" /* g2v3, 2-octet index and count: 2 points */
			      "6e05 17 01 03 6162636465"       /* g110v5 octet string of 5, index 3 */
			      "5001 00 07 07 80").status,      /* g80v1 IIN bit 7 */
			BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 0, "objects=[{group=1 variation=1 qualifier=0 start=0 stop=9} "
				    "{group=3 variation=1 qualifier=1 start=0 stop=4} "
				    "{group=51 variation=2 qualifier=7 count=1} "
				    "{group=2 variation=3 qualifier=40 count=2} "
				    "{group=110 variation=5 qualifier=23 count=1} {group=80 variation=1 qualifier=0 "
				    "start=7 stop=7}]"));
	CU_ASSERT_FALSE(strstr(dsc_op(r, 0), "objects_incomplete"));
	CU_ASSERT_EQUAL(r->n_events, 1); /* the unpaired response, nothing about objects */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_RESPONSE_WITHOUT_REQUEST), 1);

	/* Requests: READ names points by index without values; WRITE carries them. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1,
			      "c4 c4 01"
			      "1e01 17 02 03 05"               /* g30v1, 1-octet index prefix, 2 indexes */
			      "0100 06"                        /* g1v0 all */
			      "0c01 28 0100 0300").status,     /* g12v1 by index: still no values in a READ */
			BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 0, "objects=[{group=30 variation=1 qualifier=23 count=2} {group=1 variation=0 "
				    "qualifier=6} {group=12 variation=1 qualifier=40 count=1}]"));
	CU_ASSERT_FALSE(strstr(dsc_op(r, 0), "objects_incomplete"));
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1,
			      "c5 c5 02"
			      "3201 07 01 a0b0c0d0e0f0"        /* g50v1 time, count 1 */
			      "5001 00 07 07 00").status,      /* g80v1 clear IIN1.7 */
			BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 1, "app_function_name=\"write\" objects=[{group=50 variation=1 qualifier=7 count=1} "
				    "{group=80 variation=1 qualifier=0 start=7 stop=7}]"));
	CU_ASSERT_FALSE(strstr(dsc_op(r, 1), "objects_incomplete"));
	/* FREEZE_AT_TIME: the g50v2 time carries data, the counters it names do not. */
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1,
			      "c6 c6 0b 3202 07 01 000000000000 10270000 1400 06 1401 00 00 03").status,
			BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 2, "objects=[{group=50 variation=2 qualifier=7 count=1} {group=20 variation=0 "
				    "qualifier=6} {group=20 variation=1 qualifier=0 start=0 stop=3}]"));
	CU_ASSERT_FALSE(strstr(dsc_op(r, 2), "objects_incomplete"));
	/* Free-format objects with a 2-octet size prefix (g120, qualifier 0x5b) are walked by their size. */
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c7 c7 20 7804 5b 01 0300 010203 3c0106").status,
			BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 3, "objects=[{group=120 variation=4 qualifier=91 count=1} {group=60 variation=1 "
				    "qualifier=6}]"));
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_unknown_object_size(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	/* g121v1 (security statistic) is not in the size table: listed, then the walk stops. */
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c0 c0 82 0000 7901 17 01 00 00000000000000 3c0106").status,
			BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 0, "objects=[{group=121 variation=1 qualifier=23 count=1}] objects_incomplete=true"));
	/* Packed bits with an index prefix: no size to trust. */
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c1 c1 82 0000 0101 17 01 00 01").status, BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 1, "objects=[{group=1 variation=1 qualifier=23 count=1}] objects_incomplete=true"));
	/* g110v0 is an empty string: no octets, and the walk goes on. */
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c2 c2 82 0000 6e00 00 00 00 0102 00 00 00 81").status,
			BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 2, "objects=[{group=110 variation=0 qualifier=0 start=0 stop=0} {group=1 "
				    "variation=2 qualifier=0 start=0 stop=0}]"));
	CU_ASSERT_FALSE(strstr(dsc_op(r, 2), "objects_incomplete"));
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_bad_qualifier(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	/* Range code 0x0a is reserved (Table 4-5). */
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c0 c0 01 3c010a 3c0206").status, BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 0, "objects=[{group=60 variation=1 qualifier=10}] objects_incomplete=true"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_BAD_QUALIFIER), 1);
	/* Stop below start. */
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c1 c1 01 1e01 00 05 02").status, BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 1, "objects=[{group=30 variation=1 qualifier=0 start=5 stop=2}] "
				    "objects_incomplete=true"));
	/* The reserved qualifier bit (iti/bro dnp3.pcap sends g60v4 with 0xed). */
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c2 c2 15 3c0206 3c03 06 3c04ed").status, BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 2, "{group=60 variation=4 qualifier=237}] objects_incomplete=true"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_BAD_QUALIFIER), 3);
	dsc_run_free(r);
}

/* The op record itself, for checks that the one-line format (2 KiB in dsc_test.h) cannot hold. */
struct op_probe {
	unsigned n_ops, listed, events[BLD_EVENT_MAX];
	uint64_t objects_count;
	bool overflow;
};

static void probe_op(void *ctx, const struct bld_op *op)
{
	struct op_probe *p = ctx;
	p->n_ops++;
	p->overflow = op->overflow;
	const struct bld_op_field *f = bld_op_get(op, "objects_count");
	p->objects_count = f ? f->v.u : 0;
	f = bld_op_get(op, "objects");
	if (!f)
		return;
	/* Objects directly inside the list: each is OBJECT ... END. */
	for (const struct bld_op_field *e = f + 1; e < f + 1 + f->len; e++)
		if (e->type == BLD_OPF_OBJECT) {
			p->listed++;
			e += e->len;
		}
}

static void probe_event(void *ctx, enum bld_event ev, uint64_t ts_ns, bool to_server)
{
	(void)ts_ns, (void)to_server;
	((struct op_probe *)ctx)->events[ev]++;
}

static void test_objects_cap(void)
{
	/* A READ naming 70 headers (2 + 210 octets, one segment): 48 listed, all counted. */
	uint8_t ud[1 + 2 + 70 * 3] = { 0xc0, 0xc0, 0x01 };
	for (int i = 0; i < 70; i++)
		memcpy(ud + 3 + 3 * i, "\x3c\x01\x06", 3); /* g60v1, all */
	uint32_t len;
	uint8_t *f = frame_bytes(CTL_M, 10, 1, ud, sizeof(ud), &len);
	struct op_probe p = { 0 };
	struct bld_sink sink = { .op = probe_op, .event = probe_event, .ctx = &p };
	static struct bld_op op;
	void *state = calloc(1, bld_dsc_dnp3.state_size);
	struct bld_parse_ctx pc = { .dsc = &bld_dsc_dnp3, .state = state, .to_server = true, .op = &op, .sink = &sink };
	struct bld_parse_result res = bld_dsc_dnp3.parse(&pc, f, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(p.n_ops, 1);
	CU_ASSERT_EQUAL(p.listed, 48);
	CU_ASSERT_EQUAL(p.objects_count, 70);
	CU_ASSERT_FALSE(p.overflow); /* the cap keeps the record inside BLD_OP_MAX_FIELDS */
	CU_ASSERT_EQUAL(p.events[BLD_EVENT_APP_ITEMS_CAPACITY], 1);
	CU_ASSERT_EQUAL(p.events[BLD_EVENT_APP_OP_CAPACITY], 0);
	/* 48 headers of the largest kind listed (start and stop: a READ of g30v1 0..0, no values). */
	uint8_t ud2[1 + 2 + 48 * 5] = { 0xc1, 0xc1, 0x01 };
	for (int i = 0; i < 48; i++)
		memcpy(ud2 + 3 + 5 * i, "\x1e\x01\x00\x00\x00", 5);
	free(f);
	f = frame_bytes(CTL_M, 10, 1, ud2, sizeof(ud2), &len);
	memset(&p, 0, sizeof(p));
	res = bld_dsc_dnp3.parse(&pc, f, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(p.listed, 48);
	CU_ASSERT_FALSE(p.overflow);
	CU_ASSERT_EQUAL(p.events[BLD_EVENT_APP_OP_CAPACITY], 0);
	bld_dsc_dnp3.state_fini(state);
	free(state);
	free(f);
}

/* ---- transport layer ------------------------------------------------------------------------ */

static void test_transport_sequence(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	/* A middle segment with no fragment begun. */
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "05 0102").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_TRANSPORT_SEQUENCE), 1);
	/* FIR seq 10, then seq 12: segment 11 was lost; the FIN segment after it finds nothing. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "4a c0 81 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "0c 1e02 00 00 00").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "8d 01 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_TRANSPORT_SEQUENCE), 2);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	/* A new FIR while a fragment is open: the open one never ended. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "4a c0 81 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "e0 c0 81 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_TRANSPORT_SEQUENCE), 1);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	/* Sequence wraps from 63 to 0; other link addresses do not continue a fragment. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "7f c0 81 0000 1e02 00 00 01").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "80 01 0000 01 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	CU_ASSERT_TRUE(op_has(r, 0, "transport_fin=true transport_fir=false transport_seq=0 transport_segments=2 "
				    "fragment_len=15"));
	CU_ASSERT_TRUE(op_has(r, 0, "objects=[{group=30 variation=2 qualifier=0 start=0 stop=1}]"));
	CU_ASSERT_FALSE(strstr(dsc_op(r, 0), "objects_incomplete"));
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "41 c1 81 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 11, "82 1e02").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_TRANSPORT_SEQUENCE), 1);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	/* Directions reassemble apart: a request in between does not disturb the response. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "4a c0 81 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c3 c3 01 3c0106").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "8b 1e02 06").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_TRANSPORT_SEQUENCE), 0);
	dsc_run_free(r);
}

static void test_fragment_too_large(void)
{
	/* A WRITE of g110v240 octet strings, 249 octets per segment: 10 segments, 2490 octets. */
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	uint8_t ud[250];
	for (unsigned s = 0; s < 10; s++) {
		memset(ud, 0x41, sizeof(ud));
		ud[0] = (uint8_t)((s == 0 ? 0x40 : 0) | (s == 9 ? 0x80 : 0) | s);
		if (s == 0) {
			/* app FIR FIN seq 1 WRITE; g110v240 qualifier 0x17 count 9 */
			static const uint8_t hdr[] = { 0xc1, 0x02, 0x6e, 0xf0, 0x17, 0x09 };
			memcpy(ud + 1, hdr, sizeof(hdr));
		}
		uint32_t len;
		uint8_t *f = frame_bytes(CTL_M, 10, 1, ud, sizeof(ud), &len);
		CU_ASSERT_EQUAL(dsc_parse(r, M2O, false, f, len).status, BLD_PARSE_OK);
		free(f);
		if (s < 8)
			CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_FRAGMENT_TOO_LARGE), 0);
	}
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_FRAGMENT_TOO_LARGE), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_TRUNCATED), 0); /* the cut is reported once, as too large */
	CU_ASSERT_EQUAL(r->n_ops, 1);
	CU_ASSERT_TRUE(op_has(r, 0, "transport_seq=9 transport_segments=10 fragment_len=2490"));
	CU_ASSERT_TRUE(op_has(r, 0, "app_function_name=\"write\" objects=[{group=110 variation=240 qualifier=23 "
				    "count=9}] objects_incomplete=true"));
	/* The next fragment is followed as usual. */
	feed1(r, M2O, READ_CLASS0123);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	dsc_run_free(r);
}

/* ---- pairing and state ---------------------------------------------------------------------- */

static void test_pairing(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	/* A response with no request. */
	feed1(r, O2M, RESP_ANALOG_BINARY);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_RESPONSE_WITHOUT_REQUEST), 1);
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	/* Sequence matters: a READ seq 3 is not answered by seq 4. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c0 c3 01 3c0106").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c0 c4 81 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_RESPONSE_WITHOUT_REQUEST), 1);
	/* So are the addresses: outstation 11 does not answer a request to 10. */
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 11, "c1 c3 81 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_RESPONSE_WITHOUT_REQUEST), 2);
	r->ts_ns = 40 * MS;
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c2 c3 81 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_RESPONSE_WITHOUT_REQUEST), 2);
	CU_ASSERT_EQUAL(r->response_time[3], 40 * MS);
	/* A multi-fragment response: FIR with seq 5, then seq 6 and 7 (§4.2.2.4), then a stray 9. */
	dsc_clear(r);
	r->ts_ns = 50 * MS;
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c0 c5 01 3c0106").status, BLD_PARSE_OK);
	r->ts_ns = 60 * MS;
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c0 a5 81 0000").status, BLD_PARSE_OK); /* FIR CON */
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c1 c5 00").status, BLD_PARSE_OK);        /* CONFIRM */
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c1 26 81 0000").status, BLD_PARSE_OK); /* CON */
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c2 47 81 0000").status, BLD_PARSE_OK); /* FIN */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_RESPONSE_WITHOUT_REQUEST), 0);
	CU_ASSERT_EQUAL(r->response_time[1], 10 * MS);
	CU_ASSERT_EQUAL(r->response_time[3], UINT64_MAX);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c3 09 81 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_RESPONSE_WITHOUT_REQUEST), 1);
	/* No response is expected to _NR functions, CONFIRM or broadcasts: they leave nothing outstanding. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c0 c6 06 0c01 28 0100 0000 03 01 64000000 64000000 00").status,
			BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 0xffff, 1, "c1 c7 01 3c0106").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c1 c6 81 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c2 c7 81 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_RESPONSE_WITHOUT_REQUEST), 2);
	/* Unsolicited responses are never paired; an unasked authentication challenge is no event. */
	dsc_clear(r);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c0 f0 82 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, "c1 c1 83 0000").status, BLD_PARSE_OK);
	CU_ASSERT_TRUE(op_has(r, 0, "app_uns=true app_seq=0 app_function=130 "
				    "app_function_name=\"unsolicited_response\""));
	CU_ASSERT_TRUE(strncmp(dsc_op(r, 0), "response ", 9) == 0);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_unsolicited_while_disabled(void)
{
	/* An unsolicited response with an event (g2v1, 1-octet index) and the null one (no objects). */
	static const char UNSOL_DATA[] = "c0 f1 82 0000 0201 17 01 00 81";
	static const char UNSOL_NULL[] = "c0 f2 82 0000";
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, UNSOL_DATA).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_UNSOLICITED_WHILE_DISABLED), 0);
	feed1(r, M2O, DISABLE_UNSOL);
	CU_ASSERT_TRUE(op_has(r, 1, "app_function_name=\"disable_unsolicited\" objects=[{group=60 variation=2 "
				    "qualifier=6} {group=60 variation=3 qualifier=6} "
				    "{group=60 variation=4 qualifier=6}]"));
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, UNSOL_NULL).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_UNSOLICITED_WHILE_DISABLED), 0); /* allowed at start-up */
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 2, 10, UNSOL_DATA).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_UNSOLICITED_WHILE_DISABLED), 0); /* another master */
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, UNSOL_DATA).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_UNSOLICITED_WHILE_DISABLED), 1);
	/* Re-enabling class 1 alone: the event's class is unknown, so no more events. */
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 10, 1, "c1 c1 14 3c0206").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, UNSOL_DATA).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_UNSOLICITED_WHILE_DISABLED), 1);
	/* Disabled again, then enabled (iti enable_unsolicited_and_response frame 4). */
	feed1(r, M2O, DISABLE_UNSOL);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, UNSOL_DATA).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_UNSOLICITED_WHILE_DISABLED), 2);
	feed1(r, M2O, ENABLE_UNSOL);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, UNSOL_DATA).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_UNSOLICITED_WHILE_DISABLED), 2);
	dsc_run_free(r);

	/* Disabled for all outstations at once (to broadcast 0xffff, as iti/bro dnp3.pcap does). */
	r = dsc_run_new(&bld_dsc_dnp3);
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 0xffff, 1, "c0 c0 15 3c0206 3c0306 3c0406").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, UNSOL_DATA).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 11, UNSOL_DATA).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_UNSOLICITED_WHILE_DISABLED), 2);
	/* Outstation 10 alone enabled again; 11 stays disabled. */
	feed1(r, M2O, ENABLE_UNSOL);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 10, UNSOL_DATA).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_UNSOLICITED_WHILE_DISABLED), 2);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 11, UNSOL_DATA).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_UNSOLICITED_WHILE_DISABLED), 3);
	/* A broadcast enable clears them all. */
	CU_ASSERT_EQUAL(frame(r, M2O, CTL_M, 0xffff, 1, "c1 c1 14 3c0206 3c0306 3c0406").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 11, UNSOL_DATA).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(frame(r, O2M, CTL_O, 1, 12, UNSOL_DATA).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_DNP3_UNSOLICITED_WHILE_DISABLED), 3);
	dsc_run_free(r);
}

/* The reassembly buffer is allocated lazily and freed by state_fini (ASan checks the leak). */
static void test_state(void)
{
	CU_ASSERT_PTR_NOT_NULL(bld_dsc_dnp3.parse);
	CU_ASSERT_PTR_NOT_NULL(bld_dsc_dnp3.state_fini);
	CU_ASSERT_TRUE(bld_dsc_dnp3.state_size > 0 && bld_dsc_dnp3.state_size < 1024);
	struct dsc_run *r = dsc_run_new(&bld_dsc_dnp3);
	feed1(r, O2M, RR_SEG1); /* a fragment left open at the end of the flow */
	dsc_run_free(r);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "read and response (scada 175/176)", test_read_and_response },
		{ "event response and confirm (scada 787/788)", test_event_response_and_confirm },
		{ "link-only frames (scada 2033/2034)", test_link_only },
		{ "direct operate CROB (iti)", test_crob },
		{ "two-segment fragment (iti read_and_response)", test_multi_segment_fragment },
		{ "cold restart and a refused request", test_cold_restart },
		{ "truncation sweeps", test_truncation_sweeps },
		{ "datagrams", test_datagram },
		{ "bad block CRC", test_bad_block_crc },
		{ "lost framing", test_lost_framing },
		{ "resync skips bad headers", test_resync_skip },
		{ "user data without transport header (conf 6.6.2.4)", test_user_data_without_transport },
		{ "illegal functions", test_illegal_functions },
		{ "short fragments", test_short_fragments },
		{ "object walk", test_object_walk },
		{ "unknown object sizes", test_unknown_object_size },
		{ "bad qualifiers", test_bad_qualifier },
		{ "objects cap", test_objects_cap },
		{ "transport sequence", test_transport_sequence },
		{ "fragment too large", test_fragment_too_large },
		{ "pairing", test_pairing },
		{ "unsolicited while disabled", test_unsolicited_while_disabled },
		{ "state", test_state },
	};
	return bld_test_run("dnp3", tests, BLD_TEST_COUNT(tests));
}
