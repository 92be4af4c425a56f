/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TRDP, the Train Real-time Data Protocol of the train communication
 * network (IEC 61375-2-3; TCNOpen is the reference implementation).
 * Process data (PD) on UDP 17224, message data (MD) on UDP and TCP 17225.
 * Big-endian headers, except the header FCS, which is CRC-32/IEEE stored
 * little-endian (rail-protocols.md §3.4):
 *
 *   PD header (40 bytes)
 *      0  sequenceCounter  4   per publisher, comId and msgType ('Pp' counts on its own)
 *      4  protocolVersion  2   0x01xx: major 1
 *      6  msgType          2   'Pd' 0x5064 data, 'Pp' 0x5070 pull reply,
 *                              'Pr' 0x5072 pull request, 'Pe' 0x5065 error
 *      8  comId            4
 *     12  etbTopoCnt       4   train backbone topology counter (0: consist-local)
 *     16  opTrnTopoCnt     4   operational train topology counter (0: ignore)
 *     20  datasetLength    4   0..1432, padding not counted
 *     24  reserved         4   0 (TCNOpen 2.x puts a service id here)
 *     28  replyComId       4   'Pr': the comId asked for (0: comId itself)
 *     32  replyIpAddress   4   'Pr': where the reply goes (0: to the requester)
 *     36  headerFcs        4   CRC-32 over bytes 0..35, little-endian
 *     40  dataset, then zero padding
 *
 *   MD header (116 bytes)
 *      0  as PD up to datasetLength (0..65388); msgType 'Mn' 0x4D6E notification,
 *         'Mr' 0x4D72 request, 'Mp' 0x4D70 reply, 'Mq' 0x4D71 reply asking for a
 *         confirm, 'Mc' 0x4D63 confirm, 'Me' 0x4D65 error
 *     24  replyStatus      4   int32: 0 ok, -1..-10 stack errors, > 0 the application's
 *     28  sessionId       16   UUID shared by the messages of one exchange
 *     44  replyTimeout     4   µs
 *     48  sourceURI       32   user part, NUL-padded
 *     80  destinationURI  32
 *    112  headerFcs        4   CRC-32 over bytes 0..111, little-endian
 *    116  data, then zero padding
 *
 * A datagram carries one message, framed by the datagram.  On TCP,
 * datasetLength frames the stream; TCNOpen versions differ in whether
 * they pad a message to 4 bytes there, so each direction learns it from
 * where the next header's FCS verifies (stream_padding()).
 *
 * State per flow: the sequence counter, topology counters and time of
 * each publisher's 'Pd' and 'Pp' telegrams (per direction, comId and
 * msgType, as TCNOpen's subscribers follow them), and the outstanding
 * pull requests ('Pr' -> 'Pp' by comId) and MD exchanges ('Mr' -> 'Mp' /
 * 'Mq' / 'Me', 'Mq' -> 'Mc' by sessionId) for response times.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc.h"
#include "cursor.h"
#include "fields.h"
#include "op.h"
#include "registry.h"
#include "trdp.h"
#include "txn.h"

#define PD_HEADER 40u
#define MD_HEADER 116u
#define PD_MAX_DATASET 1432u          /* TCNOpen TRDP_MAX_PD_DATA_SIZE */
#define MD_MAX_DATASET 65388u         /* TCNOpen TRDP_MAX_MD_DATA_SIZE */
#define PD_MAX_DATAGRAM (PD_HEADER + PD_MAX_DATASET)
#define COMMON_HEADER 24u             /* up to and with datasetLength: the same in PD and MD */
#define URI_LEN 32u
#define SESSION_LEN 16u
/* Bytes of the dataset an operation shows (a preview: a PD dataset is at most 1432). */
#define DATA_PREVIEW 256u
/* Hard cap: publishers' telegrams followed per flow (grown 4, 8, ... as they appear). */
#define MAX_TELEGRAMS 64u

enum msg_code {
	MSG_PD = 0x5064, MSG_PP = 0x5070, MSG_PR = 0x5072, MSG_PE = 0x5065,
	MSG_MN = 0x4D6E, MSG_MR = 0x4D72, MSG_MP = 0x4D70, MSG_MQ = 0x4D71, MSG_MC = 0x4D63, MSG_ME = 0x4D65,
};

struct msg_info {
	uint16_t code;
	const char *name;        /* as msg_type_name shows it and policies write it */
	bool md;
	uint8_t dir;             /* enum bld_op_dir: see docs/protocols/trdp.md "Requests and responses" */
};

/* IEC 61375-2-3 / TCNOpen trdp_proto.h TRDP_MSG_T. */
static const struct msg_info msgs[] = {
	{ MSG_PD, "pd", false, BLD_OP_REQUEST },    /* published data: the publisher's "request" */
	{ MSG_PP, "pp", false, BLD_OP_RESPONSE },   /* answers a 'Pr' */
	{ MSG_PR, "pr", false, BLD_OP_REQUEST },
	{ MSG_PE, "pe", false, BLD_OP_RESPONSE },
	{ MSG_MN, "mn", true, BLD_OP_REQUEST },
	{ MSG_MR, "mr", true, BLD_OP_REQUEST },
	{ MSG_MP, "mp", true, BLD_OP_RESPONSE },
	{ MSG_MQ, "mq", true, BLD_OP_RESPONSE },
	{ MSG_MC, "mc", true, BLD_OP_RESPONSE },    /* answers the 'Mq' that asked for it */
	{ MSG_ME, "me", true, BLD_OP_RESPONSE },
};

static const struct msg_info *msg_find(uint32_t code)
{
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		if (msgs[i].code == code)
			return &msgs[i];
	return NULL;
}

/* Pad bytes after a dataset of n bytes up to the next multiple of 4. */
static uint32_t pad4(uint32_t n)
{
	return (4u - (n & 3u)) & 3u;
}

struct hdr {
	uint32_t seq, comid, etb_topo, op_topo, dataset;
	uint16_t version, type;
	uint32_t reserved, reply_comid, reply_ip;          /* PD */
	int32_t reply_status;                              /* MD */
	uint32_t reply_timeout;
	const uint8_t *session, *src_uri, *dst_uri;
	bool fcs_ok;
	const struct msg_info *msg;
};

/* Read a whole header of hlen bytes (PD_HEADER or MD_HEADER) and check its FCS. */
/* The fields PD and MD headers share (their first 24 bytes), h zeroed first. */
static void read_common(struct bld_cur *c, struct hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->seq = bld_cur_be32(c);
	h->version = bld_cur_be16(c);
	h->type = bld_cur_be16(c);
	h->comid = bld_cur_be32(c);
	h->etb_topo = bld_cur_be32(c);
	h->op_topo = bld_cur_be32(c);
	h->dataset = bld_cur_be32(c);
}

static void read_header(const uint8_t *p, uint32_t hlen, struct hdr *h)
{
	struct bld_cur c = bld_cur_make(p, hlen);
	read_common(&c, h);
	if (hlen == PD_HEADER) {
		h->reserved = bld_cur_be32(&c);
		h->reply_comid = bld_cur_be32(&c);
		h->reply_ip = bld_cur_be32(&c);
	} else {
		h->reply_status = (int32_t)bld_cur_be32(&c);
		h->session = bld_cur_bytes(&c, SESSION_LEN);
		h->reply_timeout = bld_cur_be32(&c);
		h->src_uri = bld_cur_bytes(&c, URI_LEN);
		h->dst_uri = bld_cur_bytes(&c, URI_LEN);
	}
	uint32_t fcs = bld_cur_le32(&c);   /* §3.4: MAKE_LE(), the one little-endian field */
	h->fcs_ok = !c.err && fcs == bld_crc32_ieee(p, hlen - 4);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/*
	 * A fuzzing build (as dnp3.c's) also takes an FCS of 0 as right, so
	 * that mutated counters, comIds and sessions reach the state they
	 * drive; any other wrong FCS still takes the trdp.bad_fcs path.
	 */
	h->fcs_ok = h->fcs_ok || (!c.err && fcs == 0);
#endif
	h->msg = msg_find(h->type);
}

/* A plausible header at p: version major 1, a defined type, its FCS right (the probe's test). */
static bool header_at(const uint8_t *p, uint32_t len, bool want_md)
{
	uint32_t hlen = want_md ? MD_HEADER : PD_HEADER;
	if (len < hlen)
		return false;
	struct hdr h;
	read_header(p, hlen, &h);
	return h.fcs_ok && (h.version & 0xFF00) == 0x0100 && h.msg && h.msg->md == want_md;
}

static enum bld_probe trdp_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	bld_cur_skip(&c, 4);
	uint16_t version = bld_cur_be16(&c);
	uint16_t type = bld_cur_be16(&c);
	if (c.err || (version & 0xFF00) != 0x0100)
		return BLD_PROBE_NO;
	const struct msg_info *m = msg_find(type);
	if (!m)
		return BLD_PROBE_NO;
	uint32_t hlen = m->md ? MD_HEADER : PD_HEADER;
	if (len < hlen)
		return BLD_PROBE_NEED_MORE;   /* an MD header split over TCP segments */
	bld_cur_skip(&c, 12);
	uint32_t dataset = bld_cur_be32(&c);
	if (!header_at(data, len, m->md) || dataset > (m->md ? MD_MAX_DATASET : PD_MAX_DATASET))
		return BLD_PROBE_NO;
	/* A PD is a whole datagram: its dataset must be there. */
	if (!m->md && PD_HEADER + (uint64_t)dataset > len)
		return BLD_PROBE_NO;
	return BLD_PROBE_MATCH;
}

/* ---- per-flow state ---------------------------------------------------------------------------- */

/* One publisher's 'Pd' or 'Pp' telegram on this flow. */
struct telegram {
	uint64_t last_ns;        /* packet time of the last one */
	uint32_t comid;
	uint32_t seq;            /* the highest sequence counter accepted */
	uint32_t last_seq;       /* the last one seen (differs after a step back) */
	uint32_t etb_topo, op_topo;
	uint8_t pp;              /* 'Pp' (own counter), else 'Pd' */
	uint8_t to_server;       /* the publisher's side */
};

enum pad_mode { PAD_UNKNOWN, PAD_ALIGNED, PAD_NONE };

struct dir_state {
	uint8_t pad_mode;        /* enum pad_mode: how this direction's TCP messages end */
	uint8_t pad_pending;     /* PAD_UNKNOWN: the last message's 1..3 possible padding bytes follow */
};

struct trdp_state {
	struct telegram *tg;     /* n_tg used of cap_tg, allocated as telegrams appear */
	uint8_t n_tg, cap_tg;
	bool tg_capped;          /* trdp.telegram_capacity raised on this flow */
	struct dir_state dir[2]; /* [1]: client -> server */
	struct bld_txn_table txn;
};

static void trdp_state_fini(void *state)
{
	struct trdp_state *st = state;
	free(st->tg);
	st->tg = NULL;
	st->n_tg = st->cap_tg = 0;
	bld_txn_fini(&st->txn);
}

static void trdp_gap(void *state, bool to_server)
{
	struct trdp_state *st = state;
	st->dir[to_server].pad_pending = 0;   /* what follows a gap is not the lost message's padding */
}

/*
 * The telegram (sender side, comId, 'Pd' or 'Pp') or a new one (*fresh).
 * At the cap the least recently seen is replaced: a flow publishing more
 * comIds than that loses their history, once per flow with an event.
 */
static struct telegram *telegram_get(struct bld_parse_ctx *pc, struct trdp_state *st, uint32_t comid, bool pp,
				     bool *fresh)
{
	*fresh = false;
	for (uint32_t i = 0; i < st->n_tg; i++) {
		struct telegram *t = &st->tg[i];
		if (t->comid == comid && t->pp == pp && t->to_server == pc->to_server)
			return t;
	}
	*fresh = true;
	if (st->n_tg == st->cap_tg && st->cap_tg < MAX_TELEGRAMS) {
		uint32_t cap = st->cap_tg ? st->cap_tg * 2u : 4u;
		struct telegram *t = realloc(st->tg, cap * sizeof(*t));
		if (t) {
			st->tg = t;
			st->cap_tg = (uint8_t)cap;
		}
	}
	struct telegram *t;
	if (st->n_tg < st->cap_tg) {
		t = &st->tg[st->n_tg++];
	} else {
		if (!st->n_tg)
			return NULL;   /* not even 4 entries could be allocated */
		t = &st->tg[0];
		for (uint32_t i = 1; i < st->n_tg; i++)
			if (st->tg[i].last_ns < t->last_ns)
				t = &st->tg[i];
		if (!st->tg_capped)
			bld_event(pc, BLD_EVENT_TRDP_TELEGRAM_CAPACITY);
		st->tg_capped = true;
	}
	*t = (struct telegram){ .comid = comid, .pp = pp, .to_server = pc->to_server };
	return t;
}

/*
 * Sequence counter of a publisher's telegram (TCNOpen trdp_pdReceive):
 * each one the previous + 1 (mod 2^32), 0 after a restart.  'Pp' replies
 * go to whoever pulled, so a flow sees only some of them: no gaps for
 * them.  A step back (replay, second sender) does not move the counter
 * followed, so one replayed telegram is one event; a sender that goes on
 * counting from there is followed from its second telegram.
 */
static void check_sequence(struct bld_parse_ctx *pc, struct telegram *t, uint32_t seq, bool gaps)
{
	uint32_t ahead = seq - t->seq;
	bool continues_back = t->last_seq != t->seq && seq == t->last_seq + 1;
	t->last_seq = seq;
	if (ahead == 1 || continues_back) {
		t->seq = seq;
		return;
	}
	if (seq == 0) {
		bld_event(pc, BLD_EVENT_TRDP_SEQUENCE_RESTART);
		t->seq = 0;
	} else if (ahead == 0) {
		bld_event(pc, BLD_EVENT_TRDP_DUPLICATE);
	} else if (ahead < 0x80000000u) {
		if (gaps)
			bld_event(pc, BLD_EVENT_TRDP_SEQUENCE_GAP);
		t->seq = seq;
	} else {
		bld_event(pc, BLD_EVENT_TRDP_SEQUENCE_BACKWARDS);
	}
}

/*
 * Follow a 'Pd' or 'Pp' telegram: its counter, its topology counters and,
 * for 'Pd', the interval since the previous one (added to the op).
 */
static void follow_telegram(struct bld_parse_ctx *pc, struct trdp_state *st, const struct hdr *h)
{
	bool pp = h->type == MSG_PP, fresh;
	struct telegram *t = telegram_get(pc, st, h->comid, pp, &fresh);
	if (!t)
		return;
	if (!fresh) {
		check_sequence(pc, t, h->seq, !pp);
		if (t->etb_topo != h->etb_topo || t->op_topo != h->op_topo)
			bld_event(pc, BLD_EVENT_TRDP_TOPOLOGY_CHANGE);
		if (!pp && pc->ts_ns >= t->last_ns)
			bld_op_uint(pc->op, "interval_us", (pc->ts_ns - t->last_ns) / 1000u);
	} else {
		t->seq = t->last_seq = h->seq;
	}
	t->etb_topo = h->etb_topo;
	t->op_topo = h->op_topo;
	t->last_ns = pc->ts_ns;
}

/* ---- request/response pairing ------------------------------------------------------------------ */

enum pair_stage { PAIR_PULL = 1, PAIR_REPLY = 2, PAIR_CONFIRM = 3 };

/* A txn key: what is answered (a comId, or a session's FNV-1a hash), the stage and the asking side. */
static uint64_t pair_key(enum pair_stage stage, bool asker_to_server, const uint8_t *session, uint32_t comid)
{
	uint64_t h = 0xcbf29ce484222325ull;
	if (session) {
		for (uint32_t i = 0; i < SESSION_LEN; i++)
			h = (h ^ session[i]) * 0x100000001b3ull;
	} else {
		h ^= comid;
	}
	return (h & ~7ull) | (uint64_t)stage << 1 | asker_to_server;
}

static void pair(struct bld_parse_ctx *pc, struct trdp_state *st, const struct hdr *h)
{
	bool me = pc->to_server, peer = !pc->to_server;
	switch (h->type) {
	case MSG_PR:   /* TCNOpen: replyComId 0 asks for the comId itself */
		bld_txn_request(pc, &st->txn, pair_key(PAIR_PULL, me, NULL, h->reply_comid ? h->reply_comid : h->comid), 0);
		break;
	case MSG_PP:
		bld_txn_response(pc, &st->txn, pair_key(PAIR_PULL, peer, NULL, h->comid), NULL);
		break;
	case MSG_MR:
		bld_txn_request(pc, &st->txn, pair_key(PAIR_REPLY, me, h->session, 0), 0);
		break;
	case MSG_MP:
	case MSG_ME:
		bld_txn_response(pc, &st->txn, pair_key(PAIR_REPLY, peer, h->session, 0), NULL);
		break;
	case MSG_MQ:   /* answers the request, and asks the requester for a confirm */
		bld_txn_response(pc, &st->txn, pair_key(PAIR_REPLY, peer, h->session, 0), NULL);
		bld_txn_request(pc, &st->txn, pair_key(PAIR_CONFIRM, me, h->session, 0), 0);
		break;
	case MSG_MC:
		bld_txn_response(pc, &st->txn, pair_key(PAIR_CONFIRM, peer, h->session, 0), NULL);
		break;
	default:
		break;
	}
}

/* ---- checks ------------------------------------------------------------------------------------ */

/* An IPv4 address a pull reply can be sent to: 0 (the requester), unicast or multicast. */
static bool reply_ip_ok(uint32_t ip)
{
	uint8_t a = (uint8_t)(ip >> 24);
	return ip == 0 || (a != 0 && a != 127 && a < 240);
}

/* TRDP_URI_USER_T: text, NUL-padded; a control character or bytes after a NUL hide something. */
static bool uri_ok(const uint8_t *u)
{
	bool ended = false;
	for (uint32_t i = 0; i < URI_LEN; i++) {
		if (u[i] == 0)
			ended = true;
		else if (ended || u[i] < 0x20 || u[i] == 0x7f)
			return false;
	}
	return true;
}

/* The comId, and a pull request's reply comId, must be the site's (protocols.trdp.comids). */
static void check_comid(struct bld_parse_ctx *pc, const struct hdr *h)
{
	const struct bld_trdp_config *cfg = pc->config;
	if (!cfg || !cfg->comids.n)
		return;
	if (!bld_setting_list_has(&cfg->comids, h->comid) ||
	    (h->type == MSG_PR && h->reply_comid && !bld_setting_list_has(&cfg->comids, h->reply_comid)))
		bld_event(pc, BLD_EVENT_TRDP_UNEXPECTED_COMID);
}

/* Header checks of TCNOpen trdp_pdCheck / trdp_mdCheck and the Wireshark dissector's expert infos. */
static void check_header(struct bld_parse_ctx *pc, const struct hdr *h)
{
	if (!h->fcs_ok)
		bld_event(pc, BLD_EVENT_TRDP_BAD_FCS);
	if ((h->version & 0xFF00) != 0x0100)
		bld_event(pc, BLD_EVENT_TRDP_BAD_VERSION);
	if (!pc->datagram && !h->msg->md)
		bld_event(pc, BLD_EVENT_TRDP_BAD_MSG_TYPE);   /* PD is UDP only (§3.1) */
	if (h->dataset > (h->msg->md ? MD_MAX_DATASET : PD_MAX_DATASET))
		bld_event(pc, BLD_EVENT_TRDP_BAD_LENGTH);
	if (h->msg->md) {
		if (!uri_ok(h->src_uri) || !uri_ok(h->dst_uri))
			bld_event(pc, BLD_EVENT_TRDP_BAD_URI);
		if (h->type == MSG_ME || ((h->type == MSG_MP || h->type == MSG_MQ) && h->reply_status < 0))
			bld_event(pc, BLD_EVENT_TRDP_REPLY_ERROR);
	} else {
		if (h->reserved)
			bld_event(pc, BLD_EVENT_TRDP_RESERVED_NOT_ZERO);
		bool bad_reply = h->type == MSG_PR ? !reply_ip_ok(h->reply_ip) : h->reply_comid || h->reply_ip;
		if (bad_reply)
			bld_event(pc, BLD_EVENT_TRDP_BAD_REPLY);
	}
	check_comid(pc, h);
}

/* Padding: the bytes after the dataset are 0 (Wireshark "Padding not filled with zero"). */
static void check_padding(struct bld_parse_ctx *pc, const uint8_t *p, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++)
		if (p[i]) {
			bld_event(pc, BLD_EVENT_TRDP_BAD_PADDING);
			return;
		}
}

/* ---- operation --------------------------------------------------------------------------------- */

/* replyStatus (TCNOpen TRDP_REPLY_STATUS_T, as Wireshark names them). */
static const char *reply_status_name(int32_t s)
{
	static const char *const neg[11] = {
		"ok", "reserved", "session_abort", "no_replier", "no_memory_replier", "no_memory_local",
		"no_reply", "not_all_replies", "no_confirm", "reserved", "sending_failed",
	};
	if (s > 0)
		return "application";
	return s >= -10 ? neg[-s] : "error";
}

static void op_ip(struct bld_op *op, const char *name, uint32_t ip)
{
	char s[16];
	snprintf(s, sizeof(s), "%u.%u.%u.%u", ip >> 24, ip >> 16 & 0xffu, ip >> 8 & 0xffu, ip & 0xffu);
	bld_op_cstr(op, name, s);
}

/* A URI field without its NUL padding (what is inside stays visible: trdp.bad_uri says so). */
static void op_uri(struct bld_op *op, const char *name, const uint8_t *u)
{
	uint32_t n = URI_LEN;
	while (n && u[n - 1] == 0)
		n--;
	bld_op_text(op, name, u, n);
}

/* The sessionId as a UUID, 8-4-4-4-12 hex digits. */
static void op_uuid(struct bld_op *op, const char *name, const uint8_t *u)
{
	char s[37];
	size_t o = 0;
	for (uint32_t i = 0; i < SESSION_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			s[o++] = '-';
		o += (size_t)snprintf(s + o, sizeof(s) - o, "%02x", u[i]);
	}
	bld_op_cstr(op, name, s);
}

/* The fields both headers have, up to datasetLength. */
static void op_common(struct bld_op *op, const struct hdr *h)
{
	char v[8];
	bld_op_uint(op, "msg_type", h->type);
	if (h->msg)
		bld_op_cstr(op, "msg_type_name", h->msg->name);
	bld_op_uint(op, "comid", h->comid);
	bld_op_uint(op, "sequence", h->seq);
	snprintf(v, sizeof(v), "%u.%u", h->version >> 8, h->version & 0xffu);
	bld_op_cstr(op, "version", v);
	bld_op_uint(op, "etb_topo", h->etb_topo);
	bld_op_uint(op, "op_topo", h->op_topo);
	bld_op_uint(op, "dataset_length", h->dataset);
}

static void op_header(struct bld_op *op, const struct hdr *h)
{
	op_common(op, h);
	if (!h->msg->md) {
		bld_op_uint(op, "reply_comid", h->reply_comid);
		op_ip(op, "reply_ip", h->reply_ip);
		if (h->reserved)
			bld_op_uint(op, "reserved", h->reserved);
		return;
	}
	bld_op_int(op, "reply_status", h->reply_status);
	bld_op_cstr(op, "reply_status_name", reply_status_name(h->reply_status));
	op_uuid(op, "session_id", h->session);
	bld_op_uint(op, "reply_timeout_us", h->reply_timeout);
	op_uri(op, "source_uri", h->src_uri);
	op_uri(op, "destination_uri", h->dst_uri);
}

/* ---- parse ------------------------------------------------------------------------------------- */

/*
 * One message of size bytes at p (its header, data and padding; a
 * datagram's data may be cut short): checks, the operation, state.
 */
static void parse_message(struct bld_parse_ctx *pc, struct trdp_state *st, const struct msg_info *m,
			  const uint8_t *p, uint32_t size)
{
	struct hdr h;
	uint32_t hlen = m->md ? MD_HEADER : PD_HEADER;
	read_header(p, hlen, &h);
	uint32_t data_len = h.dataset < size - hlen ? h.dataset : size - hlen;

	check_header(pc, &h);
	if (pc->datagram && data_len < h.dataset)
		bld_event(pc, BLD_EVENT_TRDP_TRUNCATED);
	if (pc->datagram && !h.msg->md && size > PD_MAX_DATAGRAM && h.dataset <= PD_MAX_DATASET)
		bld_event(pc, BLD_EVENT_TRDP_BAD_LENGTH);   /* TCNOpen: larger than TRDP_MAX_PD_PACKET_SIZE */
	check_padding(pc, p, hlen + data_len, size);

	struct bld_op *op = bld_op_begin(pc, h.msg->dir);
	op_header(op, &h);
	/* A header that fails its FCS is shown, but its counters and session are not believed. */
	if (h.fcs_ok) {
		if (h.type == MSG_PD || h.type == MSG_PP)
			follow_telegram(pc, st, &h);
		pair(pc, st, &h);
	}
	bld_op_hex(op, "data", p + hlen, data_len < DATA_PREVIEW ? data_len : DATA_PREVIEW);
	if (!h.fcs_ok)
		bld_op_bool(op, "fcs_error", true);
	bld_op_emit(pc);
}

/*
 * A datagram whose message type TRDP does not define: the datagram still
 * frames it; what both headers share is shown, so the SOC sees what the
 * sender put on a TRDP flow.
 */
static struct bld_parse_result unknown_datagram(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len)
{
	bld_event(pc, BLD_EVENT_TRDP_BAD_MSG_TYPE);
	if (len >= COMMON_HEADER) {
		struct hdr h;
		struct bld_cur c = bld_cur_make(data, len);
		read_common(&c, &h);
		op_common(bld_op_begin(pc, pc->to_server ? BLD_OP_REQUEST : BLD_OP_RESPONSE), &h);
		bld_op_emit(pc);
	}
	return bld_parse_ok(len);
}

/*
 * TCP: TCNOpen 1.x pads each MD message to 4 bytes, newer versions send
 * 116 + datasetLength exactly.  While a direction has not shown which,
 * after a message of unaligned length the next bytes are either the next
 * header or 1..3 zeros and then it: the header whose FCS verifies
 * decides, and the direction keeps the answer.  True when *r is this
 * call's result (the padding consumed, or more bytes needed to decide).
 */
static bool stream_padding(struct dir_state *d, const uint8_t *data, uint32_t len, struct bld_parse_result *r)
{
	uint32_t pad = d->pad_pending;
	if (!pad)
		return false;
	for (uint32_t i = 0; i < pad && i < len; i++)
		if (data[i]) {
			d->pad_pending = 0;   /* not padding: a message starts here */
			return false;
		}
	if (len < MD_HEADER) {
		*r = bld_parse_incomplete(MD_HEADER);
		return true;
	}
	if (header_at(data, len, true)) {
		d->pad_mode = PAD_NONE;
		d->pad_pending = 0;
		return false;
	}
	if (len < pad + MD_HEADER) {
		*r = bld_parse_incomplete(pad + MD_HEADER);
		return true;
	}
	if (header_at(data + pad, len - pad, true))
		d->pad_mode = PAD_ALIGNED;
	d->pad_pending = 0;
	*r = bld_parse_ok(pad);   /* zeros, and no header at 0: the last message's padding */
	return true;
}

static struct bld_parse_result parse_stream(struct bld_parse_ctx *pc, struct trdp_state *st,
					    const struct msg_info *m, const uint8_t *data, uint32_t len)
{
	struct dir_state *d = &st->dir[pc->to_server];
	uint32_t hlen = m->md ? MD_HEADER : PD_HEADER;
	if (len < COMMON_HEADER)
		return bld_parse_incomplete(hlen);
	struct bld_cur c = bld_cur_make(data + 20, 4);
	uint32_t dataset = bld_cur_be32(&c);
	if (dataset > (m->md ? MD_MAX_DATASET : PD_MAX_DATASET)) {
		bld_event(pc, BLD_EVENT_TRDP_BAD_LENGTH);   /* no length to frame the stream by */
		return bld_parse_error(1);
	}
	uint32_t total = hlen + dataset + (d->pad_mode == PAD_ALIGNED ? pad4(dataset) : 0);
	if (len < total)
		return bld_parse_incomplete(total);
	parse_message(pc, st, m, data, total);
	if (d->pad_mode == PAD_UNKNOWN)
		d->pad_pending = (uint8_t)pad4(dataset);
	return bld_parse_ok(total);
}

static struct bld_parse_result trdp_parse(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len)
{
	struct trdp_state *st = pc->state;
	struct bld_parse_result r;
	if (!pc->datagram && stream_padding(&st->dir[pc->to_server], data, len, &r))
		return r;
	if (len < 8) {
		if (pc->datagram)
			bld_event(pc, BLD_EVENT_TRDP_TRUNCATED);
		return bld_parse_incomplete(0);
	}
	const struct msg_info *m = msg_find(data[6] << 8 | data[7]);
	if (!m) {
		if (pc->datagram)
			return unknown_datagram(pc, data, len);
		bld_event(pc, BLD_EVENT_TRDP_BAD_MSG_TYPE);   /* no header size: framing lost */
		return bld_parse_error(1);
	}
	if (!pc->datagram)
		return parse_stream(pc, st, m, data, len);
	if (len < (m->md ? MD_HEADER : PD_HEADER)) {
		bld_event(pc, BLD_EVENT_TRDP_TRUNCATED);
		return bld_parse_incomplete(0);
	}
	parse_message(pc, st, m, data, len);
	return bld_parse_ok(len);
}

/* ---- what policies may constrain (fields.h; docs/policy-protocols.md) ---------------------------- */

static const char *field_msg_name(uint64_t v)
{
	const struct msg_info *m = v <= UINT16_MAX ? msg_find((uint32_t)v) : NULL;
	return m ? m->name : NULL;
}

static const struct bld_field_spec trdp_fields[] = {
	{ .key = "msg_type", .kind = BLD_FIELD_SET, .path = "msg_type", .max = UINT16_MAX, .name = field_msg_name,
	  .doc = "message type: pd, pp, pr, pe (process data), mn, mr, mp, mq, mc, me (message data)" },
	{ .key = "comid", .kind = BLD_FIELD_SET, .path = "comid", .max = UINT32_MAX,
	  .doc = "comId: what the telegram or message carries (the site's data dictionary)" },
	{ .key = "dataset_length", .kind = BLD_FIELD_SET, .path = "dataset_length", .max = MD_MAX_DATASET,
	  .doc = "datasetLength in bytes (a comId's dataset has a fixed size in most configurations)" },
	{ .key = "etb_topo", .kind = BLD_FIELD_SET, .path = "etb_topo", .max = UINT32_MAX,
	  .doc = "train backbone topology counter (0: consist-local traffic)" },
	{ .key = "op_topo", .kind = BLD_FIELD_SET, .path = "op_topo", .max = UINT32_MAX,
	  .doc = "operational train topology counter (0: not checked)" },
	{ .key = "reply_comid", .kind = BLD_FIELD_SET, .path = "reply_comid", .max = UINT32_MAX,
	  .doc = "process data: the comId a 'Pr' pull request asks for (0: its own comId)" },
	{ .key = "reply_ip", .kind = BLD_FIELD_TEXT, .path = "reply_ip",
	  .doc = "process data: where a 'Pr' wants the reply, dotted IPv4 (0.0.0.0: to the requester)" },
	{ .key = "source_uri", .kind = BLD_FIELD_TEXT, .path = "source_uri",
	  .doc = "message data: the sourceURI user part (e.g. a function name)" },
	{ .key = "destination_uri", .kind = BLD_FIELD_TEXT, .path = "destination_uri",
	  .doc = "message data: the destinationURI user part" },
};

/* ---- site settings (settings.h) ---------------------------------------------------------------- */

static const struct bld_setting_spec trdp_settings[] = {
	{ .key = "comids", .kind = BLD_SETTING_UINT_LIST, .offset = offsetof(struct bld_trdp_config, comids),
	  .min = 0, .max = UINT32_MAX,
	  .doc = "the comIds the site's TRDP devices use (numbers and ranges); another raises trdp.unexpected_comid" },
};

static const struct bld_trdp_config trdp_config_default = { .comids = { .n = 0 } };

const struct bld_dissector bld_dsc_trdp = {
	.name = "trdp",
	.description = "TRDP train real-time data (IEC 61375-2-3)",
	.transports = BLD_TRANSPORT_UDP | BLD_TRANSPORT_TCP,
	.ports = { 17224, 17225 },
	.probe = trdp_probe,
	.parse = trdp_parse,
	.state_size = sizeof(struct trdp_state),
	.state_fini = trdp_state_fini,
	.gap = trdp_gap,
	.fields = trdp_fields,
	.n_fields = sizeof(trdp_fields) / sizeof(trdp_fields[0]),
	.settings = trdp_settings,
	.n_settings = sizeof(trdp_settings) / sizeof(trdp_settings[0]),
	.config_size = sizeof(struct bld_trdp_config),
	.config_default = &trdp_config_default,
};
