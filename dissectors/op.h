/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Operation records: what one PDU does, as typed fields.
 *
 * A parser fills the scratch record of its parse context and emits it; the
 * sink (the engine, a test, a fuzzer) sees a complete record and turns it
 * into a JSON line (--ops), a policy verdict or a learned rule.  Fields are a
 * flat sequence with LIST and OBJECT markers closed by END, like a JSON
 * token stream, so one record needs no allocation and a consumer walks it
 * front to back:
 *
 *     struct bld_op *op = bld_op_begin(pc, BLD_OP_REQUEST);
 *     bld_op_uint(op, "function", fc);
 *     bld_op_list(op, "items");
 *     bld_op_object(op, NULL);   bld_op_uint(op, "db", 1);   bld_op_end(op);
 *     bld_op_end(op);
 *     bld_op_emit(pc);
 *
 * Field names are string literals (policies compare them).  Hard cap: a
 * record holds BLD_OP_MAX_FIELDS fields and BLD_OP_MAX_TEXT bytes of text;
 * what does not fit is left out, the record says so (overflow) and the
 * event app.op_capacity is raised: never unbounded memory.
 */
#ifndef BLD_OP_H
#define BLD_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissector.h"
#include "events.h"

#define BLD_OP_MAX_FIELDS 512
#define BLD_OP_MAX_TEXT 4096
#define BLD_OP_MAX_DEPTH 8

enum bld_op_dir {
	BLD_OP_REQUEST,          /* asks (or commands, or publishes unsolicited data) */
	BLD_OP_RESPONSE,         /* answers */
};

extern const char *const bld_op_dir_names[2];

enum bld_op_type {
	BLD_OPF_UINT,
	BLD_OPF_INT,
	BLD_OPF_BOOL,
	BLD_OPF_REAL,            /* measured values, set points: IEEE 754 floats as sent */
	BLD_OPF_TEXT,            /* bytes as sent (JSON output escapes them) */
	BLD_OPF_HEX,             /* bytes shown as hex */
	BLD_OPF_LIST,            /* elements follow, unnamed, up to the matching END */
	BLD_OPF_OBJECT,          /* named fields follow up to the matching END */
	BLD_OPF_END,
};

struct bld_op_field {
	const char *name;        /* NULL for list elements and END */
	uint8_t type;            /* enum bld_op_type */
	uint32_t len;            /* TEXT, HEX: bytes at op->text + v.off; LIST, OBJECT: fields inside;
				  * REAL: 4 for a single-precision source, else 8 */
	union {
		uint64_t u;
		int64_t i;
		bool b;
		double d;
		uint32_t off;
	} v;
};

struct bld_op {
	const char *proto;       /* the dissector's name */
	uint64_t ts_ns;
	uint64_t response_time_ns;    /* responses paired with their request (txn.h) */
	bool has_response_time;
	bool to_server;          /* sent by the flow's client */
	uint8_t dir;             /* enum bld_op_dir */
	bool overflow;           /* fields were left out at the cap */
	uint16_t n_fields;
	uint8_t depth;
	uint16_t open[BLD_OP_MAX_DEPTH];
	uint32_t text_used;
	struct bld_op_field f[BLD_OP_MAX_FIELDS];
	char text[BLD_OP_MAX_TEXT];
};

/* Where a parser's operations and events go. */
struct bld_sink {
	void (*op)(void *ctx, const struct bld_op *op);
	void (*event)(void *ctx, enum bld_event ev, uint64_t ts_ns, bool to_server);
	void *ctx;
};

/* What the framework hands a parser with each call. */
struct bld_parse_ctx {
	const struct bld_dissector *dsc;
	void *state;             /* the flow's dissector state (dsc->state_size bytes) */
	uint64_t ts_ns;          /* time of the packet that completed the bytes */
	bool to_server;          /* the bytes flow client -> server */
	bool datagram;           /* the bytes are one datagram or frame, not a stream */
	struct bld_op *op;       /* scratch record */
	const struct bld_sink *sink;
	const void *config;      /* the dissector's site settings (its config_default unless the policy says) */
};

/* Start a new record in pc->op (any unemitted one is discarded). */
struct bld_op *bld_op_begin(struct bld_parse_ctx *pc, enum bld_op_dir dir);

void bld_op_uint(struct bld_op *op, const char *name, uint64_t v);
void bld_op_int(struct bld_op *op, const char *name, int64_t v);
void bld_op_bool(struct bld_op *op, const char *name, bool v);
void bld_op_real(struct bld_op *op, const char *name, double v);
/* A single-precision value (IEC 104 short floats, OPC UA Float): shown with the digits a float has. */
void bld_op_real32(struct bld_op *op, const char *name, float v);

/* The shortest decimal that reads back as v (len 4: as the float v came from); "nan", "inf", "-inf" otherwise. */
void bld_op_real_text(const struct bld_op_field *f, char *buf, size_t len);
void bld_op_text(struct bld_op *op, const char *name, const void *s, uint32_t len);
void bld_op_cstr(struct bld_op *op, const char *name, const char *s);
void bld_op_hex(struct bld_op *op, const char *name, const void *p, uint32_t len);
void bld_op_list(struct bld_op *op, const char *name);
void bld_op_object(struct bld_op *op, const char *name);
void bld_op_end(struct bld_op *op);

/* Close what is open and hand the record to the sink. */
void bld_op_emit(struct bld_parse_ctx *pc);

/* Raise a protocol event (counted, and reported with the flow). */
void bld_event(struct bld_parse_ctx *pc, enum bld_event ev);

/* The top-level field `name`, or NULL. */
const struct bld_op_field *bld_op_get(const struct bld_op *op, const char *name);

/*
 * One line for tests and debugging: "request transaction=1 function=3
 * items=[{db=1 area=0x84}] name=\"CPU\" data=0a0b" (truncated to len - 1).
 * Returns the length it would have had.
 */
size_t bld_op_format(const struct bld_op *op, char *buf, size_t len);

#endif /* BLD_OP_H */
