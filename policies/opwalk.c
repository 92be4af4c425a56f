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
bool pol_path_parse(const char *path, struct pol_path *p)
{
	size_t len = strlen(path);
	if (len >= sizeof(p->buf))
		return false;
	memcpy(p->buf, path, len + 1);
	p->n = 0;
	for (char *s = p->buf;;) {
		if (p->n == POL_PATH_MAX)
			return false;
		p->seg[p->n++] = s;
		char *dot = strchr(s, '.');
		if (!dot)
			return true;
		*dot = 0;
		s = dot + 1;
	}
}

/* Segment d of path p at [from, to): the walk, with each segment a whole NUL-terminated name. */
static void walk_seg(const struct bld_op *op, uint32_t from, uint32_t to, const struct pol_path *p, unsigned d,
		     pol_visit_fn fn, void *ctx)
{
	const char *name = p->seg[d];
	bool last = d + 1 == p->n;
	for (uint32_t i = from; i < to; i++) {
		const struct bld_op_field *f = &op->f[i];
		bool box = f->type == BLD_OPF_LIST || f->type == BLD_OPF_OBJECT;
		/* names are literals: the first byte rules out almost every field before a compare */
		if (f->name && f->name[0] == name[0] && strcmp(f->name, name) == 0) {
			if (last && !box) {
				fn(ctx, op, f, from, to);
			} else if (f->type == BLD_OPF_OBJECT && !last) {
				walk_seg(op, i + 1, i + f->len, p, d + 1, fn, ctx);
			} else if (f->type == BLD_OPF_LIST) {
				/* elements: scalars (the values themselves) or objects (descend) */
				for (uint32_t e = i + 1; e < i + f->len; e++) {
					const struct bld_op_field *x = &op->f[e];
					if (x->type == BLD_OPF_OBJECT) {
						if (!last)
							walk_seg(op, e + 1, e + x->len, p, d + 1, fn, ctx);
						e += x->len;
					} else if (x->type == BLD_OPF_LIST) {
						e += x->len;
					} else if (last && x->type != BLD_OPF_END) {
						fn(ctx, op, x, i + 1, i + f->len);
					}
				}
			}
		}
		if (box)
			i += f->len;
	}
}

void pol_walk_path(const struct bld_op *op, const struct pol_path *p, pol_visit_fn fn, void *ctx)
{
	if (p->n)
		walk_seg(op, 0, op->n_fields, p, 0, fn, ctx);
}

void pol_walk(const struct bld_op *op, uint32_t from, uint32_t to, const char *path, pol_visit_fn fn, void *ctx)
{
	struct pol_path p;
	if (pol_path_parse(path, &p))
		walk_seg(op, from, to, &p, 0, fn, ctx);
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
		if (f->name && f->name[0] == last[0] && strcmp(f->name, last) == 0)
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

static void visit_hash(void *ctx, const struct bld_op *op, const struct bld_op_field *f, uint32_t from, uint32_t to)
{
	(void)from;
	(void)to;
	uint64_t *h = ctx;
	if (f->type == BLD_OPF_TEXT)
		for (uint32_t i = 0; i < f->len; i++)
			*h = mix(*h, (uint8_t)op->text[f->v.off + i]);
	else
		*h = mix(*h, f->v.u);
}

uint64_t pol_key_sig(const struct bld_op *op, const struct bld_field_spec *const *rows, uint32_t n)
{
	uint64_t h = 0x5e6;
	for (const char *k = rows[0]->key; *k; k++)
		h = mix(h, (uint8_t)*k);
	for (uint32_t i = 0; i < n; i++)
		pol_walk(op, 0, op->n_fields, rows[i]->path, visit_hash, &h);
	return h;
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

bool pol_op_judged(const struct bld_dissector *dsc, const struct bld_op *op, const struct pol_path *paths, uint32_t n)
{
	if (bld_op_get(op, dsc->fields[0].path))
		return true;
	bool found = false;
	if (paths) {   /* the policy cut the selector paths once */
		/* most unjudged ops (I/O data, keep-alives) have no top-level field any path starts with */
		bool any = false;
		for (uint32_t f = 0; f < op->n_fields && !any; f++) {
			const char *nm = op->f[f].name;
			for (uint32_t i = 0; nm && i < n && !any; i++)
				any = nm[0] == paths[i].seg[0][0] && strcmp(nm, paths[i].seg[0]) == 0;
			if (op->f[f].type == BLD_OPF_LIST || op->f[f].type == BLD_OPF_OBJECT)
				f += op->f[f].len;
		}
		for (uint32_t i = 0; i < n && !found && any; i++)
			pol_walk_path(op, &paths[i], visit_any, &found);
		return found;
	}
	for (uint32_t i = 0; i < dsc->n_fields && !found; i++) {
		uint8_t kind = dsc->fields[i].kind;
		if (kind == BLD_FIELD_SET || kind == BLD_FIELD_SPAN || kind == BLD_FIELD_TEXT)
			pol_walk(op, 0, op->n_fields, dsc->fields[i].path, visit_any, &found);
	}
	return found;
}

static bool pol_path_same(const struct pol_path *a, const struct pol_path *b)
{
	if (a->n != b->n)
		return false;
	for (unsigned i = 0; i < a->n; i++)
		if (strcmp(a->seg[i], b->seg[i]) != 0)
			return false;
	return true;
}

uint32_t pol_selector_paths(const struct bld_dissector *dsc, struct pol_path *out, uint32_t cap)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < dsc->n_fields && n < cap; i++) {
		uint8_t kind = dsc->fields[i].kind;
		if ((kind == BLD_FIELD_SET || kind == BLD_FIELD_SPAN || kind == BLD_FIELD_TEXT) &&
		    pol_path_parse(dsc->fields[i].path, &out[n])) {
			bool dup = false;   /* one path per distinct path: several keys may read the same field */
			for (uint32_t k = 0; k < n && !dup; k++)
				dup = pol_path_same(&out[k], &out[n]);
			n += !dup;
		}
	}
	return n;
}
