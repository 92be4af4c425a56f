/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the trdp dissector (dissectors/trdp.c).
 *
 * Fixtures are messages copied from public captures (the frame is named),
 * the PD test vector of rail-protocols.md §3.4, or built by msg_build()
 * after IEC 61375-2-3 as TCNOpen implements it (the header FCS computed
 * with crc.h, itself checked against the vector).  Captures:
 *   ndpi      /work/shared/pcaps/ndpi/trdp.pcapng (TCNOpen test programs: MD over TCP and UDP, PD)
 *   rail      tests/fixtures/scenario/rail-signalling.pcap (scripts/scenario/rail.py trdp_pd)
 * tshark 4.0 has no TRDP dissector: there is no tshark oracle here.
 */
#include "crc.h"
#include "dsc_test.h"
#include "fields.h"
#include "registry.h"
#include "trdp.h"

#define C2S true
#define S2C false
#define MS 1000000ull

/* ---- fixtures ------------------------------------------------------------------------------- */

/* rail-protocols.md §3.4: PD, seq 1, 'Pd', comId 1000, 4 bytes deadbeef. */
static const char PD_VECTOR[] =
	"00000001"            /* sequenceCounter 1 */
	"0100"                /* protocolVersion 1.0 */
	"5064"                /* msgType 'Pd' */
	"000003e8"            /* comId 1000 */
	"00000000 00000000"   /* etbTopoCnt, opTrnTopoCnt */
	"00000004"            /* datasetLength 4 */
	"00000000"            /* reserved */
	"00000000 00000000"   /* replyComId, replyIpAddress */
	"c55d408a"            /* headerFcs 0x8A405DC5, little-endian */
	"deadbeef";           /* dataset */

/* ndpi frames 13 and 14: PD 'Hello World', then the counter of comId 0, one second later. */
static const char PD_HELLO[] =
	"00000000 0100 5064 00000000 00000000 00000000 00000018 00000000 00000000 00000000 ce487aea"
	"48656c6c6f20576f726c6400000000000000000000000000";
static const char PD_COUNTER[] =
	"00000001 0100 5064 00000000 00000000 00000000 00000018 00000000 00000000 00000000 3dd888dc"
	"4a757374206120436f756e7465723a203030303030303030";

/* rail frame 2: comId 1002 from ccu-car1, 30 bytes and 2 bytes of padding. */
static const char PD_RAIL[] =
	"00005afd 0100 5064 000003ea 00000000 00000000 0000001e 00000000 00000000 00000000 cb29573e"
	"00000000010107d02a2b2c2d2e2f303132333435363738393a3b3c3d3e3f" /* dataset, 30 bytes */
	"0000";                                                        /* padding */

/* ndpi frame 4 (TCP) and 11 (UDP): 'Mr' comId 1001, "How are you?", padded to 4 (TCNOpen 1.x). */
#define MR_HEAD(session, fcs)                                                                          \
	"00000000 0100 4d72"  /* seq 0, 1.0, 'Mr' */                                                   \
	"000003e9 00000000 00000000" /* comId 1001, topology counters 0 */                             \
	"0000000d"            /* datasetLength 13 */                                                    \
	"00000000" session    /* replyStatus 0, sessionId */                                            \
	"001e8480"            /* replyTimeout 2 s */                                                    \
	"0000000000000000000000000000000000000000000000000000000000000000" /* sourceURI */             \
	"0000000000000000000000000000000000000000000000000000000000000000" /* destinationURI */        \
	fcs
static const char MR_TCP[] = MR_HEAD("69322ac45bc911ef98daf02f74ad43f5", "5ec79b1e")
	"486f772061726520796f753f00" /* "How are you?\0" */
	"000000";                    /* padding */
static const char MR_UDP[] = MR_HEAD("51d8f2e65bc811ef98daf02f74ad43f5", "2c7f7f66")
	"486f772061726520796f753f00 000000";
/* ndpi frames 6 (TCP) and 12 (UDP): the 'Mp' replies, sourceURI "test_mdSingle". */
#define MP_HEAD(session, fcs)                                                                          \
	"00000000 0100 4d70 000003e9 00000000 00000000"                                                \
	"00000011"            /* datasetLength 17 */                                                    \
	"00000000" session "00000000"                                                                   \
	"746573745f6d6453696e676c6500000000000000000000000000000000000000"                             \
	"0000000000000000000000000000000000000000000000000000000000000000" fcs
static const char MP_TCP[] = MP_HEAD("69322ac45bc911ef98daf02f74ad43f5", "bcac38bb")
	"49276d2066696e652c207468616e782100" /* "I'm fine, thanx!\0" */
	"000000";
static const char MP_UDP[] = MP_HEAD("51d8f2e65bc811ef98daf02f74ad43f5", "ce14dcc3")
	"49276d2066696e652c207468616e782100 000000";

/* ---- building messages ---------------------------------------------------------------------- */

struct msg {
	uint32_t seq;
	uint16_t version, type;
	uint32_t comid, etb, op, dataset;
	uint32_t reserved, reply_comid, reply_ip;      /* PD */
	int32_t status;                                /* MD */
	uint8_t session[16];
	uint32_t timeout;
	const char *src, *dst;                         /* URIs, up to 32 characters */
	uint32_t data_len;                             /* bytes of data 0x10, 0x11, ... */
	uint32_t pad;                                  /* padding bytes after the data */
	uint8_t pad_byte;
	bool bad_fcs;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static bool md_type(uint16_t t)
{
	return (t >> 8) == 0x4d;
}

/* The message's bytes into out (room for 116 + data + pad); returns the length. */
static uint32_t msg_build(const struct msg *m, uint8_t *out)
{
	uint32_t hlen = md_type(m->type) ? 116 : 40;
	memset(out, 0, hlen);
	put32(out, m->seq);
	out[4] = (uint8_t)(m->version >> 8), out[5] = (uint8_t)m->version;
	out[6] = (uint8_t)(m->type >> 8), out[7] = (uint8_t)m->type;
	put32(out + 8, m->comid);
	put32(out + 12, m->etb);
	put32(out + 16, m->op);
	put32(out + 20, m->dataset);
	if (hlen == 40) {
		put32(out + 24, m->reserved);
		put32(out + 28, m->reply_comid);
		put32(out + 32, m->reply_ip);
	} else {
		put32(out + 24, (uint32_t)m->status);
		memcpy(out + 28, m->session, 16);
		put32(out + 44, m->timeout);
		if (m->src)
			memcpy(out + 48, m->src, strlen(m->src));
		if (m->dst)
			memcpy(out + 80, m->dst, strlen(m->dst));
	}
	uint32_t fcs = bld_crc32_ieee(out, hlen - 4) ^ (m->bad_fcs ? 1u : 0u);
	out[hlen - 4] = (uint8_t)fcs, out[hlen - 3] = (uint8_t)(fcs >> 8);
	out[hlen - 2] = (uint8_t)(fcs >> 16), out[hlen - 1] = (uint8_t)(fcs >> 24);
	for (uint32_t i = 0; i < m->data_len; i++)
		out[hlen + i] = (uint8_t)(0x10 + i);
	memset(out + hlen + m->data_len, m->pad_byte, m->pad);
	return hlen + m->data_len + m->pad;
}

/* A PD of the given type and comId with n bytes of data. */
static struct msg pd(uint16_t type, uint32_t comid, uint32_t seq, uint32_t n)
{
	return (struct msg){ .seq = seq, .version = 0x0100, .type = type, .comid = comid, .dataset = n, .data_len = n };
}

/* An MD of the given type in session s (its 16 bytes all s) with n bytes of data. */
static struct msg md(uint16_t type, uint32_t comid, uint8_t s, uint32_t n)
{
	struct msg m = { .version = 0x0100, .type = type, .comid = comid, .dataset = n, .data_len = n };
	memset(m.session, s, sizeof(m.session));
	return m;
}

/* ---- feeding -------------------------------------------------------------------------------- */

static struct dsc_run *run_new(void)
{
	return dsc_run_new(&bld_dsc_trdp);
}

/* s begins with prefix. */
static bool starts(const char *s, const char *prefix)
{
	bool ok = strncmp(s, prefix, strlen(prefix)) == 0;
	if (!ok)
		fprintf(stderr, "\n    \"%s\" does not start with \"%s\"\n", s, prefix);
	return ok;
}

static uint32_t hex_len(const char *hex)
{
	uint32_t len;
	free(bld_test_hex(hex, &len));
	return len;
}

/* One datagram of hex: parsed whole. */
static struct bld_parse_result dgram_hex(struct dsc_run *r, bool to_server, const char *hex)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	struct bld_parse_result res = dsc_parse(r, to_server, true, b, len);
	free(b);
	return res;
}

/* One built message as a datagram: it must be OK, consumed whole. */
static void dgram(struct dsc_run *r, bool to_server, const struct msg *m)
{
	uint8_t b[256 + 1500];
	uint32_t len = msg_build(m, b);
	struct bld_parse_result res = dsc_parse(r, to_server, true, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, len);
}

/* A datagram parsed with site settings (dsc_parse hands the parser none). */
static struct bld_parse_result dgram_cfg(struct dsc_run *r, const struct msg *m, const struct bld_trdp_config *cfg)
{
	uint8_t b[256 + 1500];
	uint32_t len = msg_build(m, b);
	uint8_t *copy = bld_test_dup(b, len);
	r->pc = (struct bld_parse_ctx){ .dsc = r->dsc, .state = r->state, .ts_ns = r->ts_ns, .to_server = C2S,
					.datagram = true, .op = &r->op, .sink = &r->sink, .config = cfg };
	r->last = r->dsc->parse(&r->pc, copy, len);
	free(copy);
	return r->last;
}

/*
 * A TCP direction as the framework delivers it: segments appended to what
 * is kept, whole PDUs parsed from the front, the rest kept for the next
 * segment (session.c parse_bytes(), without resynchronisation: an ERROR
 * here fails the test).
 */
struct stream {
	uint8_t buf[8192];
	uint32_t n;
};

static void stream_push(struct dsc_run *r, struct stream *s, bool to_server, const uint8_t *p, uint32_t len)
{
	CU_ASSERT_FATAL(s->n + len <= sizeof(s->buf));
	memcpy(s->buf + s->n, p, len);
	s->n += len;
	uint32_t off = 0;
	while (off < s->n) {
		struct bld_parse_result res = dsc_parse(r, to_server, false, s->buf + off, s->n - off);
		CU_ASSERT_NOT_EQUAL_FATAL(res.status, BLD_PARSE_ERROR);
		if (res.status == BLD_PARSE_INCOMPLETE) {
			CU_ASSERT(res.needed == 0 || res.needed > s->n - off);
			break;
		}
		CU_ASSERT_FATAL(res.consumed > 0 && res.consumed <= s->n - off);
		off += res.consumed;
	}
	memmove(s->buf, s->buf + off, s->n - off);
	s->n -= off;
}

/* Bytes of a message pushed in segments of seg bytes (the last one shorter). */
static void stream_segments(struct dsc_run *r, struct stream *s, bool to_server, const uint8_t *p, uint32_t len,
			    uint32_t seg)
{
	for (uint32_t off = 0; off < len; off += seg)
		stream_push(r, s, to_server, p + off, len - off < seg ? len - off : seg);
}

/* ---- the vector and the captures ------------------------------------------------------------ */

static void test_registered(void)
{
	CU_ASSERT_PTR_EQUAL(bld_dissectors[BLD_PROTO_TRDP], &bld_dsc_trdp);
	CU_ASSERT_STRING_EQUAL(bld_dsc_trdp.name, "trdp");
	CU_ASSERT_EQUAL(bld_dsc_trdp.ports[0], 17224);
	CU_ASSERT_EQUAL(bld_dsc_trdp.ports[1], 17225);
}

static void test_vector(void)
{
	struct dsc_run *r = run_new();
	struct bld_parse_result res = dgram_hex(r, C2S, PD_VECTOR);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, 44);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request msg_type=20580 msg_type_name=\"pd\" comid=1000 sequence=1 version=\"1.0\" "
			       "etb_topo=0 op_topo=0 dataset_length=4 reply_comid=0 reply_ip=\"0.0.0.0\" data=deadbeef");
	CU_ASSERT_EQUAL(r->n_events, 0);
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	/* The builder makes the same bytes (so its FCS is the vector's). */
	uint8_t b[64];
	struct msg m = pd(0x5064, 1000, 1, 4);
	uint32_t len = msg_build(&m, b);
	uint32_t vlen;
	uint8_t *v = bld_test_hex(PD_VECTOR, &vlen);
	CU_ASSERT_EQUAL(len, vlen);
	CU_ASSERT_EQUAL(memcmp(b, v, 40), 0);
	free(v);
	dsc_run_free(r);
}

static void test_pd_captures(void)
{
	struct dsc_run *r = run_new();
	r->ts_ns = 100 * MS;
	CU_ASSERT_EQUAL(dgram_hex(r, C2S, PD_HELLO).consumed, hex_len(PD_HELLO));
	r->ts_ns = 1100 * MS - 127000;   /* ndpi: 0.999873 s later */
	CU_ASSERT_EQUAL(dgram_hex(r, C2S, PD_COUNTER).consumed, hex_len(PD_COUNTER));
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request msg_type=20580 msg_type_name=\"pd\" comid=0 sequence=0 version=\"1.0\" etb_topo=0 "
			       "op_topo=0 dataset_length=24 reply_comid=0 reply_ip=\"0.0.0.0\" "
			       "data=48656c6c6f20576f726c6400000000000000000000000000");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1),
			       "request msg_type=20580 msg_type_name=\"pd\" comid=0 sequence=1 version=\"1.0\" etb_topo=0 "
			       "op_topo=0 dataset_length=24 reply_comid=0 reply_ip=\"0.0.0.0\" interval_us=999873 "
			       "data=4a757374206120436f756e7465723a203030303030303030");
	/* The scenario's PD: 30 bytes of data and 2 of zero padding, no event. */
	CU_ASSERT_EQUAL(dgram_hex(r, C2S, PD_RAIL).consumed, 72);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2),
			       "request msg_type=20580 msg_type_name=\"pd\" comid=1002 sequence=23293 version=\"1.0\" "
			       "etb_topo=0 op_topo=0 dataset_length=30 reply_comid=0 reply_ip=\"0.0.0.0\" "
			       "data=00000000010107d02a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* ndpi flow 2: 'Mr' and 'Mp' over UDP, paired by sessionId. */
static void test_md_udp_capture(void)
{
	struct dsc_run *r = run_new();
	r->ts_ns = 10 * MS;
	CU_ASSERT_EQUAL(dgram_hex(r, C2S, MR_UDP).consumed, 132);
	r->ts_ns = 10 * MS + 5318000;
	CU_ASSERT_EQUAL(dgram_hex(r, S2C, MP_UDP).consumed, 136);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request msg_type=19826 msg_type_name=\"mr\" comid=1001 sequence=0 version=\"1.0\" "
			       "etb_topo=0 op_topo=0 dataset_length=13 reply_status=0 reply_status_name=\"ok\" "
			       "session_id=\"51d8f2e6-5bc8-11ef-98da-f02f74ad43f5\" reply_timeout_us=2000000 "
			       "source_uri=\"\" destination_uri=\"\" data=486f772061726520796f753f00");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1),
			       "response msg_type=19824 msg_type_name=\"mp\" comid=1001 sequence=0 version=\"1.0\" "
			       "etb_topo=0 op_topo=0 dataset_length=17 reply_status=0 reply_status_name=\"ok\" "
			       "session_id=\"51d8f2e6-5bc8-11ef-98da-f02f74ad43f5\" reply_timeout_us=0 "
			       "source_uri=\"test_mdSingle\" destination_uri=\"\" data=49276d2066696e652c207468616e782100");
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	CU_ASSERT_EQUAL(r->response_time[1], 5318000);
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* The same reply again pairs with nothing (no event: a multicast request has many repliers). */
	dgram_hex(r, S2C, MP_UDP);
	CU_ASSERT_EQUAL(r->response_time[2], UINT64_MAX);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* ndpi flow 1: the same over TCP, each message padded to 4 bytes, split over segments of every size. */
static void test_md_tcp_capture(void)
{
	uint32_t mr_len, mp_len;
	uint8_t *mr = bld_test_hex(MR_TCP, &mr_len);
	uint8_t *mp = bld_test_hex(MP_TCP, &mp_len);
	for (uint32_t seg = 1; seg <= mr_len; seg++) {
		struct dsc_run *r = run_new();
		struct stream up = { .n = 0 }, down = { .n = 0 };
		r->ts_ns = 1 * MS;
		stream_segments(r, &up, C2S, mr, mr_len, seg);
		r->ts_ns = 8 * MS;
		stream_segments(r, &down, S2C, mp, mp_len, seg);
		CU_ASSERT_EQUAL(r->n_ops, 2);
		CU_ASSERT_EQUAL(r->n_events, 0);
		CU_ASSERT_EQUAL(r->response_time[1], 7 * MS);
		CU_ASSERT(starts(dsc_op(r, 0), "request msg_type=19826 msg_type_name=\"mr\" comid=1001"));
		CU_ASSERT(starts(dsc_op(r, 1), "response msg_type=19824 msg_type_name=\"mp\" comid=1001"));
		/* The padding (3 bytes) waits to be told from the next header: nothing more is reported. */
		CU_ASSERT(up.n <= 3 && down.n <= 3);
		dsc_run_free(r);
	}
	free(mr);
	free(mp);
}

/* ---- truncation ----------------------------------------------------------------------------- */

static void test_truncation(void)
{
	/* Every prefix: INCOMPLETE on a stream, never OK past its length as a datagram. */
	dsc_truncation_sweep(&bld_dsc_trdp, C2S, PD_VECTOR);
	dsc_truncation_sweep(&bld_dsc_trdp, C2S, MP_HEAD("51d8f2e65bc811ef98daf02f74ad43f5", "ce14dcc3")
				 "49276d2066696e652c207468616e782100");   /* the 'Mp' without its padding */

	/* What a stream needs, from what the prefix says. */
	uint32_t len;
	uint8_t *b = bld_test_hex(MR_TCP, &len);
	struct dsc_run *r = run_new();
	CU_ASSERT_EQUAL(dsc_parse(r, C2S, false, b, 7).needed, 0);      /* no type yet */
	CU_ASSERT_EQUAL(dsc_parse(r, C2S, false, b, 8).needed, 116);    /* an MD header */
	CU_ASSERT_EQUAL(dsc_parse(r, C2S, false, b, 24).needed, 129);   /* and its 13 bytes of data */
	CU_ASSERT_EQUAL(dsc_parse(r, C2S, false, b, 128).needed, 129);
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* Datagrams cut short: the header alone is INCOMPLETE, a header with part of its data is reported. */
	CU_ASSERT_EQUAL(dsc_parse(r, C2S, true, b, 5).status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(dsc_parse(r, C2S, true, b, 115).status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_TRUNCATED), 2);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	struct bld_parse_result res = dsc_parse(r, C2S, true, b, 120);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, 120);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_TRUNCATED), 3);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "dataset_length=13 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), " destination_uri=\"\" data=486f7720"));   /* "How " */
	CU_ASSERT_EQUAL(r->n_events, 3);
	free(b);
	dsc_run_free(r);

	/* A PD datagram one byte short of its dataset. */
	r = run_new();
	b = bld_test_hex(PD_VECTOR, &len);
	res = dsc_parse(r, C2S, true, b, 43);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_TRUNCATED), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "dataset_length=4 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), " data=deadbe"));
	free(b);
	dsc_run_free(r);
}

/* ---- corruption of each field ---------------------------------------------------------------- */

static void test_bad_fcs(void)
{
	struct dsc_run *r = run_new();
	uint32_t len;
	uint8_t *b = bld_test_hex(PD_VECTOR, &len);
	b[36] ^= 0x01;
	CU_ASSERT_EQUAL(dsc_parse(r, C2S, true, b, len).status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_FCS), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	/* Still reported, and marked. */
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request msg_type=20580 msg_type_name=\"pd\" comid=1000 sequence=1 version=\"1.0\" "
			       "etb_topo=0 op_topo=0 dataset_length=4 reply_comid=0 reply_ip=\"0.0.0.0\" data=deadbeef "
			       "fcs_error=true");
	/* The FCS stored big-endian (the trap of §3.4) is wrong too. */
	b[36] = 0x8a, b[37] = 0x40, b[38] = 0x5d, b[39] = 0xc5;
	dsc_parse(r, C2S, true, b, len);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_FCS), 2);
	/* A field the FCS covers changed (the sequence counter) without a new FCS. */
	b[36] = 0xc5, b[37] = 0x5d, b[38] = 0x40, b[39] = 0x8a;
	b[3] = 2;
	dsc_parse(r, C2S, true, b, len);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_FCS), 3);
	/* The data is not covered by the header FCS. */
	b[3] = 1;
	b[40] = 0;
	dsc_parse(r, C2S, true, b, len);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_FCS), 3);
	CU_ASSERT_EQUAL(r->n_ops, 4);
	free(b);

	/* An MD with a bad FCS: reported, not paired. */
	struct msg m = md(0x4d72, 7, 0xaa, 0);
	m.bad_fcs = true;
	dgram(r, C2S, &m);
	m = md(0x4d70, 7, 0xaa, 0);
	dgram(r, S2C, &m);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_FCS), 4);
	CU_ASSERT_EQUAL(r->response_time[5], UINT64_MAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 4), " fcs_error=true"));
	dsc_run_free(r);
}

static void test_bad_version(void)
{
	static const uint16_t versions[] = { 0x0200, 0x0000, 0xff01 };
	for (size_t i = 0; i < BLD_TEST_COUNT(versions); i++) {
		struct dsc_run *r = run_new();
		struct msg m = pd(0x5064, 1000, 1, 4);
		m.version = versions[i];
		dgram(r, C2S, &m);
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_VERSION), 1);
		CU_ASSERT_EQUAL(r->n_events, 1);
		CU_ASSERT_EQUAL(r->n_ops, 1);   /* decoded with the 1.x layout */
		dsc_run_free(r);
	}
	/* Minor versions are all 1.x. */
	struct dsc_run *r = run_new();
	struct msg m = pd(0x5064, 1000, 1, 4);
	m.version = 0x0102;
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(r->n_events, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), " version=\"1.2\" "));
	dsc_run_free(r);
}

static void test_bad_msg_type(void)
{
	static const uint16_t types[] = { 0x5164, 0x5066, 0x4d64, 0x0000, 0x6450 };
	for (size_t i = 0; i < BLD_TEST_COUNT(types); i++) {
		/* A datagram frames it: OK, the event, and what both headers share. */
		struct dsc_run *r = run_new();
		struct msg m = pd(types[i], 1000, 1, 4);
		dgram(r, C2S, &m);
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_MSG_TYPE), 1);
		CU_ASSERT_EQUAL(r->n_events, 1);
		char want[128];
		snprintf(want, sizeof(want), "request msg_type=%u comid=1000 sequence=1 version=\"1.0\" etb_topo=0 "
			 "op_topo=0 dataset_length=4", types[i]);
		CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), want);
		/* On a stream nothing says how long the header is: framing lost. */
		uint8_t b[256];
		uint32_t len = msg_build(&m, b);
		struct bld_parse_result res = dsc_parse(r, C2S, false, b, len);
		CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
		CU_ASSERT_EQUAL(res.consumed, 1);
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_MSG_TYPE), 2);
		CU_ASSERT_EQUAL(r->n_ops, 1);
		dsc_run_free(r);
	}
	/* Process data on TCP: framed by its length, reported, and the event (PD is UDP only). */
	struct dsc_run *r = run_new();
	CU_ASSERT_EQUAL(dsc_feed_hex(r, C2S, PD_VECTOR), 44);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_MSG_TYPE), 1);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	/* A datagram too short to say its type. */
	CU_ASSERT_EQUAL(dgram_hex(r, C2S, "00000001 0100 50").status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_TRUNCATED), 1);
	dsc_run_free(r);
}

static void test_bad_length(void)
{
	/* PD: 1432 is the most (TCNOpen TRDP_MAX_PD_DATA_SIZE). */
	struct dsc_run *r = run_new();
	struct msg m = pd(0x5064, 1000, 1, 1432);
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(r->n_events, 0);
	m = pd(0x5064, 1000, 2, 1433);
	m.pad = 3;
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	/* A PD datagram longer than 1472 bytes, even with a small dataset. */
	m = pd(0x5064, 1000, 3, 8);
	m.pad = 1432;
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_LENGTH), 2);
	/* A datasetLength beyond the datagram: truncated, not too long. */
	m = pd(0x5064, 1000, 4, 4);
	m.dataset = 8;
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_TRUNCATED), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_LENGTH), 2);
	CU_ASSERT_EQUAL(r->n_ops, 4);
	dsc_run_free(r);

	/* MD on a stream: a length beyond 65388 cannot frame it. */
	r = run_new();
	m = md(0x4d72, 1001, 1, 0);
	m.dataset = 65389;
	uint8_t b[128];
	uint32_t len = msg_build(&m, b);
	struct bld_parse_result res = dsc_parse(r, C2S, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	/* ... known from the first 24 bytes. */
	res = dsc_parse(r, C2S, false, b, 24);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	/* 65388 is allowed: the stream waits for it. */
	m.dataset = 65388;
	len = msg_build(&m, b);
	res = dsc_parse(r, C2S, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(res.needed, 116 + 65388);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_LENGTH), 2);
	dsc_run_free(r);
}

static void test_padding_reserved_reply(void)
{
	struct dsc_run *r = run_new();
	/* Padding not zero. */
	struct msg m = pd(0x5064, 1000, 1, 5);
	m.pad = 3;
	m.pad_byte = 0x41;
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_PADDING), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	/* Zero padding beyond the alignment is not an error. */
	m = pd(0x5064, 1001, 1, 5);
	m.pad = 7;
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(r->n_events, 1);
	/* Reserved not zero (TCNOpen 2.x writes a service id there): shown and raised. */
	m = pd(0x5064, 1002, 1, 4);
	m.reserved = 0x1234;
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_RESERVED_NOT_ZERO), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 2), " reserved=4660 "));
	/* A 'Pd' with reply fields set. */
	m = pd(0x5064, 1003, 1, 4);
	m.reply_comid = 9;
	dgram(r, C2S, &m);
	m = pd(0x5064, 1004, 1, 4);
	m.reply_ip = 0x0a000001;
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_REPLY), 2);
	CU_ASSERT_EQUAL(r->n_events, 4);
	dsc_run_free(r);

	/* 'Pr' reply addresses: 0 (the requester), unicast and multicast are fine. */
	static const struct {
		uint32_t ip;
		bool bad;
	} ips[] = {
		{ 0, false }, { 0x0a140029, false }, { 0xefc00001, false }, { 0x00000001, true },
		{ 0x7f000001, true }, { 0xffffffff, true }, { 0xf0000001, true },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(ips); i++) {
		r = run_new();
		m = pd(0x5072, 1000, 1, 0);
		m.reply_comid = 1001;
		m.reply_ip = ips[i].ip;
		dgram(r, C2S, &m);
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_REPLY), ips[i].bad);
		dsc_run_free(r);
	}
}

static void test_uris_and_status(void)
{
	struct dsc_run *r = run_new();
	struct msg m = md(0x4d6e, 2000, 1, 0);
	m.src = "doorCtrl.car2";
	m.dst = "tcms";
	dgram(r, C2S, &m);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), " source_uri=\"doorCtrl.car2\" destination_uri=\"tcms\" "));
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* A full 32-character URI needs no NUL. */
	m.src = "0123456789abcdef0123456789abcdef";
	dgram(r, C2S, &m);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 1), " source_uri=\"0123456789abcdef0123456789abcdef\" "));
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* Something behind the terminator, and a control character. */
	m.src = "tcms\0hidden";
	uint8_t b[256];
	uint32_t len = msg_build(&m, b);
	memcpy(b + 48, "tcms\0hidden", 11);
	uint32_t fcs = bld_crc32_ieee(b, 112);
	b[112] = (uint8_t)fcs, b[113] = (uint8_t)(fcs >> 8), b[114] = (uint8_t)(fcs >> 16), b[115] = (uint8_t)(fcs >> 24);
	dsc_parse(r, C2S, true, b, len);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_URI), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_FCS), 0);
	m.src = "tcms";
	m.dst = "a\tb";
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_BAD_URI), 2);
	CU_ASSERT_EQUAL(r->n_events, 2);
	dsc_run_free(r);

	/* Reply status: named; negative in a reply, and any 'Me', is an event. */
	static const struct {
		uint16_t type;
		int32_t status;
		const char *name;
		unsigned events;
	} st[] = {
		{ 0x4d70, 0, "ok", 0 },          { 0x4d70, -3, "no_replier", 1 },   { 0x4d71, -8, "no_confirm", 1 },
		{ 0x4d65, -2, "session_abort", 1 }, { 0x4d65, 0, "ok", 1 },          { 0x4d70, 7, "application", 0 },
		{ 0x4d70, -10, "sending_failed", 1 }, { 0x4d70, -11, "error", 1 },
		{ 0x4d70, INT32_MIN, "error", 1 }, { 0x4d72, -6, "no_reply", 0 },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(st); i++) {
		r = run_new();
		m = md(st[i].type, 1001, 9, 0);
		m.status = st[i].status;
		dgram(r, S2C, &m);
		char want[96];
		snprintf(want, sizeof(want), " reply_status=%d reply_status_name=\"%s\" ", st[i].status, st[i].name);
		CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), want));
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_REPLY_ERROR), st[i].events);
		dsc_run_free(r);
	}
}

/* ---- sequence, topology, cycle --------------------------------------------------------------- */

/* A 'Pd' of comId 1000 with sequence counter seq at time ms. */
static void pd_at(struct dsc_run *r, bool to_server, uint16_t type, uint32_t comid, uint32_t seq, uint64_t ms)
{
	r->ts_ns = ms * MS;
	struct msg m = pd(type, comid, seq, 4);
	dgram(r, to_server, &m);
}

static void test_sequence(void)
{
	struct dsc_run *r = run_new();
	static const struct {
		uint32_t seq;
		enum bld_event ev;   /* BLD_EVENT_MAX: none */
	} steps[] = {
		{ 1, BLD_EVENT_MAX },
		{ 2, BLD_EVENT_MAX },
		{ 3, BLD_EVENT_MAX },
		{ 10, BLD_EVENT_TRDP_SEQUENCE_GAP },        /* 4..9 lost */
		{ 11, BLD_EVENT_MAX },
		{ 11, BLD_EVENT_TRDP_DUPLICATE },
		{ 5, BLD_EVENT_TRDP_SEQUENCE_BACKWARDS },   /* a replay ... */
		{ 12, BLD_EVENT_MAX },                      /* ... did not move the counter */
		{ 0, BLD_EVENT_TRDP_SEQUENCE_RESTART },     /* the publisher restarted */
		{ 1, BLD_EVENT_MAX },
		{ 0xffffffff, BLD_EVENT_TRDP_SEQUENCE_BACKWARDS },
		{ 2, BLD_EVENT_MAX },
		{ 200, BLD_EVENT_TRDP_SEQUENCE_GAP },
		{ 150, BLD_EVENT_TRDP_SEQUENCE_BACKWARDS }, /* a sender going on from a lower count ... */
		{ 151, BLD_EVENT_MAX },                     /* ... is followed from its second telegram */
		{ 152, BLD_EVENT_MAX },
	};
	unsigned before = 0;
	for (size_t i = 0; i < BLD_TEST_COUNT(steps); i++) {
		pd_at(r, C2S, 0x5064, 1000, steps[i].seq, 100 * i);
		unsigned want = before + (steps[i].ev != BLD_EVENT_MAX);
		if (r->n_events != want || (steps[i].ev != BLD_EVENT_MAX && dsc_events(r, steps[i].ev) == 0))
			fprintf(stderr, "\n    step %zu (seq %u): %u events\n", i, steps[i].seq, r->n_events);
		CU_ASSERT_EQUAL(r->n_events, want);
		before = r->n_events;
	}
	/* Wrap-around is the next one. */
	dsc_run_free(r);
	r = run_new();
	pd_at(r, C2S, 0x5064, 1000, 0xfffffffe, 0);
	pd_at(r, C2S, 0x5064, 1000, 0xffffffff, 100);
	pd_at(r, C2S, 0x5064, 1000, 0, 200);
	pd_at(r, C2S, 0x5064, 1000, 1, 300);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_sequence_keys(void)
{
	struct dsc_run *r = run_new();
	/* Counters are per comId, per msgType ('Pp' counts on its own) and per publisher (side). */
	pd_at(r, C2S, 0x5064, 1000, 10, 0);
	pd_at(r, C2S, 0x5064, 2000, 500, 10);
	pd_at(r, S2C, 0x5064, 1000, 7000, 20);
	pd_at(r, C2S, 0x5070, 1000, 3, 30);
	pd_at(r, C2S, 0x5064, 1000, 11, 100);
	pd_at(r, C2S, 0x5064, 2000, 501, 110);
	pd_at(r, S2C, 0x5064, 1000, 7001, 120);
	pd_at(r, C2S, 0x5070, 1000, 4, 130);
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* 'Pp' replies go to whoever pulled: gaps are normal, a repeat or a step back is not. */
	pd_at(r, C2S, 0x5070, 1000, 9, 140);
	CU_ASSERT_EQUAL(r->n_events, 0);
	pd_at(r, C2S, 0x5070, 1000, 9, 150);
	pd_at(r, C2S, 0x5070, 1000, 8, 160);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_DUPLICATE), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_SEQUENCE_BACKWARDS), 1);
	/* 'Pr' and 'Pe' are not followed: TCNOpen sends one-shot requests. */
	pd_at(r, C2S, 0x5072, 1000, 0, 170);
	pd_at(r, C2S, 0x5072, 1000, 0, 180);
	CU_ASSERT_EQUAL(r->n_events, 2);
	/* A header whose FCS fails does not move the counter. */
	r->ts_ns = 190 * MS;
	struct msg m = pd(0x5064, 1000, 500, 4);
	m.bad_fcs = true;
	dgram(r, C2S, &m);
	pd_at(r, C2S, 0x5064, 1000, 12, 200);
	CU_ASSERT_EQUAL(r->n_events, 3);   /* the bad FCS only */
	dsc_run_free(r);
}

static void test_interval_and_topology(void)
{
	struct dsc_run *r = run_new();
	pd_at(r, C2S, 0x5064, 1000, 1, 1000);
	pd_at(r, C2S, 0x5064, 1000, 2, 1100);
	pd_at(r, C2S, 0x5064, 2000, 1, 1150);
	pd_at(r, C2S, 0x5064, 1000, 3, 1210);
	pd_at(r, C2S, 0x5070, 1000, 1, 1220);
	pd_at(r, C2S, 0x5070, 1000, 2, 1230);
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 0), "interval_us"));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 1), " interval_us=100000 "));
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 2), "interval_us"));          /* another comId's first */
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 3), " interval_us=110000 "));
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 5), "interval_us"));          /* pull replies are not cyclic */
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* A train inauguration: the topology counters of the telegram change once. */
	struct msg m = pd(0x5064, 1000, 4, 4);
	m.etb = 0x1234abcd;
	m.op = 0x55aa55aa;
	r->ts_ns = 1300 * MS;
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_TOPOLOGY_CHANGE), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 6), " etb_topo=305441741 op_topo=1437226410 "));
	m.seq = 5;
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_TOPOLOGY_CHANGE), 1);
	m.seq = 6;
	m.op = 0x55aa55ab;   /* the operational train changed alone */
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_TOPOLOGY_CHANGE), 2);
	CU_ASSERT_EQUAL(r->n_events, 2);
	dsc_run_free(r);
}

static void test_telegram_capacity(void)
{
	struct dsc_run *r = run_new();
	/* 64 comIds followed; the 65th forgets the least recently seen (comId 1), once with an event. */
	for (uint32_t c = 1; c <= 64; c++)
		pd_at(r, C2S, 0x5064, c, 100, c);
	CU_ASSERT_EQUAL(r->n_events, 0);
	pd_at(r, C2S, 0x5064, 65, 100, 100);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_TELEGRAM_CAPACITY), 1);
	pd_at(r, C2S, 0x5064, 66, 100, 101);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_TELEGRAM_CAPACITY), 1);
	/* comId 64 is still followed (a repeat is a duplicate); comId 1 was forgotten (no event). */
	pd_at(r, C2S, 0x5064, 64, 100, 102);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_DUPLICATE), 1);
	pd_at(r, C2S, 0x5064, 1, 100, 103);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_DUPLICATE), 1);
	dsc_run_free(r);
}

/* ---- pairing -------------------------------------------------------------------------------- */

static void test_pull(void)
{
	struct dsc_run *r = run_new();
	/* 'Pr' for comId 1000 (replyComId 0: its own comId), answered by a 'Pp' of comId 1000. */
	r->ts_ns = 10 * MS;
	struct msg m = pd(0x5072, 1000, 1, 0);
	dgram(r, C2S, &m);
	r->ts_ns = 13 * MS;
	m = pd(0x5070, 1000, 1, 8);
	dgram(r, S2C, &m);
	CU_ASSERT(starts(dsc_op(r, 0), "request msg_type=20594 msg_type_name=\"pr\" "));
	CU_ASSERT(starts(dsc_op(r, 1), "response msg_type=20592 msg_type_name=\"pp\" "));
	CU_ASSERT_EQUAL(r->response_time[1], 3 * MS);
	/* 'Pr' of comId 1 asking for comId 2000 with a reply address. */
	r->ts_ns = 20 * MS;
	m = pd(0x5072, 1, 2, 0);
	m.reply_comid = 2000;
	m.reply_ip = 0x0a140029;
	dgram(r, C2S, &m);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 2), " reply_comid=2000 reply_ip=\"10.20.0.41\""));
	r->ts_ns = 21 * MS;
	m = pd(0x5070, 2000, 7, 8);
	dgram(r, S2C, &m);
	CU_ASSERT_EQUAL(r->response_time[3], 1 * MS);
	/* A 'Pp' from the side that asked pairs with nothing. */
	m = pd(0x5072, 3000, 1, 0);
	dgram(r, C2S, &m);
	m = pd(0x5070, 3000, 1, 0);
	dgram(r, C2S, &m);
	CU_ASSERT_EQUAL(r->response_time[5], UINT64_MAX);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* 'Mr' -> 'Mq' -> 'Mc' and 'Mr' -> 'Me' over TCP, each message split over segments of every size. */
static void test_md_tcp_exchange(void)
{
	uint8_t mr[256], mq[256], mc[256], mr2[256], me[256];
	struct msg m = md(0x4d72, 3000, 0x11, 6);   /* 6 bytes: unaligned */
	m.src = "brake.car1";
	m.dst = "tcms";
	m.timeout = 500000;
	uint32_t mr_len = msg_build(&m, mr);
	m = md(0x4d71, 3000, 0x11, 10);
	m.src = "tcms";
	uint32_t mq_len = msg_build(&m, mq);
	m = md(0x4d63, 3000, 0x11, 0);
	uint32_t mc_len = msg_build(&m, mc);
	m = md(0x4d72, 3001, 0x22, 4);
	uint32_t mr2_len = msg_build(&m, mr2);
	m = md(0x4d65, 3001, 0x22, 0);
	m.status = -3;
	uint32_t me_len = msg_build(&m, me);

	for (uint32_t seg = 1; seg <= 140; seg++) {
		struct dsc_run *r = run_new();
		struct stream up = { .n = 0 }, down = { .n = 0 };
		r->ts_ns = 1 * MS;
		stream_segments(r, &up, C2S, mr, mr_len, seg);
		r->ts_ns = 4 * MS;
		stream_segments(r, &down, S2C, mq, mq_len, seg);
		r->ts_ns = 6 * MS;
		stream_segments(r, &up, C2S, mc, mc_len, seg);
		r->ts_ns = 10 * MS;
		stream_segments(r, &up, C2S, mr2, mr2_len, seg);
		r->ts_ns = 15 * MS;
		stream_segments(r, &down, S2C, me, me_len, seg);
		if (r->n_ops != 5)
			fprintf(stderr, "\n    segments of %u: %u ops\n", seg, r->n_ops);
		CU_ASSERT_EQUAL(r->n_ops, 5);
		CU_ASSERT(starts(dsc_op(r, 0), "request msg_type=19826 msg_type_name=\"mr\" comid=3000"));
		CU_ASSERT(starts(dsc_op(r, 1), "response msg_type=19825 msg_type_name=\"mq\" comid=3000"));
		CU_ASSERT(starts(dsc_op(r, 2), "response msg_type=19811 msg_type_name=\"mc\" comid=3000"));
		CU_ASSERT(starts(dsc_op(r, 3), "request msg_type=19826 msg_type_name=\"mr\" comid=3001"));
		CU_ASSERT(starts(dsc_op(r, 4), "response msg_type=19813 msg_type_name=\"me\" comid=3001"));
		CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), " session_id=\"11111111-1111-1111-1111-111111111111\" "
						     "reply_timeout_us=500000 source_uri=\"brake.car1\" "
						     "destination_uri=\"tcms\" data=101112131415"));
		CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
		CU_ASSERT_EQUAL(r->response_time[1], 3 * MS);   /* 'Mq' answers the 'Mr' */
		CU_ASSERT_EQUAL(r->response_time[2], 2 * MS);   /* 'Mc' answers the 'Mq' */
		CU_ASSERT_EQUAL(r->response_time[4], 5 * MS);
		CU_ASSERT_EQUAL(r->n_events, 1);
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_REPLY_ERROR), 1);
		dsc_run_free(r);
	}
}

/*
 * TCP framing with and without the 4-byte padding: each direction learns
 * which from the next header's FCS, whatever the segments.
 */
static void test_md_tcp_padding(void)
{
	for (int padded = 0; padded < 2; padded++) {
		uint8_t bytes[2048];
		uint32_t n = 0;
		/* Messages of every alignment, the first two unaligned, seq 0 (its first bytes 00). */
		static const uint32_t sizes[] = { 13, 6, 0, 4, 1, 2, 3, 7 };
		for (size_t i = 0; i < BLD_TEST_COUNT(sizes); i++) {
			struct msg m = md(0x4d6e, 4000 + (uint32_t)i, (uint8_t)i, sizes[i]);
			if (padded)
				m.pad = (4 - sizes[i] % 4) % 4;
			n += msg_build(&m, bytes + n);
		}
		for (uint32_t seg = 1; seg <= 150; seg += seg < 10 ? 1 : 13) {
			struct dsc_run *r = run_new();
			struct stream s = { .n = 0 };
			stream_segments(r, &s, C2S, bytes, n, seg);
			if (r->n_ops != BLD_TEST_COUNT(sizes) || r->n_events)
				fprintf(stderr, "\n    padded %d, segments of %u: %u ops, %u events\n", padded, seg,
					r->n_ops, r->n_events);
			CU_ASSERT_EQUAL(r->n_ops, BLD_TEST_COUNT(sizes));
			CU_ASSERT_EQUAL(r->n_events, 0);
			for (unsigned i = 0; i < r->n_ops && i < DSC_MAX_OPS; i++) {
				char want[32];
				snprintf(want, sizeof(want), " comid=%u ", 4000 + i);
				CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, i), want));
			}
			dsc_run_free(r);
		}
	}

	/* After a gap the bytes that follow are not the lost message's padding. */
	struct dsc_run *r = run_new();
	struct stream s = { .n = 0 };
	uint8_t b[256];
	struct msg m = md(0x4d6e, 5000, 1, 5);
	uint32_t len = msg_build(&m, b);
	stream_push(r, &s, C2S, b, len);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	bld_dsc_trdp.gap(r->state, C2S);
	m = md(0x4d6e, 5001, 2, 4);
	len = msg_build(&m, b);
	/* Its first 60 bytes: the message's own size, not "116 to tell padding from a header". */
	struct bld_parse_result res = dsc_parse(r, C2S, false, b, 60);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(res.needed, 120);
	stream_push(r, &s, C2S, b, len);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* ---- site settings and policy fields -------------------------------------------------------- */

static void test_comids_setting(void)
{
	static struct bld_trdp_config cfg;   /* 2 KiB: not on the stack */
	memset(&cfg, 0, sizeof(cfg));
	cfg.comids.n = 2;
	cfg.comids.r[0].lo = 1000, cfg.comids.r[0].hi = 1002;
	cfg.comids.r[1].lo = 3000, cfg.comids.r[1].hi = 3000;
	struct dsc_run *r = run_new();
	struct msg m = pd(0x5064, 1001, 1, 4);
	CU_ASSERT_EQUAL(dgram_cfg(r, &m, &cfg).status, BLD_PARSE_OK);
	m = pd(0x5064, 3000, 1, 4);
	dgram_cfg(r, &m, &cfg);
	CU_ASSERT_EQUAL(r->n_events, 0);
	m = pd(0x5064, 2000, 1, 4);
	dgram_cfg(r, &m, &cfg);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_UNEXPECTED_COMID), 1);
	m = md(0x4d72, 999, 1, 0);
	dgram_cfg(r, &m, &cfg);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_UNEXPECTED_COMID), 2);
	/* A pull request for a comId the site does not have. */
	m = pd(0x5072, 1000, 1, 0);
	m.reply_comid = 4000;
	dgram_cfg(r, &m, &cfg);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_TRDP_UNEXPECTED_COMID), 3);
	CU_ASSERT_EQUAL(r->n_events, 3);
	CU_ASSERT_EQUAL(r->n_ops, 5);
	/* The default (no comids): nothing is unexpected. */
	m = pd(0x5064, 2000, 2, 4);
	dgram_cfg(r, &m, bld_dsc_trdp.config_default);
	CU_ASSERT_EQUAL(r->n_events, 3);
	CU_ASSERT_EQUAL(bld_dsc_trdp.n_settings, 1);
	CU_ASSERT_STRING_EQUAL(bld_dsc_trdp.settings[0].key, "comids");
	CU_ASSERT_EQUAL(bld_dsc_trdp.config_size, sizeof(struct bld_trdp_config));
	dsc_run_free(r);
}

static void test_fields(void)
{
	const struct bld_field_spec *f = bld_dsc_trdp.fields;
	CU_ASSERT_STRING_EQUAL(f[0].key, "msg_type");
	static const struct {
		uint16_t code;
		const char *name;
	} names[] = {
		{ 0x5064, "pd" }, { 0x5070, "pp" }, { 0x5072, "pr" }, { 0x5065, "pe" }, { 0x4d6e, "mn" },
		{ 0x4d72, "mr" }, { 0x4d70, "mp" }, { 0x4d71, "mq" }, { 0x4d63, "mc" }, { 0x4d65, "me" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(names); i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(f[0].name(names[i].code));
		CU_ASSERT_STRING_EQUAL(f[0].name(names[i].code), names[i].name);
	}
	CU_ASSERT_PTR_NULL(f[0].name(0x5066));
	CU_ASSERT_PTR_NULL(f[0].name(0x15064));
	/* Every key's path is a field the ops carry. */
	static const char *const paths[] = { "msg_type", "comid", "dataset_length", "etb_topo", "op_topo",
					     "reply_comid", "reply_ip", "source_uri", "destination_uri" };
	CU_ASSERT_EQUAL_FATAL(bld_dsc_trdp.n_fields, BLD_TEST_COUNT(paths));
	struct dsc_run *r = run_new();
	dgram_hex(r, C2S, PD_VECTOR);
	dgram_hex(r, C2S, MR_UDP);
	for (size_t i = 0; i < BLD_TEST_COUNT(paths); i++) {
		CU_ASSERT_STRING_EQUAL(f[i].path, paths[i]);
		char k[40];
		snprintf(k, sizeof(k), " %s=", paths[i]);
		CU_ASSERT(strstr(dsc_op(r, 0), k) || strstr(dsc_op(r, 1), k));
	}
	dsc_run_free(r);
}

/* ---- the probe ------------------------------------------------------------------------------ */

static void test_probe(void)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(MR_TCP, &len);
	/* An MD header split over segments: the first bytes are worth waiting for. */
	for (uint32_t n = 8; n < 116; n++) {
		uint8_t *c = bld_test_dup(b, n);
		CU_ASSERT_EQUAL(bld_dsc_trdp.probe(c, n, true), BLD_PROBE_NEED_MORE);
		free(c);
	}
	CU_ASSERT_EQUAL(bld_dsc_trdp.probe(b, 116, true), BLD_PROBE_MATCH);
	CU_ASSERT_EQUAL(bld_dsc_trdp.probe(b, len, true), BLD_PROBE_MATCH);
	b[7] = 0x66;   /* 'Mf': no type */
	CU_ASSERT_EQUAL(bld_dsc_trdp.probe(b, 20, true), BLD_PROBE_NO);
	free(b);
	/* An MD length beyond the maximum is no header. */
	uint8_t h[128];
	struct msg m = md(0x4d72, 1, 1, 0);
	m.dataset = 65389;
	uint32_t n = msg_build(&m, h);
	CU_ASSERT_EQUAL(bld_dsc_trdp.probe(h, n, true), BLD_PROBE_NO);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "registered", test_registered },
		{ "PD test vector (rail-protocols.md 3.4)", test_vector },
		{ "PD from the captures", test_pd_captures },
		{ "MD over UDP (ndpi)", test_md_udp_capture },
		{ "MD over TCP (ndpi), every segmentation", test_md_tcp_capture },
		{ "truncation", test_truncation },
		{ "bad FCS", test_bad_fcs },
		{ "bad version", test_bad_version },
		{ "bad message type", test_bad_msg_type },
		{ "bad length", test_bad_length },
		{ "padding, reserved, reply fields", test_padding_reserved_reply },
		{ "URIs and reply status", test_uris_and_status },
		{ "sequence counter", test_sequence },
		{ "sequence counter keys", test_sequence_keys },
		{ "interval and topology", test_interval_and_topology },
		{ "telegram capacity", test_telegram_capacity },
		{ "PD pull", test_pull },
		{ "MD exchange over TCP", test_md_tcp_exchange },
		{ "MD over TCP with and without padding", test_md_tcp_padding },
		{ "comids setting", test_comids_setting },
		{ "policy fields", test_fields },
		{ "probe", test_probe },
	};
	return bld_test_run("dissectors/trdp", tests, BLD_TEST_COUNT(tests));
}
