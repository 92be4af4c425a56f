/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IEC 60870-5-104 (IEC 60870-5-104:2006), the telecontrol companion standard
 * of IEC 60870-5-101 carried over TCP port 2404.  One APDU per parse call:
 *
 *   APCI (§5)
 *     start       1   0x68
 *     length      1   4..253: the octets that follow (control field + ASDU)
 *     control     4   I format: octet 1 bit 0 = 0
 *                       send seq N(S) = (octet 1 | octet 2 << 8) >> 1      (15 bits)
 *                       recv seq N(R) = (octet 3 | octet 4 << 8) >> 1      (octet 3 bit 0 spare, 0)
 *                     S format: octet 1 = 0x01, octet 2 = 0, recv seq as above; length 4
 *                     U format: octet 1 = 0x03 | exactly one function bit, octets 2..4 = 0; length 4
 *                       0x04 STARTDT act  0x08 STARTDT con  0x10 STOPDT act
 *                       0x20 STOPDT con   0x40 TESTFR act   0x80 TESTFR con
 *   ASDU (I format only; IEC 60870-5-101 §7.1, with the fixed sizes of 104 §9:
 *         cause 2 octets, common address 2 octets, object address 3 octets)
 *     type id     1   Table 8 of 104 / §7.2.1.1 of 101
 *     VSQ         1   bit 7 SQ (one address, consecutive elements), bits 0..6 number of objects
 *     COT         1   bits 0..5 cause, bit 6 P/N (negative confirm), bit 7 T (test)
 *     originator  1   originator address
 *     CA          2   common address of the ASDU, little-endian
 *     objects         SQ = 0: N x (IOA 3 LE | element)
 *                     SQ = 1: IOA 3 LE | N x element   (element i has address IOA + i)
 *
 * The element size is fixed by the type id (101 §7.3); the ASDU must hold
 * exactly its objects.  Values of the common types (points, measurands,
 * counters, commands, set points, system commands, parameters) are decoded
 * into a bounded list; commands show select/execute and their qualifier,
 * which is what policies restrict.
 *
 * State per connection: the STARTDT/STOPDT data transfer state (§5.3), the
 * send and receive sequence numbers of each direction (§5.1), and pairing of
 * activations with their confirmations by (type id, common address, first
 * object address) for the response time.
 */
#include <string.h>

#include "cursor.h"
#include "fields.h"
#include "op.h"
#include "registry.h"
#include "txn.h"

/* Hard caps of the lists in one operation (the VSQ allows up to 127 objects). */
#define IEC104_MAX_IOAS 64
#define IEC104_MAX_OBJECTS 64
/* Executed commands awaiting their activation termination (optional in most profiles). */
#define IEC104_TERM_WAITS 8

#define IEC104_START 0x68
#define IEC104_APDU_MIN 4
#define IEC104_APDU_MAX 253
#define IEC104_ASDU_HEADER 6     /* type, VSQ, COT, originator, CA(2) */
#define IEC104_IOA_SIZE 3
#define IEC104_SEQ_MOD 0x7fff    /* 15-bit sequence numbers (§5.1) */

/* Element size VARIABLE: the file segment, whose element says its length (undefined types are never looked up). */
#define SZ_VARIABLE 0xfe

enum cause {
	COT_PER_CYC = 1, COT_BACK = 2, COT_SPONT = 3, COT_INIT = 4, COT_REQ = 5, COT_ACT = 6, COT_ACTCON = 7,
	COT_DEACT = 8, COT_DEACTCON = 9, COT_ACTTERM = 10, COT_RETREM = 11, COT_RETLOC = 12, COT_FILE = 13,
	COT_INROGEN = 20, COT_REQCO4 = 41, COT_UNKNOWN_TYPE = 44, COT_UNKNOWN_IOA = 47,
};

struct type_info {
	const char *name;
	uint8_t size;            /* octets of one information element, without its address */
};

/* IEC 60870-5-101 §7.3 and 104 Table 8: name and element size per type identification. */
static const struct type_info types[128] = {
	[1] = { "M_SP_NA_1", 1 },   [2] = { "M_SP_TA_1", 4 },   [3] = { "M_DP_NA_1", 1 },
	[4] = { "M_DP_TA_1", 4 },   [5] = { "M_ST_NA_1", 2 },   [6] = { "M_ST_TA_1", 5 },
	[7] = { "M_BO_NA_1", 5 },   [8] = { "M_BO_TA_1", 8 },   [9] = { "M_ME_NA_1", 3 },
	[10] = { "M_ME_TA_1", 6 },  [11] = { "M_ME_NB_1", 3 },  [12] = { "M_ME_TB_1", 6 },
	[13] = { "M_ME_NC_1", 5 },  [14] = { "M_ME_TC_1", 8 },  [15] = { "M_IT_NA_1", 5 },
	[16] = { "M_IT_TA_1", 8 },  [17] = { "M_EP_TA_1", 6 },  [18] = { "M_EP_TB_1", 7 },
	[19] = { "M_EP_TC_1", 7 },  [20] = { "M_PS_NA_1", 5 },  [21] = { "M_ME_ND_1", 2 },
	[30] = { "M_SP_TB_1", 8 },  [31] = { "M_DP_TB_1", 8 },  [32] = { "M_ST_TB_1", 9 },
	[33] = { "M_BO_TB_1", 12 }, [34] = { "M_ME_TD_1", 10 }, [35] = { "M_ME_TE_1", 10 },
	[36] = { "M_ME_TF_1", 12 }, [37] = { "M_IT_TB_1", 12 }, [38] = { "M_EP_TD_1", 10 },
	[39] = { "M_EP_TE_1", 11 }, [40] = { "M_EP_TF_1", 11 },
	[45] = { "C_SC_NA_1", 1 },  [46] = { "C_DC_NA_1", 1 },  [47] = { "C_RC_NA_1", 1 },
	[48] = { "C_SE_NA_1", 3 },  [49] = { "C_SE_NB_1", 3 },  [50] = { "C_SE_NC_1", 5 },
	[51] = { "C_BO_NA_1", 4 },
	[58] = { "C_SC_TA_1", 8 },  [59] = { "C_DC_TA_1", 8 },  [60] = { "C_RC_TA_1", 8 },
	[61] = { "C_SE_TA_1", 10 }, [62] = { "C_SE_TB_1", 10 }, [63] = { "C_SE_TC_1", 12 },
	[64] = { "C_BO_TA_1", 11 },
	[70] = { "M_EI_NA_1", 1 },
	[100] = { "C_IC_NA_1", 1 }, [101] = { "C_CI_NA_1", 1 }, [102] = { "C_RD_NA_1", 0 },
	[103] = { "C_CS_NA_1", 7 }, [104] = { "C_TS_NA_1", 2 }, [105] = { "C_RP_NA_1", 1 },
	[106] = { "C_CD_NA_1", 2 }, [107] = { "C_TS_TA_1", 9 },
	[110] = { "P_ME_NA_1", 3 }, [111] = { "P_ME_NB_1", 3 }, [112] = { "P_ME_NC_1", 5 },
	[113] = { "P_AC_NA_1", 1 },
	[120] = { "F_FR_NA_1", 6 }, [121] = { "F_SR_NA_1", 7 }, [122] = { "F_SC_NA_1", 4 },
	[123] = { "F_LS_NA_1", 5 }, [124] = { "F_AF_NA_1", 4 }, [125] = { "F_SG_NA_1", SZ_VARIABLE },
	[126] = { "F_DR_TA_1", 13 }, [127] = { "F_SC_NB_1", 16 },
};

/* IEC 60870-5-101 §7.2.3 Table 14, the standard's own abbreviations. */
static const char *const cause_names[64] = {
	[1] = "per_cyc", [2] = "back", [3] = "spont", [4] = "init", [5] = "req", [6] = "act", [7] = "actcon",
	[8] = "deact", [9] = "deactcon", [10] = "actterm", [11] = "retrem", [12] = "retloc", [13] = "file",
	[20] = "inrogen", [21] = "inro1", [22] = "inro2", [23] = "inro3", [24] = "inro4", [25] = "inro5",
	[26] = "inro6", [27] = "inro7", [28] = "inro8", [29] = "inro9", [30] = "inro10", [31] = "inro11",
	[32] = "inro12", [33] = "inro13", [34] = "inro14", [35] = "inro15", [36] = "inro16",
	[37] = "reqcogen", [38] = "reqco1", [39] = "reqco2", [40] = "reqco3", [41] = "reqco4",
	[44] = "unknown_type", [45] = "unknown_cause", [46] = "unknown_ca", [47] = "unknown_ioa",
};

/* U-format functions by bit (octet 1 bits 2..7, §5.3). */
static const char *const u_names[6] = {
	"startdt_act", "startdt_con", "stopdt_act", "stopdt_con", "testfr_act", "testfr_con",
};
enum { U_STARTDT_ACT, U_STARTDT_CON, U_STOPDT_ACT, U_STOPDT_CON, U_TESTFR_ACT, U_TESTFR_CON };

/* Data transfer state of the connection (§5.3). */
enum dt_state {
	DT_UNKNOWN,              /* nothing seen that says: joined mid-connection or at its start */
	DT_STOPPED,              /* no STARTDT con since the start, or STOPDT con: no I format allowed */
	DT_STARTED,
};

/* Pairing keys: what the request was, so its confirmation finds it. */
enum key_kind { KEY_ACT = 1, KEY_DEACT = 2, KEY_U = 3, KEY_READ = 4 };

struct dir_state {
	bool has_send;           /* an I format was seen from this side */
	bool has_ack;
	uint16_t next_send;      /* the send sequence number the next I format must carry */
	uint16_t last_ack;       /* the last receive sequence number this side sent */
};

struct term_wait {
	uint64_t key;
	uint64_t ts_ns;          /* the activation's time: actterm's response time counts from it */
	bool used;
};

struct iec104_state {
	struct dir_state dir[2]; /* [1]: client -> server */
	uint8_t dt;              /* enum dt_state */
	uint8_t term_next;
	struct term_wait term[IEC104_TERM_WAITS];
	struct bld_txn_table txn;
};

/* Type identifications defined by IEC 60870-5-101/104 (§7.2.1.1 of -101, Table 8 of -104). */
static bool known_type(uint8_t t)
{
	return (t >= 1 && t <= 21) || (t >= 30 && t <= 40) || (t >= 45 && t <= 51) || (t >= 58 && t <= 64) ||
	       t == 70 || (t >= 100 && t <= 107) || (t >= 110 && t <= 113) || (t >= 120 && t <= 127);
}

/* Causes of transmission 1..13, 20..41, 44..47 (IEC 60870-5-101 §7.2.3); bits 7/6 are P/N and T. */
static bool known_cause(uint8_t cot)
{
	cot &= 0x3f;
	return (cot >= 1 && cot <= 13) || (cot >= 20 && cot <= 41) || (cot >= 44 && cot <= 47);
}

/* Monitor-direction types (M_*): process information 1..40 and end of initialisation 70. */
static bool monitor_type(uint8_t t)
{
	return t < 45 || t == 70;
}

static bool valid_apdu(struct bld_cur *c)
{
	if (bld_cur_u8(c) != 0x68)
		return false;
	uint8_t len = bld_cur_u8(c);
	if (len < 4 || len > 253)
		return false;
	const uint8_t *ctl = bld_cur_bytes(c, 4);
	if (!ctl)
		return false;
	if ((ctl[0] & 1) == 0) {                     /* I format: an ASDU follows */
		if ((ctl[2] & 1) != 0 || len < 4 + 6)   /* receive sequence number's spare bit */
			return false;
		struct bld_cur asdu = bld_cur_take(c, len - 4u);
		uint8_t type = bld_cur_u8(&asdu);
		uint8_t vsq = bld_cur_u8(&asdu);
		uint8_t cot = bld_cur_u8(&asdu);
		return !asdu.err && known_type(type) && (vsq & 0x7f) != 0 && known_cause(cot);
	}
	if (len != 4)
		return false;
	if (ctl[0] == 0x01)                          /* S format */
		return ctl[1] == 0 && (ctl[2] & 1) == 0;
	switch (ctl[0]) {                            /* U format: exactly one function bit */
	case 0x07: case 0x0B: case 0x13: case 0x23: case 0x43: case 0x83:
		return ctl[1] == 0 && ctl[2] == 0 && ctl[3] == 0;
	default:
		return false;
	}
}

static enum bld_probe iec104_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	if (len < 6)
		return len >= 1 && data[0] == 0x68 ? BLD_PROBE_NEED_MORE : BLD_PROBE_NO;
	/* Whole APDUs back to back, each valid; a partial last one must at least start like one. */
	int n = 0;
	while (bld_cur_left(&c) >= 6) {
		uint32_t need = 2u + data[c.off + 1];
		if (need > bld_cur_left(&c))
			break;
		if (!valid_apdu(&c))
			return BLD_PROBE_NO;
		n++;
	}
	if (bld_cur_left(&c) && data[c.off] != 0x68)
		return BLD_PROBE_NO;
	return n ? BLD_PROBE_MATCH : BLD_PROBE_NEED_MORE;
}

/* ---- values ---------------------------------------------------------------------------------- */

static uint32_t cur_le24(struct bld_cur *c)
{
	const uint8_t *q = bld_cur_bytes(c, 3);
	return q ? (uint32_t)q[2] << 16 | (uint32_t)q[1] << 8 | q[0] : 0;
}

/* An IEEE 754 short float (IEC 60870-5-101 §7.2.6.8, R32), as the float it is. */
static void op_float(struct bld_op *op, const char *name, uint32_t bits)
{
	float f;
	memcpy(&f, &bits, sizeof(f));
	bld_op_real32(op, name, f);
}

/*
 * The fields of one information element (IEC 60870-5-101 §7.3).  *select
 * gets the S/E bit of commands and set points.  At most four fields per
 * object so that IEC104_MAX_OBJECTS objects fit one operation record.
 */
static void decode_element(struct bld_op *op, uint8_t type, struct bld_cur *e, int *select)
{
	uint8_t b;
	switch (type) {
	case 1: case 2: case 30:                     /* SIQ: SPI bit 0, quality BL SB NT IV */
		b = bld_cur_u8(e);
		bld_op_uint(op, "value", b & 1u);
		bld_op_uint(op, "quality", b & 0xf0u);
		break;
	case 3: case 4: case 31:                     /* DIQ: DPI bits 0..1 */
		b = bld_cur_u8(e);
		bld_op_uint(op, "value", b & 3u);
		bld_op_uint(op, "quality", b & 0xf0u);
		break;
	case 5: case 6: case 32:                     /* VTI (I7 -64..63, transient bit 7) + QDS */
		b = bld_cur_u8(e);
		bld_op_int(op, "value", (int)(b & 0x3f) - (b & 0x40 ? 64 : 0));
		bld_op_bool(op, "transient", b & 0x80);
		bld_op_uint(op, "quality", bld_cur_u8(e));
		break;
	case 7: case 8: case 33:                     /* BSI + QDS */
	case 20:                                     /* SCD + QDS */
		bld_op_uint(op, "value", bld_cur_le32(e));
		bld_op_uint(op, "quality", bld_cur_u8(e));
		break;
	case 9: case 10: case 34:                    /* NVA (F16, raw) + QDS */
	case 11: case 12: case 35:                   /* SVA (I16) + QDS */
		bld_op_int(op, "value", (int16_t)bld_cur_le16(e));
		bld_op_uint(op, "quality", bld_cur_u8(e));
		break;
	case 21:                                     /* NVA without quality */
		bld_op_int(op, "value", (int16_t)bld_cur_le16(e));
		break;
	case 13: case 14: case 36:                   /* R32 + QDS */
		op_float(op, "value", bld_cur_le32(e));
		bld_op_uint(op, "quality", bld_cur_u8(e));
		break;
	case 15: case 16: case 37:                   /* BCR: I32 counter, SQ 5 bits, CY CA IV */
		bld_op_int(op, "value", (int32_t)bld_cur_le32(e));
		bld_op_uint(op, "quality", bld_cur_u8(e) & 0xe0u);
		break;
	case 45: case 58:                            /* SCO: SCS bit 0, QU bits 2..6, S/E bit 7 */
	case 46: case 59:                            /* DCO: DCS bits 0..1 */
	case 47: case 60:                            /* RCO: RCS bits 0..1 */
		b = bld_cur_u8(e);
		bld_op_uint(op, "value", type == 45 || type == 58 ? b & 1u : b & 3u);
		bld_op_bool(op, "select", b & 0x80);
		bld_op_uint(op, "qualifier", b >> 2 & 0x1fu);
		*select = b >> 7;
		break;
	case 48: case 61:                            /* NVA + QOS (QL bits 0..6, S/E bit 7) */
	case 49: case 62:                            /* SVA + QOS */
		bld_op_int(op, "value", (int16_t)bld_cur_le16(e));
		b = bld_cur_u8(e);
		bld_op_bool(op, "select", b & 0x80);
		bld_op_uint(op, "qualifier", b & 0x7fu);
		*select = b >> 7;
		break;
	case 50: case 63:                            /* R32 + QOS */
		op_float(op, "value", bld_cur_le32(e));
		b = bld_cur_u8(e);
		bld_op_bool(op, "select", b & 0x80);
		bld_op_uint(op, "qualifier", b & 0x7fu);
		*select = b >> 7;
		break;
	case 51: case 64:                            /* BSI: no qualifier, always executed */
		bld_op_uint(op, "value", bld_cur_le32(e));
		break;
	case 110: case 111:                          /* NVA / SVA + QPM */
		bld_op_int(op, "value", (int16_t)bld_cur_le16(e));
		bld_op_uint(op, "qualifier", bld_cur_u8(e));
		break;
	case 112:                                    /* R32 + QPM */
		op_float(op, "value", bld_cur_le32(e));
		bld_op_uint(op, "qualifier", bld_cur_u8(e));
		break;
	case 70: case 100: case 101: case 105: case 113:   /* COI, QOI, QCC, QRP, QPA */
		bld_op_uint(op, "qualifier", bld_cur_u8(e));
		break;
	case 104: case 106: case 107:                /* FBP, CP16 delay, TSC (+ time tag) */
		bld_op_uint(op, "value", bld_cur_le16(e));
		break;
	default:                                     /* time only, protection events, files: the address */
		break;
	}
}

/* ---- objects --------------------------------------------------------------------------------- */

/* Walks the information objects of an ASDU of a known type. */
struct walker {
	struct bld_cur c;        /* the ASDU after its header */
	uint8_t type;
	bool sq;
	uint32_t i;
	uint32_t base;           /* SQ = 1: the one address sent */
};

/* The next object's address and element, or false when its bytes are not all there. */
static bool walk_next(struct walker *w, uint32_t *ioa, struct bld_cur *elem)
{
	if (!w->sq || w->i == 0) {
		if (bld_cur_left(&w->c) < IEC104_IOA_SIZE)
			return false;
		uint32_t a = cur_le24(&w->c);
		if (w->sq)
			w->base = a;
		*ioa = a;
	} else {
		*ioa = (w->base + w->i) & 0xffffff;
	}
	uint32_t size = types[w->type].size;
	if (size == SZ_VARIABLE) {
		/* F_SG_NA_1: NOF(2) NOS(1) LOS(1) then LOS octets of segment (101 §7.3.6.7). */
		const uint8_t *h = bld_cur_peek(&w->c, 4);
		if (!h)
			return false;
		size = 4u + h[3];
	}
	if (bld_cur_left(&w->c) < size)
		return false;
	*elem = bld_cur_take(&w->c, size);
	w->i++;
	return true;
}

static void items_cut(struct bld_parse_ctx *pc, bool *raised)
{
	if (!*raised)
		bld_event(pc, BLD_EVENT_APP_ITEMS_CAPACITY);
	*raised = true;
}

/* ---- state ----------------------------------------------------------------------------------- */

static uint64_t make_key(enum key_kind kind, bool req_to_server, uint8_t type, uint16_t ca, uint32_t ioa)
{
	return (uint64_t)req_to_server << 63 | (uint64_t)kind << 56 | (uint64_t)type << 40 | (uint64_t)ca << 24 |
	       (ioa & 0xffffff);
}

/*
 * A receive sequence number from `me` acknowledges the I format APDUs of
 * `peer` below it (§5.1): it may not run ahead of what the peer sent nor go
 * back behind what was acknowledged already.  Half the sequence space
 * separates ahead from behind.
 */
static void check_ack(struct bld_parse_ctx *pc, struct dir_state *me, const struct dir_state *peer, uint16_t recv)
{
	bool bad = false;
	if (peer->has_send) {
		uint16_t ahead = (uint16_t)(recv - peer->next_send) & IEC104_SEQ_MOD;
		bad = ahead != 0 && ahead <= IEC104_SEQ_MOD / 2;
	}
	if (!bad && me->has_ack) {
		uint16_t back = (uint16_t)(me->last_ack - recv) & IEC104_SEQ_MOD;
		bad = back != 0 && back <= IEC104_SEQ_MOD / 2;
	}
	if (bad) {
		bld_event(pc, BLD_EVENT_IEC104_ACK_ERROR);
		return;  /* keep the last good value so that one bad ack is one event */
	}
	me->last_ack = recv;
	me->has_ack = true;
}

/*
 * I format is allowed only while data transfer is started (§5.3).  A
 * capture that joins a running connection has seen no STARTDT: sequence
 * numbers other than 0 say the connection carried I format APDUs before, so
 * it was started; N(S) = N(R) = 0 is the first I format of a connection.
 */
static void check_started(struct bld_parse_ctx *pc, struct iec104_state *st, uint16_t send, uint16_t recv)
{
	if (st->dt == DT_STARTED)
		return;
	if (st->dt == DT_UNKNOWN && (send || recv)) {
		st->dt = DT_STARTED;
		return;
	}
	bld_event(pc, BLD_EVENT_IEC104_I_BEFORE_STARTDT);
	st->dt = DT_STOPPED;
}

static void term_arm(struct iec104_state *st, uint64_t key, uint64_t ts_ns)
{
	for (unsigned i = 0; i < IEC104_TERM_WAITS; i++)
		if (st->term[i].used && st->term[i].key == key) {
			st->term[i].ts_ns = ts_ns;
			return;
		}
	/* Termination is optional: the oldest wait is forgotten silently, it is no capacity problem. */
	st->term[st->term_next] = (struct term_wait){ .key = key, .ts_ns = ts_ns, .used = true };
	st->term_next = (uint8_t)((st->term_next + 1u) % IEC104_TERM_WAITS);
}

static void term_match(struct bld_parse_ctx *pc, struct iec104_state *st, uint64_t key)
{
	for (unsigned i = 0; i < IEC104_TERM_WAITS; i++)
		if (st->term[i].used && st->term[i].key == key) {
			uint64_t t0 = st->term[i].ts_ns;
			pc->op->response_time_ns = pc->ts_ns >= t0 ? pc->ts_ns - t0 : 0;
			pc->op->has_response_time = true;
			st->term[i].used = false;
			return;
		}
}

/* Commands whose execution ends with an activation termination (101 §7.4: commands, interrogations). */
static bool terminates(uint8_t type)
{
	return (type >= 45 && type <= 51) || (type >= 58 && type <= 64) || type == 100 || type == 101;
}

/* ---- parse ----------------------------------------------------------------------------------- */

/*
 * Direction of an I format APDU from its cause (101 §7.2.3): activations,
 * deactivations and requests of control-direction types ask; confirmations,
 * terminations, negative replies (44..47) and every monitor-direction cause
 * (cyclic, spontaneous, interrogated, ...) answer.  File transfer and
 * undefined causes carry no direction: the sender decides.
 */
static enum bld_op_dir i_dir(const struct bld_parse_ctx *pc, uint8_t type, uint8_t cause)
{
	switch (cause) {
	case COT_ACT:
	case COT_DEACT:
		return BLD_OP_REQUEST;
	case COT_REQ:
		return monitor_type(type) ? BLD_OP_RESPONSE : BLD_OP_REQUEST;
	case COT_FILE:
		break;
	default:
		if ((cause >= COT_PER_CYC && cause <= COT_RETLOC) ||
		    (cause >= COT_INROGEN && cause <= COT_REQCO4) ||
		    (cause >= COT_UNKNOWN_TYPE && cause <= COT_UNKNOWN_IOA))
			return BLD_OP_RESPONSE;
		break;
	}
	return pc->to_server ? BLD_OP_REQUEST : BLD_OP_RESPONSE;
}

static void parse_asdu(struct bld_parse_ctx *pc, struct iec104_state *st, struct bld_cur *c, enum bld_op_dir dir)
{
	struct bld_op *op = pc->op;
	uint8_t type = bld_cur_u8(c);
	uint8_t vsq = bld_cur_u8(c);
	uint8_t cotb = bld_cur_u8(c);
	uint8_t originator = bld_cur_u8(c);
	uint16_t ca = bld_cur_le16(c);
	uint8_t cause = cotb & 0x3f;
	uint8_t n = vsq & 0x7f;
	bool sq = vsq & 0x80;
	bool known = known_type(type);

	bld_op_uint(op, "typeid", type);
	if (known)
		bld_op_cstr(op, "type_name", types[type].name);
	bld_op_bool(op, "sq", sq);
	bld_op_uint(op, "num_objects", n);
	bld_op_uint(op, "cot", cause);
	if (cause_names[cause])
		bld_op_cstr(op, "cot_name", cause_names[cause]);
	bld_op_bool(op, "negative", cotb & 0x40);
	bld_op_bool(op, "test", cotb & 0x80);
	bld_op_uint(op, "originator", originator);
	bld_op_uint(op, "ca", ca);

	if (!known)
		bld_event(pc, BLD_EVENT_IEC104_ILLEGAL_TYPE);
	if (!known_cause(cotb))
		bld_event(pc, BLD_EVENT_IEC104_ILLEGAL_CAUSE);
	if (cotb & 0x40)
		bld_event(pc, BLD_EVENT_IEC104_NEGATIVE_CONFIRM);

	bool cut = false;
	struct bld_cur body = *c;
	bool has_ioa = bld_cur_left(&body) >= IEC104_IOA_SIZE;
	uint32_t first_ioa = 0;
	if (has_ioa) {
		struct bld_cur a = body;
		first_ioa = cur_le24(&a);
	}

	/*
	 * Addresses: those of the objects whose bytes are all there; with SQ = 1
	 * all N follow from the one sent, and of a type of unknown size only
	 * those can be known (SQ = 0: the first).
	 */
	bld_op_list(op, "ioas");
	uint32_t total = 0;
	if (known) {
		struct walker w = { .c = body, .type = type, .sq = sq };
		uint32_t ioa;
		struct bld_cur elem;
		while (w.i < n && walk_next(&w, &ioa, &elem))
			if (w.i <= IEC104_MAX_IOAS)
				bld_op_uint(op, NULL, ioa);
		/* Exactly N objects and nothing after them: the APDU length frames the ASDU (104 §5). */
		if (w.i != n || bld_cur_left(&w.c) != 0)
			bld_event(pc, BLD_EVENT_IEC104_BAD_LENGTH);
		total = w.i;
	}
	if (has_ioa && (sq || !known)) {
		uint32_t all = sq ? n : 1;
		for (uint32_t i = total; i < all && i < IEC104_MAX_IOAS; i++)
			bld_op_uint(op, NULL, (first_ioa + i) & 0xffffff);
		if (all > total)
			total = all;
	}
	bld_op_end(op);
	if (total > IEC104_MAX_IOAS) {
		bld_op_uint(op, "ioas_count", total);
		items_cut(pc, &cut);
	}

	/* Values of the objects whose bytes are all there. */
	int first_select = -1;
	if (known) {
		bld_op_list(op, "objects");
		struct walker w = { .c = body, .type = type, .sq = sq };
		uint32_t ioa;
		struct bld_cur elem;
		while (w.i < n && walk_next(&w, &ioa, &elem)) {
			if (w.i > IEC104_MAX_OBJECTS)
				continue;
			int select = -1;
			bld_op_object(op, NULL);
			bld_op_uint(op, "ioa", ioa);
			decode_element(op, type, &elem, &select);
			bld_op_end(op);
			if (w.i == 1)
				first_select = select;
		}
		bld_op_end(op);
		if (w.i > IEC104_MAX_OBJECTS) {
			bld_op_uint(op, "objects_count", w.i);
			items_cut(pc, &cut);
		}
	}

	/* Pairing by (type, CA, first IOA); an ASDU without an address pairs under 0. */
	bool req_to_server = dir == BLD_OP_REQUEST ? pc->to_server : !pc->to_server;
	if (dir == BLD_OP_REQUEST) {
		if (cause == COT_ACT)
			bld_txn_request(pc, &st->txn, make_key(KEY_ACT, req_to_server, type, ca, first_ioa), 0);
		else if (cause == COT_DEACT)
			bld_txn_request(pc, &st->txn, make_key(KEY_DEACT, req_to_server, type, ca, first_ioa), 0);
		else if (cause == COT_REQ)
			bld_txn_request(pc, &st->txn, make_key(KEY_READ, req_to_server, type, ca, first_ioa), 0);
		return;
	}
	switch (cause) {
	case COT_ACTCON:
		if (!bld_txn_response(pc, &st->txn, make_key(KEY_ACT, req_to_server, type, ca, first_ioa), NULL)) {
			bld_event(pc, BLD_EVENT_IEC104_RESPONSE_WITHOUT_REQUEST);
			break;
		}
		/* A positive confirmation of an execute (not a select): the termination may follow (101 §7.4). */
		if (!(cotb & 0x40) && terminates(type) && first_select != 1)
			term_arm(st, make_key(KEY_ACT, req_to_server, type, ca, first_ioa),
				 pc->ts_ns - op->response_time_ns);
		break;
	case COT_DEACTCON:
		if (!bld_txn_response(pc, &st->txn, make_key(KEY_DEACT, req_to_server, type, ca, first_ioa), NULL))
			bld_event(pc, BLD_EVENT_IEC104_RESPONSE_WITHOUT_REQUEST);
		break;
	case COT_ACTTERM:
		term_match(pc, st, make_key(KEY_ACT, req_to_server, type, ca, first_ioa));
		break;
	case COT_REQ:        /* monitor data requested by C_RD_NA_1 (101 §7.4.10) */
		bld_txn_response(pc, &st->txn, make_key(KEY_READ, req_to_server, 102, ca, first_ioa), NULL);
		break;
	default:
		/* Negative replies mirror the request: activation, deactivation or read (101 §7.2.3). */
		if (cause >= COT_UNKNOWN_TYPE && cause <= COT_UNKNOWN_IOA &&
		    !bld_txn_response(pc, &st->txn, make_key(KEY_ACT, req_to_server, type, ca, first_ioa), NULL) &&
		    !bld_txn_response(pc, &st->txn, make_key(KEY_DEACT, req_to_server, type, ca, first_ioa), NULL))
			bld_txn_response(pc, &st->txn, make_key(KEY_READ, req_to_server, type, ca, first_ioa), NULL);
		break;
	}
}

static void parse_i(struct bld_parse_ctx *pc, struct iec104_state *st, const uint8_t *ctl, struct bld_cur *asdu)
{
	struct dir_state *me = &st->dir[pc->to_server], *peer = &st->dir[!pc->to_server];
	uint16_t send = (uint16_t)((ctl[0] | ctl[1] << 8) >> 1);
	uint16_t recv = (uint16_t)((ctl[2] | ctl[3] << 8) >> 1);

	if (ctl[2] & 1)
		bld_event(pc, BLD_EVENT_IEC104_BAD_CONTROL);
	check_started(pc, st, send, recv);
	/* §5.1: each I format APDU carries the previous one's N(S) + 1, modulo 2^15. */
	if (me->has_send && send != me->next_send)
		bld_event(pc, BLD_EVENT_IEC104_SEQUENCE_ERROR);
	me->next_send = (uint16_t)(send + 1) & IEC104_SEQ_MOD;
	me->has_send = true;
	check_ack(pc, me, peer, recv);

	/* The direction comes from the ASDU's type and cause: look before the record starts. */
	bool whole = bld_cur_left(asdu) >= IEC104_ASDU_HEADER;
	enum bld_op_dir dir = pc->to_server ? BLD_OP_REQUEST : BLD_OP_RESPONSE;
	const uint8_t *h = bld_cur_peek(asdu, IEC104_ASDU_HEADER);
	if (h)
		dir = i_dir(pc, h[0], h[2] & 0x3f);
	struct bld_op *op = bld_op_begin(pc, dir);
	bld_op_cstr(op, "apci", "i");
	bld_op_uint(op, "send_seq", send);
	bld_op_uint(op, "recv_seq", recv);
	if (!whole)
		bld_event(pc, BLD_EVENT_IEC104_TRUNCATED);   /* 104 §5: an I format carries an ASDU */
	else
		parse_asdu(pc, st, asdu, dir);
	bld_op_emit(pc);
}

static void parse_s(struct bld_parse_ctx *pc, struct iec104_state *st, const uint8_t *ctl, uint32_t apdu_len)
{
	uint16_t recv = (uint16_t)((ctl[2] | ctl[3] << 8) >> 1);
	if (ctl[0] != 0x01 || ctl[1] != 0 || (ctl[2] & 1))
		bld_event(pc, BLD_EVENT_IEC104_BAD_CONTROL);
	if (apdu_len != IEC104_APDU_MIN)
		bld_event(pc, BLD_EVENT_IEC104_BAD_LENGTH);
	/* An acknowledgement of I format APDUs: they were exchanged before, so transfer was started. */
	if (st->dt == DT_UNKNOWN && recv)
		st->dt = DT_STARTED;
	check_ack(pc, &st->dir[pc->to_server], &st->dir[!pc->to_server], recv);

	/* S format answers I format APDUs (§5.2): a response whichever side sends it. */
	struct bld_op *op = bld_op_begin(pc, BLD_OP_RESPONSE);
	bld_op_cstr(op, "apci", "s");
	bld_op_uint(op, "recv_seq", recv);
	bld_op_emit(pc);
}

static void parse_u(struct bld_parse_ctx *pc, struct iec104_state *st, const uint8_t *ctl, uint32_t apdu_len)
{
	uint8_t bits = ctl[0] >> 2;
	int fn = -1;
	for (int i = 0; i < 6; i++)
		if (bits == 1u << i)
			fn = i;
	if (ctl[1] || ctl[2] || ctl[3])
		bld_event(pc, BLD_EVENT_IEC104_BAD_CONTROL);
	if (apdu_len != IEC104_APDU_MIN)
		bld_event(pc, BLD_EVENT_IEC104_BAD_LENGTH);
	if (fn < 0) {
		/* §5.3: "only one of the functions may be activated at a time". */
		bld_event(pc, BLD_EVENT_IEC104_BAD_U_FUNCTION);
		struct bld_op *op = bld_op_begin(pc, pc->to_server ? BLD_OP_REQUEST : BLD_OP_RESPONSE);
		bld_op_cstr(op, "apci", "u");
		bld_op_cstr(op, "u_function", "invalid");
		bld_op_uint(op, "u_bits", bits);
		bld_op_emit(pc);
		return;
	}
	bool act = (fn & 1) == 0;
	switch (fn) {
	case U_STARTDT_ACT:
		if (st->dt != DT_STARTED)
			st->dt = DT_STOPPED;   /* a connection being started: no I format until the con */
		break;
	case U_STARTDT_CON:
		st->dt = DT_STARTED;
		break;
	case U_STOPDT_CON:
		st->dt = DT_STOPPED;
		break;
	default:
		break;
	}
	struct bld_op *op = bld_op_begin(pc, act ? BLD_OP_REQUEST : BLD_OP_RESPONSE);
	bld_op_cstr(op, "apci", "u");
	bld_op_cstr(op, "u_function", u_names[fn]);
	/* act and con pair under the act's function; the con comes from the other side. */
	uint8_t act_fn = (uint8_t)(fn & ~1);
	if (act) {
		bld_txn_request(pc, &st->txn, make_key(KEY_U, pc->to_server, act_fn, 0, 0), 0);
	} else if (!bld_txn_response(pc, &st->txn, make_key(KEY_U, !pc->to_server, act_fn, 0, 0), NULL)) {
		bld_event(pc, BLD_EVENT_IEC104_RESPONSE_WITHOUT_REQUEST);
	}
	bld_op_emit(pc);
}

static struct bld_parse_result iec104_parse(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len)
{
	struct iec104_state *st = pc->state;
	struct bld_cur c = bld_cur_make(data, len);
	if (len == 0)
		return bld_parse_incomplete(0);
	if (bld_cur_u8(&c) != IEC104_START) {
		bld_event(pc, BLD_EVENT_IEC104_BAD_START);
		return bld_parse_error(1);
	}
	if (len < 2)
		return bld_parse_incomplete(0);
	uint8_t apdu_len = bld_cur_u8(&c);
	if (apdu_len < IEC104_APDU_MIN || apdu_len > IEC104_APDU_MAX) {
		/* §5: the length field counts the control field (4) and an ASDU of at most 249. */
		bld_event(pc, BLD_EVENT_IEC104_BAD_LENGTH);
		return bld_parse_error(1);
	}
	if (len < 2u + apdu_len)
		return bld_parse_incomplete(2u + apdu_len);
	struct bld_cur apdu = bld_cur_take(&c, apdu_len);
	const uint8_t *ctl = bld_cur_bytes(&apdu, 4);
	if (!ctl)   /* cannot happen: apdu_len >= 4 and all of it is here */
		return bld_parse_error(1);
	if ((ctl[0] & 1) == 0)
		parse_i(pc, st, ctl, &apdu);
	else if ((ctl[0] & 3) == 1)
		parse_s(pc, st, ctl, apdu_len);
	else
		parse_u(pc, st, ctl, apdu_len);
	return bld_parse_ok(2u + apdu_len);
}

/* Free what the request tables hold. */
static void iec104_state_fini(void *state)
{
	struct iec104_state *st = state;
	bld_txn_fini(&st->txn);
}

/* ---- what policies may constrain (fields.h; docs/policy-protocols.md) ---- */

/* The type_name an op shows: the standard's name of a defined type. */
static const char *field_type_name(uint64_t v)
{
	return v < 128 && known_type((uint8_t)v) ? types[v].name : NULL;
}

static const char *field_cause_name(uint64_t v)
{
	return v < 64 ? cause_names[v] : NULL;
}

static const struct bld_field_spec iec104_fields[] = {
	{ .key = "typeid", .kind = BLD_FIELD_SET, .path = "typeid", .max = UINT8_MAX, .name = field_type_name,
	  .doc = "ASDU type identification, e.g. C_SC_NA_1 (45), C_SE_NC_1 (50), C_IC_NA_1 (100)" },
	{ .key = "cot", .kind = BLD_FIELD_SET, .path = "cot", .max = 63, .name = field_cause_name,
	  .doc = "cause of transmission, e.g. act (6), deact (8), spont (3)" },
	{ .key = "ca", .kind = BLD_FIELD_SET, .path = "ca", .max = UINT16_MAX,
	  .doc = "common address of the ASDU (station; 65535 global)" },
	{ .key = "ioa", .kind = BLD_FIELD_SET, .path = "ioas", .max = 0xFFFFFF,
	  .doc = "information object addresses of the ASDU (every one must be in the set)" },
	{ .key = "value", .kind = BLD_FIELD_VALUE, .path = "objects.value",
	  .doc = "object values: commanded state, set point (raw F16 for normalized), measured value" },
	{ .key = "qualifier", .kind = BLD_FIELD_SET, .path = "objects.qualifier", .max = UINT8_MAX,
	  .doc = "qualifier of commands and system ASDUs: QU, QL, QOI (20 station interrogation), QCC, QRP" },
	{ .key = "originator", .kind = BLD_FIELD_SET, .path = "originator", .max = UINT8_MAX,
	  .doc = "originator address (second octet of the cause)" },
	{ .key = "u_function", .kind = BLD_FIELD_TEXT, .path = "u_function",
	  .doc = "U format function: startdt_act, stopdt_act, testfr_act and their _con" },
};

const struct bld_dissector bld_dsc_iec104 = {
	.name = "iec104",
	.description = "IEC 60870-5-104",
	.transports = BLD_TRANSPORT_TCP,
	.ports = { 2404 },
	.probe = iec104_probe,
	.parse = iec104_parse,
	.state_size = sizeof(struct iec104_state),
	.state_fini = iec104_state_fini,
	.fields = iec104_fields,
	.n_fields = sizeof(iec104_fields) / sizeof(iec104_fields[0]),
};
