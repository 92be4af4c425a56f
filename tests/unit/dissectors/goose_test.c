/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the goose dissector (dissectors/goose.c).
 *
 * Fixtures are frames after the ethertype (the engine hands the L2 payload,
 * VLAN tags stripped) copied from public captures (the frame is named) or
 * built by hand after IEC 61850-8-1 Annex A and C.  Captures:
 *   demo    /work/shared/pcaps/iti/IEC61850/GOOSE/GOOSE_DEMO.pcap (VLAN 10)
 *   ge      /work/shared/pcaps/iti/IEC61850/GOOSE/GOOSE.pcap (GE F650)
 *   abb     /work/shared/pcaps/iti/IEC61850/GOOSE/Sample_File_GOOSE.pcap (priority tagged)
 *   mix     tests/fixtures/scenario/decode-mix.pcapng frame 79
 * Sequences (stNum, sqNum, time allowed to live) are built with msg_build().
 */
#include "dsc_test.h"
#include "registry.h"

#define PUB true         /* the publisher's direction (the flow's first sender) */
#define MS 1000000ull
#define GOOSE_TEST_PUBLISHERS 8   /* GOOSE_MAX_PUBLISHERS in goose.c */

/* ---- fixtures ------------------------------------------------------------------------------- */

/* demo frame 1 (the probes_test.c fixture). */
static const char DEMO[] =
	"2000"                 /* APPID 0x2000 */
	"006c"                 /* length 108, from APPID on */
	"0000 0000"            /* reserved 1, reserved 2 */
	"61 62"                /* goosePdu [APPLICATION 1], length 98 */
	"80 03 313131"         /* gocbRef "111" */
	"81 05 0000002710"     /* timeAllowedtoLive 10000 (5 octets) */
	"82 03 323232"         /* datSet "222" */
	"83 03 333333"         /* goID "333" */
	"84 08 4ddda51a dbe76d 00" /* t: 2011-05-26 00:55:54, fraction 0xdbe76d, quality 0 */
	"85 05 0000000001"     /* stNum 1 */
	"86 05 0000000001"     /* sqNum 1 */
	"87 01 00"             /* simulation FALSE */
	"88 05 0000000001"     /* confRev 1 */
	"89 01 00"             /* ndsCom FALSE */
	"8a 05 000000000a"     /* numDatSetEntries 10 */
	"ab 1e 830100 830100 830100 830100 830100 830100 830100 830100 830100 830100"; /* 10 x FALSE */

static const char DEMO_OP[] =
	"request appid=8192 length=108 reserved1=0 reserved2=0 s_bit=false gocb_ref=\"111\" "
	"time_allowed_to_live=10000 dataset=\"222\" go_id=\"333\" t=\"2011-05-26T00:55:54.859000027Z\" "
	"t_raw=4ddda51adbe76d00 t_quality=0 st_num=1 sq_num=1 simulation=false conf_rev=1 nds_com=false "
	"num_dataset_entries=10 data=[{type=\"boolean\" value=false} {type=\"boolean\" value=false} "
	"{type=\"boolean\" value=false} {type=\"boolean\" value=false} {type=\"boolean\" value=false} "
	"{type=\"boolean\" value=false} {type=\"boolean\" value=false} {type=\"boolean\" value=false} "
	"{type=\"boolean\" value=false} {type=\"boolean\" value=false}]";

/* ge frame 1: a goosePdu of 134 octets, so the long length form 81 86. */
static const char GE[] =
	"0001 0091 0000 0000"                                        /* APPID 1, length 145 */
	"61 8186"                                                    /* goosePdu, length 134 */
	"80 1a 4745446576696365463635302f4c4c4e3024474f246763623031" /* GEDeviceF650/LLN0$GO$gcb01 */
	"81 03 009c40"                                               /* timeAllowedtoLive 40000 */
	"82 18 4745446576696365463635302f4c4c4e3024474f4f534531"     /* GEDeviceF650/LLN0$GOOSE1 */
	"83 0b 463635305f474f4f534531"                               /* F650_GOOSE1 */
	"84 08 386ebbf3 421728 0a"   /* t 2000-01-02 02:46:11, quality 0x0a: 10 bits of accuracy */
	"85 01 01  86 01 0a  87 01 00  88 01 01  89 01 00  8a 01 08" /* stNum 1, sqNum 10, ..., 8 entries */
	"ab 20 830100 8403030000 830100 8403030000 830100 8403030000 830100 8403030000";
	/* 4 x (boolean FALSE, bit-string of 13 bits: a Quality) */

/* abb frame 1: 25 entries, Dbpos bit-strings (2 bits) and Quality (13 bits). */
static const char ABB[] =
	"3001 00e3 0000 0000"                                            /* APPID 0x3001, length 227 */
	"61 81d8"
	"80 1b 414131433151303141314c44302f4c4c4e3024474f246763625f41"   /* AA1C1Q01A1LD0/LLN0$GO$gcb_A */
	"81 02 3a98"                                                     /* timeAllowedtoLive 15000 */
	"82 20 414131433151303141314c44302f4c4c4e3024496e7465726c6f636b696e6741"
	"83 0d 496e7465726c6f636b696e6741"                               /* InterlockingA */
	"84 08 488890c1 240000 27"                                       /* t, quality 0x27 */
	"85 03 008f61  86 01 00  87 01 00  88 01 01  89 01 00  8a 01 19" /* stNum 36705, sqNum 0, 25 entries */
	"ab 66 830100 830100 830100 830100 830100 830100 830100"
	"840206 80 8403030000 840206 80 8403030000 840206 80 8403030000 840206 00 8403030000"
	"840206 40 8403030000 840206 40 8403030000 840206 40 8403030000 840206 40 8403030000"
	"840206 40 8403030000";

/* mix frame 79: the scenario generator's (scripts/scenario/decode.py _goose). */
static const char MIX[] =
	"0001 006d 0000 0000 61 63"
	"80 15 494544314c44302f4c4c4e3024474f246763623031"     /* IED1LD0/LLN0$GO$gcb01 */
	"81 02 07d0"                                           /* 2000 ms */
	"82 15 494544314c44302f4c4c4e302444617461536574 31"    /* IED1LD0/LLN0$DataSet1 */
	"83 0b 494544315f474f4f534531"                         /* IED1_GOOSE1 */
	"84 08 664304e8 000000 0a"
	"85 01 01  86 01 05  87 01 00  88 01 01  89 01 00  8a 01 02"
	"ab 06 830101 830100";

/* Every Data alternative of IEC 61850-8-1 Annex A, built by hand (tshark 4.0 agrees, see goose.md). */
static const char TYPES[] =
	"1001 00a8 0000 0000 61 819d"
	"80 03 472f31  81 02 07d0  82 03 442f31"     /* gocbRef "G/1", 2000 ms, datSet "D/1", no goID */
	"84 08 664304e8 800000 0a"                   /* t 2024-05-14 06:30:00.5 */
	"85 01 01  86 01 00  88 01 01  8a 01 12"     /* stNum 1, sqNum 0, no simulation, confRev 1, 18 entries */
	"ab 77"
	"830101"                                     /* boolean TRUE */
	"8402 0640"                                  /* bit-string, 6 unused: "01" (Dbpos off) */
	"8403 00 a5 0f"                              /* bit-string of 16 bits */
	"8501 fb"                                    /* integer -5 */
	"8504 80000000"                              /* integer -2^31 */
	"8605 00ee6b2800"                            /* unsigned 4000000000 */
	"8705 08 41480000"                           /* floating-point single 12.5 */
	"8709 0b 400921fb54442d18"                   /* floating-point double pi */
	"8904 deadbeef"                              /* octet-string */
	"8a05 48656c6c6f"                            /* visible-string "Hello" */
	"8c06 010203040506"                          /* binary-time */
	"8d01 2a"                                    /* bcd 42 */
	"8e02 0480"                                  /* booleanArray "1000" */
	"9004 c3a97465"                              /* mMSString (UTF-8) */
	"9108 664304e8 400001 0a"                    /* utc-time 06:30:00.25 + 2^-24 s (59.6 ns) */
	"a208 830100 8403030000"                     /* structure {FALSE, Quality} */
	"a10e 850101 a209 860107 a204 a2028300"      /* array {1, structure {7, structure {structure {}}}} */
	"8801 00";                                   /* real (X.690 REAL, shown as octets) */

/* ---- helpers -------------------------------------------------------------------------------- */

static struct dsc_run *run_new(void)
{
	return dsc_run_new(&bld_dsc_goose);
}

static uint32_t hex_len(const char *hex)
{
	uint32_t len;
	free(bld_test_hex(hex, &len));
	return len;
}

/* One frame as the engine hands it: a datagram. */
static struct bld_parse_result feed_frame(struct dsc_run *r, const uint8_t *b, uint32_t n)
{
	return dsc_parse(r, PUB, true, b, n);
}

static struct bld_parse_result feed_hex(struct dsc_run *r, const char *hex)
{
	uint32_t n;
	uint8_t *b = bld_test_hex(hex, &n);
	struct bld_parse_result res = feed_frame(r, b, n);
	free(b);
	return res;
}

/* The last op in full (dsc_op() keeps its first 16 KiB: the same here). */
static const char *last_op(struct dsc_run *r)
{
	static char line[16384];
	bld_op_format(&r->op, line, sizeof(line));
	return line;
}

static bool has(const char *line, const char *part)
{
	bool ok = strstr(line, part) != NULL;
	if (!ok)
		fprintf(stderr, "\n    \"%s\" not in: %s\n", part, line);
	return ok;
}

/* A goosePdu built from fields, for sequences and corner cases. */
struct msg {
	uint16_t appid;
	uint16_t reserved1;
	const char *gocb;
	uint32_t ttl, st, sq, conf_rev;
	bool value;          /* the one boolean of the data set */
	int n_entries;       /* numDatSetEntries; -1: the true count (1) */
};

struct buf {
	uint8_t b[600];
	uint32_t n;
};

static void put(struct buf *b, const void *p, uint32_t n)
{
	CU_ASSERT_FATAL(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put_tlv(struct buf *b, uint8_t tag, const void *v, uint32_t n)
{
	uint8_t h[2] = { tag, (uint8_t)n };
	CU_ASSERT_FATAL(n < 0x80);
	put(b, h, 2);
	put(b, v, n);
}

/* An INT32U as 5 octets (a leading 0 keeps it positive), as many IEDs send it. */
static void put_u32(struct buf *b, uint8_t tag, uint32_t v)
{
	uint8_t x[5] = { 0, (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	put_tlv(b, tag, x, 5);
}

static uint32_t msg_build(const struct msg *m, uint8_t *out, uint32_t cap)
{
	static const uint8_t t[8] = { 0x66, 0x43, 0x04, 0xe8, 0, 0, 0, 0x0a };
	struct buf pdu = { .n = 0 };
	const char *gocb = m->gocb ? m->gocb : "IED1LD0/LLN0$GO$gcb01";
	uint8_t f = 0, data[3] = { 0x83, 1, m->value };
	put_tlv(&pdu, 0x80, gocb, (uint32_t)strlen(gocb));
	put_u32(&pdu, 0x81, m->ttl);
	put_tlv(&pdu, 0x82, "IED1LD0/LLN0$DS1", 16);
	put_tlv(&pdu, 0x84, t, 8);
	put_u32(&pdu, 0x85, m->st);
	put_u32(&pdu, 0x86, m->sq);
	put_tlv(&pdu, 0x87, &f, 1);
	put_u32(&pdu, 0x88, m->conf_rev);
	put_tlv(&pdu, 0x89, &f, 1);
	put_u32(&pdu, 0x8a, m->n_entries < 0 ? 1u : (uint32_t)m->n_entries);
	put_tlv(&pdu, 0xab, data, 3);
	uint32_t len = 8 + 2 + pdu.n;
	CU_ASSERT_FATAL(len <= cap && pdu.n < 0x80);
	uint8_t h[10] = { (uint8_t)(m->appid >> 8), (uint8_t)m->appid, (uint8_t)(len >> 8), (uint8_t)len,
			  (uint8_t)(m->reserved1 >> 8), (uint8_t)m->reserved1, 0, 0, 0x61, (uint8_t)pdu.n };
	memcpy(out, h, 10);
	memcpy(out + 10, pdu.b, pdu.n);
	return len;
}

/* Publish (st, sq) at time ms with a time allowed to live of ttl ms; the events it raised. */
static unsigned publish(struct dsc_run *r, uint64_t ms, uint32_t st, uint32_t sq, uint32_t ttl, bool value)
{
	struct msg m = { .appid = 1, .ttl = ttl, .st = st, .sq = sq, .conf_rev = 1, .value = value, .n_entries = -1 };
	uint8_t b[600];
	uint32_t n = msg_build(&m, b, sizeof(b));
	dsc_clear(r);
	r->ts_ns = ms * MS;
	struct bld_parse_result res = feed_frame(r, b, n);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	return r->n_events;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_registered(void)
{
	CU_ASSERT_PTR_EQUAL(bld_dissectors[BLD_PROTO_GOOSE], &bld_dsc_goose);
	CU_ASSERT_STRING_EQUAL(bld_dsc_goose.name, "goose");
	CU_ASSERT_PTR_NOT_NULL(bld_dsc_goose.parse);
}

static void test_demo(void)
{
	struct dsc_run *r = run_new();
	struct bld_parse_result res = feed_hex(r, DEMO);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, hex_len(DEMO));
	CU_ASSERT_EQUAL(r->n_ops, 1);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), DEMO_OP);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_ge_bit_strings(void)
{
	struct dsc_run *r = run_new();
	CU_ASSERT_EQUAL(feed_hex(r, GE).consumed, 145);
	const char *op = dsc_op(r, 0);
	CU_ASSERT(has(op, "appid=1 length=145 "));
	CU_ASSERT(has(op, "gocb_ref=\"GEDeviceF650/LLN0$GO$gcb01\" time_allowed_to_live=40000 "
			  "dataset=\"GEDeviceF650/LLN0$GOOSE1\" go_id=\"F650_GOOSE1\" "
			  "t=\"2000-01-02T02:46:11.258165836Z\" t_raw=386ebbf34217280a t_quality=10 st_num=1 sq_num=10 "));
	CU_ASSERT(has(op, "num_dataset_entries=8 data=[{type=\"boolean\" value=false} "
			  "{type=\"bit-string\" bits=\"0000000000000\"} {type=\"boolean\" value=false}"));
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_abb_dbpos(void)
{
	struct dsc_run *r = run_new();
	CU_ASSERT_EQUAL(feed_hex(r, ABB).consumed, 227);
	const char *op = dsc_op(r, 0);
	CU_ASSERT(has(op, "appid=12289 length=227 "));
	CU_ASSERT(has(op, "time_allowed_to_live=15000 "));
	CU_ASSERT(has(op, "t=\"2008-07-24T14:25:05.140625000Z\" t_raw=488890c124000027 t_quality=39 "
			  "st_num=36705 sq_num=0 "));
	CU_ASSERT(has(op, "num_dataset_entries=25 "));
	/* Dbpos "10" (on), then its Quality; later "00" (intermediate) and "01" (off) */
	CU_ASSERT(has(op, "{type=\"bit-string\" bits=\"10\"} {type=\"bit-string\" bits=\"0000000000000\"}"));
	CU_ASSERT(has(op, "bits=\"00\""));
	CU_ASSERT(has(op, "bits=\"01\""));
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_mix(void)
{
	struct dsc_run *r = run_new();
	CU_ASSERT_EQUAL(feed_hex(r, MIX).status, BLD_PARSE_OK);
	CU_ASSERT(has(dsc_op(r, 0), "t=\"2024-05-14T06:30:00.000000000Z\" t_raw=664304e80000000a t_quality=10 "
				    "st_num=1 sq_num=5 simulation=false conf_rev=1 nds_com=false "
				    "num_dataset_entries=2 data=[{type=\"boolean\" value=true} "
				    "{type=\"boolean\" value=false}]"));
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_every_type(void)
{
	struct dsc_run *r = run_new();
	CU_ASSERT_EQUAL(feed_hex(r, TYPES).consumed, hex_len(TYPES));
	const char *op = dsc_op(r, 0);
	/* absent BOOLEANs take their DEFAULT FALSE; goID is OPTIONAL */
	CU_ASSERT(has(op, "dataset=\"D/1\" t=\"2024-05-14T06:30:00.500000000Z\" "));
	CU_ASSERT(has(op, "sq_num=0 simulation=false conf_rev=1 nds_com=false num_dataset_entries=18 data=["));
	CU_ASSERT_PTR_NULL(strstr(op, "go_id"));
	CU_ASSERT(has(op, "data=[{type=\"boolean\" value=true} {type=\"bit-string\" bits=\"01\"} "
			  "{type=\"bit-string\" bits=\"1010010100001111\"} {type=\"integer\" value=-5} "
			  "{type=\"integer\" value=-2147483648} {type=\"unsigned\" value=4000000000} "
			  "{type=\"floating-point\" value=12.5} {type=\"floating-point\" value=3.141592653589793} "
			  "{type=\"octet-string\" hex=deadbeef} {type=\"visible-string\" text=\"Hello\"} "
			  "{type=\"binary-time\" hex=010203040506} {type=\"bcd\" value=42} "
			  "{type=\"boolean-array\" bits=\"1000\"} {type=\"mms-string\" text=\"\\xc3\\xa9te\"} "
			  "{type=\"utc-time\" time=\"2024-05-14T06:30:00.250000059Z\" quality=10} "
			  "{type=\"structure\" items=[{type=\"boolean\" value=false} "
			  "{type=\"bit-string\" bits=\"0000000000000\"}]} "
			  "{type=\"array\" items=[{type=\"integer\" value=1} {type=\"structure\" items=["
			  "{type=\"unsigned\" value=7} {type=\"structure\" items_count=1}]}]} "
			  "{type=\"real\" hex=00}]"));
	CU_ASSERT_EQUAL(r->n_events, 0);   /* depth 3 is a listing limit, not an error */
	dsc_run_free(r);
}

/* Ethernet pads a frame to 60 octets: the padding is no PDU. */
static void test_padding(void)
{
	uint32_t n;
	uint8_t *b = bld_test_hex(MIX, &n);
	uint8_t padded[200] = { 0 };
	memcpy(padded, b, n);
	struct dsc_run *r = run_new();
	struct bld_parse_result res = feed_frame(r, padded, n + 20);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, n + 20);    /* the frame is consumed whole */
	CU_ASSERT_EQUAL(r->n_ops, 1);
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* Outside a frame (the parser contract's stream case) a PDU ends at its length. */
	res = dsc_parse(r, PUB, false, padded, n + 20);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, n);
	dsc_run_free(r);
	free(b);
}

static void test_truncation(void)
{
	dsc_truncation_sweep(&bld_dsc_goose, PUB, DEMO);
	dsc_truncation_sweep(&bld_dsc_goose, PUB, TYPES);
	/* A frame cut short of its length (snap length): goose.truncated, nothing reported. */
	uint32_t n;
	uint8_t *b = bld_test_hex(GE, &n);
	for (uint32_t k = 0; k < n; k++) {
		struct dsc_run *r = run_new();
		struct bld_parse_result res = feed_frame(r, b, k);
		CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_TRUNCATED), 1);
		CU_ASSERT_EQUAL(r->n_events, 1);
		CU_ASSERT_EQUAL(r->n_ops, 0);
		dsc_run_free(r);
	}
	free(b);
}

static void test_bad_length(void)
{
	struct dsc_run *r = run_new();
	/* below 8: not even the header: framing lost, the frame dropped */
	struct bld_parse_result res = feed_hex(r, "0001 0007 0000 0000 6100");
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(res.consumed, 10);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	/* exactly the header: no APDU */
	dsc_clear(r);
	CU_ASSERT_EQUAL(feed_hex(r, "0001 0008 0000 0000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_BAD_LENGTH), 1);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request appid=1 length=8 reserved1=0 reserved2=0 s_bit=false");
	/* the goosePdu's BER length runs past the APPID length */
	dsc_clear(r);
	CU_ASSERT_EQUAL(feed_hex(r, "0001 000e 0000 0000 6106 800147 8101 | 00 00").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

/* A TYPES copy with one octet changed: the events it raises; *op gets the op line. */
static unsigned corrupt(const char *hex, uint32_t at, uint8_t v, enum bld_event ev, const char **op)
{
	uint32_t n;
	uint8_t *b = bld_test_hex(hex, &n);
	b[at] = v;
	struct dsc_run *r = run_new();
	struct bld_parse_result res = feed_frame(r, b, n);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	unsigned k = dsc_events(r, ev);
	static char line[16384];
	snprintf(line, sizeof(line), "%s", dsc_op(r, 0));
	if (op)
		*op = line;
	dsc_run_free(r);
	free(b);
	return k;
}

static void test_corrupt_ber(void)
{
	const char *op;
	/* DEMO offsets: 8 goosePdu tag, 10 gocbRef tag, 11 its length, 15 timeAllowedtoLive tag. */
	CU_ASSERT_EQUAL(corrupt(DEMO, 11, 0x80, BLD_EVENT_GOOSE_BAD_BER, &op), 1);   /* indefinite length */
	CU_ASSERT(has(op, "s_bit=false simulation=false nds_com=false"));        /* nothing after it is read */
	CU_ASSERT_EQUAL(corrupt(DEMO, 11, 0x85, BLD_EVENT_GOOSE_BAD_BER, NULL), 1);  /* 5-octet length */
	CU_ASSERT_EQUAL(corrupt(DEMO, 11, 0x84, BLD_EVENT_GOOSE_BAD_BER, NULL), 1);  /* 4 octets: 0x31313181 */
	CU_ASSERT_EQUAL(corrupt(DEMO, 11, 0x7f, BLD_EVENT_GOOSE_BAD_BER, NULL), 1);  /* past the goosePdu */
	CU_ASSERT_EQUAL(corrupt(DEMO, 10, 0x9f, BLD_EVENT_GOOSE_BAD_BER, NULL), 1);  /* multi-octet tag */
	struct dsc_run *r = run_new();
	/* a length in 5 octets, though its value (3) fits: more than GOOSE allows */
	CU_ASSERT_EQUAL(feed_hex(r, "0001 0014 0000 0000 61 0a 80 85 0000000003 313131").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_BAD_BER), 1);
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 0), "gocb_ref"));
	/* the same in 4 octets is allowed (BER permits a longer length form than needed; DER would not) */
	dsc_clear(r);
	feed_hex(r, "0001 0013 0000 0000 61 09 80 84 00000003 313131");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_BAD_BER), 0);
	CU_ASSERT(has(dsc_op(r, 0), "gocb_ref=\"111\""));
	dsc_run_free(r);
	CU_ASSERT_EQUAL(corrupt(DEMO, 9, 0x63, BLD_EVENT_GOOSE_BAD_LENGTH, NULL), 1); /* goosePdu too long */
	CU_ASSERT_EQUAL(corrupt(DEMO, 9, 0x82, BLD_EVENT_GOOSE_BAD_LENGTH, NULL), 1); /* long form past the end */
	/* A field cut short: what came before it is still reported, and missing fields are said. */
	CU_ASSERT_EQUAL(corrupt(DEMO, 60, 0x7f, BLD_EVENT_GOOSE_BAD_BER, &op), 1);   /* confRev's length */
	CU_ASSERT(has(op, "st_num=1 sq_num=1 simulation=false nds_com=false"));
	CU_ASSERT_EQUAL(corrupt(DEMO, 60, 0x7f, BLD_EVENT_GOOSE_MISSING_FIELD, NULL), 1);
	/* Inside allData: the entries before the error are listed; the data hash is not trusted. */
	CU_ASSERT_EQUAL(corrupt(DEMO, 88, 0x7f, BLD_EVENT_GOOSE_BAD_BER, &op), 1);   /* 4th entry's length */
	CU_ASSERT(has(op, "data=[{type=\"boolean\" value=false} {type=\"boolean\" value=false} "
			  "{type=\"boolean\" value=false}]"));
	/* Inside a structure (TYPES offset 160: the length of the structure inside the array's). */
	CU_ASSERT_EQUAL(corrupt(TYPES, 160, 0x0a, BLD_EVENT_GOOSE_BAD_BER, NULL), 1);
}

static void test_bad_fields(void)
{
	const char *op;
	/* DEMO offsets: 12 gocbRef, 16 timeAllowedtoLive's length, 17 its first octet, 33 t's length. */
	CU_ASSERT_EQUAL(corrupt(DEMO, 16, 0x04, BLD_EVENT_GOOSE_BAD_BER, NULL), 1); /* TTL 4 octets: shifts */
	CU_ASSERT_EQUAL(corrupt(DEMO, 17, 0xff, BLD_EVENT_GOOSE_BAD_FIELD, &op), 1); /* TTL beyond INT32U */
	CU_ASSERT_PTR_NULL(strstr(op, "time_allowed_to_live"));
	CU_ASSERT_EQUAL(corrupt(DEMO, 12, 0x01, BLD_EVENT_GOOSE_BAD_FIELD, &op), 1); /* gocbRef with 0x01 */
	CU_ASSERT(has(op, "gocb_ref=\"\\x0111\""));
	/* t of 7 octets (its 8th then reads as a tag, the BER after it lost) */
	CU_ASSERT_EQUAL(corrupt(DEMO, 33, 0x07, BLD_EVENT_GOOSE_BAD_FIELD, &op), 1);
	CU_ASSERT_PTR_NULL(strstr(op, " t="));

	struct dsc_run *r = run_new();
	/* Data values malformed for their type, each shown as its octets. */
	feed_hex(r, "0001 0041 0000 0000 61 37"
		    "80 01 47  81 01 01  82 01 44  84 08 0000000000000000  85 01 01  86 01 00  88 01 01 8a 01 07"
		    "ab 16 83020101 840108 8700 870408000000 860180 8000 a100"); /* wrong tags too */
	const char *line = last_op(r);
	CU_ASSERT(has(line, "data=[{type=\"boolean\" hex=0101} {type=\"bit-string\" hex=08} "
			    "{type=\"floating-point\" hex=} {type=\"floating-point\" hex=08000000} "
			    "{type=\"unsigned\" value=-128} {type=\"unknown\" tag=128 hex=} "
			    "{type=\"array\" items=[]}]"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_BAD_FIELD), 6);
	CU_ASSERT_EQUAL(r->n_events, 6);
	/* a constructed boolean, a primitive structure, a bit-string of no octet with unused bits */
	dsc_run_free(r);
	r = run_new();
	feed_hex(r, "0001 0035 0000 0000 61 2b"
		    "80 01 47  81 01 01  82 01 44  84 08 0000000000000000  85 01 01  86 01 00  88 01 01 8a 01 03"
		    "ab 0a a303830101 8200 840103");
	CU_ASSERT(has(last_op(r), "data=[{type=\"unknown\" tag=163 hex=830101} {type=\"unknown\" tag=130 hex=} "
				  "{type=\"bit-string\" hex=03}]"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_BAD_FIELD), 3);
	CU_ASSERT_EQUAL(r->n_events, 3);
	dsc_run_free(r);
}

static void test_field_order(void)
{
	struct dsc_run *r = run_new();
	/* sqNum before stNum, stNum twice (the second ignored), an undefined tag [13] */
	feed_hex(r, "0001 0033 0000 0000 61 29"
		    "80 01 47  81 01 01  82 01 44  84 08 0000000000000000  86 01 05  85 01 02  85 01 09"
		    "88 01 01  8a 01 01  ab 03 830100  8d 00");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_FIELD_ORDER), 1);   /* once per message */
	CU_ASSERT(has(last_op(r), "st_num=2 sq_num=5 "));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_MISSING_FIELD), 0);
	/* only out of order: sqNum before stNum (a new run: the same publisher would be a duplicate) */
	dsc_run_free(r);
	r = run_new();
	feed_hex(r, "0001 002e 0000 0000 61 24"
		    "80 01 47  81 01 01  82 01 44  84 08 0000000000000000  86 01 05  85 01 02  88 01 01  8a 01 01"
		    "ab 03 830100");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_FIELD_ORDER), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	CU_ASSERT(has(last_op(r), "st_num=2 sq_num=5 "));
	/* no allData, no confRev */
	dsc_clear(r);
	feed_hex(r, "0001 0026 0000 0000 61 1c 80 01 47  81 01 01  82 01 44  84 08 0000000000000000"
		    "85 01 02  86 01 06  8a 01 00");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_MISSING_FIELD), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_ENTRIES_MISMATCH), 0);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

static void test_header_checks(void)
{
	struct dsc_run *r = run_new();
	/* numDatSetEntries 5 for 1 entry; ndsCom TRUE */
	struct msg m = { .appid = 1, .ttl = 1000, .st = 1, .conf_rev = 1, .n_entries = 5 };
	uint8_t b[600];
	uint32_t n = msg_build(&m, b, sizeof(b));
	feed_frame(r, b, n);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_ENTRIES_MISMATCH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_clear(r);
	feed_hex(r, "0001 0026 0000 0000 61 1c 80 01 47 81 01 01 82 01 44 84 08 0000000000000000"
		    "85 01 01 86 01 00 89 01 ff");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_NDS_COM), 1);
	CU_ASSERT(has(last_op(r), "nds_com=true"));

	/* S bit set, simulation FALSE: receivers reject it (8-1 Ed. 2); S bit with simulation TRUE: fine. */
	dsc_clear(r);
	m = (struct msg){ .appid = 2, .reserved1 = 0x8000, .ttl = 1000, .st = 1, .conf_rev = 1, .n_entries = -1 };
	n = msg_build(&m, b, sizeof(b));
	feed_frame(r, b, n);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_SIM_MISMATCH), 1);
	CU_ASSERT(has(last_op(r), "reserved1=32768 reserved2=0 s_bit=true "));
	b[n - 23] = 1;   /* simulation's value: allData (5), numDatSetEntries (7), ndsCom (3), confRev (7) after it */
	dsc_clear(r);
	feed_frame(r, b, n);
	CU_ASSERT(has(last_op(r), "simulation=true"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_SIM_MISMATCH), 0);
	dsc_run_free(r);
}

static void test_unknown_pdu_and_extension(void)
{
	struct dsc_run *r = run_new();
	/* gseMngtPdu [APPLICATION 0] on the GOOSE ethertype */
	CU_ASSERT_EQUAL(feed_hex(r, "0001 000c 0000 0000 6002 8000").status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_UNKNOWN_PDU), 1);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request appid=1 length=12 reserved1=0 reserved2=0 s_bit=false pdu_tag=96");
	/* Octets inside the APPID length after the goosePdu: an IEC 62351-6 extension, reported by size. */
	uint32_t n;
	uint8_t *b = bld_test_hex(MIX, &n);
	uint8_t x[200] = { 0 };
	memcpy(x, b, n);
	memcpy(x + n, "\x00\x01\x02\x03\x04\x05", 6);
	x[3] = (uint8_t)(n + 6);
	dsc_clear(r);
	CU_ASSERT_EQUAL(feed_frame(r, x, n + 6).consumed, n + 6);
	CU_ASSERT(has(dsc_op(r, 0), "s_bit=false extension_len=6 gocb_ref="));
	CU_ASSERT_EQUAL(r->n_events, 0);
	free(b);
	dsc_run_free(r);
}

static void test_retransmissions(void)
{
	struct dsc_run *r = run_new();
	/* IEC 61850-7-2 §18: retransmissions of state 1, a state change, its retransmissions */
	CU_ASSERT_EQUAL(publish(r, 0, 1, 0, 100, false), 0);
	CU_ASSERT_EQUAL(publish(r, 4, 1, 1, 100, false), 0);
	CU_ASSERT_EQUAL(publish(r, 12, 1, 2, 100, false), 0);
	CU_ASSERT_EQUAL(publish(r, 13, 2, 0, 100, true), 0);
	CU_ASSERT_EQUAL(publish(r, 15, 2, 1, 100, true), 0);
	CU_ASSERT_EQUAL(publish(r, 19, 2, 2, 100, true), 0);
	/* stNum + 3 */
	CU_ASSERT_EQUAL(publish(r, 20, 5, 0, 100, false), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_ST_NUM_JUMP), 1);
	/* a new state whose sqNum is not 0 */
	CU_ASSERT_EQUAL(publish(r, 21, 6, 3, 100, true), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_SQ_NUM_NOT_RESET), 1);
	/* sqNum + 2 within the state; then the same message again; then back */
	CU_ASSERT_EQUAL(publish(r, 22, 6, 5, 100, true), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_SQ_NUM_JUMP), 1);
	CU_ASSERT_EQUAL(publish(r, 23, 6, 5, 100, true), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_DUPLICATE), 1);
	CU_ASSERT_EQUAL(publish(r, 24, 6, 4, 100, true), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_SQ_NUM_BACK), 1);
	/* stNum back (not to 1): a replay */
	CU_ASSERT_EQUAL(publish(r, 25, 4, 9, 100, true), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_ST_NUM_BACK), 1);
	/* the values change while stNum stays */
	CU_ASSERT_EQUAL(publish(r, 26, 4, 10, 100, false), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_DATA_CHANGE), 1);
	/* a restart: stNum 1, sqNum 0 */
	CU_ASSERT_EQUAL(publish(r, 30, 1, 0, 100, false), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_RESTART), 1);
	CU_ASSERT_EQUAL(publish(r, 31, 1, 1, 100, false), 0);   /* and on from there */
	dsc_run_free(r);
}

static void test_counter_wrap(void)
{
	struct dsc_run *r = run_new();
	CU_ASSERT_EQUAL(publish(r, 0, UINT32_MAX - 1, UINT32_MAX, 1000, false), 0);
	CU_ASSERT_EQUAL(publish(r, 1, UINT32_MAX - 1, 1, 1000, false), 0);   /* sqNum rolls over to 1 */
	CU_ASSERT_EQUAL(publish(r, 2, UINT32_MAX, 0, 1000, true), 0);
	CU_ASSERT_EQUAL(publish(r, 3, 1, 0, 1000, false), 0);                /* stNum rolls over to 1 */
	CU_ASSERT_EQUAL(publish(r, 4, 2, 0, 1000, true), 0);
	/* a far jump ahead (more than half the counter) counts as back */
	CU_ASSERT_EQUAL(publish(r, 5, 0x90000000u, 0, 1000, true), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_ST_NUM_BACK), 1);
	dsc_run_free(r);
}

static void test_ttl(void)
{
	struct dsc_run *r = run_new();
	CU_ASSERT_EQUAL(publish(r, 1000, 1, 0, 20, false), 0);
	CU_ASSERT_EQUAL(publish(r, 1020, 1, 1, 40, false), 0);           /* exactly at the limit: in time */
	CU_ASSERT_EQUAL(publish(r, 1061, 1, 2, 2000, false), 1);         /* 41 ms after a TTL of 40 */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_TTL_EXPIRED), 1);
	CU_ASSERT_EQUAL(publish(r, 3000, 1, 3, 2000, false), 0);         /* 1939 ms after a TTL of 2000 */
	CU_ASSERT_EQUAL(publish(r, 9000, 1, 4, 0, false), 1);            /* silent for 6 s */
	CU_ASSERT_EQUAL(publish(r, 99000, 1, 5, 0, false), 0);           /* a TTL of 0 is not checked */
	CU_ASSERT_EQUAL(publish(r, 98000, 1, 6, 10, false), 0);          /* time going back: not an expiry */
	dsc_run_free(r);
}

/* Publishers are told apart by APPID and gocbRef; conf_rev is followed per publisher. */
static void test_publishers(void)
{
	struct dsc_run *r = run_new();
	uint8_t b[600];
	char names[GOOSE_TEST_PUBLISHERS][24];
	for (unsigned i = 0; i < GOOSE_TEST_PUBLISHERS; i++) {
		snprintf(names[i], sizeof(names[i]), "IED%u/LLN0$GO$gcb", i);
		struct msg m = { .appid = 1, .gocb = names[i], .ttl = 1000, .st = 10, .conf_rev = 1, .n_entries = -1 };
		r->ts_ns = i * MS;
		feed_frame(r, b, msg_build(&m, b, sizeof(b)));
	}
	CU_ASSERT_EQUAL(r->n_events, 0);   /* 8 publishers fit */
	/* each goes on with its own counters: no events */
	for (unsigned i = 0; i < GOOSE_TEST_PUBLISHERS; i++) {
		struct msg m = { .appid = 1, .gocb = names[i], .ttl = 1000, .st = 10, .sq = 1, .conf_rev = 1,
				 .n_entries = -1 };
		r->ts_ns = (10 + i) * MS;
		feed_frame(r, b, msg_build(&m, b, sizeof(b)));
	}
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* the same gocbRef under another APPID is another publisher: stNum 3 is no step back */
	struct msg m = { .appid = 2, .gocb = names[0], .ttl = 1000, .st = 3, .conf_rev = 1, .n_entries = -1 };
	r->ts_ns = 20 * MS;
	feed_frame(r, b, msg_build(&m, b, sizeof(b)));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_PUBLISHER_CAPACITY), 1);   /* a ninth: IED0 forgotten */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_ST_NUM_BACK), 0);
	/* IED1 reconfigured */
	m = (struct msg){ .appid = 1, .gocb = names[1], .ttl = 1000, .st = 11, .conf_rev = 2, .n_entries = -1 };
	r->ts_ns = 21 * MS;
	dsc_clear(r);
	feed_frame(r, b, msg_build(&m, b, sizeof(b)));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_CONF_REV_CHANGE), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

/* More values than an operation lists: counted, the cap raised once. */
static void test_entries_cap(void)
{
	char hex[2048] = "0001 0000 0000 0000 61 82 0000 80 01 47 81 01 01 82 01 44 84 08 0000000000000000"
			 "85 01 01 86 01 00 88 01 01 8a 01 64 ab 82 012c";
	for (int i = 0; i < 100; i++)
		strcat(hex, " 830101");
	uint32_t n;
	uint8_t *b = bld_test_hex(hex, &n);
	b[2] = (uint8_t)(n >> 8), b[3] = (uint8_t)n;
	b[10] = (uint8_t)((n - 12) >> 8), b[11] = (uint8_t)(n - 12);
	struct dsc_run *r = run_new();
	CU_ASSERT_EQUAL(feed_frame(r, b, n).status, BLD_PARSE_OK);
	const char *op = last_op(r);
	CU_ASSERT(has(op, "}] data_count=100"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_GOOSE_ENTRIES_MISMATCH), 0);   /* the true count is 100 */
	CU_ASSERT_EQUAL(r->n_events, 1);
	CU_ASSERT_FALSE(r->op.overflow);
	dsc_run_free(r);
	free(b);
}

/* Every octet of real and hand-built frames changed to every value: never a crash or overread (ASan). */
static void test_mutations(void)
{
	static const char *const fixtures[] = { DEMO, GE, TYPES };
	for (size_t f = 0; f < BLD_TEST_COUNT(fixtures); f++) {
		uint32_t n;
		uint8_t *b = bld_test_hex(fixtures[f], &n);
		struct dsc_run *r = run_new();
		for (uint32_t i = 0; i < n; i++) {
			uint8_t keep = b[i];
			for (unsigned v = 0; v < 256; v += 7) {
				b[i] = (uint8_t)v;
				struct bld_parse_result res = feed_frame(r, b, n);
				CU_ASSERT(res.status != BLD_PARSE_OK || (res.consumed > 0 && res.consumed <= n));
				dsc_clear(r);
			}
			b[i] = keep;
		}
		dsc_run_free(r);
		free(b);
	}
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "registered", test_registered },
		{ "GOOSE_DEMO frame: every field", test_demo },
		{ "GE F650: long length form, Quality bit-strings", test_ge_bit_strings },
		{ "ABB: Dbpos bit-strings, 25 entries", test_abb_dbpos },
		{ "scenario decode-mix frame", test_mix },
		{ "every Data type, nested, depth-capped", test_every_type },
		{ "Ethernet padding", test_padding },
		{ "truncation: every prefix", test_truncation },
		{ "APPID length and goosePdu length", test_bad_length },
		{ "corrupted BER lengths and tags", test_corrupt_ber },
		{ "fields of the wrong size or value", test_bad_fields },
		{ "field order, duplicates, missing fields", test_field_order },
		{ "entries mismatch, ndsCom, simulation", test_header_checks },
		{ "GSE management PDU, security extension", test_unknown_pdu_and_extension },
		{ "stNum / sqNum sequences", test_retransmissions },
		{ "counter wrap", test_counter_wrap },
		{ "time allowed to live", test_ttl },
		{ "publishers per flow, confRev", test_publishers },
		{ "entries cap", test_entries_cap },
		{ "mutations", test_mutations },
	};
	return bld_test_run("dissectors/goose", tests, BLD_TEST_COUNT(tests));
}
