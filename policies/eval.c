/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The evaluator: one per worker, judging flows and operations against an
 * immutable compiled policy (model.h) and holding what judging needs to
 * remember:
 *
 *   sets       the rules a flow matched, interned, so a flow keeps one index
 *   aggregates identical alerts within the policy's interval: the first is
 *              reported at once, the rest as one line with a count when the
 *              interval ends (DESIGN.md: never flood the SOC)
 *   cycles     per (rule or entry, client, server, request) the last time
 *              and a rate window: timing.deviation, timing.silence,
 *              rate.exceeded
 *   assets     addresses already reported as asset.new
 *
 * Every table has a hard cap; reaching it is a sensor.capacity alert.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "registry.h"

#define AGG_CAP (1u << 16)
#define CYCLE_CAP (1u << 16)
#define ASSET_CAP (1u << 16)
#define SET_CAP (1u << 20)
#define TICK_NS 1000000000ull    /* aggregation and silence are judged once per second of packet time */
#define APP_LEN 32
#define REASON_LEN 256   /* two host texts (96) and a protocol (32) fit whole */
#define DETAIL_LEN 192

/* ---- small open hash tables keyed by a 64-bit hash; the owner compares the rest ---- */

struct slot_table {
	uint64_t *hash;          /* 0: free */
	uint32_t *index;         /* into the owner's record array */
	uint32_t n_slots, used;
};

static bool table_init(struct slot_table *t, uint32_t cap)
{
	t->n_slots = 16;
	while (t->n_slots < 2 * cap)
		t->n_slots *= 2;
	t->hash = calloc(t->n_slots, sizeof(uint64_t));
	t->index = calloc(t->n_slots, sizeof(uint32_t));
	return t->hash && t->index;
}

static void table_free(struct slot_table *t)
{
	free(t->hash);
	free(t->index);
}

static uint64_t nonzero(uint64_t h)
{
	return h ? h : 1;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdull;
	return h ^ h >> 33;
}

static uint64_t mix_addr(uint64_t h, bld_addr a)
{
	return mix(mix(h, (uint64_t)(a >> 64)), (uint64_t)a);
}

static uint64_t mix_str(uint64_t h, const char *s)
{
	uint64_t x = 1469598103934665603ull;
	for (; s && *s; s++)
		x = (x ^ (uint8_t)*s) * 1099511628211ull;
	return mix(h, x);
}

/* ---- records ---- */

struct agg {
	uint64_t hash;
	enum bld_alert_kind kind;
	uint16_t protocol_event;
	uint32_t rule;           /* index + 1, 0: none */
	enum bld_severity severity;
	enum bld_action action;
	bool to_server;
	struct bld_policy_flow flow;
	char app[APP_LEN];
	char reason[REASON_LEN], detail[DETAIL_LEN];
	uint64_t interval_end, first_ns, last_ns, pending;
	bool live;
};

struct cycle {
	uint64_t hash;
	const struct pol_timing *timing;
	const struct pol_rate *rate;
	const struct pol_when *when;     /* the entry's window (the rule's is checked too), or NULL */
	uint32_t rule;           /* index */
	struct bld_policy_flow flow;
	char app[APP_LEN];
	char detail[DETAIL_LEN];
	uint64_t last_ns, window_start;
	uint32_t window_count;
	bool silent;
};

struct rule_set {
	uint32_t first, n;
};

struct bld_policy_eval {
	const struct bld_policy *p;
	struct bld_policy_assets *shared_assets;   /* other workers' reports, or NULL */
	bld_alert_fn fn;
	void *ctx;
	uint16_t generation;
	uint64_t next_tick;
	/* rule sets */
	struct rule_set *sets;
	uint32_t n_sets, cap_sets;
	uint32_t *set_rules;
	uint32_t n_set_rules, cap_set_rules;
	struct slot_table set_index;
	/* aggregation */
	struct agg *aggs;
	uint32_t n_aggs;
	struct slot_table agg_index;
	/* cycles */
	struct cycle *cycles;
	uint32_t n_cycles;
	struct slot_table cycle_index;
	/* assets reported */
	struct slot_table assets;
	uint64_t capacity_until, capacity_first, capacity_pending;
	struct agg capacity_last;         /* the last sensor.capacity line (flow, reason) */
	uint64_t *hits;
	struct bld_policy_eval_stats stats;
};

static uint16_t next_generation = 1;

struct bld_policy_eval *bld_policy_eval_create(const struct bld_policy *p, bld_alert_fn fn, void *ctx)
{
	struct bld_policy_eval *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	ev->p = p;
	ev->fn = fn;
	ev->ctx = ctx;
	do   /* 0 is "never judged" */
		ev->generation = __atomic_fetch_add(&next_generation, 1, __ATOMIC_RELAXED);
	while (!ev->generation);
	ev->hits = calloc(p->n_rules + 1, sizeof(uint64_t));
	ev->aggs = calloc(AGG_CAP, sizeof(*ev->aggs));
	ev->cycles = calloc(CYCLE_CAP, sizeof(*ev->cycles));
	if (!ev->hits || !ev->aggs || !ev->cycles || !table_init(&ev->set_index, 1024) ||
	    !table_init(&ev->agg_index, AGG_CAP) || !table_init(&ev->cycle_index, CYCLE_CAP) ||
	    !table_init(&ev->assets, ASSET_CAP)) {
		bld_policy_eval_destroy(ev);
		return NULL;
	}
	return ev;
}

void bld_policy_eval_destroy(struct bld_policy_eval *ev)
{
	if (!ev)
		return;
	free(ev->sets);
	free(ev->set_rules);
	table_free(&ev->set_index);
	free(ev->aggs);
	table_free(&ev->agg_index);
	free(ev->cycles);
	table_free(&ev->cycle_index);
	table_free(&ev->assets);
	free(ev->hits);
	free(ev);
}

const uint64_t *bld_policy_eval_rule_hits(const struct bld_policy_eval *ev)
{
	return ev->hits;
}

void bld_policy_eval_stats(const struct bld_policy_eval *ev, struct bld_policy_eval_stats *s)
{
	*s = ev->stats;
}

/* ---- names ---- */

const char *bld_policy_host_name(const struct bld_policy *p, uint8_t family, const uint8_t *ip)
{
	if (family != 4 && family != 6)
		return NULL;
	bld_addr a = pol_addr_from_ip(family, ip);
	uint32_t lo = 0, hi = p->n_hosts;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (p->hosts[mid].addr < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->n_hosts && p->hosts[lo].addr == a ? p->principals[p->hosts[lo].principal].name : NULL;
}

static const struct pol_host *host_by_mac(const struct bld_policy *p, const uint8_t *mac)
{
	uint32_t lo = 0, hi = p->n_macs;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(p->hosts_by_mac[mid]->mac, mac, 6);
		if (c == 0)
			return p->hosts_by_mac[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const char *side_name(const struct bld_policy *p, const struct bld_policy_flow *f, bool client)
{
	if (f->family == 0) {
		const struct pol_host *h = host_by_mac(p, client ? f->client_mac : f->server_mac);
		return h ? p->principals[h->principal].name : NULL;
	}
	return bld_policy_host_name(p, f->family, client ? f->client_ip : f->server_ip);
}

static void side_text(const struct bld_policy *p, const struct bld_policy_flow *f, bool client, char *buf, size_t len)
{
	char addr[64];
	const char *name = side_name(p, f, client);
	if (f->family == 4 || f->family == 6) {
		inet_ntop(f->family == 4 ? AF_INET : AF_INET6, client ? f->client_ip : f->server_ip, addr, sizeof(addr));
	} else {
		const uint8_t *m = client ? f->client_mac : f->server_mac;
		snprintf(addr, sizeof(addr), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	if (name)
		snprintf(buf, len, "%s (%s)", name, addr);
	else
		snprintf(buf, len, "%s", addr);
}

static bld_addr side_addr(const struct bld_policy_flow *f, bool client)
{
	if (f->family == 4 || f->family == 6)
		return pol_addr_from_ip(f->family, client ? f->client_ip : f->server_ip);
	const uint8_t *m = client ? f->client_mac : f->server_mac;
	bld_addr a = 0;
	for (int i = 0; i < 6; i++)
		a = a << 8 | m[i];
	return a;
}

/* ---- time windows ---- */

bool pol_when_ok(const struct pol_when *w, uint64_t ts_ns)
{
	if (!w->set)
		return true;
	uint64_t s = ts_ns / 1000000000ull;
	unsigned day = (unsigned)((s / 86400 + 3) % 7);   /* 1970-01-01 was a Thursday; 0 = Monday */
	unsigned min = (unsigned)(s % 86400 / 60);
	if (w->from_min == w->to_min)
		return w->days >> day & 1;
	if (w->from_min < w->to_min)
		return (w->days >> day & 1) && min >= w->from_min && min < w->to_min;
	/* wraps midnight: the span belongs to the day it starts on */
	if (min >= w->from_min)
		return w->days >> day & 1;
	if (min < w->to_min)
		return w->days >> ((day + 6) % 7) & 1;
	return false;
}

/* ---- reporting and aggregation ---- */

static void report(struct bld_policy_eval *ev, const struct agg *a, const struct bld_op *op, uint64_t count)
{
	struct bld_alert al = {
		.kind = a->kind,
		.protocol_event = a->protocol_event,
		.severity = a->severity,
		.action = a->action,
		.rule = a->rule ? ev->p->rules[a->rule - 1].id : NULL,
		.reason = a->reason,
		.flow = &a->flow,
		.to_server = a->to_server,
		.client_host = side_name(ev->p, &a->flow, true),
		.server_host = side_name(ev->p, &a->flow, false),
		.op = op,
		.detail = a->detail,
		.first_ns = a->first_ns,
		.last_ns = a->last_ns,
		.count = count,
	};
	ev->stats.reported++;
	if (ev->fn)
		ev->fn(ev->ctx, &al);
}

static uint64_t mix_strn(uint64_t h, const char *s, size_t max)
{
	uint64_t x = 1469598103934665603ull;
	for (size_t i = 0; s && s[i] && i < max; i++)
		x = (x ^ (uint8_t)s[i]) * 1099511628211ull;
	return mix(h, x);
}

/*
 * What makes alerts identical: kind, rule, the two sides, the server port,
 * the protocol, and sub (the operation's kind, the field out of range).
 * Computed from the flow before anything is formatted, so a repeat costs a
 * hash probe and a counter (agg_bump).
 */
static uint64_t agg_key(enum bld_alert_kind kind, uint16_t protocol_event, uint32_t rule,
			const struct bld_policy_flow *f, uint64_t sub)
{
	uint64_t h = mix(mix(mix(0, kind), protocol_event), rule);
	h = mix_addr(mix_addr(h, side_addr(f, true)), side_addr(f, false));
	h = mix(mix(h, f->server_port), f->family);
	return nonzero(mix_strn(mix(h, sub), f->app ? f->app : "unknown", APP_LEN - 1));
}

/* The aggregate of hash h, or NULL. */
static struct agg *agg_find(struct bld_policy_eval *ev, uint64_t h)
{
	struct slot_table *t = &ev->agg_index;
	for (uint32_t i = (uint32_t)h & (t->n_slots - 1); t->hash[i]; i = (i + 1) & (t->n_slots - 1))
		if (t->hash[i] == h)
			return &ev->aggs[t->index[i]];
	return NULL;
}

/*
 * x's interval ended at or before ts and no tick has closed it yet (ticks
 * come once a second, and on a fed worker whenever its clock moves): do
 * what the tick would have done at the interval's end, so that counts
 * never depend on when ticks come.  False when x would be gone by ts (a
 * quiet interval followed): the occurrence at ts starts afresh.
 */
static bool agg_catch_up(struct bld_policy_eval *ev, struct agg *x, uint64_t ts)
{
	if (x->pending) {
		report(ev, x, NULL, x->pending);
		x->pending = 0;
		x->interval_end += ev->p->aggregate_ns;
	}
	return ts < x->interval_end;
}

/* An alert identical to one reported in this interval: count it and say so. */
static bool agg_bump(struct bld_policy_eval *ev, enum bld_alert_kind kind, uint64_t h, uint64_t ts)
{
	if (!ev->p->aggregate_ns)
		return false;
	struct agg *x = agg_find(ev, h);
	if (!x || (ts >= x->interval_end && !agg_catch_up(ev, x, ts)))
		return false;
	if (!x->pending)
		x->first_ns = ts;
	x->pending++;
	x->last_ns = ts;
	ev->stats.alerts[kind]++;
	return true;
}

static void fill_base(struct agg *a, const struct bld_policy_flow *f)
{
	a->flow = *f;
	snprintf(a->app, sizeof(a->app), "%s", f->app ? f->app : "unknown");
	a->flow.app = a->app;
}

/* A table was full: one line per interval, counting every time it was found full since the last line. */
static void capacity(struct bld_policy_eval *ev, uint64_t ts, const struct bld_policy_flow *f, const char *what)
{
	ev->stats.capacity++;
	ev->stats.alerts[BLD_ALERT_SENSOR_CAPACITY]++;
	if (!ev->capacity_pending++)
		ev->capacity_first = ts;
	if (ts < ev->capacity_until)
		return;
	ev->capacity_until = ts + (ev->p->aggregate_ns ? ev->p->aggregate_ns : TICK_NS);
	struct agg a = { .kind = BLD_ALERT_SENSOR_CAPACITY, .severity = BLD_SEV_HIGH, .to_server = true,
			 .first_ns = ev->capacity_first, .last_ns = ts };
	fill_base(&a, f);
	snprintf(a.reason, sizeof(a.reason), "%s", what);
	report(ev, &a, NULL, ev->capacity_pending);
	ev->capacity_pending = 0;
	ev->capacity_last = a;   /* what the closing line of a run says, if the table fills again */
}

/* End of input: the times a table was found full since the last sensor.capacity line. */
static void capacity_flush(struct bld_policy_eval *ev, uint64_t now)
{
	if (!ev->capacity_pending)
		return;
	struct agg a = ev->capacity_last;
	a.flow.app = a.app;
	a.first_ns = ev->capacity_first;
	a.last_ns = now > ev->capacity_first ? now : ev->capacity_first;
	report(ev, &a, NULL, ev->capacity_pending);
	ev->capacity_pending = 0;
}

/*
 * Raise an alert: reported at once the first time in an interval, counted
 * after that.  sub tells apart alerts that are not identical although flow
 * and rule are (the operation's kind, the field out of range).
 */
static void raise(struct bld_policy_eval *ev, struct agg *a, uint64_t sub, const struct bld_op *op, uint64_t ts)
{
	a->first_ns = a->last_ns = ts;
	a->flow.app = a->app;
	if (!ev->p->aggregate_ns) {
		ev->stats.alerts[a->kind]++;
		report(ev, a, op, 1);
		return;
	}
	uint64_t h = agg_key(a->kind, a->protocol_event, a->rule, &a->flow, sub);
	if (agg_bump(ev, a->kind, h, ts))
		return;
	ev->stats.alerts[a->kind]++;
	report(ev, a, op, 1);
	struct agg *stale = agg_find(ev, h);   /* its interval and a quiet one after it are over: it starts afresh */
	if (stale) {
		*stale = *a;
		stale->flow.app = stale->app;
		stale->hash = h;
		stale->interval_end = ts + ev->p->aggregate_ns;
		stale->pending = 0;
		stale->live = true;
		return;
	}
	struct slot_table *t = &ev->agg_index;
	uint32_t i = (uint32_t)h & (t->n_slots - 1);
	while (t->hash[i])
		i = (i + 1) & (t->n_slots - 1);
	if (ev->n_aggs >= AGG_CAP) {
		capacity(ev, ts, &a->flow, "the alert aggregation table is full: identical alerts are reported one by one");
		return;
	}
	uint32_t k = ev->n_aggs++;
	ev->aggs[k] = *a;
	ev->aggs[k].flow.app = ev->aggs[k].app;
	ev->aggs[k].hash = h;
	ev->aggs[k].interval_end = ts + ev->p->aggregate_ns;
	ev->aggs[k].pending = 0;
	ev->aggs[k].live = true;
	t->hash[i] = h;
	t->index[i] = k;
	t->used++;
}

/* Rebuild the aggregation index after entries were dropped (tables are small; this runs once a second at most). */
static void agg_compact(struct bld_policy_eval *ev)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < ev->n_aggs; i++)
		if (ev->aggs[i].live)
			ev->aggs[k++] = ev->aggs[i];
	ev->n_aggs = k;
	struct slot_table *t = &ev->agg_index;
	memset(t->hash, 0, t->n_slots * sizeof(uint64_t));
	for (uint32_t i = 0; i < k; i++) {
		ev->aggs[i].flow.app = ev->aggs[i].app;
		uint32_t s = (uint32_t)ev->aggs[i].hash & (t->n_slots - 1);
		while (t->hash[s])
			s = (s + 1) & (t->n_slots - 1);
		t->hash[s] = ev->aggs[i].hash;
		t->index[s] = i;
	}
	t->used = k;
}

static void flush_aggs(struct bld_policy_eval *ev, uint64_t now, bool all)
{
	bool dropped = false;
	for (uint32_t i = 0; i < ev->n_aggs; i++) {
		struct agg *a = &ev->aggs[i];
		if (!all && a->interval_end > now)
			continue;
		if (a->pending) {
			report(ev, a, NULL, a->pending);
			a->pending = 0;
			a->interval_end += ev->p->aggregate_ns;   /* intervals follow on, whenever the tick comes */
			if (!all && a->interval_end > now)
				continue;
		}
		a->live = false;
		dropped = true;
	}
	if (dropped)
		agg_compact(ev);
}

/* ---- flows ---- */

/*
 * An address that can be an asset: unicast, not 0.0.0.0/8, loopback or the
 * limited broadcast.  (The learner names the same addresses as hosts.)
 */
static bool ip_reportable(const struct bld_policy_flow *f, bool client)
{
	const uint8_t *ip = client ? f->client_ip : f->server_ip;
	if (f->family == 4)
		return ip[0] < 224 && ip[0] != 0 && ip[0] != 127;
	if (f->family == 6)
		return ip[0] != 0xff && !(ip[0] == 0 && ip[15] <= 1 && !memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 14));
	return false;
}

static bool class_has(const struct bld_policy *p, uint32_t cls, int kind_a, int kind_b)
{
	for (uint32_t i = p->map.cls_first[cls]; i < p->map.cls_first[cls + 1]; i++) {
		uint8_t k = p->principals[p->map.members[i]].kind;
		if (k == kind_a || k == kind_b)
			return true;
	}
	return false;
}

/* The last address of a zone's prefix: its directed broadcast, not an asset. */
static bool zone_broadcast(const struct bld_policy *p, bld_addr a)
{
	for (uint32_t i = 0; i < p->n_prefixes; i++)
		if (p->prefixes[i].hi == a && p->principals[p->prefixes[i].principal].kind == POL_ZONE &&
		    p->prefixes[i].lo != a)
			return true;
	return false;
}

struct bld_policy_assets {
	uint32_t n_slots;
	_Atomic uint64_t slot[];   /* address hashes; 0: free */
};

struct bld_policy_assets *bld_policy_assets_create(void)
{
	uint32_t n = 16;
	while (n < 2 * ASSET_CAP)
		n *= 2;
	struct bld_policy_assets *a = calloc(1, sizeof(*a) + n * sizeof(a->slot[0]));
	if (a)
		a->n_slots = n;
	return a;
}

void bld_policy_assets_free(struct bld_policy_assets *a)
{
	free(a);
}

void bld_policy_eval_share_assets(struct bld_policy_eval *ev, struct bld_policy_assets *a)
{
	ev->shared_assets = a;
}

/* True when this evaluator is the first to report address hash h. */
static bool assets_claim(struct bld_policy_assets *a, uint64_t h)
{
	uint32_t i = (uint32_t)h & (a->n_slots - 1);
	for (uint32_t probes = 0; probes < a->n_slots; probes++, i = (i + 1) & (a->n_slots - 1)) {
		uint64_t cur = atomic_load_explicit(&a->slot[i], memory_order_acquire);
		if (cur == h)
			return false;
		if (cur == 0) {
			if (atomic_compare_exchange_strong(&a->slot[i], &cur, h))
				return true;
			if (cur == h)
				return false;   /* another took this slot for the same address just now */
		}
	}
	return true;   /* full (each evaluator's own cap stops this first): report rather than lose it */
}

static void check_asset(struct bld_policy_eval *ev, const struct bld_policy_flow *f, bool client, uint32_t cls,
			uint64_t ts)
{
	const struct bld_policy *p = ev->p;
	/* known: a host, a group member, or an address a rule names */
	if (!p->assets || !ip_reportable(f, client) || class_has(p, cls, POL_HOST, POL_GROUP) ||
	    class_has(p, cls, POL_LITERAL, POL_LITERAL))
		return;
	if (p->has_zones && !class_has(p, cls, POL_ZONE, POL_ZONE))
		return;
	uint64_t h = nonzero(mix_addr(0x5a5a, side_addr(f, client)));
	struct slot_table *t = &ev->assets;
	uint32_t i = (uint32_t)h & (t->n_slots - 1);
	for (; t->hash[i]; i = (i + 1) & (t->n_slots - 1))
		if (t->hash[i] == h)
			return;
	if (t->used >= ASSET_CAP) {
		capacity(ev, ts, f, "the table of new assets is full: further new addresses are not reported");
		return;
	}
	t->hash[i] = h;   /* seen: judged once, whatever the verdict */
	t->used++;
	if (p->has_zones && zone_broadcast(p, side_addr(f, client)))
		return;
	if (ev->shared_assets && !assets_claim(ev->shared_assets, h))
		return;   /* another worker reported it */
	struct agg a = { .kind = BLD_ALERT_ASSET_NEW, .severity = p->asset_default.severity,
			 .action = BLD_ACTION_ALERT };
	fill_base(&a, f);
	char who[96], peer[96];
	side_text(p, f, client, who, sizeof(who));
	side_text(p, f, !client, peer, sizeof(peer));
	snprintf(a.reason, sizeof(a.reason), "%s is not in the policy (first seen as %s of %s)", who,
		 client ? "client" : "server", peer);
	ev->stats.alerts[a.kind]++;
	a.first_ns = a.last_ns = ts;
	report(ev, &a, NULL, 1);
}

static bool port_ok(const struct pol_rule *r, const struct bld_policy_flow *f)
{
	if (!r->n_ports)
		return true;
	if (!f->has_ports)
		return false;
	for (uint32_t i = 0; i < r->n_ports; i++)
		if (f->server_port >= r->ports[i].lo && f->server_port <= r->ports[i].hi)
			return true;
	return false;
}

/* The principals naming one side: its class's members, or for L2 flows the host with that MAC; plus any. */
static uint32_t side_principals(const struct bld_policy *p, const struct bld_policy_flow *f, bool client,
				uint32_t *cls, uint32_t out[], uint32_t cap)
{
	uint32_t n = 0;
	*cls = 0;
	if (f->family == 4 || f->family == 6) {
		*cls = pol_addr_class(p, side_addr(f, client));
		for (uint32_t i = p->map.cls_first[*cls]; i < p->map.cls_first[*cls + 1] && n < cap - 1; i++)
			out[n++] = p->map.members[i];
	} else {
		const struct pol_host *h = host_by_mac(p, client ? f->client_mac : f->server_mac);
		if (h)
			out[n++] = h->principal;
	}
	out[n++] = POL_ANY;
	return n;
}

/* Intern a sorted list of rule indexes; returns its set id + 1, 0 when the table is full. */
static uint32_t set_intern(struct bld_policy_eval *ev, const uint32_t *rules, uint32_t n)
{
	uint64_t h = mix(0x5e7, n);
	for (uint32_t i = 0; i < n; i++)
		h = mix(h, rules[i]);
	h = nonzero(h);
	struct slot_table *t = &ev->set_index;
	uint32_t i = (uint32_t)h & (t->n_slots - 1);
	for (; t->hash[i]; i = (i + 1) & (t->n_slots - 1))
		if (t->hash[i] == h) {
			const struct rule_set *s = &ev->sets[t->index[i]];
			if (s->n == n && !memcmp(ev->set_rules + s->first, rules, n * sizeof(uint32_t)))
				return t->index[i] + 1;
		}
	if (ev->n_sets >= SET_CAP)
		return 0;
	if (t->used * 2 >= t->n_slots) {   /* grow the index */
		struct slot_table nt;
		if (!table_init(&nt, t->n_slots))
			return 0;
		for (uint32_t s = 0; s < t->n_slots; s++)
			if (t->hash[s]) {
				uint32_t j = (uint32_t)t->hash[s] & (nt.n_slots - 1);
				while (nt.hash[j])
					j = (j + 1) & (nt.n_slots - 1);
				nt.hash[j] = t->hash[s];
				nt.index[j] = t->index[s];
			}
		nt.used = t->used;
		table_free(t);
		*t = nt;
		for (i = (uint32_t)h & (t->n_slots - 1); t->hash[i]; i = (i + 1) & (t->n_slots - 1))
			;
	}
	if (ev->n_sets == ev->cap_sets) {
		uint32_t cap = ev->cap_sets ? ev->cap_sets * 2 : 64;
		void *np = realloc(ev->sets, cap * sizeof(*ev->sets));
		if (!np)
			return 0;
		ev->sets = np;
		ev->cap_sets = cap;
	}
	if (ev->n_set_rules + n > ev->cap_set_rules) {
		uint32_t cap = ev->cap_set_rules ? ev->cap_set_rules : 256;
		while (cap < ev->n_set_rules + n)
			cap *= 2;
		void *np = realloc(ev->set_rules, cap * sizeof(uint32_t));
		if (!np)
			return 0;
		ev->set_rules = np;
		ev->cap_set_rules = cap;
	}
	memcpy(ev->set_rules + ev->n_set_rules, rules, n * sizeof(uint32_t));
	ev->sets[ev->n_sets] = (struct rule_set){ ev->n_set_rules, n };
	ev->n_set_rules += n;
	t->hash[i] = h;
	t->index[i] = ev->n_sets;
	t->used++;
	return ++ev->n_sets;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

#define MAX_PRINCIPALS (POL_MAX_NAMES_PER_ADDRESS + 1)   /* and any */
#define MAX_MATCHED 256

void bld_policy_eval_flow(struct bld_policy_eval *ev, const struct bld_policy_flow *f,
			  struct bld_policy_flow_state *st, uint64_t ts)
{
	const struct bld_policy *p = ev->p;
	if (st->set && st->generation == ev->generation)
		return;
	ev->stats.flows++;
	uint32_t cp[MAX_PRINCIPALS], sp[MAX_PRINCIPALS], ccls, scls;
	uint32_t nc = side_principals(p, f, true, &ccls, cp, MAX_PRINCIPALS);
	uint32_t ns = side_principals(p, f, false, &scls, sp, MAX_PRINCIPALS);
	/* the protocol as named, its nDPI master ("tls" of "tls.google"), and any */
	uint32_t apps[3], na = 0;
	const char *app = f->app ? f->app : "unknown";
	if ((apps[na] = pol_app_index(p, app)) != POL_ANY)
		na++;
	const char *dot = strchr(app, '.');
	if (dot && (size_t)(dot - app) < 32) {
		char master[32];
		memcpy(master, app, (size_t)(dot - app));
		master[dot - app] = 0;
		if ((apps[na] = pol_app_index(p, master)) != POL_ANY)
			na++;
	}
	apps[na++] = POL_ANY;

	uint32_t matched[MAX_MATCHED], nm = 0;
	for (uint32_t c = 0; c < nc; c++)
		for (uint32_t s = 0; s < ns; s++)
			for (uint32_t a = 0; a < na; a++) {
				const uint32_t *rules;
				uint32_t n = pol_rules_for(p, cp[c], sp[s], apps[a], &rules);
				for (uint32_t i = 0; i < n && nm < MAX_MATCHED; i++) {
					const struct pol_rule *r = &p->rules[rules[i]];
					if (!port_ok(r, f) || !pol_when_ok(&r->when, ts))
						continue;
					bool dup = false;
					for (uint32_t k = 0; k < nm && !dup; k++)
						dup = matched[k] == rules[i];
					if (!dup)
						matched[nm++] = rules[i];
				}
			}
	qsort(matched, nm, sizeof(uint32_t), cmp_u32);
	st->generation = ev->generation;
	st->denied = nm == 0;
	st->drop = false;
	st->set = nm ? set_intern(ev, matched, nm) : UINT32_MAX;
	if (!st->set) {   /* the set table is full: the flow is allowed, its operations go unjudged (and counted) */
		capacity(ev, ts, f, "the table of rule sets is full: operations of this flow are not judged");
		st->set = UINT32_MAX;
		st->denied = false;
	}
	for (uint32_t k = 0; k < nm; k++)
		ev->hits[matched[k]]++;
	if (f->family == 4 || f->family == 6) {
		check_asset(ev, f, true, ccls, ts);
		check_asset(ev, f, false, scls, ts);
	}
	if (!st->denied)
		return;
	st->drop = p->flow_default.action == BLD_ACTION_DROP;
	struct agg a = { .kind = BLD_ALERT_FLOW_NOT_ALLOWED, .severity = p->flow_default.severity,
			 .action = p->flow_default.action };
	fill_base(&a, f);
	char cl[96], sv[96];
	side_text(p, f, true, cl, sizeof(cl));
	side_text(p, f, false, sv, sizeof(sv));
	if (f->has_ports)
		snprintf(a.reason, sizeof(a.reason), "no rule allows %s -> %s %s on %s/%u", cl, sv, a.app,
			 f->l4 == 6 ? "tcp" : f->l4 == 17 ? "udp" : "ip", f->server_port);
	else
		snprintf(a.reason, sizeof(a.reason), "no rule allows %s -> %s %s", cl, sv, a.app);
	raise(ev, &a, 0, NULL, ts);
}

static bool in_ranges(const struct pol_range *r, uint32_t n, uint64_t lo, uint64_t hi)
{
	uint32_t a = 0, b = n;   /* the last range with r.lo <= lo */
	while (a < b) {
		uint32_t m = a + (b - a) / 2;
		if (r[m].lo <= lo)
			a = m + 1;
		else
			b = m;
	}
	return a > 0 && r[a - 1].hi >= hi;
}

struct check {
	const struct pol_constraint *c;
	const char *end;                 /* SPAN: the name of the span's count or last address */
	const struct bld_field_spec *spec;
	uint32_t seen;
	bool fail;
	double bad;              /* VALUE: the first value outside */
};

static bool text_match(const struct pol_constraint *c, const char *s, uint32_t len)
{
	for (uint32_t i = 0; i < c->n_texts; i++) {
		size_t n = strlen(c->texts[i]);
		if (n && c->texts[i][n - 1] == '*') {
			if (len >= n - 1 && !memcmp(s, c->texts[i], n - 1))
				return true;
		} else if (n == len && !memcmp(s, c->texts[i], n)) {
			return true;
		}
	}
	return false;
}

static void visit_check(void *ctx, const struct bld_op *op, const struct bld_op_field *f, uint32_t from, uint32_t to)
{
	struct check *k = ctx;
	const struct pol_constraint *c = k->c;
	double d;
	uint64_t u;
	bool is_uint;
	if (k->fail)
		return;
	k->seen++;
	switch (c->kind) {
	case BLD_FIELD_TEXT:
		if (f->type != BLD_OPF_TEXT || !text_match(c, op->text + f->v.off, f->len))
			k->fail = true;
		return;
	case BLD_FIELD_VALUE:
		if (!pol_num(f, &d, &u, &is_uint))
			return;
		for (uint32_t i = 0; i < c->n_vranges; i++)
			if (d >= c->vranges[i].lo && d <= c->vranges[i].hi)
				return;
		k->fail = true;
		k->bad = d;
		return;
	case BLD_FIELD_MIN:
		if (pol_num(f, &d, &u, &is_uint) && (!is_uint || u < c->min))
			k->fail = true;
		return;
	case BLD_FIELD_SET:
		if (!pol_num(f, &d, &u, &is_uint) || !is_uint || !in_ranges(c->ranges, c->n_ranges, u, u))
			k->fail = true;
		return;
	case BLD_FIELD_SPAN: {
		if (!pol_num(f, &d, &u, &is_uint) || !is_uint) {
			k->fail = true;
			return;
		}
		uint64_t hi = u;
		const struct bld_op_field *o = k->end ? pol_sibling(op, from, to, k->end) : NULL;
		uint64_t v2;
		if (o && pol_num(o, &d, &v2, &is_uint) && is_uint) {
			if (k->spec->span_last)
				hi = v2 >= u ? v2 : u;
			else if (v2 > 0)
				hi = u + v2 - 1 >= u ? u + v2 - 1 : UINT64_MAX;
		}
		if (!in_ranges(c->ranges, c->n_ranges, u, hi))
			k->fail = true;
		return;
	}
	}
}

/* 1: the constraint holds; 0: it does not; for VALUE, -1: a value outside (bad set). */
static int check_constraint(const struct bld_op *op, const struct pol_constraint *c, double *bad)
{
	struct check k = { .c = c };
	for (uint32_t r = 0; r < c->n_specs && !k.fail; r++) {
		k.spec = c->specs[r];
		k.end = c->ends[r];
		pol_walk_path(op, &c->paths[r], visit_check, &k);
	}
	if (c->kind == BLD_FIELD_VALUE) {
		if (k.fail) {
			*bad = k.bad;
			return -1;
		}
		return 1;
	}
	if (c->kind == BLD_FIELD_MIN)
		return !k.fail;
	return k.seen && !k.fail;
}

/* ---- operations: cycles (timing and rate) ---- */

static void cycle_alert(struct bld_policy_eval *ev, const struct cycle *cy, enum bld_alert_kind kind, uint64_t ts,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void cycle_alert(struct bld_policy_eval *ev, const struct cycle *cy, enum bld_alert_kind kind, uint64_t ts,
			const char *fmt, ...)
{
	const struct pol_rule *r = &ev->p->rules[cy->rule];
	const struct pol_default *d = kind == BLD_ALERT_RATE_EXCEEDED ? &ev->p->rate_default : &ev->p->timing_default;
	struct agg a = { .kind = kind, .rule = cy->rule + 1, .severity = r->severity_set ? r->severity : d->severity,
			 .action = BLD_ACTION_ALERT, .to_server = true };
	fill_base(&a, &cy->flow);
	snprintf(a.detail, sizeof(a.detail), "%s", cy->detail);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a.reason, sizeof(a.reason), fmt, ap);
	va_end(ap);
	raise(ev, &a, cy->hash, NULL, ts);
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* What tells an entry's cyclic requests apart: the values of its selector keys (model.h pol_key_sig). */
static uint64_t entry_sig(const struct pol_entry *e, const struct bld_op *op)
{
	uint64_t sig = 0;
	for (uint32_t i = 0; i < e->n_c; i++)
		if (e->c[i].kind != BLD_FIELD_VALUE && e->c[i].kind != BLD_FIELD_MIN)
			sig += pol_key_sig(op, e->c[i].specs, e->c[i].n_specs);
	return sig;
}

/*
 * Timing and rate of a rule (e NULL) or of one of its entries, for an
 * allowed request.  Timing follows each distinct request (its signature)
 * between the same client and server; rate counts them all.
 */
static void cycle_op(struct bld_policy_eval *ev, uint32_t rule, uint32_t id, const struct pol_timing *timing,
		     const struct pol_rate *rate, const struct pol_entry *e, const struct bld_policy_flow *f,
		     const struct bld_dissector *dsc, const struct bld_op *op)
{
	if (!timing->set && !rate->set)
		return;
	uint64_t ts = op->ts_ns;
	uint64_t sig = !timing->set ? 1 : e ? entry_sig(e, op) : dsc ? pol_op_sig(dsc, op) : 1;
	/* timing follows one request (same signature); rate counts every request the rule or entry allows */
	uint64_t h = mix(mix_addr(mix_addr(mix(0xc1c1e, id), side_addr(f, true)), side_addr(f, false)), f->family);
	for (int pass = 0; pass < 2; pass++) {
		const struct pol_timing *t = pass == 0 ? timing : NULL;
		const struct pol_rate *rt = pass == 1 ? rate : NULL;
		if ((t && !t->set) || (rt && !rt->set))
			continue;
		uint64_t key = nonzero(t ? mix(h, sig) : mix(h, 0x7a7e));
		struct slot_table *tb = &ev->cycle_index;
		uint32_t i = (uint32_t)key & (tb->n_slots - 1);
		struct cycle *cy = NULL;
		for (; tb->hash[i]; i = (i + 1) & (tb->n_slots - 1))
			if (tb->hash[i] == key) {
				cy = &ev->cycles[tb->index[i]];
				break;
			}
		if (!cy) {
			if (ev->n_cycles >= CYCLE_CAP) {
				capacity(ev, ts, f, "the table of cycles and rates is full: a cycle is not tracked");
				continue;
			}
			cy = &ev->cycles[ev->n_cycles];
			*cy = (struct cycle){ .hash = key, .timing = t, .rate = rt, .when = e ? &e->when : NULL,
					      .rule = rule, .flow = *f, .last_ns = ts, .window_start = ts };
			snprintf(cy->app, sizeof(cy->app), "%s", f->app ? f->app : "unknown");
			cy->flow.app = cy->app;
			if (dsc)   /* the text only once, for the alerts this cycle may raise */
				pol_op_brief(dsc, op, cy->detail, sizeof(cy->detail));
			tb->hash[i] = key;
			tb->index[i] = ev->n_cycles++;
			tb->used++;
			if (rt)
				cy->window_count = 1;
			continue;
		}
		cy->flow = *f;   /* the latest connection, for silence alerts */
		cy->flow.app = cy->app;
		if (t) {
			uint64_t d = ts - cy->last_ns;
			cy->last_ns = ts;
			if (cy->silent) {
				cy->silent = false;   /* resumed: the silence was reported */
			} else if (d + t->tolerance_ns < t->period_ns || d > t->period_ns + t->tolerance_ns) {
				cycle_alert(ev, cy, BLD_ALERT_TIMING_DEVIATION, ts,
					    "interval %.3f s, expected %.3f s +/- %.3f s", secs(d), secs(t->period_ns),
					    secs(t->tolerance_ns));
			}
		} else {
			if (ts - cy->window_start >= rt->per_ns) {
				cy->window_start = ts;
				cy->window_count = 0;
			}
			if (++cy->window_count == rt->max + 1) {
				if (dsc)   /* the request that went over */
					pol_op_brief(dsc, op, cy->detail, sizeof(cy->detail));
				cycle_alert(ev, cy, BLD_ALERT_RATE_EXCEEDED, ts, "more than %u operation%s in %.0f s",
					    rt->max, rt->max == 1 ? "" : "s", secs(rt->per_ns));
			}
		}
	}
}

static void check_silence(struct bld_policy_eval *ev, uint64_t now)
{
	for (uint32_t i = 0; i < ev->n_cycles; i++) {
		struct cycle *cy = &ev->cycles[i];
		if (!cy->timing || cy->silent || now - cy->last_ns <= cy->timing->silence_ns || now < cy->last_ns)
			continue;
		cy->silent = true;
		if (!pol_when_ok(&ev->p->rules[cy->rule].when, now) || (cy->when && !pol_when_ok(cy->when, now)))
			continue;   /* the window closed: quiet is what it asks for (no deviation on resuming either) */
		cycle_alert(ev, cy, BLD_ALERT_TIMING_SILENCE, now, "nothing for %.3f s (period %.3f s, silence after %.3f s)",
			    secs(now - cy->last_ns), secs(cy->timing->period_ns), secs(cy->timing->silence_ns));
	}
}

/* ---- operations: judging ---- */

/*
 * Verdicts, ranked: the best any rule or entry gives wins.  An operation is
 * allowed if anything allows it; else a value out of range (everything but a
 * value matched) says more than a time window (everything matched but the
 * hour), which says more than "not listed".
 */
enum verdict { V_NONE, V_DENIED, V_WINDOW, V_VALUE, V_ALLOWED };

struct judgement {
	enum verdict v;
	const struct pol_rule *rule;        /* that gave the verdict */
	const struct pol_entry *entry;
	const char *key;                    /* V_VALUE: the field */
	double bad;
};

static void better(struct judgement *j, enum verdict v, const struct pol_rule *r, const struct pol_entry *e)
{
	if (v <= j->v)
		return;
	j->v = v;
	j->rule = r;
	j->entry = e;
}

static bool dir_ok(const struct pol_entry *e, const struct bld_op *op)
{
	return e->dir == POL_DIR_ANY || (e->dir == POL_DIR_REQUEST) == (op->dir == BLD_OP_REQUEST);
}

static void judge_entry(const struct pol_rule *r, const struct pol_entry *e, const struct bld_op *op,
			struct judgement *j)
{
	if (!dir_ok(e, op))
		return;
	int value_fail = -1;
	double bad = 0, b;
	for (uint32_t i = 0; i < e->n_c; i++) {
		if (e->c[i].kind != BLD_FIELD_VALUE) {
			if (!check_constraint(op, &e->c[i], &b))
				return;   /* not this entry */
		} else if (value_fail < 0 && check_constraint(op, &e->c[i], &b) < 0) {
			value_fail = (int)i;
			bad = b;
		}
	}
	if (!pol_when_ok(&e->when, op->ts_ns)) {
		better(j, V_WINDOW, r, e);
	} else if (value_fail >= 0) {
		if (j->v < V_VALUE) {
			better(j, V_VALUE, r, e);
			j->key = e->c[value_fail].key;
			j->bad = bad;
		}
	} else {
		better(j, V_ALLOWED, r, e);
	}
}

static uint64_t kind_value(const struct bld_dissector *dsc, const struct bld_op *op, bool *has)
{
	const struct bld_op_field *f = bld_op_get(op, dsc->fields[0].path);
	*has = f && (f->type == BLD_OPF_UINT || f->type == BLD_OPF_INT);
	return *has ? f->v.u : 0;
}

/* Whether rule r judges op at all: requests always, responses only when an entry asks for them. */
static bool judges(const struct pol_rule *r, const struct bld_op *op)
{
	return op->dir == BLD_OP_REQUEST || r->judges_responses;
}

static void judge_rule(const struct pol_rule *r, const struct bld_op *op, struct judgement *j)
{
	if (!judges(r, op))
		return;
	if (!pol_when_ok(&r->when, op->ts_ns)) {
		better(j, V_WINDOW, r, NULL);
		return;
	}
	if (!r->has_ops) {
		better(j, V_ALLOWED, r, NULL);
		return;
	}
	better(j, V_DENIED, r, NULL);
	if (r->bucket_first) {
		bool has;
		uint64_t v = kind_value(r->dsc, op, &has);
		/* the op's bucket, then the entries that do not constrain the kind (bucket 256) */
		uint32_t first = has ? (uint32_t)(v & 255) : 256;
		for (uint32_t bk = first; bk <= 256 && j->v != V_ALLOWED; bk = bk == 256 ? 257 : 256)
			for (uint32_t i = r->bucket_first[bk]; i < r->bucket_first[bk + 1] && j->v != V_ALLOWED; i++)
				judge_entry(r, &r->ops[r->bucket_entries[i]], op, j);
		return;
	}
	for (uint32_t i = 0; i < r->n_ops && j->v != V_ALLOWED; i++)
		judge_entry(r, &r->ops[i], op, j);
}

/*
 * An operation on a flow no rule allows: the flow was reported, but what it
 * did matters to whoever reads the alert (a write from an unknown host is
 * worse than a connection attempt), so each kind of request is reported
 * once per interval, without a rule.
 */
static void denied_op(struct bld_policy_eval *ev, const struct bld_policy_flow *f, const struct bld_op *op)
{
	enum bld_proto pid = bld_registry_find(op->proto);
	const struct bld_dissector *dsc = pid != BLD_PROTO_UNKNOWN ? bld_dissectors[pid] : NULL;
	if (op->dir != BLD_OP_REQUEST || !dsc || !dsc->n_fields ||
	    !pol_op_judged(dsc, op, ev->p->selectors[pid], ev->p->n_selectors[pid]))
		return;
	bool has;
	uint64_t sub = mix(kind_value(dsc, op, &has), 0xdead);
	if (agg_bump(ev, BLD_ALERT_OP_NOT_ALLOWED, agg_key(BLD_ALERT_OP_NOT_ALLOWED, 0, 0, f, sub), op->ts_ns))
		return;
	struct agg a = { .kind = BLD_ALERT_OP_NOT_ALLOWED, .severity = ev->p->flow_default.severity,
			 .action = ev->p->flow_default.action, .to_server = op->to_server };
	fill_base(&a, f);
	pol_op_brief(dsc, op, a.detail, sizeof(a.detail));
	snprintf(a.reason, sizeof(a.reason), "%s request on a flow no rule allows", op->proto);
	raise(ev, &a, sub, op, op->ts_ns);
}

void bld_policy_eval_op(struct bld_policy_eval *ev, const struct bld_policy_flow *f,
			struct bld_policy_flow_state *st, const struct bld_op *op)
{
	const struct bld_policy *p = ev->p;
	if (!st->set || st->generation != ev->generation)
		bld_policy_eval_flow(ev, f, st, op->ts_ns);
	if (st->set == UINT32_MAX && !st->denied)
		return;
	ev->stats.ops++;
	if (st->denied) {
		denied_op(ev, f, op);
		return;
	}
	const struct rule_set *s = &ev->sets[st->set - 1];
	struct judgement j = { .v = V_NONE };
	int judged = -1;   /* whether the op carries anything rules judge: found out once, when a rule lists operations */
	for (uint32_t i = 0; i < s->n && j.v != V_ALLOWED; i++) {
		const struct pol_rule *r = &p->rules[ev->set_rules[s->first + i]];
		if (r->has_ops) {
			if (!r->dsc || strcmp(r->dsc->name, op->proto) != 0)
				continue;   /* entries speak another protocol's fields */
			if (judged < 0)
				judged = pol_op_judged(r->dsc, op, p->selectors[r->proto], p->n_selectors[r->proto]);
			if (!judged)
				return;
		}
		judge_rule(r, op, &j);
	}
	if (j.v == V_NONE)
		return;
	const struct bld_dissector *dsc = j.rule->dsc;
	if (j.v == V_ALLOWED) {
		const struct pol_rule *r = j.rule;
		const struct pol_entry *e = j.entry;
		ev->hits[r->index]++;
		if (op->dir != BLD_OP_REQUEST)
			return;
		cycle_op(ev, r->index, r->index * 2, &r->timing, &r->rate, NULL, f, dsc, op);
		if (e)
			cycle_op(ev, r->index, p->n_rules * 2 + e->index, &e->timing, &e->rate, e, f, dsc, op);
		return;
	}
	const struct pol_rule *r = j.rule;
	bool has;
	uint64_t sub = dsc ? mix(kind_value(dsc, op, &has), op->dir) : 0;
	if (j.v == V_VALUE)
		sub = mix_str(sub, j.key);
	enum bld_alert_kind kind = j.v == V_VALUE ? BLD_ALERT_VALUE_OUT_OF_RANGE : BLD_ALERT_OP_NOT_ALLOWED;
	if (agg_bump(ev, kind, agg_key(kind, 0, r->index + 1, f, sub), op->ts_ns))
		return;
	struct agg a = { .kind = kind, .rule = r->index + 1, .to_server = op->to_server };
	fill_base(&a, f);
	if (dsc)
		pol_op_brief(dsc, op, a.detail, sizeof(a.detail));
	const struct pol_default *d = j.v == V_VALUE ? &p->value_default : &p->op_default;
	a.severity = r->severity_set ? r->severity : d->severity;
	a.action = r->action_set ? r->action : d->action;
	if (j.v == V_VALUE)
		snprintf(a.reason, sizeof(a.reason), "%s %g is outside the range the rule allows for this operation",
			 j.key, j.bad);
	else if (j.v == V_WINDOW)
		snprintf(a.reason, sizeof(a.reason), "%s %s outside the time window the rule allows it in", op->proto,
			 bld_op_dir_names[op->dir]);
	else
		snprintf(a.reason, sizeof(a.reason), "%s %s not among the operations the rule allows", op->proto,
			 bld_op_dir_names[op->dir]);
	if (a.action == BLD_ACTION_DROP)
		st->drop = true;
	raise(ev, &a, sub, op, op->ts_ns);
}

void bld_policy_eval_event(struct bld_policy_eval *ev, const struct bld_policy_flow *f,
			   struct bld_policy_flow_state *st, uint16_t event, uint64_t ts_ns, bool to_server)
{
	if (!st->set || st->generation != ev->generation)
		bld_policy_eval_flow(ev, f, st, ts_ns);
	uint32_t rule = 0;   /* the flow's first rule, named in the alert: the context a SOC reads it in */
	if (!st->denied && st->set != UINT32_MAX) {
		const struct rule_set *s = &ev->sets[st->set - 1];
		rule = ev->set_rules[s->first] + 1;
		for (uint32_t i = 0; i < s->n; i++) {
			const struct pol_rule *r = &ev->p->rules[ev->set_rules[s->first + i]];
			for (uint32_t k = 0; k < r->n_expected; k++)
				if (r->expected_events[k] == event) {
					ev->stats.expected_events++;
					return;
				}
		}
	}
	if (agg_bump(ev, BLD_ALERT_PROTOCOL, agg_key(BLD_ALERT_PROTOCOL, event, rule, f, 0), ts_ns))
		return;
	struct agg a = { .kind = BLD_ALERT_PROTOCOL, .protocol_event = event, .rule = rule,
			 .severity = (enum bld_severity)ev->p->event_severity[event], .action = BLD_ACTION_ALERT,
			 .to_server = to_server };
	fill_base(&a, f);
	snprintf(a.reason, sizeof(a.reason), "%s", bld_event_docs[event]);
	raise(ev, &a, 0, NULL, ts_ns);
}

void bld_policy_eval_tick(struct bld_policy_eval *ev, uint64_t now)
{
	if (now < ev->next_tick)
		return;
	ev->next_tick = now + TICK_NS;
	flush_aggs(ev, now, false);
	check_silence(ev, now);
}

void bld_policy_eval_finish(struct bld_policy_eval *ev, uint64_t now)
{
	capacity_flush(ev, now);
	check_silence(ev, now);
	flush_aggs(ev, now, true);
}
