/* SPDX-License-Identifier: BSD-3-Clause */
#include "ydoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* A growable array of bytes (nodes, child indexes, scalar text). */
struct vec {
	void *p;
	size_t n, cap, elem;
};

static void *vec_push(struct vec *v, size_t count)
{
	if (v->n + count > v->cap) {
		size_t cap = v->cap ? v->cap : 64;
		while (cap < v->n + count)
			cap *= 2;
		void *np = realloc(v->p, cap * v->elem);
		if (!np)
			return NULL;
		v->p = np;
		v->cap = cap;
	}
	void *at = (char *)v->p + v->n * v->elem;
	v->n += count;
	return at;
}

/* An open sequence or mapping: its node and its children so far. */
struct level {
	uint32_t node;
	struct vec kids;         /* uint32_t node indexes */
};

struct builder {
	const char *name;
	char *err;
	size_t err_len;
	bool failed;
	struct vec nodes, kids, text;
	struct level stack[BLD_YDOC_MAX_DEPTH];
	int depth;
	bool have_root;
};

__attribute__((format(printf, 4, 5))) static void fail(struct builder *b, size_t line, size_t col, const char *fmt,
							 ...)
{
	if (b->failed)
		return;
	b->failed = true;
	int k = snprintf(b->err, b->err_len, "%s:%zu:%zu: ", b->name, line, col);
	if (k < 0 || (size_t)k >= b->err_len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->err + k, b->err_len - (size_t)k, fmt, ap);
	va_end(ap);
}

static struct bld_ynode *node_at(struct builder *b, uint32_t i)
{
	return (struct bld_ynode *)b->nodes.p + i;
}

/* A new node under the open container (or as the root); its index, or UINT32_MAX. */
static uint32_t add_node(struct builder *b, const yaml_event_t *ev, enum bld_ynode_type type)
{
	size_t line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;
	if (b->nodes.n >= BLD_YDOC_MAX_NODES) {
		fail(b, line, col, "more than %u nodes: not a policy Bollard will read", BLD_YDOC_MAX_NODES);
		return UINT32_MAX;
	}
	if (b->depth == 0 && b->have_root) {
		fail(b, line, col, "a second document in one file: a policy is one document");
		return UINT32_MAX;
	}
	struct bld_ynode *n = vec_push(&b->nodes, 1);
	if (!n) {
		fail(b, line, col, "out of memory");
		return UINT32_MAX;
	}
	uint32_t i = (uint32_t)(b->nodes.n - 1);
	*n = (struct bld_ynode){ .type = (uint8_t)type, .line = (uint32_t)line, .col = (uint32_t)col };
	if (b->depth > 0) {
		uint32_t *k = vec_push(&b->stack[b->depth - 1].kids, 1);
		if (!k) {
			fail(b, line, col, "out of memory");
			return UINT32_MAX;
		}
		*k = i;
	} else {
		b->have_root = true;
	}
	return i;
}

static bool refuse_extras(struct builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
			  const yaml_char_t *tag, bool implicit_tag)
{
	size_t line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;
	if (anchor) {
		fail(b, line, col, "anchor &%s: anchors and aliases are not allowed in a policy (write it out)",
		     (const char *)anchor);
		return false;
	}
	if (tag && !implicit_tag) {
		fail(b, line, col, "tag %s: tags are not allowed in a policy", (const char *)tag);
		return false;
	}
	return true;
}

static void on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const yaml_char_t *tag = ev->data.scalar.tag;
	bool implicit = ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit;
	if (!refuse_extras(b, ev, ev->data.scalar.anchor, tag, implicit))
		return;
	size_t len = ev->data.scalar.length;
	if (len > BLD_YDOC_MAX_SCALAR) {
		fail(b, ev->start_mark.line + 1, ev->start_mark.column + 1, "a value of %zu bytes: at most %u", len,
		     BLD_YDOC_MAX_SCALAR);
		return;
	}
	if (memchr(ev->data.scalar.value, 0, len)) {
		fail(b, ev->start_mark.line + 1, ev->start_mark.column + 1, "a value holding a NUL character");
		return;
	}
	uint32_t i = add_node(b, ev, BLD_YNODE_SCALAR);
	if (i == UINT32_MAX)
		return;
	char *t = vec_push(&b->text, len + 1);
	if (!t) {
		fail(b, ev->start_mark.line + 1, ev->start_mark.column + 1, "out of memory");
		return;
	}
	memcpy(t, ev->data.scalar.value, len);
	t[len] = '\0';
	struct bld_ynode *n = node_at(b, i);
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	n->len = (uint32_t)len;
	n->first = (uint32_t)(b->text.n - len - 1); /* the text's offset until the arena stops moving */
}

static void open_container(struct builder *b, const yaml_event_t *ev, enum bld_ynode_type type)
{
	const yaml_char_t *anchor = type == BLD_YNODE_SEQ ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
	const yaml_char_t *tag = type == BLD_YNODE_SEQ ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
	int implicit = type == BLD_YNODE_SEQ ? ev->data.sequence_start.implicit : ev->data.mapping_start.implicit;
	if (!refuse_extras(b, ev, anchor, tag, implicit))
		return;
	if (b->depth == BLD_YDOC_MAX_DEPTH) {
		fail(b, ev->start_mark.line + 1, ev->start_mark.column + 1, "nested more than %d deep",
		     BLD_YDOC_MAX_DEPTH);
		return;
	}
	uint32_t i = add_node(b, ev, type);
	if (i == UINT32_MAX)
		return;
	b->stack[b->depth].node = i;
	b->stack[b->depth].kids = (struct vec){ .elem = sizeof(uint32_t) };
	b->depth++;
}

struct key_ref {
	const char *text;
	const struct bld_ynode *node;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = strcmp(x->text, y->text);
	return c ? c : (x->node->line > y->node->line) - (x->node->line < y->node->line);
}

/*
 * A mapping's keys are plain values and unique (YAML 1.2 §3.2.1.1; libyaml
 * does not check).  Sorted, so that a mapping of 10,000 hosts costs
 * n log n, not n^2.
 */
static void check_keys(struct builder *b, const uint32_t *kids, uint32_t count)
{
	uint32_t n_keys = count / 2;
	struct key_ref *keys = n_keys ? malloc(n_keys * sizeof(*keys)) : NULL;
	if (n_keys && !keys) {
		fail(b, 0, 0, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < n_keys; i++) {
		const struct bld_ynode *k = node_at(b, kids[2 * i]);
		if (k->type != BLD_YNODE_SCALAR) {
			fail(b, k->line, k->col, "a key that is not a plain value");
			free(keys);
			return;
		}
		keys[i] = (struct key_ref){ .text = (const char *)b->text.p + k->first, .node = k };
	}
	if (n_keys > 1)
		qsort(keys, n_keys, sizeof(*keys), key_cmp);
	for (uint32_t i = 1; i < n_keys; i++)
		if (strcmp(keys[i].text, keys[i - 1].text) == 0) {
			fail(b, keys[i].node->line, keys[i].node->col, "key '%s' repeated (first at line %u)",
			     keys[i].text, keys[i - 1].node->line);
			break;
		}
	free(keys);
}

static void close_container(struct builder *b)
{
	struct level *l = &b->stack[--b->depth];
	struct bld_ynode *n = node_at(b, l->node);
	uint32_t count = (uint32_t)l->kids.n;
	const uint32_t *kids = l->kids.p;
	if (n->type == BLD_YNODE_MAP)
		check_keys(b, kids, count);
	uint32_t *dst = count ? vec_push(&b->kids, count) : NULL;
	if (count && !dst) {
		fail(b, n->line, n->col, "out of memory");
	} else if (count) {
		memcpy(dst, kids, count * sizeof(uint32_t));
		n->first = (uint32_t)(b->kids.n - count);
		n->count = count;
	}
	free(l->kids.p);
	l->kids.p = NULL;
}

struct bld_ydoc *bld_ydoc_parse(const char *name, const void *data, size_t len, char *err, size_t err_len)
{
	struct builder b = {
		.name = name, .err = err, .err_len = err_len,
		.nodes = { .elem = sizeof(struct bld_ynode) }, .kids = { .elem = sizeof(uint32_t) },
		.text = { .elem = 1 },
	};
	if (err_len)
		err[0] = '\0';
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		fail(&b, 0, 0, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, data, len);
	bool done = false;
	while (!done && !b.failed) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			fail(&b, parser.problem_mark.line + 1, parser.problem_mark.column + 1, "%s%s%s",
			     parser.problem ? parser.problem : "not YAML", parser.context ? " " : "",
			     parser.context ? parser.context : "");
			break;
		}
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			on_scalar(&b, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			open_container(&b, &ev, BLD_YNODE_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			open_container(&b, &ev, BLD_YNODE_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (b.depth > 0)
				close_container(&b);
			break;
		case YAML_ALIAS_EVENT:
			fail(&b, ev.start_mark.line + 1, ev.start_mark.column + 1,
			     "alias *%s: anchors and aliases are not allowed in a policy (write it out)",
			     (const char *)ev.data.alias.anchor);
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	while (b.depth > 0) { /* after an error: free what is still open */
		free(b.stack[--b.depth].kids.p);
	}
	if (!b.failed && !b.have_root)
		fail(&b, 1, 1, "the file is empty");
	struct bld_ydoc *d = b.failed ? NULL : calloc(1, sizeof(*d));
	char *name_copy = d ? strdup(name) : NULL;
	if (!b.failed && (!d || !name_copy))
		fail(&b, 0, 0, "out of memory");
	if (b.failed) {
		free(d);
		free(name_copy);
		free(b.nodes.p);
		free(b.kids.p);
		free(b.text.p);
		return NULL;
	}
	d->name = name_copy;
	d->nodes = b.nodes.p;
	d->n_nodes = (uint32_t)b.nodes.n;
	d->kids = b.kids.p;
	d->text = b.text.p;
	for (uint32_t i = 0; i < d->n_nodes; i++) /* the arena has stopped moving: offsets become pointers */
		if (d->nodes[i].type == BLD_YNODE_SCALAR) {
			d->nodes[i].text = d->text + d->nodes[i].first;
			d->nodes[i].first = 0;
		}
	return d;
}

struct bld_ydoc *bld_ydoc_load(const char *path, char *err, size_t err_len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct vec buf = { .elem = 1 };
	char chunk[65536];
	size_t n;
	bool too_big = false;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf.n + n > (64u << 20)) {
			too_big = true;
			break;
		}
		char *at = vec_push(&buf, n);
		if (!at)
			break;
		memcpy(at, chunk, n);
	}
	bool bad = ferror(f) != 0;
	fclose(f);
	struct bld_ydoc *d = NULL;
	if (too_big)
		snprintf(err, err_len, "%s: larger than 64 MiB: not a policy Bollard will read", path);
	else if (bad)
		snprintf(err, err_len, "%s: read error", path);
	else
		d = bld_ydoc_parse(path, buf.p ? buf.p : "", buf.n, err, err_len);
	free(buf.p);
	return d;
}

void bld_ydoc_free(struct bld_ydoc *d)
{
	if (!d)
		return;
	free((char *)d->name);
	free(d->nodes);
	free(d->kids);
	free(d->text);
	free(d);
}

const struct bld_ynode *bld_ydoc_child(const struct bld_ydoc *d, const struct bld_ynode *n, uint32_t i)
{
	if (n->type == BLD_YNODE_SCALAR || i >= n->count)
		return NULL;
	return &d->nodes[d->kids[n->first + i]];
}

const struct bld_ynode *bld_ydoc_get(const struct bld_ydoc *d, const struct bld_ynode *n, const char *key)
{
	if (n->type != BLD_YNODE_MAP)
		return NULL;
	for (uint32_t i = 0; i + 1 < n->count; i += 2) {
		const struct bld_ynode *k = bld_ydoc_child(d, n, i);
		if (strcmp(k->text, key) == 0)
			return bld_ydoc_child(d, n, i + 1);
	}
	return NULL;
}
