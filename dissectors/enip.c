/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EtherNet/IP (ODVA CIP Vol. 2) and the CIP messages it carries (CIP Vol. 1).
 *
 * Encapsulation message, TCP or UDP 44818, little-endian (Vol 2 §2-3):
 *
 *   command(2) length(2) session handle(4) status(4) sender context(8) options(4) | data(length)
 *
 * length counts the data after the 24-byte header (at most 65511); options
 * are 0.  SendRRData (0x6F) and SendUnitData (0x70) data (Vol 2 §2-4):
 *
 *   interface handle(4) timeout(2) | Common Packet Format (Vol 2 §2-6):
 *   item count(2), then items  type(2) length(2) data(length)
 *
 *   SendRRData   null address item 0x0000 (len 0) + unconnected data item 0x00B2: CIP message
 *   SendUnitData connected address item 0x00A1 (connection id 4) +
 *                connected data item 0x00B1: CIP sequence count(2) + CIP message
 *
 * CIP message router request / response (Vol 1 §2-4.1, §2-4.2):
 *
 *   request   service(1, bit 7 clear) path size in words(1) EPATH(2*size) data
 *   response  service(1, bit 7 set) reserved(1) general status(1)
 *             additional status size in words(1) additional status(2*size) data
 *
 * EPATH segments (Vol 1 Appendix C-1): the first byte's top three bits say the
 * kind: 000 port, 001 logical (class, instance, member, connection point,
 * attribute, electronic key; 8/16/32-bit, padded), 010 network, 011 symbolic,
 * 100 data (0x80 simple data, 0x91 ANSI extended symbol = a Logix tag name).
 *
 * ListIdentity reply: CPF with a CIP Identity item 0x000C (Vol 2 §2-4, ListIdentity):
 *
 *   encapsulation version(2) sockaddr(16, big-endian: family port address zero[8])
 *   vendor(2) device type(2) product code(2) revision major(1) minor(1)
 *   status(2) serial(4) product name(1 + n) state(1)
 *
 * Class 0/1 connected I/O, UDP 2222 (Vol 2 ch. 3): no encapsulation header,
 * just a CPF: sequenced address item 0x8002 (connection id 4, encapsulation
 * sequence 4) + connected data item 0x00B1 (class 1: CIP sequence count 2, data).
 */
#include <stddef.h>
#include <string.h>

#include "cursor.h"
#include "fields.h"
#include "op.h"
#include "registry.h"
#include "txn.h"

#define ENIP_HEADER_LEN 24
#define ENIP_MAX_LENGTH 65511        /* Vol 2 §2-3: the length field's largest value */
#define ENIP_MAX_ITEMS 8             /* CPF items listed per message */
#define ENIP_MAX_SERVICES 32         /* Multiple Service Packet entries listed */
#define ENIP_MAX_ROUTE 4             /* port segments (hops) listed per EPATH */
#define ENIP_MAX_CONN_POINTS 4       /* connection points listed per EPATH */
#define ENIP_MAX_ATTRIBUTES 32       /* Get_Attribute_List ids listed */
#define ENIP_MAX_STATUS_WORDS 4      /* additional status words listed */
#define ENIP_MAX_TAG 128             /* bytes of a tag name kept */
#define ENIP_MAX_NEST 2              /* CIP messages inside CIP messages decoded this deep */

enum {
	CMD_NOP = 0x0000,
	CMD_LIST_SERVICES = 0x0004,
	CMD_LIST_IDENTITY = 0x0063,
	CMD_LIST_INTERFACES = 0x0064,
	CMD_REGISTER_SESSION = 0x0065,
	CMD_UNREGISTER_SESSION = 0x0066,
	CMD_SEND_RR_DATA = 0x006F,
	CMD_SEND_UNIT_DATA = 0x0070,
	CMD_INDICATE_STATUS = 0x0072,
	CMD_CANCEL = 0x0073,
};

/* Common Packet Format item types (Vol 2 §2-6). */
enum {
	ITEM_NULL = 0x0000,
	ITEM_IDENTITY = 0x000C,
	ITEM_CONNECTED_ADDRESS = 0x00A1,
	ITEM_CONNECTED_DATA = 0x00B1,
	ITEM_UNCONNECTED_DATA = 0x00B2,
	ITEM_SERVICES = 0x0100,
	ITEM_SOCKADDR_OT = 0x8000,
	ITEM_SOCKADDR_TO = 0x8001,
	ITEM_SEQUENCED_ADDRESS = 0x8002,
};

/* CIP services (Vol 1 Appendix A; object-specific ones from 0x4B on). */
enum {
	SC_GET_ATTRIBUTE_LIST = 0x03,
	SC_MULTIPLE_SERVICE_PACKET = 0x0A,
	SC_EXECUTE_PCCC = 0x4B,
	SC_READ_TAG = 0x4C,
	SC_WRITE_TAG = 0x4D,
	SC_FORWARD_CLOSE = 0x4E,             /* Connection Manager; read_modify_write_tag on a tag */
	SC_UNCONNECTED_SEND = 0x52,          /* Connection Manager; read_tag_fragmented on a tag */
	SC_WRITE_TAG_FRAGMENTED = 0x53,
	SC_FORWARD_OPEN = 0x54,
	SC_LARGE_FORWARD_OPEN = 0x5B,
};

#define CLASS_CONNECTION_MANAGER 0x06
#define CLASS_PCCC 0x67
#define CLASS_SYMBOL 0x6B

#define CIP_STATUS_PARTIAL_TRANSFER 0x06 /* Vol 1 Appendix B: "more data follows", not a failure */

static const char *command_name(uint16_t cmd)
{
	switch (cmd) {
	case CMD_NOP: return "nop";
	case CMD_LIST_SERVICES: return "list_services";
	case CMD_LIST_IDENTITY: return "list_identity";
	case CMD_LIST_INTERFACES: return "list_interfaces";
	case CMD_REGISTER_SESSION: return "register_session";
	case CMD_UNREGISTER_SESSION: return "unregister_session";
	case CMD_SEND_RR_DATA: return "send_rr_data";
	case CMD_SEND_UNIT_DATA: return "send_unit_data";
	case CMD_INDICATE_STATUS: return "indicate_status";
	case CMD_CANCEL: return "cancel";
	default: return NULL;
	}
}

static bool known_command(uint16_t cmd)
{
	return command_name(cmd) != NULL;
}

/*
 * Commands Vol 2 §2-3 reserves for legacy (Rockwell) use.  Real
 * tools open a connection with them (0x0001 before ListServices), so they
 * leave a flow undecided for the probe rather than ruling EtherNet/IP out.
 */
static bool legacy_command(uint16_t cmd)
{
	return (cmd >= 0x0001 && cmd <= 0x0003) || cmd == 0x0005;
}

static bool is_list_command(uint16_t cmd)
{
	return cmd == CMD_LIST_IDENTITY || cmd == CMD_LIST_SERVICES || cmd == CMD_LIST_INTERFACES;
}

/* ---- probe (classification and resynchronisation) ---- */

static enum bld_probe encapsulation_probe(struct bld_cur *c)
{
	uint16_t cmd = bld_cur_le16(c);
	uint16_t len = bld_cur_le16(c);
	bld_cur_skip(c, 16);
	uint32_t options = bld_cur_le32(c);
	if (c->err)
		return BLD_PROBE_NEED_MORE;
	if (options != 0 || (!known_command(cmd) && !legacy_command(cmd)))
		return BLD_PROBE_NO;
	if (cmd == CMD_NOP) /* NOP: 24 zero bytes would pass; wait for a real command */
		return BLD_PROBE_NEED_MORE;
	/* The data may continue in the next segment; if more follows, it must be another header. */
	bld_cur_skip(c, len);
	if (!c->err && bld_cur_left(c) >= ENIP_HEADER_LEN)
		return encapsulation_probe(c);
	return legacy_command(cmd) ? BLD_PROBE_NEED_MORE : BLD_PROBE_MATCH;
}

/* CPF for connected I/O: sequenced address item (0x8002, 8 bytes) + connected data (0x00B1). */
static enum bld_probe io_probe(struct bld_cur *c)
{
	uint16_t items = bld_cur_le16(c);
	uint16_t t1 = bld_cur_le16(c), l1 = bld_cur_le16(c);
	bld_cur_skip(c, l1);
	uint16_t t2 = bld_cur_le16(c), l2 = bld_cur_le16(c);
	if (c->err || items < 2 || t1 != ITEM_SEQUENCED_ADDRESS || l1 != 8 || t2 != ITEM_CONNECTED_DATA)
		return BLD_PROBE_NO;
	return l2 <= bld_cur_left(c) ? BLD_PROBE_MATCH : BLD_PROBE_NO;
}

static enum bld_probe enip_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	if (len >= ENIP_HEADER_LEN) {
		enum bld_probe r = encapsulation_probe(&c);
		if (r != BLD_PROBE_NO)
			return r;
	}
	c = bld_cur_make(data, len);
	enum bld_probe r = io_probe(&c);
	if (r == BLD_PROBE_MATCH || len >= ENIP_HEADER_LEN)
		return r;
	/*
	 * Short of a header: the command word already tells an encapsulation
	 * header's start from other bytes.  (I/O datagrams arrive whole, so
	 * io_probe's answer on them is final.)
	 */
	c = bld_cur_make(data, len);
	uint16_t cmd = bld_cur_le16(&c);
	if (c.err || known_command(cmd) || legacy_command(cmd))
		return BLD_PROBE_NEED_MORE;
	return BLD_PROBE_NO;
}

/* ---- per-flow state and per-PDU context ---- */

struct enip_state {
	struct bld_txn_table encap;      /* requests by sender context (Vol 2 §2-3) and command */
	struct bld_txn_table connected;  /* SendUnitData requests by CIP sequence count (Vol 2 ch. 3) */
	uint32_t session;                /* the handle RegisterSession established on this connection */
	bool has_session;
};

struct pdu {
	struct bld_parse_ctx *pc;
	struct bld_op *op;
	bool raised[BLD_EVENT_MAX];      /* each event at most once per PDU */
};

static void raise_once(struct pdu *d, enum bld_event ev)
{
	if (d->raised[ev])
		return;
	d->raised[ev] = true;
	bld_event(d->pc, ev);
}

/*
 * What a CIP response needs from its request to be read (its class decides
 * what an object-specific service means, Vol 1 ch. 4): packed into the
 * 64-bit info of the transaction table.
 */
struct cip_class {
	bool known;
	bool symbolic;       /* the path names a tag (symbolic segment) */
	uint16_t id;
};

struct cip_info {
	bool has;
	uint8_t service;
	struct cip_class cls;
	bool emb_has;        /* Unconnected Send: the embedded request, whose target answers directly */
	uint8_t emb_service;
	struct cip_class emb_cls;
};

static uint64_t info_pack(const struct cip_info *i)
{
	return (uint64_t)i->service | (uint64_t)i->has << 8 | (uint64_t)i->cls.known << 9 |
	       (uint64_t)i->cls.symbolic << 10 | (uint64_t)i->cls.id << 16 | (uint64_t)i->emb_service << 32 |
	       (uint64_t)i->emb_has << 40 | (uint64_t)i->emb_cls.known << 41 | (uint64_t)i->emb_cls.symbolic << 42 |
	       (uint64_t)i->emb_cls.id << 48;
}

static struct cip_info info_unpack(uint64_t v)
{
	return (struct cip_info){
		.service = (uint8_t)v,
		.has = v >> 8 & 1,
		.cls = { .known = v >> 9 & 1, .symbolic = v >> 10 & 1, .id = (uint16_t)(v >> 16) },
		.emb_service = (uint8_t)(v >> 32),
		.emb_has = v >> 40 & 1,
		.emb_cls = { .known = v >> 41 & 1, .symbolic = v >> 42 & 1, .id = (uint16_t)(v >> 48) },
	};
}

/* ---- small text helpers (no printf on the hot path) ---- */

static uint32_t put_uint(char *buf, uint32_t room, uint32_t v)
{
	char t[10];
	uint32_t n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (n > room)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		buf[i] = t[n - 1 - i];
	return n;
}

static void emit_ipv4(struct bld_op *op, const char *name, uint32_t a)
{
	char buf[16];
	uint32_t n = 0;
	for (int i = 3; i >= 0; i--) {
		n += put_uint(buf + n, sizeof(buf) - n, a >> (8 * i) & 0xff);
		if (i)
			buf[n++] = '.';
	}
	bld_op_text(op, name, buf, n);
}

/* ---- Common Packet Format (Vol 2 §2-6) ---- */

struct cpf_item {
	uint16_t type;
	uint16_t len;
	const uint8_t *p;
};

struct cpf {
	uint16_t count;                  /* item count as sent */
	uint16_t n;                      /* items actually present (all counted, ENIP_MAX_ITEMS kept) */
	struct cpf_item item[ENIP_MAX_ITEMS];
	bool short_items;                /* the count or an item runs past the data */
	bool trailing;                   /* bytes after the last item */
};

static void cpf_read(struct bld_cur *c, struct cpf *f)
{
	f->count = bld_cur_le16(c);
	f->n = 0;
	f->short_items = c->err;
	f->trailing = false;
	/* Each item takes at least 4 bytes, so a forged count ends at the data's end. */
	for (uint32_t i = 0; i < f->count && !c->err; i++) {
		uint16_t type = bld_cur_le16(c);
		uint16_t len = bld_cur_le16(c);
		const uint8_t *p = bld_cur_bytes(c, len);
		if (!p) {
			f->short_items = true;
			break;
		}
		if (f->n < ENIP_MAX_ITEMS)
			f->item[f->n] = (struct cpf_item){ .type = type, .len = len, .p = p };
		f->n++;
	}
	f->trailing = !c->err && bld_cur_left(c) > 0;
}

static const struct cpf_item *cpf_find(const struct cpf *f, uint16_t type)
{
	uint32_t kept = f->n < ENIP_MAX_ITEMS ? f->n : ENIP_MAX_ITEMS;
	for (uint32_t i = 0; i < kept; i++)
		if (f->item[i].type == type)
			return &f->item[i];
	return NULL;
}

static void emit_cpf(struct pdu *d, const struct cpf *f)
{
	struct bld_op *op = d->op;
	bld_op_uint(op, "item_count", f->count);
	bld_op_list(op, "items");
	uint32_t kept = f->n < ENIP_MAX_ITEMS ? f->n : ENIP_MAX_ITEMS;
	for (uint32_t i = 0; i < kept; i++) {
		const struct cpf_item *it = &f->item[i];
		bld_op_object(op, NULL);
		bld_op_uint(op, "type", it->type);
		bld_op_uint(op, "length", it->len);
		if (it->type == ITEM_SOCKADDR_OT || it->type == ITEM_SOCKADDR_TO) {
			/* Socket address info items are big-endian sockaddr_in (Vol 2 §2-6, Sockaddr Info items). */
			struct bld_cur c = bld_cur_make(it->p, it->len);
			bld_cur_skip(&c, 2); /* sin_family */
			uint16_t port = bld_cur_be16(&c);
			uint32_t addr = bld_cur_be32(&c);
			if (!c.err) {
				emit_ipv4(op, "ip", addr);
				bld_op_uint(op, "port", port);
			}
		}
		bld_op_end(op);
	}
	bld_op_end(op);
	if (f->n > ENIP_MAX_ITEMS)
		raise_once(d, BLD_EVENT_APP_ITEMS_CAPACITY);
	if (f->short_items || f->trailing)
		raise_once(d, BLD_EVENT_ENIP_BAD_LENGTH);
}

/* ---- EPATH (Vol 1 Appendix C-1) ---- */

struct cip_port {
	uint16_t port;
	uint8_t link_len;
	const uint8_t *link;
};

struct cip_path {
	bool has_class, has_instance, has_attribute, has_member;
	uint32_t class_id, instance, attribute, member;
	uint32_t cp[ENIP_MAX_CONN_POINTS];
	uint8_t n_cp;                    /* connection points seen (ENIP_MAX_CONN_POINTS kept) */
	struct cip_port route[ENIP_MAX_ROUTE];
	uint8_t n_route;                 /* port segments seen (ENIP_MAX_ROUTE kept) */
	bool has_key;                    /* electronic key segment, format 4 (Vol 1 §C-1.4.2) */
	uint16_t key_vendor, key_device_type, key_product_code;
	uint8_t key_major, key_minor;
	bool symbolic;                   /* a symbolic or ANSI extended symbol segment was seen */
	bool last_member;                /* the previous segment was a member appended to the tag */
	bool tag_cut;                    /* the tag was longer than ENIP_MAX_TAG */
	bool bad;                        /* a segment could not be parsed */
	uint16_t tag_len;
	char tag[ENIP_MAX_TAG];
};

static void tag_append(struct cip_path *p, const void *s, uint32_t n)
{
	uint32_t room = ENIP_MAX_TAG - p->tag_len;
	if (n > room) {
		n = room;
		p->tag_cut = true;
	}
	memcpy(p->tag + p->tag_len, s, n);
	p->tag_len = (uint16_t)(p->tag_len + n);
}

/* A name segment: "a" then ".b" (Logix tag syntax). */
static void tag_name(struct cip_path *p, const uint8_t *s, uint32_t n)
{
	if (p->tag_len)
		tag_append(p, ".", 1);
	tag_append(p, s, n);
	p->symbolic = true;
	p->last_member = false;
}

/* A member after a name is an array index: "a[3]", "a[1,2]". */
static void tag_index(struct cip_path *p, uint32_t v)
{
	char buf[12];
	uint32_t n = 0;
	if (p->last_member && p->tag_len && p->tag[p->tag_len - 1] == ']') {
		p->tag[p->tag_len - 1] = ',';
	} else {
		buf[n++] = '[';
	}
	n += put_uint(buf + n, sizeof(buf) - n - 1, v);
	buf[n++] = ']';
	tag_append(p, buf, n);
	p->last_member = true;
}

/* Read a logical value in format fmt (0 8-bit, 1 16-bit, 2 32-bit; padded EPATH: a pad byte before 16/32). */
static bool logical_value(struct bld_cur *c, uint8_t fmt, uint32_t *v)
{
	switch (fmt) {
	case 0:
		*v = bld_cur_u8(c);
		return !c->err;
	case 1:
		bld_cur_skip(c, 1);
		*v = bld_cur_le16(c);
		return !c->err;
	case 2:
		bld_cur_skip(c, 1);
		*v = bld_cur_le32(c);
		return !c->err;
	default:
		return false; /* format 3 is reserved */
	}
}

static bool path_port(struct bld_cur *c, uint8_t seg, struct cip_path *p)
{
	/* Vol 1 §C-1.3: [link size if bit 4][16-bit port if port 15] link address [pad to even] */
	bool ext_link = seg & 0x10;
	uint16_t port = seg & 0x0F;
	uint8_t link_len = ext_link ? bld_cur_u8(c) : 1;
	if (port == 15)
		port = bld_cur_le16(c);
	const uint8_t *link = bld_cur_bytes(c, link_len);
	if (!link)
		return false;
	uint32_t size = 1u + ext_link + ((seg & 0x0F) == 15 ? 2u : 0u) + link_len;
	if (size & 1)
		bld_cur_skip(c, 1);
	if (p->n_route < ENIP_MAX_ROUTE)
		p->route[p->n_route] = (struct cip_port){ .port = port, .link_len = link_len, .link = link };
	if (p->n_route < UINT8_MAX)
		p->n_route++;
	p->last_member = false;
	return !c->err;
}

static bool path_logical(struct bld_cur *c, uint8_t seg, struct cip_path *p)
{
	uint8_t type = seg >> 2 & 7, fmt = seg & 3;
	uint32_t v;
	switch (type) {
	case 5: { /* special: electronic key, key format 4 (Vol 1 §C-1.4.2) */
		if (fmt != 0 || bld_cur_u8(c) != 4)
			return false;
		p->key_vendor = bld_cur_le16(c);
		p->key_device_type = bld_cur_le16(c);
		p->key_product_code = bld_cur_le16(c);
		p->key_major = bld_cur_u8(c);
		p->key_minor = bld_cur_u8(c);
		p->has_key = !c->err;
		p->last_member = false;
		return !c->err;
	}
	case 6: /* service id: 8-bit only */
		bld_cur_skip(c, 1);
		return fmt == 0 && !c->err;
	case 7: /* extended logical: a type byte, then the value (no further pad) */
		bld_cur_skip(c, 1);
		bld_cur_skip(c, fmt == 0 ? 1 : fmt == 1 ? 2 : 4);
		return fmt != 3 && !c->err;
	default:
		break;
	}
	if (!logical_value(c, fmt, &v))
		return false;
	bool was_member = false;
	switch (type) {
	case 0:
		if (!p->has_class)
			p->class_id = v, p->has_class = true;
		break;
	case 1:
		if (!p->has_instance)
			p->instance = v, p->has_instance = true;
		break;
	case 2: /* member: after a tag name it is an array element */
		if (p->symbolic) {
			tag_index(p, v);
			was_member = true;
		} else if (!p->has_member) {
			p->member = v, p->has_member = true;
		}
		break;
	case 3:
		if (p->n_cp < ENIP_MAX_CONN_POINTS)
			p->cp[p->n_cp] = v;
		if (p->n_cp < UINT8_MAX)
			p->n_cp++;
		break;
	case 4:
		if (!p->has_attribute)
			p->attribute = v, p->has_attribute = true;
		break;
	}
	p->last_member = was_member;
	return true;
}

static bool path_symbolic(struct bld_cur *c, uint8_t seg, struct cip_path *p)
{
	/* Vol 1 §C-1.6: size in the low 5 bits; 0 means an extended string follows. */
	uint8_t size = seg & 0x1F;
	uint32_t total;
	if (size) {
		const uint8_t *s = bld_cur_bytes(c, size);
		if (!s)
			return false;
		tag_name(p, s, size);
		total = 1u + size;
	} else {
		uint8_t ext = bld_cur_u8(c);
		uint8_t fmt = ext >> 5, n = ext & 0x1F;
		uint32_t v = 0;
		switch (fmt) {
		case 1: /* double-byte characters: kept out of the text */
		case 2: /* triple-byte characters */
			bld_cur_skip(c, (uint32_t)n * (fmt + 1u));
			p->symbolic = true;
			total = 2u + (uint32_t)n * (fmt + 1u);
			break;
		case 6: /* numeric symbol: USINT, UINT or UDINT */
			if (n == 6)
				v = bld_cur_u8(c), total = 3;
			else if (n == 7)
				v = bld_cur_le16(c), total = 4;
			else if (n == 8)
				v = bld_cur_le32(c), total = 6;
			else
				return false;
			if (!c->err) {
				char buf[10];
				uint32_t k = put_uint(buf, sizeof(buf), v);
				tag_name(p, (const uint8_t *)buf, k);
			}
			break;
		default:
			return false;
		}
	}
	if (total & 1)
		bld_cur_skip(c, 1);
	return !c->err;
}

static bool path_data(struct bld_cur *c, uint8_t seg, struct cip_path *p)
{
	if (seg == 0x80) { /* simple data segment: size in words, data */
		uint8_t words = bld_cur_u8(c);
		bld_cur_skip(c, words * 2u);
		p->last_member = false;
		return !c->err;
	}
	if (seg == 0x91) { /* ANSI extended symbol: length, characters, pad to even */
		uint8_t n = bld_cur_u8(c);
		const uint8_t *s = bld_cur_bytes(c, n);
		if (!s)
			return false;
		tag_name(p, s, n);
		if (n & 1)
			bld_cur_skip(c, 1);
		return !c->err;
	}
	return false;
}

/* Parse exactly the bytes of c as an EPATH into p (zeroed here). */
static void path_parse(struct bld_cur *c, struct cip_path *p)
{
	memset(p, 0, offsetof(struct cip_path, tag));
	p->bad = c->err;
	while (!p->bad && bld_cur_left(c)) {
		uint8_t seg = bld_cur_u8(c);
		bool ok;
		switch (seg >> 5) {
		case 0: ok = path_port(c, seg, p); break;
		case 1: ok = path_logical(c, seg, p); break;
		case 2: /* network segment: one byte, or (bit 4) a size in words and data (Vol 1 §C-1.5) */
			if (seg & 0x10) {
				uint8_t words = bld_cur_u8(c);
				bld_cur_skip(c, words * 2u);
			} else {
				bld_cur_skip(c, 1);
			}
			ok = !c->err;
			break;
		case 3: ok = path_symbolic(c, seg, p); break;
		case 4: ok = path_data(c, seg, p); break;
		default: ok = false; break; /* data type segments and reserved: not a request path */
		}
		if (!ok || c->err)
			p->bad = true;
	}
}

static bool path_is_cm(const struct cip_path *p)
{
	return p->has_class && p->class_id == CLASS_CONNECTION_MANAGER;
}

static struct cip_class path_class(const struct cip_path *p)
{
	return (struct cip_class){ .known = p->has_class && p->class_id <= UINT16_MAX,
				   .symbolic = p->symbolic, .id = (uint16_t)p->class_id };
}

static void emit_route(struct pdu *d, const char *name, const struct cip_path *p)
{
	struct bld_op *op = d->op;
	bld_op_list(op, name);
	uint32_t kept = p->n_route < ENIP_MAX_ROUTE ? p->n_route : ENIP_MAX_ROUTE;
	for (uint32_t i = 0; i < kept; i++) {
		const struct cip_port *r = &p->route[i];
		bld_op_object(op, NULL);
		bld_op_uint(op, "port", r->port);
		/* A one-byte link is a node or slot number; longer ones are text, e.g. "10.0.0.5". */
		if (r->link_len == 1)
			bld_op_uint(op, "link", r->link[0]);
		else
			bld_op_text(op, "link_address", r->link, r->link_len);
		bld_op_end(op);
	}
	bld_op_end(op);
	if (p->n_route > ENIP_MAX_ROUTE)
		raise_once(d, BLD_EVENT_APP_ITEMS_CAPACITY);
}

static void emit_path(struct pdu *d, const struct cip_path *p)
{
	struct bld_op *op = d->op;
	if (p->n_route)
		emit_route(d, "ports", p);
	if (p->has_class)
		bld_op_uint(op, "class", p->class_id);
	if (p->has_instance)
		bld_op_uint(op, "instance", p->instance);
	if (p->has_attribute)
		bld_op_uint(op, "attribute", p->attribute);
	if (p->has_member)
		bld_op_uint(op, "member", p->member);
	if (p->n_cp) {
		bld_op_list(op, "connection_points");
		uint32_t kept = p->n_cp < ENIP_MAX_CONN_POINTS ? p->n_cp : ENIP_MAX_CONN_POINTS;
		for (uint32_t i = 0; i < kept; i++)
			bld_op_uint(op, NULL, p->cp[i]);
		bld_op_end(op);
		if (p->n_cp > ENIP_MAX_CONN_POINTS)
			raise_once(d, BLD_EVENT_APP_ITEMS_CAPACITY);
	}
	if (p->symbolic)
		bld_op_text(op, "tag", p->tag, p->tag_len);
	if (p->tag_cut)
		raise_once(d, BLD_EVENT_APP_ITEMS_CAPACITY);
	if (p->has_key) {
		bld_op_object(op, "key");
		bld_op_uint(op, "vendor_id", p->key_vendor);
		bld_op_uint(op, "device_type", p->key_device_type);
		bld_op_uint(op, "product_code", p->key_product_code);
		bld_op_bool(op, "compatibility", p->key_major & 0x80);
		bld_op_uint(op, "major_revision", p->key_major & 0x7F);
		bld_op_uint(op, "minor_revision", p->key_minor);
		bld_op_end(op);
	}
	if (p->bad)
		raise_once(d, BLD_EVENT_ENIP_CIP_BAD_PATH);
}

/* ---- CIP services ---- */

static const char *const common_services[0x1D] = {
	[0x01] = "get_attributes_all",
	[0x02] = "set_attributes_all",
	[0x03] = "get_attribute_list",
	[0x04] = "set_attribute_list",
	[0x05] = "reset",
	[0x06] = "start",
	[0x07] = "stop",
	[0x08] = "create",
	[0x09] = "delete",
	[0x0A] = "multiple_service_packet",
	[0x0D] = "apply_attributes",
	[0x0E] = "get_attribute_single",
	[0x10] = "set_attribute_single",
	[0x11] = "find_next",
	[0x14] = "error_response",
	[0x15] = "restore",
	[0x16] = "save",
	[0x17] = "nop",
	[0x18] = "get_member",
	[0x19] = "set_member",
	[0x1A] = "insert_member",
	[0x1B] = "remove_member",
	[0x1C] = "group_sync",
};

static bool is_tag_target(const struct cip_class *k)
{
	return k->symbolic || (k->known && k->id == CLASS_SYMBOL);
}

static bool is_cm(const struct cip_class *k)
{
	return k->known && k->id == CLASS_CONNECTION_MANAGER;
}

/*
 * Services 0x4B and up mean what the addressed class says (Vol 1 ch. 4), so
 * they are named only where the class is known: the Connection Manager
 * (Vol 1 §3-5.5), Logix tags (a symbolic path or the Symbol class 0x6B,
 * Rockwell 1756-PM020) and the PCCC object.  Forward Open has no other
 * meaning in practice and is named even when an unpaired reply hides the class.
 */
static const char *service_name(uint8_t sc, const struct cip_class *k)
{
	if (sc < sizeof(common_services) / sizeof(common_services[0]))
		return common_services[sc];
	if (is_cm(k) || !k->known) {
		if (sc == SC_FORWARD_OPEN)
			return "forward_open";
		if (sc == SC_LARGE_FORWARD_OPEN)
			return "large_forward_open";
	}
	if (is_cm(k)) {
		switch (sc) {
		case SC_FORWARD_CLOSE: return "forward_close";
		case SC_UNCONNECTED_SEND: return "unconnected_send";
		case 0x56: return "get_connection_data";
		case 0x57: return "search_connection_data";
		case 0x5A: return "get_connection_owner";
		default: return NULL;
		}
	}
	if (is_tag_target(k)) {
		switch (sc) {
		case SC_READ_TAG: return "read_tag";
		case SC_WRITE_TAG: return "write_tag";
		case SC_FORWARD_CLOSE: return "read_modify_write_tag";
		case SC_UNCONNECTED_SEND: return "read_tag_fragmented";
		case SC_WRITE_TAG_FRAGMENTED: return "write_tag_fragmented";
		case 0x55: return "get_instance_attribute_list";
		default: return NULL;
		}
	}
	if (k->known && k->id == CLASS_PCCC && sc == SC_EXECUTE_PCCC)
		return "execute_pccc";
	return NULL;
}

static void emit_service(struct pdu *d, bool top, uint8_t sc, bool response, const struct cip_class *k)
{
	struct bld_op *op = d->op;
	const char *name = service_name(sc, k);
	if (top) {
		bld_op_uint(op, "cip_service", sc);
		bld_op_bool(op, "cip_response", response);
		if (name)
			bld_op_cstr(op, "cip_service_name", name);
	} else {
		bld_op_uint(op, "service", sc);
		if (name)
			bld_op_cstr(op, "service_name", name);
	}
}

static void cip_malformed(struct pdu *d)
{
	raise_once(d, BLD_EVENT_ENIP_CIP_MALFORMED);
}

static void cip_request(struct pdu *d, struct bld_cur *c, unsigned depth, bool top, struct cip_info *out);
static void cip_response(struct pdu *d, struct bld_cur *c, unsigned depth, bool top, const struct cip_info *req);

/* Connection parameters: 16-bit (Forward Open) or 32-bit (Large Forward Open), size in the low bits. */
static void emit_conn_params(struct bld_op *op, const char *params, const char *size, uint32_t v, bool large)
{
	bld_op_uint(op, params, v);
	bld_op_uint(op, size, large ? v & 0xFFFF : v & 0x1FF);
}

/* Forward Open request (Vol 1 §3-5.5, Forward_Open), Large Forward Open with 32-bit parameters. */
static void forward_open_request(struct pdu *d, struct bld_cur *c, bool large)
{
	struct bld_op *op = d->op;
	bld_cur_skip(c, 2); /* priority/time tick, time-out ticks */
	uint32_t ot_id = bld_cur_le32(c), to_id = bld_cur_le32(c);
	uint16_t serial = bld_cur_le16(c), vendor = bld_cur_le16(c);
	uint32_t orig_serial = bld_cur_le32(c);
	uint8_t mult = bld_cur_u8(c);
	bld_cur_skip(c, 3); /* reserved */
	uint32_t ot_rpi = bld_cur_le32(c);
	uint32_t ot_params = large ? bld_cur_le32(c) : bld_cur_le16(c);
	uint32_t to_rpi = bld_cur_le32(c);
	uint32_t to_params = large ? bld_cur_le32(c) : bld_cur_le16(c);
	uint8_t trigger = bld_cur_u8(c);
	uint8_t words = bld_cur_u8(c);
	if (c->err) {
		cip_malformed(d);
		return;
	}
	bld_op_uint(op, "ot_connection_id", ot_id);
	bld_op_uint(op, "to_connection_id", to_id);
	bld_op_uint(op, "connection_serial", serial);
	bld_op_uint(op, "originator_vendor", vendor);
	bld_op_uint(op, "originator_serial", orig_serial);
	bld_op_uint(op, "timeout_multiplier", mult);
	bld_op_uint(op, "ot_rpi", ot_rpi);
	emit_conn_params(op, "ot_connection_params", "ot_connection_size", ot_params, large);
	bld_op_uint(op, "to_rpi", to_rpi);
	emit_conn_params(op, "to_connection_params", "to_connection_size", to_params, large);
	bld_op_uint(op, "transport_trigger", trigger);
	bld_op_uint(op, "transport_class", trigger & 0x0F);
	struct bld_cur pc = bld_cur_take(c, words * 2u);
	if (pc.err)
		cip_malformed(d);
	struct cip_path path;
	path_parse(&pc, &path);
	bld_op_object(op, "connection_path");
	emit_path(d, &path);
	bld_op_end(op);
}

static void forward_open_response(struct pdu *d, struct bld_cur *c, uint8_t status)
{
	struct bld_op *op = d->op;
	if (status == 0) {
		uint32_t ot_id = bld_cur_le32(c), to_id = bld_cur_le32(c);
		uint16_t serial = bld_cur_le16(c), vendor = bld_cur_le16(c);
		uint32_t orig_serial = bld_cur_le32(c);
		uint32_t ot_api = bld_cur_le32(c), to_api = bld_cur_le32(c);
		uint8_t reply_words = bld_cur_u8(c);
		if (c->err) {
			cip_malformed(d);
			return;
		}
		bld_op_uint(op, "ot_connection_id", ot_id);
		bld_op_uint(op, "to_connection_id", to_id);
		bld_op_uint(op, "connection_serial", serial);
		bld_op_uint(op, "originator_vendor", vendor);
		bld_op_uint(op, "originator_serial", orig_serial);
		bld_op_uint(op, "ot_api", ot_api);
		bld_op_uint(op, "to_api", to_api);
		bld_op_uint(op, "application_reply_size", reply_words);
		return;
	}
	/* Unsuccessful: serial, vendor, originator serial, remaining path size (Vol 1 §3-5.5). */
	uint16_t serial = bld_cur_le16(c), vendor = bld_cur_le16(c);
	uint32_t orig_serial = bld_cur_le32(c);
	if (c->err)
		return; /* routers may answer with the status alone */
	bld_op_uint(op, "connection_serial", serial);
	bld_op_uint(op, "originator_vendor", vendor);
	bld_op_uint(op, "originator_serial", orig_serial);
	uint8_t remaining = bld_cur_u8(c);
	if (!c->err)
		bld_op_uint(op, "remaining_path_size", remaining);
}

/* Forward Close request (Vol 1 §3-5.5, Forward_Close). */
static void forward_close_request(struct pdu *d, struct bld_cur *c)
{
	struct bld_op *op = d->op;
	bld_cur_skip(c, 2); /* priority/time tick, time-out ticks */
	uint16_t serial = bld_cur_le16(c), vendor = bld_cur_le16(c);
	uint32_t orig_serial = bld_cur_le32(c);
	uint8_t words = bld_cur_u8(c);
	bld_cur_skip(c, 1); /* reserved */
	if (c->err) {
		cip_malformed(d);
		return;
	}
	bld_op_uint(op, "connection_serial", serial);
	bld_op_uint(op, "originator_vendor", vendor);
	bld_op_uint(op, "originator_serial", orig_serial);
	struct bld_cur pc = bld_cur_take(c, words * 2u);
	if (pc.err)
		cip_malformed(d);
	struct cip_path path;
	path_parse(&pc, &path);
	bld_op_object(op, "connection_path");
	emit_path(d, &path);
	bld_op_end(op);
}

static void forward_close_response(struct pdu *d, struct bld_cur *c, uint8_t status)
{
	struct bld_op *op = d->op;
	uint16_t serial = bld_cur_le16(c), vendor = bld_cur_le16(c);
	uint32_t orig_serial = bld_cur_le32(c);
	if (c->err) {
		if (status == 0)
			cip_malformed(d);
		return;
	}
	bld_op_uint(op, "connection_serial", serial);
	bld_op_uint(op, "originator_vendor", vendor);
	bld_op_uint(op, "originator_serial", orig_serial);
	uint8_t words = bld_cur_u8(c);
	if (!c->err)
		bld_op_uint(op, status == 0 ? "application_reply_size" : "remaining_path_size", words);
}

/*
 * Unconnected Send (Vol 1 §3-5.5, Unconnected_Send): a request for a device further along
 * the route path, carried to the last hop, whose target answers directly.
 *   priority/tick(1) timeout ticks(1) request size(2) request [pad if odd]
 *   route path size in words(1) reserved(1) route path (port segments)
 */
static void unconnected_send_request(struct pdu *d, struct bld_cur *c, unsigned depth, struct cip_info *out)
{
	struct bld_op *op = d->op;
	bld_cur_skip(c, 2);
	uint16_t size = bld_cur_le16(c);
	struct bld_cur msg = bld_cur_take(c, size);
	if (c->err) {
		cip_malformed(d);
		return;
	}
	bld_op_object(op, "embedded");
	struct cip_info emb = { 0 };
	cip_request(d, &msg, depth + 1, false, &emb);
	bld_op_end(op);
	out->emb_has = emb.has;
	out->emb_service = emb.service;
	out->emb_cls = emb.cls;
	if (size & 1)
		bld_cur_skip(c, 1);
	uint8_t words = bld_cur_u8(c);
	bld_cur_skip(c, 1);
	struct bld_cur rc = bld_cur_take(c, words * 2u);
	if (c->err) {
		cip_malformed(d);
		return;
	}
	struct cip_path route;
	path_parse(&rc, &route);
	emit_route(d, "route_path", &route);
	if (route.bad)
		raise_once(d, BLD_EVENT_ENIP_CIP_BAD_PATH);
}

/*
 * Multiple Service Packet (Vol 1 Appendix A): service count(2), offsets(2 each,
 * from the count), then the messages.  Each message ends where the next
 * begins; the offsets are checked against the packet, never trusted.
 */
static void msp(struct pdu *d, struct bld_cur *c, unsigned depth, bool response)
{
	struct bld_op *op = d->op;
	uint32_t avail = bld_cur_left(c);
	const uint8_t *base = bld_cur_peek(c, avail);
	struct bld_cur t = bld_cur_make(base, avail);
	uint16_t n = bld_cur_le16(&t);
	if (t.err) {
		cip_malformed(d);
		return;
	}
	bld_op_uint(op, "service_count", n);
	uint32_t table_end = 2u + 2u * n;
	if (table_end > avail) {
		cip_malformed(d);
		return;
	}
	bld_op_list(op, "services");
	uint32_t listed = n < ENIP_MAX_SERVICES ? n : ENIP_MAX_SERVICES;
	uint16_t start = n ? bld_cur_le16(&t) : 0;
	for (uint32_t i = 0; i < listed; i++) {
		uint32_t end = avail;
		uint16_t next = 0;
		if (i + 1 < n) {
			next = bld_cur_le16(&t);
			end = next;
		}
		if (start < table_end || start > avail || end < start || end > avail) {
			cip_malformed(d);
			if (start < table_end || start > avail)
				break;
			end = avail;
		}
		struct bld_cur m = bld_cur_make(base + start, end - start);
		bld_op_object(op, NULL);
		if (response)
			cip_response(d, &m, depth + 1, false, NULL);
		else
			cip_request(d, &m, depth + 1, false, &(struct cip_info){ 0 });
		bld_op_end(op);
		start = next;
	}
	bld_op_end(op);
	if (n > ENIP_MAX_SERVICES)
		raise_once(d, BLD_EVENT_APP_ITEMS_CAPACITY);
	bld_cur_skip(c, avail);
}

/* Get_Attribute_List (Vol 1 Appendix A): count(2), attribute ids(2 each). */
static void get_attribute_list_request(struct pdu *d, struct bld_cur *c)
{
	struct bld_op *op = d->op;
	uint16_t n = bld_cur_le16(c);
	if (c->err) {
		cip_malformed(d);
		return;
	}
	bld_op_uint(op, "attribute_count", n);
	bld_op_list(op, "attributes");
	for (uint32_t i = 0; i < n && i < ENIP_MAX_ATTRIBUTES; i++) {
		uint16_t id = bld_cur_le16(c);
		if (c->err)
			break;
		bld_op_uint(op, NULL, id);
	}
	bld_op_end(op);
	if (n > ENIP_MAX_ATTRIBUTES)
		raise_once(d, BLD_EVENT_APP_ITEMS_CAPACITY);
	else if (c->err)
		cip_malformed(d);
}

/*
 * Logix tag services (Rockwell 1756-PM020):
 *   read_tag              elements(2)
 *   read_tag_fragmented   elements(2) offset(4)
 *   write_tag             type(2) [structure handle(2) when type 0x02A0] elements(2) data
 *   write_tag_fragmented  type(2) [handle] elements(2) offset(4) data
 */
static void tag_request(struct pdu *d, struct bld_cur *c, uint8_t sc)
{
	struct bld_op *op = d->op;
	if (sc != SC_READ_TAG && sc != SC_UNCONNECTED_SEND && sc != SC_WRITE_TAG && sc != SC_WRITE_TAG_FRAGMENTED)
		return;
	bool write = sc == SC_WRITE_TAG || sc == SC_WRITE_TAG_FRAGMENTED;
	bool fragmented = sc == SC_UNCONNECTED_SEND || sc == SC_WRITE_TAG_FRAGMENTED;
	uint16_t type = 0, handle = 0;
	if (write) {
		type = bld_cur_le16(c);
		if (type == 0x02A0)
			handle = bld_cur_le16(c);
	}
	uint16_t elements = bld_cur_le16(c);
	uint32_t offset = fragmented ? bld_cur_le32(c) : 0;
	if (c->err) {
		cip_malformed(d);
		return;
	}
	if (write) {
		bld_op_uint(op, "data_type", type);
		if (type == 0x02A0)
			bld_op_uint(op, "structure_handle", handle);
	}
	bld_op_uint(op, "elements", elements);
	if (fragmented)
		bld_op_uint(op, "offset", offset);
}

/* Message router request (Vol 1 §2-4.1). */
static void cip_request(struct pdu *d, struct bld_cur *c, unsigned depth, bool top, struct cip_info *out)
{
	struct bld_op *op = d->op;
	uint8_t sc = bld_cur_u8(c) & 0x7F;
	uint8_t words = bld_cur_u8(c);
	struct bld_cur pc = bld_cur_take(c, words * 2u);
	struct cip_path path;
	path_parse(&pc, &path);
	struct cip_class k = path_class(&path);
	out->has = true;
	out->service = sc;
	out->cls = k;
	emit_service(d, top, sc, false, &k);
	if (c->err) {
		/* No room for the path size, or the path runs past the message. */
		cip_malformed(d);
		return;
	}
	emit_path(d, &path);
	bld_op_uint(op, "data_length", bld_cur_left(c));
	if (depth >= ENIP_MAX_NEST)
		return;
	if (path_is_cm(&path) && sc == SC_UNCONNECTED_SEND)
		unconnected_send_request(d, c, depth, out);
	else if (path_is_cm(&path) && (sc == SC_FORWARD_OPEN || sc == SC_LARGE_FORWARD_OPEN))
		forward_open_request(d, c, sc == SC_LARGE_FORWARD_OPEN);
	else if (path_is_cm(&path) && sc == SC_FORWARD_CLOSE)
		forward_close_request(d, c);
	else if (sc == SC_MULTIPLE_SERVICE_PACKET)
		msp(d, c, depth, false);
	else if (sc == SC_GET_ATTRIBUTE_LIST)
		get_attribute_list_request(d, c);
	else if (is_tag_target(&k))
		tag_request(d, c, sc);
}

/* Message router response (Vol 1 §2-4.2); req is what its request said, or NULL. */
static void cip_response(struct pdu *d, struct bld_cur *c, unsigned depth, bool top, const struct cip_info *req)
{
	struct bld_op *op = d->op;
	uint8_t sc = bld_cur_u8(c) & 0x7F;
	bld_cur_skip(c, 1); /* reserved */
	uint8_t status = bld_cur_u8(c);
	uint8_t words = bld_cur_u8(c);
	/* The class the reply is about: its request's, or the embedded request's for an Unconnected Send. */
	struct cip_class k = { 0 };
	if (req && req->has && req->service == sc)
		k = req->cls;
	else if (req && req->emb_has && req->emb_service == sc)
		k = req->emb_cls;
	emit_service(d, top, sc, true, &k);
	if (c->err) {
		cip_malformed(d);
		return;
	}
	bld_op_uint(op, "general_status", status);
	if (words) {
		bld_op_uint(op, "additional_status_size", words);
		bld_op_list(op, "additional_status");
		for (uint32_t i = 0; i < words; i++) {
			uint16_t w = bld_cur_le16(c);
			if (i < ENIP_MAX_STATUS_WORDS && !c->err)
				bld_op_uint(op, NULL, w);
		}
		bld_op_end(op);
		if (c->err) {
			cip_malformed(d);
			return;
		}
		if (words > ENIP_MAX_STATUS_WORDS)
			raise_once(d, BLD_EVENT_APP_ITEMS_CAPACITY);
	}
	if (status != 0 && status != CIP_STATUS_PARTIAL_TRANSFER)
		raise_once(d, BLD_EVENT_ENIP_CIP_ERROR_STATUS);
	bld_op_uint(op, "data_length", bld_cur_left(c));
	if (depth >= ENIP_MAX_NEST)
		return;
	if ((sc == SC_FORWARD_OPEN || sc == SC_LARGE_FORWARD_OPEN) && (is_cm(&k) || !k.known))
		forward_open_response(d, c, status);
	else if (sc == SC_FORWARD_CLOSE && is_cm(&k))
		forward_close_response(d, c, status);
	else if (sc == SC_UNCONNECTED_SEND && is_cm(&k) && status != 0) {
		/* A router's own failure: remaining path size (Vol 1 §3-5.5). */
		uint8_t remaining = bld_cur_u8(c);
		if (!c->err)
			bld_op_uint(op, "remaining_path_size", remaining);
	} else if (sc == SC_MULTIPLE_SERVICE_PACKET && (status == 0 || status == 0x1E)) {
		msp(d, c, depth, true);
	} else if (is_tag_target(&k) && (sc == SC_READ_TAG || sc == SC_UNCONNECTED_SEND) &&
		   (status == 0 || status == CIP_STATUS_PARTIAL_TRANSFER)) {
		uint16_t type = bld_cur_le16(c);
		if (!c->err)
			bld_op_uint(op, "data_type", type);
	}
}

/* ---- encapsulation ---- */

struct msg {
	uint16_t command, length;
	uint32_t session, status, options;
	const uint8_t *context;
	uint64_t context_key;
	struct bld_cur body;
	/* SendRRData / SendUnitData */
	bool send_fixed;             /* interface handle and timeout were there */
	uint32_t interface_handle;
	uint16_t timeout;
	bool has_cpf;
	struct cpf cpf;
	bool has_cip;
	struct bld_cur cip;
	bool has_seq;
	uint16_t cip_seq;
	bool has_conn_id;
	uint32_t conn_id;
};

/* Sender context as a number: the request/reply pairing key, mixed with the command. */
static uint64_t context_key(const uint8_t *ctx, uint16_t cmd)
{
	struct bld_cur c = bld_cur_make(ctx, 8);
	uint64_t lo = bld_cur_le32(&c), hi = bld_cur_le32(&c);
	return (hi << 32 | lo) ^ (uint64_t)cmd * 0x9E3779B97F4A7C15ull;
}

/* SendRRData / SendUnitData: the fixed part and the CPF, to find the CIP message and its direction. */
static void send_data_read(struct msg *m)
{
	struct bld_cur c = m->body;
	m->interface_handle = bld_cur_le32(&c);
	m->timeout = bld_cur_le16(&c);
	if (c.err)
		return;
	m->send_fixed = true;
	if (!bld_cur_left(&c))
		return;
	m->has_cpf = true;
	cpf_read(&c, &m->cpf);
	if (m->command == CMD_SEND_RR_DATA) {
		const struct cpf_item *it = cpf_find(&m->cpf, ITEM_UNCONNECTED_DATA);
		if (it && it->len) {
			m->has_cip = true;
			m->cip = bld_cur_make(it->p, it->len);
		}
		return;
	}
	const struct cpf_item *a = cpf_find(&m->cpf, ITEM_CONNECTED_ADDRESS);
	if (a && a->len == 4) {
		struct bld_cur ac = bld_cur_make(a->p, a->len);
		m->conn_id = bld_cur_le32(&ac);
		m->has_conn_id = true;
	}
	const struct cpf_item *it = cpf_find(&m->cpf, ITEM_CONNECTED_DATA);
	if (it && it->len >= 2) {
		struct bld_cur dc = bld_cur_make(it->p, it->len);
		m->cip_seq = bld_cur_le16(&dc);
		m->has_seq = true;
		if (bld_cur_left(&dc)) {
			m->has_cip = true;
			m->cip = bld_cur_rest(&dc);
		}
	}
}

/* Who speaks: the CIP request/response bit when there is a CIP message, else what the command implies. */
static enum bld_op_dir msg_dir(const struct bld_parse_ctx *pc, const struct msg *m)
{
	if (m->has_cip) {
		const uint8_t *b = bld_cur_peek(&m->cip, 1);
		if (b)
			return *b & 0x80 ? BLD_OP_RESPONSE : BLD_OP_REQUEST;
	}
	if (is_list_command(m->command) && pc->datagram)
		/*
		 * Requests carry no data (Vol 2 §2-4, ListIdentity); a reply has items, or an
		 * error status.  Over UDP the flow's roles are a guess (a broadcast
		 * request's replies come back as flows of their own), so the
		 * content decides; over TCP the connection's client does.
		 */
		return m->length == 0 && m->status == 0 ? BLD_OP_REQUEST : BLD_OP_RESPONSE;
	if (m->command == CMD_NOP || m->command == CMD_UNREGISTER_SESSION)
		return BLD_OP_REQUEST; /* never answered (Vol 2 §2-4, NOP and UnRegisterSession) */
	return pc->to_server ? BLD_OP_REQUEST : BLD_OP_RESPONSE;
}

/* Whether the target answers this command (an unknown one gets an error reply, Vol 2 §2-3). */
static bool answered(uint16_t cmd)
{
	return cmd != CMD_NOP && cmd != CMD_UNREGISTER_SESSION && cmd != CMD_INDICATE_STATUS && cmd != CMD_CANCEL &&
	       cmd != CMD_SEND_UNIT_DATA;
}

/* The CIP Identity item of a ListIdentity reply (Vol 2 §2-4, ListIdentity). */
static void identity_item(struct pdu *d, const struct cpf_item *it)
{
	struct bld_op *op = d->op;
	struct bld_cur c = bld_cur_make(it->p, it->len);
	uint16_t version = bld_cur_le16(&c);
	bld_cur_skip(&c, 2); /* sin_family */
	uint16_t port = bld_cur_be16(&c);
	uint32_t addr = bld_cur_be32(&c);
	bld_cur_skip(&c, 8); /* sin_zero */
	uint16_t vendor = bld_cur_le16(&c), devtype = bld_cur_le16(&c), product = bld_cur_le16(&c);
	uint8_t major = bld_cur_u8(&c), minor = bld_cur_u8(&c);
	uint16_t status = bld_cur_le16(&c);
	uint32_t serial = bld_cur_le32(&c);
	uint8_t name_len = bld_cur_u8(&c);
	const uint8_t *name = bld_cur_bytes(&c, name_len);
	uint8_t state = bld_cur_u8(&c);
	if (c.err) {
		raise_once(d, BLD_EVENT_ENIP_BAD_LENGTH);
		return;
	}
	bld_op_uint(op, "encap_version", version);
	emit_ipv4(op, "socket_ip", addr);
	bld_op_uint(op, "socket_port", port);
	bld_op_uint(op, "vendor_id", vendor);
	bld_op_uint(op, "device_type", devtype);
	bld_op_uint(op, "product_code", product);
	bld_op_uint(op, "revision_major", major);
	bld_op_uint(op, "revision_minor", minor);
	bld_op_uint(op, "device_status", status);
	bld_op_uint(op, "serial_number", serial);
	bld_op_text(op, "product_name", name, name_len);
	bld_op_uint(op, "state", state);
}

/* ListServices reply items 0x0100 (Vol 2 §2-4, ListServices): version(2) capability flags(2) name(16, NUL padded). */
static void services_items(struct pdu *d, const struct cpf *f)
{
	struct bld_op *op = d->op;
	uint32_t kept = f->n < ENIP_MAX_ITEMS ? f->n : ENIP_MAX_ITEMS;
	bool any = false;
	for (uint32_t i = 0; i < kept; i++) {
		const struct cpf_item *it = &f->item[i];
		if (it->type != ITEM_SERVICES)
			continue;
		if (!any)
			bld_op_list(op, "services");
		any = true;
		struct bld_cur c = bld_cur_make(it->p, it->len);
		uint16_t version = bld_cur_le16(&c), caps = bld_cur_le16(&c);
		const uint8_t *name = bld_cur_bytes(&c, 16);
		if (!name) {
			raise_once(d, BLD_EVENT_ENIP_BAD_LENGTH);
			continue;
		}
		uint32_t n = 0;
		while (n < 16 && name[n])
			n++;
		bld_op_object(op, NULL);
		bld_op_uint(op, "version", version);
		bld_op_uint(op, "capabilities", caps);
		bld_op_text(op, "name", name, n);
		bld_op_end(op);
	}
	if (any)
		bld_op_end(op);
}

static void send_data_emit(struct pdu *d, struct msg *m, enum bld_op_dir dir, struct cip_info *info)
{
	struct bld_op *op = d->op;
	if (!m->send_fixed) {
		/* Only an error reply may omit the data (Vol 2 §2-3, status). */
		if (m->length || m->status == 0)
			raise_once(d, BLD_EVENT_ENIP_BAD_LENGTH);
		return;
	}
	bld_op_uint(op, "interface_handle", m->interface_handle);
	bld_op_uint(op, "timeout", m->timeout);
	if (!m->has_cpf) {
		raise_once(d, BLD_EVENT_ENIP_BAD_LENGTH);
		return;
	}
	emit_cpf(d, &m->cpf);
	/* Vol 2 §2-6: unconnected = null address + unconnected data; connected = 0x00A1 + 0x00B1. */
	bool rr = m->command == CMD_SEND_RR_DATA;
	bool addr_ok = m->cpf.n >= 2 && m->cpf.item[0].type == (rr ? ITEM_NULL : ITEM_CONNECTED_ADDRESS) &&
		       m->cpf.item[0].len == (rr ? 0 : 4);
	bool data_ok = m->cpf.n >= 2 && m->cpf.item[1].type == (rr ? ITEM_UNCONNECTED_DATA : ITEM_CONNECTED_DATA);
	if (!addr_ok || !data_ok || !m->has_cip)
		raise_once(d, BLD_EVENT_ENIP_BAD_CPF);
	if (m->has_conn_id)
		bld_op_uint(op, "connection_id", m->conn_id);
	if (m->has_seq)
		bld_op_uint(op, "cip_sequence", m->cip_seq);
	if (!m->has_cip)
		return;
	if (dir == BLD_OP_REQUEST)
		cip_request(d, &m->cip, 0, true, info);
	else
		cip_response(d, &m->cip, 0, true, info);
}

static void body_emit(struct pdu *d, struct enip_state *st, struct msg *m, enum bld_op_dir dir,
		      struct cip_info *info)
{
	struct bld_op *op = d->op;
	struct bld_cur c = m->body;
	switch (m->command) {
	case CMD_LIST_IDENTITY:
	case CMD_LIST_SERVICES:
	case CMD_LIST_INTERFACES: {
		if (dir == BLD_OP_REQUEST) {
			if (m->length)
				raise_once(d, BLD_EVENT_ENIP_BAD_LENGTH);
			break;
		}
		if (!m->length)
			break; /* an error reply */
		struct cpf f;
		cpf_read(&c, &f);
		emit_cpf(d, &f);
		if (m->command == CMD_LIST_IDENTITY) {
			const struct cpf_item *it = cpf_find(&f, ITEM_IDENTITY);
			if (it)
				identity_item(d, it);
		} else if (m->command == CMD_LIST_SERVICES) {
			services_items(d, &f);
		}
		break;
	}
	case CMD_REGISTER_SESSION: {
		/* protocol version(2) options(2), both ways (Vol 2 §2-4, RegisterSession). */
		uint16_t version = bld_cur_le16(&c), flags = bld_cur_le16(&c);
		if (m->length != 4) {
			if (m->length || m->status == 0)
				raise_once(d, BLD_EVENT_ENIP_BAD_LENGTH);
			break;
		}
		bld_op_uint(op, "protocol_version", version);
		bld_op_uint(op, "option_flags", flags);
		if (dir == BLD_OP_RESPONSE && m->status == 0) {
			st->session = m->session;
			st->has_session = true;
		}
		break;
	}
	case CMD_UNREGISTER_SESSION:
		if (m->length)
			raise_once(d, BLD_EVENT_ENIP_BAD_LENGTH);
		break;
	case CMD_SEND_RR_DATA:
	case CMD_SEND_UNIT_DATA:
		send_data_emit(d, m, dir, info);
		break;
	default:
		break; /* NOP data is ignored (Vol 2 §2-4); IndicateStatus and Cancel are not specified */
	}
}

/* Connected I/O on UDP 2222: one datagram = one CPF packet (Vol 2 ch. 3). */
static struct bld_parse_result parse_io(struct pdu *d, const uint8_t *data, uint32_t len)
{
	struct bld_cur c = bld_cur_make(data, len);
	struct cpf f;
	cpf_read(&c, &f);
	/* The producer publishes, nobody asks: a request (op.h). */
	struct bld_op *op = d->op = bld_op_begin(d->pc, BLD_OP_REQUEST);
	bld_op_bool(op, "io", true);
	emit_cpf(d, &f);
	const struct cpf_item *a = cpf_find(&f, ITEM_SEQUENCED_ADDRESS);
	const struct cpf_item *it = cpf_find(&f, ITEM_CONNECTED_DATA);
	if (a && a->len == 8) {
		struct bld_cur ac = bld_cur_make(a->p, a->len);
		uint32_t id = bld_cur_le32(&ac), seq = bld_cur_le32(&ac);
		bld_op_uint(op, "connection_id", id);
		bld_op_uint(op, "encap_sequence", seq);
	} else {
		raise_once(d, BLD_EVENT_ENIP_BAD_CPF);
	}
	/* Class 1 data starts with a 16-bit sequence count; the class is in the Forward Open, so assumed. */
	if (it && it->len >= 2) {
		struct bld_cur dc = bld_cur_make(it->p, it->len);
		bld_op_uint(op, "cip_sequence", bld_cur_le16(&dc));
		bld_op_uint(op, "data_length", bld_cur_left(&dc));
	} else {
		raise_once(d, it ? BLD_EVENT_ENIP_BAD_LENGTH : BLD_EVENT_ENIP_BAD_CPF);
	}
	bld_op_emit(d->pc);
	return bld_parse_ok(len);
}

static bool is_io_datagram(const uint8_t *data, uint32_t len)
{
	/* The first CPF item is a sequenced address; in an encapsulation header this would be the length. */
	struct bld_cur c = bld_cur_make(data, len);
	bld_cur_skip(&c, 2);
	return bld_cur_le16(&c) == ITEM_SEQUENCED_ADDRESS && !c.err;
}

static struct bld_parse_result enip_parse(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len)
{
	struct enip_state *st = pc->state;
	struct pdu d = { .pc = pc, .op = pc->op };
	if (pc->datagram && is_io_datagram(data, len))
		return parse_io(&d, data, len);

	struct bld_cur c = bld_cur_make(data, len);
	struct msg m = { 0 };
	m.command = bld_cur_le16(&c);
	m.length = bld_cur_le16(&c);
	m.session = bld_cur_le32(&c);
	m.status = bld_cur_le32(&c);
	m.context = bld_cur_bytes(&c, 8);
	m.options = bld_cur_le32(&c);
	if (c.err) {
		if (pc->datagram)
			bld_event(pc, BLD_EVENT_ENIP_TRUNCATED);
		return bld_parse_incomplete(ENIP_HEADER_LEN);
	}
	/* Framing lost: a length no encapsulation message has, or garbage where a header should be. */
	if (m.length > ENIP_MAX_LENGTH) {
		bld_event(pc, BLD_EVENT_ENIP_BAD_LENGTH);
		return bld_parse_error(pc->datagram ? len : 1);
	}
	if (!known_command(m.command) && m.options != 0) {
		bld_event(pc, BLD_EVENT_ENIP_ILLEGAL_COMMAND);
		return bld_parse_error(pc->datagram ? len : 1);
	}
	uint32_t total = ENIP_HEADER_LEN + (uint32_t)m.length;
	m.body = bld_cur_take(&c, m.length);
	if (c.err) {
		if (pc->datagram)
			bld_event(pc, BLD_EVENT_ENIP_TRUNCATED);
		return bld_parse_incomplete(total);
	}
	m.context_key = context_key(m.context, m.command);
	if (m.command == CMD_SEND_RR_DATA || m.command == CMD_SEND_UNIT_DATA)
		send_data_read(&m);

	enum bld_op_dir dir = msg_dir(pc, &m);
	struct bld_op *op = d.op = bld_op_begin(pc, dir);
	bld_op_uint(op, "command", m.command);
	const char *name = command_name(m.command);
	if (name)
		bld_op_cstr(op, "command_name", name);
	bld_op_uint(op, "length", m.length);
	bld_op_uint(op, "session_handle", m.session);
	bld_op_uint(op, "status", m.status);
	bld_op_hex(op, "sender_context", m.context, 8);
	if (m.options)
		bld_op_uint(op, "options", m.options);

	/* The response's reading depends on its request: pair first. */
	struct cip_info info = { 0 };
	bool paired = false;
	if (dir == BLD_OP_RESPONSE) {
		uint64_t v = 0;
		if (m.command == CMD_SEND_UNIT_DATA) {
			if (m.has_seq)
				paired = bld_txn_response(pc, &st->connected, m.cip_seq, &v);
		} else if (answered(m.command)) {
			paired = bld_txn_response(pc, &st->encap, m.context_key, &v);
		}
		if (paired)
			info = info_unpack(v);
		/* Broadcast discovery: a ListIdentity request to 255.255.255.255 is another flow. */
		bool expected = m.command == CMD_SEND_UNIT_DATA ? m.has_seq : answered(m.command);
		if (!paired && expected && !(pc->datagram && is_list_command(m.command)))
			raise_once(&d, BLD_EVENT_ENIP_RESPONSE_WITHOUT_REQUEST);
	}

	body_emit(&d, st, &m, dir, &info);

	if (dir == BLD_OP_REQUEST) {
		if (m.command == CMD_SEND_UNIT_DATA && m.has_seq && m.has_cip)
			bld_txn_request(pc, &st->connected, m.cip_seq, info_pack(&info));
		else if (answered(m.command))
			bld_txn_request(pc, &st->encap, m.context_key, info_pack(&info));
	}

	/* Session handle checks (Vol 2 §2-5): every message of a session carries the handle it was given. */
	if (st->has_session && m.session != st->session &&
	    (m.command == CMD_SEND_RR_DATA || m.command == CMD_SEND_UNIT_DATA || m.command == CMD_UNREGISTER_SESSION))
		raise_once(&d, BLD_EVENT_ENIP_SESSION_MISMATCH);
	if (m.command == CMD_UNREGISTER_SESSION)
		st->has_session = false;

	if (!name)
		raise_once(&d, BLD_EVENT_ENIP_ILLEGAL_COMMAND);
	if (m.status)
		raise_once(&d, BLD_EVENT_ENIP_ERROR_STATUS);
	if (m.options)
		raise_once(&d, BLD_EVENT_ENIP_NONZERO_OPTIONS);
	/* One encapsulation message per datagram (Vol 2 §2-2, UDP): trailing bytes are not another one. */
	if (pc->datagram && len > total)
		raise_once(&d, BLD_EVENT_ENIP_BAD_LENGTH);
	bld_op_emit(pc);
	return bld_parse_ok(pc->datagram ? len : total);
}

/* Free what the request tables hold. */
static void enip_state_fini(void *state)
{
	struct enip_state *st = state;
	bld_txn_fini(&st->encap);
	bld_txn_fini(&st->connected);
}

/* ---- what policies may constrain (fields.h; docs/policy-protocols.md) ---- */

static const char *field_command_name(uint64_t v)
{
	return v <= UINT16_MAX ? command_name((uint16_t)v) : NULL;
}

/*
 * One name per number, though services from 0x4B on mean what their class
 * says: the Connection Manager's names win (0x4E forward_close, 0x52
 * unconnected_send), then the Logix tag services', then PCCC's.  Policies
 * compare numbers, so read_modify_write_tag (0x4E) and read_tag_fragmented
 * (0x52) are written as numbers, with `class` or `tag` to tell them apart.
 */
static const char *field_service_name(uint64_t v)
{
	static const struct cip_class targets[] = {
		{ .known = true, .id = CLASS_CONNECTION_MANAGER },
		{ .known = true, .id = CLASS_SYMBOL },
		{ .known = true, .id = CLASS_PCCC },
	};
	if (v > 0x7F)
		return NULL;
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		const char *name = service_name((uint8_t)v, &targets[i]);
		if (name)
			return name;
	}
	return NULL;
}

/*
 * A CIP request is judged with the requests it carries: an Unconnected
 * Send's `embedded` request and a Multiple Service Packet's `services`,
 * nested as deep as they are decoded (ENIP_MAX_NEST), collected under the
 * same keys as the top level's.
 */
#define CIP_NESTED(k, kd, f, mx, nm, d)                                                                     \
	{ .key = k, .kind = kd, .path = "embedded." f, .max = mx, .name = nm, .doc = d " (unconnected_send)" }, \
	{ .key = k, .kind = kd, .path = "services." f, .max = mx, .name = nm,                                  \
	  .doc = d " (multiple_service_packet)" },                                                             \
	{ .key = k, .kind = kd, .path = "embedded.services." f, .max = mx, .name = nm,                         \
	  .doc = d " (multiple_service_packet in unconnected_send)" },                                         \
	{ .key = k, .kind = kd, .path = "services.embedded." f, .max = mx, .name = nm,                         \
	  .doc = d " (unconnected_send in multiple_service_packet)" }

#define CIP_PATHS(k, kd, f, mx, d) \
	{ .key = k, .kind = kd, .path = f, .max = mx, .doc = d }, CIP_NESTED(k, kd, f, mx, NULL, d)

static const struct bld_field_spec enip_fields[] = {
	{ .key = "service", .kind = BLD_FIELD_SET, .path = "cip_service", .max = 0x7F, .name = field_service_name,
	  .doc = "CIP service code, e.g. get_attribute_single, set_attribute_single, read_tag, forward_open" },
	CIP_NESTED("service", BLD_FIELD_SET, "service", 0x7F, field_service_name, "CIP service code"),
	{ .key = "command", .kind = BLD_FIELD_SET, .path = "command", .max = UINT16_MAX, .name = field_command_name,
	  .doc = "encapsulation command, e.g. register_session, send_rr_data, list_identity" },
	CIP_PATHS("class", BLD_FIELD_SET, "class", UINT32_MAX, "CIP class id of the request path"),
	CIP_PATHS("instance", BLD_FIELD_SET, "instance", UINT32_MAX, "CIP instance id of the request path"),
	CIP_PATHS("attribute", BLD_FIELD_SET, "attribute", UINT32_MAX, "CIP attribute id of the request path"),
	/* A get_attribute_list two levels down is not decoded (ENIP_MAX_NEST): its ids are not there. */
	{ .key = "attribute", .kind = BLD_FIELD_SET, .path = "attributes", .max = UINT32_MAX,
	  .doc = "attribute ids of get_attribute_list" },
	{ .key = "attribute", .kind = BLD_FIELD_SET, .path = "embedded.attributes", .max = UINT32_MAX,
	  .doc = "attribute ids of get_attribute_list (unconnected_send)" },
	{ .key = "attribute", .kind = BLD_FIELD_SET, .path = "services.attributes", .max = UINT32_MAX,
	  .doc = "attribute ids of get_attribute_list (multiple_service_packet)" },
	CIP_PATHS("tag", BLD_FIELD_TEXT, "tag", 0, "Logix tag of a symbolic path, e.g. Program:Main.Speed"),
};

#undef CIP_PATHS
#undef CIP_NESTED

const struct bld_dissector bld_dsc_enip = {
	.name = "enip",
	.description = "EtherNet/IP + CIP",
	.transports = BLD_TRANSPORT_TCP | BLD_TRANSPORT_UDP,
	.ports = { 44818, 2222 },
	.probe = enip_probe,
	.parse = enip_parse,
	.state_size = sizeof(struct enip_state),
	.state_fini = enip_state_fini,
	.fields = enip_fields,
	.n_fields = sizeof(enip_fields) / sizeof(enip_fields[0]),
};
