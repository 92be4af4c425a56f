/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNP3 (IEEE 1815-2012) over TCP or UDP 20000: one parse call is one link
 * frame; transport segments are reassembled per direction into application
 * fragments, and each fragment is one operation.
 *
 * Link frame (clause 9, "data link layer"), little-endian:
 *
 *   0x05 0x64 | length(1) | control(1) | destination(2) | source(2) | CRC(2)      header, 10 octets
 *   user data in blocks of 16 octets (the last one shorter), each followed by its CRC(2)
 *
 *   length counts control, addresses and user data (not CRCs): 5..255, so
 *   a frame is 10 + n + 2 * ceil(n / 16) octets with n = length - 5 user octets.
 *   control: DIR(0x80) PRM(0x40) FCB(0x20) FCV(0x10) function(0x0f) on a
 *   primary frame; DIR PRM(0) reserved(0x20) DFC(0x10) function on a secondary one.
 *   CRC-16/DNP over the 8 header octets and over each data block.
 *
 * Transport header (clause 8), the first user data octet of a USER_DATA frame:
 *
 *   FIN(0x80) FIR(0x40) sequence(0x3f) | application fragment bytes
 *
 * Application fragment (clause 4.2.2):
 *
 *   request   control(1) | function(1) | object headers and objects
 *   response  control(1) | function(1) | IIN(2) | object headers and objects
 *   control:  FIR(0x80) FIN(0x40) CON(0x20) UNS(0x10) sequence(0x0f)
 *   object header: group(1) variation(1) qualifier(1) range(0, 1, 2, 4 or 8)
 *   qualifier: reserved(0x80) prefix code(0x70) range specifier code(0x0f)
 *
 * Objects carry no length, so walking past one needs its size from the
 * object library (Annex A); where the size is not known here the walk stops
 * and says so (objects_incomplete) rather than guessing.
 */
#include <stdlib.h>
#include <string.h>

#include "crc.h"
#include "cursor.h"
#include "fields.h"
#include "op.h"
#include "registry.h"
#include "txn.h"

#define DNP3_HDR_LEN 10
#define DNP3_BLOCK 16
#define DNP3_MAX_USER 250           /* length 255 - 5 */
/*
 * Reassembly cap per direction.  IEEE 1815-2012 makes the fragment size a
 * device parameter and 2048 octets the customary default (the size masters
 * and outstations are expected to accept); a fragment that grows past it is
 * reported (dnp3.fragment_too_large) and its op decodes the first 2048 octets.
 */
#define DNP3_MAX_FRAGMENT 2048
/*
 * Object headers listed per fragment: one takes up to 8 op fields, so 48
 * keep a fragment's op inside BLD_OP_MAX_FIELDS; past it they are counted.
 */
#define DNP3_MAX_OBJECTS 48
#define DNP3_MAX_OUTSTATIONS 4      /* unsolicited-reporting state kept per flow */

/* Link control bits (§9.2.4.1.3). */
#define LINK_DIR 0x80
#define LINK_PRM 0x40
#define LINK_FCB 0x20
#define LINK_FCV 0x10
#define LINK_DFC 0x10

/* Primary function codes that carry user data (Table 9-1). */
#define LINK_CONFIRMED_USER_DATA 3
#define LINK_UNCONFIRMED_USER_DATA 4

/* Application function codes (§4.2.2.5) this file acts on. */
enum {
	FC_CONFIRM = 0,
	FC_READ = 1,
	FC_DIRECT_OPERATE_NR = 6,
	FC_IMMED_FREEZE = 7,
	FC_IMMED_FREEZE_NR = 8,
	FC_FREEZE_CLEAR = 9,
	FC_FREEZE_CLEAR_NR = 10,
	FC_FREEZE_AT_TIME = 11,
	FC_FREEZE_AT_TIME_NR = 12,
	FC_ENABLE_UNSOLICITED = 20,
	FC_DISABLE_UNSOLICITED = 21,
	FC_ASSIGN_CLASS = 22,
	FC_AUTH_REQ_NO_ACK = 33,
	FC_RESPONSE = 0x81,
	FC_UNSOLICITED_RESPONSE = 0x82,
	FC_AUTHENTICATE_RESP = 0x83,
};

/* Classes 1..3 as bits 1..3, set by g60 variations 2..4. */
#define CLASSES_1_2_3 0x0e

/* One direction's transport reassembly (clause 8). */
struct dnp3_asm {
	uint8_t *buf;            /* DNP3_MAX_FRAGMENT octets, allocated at the first multi-segment fragment */
	uint32_t len;            /* octets stored */
	uint32_t total;          /* octets the fragment carried, past the cap too */
	uint16_t src, dst;       /* link addresses of the fragment's segments */
	uint16_t segments;
	uint8_t next_seq;
	bool active;             /* a fragment is being assembled */
};

/* A multi-fragment solicited response being followed (§4.2.2.4: sequence + 1 per fragment). */
struct dnp3_resp {
	uint16_t master, outstation;
	uint8_t next_seq;
	bool active;
};

/* Unsolicited reporting the master disabled, per outstation/master pair. */
struct dnp3_unsol {
	uint16_t master, outstation;
	uint8_t disabled;        /* classes as CLASSES_1_2_3 bits */
	bool used;
};

struct dnp3_state {
	struct dnp3_asm as[2];   /* by direction: [0] to the server, [1] to the client */
	struct bld_txn_table txn;
	struct dnp3_resp resp;
	struct dnp3_unsol unsol[DNP3_MAX_OUTSTATIONS];
	uint8_t unsol_next;      /* the entry to reuse when all are taken */
};

/* The link header fields every op carries. */
struct dnp3_link {
	uint8_t control;
	uint16_t dst, src;
};

/* ---- names ----------------------------------------------------------------- */

/*
 * Link function codes: Tables 9-1 (primary) and 9-2 (secondary).  1 (reset
 * user process) and 14 (link not functioning) are obsolete in 1815-2012 but
 * defined by DNP3 before it, so they are named rather than called illegal.
 */
static const char *link_function_name(uint8_t control)
{
	uint8_t fc = control & 0x0f;
	if (control & LINK_PRM) {
		switch (fc) {
		case 0: return "reset_link_states";
		case 1: return "reset_user_process";
		case 2: return "test_link_states";
		case 3: return "confirmed_user_data";
		case 4: return "unconfirmed_user_data";
		case 9: return "request_link_status";
		default: return NULL;
		}
	}
	switch (fc) {
	case 0: return "ack";
	case 1: return "nack";
	case 11: return "link_status";
	case 14: return "link_not_functioning";
	case 15: return "not_supported";
	default: return NULL;
	}
}

/* Application function codes (§4.2.2.5, Table 4-2 names in lower case). */
static const char *const app_function_names[] = {
	"confirm", "read", "write", "select", "operate", "direct_operate", "direct_operate_nr",
	"immed_freeze", "immed_freeze_nr", "freeze_clear", "freeze_clear_nr", "freeze_at_time",
	"freeze_at_time_nr", "cold_restart", "warm_restart", "initialize_data", "initialize_appl",
	"start_appl", "stop_appl", "save_config", "enable_unsolicited", "disable_unsolicited",
	"assign_class", "delay_measure", "record_current_time", "open_file", "close_file",
	"delete_file", "get_file_info", "authenticate_file", "abort_file", "activate_config",
	"authenticate_req", "auth_req_no_ack",
};

static const char *app_function_name(uint8_t fc)
{
	if (fc < sizeof(app_function_names) / sizeof(app_function_names[0]))
		return app_function_names[fc];
	switch (fc) {
	case FC_RESPONSE: return "response";
	case FC_UNSOLICITED_RESPONSE: return "unsolicited_response";
	case FC_AUTHENTICATE_RESP: return "authenticate_resp";
	default: return NULL;
	}
}

/* Internal indications (§4.2.2.6): IIN1.0 .. IIN1.7 then IIN2.0 .. IIN2.7. */
static const char *const iin_names[16] = {
	"broadcast", "class_1_events", "class_2_events", "class_3_events",
	"need_time", "local_control", "device_trouble", "device_restart",
	"no_func_code_support", "object_unknown", "parameter_error", "event_buffer_overflow",
	"already_executing", "config_corrupt", "reserved_2", "reserved_1",
};

/* IIN2.0-2.2: the outstation refused the request (function, object or parameters). */
#define IIN2_REJECTED 0x07

/* ---- probe ----------------------------------------------------------------- */

static enum bld_probe dnp3_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	const uint8_t *h = bld_cur_bytes(&c, 10);
	if (!h)
		return len >= 2 && data[0] == 0x05 && data[1] == 0x64 ? BLD_PROBE_NEED_MORE : BLD_PROBE_NO;
	if (h[0] != 0x05 || h[1] != 0x64 || h[2] < 5)
		return BLD_PROBE_NO;
	/*
	 * A bad CRC after valid start octets and length is undecided, not "no":
	 * a flow that opens with corrupted frames (a conformance test, or an
	 * attacker) is decided by the first frame whose CRC holds.
	 */
	uint16_t crc = (uint16_t)(h[9] << 8 | h[8]);
	return bld_crc16_dnp(h, 8) == crc ? BLD_PROBE_MATCH : BLD_PROBE_NEED_MORE;
}

/* ---- CRC ------------------------------------------------------------------- */

/*
 * The CRC of n octets at p against the 2 octets (LE) that follow them.
 * A fuzzing build (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, as OSS-Fuzz and
 * Suricata use it) accepts every block CRC so that mutations reach the
 * transport and application layers; the header CRC still holds there,
 * because the probe that finds frame boundaries checks it.
 */
static bool crc_ok(const uint8_t *p, uint32_t n, bool header)
{
	uint16_t want = (uint16_t)(p[n + 1] << 8 | p[n]);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	if (!header)
		return true;
#else
	(void)header;
#endif
	return bld_crc16_dnp(p, n) == want;
}

/* ---- op helpers ------------------------------------------------------------ */

static void put_link(struct bld_op *op, const struct dnp3_link *l)
{
	uint8_t fc = l->control & 0x0f;
	const char *name = link_function_name(l->control);
	bool prm = l->control & LINK_PRM;
	bld_op_uint(op, "link_src", l->src);
	bld_op_uint(op, "link_dst", l->dst);
	bld_op_uint(op, "link_function", fc);
	bld_op_cstr(op, "link_function_name", name ? name : "unknown");
	bld_op_bool(op, "link_dir", l->control & LINK_DIR);
	bld_op_bool(op, "link_prm", prm);
	if (prm) {
		bld_op_bool(op, "link_fcb", l->control & LINK_FCB);
		bld_op_bool(op, "link_fcv", l->control & LINK_FCV);
	} else {
		bld_op_bool(op, "link_dfc", l->control & LINK_DFC);
	}
}

/* ---- object walk ----------------------------------------------------------- */

/* Object sizes beyond plain octet counts. */
enum {
	SZ_UNKNOWN = -1,         /* not in this table: the walk stops */
	SZ_BIT1 = -2,            /* packed 1 bit per point */
	SZ_BIT2 = -3,            /* packed 2 bits per point (double-bit) */
	SZ_ATTR = -4,            /* g0 device attribute: type(1) length(1) value(length) */
};

/*
 * Octets per object by group and variation (IEEE 1815-2012 Annex A, the
 * object library).  Flags are 1 octet, absolute time 6, relative time 2.
 */
static int obj_size(uint8_t g, uint8_t v)
{
	static const int8_t g2[] = { 1, 7, 3 };                      /* binary input event (and g4) */
	static const int8_t g11[] = { 1, 7 };                        /* binary output event (and g13) */
	static const int8_t g12[] = { 11, 11, SZ_BIT1 };             /* CROB, PCB, pattern mask */
	static const int8_t g20[] = { 5, 3, 5, 3, 4, 2, 4, 2 };      /* counter (and g22, g23 v1-4) */
	static const int8_t g21[] = { 5, 3, 5, 3, 11, 9, 11, 9, 4, 2, 4, 2 };   /* frozen counter */
	static const int8_t g22[] = { 5, 3, 5, 3, 11, 9, 11, 9 };    /* counter events (and g23) */
	static const int8_t g30[] = { 5, 3, 4, 2, 5, 9 };            /* analog input */
	static const int8_t g31[] = { 5, 3, 11, 9, 4, 2, 5, 9 };     /* frozen analog input */
	static const int8_t g32[] = { 5, 3, 11, 9, 5, 9, 11, 15 };   /* analog events (g33, g42, g43) */
	static const int8_t g34[] = { 2, 4, 4 };                     /* analog deadband */
	static const int8_t g40[] = { 5, 3, 5, 9 };                  /* analog output status (and g41) */
	static const int8_t g50[] = { 6, 10, 6, 11 };                /* time and date */
	static const int8_t g51[] = { 6, 6 };                        /* common time of occurrence */
	static const int8_t g52[] = { 2, 2 };                        /* time delay coarse, fine */
	static const int8_t g101[] = { 2, 4, 8 };                    /* BCD small, medium, large */
	const int8_t *t = NULL;
	unsigned n = 0;
#define TABLE(a) (t = (a), n = sizeof(a) / sizeof((a)[0]))
	switch (g) {
	case 0: return SZ_ATTR;
	case 1: return v == 1 ? SZ_BIT1 : v == 2 ? 1 : SZ_UNKNOWN;
	case 2: case 4: TABLE(g2); break;
	case 3: return v == 1 ? SZ_BIT2 : v == 2 ? 1 : SZ_UNKNOWN;
	case 10: return v == 1 ? SZ_BIT1 : v == 2 ? 1 : SZ_UNKNOWN;
	case 11: case 13: TABLE(g11); break;
	case 12: TABLE(g12); break;
	case 20: TABLE(g20); break;
	case 21: TABLE(g21); break;
	case 22: case 23: TABLE(g22); break;
	case 30: TABLE(g30); break;
	case 31: TABLE(g31); break;
	case 32: case 33: case 42: case 43: TABLE(g32); break;
	case 34: TABLE(g34); break;
	case 40: case 41: TABLE(g40); break;
	case 50: TABLE(g50); break;
	case 51: TABLE(g51); break;
	case 52: TABLE(g52); break;
	case 60: return v >= 1 && v <= 4 ? 0 : SZ_UNKNOWN;   /* class data: a header, never data */
	case 80: return v == 1 ? SZ_BIT1 : SZ_UNKNOWN;       /* internal indications */
	case 101: TABLE(g101); break;
	case 102: return v == 1 ? 1 : SZ_UNKNOWN;             /* unsigned 8-bit integer */
	case 110: case 111: case 112: case 113:
		return v ? v : SZ_UNKNOWN;                    /* octet strings: the variation is the length */
	default: return SZ_UNKNOWN;
	}
#undef TABLE
	return v >= 1 && v <= n ? t[v - 1] : SZ_UNKNOWN;
}

/*
 * Requests whose object headers name points without carrying their values
 * (§4.2.2.7): READ, the freezes, enabling and disabling unsolicited
 * reporting, ASSIGN_CLASS.  FREEZE_AT_TIME carries one g50 time object,
 * then headers only.  Index prefixes are still present.
 */
static bool header_only(uint8_t fc, uint8_t group)
{
	switch (fc) {
	case FC_READ: case FC_IMMED_FREEZE: case FC_IMMED_FREEZE_NR: case FC_FREEZE_CLEAR:
	case FC_FREEZE_CLEAR_NR: case FC_ENABLE_UNSOLICITED: case FC_DISABLE_UNSOLICITED: case FC_ASSIGN_CLASS:
		return true;
	case FC_FREEZE_AT_TIME: case FC_FREEZE_AT_TIME_NR:
		return group != 50;
	default:
		return false;
	}
}

static uint32_t uint_of(struct bld_cur *c, unsigned size)
{
	switch (size) {
	case 1: return bld_cur_u8(c);
	case 2: return bld_cur_le16(c);
	case 4: return bld_cur_le32(c);
	default: return 0;
	}
}

struct walk {
	unsigned n;              /* object headers seen */
	uint8_t classes;         /* g60 v2..v4 named (CLASSES_1_2_3 bits) */
	bool incomplete;         /* the walk stopped before the end of the fragment */
};

/*
 * Skip the data of `count` objects of one header; false when their size is
 * not known (the walk stops) or the data is short (c->err).
 */
static bool skip_objects(struct bld_cur *c, uint8_t fc, bool request, uint8_t g, uint8_t v, unsigned prefix,
			 uint64_t count)
{
	static const uint8_t index_size[4] = { 0, 1, 2, 4 };
	if (prefix >= 4 && prefix <= 6) {
		/* Object size prefix (1, 2 or 4 octets): each object says its size. */
		unsigned ps = prefix == 4 ? 1 : prefix == 5 ? 2 : 4;
		for (uint64_t i = 0; i < count && !c->err; i++)
			bld_cur_skip(c, uint_of(c, ps));
		return true;
	}
	if (prefix > 6)
		return false;
	uint64_t isz = index_size[prefix];
	/* Variation 0 (any variation) and class objects name points; they never carry values. */
	int size = v == 0 ? 0 : obj_size(g, v);
	if (request && header_only(fc, g))
		size = 0;
	if (size >= 0) {
		uint64_t bytes = count * (isz + (uint64_t)size);
		if (bytes > bld_cur_left(c))
			c->err = true;
		else
			bld_cur_skip(c, (uint32_t)bytes);
		return true;
	}
	if (size == SZ_BIT1 || size == SZ_BIT2) {
		/* Packed bits follow a range without prefixes (Annex A: g1v1, g3v1, g10v1, g12v3, g80v1). */
		if (isz)
			return false;
		uint64_t bits = count * (size == SZ_BIT1 ? 1u : 2u);
		uint64_t bytes = (bits + 7) / 8;
		if (bytes > bld_cur_left(c))
			c->err = true;
		else
			bld_cur_skip(c, (uint32_t)bytes);
		return true;
	}
	if (size == SZ_ATTR) {
		for (uint64_t i = 0; i < count && !c->err; i++) {
			bld_cur_skip(c, (uint32_t)isz);
			bld_cur_skip(c, 1); /* data type code */
			bld_cur_skip(c, bld_cur_u8(c));
		}
		return true;
	}
	return false;
}

/*
 * List the object headers of a fragment and skip their objects
 * (§4.2.2.7; range specifier codes Table 4-5, prefix codes Table 4-4).
 * `cut`: the fragment was cut at the reassembly cap, so running short is
 * expected and not reported again.
 */
static void walk_objects(struct bld_parse_ctx *pc, struct bld_op *op, struct bld_cur *c, uint8_t fc, bool request,
			 bool cut, struct walk *w)
{
	bool listing = true;
	bld_op_list(op, "objects");
	while (bld_cur_left(c) > 0) {
		const uint8_t *h = bld_cur_bytes(c, 3);
		if (!h) {
			w->incomplete = true;
			if (!cut)
				bld_event(pc, BLD_EVENT_DNP3_TRUNCATED);
			break;
		}
		uint8_t g = h[0], v = h[1], q = h[2];
		unsigned prefix = (q >> 4) & 7, range = q & 0x0f;
		uint32_t start = 0, stop = 0;
		uint64_t count = 0;
		bool has_start = false, has_count = false, bad = (q & 0x80) != 0 || prefix == 7;
		switch (range) {
		case 0: case 1: case 2:         /* start and stop indexes, 1, 2 or 4 octets */
		case 3: case 4: case 5: {       /* start and stop virtual addresses */
			unsigned sz = 1u << (range % 3);
			start = uint_of(c, sz);
			stop = uint_of(c, sz);
			has_start = true;
			if (stop < start)
				bad = true;
			count = (uint64_t)stop - start + 1;
			break;
		}
		case 6:                         /* no range: all points, no objects follow */
			break;
		case 7: case 8: case 9:         /* count of objects, 1, 2 or 4 octets */
			count = uint_of(c, range == 7 ? 1 : range == 8 ? 2 : 4);
			has_count = true;
			break;
		case 11:                        /* count of variable-format objects */
			count = bld_cur_u8(c);
			has_count = true;
			break;
		default:                        /* 10, 12..15 reserved */
			bad = true;
			break;
		}
		if (c->err) {
			w->incomplete = true;
			if (!cut)
				bld_event(pc, BLD_EVENT_DNP3_TRUNCATED);
			break;
		}
		if (g == 60 && v >= 2 && v <= 4)
			w->classes |= (uint8_t)(1u << (v - 1));
		w->n++;
		if (listing && w->n > DNP3_MAX_OBJECTS) {
			listing = false;
			bld_event(pc, BLD_EVENT_APP_ITEMS_CAPACITY);
		}
		if (listing) {
			bld_op_object(op, NULL);
			bld_op_uint(op, "group", g);
			bld_op_uint(op, "variation", v);
			bld_op_uint(op, "qualifier", q);
			if (has_start) {
				bld_op_uint(op, "start", start);
				bld_op_uint(op, "stop", stop);
			} else if (has_count) {
				bld_op_uint(op, "count", count);
			}
			bld_op_end(op);
		}
		if (bad) {
			bld_event(pc, BLD_EVENT_DNP3_BAD_QUALIFIER);
			w->incomplete = true;
			break;
		}
		if (range == 6)
			continue;
		if (!skip_objects(c, fc, request, g, v, prefix, count)) {
			w->incomplete = true;   /* size not known here: stop rather than guess */
			break;
		}
		if (c->err) {
			w->incomplete = true;
			if (!cut)
				bld_event(pc, BLD_EVENT_DNP3_TRUNCATED);
			break;
		}
	}
	bld_op_end(op);
	if (!listing)
		bld_op_uint(op, "objects_count", w->n);
	if (w->incomplete)
		bld_op_bool(op, "objects_incomplete", true);
}

/* ---- application layer ----------------------------------------------------- */

static uint64_t txn_key(uint8_t seq, uint16_t master, uint16_t outstation)
{
	return (uint64_t)(seq & 0x0f) | (uint64_t)master << 4 | (uint64_t)outstation << 20;
}

/* Requests that IEEE 1815 answers with a response (not CONFIRM, nor the _NR "no ack" ones). */
static bool expects_response(uint8_t fc)
{
	switch (fc) {
	case FC_CONFIRM: case FC_DIRECT_OPERATE_NR: case FC_IMMED_FREEZE_NR: case FC_FREEZE_CLEAR_NR:
	case FC_FREEZE_AT_TIME_NR: case FC_AUTH_REQ_NO_ACK:
		return false;
	default:
		return fc <= FC_AUTH_REQ_NO_ACK;
	}
}

/* Outstation address standing for "every outstation" in the unsolicited state: a broadcast. */
#define ALL_OUTSTATIONS 0xffff

static struct dnp3_unsol *unsol_find(struct dnp3_state *st, uint16_t master, uint16_t outstation)
{
	for (unsigned i = 0; i < DNP3_MAX_OUTSTATIONS; i++)
		if (st->unsol[i].used && st->unsol[i].master == master && st->unsol[i].outstation == outstation)
			return &st->unsol[i];
	return NULL;
}

static struct dnp3_unsol *unsol_add(struct dnp3_state *st, uint16_t master, uint16_t outstation)
{
	struct dnp3_unsol *u = unsol_find(st, master, outstation);
	if (u)
		return u;
	/* A new outstation starts from what the master last broadcast to all. */
	struct dnp3_unsol *all = unsol_find(st, master, ALL_OUTSTATIONS);
	uint8_t disabled = all ? all->disabled : 0;
	u = &st->unsol[st->unsol_next];
	st->unsol_next = (uint8_t)((st->unsol_next + 1) % DNP3_MAX_OUTSTATIONS);
	*u = (struct dnp3_unsol){ .master = master, .outstation = outstation, .disabled = disabled, .used = true };
	return u;
}

/*
 * ENABLE_UNSOLICITED / DISABLE_UNSOLICITED for `classes`: to one outstation,
 * or to all of them when sent to a broadcast address.
 */
static void unsol_set(struct dnp3_state *st, uint16_t master, uint16_t outstation, bool to_all, uint8_t classes,
		      bool disable)
{
	if (to_all) {
		outstation = ALL_OUTSTATIONS;
		for (unsigned i = 0; i < DNP3_MAX_OUTSTATIONS; i++) {
			struct dnp3_unsol *u = &st->unsol[i];
			if (u->used && u->master == master)
				u->disabled = disable ? u->disabled | classes : u->disabled & (uint8_t)~classes;
		}
	}
	struct dnp3_unsol *u = disable ? unsol_add(st, master, outstation) : unsol_find(st, master, outstation);
	if (!u && !to_all && unsol_find(st, master, ALL_OUTSTATIONS))
		u = unsol_add(st, master, outstation); /* enabling one outstation of a broadcast disable */
	if (u)
		u->disabled = disable ? u->disabled | classes : u->disabled & (uint8_t)~classes;
}

/* The classes an outstation has been told not to report unsolicited. */
static uint8_t unsol_disabled(struct dnp3_state *st, uint16_t master, uint16_t outstation)
{
	struct dnp3_unsol *u = unsol_find(st, master, outstation);
	if (!u)
		u = unsol_find(st, master, ALL_OUTSTATIONS);
	return u ? u->disabled : 0;
}

/* Broadcast destinations (§9.2.5.3: 0xfffd..0xffff) get no response. */
static bool broadcast(uint16_t dst)
{
	return dst >= 0xfffd;
}

/*
 * One complete application fragment: frag holds its first `len` octets
 * (all of them unless it was cut at the cap), `total` is its real size.
 */
static void on_fragment(struct bld_parse_ctx *pc, struct dnp3_state *st, const struct dnp3_link *l, uint8_t th,
			uint16_t segments, const uint8_t *frag, uint32_t len, uint32_t total)
{
	struct bld_cur c = bld_cur_make(frag, len);
	bool cut = len < total;
	const uint8_t *ah = bld_cur_bytes(&c, 2);
	uint8_t ac = ah ? ah[0] : 0, fc = ah ? ah[1] : 0;
	const char *fname = ah ? app_function_name(fc) : NULL;
	bool response = ah && fc >= FC_RESPONSE && fc <= FC_AUTHENTICATE_RESP;
	/* The function says who sent it; an undefined one leaves it to the link DIR bit (1: from the master). */
	bool request = ah && fname ? !response : (l->control & LINK_DIR) != 0;

	struct bld_op *op = bld_op_begin(pc, request ? BLD_OP_REQUEST : BLD_OP_RESPONSE);
	put_link(op, l);
	bld_op_bool(op, "transport_fin", th & 0x80);
	bld_op_bool(op, "transport_fir", th & 0x40);
	bld_op_uint(op, "transport_seq", th & 0x3f);
	bld_op_uint(op, "transport_segments", segments);
	bld_op_uint(op, "fragment_len", total);
	if (!ah) {
		/* §4.2.2: every fragment has at least its control and function octets. */
		bld_event(pc, BLD_EVENT_DNP3_TRUNCATED);
		bld_op_emit(pc);
		return;
	}
	uint8_t seq = ac & 0x0f;
	bld_op_bool(op, "app_fir", ac & 0x80);
	bld_op_bool(op, "app_fin", ac & 0x40);
	bld_op_bool(op, "app_con", ac & 0x20);
	bld_op_bool(op, "app_uns", ac & 0x10);
	bld_op_uint(op, "app_seq", seq);
	bld_op_uint(op, "app_function", fc);
	bld_op_cstr(op, "app_function_name", fname ? fname : "unknown");
	if (!fname)
		bld_event(pc, BLD_EVENT_DNP3_ILLEGAL_FUNCTION);

	uint16_t master = request ? l->src : l->dst, outstation = request ? l->dst : l->src;
	if (response) {
		const uint8_t *iin = bld_cur_bytes(&c, 2);
		if (!iin) {
			bld_event(pc, BLD_EVENT_DNP3_TRUNCATED);
			bld_op_emit(pc);
			return;
		}
		uint16_t v = (uint16_t)(iin[0] << 8 | iin[1]);
		bld_op_uint(op, "iin", v);
		if (v) {
			bld_op_list(op, "iin_flags");
			for (unsigned b = 0; b < 16; b++)
				if ((b < 8 ? iin[0] : iin[1]) & (1u << (b % 8)))
					bld_op_cstr(op, NULL, iin_names[b]);
			bld_op_end(op);
		}
		if (iin[1] & IIN2_REJECTED)
			bld_event(pc, BLD_EVENT_DNP3_ERROR_RESPONSE);
	}

	/* Pairing (§4.2.2.4: a solicited response echoes its request's sequence). */
	if (fc == FC_RESPONSE || fc == FC_AUTHENTICATE_RESP) {
		struct dnp3_resp *r = &st->resp;
		bool cont = !(ac & 0x80) && r->active && r->master == master && r->outstation == outstation &&
			    r->next_seq == seq;
		uint64_t info;
		if (cont) {
			/* A later fragment of a multi-fragment response: the sequence counts up. */
			r->next_seq = (uint8_t)((seq + 1) & 0x0f);
			r->active = !(ac & 0x40);
		} else if (bld_txn_response(pc, &st->txn, txn_key(seq, master, outstation), &info)) {
			bld_op_uint(op, "request_function", info);
			*r = (struct dnp3_resp){ .master = master, .outstation = outstation,
						 .next_seq = (uint8_t)((seq + 1) & 0x0f), .active = !(ac & 0x40) };
		} else if (fc == FC_RESPONSE) {
			/* An authentication challenge may come unasked; a plain response may not. */
			bld_event(pc, BLD_EVENT_DNP3_RESPONSE_WITHOUT_REQUEST);
		}
	} else if (request && fname && expects_response(fc) && !broadcast(l->dst)) {
		bld_txn_request(pc, &st->txn, txn_key(seq, master, outstation), fc);
	}

	struct walk w = { 0 };
	if (fname) {
		walk_objects(pc, op, &c, fc, request, cut, &w);
	} else if (bld_cur_left(&c)) {
		/* An undefined function says nothing of what its objects carry. */
		bld_op_bool(op, "objects_incomplete", true);
	}

	/* Unsolicited reporting state (§5.1.1.1, functions 20 and 21 with g60 v2..v4). */
	if ((fc == FC_DISABLE_UNSOLICITED || fc == FC_ENABLE_UNSOLICITED) && w.classes) {
		unsol_set(st, master, outstation, broadcast(l->dst), w.classes, fc == FC_DISABLE_UNSOLICITED);
	} else if (fc == FC_UNSOLICITED_RESPONSE && w.n) {
		/*
		 * Which class an event belongs to is outstation configuration, not
		 * on the wire: only with every class disabled is reported data a
		 * violation.  A null unsolicited response (no objects) is allowed:
		 * an outstation sends one at start-up whatever the setting.
		 */
		if ((unsol_disabled(st, master, outstation) & CLASSES_1_2_3) == CLASSES_1_2_3)
			bld_event(pc, BLD_EVENT_DNP3_UNSOLICITED_WHILE_DISABLED);
	}
	bld_op_emit(pc);
}

/* ---- transport layer ------------------------------------------------------- */

static void asm_reset(struct dnp3_asm *a)
{
	a->active = false;
	a->len = 0;
	a->total = 0;
	a->segments = 0;
}

/*
 * One transport segment (§8.2: FIR starts a fragment, FIN ends it, the
 * sequence counts up by one modulo 64 in between).
 */
static void on_segment(struct bld_parse_ctx *pc, struct dnp3_state *st, const struct dnp3_link *l,
		       const uint8_t *seg, uint32_t n)
{
	struct dnp3_asm *a = &st->as[pc->to_server ? 0 : 1];
	uint8_t th = seg[0];
	bool fin = th & 0x80, fir = th & 0x40;
	uint8_t seq = th & 0x3f;
	const uint8_t *p = seg + 1;
	uint32_t plen = n - 1;

	if (fir) {
		if (a->active) /* the fragment before never got its last segment */
			bld_event(pc, BLD_EVENT_DNP3_TRANSPORT_SEQUENCE);
		asm_reset(a);
		if (fin) {
			on_fragment(pc, st, l, th, 1, p, plen, plen);
			return;
		}
		if (!a->buf) {
			a->buf = malloc(DNP3_MAX_FRAGMENT);
			/* No memory: the fragment is not followed (its next segments raise sequence events). */
			if (!a->buf)
				return;
		}
		memcpy(a->buf, p, plen); /* plen <= 249 < DNP3_MAX_FRAGMENT */
		a->len = a->total = plen;
		a->src = l->src;
		a->dst = l->dst;
		a->segments = 1;
		a->next_seq = (uint8_t)((seq + 1) & 0x3f);
		a->active = true;
		return;
	}
	if (!a->active || seq != a->next_seq || l->src != a->src || l->dst != a->dst) {
		/* A middle or last segment with no fragment to continue: part of it was lost. */
		bld_event(pc, BLD_EVENT_DNP3_TRANSPORT_SEQUENCE);
		asm_reset(a);
		return;
	}
	if (a->total <= DNP3_MAX_FRAGMENT && a->total + plen > DNP3_MAX_FRAGMENT)
		bld_event(pc, BLD_EVENT_DNP3_FRAGMENT_TOO_LARGE);
	uint32_t room = DNP3_MAX_FRAGMENT - a->len;
	uint32_t keep = plen < room ? plen : room;
	memcpy(a->buf + a->len, p, keep);
	a->len += keep;
	a->total = a->total > UINT32_MAX - plen ? UINT32_MAX : a->total + plen;
	if (a->segments < UINT16_MAX)
		a->segments++;
	a->next_seq = (uint8_t)((seq + 1) & 0x3f);
	if (fin) {
		on_fragment(pc, st, l, th, a->segments, a->buf, a->len, a->total);
		asm_reset(a);
	}
}

/* ---- link layer ------------------------------------------------------------ */

/*
 * Framing is lost at data[0]: how many octets to drop.  Up to the next
 * header whose start octets, length and CRC hold, or else up to what could
 * be the start of a header cut at the end of data.  The framework's resync
 * would find the same place with the probe, but the probe calls a header
 * with a bad CRC undecided (NEED_MORE, for classification), and resync waits
 * on an undecided offset until a window of bytes follows it; skipping such
 * headers here keeps a run of corrupted frames from holding up the good
 * frames behind them.
 */
static uint32_t resync_skip(const uint8_t *data, uint32_t len)
{
	struct bld_cur c = bld_cur_make(data, len);
	const uint8_t *p = bld_cur_bytes(&c, len);
	if (!p)
		return len;
	for (uint32_t i = 1; i + DNP3_HDR_LEN <= len; i++)
		if (p[i] == 0x05 && p[i + 1] == 0x64 && p[i + 2] >= 5 && crc_ok(p + i, 8, true))
			return i;
	for (uint32_t i = len > DNP3_HDR_LEN ? len - DNP3_HDR_LEN + 1 : 1; i < len; i++)
		if (p[i] == 0x05 && (i + 1 == len || p[i + 1] == 0x64) && (i + 2 >= len || p[i + 2] >= 5))
			return i;
	return len;
}

static struct bld_parse_result incomplete(struct bld_parse_ctx *pc, uint32_t needed)
{
	if (pc->datagram) /* a datagram holds whole frames: this one was cut */
		bld_event(pc, BLD_EVENT_DNP3_TRUNCATED);
	return bld_parse_incomplete(needed);
}

static struct bld_parse_result dnp3_parse(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len)
{
	struct dnp3_state *st = pc->state;
	struct bld_cur c = bld_cur_make(data, len);
	if (len == 0)
		return incomplete(pc, DNP3_HDR_LEN);
	const uint8_t *h = bld_cur_peek(&c, len < DNP3_HDR_LEN ? len : DNP3_HDR_LEN);
	if (!h)
		return incomplete(pc, DNP3_HDR_LEN);
	if (h[0] != 0x05 || (len >= 2 && h[1] != 0x64)) {
		bld_event(pc, BLD_EVENT_DNP3_BAD_START);
		return bld_parse_error(resync_skip(data, len));
	}
	if (len < 3)
		return incomplete(pc, DNP3_HDR_LEN);
	uint8_t length = h[2];
	if (length < 5) {
		/* §9.2.4.1.2: the length counts at least control and both addresses. */
		bld_event(pc, BLD_EVENT_DNP3_BAD_LENGTH);
		return bld_parse_error(resync_skip(data, len));
	}
	uint32_t n = length - 5u;
	uint32_t size = DNP3_HDR_LEN + n + 2 * ((n + DNP3_BLOCK - 1) / DNP3_BLOCK);
	if (len < DNP3_HDR_LEN)
		return incomplete(pc, size);
	/* A bad header CRC makes the length untrustworthy: the framing is lost. */
	if (!crc_ok(h, 8, true)) {
		bld_event(pc, BLD_EVENT_DNP3_BAD_CRC);
		return bld_parse_error(resync_skip(data, len));
	}
	if (len < size)
		return incomplete(pc, size);

	bld_cur_skip(&c, DNP3_HDR_LEN);
	struct dnp3_link l = {
		.control = h[3],
		.dst = (uint16_t)(h[5] << 8 | h[4]),
		.src = (uint16_t)(h[7] << 8 | h[6]),
	};
	/* User data without its CRCs, checking each block's CRC (§9.2.4.2). */
	uint8_t ud[DNP3_MAX_USER];
	bool crc_bad = false;
	for (uint32_t off = 0; off < n; off += DNP3_BLOCK) {
		uint32_t k = n - off < DNP3_BLOCK ? n - off : DNP3_BLOCK;
		const uint8_t *b = bld_cur_bytes(&c, k + 2);
		if (!b)
			return incomplete(pc, size); /* unreachable: len >= size was checked */
		if (!crc_ok(b, k, false))
			crc_bad = true;
		memcpy(ud + off, b, k);
	}

	uint8_t fc = l.control & 0x0f;
	bool user_data = (l.control & LINK_PRM) && (fc == LINK_CONFIRMED_USER_DATA || fc == LINK_UNCONFIRMED_USER_DATA);
	if (crc_bad) {
		bld_event(pc, BLD_EVENT_DNP3_BAD_CRC);
		if (user_data) {
			/*
			 * The segment is lost; so is the fragment it belonged to
			 * (the next segment of that fragment raises the sequence
			 * event).  Nothing of its application data is trusted.
			 */
			asm_reset(&st->as[pc->to_server ? 0 : 1]);
			return bld_parse_ok(size);
		}
	}
	if (user_data && n >= 1) {
		on_segment(pc, st, &l, ud, n);
		return bld_parse_ok(size);
	}
	/* A link-only frame (link service, or user data function without data). */
	bld_op_begin(pc, l.control & LINK_PRM ? BLD_OP_REQUEST : BLD_OP_RESPONSE);
	put_link(pc->op, &l);
	if (n)
		bld_op_uint(pc->op, "link_data_len", n);
	if (!link_function_name(l.control))
		bld_event(pc, BLD_EVENT_DNP3_ILLEGAL_FUNCTION);
	if (user_data) /* §9.2.4.1.2: a USER_DATA frame carries at least the transport octet */
		bld_event(pc, BLD_EVENT_DNP3_BAD_LENGTH);
	bld_op_emit(pc);
	return bld_parse_ok(size);
}

static void dnp3_state_fini(void *state)
{
	struct dnp3_state *st = state;
	bld_txn_fini(&st->txn);
	for (int i = 0; i < 2; i++) {
		free(st->as[i].buf);
		st->as[i].buf = NULL;
	}
}

/* A TCP gap: a fragment being assembled in that direction lost segments (IEEE 1815 §8.2.2: discard it). */
static void dnp3_gap(void *state, bool to_server)
{
	struct dnp3_state *st = state;
	asm_reset(&st->as[to_server ? 0 : 1]);
}

/* ---- what policies may constrain (fields.h; docs/policy-protocols.md) ---- */

static const char *field_app_function_name(uint64_t v)
{
	return v <= UINT8_MAX ? app_function_name((uint8_t)v) : NULL;
}

/*
 * Link function names depend on the PRM bit (0 is reset_link_states from a
 * primary, ack from a secondary), so link_function is compared by number.
 */
static const struct bld_field_spec dnp3_fields[] = {
	{ .key = "function", .kind = BLD_FIELD_SET, .path = "app_function", .max = UINT8_MAX,
	  .name = field_app_function_name, .doc = "application function code, e.g. read, direct_operate" },
	{ .key = "group", .kind = BLD_FIELD_SET, .path = "objects.group", .max = UINT8_MAX,
	  .doc = "object groups of the object headers, e.g. 12 (CROB), 41 (analog output block)" },
	{ .key = "variation", .kind = BLD_FIELD_SET, .path = "objects.variation", .max = UINT8_MAX,
	  .doc = "object variations of the object headers (0: any)" },
	{ .key = "points", .kind = BLD_FIELD_SPAN, .path = "objects.start", .path2 = "objects.stop", .span_last = true,
	  .max = UINT32_MAX, .doc = "point index range start..stop of object headers with range codes 0..5" },
	{ .key = "qualifier", .kind = BLD_FIELD_SET, .path = "objects.qualifier", .max = UINT8_MAX,
	  .doc = "object header qualifiers: prefix code * 16 + range specifier code" },
	{ .key = "link_src", .kind = BLD_FIELD_SET, .path = "link_src", .max = UINT16_MAX,
	  .doc = "link layer source address" },
	{ .key = "link_dst", .kind = BLD_FIELD_SET, .path = "link_dst", .max = UINT16_MAX,
	  .doc = "link layer destination address (0xFFFD..0xFFFF broadcast)" },
	{ .key = "link_function", .kind = BLD_FIELD_SET, .path = "link_function", .max = 15,
	  .doc = "link function code (control & 0x0F), e.g. 9 request_link_status" },
};

const struct bld_dissector bld_dsc_dnp3 = {
	.name = "dnp3",
	.description = "DNP3 (IEEE 1815)",
	.transports = BLD_TRANSPORT_TCP | BLD_TRANSPORT_UDP,
	.ports = { 20000 },
	.probe = dnp3_probe,
	.parse = dnp3_parse,
	.state_size = sizeof(struct dnp3_state),
	.state_fini = dnp3_state_fini,
	.gap = dnp3_gap,
	.fields = dnp3_fields,
	.n_fields = sizeof(dnp3_fields) / sizeof(dnp3_fields[0]),
};
