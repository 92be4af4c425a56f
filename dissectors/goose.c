/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IEC 61850-8-1 GOOSE (Annex A, Annex C), directly over ethertype 0x88B8,
 * one message per Ethernet frame (the engine strips 802.1Q/QinQ tags):
 *
 *   APPID       2   publisher's application id (Annex C: 0x0000..0x3FFF for GOOSE)
 *   length      2   octets from APPID to the end of the APDU (8 + APDU [+ extension])
 *   reserved1   2   bit 15: S, simulate (Ed. 2); the rest 0 unless IEC 62351-6 uses it
 *   reserved2   2   0 unless IEC 62351-6 uses it
 *   APDU            goosePdu [APPLICATION 1] IMPLICIT IECGoosePdu, tag 0x61, BER (X.690)
 *   (extension)     octets inside `length` after the APDU: IEC 62351-6 security extension
 *   (padding)       Ethernet padding to 60 octets, after `length`: ignored
 *
 *   IECGoosePdu ::= SEQUENCE {                        tag
 *     gocbRef           [0]  VisibleString           0x80
 *     timeAllowedtoLive [1]  INTEGER (INT32U, ms)    0x81
 *     datSet            [2]  VisibleString           0x82
 *     goID              [3]  VisibleString OPTIONAL  0x83
 *     t                 [4]  UtcTime (8 octets)      0x84
 *     stNum             [5]  INTEGER (INT32U)        0x85
 *     sqNum             [6]  INTEGER (INT32U)        0x86
 *     simulation        [7]  BOOLEAN DEFAULT FALSE   0x87  (Ed. 1: test)
 *     confRev           [8]  INTEGER (INT32U)        0x88
 *     ndsCom            [9]  BOOLEAN DEFAULT FALSE   0x89
 *     numDatSetEntries  [10] INTEGER (INT32U)        0x8A
 *     allData           [11] SEQUENCE OF Data        0xAB
 *     security          [12] ANY OPTIONAL            0x8C / 0xAC (reserved for a signature)
 *   }
 *   Data ::= CHOICE { array [1] (0xA1), structure [2] (0xA2), boolean [3], bit-string [4],
 *     integer [5], unsigned [6], floating-point [7], real [8], octet-string [9],
 *     visible-string [10], binary-time [12], bcd [13], booleanArray [14], objId [15],
 *     mMSString [16], utc-time [17] }     (primitive: 0x80 | n)
 *
 *   UtcTime (8.1.3.7): seconds since 1970 (4), fraction of a second / 2^24 (3), quality (1:
 *   bit 7 leap seconds known, 6 clock failure, 5 clock not synchronised, 0..4 accuracy bits).
 *   FloatingPoint: exponent width (1: 8 single, 11 double) then the IEEE 754 value, big-endian.
 *
 * BER is read with definite lengths only (short form, or long form of 1..4
 * octets), one-octet tags, every length inside its container: anything else
 * is goose.bad_ber and the rest of that container is skipped.
 *
 * State per flow (an L2 flow is one source MAC towards one destination MAC
 * and VLAN, so one publisher, or a few): for each control block (APPID,
 * gocbRef) the previous message's stNum, sqNum, arrival, timeAllowedtoLive,
 * confRev and a hash of its allData, to check the IEC 61850-7-2 GSE model's
 * retransmission rules: a retransmission keeps stNum and increments sqNum; a
 * state change increments stNum and restarts sqNum at 0; the next message
 * comes within the previous one's time allowed to live.
 */
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "fields.h"
#include "op.h"
#include "registry.h"

#define GOOSE_HEADER 8
#define GOOSE_TAG_PDU 0x61           /* goosePdu [APPLICATION 1], constructed */
#define GOOSE_S_BIT 0x8000           /* reserved1: simulate (IEC 61850-8-1 Ed. 2) */

/* Hard caps of one operation record and of one flow's state. */
#define GOOSE_MAX_PUBLISHERS 8       /* control blocks tracked per flow */
#define GOOSE_MAX_ENTRIES 64         /* data values listed per message, all levels together */
#define GOOSE_MAX_DEPTH 3            /* levels listed: entries, their members, members' members */
#define GOOSE_MAX_NAME 255           /* octets of gocbRef, datSet, goID shown */
#define GOOSE_MAX_STRING 32          /* octets of a string value shown */
#define GOOSE_MAX_HEX 16             /* octets of an octet-string (or undecoded value) shown */
#define GOOSE_MAX_BITS 64            /* bits of a bit-string shown as 0/1; longer: hex */

/* IECGoosePdu field numbers: the context tag [n]. */
enum {
	F_GOCB_REF, F_TTL, F_DAT_SET, F_GO_ID, F_T, F_ST_NUM, F_SQ_NUM, F_SIMULATION, F_CONF_REV,
	F_NDS_COM, F_NUM_ENTRIES, F_ALL_DATA, F_SECURITY, F_COUNT
};

/* Fields without which a goosePdu is incomplete (goID is OPTIONAL, the BOOLEANs DEFAULT FALSE). */
#define F_MANDATORY (1u << F_GOCB_REF | 1u << F_TTL | 1u << F_DAT_SET | 1u << F_T | 1u << F_ST_NUM | \
		     1u << F_SQ_NUM | 1u << F_CONF_REV | 1u << F_NUM_ENTRIES | 1u << F_ALL_DATA)

/* Data CHOICE alternatives by context tag number ([11] is not a GOOSE type: NULL). */
static const char *const data_types[18] = {
	[1] = "array", [2] = "structure", [3] = "boolean", [4] = "bit-string", [5] = "integer",
	[6] = "unsigned", [7] = "floating-point", [8] = "real", [9] = "octet-string",
	[10] = "visible-string", [12] = "binary-time", [13] = "bcd", [14] = "boolean-array",
	[15] = "obj-id", [16] = "mms-string", [17] = "utc-time",
};

struct publisher {
	uint64_t key;            /* hash of (direction, APPID, gocbRef) */
	uint64_t ts_ns;          /* arrival of its previous message */
	uint64_t data_hash;      /* of that message's allData octets */
	uint32_t st_num, sq_num;
	uint32_t ttl_ms;         /* that message's timeAllowedtoLive; 0: none to check */
	uint32_t conf_rev;
	bool used, has_conf_rev, has_data;
};

struct goose_state {
	struct publisher pub[GOOSE_MAX_PUBLISHERS];
};

/* What one goosePdu carried, collected before the checks that need several fields. */
struct goose_msg {
	struct bld_cur f[F_COUNT];   /* the first occurrence of each field, by tag number */
	uint32_t have;               /* fields present */
	uint32_t valid;              /* fields present and well formed */
	uint32_t ttl_ms, st_num, sq_num, conf_rev, num_entries;
	bool simulation;
	uint32_t n_entries;          /* allData entries, all counted */
	uint64_t data_hash;
};

/* ---- probe ------------------------------------------------------------------------------------ */

/* A length that fits the frame and at least a goosePdu tag after the header (padding may follow). */
static enum bld_probe goose_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	bld_cur_skip(&c, 2);
	uint16_t length = bld_cur_be16(&c);
	bld_cur_skip(&c, 4);
	uint8_t tag = bld_cur_u8(&c);
	if (c.err || length < GOOSE_HEADER + 1 || length > len || tag != GOOSE_TAG_PDU)
		return BLD_PROBE_NO;
	return BLD_PROBE_MATCH;
}

/* ---- BER (X.690 §8.1) ---------------------------------------------------------------------------- */

enum ber_res {
	BER_END,                 /* nothing left in the container */
	BER_OK,
	BER_BAD,                 /* an encoding GOOSE does not allow */
	BER_OVERRUN,             /* a length past the end of its container */
};

/*
 * The next TLV of c: its tag and a cursor over its value.  Tags are one
 * octet (GOOSE uses no tag number above 30); lengths are definite, in the
 * short form or the long form of 1..4 octets (X.690 §8.1.3).
 */
static enum ber_res ber_next(struct bld_cur *c, uint8_t *tag, struct bld_cur *val)
{
	if (bld_cur_left(c) == 0)
		return BER_END;
	uint8_t t = bld_cur_u8(c);
	uint8_t b = bld_cur_u8(c);
	if (c->err)
		return BER_OVERRUN;
	if ((t & 0x1f) == 0x1f)
		return BER_BAD;
	uint32_t n = b;
	if (b & 0x80) {
		uint32_t k = b & 0x7fu;
		if (k == 0 || k > 4)                 /* 0x80: indefinite form; > 4 octets: no GOOSE frame is that long */
			return BER_BAD;
		n = 0;
		for (uint32_t i = 0; i < k; i++)
			n = n << 8 | bld_cur_u8(c);
		if (c->err)
			return BER_OVERRUN;
	}
	if (n > bld_cur_left(c))
		return BER_OVERRUN;
	*tag = t;
	*val = bld_cur_take(c, n);
	return BER_OK;
}

/* A BER INTEGER (X.690 §8.3): 1..8 octets of two's complement. */
static bool ber_int(struct bld_cur v, int64_t *out)
{
	uint32_t n = bld_cur_left(&v);
	const uint8_t *p = bld_cur_bytes(&v, n);
	if (!p || n == 0 || n > 8)
		return false;
	uint64_t x = p[0] & 0x80 ? UINT64_MAX : 0;
	for (uint32_t i = 0; i < n; i++)
		x = x << 8 | p[i];
	*out = (int64_t)x;
	return true;
}

/* An INT32U of IEC 61850-8-1 (stNum, sqNum, ...): an INTEGER in 0..2^32-1. */
static bool ber_u32(struct bld_cur v, uint32_t *out)
{
	int64_t x;
	if (!ber_int(v, &x) || x < 0 || x > UINT32_MAX)
		return false;
	*out = (uint32_t)x;
	return true;
}

/* A BER BOOLEAN (X.690 §8.2): one octet, 0 FALSE, anything else TRUE. */
static bool ber_bool(struct bld_cur v, bool *out)
{
	if (bld_cur_left(&v) != 1)
		return false;
	*out = bld_cur_u8(&v) != 0;
	return true;
}

/* VisibleString (X.680): ISO 646 graphic characters and space only. */
static bool visible(struct bld_cur v)
{
	uint32_t n = bld_cur_left(&v);
	const uint8_t *p = bld_cur_bytes(&v, n);
	for (uint32_t i = 0; p && i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

static uint64_t fnv1a(uint64_t h, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define FNV_BASIS 0xcbf29ce484222325ull

/* ---- values ----------------------------------------------------------------------------------- */

/* Days since 1970-01-01 to a Gregorian date (H. Hinnant, "chrono-compatible low-level date algorithms"). */
static void civil_from_days(uint32_t days, unsigned *y, unsigned *m, unsigned *d)
{
	uint32_t z = days + 719468u;
	uint32_t era = z / 146097u;
	uint32_t doe = z - era * 146097u;
	uint32_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
	uint32_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
	uint32_t mp = (5u * doy + 2u) / 153u;
	*d = doy - (153u * mp + 2u) / 5u + 1u;
	*m = mp < 10u ? mp + 3u : mp - 9u;
	*y = yoe + era * 400u + (*m <= 2u);
}

/*
 * A UtcTime (IEC 61850-8-1 TimeStamp) as ISO 8601 with nanoseconds.  The
 * fraction is in units of 2^-24 s; the nanoseconds are truncated, as tshark
 * shows them.
 */
static void utc_text(const uint8_t *p, char *buf, size_t len)
{
	uint32_t secs = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	uint32_t frac = (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
	uint32_t ns = (uint32_t)((uint64_t)frac * 1000000000u >> 24);
	unsigned y, mo, d;
	civil_from_days(secs / 86400u, &y, &mo, &d);
	uint32_t s = secs % 86400u;
	snprintf(buf, len, "%04u-%02u-%02uT%02u:%02u:%02u.%09uZ", y, mo, d, (unsigned)(s / 3600u),
		 (unsigned)(s / 60u % 60u), (unsigned)(s % 60u), (unsigned)ns);
}

/* A string value, at most max octets of it; `size` says the true length when it was cut. */
static void op_string(struct bld_op *op, const char *name, struct bld_cur v, uint32_t max, bool hex)
{
	uint32_t n = bld_cur_left(&v);
	const uint8_t *p = bld_cur_bytes(&v, n);
	uint32_t shown = n < max ? n : max;
	if (hex)
		bld_op_hex(op, name, p, shown);
	else
		bld_op_text(op, name, p, shown);
	if (shown < n)
		bld_op_uint(op, "size", n);
}

/* A BIT STRING (X.690 §8.6): unused-bit count 0..7, then the bits, first bit most significant. */
static bool op_bits(struct bld_op *op, struct bld_cur v)
{
	uint32_t n = bld_cur_left(&v);
	uint8_t unused = bld_cur_u8(&v);
	if (n == 0 || unused > 7 || (n == 1 && unused != 0))
		return false;
	uint32_t nbits = (n - 1) * 8 - unused;
	if (nbits > GOOSE_MAX_BITS) {
		op_string(op, "hex", v, GOOSE_MAX_HEX, true);
		bld_op_uint(op, "bit_len", nbits);
		return true;
	}
	char bits[GOOSE_MAX_BITS];
	const uint8_t *p = bld_cur_bytes(&v, n - 1);
	for (uint32_t i = 0; p && i < nbits; i++)
		bits[i] = p[i / 8] >> (7 - i % 8) & 1 ? '1' : '0';
	bld_op_text(op, "bits", bits, nbits);
	return true;
}

/* FloatingPoint (IEC 61850-8-1, MMS): exponent width 8 (single) or 11 (double), then IEEE 754. */
static bool op_float(struct bld_op *op, struct bld_cur v)
{
	uint32_t n = bld_cur_left(&v);
	uint8_t width = bld_cur_u8(&v);
	if (n == 5 && width == 8) {
		uint32_t bits = bld_cur_be32(&v);
		float f;
		memcpy(&f, &bits, sizeof(f));
		bld_op_real32(op, "value", f);
		return true;
	}
	if (n == 9 && width == 11) {
		uint64_t bits = (uint64_t)bld_cur_be32(&v) << 32;
		bits |= bld_cur_be32(&v);
		double d;
		memcpy(&d, &bits, sizeof(d));
		bld_op_real(op, "value", d);
		return true;
	}
	return false;
}

/* ---- allData ---------------------------------------------------------------------------------- */

struct data_walk {
	struct bld_parse_ctx *pc;
	uint32_t listed;         /* values listed so far (GOOSE_MAX_ENTRIES) */
	bool cut;                /* some were left out: app.items_capacity raised */
	bool bad;                /* a BER error inside: goose.bad_ber raised */
};

static void walk_cut(struct data_walk *w)
{
	if (!w->cut)
		bld_event(w->pc, BLD_EVENT_APP_ITEMS_CAPACITY);
	w->cut = true;
}

static void walk_bad(struct data_walk *w)
{
	if (!w->bad)
		bld_event(w->pc, BLD_EVENT_GOOSE_BAD_BER);
	w->bad = true;
}

static void data_value(struct data_walk *w, uint8_t tag, struct bld_cur v, unsigned depth);

/* The members of an array or structure: listed below GOOSE_MAX_DEPTH, counted always. */
static void data_members(struct data_walk *w, struct bld_cur v, unsigned depth)
{
	struct bld_op *op = w->pc->op;
	bool list = depth < GOOSE_MAX_DEPTH;
	uint32_t n = 0, listed = 0;
	if (list)
		bld_op_list(op, "items");
	uint8_t tag;
	struct bld_cur m;
	enum ber_res r;
	while ((r = ber_next(&v, &tag, &m)) == BER_OK) {
		n++;
		if (list && w->listed < GOOSE_MAX_ENTRIES) {
			data_value(w, tag, m, depth + 1);
			listed++;
		}
	}
	if (r != BER_END)
		walk_bad(w);
	if (list)
		bld_op_end(op);
	if (listed < n) {
		bld_op_uint(op, "items_count", n);
		if (list)
			walk_cut(w);
	}
}

/* What data_scalar() made of a value. */
enum scalar {
	SC_OK,                   /* shown */
	SC_OCTETS,               /* a type shown as its octets */
	SC_BAD,                  /* malformed for its type: show its octets */
	SC_BAD_SHOWN,            /* malformed, but shown as the number sent */
};

/* The value of one primitive Data alternative (IEC 61850-8-1 Annex A: MMS Data). */
static enum scalar data_scalar(struct bld_op *op, uint8_t num, struct bld_cur v)
{
	int64_t i;
	bool b;
	switch (num) {
	case 3:
		if (!ber_bool(v, &b))
			return SC_BAD;
		bld_op_bool(op, "value", b);
		return SC_OK;
	case 4: case 14:
		return op_bits(op, v) ? SC_OK : SC_BAD;
	case 5: case 13:
		if (!ber_int(v, &i))
			return SC_BAD;
		bld_op_int(op, "value", i);
		return SC_OK;
	case 6:
		if (!ber_int(v, &i))
			return SC_BAD;
		if (i < 0) {
			bld_op_int(op, "value", i);
			return SC_BAD_SHOWN;
		}
		bld_op_uint(op, "value", (uint64_t)i);
		return SC_OK;
	case 7:
		return op_float(op, v) ? SC_OK : SC_BAD;
	case 10: case 16:
		op_string(op, "text", v, GOOSE_MAX_STRING, false);
		return num == 16 || visible(v) ? SC_OK : SC_BAD_SHOWN;
	case 17: {
		const uint8_t *p = bld_cur_bytes(&v, 8);
		if (!p || bld_cur_left(&v) != 0)
			return SC_BAD;
		char t[40];
		utc_text(p, t, sizeof(t));
		bld_op_cstr(op, "time", t);
		bld_op_uint(op, "quality", p[7]);
		return SC_OK;
	}
	default:                 /* real, octet-string, binary-time, obj-id */
		return SC_OCTETS;
	}
}

/* One Data value as an object {type, ...}; arrays and structures with their members. */
static void data_value(struct data_walk *w, uint8_t tag, struct bld_cur v, unsigned depth)
{
	struct bld_op *op = w->pc->op;
	uint8_t num = tag & 0x1f;
	bool constructed = tag & 0x20;
	const char *type = (tag & 0xc0) == 0x80 && num < 18 ? data_types[num] : NULL;
	/* arrays and structures are constructed, every other alternative primitive */
	if (type && constructed != (num == 1 || num == 2))
		type = NULL;

	w->listed++;
	bld_op_object(op, NULL);
	bld_op_cstr(op, "type", type ? type : "unknown");
	enum scalar r = SC_BAD;
	if (!type)
		bld_op_uint(op, "tag", tag);
	else if (num == 1 || num == 2)
		data_members(w, v, depth), r = SC_OK;
	else
		r = data_scalar(op, num, v);
	if (r == SC_BAD || r == SC_BAD_SHOWN)
		bld_event(w->pc, BLD_EVENT_GOOSE_BAD_FIELD);
	if (r == SC_BAD || r == SC_OCTETS)
		op_string(op, "hex", v, GOOSE_MAX_HEX, true);
	bld_op_end(op);
}

/* allData: the list `data`, the entry count, and a hash of the octets to see values change. */
static void all_data(struct bld_parse_ctx *pc, struct goose_msg *m)
{
	struct bld_op *op = pc->op;
	struct data_walk w = { .pc = pc };
	struct bld_cur v = m->f[F_ALL_DATA];
	uint32_t n = bld_cur_left(&v);
	const uint8_t *p = bld_cur_peek(&v, n);
	m->data_hash = fnv1a(FNV_BASIS, p, p ? n : 0);

	bld_op_list(op, "data");
	uint8_t tag;
	struct bld_cur e;
	enum ber_res r;
	uint32_t count = 0;
	while ((r = ber_next(&v, &tag, &e)) == BER_OK) {
		count++;
		if (w.listed < GOOSE_MAX_ENTRIES)
			data_value(&w, tag, e, 1);
		else
			walk_cut(&w);
	}
	if (r != BER_END)
		walk_bad(&w);
	bld_op_end(op);
	if (w.cut)
		bld_op_uint(op, "data_count", count);
	m->n_entries = count;
	if (!w.bad)
		m->valid |= 1u << F_ALL_DATA;
}

/* ---- goosePdu fields ------------------------------------------------------------------------ */

/*
 * Cut the goosePdu into its fields: the first occurrence of each, in any
 * order (the SEQUENCE fixes the order: anything else is goose.field_order,
 * IEC TISSUE 207), until the end or a BER error.
 */
static void split_fields(struct bld_parse_ctx *pc, struct bld_cur *pdu, struct goose_msg *m)
{
	uint8_t tag;
	struct bld_cur v;
	enum ber_res r;
	int last = -1;
	bool order_raised = false;
	while ((r = ber_next(pdu, &tag, &v)) == BER_OK) {
		int num = tag & 0x1f;
		bool constructed = tag & 0x20;
		bool known = (tag & 0xc0) == 0x80 && num < F_COUNT &&
			     (num == F_SECURITY || constructed == (num == F_ALL_DATA));
		if (!known || num <= last || (m->have & 1u << num)) {
			if (!order_raised)
				bld_event(pc, BLD_EVENT_GOOSE_FIELD_ORDER);
			order_raised = true;
		}
		if (known && !(m->have & 1u << num)) {
			m->f[num] = v;
			m->have |= 1u << num;
		}
		if (known && num > last)
			last = num;
	}
	if (r != BER_END)
		bld_event(pc, BLD_EVENT_GOOSE_BAD_BER);
}

/* A VisibleString field, at most GOOSE_MAX_NAME octets of it. */
static void name_field(struct bld_parse_ctx *pc, struct goose_msg *m, int num, const char *name)
{
	if (!(m->have & 1u << num))
		return;
	if (visible(m->f[num]))
		m->valid |= 1u << num;
	else
		bld_event(pc, BLD_EVENT_GOOSE_BAD_FIELD);
	op_string(pc->op, name, m->f[num], GOOSE_MAX_NAME, false);
}

/* An INT32U field: shown and kept when valid, else goose.bad_field and left out. */
static void u32_field(struct bld_parse_ctx *pc, struct goose_msg *m, int num, const char *name, uint32_t *out)
{
	if (!(m->have & 1u << num))
		return;
	if (!ber_u32(m->f[num], out)) {
		bld_event(pc, BLD_EVENT_GOOSE_BAD_FIELD);
		return;
	}
	m->valid |= 1u << num;
	bld_op_uint(pc->op, name, *out);
}

/* A BOOLEAN DEFAULT FALSE field: absent is FALSE (ASN.1 DEFAULT), shown either way. */
static bool bool_field(struct bld_parse_ctx *pc, struct goose_msg *m, int num, const char *name)
{
	bool b = false;
	if ((m->have & 1u << num) && !ber_bool(m->f[num], &b)) {
		bld_event(pc, BLD_EVENT_GOOSE_BAD_FIELD);
		return false;
	}
	m->valid |= 1u << num;
	bld_op_bool(pc->op, name, b);
	return b;
}

static void time_field(struct bld_parse_ctx *pc, struct goose_msg *m)
{
	if (!(m->have & 1u << F_T))
		return;
	struct bld_cur v = m->f[F_T];
	const uint8_t *p = bld_cur_bytes(&v, 8);
	if (!p || bld_cur_left(&v) != 0) {
		bld_event(pc, BLD_EVENT_GOOSE_BAD_FIELD);
		return;
	}
	char t[40];
	utc_text(p, t, sizeof(t));
	bld_op_cstr(pc->op, "t", t);
	bld_op_hex(pc->op, "t_raw", p, 8);
	bld_op_uint(pc->op, "t_quality", p[7]);
	m->valid |= 1u << F_T;
}

/* Every field of the goosePdu into the operation, in the SEQUENCE's order. */
static void decode_fields(struct bld_parse_ctx *pc, struct goose_msg *m)
{
	struct bld_op *op = pc->op;
	name_field(pc, m, F_GOCB_REF, "gocb_ref");
	u32_field(pc, m, F_TTL, "time_allowed_to_live", &m->ttl_ms);
	name_field(pc, m, F_DAT_SET, "dataset");
	name_field(pc, m, F_GO_ID, "go_id");
	time_field(pc, m);
	u32_field(pc, m, F_ST_NUM, "st_num", &m->st_num);
	u32_field(pc, m, F_SQ_NUM, "sq_num", &m->sq_num);
	m->simulation = bool_field(pc, m, F_SIMULATION, "simulation");
	u32_field(pc, m, F_CONF_REV, "conf_rev", &m->conf_rev);
	if (bool_field(pc, m, F_NDS_COM, "nds_com"))
		bld_event(pc, BLD_EVENT_GOOSE_NDS_COM);
	u32_field(pc, m, F_NUM_ENTRIES, "num_dataset_entries", &m->num_entries);
	if (m->have & 1u << F_ALL_DATA)
		all_data(pc, m);
	if (m->have & 1u << F_SECURITY)
		bld_op_uint(op, "security_len", bld_cur_left(&m->f[F_SECURITY]));
	if ((m->have & F_MANDATORY) != F_MANDATORY)
		bld_event(pc, BLD_EVENT_GOOSE_MISSING_FIELD);
	/* IEC 61850-8-1 Annex A: numDatSetEntries is the number of allData entries. */
	if ((m->valid & 1u << F_NUM_ENTRIES) && (m->valid & 1u << F_ALL_DATA) && m->num_entries != m->n_entries)
		bld_event(pc, BLD_EVENT_GOOSE_ENTRIES_MISMATCH);
}

/* ---- publisher state ------------------------------------------------------------------------ */

static uint64_t publisher_key(bool to_server, uint16_t appid, struct bld_cur gocb)
{
	uint8_t head[3] = { (uint8_t)to_server, (uint8_t)(appid >> 8), (uint8_t)appid };
	uint32_t n = bld_cur_left(&gocb);
	return fnv1a(fnv1a(FNV_BASIS, head, 3), bld_cur_bytes(&gocb, n), n);
}

/*
 * The publisher's slot; a new publisher gets a cleared one (used false), the
 * least recently seen one's when all are taken (goose.publisher_capacity).
 */
static struct publisher *publisher_slot(struct bld_parse_ctx *pc, struct goose_state *st, uint64_t key)
{
	struct publisher *slot = NULL, *oldest = &st->pub[0];
	for (unsigned i = 0; i < GOOSE_MAX_PUBLISHERS; i++) {
		struct publisher *p = &st->pub[i];
		if (p->used && p->key == key)
			return p;
		if (!p->used && !slot)
			slot = p;
		if (p->ts_ns < oldest->ts_ns)
			oldest = p;
	}
	if (!slot) {
		bld_event(pc, BLD_EVENT_GOOSE_PUBLISHER_CAPACITY);
		slot = oldest;
	}
	*slot = (struct publisher){ .key = key };
	return slot;
}

/* x is the counter value after y: y + 1, or after 2^32 - 1 either 0 or 1 (a counter may skip 0 on wrapping). */
static bool follows(uint32_t y, uint32_t x)
{
	return x == y + 1u || (y == UINT32_MAX && x <= 1u);
}

/* x is ahead of y by less than half the counter space. */
static bool ahead(uint32_t y, uint32_t x)
{
	uint32_t d = x - y;
	return d != 0 && d < 0x80000000u;
}

/*
 * IEC 61850-7-2 (GOOSE retransmission) and 8-1 Annex A: within a
 * state, each retransmission carries sqNum + 1 and the same values; a state
 * change carries stNum + 1 and sqNum 0.  A restart (stNum 1, sqNum 0 or 1)
 * is reported as such rather than as stNum going back.
 */
static void check_sequence(struct bld_parse_ctx *pc, const struct publisher *p, const struct goose_msg *m)
{
	uint32_t st = m->st_num, sq = m->sq_num;
	bool restart = st == 1 && sq <= 1 && !(p->st_num == 1 && sq > p->sq_num) && !follows(p->st_num, st);
	if (st == p->st_num && sq == p->sq_num) {
		bld_event(pc, BLD_EVENT_GOOSE_DUPLICATE);
	} else if (restart) {
		bld_event(pc, BLD_EVENT_GOOSE_RESTART);
		return;
	} else if (st == p->st_num) {
		if (ahead(p->sq_num, sq) && !follows(p->sq_num, sq))
			bld_event(pc, BLD_EVENT_GOOSE_SQ_NUM_JUMP);
		else if (!follows(p->sq_num, sq))
			bld_event(pc, BLD_EVENT_GOOSE_SQ_NUM_BACK);
	} else if (follows(p->st_num, st) || ahead(p->st_num, st)) {
		if (!follows(p->st_num, st))
			bld_event(pc, BLD_EVENT_GOOSE_ST_NUM_JUMP);
		if (sq != 0)
			bld_event(pc, BLD_EVENT_GOOSE_SQ_NUM_NOT_RESET);
		return;
	} else {
		bld_event(pc, BLD_EVENT_GOOSE_ST_NUM_BACK);
		return;
	}
	/* Same state: a retransmission repeats the values of the state change (7-2). */
	if (p->has_data && (m->valid & 1u << F_ALL_DATA) && m->data_hash != p->data_hash)
		bld_event(pc, BLD_EVENT_GOOSE_DATA_CHANGE);
}

/* Check a message against its publisher's previous one and remember it. */
static void track(struct bld_parse_ctx *pc, uint16_t appid, const struct goose_msg *m)
{
	const uint32_t need = 1u << F_GOCB_REF | 1u << F_ST_NUM | 1u << F_SQ_NUM;
	if ((m->valid & need) != need)
		return;   /* not attributable to a control block, or no counters to follow */
	struct publisher *p = publisher_slot(pc, pc->state, publisher_key(pc->to_server, appid, m->f[F_GOCB_REF]));
	if (p->used) {
		/* 7-2: the next message comes within the previous one's time allowed to live. */
		if (p->ttl_ms && pc->ts_ns > p->ts_ns && pc->ts_ns - p->ts_ns > (uint64_t)p->ttl_ms * 1000000u)
			bld_event(pc, BLD_EVENT_GOOSE_TTL_EXPIRED);
		check_sequence(pc, p, m);
		if (p->has_conf_rev && (m->valid & 1u << F_CONF_REV) && m->conf_rev != p->conf_rev)
			bld_event(pc, BLD_EVENT_GOOSE_CONF_REV_CHANGE);
	}
	p->used = true;
	p->ts_ns = pc->ts_ns;
	p->st_num = m->st_num;
	p->sq_num = m->sq_num;
	p->ttl_ms = m->valid & 1u << F_TTL ? m->ttl_ms : 0;
	if (m->valid & 1u << F_CONF_REV) {
		p->conf_rev = m->conf_rev;
		p->has_conf_rev = true;
	}
	p->has_data = m->valid & 1u << F_ALL_DATA;
	p->data_hash = m->data_hash;
}

/* ---- parse ------------------------------------------------------------------------------------ */

/* The header and APDU of one whole frame (`length` octets, the cursor after APPID and length). */
static void parse_frame(struct bld_parse_ctx *pc, uint16_t appid, uint16_t length, struct bld_cur *c)
{
	uint16_t reserved1 = bld_cur_be16(c);
	uint16_t reserved2 = bld_cur_be16(c);
	struct bld_op *op = bld_op_begin(pc, BLD_OP_REQUEST);   /* a publication (docs/protocols.md) */
	bld_op_uint(op, "appid", appid);
	bld_op_uint(op, "length", length);
	bld_op_uint(op, "reserved1", reserved1);
	bld_op_uint(op, "reserved2", reserved2);
	bld_op_bool(op, "s_bit", reserved1 & GOOSE_S_BIT);

	uint8_t tag;
	struct bld_cur pdu;
	enum ber_res r = ber_next(c, &tag, &pdu);
	if (r != BER_OK) {
		bld_event(pc, r == BER_BAD ? BLD_EVENT_GOOSE_BAD_BER : BLD_EVENT_GOOSE_BAD_LENGTH);
		bld_op_emit(pc);
		return;
	}
	if (bld_cur_left(c))
		bld_op_uint(op, "extension_len", bld_cur_left(c));
	if (tag != GOOSE_TAG_PDU) {
		bld_event(pc, BLD_EVENT_GOOSE_UNKNOWN_PDU);
		bld_op_uint(op, "pdu_tag", tag);
		bld_op_emit(pc);
		return;
	}
	struct goose_msg m = { 0 };
	split_fields(pc, &pdu, &m);
	decode_fields(pc, &m);
	if ((reserved1 & GOOSE_S_BIT) && !m.simulation)
		bld_event(pc, BLD_EVENT_GOOSE_SIM_MISMATCH);
	track(pc, appid, &m);
	bld_op_emit(pc);
}

/* A frame shorter than its length field: on a datagram (a frame) it is truncated. */
static struct bld_parse_result short_frame(struct bld_parse_ctx *pc, uint32_t needed)
{
	if (pc->datagram)
		bld_event(pc, BLD_EVENT_GOOSE_TRUNCATED);
	return bld_parse_incomplete(needed);
}

static struct bld_parse_result goose_parse(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len)
{
	struct bld_cur c = bld_cur_make(data, len);
	uint16_t appid = bld_cur_be16(&c);
	uint16_t length = bld_cur_be16(&c);
	if (c.err)
		return short_frame(pc, 0);
	if (length < GOOSE_HEADER) {
		bld_event(pc, BLD_EVENT_GOOSE_BAD_LENGTH);
		return bld_parse_error(pc->datagram ? len : 1);
	}
	if (length > len)
		return short_frame(pc, length);
	struct bld_cur frame = bld_cur_make(data, length);
	bld_cur_skip(&frame, 4);
	parse_frame(pc, appid, length, &frame);
	/* One message per frame: what follows `length` is Ethernet padding (to 60 octets). */
	return bld_parse_ok(pc->datagram ? len : length);
}

/* ---- what policies may constrain (fields.h; docs/policy-protocols.md) ---- */

static const char *field_bool_name(uint64_t v)
{
	return v == 0 ? "false" : v == 1 ? "true" : NULL;
}

static const struct bld_field_spec goose_fields[] = {
	{ .key = "appid", .kind = BLD_FIELD_SET, .path = "appid", .max = UINT16_MAX,
	  .doc = "APPID of the GOOSE message (0x0000-0x3FFF for GOOSE)" },
	{ .key = "gocb_ref", .kind = BLD_FIELD_TEXT, .path = "gocb_ref",
	  .doc = "GOOSE control block reference, e.g. \"IED1LD0/LLN0$GO$gcb01\"" },
	{ .key = "dataset", .kind = BLD_FIELD_TEXT, .path = "dataset",
	  .doc = "data set reference (datSet), e.g. \"IED1LD0/LLN0$DataSet1\"" },
	{ .key = "go_id", .kind = BLD_FIELD_TEXT, .path = "go_id", .doc = "goID of the control block" },
	{ .key = "conf_rev", .kind = BLD_FIELD_SET, .path = "conf_rev", .max = UINT32_MAX,
	  .doc = "configuration revision of the data set" },
	{ .key = "simulation", .kind = BLD_FIELD_SET, .path = "simulation", .max = 1, .name = field_bool_name,
	  .doc = "simulation (Ed. 1: test) flag: false in production" },
	{ .key = "time_allowed_to_live", .kind = BLD_FIELD_SET, .path = "time_allowed_to_live",
	  .max = UINT32_MAX, .doc = "timeAllowedtoLive in ms, e.g. 1000-20000" },
	{ .key = "value", .kind = BLD_FIELD_VALUE, .path = "data.value",
	  .doc = "values of the data set (booleans as 0/1, integers, floats)" },
	{ .key = "value", .kind = BLD_FIELD_VALUE, .path = "data.items.value",
	  .doc = "values of the members of the data set's arrays and structures" },
	{ .key = "value", .kind = BLD_FIELD_VALUE, .path = "data.items.items.value",
	  .doc = "values of the members of those members" },
};

const struct bld_dissector bld_dsc_goose = {
	.name = "goose",
	.description = "IEC 61850 GOOSE",
	.transports = BLD_TRANSPORT_L2,
	.ethertype = 0x88B8,
	.probe = goose_probe,
	.parse = goose_parse,
	.state_size = sizeof(struct goose_state),
	.fields = goose_fields,
	.n_fields = sizeof(goose_fields) / sizeof(goose_fields[0]),
};
