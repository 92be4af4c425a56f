/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the policy loader, compiler and evaluator (policies/).
 * The input is a YAML policy.  When it does not load, the diagnostics must
 * say where (file:line:column).  When it loads, an evaluator judges a few
 * synthetic flows, operations and protocol events derived from the policy
 * itself (addresses of its hosts and prefixes, its rules' ports, protocols
 * and operation ranges, each picked and nudged by a hash of the input), so
 * that coverage reaches the rule index, the entry index, aggregation,
 * timing and rates; then everything is freed (LeakSanitizer is on).
 *
 * The harness reads the compiled model (model.h) only to choose inputs
 * that rules match; every call it makes is the public API of policy.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "model.h"
#include "op.h"
#include "policy.h"

#define FLOWS 8
#define OPS_PER_FLOW 4
#define MONDAY (1704067200ull * 1000000000ull)   /* 2024-01-01 00:00 UTC */

static struct bld_policy_diag diag;
static struct bld_op op;

/* splitmix64: one hash of the input, then a stream of choices */
static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void on_alert(void *ctx, const struct bld_alert *a)
{
	(void)ctx;
	if (a->kind >= BLD_ALERT_KIND_MAX || a->severity >= BLD_SEV_MAX || !a->reason || !a->detail || !a->flow ||
	    a->count == 0 || a->first_ns > a->last_ns)
		abort();
	if (a->kind == BLD_ALERT_PROTOCOL && a->protocol_event >= BLD_EVENT_MAX)
		abort();
	/* touch every string, so that a dangling one is an ASan report */
	volatile size_t n = strlen(a->reason) + strlen(a->detail) + (a->rule ? strlen(a->rule) : 0) +
			    (a->client_host ? strlen(a->client_host) : 0) + (a->server_host ? strlen(a->server_host) : 0) +
			    (a->flow->app ? strlen(a->flow->app) : 0);
	(void)n;
}

/* An address of principal pr (a host, group member, zone or literal), or a made-up one. */
static bld_addr pick_addr(const struct bld_policy *p, uint32_t pr, uint64_t *s)
{
	uint64_t r = next(s);
	if (pr != POL_ANY && p->n_prefixes) {
		uint32_t start = (uint32_t)(r % p->n_prefixes);
		for (uint32_t k = 0; k < p->n_prefixes; k++) {
			const struct pol_prefix *x = &p->prefixes[(start + k) % p->n_prefixes];
			if (x->principal != pr)
				continue;
			bld_addr span = x->hi - x->lo;
			switch (r >> 60 & 3) {
			case 0:
				return x->lo;
			case 1:
				return x->hi;
			default:
				return span < 8 ? x->lo + (r >> 8) % ((uint64_t)span + 1) : x->lo + (r >> 8 & 7);
			}
		}
	}
	uint8_t z[4] = { 10, 0, (uint8_t)(r >> 8), (uint8_t)(r >> 16) };
	if (r & 1)
		z[0] = (uint8_t)(r >> 24);
	return pol_addr_from_ip(4, z);
}

/* bld_addr back into a flow's family and bytes. */
static void put_addr(bld_addr a, uint8_t *family, uint8_t ip[16])
{
	static const uint8_t zero[4];
	bld_addr v4 = pol_addr_from_ip(4, zero);
	memset(ip, 0, 16);
	if ((a & ~(bld_addr)0xffffffffu) == v4) {
		*family = 4;
		for (int i = 0; i < 4; i++)
			ip[i] = (uint8_t)(a >> (24 - 8 * i));
		return;
	}
	*family = 6;
	for (int i = 0; i < 16; i++)
		ip[i] = (uint8_t)(a >> (120 - 8 * i));
}

/* Segment names of dotted paths, kept while an op is judged (an op keeps pointers to its names). */
static char names[64][40];
static unsigned n_names;

static const char *name_of(const char *s, size_t len)
{
	if (n_names >= 64 || len >= sizeof(names[0]))
		return "x";
	memcpy(names[n_names], s, len);
	names[n_names][len] = 0;
	return names[n_names++];
}

static void put_leaf(struct bld_op *o, const char *name, uint8_t kind, uint64_t v, double d, const char *text,
		     uint64_t r)
{
	if (kind == BLD_FIELD_TEXT) {
		bld_op_cstr(o, name, text ? text : "x");
	} else if (kind == BLD_FIELD_VALUE) {
		if (r & 1)
			bld_op_real(o, name, d);
		else if (r & 2)
			bld_op_int(o, name, (int64_t)d);
		else
			bld_op_bool(o, name, d != 0);
	} else {
		bld_op_uint(o, name, v);
	}
}

/*
 * One value at a dotted path: "a.b.c" becomes a { b [ { c } ] } with
 * objects or lists of one object, as the hash says; a span's count or end
 * (path2) goes beside it.
 */
static void put_path(struct bld_op *o, const struct bld_field_spec *sp, uint64_t v, double d, const char *text,
		     uint64_t v2, uint64_t r)
{
	const char *path = sp->path;
	unsigned opened = 0;
	for (const char *dot; (dot = strchr(path, '.')); path = dot + 1) {
		const char *seg = name_of(path, (size_t)(dot - path));
		if (r >> opened & 1) {
			bld_op_object(o, seg);
			opened++;
		} else {
			bld_op_list(o, seg);
			bld_op_object(o, NULL);
			opened += 2;
		}
	}
	put_leaf(o, path, sp->kind, v, d, text, r >> 8);
	if (sp->kind == BLD_FIELD_SPAN && sp->path2 && (r >> 16 & 3)) {
		const char *last = strrchr(sp->path2, '.');
		bld_op_uint(o, last ? last + 1 : sp->path2, v2);
	}
	while (opened--)
		bld_op_end(o);
}

/* A value for constraint c: inside, at an edge, just outside or anywhere. */
static void pick_value(const struct pol_constraint *c, uint64_t r, uint64_t *v, double *d, const char **text,
		       char *buf, size_t len)
{
	*v = r >> 8;
	*d = (double)(int64_t)(r >> 8 & 0xffff) - 1000;
	*text = NULL;
	switch (c->kind) {
	case BLD_FIELD_SET:
	case BLD_FIELD_SPAN:
		if (c->n_ranges) {
			const struct pol_range *x = &c->ranges[(r >> 4) % c->n_ranges];
			uint64_t w = x->hi - x->lo + 1;   /* 0: the whole of uint64 */
			uint64_t pick[] = { x->lo, x->hi, x->lo - 1, x->hi + 1, w ? x->lo + (r >> 20) % w : r >> 20 };
			*v = pick[(r >> 12) % 5];
		}
		break;
	case BLD_FIELD_VALUE:
		if (c->n_vranges) {
			const struct pol_vrange *x = &c->vranges[(r >> 4) % c->n_vranges];
			double pick[] = { x->lo, x->hi, x->lo - 1, x->hi + 0.5, (x->lo + x->hi) / 2 };
			*d = pick[(r >> 12) % 5];
		}
		break;
	case BLD_FIELD_MIN:
		*v = c->min + (r >> 4) % 3 - 1;
		break;
	case BLD_FIELD_TEXT:
		if (c->n_texts) {
			const char *t = c->texts[(r >> 4) % c->n_texts];
			size_t n = strlen(t);
			if (n && t[n - 1] == '*')
				n--;
			snprintf(buf, len, "%.*s%s", (int)n, t, r >> 12 & 1 ? "x" : "");
			*text = buf;
		}
		break;
	default:
		break;
	}
}

/* An op for rule r's protocol: one of its entries' constraints, or fields of the protocol at random. */
static const struct bld_op *make_op(const struct pol_rule *r, uint64_t ts, uint64_t *s)
{
	uint64_t h = next(s);
	struct bld_parse_ctx pc = { .dsc = r->dsc, .ts_ns = ts, .to_server = (h & 7) != 0, .op = &op };
	struct bld_op *o = bld_op_begin(&pc, (h & 7) ? BLD_OP_REQUEST : BLD_OP_RESPONSE);
	n_names = 0;
	char buf[8][80];
	if (r->n_ops && (h & 8)) {
		const struct pol_entry *e = &r->ops[(h >> 8) % r->n_ops];
		for (uint32_t i = 0; i < e->n_c && i < 8; i++) {
			const struct pol_constraint *c = &e->c[i];
			if (!c->n_specs || (next(s) & 15) == 0)
				continue;   /* now and then leave one out */
			uint64_t rr = next(s), v;
			double d;
			const char *text;
			pick_value(c, rr, &v, &d, &text, buf[i], sizeof(buf[i]));
			put_path(o, c->specs[rr % c->n_specs], v, d, text, 1 + (rr >> 40) % 16, next(s));
		}
	} else {
		for (uint32_t i = 0; i < r->dsc->n_fields && i < 8; i++) {
			uint64_t rr = next(s);
			if (rr & 1)
				continue;
			put_path(o, &r->dsc->fields[i], rr >> 32 & 0xff, (double)(rr >> 40 & 0xff), "x", rr >> 48 & 0xf,
				 next(s));
		}
	}
	while (o->depth)
		bld_op_end(o);
	return o;
}

static void run(const struct bld_policy *p, uint64_t seed)
{
	struct bld_policy_eval *ev = bld_policy_eval_create(p, on_alert, NULL);
	if (!ev)
		return;
	uint64_t s = seed, ts = MONDAY + next(&s) % (7 * 86400ull) * 1000000000ull;
	static const char *const apps[] = { "modbus", "dns", "tls.google", "http", "unknown", "goose" };
	for (int k = 0; k < FLOWS; k++) {
		uint64_t h = next(&s);
		const struct pol_rule *r = p->n_rules ? &p->rules[h % p->n_rules] : NULL;
		struct bld_policy_flow f = { .flow_id = (uint64_t)k + 1, .l4 = h & 0x100 ? 17 : 6, .has_ports = (h >> 9 & 7) != 0,
					     .client_port = (uint16_t)(h >> 16) };
		uint32_t from = r && r->n_from ? r->from[(h >> 24) % r->n_from] : POL_ANY;
		uint32_t to = r && r->n_to ? r->to[(h >> 28) % r->n_to] : POL_ANY;
		if (r && r->both && (h & 0x400)) {
			uint32_t t = from;
			from = to;
			to = t;
		}
		put_addr(pick_addr(p, from, &s), &f.family, f.client_ip);
		uint8_t fam;
		put_addr(pick_addr(p, to, &s), &fam, f.server_ip);
		if (fam != f.family) {   /* one family per flow: a server of the client's family */
			if (f.family == 4) {
				put_addr(pick_addr(p, POL_ANY, &s), &fam, f.server_ip);
			} else {
				memcpy(f.server_ip, f.client_ip, 16);
				f.server_ip[15] ^= 1;
			}
		}
		if ((h >> 56 & 15) == 0 && p->n_macs) {   /* now and then an L2 flow */
			f.family = 0;
			memcpy(f.client_mac, p->hosts_by_mac[(h >> 32) % p->n_macs]->mac, 6);
			memcpy(f.server_mac, "\x01\x0c\xcd\x01\x00\x01", 6);
			f.has_ports = false;
		}
		f.server_port = (uint16_t)(h >> 40);
		if (r && r->n_ports && (h >> 12 & 7) != 0) {   /* mostly a port the rule allows */
			const struct pol_range *pr = &r->ports[(h >> 44) % r->n_ports];
			f.server_port = (uint16_t)(pr->lo + (h >> 48) % (pr->hi - pr->lo + 1));
		}
		char app[48];
		if (r && strcmp(r->protocol, "any") != 0 && (h >> 15 & 7) != 0)   /* mostly the rule's protocol */
			snprintf(app, sizeof(app), "%s%s", r->protocol, (h >> 18 & 7) == 0 ? ".sub" : "");
		else
			snprintf(app, sizeof(app), "%s", apps[(h >> 52) % (sizeof(apps) / sizeof(apps[0]))]);
		f.app = (h >> 21 & 15) == 0 ? NULL : app;

		struct bld_policy_flow_state st = { 0 };
		bld_policy_eval_tick(ev, ts);
		bld_policy_eval_flow(ev, &f, &st, ts);
		for (int i = 0; i < OPS_PER_FLOW && r && r->dsc && r->dsc->n_fields; i++) {
			ts += next(&s) % 2000000000ull;
			bld_policy_eval_op(ev, &f, &st, make_op(r, ts, &s));
			bld_policy_eval_tick(ev, ts);
		}
		uint64_t e = next(&s);
		bld_policy_eval_event(ev, &f, &st, (uint16_t)(e % BLD_EVENT_MAX), ts, e & 1);
		if (r && r->n_expected)
			bld_policy_eval_event(ev, &f, &st, r->expected_events[(e >> 8) % r->n_expected], ts, true);
		ts += next(&s) % 8000000000ull;
	}
	bld_policy_eval_tick(ev, ts + 61000000000ull);
	bld_policy_eval_finish(ev, ts + 62000000000ull);
	const uint64_t *hits = bld_policy_eval_rule_hits(ev);
	volatile uint64_t sum = 0;
	for (uint32_t i = 0; i < p->n_rules; i++)
		sum += hits[i];
	(void)sum;
	bld_policy_eval_destroy(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(&diag, 0, offsetof(struct bld_policy_diag, text));
	diag.text[0] = 0;
	struct bld_policy *p = bld_policy_parse("fuzz.yaml", data, size, &diag);
	if (!p) {
		/* refused: at least one problem, each shown one with its place */
		if (diag.errors == 0 || diag.shown > diag.errors || diag.len >= sizeof(diag.text) ||
		    strncmp(diag.text, "fuzz.yaml:", 10) != 0)
			abort();
		return 0;
	}
	if (diag.errors || diag.len)
		abort();
	struct bld_policy_info info;
	bld_policy_info(p, &info);
	for (unsigned i = 0; i < info.rules; i++)
		if (!bld_policy_rule_id(p, i))
			abort();
	uint64_t seed = 1469598103934665603ull;
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 1099511628211ull;
	run(p, seed);
	bld_policy_free(p);
	return 0;
}
