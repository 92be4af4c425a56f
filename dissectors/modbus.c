/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Modbus/TCP (Modbus Messaging on TCP/IP Implementation Guide V1.0b §3.1.3;
 * Modbus Application Protocol Specification V1.1b3, "MBAP" below).
 *
 *   MBAP  transaction id(2) protocol id(2)=0 length(2) unit id(1)   big-endian
 *   PDU   function code(1) data(length-2)
 *
 * length counts unit id + PDU: 2..254 (a PDU is at most 253 bytes, §4.1);
 * 255..260 is parsed with modbus.bad_length, anything else loses the framing.
 * A response's function code is its request's, with bit 7 set for an
 * exception response whose one data byte is the exception code (§7).
 *
 * PDU data by function (§6; "req" client -> server, "rsp" server -> client):
 *
 *   1, 2   read coils / discrete inputs   req  address(2) quantity(2) 1..2000
 *                                         rsp  byte count(1)=ceil(q/8) bits(n), LSB first
 *   3, 4   read holding / input regs      req  address(2) quantity(2) 1..125
 *                                         rsp  byte count(1)=2q registers(2 each)
 *   5      write single coil              req = rsp  address(2) value(2) 0x0000|0xFF00
 *   6      write single register          req = rsp  address(2) value(2)
 *   7      read exception status          req  -   rsp  status(1)
 *   8      diagnostics                    req, rsp  sub-function(2) data(2; any for 0)
 *   11     get comm event counter         req  -   rsp  status(2) event count(2)
 *   12     get comm event log             req  -   rsp  byte count(1) status(2) event count(2)
 *                                                      message count(2) events(byte count - 6)
 *   15     write multiple coils           req  address(2) quantity(2) 1..1968 byte count(1)=ceil(q/8) bits
 *                                         rsp  address(2) quantity(2)
 *   16     write multiple registers       req  address(2) quantity(2) 1..123 byte count(1)=2q registers
 *                                         rsp  address(2) quantity(2)
 *   17     report server id               req  -   rsp  byte count(1) data(device specific)
 *   20     read file record               req  byte count(1) 7..245 { ref type(1)=6 file(2) record(2) length(2) }
 *                                         rsp  byte count(1) { length(1) ref type(1)=6 data(length-1) }
 *   21     write file record              req = rsp  byte count(1) { ref type(1)=6 file(2) record(2)
 *                                                                  length(2) data(2 * length) }
 *   22     mask write register            req = rsp  address(2) and mask(2) or mask(2)
 *   23     read/write multiple registers  req  read address(2) read quantity(2) 1..125 write address(2)
 *                                              write quantity(2) 1..121 byte count(1)=2wq registers
 *                                         rsp  byte count(1)=2rq registers
 *   24     read FIFO queue                req  address(2)   rsp  byte count(2) FIFO count(2) <=31 registers
 *   43     encapsulated interface         req, rsp  MEI type(1) data; MEI 14 read device identification:
 *                                         req  read device id code(1) 1..4 object id(1)
 *                                         rsp  code(1) conformity level(1) more follows(1) next object id(1)
 *                                              number of objects(1) { id(1) length(1) value(length) }
 *   90     Schneider UMAS (not in the specification; public reverse engineering)
 *                                         req  session(1) UMAS function(1) data
 *                                         rsp  session(1) status(1) 0xFE ok / 0xFD error, data
 */
#include "modbus.h"

#include "cursor.h"
#include "fields.h"
#include "op.h"
#include "registry.h"
#include "txn.h"

/* Hard caps on the lists an op carries (the PDU is at most 253 bytes, so only coil lists reach them). */
#define MODBUS_MAX_VALUES 256
#define MODBUS_MAX_OBJECTS 64
#define MODBUS_MAX_RECORDS 64

/* MBAP length: unit id + a PDU of at most 253 bytes (§4.1); a little more is tolerated (see modbus_parse). */
#define MBAP_MAX_LENGTH 254
#define MBAP_TOLERATED_LENGTH 260

/*
 * A request unanswered this long (packet time) will not be answered: masters
 * time out within seconds, and a gateway polling a unit that is off must not
 * fill the table.
 */
#define MODBUS_TXN_TIMEOUT_NS (10ull * 1000000000ull)

struct modbus_state {
	struct bld_txn_table txn;   /* outstanding requests, key transaction | unit << 16 */
};

static bool known_function(uint8_t fc)
{
	fc &= 0x7f; /* exception responses set bit 7 */
	switch (fc) {
	case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8:
	case 11: case 12: case 15: case 16: case 17: case 20: case 21:
	case 22: case 23: case 24: case 43:
	case 90: /* Schneider UMAS, carried as a Modbus function */
		return true;
	default:
		return false;
	}
}

static enum bld_probe modbus_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	if (len == 0)
		return BLD_PROBE_NEED_MORE; /* nothing to judge yet */
	struct bld_cur c = bld_cur_make(data, len);
	/*
	 * Every PDU in the segment must be well-framed: one stray header is not
	 * enough.  An undefined function code in exact framing is not a "no":
	 * someone fuzzing a PLC with illegal functions is still talking Modbus
	 * (and must not escape Modbus rules by starting with one); such a flow
	 * waits for a PDU with a defined function.
	 */
	int n = 0, defined = 0;
	while (bld_cur_left(&c) > 0) {
		if (bld_cur_left(&c) < 8)
			break;
		bld_cur_skip(&c, 2);
		uint16_t proto = bld_cur_be16(&c);
		uint16_t length = bld_cur_be16(&c);
		if (proto != 0 || length < 2 || length > 254)
			return BLD_PROBE_NO;
		struct bld_cur pdu = bld_cur_take(&c, length);
		bld_cur_skip(&pdu, 1); /* unit id */
		if (c.err)             /* PDU continues in the next segment */
			return defined ? BLD_PROBE_MATCH : BLD_PROBE_NEED_MORE;
		defined += known_function(bld_cur_u8(&pdu));
		n++;
	}
	if (!n) {
		/*
		 * Only the start of a header (a first request split over
		 * segments): what is there must fit, the rest decides later.
		 */
		struct bld_cur h = bld_cur_make(data, len);
		bld_cur_skip(&h, 2);
		uint16_t proto = bld_cur_be16(&h);
		if (h.err)
			return len >= 4 ? BLD_PROBE_NO : BLD_PROBE_NEED_MORE;
		if (proto != 0)
			return BLD_PROBE_NO;
		uint16_t length = bld_cur_be16(&h);
		if (!h.err && (length < 2 || length > 254))
			return BLD_PROBE_NO;
		return BLD_PROBE_NEED_MORE;
	}
	return defined ? BLD_PROBE_MATCH : BLD_PROBE_NEED_MORE;
}

/* ---- names (numbers are what policies compare; names are for people) ---- */

static const char *function_name(uint8_t fc)
{
	switch (fc) {
	case 1: return "read_coils";
	case 2: return "read_discrete_inputs";
	case 3: return "read_holding_registers";
	case 4: return "read_input_registers";
	case 5: return "write_single_coil";
	case 6: return "write_single_register";
	case 7: return "read_exception_status";
	case 8: return "diagnostics";
	case 11: return "get_comm_event_counter";
	case 12: return "get_comm_event_log";
	case 15: return "write_multiple_coils";
	case 16: return "write_multiple_registers";
	case 17: return "report_server_id";
	case 20: return "read_file_record";
	case 21: return "write_file_record";
	case 22: return "mask_write_register";
	case 23: return "read_write_multiple_registers";
	case 24: return "read_fifo_queue";
	case 43: return "encapsulated_interface_transport";
	case 90: return "umas";
	default: return NULL;
	}
}

/* §7 table of exception codes. */
static const char *exception_name(uint8_t code)
{
	switch (code) {
	case 1: return "illegal_function";
	case 2: return "illegal_data_address";
	case 3: return "illegal_data_value";
	case 4: return "server_device_failure";
	case 5: return "acknowledge";
	case 6: return "server_device_busy";
	case 8: return "memory_parity_error";
	case 10: return "gateway_path_unavailable";
	case 11: return "gateway_target_device_failed_to_respond";
	default: return NULL;
	}
}

/* §6.8.1 diagnostics sub-function codes (5..9, 19 and 21.. are reserved). */
static const char *diag_name(uint16_t sub)
{
	switch (sub) {
	case 0: return "return_query_data";
	case 1: return "restart_communications_option";
	case 2: return "return_diagnostic_register";
	case 3: return "change_ascii_input_delimiter";
	case 4: return "force_listen_only_mode";
	case 10: return "clear_counters_and_diagnostic_register";
	case 11: return "return_bus_message_count";
	case 12: return "return_bus_communication_error_count";
	case 13: return "return_bus_exception_error_count";
	case 14: return "return_server_message_count";
	case 15: return "return_server_no_response_count";
	case 16: return "return_server_nak_count";
	case 17: return "return_server_busy_count";
	case 18: return "return_bus_character_overrun_count";
	case 20: return "clear_overrun_counter_and_flag";
	default: return NULL;
	}
}

/* ---- what a response needs from its request, packed into bld_txn.info ---- */

struct req_info {
	uint8_t fc;
	bool valid;      /* every field of the request was there: a, b, c can be trusted */
	uint16_t a;      /* address (read address for 23, sub-function for 8, MEI type for 43) */
	uint16_t b;      /* quantity (read quantity for 23), or the written value for 5 and 6, and mask for 22 */
	uint16_t c;      /* or mask for 22, write address for 23 */
};

static uint64_t info_pack(const struct req_info *ri)
{
	return (uint64_t)ri->fc | (uint64_t)ri->valid << 8 | (uint64_t)ri->a << 16 | (uint64_t)ri->b << 32 |
	       (uint64_t)ri->c << 48;
}

static struct req_info info_unpack(uint64_t v)
{
	return (struct req_info){ .fc = (uint8_t)v, .valid = (v >> 8) & 1, .a = (uint16_t)(v >> 16),
				  .b = (uint16_t)(v >> 32), .c = (uint16_t)(v >> 48) };
}

/* ---- one PDU being decoded ---- */

struct mb {
	struct bld_parse_ctx *pc;
	struct bld_op *op;
	struct bld_cur c;            /* the PDU's data, after the function code */
	uint32_t raised;             /* events raised for this PDU, one bit each: every event once per PDU */
};

static void raise_once(struct mb *m, enum bld_event ev)
{
	uint32_t bit;
	if (ev >= BLD_EVENT_MODBUS_BAD_PROTOCOL_ID && ev - BLD_EVENT_MODBUS_BAD_PROTOCOL_ID < 31)
		bit = 1u << (ev - BLD_EVENT_MODBUS_BAD_PROTOCOL_ID);
	else
		bit = 1u << 31; /* the one framework event raised here: app.items_capacity */
	if (m->raised & bit)
		return;
	m->raised |= bit;
	bld_event(m->pc, ev);
}

/* Read one field; a PDU that ends first raises modbus.truncated and the caller stops decoding. */
static bool rd8(struct mb *m, uint8_t *v)
{
	*v = bld_cur_u8(&m->c);
	if (m->c.err)
		raise_once(m, BLD_EVENT_MODBUS_TRUNCATED);
	return !m->c.err;
}

static bool rd16(struct mb *m, uint16_t *v)
{
	*v = bld_cur_be16(&m->c);
	if (m->c.err)
		raise_once(m, BLD_EVENT_MODBUS_TRUNCATED);
	return !m->c.err;
}

/* Read and emit. */
static bool f8(struct mb *m, const char *name, uint8_t *v)
{
	if (!rd8(m, v))
		return false;
	bld_op_uint(m->op, name, *v);
	return true;
}

static bool f16(struct mb *m, const char *name, uint16_t *v)
{
	if (!rd16(m, v))
		return false;
	bld_op_uint(m->op, name, *v);
	return true;
}

/* A quantity outside the limits of its function's clause (the server answers exception 3). */
static void limit(struct mb *m, uint32_t v, uint32_t lo, uint32_t hi)
{
	if (v < lo || v > hi)
		raise_once(m, BLD_EVENT_MODBUS_BAD_VALUE);
}

/* Bytes a byte count announces: what is there of them (modbus.truncated when fewer). */
static struct bld_cur counted(struct mb *m, uint32_t n)
{
	uint32_t left = bld_cur_left(&m->c);
	if (n > left) {
		raise_once(m, BLD_EVENT_MODBUS_TRUNCATED);
		n = left;
	}
	return bld_cur_take(&m->c, n);
}

/* The PDU must end where its function's fields do (§4.1: the size follows from the function). */
static void expect_end(struct mb *m)
{
	if (!m->c.err && bld_cur_left(&m->c) > 0)
		raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
}

/* The rest of the PDU as raw bytes (undefined functions, UMAS, MEI payloads, diagnostics data). */
static void rest_hex(struct mb *m, const char *name)
{
	struct bld_cur r = bld_cur_rest(&m->c);
	bld_op_hex(m->op, name, r.p, r.len);
}

/* A list that stops at its cap: the true count follows, and app.items_capacity once per PDU. */
static void list_cut(struct mb *m, const char *count_name, uint32_t n, uint32_t cap)
{
	if (n > cap) {
		bld_op_uint(m->op, count_name, n);
		raise_once(m, BLD_EVENT_APP_ITEMS_CAPACITY);
	}
}

/* n coils from d, least significant bit of the first byte first (§6.1, §6.11). */
static void values_bits(struct mb *m, struct bld_cur d, uint32_t n)
{
	uint8_t byte = 0;
	bld_op_list(m->op, "values");
	for (uint32_t i = 0; i < n && i < MODBUS_MAX_VALUES; i++) {
		if (i % 8 == 0)
			byte = bld_cur_u8(&d);
		if (d.err)
			break; /* callers pass n <= 8 * d.len: not reached */
		bld_op_bool(m->op, NULL, (byte >> (i % 8)) & 1);
	}
	bld_op_end(m->op);
	list_cut(m, "values_count", n, MODBUS_MAX_VALUES);
}

/* The whole 16-bit registers in d (a trailing odd byte is the caller's bad_length). */
static void values_regs(struct mb *m, struct bld_cur d)
{
	uint32_t n = d.len / 2;
	bld_op_list(m->op, "values");
	for (uint32_t i = 0; i < n && i < MODBUS_MAX_VALUES; i++)
		bld_op_uint(m->op, NULL, bld_cur_be16(&d));
	bld_op_end(m->op);
	list_cut(m, "values_count", n, MODBUS_MAX_VALUES);
}

/* §6.5: a coil is written ON with 0xFF00 and OFF with 0x0000; anything else is illegal data value. */
static void coil_value(struct mb *m, uint16_t v)
{
	if (v == 0xff00 || v == 0x0000) {
		bld_op_bool(m->op, "value", v == 0xff00);
	} else {
		bld_op_uint(m->op, "raw_value", v);
		raise_once(m, BLD_EVENT_MODBUS_BAD_VALUE);
	}
}

/* §6.8: sub-function and its data; the defined sub-functions other than 0 carry one 16-bit word. */
static bool diagnostics(struct mb *m, uint16_t *sub)
{
	if (!f16(m, "sub_function", sub))
		return false;
	const char *name = diag_name(*sub);
	if (name)
		bld_op_cstr(m->op, "sub_function_name", name);
	if (*sub != 0 && name && bld_cur_left(&m->c) != 2)
		raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
	rest_hex(m, "data");
	return true;
}

/*
 * §6.14/§6.15: the file record sub-requests.  A read (20) request carries
 * the 7-byte header only; a write (21) request, and its echoed response,
 * the record data after it.
 */
static void file_records(struct mb *m, bool with_data)
{
	uint8_t bc;
	if (!f8(m, "byte_count", &bc))
		return;
	/* 20: 0x07..0xF5, whole 7-byte sub-requests; 21: 0x09..0xFB */
	if (with_data ? bc < 9 || bc > 0xfb : bc < 7 || bc > 0xf5 || bc % 7)
		raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
	struct bld_cur d = counted(m, bc);
	uint32_t n = 0;
	bld_op_list(m->op, "records");
	while (bld_cur_left(&d) > 0) {
		uint8_t type = bld_cur_u8(&d);
		uint16_t file = bld_cur_be16(&d);
		uint16_t record = bld_cur_be16(&d);
		uint16_t length = bld_cur_be16(&d);
		const uint8_t *data = NULL;
		if (with_data && !d.err)
			data = bld_cur_bytes(&d, 2u * length);
		if (d.err) {
			/* the byte count ends inside a sub-request (or the PDU does: counted() said so) */
			if (d.len == bc)
				raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
			break;
		}
		/* reference type must be 6; record numbers 0x0000..0x270F */
		if (type != 6 || record > 0x270f)
			raise_once(m, BLD_EVENT_MODBUS_BAD_VALUE);
		if (n++ >= MODBUS_MAX_RECORDS)
			continue;
		bld_op_object(m->op, NULL);
		bld_op_uint(m->op, "file", file);
		bld_op_uint(m->op, "record", record);
		bld_op_uint(m->op, "length", length);
		if (with_data)
			bld_op_hex(m->op, "data", data, 2u * length);
		bld_op_end(m->op);
	}
	bld_op_end(m->op);
	list_cut(m, "records_count", n, MODBUS_MAX_RECORDS);
}

/* §6.14 response: sub-responses of length(1) ref type(1) data(length - 1). */
static void file_read_response(struct mb *m)
{
	uint8_t bc;
	if (!f8(m, "byte_count", &bc))
		return;
	if (bc < 7 || bc > 0xf5)
		raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
	struct bld_cur d = counted(m, bc);
	uint32_t n = 0;
	bld_op_list(m->op, "records");
	while (bld_cur_left(&d) > 0) {
		uint8_t length = bld_cur_u8(&d);
		uint8_t type = bld_cur_u8(&d);
		const uint8_t *data = length ? bld_cur_bytes(&d, length - 1u) : NULL;
		if (d.err || length == 0) {
			raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
			break;
		}
		if (type != 6)
			raise_once(m, BLD_EVENT_MODBUS_BAD_VALUE);
		if (n++ >= MODBUS_MAX_RECORDS)
			continue;
		bld_op_object(m->op, NULL);
		bld_op_hex(m->op, "data", data, length - 1u);
		bld_op_end(m->op);
	}
	bld_op_end(m->op);
	list_cut(m, "records_count", n, MODBUS_MAX_RECORDS);
}

/* §6.21 MEI type 14, Read Device Identification. */
static void device_id(struct mb *m, bool request, struct req_info *ri)
{
	uint8_t code, v;
	if (!f8(m, "read_device_id", &code))
		return;
	/* 1 basic, 2 regular, 3 extended (streams), 4 one specific object */
	limit(m, code, 1, 4);
	ri->b = code;
	if (request) {
		if (!f8(m, "object_id", &v))
			return;
		ri->valid = true;
		return;
	}
	uint8_t more, next, count;
	if (!f8(m, "conformity_level", &v))
		return;
	if (!((v >= 0x01 && v <= 0x03) || (v >= 0x81 && v <= 0x83)))
		raise_once(m, BLD_EVENT_MODBUS_BAD_VALUE);
	if (!rd8(m, &more))
		return;
	bld_op_bool(m->op, "more_follows", more != 0);
	if (more != 0x00 && more != 0xff)
		raise_once(m, BLD_EVENT_MODBUS_BAD_VALUE);
	if (!f8(m, "next_object_id", &next) || !f8(m, "number_of_objects", &count))
		return;
	bld_op_list(m->op, "objects");
	for (uint32_t i = 0; i < count; i++) {
		uint8_t id, len;
		if (!rd8(m, &id) || !rd8(m, &len))
			break;
		const uint8_t *val = bld_cur_bytes(&m->c, len);
		if (!val) {
			raise_once(m, BLD_EVENT_MODBUS_TRUNCATED);
			break;
		}
		if (i >= MODBUS_MAX_OBJECTS)
			continue;
		bld_op_object(m->op, NULL);
		bld_op_uint(m->op, "id", id);
		bld_op_text(m->op, "value", val, len);
		bld_op_end(m->op);
	}
	bld_op_end(m->op);
	list_cut(m, "objects_count", count, MODBUS_MAX_OBJECTS);
}

/* §6.19..6.21 Encapsulated Interface Transport: MEI 13 CANopen (opaque here), 14 device identification. */
static void mei(struct mb *m, bool request, struct req_info *ri)
{
	uint8_t type;
	if (!f8(m, "mei_type", &type))
		return;
	ri->a = type;
	if (type == 14) {
		device_id(m, request, ri);
		return;
	}
	if (type != 13)
		raise_once(m, BLD_EVENT_MODBUS_BAD_VALUE);
	rest_hex(m, "data");
	ri->valid = true;
}

/*
 * Schneider UMAS rides on function 90: session byte, then the UMAS function
 * (request) or a status 0xFE ok / 0xFD error (response).  Not part of the
 * Modbus specification, so nothing is judged; the raw data is kept.
 */
static void umas(struct mb *m, bool request)
{
	bld_op_uint(m->op, "data_length", bld_cur_left(&m->c));
	const uint8_t *h = bld_cur_peek(&m->c, 2);
	if (h) {
		bld_op_uint(m->op, "umas_session", h[0]);
		bld_op_uint(m->op, request ? "umas_function" : "umas_status", h[1]);
	}
	rest_hex(m, "data");
}

/* Anything else: counted and kept raw. */
static void undefined(struct mb *m)
{
	raise_once(m, BLD_EVENT_MODBUS_ILLEGAL_FUNCTION);
	bld_op_uint(m->op, "data_length", bld_cur_left(&m->c));
	rest_hex(m, "data");
}

/* Decode a request's data; ri gets what its response will need. */
static void parse_request(struct mb *m, uint8_t fc, struct req_info *ri)
{
	uint16_t a, q, v, v2, q2;
	uint8_t bc;
	switch (fc) {
	case 1: case 2: case 3: case 4:
		if (!f16(m, "address", &a) || !f16(m, "quantity", &q))
			break;
		/* §6.1, §6.2: 1..0x07D0 bits; §6.3, §6.4: 1..0x007D registers */
		limit(m, q, 1, fc <= 2 ? 2000 : 125);
		*ri = (struct req_info){ .fc = fc, .valid = true, .a = a, .b = q };
		break;
	case 5: case 6:
		if (!f16(m, "address", &a) || !rd16(m, &v))
			break;
		if (fc == 5)
			coil_value(m, v);
		else
			bld_op_uint(m->op, "value", v);
		*ri = (struct req_info){ .fc = fc, .valid = true, .a = a, .b = v };
		break;
	case 7: case 11: case 12: case 17:
		/* serial-line functions: the request is the function code alone (§6.7, §6.9, §6.10, §6.13) */
		ri->valid = true;
		break;
	case 8:
		if (diagnostics(m, &v)) {
			ri->valid = true;
			ri->a = v;
		}
		break;
	case 15: case 16: {
		if (!f16(m, "address", &a) || !f16(m, "quantity", &q) || !f8(m, "byte_count", &bc))
			break;
		/* §6.11: 1..0x07B0 coils, byte count N = ceil(q / 8); §6.12: 1..0x007B registers, 2q bytes */
		limit(m, q, 1, fc == 15 ? 1968 : 123);
		if (bc != (fc == 15 ? (q + 7u) / 8 : 2u * q))
			raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
		struct bld_cur d = counted(m, bc);
		if (fc == 15) {
			values_bits(m, d, q < 8u * d.len ? q : 8u * d.len);
		} else {
			if (d.len % 2)
				raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
			values_regs(m, d);
		}
		*ri = (struct req_info){ .fc = fc, .valid = true, .a = a, .b = q };
		break;
	}
	case 20: case 21:
		file_records(m, fc == 21);
		ri->valid = true;
		break;
	case 22:
		if (!f16(m, "address", &a) || !f16(m, "and_mask", &v) || !f16(m, "or_mask", &v2))
			break;
		*ri = (struct req_info){ .fc = fc, .valid = true, .a = a, .b = v, .c = v2 };
		break;
	case 23: {
		if (!f16(m, "read_address", &a) || !f16(m, "read_quantity", &q) ||
		    !f16(m, "write_address", &v) || !f16(m, "write_quantity", &q2) || !f8(m, "byte_count", &bc))
			break;
		/* §6.17: read 1..0x007D, write 1..0x0079 registers, write byte count 2 * write quantity */
		limit(m, q, 1, 125);
		limit(m, q2, 1, 121);
		if (bc != 2u * q2)
			raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
		struct bld_cur d = counted(m, bc);
		if (d.len % 2)
			raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
		values_regs(m, d);
		*ri = (struct req_info){ .fc = fc, .valid = true, .a = a, .b = q, .c = v };
		break;
	}
	case 24:
		if (!f16(m, "address", &a))
			break;
		*ri = (struct req_info){ .fc = fc, .valid = true, .a = a };
		break;
	case 43:
		mei(m, true, ri);
		break;
	case 90:
		umas(m, true);
		ri->valid = true;
		break;
	default:
		undefined(m);
		break;
	}
	ri->fc = fc;
	expect_end(m);
}

/* The request's fields a response carries (named as in the request; documented as "from the request"). */
static void from_request(struct mb *m, const struct req_info *ri, bool exception)
{
	switch (ri->fc) {
	case 1: case 2: case 3: case 4:
		bld_op_uint(m->op, "address", ri->a);
		bld_op_uint(m->op, "quantity", ri->b);
		break;
	case 15: case 16:
		if (exception) {   /* a normal response echoes them itself */
			bld_op_uint(m->op, "address", ri->a);
			bld_op_uint(m->op, "quantity", ri->b);
		}
		break;
	case 5: case 6: case 22:
		if (exception)
			bld_op_uint(m->op, "address", ri->a);
		break;
	case 8:
		if (exception)
			bld_op_uint(m->op, "sub_function", ri->a);
		break;
	case 23:
		bld_op_uint(m->op, "read_address", ri->a);
		bld_op_uint(m->op, "read_quantity", ri->b);
		if (exception)
			bld_op_uint(m->op, "write_address", ri->c);
		break;
	case 24:
		bld_op_uint(m->op, "address", ri->a);
		break;
	default:
		break;
	}
}

/* A write response repeats its request (§6.5, §6.6, §6.11, §6.12, §6.16, §6.8): anything else is suspect. */
static void echo(struct mb *m, const struct req_info *ri, uint16_t a, uint16_t b, uint16_t c)
{
	if (ri && (ri->a != a || ri->b != b || ri->c != c))
		raise_once(m, BLD_EVENT_MODBUS_ECHO_MISMATCH);
}

/* Decode a normal response's data; ri is its request's info, or NULL when unknown. */
static void parse_response(struct mb *m, uint8_t fc, const struct req_info *ri)
{
	uint16_t a, q, v, v2;
	uint8_t bc, u8v;
	struct req_info scratch = { 0 };
	switch (fc) {
	case 1: case 2: {
		if (!f8(m, "byte_count", &bc))
			break;
		struct bld_cur d = counted(m, bc);
		uint32_t n = 8u * d.len;
		if (ri) {
			/* §6.1: N = ceil(quantity / 8); the last byte's high bits are padding */
			if (bc != (ri->b + 7u) / 8)
				raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
			else if (ri->b < n)
				n = ri->b;
		}
		values_bits(m, d, n);
		break;
	}
	case 3: case 4: case 23: {
		if (!f8(m, "byte_count", &bc))
			break;
		/* §6.3, §6.4, §6.17: 2 bytes per register read */
		if (bc % 2 || (ri && bc != 2u * ri->b))
			raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
		values_regs(m, counted(m, bc));
		break;
	}
	case 5: case 6:
		if (!f16(m, "address", &a) || !rd16(m, &v))
			break;
		if (fc == 5)
			coil_value(m, v);
		else
			bld_op_uint(m->op, "value", v);
		echo(m, ri, a, v, ri ? ri->c : 0);
		break;
	case 7:
		f8(m, "status", &u8v);
		break;
	case 8:
		if (diagnostics(m, &v))
			echo(m, ri, v, ri ? ri->b : 0, ri ? ri->c : 0);
		break;
	case 11:
		/* §6.9: status 0x0000 idle or 0xFFFF busy */
		if (f16(m, "status", &v) && (v != 0 && v != 0xffff))
			raise_once(m, BLD_EVENT_MODBUS_BAD_VALUE);
		f16(m, "event_count", &v);
		break;
	case 12: {
		if (!f8(m, "byte_count", &bc))
			break;
		/* §6.10: status, event count and message count, then 0..64 event bytes */
		if (bc < 6)
			raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
		struct bld_cur d = counted(m, bc);
		struct bld_cur after = m->c;
		m->c = d;
		if (f16(m, "status", &v) && f16(m, "event_count", &v) && f16(m, "message_count", &v))
			rest_hex(m, "events");
		m->c = after;
		break;
	}
	case 15: case 16:
		if (!f16(m, "address", &a) || !f16(m, "quantity", &q))
			break;
		echo(m, ri, a, q, ri ? ri->c : 0);
		break;
	case 17: {
		if (!f8(m, "byte_count", &bc))
			break;
		/* §6.13: server id, run indicator and additional data, all device specific */
		struct bld_cur d = counted(m, bc);
		bld_op_hex(m->op, "data", d.p, d.len);
		break;
	}
	case 20:
		file_read_response(m);
		break;
	case 21:
		file_records(m, true);
		break;
	case 22:
		if (!f16(m, "address", &a) || !f16(m, "and_mask", &v) || !f16(m, "or_mask", &v2))
			break;
		echo(m, ri, a, v, v2);
		break;
	case 24: {
		uint16_t bc16, count;
		if (!f16(m, "byte_count", &bc16) || !f16(m, "fifo_count", &count))
			break;
		/* §6.18: at most 31 queued registers; byte count covers the FIFO count and the values */
		limit(m, count, 0, 31);
		if (bc16 != 2u + 2u * count)
			raise_once(m, BLD_EVENT_MODBUS_BAD_LENGTH);
		values_regs(m, counted(m, 2u * count));
		break;
	}
	case 43:
		mei(m, false, &scratch);
		break;
	case 90:
		umas(m, false);
		break;
	default:
		undefined(m);
		break;
	}
	expect_end(m);
}

static struct bld_parse_result modbus_parse(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len)
{
	struct modbus_state *st = pc->state;
	struct bld_cur c = bld_cur_make(data, len);
	uint16_t transaction = bld_cur_be16(&c);
	uint16_t proto = bld_cur_be16(&c);
	/* Implementation Guide §3.1.3: 0 is Modbus; anything else means these bytes are not an MBAP header. */
	if (!c.err && proto != 0) {
		bld_event(pc, BLD_EVENT_MODBUS_BAD_PROTOCOL_ID);
		return bld_parse_error(1);
	}
	uint16_t length = bld_cur_be16(&c);
	if (c.err) {
		if (pc->datagram)
			bld_event(pc, BLD_EVENT_MODBUS_TRUNCATED);
		return bld_parse_incomplete(0);
	}
	/*
	 * Unit id + function code at least; a PDU is at most 253 bytes (§4.1),
	 * so a length of at most 254.  Lengths up to MBAP_TOLERATED_LENGTH are
	 * still parsed (with modbus.bad_length): some stacks accept them (a
	 * Schneider PLC answers UMAS ADUs of length 255 in ndpi/umas.pcap), and
	 * what the device executes must not escape the policy.  Beyond that the
	 * header is not believed: framing lost.
	 */
	if (length < 2 || length > MBAP_TOLERATED_LENGTH) {
		bld_event(pc, BLD_EVENT_MODBUS_BAD_LENGTH);
		return bld_parse_error(1);
	}
	uint32_t total = 6u + length;
	if (len < total) {
		if (pc->datagram)
			bld_event(pc, BLD_EVENT_MODBUS_TRUNCATED);
		return bld_parse_incomplete(total);
	}
	struct bld_cur adu = bld_cur_take(&c, length);
	uint8_t unit = bld_cur_u8(&adu);
	uint8_t fc = bld_cur_u8(&adu);
	uint64_t key = transaction | (uint64_t)unit << 16;

	/*
	 * The client asks, the server answers (Implementation Guide §4.1); the
	 * TCP client is the Modbus client.  An exception function code is a
	 * response whoever sent it (§7): a device that opens the connection
	 * from port 502 and answers over it is still answering.
	 */
	bool request = pc->to_server && !(fc & 0x80);
	struct mb m = { .pc = pc, .op = bld_op_begin(pc, request ? BLD_OP_REQUEST : BLD_OP_RESPONSE),
			.c = bld_cur_rest(&adu) };
	bld_op_uint(m.op, "transaction", transaction);
	bld_op_uint(m.op, "unit", unit);
	if (length > MBAP_MAX_LENGTH)
		raise_once(&m, BLD_EVENT_MODBUS_BAD_LENGTH);

	if (request) {
		bld_op_uint(m.op, "function", fc);
		const char *name = function_name(fc);
		if (name)
			bld_op_cstr(m.op, "function_name", name);
		struct req_info ri = { .fc = fc };
		parse_request(&m, fc, &ri);
		st->txn.timeout_ns = MODBUS_TXN_TIMEOUT_NS;
		bld_txn_request(pc, &st->txn, key, info_pack(&ri));
		bld_op_emit(pc);
		return bld_parse_ok(total);
	}

	uint8_t base = fc & 0x7f;
	bld_op_uint(m.op, "function", base);
	const char *name = function_name(base);
	if (name)
		bld_op_cstr(m.op, "function_name", name);
	uint64_t info;
	struct req_info ri;
	const struct req_info *rip = NULL;
	if (!bld_txn_response(pc, &st->txn, key, &info)) {
		raise_once(&m, BLD_EVENT_MODBUS_RESPONSE_WITHOUT_REQUEST);
	} else {
		ri = info_unpack(info);
		if (ri.fc != base)
			raise_once(&m, BLD_EVENT_MODBUS_FUNCTION_MISMATCH);
		else if (ri.valid)
			rip = &ri;
	}
	if (fc & 0x80) {
		/* §7: the exception response is the function code | 0x80 and one exception code */
		uint8_t code;
		if (f8(&m, "exception", &code)) {
			const char *ename = exception_name(code);
			if (ename)
				bld_op_cstr(m.op, "exception_name", ename);
			else
				raise_once(&m, BLD_EVENT_MODBUS_BAD_VALUE);
		}
		raise_once(&m, BLD_EVENT_MODBUS_EXCEPTION);
		if (rip)
			from_request(&m, rip, true);
		expect_end(&m);
	} else {
		if (rip)
			from_request(&m, rip, false);
		parse_response(&m, fc, rip);
	}
	bld_op_emit(pc);
	return bld_parse_ok(total);
}

/* Free what the request tables hold. */
static void modbus_state_fini(void *state)
{
	struct modbus_state *st = state;
	bld_txn_fini(&st->txn);
}

/* ---- what policies may constrain (fields.h; docs/policy-protocols.md) ---- */

static const char *field_function_name(uint64_t v)
{
	return v <= 127 ? function_name((uint8_t)v) : NULL;
}

static const char *field_diag_name(uint64_t v)
{
	return v <= UINT16_MAX ? diag_name((uint16_t)v) : NULL;
}

static const struct bld_field_spec modbus_fields[] = {
	{ .key = "function", .kind = BLD_FIELD_SET, .path = "function", .max = 127, .name = field_function_name,
	  .doc = "function code (exception bit removed), e.g. read_holding_registers" },
	{ .key = "unit", .kind = BLD_FIELD_SET, .path = "unit", .max = UINT8_MAX,
	  .doc = "MBAP unit id: the server behind a gateway" },
	{ .key = "address", .kind = BLD_FIELD_SPAN, .path = "address", .path2 = "quantity", .max = UINT16_MAX,
	  .doc = "0-based coil or register addresses: address .. address + quantity - 1 (5, 6, 22, 24: one)" },
	{ .key = "address", .kind = BLD_FIELD_SPAN, .path = "read_address", .path2 = "read_quantity", .max = UINT16_MAX,
	  .doc = "registers read by read_write_multiple_registers" },
	{ .key = "address", .kind = BLD_FIELD_SPAN, .path = "write_address", .path2 = "write_quantity",
	  .max = UINT16_MAX, .doc = "registers written by read_write_multiple_registers" },
	{ .key = "value", .kind = BLD_FIELD_VALUE, .path = "value",
	  .doc = "value written by write_single_coil (0/1) or write_single_register" },
	{ .key = "value", .kind = BLD_FIELD_VALUE, .path = "values",
	  .doc = "coils (0/1) or registers written (15, 16, 23 requests) or read (responses)" },
	{ .key = "sub_function", .kind = BLD_FIELD_SET, .path = "sub_function", .max = UINT16_MAX,
	  .name = field_diag_name, .doc = "diagnostics (8) sub-function, e.g. return_query_data" },
	{ .key = "umas_function", .kind = BLD_FIELD_SET, .path = "umas_function", .max = UINT8_MAX,
	  .doc = "Schneider UMAS (90) function code, e.g. 0x40 start PLC, 0x41 stop PLC" },
};

const struct bld_dissector bld_dsc_modbus = {
	.name = "modbus",
	.description = "Modbus/TCP",
	.transports = BLD_TRANSPORT_TCP,
	.ports = { 502 },
	.probe = modbus_probe,
	.parse = modbus_parse,
	.state_size = sizeof(struct modbus_state),
	.state_fini = modbus_state_fini,
	.fields = modbus_fields,
	.n_fields = sizeof(modbus_fields) / sizeof(modbus_fields[0]),
};
