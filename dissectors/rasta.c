/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RaSTA, the rail safe transport of DIN VDE V 0831-200 (EULYNX), over UDP;
 * no standard port, so detection is by content only.  All integers
 * little-endian (shared/reference/rail-protocols.md §1):
 *
 *   RedL (redundancy layer, §1.2)
 *     length      2   the whole RedL PDU, 36..1109
 *     reserve     2   0
 *     sequence    4   RedL SN of the redundancy channel
 *     SafRetL PDU n
 *     check code  0/2/4  option A (none), B/C (CRC-32), D/E (CRC-16) over [0, length - width),
 *                 stored little-endian; configured per network, not signalled
 *   SafRetL (safety and retransmission layer, §1.3)
 *     length      2   the whole SafRetL PDU, 28..1101
 *     type        2   6200 ConnReq, 6201 ConnResp, 6212 RetrReq, 6213 RetrResp, 6216 DiscReq,
 *                     6220 HB, 6240 Data, 6241 RetrData (6250..6252: librasta key exchange)
 *     receiver    4   (before the sender)
 *     sender      4
 *     SN, CS      4+4 sequence number, confirmed sequence number
 *     TS, CTS     4+4 timestamp (ms), confirmed timestamp
 *     data        n   ConnReq/Resp: version 4 ASCII digits, N_SENDMAX 2, reserve 8
 *                     DiscReq: detail 2, reason 2
 *                     Data/RetrData: [length 2][message] ..., each message an EULYNX SCI telegram (sci.c)
 *     safety code 0/8/16  none, the lower half or all of MD4 over [0, length - k), with the network's
 *                         initial values (md4.c)
 *
 * One operation per RaSTA PDU.  The state per flow (one UDP socket pair, one
 * transport channel of a redundancy channel; the copy on the second channel
 * is another flow with its own state) follows the connection ConnReq ->
 * ConnResp -> HB/Data ... -> DiscReq, the sequence numbers, confirmations,
 * timestamps and ids of each direction, retransmissions and the gap between
 * PDUs.  Only PDUs whose check code, safety code and length hold teach the
 * state: a receiver discards the others, and so a forgery with a wrong code
 * cannot push the state off the real stream.
 */
#include <stddef.h>
#include <string.h>

#include "crc.h"
#include "cursor.h"
#include "fields.h"
#include "md4.h"
#include "op.h"
#include "rasta.h"
#include "registry.h"
#include "sci.h"

#define RED_HEADER 8
#define SAF_HEADER 28
#define RED_MIN 36               /* 8 + 28 (SBB radef_rasta_definitions.h) */
#define RED_MAX 1109             /* 8 + 1101 + 4 */
#define SAF_MAX 1101             /* 28 + 2 + 1055 + 16 */
#define CONN_DATA 14             /* version 4, N_SENDMAX 2, reserve 8 */
#define MAX_MESSAGES 16          /* application messages listed per op (hard cap) */
#define DATA_HEX_MAX 64          /* bytes of a non-SCI message shown (hard cap) */
#define DIGESTS 4                /* recent PDUs per direction remembered to tell a copy */
#define HALF 0x80000000u         /* sequence numbers and timestamps compare modulo 2^32 */

enum type {
	T_CONN_REQ = 6200, T_CONN_RESP = 6201, T_RETR_REQ = 6212, T_RETR_RESP = 6213, T_DISC_REQ = 6216,
	T_HB = 6220, T_DATA = 6240, T_RETR_DATA = 6241, T_KEX_REQ = 6250, T_KEX_RESP = 6251, T_KEX_AUTH = 6252,
};

/* §1.4: name and SafRetL length without safety code; Data types give their minimum. */
static const struct type_info {
	uint16_t type;
	const char *name;
	uint8_t base;
	bool data;                   /* [length][message] list: base is a minimum */
	bool standard;
} types[] = {
	{ T_CONN_REQ, "conn_req", 42, false, true },    { T_CONN_RESP, "conn_resp", 42, false, true },
	{ T_RETR_REQ, "retr_req", 28, false, true },    { T_RETR_RESP, "retr_resp", 28, false, true },
	{ T_DISC_REQ, "disc_req", 32, false, true },    { T_HB, "heartbeat", 28, false, true },
	{ T_DATA, "data", 30, true, true },             { T_RETR_DATA, "retr_data", 30, true, true },
	/* librasta's key exchange (ENABLE_OPAQUE): lengths not known, flagged as non-standard */
	{ T_KEX_REQ, "kex_request", 0, false, false },  { T_KEX_RESP, "kex_response", 0, false, false },
	{ T_KEX_AUTH, "kex_auth", 0, false, false },
};

/* §1.6: DiscReq reasons. */
static const char *const reason_names[] = {
	"user_request", "not_in_use", "unexpected_type", "sequence_error", "timeout", "service_not_allowed",
	"version_error", "retransmission_failed", "protocol_sequence_error",
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct type_info *type_info(uint16_t type)
{
	for (unsigned i = 0; i < N_ELEMS(types); i++)
		if (types[i].type == type)
			return &types[i];
	return NULL;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- settings ----------------------------------------------------------------------------------- */

static const struct bld_rasta_config rasta_default = {
	.check_code = BLD_RASTA_CC_AUTO,
	.safety_code = BLD_RASTA_SC_AUTO,
	.sci_byte_order = BLD_RASTA_BO_AUTO,
	.md4_a = 0x67452301u, .md4_b = 0xefcdab89u, .md4_c = 0x98badcfeu, .md4_d = 0x10325476u,
	.n_sendmax_max = 20,                 /* librasta and SBB default, SBB's maximum */
	.t_max_ns = 1800ull * 1000000,       /* librasta's default T_MAX */
};

static const char *const cc_setting_names[] = { "auto", "none", "A", "B", "C", "D", "E", NULL };
static const char *const sc_setting_names[] = { "auto", "none", "lower_md4", "full_md4", NULL };
static const char *const bo_setting_names[] = { "auto", "little", "big", NULL };

#define CFG(f) offsetof(struct bld_rasta_config, f)
static const struct bld_setting_spec rasta_settings[] = {
	{ .key = "check_code", .kind = BLD_SETTING_ENUM, .offset = CFG(check_code), .names = cc_setting_names,
	  .doc = "RedL check code option A-E (none = A); auto: detected per flow by trying B-E" },
	{ .key = "safety_code", .kind = BLD_SETTING_ENUM, .offset = CFG(safety_code), .names = sc_setting_names,
	  .doc = "SafRetL safety code: none, lower_md4 (8 bytes), full_md4 (16); auto: from the lengths" },
	{ .key = "md4_a", .kind = BLD_SETTING_HEX32, .offset = CFG(md4_a), .doc = "MD4 initial value A" },
	{ .key = "md4_b", .kind = BLD_SETTING_HEX32, .offset = CFG(md4_b), .doc = "MD4 initial value B" },
	{ .key = "md4_c", .kind = BLD_SETTING_HEX32, .offset = CFG(md4_c), .doc = "MD4 initial value C" },
	{ .key = "md4_d", .kind = BLD_SETTING_HEX32, .offset = CFG(md4_d), .doc = "MD4 initial value D" },
	{ .key = "sci_byte_order", .kind = BLD_SETTING_ENUM, .offset = CFG(sci_byte_order),
	  .names = bo_setting_names, .doc = "byte order of SCI message types; auto: per flow, the known codes" },
	{ .key = "t_max", .kind = BLD_SETTING_DURATION, .offset = CFG(t_max_ns), .min = 1000000ull,
	  .max = 3600ull * 1000000000, .doc = "longest gap between PDUs of one direction (T_max, default 1800ms)" },
	{ .key = "n_sendmax_max", .kind = BLD_SETTING_UINT, .offset = CFG(n_sendmax_max), .min = 1,
	  .max = UINT16_MAX, .doc = "largest N_SENDMAX a ConnReq/ConnResp may announce (default 20)" },
};
#undef CFG

/* ---- state -------------------------------------------------------------------------------------- */

/* Check code options: the op shows the letter. */
enum cc { CC_UNKNOWN, CC_A, CC_B, CC_C, CC_D, CC_E };
static const char *const cc_letter[] = { "", "A", "B", "C", "D", "E" };

/* The connection as both directions show it. */
enum conn { C_NONE, C_REQUESTED, C_OPEN, C_CLOSED };

struct dir_state {
	bool has_sn, has_red, has_ts, has_cs, has_cts, has_ids, has_time, sent_conn_req;
	bool retr_requested;         /* sent a RetrReq the peer has not answered */
	bool retransmitting;         /* sent a RetrResp: RetrData may follow */
	uint32_t next_sn, next_red, last_ts, last_cs, last_cts;
	uint32_t sender, receiver;
	uint32_t conn_req_sn, conn_req_ts;
	uint64_t last_ns;            /* time of the previous PDU this way */
	uint32_t digest[DIGESTS];    /* CRC-32 of recent PDUs */
	uint8_t n_digest, next_digest;
};

struct rasta_state {
	struct dir_state dir[2];     /* [1]: client -> server */
	uint8_t conn;                /* enum conn */
	bool initiator_known, initiator_to_server;
	uint8_t cc;                  /* check code option detected on this flow (auto) */
	int8_t k;                    /* safety code length detected on this flow, when k_known */
	bool k_known;
	struct bld_sci_flow sci;
};

/* What one PDU says, read once. */
struct pdu {
	const uint8_t *p;            /* the RedL PDU */
	uint32_t len;
	const uint8_t *saf;          /* the SafRetL PDU */
	uint32_t saf_len, cc_width;
	uint16_t type;
	const struct type_info *ti;
	uint32_t red_sn, receiver, sender, sn, cs, ts, cts;
	uint8_t cc;                  /* option the check code was verified with, CC_UNKNOWN */
	bool cc_valid;
	int k;                       /* safety code length, -1 unknown */
	bool sc_valid, len_ok, duplicate;
	uint32_t digest;
};

/* ---- probe -------------------------------------------------------------------------------------- */

/* Whether the area n bytes long is exactly [length][message]... with at least one message. */
static bool data_list_exact(const uint8_t *a, uint32_t n, unsigned *count)
{
	unsigned c = 0;
	while (n >= 2) {
		uint32_t m = le16(a);
		if (m > n - 2)
			return false;
		a += 2 + m;
		n -= 2 + m;
		c++;
	}
	if (count)
		*count = c;
	return n == 0 && c > 0;
}

/* Whether a SafRetL PDU of type ti and length saf_len fits a safety code of k bytes. */
static bool fits(const struct type_info *ti, const uint8_t *saf, uint32_t saf_len, int k)
{
	if (!ti || !ti->base)
		return false;
	if (!ti->data)
		return saf_len == ti->base + (uint32_t)k;
	return saf_len >= ti->base + (uint32_t)k &&
	       data_list_exact(saf + SAF_HEADER, saf_len - SAF_HEADER - (uint32_t)k, NULL);
}

/* ConnReq/ConnResp: the version is 4 ASCII digits (§1.4). */
static bool version_ok(const uint8_t *v)
{
	for (int i = 0; i < 4; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

/*
 * A RedL PDU filling the datagram, reserve 0, a SafRetL length leaving a 0,
 * 2 or 4 byte check code, a standard type whose length fits a 0, 8 or 16
 * byte safety code exactly (Data: its message list ends exactly), and a
 * ConnReq/ConnResp version of 4 digits: nested lengths and the type table
 * leave little room for accidents.
 */
static enum bld_probe rasta_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	uint16_t red_len = bld_cur_le16(&c);
	uint16_t reserve = bld_cur_le16(&c);
	bld_cur_skip(&c, 4);
	uint16_t saf_len = bld_cur_le16(&c);
	uint16_t type = bld_cur_le16(&c);
	if (c.err || red_len != len || reserve != 0 || red_len < RED_MIN || red_len > RED_MAX)
		return BLD_PROBE_NO;
	if (saf_len < SAF_HEADER || saf_len > red_len - RED_HEADER)
		return BLD_PROBE_NO;
	uint32_t check = red_len - RED_HEADER - saf_len;
	if (check != 0 && check != 2 && check != 4)
		return BLD_PROBE_NO;
	const struct type_info *ti = type_info(type);
	if (!ti || !ti->standard)
		return BLD_PROBE_NO;
	const uint8_t *saf = data + RED_HEADER;
	for (int k = 0; k <= 16; k += 8)
		if (fits(ti, saf, saf_len, k))   /* a ConnReq/ConnResp that fits holds its 14 data bytes */
			return (type != T_CONN_REQ && type != T_CONN_RESP) || version_ok(saf + SAF_HEADER)
				       ? BLD_PROBE_MATCH
				       : BLD_PROBE_NO;
	return BLD_PROBE_NO;
}

/* ---- check code (RedL) -------------------------------------------------------------------------- */

static uint32_t cc_width(uint8_t opt)
{
	return opt == CC_B || opt == CC_C ? 4 : opt == CC_D || opt == CC_E ? 2 : 0;
}

/* Whether the PDU's check code is option opt's over [0, len - width), stored little-endian (§1.2). */
static bool cc_holds(const struct pdu *u, uint8_t opt)
{
	uint32_t w = cc_width(opt);
	if (opt == CC_UNKNOWN || w != u->cc_width)
		return false;
	uint32_t n = u->len - w;
	const uint8_t *s = u->p + n;
	switch (opt) {
	case CC_B:
		return bld_crc32_rasta_b(u->p, n) == le32(s);
	case CC_C:
		return bld_crc32c(u->p, n) == le32(s);
	case CC_D:
		return bld_crc16_kermit(u->p, n) == le16(s);
	case CC_E:
		return bld_crc16_arc(u->p, n) == le16(s);
	default:
		return true;   /* A: nothing to check */
	}
}

/* The option whose width the PDU has and whose code holds (§1.2: try B-E), or CC_UNKNOWN. */
static uint8_t cc_detect(const struct pdu *u)
{
	for (uint8_t opt = CC_A; opt <= CC_E; opt++)
		if (cc_holds(u, opt))
			return opt;
	return CC_UNKNOWN;
}

static void check_code(struct bld_parse_ctx *pc, struct rasta_state *st, const struct bld_rasta_config *cfg,
		       struct pdu *u)
{
	if (cfg->check_code != BLD_RASTA_CC_AUTO) {
		/* Configured: none and A are the same (setting order auto, none, A, B...). */
		u->cc = cfg->check_code == BLD_RASTA_CC_NONE ? CC_A : (uint8_t)(cfg->check_code - 1);
		u->cc_valid = cc_holds(u, u->cc);
	} else if (st->cc != CC_UNKNOWN && cc_width(st->cc) == u->cc_width) {
		u->cc = st->cc;
		u->cc_valid = cc_holds(u, u->cc);
	} else {
		/*
		 * Not settled yet: the option that holds becomes the flow's.  Or
		 * this PDU's width contradicts the flow's option: an event, and
		 * the option that would hold is shown.
		 */
		u->cc = cc_detect(u);
		u->cc_valid = u->cc != CC_UNKNOWN && st->cc == CC_UNKNOWN;
		if (u->cc_valid)
			st->cc = u->cc;
	}
	if (!u->cc_valid)
		bld_event(pc, BLD_EVENT_RASTA_BAD_CHECK_CODE);
}

/* ---- safety code (SafRetL) ---------------------------------------------------------------------- */

static bool md4_holds(const struct bld_rasta_config *cfg, const struct pdu *u, int k)
{
	uint32_t iv[4] = { cfg->md4_a, cfg->md4_b, cfg->md4_c, cfg->md4_d };
	uint8_t d[BLD_MD4_DIGEST];
	uint32_t n = u->saf_len - (uint32_t)k;
	bld_md4(u->saf, n, iv, d);
	return memcmp(d, u->saf + n, (size_t)k) == 0;
}

/*
 * The safety code's length: the configured one, or (auto) the one the
 * PDU's type and length allow.  Data may fit several (its list could end
 * at more than one place): the flow's known length, else the one whose MD4
 * holds, else 8 (librasta's default).  A length the MD4 confirms, or the
 * only one a fixed-length type allows, becomes the flow's.
 */
static int safety_length(struct rasta_state *st, const struct bld_rasta_config *cfg, struct pdu *u, bool *verified)
{
	static const int ks[3] = { 8, 16, 0 };
	*verified = false;
	if (cfg->safety_code != BLD_RASTA_SC_AUTO)
		return cfg->safety_code == BLD_RASTA_SC_LOWER_MD4 ? 8 : cfg->safety_code == BLD_RASTA_SC_FULL_MD4 ? 16 : 0;
	int cand[3], n = 0;
	for (int i = 0; i < 3; i++)
		if (fits(u->ti, u->saf, u->saf_len, ks[i]))
			cand[n++] = ks[i];
	if (n == 0)   /* a length no safety code explains, or a type of unknown length: the flow's */
		return st->k_known && u->saf_len >= SAF_HEADER + (uint32_t)st->k ? st->k : -1;
	for (int i = 0; i < n; i++)
		if (st->k_known && cand[i] == st->k)
			return st->k;
	for (int i = 0; i < n; i++)
		if (cand[i] && md4_holds(cfg, u, cand[i])) {
			*verified = true;
			if (!st->k_known) {   /* a length other than the flow's stays a length error */
				st->k = (int8_t)cand[i];
				st->k_known = true;
			}
			return cand[i];
		}
	if (n == 1 && cand[0] == 0 && !u->ti->data && !st->k_known) {
		st->k = 0;
		st->k_known = true;
	}
	return cand[0];
}

static void safety_code(struct bld_parse_ctx *pc, struct rasta_state *st, const struct bld_rasta_config *cfg,
			struct pdu *u)
{
	bool verified;
	u->k = safety_length(st, cfg, u, &verified);
	/* The type's exact length with this safety code (Data: its list fills the area). */
	u->len_ok = u->k >= 0 && fits(u->ti, u->saf, u->saf_len, u->k) &&
		    !(cfg->safety_code == BLD_RASTA_SC_AUTO && st->k_known && st->k != u->k);
	if (u->ti && u->ti->base && !u->len_ok)
		bld_event(pc, BLD_EVENT_RASTA_BAD_TYPE_LENGTH);
	if (u->k <= 0 || u->saf_len < SAF_HEADER + (uint32_t)u->k) {
		u->sc_valid = u->k == 0;
		return;
	}
	u->sc_valid = verified || md4_holds(cfg, u, u->k);
	if (!u->sc_valid)
		bld_event(pc, BLD_EVENT_RASTA_BAD_SAFETY_CODE);
}

/* ---- connection state ----------------------------------------------------------------------------- */

/* a is ahead of b, modulo 2^32 (within half the space). */
static bool ahead(uint32_t a, uint32_t b)
{
	return a != b && a - b < HALF;
}

/* A new connection: what the previous one taught about sequence and confirmation goes. */
static void reset_sequences(struct rasta_state *st)
{
	for (int d = 0; d < 2; d++) {
		struct dir_state *s = &st->dir[d];
		s->has_sn = s->has_red = s->has_ts = s->has_cs = s->has_cts = s->has_ids = false;
		s->sent_conn_req = s->retr_requested = s->retransmitting = false;
	}
}

/*
 * The connection's states (§1.7): ConnReq -> ConnResp from the other side ->
 * HB/Data/retransmission ... -> DiscReq.  A flow whose first PDU is not a
 * ConnReq joined a running connection: it is taken as open.
 */
static void transition(struct bld_parse_ctx *pc, struct rasta_state *st, const struct pdu *u)
{
	struct dir_state *me = &st->dir[pc->to_server], *peer = &st->dir[!pc->to_server];
	bool bad = false;
	if (st->conn == C_NONE && u->type != T_CONN_REQ) {
		bld_event(pc, BLD_EVENT_RASTA_MID_CONNECTION);
		st->conn = C_OPEN;
		if (u->type == T_CONN_RESP) {
			st->initiator_known = true;
			st->initiator_to_server = !pc->to_server;
		}
		return;
	}
	switch (u->type) {
	case T_CONN_REQ:
		st->conn = C_REQUESTED;
		st->initiator_known = true;
		st->initiator_to_server = pc->to_server;
		return;
	case T_CONN_RESP:
		bad = st->conn != C_REQUESTED || st->initiator_to_server == pc->to_server;
		if (!bad)
			st->conn = C_OPEN;
		break;
	case T_DISC_REQ:
		st->conn = C_CLOSED;
		return;
	default:
		if (st->conn != C_OPEN) {   /* before ConnResp, or after DiscReq */
			bad = true;
			break;
		}
		if (u->type == T_RETR_REQ) {
			me->retr_requested = true;
		} else if (u->type == T_RETR_RESP) {
			bad = !peer->retr_requested;
			peer->retr_requested = false;
			me->retransmitting = true;
		} else if (u->type == T_RETR_DATA) {
			bad = !me->retransmitting;
		} else if (u->type == T_HB || u->type == T_DATA) {
			me->retransmitting = false;
		}
		break;
	}
	if (bad)
		bld_event(pc, BLD_EVENT_RASTA_UNEXPECTED_TYPE);
}

/* Sender and receiver: the same in a direction, mirrored between the two. */
static void check_ids(struct bld_parse_ctx *pc, struct dir_state *me, const struct dir_state *peer,
		      const struct pdu *u)
{
	if (me->has_ids) {
		if (u->sender != me->sender || u->receiver != me->receiver)
			bld_event(pc, BLD_EVENT_RASTA_ID_MISMATCH);
		return;
	}
	if (peer->has_ids && (u->sender != peer->receiver || u->receiver != peer->sender)) {
		bld_event(pc, BLD_EVENT_RASTA_ID_MISMATCH);
		return;   /* learn nothing from a PDU that contradicts the connection */
	}
	me->sender = u->sender;
	me->receiver = u->receiver;
	me->has_ids = true;
}

/*
 * SN: each PDU of a direction carries the previous one's + 1 (a connection
 * starts from a random SN in ConnReq / ConnResp; retransmitted data gets new
 * numbers, librasta sr_retransmit_data).  The RedL SN likewise, per flow;
 * its event only when the SafRetL SN was right, one event per anomaly.
 */
static void check_sequence(struct bld_parse_ctx *pc, struct dir_state *me, const struct pdu *u)
{
	bool start = u->type == T_CONN_REQ || u->type == T_CONN_RESP;
	bool sn_bad = false;
	if (me->has_sn && !start && u->sn != me->next_sn) {
		sn_bad = true;
		bld_event(pc, u->sn == me->next_sn - 1 ? BLD_EVENT_RASTA_SN_REUSED : BLD_EVENT_RASTA_SEQUENCE_ERROR);
	}
	me->next_sn = u->sn + 1;
	me->has_sn = true;
	if (me->has_red && !start && !sn_bad && u->red_sn != me->next_red)
		bld_event(pc, BLD_EVENT_RASTA_RED_SEQUENCE_ERROR);
	me->next_red = u->red_sn + 1;
	me->has_red = true;
	if (me->has_ts && !start && ahead(me->last_ts, u->ts))
		bld_event(pc, BLD_EVENT_RASTA_TIMESTAMP_ERROR);
	me->last_ts = u->ts;
	me->has_ts = true;
}

/*
 * CS and CTS (§1.4, §1.7): 0 in a ConnReq; the ConnReq's SN and TS in the
 * ConnResp; after that, what the peer sent and no further back than this
 * side confirmed before.
 */
static void check_confirm(struct bld_parse_ctx *pc, struct dir_state *me, const struct dir_state *peer,
			  const struct pdu *u)
{
	bool bad = false;
	if (u->type == T_CONN_REQ) {
		bad = u->cs != 0 || u->cts != 0;
	} else if (u->type == T_CONN_RESP) {
		bad = peer->sent_conn_req && (u->cs != peer->conn_req_sn || u->cts != peer->conn_req_ts);
	} else {
		bad = (peer->has_sn && ahead(u->cs, peer->next_sn - 1)) || (me->has_cs && ahead(me->last_cs, u->cs)) ||
		      (peer->has_ts && ahead(u->cts, peer->last_ts)) || (me->has_cts && ahead(me->last_cts, u->cts));
	}
	if (bad)
		bld_event(pc, BLD_EVENT_RASTA_CONFIRM_ERROR);
	me->last_cs = u->cs;
	me->last_cts = u->cts;
	me->has_cs = me->has_cts = true;
}

static bool seen_before(const struct dir_state *me, uint32_t digest)
{
	for (unsigned i = 0; i < me->n_digest; i++)
		if (me->digest[i] == digest)
			return true;
	return false;
}

static void remember(struct dir_state *me, uint32_t digest)
{
	me->digest[me->next_digest] = digest;
	me->next_digest = (uint8_t)((me->next_digest + 1u) % DIGESTS);
	if (me->n_digest < DIGESTS)
		me->n_digest++;
}

/*
 * The stateful checks of a PDU whose codes and length hold.  A byte copy of
 * a recent PDU on the same flow (the second transport channel is another
 * flow) is a replay or a doubled capture: reported, and it teaches nothing.
 */
static void track(struct bld_parse_ctx *pc, struct rasta_state *st, struct pdu *u)
{
	struct dir_state *me = &st->dir[pc->to_server], *peer = &st->dir[!pc->to_server];
	u->digest = bld_crc32_ieee(u->p, u->len);
	if (seen_before(me, u->digest)) {
		u->duplicate = true;
		bld_event(pc, BLD_EVENT_RASTA_DUPLICATE);
		return;
	}
	remember(me, u->digest);
	if (u->type == T_CONN_REQ)
		reset_sequences(st);
	transition(pc, st, u);
	check_ids(pc, me, peer, u);
	check_sequence(pc, me, u);
	check_confirm(pc, me, peer, u);
	if (u->type == T_CONN_REQ) {
		me->sent_conn_req = true;
		me->conn_req_sn = u->sn;
		me->conn_req_ts = u->ts;
	}
}

/* Heartbeats missing: the gap since the previous PDU this way, on an open connection. */
static void check_gap(struct bld_parse_ctx *pc, struct rasta_state *st, const struct bld_rasta_config *cfg,
		      const struct pdu *u)
{
	struct dir_state *me = &st->dir[pc->to_server];
	if (me->has_time && st->conn == C_OPEN && u->type != T_CONN_REQ && pc->ts_ns > me->last_ns &&
	    pc->ts_ns - me->last_ns > cfg->t_max_ns)
		bld_event(pc, BLD_EVENT_RASTA_HEARTBEAT_TIMEOUT);
	me->last_ns = pc->ts_ns;
	me->has_time = true;
}

/* ---- operation ---------------------------------------------------------------------------------- */

/*
 * RaSTA is peer to peer: ConnReq, RetrReq and DiscReq ask, ConnResp and
 * RetrResp answer; heartbeats and data are requests from the connection's
 * initiator (the interlocking, in EULYNX) and responses from the other
 * side.  Before a ConnReq was seen, the flow's client is taken as initiator.
 */
static enum bld_op_dir op_dir(const struct bld_parse_ctx *pc, const struct rasta_state *st, uint16_t type)
{
	switch (type) {
	case T_CONN_REQ: case T_RETR_REQ: case T_DISC_REQ:
		return BLD_OP_REQUEST;
	case T_CONN_RESP: case T_RETR_RESP:
		return BLD_OP_RESPONSE;
	default:
		break;
	}
	bool initiator = st->initiator_known ? pc->to_server == st->initiator_to_server : pc->to_server;
	return initiator ? BLD_OP_REQUEST : BLD_OP_RESPONSE;
}

static void op_conn(struct bld_parse_ctx *pc, const struct bld_rasta_config *cfg, const uint8_t *d)
{
	struct bld_op *op = pc->op;
	uint16_t n_sendmax = le16(d + 4);
	bld_op_text(op, "version", d, 4);
	bld_op_uint(op, "n_sendmax", n_sendmax);
	if (!version_ok(d))
		bld_event(pc, BLD_EVENT_RASTA_BAD_VERSION);
	if (n_sendmax == 0 || n_sendmax > cfg->n_sendmax_max)
		bld_event(pc, BLD_EVENT_RASTA_BAD_N_SENDMAX);
	for (int i = 6; i < CONN_DATA; i++)
		if (d[i]) {
			bld_event(pc, BLD_EVENT_RASTA_RESERVED_NOT_ZERO);
			break;
		}
}

static void op_disc(struct bld_parse_ctx *pc, const uint8_t *d)
{
	struct bld_op *op = pc->op;
	uint16_t detail = le16(d), reason = le16(d + 2);   /* detail first (§1.4) */
	bld_op_uint(op, "detail", detail);
	bld_op_uint(op, "reason", reason);
	if (reason < N_ELEMS(reason_names))
		bld_op_cstr(op, "reason_name", reason_names[reason]);
	else
		bld_event(pc, BLD_EVENT_RASTA_BAD_DISC_REASON);
	if (reason != 0)
		bld_event(pc, BLD_EVENT_RASTA_DISCONNECT_ERROR);
}

/* The next [length][message] of the area, or false at its end or where it breaks. */
static bool next_message(struct bld_cur *c, const uint8_t **m, uint32_t *mlen)
{
	if (bld_cur_left(c) < 2)
		return false;
	uint32_t n = bld_cur_le16(c);
	*m = bld_cur_bytes(c, n);
	*mlen = n;
	return *m != NULL;
}

/*
 * Data and RetrData: the application messages, SCI telegrams in `sci`, other
 * payloads as hex in `data`; at most MAX_MESSAGES listed, `messages` counts
 * all of them.
 */
static void op_data(struct bld_parse_ctx *pc, struct rasta_state *st, const struct bld_rasta_config *cfg,
		    const uint8_t *area, uint32_t n, bool learn)
{
	struct bld_op *op = pc->op;
	const uint8_t *m;
	uint32_t mlen, count = 0, n_sci = 0;
	bool sci[MAX_MESSAGES];
	/* Classify before decoding: a telegram teaches the flow that it speaks SCI (sci.c). */
	struct bld_cur c = bld_cur_make(area, n);
	while (next_message(&c, &m, &mlen)) {
		if (count < MAX_MESSAGES) {
			sci[count] = bld_sci_is_telegram(&st->sci, m, mlen);
			n_sci += sci[count];
		}
		count++;
	}
	bld_op_uint(op, "messages", count);
	if (count > MAX_MESSAGES)
		bld_event(pc, BLD_EVENT_APP_ITEMS_CAPACITY);
	uint32_t listed = count < MAX_MESSAGES ? count : MAX_MESSAGES;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0 ? n_sci == 0 : n_sci == listed)
			continue;
		bld_op_list(op, pass == 0 ? "sci" : "data");
		c = bld_cur_make(area, n);
		for (uint32_t i = 0; i < listed && next_message(&c, &m, &mlen); i++) {
			if (pass == 0 && sci[i])
				bld_sci_decode(pc, &st->sci, m, mlen, cfg->sci_byte_order, learn);
			else if (pass == 1 && !sci[i])
				bld_op_hex(op, NULL, m, mlen < DATA_HEX_MAX ? mlen : DATA_HEX_MAX);
		}
		bld_op_end(op);
	}
}

static void op_header(struct bld_op *op, const struct pdu *u)
{
	bld_op_uint(op, "type", u->type);
	if (u->ti)
		bld_op_cstr(op, "type_name", u->ti->name);
	bld_op_uint(op, "sender", u->sender);
	bld_op_uint(op, "receiver", u->receiver);
	bld_op_uint(op, "sn", u->sn);
	bld_op_uint(op, "cs", u->cs);
	bld_op_uint(op, "ts", u->ts);
	bld_op_uint(op, "cts", u->cts);
	bld_op_uint(op, "red_sn", u->red_sn);
	bld_op_uint(op, "length", u->len);
	if (u->cc != CC_UNKNOWN)
		bld_op_cstr(op, "check_code", cc_letter[u->cc]);
	if (u->cc != CC_A || !u->cc_valid)   /* option A has nothing to be valid, unless where it is not A */
		bld_op_bool(op, "check_code_valid", u->cc_valid);
	if (u->k >= 0) {
		bld_op_cstr(op, "safety_code", u->k == 16 ? "full_md4" : u->k == 8 ? "lower_md4" : "none");
		if (u->k)
			bld_op_bool(op, "safety_code_valid", u->sc_valid);
	}
	if (u->duplicate)
		bld_op_bool(op, "duplicate", true);
}

/* The type-specific part, where the length allows reading it. */
static void op_body(struct bld_parse_ctx *pc, struct rasta_state *st, const struct bld_rasta_config *cfg,
		    const struct pdu *u, bool learn)
{
	uint32_t k = u->k > 0 ? (uint32_t)u->k : 0;
	if (u->saf_len < SAF_HEADER + k)
		return;
	const uint8_t *d = u->saf + SAF_HEADER;
	uint32_t n = u->saf_len - SAF_HEADER - k;
	if ((u->type == T_CONN_REQ || u->type == T_CONN_RESP) && n >= CONN_DATA)
		op_conn(pc, cfg, d);
	else if (u->type == T_DISC_REQ && n >= 4)
		op_disc(pc, d);
	else if (u->type == T_DATA || u->type == T_RETR_DATA)
		op_data(pc, st, cfg, d, n, learn);
}

/* ---- parse -------------------------------------------------------------------------------------- */

static void parse_pdu(struct bld_parse_ctx *pc, struct rasta_state *st, const struct bld_rasta_config *cfg,
		      const uint8_t *p, uint32_t len)
{
	struct pdu u = { .p = p, .len = len, .k = -1 };
	u.saf = p + RED_HEADER;
	u.saf_len = le16(u.saf);
	if (u.saf_len < SAF_HEADER || u.saf_len > SAF_MAX || u.saf_len > len - RED_HEADER ||
	    (len - RED_HEADER - u.saf_len) % 2 || len - RED_HEADER - u.saf_len > 4) {
		bld_event(pc, BLD_EVENT_RASTA_BAD_LENGTH);   /* the SafRetL PDU is not framed */
		return;
	}
	u.cc_width = len - RED_HEADER - u.saf_len;
	if (le16(p + 2) != 0)
		bld_event(pc, BLD_EVENT_RASTA_RESERVED_NOT_ZERO);
	u.red_sn = le32(p + 4);
	u.type = le16(u.saf + 2);
	u.receiver = le32(u.saf + 4);
	u.sender = le32(u.saf + 8);
	u.sn = le32(u.saf + 12);
	u.cs = le32(u.saf + 16);
	u.ts = le32(u.saf + 20);
	u.cts = le32(u.saf + 24);
	u.ti = type_info(u.type);
	if (!u.ti)
		bld_event(pc, BLD_EVENT_RASTA_UNKNOWN_TYPE);
	else if (!u.ti->standard)
		bld_event(pc, BLD_EVENT_RASTA_NONSTANDARD_TYPE);

	check_code(pc, st, cfg, &u);
	safety_code(pc, st, cfg, &u);
	check_gap(pc, st, cfg, &u);
	bool intact = u.cc_valid && u.sc_valid && u.len_ok && u.ti && u.ti->standard;
	if (intact)
		track(pc, st, &u);

	struct bld_op *op = bld_op_begin(pc, op_dir(pc, st, u.type));
	op_header(op, &u);
	op_body(pc, st, cfg, &u, intact && !u.duplicate);
	bld_op_emit(pc);
}

static struct bld_parse_result rasta_parse(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len)
{
	struct rasta_state *st = pc->state;
	const struct bld_rasta_config *cfg = pc->config ? pc->config : &rasta_default;
	if (len < 2) {
		if (pc->datagram)
			bld_event(pc, BLD_EVENT_RASTA_TRUNCATED);
		return bld_parse_incomplete(0);
	}
	uint32_t red_len = le16(data);
	if (red_len < RED_MIN || red_len > RED_MAX) {
		/* §1.7: no RedL PDU is shorter or longer: the framing is lost. */
		bld_event(pc, BLD_EVENT_RASTA_BAD_LENGTH);
		return bld_parse_error(pc->datagram ? len : 1);
	}
	if (len < red_len) {
		if (pc->datagram)
			bld_event(pc, BLD_EVENT_RASTA_TRUNCATED);
		return bld_parse_incomplete(red_len);
	}
	parse_pdu(pc, st, cfg, data, red_len);
	if (pc->datagram && len > red_len) {
		/* §1.7: the RedL length is the datagram's; bytes after it are no PDU. */
		bld_event(pc, BLD_EVENT_RASTA_BAD_LENGTH);
		return bld_parse_ok(len);
	}
	return bld_parse_ok(red_len);
}

/* ---- what policies may constrain (fields.h; docs/policy-protocols.md) ------------------------------ */

static const char *field_type_name(uint64_t v)
{
	const struct type_info *ti = v <= UINT16_MAX ? type_info((uint16_t)v) : NULL;
	return ti ? ti->name : NULL;
}

static const char *field_reason_name(uint64_t v)
{
	return v < N_ELEMS(reason_names) ? reason_names[v] : NULL;
}

static const struct bld_field_spec rasta_fields[] = {
	{ .key = "type", .kind = BLD_FIELD_SET, .path = "type", .max = UINT16_MAX, .name = field_type_name,
	  .doc = "SafRetL message type, e.g. conn_req (6200), heartbeat (6220), data (6240), disc_req (6216)" },
	{ .key = "sender", .kind = BLD_FIELD_SET, .path = "sender", .max = UINT32_MAX,
	  .doc = "RaSTA sender id (32 bits)" },
	{ .key = "receiver", .kind = BLD_FIELD_SET, .path = "receiver", .max = UINT32_MAX,
	  .doc = "RaSTA receiver id (32 bits)" },
	{ .key = "version", .kind = BLD_FIELD_TEXT, .path = "version",
	  .doc = "protocol version of a ConnReq/ConnResp, 4 digits, e.g. 0303" },
	{ .key = "n_sendmax", .kind = BLD_FIELD_SET, .path = "n_sendmax", .max = UINT16_MAX,
	  .doc = "N_SENDMAX of a ConnReq/ConnResp" },
	{ .key = "reason", .kind = BLD_FIELD_SET, .path = "reason", .max = UINT16_MAX, .name = field_reason_name,
	  .doc = "DiscReq reason, e.g. user_request (0), timeout (4)" },
	{ .key = "sci_protocol", .kind = BLD_FIELD_SET, .path = "sci.protocol", .max = UINT8_MAX,
	  .name = bld_sci_protocol_name, .doc = "SCI protocol type, e.g. sci_p (0x40), sci_ls (0x30), sci_tds (0x20)" },
	{ .key = "sci_message", .kind = BLD_FIELD_TEXT, .path = "sci.message_name",
	  .doc = "SCI message, e.g. move_point, point_position, indicate_signal_aspect, force_clear" },
	{ .key = "sci_message_type", .kind = BLD_FIELD_SET, .path = "sci.message_type", .max = UINT16_MAX,
	  .doc = "SCI message type by number (for types Bollard has no name for)" },
	{ .key = "sci_sender", .kind = BLD_FIELD_TEXT, .path = "sci.sender",
	  .doc = "SCI sender identifier without its '_' padding, e.g. EIL01" },
	{ .key = "sci_receiver", .kind = BLD_FIELD_TEXT, .path = "sci.receiver",
	  .doc = "SCI receiver identifier without its '_' padding, e.g. W101" },
	{ .key = "position", .kind = BLD_FIELD_SET, .path = "sci.position", .max = UINT8_MAX,
	  .name = bld_sci_position_name, .doc = "SCI-P point position: right (1), left (2) (reported also 3, 4)" },
	{ .key = "occupancy", .kind = BLD_FIELD_SET, .path = "sci.occupancy", .max = UINT8_MAX,
	  .name = bld_sci_occupancy_name, .doc = "SCI-TDS TVPS occupancy: vacant (1), occupied (2), ..." },
	{ .key = "force_clear_mode", .kind = BLD_FIELD_SET, .path = "sci.mode", .max = UINT8_MAX,
	  .name = bld_sci_fc_mode_name, .doc = "SCI-TDS force clear mode: fc_u (1), fc_c (2), fc_p_a (3), fc_p (4)" },
	{ .key = "aspect", .kind = BLD_FIELD_SET, .path = "sci.basic_aspect", .max = UINT8_MAX,
	  .doc = "SCI-LS code of the basic signal aspect (nationally defined)" },
	{ .key = "luminosity", .kind = BLD_FIELD_SET, .path = "sci.luminosity", .max = UINT8_MAX,
	  .name = bld_sci_luminosity_name, .doc = "SCI-LS luminosity: day (1), night (2)" },
	{ .key = "pdi_version", .kind = BLD_FIELD_SET, .path = "sci.pdi_version", .max = UINT8_MAX,
	  .doc = "PDI version of an SCI version check" },
};

const struct bld_dissector bld_dsc_rasta = {
	.name = "rasta",
	.description = "RaSTA rail safe transport (DIN VDE V 0831-200) with EULYNX SCI",
	.transports = BLD_TRANSPORT_UDP,
	.ports = { 0 },
	.probe = rasta_probe,
	.parse = rasta_parse,
	.state_size = sizeof(struct rasta_state),
	.fields = rasta_fields,
	.n_fields = N_ELEMS(rasta_fields),
	.settings = rasta_settings,
	.n_settings = N_ELEMS(rasta_settings),
	.config_size = sizeof(struct bld_rasta_config),
	.config_default = &rasta_default,
};
