/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the rasta dissector (dissectors/rasta.c, with EULYNX SCI
 * in dissectors/sci.c).
 *
 * Fixtures with fixed bytes come from outside Bollard:
 *   §1.9      the test vector of shared/reference/rail-protocols.md §1.9 (heartbeat, lower-half MD4,
 *             check code option B), computed there with an independent Python MD4 and CRC
 *   standard  shared/pcaps/railway-ccs/dumps/rasta_from_standard.pcapng, six heartbeats from
 *             DIN VDE V 0831-200 (dumps/README.md: no / lower-half / full MD4, default and modified
 *             initial values; the modified one A = afb16782, B = 304c59de as in SBB's
 *             unit_test_srmd4.cc)
 *   scenario  tests/fixtures/scenario/rail-signalling*.pcap, written by scripts/scenario/rail.py
 *             (check code B, lower-half MD4 with the standard IV), frame numbers given
 * Sequences for the state machine are built here (build()), with the CRCs
 * of crc.c and the MD4 of md4.c, both checked against external vectors.
 */
#include "dsc_test.h"

#include "crc.h"
#include "fields.h"
#include "md4.h"
#include "rasta.h"
#include "registry.h"

#define C2S true
#define S2C false
#define MS 1000000ull

/* ---- fixtures ----------------------------------------------------------------------------------- */

/* §1.9: HB, receiver 0x60, sender 0x61, SN 1, CS 0, TS 1000, CTS 0; RedL SN 7, CRC option B 0x3b6ef08e. */
static const char V19[] =
	"3000 0000 07000000"                     /* RedL: length 48, reserve 0, SN 7 */
	"2400 4c18 60000000 61000000"            /* SafRetL: length 36, type 6220, receiver 0x60, sender 0x61 */
	"01000000 00000000 e8030000 00000000"    /* SN 1, CS 0, TS 1000, CTS 0 */
	"a2a36df716b9a308"                       /* lower half of MD4 */
	"8ef06e3b";                              /* check code B, little-endian */

/* standard frames 1..6: the Annex A heartbeat (receiver 9876543, sender 2345678, SN 573785174). */
#define STD_HEAD "4c183fb49600ceca2300564433226655443357010000cb000000"
static const char *const STD[6] = {
	"2400 0000 01000000 1c00" STD_HEAD,                                        /* no safety code */
	"2c00 0000 01000000 2400" STD_HEAD "83f0d052406bf492",                     /* lower half, default IV */
	"3400 0000 01000000 2c00" STD_HEAD "92305fd7d0611261be7b28a80760c61f",     /* full, default IV */
	"2400 0000 01000000 1c00" STD_HEAD,                                        /* no safety code */
	"2c00 0000 01000000 2400" STD_HEAD "939f1c8659cff503",                     /* lower half, modified IV */
	"3400 0000 01000000 2c00" STD_HEAD "465ccaa24e54c01a6be743295ccee085",     /* full, modified IV */
};

/* scenario frame 9: ConnReq EIL01 (0x60) -> W101 (0x61), version 0303, N_SENDMAX 20. */
static const char CONN_REQ[] =
	"3e00 0000 00000000"
	"3200 3818 61000000 60000000 de1e271a 00000000 c1c74e6b 00000000"
	"30333033 1400 0000000000000000"         /* "0303", N_SENDMAX 20, reserve */
	"785174e2235042f0 c2e919d2";
/* scenario frame 11: ConnResp, CS/CTS = the ConnReq's SN/TS. */
static const char CONN_RESP[] =
	"3e00 0000 00000000"
	"3200 3918 60000000 61000000 8e02ac1e de1e271a f7c21112 c1c74e6b"
	"30333033 1400 0000000000000000"
	"b3aef3b8aaaca0b7 69c280a2";
/* scenario frame 13: the client's first heartbeat. */
static const char HB1[] =
	"3000 0000 01000000"
	"2400 4c18 61000000 60000000 df1e271a 8e02ac1e c6c74e6b f7c21112"
	"23ed3671fe513a6d f4e6259d";
/* scenario frame 17: Data, SCI-P PDI version check EIL01 -> W101, PDI version 1. */
static const char DATA_VERSION[] =
	"5e00 0000 02000000"
	"5200 6018 61000000 60000000 e01e271a 8e02ac1e f3c74e6b f7c21112"
	"2c00"                                   /* one message of 44 bytes */
	"40 2400 45494c30315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 573130315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 01"
	"c37fab234ee9cfac ad2f5d6d";
/* scenario frame 29: Data, SCI-P PDI version result W101 -> EIL01 (match, version 1, no checksum). */
static const char DATA_RESULT[] =
	"6000 0000 01000000"
	"5400 6018 60000000 61000000 8f02ac1e e01e271a 49c31112 f3c74e6b"
	"2e00 40 2500 573130315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 45494c30315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 020100"
	"0318306280ea8c53 2fa82cc6";
/* scenario frame 505: Data, SCI-P Move Point EIL01 -> W101, left. */
static const char DATA_MOVE[] =
	"5e00 0000 18000000"
	"5200 6018 61000000 60000000 f61e271a a602ac1e 6ae04e6b fcda1112"
	"2c00 40 0100 45494c30315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 573130315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 02"
	"90aa0b50aa7c85b3 fb9d4d1f";
/* scenario frame 51: SCI-P point position: right (1), not degraded (3). */
static const char DATA_POSITION[] =
	"5f00 0000 03000000"
	"5300 6018 60000000 61000000 9102ac1e e11e271a 85c31112 32c84e6b"
	"2d00 40 0b00 573130315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 45494c30315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 0103"
	"f7de184cad8aa002 0b2f8504";
/* scenario frame 74: SCI-TDS TVPS occupancy status G101 -> EIL01: vacant, initial section state. */
static const char DATA_TVPS[] =
	"6400 0000 03000000"
	"5800 6018 60000000 63000000 f2de3419 3fd61975 8d90872f 91b7c661"
	"3200 20 0700 473130315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 45494c30315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f"
	"01 02 0000 01 ff 05"
	"532ae731b8d5be60 ea1b2afd";
/* scenario frame 846: SCI-LS indicate signal aspect EIL01 -> N12 (librasta's 9-byte layout). */
static const char DATA_ASPECT[] =
	"6600 0000 28000000"
	"5a00 6018 62000000 60000000 6a7c8066 bb261312 880d1573 305c7c21"
	"3400 30 0100 45494c30315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 4e31325f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f"
	"04 ffffffffffffff 01"
	"49877a394bbd0de8 5b1fa34d";
/* attacks frame 2555: Move Point from a rogue host, RaSTA sender 0x66, SCI sender EIL99, no ConnReq. */
static const char ROGUE_MOVE[] =
	"5e00 0000 00000000"
	"5200 6018 61000000 66000000 68c45176 00000000 49c2cb34 00000000"
	"2c00 40 0100 45494c39395f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 573130315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 02"
	"95956e65fd69e7ed b2f96924";

/* ---- helpers -------------------------------------------------------------------------------------- */

static struct bld_rasta_config cfg_default(void)
{
	return *(const struct bld_rasta_config *)bld_dsc_rasta.config_default;
}

/* One datagram, parsed with the settings cfg (NULL: the descriptor's defaults, as the framework does). */
static struct bld_parse_result feed_cfg(struct dsc_run *r, bool to_server, const uint8_t *b, uint32_t len,
					const struct bld_rasta_config *cfg)
{
	uint8_t *copy = bld_test_dup(b, len);
	r->pc = (struct bld_parse_ctx){ .dsc = r->dsc, .state = r->state, .ts_ns = r->ts_ns, .to_server = to_server,
					.datagram = true, .op = &r->op, .sink = &r->sink,
					.config = cfg ? (const void *)cfg : bld_dsc_rasta.config_default };
	r->last = r->dsc->parse(&r->pc, copy, len);
	free(copy);
	return r->last;
}

static struct bld_parse_result feed_hex(struct dsc_run *r, bool to_server, const char *hex,
					const struct bld_rasta_config *cfg)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	struct bld_parse_result res = feed_cfg(r, to_server, b, len, cfg);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, len);
	free(b);
	return res;
}

static struct dsc_run *run_new(void)
{
	return dsc_run_new(&bld_dsc_rasta);
}

/* Whether the i-th op's line holds s. */
static bool op_has(const struct dsc_run *r, unsigned i, const char *s)
{
	bool ok = strstr(dsc_op(r, i), s) != NULL;
	if (!ok)
		fprintf(stderr, "\n    op %u lacks %s:\n    %s\n", i, s, dsc_op(r, i));
	return ok;
}

/* Events other than ev raised so far (to say "this and nothing else"). */
static unsigned events_but(const struct dsc_run *r, enum bld_event ev)
{
	return r->n_events - r->events[ev];
}

/* ---- a builder for sequences ---------------------------------------------------------------------- */

enum { CC_A = 'A', CC_B = 'B', CC_C = 'C', CC_D = 'D', CC_E = 'E' };

struct pdu_spec {
	uint16_t type;
	uint32_t receiver, sender, sn, cs, ts, cts, red_sn;
	const uint8_t *body;
	uint32_t body_len;
	int k;                       /* safety code bytes: 0, 8, 16 */
	char cc;                     /* check code option A..E */
	const uint32_t *iv;          /* NULL: RFC 1320's */
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

/* A RedL PDU into out (at least 1109 bytes); returns its length. */
static uint32_t build(uint8_t *out, const struct pdu_spec *s)
{
	uint32_t width = s->cc == CC_B || s->cc == CC_C ? 4 : s->cc == CC_D || s->cc == CC_E ? 2 : 0;
	uint32_t saf_len = 28 + s->body_len + (uint32_t)s->k, len = 8 + saf_len + width;
	uint8_t *saf = out + 8;
	put16(out, len);
	put16(out + 2, 0);
	put32(out + 4, s->red_sn);
	put16(saf, saf_len);
	put16(saf + 2, s->type);
	put32(saf + 4, s->receiver);
	put32(saf + 8, s->sender);
	put32(saf + 12, s->sn);
	put32(saf + 16, s->cs);
	put32(saf + 20, s->ts);
	put32(saf + 24, s->cts);
	if (s->body_len)
		memcpy(saf + 28, s->body, s->body_len);
	if (s->k) {
		uint8_t d[16];
		bld_md4(saf, saf_len - (uint32_t)s->k, s->iv ? s->iv : bld_md4_rfc_iv, d);
		memcpy(saf + saf_len - s->k, d, (size_t)s->k);
	}
	uint32_t n = len - width;
	if (s->cc == CC_B)
		put32(out + n, bld_crc32_rasta_b(out, n));
	else if (s->cc == CC_C)
		put32(out + n, bld_crc32c(out, n));
	else if (s->cc == CC_D)
		put16(out + n, bld_crc16_kermit(out, n));
	else if (s->cc == CC_E)
		put16(out + n, bld_crc16_arc(out, n));
	return len;
}

/* One end of a connection: its id, next SN, clock, RedL SN and what it last received. */
struct peer {
	uint32_t id, sn, ts, red, rx_sn, rx_ts;
};

struct conn {
	struct dsc_run *r;
	struct peer client, server;  /* the client sends to_server */
	int k;
	char cc;
	const struct bld_rasta_config *cfg;
};

static const uint8_t CONN_BODY[14] = { '0', '3', '0', '3', 20, 0 };

/* Send one PDU from the client (to_server) or the server, as a correct peer would. */
static void send_pdu(struct conn *c, bool to_server, uint16_t type, const uint8_t *body, uint32_t body_len)
{
	struct peer *me = to_server ? &c->client : &c->server, *peer = to_server ? &c->server : &c->client;
	struct pdu_spec s = { .type = type, .receiver = peer->id, .sender = me->id, .sn = me->sn, .cs = me->rx_sn,
			      .ts = me->ts, .cts = me->rx_ts, .red_sn = me->red, .body = body, .body_len = body_len,
			      .k = c->k, .cc = c->cc };
	if (type == 6200)
		s.cs = s.cts = 0;
	uint8_t b[1200];
	uint32_t len = build(b, &s);
	struct bld_parse_result res = feed_cfg(c->r, to_server, b, len, c->cfg);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	peer->rx_sn = me->sn;
	peer->rx_ts = me->ts;
	me->sn++;
	me->red++;
	me->ts += 50;
	c->r->ts_ns += 50 * MS;
}

static void send_type(struct conn *c, bool to_server, uint16_t type)
{
	if (type == 6200 || type == 6201)
		send_pdu(c, to_server, type, CONN_BODY, sizeof(CONN_BODY));
	else if (type == 6216)
		send_pdu(c, to_server, type, (const uint8_t *)"\0\0\0\0", 4);
	else
		send_pdu(c, to_server, type, NULL, 0);
}

static struct conn conn_new(void)
{
	struct conn c = { .r = run_new(), .k = 8, .cc = CC_B };
	c.client = (struct peer){ .id = 0x60, .sn = 1000, .ts = 50000, .red = 0 };
	c.server = (struct peer){ .id = 0x61, .sn = 7000, .ts = 90000, .red = 0 };
	c.r->ts_ns = 1000 * MS;
	return c;
}

/* ConnReq, ConnResp, HB from the client: an open connection, no events. */
static struct conn conn_open(void)
{
	struct conn c = conn_new();
	send_type(&c, C2S, 6200);
	send_type(&c, S2C, 6201);
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(c.r->n_events, 0);
	return c;
}

/* A Data PDU carrying one application message m. */
static void send_data(struct conn *c, bool to_server, const uint8_t *m, uint32_t mlen)
{
	uint8_t body[1100];
	put16(body, mlen);
	memcpy(body + 2, m, mlen);
	send_pdu(c, to_server, 6240, body, mlen + 2);
}

/* An SCI telegram: protocol, type (little-endian unless big), ids padded with '_', payload. */
static uint32_t sci(uint8_t *out, uint8_t proto, uint16_t type, bool big, const char *sender, const char *receiver,
		    const char *payload_hex)
{
	out[0] = proto;
	out[1] = (uint8_t)(big ? type >> 8 : type);
	out[2] = (uint8_t)(big ? type : type >> 8);
	memset(out + 3, '_', 40);
	memcpy(out + 3, sender, strlen(sender));
	memcpy(out + 23, receiver, strlen(receiver));
	uint32_t n;
	uint8_t *p = bld_test_hex(payload_hex, &n);
	memcpy(out + 43, p, n);
	free(p);
	return 43 + n;
}

/* ---- descriptor and probe ------------------------------------------------------------------------- */

static void test_registered(void)
{
	CU_ASSERT_PTR_EQUAL(bld_dissectors[BLD_PROTO_RASTA], &bld_dsc_rasta);
	CU_ASSERT_STRING_EQUAL(bld_dsc_rasta.name, "rasta");
	CU_ASSERT_PTR_NOT_NULL(bld_dsc_rasta.parse);
	CU_ASSERT_EQUAL(bld_dsc_rasta.config_size, sizeof(struct bld_rasta_config));
	CU_ASSERT_EQUAL(bld_dsc_rasta.n_settings, 9);
	struct bld_rasta_config d = cfg_default();
	CU_ASSERT_EQUAL(d.check_code, BLD_RASTA_CC_AUTO);
	CU_ASSERT_EQUAL(d.md4_a, 0x67452301u);
	CU_ASSERT_EQUAL(d.md4_d, 0x10325476u);
	CU_ASSERT_EQUAL(d.t_max_ns, 1800 * MS);
	CU_ASSERT_EQUAL(d.n_sendmax_max, 20);
}

static enum bld_probe probe_hex(const char *hex)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	enum bld_probe p = bld_dsc_rasta.probe(b, len, true);
	free(b);
	return p;
}

static void test_probe(void)
{
	const char *good[] = { V19, STD[0], STD[1], STD[2], STD[5], CONN_REQ, CONN_RESP, HB1, DATA_VERSION,
			       DATA_RESULT, DATA_MOVE, DATA_TVPS, DATA_ASPECT, ROGUE_MOVE };
	for (size_t i = 0; i < BLD_TEST_COUNT(good); i++)
		CU_ASSERT_EQUAL(probe_hex(good[i]), BLD_PROBE_MATCH);
	/* Reserve not 0; RedL length not the datagram's; unknown type; a heartbeat 1 byte long of a code. */
	CU_ASSERT_EQUAL(probe_hex("3000 0100 07000000 2400 4c18 60000000 61000000 01000000 00000000 e8030000 "
				  "00000000 a2a36df716b9a308 8ef06e3b"), BLD_PROBE_NO);
	CU_ASSERT_EQUAL(probe_hex("3100 0000 07000000 2400 4c18 60000000 61000000 01000000 00000000 e8030000 "
				  "00000000 a2a36df716b9a308 8ef06e3b"), BLD_PROBE_NO);
	CU_ASSERT_EQUAL(probe_hex("3000 0000 07000000 2400 4d18 60000000 61000000 01000000 00000000 e8030000 "
				  "00000000 a2a36df716b9a308 8ef06e3b"), BLD_PROBE_NO);
	CU_ASSERT_EQUAL(probe_hex("2d00 0000 01000000 2500" STD_HEAD "83f0d052406bf492 00"), BLD_PROBE_NO);
	/* A check code of 3 bytes; a ConnReq whose version is not digits; Data whose list overruns. */
	CU_ASSERT_EQUAL(probe_hex("2f00 0000 01000000 2400" STD_HEAD "83f0d052406bf492 000000"), BLD_PROBE_NO);
	CU_ASSERT_EQUAL(probe_hex("3e00 0000 00000000 3200 3818 61000000 60000000 de1e271a 00000000 c1c74e6b "
				  "00000000 3033 4130 1400 0000000000000000 785174e2235042f0 c2e919d2"), BLD_PROBE_NO);
	CU_ASSERT_EQUAL(probe_hex("5e00 0000 02000000 5200 6018 61000000 60000000 e01e271a 8e02ac1e f3c74e6b "
				  "f7c21112 2d00 40 2400 45494c30315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f "
				  "573130315f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f 01 c37fab234ee9cfac ad2f5d6d"), BLD_PROBE_NO);
	/* Too short for any PDU, and every prefix of a good one. */
	uint32_t len;
	uint8_t *b = bld_test_hex(V19, &len);
	for (uint32_t k = 0; k < len; k++)
		CU_ASSERT_EQUAL(bld_dsc_rasta.probe(b, k, true), BLD_PROBE_NO);
	free(b);
}

/* ---- integrity: check code and safety code -------------------------------------------------------- */

static void test_vector_1_9(void)
{
	struct dsc_run *r = run_new();
	feed_hex(r, C2S, V19, NULL);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request type=6220 type_name=\"heartbeat\" sender=97 receiver=96 sn=1 cs=0 ts=1000 cts=0 "
			       "red_sn=7 length=48 check_code=\"B\" check_code_valid=true safety_code=\"lower_md4\" "
			       "safety_code_valid=true");
	/* Alone on its flow: the capture joined a running connection; nothing else. */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_MID_CONNECTION), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);

	/* Configured as the site has it: the same verdicts. */
	struct bld_rasta_config cfg = cfg_default();
	cfg.check_code = BLD_RASTA_CC_B;
	cfg.safety_code = BLD_RASTA_SC_LOWER_MD4;
	r = run_new();
	feed_hex(r, C2S, V19, &cfg);
	CU_ASSERT(op_has(r, 0, "check_code=\"B\" check_code_valid=true safety_code=\"lower_md4\" safety_code_valid=true"));
	CU_ASSERT_EQUAL(events_but(r, BLD_EVENT_RASTA_MID_CONNECTION), 0);
	/* Configured wrong: option C, full MD4. */
	cfg.check_code = BLD_RASTA_CC_C;
	feed_hex(r, C2S, V19, &cfg);
	CU_ASSERT(op_has(r, 1, "check_code=\"C\" check_code_valid=false"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_BAD_CHECK_CODE), 1);
	cfg.check_code = BLD_RASTA_CC_NONE;
	feed_hex(r, C2S, V19, &cfg);
	CU_ASSERT(op_has(r, 2, "check_code=\"A\" "));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_BAD_CHECK_CODE), 2);   /* 4 bytes where A has none */
	cfg.check_code = BLD_RASTA_CC_B;
	cfg.safety_code = BLD_RASTA_SC_FULL_MD4;
	feed_hex(r, C2S, V19, &cfg);
	CU_ASSERT(op_has(r, 3, "safety_code=\"full_md4\" safety_code_valid=false"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_BAD_TYPE_LENGTH), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_BAD_SAFETY_CODE), 0);   /* no room for 16 bytes: no code to check */
	dsc_run_free(r);
}

/* The standard's six heartbeats (dumps/README.md): each verdict, with the default and the modified IV. */
static void test_standard_heartbeats(void)
{
	static const char *const code[6] = { "safety_code=\"none\"", "safety_code=\"lower_md4\"",
					      "safety_code=\"full_md4\"", "safety_code=\"none\"",
					      "safety_code=\"lower_md4\"", "safety_code=\"full_md4\"" };
	struct bld_rasta_config modified = cfg_default();
	modified.md4_a = 0xafb16782u;
	modified.md4_b = 0x304c59deu;
	for (int iv = 0; iv < 2; iv++)
		for (int i = 0; i < 6; i++) {
			struct dsc_run *r = run_new();   /* each frame is its own flow (its own source port) */
			feed_hex(r, C2S, STD[i], iv ? &modified : NULL);
			CU_ASSERT(op_has(r, 0, code[i]));
			CU_ASSERT(op_has(r, 0, "type_name=\"heartbeat\" sender=2345678 receiver=9876543 sn=573785174 "
					       "cs=860116326 ts=343 cts=203 red_sn=1"));
			CU_ASSERT(op_has(r, 0, "check_code=\"A\""));
			bool valid = i % 3 == 0 || (i < 3) == (iv == 0);
			if (i % 3)
				CU_ASSERT(op_has(r, 0, valid ? "safety_code_valid=true" : "safety_code_valid=false"));
			CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_BAD_SAFETY_CODE), valid ? 0 : 1);
			dsc_run_free(r);
		}
}

/* Check code options B..E detected per flow and settled; then a corrupted code is an event. */
static void test_check_code_auto(void)
{
	static const char opts[4] = { CC_B, CC_C, CC_D, CC_E };
	static const char *const letter[4] = { "check_code=\"B\" check_code_valid=true",
					       "check_code=\"C\" check_code_valid=true",
					       "check_code=\"D\" check_code_valid=true",
					       "check_code=\"E\" check_code_valid=true" };
	for (int i = 0; i < 4; i++) {
		struct conn c = conn_new();
		c.cc = opts[i];
		send_type(&c, C2S, 6200);
		send_type(&c, S2C, 6201);
		CU_ASSERT(op_has(c.r, 0, letter[i]));
		CU_ASSERT(op_has(c.r, 1, letter[i]));
		CU_ASSERT_EQUAL(c.r->n_events, 0);
		/* Another option (same width or not) on the settled flow: an event, not a new option. */
		c.cc = opts[(i + 1) % 4];
		send_type(&c, C2S, 6220);
		CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_BAD_CHECK_CODE), 1);
		c.cc = CC_A;
		send_type(&c, C2S, 6220);
		CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_BAD_CHECK_CODE), 2);
		CU_ASSERT(op_has(c.r, 3, "check_code_valid=false"));
		dsc_run_free(c.r);
	}
	/* No option fits: an event and no check_code letter. */
	struct dsc_run *r = run_new();
	feed_hex(r, C2S, "3000 0000 07000000 2400 4c18 60000000 61000000 01000000 00000000 e8030000 00000000 "
			 "a2a36df716b9a308 8ef06e3c", NULL);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_BAD_CHECK_CODE), 1);
	CU_ASSERT(strstr(dsc_op(r, 0), "check_code=") == NULL);
	CU_ASSERT(op_has(r, 0, "check_code_valid=false"));
	dsc_run_free(r);
}

/* Safety codes: none, lower, full on a flow; one that changes length; settings that disagree. */
static void test_safety_code(void)
{
	for (int k = 0; k <= 16; k += 8) {
		struct conn c = conn_new();
		c.k = k;
		send_type(&c, C2S, 6200);
		send_type(&c, S2C, 6201);
		send_type(&c, C2S, 6220);
		uint8_t m[60];
		send_data(&c, S2C, m, sci(m, 0x40, 0x000b, false, "W101", "EIL01", "0103"));
		const char *want = k == 0 ? "safety_code=\"none\"" : k == 8 ? "safety_code=\"lower_md4\" safety_code_valid=true"
								    : "safety_code=\"full_md4\" safety_code_valid=true";
		for (unsigned i = 0; i < 4; i++)
			CU_ASSERT(op_has(c.r, i, want));
		CU_ASSERT_EQUAL(c.r->n_events, 0);
		/* The flow's length settled: a PDU with another safety code length is a length error. */
		c.k = k == 16 ? 8 : 16;
		send_type(&c, C2S, 6220);
		CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_BAD_TYPE_LENGTH), 1);
		dsc_run_free(c.r);
	}
	/* A wrong IV in the settings: every code fails, the lengths still hold. */
	struct bld_rasta_config cfg = cfg_default();
	cfg.md4_c = 0;
	struct conn c = conn_new();
	c.cfg = &cfg;
	send_type(&c, C2S, 6200);
	send_type(&c, S2C, 6201);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_BAD_SAFETY_CODE), 2);
	CU_ASSERT_EQUAL(events_but(c.r, BLD_EVENT_RASTA_BAD_SAFETY_CODE), 0);
	dsc_run_free(c.r);
	/* safety_code: none where the PDUs carry 8 bytes: each a length error. */
	cfg = cfg_default();
	cfg.safety_code = BLD_RASTA_SC_NONE;
	c = conn_new();
	c.cfg = &cfg;
	send_type(&c, C2S, 6200);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_BAD_TYPE_LENGTH), 1);
	CU_ASSERT(op_has(c.r, 0, "safety_code=\"none\""));
	dsc_run_free(c.r);
}

/* Flip each bit of the §1.9 vector: every change is caught, nothing is read out of bounds. */
static void test_corruption(void)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(V19, &len);
	struct bld_rasta_config cfg = cfg_default();
	cfg.check_code = BLD_RASTA_CC_B;
	cfg.safety_code = BLD_RASTA_SC_LOWER_MD4;
	for (uint32_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			struct dsc_run *r = run_new();
			b[i] ^= (uint8_t)(1u << bit);
			struct bld_parse_result res = feed_cfg(r, C2S, b, len, &cfg);
			b[i] ^= (uint8_t)(1u << bit);
			/* Anything but the mid-connection note: the check code sees every single-bit error. */
			if (events_but(r, BLD_EVENT_RASTA_MID_CONNECTION) == 0)
				fprintf(stderr, "\n    byte %u bit %d: no event\n", i, bit);
			CU_ASSERT(events_but(r, BLD_EVENT_RASTA_MID_CONNECTION) > 0);
			CU_ASSERT(res.status != BLD_PARSE_OK || (res.consumed > 0 && res.consumed <= len));
			dsc_run_free(r);
		}
	free(b);
}

/* Every prefix of a PDU: on a stream INCOMPLETE and silent; on a datagram truncated. */
static void test_truncation(void)
{
	dsc_truncation_sweep(&bld_dsc_rasta, C2S, V19);
	dsc_truncation_sweep(&bld_dsc_rasta, C2S, DATA_ASPECT);
	dsc_truncation_sweep(&bld_dsc_rasta, S2C, CONN_RESP);
	uint32_t len;
	uint8_t *b = bld_test_hex(DATA_TVPS, &len);
	for (uint32_t k = 0; k < len; k++) {
		struct dsc_run *r = run_new();
		struct bld_parse_result res = feed_cfg(r, S2C, b, k, NULL);
		CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_TRUNCATED), 1);
		CU_ASSERT_EQUAL(r->n_ops, 0);
		dsc_run_free(r);
	}
	free(b);
}

/* RedL framing: impossible lengths, a datagram longer than its PDU, a SafRetL length that leaves 3 bytes. */
static void test_framing(void)
{
	struct dsc_run *r = run_new();
	uint32_t len;
	uint8_t *b = bld_test_hex("2300 0000 07000000 1b00 4c18 60000000 61000000 01000000 00000000 e8030000 000000", &len);
	struct bld_parse_result res = feed_cfg(r, C2S, b, len, NULL);   /* RedL length 35 */
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(res.consumed, len);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_BAD_LENGTH), 1);
	free(b);
	/* 1110: longer than any RedL PDU. */
	uint8_t big[1200] = { 0x56, 0x04 };
	res = feed_cfg(r, C2S, big, sizeof(big), NULL);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_BAD_LENGTH), 2);
	/* Two stray bytes after the PDU in the datagram: parsed, and the length event. */
	b = bld_test_hex(V19, &len);
	uint8_t more[60];
	memcpy(more, b, len);
	more[len] = more[len + 1] = 0xee;
	res = feed_cfg(r, C2S, more, len + 2, NULL);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, len + 2);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_BAD_LENGTH), 3);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	/* SafRetL length 35: a 5-byte remainder where the check code must be 0, 2 or 4. */
	more[8] = 0x23;
	feed_cfg(r, C2S, more, len, NULL);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_BAD_LENGTH), 4);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	/* A stream of two PDUs back to back: each OK with its own length. */
	dsc_run_free(r);
	r = run_new();
	uint8_t two[96];
	memcpy(two, b, len);
	memcpy(two + len, b, len);
	CU_ASSERT_EQUAL(dsc_feed(r, C2S, two, 2 * len), 2 * len);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	free(b);
	dsc_run_free(r);
}

/* ---- the scenario's PDUs -------------------------------------------------------------------------- */

static void test_scenario_connection(void)
{
	struct dsc_run *r = run_new();
	feed_hex(r, C2S, CONN_REQ, NULL);
	r->ts_ns += 4 * MS;
	feed_hex(r, S2C, CONN_RESP, NULL);
	r->ts_ns += 1 * MS;
	feed_hex(r, C2S, HB1, NULL);
	r->ts_ns += 50 * MS;
	feed_hex(r, C2S, DATA_VERSION, NULL);
	r->ts_ns += 30 * MS;
	feed_hex(r, S2C, DATA_RESULT, NULL);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request type=6200 type_name=\"conn_req\" sender=96 receiver=97 sn=438771422 cs=0 "
			       "ts=1800325057 cts=0 red_sn=0 length=62 check_code=\"B\" check_code_valid=true "
			       "safety_code=\"lower_md4\" safety_code_valid=true version=\"0303\" n_sendmax=20");
	CU_ASSERT(op_has(r, 1, "response type=6201 type_name=\"conn_resp\" sender=97 receiver=96 sn=514589326 "
			       "cs=438771422 ts=303153911 cts=1800325057"));
	CU_ASSERT(op_has(r, 2, "request type=6220 type_name=\"heartbeat\""));
	CU_ASSERT(op_has(r, 3, "request type=6240 type_name=\"data\""));
	CU_ASSERT(op_has(r, 3, "messages=1 sci=[{protocol=64 protocol_name=\"sci_p\" message_type=36 "
			       "message_name=\"pdi_version_check\" byte_order=\"little\" sender=\"EIL01\" "
			       "receiver=\"W101\" length=44 pdi_version=1}]"));
	/* Data from the responder answers. */
	CU_ASSERT(op_has(r, 4, "response type=6240"));
	CU_ASSERT(op_has(r, 4, "message_name=\"pdi_version_result\" byte_order=\"little\" sender=\"W101\" "
			       "receiver=\"EIL01\" length=46 result=2 pdi_version=1}]"));
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_scenario_sci(void)
{
	struct dsc_run *r = run_new();
	feed_hex(r, C2S, DATA_MOVE, NULL);
	CU_ASSERT(op_has(r, 0, "message_name=\"move_point\" byte_order=\"little\" sender=\"EIL01\" receiver=\"W101\" "
			       "length=44 position=2 position_name=\"left\"}]"));
	feed_hex(r, S2C, DATA_POSITION, NULL);
	CU_ASSERT(op_has(r, 1, "message_name=\"point_position\" byte_order=\"little\" sender=\"W101\" "
			       "receiver=\"EIL01\" length=45 position=1 position_name=\"right\" degraded_position=3}]"));
	CU_ASSERT_EQUAL(events_but(r, BLD_EVENT_RASTA_MID_CONNECTION), 0);
	dsc_run_free(r);

	r = run_new();
	feed_hex(r, S2C, DATA_TVPS, NULL);
	CU_ASSERT(op_has(r, 0, "protocol=32 protocol_name=\"sci_tds\" message_type=7 "
			       "message_name=\"tvps_occupancy_status\" byte_order=\"little\" sender=\"G101\" "
			       "receiver=\"EIL01\" length=50 occupancy=1 occupancy_name=\"vacant\" "
			       "forced_clear_ability=2 filling_level=0 pom_status=1 disturbance=255 change_trigger=5}]"));
	CU_ASSERT_EQUAL(events_but(r, BLD_EVENT_RASTA_MID_CONNECTION), 0);
	dsc_run_free(r);

	r = run_new();   /* the signal's connection: another flow */
	feed_hex(r, C2S, DATA_ASPECT, NULL);
	CU_ASSERT(op_has(r, 0, "protocol=48 protocol_name=\"sci_ls\" message_type=1 "
			       "message_name=\"indicate_signal_aspect\" byte_order=\"little\" sender=\"EIL01\" "
			       "receiver=\"N12\" length=52 basic_aspect=4 aspect_extension=255 speed_indicator=255 "
			       "speed_announcement=255 direction_indicator=255 direction_announcement=255 downgrade=255 "
			       "route_information=255 intentionally_dark=1}]"));
	CU_ASSERT_EQUAL(events_but(r, BLD_EVENT_RASTA_MID_CONNECTION), 0);
	dsc_run_free(r);
}

/* The attacks the dissector can see on its own (the policy sees the rest: hosts, ids, names). */
static void test_scenario_attacks(void)
{
	/* A Move Point on a new flow from a rogue host: decoded for the policy, and no ConnReq before it. */
	struct dsc_run *r = run_new();
	feed_hex(r, C2S, ROGUE_MOVE, NULL);
	CU_ASSERT(op_has(r, 0, "request type=6240 type_name=\"data\" sender=102 receiver=97"));
	CU_ASSERT(op_has(r, 0, "sender=\"EIL99\" receiver=\"W101\" length=44 position=2"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_MID_CONNECTION), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);

	/* rasta-sn-jump: a forged HB 1000 ahead, then the genuine stream goes on. */
	struct conn c = conn_open();
	c.client.sn += 1000;
	c.client.red += 1000;
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SEQUENCE_ERROR), 1);
	c.client.sn -= 1001;
	c.client.red -= 1001;
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SEQUENCE_ERROR), 2);
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(c.r->n_events, 2);   /* back in step: one event per anomaly, none for the RedL SN */
	dsc_run_free(c.r);

	/* sci-move-point-wrong-sender: after EIL01's traffic, a Move Point signed EIL02 with the next SN;
	 * then the genuine PDU reuses that SN. */
	c = conn_open();
	uint8_t m[60];
	send_data(&c, C2S, m, sci(m, 0x40, 0x0024, false, "EIL01", "W101", "01"));
	send_data(&c, S2C, m, sci(m, 0x40, 0x0025, false, "W101", "EIL01", "020100"));
	CU_ASSERT_EQUAL(c.r->n_events, 0);
	send_data(&c, C2S, m, sci(m, 0x40, 0x0001, false, "EIL02", "W101", "02"));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SCI_ID_MISMATCH), 1);
	CU_ASSERT(op_has(c.r, 5, "sender=\"EIL02\""));
	c.client.sn--;
	c.client.red--;
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SN_REUSED), 1);
	CU_ASSERT_EQUAL(c.r->n_events, 2);
	dsc_run_free(c.r);

	/* rasta-forged-safety-code: a force clear with MD4 over a wrong IV: rejected, teaches nothing. */
	c = conn_open();
	struct pdu_spec s = { .type = 6240, .receiver = 0x61, .sender = 0x60, .sn = c.client.sn, .cs = c.client.rx_sn,
			      .ts = c.client.ts, .cts = c.client.rx_ts, .red_sn = c.client.red, .k = 8, .cc = CC_B,
			      .iv = (const uint32_t[4]){ 0, 0, 0, 0 } };
	uint8_t body[64];
	put16(body, sci(body + 2, 0x20, 0x0001, false, "EIL01", "G101", "01"));
	s.body = body;
	s.body_len = 2u + 44;
	uint8_t b[200];
	uint32_t len = build(b, &s);
	feed_cfg(c.r, C2S, b, len, NULL);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_BAD_SAFETY_CODE), 1);
	CU_ASSERT(op_has(c.r, 3, "safety_code_valid=false"));
	CU_ASSERT(op_has(c.r, 3, "message_name=\"force_clear\""));
	CU_ASSERT(op_has(c.r, 3, "mode=1 mode_name=\"fc_u\""));
	send_type(&c, C2S, 6220);   /* the genuine PDU with that SN: no sequence event */
	CU_ASSERT_EQUAL(c.r->n_events, 1);
	dsc_run_free(c.r);
}

/* ---- state machine -------------------------------------------------------------------------------- */

static void test_connection_lifecycle(void)
{
	struct conn c = conn_open();
	uint8_t m[60];
	send_type(&c, S2C, 6220);
	send_data(&c, C2S, m, sci(m, 0x40, 0x0001, false, "EIL01", "W101", "01"));
	send_data(&c, S2C, m, sci(m, 0x40, 0x000b, false, "W101", "EIL01", "01ff"));
	send_type(&c, C2S, 6216);
	CU_ASSERT_EQUAL(c.r->n_events, 0);
	CU_ASSERT(op_has(c.r, 1, "response type=6201"));
	CU_ASSERT(op_has(c.r, 3, "response type=6220"));   /* the responder's heartbeat */
	CU_ASSERT(op_has(c.r, 6, "request type=6216 type_name=\"disc_req\""));
	CU_ASSERT(op_has(c.r, 6, "detail=0 reason=0 reason_name=\"user_request\""));
	/* After DiscReq: anything but a ConnReq is out of place; a new ConnReq starts over. */
	send_type(&c, S2C, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_UNEXPECTED_TYPE), 1);
	c.client.sn = 5;
	c.server.sn = 77;
	c.client.red = c.server.red = 0;
	send_type(&c, C2S, 6200);
	send_type(&c, S2C, 6201);
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(c.r->n_events, 1);
	dsc_run_free(c.r);
}

static void test_unexpected_types(void)
{
	/* Data and HB before ConnResp; a ConnResp from the side that sent the ConnReq. */
	struct conn c = conn_new();
	uint8_t m[60];
	send_type(&c, C2S, 6200);
	send_data(&c, C2S, m, sci(m, 0x40, 0x0024, false, "EIL01", "W101", "01"));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_UNEXPECTED_TYPE), 1);
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_UNEXPECTED_TYPE), 2);
	send_type(&c, C2S, 6201);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_UNEXPECTED_TYPE), 3);
	CU_ASSERT_EQUAL(c.r->n_events, 3);
	dsc_run_free(c.r);

	c = conn_open();
	send_type(&c, S2C, 6201);   /* a second ConnResp on an open connection */
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_UNEXPECTED_TYPE), 1);
	dsc_run_free(c.r);

	/* A flow that starts with a ConnResp: joined between the two. */
	c = conn_new();
	send_type(&c, S2C, 6201);
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_MID_CONNECTION), 1);
	CU_ASSERT_EQUAL(c.r->n_events, 1);
	CU_ASSERT(op_has(c.r, 1, "request type=6220"));   /* the ConnResp says who the initiator is */
	dsc_run_free(c.r);
}

static void test_retransmission(void)
{
	/* RetrReq from the server, RetrResp and RetrData from the client, then data again. */
	struct conn c = conn_open();
	uint8_t m[60];
	uint32_t n = sci(m, 0x40, 0x0001, false, "EIL01", "W101", "02");
	uint8_t body[70];
	put16(body, n);
	memcpy(body + 2, m, n);
	send_type(&c, S2C, 6212);
	send_type(&c, C2S, 6213);
	send_pdu(&c, C2S, 6241, body, n + 2);
	send_pdu(&c, C2S, 6241, body, n + 2);
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(c.r->n_events, 0);
	CU_ASSERT(op_has(c.r, 3, "request type=6212 type_name=\"retr_req\""));
	CU_ASSERT(op_has(c.r, 4, "response type=6213 type_name=\"retr_resp\""));
	CU_ASSERT(op_has(c.r, 5, "request type=6241 type_name=\"retr_data\""));
	CU_ASSERT(op_has(c.r, 5, "message_name=\"move_point\""));
	/* RetrData now, outside a retransmission; a RetrResp nobody asked for. */
	send_pdu(&c, C2S, 6241, body, n + 2);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_UNEXPECTED_TYPE), 1);
	send_type(&c, S2C, 6213);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_UNEXPECTED_TYPE), 2);
	CU_ASSERT_EQUAL(c.r->n_events, 2);
	dsc_run_free(c.r);
}

static void test_sequence_numbers(void)
{
	/* A lost PDU (gap), then in step again. */
	struct conn c = conn_open();
	c.client.sn++;
	c.client.red++;
	send_type(&c, C2S, 6220);
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SEQUENCE_ERROR), 1);
	CU_ASSERT_EQUAL(c.r->n_events, 1);
	/* A RedL SN that skips while the SafRetL SN is right. */
	c.client.red += 3;
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_RED_SEQUENCE_ERROR), 1);
	/* A byte copy of the previous PDU on the same flow. */
	struct pdu_spec s = { .type = 6220, .receiver = 0x61, .sender = 0x60, .sn = c.client.sn - 1,
			      .cs = c.client.rx_sn, .ts = c.client.ts - 50, .cts = c.client.rx_ts,
			      .red_sn = c.client.red - 1, .k = 8, .cc = CC_B };
	uint8_t b[100];
	uint32_t len = build(b, &s);
	feed_cfg(c.r, C2S, b, len, NULL);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_DUPLICATE), 1);
	CU_ASSERT(op_has(c.r, 6, "duplicate=true"));
	/* ... the same copy on the other transport channel is another flow: nothing there. */
	struct dsc_run *other = run_new();
	feed_cfg(other, C2S, b, len, NULL);
	CU_ASSERT_EQUAL(events_but(other, BLD_EVENT_RASTA_MID_CONNECTION), 0);
	dsc_run_free(other);
	CU_ASSERT_EQUAL(c.r->n_events, 3);
	dsc_run_free(c.r);
}

static void test_confirmations(void)
{
	/* ConnResp whose CS is not the ConnReq's SN. */
	struct conn c = conn_new();
	send_type(&c, C2S, 6200);
	c.server.rx_sn++;
	send_type(&c, S2C, 6201);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_CONFIRM_ERROR), 1);
	dsc_run_free(c.r);

	/* A ConnReq with a CTS; a confirmation of an SN the peer never sent; a CTS going back. */
	c = conn_new();
	struct pdu_spec s = { .type = 6200, .receiver = 0x61, .sender = 0x60, .sn = 1, .cts = 5, .body = CONN_BODY,
			      .body_len = sizeof(CONN_BODY), .k = 8, .cc = CC_B };
	uint8_t b[100];
	uint32_t len = build(b, &s);
	feed_cfg(c.r, C2S, b, len, NULL);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_CONFIRM_ERROR), 1);
	dsc_run_free(c.r);

	c = conn_open();
	c.server.rx_sn += 10;
	send_type(&c, S2C, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_CONFIRM_ERROR), 1);
	c.server.rx_ts -= 100;
	send_type(&c, S2C, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_CONFIRM_ERROR), 2);
	/* A timestamp going back. */
	c.client.ts -= 1000;
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_TIMESTAMP_ERROR), 1);
	dsc_run_free(c.r);
}

static void test_ids(void)
{
	struct conn c = conn_open();
	c.client.id = 0x70;   /* the client now signs with another id */
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_ID_MISMATCH), 1);
	dsc_run_free(c.r);
	/* The responder's first PDU names a receiver other than the initiator. */
	c = conn_new();
	send_type(&c, C2S, 6200);
	c.client.id = 0x71;
	send_type(&c, S2C, 6201);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_ID_MISMATCH), 1);
	dsc_run_free(c.r);
}

static void test_heartbeat_timeout(void)
{
	struct conn c = conn_open();
	c.r->ts_ns += 1750 * MS;                 /* 1800 ms after the previous heartbeat: on the edge */
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(c.r->n_events, 0);
	c.r->ts_ns += 1751 * MS;                 /* 1801 ms */
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_HEARTBEAT_TIMEOUT), 1);
	/* The server's first heartbeat comes long after the ConnResp: its gap counts from it. */
	send_type(&c, S2C, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_HEARTBEAT_TIMEOUT), 2);
	dsc_run_free(c.r);
	/* A site's own t_max. */
	struct bld_rasta_config cfg = cfg_default();
	cfg.t_max_ns = 300 * MS;
	c = conn_new();
	c.cfg = &cfg;
	send_type(&c, C2S, 6200);
	send_type(&c, S2C, 6201);
	send_type(&c, C2S, 6220);
	c.r->ts_ns += 300 * MS;
	send_type(&c, C2S, 6220);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_HEARTBEAT_TIMEOUT), 1);
	dsc_run_free(c.r);
}

/* ConnReq/ConnResp data, DiscReq reasons, unknown and non-standard types, reserve fields. */
static void test_field_checks(void)
{
	struct conn c = conn_new();
	uint8_t body[14] = { '0', '3', 'x', '3', 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	send_pdu(&c, C2S, 6200, body, sizeof(body));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_BAD_VERSION), 1);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_BAD_N_SENDMAX), 1);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_RESERVED_NOT_ZERO), 1);
	uint8_t body2[14] = { '0', '3', '0', '3', 21, 0 };
	send_pdu(&c, S2C, 6201, body2, sizeof(body2));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_BAD_N_SENDMAX), 2);
	CU_ASSERT(op_has(c.r, 1, "version=\"0303\" n_sendmax=21"));
	send_type(&c, C2S, 6220);
	/* Timeout (4): a disconnection on error; 9: no such reason. */
	send_pdu(&c, S2C, 6216, (const uint8_t *)"\x07\x00\x04\x00", 4);
	CU_ASSERT(op_has(c.r, 3, "detail=7 reason=4 reason_name=\"timeout\""));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_DISCONNECT_ERROR), 1);
	send_pdu(&c, S2C, 6216, (const uint8_t *)"\x00\x00\x09\x00", 4);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_BAD_DISC_REASON), 1);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_DISCONNECT_ERROR), 2);
	CU_ASSERT(strstr(dsc_op(c.r, 4), "reason_name") == NULL);
	dsc_run_free(c.r);

	/* librasta's key exchange types, and a type no one defines. */
	c = conn_open();
	send_pdu(&c, C2S, 6250, (const uint8_t *)"\1\2\3\4", 4);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_NONSTANDARD_TYPE), 1);
	CU_ASSERT(op_has(c.r, 3, "type=6250 type_name=\"kex_request\""));
	send_type(&c, C2S, 6300);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_UNKNOWN_TYPE), 1);
	CU_ASSERT(op_has(c.r, 4, "request type=6300 sender=96"));
	/* Neither taught the state: the next SN the client really sends is... the one after them. */
	dsc_run_free(c.r);

	/* A RedL reserve that is not 0 (the probe would not take such a flow; a running one may). */
	struct dsc_run *r = run_new();
	uint32_t len;
	uint8_t *b = bld_test_hex(V19, &len);
	b[2] = 1;
	feed_cfg(r, C2S, b, len, NULL);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_RASTA_RESERVED_NOT_ZERO), 1);
	free(b);
	dsc_run_free(r);
}

/* ---- SCI ------------------------------------------------------------------------------------------- */

static void test_sci_byte_order(void)
{
	/* Big-endian codes (as a real interlocking sends them): detected, and reported. */
	struct conn c = conn_open();
	uint8_t m[80];
	send_data(&c, C2S, m, sci(m, 0x30, 0x0001, true, "EIL01", "N12", "01ffffffffffffff01"));
	send_data(&c, S2C, m, sci(m, 0x30, 0x0003, true, "N12", "EIL01", "01ffffffffffffff01 000000000000000000"));
	CU_ASSERT(op_has(c.r, 3, "message_type=1 message_name=\"indicate_signal_aspect\" byte_order=\"big\""));
	CU_ASSERT(op_has(c.r, 4, "message_type=3 message_name=\"indicated_signal_aspect\" byte_order=\"big\""));
	CU_ASSERT(op_has(c.r, 4, "length=61"));
	CU_ASSERT(op_has(c.r, 4, "intentionally_dark=1 national=000000000000000000"));
	/* The order is the flow's now: 00 21 read big-endian is initialisation_request (0x0021). */
	send_data(&c, C2S, m, sci(m, 0x30, 0x0021, true, "EIL01", "N12", ""));
	CU_ASSERT(op_has(c.r, 5, "message_type=33 message_name=\"initialisation_request\" byte_order=\"big\""));
	CU_ASSERT_EQUAL(c.r->n_events, 0);
	dsc_run_free(c.r);

	/* The setting overrides: little-endian forced on big-endian codes gives unknown types. */
	struct bld_rasta_config cfg = cfg_default();
	cfg.sci_byte_order = BLD_RASTA_BO_LITTLE;
	c = conn_new();
	c.cfg = &cfg;
	send_type(&c, C2S, 6200);
	send_type(&c, S2C, 6201);
	send_data(&c, C2S, m, sci(m, 0x40, 0x0001, true, "EIL01", "W101", "01"));
	CU_ASSERT(op_has(c.r, 2, "message_type=256 byte_order=\"little\""));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SCI_UNKNOWN_MESSAGE), 1);
	dsc_run_free(c.r);
}

static void test_sci_checks(void)
{
	struct conn c = conn_open();
	uint8_t m[120];
	/* A Move Point to position 3 (no such command), and a point position of 5. */
	send_data(&c, C2S, m, sci(m, 0x40, 0x0001, false, "EIL01", "W101", "03"));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SCI_BAD_VALUE), 1);
	CU_ASSERT(op_has(c.r, 3, "position=3 position_name=\"no_end_position\""));
	send_data(&c, S2C, m, sci(m, 0x40, 0x000b, false, "W101", "EIL01", "05ff"));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SCI_BAD_VALUE), 2);
	/* A Move Point one byte too long: the length event, the payload as hex. */
	send_data(&c, C2S, m, sci(m, 0x40, 0x0001, false, "EIL01", "W101", "0100"));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SCI_BAD_LENGTH), 1);
	CU_ASSERT(op_has(c.r, 5, "length=45 payload=0100}]"));
	/* A message type SCI-P does not define; SCI-ILS's table is unknown to Bollard: no event there. */
	send_data(&c, C2S, m, sci(m, 0x40, 0x0042, false, "EIL01", "W101", ""));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SCI_UNKNOWN_MESSAGE), 1);
	send_data(&c, C2S, m, sci(m, 0x01, 0x0005, false, "EIL01", "W101", "0102"));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SCI_UNKNOWN_MESSAGE), 1);
	CU_ASSERT(op_has(c.r, 7, "protocol=1 protocol_name=\"sci_ils\" message_type=5 byte_order=\"little\""));
	/* On a flow that speaks SCI: an undefined protocol type, a message shorter than the header. */
	send_data(&c, C2S, m, sci(m, 0x41, 0x0001, false, "EIL01", "W101", "02"));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SCI_UNKNOWN_PROTOCOL), 1);
	send_data(&c, C2S, (const uint8_t *)"\x40\x01\x00", 3);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SCI_BAD_LENGTH), 2);
	CU_ASSERT(op_has(c.r, 9, "sci=[{protocol=64 length=3}]"));
	/* A sender name with a control character. */
	uint32_t n = sci(m, 0x40, 0x0001, false, "EIL01", "W101", "02");
	m[5] = 0x07;
	send_data(&c, C2S, m, n);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SCI_BAD_ID), 1);
	dsc_run_free(c.r);
}

static void test_sci_messages(void)
{
	struct conn c = conn_open();
	uint8_t m[120];
	send_data(&c, C2S, m, sci(m, 0x20, 0x0001, false, "EIL01", "G101", "02"));
	CU_ASSERT(op_has(c.r, 3, "message_name=\"force_clear\""));
	CU_ASSERT(op_has(c.r, 3, "mode=2 mode_name=\"fc_c\""));
	send_data(&c, S2C, m, sci(m, 0x20, 0x000b, false, "G101", "EIL01", "0201"));
	CU_ASSERT(op_has(c.r, 4, "passing_state=2 passing_direction=1"));
	send_data(&c, S2C, m, sci(m, 0x20, 0x0012, false, "G101", "EIL01", "5000 b603"));
	CU_ASSERT(op_has(c.r, 5, "speed=80 wheel_diameter=950"));
	send_data(&c, C2S, m, sci(m, 0x30, 0x0002, false, "EIL01", "G101", "02"));
	CU_ASSERT(op_has(c.r, 6, "luminosity=2 luminosity_name=\"night\""));
	send_data(&c, C2S, m, sci(m, 0x90, 0x0001, false, "EIL01", "G101", "03 01 00 01"));
	CU_ASSERT(op_has(c.r, 7, "message_name=\"set_output_channels\""));
	CU_ASSERT(op_has(c.r, 7, "channel_count=3 channels=[1 0 1]"));
	send_data(&c, C2S, m, sci(m, 0xc0, 0x0001, false, "EIL01", "G101", "01"));
	CU_ASSERT(op_has(c.r, 8, "protocol_name=\"sci_lx\" message_type=1 message_name=\"lx_activation\""));
	CU_ASSERT(op_has(c.r, 8, "payload=01"));
	send_data(&c, S2C, m, sci(m, 0x20, 0x0025, false, "G101", "EIL01", "02 01 04 deadbeef"));
	CU_ASSERT(op_has(c.r, 9, "result=2 pdi_version=1 checksum=deadbeef"));
	send_data(&c, C2S, m, sci(m, 0x20, 0x0027, false, "EIL01", "G101", "04"));
	CU_ASSERT(op_has(c.r, 10, "message_name=\"close_pdi\""));
	CU_ASSERT_EQUAL(c.r->n_events, 0);
	/* An IO command naming 4 channels and carrying 3. */
	send_data(&c, C2S, m, sci(m, 0x90, 0x0001, false, "EIL01", "G101", "04 01 00 01"));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_SCI_BAD_LENGTH), 1);
	dsc_run_free(c.r);
}

/* librasta packs several messages in one Data PDU; non-SCI payloads show as hex; caps. */
static void test_data_messages(void)
{
	struct conn c = conn_open();
	uint8_t m1[60], m2[60], body[1100];
	uint32_t n1 = sci(m1, 0x40, 0x0024, false, "EIL01", "W101", "01");
	uint32_t n2 = sci(m2, 0x40, 0x0021, false, "EIL01", "W101", "");
	uint32_t off = 0;
	put16(body, n1);
	memcpy(body + 2, m1, n1);
	off = 2 + n1;
	put16(body + off, n2);
	memcpy(body + off + 2, m2, n2);
	off += 2 + n2;
	put16(body + off, 3);
	memcpy(body + off + 2, "\x01\x02\x03", 3);
	off += 5;
	send_pdu(&c, C2S, 6240, body, off);
	CU_ASSERT(op_has(c.r, 3, "messages=3 sci=[{protocol=64"));
	CU_ASSERT(op_has(c.r, 3, "message_name=\"initialisation_request\""));
	CU_ASSERT(op_has(c.r, 3, "data=[010203]"));
	CU_ASSERT_EQUAL(c.r->n_events, 0);
	/* A list whose last length runs past the data area: a length error. */
	put16(body + off - 5, 4);
	send_pdu(&c, C2S, 6240, body, off);
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_RASTA_BAD_TYPE_LENGTH), 1);
	dsc_run_free(c.r);

	/* 20 one-byte messages: 16 listed, all counted, the cap event. */
	c = conn_open();
	for (int i = 0; i < 20; i++) {
		put16(body + 3 * i, 1);
		body[3 * i + 2] = (uint8_t)i;
	}
	send_pdu(&c, C2S, 6240, body, 60);
	CU_ASSERT(op_has(c.r, 3, "messages=20 data=[00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f]"));
	CU_ASSERT_EQUAL(dsc_events(c.r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	dsc_run_free(c.r);
}

/* ---- fields -------------------------------------------------------------------------------------- */

static const struct bld_field_spec *field(const char *key)
{
	for (uint32_t i = 0; i < bld_dsc_rasta.n_fields; i++)
		if (strcmp(bld_dsc_rasta.fields[i].key, key) == 0)
			return &bld_dsc_rasta.fields[i];
	return NULL;
}

static void test_fields(void)
{
	static const char *const keys[] = { "type", "sender", "receiver", "version", "n_sendmax", "reason",
					    "sci_protocol", "sci_message", "sci_message_type", "sci_sender",
					    "sci_receiver", "position", "occupancy", "force_clear_mode", "aspect",
					    "luminosity", "pdi_version" };
	for (size_t i = 0; i < BLD_TEST_COUNT(keys); i++)
		CU_ASSERT_PTR_NOT_NULL(field(keys[i]));
	const struct bld_field_spec *f = field("type");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->name(6220), "heartbeat");
	CU_ASSERT_STRING_EQUAL(f->name(6200), "conn_req");
	CU_ASSERT_STRING_EQUAL(f->name(6252), "kex_auth");
	CU_ASSERT_PTR_NULL(f->name(6221));
	f = field("sci_protocol");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->path, "sci.protocol");
	CU_ASSERT_STRING_EQUAL(f->name(0x40), "sci_p");
	CU_ASSERT_STRING_EQUAL(f->name(0xc0), "sci_lx");
	f = field("position");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->name(2), "left");
	f = field("reason");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->name(4), "timeout");
	CU_ASSERT_EQUAL(field("sci_message")->kind, BLD_FIELD_TEXT);
	CU_ASSERT_STRING_EQUAL(field("sci_sender")->path, "sci.sender");
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "registered", test_registered },
		{ "probe", test_probe },
		{ "vector_1_9", test_vector_1_9 },
		{ "standard_heartbeats", test_standard_heartbeats },
		{ "check_code_auto", test_check_code_auto },
		{ "safety_code", test_safety_code },
		{ "corruption", test_corruption },
		{ "truncation", test_truncation },
		{ "framing", test_framing },
		{ "scenario_connection", test_scenario_connection },
		{ "scenario_sci", test_scenario_sci },
		{ "scenario_attacks", test_scenario_attacks },
		{ "connection_lifecycle", test_connection_lifecycle },
		{ "unexpected_types", test_unexpected_types },
		{ "retransmission", test_retransmission },
		{ "sequence_numbers", test_sequence_numbers },
		{ "confirmations", test_confirmations },
		{ "ids", test_ids },
		{ "heartbeat_timeout", test_heartbeat_timeout },
		{ "field_checks", test_field_checks },
		{ "sci_byte_order", test_sci_byte_order },
		{ "sci_checks", test_sci_checks },
		{ "sci_messages", test_sci_messages },
		{ "data_messages", test_data_messages },
		{ "fields", test_fields },
	};
	return bld_test_run("dissectors/rasta", tests, BLD_TEST_COUNT(tests));
}
