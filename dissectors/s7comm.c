/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * S7comm and S7comm-plus over ISO-on-TCP (RFC 1006 TPKT + ISO 8073 COTP).
 * One TPKT per parse call; both descriptors share this code (they differ in
 * their probes) and decode either protocol id.
 *
 *   TPKT (RFC 1006 §6)
 *     version     1   3
 *     reserved    1   0
 *     length      2   the whole TPKT, header included; >= 7 (4 + the shortest TPDU, a class 0 DT)
 *   COTP (ISO 8073 / X.224 §13)
 *     LI          1   header octets after itself (§13.2.1; 255 reserved)
 *     type        1   high nibble: E CR, D CC, 8 DR, C DC, F DT, 7 ER (1 ED, 2 EA, 5 RJ, 6 AK:
 *                     not used in class 0); low nibble: credit (CR, CC) or 0
 *     CR/CC       dst ref(2) src ref(2) class/options(1) parameters          §13.3, §13.4
 *     DR          dst ref(2) src ref(2) reason(1) parameters                 §13.5
 *     DC          dst ref(2) src ref(2)                                      §13.6
 *     ER          dst ref(2) reject cause(1) parameters                      §13.12
 *     DT          bit 7 EOT | TPDU-NR, then user data (§13.7; in the extended format too,
 *                 EOT is bit 7 of the octet after the type)
 *     parameters  code(1) length(1) value: C0 TPDU size 2^n, C1 calling TSAP, C2 called TSAP
 *   S7comm (protocol id 0x32), big-endian
 *     header      0x32 | ROSCTR(1) 1 job, 2 ack, 3 ack_data, 7 userdata | reserved(2) | PDU reference(2)
 *                 | parameter length(2) | data length(2) [| error class(1) | error code(1): ack, ack_data]
 *     parameter   function(1) ...
 *                   04 read var / 05 write var: item count(1), items:
 *                      var spec 0x12 | spec length(1) | syntax id(1) | S7ANY (0x10, length 10):
 *                      transport size(1) | length(2) | DB(2) | area(1) | address(3) = byte << 3 | bit
 *                   F0 setup communication: reserved(1) | max AmQ calling(2) | called(2) | PDU length(2)
 *                   1A..1F block control: status(1) | ...(6) [| filename length(1) | filename]
 *                   28 PI service: ...(7) | parameter block length(2) | block | name length(1) | name
 *                   29 PLC stop: ...(5) | name length(1) | name
 *                 userdata: 00 01 12 | length(1) 4 or 8 | method(1) | type << 4 | group(1)
 *                   | subfunction(1) | sequence(1) [| data unit ref(1) | last data unit(1) | error code(2)]
 *     data        read/write items: return code(1) | transport size(1) | length(2, bits for transport
 *                 sizes 3, 4, 5) | value [| fill byte after an odd value but the last]
 *                 write response: return code(1) per item; userdata: return code | transport size
 *                 | length(2) | data (read SZL: SZL id(2) | SZL index(2) ...)
 *   S7comm-plus (protocol id 0x72)
 *     header      0x72 | version(1) 1, 2, 3, FE ext. keep-alive | data length(2)
 *                 (version FF keep-alive: sequence(1) | reserved(1), nothing more)
 *     [V3 integrity: digest length(1) | digest]
 *     data        opcode(1) 31 request, 32 response, 02 response2, 33 notification
 *                 | reserved(2) | function(2) | reserved(2) | sequence number(2)
 *                 | [session id(4): requests] | transport flags(1) | payload (not decoded)
 *     trailer     0x72 | version(1) | 0x0000; a PDU without it is a fragment continued by the next
 *
 * Neither S7 protocol has a public standard: the layouts above were
 * documented by reverse engineering, in Wireshark's packet-s7comm.c (the
 * oracle for tests) and Thomas Wiens' S7comm-plus plugin; comments cite them
 * where a check comes from there.
 *
 * The same TPKT/COTP framing carries MMS (IEC 61850) and RDP, so connection
 * requests alone decide nothing: the probe waits for the first data TPDU.
 */
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "fields.h"
#include "op.h"
#include "registry.h"
#include "txn.h"

#define COTP_CR 0xE0
#define COTP_CC 0xD0
#define COTP_DT 0xF0

#define NOT_ISO_ON_TCP (-1)
#define UNDECIDED (-2)

/* The protocol id byte after TPKT/COTP DT, UNDECIDED, or NOT_ISO_ON_TCP. */
static int s7_protocol_id(const uint8_t *data, uint32_t len)
{
	struct bld_cur c = bld_cur_make(data, len);
	if (bld_cur_u8(&c) != 3 || bld_cur_u8(&c) != 0)
		return NOT_ISO_ON_TCP;
	uint16_t tpkt_len = bld_cur_be16(&c);
	if (c.err)
		return UNDECIDED;
	if (tpkt_len < 7)
		return NOT_ISO_ON_TCP;
	uint8_t li = bld_cur_u8(&c);
	uint8_t type = bld_cur_u8(&c);
	if (c.err)
		return UNDECIDED;
	if (li == 0 || li + 5u > tpkt_len)
		return NOT_ISO_ON_TCP;
	if ((type & 0xF0) == COTP_CR || (type & 0xF0) == COTP_CC)
		return UNDECIDED; /* connection set-up: decide on the first DT */
	if (type != COTP_DT || li != 2)
		return NOT_ISO_ON_TCP;
	bld_cur_skip(&c, 1);
	uint8_t id = bld_cur_u8(&c);
	if (c.err)
		return UNDECIDED;
	return id;
}

static enum bld_probe s7comm_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	int id = s7_protocol_id(data, len);
	return id == 0x32 ? BLD_PROBE_MATCH : id == UNDECIDED ? BLD_PROBE_NEED_MORE : BLD_PROBE_NO;
}

static enum bld_probe s7comm_plus_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	int id = s7_protocol_id(data, len);
	return id == 0x72 ? BLD_PROBE_MATCH : id == UNDECIDED ? BLD_PROBE_NEED_MORE : BLD_PROBE_NO;
}

/* ---------------------------------------------------------------------------------------------- */

/* COTP TPDU codes: the high nibble of the type octet (ISO 8073 Table 8), as tshark's cotp.type shows it. */
enum {
	TPDU_ED = 0x1,
	TPDU_EA = 0x2,
	TPDU_RJ = 0x5,
	TPDU_AK = 0x6,
	TPDU_ER = 0x7,
	TPDU_DR = 0x8,
	TPDU_DC = 0xC,
	TPDU_CC = 0xD,
	TPDU_CR = 0xE,
	TPDU_DT = 0xF,
};

#define S7COMM_ID 0x32
#define S7PLUS_ID 0x72

enum { ROSCTR_JOB = 1, ROSCTR_ACK = 2, ROSCTR_ACK_DATA = 3, ROSCTR_USERDATA = 7 };

enum {
	FN_CPU_SERVICES = 0x00,
	FN_READ_VAR = 0x04,
	FN_WRITE_VAR = 0x05,
	FN_REQUEST_DOWNLOAD = 0x1A,
	FN_DOWNLOAD_BLOCK = 0x1B,
	FN_DOWNLOAD_ENDED = 0x1C,
	FN_START_UPLOAD = 0x1D,
	FN_UPLOAD = 0x1E,
	FN_END_UPLOAD = 0x1F,
	FN_PI_SERVICE = 0x28,
	FN_PLC_STOP = 0x29,
	FN_SETUP = 0xF0,
};

/* Userdata type nibble (Wireshark: userdata_type_names). */
enum {
	UD_PUSH = 0x0,
	UD_NC_PUSH = 0x3,
	UD_REQUEST = 0x4,
	UD_NC_REQUEST = 0x7,
	UD_RESPONSE = 0x8,
	UD_NC_RESPONSE = 0xB,
};

enum { PLUS_REQUEST = 0x31, PLUS_RESPONSE = 0x32, PLUS_NOTIFICATION = 0x33, PLUS_RESPONSE2 = 0x02 };

/*
 * Caps.  A negotiated S7 PDU is at most 960 octets (S7-400; 240 or 480 on
 * smaller CPUs), so 8 KiB of reassembly leaves room for odd peers and bounds
 * what a flood of unfinished segments can hold.  Read/write requests carry
 * about 20 items in practice (libnodave, snap7 cap there); 32 keep one op
 * well inside BLD_OP_MAX_FIELDS (13 fields an item).
 */
#define S7_REASM_MAX 8192
#define S7_MAX_ITEMS 32
#define S7_MAX_VALUE 64     /* value octets shown per item; "length" says how many there were */
#define S7_MAX_TEXT 64      /* PI service names, arguments, file names */
#define S7_MAX_TSAP 32
#define S7_MAX_SPEC 32      /* raw variable specifications of non-S7ANY syntaxes */
#define S7_MAX_BLOCKS 16    /* blocks named in one PI service */

/* COTP reassembly of one direction (ISO 8073 §6.3: DT without EOT continues in the next DT). */
struct s7_reasm {
	uint8_t *buf;            /* S7_REASM_MAX octets, allocated at the first segment that needs it */
	uint32_t len;
	uint32_t segments;       /* DT TPDUs held, empty ones included */
	bool dropping;           /* the PDU outgrew the buffer: drop until its EOT */
};

struct s7_dir {
	struct s7_reasm r;
	bool plus_continued;     /* the last S7comm-plus PDU had no trailer: the next continues it */
};

struct s7_state {
	struct bld_txn_table txn;
	uint32_t forgotten;      /* requests the full table dropped that no response has claimed yet */
	struct s7_dir dir[2];    /* [1]: client to server */
};

/* Transaction keys: kind | direction of the request | reference. */
enum { TXN_JOB, TXN_USERDATA, TXN_PLUS, TXN_CONNECT };

static uint64_t txn_key(unsigned kind, bool from_client, uint16_t ref)
{
	return (uint64_t)kind << 17 | (uint64_t)from_client << 16 | ref;
}

/*
 * Record a request.  HMIs pipeline more requests than the table holds
 * (S7comm-plus GetMultiVariables bursts of 20): a request dropped at the cap
 * is counted, so that its response is not called one without a request.
 */
static void txn_request(struct bld_parse_ctx *pc, struct s7_state *st, uint64_t key, uint64_t info)
{
	bool known = false;
	for (unsigned i = 0; i < st->txn.n; i++)
		known |= st->txn.t[i].key == key;
	if (!known && st->txn.n == BLD_TXN_MAX && st->forgotten < UINT32_MAX)
		st->forgotten++;
	bld_txn_request(pc, &st->txn, key, info);
}

/* Pair a response; false (the caller raises response_without_request) only when no request can explain it. */
static bool txn_response(struct bld_parse_ctx *pc, struct s7_state *st, uint64_t key, uint64_t *info, bool *paired)
{
	*paired = bld_txn_response(pc, &st->txn, key, info);
	if (*paired)
		return true;
	if (st->forgotten) {
		st->forgotten--; /* most likely the answer to a request the cap dropped */
		return true;
	}
	return false;
}

#define INFO_CONTINUATION 0x100  /* userdata: the request asked for the next fragment of an answer */
#define INFO_NO_FUNCTION 0x100   /* job: the request named no function */

/* Events raised once per PDU, after its op. */
enum {
	F_TRUNCATED = 1 << 0,
	F_BAD_LENGTH = 1 << 1,
	F_ILLEGAL = 1 << 2,
	F_ERROR_RESPONSE = 1 << 3,
	F_PLC_STOP = 1 << 4,
	F_PLC_START = 1 << 5,
	F_NO_REQUEST = 1 << 6,
	F_ITEMS_CAPACITY = 1 << 7,
	F_BAD_PROTOCOL_ID = 1 << 8,
};

/* One S7 PDU being decoded. */
struct pdu {
	struct bld_parse_ctx *pc;
	struct s7_state *st;
	struct bld_op *op;
	uint16_t tpkt_len;
	uint32_t segments;       /* DT TPDUs that carried it */
	unsigned flags;
	bool error_ack;          /* an ack whose header carries an error: its items may be missing */
};

static void raise_flags(struct bld_parse_ctx *pc, unsigned flags)
{
	static const struct {
		unsigned flag;
		enum bld_event ev;
	} map[] = {
		{ F_BAD_PROTOCOL_ID, BLD_EVENT_S7COMM_BAD_PROTOCOL_ID },
		{ F_TRUNCATED, BLD_EVENT_S7COMM_TRUNCATED },
		{ F_BAD_LENGTH, BLD_EVENT_S7COMM_BAD_LENGTH },
		{ F_ILLEGAL, BLD_EVENT_S7COMM_ILLEGAL_FUNCTION },
		{ F_ERROR_RESPONSE, BLD_EVENT_S7COMM_ERROR_RESPONSE },
		{ F_PLC_STOP, BLD_EVENT_S7COMM_PLC_STOP },
		{ F_PLC_START, BLD_EVENT_S7COMM_PLC_START },
		{ F_NO_REQUEST, BLD_EVENT_S7COMM_RESPONSE_WITHOUT_REQUEST },
		{ F_ITEMS_CAPACITY, BLD_EVENT_APP_ITEMS_CAPACITY },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (flags & map[i].flag)
			bld_event(pc, map[i].ev);
}

static enum bld_op_dir by_side(const struct bld_parse_ctx *pc)
{
	return pc->to_server ? BLD_OP_REQUEST : BLD_OP_RESPONSE;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t be24(struct bld_cur *c)
{
	uint32_t hi = bld_cur_u8(c);
	return hi << 16 | bld_cur_be16(c);
}

/* Text of n octets at the cursor (bounded for the op); false when short. */
static bool put_text(struct bld_op *op, const char *name, struct bld_cur *c, uint32_t n)
{
	const uint8_t *s = bld_cur_bytes(c, n);
	if (!s)
		return false;
	bld_op_text(op, name, s, min_u32(n, S7_MAX_TEXT));
	return true;
}

/* A block number: five ASCII digits ("00001") in block control and PI parameters. */
static void put_block_number(struct bld_op *op, const uint8_t *s, uint32_t n)
{
	uint32_t v = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return; /* not a number: the file name still shows it */
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	bld_op_uint(op, "block_number", v);
}

/* Block type (2 ASCII hex digits, "0A" = DB), number (5 digits), file system (1): Wireshark blockcontrol. */
static void put_block_name(struct bld_op *op, struct bld_cur *c)
{
	const uint8_t *type = bld_cur_bytes(c, 2);
	const uint8_t *number = bld_cur_bytes(c, 5);
	const uint8_t *fs = bld_cur_bytes(c, 1);
	if (type)
		bld_op_text(op, "block_type", type, 2);
	if (number)
		put_block_number(op, number, 5);
	if (fs)
		bld_op_text(op, "filesystem", fs, 1);
}

/* ---------------------------------------------------------------------------------------------- */
/* Names (lower_snake_case, stable: policies may use them, though the numbers are what they compare) */

static const char *rosctr_name(uint8_t r)
{
	switch (r) {
	case ROSCTR_JOB: return "job";
	case ROSCTR_ACK: return "ack";
	case ROSCTR_ACK_DATA: return "ack_data";
	case ROSCTR_USERDATA: return "userdata";
	default: return NULL;
	}
}

static const char *function_name(uint8_t fn)
{
	switch (fn) {
	case FN_CPU_SERVICES: return "cpu_services";
	case FN_READ_VAR: return "read_var";
	case FN_WRITE_VAR: return "write_var";
	case FN_REQUEST_DOWNLOAD: return "request_download";
	case FN_DOWNLOAD_BLOCK: return "download_block";
	case FN_DOWNLOAD_ENDED: return "download_ended";
	case FN_START_UPLOAD: return "start_upload";
	case FN_UPLOAD: return "upload";
	case FN_END_UPLOAD: return "end_upload";
	case FN_PI_SERVICE: return "pi_service";
	case FN_PLC_STOP: return "plc_stop";
	case FN_SETUP: return "setup_communication";
	default: return NULL;
	}
}

static const char *group_name(uint8_t g)
{
	switch (g) {
	case 0x0: return "mode_transition";
	case 0x1: return "programmer_commands";
	case 0x2: return "cyclic_data";
	case 0x3: return "block_functions";
	case 0x4: return "cpu_functions";
	case 0x5: return "security";
	case 0x6: return "programmable_block_functions";
	case 0x7: return "time_functions";
	case 0xF: return "nc_programming";
	default: return NULL;
	}
}

static const char *plus_opcode_name(uint8_t o)
{
	switch (o) {
	case PLUS_REQUEST: return "request";
	case PLUS_RESPONSE: return "response";
	case PLUS_RESPONSE2: return "response2";
	case PLUS_NOTIFICATION: return "notification";
	default: return NULL;
	}
}

/* S7comm-plus function codes (Wiens' plugin, data_functioncode_names); the list is not closed. */
static const char *plus_function_name(uint16_t f)
{
	switch (f) {
	case 0x04B1: return "error";
	case 0x04BB: return "explore";
	case 0x04CA: return "create_object";
	case 0x04D4: return "delete_object";
	case 0x04F2: return "set_variable";
	case 0x04FC: return "get_variable";
	case 0x0506: return "add_link";
	case 0x051A: return "remove_link";
	case 0x0524: return "get_link";
	case 0x0542: return "set_multi_variables";
	case 0x054C: return "get_multi_variables";
	case 0x0556: return "begin_sequence";
	case 0x0560: return "end_sequence";
	case 0x056B: return "invoke";
	case 0x057C: return "set_var_sub_streamed";
	case 0x0586: return "get_var_sub_streamed";
	case 0x0590: return "get_variables_address";
	case 0x059A: return "abort";
	default: return NULL;
	}
}

static const char *cotp_name(uint8_t code)
{
	switch (code) {
	case TPDU_ED: return "ed";
	case TPDU_EA: return "ea";
	case TPDU_RJ: return "rj";
	case TPDU_AK: return "ak";
	case TPDU_ER: return "er";
	case TPDU_DR: return "dr";
	case TPDU_DC: return "dc";
	case TPDU_CC: return "cc";
	case TPDU_CR: return "cr";
	case TPDU_DT: return "dt";
	default: return NULL;
	}
}

static void put_name(struct bld_op *op, const char *field, const char *name)
{
	if (name)
		bld_op_cstr(op, field, name);
}

static void put_function(struct bld_op *op, uint8_t fn)
{
	bld_op_uint(op, "function", fn);
	put_name(op, "function_name", function_name(fn));
}

/* ---------------------------------------------------------------------------------------------- */
/* S7comm */

/*
 * One data item (write request: into the open item object; read response:
 * an object of its own, when its head is there): Wireshark
 * s7comm_decode_response_read_data.  The 4-octet head is always there; a
 * value follows only for return codes 0x00 (reserved, in requests) and 0xFF
 * (success).  Transport sizes 3 (bit), 4 (byte/word/dword), 5 (integer)
 * count the length in bits; it is shown in octets, as tshark does.
 */
static void data_item(struct pdu *x, struct bld_cur *dat, bool last, bool listed, bool request)
{
	uint8_t rc = bld_cur_u8(dat);
	uint8_t ts = bld_cur_u8(dat);
	uint16_t wire_len = bld_cur_be16(dat);
	if (dat->err) {
		x->flags |= F_TRUNCATED;
		return;
	}
	uint32_t octets = ts == 3 || ts == 4 || ts == 5 ? (wire_len + 7u) / 8u : wire_len;
	const uint8_t *v = NULL;
	if (rc == 0x00 || rc == 0xFF) {
		v = bld_cur_bytes(dat, octets);
		if (!v)
			x->flags |= F_TRUNCATED;
		else if ((octets & 1) && !last)
			bld_cur_skip(dat, 1); /* the fill byte that keeps the next item even */
	}
	if (!listed)
		return;
	if (request) { /* into the item object the address opened */
		bld_op_uint(x->op, "value_transport_size", ts);
		bld_op_uint(x->op, "value_length", octets);
	} else {
		bld_op_object(x->op, NULL);
		bld_op_uint(x->op, "return_code", rc);
		bld_op_uint(x->op, "transport_size", ts);
		bld_op_uint(x->op, "length", octets);
	}
	if (v)
		bld_op_hex(x->op, "value", v, min_u32(octets, S7_MAX_VALUE));
	if (!request)
		bld_op_end(x->op);
}

/* One parameter item of a read/write request: Wireshark s7comm_decode_param_item. */
static void param_item(struct bld_op *op, uint8_t spec, uint8_t spec_len, struct bld_cur *s)
{
	uint8_t syntax = bld_cur_u8(s);
	bld_op_uint(op, "syntax_id", syntax);
	if (spec == 0x12 && spec_len == 10 && syntax == 0x10) { /* S7ANY, the classic S7-300/400 address */
		uint8_t ts = bld_cur_u8(s);
		uint16_t length = bld_cur_be16(s);
		uint16_t db = bld_cur_be16(s);
		uint8_t area = bld_cur_u8(s);
		uint32_t address = be24(s);
		bld_op_uint(op, "transport_size", ts);
		bld_op_uint(op, "length", length);
		bld_op_uint(op, "db", db);
		bld_op_uint(op, "area", area);
		bld_op_uint(op, "address", address);
		if (area == 0x1C || area == 0x1D) { /* counters and timers are numbered, not bit-addressed */
			bld_op_uint(op, "number", address);
		} else {
			bld_op_uint(op, "byte_address", address >> 3);
			bld_op_uint(op, "bit_address", address & 7);
		}
		return;
	}
	/* DBREAD 0xB0, TIA symbolic 0xB2, NCK 0x82, DriveES 0xA2...: shown raw, after the syntax id. */
	bld_op_uint(op, "spec_type", spec);
	uint32_t n = bld_cur_left(s);
	const uint8_t *raw = bld_cur_bytes(s, n);
	if (raw)
		bld_op_hex(op, "spec", raw, min_u32(n, S7_MAX_SPEC));
}

/* Read/write var request: item count, then one address per item (and one value per item for write). */
static void var_request(struct pdu *x, uint8_t fn, struct bld_cur *par, struct bld_cur *dat)
{
	struct bld_op *op = x->op;
	uint8_t count = bld_cur_u8(par);
	if (par->err) {
		x->flags |= F_TRUNCATED;
		return;
	}
	bld_op_uint(op, "item_count", count);
	bld_op_list(op, "items");
	for (unsigned i = 0; i < count; i++) {
		bool listed = i < S7_MAX_ITEMS;
		uint8_t spec = bld_cur_u8(par);
		uint8_t spec_len = bld_cur_u8(par);
		struct bld_cur s = bld_cur_take(par, spec_len);
		if (par->err || spec_len == 0) { /* a specification holds at least its syntax id */
			x->flags |= F_TRUNCATED;
			break;
		}
		if (listed) {
			bld_op_object(op, NULL);
			param_item(op, spec, spec_len, &s);
		}
		if (fn == FN_WRITE_VAR)
			data_item(x, dat, i + 1u == count, listed, true);
		if (listed)
			bld_op_end(op);
	}
	bld_op_end(op);
	if (count > S7_MAX_ITEMS) {
		bld_op_uint(op, "items_count", count);
		x->flags |= F_ITEMS_CAPACITY;
	}
}

/* Read var response: one data item per item; write var response: one return code per item. */
static void var_response(struct pdu *x, uint8_t fn, struct bld_cur *par, struct bld_cur *dat)
{
	struct bld_op *op = x->op;
	uint8_t count = bld_cur_u8(par);
	if (par->err)
		return; /* an error ack may carry the function alone */
	bld_op_uint(op, "item_count", count);
	bld_op_list(op, "items");
	for (unsigned i = 0; i < count; i++) {
		bool listed = i < S7_MAX_ITEMS;
		if (fn == FN_READ_VAR) {
			data_item(x, dat, i + 1u == count, listed, false);
		} else {
			uint8_t rc = bld_cur_u8(dat);
			if (dat->err) {
				x->flags |= F_TRUNCATED;
				break;
			}
			if (listed) {
				bld_op_object(op, NULL);
				bld_op_uint(op, "return_code", rc);
				bld_op_end(op);
			}
		}
		if (dat->err)
			break;
	}
	bld_op_end(op);
	if (count > S7_MAX_ITEMS) {
		bld_op_uint(op, "items_count", count);
		x->flags |= F_ITEMS_CAPACITY;
	}
}

static void setup_communication(struct pdu *x, struct bld_cur *par)
{
	bld_cur_skip(par, 1); /* reserved */
	uint16_t calling = bld_cur_be16(par);
	uint16_t called = bld_cur_be16(par);
	uint16_t pdu_length = bld_cur_be16(par);
	if (par->err) {
		x->flags |= F_TRUNCATED;
		return;
	}
	bld_op_uint(x->op, "max_amq_calling", calling);
	bld_op_uint(x->op, "max_amq_called", called);
	bld_op_uint(x->op, "pdu_length", pdu_length);
}

/*
 * PI service (0x28) request: Wireshark s7comm_decode_pi_service.  The
 * parameter block of _INSE / _DELE lists blocks (count, reserved, then
 * "0A00001P" each); other services carry an argument string ("C " for a
 * cold restart with P_PROGRAM).
 */
static void pi_service(struct pdu *x, struct bld_cur *par)
{
	struct bld_op *op = x->op;
	bld_cur_skip(par, 7);
	uint16_t block_len = bld_cur_be16(par);
	struct bld_cur block = bld_cur_take(par, block_len);
	uint8_t name_len = bld_cur_u8(par);
	struct bld_cur name = bld_cur_take(par, name_len);
	if (par->err) {
		x->flags |= F_TRUNCATED;
		return;
	}
	static const char program[] = "P_PROGRAM";
	const uint8_t *nm = bld_cur_peek(&name, name_len);
	if (nm && name_len == sizeof(program) - 1 && memcmp(nm, program, name_len) == 0)
		x->flags |= F_PLC_START;
	put_text(op, "pi_service", &name, name_len);
	struct bld_cur b = block;
	uint8_t n_blocks = bld_cur_u8(&b);
	bld_cur_skip(&b, 1);
	if (block_len >= 2 && block_len == 2u + 8u * n_blocks) {
		bld_op_uint(op, "block_count", n_blocks);
		bld_op_list(op, "blocks");
		for (unsigned i = 0; i < n_blocks && i < S7_MAX_BLOCKS; i++) {
			bld_op_object(op, NULL);
			put_block_name(op, &b);
			bld_op_end(op);
		}
		bld_op_end(op);
		if (n_blocks > S7_MAX_BLOCKS)
			x->flags |= F_ITEMS_CAPACITY;
	} else if (block_len) {
		put_text(op, "pi_argument", &block, block_len);
	}
}

/* PLC stop (0x29): Wireshark s7comm_decode_plc_controls_param_hex29. */
static void plc_stop(struct pdu *x, struct bld_cur *par)
{
	bld_cur_skip(par, 5);
	uint8_t name_len = bld_cur_u8(par);
	if (par->err || !put_text(x->op, "pi_service", par, name_len))
		x->flags |= F_TRUNCATED;
}

/*
 * Block control 0x1A..0x1F: function status, then in the requests that
 * name a block (request download, download block, download ended, start
 * upload) the file name "_0A00001P": identifier, block type, number, file
 * system.  Wireshark s7comm_decode_plc_controls_updownload.
 */
static void block_control(struct pdu *x, uint8_t fn, struct bld_cur *par, bool request)
{
	struct bld_op *op = x->op;
	uint8_t status = bld_cur_u8(par);
	if (par->err) {
		if (request)
			x->flags |= F_TRUNCATED;
		return;
	}
	bld_op_uint(op, "function_status", status);
	if (!request || fn == FN_UPLOAD || fn == FN_END_UPLOAD)
		return;
	bld_cur_skip(par, 6);
	uint8_t name_len = bld_cur_u8(par);
	struct bld_cur name = bld_cur_take(par, name_len);
	if (par->err) {
		x->flags |= F_TRUNCATED;
		return;
	}
	struct bld_cur n = name;
	put_text(op, "filename", &n, name_len);
	if (name_len >= 9) {
		bld_cur_skip(&name, 1); /* '_' complete block, '$' header for upload */
		put_block_name(op, &name);
	}
}

static void job(struct pdu *x, struct bld_cur *par, struct bld_cur *dat, uint16_t ref)
{
	struct bld_parse_ctx *pc = x->pc;
	uint8_t fn = bld_cur_u8(par);
	if (par->err) {
		x->flags |= F_TRUNCATED; /* a job always names its function */
		txn_request(pc, x->st, txn_key(TXN_JOB, pc->to_server, ref), INFO_NO_FUNCTION);
		return;
	}
	put_function(x->op, fn);
	switch (fn) {
	case FN_READ_VAR:
	case FN_WRITE_VAR:
		var_request(x, fn, par, dat);
		break;
	case FN_SETUP:
		setup_communication(x, par);
		break;
	case FN_PI_SERVICE:
		pi_service(x, par);
		break;
	case FN_PLC_STOP:
		plc_stop(x, par);
		x->flags |= F_PLC_STOP;
		break;
	case FN_REQUEST_DOWNLOAD:
	case FN_DOWNLOAD_BLOCK:
	case FN_DOWNLOAD_ENDED:
	case FN_START_UPLOAD:
	case FN_UPLOAD:
	case FN_END_UPLOAD:
		block_control(x, fn, par, true);
		break;
	case FN_CPU_SERVICES:
		break;
	default:
		x->flags |= F_ILLEGAL;
		break;
	}
	txn_request(pc, x->st, txn_key(TXN_JOB, pc->to_server, ref), fn);
}

static void ack(struct pdu *x, struct bld_cur *par, struct bld_cur *dat, uint16_t ref)
{
	struct bld_parse_ctx *pc = x->pc;
	uint64_t info = 0;
	bool paired;
	if (!txn_response(pc, x->st, txn_key(TXN_JOB, !pc->to_server, ref), &info, &paired))
		x->flags |= F_NO_REQUEST;
	uint8_t fn = bld_cur_u8(par);
	if (par->err) {
		/* An ack without parameters (often an error): the function is the job's. */
		if (paired && info != INFO_NO_FUNCTION)
			put_function(x->op, (uint8_t)info);
		return;
	}
	put_function(x->op, fn);
	switch (fn) {
	case FN_READ_VAR:
	case FN_WRITE_VAR:
		var_response(x, fn, par, dat);
		if (x->error_ack)
			x->flags &= ~(unsigned)F_TRUNCATED; /* a refused job has no items to answer with */
		break;
	case FN_SETUP:
		setup_communication(x, par);
		break;
	case FN_REQUEST_DOWNLOAD:
	case FN_DOWNLOAD_BLOCK:
	case FN_DOWNLOAD_ENDED:
	case FN_START_UPLOAD:
	case FN_UPLOAD:
	case FN_END_UPLOAD:
		block_control(x, fn, par, false);
		break;
	case FN_PI_SERVICE:
	case FN_PLC_STOP:
	case FN_CPU_SERVICES:
		break;
	default:
		x->flags |= F_ILLEGAL;
		break;
	}
}

/*
 * Userdata (ROSCTR 7): the parameter names a function group and subfunction
 * (Wireshark s7comm_decode_ud).  A request with the 8-octet form asks for
 * the next fragment of a long answer (data unit reference); its answer
 * continues data, so SZL ids are read from first answers only.
 */
static void userdata(struct pdu *x, struct bld_cur *par, struct bld_cur *dat, uint16_t ref)
{
	struct bld_parse_ctx *pc = x->pc;
	struct bld_op *op = x->op;
	/* Parameter head 00 01 12 and its own length byte: mode-transition pushes carry other values
	 * (01 00 10, 16), so the 12-octet form is told by the header's parameter length, as tshark does. */
	bld_cur_skip(par, 4);
	bld_cur_skip(par, 1); /* method 0x11 request, 0x12 response; the type nibble says the same */
	uint8_t type_group = bld_cur_u8(par);
	uint8_t sub = bld_cur_u8(par);
	uint8_t seq = bld_cur_u8(par);
	if (par->err) {
		x->flags |= F_TRUNCATED;
		return;
	}
	uint8_t type = type_group >> 4, group = type_group & 0x0F;
	bool continuation = bld_cur_left(par) >= 4;
	bool request = type == UD_REQUEST || type == UD_NC_REQUEST;
	bool response = type == UD_RESPONSE || type == UD_NC_RESPONSE;
	uint64_t info = 0;
	bool paired = false;
	if (request) {
		txn_request(pc, x->st, txn_key(TXN_USERDATA, pc->to_server, ref), continuation ? INFO_CONTINUATION : 0);
	} else if (response) {
		if (!txn_response(pc, x->st, txn_key(TXN_USERDATA, !pc->to_server, ref), &info, &paired))
			x->flags |= F_NO_REQUEST;
	} else if (type != UD_PUSH && type != UD_NC_PUSH) {
		x->flags |= F_ILLEGAL;
	}
	bld_op_uint(op, "userdata_type", type);
	bld_op_uint(op, "function_group", group);
	const char *gname = group_name(group);
	put_name(op, "function_group_name", gname);
	if (!gname)
		x->flags |= F_ILLEGAL;
	bld_op_uint(op, "subfunction", sub);
	bld_op_uint(op, "sequence_number", seq);
	if (continuation) {
		uint8_t unit_ref = bld_cur_u8(par);
		uint8_t last_unit = bld_cur_u8(par);
		uint16_t err = bld_cur_be16(par);
		if (par->err) {
			x->flags |= F_TRUNCATED;
		} else {
			bld_op_uint(op, "data_unit_ref", unit_ref);
			bld_op_uint(op, "last_data_unit", last_unit);
			bld_op_uint(op, "param_error_code", err);
			if (err && response)
				x->flags |= F_ERROR_RESPONSE;
		}
	}
	uint8_t rc = bld_cur_u8(dat);
	uint8_t ts = bld_cur_u8(dat);
	bld_cur_skip(dat, 2); /* length */
	if (dat->err)
		return; /* no data part: allowed (e.g. some pushes) */
	bld_op_uint(op, "return_code", rc);
	bld_op_uint(op, "transport_size", ts);
	if (rc != 0xFF)
		return;
	bool first = (request && !continuation) || (response && paired && !(info & INFO_CONTINUATION));
	if (!first)
		return;
	if (group == 0x4 && sub == 0x01) { /* CPU functions, read SZL */
		uint16_t szl_id = bld_cur_be16(dat);
		uint16_t szl_index = bld_cur_be16(dat);
		if (!dat->err) {
			bld_op_uint(op, "szl_id", szl_id);
			bld_op_uint(op, "szl_index", szl_index);
		}
	} else if (group == 0x3 && request && (sub == 0x02 || sub == 0x03)) {
		/* Block functions: list blocks of type (type only), get block info (type, number, fs). */
		if (sub == 0x02) {
			const uint8_t *t = bld_cur_bytes(dat, 2);
			if (t)
				bld_op_text(op, "block_type", t, 2);
		} else {
			put_block_name(op, dat);
		}
	}
}

/* The common head of an op for a DT: TPKT, COTP, and the count of segments when reassembled. */
static struct bld_op *begin_dt(struct pdu *x, enum bld_op_dir dir)
{
	struct bld_op *op = bld_op_begin(x->pc, dir);
	x->op = op;
	bld_op_uint(op, "tpkt_length", x->tpkt_len);
	bld_op_uint(op, "cotp_pdu_type", TPDU_DT);
	if (x->segments > 1)
		bld_op_uint(op, "cotp_segments", x->segments);
	return op;
}

/* An S7comm PDU; c is past the protocol id. */
static void s7comm_pdu(struct pdu *x, struct bld_cur *c)
{
	struct bld_parse_ctx *pc = x->pc;
	bool have_rosctr = bld_cur_left(c) >= 1;
	uint8_t rosctr = bld_cur_u8(c);
	enum bld_op_dir dir = by_side(pc);
	if (rosctr == ROSCTR_JOB) {
		dir = BLD_OP_REQUEST;
	} else if (rosctr == ROSCTR_ACK || rosctr == ROSCTR_ACK_DATA) {
		dir = BLD_OP_RESPONSE;
	} else if (rosctr == ROSCTR_USERDATA) {
		/* The type nibble of the userdata parameter (S7 offset 15) says request, response or push. */
		struct bld_cur t = *c;
		bld_cur_skip(&t, 13);
		uint8_t type = bld_cur_u8(&t) >> 4;
		if (!t.err && (type == UD_RESPONSE || type == UD_NC_RESPONSE))
			dir = BLD_OP_RESPONSE;
		else if (!t.err && (type == UD_REQUEST || type == UD_NC_REQUEST || type == UD_PUSH || type == UD_NC_PUSH))
			dir = BLD_OP_REQUEST;
	}
	struct bld_op *op = begin_dt(x, dir);
	bld_op_uint(op, "protocol_id", S7COMM_ID);
	if (!have_rosctr) {
		x->flags |= F_TRUNCATED;
		return;
	}
	bld_op_uint(op, "rosctr", rosctr);
	put_name(op, "rosctr_name", rosctr_name(rosctr));
	bool is_ack = rosctr == ROSCTR_ACK || rosctr == ROSCTR_ACK_DATA;
	bld_cur_skip(c, 2); /* redundancy identification (reserved) */
	uint16_t ref = bld_cur_be16(c);
	uint16_t plen = bld_cur_be16(c);
	uint16_t dlen = bld_cur_be16(c);
	uint8_t err_class = 0, err_code = 0;
	if (is_ack) {
		err_class = bld_cur_u8(c);
		err_code = bld_cur_u8(c);
	}
	if (c->err) {
		x->flags |= F_TRUNCATED;
		return;
	}
	bld_op_uint(op, "pdu_ref", ref);
	bld_op_uint(op, "param_length", plen);
	bld_op_uint(op, "data_length", dlen);
	if (is_ack) {
		bld_op_uint(op, "error_class", err_class);
		bld_op_uint(op, "error_code", err_code);
		x->error_ack = err_class || err_code;
		if (x->error_ack)
			x->flags |= F_ERROR_RESPONSE;
	}
	/* The header's lengths must account for the PDU exactly; decode what is there either way. */
	uint32_t left = bld_cur_left(c);
	if ((uint32_t)plen + dlen != left)
		x->flags |= F_BAD_LENGTH;
	struct bld_cur par = bld_cur_take(c, min_u32(plen, left));
	struct bld_cur dat = bld_cur_take(c, min_u32(dlen, bld_cur_left(c)));
	switch (rosctr) {
	case ROSCTR_JOB:
		job(x, &par, &dat, ref);
		break;
	case ROSCTR_ACK:
	case ROSCTR_ACK_DATA:
		ack(x, &par, &dat, ref);
		break;
	case ROSCTR_USERDATA:
		userdata(x, &par, &dat, ref);
		break;
	default:
		x->flags |= F_ILLEGAL;
		break;
	}
}

/* ---------------------------------------------------------------------------------------------- */
/* S7comm-plus: the header and the data part's fixed head; the payload is not decoded. */

static void s7plus_pdu(struct pdu *x, struct bld_cur *c)
{
	struct bld_parse_ctx *pc = x->pc;
	struct s7_dir *d = &x->st->dir[pc->to_server];
	uint32_t n = bld_cur_left(c) + 1u; /* the PDU, protocol id included */
	uint8_t version = bld_cur_u8(c);
	bool keepalive = version == 0xFF, ext_keepalive = version == 0xFE;
	uint8_t ka_seq = 0;
	uint16_t dlen = 0;
	bool has_dlen = false, continued = false, fragment = false;
	bool has_op = false, has_fn = false, has_session = false, has_flags = false;
	uint8_t opcode = 0, tflags = 0;
	uint16_t fn = 0, seq = 0;
	uint32_t session = 0;
	if (!c->err && !(version >= 1 && version <= 3) && !keepalive && !ext_keepalive)
		x->flags |= F_ILLEGAL;
	if (keepalive) {
		ka_seq = bld_cur_u8(c);
		bld_cur_skip(c, 1); /* reserved */
		if (c->err)
			x->flags |= F_TRUNCATED;
	} else {
		dlen = bld_cur_be16(c);
		has_dlen = !c->err;
		if (c->err)
			x->flags |= F_TRUNCATED;
	}
	if (has_dlen && !ext_keepalive) {
		/* Wiens: a trailer follows when more than the data is there; a PDU without one is a fragment. */
		uint32_t left = bld_cur_left(c);
		struct bld_cur data = bld_cur_take(c, min_u32(dlen, left));
		if (left < dlen) {
			x->flags |= F_BAD_LENGTH;
		} else if (left > dlen) {
			uint8_t t_id = bld_cur_u8(c), t_version = bld_cur_u8(c);
			uint16_t t_len = bld_cur_be16(c);
			if (c->err || bld_cur_left(c) || t_id != S7PLUS_ID || t_version != version || t_len)
				x->flags |= F_BAD_LENGTH;
		}
		continued = d->plus_continued;
		d->plus_continued = left == dlen; /* exactly the data: more follows in the next PDU */
		fragment = continued || left == dlen;
		if (version == 3) { /* integrity part: digest length, digest (Wiens s7commp_decode_integrity) */
			uint8_t digest_len = bld_cur_u8(&data);
			bld_cur_skip(&data, digest_len);
		}
		if (!continued) {
			opcode = bld_cur_u8(&data);
			has_op = !data.err;
			if (has_op && (opcode == PLUS_REQUEST || opcode == PLUS_RESPONSE || opcode == PLUS_RESPONSE2)) {
				bld_cur_skip(&data, 2);
				fn = bld_cur_be16(&data);
				bld_cur_skip(&data, 2);
				seq = bld_cur_be16(&data);
				has_fn = !data.err;
				if (opcode == PLUS_REQUEST) {
					session = bld_cur_be32(&data);
					has_session = !data.err;
				}
				tflags = bld_cur_u8(&data);
				has_flags = !data.err;
				if (data.err && !fragment)
					x->flags |= F_TRUNCATED;
			} else if (has_op && opcode != PLUS_NOTIFICATION) {
				x->flags |= F_ILLEGAL;
			} else if (!has_op && !fragment) {
				x->flags |= F_TRUNCATED;
			}
		}
	}
	enum bld_op_dir dir = by_side(pc);
	if (has_op && (opcode == PLUS_REQUEST || opcode == PLUS_NOTIFICATION))
		dir = BLD_OP_REQUEST;
	else if (has_op && (opcode == PLUS_RESPONSE || opcode == PLUS_RESPONSE2))
		dir = BLD_OP_RESPONSE;
	struct bld_op *op = begin_dt(x, dir);
	bld_op_uint(op, "protocol_id", S7PLUS_ID);
	if (n < 2) {
		x->flags |= F_TRUNCATED;
		return;
	}
	bld_op_uint(op, "protocol_version", version);
	if (keepalive && !c->err)
		bld_op_uint(op, "keepalive_sequence", ka_seq);
	if (has_dlen)
		bld_op_uint(op, "data_length", dlen);
	if (fragment)
		bld_op_bool(op, "fragment", true);
	if (has_op) {
		bld_op_uint(op, "opcode", opcode);
		put_name(op, "opcode_name", plus_opcode_name(opcode));
	}
	if (has_fn) {
		bld_op_uint(op, "function", fn);
		put_name(op, "function_name", plus_function_name(fn));
		bld_op_uint(op, "sequence_number", seq);
		bool paired;
		if (opcode == PLUS_REQUEST)
			txn_request(pc, x->st, txn_key(TXN_PLUS, pc->to_server, seq), fn);
		else if (!txn_response(pc, x->st, txn_key(TXN_PLUS, !pc->to_server, seq), NULL, &paired))
			x->flags |= F_NO_REQUEST;
	}
	if (has_session)
		bld_op_uint(op, "session_id", session);
	if (has_flags)
		bld_op_uint(op, "transport_flags", tflags);
}

/* ---------------------------------------------------------------------------------------------- */
/* TPKT and COTP */

/* The S7 PDU of a DT with EOT (reassembled or not). */
static void s7_pdu(struct bld_parse_ctx *pc, struct s7_state *st, const uint8_t *p, uint32_t n, uint16_t tpkt_len,
		   uint32_t segments)
{
	struct pdu x = { .pc = pc, .st = st, .tpkt_len = tpkt_len, .segments = segments };
	struct bld_cur c = bld_cur_make(p, n);
	uint8_t id = bld_cur_u8(&c);
	if (c.err) {
		begin_dt(&x, by_side(pc)); /* an empty TSDU: nothing for S7 */
		x.flags |= F_TRUNCATED;
	} else if (id == S7COMM_ID) {
		s7comm_pdu(&x, &c);
	} else if (id == S7PLUS_ID) {
		s7plus_pdu(&x, &c);
	} else {
		bld_op_uint(begin_dt(&x, by_side(pc)), "protocol_id", id);
		x.flags |= F_BAD_PROTOCOL_ID;
	}
	bld_op_emit(pc);
	raise_flags(pc, x.flags);
}

/* Keep one segment's user data; the event once when the PDU outgrows the buffer. */
static void hold(struct bld_parse_ctx *pc, struct s7_reasm *r, const uint8_t *p, uint32_t n)
{
	r->segments++;
	if (r->dropping || n == 0)
		return;
	if (n > S7_REASM_MAX - r->len || (!r->buf && !(r->buf = malloc(S7_REASM_MAX)))) {
		r->dropping = true;
		r->len = 0;
		bld_event(pc, BLD_EVENT_S7COMM_REASSEMBLY_OVERFLOW);
		return;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

/* DT: ISO 8073 §13.7; a TSDU ends with the DT whose EOT bit is set. */
static void cotp_dt(struct bld_parse_ctx *pc, struct s7_state *st, struct bld_cur *hdr, struct bld_cur *ud,
		    uint16_t tpkt_len)
{
	uint8_t nr = bld_cur_u8(hdr);
	if (hdr->err) { /* LI 1: no TPDU-NR */
		struct bld_op *op = bld_op_begin(pc, by_side(pc));
		bld_op_uint(op, "tpkt_length", tpkt_len);
		bld_op_uint(op, "cotp_pdu_type", TPDU_DT);
		bld_op_emit(pc);
		bld_event(pc, BLD_EVENT_S7COMM_BAD_COTP);
		return;
	}
	bool eot = nr & 0x80;
	struct s7_reasm *r = &st->dir[pc->to_server].r;
	uint32_t n = bld_cur_left(ud);
	const uint8_t *p = bld_cur_bytes(ud, n);
	if (!eot) {
		hold(pc, r, p, n);
		return;
	}
	if (r->segments == 0) { /* the common case: one DT, parsed in place */
		s7_pdu(pc, st, p, n, tpkt_len, 1);
		return;
	}
	hold(pc, r, p, n);
	if (!r->dropping)
		s7_pdu(pc, st, r->len ? r->buf : p, r->len, tpkt_len, r->segments);
	r->len = 0;
	r->segments = 0;
	r->dropping = false;
}

/* TSAP: the called one (C2) of an S7 connection names connection type, rack and slot in 2 octets. */
static void tsap(struct bld_op *op, const char *name, struct bld_cur *v, bool called)
{
	uint32_t n = bld_cur_left(v);
	const uint8_t *b = bld_cur_bytes(v, n);
	if (!b)
		return;
	bld_op_hex(op, name, b, min_u32(n, S7_MAX_TSAP));
	if (called && n == 2) { /* 01 PG, 02 OP, 03 S7 basic; then rack << 5 | slot */
		bld_op_uint(op, "connection_type", b[0]);
		bld_op_uint(op, "rack", b[1] >> 5);
		bld_op_uint(op, "slot", b[1] & 0x1F);
	}
}

/* Variable part: ISO 8073 §13.3.4; false when a parameter overruns the header. */
static bool cotp_params(struct bld_op *op, struct bld_cur *c)
{
	bool ok = true;
	while (bld_cur_left(c) > 0) {
		uint8_t code = bld_cur_u8(c);
		uint8_t len = bld_cur_u8(c);
		struct bld_cur v = bld_cur_take(c, len);
		if (c->err)
			return false;
		switch (code) {
		case 0xC0: { /* TPDU size: 2^n octets, n = 7..13 (§13.3.4 b) */
			uint8_t e = bld_cur_u8(&v);
			if (len != 1 || e < 7 || e > 13)
				ok = false;
			else
				bld_op_uint(op, "tpdu_size", 1u << e);
			break;
		}
		case 0xC1:
			tsap(op, "src_tsap", &v, false);
			break;
		case 0xC2:
			tsap(op, "dst_tsap", &v, true);
			break;
		default:
			break; /* checksum, version, options...: not S7's concern */
		}
	}
	return ok;
}

/* Connection management TPDUs: one op each, CR/CC paired by reference. */
static void cotp_control(struct bld_parse_ctx *pc, struct s7_state *st, uint8_t code, struct bld_cur *hdr,
			 uint16_t tpkt_len)
{
	enum bld_op_dir dir = code == TPDU_CR || code == TPDU_DR ? BLD_OP_REQUEST
			      : code == TPDU_CC || code == TPDU_DC || code == TPDU_ER ? BLD_OP_RESPONSE
										     : by_side(pc);
	struct bld_op *op = bld_op_begin(pc, dir);
	bld_op_uint(op, "tpkt_length", tpkt_len);
	bld_op_uint(op, "cotp_pdu_type", code);
	put_name(op, "cotp_pdu", cotp_name(code));
	bool ok = true;
	uint16_t dst = bld_cur_be16(hdr);
	switch (code) {
	case TPDU_CR:
	case TPDU_CC:
	case TPDU_DR: {
		uint16_t src = bld_cur_be16(hdr);
		uint8_t x = bld_cur_u8(hdr);
		if (hdr->err) {
			ok = false;
			break;
		}
		bld_op_uint(op, "dst_ref", dst);
		bld_op_uint(op, "src_ref", src);
		if (code == TPDU_DR)
			bld_op_uint(op, "reason", x);
		else
			bld_op_uint(op, "class", x >> 4);
		ok = cotp_params(op, hdr);
		/* The CC answers the CR whose source reference it names as destination (§13.4). */
		if (code == TPDU_CR)
			txn_request(pc, st, txn_key(TXN_CONNECT, pc->to_server, src), 0);
		else if (code == TPDU_CC)
			bld_txn_response(pc, &st->txn, txn_key(TXN_CONNECT, !pc->to_server, dst), NULL);
		break;
	}
	case TPDU_DC: {
		uint16_t src = bld_cur_be16(hdr);
		ok = !hdr->err;
		if (ok) {
			bld_op_uint(op, "dst_ref", dst);
			bld_op_uint(op, "src_ref", src);
		}
		break;
	}
	case TPDU_ER: {
		uint8_t cause = bld_cur_u8(hdr);
		ok = !hdr->err;
		if (ok) {
			bld_op_uint(op, "dst_ref", dst);
			bld_op_uint(op, "reject_cause", cause);
			ok = cotp_params(op, hdr);
		}
		break;
	}
	default: /* ED, EA, AK, RJ: classes 1..4 only; reported, not decoded */
		if (!hdr->err)
			bld_op_uint(op, "dst_ref", dst);
		break;
	}
	bld_op_emit(pc);
	if (!ok)
		bld_event(pc, BLD_EVENT_S7COMM_BAD_COTP);
}

static void reasm_reset(struct s7_reasm *r)
{
	r->len = 0;
	r->segments = 0;
	r->dropping = false;
}

static struct bld_parse_result iso_parse(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len)
{
	struct s7_state *st = pc->state;
	struct bld_cur c = bld_cur_make(data, len);
	uint8_t version = bld_cur_u8(&c);
	uint8_t reserved = bld_cur_u8(&c);
	uint16_t tpkt_len = bld_cur_be16(&c);
	/* RFC 1006 §6: version 3, reserved 0, and room for a TPDU; each octet is judged as soon as it is here. */
	if ((len >= 1 && version != 3) || (len >= 2 && reserved != 0) || (!c.err && tpkt_len < 7)) {
		bld_event(pc, BLD_EVENT_S7COMM_BAD_TPKT);
		reasm_reset(&st->dir[pc->to_server].r); /* what was held cannot join what comes after a resync */
		return bld_parse_error(1);
	}
	if (c.err)
		return bld_parse_incomplete(0);
	if (len < tpkt_len)
		return bld_parse_incomplete(tpkt_len);
	struct bld_cur tpdu = bld_cur_take(&c, tpkt_len - 4u);
	uint8_t li = bld_cur_u8(&tpdu);
	/* ISO 8073 §13.2.1: LI counts the header after itself, 255 is reserved; the header must fit. */
	if (li == 0 || li == 255 || li > bld_cur_left(&tpdu)) {
		struct bld_op *op = bld_op_begin(pc, by_side(pc));
		bld_op_uint(op, "tpkt_length", tpkt_len);
		bld_op_emit(pc);
		bld_event(pc, BLD_EVENT_S7COMM_BAD_COTP);
		return bld_parse_ok(tpkt_len);
	}
	struct bld_cur hdr = bld_cur_take(&tpdu, li);
	uint8_t type = bld_cur_u8(&hdr);
	uint8_t code = type >> 4;
	switch (code) {
	case TPDU_DT:
		cotp_dt(pc, st, &hdr, &tpdu, tpkt_len);
		break;
	case TPDU_CR:
	case TPDU_CC:
	case TPDU_DR:
	case TPDU_DC:
	case TPDU_ER:
	case TPDU_ED:
	case TPDU_EA:
	case TPDU_AK:
	case TPDU_RJ:
		cotp_control(pc, st, code, &hdr, tpkt_len);
		break;
	default: {
		struct bld_op *op = bld_op_begin(pc, by_side(pc));
		bld_op_uint(op, "tpkt_length", tpkt_len);
		bld_op_uint(op, "cotp_pdu_type", code);
		bld_op_emit(pc);
		bld_event(pc, BLD_EVENT_S7COMM_BAD_COTP);
		break;
	}
	}
	return bld_parse_ok(tpkt_len);
}

/*
 * Both descriptors parse both protocol ids: a flow is named by its first
 * PDUs, but the op's protocol_id says what each PDU is, and an S7comm-plus
 * PDU on an "s7comm" flow (or the reverse) is still decoded, not lost.
 */
static struct bld_parse_result s7_parse(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len)
{
	return iso_parse(pc, data, len);
}

static void s7_state_fini(void *state)
{
	struct s7_state *st = state;
	bld_txn_fini(&st->txn);
	for (int i = 0; i < 2; i++) {
		free(st->dir[i].r.buf);
		st->dir[i].r.buf = NULL;
	}
}

/* A TCP gap: COTP segments held for that direction cannot be completed any more. */
static void s7_gap(void *state, bool to_server)
{
	struct s7_state *st = state;
	reasm_reset(&st->dir[to_server].r);
	st->dir[to_server].plus_continued = false;
}

/* ---------------------------------------------------------------------------------------------- */
/* What policies may constrain (fields.h; docs/policy-protocols.md) */

/* S7comm functions are one octet, S7comm-plus ones 0x04B1 and up: one name space holds both. */
static const char *field_function_name(uint64_t v)
{
	if (v <= UINT8_MAX)
		return function_name((uint8_t)v);
	return v <= UINT16_MAX ? plus_function_name((uint16_t)v) : NULL;
}

static const char *field_rosctr_name(uint64_t v)
{
	return v <= UINT8_MAX ? rosctr_name((uint8_t)v) : NULL;
}

static const char *field_group_name(uint64_t v)
{
	return v <= 0x0F ? group_name((uint8_t)v) : NULL;
}

static const char *field_plus_opcode_name(uint64_t v)
{
	return v <= UINT8_MAX ? plus_opcode_name((uint8_t)v) : NULL;
}

/*
 * One table for both descriptors, since both parse both protocol ids (see
 * s7_parse).  CPU control is function plc_stop (0x29) and pi_service (0x28,
 * with pi_service P_PROGRAM to start, _INSE/_DELE/... on blocks): an entry
 * list without them forbids them.  An S7ANY item's span counts elements
 * from its byte address, one per octet: exact for BYTE and CHAR items; the
 * op does not say how many octets a WORD or REAL element takes past the
 * first.  S7comm-plus payloads are not decoded: function and opcode are
 * all there is of them.
 */
static const struct bld_field_spec s7_fields[] = {
	{ .key = "function", .kind = BLD_FIELD_SET, .path = "function", .max = UINT16_MAX,
	  .name = field_function_name,
	  .doc = "job function, e.g. read_var, write_var, pi_service, plc_stop; S7comm-plus: e.g. set_variable" },
	{ .key = "protocol_id", .kind = BLD_FIELD_SET, .path = "protocol_id", .max = UINT8_MAX,
	  .doc = "50 (0x32) S7comm, 114 (0x72) S7comm-plus" },
	{ .key = "rosctr", .kind = BLD_FIELD_SET, .path = "rosctr", .max = UINT8_MAX, .name = field_rosctr_name,
	  .doc = "PDU type: job, ack, ack_data, userdata" },
	{ .key = "area", .kind = BLD_FIELD_SET, .path = "items.area", .max = UINT8_MAX,
	  .doc = "S7ANY item memory areas: 0x81 I, 0x82 Q, 0x83 M, 0x84 DB, 0x1C counters, 0x1D timers" },
	{ .key = "db", .kind = BLD_FIELD_SET, .path = "items.db", .max = UINT16_MAX,
	  .doc = "S7ANY item DB numbers (0 outside data blocks)" },
	{ .key = "address", .kind = BLD_FIELD_SPAN, .path = "items.byte_address", .path2 = "items.length",
	  .max = 0xFFFFFF, .doc = "S7ANY item byte addresses, byte_address .. byte_address + length - 1" },
	{ .key = "address", .kind = BLD_FIELD_SPAN, .path = "items.number", .path2 = "items.length",
	  .max = 0xFFFFFF, .doc = "S7ANY counter and timer numbers, number .. number + length - 1" },
	{ .key = "pi_service", .kind = BLD_FIELD_TEXT, .path = "pi_service",
	  .doc = "program invocation service of pi_service and plc_stop jobs, e.g. P_PROGRAM, _INSE" },
	{ .key = "block_type", .kind = BLD_FIELD_TEXT, .path = "block_type",
	  .doc = "block of a download, upload or block function: 08 OB, 0A DB, 0C FC, 0E FB ..." },
	{ .key = "block_type", .kind = BLD_FIELD_TEXT, .path = "blocks.block_type",
	  .doc = "blocks named by a PI service (_INSE, _DELE)" },
	{ .key = "block_number", .kind = BLD_FIELD_SET, .path = "block_number", .max = 99999,
	  .doc = "block number of a download, upload or block function" },
	{ .key = "block_number", .kind = BLD_FIELD_SET, .path = "blocks.block_number", .max = 99999,
	  .doc = "block numbers named by a PI service" },
	{ .key = "function_group", .kind = BLD_FIELD_SET, .path = "function_group", .max = 0x0F,
	  .name = field_group_name, .doc = "userdata function group, e.g. cpu_functions, security, time_functions" },
	{ .key = "subfunction", .kind = BLD_FIELD_SET, .path = "subfunction", .max = UINT8_MAX,
	  .doc = "userdata subfunction (meaning by group: 4/1 read SZL, 5/1 set password, 7/2 set clock)" },
	{ .key = "szl_id", .kind = BLD_FIELD_SET, .path = "szl_id", .max = UINT16_MAX,
	  .doc = "system status list read (group 4, subfunction 1)" },
	{ .key = "rack", .kind = BLD_FIELD_SET, .path = "rack", .max = 7,
	  .doc = "rack in the called TSAP of a COTP connection request" },
	{ .key = "slot", .kind = BLD_FIELD_SET, .path = "slot", .max = 31,
	  .doc = "slot (CPU) in the called TSAP of a COTP connection request" },
	{ .key = "opcode", .kind = BLD_FIELD_SET, .path = "opcode", .max = UINT8_MAX,
	  .name = field_plus_opcode_name, .doc = "S7comm-plus opcode: request, response, response2, notification" },
};

const struct bld_dissector bld_dsc_s7comm = {
	.name = "s7comm",
	.description = "Siemens S7comm (ISO-on-TCP)",
	.transports = BLD_TRANSPORT_TCP,
	.ports = { 102 },
	.probe = s7comm_probe,
	.parse = s7_parse,
	.state_size = sizeof(struct s7_state),
	.state_fini = s7_state_fini,
	.gap = s7_gap,
	.fields = s7_fields,
	.n_fields = sizeof(s7_fields) / sizeof(s7_fields[0]),
};

const struct bld_dissector bld_dsc_s7comm_plus = {
	.name = "s7comm-plus",
	.description = "Siemens S7comm-plus (ISO-on-TCP)",
	.transports = BLD_TRANSPORT_TCP,
	.ports = { 102 },
	.probe = s7comm_plus_probe,
	.parse = s7_parse,
	.state_size = sizeof(struct s7_state),
	.state_fini = s7_state_fini,
	.gap = s7_gap,
	.fields = s7_fields,
	.n_fields = sizeof(s7_fields) / sizeof(s7_fields[0]),
};
