/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EULYNX SCI telegrams inside RaSTA Data (rail-protocols.md §2):
 *
 *   protocol type   1   0x40 SCI-P, 0x20 SCI-TDS, 0x30 SCI-LS, 0xC0 SCI-LX, 0x90 SCI-IO, ... (§2.3)
 *   message type    2   byte order disputed (§2.2): the open implementations
 *                       write it little-endian, a real interlocking big-endian;
 *                       decided per flow by which order gives known codes
 *   sender id      20   Latin-1 name right-padded with '_'
 *   receiver id    20   the same
 *   payload         n   fixed length per (protocol, message type)
 *
 * Message tables and payload layouts follow eulynx-live's Baseline 4 R1/R2
 * classes (SCI-P, SCI-TDS, SCI-LS, SCI-IO, generic PDI) and its older
 * SCI-LX class (message sizes only; payloads shown as hex).  The tables of
 * SCI-ILS, -RBC, -LC, -CC and trackworker systems were not available: their
 * message types are reported by number, without an event.
 */
#include "sci.h"

#include <string.h>

#include "events.h"
#include "rasta.h"

#define SCI_PAYLOAD_HEX_MAX 64   /* bytes of an undecoded payload shown in the op (hard cap) */
#define SCI_IO_CHANNELS_MAX 51   /* Eu.SCI-IO.PDI: at most 51 channels */

/* ---- tables ------------------------------------------------------------------------------------ */

enum { PROTO_ANY = 0 };          /* generic PDI messages: every protocol type */

static const struct {
	uint8_t code;
	const char *name;
	bool complete;               /* its message table is known: an unknown type is an event */
} protocols[] = {
	{ 0x01, "sci_ils", false }, { 0x20, "sci_tds", true }, { 0x30, "sci_ls", true },
	{ 0x40, "sci_p", true },    { 0x50, "sci_rbc", false }, { 0x60, "sci_lc", false },
	{ 0x70, "sci_cc", false },  { 0x80, "sci_tws", false }, { 0x90, "sci_io", true },
	{ 0xC0, "sci_lx", true },
};

/* How a message's total length is fixed. */
enum size_rule {
	SZ_EXACT,                    /* len */
	SZ_AT_LEAST,                 /* len or more (a count of elements not decoded) */
	SZ_PDI_RESULT,               /* 46 + the checksum length at offset 45 */
	SZ_IO,                       /* 44 + the channel count at offset 43 */
	SZ_LS_ASPECT,                /* 52 (librasta, no national block) or 61 (Baseline 4 R1) */
};

/* Payload layouts (decode_payload). */
enum layout {
	L_NONE, L_HEX, L_PDI_VERSION, L_PDI_RESULT, L_CLOSE, L_RESET,
	L_P_MOVE, L_P_POSITION, L_P_ABILITY,
	L_TDS_FC, L_TDS_REJECTED, L_TDS_STATUS, L_TDS_TDP, L_TDS_FC_FAILED, L_TDS_ADDITIONAL,
	L_LS_ASPECT, L_LS_LUMINOSITY_CMD, L_LS_LUMINOSITY_MSG, L_IO_CHANNELS,
};

struct sci_msg {
	uint8_t proto;               /* PROTO_ANY for the generic PDI messages */
	uint16_t type;
	const char *name;            /* unique within its protocol and the generic ones */
	uint8_t len;
	uint8_t size;                /* enum size_rule */
	uint8_t layout;              /* enum layout */
};

static const struct sci_msg messages[] = {
	/* Generic PDI (Baseline 4 R2 InterfaceSpecificationSciGeneric; rail-protocols.md §2.4) */
	{ PROTO_ANY, 0x0021, "initialisation_request", 43, SZ_EXACT, L_NONE },
	{ PROTO_ANY, 0x0022, "start_initialisation", 43, SZ_EXACT, L_NONE },
	{ PROTO_ANY, 0x0023, "initialisation_completed", 43, SZ_EXACT, L_NONE },
	{ PROTO_ANY, 0x0024, "pdi_version_check", 44, SZ_EXACT, L_PDI_VERSION },
	{ PROTO_ANY, 0x0025, "pdi_version_result", 46, SZ_PDI_RESULT, L_PDI_RESULT },
	{ PROTO_ANY, 0x0026, "status_report_completed", 43, SZ_EXACT, L_NONE },
	{ PROTO_ANY, 0x0027, "close_pdi", 44, SZ_EXACT, L_CLOSE },
	{ PROTO_ANY, 0x0028, "release_pdi_for_maintenance", 43, SZ_EXACT, L_NONE },
	{ PROTO_ANY, 0x0029, "pdi_available", 43, SZ_EXACT, L_NONE },
	{ PROTO_ANY, 0x002A, "pdi_not_available", 43, SZ_EXACT, L_NONE },
	{ PROTO_ANY, 0x002B, "reset_pdi", 44, SZ_EXACT, L_RESET },
	/* SCI-P (B4R2 InterfaceSpecificationSciP; §2.5) */
	{ 0x40, 0x0001, "move_point", 44, SZ_EXACT, L_P_MOVE },
	{ 0x40, 0x000B, "point_position", 45, SZ_EXACT, L_P_POSITION },
	{ 0x40, 0x000C, "movement_failed", 43, SZ_EXACT, L_NONE },
	{ 0x40, 0x000D, "ability_to_move_point", 44, SZ_EXACT, L_P_ABILITY },
	/* SCI-TDS (B4R1/B4R2 InterfaceSpecificationSciTds; §2.6) */
	{ 0x20, 0x0001, "force_clear", 44, SZ_EXACT, L_TDS_FC },
	{ 0x20, 0x0002, "update_filling_level", 43, SZ_EXACT, L_NONE },
	{ 0x20, 0x0003, "disable_force_clear_restriction", 43, SZ_EXACT, L_NONE },
	{ 0x20, 0x0006, "command_rejected", 44, SZ_EXACT, L_TDS_REJECTED },
	{ 0x20, 0x0007, "tvps_occupancy_status", 50, SZ_EXACT, L_TDS_STATUS },
	{ 0x20, 0x0008, "cancel", 43, SZ_EXACT, L_NONE },
	{ 0x20, 0x000B, "tdp_status", 45, SZ_EXACT, L_TDS_TDP },
	{ 0x20, 0x0010, "tvps_fc_p_failed", 44, SZ_EXACT, L_TDS_FC_FAILED },
	{ 0x20, 0x0011, "tvps_fc_p_a_failed", 44, SZ_EXACT, L_TDS_FC_FAILED },
	{ 0x20, 0x0012, "additional_information", 47, SZ_EXACT, L_TDS_ADDITIONAL },
	/* SCI-LS (B4R1 ComplexMessages, B4R2 InterfaceSpecificationSciLs; §2.7) */
	{ 0x30, 0x0001, "indicate_signal_aspect", 52, SZ_LS_ASPECT, L_LS_ASPECT },
	{ 0x30, 0x0002, "set_luminosity", 44, SZ_EXACT, L_LS_LUMINOSITY_CMD },
	{ 0x30, 0x0003, "indicated_signal_aspect", 52, SZ_LS_ASPECT, L_LS_ASPECT },
	{ 0x30, 0x0004, "luminosity", 44, SZ_EXACT, L_LS_LUMINOSITY_MSG },
	/* SCI-LX (eulynx-live ExternalLevelCrossingSystemMessage: sizes only; §2.8) */
	{ 0xC0, 0x0001, "lx_activation", 44, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0002, "tr_activation", 45, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0003, "lx_deactivation", 44, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0004, "tr_deactivation", 45, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0005, "control_activation_point", 46, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0006, "tr_prolong_activation", 45, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0007, "crossing_clear", 43, SZ_EXACT, L_NONE },
	{ 0xC0, 0x0008, "block_lx", 44, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0009, "tr_isolation", 44, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0010, "lx_functional_status", 48, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0011, "tr_functional_status", 51, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0012, "obstacle_detection_status", 44, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0013, "detection_element_status", 44, SZ_AT_LEAST, L_HEX },
	{ 0xC0, 0x0014, "lx_monitoring_status", 49, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0015, "tr_monitoring_status", 46, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0016, "lx_failure_status", 45, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0017, "tr_failure_status", 45, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0018, "tr_command_admissibility", 49, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0019, "lx_command_admissibility", 47, SZ_EXACT, L_HEX },
	{ 0xC0, 0x0020, "activation_point_status", 44, SZ_AT_LEAST, L_HEX },
	/* SCI-LC (B4R2 InterfaceSpecificationSciLc: one message known) */
	{ 0x60, 0x0002, "deactivation", 43, SZ_EXACT, L_NONE },
	/* SCI-IO (B4R2 InterfaceSpecificationSciIo, Eu.SCI-IO.PDI.158/170/184) */
	{ 0x90, 0x0001, "set_output_channels", 44, SZ_IO, L_IO_CHANNELS },
	{ 0x90, 0x0002, "output_channels_state", 44, SZ_IO, L_IO_CHANNELS },
	{ 0x90, 0x0003, "input_channels_state", 44, SZ_IO, L_IO_CHANNELS },
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static int protocol_index(uint8_t code)
{
	for (unsigned i = 0; i < N_ELEMS(protocols); i++)
		if (protocols[i].code == code)
			return (int)i;
	return -1;
}

static const struct sci_msg *find_message(uint8_t proto, uint16_t type)
{
	for (unsigned i = 0; i < N_ELEMS(messages); i++)
		if ((messages[i].proto == proto || messages[i].proto == PROTO_ANY) && messages[i].type == type)
			return &messages[i];
	return NULL;
}

/* ---- names for the fields table ------------------------------------------------------------------- */

const char *bld_sci_protocol_name(uint64_t v)
{
	int i = v <= UINT8_MAX ? protocol_index((uint8_t)v) : -1;
	return i < 0 ? NULL : protocols[i].name;
}

/* SCI-P commanded (1, 2) and reported (1..4) point position. */
const char *bld_sci_position_name(uint64_t v)
{
	static const char *const n[] = { NULL, "right", "left", "no_end_position", "unintended_position" };
	return v < N_ELEMS(n) ? n[v] : NULL;
}

/* SCI-TDS TVPS occupancy status. */
const char *bld_sci_occupancy_name(uint64_t v)
{
	static const char *const n[] = { NULL, "vacant", "occupied", "disturbed", "waiting_for_sweeping_train",
					 "waiting_for_acknowledgement", "sweeping_train_detected" };
	return v < N_ELEMS(n) ? n[v] : NULL;
}

/* SCI-TDS force clear mode. */
const char *bld_sci_fc_mode_name(uint64_t v)
{
	static const char *const n[] = { NULL, "fc_u", "fc_c", "fc_p_a", "fc_p", "fc_p_a_acknowledgement" };
	return v < N_ELEMS(n) ? n[v] : NULL;
}

/* SCI-LS luminosity (0xFF: undefined, in the status message only). */
const char *bld_sci_luminosity_name(uint64_t v)
{
	static const char *const n[] = { NULL, "day", "night" };
	return v < N_ELEMS(n) ? n[v] : NULL;
}

/* ---- identifiers ---------------------------------------------------------------------------------- */

/* Latin-1 printable: the identifiers are names (Eu.SCI-XX.PDI: "Latin-1, right-padded with '_'"). */
static bool printable(uint8_t b)
{
	return (b >= 0x20 && b < 0x7f) || b >= 0xa0;
}

/* The name without its '_' padding; false when empty or not printable. */
static bool id_name(const uint8_t *id, uint32_t *len)
{
	uint32_t n = BLD_SCI_ID;
	while (n && id[n - 1] == '_')
		n--;
	*len = n;
	for (uint32_t i = 0; i < BLD_SCI_ID; i++)
		if (!printable(id[i]))
			return false;
	return n > 0;
}

bool bld_sci_is_telegram(const struct bld_sci_flow *st, const uint8_t *p, uint32_t len)
{
	if (st->seen)
		return true;   /* the flow speaks SCI: what is wrong with this message is worth an event */
	if (len < BLD_SCI_HEADER || protocol_index(p[0]) < 0)
		return false;
	uint32_t n;
	return id_name(p + 3, &n) && id_name(p + 23, &n);
}

static bool names_has(const struct bld_sci_names *s, const uint8_t *name, uint32_t len)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->len[i] == len && memcmp(s->name[i], name, len) == 0)
			return true;
	return false;
}

static void names_add(struct bld_sci_names *s, const uint8_t *name, uint32_t len)
{
	if (s->n >= BLD_SCI_NAMES || names_has(s, name, len))
		return;   /* full: the first names stay (a cap, not an anomaly) */
	memcpy(s->name[s->n], name, len);
	s->len[s->n++] = (uint8_t)len;
}

/*
 * A station sends under a name its peer addresses: the sender of a
 * telegram must be one of the receivers the other direction named, once
 * that direction has named any (a point controller may serve several
 * points, so names are sets).
 */
static void check_names(struct bld_parse_ctx *pc, struct bld_sci_flow *st, const uint8_t *p, bool learn)
{
	uint32_t slen, rlen;
	bool ok = id_name(p + 3, &slen);
	ok = id_name(p + 23, &rlen) && ok;
	if (!ok) {
		bld_event(pc, BLD_EVENT_RASTA_SCI_BAD_ID);
		return;
	}
	const struct bld_sci_names *peer = &st->addressed[!pc->to_server];
	if (peer->n && !names_has(peer, p + 3, slen)) {
		bld_event(pc, BLD_EVENT_RASTA_SCI_ID_MISMATCH);
		return;   /* a name that is not the flow's does not teach it */
	}
	if (learn)
		names_add(&st->addressed[pc->to_server], p + 23, rlen);
}

/* ---- message type and its byte order --------------------------------------------------------------- */

static bool known(uint8_t proto, uint16_t type)
{
	return find_message(proto, type) != NULL;
}

/*
 * The message type in the byte order the site set, or else the one this
 * flow showed, or else the one that gives a known code (little-endian when
 * both or neither do: the open implementations write it so).  An order is
 * learnt when exactly one of the two gives a known code.
 */
static uint16_t message_type(struct bld_sci_flow *st, const uint8_t *p, uint8_t setting, bool learn, uint8_t *order)
{
	uint16_t le = (uint16_t)(p[1] | p[2] << 8), be = (uint16_t)(p[1] << 8 | p[2]);
	if (setting != BLD_RASTA_BO_AUTO)
		*order = setting;
	else if (st->order != BLD_RASTA_BO_AUTO)
		*order = st->order;
	else {
		bool kl = known(p[0], le), kb = known(p[0], be);
		*order = kb && !kl ? BLD_RASTA_BO_BIG : BLD_RASTA_BO_LITTLE;
		if (learn && kl != kb)
			st->order = *order;
	}
	return *order == BLD_RASTA_BO_BIG ? be : le;
}

/* ---- payloads ------------------------------------------------------------------------------------- */

/* One enumerated byte: the field, and an event when it is not one of allowed[0..n). */
static uint8_t enum_u8(struct bld_parse_ctx *pc, const char *name, uint8_t v, const uint8_t *allowed, unsigned n)
{
	bld_op_uint(pc->op, name, v);
	for (unsigned i = 0; i < n; i++)
		if (allowed[i] == v)
			return v;
	bld_event(pc, BLD_EVENT_RASTA_SCI_BAD_VALUE);
	return v;
}

/* A byte in lo..hi. */
static uint8_t range_u8(struct bld_parse_ctx *pc, const char *name, uint8_t v, uint8_t lo, uint8_t hi)
{
	bld_op_uint(pc->op, name, v);
	if (v < lo || v > hi)
		bld_event(pc, BLD_EVENT_RASTA_SCI_BAD_VALUE);
	return v;
}

static void named(struct bld_op *op, const char *field, const char *(*fn)(uint64_t), uint8_t v)
{
	const char *n = fn(v);
	if (n)
		bld_op_cstr(op, field, n);
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* TVPS occupancy status (B4R2 TrainDetectionSystemTvpsOccupancyStatusMessage, offsets 43..49). */
static void decode_tvps_status(struct bld_parse_ctx *pc, const uint8_t *q)
{
	static const uint8_t pom[] = { 1, 2, 0xff }, trigger[] = { 1, 2, 3, 4, 5, 6, 0xff };
	named(pc->op, "occupancy_name", bld_sci_occupancy_name, range_u8(pc, "occupancy", q[0], 1, 6));
	range_u8(pc, "forced_clear_ability", q[1], 1, 2);
	bld_op_uint(pc->op, "filling_level", le16(q + 2));
	enum_u8(pc, "pom_status", q[4], pom, sizeof(pom));
	enum_u8(pc, "disturbance", q[5], pom, sizeof(pom));   /* 1 operational, 2 technical, 0xFF n/a */
	enum_u8(pc, "change_trigger", q[6], trigger, sizeof(trigger));
}

/* Indicate / indicated signal aspect (B4R1 LightSignalIndicateSignalAspectCommand, offsets 43..51, 52..60). */
static void decode_aspect(struct bld_parse_ctx *pc, const uint8_t *q, uint32_t n)
{
	static const uint8_t dark[] = { 0x01, 0x0f, 0xff };   /* B4R1; librasta SHOW 0x01, DARK 0xFF */
	struct bld_op *op = pc->op;
	bld_op_uint(op, "basic_aspect", q[0]);
	bld_op_uint(op, "aspect_extension", q[1]);
	bld_op_uint(op, "speed_indicator", q[2]);
	bld_op_uint(op, "speed_announcement", q[3]);
	bld_op_uint(op, "direction_indicator", q[4]);
	bld_op_uint(op, "direction_announcement", q[5]);
	bld_op_uint(op, "downgrade", q[6]);
	bld_op_uint(op, "route_information", q[7]);
	enum_u8(pc, "intentionally_dark", q[8], dark, sizeof(dark));
	if (n > 9)
		bld_op_hex(op, "national", q + 9, n - 9);
}

static void decode_channels(struct bld_parse_ctx *pc, const uint8_t *q, uint32_t n)
{
	bld_op_uint(pc->op, "channel_count", q[0]);
	bld_op_list(pc->op, "channels");
	for (uint32_t i = 1; i < n; i++)
		bld_op_uint(pc->op, NULL, q[i]);
	bld_op_end(pc->op);
}

/* The payload q[0, n) of a message whose length is right. */
static void decode_payload(struct bld_parse_ctx *pc, const struct sci_msg *m, const uint8_t *q, uint32_t n)
{
	static const uint8_t pdi_result[] = { 0, 1, 2 };          /* B3 0 not allowed; 1 mismatch, 2 match */
	static const uint8_t degraded[] = { 1, 2, 3, 0xff };
	static const uint8_t lum_msg[] = { 1, 2, 0xff };
	struct bld_op *op = pc->op;
	switch (m->layout) {
	case L_PDI_VERSION:
		bld_op_uint(op, "pdi_version", q[0]);
		break;
	case L_PDI_RESULT:
		enum_u8(pc, "result", q[0], pdi_result, sizeof(pdi_result));
		bld_op_uint(op, "pdi_version", q[1]);
		if (q[2])
			bld_op_hex(op, "checksum", q + 3, q[2]);
		break;
	case L_CLOSE:
		range_u8(pc, "reason", q[0], 1, 7);
		break;
	case L_RESET:
	case L_TDS_REJECTED:
		range_u8(pc, "reason", q[0], 1, m->layout == L_RESET ? 3 : 2);
		break;
	case L_P_MOVE:
		named(op, "position_name", bld_sci_position_name, range_u8(pc, "position", q[0], 1, 2));
		break;
	case L_P_POSITION:
		named(op, "position_name", bld_sci_position_name, range_u8(pc, "position", q[0], 1, 4));
		enum_u8(pc, "degraded_position", q[1], degraded, sizeof(degraded));
		break;
	case L_P_ABILITY:
		range_u8(pc, "ability", q[0], 1, 2);
		break;
	case L_TDS_FC:
		named(op, "mode_name", bld_sci_fc_mode_name, range_u8(pc, "mode", q[0], 1, 5));
		break;
	case L_TDS_STATUS:
		decode_tvps_status(pc, q);
		break;
	case L_TDS_TDP:
		range_u8(pc, "passing_state", q[0], 1, 3);
		range_u8(pc, "passing_direction", q[1], 1, 3);
		break;
	case L_TDS_FC_FAILED:
		range_u8(pc, "reason", q[0], 1, 6);
		break;
	case L_TDS_ADDITIONAL:
		bld_op_uint(op, "speed", le16(q));
		bld_op_uint(op, "wheel_diameter", le16(q + 2));
		break;
	case L_LS_ASPECT:
		decode_aspect(pc, q, n);
		break;
	case L_LS_LUMINOSITY_CMD:
		named(op, "luminosity_name", bld_sci_luminosity_name, range_u8(pc, "luminosity", q[0], 1, 2));
		break;
	case L_LS_LUMINOSITY_MSG:
		named(op, "luminosity_name", bld_sci_luminosity_name,
		      enum_u8(pc, "luminosity", q[0], lum_msg, sizeof(lum_msg)));
		break;
	case L_IO_CHANNELS:
		decode_channels(pc, q, n);
		break;
	case L_HEX:
		bld_op_hex(op, "payload", q, n < SCI_PAYLOAD_HEX_MAX ? n : SCI_PAYLOAD_HEX_MAX);
		break;
	default:
		break;
	}
}

/* Whether len is the right length for m (p holds at least the header). */
static bool length_ok(const struct sci_msg *m, const uint8_t *p, uint32_t len)
{
	switch (m->size) {
	case SZ_EXACT:
		return len == m->len;
	case SZ_AT_LEAST:
		return len >= m->len;
	case SZ_PDI_RESULT:
		return len >= 46 && len == 46u + p[45];
	case SZ_IO:
		return len >= 44 && p[43] <= SCI_IO_CHANNELS_MAX && len == 44u + p[43];
	case SZ_LS_ASPECT:
		return len == 52 || len == 61;
	default:
		return false;
	}
}

/* ---- one telegram --------------------------------------------------------------------------------- */

static void put_id(struct bld_op *op, const char *field, const uint8_t *id)
{
	uint32_t n = BLD_SCI_ID;
	while (n && id[n - 1] == '_')
		n--;
	bld_op_text(op, field, id, n);
}

/* The header fields; returns the message's table entry or NULL. */
static const struct sci_msg *header(struct bld_parse_ctx *pc, struct bld_sci_flow *st, const uint8_t *p,
				    uint8_t setting, bool learn)
{
	struct bld_op *op = pc->op;
	int pi = protocol_index(p[0]);
	uint8_t order;
	uint16_t type = message_type(st, p, setting, learn, &order);
	const struct sci_msg *m = pi < 0 ? NULL : find_message(p[0], type);
	bld_op_uint(op, "protocol", p[0]);
	if (pi >= 0)
		bld_op_cstr(op, "protocol_name", protocols[pi].name);
	bld_op_uint(op, "message_type", type);
	if (m)
		bld_op_cstr(op, "message_name", m->name);
	bld_op_cstr(op, "byte_order", order == BLD_RASTA_BO_BIG ? "big" : "little");
	put_id(op, "sender", p + 3);
	put_id(op, "receiver", p + 23);
	if (pi < 0)
		bld_event(pc, BLD_EVENT_RASTA_SCI_UNKNOWN_PROTOCOL);
	else if (!m && protocols[pi].complete)
		bld_event(pc, BLD_EVENT_RASTA_SCI_UNKNOWN_MESSAGE);
	return m;
}

void bld_sci_decode(struct bld_parse_ctx *pc, struct bld_sci_flow *st, const uint8_t *p, uint32_t len,
		    uint8_t order, bool learn)
{
	struct bld_op *op = pc->op;
	bld_op_object(op, NULL);
	if (len < BLD_SCI_HEADER) {
		/* Not even the header: what there is, and the event. */
		if (len >= 1)
			bld_op_uint(op, "protocol", p[0]);
		bld_op_uint(op, "length", len);
		bld_event(pc, BLD_EVENT_RASTA_SCI_BAD_LENGTH);
		bld_op_end(op);
		return;
	}
	const struct sci_msg *m = header(pc, st, p, order, learn);
	check_names(pc, st, p, learn);
	bld_op_uint(op, "length", len);
	const uint8_t *q = p + BLD_SCI_HEADER;
	uint32_t n = len - BLD_SCI_HEADER;
	if (m && length_ok(m, p, len)) {
		decode_payload(pc, m, q, n);
	} else {
		if (m)
			bld_event(pc, BLD_EVENT_RASTA_SCI_BAD_LENGTH);
		if (n)
			bld_op_hex(op, "payload", q, n < SCI_PAYLOAD_HEX_MAX ? n : SCI_PAYLOAD_HEX_MAX);
	}
	if (learn && protocol_index(p[0]) >= 0)
		st->seen = true;
	bld_op_end(op);
}
