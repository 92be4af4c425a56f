/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EuroRadio over TCP (UNISIG Subset-037 OBU-RBC, Subset-098 RBC-RBC): ALE
 * packets carrying safety-layer SaPDUs carrying ETCS messages
 * (rail-protocols.md §4).  Big-endian.  One ALE packet per parse call:
 *
 *   ALE header (Subset-098 §6.4.5, the Table 14 vectors)
 *     length      2   the bytes after this field (>= 8)
 *     version     1
 *     app type    1
 *     T-seq       2   0 in AU1 and AU2, then +1 per packet of a direction, modulo 2^16
 *     N/R         1   1 normal link, 0 redundant
 *     type        1   1 AU1, 2 AU2, 3 DT, 4 DI; 6 vendor "DT data or retransmission";
 *                     Class A only: 251 switch N->R, 253 switch R->N, 254 KANA, 255 KAA
 *     checksum    2   CRC-16/CCITT-FALSE of the 8 bytes before it, big-endian
 *   user data
 *     AU1         calling ETCS-ID (type 1, id 3) | called ETCS-ID (4) | class of service (1) | SaPDU
 *     AU2         responding ETCS-ID (4) | SaPDU
 *     DT, DI      SaPDU
 *
 *   SaPDU (Subset-098 §6.2.5, octet 1 bit 8 = MSB)
 *     header      1   ETY (bits 8-6) | MTI (bits 5-2) | DF (bit 1)
 *     AU1  13     SA (3) SaF (1) R_B (8)
 *     AU2  21     SA (3) SaF (1) R_A (8) MAC (8)
 *     AU3   9     MAC (8)                        (ETY 0, DF 0)
 *     AR    9     MAC (8)                        (ETY 0, DF 1)
 *     DT  n+9     user data (n >= 1) MAC (8)     (ETY 0)
 *     DI    3     reason (1) sub-reason (1)      (ETY 0)
 *
 *   ETCS message in a DT (Subset-026 ch. 8, bit-packed, MSB first)
 *     NID_MESSAGE 8, L_MESSAGE 10 (bytes), T_TRAIN 32 (10 ms), then
 *     train-to-track: NID_ENGINE 24; track-to-train: M_ACK 1, NID_LRBG 24
 *
 * The MAC is a 3DES CBC-MAC keyed by session keys derived from a KMAC that
 * only the two ends hold: a passive monitor cannot check it.  What it can
 * check is everything around it: the header CRC, the T-sequence, the exact
 * sizes, the direction flag against the TCP direction (reflection), the
 * set-up order AU1 -> AU2 -> AU3 -> AR -> DT (replays), the identities, and
 * a DT repeating a recent MAC (a replayed SaPDU under a fresh T-sequence).
 *
 * The initiator (DF 0) is the TCP client, the responder (DF 1) the server:
 * ops from the client are requests, from the server responses.
 */
#include <stddef.h>
#include <string.h>

#include "crc.h"
#include "cursor.h"
#include "fields.h"
#include "op.h"
#include "registry.h"

#define ALE_HEADER 10u
#define ALE_LENGTH_MIN 8u        /* the header after its length field */
#define ETCS_ID_SIZE 4u          /* type (1) + identity (3), in ALE user data */
#define AU1_IDS (2 * ETCS_ID_SIZE + 1)   /* calling, called, class of service */
#define MAC_SIZE 8u
#define SAF_DES 0x01u            /* single DES, modified ISO 9797-1 MAC algorithm 3 */
#define MAC_MEMORY 16            /* DT MACs remembered per direction */
#define ETY_MAX 6u               /* 0..6 defined; 7 is not */
#define ETCS_HEADER_BYTES 10u    /* the longest header decoded: 75 bits */
#define ETCS_COMMON_BITS 50u     /* NID_MESSAGE, L_MESSAGE, T_TRAIN */

enum ale_type {
	ALE_AU1 = 1, ALE_AU2 = 2, ALE_DT = 3, ALE_DI = 4, ALE_VENDOR_DT = 6,
	ALE_SWITCH_N2R = 251, ALE_SWITCH_R2N = 253, ALE_KANA = 254, ALE_KAA = 255,
};

enum mti { MTI_AU1 = 1, MTI_AU2 = 2, MTI_AU3 = 3, MTI_DT = 5, MTI_DI = 8, MTI_AR = 9 };

enum ety { ETY_RIU = 0, ETY_RBC = 1, ETY_ENGINE = 2 };

/* Where the safe connection is (Subset-098 §6.2: the authentication handshake). */
enum conn {
	CONN_NONE,               /* nothing seen yet */
	CONN_AU1,                /* AU1 sent, waiting for AU2 */
	CONN_AU2,                /* waiting for AU3 */
	CONN_AU3,                /* waiting for AR */
	CONN_UP,                 /* AR seen (or a capture joined after the set-up): data */
	CONN_DOWN,               /* DI seen */
};

struct etcs_id {
	bool known;
	uint8_t type;            /* ETY (the ALE carries it in a whole octet) */
	uint32_t id;             /* 24 bits */
};

struct dir_state {
	bool has_seq;
	uint16_t next_seq;       /* the T-sequence the next packet must carry */
	uint8_t mac_next, mac_n;
	uint8_t macs[MAC_MEMORY][MAC_SIZE];
};

struct euroradio_state {
	struct dir_state dir[2]; /* [1]: client -> server, the initiator */
	uint8_t conn;            /* enum conn */
	bool vendor_seen;
	struct etcs_id calling, called, responding;
	uint64_t asked_ts;       /* when the AU1 or AU3 the next AU2 or AR answers was sent */
};

/* What the ALE user data before the SaPDU said (AU1, AU2). */
struct ale_ids {
	struct etcs_id calling, called, responding;
	bool has_cos;
	uint8_t cos;
};

static const struct bld_euroradio_config euroradio_config_default = { .dt_content = BLD_EURORADIO_DT_AUTO };

/* ---- names ------------------------------------------------------------------------------------ */

static const char *packet_type_name(uint64_t t)
{
	switch (t) {
	case ALE_AU1: return "au1";
	case ALE_AU2: return "au2";
	case ALE_DT: return "dt";
	case ALE_DI: return "di";
	case ALE_VENDOR_DT: return "dt_vendor";
	case ALE_SWITCH_N2R: return "switch_n2r";
	case ALE_SWITCH_R2N: return "switch_r2n";
	case ALE_KANA: return "kana";
	case ALE_KAA: return "kaa";
	default: return NULL;
	}
}

/* SaPDU message types (MTI, Subset-098 §6.2.5). */
static const char *sapdu_name(uint64_t mti)
{
	switch (mti) {
	case MTI_AU1: return "au1";
	case MTI_AU2: return "au2";
	case MTI_AU3: return "au3";
	case MTI_DT: return "dt";
	case MTI_DI: return "di";
	case MTI_AR: return "ar";
	default: return NULL;
	}
}

/* ETCS-ID types (ETY, Subset-098 §6.2.5); 3 and 4 are reserved there. */
static const char *ety_name(uint64_t ety)
{
	static const char *const names[ETY_MAX + 1] = {
		"riu", "rbc", "engine", "balise", "field_element", "key_management", "interlocking",
	};
	return ety <= ETY_MAX ? names[ety] : NULL;
}

/*
 * DI reasons as an RSSP-II implementation of the Subset-037/098 safety
 * layer raises them (rail-protocols.md §4.3, [SRC1]); the full table of
 * the standard was not available.
 */
static const char *reason_name(uint64_t r)
{
	switch (r) {
	case 3: return "saf_not_supported";
	case 4: return "invalid_mac";
	case 5: return "sequence_error";
	case 6: return "direction_error";
	case 8: return "format_error";
	case 9: return "unexpected_sapdu";
	default: return NULL;
	}
}

/*
 * Subset-026 ch. 8 messages, by NID_MESSAGE: track to train below 128,
 * train to track from 129 (issue 3.3.0 as the openETCS data dictionary
 * formalises it; rail-protocols.md §4.4 lists a subset of them).
 */
static const char *const message_names[256] = {
	[2] = "sr_authorisation",
	[3] = "movement_authority",
	[6] = "exit_from_trip_mode",
	[8] = "ack_of_train_data",
	[9] = "request_to_shorten_ma",
	[15] = "conditional_emergency_stop",
	[16] = "unconditional_emergency_stop",
	[18] = "revocation_of_emergency_stop",
	[24] = "general_message",
	[27] = "sh_refused",
	[28] = "sh_authorised",
	[32] = "system_version",
	[33] = "ma_with_shifted_location_reference",
	[34] = "track_ahead_free_request",
	[37] = "infill_ma",
	[38] = "rbc_initiation_of_session",
	[39] = "ack_of_session_termination",
	[40] = "train_rejected",
	[41] = "train_accepted",
	[43] = "som_position_confirmed",
	[45] = "assignment_of_coordinate_system",
	[129] = "validated_train_data",
	[130] = "request_for_shunting",
	[132] = "ma_request",
	[136] = "position_report",
	[137] = "shorten_ma_granted",
	[138] = "shorten_ma_rejected",
	[146] = "acknowledgement",
	[147] = "ack_of_emergency_stop",
	[149] = "track_ahead_free_granted",
	[150] = "end_of_mission",
	[153] = "radio_infill_request",
	[154] = "no_compatible_version",
	[155] = "initiation_of_session",
	[156] = "termination_of_session",
	[157] = "som_position_report",
	[158] = "text_message_ack",
	[159] = "session_established",
};

static const char *message_name(uint64_t nid)
{
	return nid < 256 ? message_names[nid] : NULL;
}

/* ---- probe ------------------------------------------------------------------------------------ */

/*
 * AU1 AU2 DT DI, the vendor DT 6 (a connection of that vendor resynchronises
 * on it after a gap), Class A switch-over and keep-alive.
 */
static bool ale_type(uint8_t t)
{
	return (t >= ALE_AU1 && t <= ALE_DI) || t == ALE_VENDOR_DT || t >= ALE_SWITCH_N2R;
}

/*
 * The header's CRC decides.  A segment that ends inside the first 10 bytes
 * (a TCP sender may split anywhere) is NEED_MORE as long as what it holds
 * could start a header: a length of at least 8, a known packet type.
 */
static enum bld_probe euroradio_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	if (len == 0)
		return BLD_PROBE_NO;
	struct bld_cur c = bld_cur_make(data, len);
	uint16_t length = bld_cur_be16(&c);
	bld_cur_skip(&c, 5);
	uint8_t type = bld_cur_u8(&c);
	uint16_t crc = bld_cur_be16(&c);
	if (len >= 2 && length < ALE_LENGTH_MIN)
		return BLD_PROBE_NO;
	if (len >= 8 && !ale_type(type))
		return BLD_PROBE_NO;
	if (c.err)
		return BLD_PROBE_NEED_MORE;
	return bld_crc16_ccitt_false(data, 8) == crc ? BLD_PROBE_MATCH : BLD_PROBE_NO;
}

/* ---- helpers ---------------------------------------------------------------------------------- */

static uint32_t cur_be24(struct bld_cur *c)
{
	const uint8_t *q = bld_cur_bytes(c, 3);
	return q ? (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2] : 0;
}

static struct etcs_id read_etcs_id(struct bld_cur *c)
{
	struct etcs_id e;
	e.type = bld_cur_u8(c);
	e.id = cur_be24(c);
	e.known = !c->err;
	return e;
}

static bool same_id(const struct etcs_id *a, const struct etcs_id *b)
{
	return a->type == b->type && a->id == b->id;
}

static void op_etcs_id(struct bld_op *op, const char *type_key, const char *name_key, const char *id_key,
		       const struct etcs_id *e)
{
	if (!e->known)
		return;
	bld_op_uint(op, type_key, e->type);
	const char *n = ety_name(e->type);
	if (n)
		bld_op_cstr(op, name_key, n);
	bld_op_uint(op, id_key, e->id);
}

/* The exact size of an SaPDU of this type, header included; 0: variable (DT). */
static uint32_t sapdu_size(uint8_t mti)
{
	switch (mti) {
	case MTI_AU1: return 13;
	case MTI_AU2: return 21;
	case MTI_AU3: case MTI_AR: return 1 + MAC_SIZE;
	case MTI_DI: return 3;
	default: return 0;
	}
}

/* Which SaPDUs each ALE packet type carries (rail-protocols.md §4.7). */
static bool mti_fits(uint8_t type, uint8_t mti)
{
	switch (type) {
	case ALE_AU1: return mti == MTI_AU1;
	case ALE_AU2: return mti == MTI_AU2;
	case ALE_DT:
	case ALE_VENDOR_DT: return mti == MTI_AU3 || mti == MTI_AR || mti == MTI_DT;
	case ALE_DI: return mti == MTI_DI;
	default: return false;
	}
}

static bool has_sapdu(uint8_t type)
{
	return (type >= ALE_AU1 && type <= ALE_DI) || type == ALE_VENDOR_DT;
}

/* ---- ALE layer -------------------------------------------------------------------------------- */

struct ale_header {
	uint16_t length;
	uint8_t version, app_type, nr, type;
	uint16_t tseq, crc;
};

/*
 * T-sequence (rail-protocols.md §4.2): AU1 and AU2 carry 0 and restart the
 * count of their direction; every other packet the previous one + 1.  After
 * 65535 both 0 and 1 are taken: whether the wrap skips the 0 of AU1/AU2 is
 * not known.  A jump is one event: the count goes on from the new number.
 */
static void check_tseq(struct bld_parse_ctx *pc, struct euroradio_state *st, const struct ale_header *h)
{
	struct dir_state *d = &st->dir[pc->to_server];
	if (h->type == ALE_AU1 || h->type == ALE_AU2) {
		if (h->tseq != 0)
			bld_event(pc, BLD_EVENT_EURORADIO_TSEQ_ERROR);
	} else if (d->has_seq && h->tseq != d->next_seq && !(d->next_seq == 0 && h->tseq == 1)) {
		bld_event(pc, BLD_EVENT_EURORADIO_TSEQ_ERROR);
	}
	d->has_seq = true;
	d->next_seq = (uint16_t)(h->tseq + 1u);
}

/* The identities before the SaPDU of an AU1 or AU2; the cursor is left at the SaPDU.  False: too short. */
static bool read_ale_ids(struct bld_parse_ctx *pc, uint8_t type, struct bld_cur *c, struct ale_ids *ids)
{
	memset(ids, 0, sizeof(*ids));
	uint32_t need = type == ALE_AU1 ? AU1_IDS : ETCS_ID_SIZE;
	if (bld_cur_left(c) < need) {
		bld_event(pc, BLD_EVENT_EURORADIO_BAD_SIZE);
		return false;
	}
	if (type == ALE_AU1) {
		ids->calling = read_etcs_id(c);
		ids->called = read_etcs_id(c);
		ids->cos = bld_cur_u8(c);
		ids->has_cos = true;
	} else {
		ids->responding = read_etcs_id(c);
	}
	const struct etcs_id *all[3] = { &ids->calling, &ids->called, &ids->responding };
	for (int i = 0; i < 3; i++)
		if (all[i]->known && all[i]->type > ETY_MAX) {
			bld_event(pc, BLD_EVENT_EURORADIO_BAD_ETY);
			break;
		}
	return true;
}

/* ---- connection order ------------------------------------------------------------------------- */

/* A new safe connection: the AU1's identities become the session's. */
static void new_session(struct euroradio_state *st, const struct ale_ids *ids, uint64_t ts)
{
	st->calling = ids->calling;
	st->called = ids->called;
	st->responding = (struct etcs_id){ 0 };
	st->asked_ts = ts;
	/*
	 * The MACs of the session before stay remembered: its DTs under the new
	 * session's keys fail the receiver's MAC check, but resending one is
	 * still a replay attempt.
	 */
}

/* The answer to the AU1 or AU3 the state waits on: its response time. */
static void answered(struct bld_parse_ctx *pc, const struct euroradio_state *st)
{
	pc->op->response_time_ns = pc->ts_ns >= st->asked_ts ? pc->ts_ns - st->asked_ts : 0;
	pc->op->has_response_time = true;
}

static void order_error(struct bld_parse_ctx *pc, const struct euroradio_state *st)
{
	/* Subset-037/098: an authentication SaPDU after the set-up is refused as a replay (DI 5). */
	bld_event(pc, st->conn == CONN_UP ? BLD_EVENT_EURORADIO_REPLAY : BLD_EVENT_EURORADIO_OUT_OF_ORDER);
}

/*
 * The set-up order (Subset-098 §6.2): AU1 -> AU2 -> AU3 -> AR, then DT; a
 * DI ends the connection at any point, and an AU1 after it starts a new
 * one.  A capture may join a connection after its set-up: a first DT is
 * taken as such when its T-sequence says set-up packets went before it
 * (AU1/AU2 are 0, AU3/AR 1, so a first DT carries at least 2).  A packet
 * out of order leaves the state as it was: one bad packet, one event.
 */
static void check_order(struct bld_parse_ctx *pc, struct euroradio_state *st, uint8_t mti, uint16_t tseq,
			const struct ale_ids *ids)
{
	switch (mti) {
	case MTI_AU1:
		if (st->conn == CONN_NONE || st->conn == CONN_DOWN) {
			new_session(st, ids, pc->ts_ns);
			st->conn = CONN_AU1;
			return;
		}
		break;
	case MTI_AU2:
		if (st->conn == CONN_AU1) {
			answered(pc, st);
			st->conn = CONN_AU2;
			st->responding = ids->responding;
			return;
		}
		break;
	case MTI_AU3:
		if (st->conn == CONN_AU2) {
			st->conn = CONN_AU3;
			st->asked_ts = pc->ts_ns;
			return;
		}
		break;
	case MTI_AR:
		if (st->conn == CONN_AU3) {
			answered(pc, st);
			st->conn = CONN_UP;
			return;
		}
		break;
	case MTI_DT:
		if (st->conn == CONN_UP)
			return;
		if (st->conn == CONN_NONE && tseq >= 2) {
			st->conn = CONN_UP;   /* joined after the set-up */
			return;
		}
		bld_event(pc, BLD_EVENT_EURORADIO_OUT_OF_ORDER);   /* e.g. DT before AR */
		return;
	case MTI_DI:
		st->conn = CONN_DOWN;
		return;
	default:
		return;   /* an unknown SaPDU moves nothing */
	}
	order_error(pc, st);
}

/* ---- ETCS message in a DT --------------------------------------------------------------------- */

/* width bits from bit off of b (avail bits there, MSB first); *ok false past them. */
static uint32_t get_bits(const uint8_t *b, uint32_t avail, uint32_t off, uint32_t width, bool *ok)
{
	if (width > 32 || off > avail || width > avail - off) {
		*ok = false;
		return 0;
	}
	uint32_t v = 0;
	for (uint32_t i = off; i < off + width; i++)
		v = v << 1 | (uint32_t)(b[i / 8] >> (7 - i % 8) & 1u);
	return v;
}

/* The identity of whichever end sent these bytes, or NULL when the set-up was not seen. */
static const struct etcs_id *sender_id(const struct bld_parse_ctx *pc, const struct euroradio_state *st)
{
	const struct etcs_id *e = pc->to_server ? &st->calling : st->responding.known ? &st->responding : &st->called;
	return e->known ? e : NULL;
}

/* The engine's ETCS-ID, when an end of the session is an engine. */
static const struct etcs_id *engine_end(const struct euroradio_state *st)
{
	if (st->calling.known && st->calling.type == ETY_ENGINE)
		return &st->calling;
	if (st->responding.known && st->responding.type == ETY_ENGINE)
		return &st->responding;
	if (st->called.known && st->called.type == ETY_ENGINE)
		return &st->called;
	return NULL;
}

/*
 * Whether the DT user data is one ETCS message (Subset-037) rather than a
 * Subset-098 SAI PDU: the site says so, or an engine is an end of the
 * session, or (the set-up not seen) the bytes look like one: a defined
 * NID_MESSAGE whose L_MESSAGE is their size.
 */
static bool dt_is_etcs(const struct bld_parse_ctx *pc, const struct euroradio_state *st, const uint8_t *u,
		       uint32_t n)
{
	const struct bld_euroradio_config *cfg = pc->config ? pc->config : &euroradio_config_default;
	if (cfg->dt_content == BLD_EURORADIO_DT_ETCS)
		return true;
	if (cfg->dt_content == BLD_EURORADIO_DT_OPAQUE)
		return false;
	if (st->calling.known || st->responding.known)
		return engine_end(st) != NULL;
	bool ok = true;
	return n >= ETCS_COMMON_BITS / 8 + 1 && message_names[u[0]] &&
	       get_bits(u, 8 * (n < ETCS_HEADER_BYTES ? n : ETCS_HEADER_BYTES), 8, 10, &ok) == n;
}

/* The header of the ETCS message (Subset-026 §8.4, §8.5) and its checks. */
static void parse_etcs(struct bld_parse_ctx *pc, const struct euroradio_state *st, const uint8_t *u, uint32_t n)
{
	struct bld_op *op = pc->op;
	uint32_t avail = 8 * (n < ETCS_HEADER_BYTES ? n : ETCS_HEADER_BYTES);
	bool ok = true;
	uint32_t nid = get_bits(u, avail, 0, 8, &ok);
	bld_op_uint(op, "nid_message", nid);
	if (message_names[nid])
		bld_op_cstr(op, "message_name", message_names[nid]);
	else
		bld_event(pc, BLD_EVENT_EURORADIO_UNKNOWN_MESSAGE);

	uint32_t l_message = get_bits(u, avail, 8, 10, &ok);
	if (ok)
		bld_op_uint(op, "l_message", l_message);
	uint32_t t_train = get_bits(u, avail, 18, 32, &ok);
	if (ok)
		bld_op_uint(op, "t_train", t_train);
	/* L_MESSAGE counts the whole message in bytes, and the DT carries one message. */
	if (!ok || l_message != n)
		bld_event(pc, BLD_EVENT_EURORADIO_BAD_MESSAGE_LENGTH);
	if (!ok || !message_names[nid])
		return;

	bool to_track = nid >= 128;
	const struct etcs_id *from = sender_id(pc, st);
	int ety = from ? from->type : -1;
	if ((to_track && (ety == ETY_RBC || ety == ETY_RIU)) || (!to_track && ety == ETY_ENGINE))
		bld_event(pc, BLD_EVENT_EURORADIO_MESSAGE_DIRECTION);
	if (to_track) {
		uint32_t engine = get_bits(u, avail, ETCS_COMMON_BITS, 24, &ok);
		if (!ok)
			return;
		bld_op_uint(op, "nid_engine", engine);
		/* NID_ENGINE is the engine's ETCS identity: the one it set the session up with. */
		if (ety == ETY_ENGINE && from->id != engine)
			bld_event(pc, BLD_EVENT_EURORADIO_ENGINE_MISMATCH);
	} else {
		uint32_t m_ack = get_bits(u, avail, ETCS_COMMON_BITS, 1, &ok);
		uint32_t lrbg = get_bits(u, avail, ETCS_COMMON_BITS + 1, 24, &ok);
		if (!ok)
			return;
		bld_op_uint(op, "m_ack", m_ack);
		bld_op_uint(op, "nid_lrbg", lrbg);
	}
}

/* ---- SaPDU bodies ----------------------------------------------------------------------------- */

/* A DT repeating a recent MAC of its direction: remember each one. */
static void check_mac(struct bld_parse_ctx *pc, struct euroradio_state *st, const uint8_t *mac)
{
	struct dir_state *d = &st->dir[pc->to_server];
	for (unsigned i = 0; i < d->mac_n; i++)
		if (memcmp(d->macs[i], mac, MAC_SIZE) == 0) {
			bld_event(pc, BLD_EVENT_EURORADIO_REPEATED_MAC);
			return;
		}
	memcpy(d->macs[d->mac_next], mac, MAC_SIZE);
	d->mac_next = (uint8_t)((d->mac_next + 1u) % MAC_MEMORY);
	if (d->mac_n < MAC_MEMORY)
		d->mac_n++;
}

/* DT: user data (n >= 1) and its MAC. */
static void parse_dt(struct bld_parse_ctx *pc, struct euroradio_state *st, struct bld_cur *s)
{
	struct bld_op *op = pc->op;
	uint32_t left = bld_cur_left(s);
	if (left < 1 + MAC_SIZE)
		return;   /* no room for a MAC after a byte of data: bad_size was raised */
	uint32_t n = left - MAC_SIZE;
	const uint8_t *u = bld_cur_bytes(s, n);
	const uint8_t *mac = bld_cur_bytes(s, MAC_SIZE);
	if (!u || !mac)
		return;   /* cannot happen: both are inside left */
	bld_op_uint(op, "user_data_len", n);
	bld_op_hex(op, "mac", mac, MAC_SIZE);
	check_mac(pc, st, mac);
	if (dt_is_etcs(pc, st, u, n))
		parse_etcs(pc, st, u, n);
}

static void parse_di(struct bld_parse_ctx *pc, struct bld_cur *s)
{
	struct bld_op *op = pc->op;
	uint8_t reason = bld_cur_u8(s);
	uint8_t sub = bld_cur_u8(s);
	if (s->err)
		return;
	bld_op_uint(op, "reason", reason);
	const char *name = reason_name(reason);
	if (name)
		bld_op_cstr(op, "reason_name", name);
	bld_op_uint(op, "sub_reason", sub);
	/* The peer checked what a monitor cannot: the MAC, the sequence, the direction flag. */
	if (reason >= 4 && reason <= 6)
		bld_event(pc, BLD_EVENT_EURORADIO_SECURITY_DISCONNECT);
}

/* AU1, AU2: the SaPDU's own source identity and safety feature; it must be the ALE header's. */
static void parse_au(struct bld_parse_ctx *pc, uint8_t ety, struct bld_cur *s, const struct etcs_id *ale_id)
{
	struct bld_op *op = pc->op;
	uint32_t sa = cur_be24(s);
	uint8_t saf = bld_cur_u8(s);
	if (s->err)
		return;
	bld_op_uint(op, "sa", sa);
	bld_op_uint(op, "saf", saf);
	if (saf != SAF_DES)
		bld_event(pc, BLD_EVENT_EURORADIO_BAD_SAF);
	if (ale_id->known && (ale_id->type != ety || ale_id->id != sa))
		bld_event(pc, BLD_EVENT_EURORADIO_ID_MISMATCH);
}

/* The header checks every SaPDU gets. */
static void check_sapdu_header(struct bld_parse_ctx *pc, uint8_t type, uint8_t ety, uint8_t mti, uint8_t df,
			       uint32_t size)
{
	if (!sapdu_name(mti)) {
		bld_event(pc, BLD_EVENT_EURORADIO_UNKNOWN_SAPDU);
		return;
	}
	if (!mti_fits(type, mti))
		bld_event(pc, BLD_EVENT_EURORADIO_TYPE_MISMATCH);
	/* DF (Subset-098 §6.2.5): 0 from the initiator, 1 from the responder; else a reflection. */
	if (df != (pc->to_server ? 0u : 1u))
		bld_event(pc, BLD_EVENT_EURORADIO_DF_MISMATCH);
	bool initiator_only = mti == MTI_AU1 || mti == MTI_AU3;
	bool responder_only = mti == MTI_AU2 || mti == MTI_AR;
	if ((initiator_only && !pc->to_server) || (responder_only && pc->to_server))
		bld_event(pc, BLD_EVENT_EURORADIO_WRONG_ROLE);
	bool au = mti == MTI_AU1 || mti == MTI_AU2;
	if (au ? ety > ETY_MAX : ety != 0)
		bld_event(pc, BLD_EVENT_EURORADIO_BAD_ETY);
	uint32_t want = sapdu_size(mti);
	if (want ? size != want : size < 1 + 1 + MAC_SIZE)
		bld_event(pc, BLD_EVENT_EURORADIO_BAD_SIZE);
}

/* ---- one packet ------------------------------------------------------------------------------- */

/* The session's identities: an AU1 shows its own, any other packet the session's. */
static void op_session(struct bld_op *op, const struct euroradio_state *st, uint8_t type, const struct ale_ids *ids)
{
	const struct etcs_id *calling = type == ALE_AU1 ? &ids->calling : &st->calling;
	const struct etcs_id *called = type == ALE_AU1 ? &ids->called : &st->called;
	op_etcs_id(op, "calling_type", "calling_type_name", "calling_id", calling);
	op_etcs_id(op, "called_type", "called_type_name", "called_id", called);
	if (ids->has_cos)
		bld_op_uint(op, "class_of_service", ids->cos);
	if (type == ALE_AU2)
		op_etcs_id(op, "responding_type", "responding_type_name", "responding_id", &ids->responding);
}

static void parse_sapdu(struct bld_parse_ctx *pc, struct euroradio_state *st, const struct ale_header *h,
			struct bld_cur *s, const struct ale_ids *ids)
{
	struct bld_op *op = pc->op;
	uint32_t size = bld_cur_left(s);
	if (size == 0) {
		bld_event(pc, BLD_EVENT_EURORADIO_BAD_SIZE);
		op_session(op, st, h->type, ids);
		return;
	}
	uint8_t hdr = bld_cur_u8(s);
	uint8_t ety = hdr >> 5, mti = hdr >> 1 & 0x0f, df = hdr & 1;
	check_sapdu_header(pc, h->type, ety, mti, df, size);

	/* The AU2 answers the AU1's call: the responder must be the identity called. */
	if (mti == MTI_AU2 && h->type == ALE_AU2 && ids->responding.known && st->called.known &&
	    st->conn == CONN_AU1 && !same_id(&ids->responding, &st->called))
		bld_event(pc, BLD_EVENT_EURORADIO_ID_MISMATCH);
	check_order(pc, st, mti, h->tseq, ids);
	op_session(op, st, h->type, ids);

	bld_op_uint(op, "sapdu", mti);
	const char *name = sapdu_name(mti);
	if (name)
		bld_op_cstr(op, "sapdu_name", name);
	bld_op_uint(op, "df", df);
	switch (mti) {
	case MTI_AU1:
		parse_au(pc, ety, s, h->type == ALE_AU1 ? &ids->calling : &(struct etcs_id){ 0 });
		break;
	case MTI_AU2:
		parse_au(pc, ety, s, h->type == ALE_AU2 ? &ids->responding : &(struct etcs_id){ 0 });
		break;
	case MTI_DT:
		parse_dt(pc, st, s);
		break;
	case MTI_DI:
		parse_di(pc, s);
		break;
	default:
		break;   /* AU3, AR: a MAC; unknown: nothing more is known */
	}
}

static void parse_packet(struct bld_parse_ctx *pc, struct euroradio_state *st, const struct ale_header *h,
			 struct bld_cur *body)
{
	struct bld_op *op = bld_op_begin(pc, pc->to_server ? BLD_OP_REQUEST : BLD_OP_RESPONSE);
	check_tseq(pc, st, h);
	bld_op_uint(op, "packet_type", h->type);
	const char *name = packet_type_name(h->type);
	if (name)
		bld_op_cstr(op, "packet_type_name", name);
	bld_op_uint(op, "tseq", h->tseq);
	bld_op_uint(op, "version", h->version);
	bld_op_uint(op, "app_type", h->app_type);
	bld_op_uint(op, "nr_flag", h->nr);

	if (h->type == ALE_VENDOR_DT && !st->vendor_seen) {
		bld_event(pc, BLD_EVENT_EURORADIO_VENDOR_PACKET_TYPE);
		st->vendor_seen = true;
	}
	struct ale_ids ids = { 0 };
	bool au = h->type == ALE_AU1 || h->type == ALE_AU2;
	if (has_sapdu(h->type) && (!au || read_ale_ids(pc, h->type, body, &ids))) {
		parse_sapdu(pc, st, h, body, &ids);
	} else {
		/*
		 * Class A switch-over and keep-alive (layout not known), a type no
		 * source names, or an AU1/AU2 too short for its identities.
		 */
		if (!name)
			bld_event(pc, BLD_EVENT_EURORADIO_UNKNOWN_PACKET_TYPE);
		op_session(op, st, h->type, &ids);
		bld_op_uint(op, "user_data_len", bld_cur_left(body));
	}
	bld_op_emit(pc);
}

/* Framing lost in a direction: its T-sequence starts over at the next packet. */
static void euroradio_gap(void *state, bool to_server)
{
	struct euroradio_state *st = state;
	st->dir[to_server].has_seq = false;
}

static struct bld_parse_result euroradio_parse(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len)
{
	struct euroradio_state *st = pc->state;
	if (len < ALE_HEADER)
		return bld_parse_incomplete(0);   /* the length is not trusted before the CRC */
	struct bld_cur c = bld_cur_make(data, len);
	struct ale_header h;
	h.length = bld_cur_be16(&c);
	h.version = bld_cur_u8(&c);
	h.app_type = bld_cur_u8(&c);
	h.tseq = bld_cur_be16(&c);
	h.nr = bld_cur_u8(&c);
	h.type = bld_cur_u8(&c);
	h.crc = bld_cur_be16(&c);
	/* Subset-098 §6.4.5: the checksum covers the 8 octets before it, the length among them. */
	if (bld_crc16_ccitt_false(data, 8) != h.crc) {
		bld_event(pc, BLD_EVENT_EURORADIO_BAD_CRC);
		euroradio_gap(st, pc->to_server);
		return bld_parse_error(1);
	}
	if (h.length < ALE_LENGTH_MIN) {
		bld_event(pc, BLD_EVENT_EURORADIO_BAD_LENGTH);
		euroradio_gap(st, pc->to_server);
		return bld_parse_error(1);
	}
	uint32_t total = 2u + h.length;
	if (len < total)
		return bld_parse_incomplete(total);
	struct bld_cur body = bld_cur_make(data + ALE_HEADER, total - ALE_HEADER);
	parse_packet(pc, st, &h, &body);
	return bld_parse_ok(total);
}

/* ---- what policies may constrain (fields.h; docs/policy-protocols.md) ------------------------- */

static const struct bld_field_spec euroradio_fields[] = {
	{ .key = "sapdu", .kind = BLD_FIELD_SET, .path = "sapdu", .max = 15, .name = sapdu_name,
	  .doc = "safety-layer message type: au1 (1), au2 (2), au3 (3), dt (5), di (8), ar (9)" },
	{ .key = "packet_type", .kind = BLD_FIELD_SET, .path = "packet_type", .max = UINT8_MAX,
	  .name = packet_type_name,
	  .doc = "ALE packet type: au1 (1), au2 (2), dt (3), di (4), dt_vendor (6), Class A 251, 253-255" },
	{ .key = "nid_message", .kind = BLD_FIELD_SET, .path = "nid_message", .max = UINT8_MAX,
	  .name = message_name, .doc = "ETCS message in a DT (Subset-026 ch. 8), e.g. movement_authority (3)" },
	{ .key = "calling_id", .kind = BLD_FIELD_SET, .path = "calling_id", .max = 0xFFFFFF,
	  .doc = "ETCS-ID of the initiator (the AU1's calling identity), 24 bits" },
	{ .key = "called_id", .kind = BLD_FIELD_SET, .path = "called_id", .max = 0xFFFFFF,
	  .doc = "ETCS-ID the initiator called (the AU1's called identity), 24 bits" },
	{ .key = "calling_type", .kind = BLD_FIELD_SET, .path = "calling_type", .max = UINT8_MAX, .name = ety_name,
	  .doc = "ETCS-ID type of the initiator: engine (2), rbc (1), riu (0), interlocking (6) ..." },
	{ .key = "called_type", .kind = BLD_FIELD_SET, .path = "called_type", .max = UINT8_MAX, .name = ety_name,
	  .doc = "ETCS-ID type the initiator called" },
	{ .key = "app_type", .kind = BLD_FIELD_SET, .path = "app_type", .max = UINT8_MAX,
	  .doc = "ALE application type octet (0x1A = 26 in the Subset-098 vectors)" },
	{ .key = "reason", .kind = BLD_FIELD_SET, .path = "reason", .max = UINT8_MAX, .name = reason_name,
	  .doc = "DI disconnect reason, e.g. invalid_mac (4)" },
};

/* ---- site settings (settings.h) ---------------------------------------------------------------- */

static const char *const dt_content_names[] = { "auto", "etcs", "opaque", NULL };

static const struct bld_setting_spec euroradio_settings[] = {
	{ .key = "dt_content", .kind = BLD_SETTING_ENUM, .offset = offsetof(struct bld_euroradio_config, dt_content),
	  .names = dt_content_names,
	  .doc = "what a DT carries: auto (ETCS when an engine is an end), etcs (Subset-026), opaque (not decoded)" },
};

const struct bld_dissector bld_dsc_euroradio = {
	.name = "euroradio",
	.description = "EuroRadio ALE and safety layer (UNISIG Subset-037/098)",
	.transports = BLD_TRANSPORT_TCP,
	.ports = { 7911 },
	.probe = euroradio_probe,
	.parse = euroradio_parse,
	.state_size = sizeof(struct euroradio_state),
	.gap = euroradio_gap,
	.fields = euroradio_fields,
	.n_fields = sizeof(euroradio_fields) / sizeof(euroradio_fields[0]),
	.settings = euroradio_settings,
	.n_settings = sizeof(euroradio_settings) / sizeof(euroradio_settings[0]),
	.config_size = sizeof(struct bld_euroradio_config),
	.config_default = &euroradio_config_default,
};
