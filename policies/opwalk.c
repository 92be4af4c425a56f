/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Walking an operation record (op.h) by the dotted paths of the dissectors'
 * policy fields (fields.h): shared by the evaluator, which judges the values
 * it finds, and the learner, which collects them.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdull;
	return h ^ h >> 33;
}


/* Visit every value at path inside the fields [from, to) of one object level. */
void pol_walk(const struct bld_op *op, uint32_t from, uint32_t to, const char *path, pol_visit_fn fn, void *ctx)
{
	const char *dot = strchr(path, '.');
	size_t seg = dot ? (size_t)(dot - path) : strlen(path);
	for (uint32_t i = from; i < to; i++) {
		const struct bld_op_field *f = &op->f[i];
		/* names are literals: the first byte rules out almost every field before a compare */
		bool hit = f->name && f->name[0] == path[0] &&
			   (f->name == path || (strncmp(f->name, path, seg) == 0 && f->name[seg] == 0));
		bool box = f->type == BLD_OPF_LIST || f->type == BLD_OPF_OBJECT;
		if (hit) {
			if (!dot && !box) {
				fn(ctx, op, f, from, to);
			} else if (f->type == BLD_OPF_OBJECT && dot) {
				pol_walk(op, i + 1, i + f->len, dot + 1, fn, ctx);
			} else if (f->type == BLD_OPF_LIST) {
				/* elements: scalars (the values themselves) or objects (descend) */
				for (uint32_t e = i + 1; e < i + f->len; e++) {
					const struct bld_op_field *x = &op->f[e];
					if (x->type == BLD_OPF_OBJECT) {
						if (dot)
							pol_walk(op, e + 1, e + x->len, dot + 1, fn, ctx);
						e += x->len;
					} else if (x->type == BLD_OPF_LIST) {
						e += x->len;
					} else if (!dot && x->type != BLD_OPF_END) {
						fn(ctx, op, x, i + 1, i + f->len);
					}
				}
			}
		}
		if (box)
			i += f->len;
	}
}

bool pol_num(const struct bld_op_field *f, double *d, uint64_t *u, bool *is_uint)
{
	*is_uint = false;
	switch (f->type) {
	case BLD_OPF_UINT:
		*u = f->v.u;
		*d = (double)f->v.u;
		*is_uint = true;
		return true;
	case BLD_OPF_INT:
		*d = (double)f->v.i;
		if (f->v.i >= 0) {
			*u = (uint64_t)f->v.i;
			*is_uint = true;
		}
		return true;
	case BLD_OPF_BOOL:
		*u = f->v.b;
		*d = f->v.b;
		*is_uint = true;
		return true;
	case BLD_OPF_REAL:
		*d = f->v.d;
		return true;
	default:
		return false;
	}
}

const struct bld_op_field *pol_sibling(const struct bld_op *op, uint32_t from, uint32_t to, const char *path)
{
	const char *last = strrchr(path, '.');
	last = last ? last + 1 : path;
	for (uint32_t i = from; i < to; i++) {
		const struct bld_op_field *f = &op->f[i];
		if (f->name && strcmp(f->name, last) == 0)
			return f;
		if (f->type == BLD_OPF_LIST || f->type == BLD_OPF_OBJECT)
			i += f->len;
	}
	return NULL;
}


struct brief {
	char *buf;
	size_t len, used;
	unsigned values;
	uint64_t sig;
	bool sig_field;
};

static void put(struct brief *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct brief *b, const char *fmt, ...)
{
	if (b->used >= b->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(b->buf + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->used = b->used + (size_t)k < b->len ? b->used + (size_t)k : b->len - 1;
}

static void visit_brief(void *ctx, const struct bld_op *op, const struct bld_op_field *f, uint32_t from, uint32_t to)
{
	(void)from;
	(void)to;
	struct brief *b = ctx;
	b->values++;
	if (b->values > 4) {
		if (b->values == 5)
			put(b, ",...");
		return;
	}
	if (b->values > 1)
		put(b, ",");
	char num[48];
	switch (f->type) {
	case BLD_OPF_UINT:
		put(b, "%" PRIu64, f->v.u);
		break;
	case BLD_OPF_INT:
		put(b, "%" PRId64, f->v.i);
		break;
	case BLD_OPF_BOOL:
		put(b, "%s", f->v.b ? "true" : "false");
		break;
	case BLD_OPF_REAL:
		bld_op_real_text(f, num, sizeof(num));
		put(b, "%s", num);
		break;
	case BLD_OPF_TEXT:
		put(b, "%.*s", (int)(f->len < 48 ? f->len : 48), op->text + f->v.off);
		break;
	default:
		put(b, "?");
	}
	if (b->sig_field) {
		if (f->type == BLD_OPF_TEXT)
			for (uint32_t i = 0; i < f->len; i++)
				b->sig = mix(b->sig, (uint8_t)op->text[f->v.off + i]);
		else
			b->sig = mix(b->sig, f->v.u);
	}
}

uint64_t pol_op_sig(const struct bld_dissector *dsc, const struct bld_op *op)
{
	return pol_op_brief(dsc, op, NULL, 0);   /* nothing formatted: put() writes only where there is room */
}

bool pol_key_first(const struct bld_dissector *dsc, uint32_t i)
{
	for (uint32_t j = 0; j < i; j++)
		if (strcmp(dsc->fields[j].key, dsc->fields[i].key) == 0)
			return false;
	return true;
}

/* "function=6 address=40 value=0", and a signature of what was asked (every key but values). */
uint64_t pol_op_brief(const struct bld_dissector *dsc, const struct bld_op *op, char *buf, size_t len)
{
	struct brief b = { .buf = buf, .len = len, .sig = mix(0xb1, op->dir) };
	if (len)
		buf[0] = 0;
	for (uint32_t i = 0; i < dsc->n_fields; i++) {
		if (!pol_key_first(dsc, i))
			continue;
		size_t mark = b.used;
		put(&b, "%s%s=", b.used ? " " : "", dsc->fields[i].key);
		b.values = 0;
		b.sig_field = dsc->fields[i].kind != BLD_FIELD_VALUE;
		for (uint32_t j = i; j < dsc->n_fields; j++)
			if (strcmp(dsc->fields[j].key, dsc->fields[i].key) == 0)
				pol_walk(op, 0, op->n_fields, dsc->fields[j].path, visit_brief, &b);
		if (!b.values && len) {   /* the key is not in this op: take its name back out */
			b.used = mark;
			buf[mark] = 0;
		}
	}
	return b.sig ? b.sig : 1;
}


static void visit_any(void *ctx, const struct bld_op *op, const struct bld_op_field *f, uint32_t from, uint32_t to)
{
	(void)op;
	(void)f;
	(void)from;
	(void)to;
	*(bool *)ctx = true;
}

bool pol_op_judged(const struct bld_dissector *dsc, const struct bld_op *op)
{
	const struct bld_op_field *k = bld_op_get(op, dsc->fields[0].path);
	if (k)
		return true;
	bool found = false;
	for (uint32_t i = 0; i < dsc->n_fields && !found; i++) {
		uint8_t kind = dsc->fields[i].kind;
		if (kind == BLD_FIELD_SET || kind == BLD_FIELD_SPAN || kind == BLD_FIELD_TEXT)
			pol_walk(op, 0, op->n_fields, dsc->fields[i].path, visit_any, &found);
	}
	return found;
}
