/* SPDX-License-Identifier: BSD-3-Clause */
#include "learn.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "registry.h"

/* Hard caps: what is beyond them is counted (dropped) and the write fails with -ENOMEM. */
#define MAX_HOSTS (1u << 20)
#define MAX_RULES (1u << 20)
#define MAX_ENTRIES 4096         /* per rule */
#define MAX_KEYS 64              /* distinct constraint keys of one protocol */
#define MAX_VALUES 4096          /* distinct numbers or spans kept per key */
#define MAX_TEXTS 64             /* distinct texts per key; more: the key is left unconstrained */
#define MAX_SIGS 1024            /* distinct requests tracked for timing per entry */
#define MAX_SAMPLES 256          /* intervals kept per request for the median */
#define MAX_PORTS 8              /* server ports listed per rule; more: any port */
#define LIST_RANGES 64           /* more ranges than this are written as their hull */
#define OP_VALUES 512            /* values collected from one op */

struct vec {
	void *p;
	uint32_t n, cap;
};

static void *vec_push(struct vec *v, size_t elem)
{
	if (v->n == v->cap) {
		uint32_t cap = v->cap ? v->cap * 2 : 4;
		void *np = realloc(v->p, cap * elem);
		if (!np)
			return NULL;
		v->p = np;
		v->cap = cap;
	}
	void *r = (char *)v->p + (size_t)v->n++ * elem;
	memset(r, 0, elem);
	return r;
}

struct host {
	uint8_t family;
	uint8_t ip[16];
	bld_addr addr;
	char *traffic_name;      /* from ListIdentity, device identification */
	const char *source;
	char *name;              /* given at write time */
};

/* What one constraint key accumulated over the requests of an entry. */
struct acc {
	struct vec nums;         /* SET: sorted distinct uint64 */
	struct vec spans;        /* SPAN: sorted, merged struct pol_range */
	struct vec texts;        /* TEXT: distinct char * */
	double lo, hi;           /* VALUE */
	bool seen, all_bool, all_int;
	uint64_t min;            /* MIN */
	bool unusable;           /* a value the key cannot express (negative, too many texts): leave it out */
	bool capped;             /* too many distinct values: written as a hull */
};

struct sig {
	uint64_t hash, count, first, last;
	uint64_t *samples;       /* intervals, up to MAX_SAMPLES */
	uint32_t n_samples;
	uint64_t min_iv, max_iv;
};

struct entry {
	uint64_t kind;
	bool has_kind;
	uint8_t dir;
	uint64_t presence;       /* bit per key: present in the requests of this entry */
	struct acc acc[MAX_KEYS];
	uint64_t count, first, last;
	struct vec sigs;         /* struct sig */
	bool sigs_capped;
};

struct rule {
	uint8_t family;          /* 0: an L2 protocol (one rule, any to any) */
	uint8_t cip[16], sip[16];
	char app[64];
	const struct bld_dissector *dsc;
	uint32_t n_keys;
	const char *keys[MAX_KEYS];
	uint8_t key_kind[MAX_KEYS];
	uint16_t ports[MAX_PORTS];
	uint32_t n_ports;
	bool many_ports, has_ports;
	uint8_t l4;
	uint64_t flows, first, last, ops;
	struct vec entries;      /* struct entry * */
	uint8_t *events;         /* BLD_EVENT_MAX flags */
	uint64_t sec, sec_count, max_sec_count;
	char *id, *from, *to;    /* at write time */
};

struct table {
	uint64_t *hash;
	uint32_t *index;
	uint32_t n_slots, used;
};

struct bld_learn {
	struct vec hosts;        /* struct host */
	struct table host_index;
	struct vec rules;        /* struct rule * */
	struct table rule_index;
	struct bld_learn_stats stats;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdull;
	return h ^ h >> 33;
}

static uint64_t mix_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = mix(h, b[i]);
	return h ? h : 1;
}

/* Find hash h (the owner compares the record), or the free slot to put it in. */
static bool table_grow(struct table *t)
{
	if (t->used * 2 < t->n_slots)
		return true;
	uint32_t n = t->n_slots ? t->n_slots * 2 : 1024;
	uint64_t *h = calloc(n, sizeof(uint64_t));
	uint32_t *ix = calloc(n, sizeof(uint32_t));
	if (!h || !ix) {
		free(h);
		free(ix);
		return false;
	}
	for (uint32_t i = 0; i < t->n_slots; i++)
		if (t->hash[i]) {
			uint32_t j = (uint32_t)t->hash[i] & (n - 1);
			while (h[j])
				j = (j + 1) & (n - 1);
			h[j] = t->hash[i];
			ix[j] = t->index[i];
		}
	free(t->hash);
	free(t->index);
	t->hash = h;
	t->index = ix;
	t->n_slots = n;
	return true;
}

/* Put index ix under hash h (the caller made room with table_grow). */
static void table_put(struct table *t, uint64_t h, uint32_t ix)
{
	uint32_t i = (uint32_t)h & (t->n_slots - 1);
	while (t->hash[i])
		i = (i + 1) & (t->n_slots - 1);
	t->hash[i] = h;
	t->index[i] = ix;
	t->used++;
}

/* Names handed out once each ("host-10-10-0-5", "rtg01-plc-2"): a set of strings the caller owns. */
struct name_set {
	struct table t;
	const char **names;      /* by index */
	uint32_t n, cap;
};

/* Make name (a buffer of len bytes) unique with a "-2", "-3" suffix and record it; false when out of memory. */
static bool name_unique(struct name_set *ns, char *name, size_t len)
{
	char base[96];
	snprintf(base, sizeof(base), "%s", name);
	for (int k = 2;; k++) {
		uint64_t h = mix_bytes(0x4e, name, strlen(name));
		bool taken = false;
		if (ns->t.n_slots)
			for (uint32_t j = (uint32_t)h & (ns->t.n_slots - 1); ns->t.hash[j] && !taken;
			     j = (j + 1) & (ns->t.n_slots - 1))
				taken = ns->t.hash[j] == h && !strcmp(ns->names[ns->t.index[j]], name);
		if (!taken)
			break;
		snprintf(name, len, "%.54s-%d", base, k);
	}
	if (ns->n == ns->cap) {
		uint32_t cap = ns->cap ? ns->cap * 2 : 64;
		const char **np = realloc(ns->names, cap * sizeof(*np));
		if (!np)
			return false;
		ns->names = np;
		ns->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy || !table_grow(&ns->t)) {
		free(copy);
		return false;
	}
	ns->names[ns->n] = copy;
	table_put(&ns->t, mix_bytes(0x4e, name, strlen(name)), ns->n++);
	return true;
}

static void name_set_free(struct name_set *ns)
{
	for (uint32_t i = 0; i < ns->n; i++)
		free((char *)ns->names[i]);
	free(ns->names);
	free(ns->t.hash);
	free(ns->t.index);
}

struct bld_learn *bld_learn_create(void)
{
	return calloc(1, sizeof(struct bld_learn));
}

static void acc_free(struct acc *a)
{
	free(a->nums.p);
	free(a->spans.p);
	for (uint32_t i = 0; i < a->texts.n; i++)
		free(((char **)a->texts.p)[i]);
	free(a->texts.p);
}

void bld_learn_destroy(struct bld_learn *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i < l->hosts.n; i++) {
		struct host *h = (struct host *)l->hosts.p + i;
		free(h->traffic_name);
		free(h->name);
	}
	free(l->hosts.p);
	for (uint32_t i = 0; i < l->rules.n; i++) {
		struct rule *r = ((struct rule **)l->rules.p)[i];
		for (uint32_t k = 0; k < r->entries.n; k++) {
			struct entry *e = ((struct entry **)r->entries.p)[k];
			for (uint32_t a = 0; a < r->n_keys; a++)
				acc_free(&e->acc[a]);
			for (uint32_t s = 0; s < e->sigs.n; s++)
				free(((struct sig *)e->sigs.p)[s].samples);
			free(e->sigs.p);
			free(e);
		}
		free(r->entries.p);
		free(r->events);
		free(r->id);
		free(r->from);
		free(r->to);
		free(r);
	}
	free(l->rules.p);
	free(l->host_index.hash);
	free(l->host_index.index);
	free(l->rule_index.hash);
	free(l->rule_index.index);
	free(l);
}

void bld_learn_stats(const struct bld_learn *l, struct bld_learn_stats *s)
{
	*s = l->stats;
	s->hosts = l->hosts.n;
	s->rules = l->rules.n;
	s->entries = 0;
	for (uint32_t i = 0; i < l->rules.n; i++)
		s->entries += ((struct rule **)l->rules.p)[i]->entries.n;
}

/* ---- hosts ---- */

/* A unicast address a policy names as a host (the evaluator's asset.new judges the same ones). */
static bool host_address(uint8_t family, const uint8_t *ip)
{
	if (family == 4)
		return ip[0] < 224 && ip[0] != 0 && ip[0] != 127;
	if (family == 6) {
		static const uint8_t zero[14];
		return ip[0] != 0xff && !(memcmp(ip, zero, 14) == 0 && ip[14] == 0 && ip[15] <= 1);
	}
	return false;
}

static struct host *host_get(struct bld_learn *l, uint8_t family, const uint8_t *ip)
{
	bld_addr a = pol_addr_from_ip(family, ip);
	uint64_t h = mix_bytes(0x40, &a, sizeof(a));
	struct table *t = &l->host_index;
	if (t->n_slots) {
		for (uint32_t i = (uint32_t)h & (t->n_slots - 1); t->hash[i]; i = (i + 1) & (t->n_slots - 1))
			if (t->hash[i] == h && ((struct host *)l->hosts.p)[t->index[i]].addr == a)
				return (struct host *)l->hosts.p + t->index[i];
	}
	if (l->hosts.n >= MAX_HOSTS || !table_grow(t)) {
		l->stats.dropped++;
		return NULL;
	}
	struct host *x = vec_push(&l->hosts, sizeof(struct host));
	if (!x) {
		l->stats.dropped++;
		return NULL;
	}
	x->family = family;
	memcpy(x->ip, ip, family == 4 ? 4 : 16);
	x->addr = a;
	table_put(t, h, l->hosts.n - 1);
	return x;
}

/* ---- rules ---- */

static struct rule *rule_get(struct bld_learn *l, const struct bld_policy_flow *f)
{
	struct rule key = { .family = f->family };
	const char *app = f->app ? f->app : "unknown";
	snprintf(key.app, sizeof(key.app), "%s", app);
	if (f->family == 4 || f->family == 6) {
		memcpy(key.cip, f->client_ip, 16);
		memcpy(key.sip, f->server_ip, 16);
	}
	uint64_t h = mix_bytes(mix_bytes(mix_bytes(mix(0x52, key.family), key.cip, 16), key.sip, 16), key.app,
			       strlen(key.app));
	struct table *t = &l->rule_index;
	struct rule **rs = l->rules.p;
	if (t->n_slots)
		for (uint32_t i = (uint32_t)h & (t->n_slots - 1); t->hash[i]; i = (i + 1) & (t->n_slots - 1)) {
			struct rule *r = rs[t->index[i]];
			if (t->hash[i] == h && r->family == key.family && !memcmp(r->cip, key.cip, 16) &&
			    !memcmp(r->sip, key.sip, 16) && !strcmp(r->app, key.app))
				return r;
		}
	if (l->rules.n >= MAX_RULES || !table_grow(t))
		goto full;
	struct rule *r = calloc(1, sizeof(*r));
	struct rule **slot = r ? vec_push(&l->rules, sizeof(struct rule *)) : NULL;
	if (!slot) {
		free(r);
		goto full;
	}
	*r = key;
	*slot = r;
	enum bld_proto p = bld_registry_find(r->app);
	r->dsc = p != BLD_PROTO_UNKNOWN && bld_dissectors[p]->n_fields ? bld_dissectors[p] : NULL;
	if (r->dsc)   /* the distinct keys, in the protocol's order */
		for (uint32_t i = 0; i < r->dsc->n_fields && r->n_keys < MAX_KEYS; i++)
			if (pol_key_first(r->dsc, i)) {
				r->key_kind[r->n_keys] = r->dsc->fields[i].kind;
				r->keys[r->n_keys++] = r->dsc->fields[i].key;
			}
	table_put(t, h, l->rules.n - 1);
	return r;
full:
	l->stats.dropped++;
	return NULL;
}

void bld_learn_flow(struct bld_learn *l, const struct bld_policy_flow *f, uint64_t ts_first, uint64_t ts_last)
{
	l->stats.flows++;
	if (f->family == 4 || f->family == 6) {
		if (host_address(f->family, f->client_ip))
			host_get(l, f->family, f->client_ip);
		if (host_address(f->family, f->server_ip))
			host_get(l, f->family, f->server_ip);
	}
	struct rule *r = rule_get(l, f);
	if (!r)
		return;
	if (!r->flows || ts_first < r->first)
		r->first = ts_first;
	if (ts_last > r->last)
		r->last = ts_last;
	r->flows++;
	r->l4 = f->l4;
	r->has_ports = f->has_ports;
	if (!f->has_ports || r->many_ports)
		return;
	for (uint32_t i = 0; i < r->n_ports; i++)
		if (r->ports[i] == f->server_port)
			return;
	if (r->n_ports == MAX_PORTS)
		r->many_ports = true;
	else
		r->ports[r->n_ports++] = f->server_port;
}

void bld_learn_event(struct bld_learn *l, const struct bld_policy_flow *f, uint16_t event)
{
	struct rule *r = rule_get(l, f);
	if (!r || event >= BLD_EVENT_MAX)
		return;
	if (!r->events && !(r->events = calloc(BLD_EVENT_MAX, 1))) {
		l->stats.dropped++;
		return;
	}
	r->events[event] = 1;
}

/* ---- operations ---- */

/* The values of one op, by key. */
struct op_value {
	uint8_t key;
	uint64_t lo, hi;         /* SET, SPAN, MIN */
	double d;                /* VALUE */
	bool is_bool, is_int, is_uint;
	const char *text;        /* TEXT */
	uint32_t len;
};

struct collect {
	struct op_value v[OP_VALUES];
	uint32_t n;
	uint8_t key;
	const struct bld_field_spec *spec;
	uint64_t present;
	uint64_t unusable;       /* keys with a value the constraint cannot take */
	bool overflow;
};

static void visit_collect(void *ctx, const struct bld_op *op, const struct bld_op_field *f, uint32_t from,
			  uint32_t to)
{
	struct collect *c = ctx;
	if (c->n == OP_VALUES) {
		c->overflow = true;
		return;
	}
	struct op_value *v = &c->v[c->n];
	memset(v, 0, sizeof(*v));
	v->key = c->key;
	double d;
	uint64_t u;
	bool is_uint;
	switch (c->spec->kind) {
	case BLD_FIELD_TEXT:
		if (f->type != BLD_OPF_TEXT) {
			c->unusable |= 1ull << c->key;
			return;
		}
		v->text = op->text + f->v.off;
		v->len = f->len;
		break;
	case BLD_FIELD_VALUE:
		if (!pol_num(f, &d, &u, &is_uint))
			return;
		v->d = d;
		v->is_bool = f->type == BLD_OPF_BOOL;
		v->is_int = f->type != BLD_OPF_REAL;
		break;
	case BLD_FIELD_MIN:
		if (!pol_num(f, &d, &u, &is_uint))
			return;
		if (!is_uint) {
			c->unusable |= 1ull << c->key;
			return;
		}
		v->lo = v->hi = u;
		break;
	default: /* SET, SPAN: the evaluator's reading (eval.c visit_check) */
		if (!pol_num(f, &d, &u, &is_uint) || !is_uint) {
			c->unusable |= 1ull << c->key;
			return;
		}
		v->lo = v->hi = u;
		if (c->spec->kind == BLD_FIELD_SPAN && c->spec->path2) {
			const struct bld_op_field *o = pol_sibling(op, from, to, c->spec->path2);
			uint64_t v2;
			if (o && pol_num(o, &d, &v2, &is_uint) && is_uint) {
				if (c->spec->span_last)
					v->hi = v2 >= u ? v2 : u;
				else if (v2 > 0)
					v->hi = u + v2 - 1 >= u ? u + v2 - 1 : UINT64_MAX;
			}
		}
	}
	c->present |= 1ull << c->key;
	c->n++;
}

static bool add_num(struct acc *a, uint64_t x)
{
	uint64_t *v = a->nums.p;
	uint32_t lo = 0, hi = a->nums.n;
	while (lo < hi) {
		uint32_t m = lo + (hi - lo) / 2;
		if (v[m] < x)
			lo = m + 1;
		else
			hi = m;
	}
	if (lo < a->nums.n && v[lo] == x)
		return true;
	if (a->nums.n >= MAX_VALUES) {   /* keep the hull: first and last stay exact */
		a->capped = true;
		if (x < v[0])
			v[0] = x;
		if (x > v[a->nums.n - 1])
			v[a->nums.n - 1] = x;
		return true;
	}
	if (!vec_push(&a->nums, sizeof(uint64_t)))
		return false;
	v = a->nums.p;
	memmove(v + lo + 1, v + lo, (a->nums.n - 1 - lo) * sizeof(uint64_t));
	v[lo] = x;
	return true;
}

/* Insert [lo, hi], merging with overlapping or adjacent spans. */
static bool add_span(struct acc *a, uint64_t lo, uint64_t hi)
{
	struct pol_range *s = a->spans.p;
	uint32_t n = a->spans.n, i = 0;
	while (i < n && s[i].hi < lo && s[i].hi + 1 < lo)
		i++;
	uint32_t j = i;   /* spans i .. j-1 merge with the new one */
	while (j < n && (hi == UINT64_MAX || s[j].lo <= hi + 1)) {
		if (s[j].lo < lo)
			lo = s[j].lo;
		if (s[j].hi > hi)
			hi = s[j].hi;
		j++;
	}
	if (j > i) {
		s[i] = (struct pol_range){ lo, hi };
		memmove(s + i + 1, s + j, (n - j) * sizeof(*s));
		a->spans.n -= j - i - 1;
		return true;
	}
	if (n >= MAX_VALUES) {   /* widen the nearest span instead: still covers everything seen */
		a->capped = true;
		uint32_t k = i < n ? i : n - 1;
		if (lo < s[k].lo)
			s[k].lo = lo;
		if (hi > s[k].hi)
			s[k].hi = hi;
		return true;
	}
	if (!vec_push(&a->spans, sizeof(*s)))
		return false;
	s = a->spans.p;
	memmove(s + i + 1, s + i, (a->spans.n - 1 - i) * sizeof(*s));
	s[i] = (struct pol_range){ lo, hi };
	return true;
}

static bool add_text(struct acc *a, const char *t, uint32_t len)
{
	char **v = a->texts.p;
	for (uint32_t i = 0; i < a->texts.n; i++)
		if (strlen(v[i]) == len && !memcmp(v[i], t, len))
			return true;
	if (a->texts.n >= MAX_TEXTS || memchr(t, 0, len)) {
		a->unusable = true;   /* too many, or a NUL a policy cannot write: leave the key out */
		return true;
	}
	char *copy = malloc(len + 1);
	char **slot = copy ? vec_push(&a->texts, sizeof(char *)) : NULL;
	if (!slot) {
		free(copy);
		return false;
	}
	memcpy(copy, t, len);
	copy[len] = 0;
	*slot = copy;
	return true;
}

static struct entry *entry_get(struct bld_learn *l, struct rule *r, bool has_kind, uint64_t kind, uint8_t dir,
			       uint64_t presence)
{
	struct entry **es = r->entries.p;
	for (uint32_t i = 0; i < r->entries.n; i++)
		if (es[i]->has_kind == has_kind && es[i]->kind == kind && es[i]->dir == dir && es[i]->presence == presence)
			return es[i];
	if (r->entries.n >= MAX_ENTRIES)
		goto full;
	struct entry *e = calloc(1, sizeof(*e));
	struct entry **slot = e ? vec_push(&r->entries, sizeof(struct entry *)) : NULL;
	if (!slot) {
		free(e);
		goto full;
	}
	e->has_kind = has_kind;
	e->kind = kind;
	e->dir = dir;
	e->presence = presence;
	for (uint32_t k = 0; k < MAX_KEYS; k++) {
		e->acc[k].all_bool = e->acc[k].all_int = true;
		e->acc[k].min = UINT64_MAX;
	}
	*slot = e;
	return e;
full:
	l->stats.dropped++;
	return NULL;
}

static void note_sig(struct bld_learn *l, struct entry *e, uint64_t sig, uint64_t ts)
{
	struct sig *s = e->sigs.p;
	uint32_t i = 0;
	while (i < e->sigs.n && s[i].hash != sig)
		i++;
	if (i == e->sigs.n) {
		if (e->sigs.n >= MAX_SIGS) {
			e->sigs_capped = true;   /* no timing for this entry */
			return;
		}
		struct sig *n = vec_push(&e->sigs, sizeof(struct sig));
		if (!n) {
			l->stats.dropped++;
			e->sigs_capped = true;
			return;
		}
		n->hash = sig;
		n->first = n->last = ts;
		n->count = 1;
		n->min_iv = UINT64_MAX;
		return;
	}
	struct sig *x = &s[i];
	uint64_t iv = ts >= x->last ? ts - x->last : 0;
	x->last = ts;
	x->count++;
	if (iv < x->min_iv)
		x->min_iv = iv;
	if (iv > x->max_iv)
		x->max_iv = iv;
	if (x->n_samples < MAX_SAMPLES) {
		if (!x->samples && !(x->samples = malloc(MAX_SAMPLES * sizeof(uint64_t)))) {
			e->sigs_capped = true;
			return;
		}
		x->samples[x->n_samples++] = iv;
	}
}

/* ---- names from the traffic ---- */

/* Name the sender of op from what it says of itself. */
static void name_from_op(struct bld_learn *l, const struct bld_policy_flow *f, const struct bld_op *op)
{
	if (f->family != 4 && f->family != 6)
		return;
	const uint8_t *ip = op->to_server ? f->client_ip : f->server_ip;
	if (!host_address(f->family, ip))
		return;
	const char *text = NULL, *source = NULL;
	uint32_t len = 0;
	const struct bld_op_field *x;
	if (!strcmp(op->proto, "enip") && (x = bld_op_get(op, "items"))) {
		/* ListIdentity: the identity item carries the product name */
		for (uint32_t i = 0; i < op->n_fields; i++)
			if (op->f[i].name && !strcmp(op->f[i].name, "product_name") && op->f[i].type == BLD_OPF_TEXT) {
				text = op->text + op->f[i].v.off;
				len = op->f[i].len;
				source = "EtherNet/IP ListIdentity product name";
				break;
			}
	} else if (!strcmp(op->proto, "modbus") && op->dir == BLD_OP_RESPONSE && (x = bld_op_get(op, "objects"))) {
		/* Read Device Identification (FC 43 / MEI 14): object 4 ProductName, else 0 VendorName */
		const char *best = NULL;
		uint32_t best_len = 0;
		int best_id = 99;
		for (uint32_t i = (uint32_t)(x - op->f) + 1; i < (uint32_t)(x - op->f) + x->len; i++) {
			const struct bld_op_field *o = &op->f[i];
			if (o->type != BLD_OPF_OBJECT)
				continue;
			const struct bld_op_field *id = pol_sibling(op, i + 1, i + o->len, "id");
			const struct bld_op_field *v = pol_sibling(op, i + 1, i + o->len, "value");
			if (id && v && v->type == BLD_OPF_TEXT && (id->v.u == 4 || id->v.u == 0)) {
				int rank = id->v.u == 4 ? 0 : 1;
				if (rank < best_id) {
					best_id = rank;
					best = op->text + v->v.off;
					best_len = v->len;
				}
			}
			i += o->len;
		}
		if (best) {
			text = best;
			len = best_len;
			source = "Modbus device identification";
		}
	}
	if (!text || !len)
		return;
	struct host *h = host_get(l, f->family, ip);
	if (!h || h->traffic_name)
		return;
	if ((h->traffic_name = malloc(len + 1))) {
		memcpy(h->traffic_name, text, len);
		h->traffic_name[len] = 0;
		for (char *p = h->traffic_name; *p; p++)   /* names are for people: no control bytes */
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		h->source = source;
	}
}

void bld_learn_op(struct bld_learn *l, const struct bld_policy_flow *f, const struct bld_op *op)
{
	l->stats.ops++;
	name_from_op(l, f, op);
	/* requests only: the evaluator judges responses only where a rule asks for them */
	if (op->dir != BLD_OP_REQUEST)
		return;
	struct rule *r = rule_get(l, f);
	if (!r || !r->dsc || strcmp(r->dsc->name, op->proto) != 0)
		return;
	if (!pol_op_judged(r->dsc, op, NULL, 0))
		return;   /* I/O data, keep-alives: rules do not judge them (model.h) */
	r->ops++;
	uint64_t sec = op->ts_ns / 1000000000ull;
	if (sec != r->sec) {
		r->sec = sec;
		r->sec_count = 0;
	}
	if (++r->sec_count > r->max_sec_count)
		r->max_sec_count = r->sec_count;

	static __thread struct collect c;
	c.n = 0;
	c.present = c.unusable = 0;
	c.overflow = false;
	for (uint32_t k = 0; k < r->n_keys; k++) {
		c.key = (uint8_t)k;
		for (uint32_t i = 0; i < r->dsc->n_fields; i++)
			if (strcmp(r->dsc->fields[i].key, r->keys[k]) == 0) {
				c.spec = &r->dsc->fields[i];
				pol_walk(op, 0, op->n_fields, c.spec->path, visit_collect, &c);
			}
	}
	/* VALUE and MIN keys pass when absent: only the others split entries */
	uint64_t presence = 0;
	for (uint32_t k = 0; k < r->n_keys; k++)
		if (r->key_kind[k] != BLD_FIELD_VALUE && r->key_kind[k] != BLD_FIELD_MIN)
			presence |= c.present & (1ull << k);
	const struct bld_op_field *kf = bld_op_get(op, r->dsc->fields[0].path);
	bool has_kind = kf && kf->type == BLD_OPF_UINT && !strchr(r->dsc->fields[0].path, '.');
	struct entry *e = entry_get(l, r, has_kind, has_kind ? kf->v.u : 0, BLD_OP_REQUEST, presence);
	if (!e)
		return;
	if (!e->count || op->ts_ns < e->first)
		e->first = op->ts_ns;
	if (op->ts_ns > e->last)
		e->last = op->ts_ns;
	e->count++;
	bool ok = true;
	for (uint32_t k = 0; k < r->n_keys; k++)
		if (c.unusable >> k & 1)
			e->acc[k].unusable = true;
	if (c.overflow)   /* values beyond what one op may list: its keys stay unconstrained */
		for (uint32_t k = 0; k < r->n_keys; k++)
			e->acc[k].unusable = true;
	for (uint32_t i = 0; i < c.n && ok; i++) {
		const struct op_value *v = &c.v[i];
		struct acc *a = &e->acc[v->key];
		switch (r->key_kind[v->key]) {
		case BLD_FIELD_SET:
			ok = add_num(a, v->lo);
			break;
		case BLD_FIELD_SPAN:
			ok = add_span(a, v->lo, v->hi);
			break;
		case BLD_FIELD_TEXT:
			ok = add_text(a, v->text, v->len);
			break;
		case BLD_FIELD_MIN:
			if (v->lo < a->min)
				a->min = v->lo;
			a->seen = true;
			break;
		case BLD_FIELD_VALUE:
			if (!a->seen || v->d < a->lo)
				a->lo = v->d;
			if (!a->seen || v->d > a->hi)
				a->hi = v->d;
			a->seen = true;
			a->all_bool &= v->is_bool;
			a->all_int &= v->is_int;
			break;
		}
	}
	if (!ok)
		l->stats.dropped++;
	/* the evaluator's signature for the entry this request allows: its selector keys' values */
	uint64_t sig = 0;
	const struct bld_field_spec *rows[BLD_OP_MAX_FIELDS];
	for (uint32_t k = 0; k < r->n_keys; k++) {
		if (!(presence >> k & 1))
			continue;
		uint32_t n = 0;
		for (uint32_t i = 0; i < r->dsc->n_fields && n < BLD_OP_MAX_FIELDS; i++)
			if (strcmp(r->dsc->fields[i].key, r->keys[k]) == 0)
				rows[n++] = &r->dsc->fields[i];
		sig += pol_key_sig(op, rows, n);
	}
	note_sig(l, e, sig, op->ts_ns);
}

/* ---- writing ---- */

static void sanitize(const char *in, char *out, size_t len)
{
	size_t n = 0;
	bool dash = false;
	for (const char *p = in; *p && n + 1 < len; p++) {
		unsigned char ch = (unsigned char)*p;
		if (isalnum(ch)) {
			if (dash && n)
				out[n++] = '-';
			if (n + 1 < len)
				out[n++] = (char)tolower(ch);
			dash = false;
		} else {
			dash = true;
		}
	}
	out[n] = 0;
}

static void addr_text(uint8_t family, const uint8_t *ip, char *buf, size_t len)
{
	inet_ntop(family == 4 ? AF_INET : AF_INET6, ip, buf, (socklen_t)len);
}

static int cmp_host(const void *a, const void *b)
{
	const struct host *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Names: from the traffic with the address's last part, else "host-10-10-0-5"; unique, valid policy names. */
static bool name_hosts(struct bld_learn *l)
{
	struct host *hs = l->hosts.p;
	if (l->hosts.n)
		qsort(hs, l->hosts.n, sizeof(*hs), cmp_host);
	/* the index pointed into the old order */
	free(l->host_index.hash);
	free(l->host_index.index);
	l->host_index = (struct table){ 0 };
	struct name_set names = { 0 };
	bool ok = true;
	for (uint32_t i = 0; i < l->hosts.n && ok; i++) {
		struct host *h = &hs[i];
		char addr[64], base[80], name[96];
		addr_text(h->family, h->ip, addr, sizeof(addr));
		if (h->traffic_name) {
			char s[48], tail[16];
			sanitize(h->traffic_name, s, 40);
			const char *last = h->family == 4 ? strrchr(addr, '.') : strrchr(addr, ':');
			sanitize(last ? last + 1 : addr, tail, sizeof(tail));
			snprintf(base, sizeof(base), "%s%s%s", s[0] ? s : "host", tail[0] ? "-" : "", tail);
		} else {
			char s[64];
			sanitize(addr, s, sizeof(s));
			snprintf(base, sizeof(base), "host-%s", s);
		}
		snprintf(name, sizeof(name), "%.60s", base);
		ok = name_unique(&names, name, sizeof(name)) && (h->name = strdup(name)) != NULL;
	}
	name_set_free(&names);
	return ok;
}

static const struct host *host_find(const struct bld_learn *l, uint8_t family, const uint8_t *ip)
{
	bld_addr a = pol_addr_from_ip(family, ip);
	const struct host *hs = l->hosts.p;
	uint32_t lo = 0, hi = l->hosts.n;
	while (lo < hi) {
		uint32_t m = lo + (hi - lo) / 2;
		if (hs[m].addr < a)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < l->hosts.n && hs[lo].addr == a ? &hs[lo] : NULL;
}

static char *peer_text(const struct bld_learn *l, uint8_t family, const uint8_t *ip)
{
	const struct host *h = host_find(l, family, ip);
	if (h)
		return strdup(h->name);
	char addr[64];
	addr_text(family, ip, addr, sizeof(addr));
	return strdup(addr);
}

static int cmp_rule(const void *a, const void *b)
{
	const struct rule *x = *(const struct rule *const *)a, *y = *(const struct rule *const *)b;
	int c;
	if ((c = strcmp(x->from, y->from)) || (c = strcmp(x->to, y->to)))
		return c;
	return strcmp(x->app, y->app);
}

/* More specific entries first (more keys present), then by kind: the evaluator stops at the first that allows. */
static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
	int px = __builtin_popcountll(x->presence), py = __builtin_popcountll(y->presence);
	if (px != py)
		return py - px;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->presence < y->presence ? -1 : x->presence > y->presence;
}

static void put_time(FILE *out, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&s, &tm);
	char buf[32];
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs(buf, out);
}

/* A YAML double-quoted scalar: bytes from devices escaped. */
static void put_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static const char *name_of(const struct rule *r, uint32_t key, uint64_t v)
{
	for (uint32_t i = 0; i < r->dsc->n_fields; i++) {
		const struct bld_field_spec *s = &r->dsc->fields[i];
		if (strcmp(s->key, r->keys[key]) == 0 && s->name && v <= s->max) {
			const char *n = s->name(v);
			/* only names the loader reads back as this number */
			if (n && strcspn(n, " :#,[]{}\"'") == strlen(n))
				return n;
		}
	}
	return NULL;
}

static void put_ranges(FILE *out, const struct rule *r, uint32_t key, const struct pol_range *rs, uint32_t n)
{
	if (n == 1 && rs[0].lo == rs[0].hi) {
		const char *nm = name_of(r, key, rs[0].lo);
		if (nm)
			fputs(nm, out);
		else
			fprintf(out, "%" PRIu64, rs[0].lo);
		return;
	}
	fputc('[', out);
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		const char *nm = rs[i].lo == rs[i].hi ? name_of(r, key, rs[i].lo) : NULL;
		if (nm)
			fputs(nm, out);
		else if (rs[i].lo == rs[i].hi)
			fprintf(out, "%" PRIu64, rs[i].lo);
		else
			fprintf(out, "%" PRIu64 "-%" PRIu64, rs[i].lo, rs[i].hi);
	}
	fputc(']', out);
}

static void put_duration(FILE *out, uint64_t ns)
{
	fprintf(out, "%" PRIu64 "ms", (ns + 500000) / 1000000);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/*
 * Timing for an entry when every request in it repeats steadily until the
 * capture's end: period = median of the requests' median intervals,
 * tolerance = the largest deviation seen * 1.5 (+2 ms for rounding), silence
 * three periods.  Anything irregular, sparse or stopping early: no timing.
 */
static bool entry_timing(const struct rule *r, const struct entry *e, uint64_t end, struct pol_timing *t)
{
	if (e->sigs_capped || !e->sigs.n)
		return false;
	/* a key left out of the entry would not be in the evaluator's signature: requests would merge */
	for (uint32_t k = 0; k < r->n_keys; k++)
		if ((e->presence >> k & 1) && e->acc[k].unusable)
			return false;
	const struct sig *s = e->sigs.p;
	uint64_t medians[MAX_SIGS];
	for (uint32_t i = 0; i < e->sigs.n; i++) {
		if (s[i].count < 10 || s[i].n_samples < 9)
			return false;
		uint64_t tmp[MAX_SAMPLES];
		memcpy(tmp, s[i].samples, s[i].n_samples * sizeof(uint64_t));
		qsort(tmp, s[i].n_samples, sizeof(uint64_t), cmp_u64);
		medians[i] = tmp[s[i].n_samples / 2];
		if (medians[i] < 10000000ull)   /* faster than 100 Hz: a burst, not a cycle */
			return false;
	}
	qsort(medians, e->sigs.n, sizeof(uint64_t), cmp_u64);
	uint64_t period = medians[e->sigs.n / 2], dev = 0;
	for (uint32_t i = 0; i < e->sigs.n; i++) {
		uint64_t lo = s[i].min_iv, hi = s[i].max_iv;
		uint64_t d1 = period > lo ? period - lo : lo - period, d2 = hi > period ? hi - period : period - hi;
		dev = d1 > dev ? d1 : dev;
		dev = d2 > dev ? d2 : dev;
	}
	period = (period + 500000) / 1000000 * 1000000;   /* as written: whole milliseconds */
	uint64_t tol = dev + dev / 2 + 2000000;
	tol = (tol + 999999) / 1000000 * 1000000;
	if (tol * 4 > period)   /* jitter of a quarter period or more is not a cycle */
		return false;
	uint64_t silence = 3 * period;
	for (uint32_t i = 0; i < e->sigs.n; i++)
		if (end > s[i].last && end - s[i].last + period >= silence)
			return false;   /* it stopped before the capture ended: it would look silent */
	*t = (struct pol_timing){ .set = true, .period_ns = period, .tolerance_ns = tol, .silence_ns = silence };
	return true;
}

static void put_value_range(FILE *out, const struct acc *a)
{
	if (a->all_bool || (a->all_int && a->lo == a->hi && a->lo >= 0 && a->lo <= 1)) {
		if (a->lo == a->hi)
			fprintf(out, "%.0f", a->lo);
		else
			fprintf(out, "%.0f-%.0f", a->lo, a->hi);
		return;
	}
	if (a->all_int) {
		double width = a->hi - a->lo, margin = ceil(width / 10);
		if (margin < 1)
			margin = 1;
		double lo = a->lo - margin, hi = a->hi + margin;
		if (a->lo >= 0 && lo < 0)
			lo = 0;
		if (lo >= 0)
			fprintf(out, "%.0f-%.0f", lo, hi);
		else
			fprintf(out, "\"%.0f..%.0f\"", lo, hi);
		return;
	}
	double mag = fabs(a->lo) > fabs(a->hi) ? fabs(a->lo) : fabs(a->hi);
	double margin = (a->hi - a->lo) / 10;
	if (margin < mag / 100)
		margin = mag / 100;
	if (margin < 1e-3)
		margin = 1e-3;
	fprintf(out, "\"%.9g..%.9g\"", a->lo - margin, a->hi + margin);
}

static void write_entry(FILE *out, const struct rule *r, const struct entry *e, uint64_t end)
{
	fprintf(out, "      # %" PRIu64 " request%s, ", e->count, e->count == 1 ? "" : "s");
	put_time(out, e->first);
	fputs(" .. ", out);
	put_time(out, e->last);
	fputc('\n', out);
	bool first = true;
	for (uint32_t k = 0; k < r->n_keys; k++) {
		const struct acc *a = &e->acc[k];
		uint8_t kind = r->key_kind[k];
		bool present = kind == BLD_FIELD_VALUE || kind == BLD_FIELD_MIN ? a->seen : (e->presence >> k & 1);
		if (!present)
			continue;
		if (a->unusable) {
			fprintf(out, "      %s# %s: not constrained (values a rule cannot list, or more than %u texts)\n",
				first ? "" : "  ", r->keys[k], MAX_TEXTS);
			continue;
		}
		fprintf(out, "      %s%s: ", first ? "- " : "  ", r->keys[k]);
		first = false;
		if (kind == BLD_FIELD_SET) {
			/* consecutive numbers become ranges */
			const uint64_t *v = a->nums.p;
			struct pol_range rs[LIST_RANGES];
			uint32_t n = 0;
			bool hull = a->capped;
			for (uint32_t i = 0; i < a->nums.n && !hull; i++) {
				if (n && v[i] == rs[n - 1].hi + 1)
					rs[n - 1].hi = v[i];
				else if (n == LIST_RANGES)
					hull = true;
				else
					rs[n++] = (struct pol_range){ v[i], v[i] };
			}
			if (hull) {
				rs[0] = (struct pol_range){ v[0], v[a->nums.n - 1] };
				n = 1;
			}
			put_ranges(out, r, k, rs, n);
			if (hull)
				fprintf(out, "   # %u distinct values seen: their hull", a->nums.n);
		} else if (kind == BLD_FIELD_SPAN) {
			const struct pol_range *s = a->spans.p;
			if (a->spans.n > LIST_RANGES || a->capped) {
				struct pol_range h = { s[0].lo, s[a->spans.n - 1].hi };
				put_ranges(out, r, k, &h, 1);
				fprintf(out, "   # %u separate spans seen: their hull", a->spans.n);
			} else {
				put_ranges(out, r, k, s, a->spans.n);
			}
		} else if (kind == BLD_FIELD_TEXT) {
			char **t = a->texts.p;
			fputc('[', out);
			for (uint32_t i = 0; i < a->texts.n; i++) {
				if (i)
					fputs(", ", out);
				put_quoted(out, t[i]);
			}
			fputc(']', out);
		} else if (kind == BLD_FIELD_MIN) {
			fprintf(out, "%" PRIu64, a->min);
		} else {
			put_value_range(out, a);
			fprintf(out, "   # seen %.9g .. %.9g", a->lo, a->hi);
		}
		fputc('\n', out);
	}
	if (first)   /* only values (never: judged requests carry a selector), keep the YAML valid */
		fputs("      - dir: request\n", out);
	struct pol_timing t;
	if (entry_timing(r, e, end, &t)) {
		fputs("        timing: {period: ", out);
		put_duration(out, t.period_ns);
		fputs(", tolerance: ", out);
		put_duration(out, t.tolerance_ns);
		fputs(", silence: ", out);
		put_duration(out, t.silence_ns);
		fputs("}\n", out);
	}
}

static bool prepare_rules(struct bld_learn *l)
{
	struct rule **rs = l->rules.p;
	for (uint32_t i = 0; i < l->rules.n; i++) {
		struct rule *r = rs[i];
		if (r->family == 0) {
			r->from = strdup("any");
			r->to = strdup("any");
		} else {
			r->from = peer_text(l, r->family, r->cip);
			r->to = peer_text(l, r->family, r->sip);
		}
		if (!r->from || !r->to)
			return false;
	}
	if (l->rules.n)
		qsort(rs, l->rules.n, sizeof(*rs), cmp_rule);
	/* ids: protocol-client-server, made valid and unique */
	struct name_set ids = { 0 };
	bool ok = true;
	for (uint32_t i = 0; i < l->rules.n && ok; i++) {
		struct rule *r = rs[i];
		char base[256], id[80];
		if (r->family == 0)
			snprintf(base, sizeof(base), "%s-l2", r->app);
		else
			snprintf(base, sizeof(base), "%s-%s-%s", r->app, r->from, r->to);
		sanitize(base, id, 61);
		ok = name_unique(&ids, id, sizeof(id)) && (r->id = strdup(id)) != NULL;
	}
	name_set_free(&ids);
	return ok;
}

static void put_ports(FILE *out, const struct rule *r)
{
	uint16_t p[MAX_PORTS];
	memcpy(p, r->ports, r->n_ports * sizeof(uint16_t));
	for (uint32_t i = 1; i < r->n_ports; i++)   /* a handful: insertion sort */
		for (uint32_t j = i; j > 0 && p[j] < p[j - 1]; j--) {
			uint16_t t = p[j];
			p[j] = p[j - 1];
			p[j - 1] = t;
		}
	fputs("    ports: [", out);
	for (uint32_t i = 0; i < r->n_ports; i++)
		fprintf(out, "%s%u", i ? ", " : "", p[i]);
	fputs("]\n", out);
}

int bld_learn_write(struct bld_learn *l, FILE *out, const struct bld_learn_info *info)
{
	if (l->stats.dropped)
		return -ENOMEM;
	if (!name_hosts(l) || !prepare_rules(l))
		return -ENOMEM;
	fputs("# A policy learned by `bollard learn` from a baseline: it allows exactly what the\n"
	      "# baseline shows, generalised a little (address spans merged, value bounds with a\n"
	      "# margin, cycle periods with their jitter).  A baseline shows what happened, not what\n"
	      "# should: review every host and rule before this policy is enforced (docs/policy.md).\n#\n",
	      out);
	for (unsigned i = 0; i < info->n_inputs; i++)
		fprintf(out, "# input: %s\n", info->inputs[i]);
	if (info->packets) {
		fprintf(out, "# %" PRIu64 " packets, ", info->packets);
		put_time(out, info->ts_first);
		fputs(" .. ", out);
		put_time(out, info->ts_last);
		fputc('\n', out);
	}
	fprintf(out, "# %u hosts, %u rules, %" PRIu64 " flows, %" PRIu64 " operations\n\n", l->hosts.n, l->rules.n,
		l->stats.flows, l->stats.ops);
	fputs("bollard: policy/1\nsite: ", out);
	put_quoted(out, info->site ? info->site : "learned");
	fputs("\n\nhosts:\n", out);
	const struct host *hs = l->hosts.p;
	if (!l->hosts.n)
		fputs("  {}\n", out);
	for (uint32_t i = 0; i < l->hosts.n; i++) {
		char addr[64];
		addr_text(hs[i].family, hs[i].ip, addr, sizeof(addr));
		fprintf(out, "  %s: %s", hs[i].name, addr);
		if (hs[i].traffic_name) {
			fprintf(out, "   # %s ", hs[i].source);
			put_quoted(out, hs[i].traffic_name);
		}
		fputc('\n', out);
	}
	fputs("\ndefaults:\n  aggregate: 60s   # identical alerts within a minute are reported once, with a count\n",
	      out);
	fputs("\nrules:\n", out);
	if (!l->rules.n)
		fputs("  []\n", out);
	struct rule **rs = l->rules.p;
	for (uint32_t i = 0; i < l->rules.n; i++) {
		struct rule *r = rs[i];
		fprintf(out, "  - id: %s\n    # %" PRIu64 " flow%s, ", r->id, r->flows, r->flows == 1 ? "" : "s");
		put_time(out, r->first);
		fputs(" .. ", out);
		put_time(out, r->last);
		fprintf(out, "\n    from: %s\n    to: %s\n    protocol: %s\n", r->from, r->to, r->app);
		if (r->has_ports && !r->many_ports && r->n_ports)
			put_ports(out, r);
		else if (r->has_ports)
			fprintf(out, "    # ports: more than %u server ports seen: any port\n", MAX_PORTS);
		if (r->events) {
			fputs("    expected_events: [", out);
			bool first = true;
			for (int ev = 0; ev < BLD_EVENT_MAX; ev++)
				if (r->events[ev]) {
					fprintf(out, "%s%s", first ? "" : ", ", bld_event_names[ev]);
					first = false;
				}
			fputs("]   # raised in the baseline: review\n", out);
		}
		if (!r->dsc)
			continue;
		if (r->ops) {
			uint64_t n = r->max_sec_count * 3;
			fprintf(out, "    rate: %" PRIu64 "/s   # busiest second seen: %" PRIu64 " requests\n",
				n < 10 ? 10 : n, r->max_sec_count);
		}
		if (!r->entries.n) {
			fputs("    operations: []   # no requests seen: none allowed\n", out);
			continue;
		}
		struct entry **es = r->entries.p;
		qsort(es, r->entries.n, sizeof(*es), cmp_entry);
		fputs("    operations:\n", out);
		for (uint32_t k = 0; k < r->entries.n; k++)
			write_entry(out, r, es[k], info->ts_last);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}

