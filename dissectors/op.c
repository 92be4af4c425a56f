/* SPDX-License-Identifier: BSD-3-Clause */
#include "op.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const bld_op_dir_names[2] = { "request", "response" };

struct bld_op *bld_op_begin(struct bld_parse_ctx *pc, enum bld_op_dir dir)
{
	struct bld_op *op = pc->op;
	op->proto = pc->dsc ? pc->dsc->name : "";
	op->ts_ns = pc->ts_ns;
	op->response_time_ns = 0;
	op->has_response_time = false;
	op->to_server = pc->to_server;
	op->dir = (uint8_t)dir;
	op->overflow = false;
	op->n_fields = 0;
	op->depth = 0;
	op->text_used = 0;
	return op;
}

/*
 * Room for one more field, keeping one slot per open container for its END
 * so that a record is always well nested.
 */
static struct bld_op_field *add(struct bld_op *op, const char *name, enum bld_op_type type)
{
	if (op->overflow || op->n_fields + op->depth + 1u >= BLD_OP_MAX_FIELDS) {
		op->overflow = true;
		return NULL;
	}
	struct bld_op_field *f = &op->f[op->n_fields++];
	f->name = name;
	f->type = (uint8_t)type;
	f->len = 0;
	f->v.u = 0;
	return f;
}

void bld_op_uint(struct bld_op *op, const char *name, uint64_t v)
{
	struct bld_op_field *f = add(op, name, BLD_OPF_UINT);
	if (f)
		f->v.u = v;
}

void bld_op_int(struct bld_op *op, const char *name, int64_t v)
{
	struct bld_op_field *f = add(op, name, BLD_OPF_INT);
	if (f)
		f->v.i = v;
}

void bld_op_bool(struct bld_op *op, const char *name, bool v)
{
	struct bld_op_field *f = add(op, name, BLD_OPF_BOOL);
	if (f)
		f->v.b = v;
}

void bld_op_real(struct bld_op *op, const char *name, double v)
{
	struct bld_op_field *f = add(op, name, BLD_OPF_REAL);
	if (f) {
		f->v.d = v;
		f->len = 8;
	}
}

void bld_op_real32(struct bld_op *op, const char *name, float v)
{
	struct bld_op_field *f = add(op, name, BLD_OPF_REAL);
	if (f) {
		f->v.d = v;
		f->len = 4;
	}
}

void bld_op_real_text(const struct bld_op_field *f, char *buf, size_t len)
{
	double v = f->v.d;
	if (v != v) {
		snprintf(buf, len, "nan");
		return;
	}
	if (v - v != 0) {
		snprintf(buf, len, v > 0 ? "inf" : "-inf");
		return;
	}
	for (int digits = f->len == 4 ? 6 : 15; digits <= 17; digits++) {
		snprintf(buf, len, "%.*g", digits, v);
		double back = strtod(buf, NULL);
		if (f->len == 4 ? (float)back == (float)v : back == v)
			return;
	}
}

static void add_bytes(struct bld_op *op, const char *name, enum bld_op_type type, const void *p, uint32_t len)
{
	if (len > BLD_OP_MAX_TEXT - op->text_used) {
		op->overflow = true;
		return;
	}
	struct bld_op_field *f = add(op, name, type);
	if (!f)
		return;
	f->v.off = op->text_used;
	f->len = len;
	if (len)
		memcpy(op->text + op->text_used, p, len);
	op->text_used += len;
}

void bld_op_text(struct bld_op *op, const char *name, const void *s, uint32_t len)
{
	add_bytes(op, name, BLD_OPF_TEXT, s, len);
}

void bld_op_cstr(struct bld_op *op, const char *name, const char *s)
{
	add_bytes(op, name, BLD_OPF_TEXT, s, (uint32_t)strlen(s));
}

void bld_op_hex(struct bld_op *op, const char *name, const void *p, uint32_t len)
{
	add_bytes(op, name, BLD_OPF_HEX, p, len);
}

static void open_container(struct bld_op *op, const char *name, enum bld_op_type type)
{
	/* A container that does not fit is still opened, so its END stays balanced. */
	if (op->depth >= BLD_OP_MAX_DEPTH) {
		op->overflow = true;
		if (op->depth < UINT8_MAX)
			op->depth++; /* counted, never indexed */
		return;
	}
	uint16_t at = op->n_fields;
	if (!add(op, name, type))
		at = UINT16_MAX;
	op->open[op->depth++] = at;
}

void bld_op_list(struct bld_op *op, const char *name)
{
	open_container(op, name, BLD_OPF_LIST);
}

void bld_op_object(struct bld_op *op, const char *name)
{
	open_container(op, name, BLD_OPF_OBJECT);
}

void bld_op_end(struct bld_op *op)
{
	if (op->depth == 0)
		return; /* unbalanced END: a dissector bug, ignored rather than corrupting the record */
	op->depth--;
	if (op->depth >= BLD_OP_MAX_DEPTH)
		return;
	uint16_t at = op->open[op->depth];
	if (at == UINT16_MAX)
		return; /* the container itself did not fit */
	/* The slot for this END was reserved by add(). */
	struct bld_op_field *f = &op->f[op->n_fields++];
	f->name = NULL;
	f->type = BLD_OPF_END;
	f->len = 0;
	f->v.u = 0;
	op->f[at].len = op->n_fields - at - 1u;
}

void bld_op_emit(struct bld_parse_ctx *pc)
{
	struct bld_op *op = pc->op;
	while (op->depth)
		bld_op_end(op);
	if (op->overflow)
		bld_event(pc, BLD_EVENT_APP_OP_CAPACITY);
	if (pc->sink && pc->sink->op)
		pc->sink->op(pc->sink->ctx, op);
}

void bld_event(struct bld_parse_ctx *pc, enum bld_event ev)
{
	if (pc->sink && pc->sink->event)
		pc->sink->event(pc->sink->ctx, ev, pc->ts_ns, pc->to_server);
}

const struct bld_op_field *bld_op_get(const struct bld_op *op, const char *name)
{
	for (uint32_t i = 0; i < op->n_fields; i++) {
		const struct bld_op_field *f = &op->f[i];
		/* names are literals: the same pointer more often than not, and the first byte rules out most */
		if (f->name && (f->name == name || (f->name[0] == name[0] && strcmp(f->name, name) == 0)))
			return f;
		if (f->type == BLD_OPF_LIST || f->type == BLD_OPF_OBJECT)
			i += f->len; /* skip the container's contents and its END */
	}
	return NULL;
}

/* snprintf that keeps counting past the end of buf. */
struct out {
	char *buf;
	size_t len, n;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->n < o->len ? o->len - o->n : 0;
	int k = vsnprintf(room ? o->buf + o->n : NULL, room, fmt, ap);
	va_end(ap);
	if (k > 0)
		o->n += (size_t)k;
}

size_t bld_op_format(const struct bld_op *op, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	if (len)
		buf[0] = '\0';
	put(&o, "%s", bld_op_dir_names[op->dir & 1]);
	bool first_in_container = false;
	const char *closer[BLD_OP_MAX_DEPTH];
	unsigned depth = 0;
	for (uint32_t i = 0; i < op->n_fields; i++) {
		const struct bld_op_field *f = &op->f[i];
		if (f->type == BLD_OPF_END) {
			if (depth > 0)
				put(&o, "%s", closer[--depth]);
			first_in_container = false;
			continue;
		}
		if (!first_in_container)
			put(&o, " ");
		first_in_container = false;
		if (f->name)
			put(&o, "%s=", f->name);
		const uint8_t *t = (const uint8_t *)op->text + f->v.off;
		switch (f->type) {
		case BLD_OPF_UINT:
			put(&o, "%llu", (unsigned long long)f->v.u);
			break;
		case BLD_OPF_INT:
			put(&o, "%lld", (long long)f->v.i);
			break;
		case BLD_OPF_BOOL:
			put(&o, "%s", f->v.b ? "true" : "false");
			break;
		case BLD_OPF_REAL: {
			char num[40];
			bld_op_real_text(f, num, sizeof(num));
			put(&o, "%s", num);
			break;
		}
		case BLD_OPF_TEXT:
			put(&o, "\"");
			for (uint32_t k = 0; k < f->len; k++)
				put(&o, t[k] >= 0x20 && t[k] < 0x7f && t[k] != '"' && t[k] != '\\' ? "%c" : "\\x%02x",
				    t[k]);
			put(&o, "\"");
			break;
		case BLD_OPF_HEX:
			for (uint32_t k = 0; k < f->len; k++)
				put(&o, "%02x", t[k]);
			break;
		case BLD_OPF_LIST:
			put(&o, "[");
			if (depth < BLD_OP_MAX_DEPTH)
				closer[depth++] = "]";
			first_in_container = true;
			break;
		case BLD_OPF_OBJECT:
			put(&o, "{");
			if (depth < BLD_OP_MAX_DEPTH)
				closer[depth++] = "}";
			first_in_container = true;
			break;
		}
	}
	if (op->overflow)
		put(&o, " (overflow)");
	return o.n;
}
