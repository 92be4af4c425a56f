/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The report of `bollard test` (policy_report.h): collected while the
 * engines run, sorted once, then written as text, JSON or one HTML page.
 *
 * Every table is bounded (policy_report.h): a group, identity or edge that
 * does not fit is counted, never stored.  Orders are total (ties broken by
 * first appearance), so the same captures and policies always give the
 * same report, byte for byte: the determinism the engine promises
 * (DESIGN.md) carries through to the report.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "flow_record.h"
#include "op_json.h"
#include "policy_report.h"
#include "utf8.h"

#define TEXT_MAX 1024            /* bytes kept of a reason or detail */
#define MAX_KINDS (BLD_ALERT_KIND_MAX + BLD_EVENT_MAX)
#define MAX_REPORTED_DEAD 100000 /* sanity bound; a policy has fewer rules */

enum { NEW = 0, OLD = 1 };

/* ---- small helpers ---- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

#define FNV_INIT 0xcbf29ce484222325ull

/* A copy of at most TEXT_MAX bytes, not cutting a UTF-8 sequence. */
static char *dup_text(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	if (n > TEXT_MAX) {
		n = TEXT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	char *r = malloc(n + 1);
	if (r) {
		memcpy(r, s, n);
		r[n] = 0;
	}
	return r;
}

static bool streq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* ---- open-addressing index: slot holds entry index + 1, 0 when empty ---- */

struct htab {
	uint32_t *slot;
	uint32_t mask;
};

static int htab_init(struct htab *t, uint32_t entries)
{
	uint32_t n = 64;
	while (n < entries * 2)
		n <<= 1;
	t->slot = calloc(n, sizeof(*t->slot));
	t->mask = n - 1;
	return t->slot ? 0 : -ENOMEM;
}

/* ---- the model ---- */

struct example {
	char *reason, *detail, *proto, *src_host, *dst_host;
	char src[64], dst[64];
	uint16_t src_port, dst_port;
	bool has_ports, l2;
	bool server_sends;           /* src is the flow's server (a response, a server's event) */
};

struct group {
	uint64_t hash;
	char *rule;                  /* NULL: no rule matched */
	const char *event;           /* static (bld_alert_event_name) */
	uint64_t lines, occ, first, last;
	enum bld_severity sev;       /* the highest seen */
	struct example ex;           /* the first line */
};

struct kind_total {
	const char *event;
	uint64_t lines[2], occ[2];
	enum bld_severity sev[2];
};

/* An alert as the diff knows it, whichever policy raised it. */
struct ident {
	uint64_t hash;
	const char *event;
	char *proto, *detail;
	char src[64], dst[64];
	uint16_t port;               /* the server's port, whichever side sent */
	bool has_port;
	bool server_sends;           /* src is the server, so the port is on src */
	uint8_t asset_side;          /* asset.new: 1 the client is new, 2 the server; else 0 */
	struct {
		uint64_t lines, occ, first, last;
		enum bld_severity sev;
		char *rule, *reason;
	} s[2];
};

struct node {
	uint64_t hash;
	uint8_t family;              /* 4, 6, or 0: addr holds a MAC */
	uint8_t addr[16];
	char text[64];
	char *name;                  /* the policy's name, or NULL */
	uint64_t out, in, denied;    /* flows as client, as server; denied either way */
	/* map layout */
	uint64_t weight;
	int col, row, y;
	bool drawn, is_client, is_server;
};

struct edge {
	uint64_t hash;
	uint32_t client, server;     /* node indexes */
	uint8_t l4;
	uint16_t port;
	bool has_ports;
	char app[32];
	uint64_t flows, denied, packets, bytes;
};

struct input {
	char *path, *error;
	uint64_t packets;
};

struct bld_policy_report {
	int err;                     /* -ENOMEM met while collecting: the report is incomplete */
	char *policy_path, *baseline_path, *site;
	const struct bld_policy *policy;
	struct bld_policy_info info;

	struct input inputs[BLD_POLICY_REPORT_MAX_INPUTS];
	unsigned n_inputs;
	uint64_t inputs_dropped;
	uint64_t packets, bytes, ts_first, ts_last;

	uint64_t lines[2], occ[2];
	struct kind_total kinds[MAX_KINDS];
	unsigned n_kinds;

	struct group *groups;
	uint32_t n_groups, cap_groups;
	struct htab gtab;
	uint64_t groups_dropped_lines, groups_dropped_occ;

	bool rules_known;
	unsigned rules;
	char **dead;
	unsigned n_dead;

	struct ident *idents;
	uint32_t n_idents, cap_idents;
	struct htab itab;
	uint64_t ident_dropped[2];   /* alert lines whose identity did not fit */

	struct node *nodes;
	uint32_t n_nodes, cap_nodes;
	struct htab ntab;
	struct edge *edges;
	uint32_t n_edges, cap_edges;
	struct htab etab;
	uint64_t flows, denied_flows, untracked_flows, untracked_denied;

	/* prepared for output */
	bool prepared;
	uint32_t *g_order, *e_order, *added, *silenced;
	unsigned k_order[MAX_KINDS];
	uint32_t n_added, n_silenced;
	uint64_t added_occ, silenced_occ;
	uint32_t n_listed_edges;
};

/* Grow an array of entries by doubling, up to cap entries. */
static int grow(void **p, uint32_t *cap, size_t size, uint32_t max)
{
	uint32_t n = *cap ? *cap * 2 : 64;
	if (n > max)
		n = max;
	void *q = realloc(*p, (size_t)n * size);
	if (!q)
		return -ENOMEM;
	memset((char *)q + (size_t)*cap * size, 0, (size_t)(n - *cap) * size);
	*p = q;
	*cap = n;
	return 0;
}

struct bld_policy_report *bld_policy_report_create(void)
{
	struct bld_policy_report *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (htab_init(&r->gtab, BLD_POLICY_REPORT_MAX_GROUPS) < 0 ||
	    htab_init(&r->ntab, 2 * BLD_POLICY_REPORT_MAX_EDGES) < 0 || htab_init(&r->etab, BLD_POLICY_REPORT_MAX_EDGES) < 0) {
		bld_policy_report_destroy(r);
		return NULL;
	}
	return r;
}

static void example_free(struct example *ex)
{
	free(ex->reason);
	free(ex->detail);
	free(ex->proto);
	free(ex->src_host);
	free(ex->dst_host);
}

void bld_policy_report_destroy(struct bld_policy_report *r)
{
	if (!r)
		return;
	free(r->policy_path);
	free(r->baseline_path);
	free(r->site);
	for (unsigned i = 0; i < r->n_inputs; i++) {
		free(r->inputs[i].path);
		free(r->inputs[i].error);
	}
	for (uint32_t i = 0; i < r->n_groups; i++) {
		free(r->groups[i].rule);
		example_free(&r->groups[i].ex);
	}
	free(r->groups);
	free(r->gtab.slot);
	for (unsigned i = 0; i < r->n_dead; i++)
		free(r->dead[i]);
	free(r->dead);
	for (uint32_t i = 0; i < r->n_idents; i++) {
		struct ident *d = &r->idents[i];
		free(d->proto);
		free(d->detail);
		for (int s = 0; s < 2; s++) {
			free(d->s[s].rule);
			free(d->s[s].reason);
		}
	}
	free(r->idents);
	free(r->itab.slot);
	for (uint32_t i = 0; i < r->n_nodes; i++)
		free(r->nodes[i].name);
	free(r->nodes);
	free(r->ntab.slot);
	free(r->edges);
	free(r->etab.slot);
	free(r->g_order);
	free(r->e_order);
	free(r->added);
	free(r->silenced);
	free(r);
}

void bld_policy_report_policy(struct bld_policy_report *r, const char *path, const struct bld_policy *p)
{
	free(r->policy_path);
	r->policy_path = dup_text(path);
	r->policy = p;
	if (p) {
		bld_policy_info(p, &r->info);
		free(r->site);
		r->site = dup_text(r->info.site);
		r->info.site = r->site;
	}
	r->prepared = false;
}

void bld_policy_report_baseline(struct bld_policy_report *r, const char *path)
{
	free(r->baseline_path);
	r->baseline_path = dup_text(path ? path : "");
	if (!r->itab.slot && htab_init(&r->itab, BLD_POLICY_REPORT_MAX_DIFF) < 0)
		r->err = -ENOMEM;
	r->prepared = false;
}

void bld_policy_report_input(struct bld_policy_report *r, const char *path, uint64_t packets, const char *error)
{
	if (r->n_inputs == BLD_POLICY_REPORT_MAX_INPUTS) {
		r->inputs_dropped++;
		return;
	}
	struct input *in = &r->inputs[r->n_inputs++];
	in->path = dup_text(path);
	in->error = dup_text(error);
	in->packets = packets;
}

void bld_policy_report_totals(struct bld_policy_report *r, uint64_t packets, uint64_t bytes, uint64_t ts_first,
			      uint64_t ts_last)
{
	r->packets = packets;
	r->bytes = bytes;
	r->ts_first = ts_first;
	r->ts_last = ts_last;
}

/* ---- alerts ---- */

/* The alert's sender and receiver, as bld_alert_write_json puts them: the client for flow-level alerts. */
static void alert_example(const struct bld_alert *a, struct example *ex)
{
	const struct bld_policy_flow *f = a->flow;
	bool client_sends = a->to_server || a->kind == BLD_ALERT_FLOW_NOT_ALLOWED || a->kind == BLD_ALERT_ASSET_NEW;
	ex->l2 = f->family != 4 && f->family != 6;
	if (ex->l2) {
		const uint8_t *sm = client_sends ? f->client_mac : f->server_mac;
		const uint8_t *dm = client_sends ? f->server_mac : f->client_mac;
		snprintf(ex->src, sizeof(ex->src), "%02x:%02x:%02x:%02x:%02x:%02x", sm[0], sm[1], sm[2], sm[3], sm[4], sm[5]);
		snprintf(ex->dst, sizeof(ex->dst), "%02x:%02x:%02x:%02x:%02x:%02x", dm[0], dm[1], dm[2], dm[3], dm[4], dm[5]);
	} else {
		int af = f->family == 4 ? AF_INET : AF_INET6;
		inet_ntop(af, client_sends ? f->client_ip : f->server_ip, ex->src, sizeof(ex->src));
		inet_ntop(af, client_sends ? f->server_ip : f->client_ip, ex->dst, sizeof(ex->dst));
	}
	ex->has_ports = f->has_ports;
	ex->server_sends = !client_sends;
	ex->src_port = client_sends ? f->client_port : f->server_port;
	ex->dst_port = client_sends ? f->server_port : f->client_port;
	ex->src_host = dup_text(client_sends ? a->client_host : a->server_host);
	ex->dst_host = dup_text(client_sends ? a->server_host : a->client_host);
	ex->reason = dup_text(a->reason ? a->reason : "");
	ex->detail = dup_text(a->detail ? a->detail : "");
	ex->proto = dup_text(f->app ? f->app : "unknown");
}

static void count_kind(struct bld_policy_report *r, const struct bld_alert *a, int side)
{
	const char *ev = bld_alert_event_name(a);
	struct kind_total *k = NULL;
	for (unsigned i = 0; i < r->n_kinds && !k; i++)
		if (streq(r->kinds[i].event, ev))
			k = &r->kinds[i];
	if (!k) {
		if (r->n_kinds == MAX_KINDS)
			return;   /* cannot happen: every name comes from the two static tables */
		k = &r->kinds[r->n_kinds++];
		k->event = ev;
	}
	if (!k->lines[side] || a->severity > k->sev[side])
		k->sev[side] = a->severity;
	k->lines[side]++;
	k->occ[side] += a->count;
}

static void add_group(struct bld_policy_report *r, const struct bld_alert *a)
{
	const char *ev = bld_alert_event_name(a);
	uint64_t h = fnv_str(fnv_str(FNV_INIT, a->rule), ev);
	uint32_t i = (uint32_t)h & r->gtab.mask;
	struct group *g = NULL;
	for (; r->gtab.slot[i]; i = (i + 1) & r->gtab.mask) {
		struct group *c = &r->groups[r->gtab.slot[i] - 1];
		if (c->hash == h && streq(c->rule, a->rule) && streq(c->event, ev)) {
			g = c;
			break;
		}
	}
	if (!g) {
		if (r->n_groups == BLD_POLICY_REPORT_MAX_GROUPS ||
		    (r->n_groups == r->cap_groups &&
		     grow((void **)&r->groups, &r->cap_groups, sizeof(*r->groups), BLD_POLICY_REPORT_MAX_GROUPS) < 0)) {
			r->groups_dropped_lines++;
			r->groups_dropped_occ += a->count;
			return;
		}
		g = &r->groups[r->n_groups];
		r->gtab.slot[i] = ++r->n_groups;
		g->hash = h;
		g->rule = dup_text(a->rule);
		g->event = ev;
		g->first = a->first_ns;
		g->last = a->last_ns;
		g->sev = a->severity;
		alert_example(a, &g->ex);
	}
	g->lines++;
	g->occ += a->count;
	if (a->first_ns < g->first)
		g->first = a->first_ns;
	if (a->last_ns > g->last)
		g->last = a->last_ns;
	if (a->severity > g->sev)
		g->sev = a->severity;
}

/*
 * asset.new names one address; two alerts of the same flow (both ends new)
 * would otherwise look alike.  The unknown address opens the reason (it
 * has no name in the policy that raised it).
 */
static uint8_t asset_side(const struct bld_alert *a, const struct example *ex)
{
	if (a->kind != BLD_ALERT_ASSET_NEW || !a->reason)
		return 0;
	size_t n = strlen(ex->src);
	if (strncmp(a->reason, ex->src, n) == 0 && a->reason[n] == ' ')
		return 1;
	n = strlen(ex->dst);
	if (strncmp(a->reason, ex->dst, n) == 0 && a->reason[n] == ' ')
		return 2;
	return 0;
}

static void add_ident(struct bld_policy_report *r, const struct bld_alert *a, int side)
{
	struct example ex = { 0 };
	alert_example(a, &ex);
	const char *ev = bld_alert_event_name(a);
	const struct bld_policy_flow *f = a->flow;
	bool has_port = f->has_ports;
	uint16_t port = has_port ? f->server_port : 0;
	uint8_t as = asset_side(a, &ex);
	uint64_t h = fnv_str(FNV_INIT, ev);
	h = fnv_str(h, ex.src);
	h = fnv_str(h, ex.dst);
	h = fnv(h, &port, sizeof(port));
	h = fnv(h, &has_port, sizeof(has_port));
	h = fnv_str(h, ex.proto);
	h = fnv_str(h, ex.detail);
	h = fnv(h, &as, 1);
	h = fnv(h, &ex.server_sends, sizeof(ex.server_sends));
	uint32_t i = (uint32_t)h & r->itab.mask;
	struct ident *d = NULL;
	for (; r->itab.slot[i]; i = (i + 1) & r->itab.mask) {
		struct ident *c = &r->idents[r->itab.slot[i] - 1];
		if (c->hash == h && streq(c->event, ev) && c->port == port && c->has_port == has_port &&
		    c->asset_side == as && c->server_sends == ex.server_sends && strcmp(c->src, ex.src) == 0 && strcmp(c->dst, ex.dst) == 0 &&
		    streq(c->proto, ex.proto) && streq(c->detail, ex.detail)) {
			d = c;
			break;
		}
	}
	if (!d) {
		if (r->n_idents == BLD_POLICY_REPORT_MAX_DIFF ||
		    (r->n_idents == r->cap_idents &&
		     grow((void **)&r->idents, &r->cap_idents, sizeof(*r->idents), BLD_POLICY_REPORT_MAX_DIFF) < 0)) {
			r->ident_dropped[side]++;
			example_free(&ex);
			return;
		}
		d = &r->idents[r->n_idents];
		r->itab.slot[i] = ++r->n_idents;
		d->hash = h;
		d->event = ev;
		memcpy(d->src, ex.src, sizeof(d->src));
		memcpy(d->dst, ex.dst, sizeof(d->dst));
		d->port = port;
		d->has_port = has_port;
		d->asset_side = as;
		d->server_sends = ex.server_sends;
		d->proto = ex.proto;
		d->detail = ex.detail;
		ex.proto = ex.detail = NULL;
	}
	if (!d->s[side].lines) {
		d->s[side].first = a->first_ns;
		d->s[side].last = a->last_ns;
		d->s[side].sev = a->severity;
		d->s[side].rule = dup_text(a->rule);
		d->s[side].reason = ex.reason;
		ex.reason = NULL;
	}
	d->s[side].lines++;
	d->s[side].occ += a->count;
	if (a->first_ns < d->s[side].first)
		d->s[side].first = a->first_ns;
	if (a->last_ns > d->s[side].last)
		d->s[side].last = a->last_ns;
	if (a->severity > d->s[side].sev)
		d->s[side].sev = a->severity;
	example_free(&ex);
}

void bld_policy_report_alert(struct bld_policy_report *r, const struct bld_alert *a, bool baseline)
{
	int side = baseline ? OLD : NEW;
	r->prepared = false;
	r->lines[side]++;
	r->occ[side] += a->count;
	count_kind(r, a, side);
	if (side == NEW)
		add_group(r, a);
	if (r->itab.slot)
		add_ident(r, a, side);
}

/* ---- the communication map ---- */

static void node_text(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	if (family == 4 || family == 6)
		inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len);
	else
		snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* The node of an address, created if need be; UINT32_MAX when the table is full. */
static uint32_t node_get(struct bld_policy_report *r, uint8_t family, const uint8_t *ip, const uint8_t *mac)
{
	uint8_t addr[16] = { 0 };
	if (family == 4)
		memcpy(addr, ip, 4);
	else if (family == 6)
		memcpy(addr, ip, 16);
	else {
		family = 0;
		memcpy(addr, mac, 6);
	}
	uint64_t h = fnv(fnv(FNV_INIT, &family, 1), addr, sizeof(addr));
	uint32_t i = (uint32_t)h & r->ntab.mask;
	for (; r->ntab.slot[i]; i = (i + 1) & r->ntab.mask) {
		struct node *n = &r->nodes[r->ntab.slot[i] - 1];
		if (n->hash == h && n->family == family && memcmp(n->addr, addr, sizeof(addr)) == 0)
			return r->ntab.slot[i] - 1;
	}
	if (r->n_nodes == 2 * BLD_POLICY_REPORT_MAX_EDGES ||
	    (r->n_nodes == r->cap_nodes &&
	     grow((void **)&r->nodes, &r->cap_nodes, sizeof(*r->nodes), 2 * BLD_POLICY_REPORT_MAX_EDGES) < 0))
		return UINT32_MAX;
	struct node *n = &r->nodes[r->n_nodes];
	r->ntab.slot[i] = ++r->n_nodes;
	n->hash = h;
	n->family = family;
	memcpy(n->addr, addr, sizeof(addr));
	node_text(family, addr, n->text, sizeof(n->text));
	if (r->policy && family)
		n->name = dup_text(bld_policy_host_name(r->policy, family, addr));
	return r->n_nodes - 1;
}

void bld_policy_report_flow(struct bld_policy_report *r, const struct bld_policy_flow *f, bool denied,
			    uint64_t packets, uint64_t bytes)
{
	r->prepared = false;
	r->flows++;
	r->denied_flows += denied;
	const char *app = f->app && f->app[0] ? f->app : "unknown";
	uint8_t fam = f->family == 4 || f->family == 6 ? f->family : 0;
	uint16_t port = f->has_ports ? f->server_port : 0;
	uint64_t h = fnv(FNV_INIT, &fam, 1);
	h = fnv(h, fam ? f->client_ip : f->client_mac, fam == 4 ? 4 : fam == 6 ? 16 : 6);
	h = fnv(h, fam ? f->server_ip : f->server_mac, fam == 4 ? 4 : fam == 6 ? 16 : 6);
	h = fnv(h, &f->l4, 1);
	h = fnv(h, &port, sizeof(port));
	h = fnv_str(h, app);

	uint32_t i = (uint32_t)h & r->etab.mask;
	struct edge *e = NULL;
	for (; r->etab.slot[i]; i = (i + 1) & r->etab.mask) {
		struct edge *c = &r->edges[r->etab.slot[i] - 1];
		if (c->hash != h || c->l4 != f->l4 || c->port != port || c->has_ports != f->has_ports ||
		    strncmp(c->app, app, sizeof(c->app) - 1) != 0)
			continue;
		const struct node *cn = &r->nodes[c->client], *sn = &r->nodes[c->server];
		size_t alen = fam == 4 ? 4 : fam == 6 ? 16 : 6;
		if (cn->family == fam && sn->family == fam &&
		    memcmp(cn->addr, fam ? f->client_ip : f->client_mac, alen) == 0 &&
		    memcmp(sn->addr, fam ? f->server_ip : f->server_mac, alen) == 0) {
			e = c;
			break;
		}
	}
	if (!e) {
		uint32_t cn, sn;
		if (r->n_edges == BLD_POLICY_REPORT_MAX_EDGES ||
		    (r->n_edges == r->cap_edges &&
		     grow((void **)&r->edges, &r->cap_edges, sizeof(*r->edges), BLD_POLICY_REPORT_MAX_EDGES) < 0) ||
		    (cn = node_get(r, fam, f->client_ip, f->client_mac)) == UINT32_MAX ||
		    (sn = node_get(r, fam, f->server_ip, f->server_mac)) == UINT32_MAX) {
			r->untracked_flows++;
			r->untracked_denied += denied;
			return;
		}
		e = &r->edges[r->n_edges];
		r->etab.slot[i] = ++r->n_edges;
		e->hash = h;
		e->client = cn;
		e->server = sn;
		e->l4 = f->l4;
		e->port = port;
		e->has_ports = f->has_ports;
		snprintf(e->app, sizeof(e->app), "%s", app);
	}
	e->flows++;
	e->denied += denied;
	e->packets += packets;
	e->bytes += bytes;
	r->nodes[e->client].out++;
	r->nodes[e->server].in++;
	if (denied) {   /* a node's denied flows, either way; a flow from a host to itself once */
		r->nodes[e->client].denied++;
		if (e->server != e->client)
			r->nodes[e->server].denied++;
	}
}

void bld_policy_report_rules(struct bld_policy_report *r, const struct bld_policy *p, const uint64_t *hits)
{
	struct bld_policy_info in;
	bld_policy_info(p, &in);
	for (unsigned i = 0; i < r->n_dead; i++)
		free(r->dead[i]);
	free(r->dead);
	r->n_dead = 0;
	r->rules = in.rules;
	r->rules_known = true;
	r->dead = calloc(in.rules ? in.rules : 1, sizeof(*r->dead));
	if (!r->dead) {
		r->err = -ENOMEM;
		return;
	}
	for (unsigned i = 0; i < in.rules && i < MAX_REPORTED_DEAD; i++)
		if (!hits || hits[i] == 0) {
			const char *id = bld_policy_rule_id(p, i);
			char fallback[32];
			if (!id) {
				snprintf(fallback, sizeof(fallback), "rule #%u", i + 1);
				id = fallback;
			}
			r->dead[r->n_dead++] = dup_text(id);
		}
}

/* ---- preparing the output: orders ---- */

static const struct bld_policy_report *sort_r;   /* qsort has no context argument in C11 */

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b;
}

static int cmp_group(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	const struct group *x = &sort_r->groups[a], *y = &sort_r->groups[b];
	if (x->sev != y->sev)
		return x->sev > y->sev ? -1 : 1;
	int c = cmp_u64_desc(x->occ, y->occ);
	return c ? c : (a > b) - (a < b);
}

static int cmp_ident(const void *pa, const void *pb, int side)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	const struct ident *x = &sort_r->idents[a], *y = &sort_r->idents[b];
	if (x->s[side].sev != y->s[side].sev)
		return x->s[side].sev > y->s[side].sev ? -1 : 1;
	int c = cmp_u64_desc(x->s[side].occ, y->s[side].occ);
	return c ? c : (a > b) - (a < b);
}

static int cmp_added(const void *a, const void *b)
{
	return cmp_ident(a, b, NEW);
}

static int cmp_silenced(const void *a, const void *b)
{
	return cmp_ident(a, b, OLD);
}

static int cmp_edge(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	const struct edge *x = &sort_r->edges[a], *y = &sort_r->edges[b];
	int c = cmp_u64_desc(x->flows, y->flows);
	if (!c)
		c = cmp_u64_desc(x->denied, y->denied);
	if (!c)
		c = cmp_u64_desc(x->packets, y->packets);
	return c ? c : (a > b) - (a < b);
}

static int cmp_kind(const void *pa, const void *pb)
{
	unsigned a = *(const unsigned *)pa, b = *(const unsigned *)pb;
	const struct kind_total *x = &sort_r->kinds[a], *y = &sort_r->kinds[b];
	int c = cmp_u64_desc(x->lines[NEW], y->lines[NEW]);
	if (!c)
		c = cmp_u64_desc(x->lines[OLD], y->lines[OLD]);
	return c ? c : strcmp(x->event, y->event);
}

static int prepare(struct bld_policy_report *r)
{
	if (r->prepared)
		return 0;
	free(r->g_order);
	free(r->e_order);
	free(r->added);
	free(r->silenced);
	r->g_order = malloc((r->n_groups + 1) * sizeof(uint32_t));
	r->e_order = malloc((r->n_edges + 1) * sizeof(uint32_t));
	r->added = malloc((r->n_idents + 1) * sizeof(uint32_t));
	r->silenced = malloc((r->n_idents + 1) * sizeof(uint32_t));
	if (!r->g_order || !r->e_order || !r->added || !r->silenced)
		return -ENOMEM;
	sort_r = r;
	for (uint32_t i = 0; i < r->n_groups; i++)
		r->g_order[i] = i;
	qsort(r->g_order, r->n_groups, sizeof(uint32_t), cmp_group);
	for (uint32_t i = 0; i < r->n_edges; i++)
		r->e_order[i] = i;
	qsort(r->e_order, r->n_edges, sizeof(uint32_t), cmp_edge);
	r->n_listed_edges = r->n_edges < BLD_POLICY_REPORT_LIST_EDGES ? r->n_edges : BLD_POLICY_REPORT_LIST_EDGES;
	r->n_added = r->n_silenced = 0;
	r->added_occ = r->silenced_occ = 0;
	for (uint32_t i = 0; i < r->n_idents; i++) {
		const struct ident *d = &r->idents[i];
		if (d->s[NEW].lines && !d->s[OLD].lines) {
			r->added[r->n_added++] = i;
			r->added_occ += d->s[NEW].occ;
		} else if (d->s[OLD].lines && !d->s[NEW].lines) {
			r->silenced[r->n_silenced++] = i;
			r->silenced_occ += d->s[OLD].occ;
		}
	}
	qsort(r->added, r->n_added, sizeof(uint32_t), cmp_added);
	qsort(r->silenced, r->n_silenced, sizeof(uint32_t), cmp_silenced);
	for (unsigned i = 0; i < r->n_kinds; i++)
		r->k_order[i] = i;
	qsort(r->k_order, r->n_kinds, sizeof(unsigned), cmp_kind);
	sort_r = NULL;
	r->prepared = true;
	return 0;
}

void bld_policy_report_summary(const struct bld_policy_report *r, struct bld_policy_report_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->alert_lines = r->lines[NEW];
	s->alert_occurrences = r->occ[NEW];
	s->baseline_lines = r->lines[OLD];
	s->baseline_occurrences = r->occ[OLD];
	s->rules = r->rules;
	s->dead_rules = r->n_dead;
	for (uint32_t i = 0; i < r->n_idents; i++) {
		const struct ident *d = &r->idents[i];
		s->added += d->s[NEW].lines && !d->s[OLD].lines;
		s->silenced += d->s[OLD].lines && !d->s[NEW].lines;
	}
	s->diff_complete = !r->ident_dropped[NEW] && !r->ident_dropped[OLD];
	s->flows = r->flows;
	s->edges = r->n_edges;
	for (uint32_t i = 0; i < r->n_edges; i++)
		s->denied_edges += r->edges[i].denied > 0;
}

static const char *l4_name(uint8_t family, uint8_t l4, char *buf, size_t len)
{
	if (family != 4 && family != 6)
		return "l2";
	switch (l4) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 132:
		return "sctp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	}
	snprintf(buf, len, "ip%u", l4);
	return buf;
}

/* "modbus/502", "dns/53 (udp)" when the app is not the transport's usual reading, "arp", "icmp". */
static void edge_label(const struct bld_policy_report *r, const struct edge *e, char *buf, size_t len)
{
	char l4b[16];
	const char *l4 = l4_name(r->nodes[e->client].family, e->l4, l4b, sizeof(l4b));
	if (e->has_ports)
		snprintf(buf, len, "%s/%u%s%s%s", e->app, e->port, strcmp(e->app, "unknown") == 0 ? " (" : "",
			 strcmp(e->app, "unknown") == 0 ? l4 : "", strcmp(e->app, "unknown") == 0 ? ")" : "");
	else if (strcmp(e->app, "unknown") == 0)
		snprintf(buf, len, "%s", l4);
	else
		snprintf(buf, len, "%s", e->app);
}

static void fmt_time(uint64_t ns, char *buf, size_t len)
{
	if (!ns)
		snprintf(buf, len, "-");
	else
		bld_format_time(ns, buf, len);
}

static unsigned total_capture_errors(const struct bld_policy_report *r)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->n_inputs; i++)
		n += r->inputs[i].error != NULL;
	return n;
}

/* ---- text ---- */

/* Control characters from traffic made visible, so they cannot drive a terminal. */
static void put_text(FILE *out, const char *s)
{
	for (; s && *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

static void human_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= 10ull << 30)
		snprintf(buf, len, "%" PRIu64 " GiB", b >> 30);
	else if (b >= 10ull << 20)
		snprintf(buf, len, "%" PRIu64 " MiB", b >> 20);
	else if (b >= 10ull << 10)
		snprintf(buf, len, "%" PRIu64 " KiB", b >> 10);
	else
		snprintf(buf, len, "%" PRIu64 " B", b);
}

#define TEXT_LIST 5   /* diff entries shown per side in the text summary */

static const char *pl(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void text_ident(FILE *out, const struct ident *d, int side)
{
	fprintf(out, "    %-8s %-20s ", bld_severity_names[d->s[side].sev], d->event);
	put_text(out, d->src);
	if (d->has_port && d->server_sends)
		fprintf(out, ":%u", d->port);
	fputs(" -> ", out);
	put_text(out, d->dst);
	if (d->has_port && !d->server_sends)
		fprintf(out, ":%u", d->port);
	fputc(' ', out);
	put_text(out, d->proto);
	if (d->detail && d->detail[0]) {
		fputs(" [", out);
		put_text(out, d->detail);
		fputc(']', out);
	}
	fprintf(out, " x%" PRIu64 "\n", d->s[side].occ);
}

int bld_policy_report_print_text(struct bld_policy_report *r, FILE *out)
{
	if (prepare(r) < 0)
		return -ENOMEM;
	char t1[40], t2[40], b[32];
	fputs("Policy      ", out);
	put_text(out, r->policy_path);
	if (r->site) {
		fputs(" (site ", out);
		put_text(out, r->site);
		fputc(')', out);
	}
	fprintf(out, ": %u host%s, %u group%s, %u zone%s, %u rule%s\n", r->info.hosts, pl(r->info.hosts), r->info.groups,
		pl(r->info.groups), r->info.zones, pl(r->info.zones), r->info.rules, pl(r->info.rules));
	if (r->baseline_path) {
		fputs("Baseline    ", out);
		put_text(out, r->baseline_path);
		fputc('\n', out);
	}
	for (unsigned i = 0; i < r->n_inputs; i++) {
		fputs(i ? "            " : "Captures    ", out);
		put_text(out, r->inputs[i].path);
		fprintf(out, ": %" PRIu64 " packet%s", r->inputs[i].packets, pl(r->inputs[i].packets));
		if (r->inputs[i].error) {
			fputs(" (DAMAGED: ", out);
			put_text(out, r->inputs[i].error);
			fputc(')', out);
		}
		fputc('\n', out);
	}
	if (r->inputs_dropped)
		fprintf(out, "            ... and %" PRIu64 " more\n", r->inputs_dropped);
	fmt_time(r->ts_first, t1, sizeof(t1));
	fmt_time(r->ts_last, t2, sizeof(t2));
	human_bytes(r->bytes, b, sizeof(b));
	fprintf(out, "Traffic     %" PRIu64 " packet%s, %s, %" PRIu64 " flow%s, %s .. %s\n", r->packets, pl(r->packets), b,
		r->flows, pl(r->flows), t1, t2);

	fprintf(out, "\nAlerts      %" PRIu64 " line%s, %" PRIu64 " occurrence%s", r->lines[NEW], pl(r->lines[NEW]),
		r->occ[NEW], pl(r->occ[NEW]));
	if (r->baseline_path)
		fprintf(out, " (baseline: %" PRIu64 " line%s, %" PRIu64 " occurrence%s)", r->lines[OLD], pl(r->lines[OLD]),
			r->occ[OLD], pl(r->occ[OLD]));
	fputc('\n', out);
	for (unsigned i = 0; i < r->n_kinds; i++) {
		const struct kind_total *k = &r->kinds[r->k_order[i]];
		if (!k->lines[NEW] && !r->baseline_path)
			continue;
		fprintf(out, "  %-28s %6" PRIu64 " line%s %8" PRIu64 " occurrence%s", k->event, k->lines[NEW],
			pl(k->lines[NEW])[0] ? "s" : " ", k->occ[NEW], pl(k->occ[NEW]));
		if (r->baseline_path)
			fprintf(out, "%s  (baseline %" PRIu64 " / %" PRIu64 ")", pl(k->occ[NEW])[0] ? "" : " ", k->lines[OLD],
				k->occ[OLD]);
		fputc('\n', out);
	}
	if (r->n_groups) {
		fprintf(out, "  by rule (%u group%s, most severe first):\n", r->n_groups, r->n_groups == 1 ? "" : "s");
		for (uint32_t i = 0; i < r->n_groups && i < 10; i++) {
			const struct group *g = &r->groups[r->g_order[i]];
			fprintf(out, "    %-8s %-20s ", bld_severity_names[g->sev], g->event);
			put_text(out, g->rule ? g->rule : "(no rule)");
			fprintf(out, ": %" PRIu64 " line%s, %" PRIu64 " occurrence%s, e.g. ", g->lines, pl(g->lines), g->occ,
				pl(g->occ));
			put_text(out, g->ex.reason);
			if (g->ex.detail && g->ex.detail[0]) {
				fputs(" [", out);
				put_text(out, g->ex.detail);
				fputc(']', out);
			}
			fputc('\n', out);
		}
		if (r->n_groups > 10)
			fprintf(out, "    ... %u more groups in the report (--report)\n", r->n_groups - 10);
	}
	if (r->groups_dropped_lines)
		fprintf(out, "  (%" PRIu64 " alert lines in groups beyond the first %u are counted above, not grouped)\n",
			r->groups_dropped_lines, BLD_POLICY_REPORT_MAX_GROUPS);

	if (r->rules_known) {
		if (r->n_dead)
			fprintf(out, "\nDead rules  %u of %u rule%s never matched", r->n_dead, r->rules, pl(r->rules));
		else
			fprintf(out, "\nDead rules  none (%s %u rule%s allowed something)", r->rules == 1 ? "the" : "all",
				r->rules, pl(r->rules));
		for (unsigned i = 0; i < r->n_dead && i < 30; i++) {
			fputs(i ? ", " : ": ", out);
			put_text(out, r->dead[i]);
		}
		if (r->n_dead > 30)
			fprintf(out, ", ... %u more", r->n_dead - 30);
		fputc('\n', out);
	}

	if (r->baseline_path) {
		fprintf(out, "\nDiff        against the baseline: %u alert%s added (%" PRIu64 " occurrence%s), %u silenced (%" PRIu64
			" occurrence%s)%s\n",
			r->n_added, pl(r->n_added), r->added_occ, pl(r->added_occ), r->n_silenced, r->silenced_occ,
			pl(r->silenced_occ),
			r->ident_dropped[NEW] || r->ident_dropped[OLD] ? " (incomplete: too many distinct alerts)" : "");
		if (r->n_added)
			fputs("  added by the new policy:\n", out);
		for (uint32_t i = 0; i < r->n_added && i < TEXT_LIST; i++)
			text_ident(out, &r->idents[r->added[i]], NEW);
		if (r->n_added > TEXT_LIST)
			fprintf(out, "    ... %u more\n", r->n_added - TEXT_LIST);
		if (r->n_silenced)
			fputs("  silenced by the new policy:\n", out);
		for (uint32_t i = 0; i < r->n_silenced && i < TEXT_LIST; i++)
			text_ident(out, &r->idents[r->silenced[i]], OLD);
		if (r->n_silenced > TEXT_LIST)
			fprintf(out, "    ... %u more\n", r->n_silenced - TEXT_LIST);
	}

	struct bld_policy_report_summary s;
	bld_policy_report_summary(r, &s);
	fprintf(out, "\nMap         %u host%s, %" PRIu64 " edge%s (%" PRIu64 " denied), %" PRIu64 " flow%s (%" PRIu64
		     " denied)",
		r->n_nodes, pl(r->n_nodes), s.edges, pl(s.edges), s.denied_edges, r->flows, pl(r->flows), r->denied_flows);
	if (r->untracked_flows)
		fprintf(out, "; %" PRIu64 " flows beyond %u edges not mapped", r->untracked_flows,
			BLD_POLICY_REPORT_MAX_EDGES);
	fputc('\n', out);
	if (r->err)
		fputs("\nWARNING: out of memory while collecting: the report is incomplete\n", out);
	unsigned damaged = total_capture_errors(r);
	if (damaged)
		fprintf(out, "\nWARNING: %u capture%s damaged: analysed up to the damage\n", damaged, damaged == 1 ? "" : "s");

	fputs("\nVerdict     ", out);
	if (r->lines[NEW]) {
		fputs("FAIL: ", out);
		put_text(out, r->policy_path);
		fprintf(out, " raised %" PRIu64 " alert line%s (%" PRIu64 " occurrence%s)\n", r->lines[NEW],
			pl(r->lines[NEW]), r->occ[NEW], pl(r->occ[NEW]));
	} else {
		fputs("PASS: ", out);
		put_text(out, r->policy_path);
		fputs(" raised no alert\n", out);
	}
	return ferror(out) ? -EIO : 0;
}

/* ---- JSON ---- */

/* A JSON string of s; bytes that are not UTF-8 become U+0080..U+00FF, as op_json.c does. */
static json_t *jstr(const char *s)
{
	if (!s)
		return json_null();
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	while (i < n) {
		size_t l = bld_utf8_len(p + i, n - i);
		if (!l)
			break;
		i += l;
	}
	if (i == n)
		return json_stringn(s, n);
	char *buf = malloc(2 * n + 1), *o = buf;
	if (!buf)
		return NULL;
	for (i = 0; i < n;) {
		size_t l = bld_utf8_len(p + i, n - i);
		if (l) {
			memcpy(o, p + i, l);
			o += l;
			i += l;
		} else {
			*o++ = (char)(0xc0 | p[i] >> 6);
			*o++ = (char)(0x80 | (p[i] & 0x3f));
			i++;
		}
	}
	json_t *j = json_stringn(buf, (size_t)(o - buf));
	free(buf);
	return j;
}

static json_t *jtime(uint64_t ns)
{
	if (!ns)
		return json_null();
	char t[40];
	bld_format_time(ns, t, sizeof(t));
	return json_string(t);
}

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *json_example(const struct example *ex)
{
	json_t *o = json_object();
	json_object_set_new(o, "reason", jstr(ex->reason));
	if (ex->detail && ex->detail[0])
		json_object_set_new(o, "detail", jstr(ex->detail));
	json_object_set_new(o, ex->l2 ? "src_mac" : "src_ip", jstr(ex->src));
	if (ex->has_ports)
		json_object_set_new(o, "src_port", jint(ex->src_port));
	json_object_set_new(o, ex->l2 ? "dst_mac" : "dst_ip", jstr(ex->dst));
	if (ex->has_ports)
		json_object_set_new(o, "dst_port", jint(ex->dst_port));
	json_object_set_new(o, "proto", jstr(ex->proto));
	if (ex->src_host)
		json_object_set_new(o, "src_host", jstr(ex->src_host));
	if (ex->dst_host)
		json_object_set_new(o, "dst_host", jstr(ex->dst_host));
	return o;
}

static json_t *json_ident(const struct ident *d, int side)
{
	json_t *o = json_object();
	json_object_set_new(o, "event", json_string(d->event));
	json_object_set_new(o, "src", jstr(d->src));
	json_object_set_new(o, "dst", jstr(d->dst));
	json_object_set_new(o, "server_port", d->has_port ? jint(d->port) : json_null());
	json_object_set_new(o, "sender", json_string(d->server_sends ? "server" : "client"));
	json_object_set_new(o, "proto", jstr(d->proto));
	json_object_set_new(o, "detail", jstr(d->detail));
	if (d->asset_side)
		json_object_set_new(o, "new_asset", json_string(d->asset_side == 1 ? "src" : "dst"));
	json_object_set_new(o, "rule", jstr(d->s[side].rule));
	json_object_set_new(o, "severity", json_string(bld_severity_names[d->s[side].sev]));
	json_object_set_new(o, "lines", jint(d->s[side].lines));
	json_object_set_new(o, "occurrences", jint(d->s[side].occ));
	json_object_set_new(o, "first_seen", jtime(d->s[side].first));
	json_object_set_new(o, "last_seen", jtime(d->s[side].last));
	json_object_set_new(o, "reason", jstr(d->s[side].reason));
	return o;
}

static json_t *json_node(const struct node *n)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", jstr(n->text));
	json_object_set_new(o, "name", jstr(n->name));
	json_object_set_new(o, "kind", json_string(n->family ? "ip" : "mac"));
	const char *role = n->out && n->in ? "both" : n->out ? "client" : "server";
	json_object_set_new(o, "role", json_string(role));
	json_object_set_new(o, "flows_as_client", jint(n->out));
	json_object_set_new(o, "flows_as_server", jint(n->in));
	json_object_set_new(o, "denied_flows", jint(n->denied));
	return o;
}

int bld_policy_report_write_json(struct bld_policy_report *r, FILE *out)
{
	if (prepare(r) < 0)
		return -ENOMEM;
	json_t *root = json_object();
	if (!root)
		return -ENOMEM;
	json_object_set_new(root, "report", json_string("bollard-policy-test"));
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "verdict", json_string(r->lines[NEW] ? "fail" : "pass"));
	json_object_set_new(root, "complete", json_boolean(!r->err));

	json_t *pol = json_object();
	json_object_set_new(pol, "path", jstr(r->policy_path));
	json_object_set_new(pol, "site", jstr(r->site));
	json_object_set_new(pol, "hosts", jint(r->info.hosts));
	json_object_set_new(pol, "groups", jint(r->info.groups));
	json_object_set_new(pol, "zones", jint(r->info.zones));
	json_object_set_new(pol, "rules", jint(r->info.rules));
	json_object_set_new(pol, "operations", jint(r->info.operations));
	json_object_set_new(root, "policy", pol);
	if (r->baseline_path) {
		json_t *bl = json_object();
		json_object_set_new(bl, "path", jstr(r->baseline_path));
		json_object_set_new(root, "baseline", bl);
	} else {
		json_object_set_new(root, "baseline", json_null());
	}

	json_t *inputs = json_array();
	for (unsigned i = 0; i < r->n_inputs; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "path", jstr(r->inputs[i].path));
		json_object_set_new(o, "packets", jint(r->inputs[i].packets));
		json_object_set_new(o, "error", jstr(r->inputs[i].error));
		json_array_append_new(inputs, o);
	}
	json_object_set_new(root, "captures", inputs);
	json_object_set_new(root, "captures_not_listed", jint(r->inputs_dropped));
	json_object_set_new(root, "packets", jint(r->packets));
	json_object_set_new(root, "bytes", jint(r->bytes));
	json_object_set_new(root, "first_seen", jtime(r->ts_first));
	json_object_set_new(root, "last_seen", jtime(r->ts_last));

	/* alerts */
	json_t *al = json_object();
	json_object_set_new(al, "lines", jint(r->lines[NEW]));
	json_object_set_new(al, "occurrences", jint(r->occ[NEW]));
	json_t *kinds = json_object();
	for (unsigned i = 0; i < r->n_kinds; i++) {
		const struct kind_total *k = &r->kinds[r->k_order[i]];
		if (!k->lines[NEW])
			continue;
		json_t *o = json_object();
		json_object_set_new(o, "lines", jint(k->lines[NEW]));
		json_object_set_new(o, "occurrences", jint(k->occ[NEW]));
		json_object_set_new(o, "severity", json_string(bld_severity_names[k->sev[NEW]]));
		json_object_set_new(kinds, k->event, o);
	}
	json_object_set_new(al, "by_kind", kinds);
	json_t *groups = json_array();
	for (uint32_t i = 0; i < r->n_groups; i++) {
		const struct group *g = &r->groups[r->g_order[i]];
		json_t *o = json_object();
		json_object_set_new(o, "rule", jstr(g->rule));
		json_object_set_new(o, "event", json_string(g->event));
		json_object_set_new(o, "severity", json_string(bld_severity_names[g->sev]));
		json_object_set_new(o, "lines", jint(g->lines));
		json_object_set_new(o, "occurrences", jint(g->occ));
		json_object_set_new(o, "first_seen", jtime(g->first));
		json_object_set_new(o, "last_seen", jtime(g->last));
		json_object_set_new(o, "example", json_example(&g->ex));
		json_array_append_new(groups, o);
	}
	json_object_set_new(al, "groups", groups);
	json_object_set_new(al, "ungrouped_lines", jint(r->groups_dropped_lines));
	json_object_set_new(al, "ungrouped_occurrences", jint(r->groups_dropped_occ));
	json_object_set_new(root, "alerts", al);

	/* dead rules */
	if (r->rules_known) {
		json_t *dr = json_object();
		json_object_set_new(dr, "rules", jint(r->rules));
		json_object_set_new(dr, "count", jint(r->n_dead));
		json_t *ids = json_array();
		for (unsigned i = 0; i < r->n_dead; i++)
			json_array_append_new(ids, jstr(r->dead[i]));
		json_object_set_new(dr, "ids", ids);
		json_object_set_new(root, "dead_rules", dr);
	} else {
		json_object_set_new(root, "dead_rules", json_null());
	}

	/* diff */
	if (r->baseline_path) {
		json_t *diff = json_object();
		json_object_set_new(diff, "baseline_lines", jint(r->lines[OLD]));
		json_object_set_new(diff, "baseline_occurrences", jint(r->occ[OLD]));
		json_t *bk = json_object();
		for (unsigned i = 0; i < r->n_kinds; i++) {
			const struct kind_total *k = &r->kinds[r->k_order[i]];
			if (!k->lines[OLD])
				continue;
			json_t *o = json_object();
			json_object_set_new(o, "lines", jint(k->lines[OLD]));
			json_object_set_new(o, "occurrences", jint(k->occ[OLD]));
			json_object_set_new(bk, k->event, o);
		}
		json_object_set_new(diff, "baseline_by_kind", bk);
		json_object_set_new(diff, "complete", json_boolean(!r->ident_dropped[NEW] && !r->ident_dropped[OLD]));
		json_object_set_new(diff, "untracked_lines",
				    json_pack("{s:I,s:I}", "new", (json_int_t)r->ident_dropped[NEW], "baseline",
					      (json_int_t)r->ident_dropped[OLD]));
		const char *names[2] = { "added", "silenced" };
		const uint32_t *lists[2] = { r->added, r->silenced };
		const uint32_t counts[2] = { r->n_added, r->n_silenced };
		const uint64_t occs[2] = { r->added_occ, r->silenced_occ };
		for (int s = 0; s < 2; s++) {
			json_t *o = json_object();
			json_object_set_new(o, "total", jint(counts[s]));
			json_object_set_new(o, "occurrences", jint(occs[s]));
			uint32_t listed = counts[s] < BLD_POLICY_REPORT_LIST_DIFF ? counts[s] : BLD_POLICY_REPORT_LIST_DIFF;
			json_object_set_new(o, "listed", jint(listed));
			json_t *arr = json_array();
			for (uint32_t i = 0; i < listed; i++)
				json_array_append_new(arr, json_ident(&r->idents[lists[s][i]], s == 0 ? NEW : OLD));
			json_object_set_new(o, "alerts", arr);
			json_object_set_new(diff, names[s], o);
		}
		json_object_set_new(root, "diff", diff);
	} else {
		json_object_set_new(root, "diff", json_null());
	}

	/* map: the listed edges and the hosts they touch */
	json_t *map = json_object();
	uint64_t denied_edges = 0;
	for (uint32_t i = 0; i < r->n_edges; i++)
		denied_edges += r->edges[i].denied > 0;
	json_object_set_new(map, "flows", jint(r->flows));
	json_object_set_new(map, "denied_flows", jint(r->denied_flows));
	json_object_set_new(map, "hosts_total", jint(r->n_nodes));
	json_object_set_new(map, "edges_total", jint(r->n_edges));
	json_object_set_new(map, "denied_edges_total", jint(denied_edges));
	json_object_set_new(map, "edges_listed", jint(r->n_listed_edges));
	json_object_set_new(map, "edges_capped", json_boolean(r->n_listed_edges < r->n_edges || r->untracked_flows));
	json_object_set_new(map, "unmapped_flows", jint(r->untracked_flows));
	json_object_set_new(map, "unmapped_denied_flows", jint(r->untracked_denied));
	char *seen = calloc(r->n_nodes + 1, 1);
	json_t *nodes = json_array(), *edges = json_array();
	for (uint32_t i = 0; i < r->n_listed_edges; i++) {
		const struct edge *e = &r->edges[r->e_order[i]];
		char l4b[16], label[96];
		edge_label(r, e, label, sizeof(label));
		json_t *o = json_object();
		json_object_set_new(o, "client", jstr(r->nodes[e->client].text));
		json_object_set_new(o, "server", jstr(r->nodes[e->server].text));
		json_object_set_new(o, "l4", json_string(l4_name(r->nodes[e->client].family, e->l4, l4b, sizeof(l4b))));
		json_object_set_new(o, "port", e->has_ports ? jint(e->port) : json_null());
		json_object_set_new(o, "app", jstr(e->app));
		json_object_set_new(o, "label", jstr(label));
		json_object_set_new(o, "flows", jint(e->flows));
		json_object_set_new(o, "denied_flows", jint(e->denied));
		json_object_set_new(o, "packets", jint(e->packets));
		json_object_set_new(o, "bytes", jint(e->bytes));
		json_object_set_new(o, "verdict", json_string(e->denied ? "denied" : "allowed"));
		json_array_append_new(edges, o);
		uint32_t ends[2] = { e->client, e->server };
		for (int k = 0; k < 2; k++)
			if (seen && !seen[ends[k]]) {
				seen[ends[k]] = 1;
				json_array_append_new(nodes, json_node(&r->nodes[ends[k]]));
			}
	}
	free(seen);
	json_object_set_new(map, "nodes", nodes);
	json_object_set_new(map, "edges", edges);
	json_object_set_new(root, "map", map);

	int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ? -EIO : 0;
	json_decref(root);
	if (!rc && fputc('\n', out) == EOF)
		rc = -EIO;
	return rc || ferror(out) ? -EIO : 0;
}

/* ---- HTML ---- */

/* Text from anywhere (traffic included) as HTML text or attribute value. */
static void h(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		unsigned char c = *p;
		size_t l;
		switch (c) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fprintf(out, "&#x%x;", c == 0x7f ? 0x2421u : 0x2400u + c);   /* control pictures */
			} else if (c < 0x80) {
				fputc(c, out);
			} else if ((l = bld_utf8_len(p, SIZE_MAX)) != 0) {
				fwrite(p, 1, l, out);
				p += l;
				continue;
			} else {
				fprintf(out, "&#x%x;", c);   /* not UTF-8: the byte as Latin-1, as in the JSON */
			}
		}
		p++;
	}
}

/* s cut to at most max characters (UTF-8 aware), with an ellipsis. */
static void h_cut(FILE *out, const char *s, size_t max)
{
	char buf[256];
	size_t n = 0, chars = 0;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (p[n] && chars < max && n < sizeof(buf) - 4) {
		size_t l = bld_utf8_len(p + n, SIZE_MAX);
		if (!l)
			l = 1;
		if (n + l >= sizeof(buf) - 4)
			break;
		n += l;
		chars++;
	}
	memcpy(buf, p, n);
	buf[n] = 0;
	h(out, buf);
	if (p[n])
		fputs("\xe2\x80\xa6", out);
}

static const char CSS[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;max-width:1400px;"
	"padding:0 16px;color:#1f2328;background:#fff}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:32px 0 8px;padding-bottom:4px;"
	"border-bottom:1px solid #d0d7de}h3{font-size:15px;margin:18px 0 6px}\n"
	"table{border-collapse:collapse;margin:6px 0 12px}th,td{border:1px solid #d0d7de;padding:3px 8px;"
	"text-align:left;vertical-align:top}th{background:#f6f8fa;font-weight:600}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td.w{max-width:560px;overflow-wrap:anywhere}\n"
	"td.t,.t{white-space:nowrap}\n"
	"code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}\n"
	".verdict{padding:10px 14px;border-radius:6px;font-weight:600;font-size:16px;margin:12px 0}\n"
	".pass{background:#dafbe1;color:#116329;border:1px solid #4ac26b}"
	".fail{background:#ffebe9;color:#a40e26;border:1px solid #ff8182}\n"
	".sev-critical{color:#fff;background:#a40e26;padding:0 5px;border-radius:3px}.sev-high{color:#a40e26;font-weight:600}"
	".sev-medium{color:#9a6700;font-weight:600}.sev-low{color:#0969da}.sev-info{color:#57606a}\n"
	".note{color:#57606a;font-size:13px}.warn{color:#9a6700;font-weight:600}\n"
	".denied{color:#cf222e;font-weight:600}.allowed{color:#1a7f37}\n"
	".kv th{width:130px}.sw{display:inline-block;width:26px;height:4px;vertical-align:middle;margin:0 4px 0 12px}\n"
	".box{display:inline-block;width:14px;height:10px;vertical-align:middle;margin:0 4px 0 12px;border-radius:2px}\n"
	"svg{max-width:100%;height:auto;border:1px solid #d0d7de;border-radius:6px;background:#fcfcfd}\n"
	"nav a{margin-right:14px}\n";

static void td_num(FILE *out, uint64_t v)
{
	fprintf(out, "<td class=\"n\">%" PRIu64 "</td>", v);
}

static void td_sev(FILE *out, enum bld_severity s)
{
	fprintf(out, "<td><span class=\"sev-%s\">%s</span></td>", bld_severity_names[s], bld_severity_names[s]);
}

static void td_time(FILE *out, uint64_t ns)
{
	char t[40];
	fmt_time(ns, t, sizeof(t));
	fprintf(out, "<td class=\"mono t\">%s</td>", t);
}

static void h_host(FILE *out, const char *addr, const char *name)
{
	if (name) {
		h(out, name);
		fputs(" <span class=\"note mono\">", out);
		h(out, addr);
		fputs("</span>", out);
	} else {
		fputs("<span class=\"mono\">", out);
		h(out, addr);
		fputs("</span>", out);
	}
}

static void html_ident_table(FILE *out, struct bld_policy_report *r, const uint32_t *list, uint32_t n, int side)
{
	uint32_t listed = n < BLD_POLICY_REPORT_LIST_DIFF ? n : BLD_POLICY_REPORT_LIST_DIFF;
	if (!n) {
		fputs("<p class=\"note\">none</p>\n", out);
		return;
	}
	fputs("<table><tr><th>severity</th><th>event</th><th>src</th><th>dst</th><th>proto</th><th>detail</th>"
	      "<th class=\"n\">lines</th><th class=\"n\">occurrences</th><th>first seen</th>"
	      "<th>rule</th><th>reason</th></tr>\n",
	      out);
	for (uint32_t i = 0; i < listed; i++) {
		const struct ident *d = &r->idents[list[i]];
		fputs("<tr>", out);
		td_sev(out, d->s[side].sev);
		fputs("<td class=\"mono\">", out);
		h(out, d->event);
		fputs("</td><td class=\"mono\">", out);
		h(out, d->src);
		if (d->has_port && d->server_sends)
			fprintf(out, ":%u", d->port);
		fputs("</td><td class=\"mono\">", out);
		h(out, d->dst);
		if (d->has_port && !d->server_sends)
			fprintf(out, ":%u", d->port);
		fputs("</td><td>", out);
		h(out, d->proto);
		fputs("</td><td class=\"w mono\">", out);
		h(out, d->detail);
		fputs("</td>", out);
		td_num(out, d->s[side].lines);
		td_num(out, d->s[side].occ);
		td_time(out, d->s[side].first);
		fputs("<td>", out);
		h(out, d->s[side].rule ? d->s[side].rule : "(no rule)");
		fputs("</td><td class=\"w\">", out);
		h(out, d->s[side].reason);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	if (listed < n)
		fprintf(out, "<p class=\"note\">Showing %u of %u (most severe, most frequent first); the JSON report "
			     "lists the same %u.</p>\n",
			listed, n, listed);
}

/* ---- the SVG map ---- */

#define MAP_BOX_W 220
#define MAP_BOX_H 22
#define MAP_ROW 30
#define MAP_ROW_MAX 48
#define MAP_TOP 46
#define MAP_MARGIN 16
#define MAP_GAP 250
#define MAP_PAIR_PROTOS 256   /* bytes of a pair's protocol list */

struct pt {
	double x, y;
};

struct pair {
	uint32_t client, server;
	uint64_t flows, denied;
	unsigned n_edges;
	char protos[MAP_PAIR_PROTOS];   /* "modbus/502, s7comm/102" */
	char title[512];
	struct pt p[4];                 /* the arrow: a cubic Bezier curve */
	struct pt at;                   /* where its label goes */
	bool labelled;
};

static int cmp_node_addr(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	const struct node *x = &sort_r->nodes[a], *y = &sort_r->nodes[b];
	if (x->col != y->col)
		return x->col - y->col;
	/* IPv4, then IPv6, then MACs; numeric order groups subnets together */
	int fx = x->family == 4 ? 0 : x->family == 6 ? 1 : 2, fy = y->family == 4 ? 0 : y->family == 6 ? 1 : 2;
	if (fx != fy)
		return fx - fy;
	int c = memcmp(x->addr, y->addr, sizeof(x->addr));
	return c ? c : (a > b) - (a < b);
}

static void append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);
	if (n + 1 < len)
		snprintf(buf + n, len - n, "%s", s);
}

static struct pt bezier(struct pt p0, struct pt p1, struct pt p2, struct pt p3, double t)
{
	double u = 1 - t;
	return (struct pt){ u * u * u * p0.x + 3 * u * u * t * p1.x + 3 * u * t * t * p2.x + t * t * t * p3.x,
			    u * u * u * p0.y + 3 * u * u * t * p1.y + 3 * u * t * t * p2.y + t * t * t * p3.y };
}

/* A rectangle already taken on the map: a host's box or a placed label. */
struct box {
	double x0, y0, x1, y1;
};

static bool box_free(const struct box *taken, unsigned n, struct box b)
{
	for (unsigned i = 0; i < n; i++)
		if (b.x0 < taken[i].x1 && taken[i].x0 < b.x1 && b.y0 < taken[i].y1 && taken[i].y0 < b.y1)
			return false;
	return true;
}

/* The characters of a UTF-8 string (for label widths). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/*
 * One map: the listed edges of one layer (IP hosts, or L2 stations by MAC),
 * hosts in three columns by role (clients, both, servers), an arrow per
 * host pair.  Labels go where they hide neither a host nor another label,
 * else only in the tooltip.
 */
static void html_map_layer(FILE *out, struct bld_policy_report *r, bool l2)
{
	/* 1. hosts of the layer's listed edges, busiest first, at most MAP_NODES drawn */
	for (uint32_t i = 0; i < r->n_nodes; i++) {
		r->nodes[i].weight = 0;
		r->nodes[i].drawn = r->nodes[i].is_client = r->nodes[i].is_server = false;
	}
	uint32_t n_layer = 0;
	for (uint32_t i = 0; i < r->n_listed_edges; i++) {
		const struct edge *e = &r->edges[r->e_order[i]];
		if ((r->nodes[e->client].family == 0) != l2)
			continue;
		n_layer++;
		r->nodes[e->client].weight += e->flows;
		r->nodes[e->server].weight += e->flows;
	}
	if (!n_layer)
		return;
	uint32_t *cand = malloc((r->n_nodes + 1) * sizeof(uint32_t));
	struct pair *pairs = calloc(n_layer, sizeof(*pairs));
	uint32_t *order = calloc(n_layer, sizeof(uint32_t));
	struct box *taken = calloc(BLD_POLICY_REPORT_MAP_NODES + n_layer + 1, sizeof(*taken));
	if (!cand || !pairs || !order || !taken) {
		fputs("<p class=\"warn\">Out of memory drawing the map.</p>\n", out);
		goto free_all;
	}
	/*
	 * Hosts to draw: the ends of the busiest edges first, until MAP_NODES,
	 * so that every host drawn has an arrow (the busiest hosts alone could
	 * be servers whose clients are all left out).
	 */
	uint32_t n_cand = 0, n_drawn = 0;
	for (uint32_t i = 0; i < r->n_nodes; i++)
		n_cand += r->nodes[i].weight > 0;
	for (uint32_t i = 0; i < r->n_listed_edges; i++) {
		const struct edge *e = &r->edges[r->e_order[i]];
		if ((r->nodes[e->client].family == 0) != l2)
			continue;
		struct node *c = &r->nodes[e->client], *sv = &r->nodes[e->server];
		uint32_t need = !c->drawn + (!sv->drawn && e->server != e->client);
		if (n_drawn + need > BLD_POLICY_REPORT_MAP_NODES)
			continue;
		if (!c->drawn) {
			c->drawn = true;
			cand[n_drawn++] = e->client;
		}
		if (!sv->drawn) {
			sv->drawn = true;
			cand[n_drawn++] = e->server;
		}
	}
	sort_r = r;

	/* 2. host pairs of those edges between drawn hosts */
	uint32_t n_pairs = 0, edges_hidden = 0;
	for (uint32_t i = 0; i < r->n_listed_edges; i++) {
		const struct edge *e = &r->edges[r->e_order[i]];
		if ((r->nodes[e->client].family == 0) != l2)
			continue;
		if (!r->nodes[e->client].drawn || !r->nodes[e->server].drawn) {
			edges_hidden++;
			continue;
		}
		struct pair *p = NULL;
		for (uint32_t k = 0; k < n_pairs && !p; k++)
			if (pairs[k].client == e->client && pairs[k].server == e->server)
				p = &pairs[k];
		if (!p) {
			p = &pairs[n_pairs++];
			p->client = e->client;
			p->server = e->server;
		}
		char label[96], line[160];
		edge_label(r, e, label, sizeof(label));
		p->flows += e->flows;
		p->denied += e->denied;
		if (p->n_edges < 2) {
			if (p->n_edges)
				append(p->protos, sizeof(p->protos), ", ");
			append(p->protos, sizeof(p->protos), label);
		}
		p->n_edges++;
		snprintf(line, sizeof(line), "\n%s: %" PRIu64 " flow%s, %s", label, e->flows, e->flows == 1 ? "" : "s",
			 e->denied ? (e->denied == e->flows ? "denied" : "some denied") : "allowed");
		append(p->title, sizeof(p->title), line);
		r->nodes[e->client].is_client = true;
		r->nodes[e->server].is_server = true;
	}

	/* 3. columns by role, hosts in address order within a column (subnets stay together) */
	unsigned per_col[3] = { 0 };
	for (uint32_t i = 0; i < n_drawn; i++) {
		struct node *n = &r->nodes[cand[i]];
		n->col = n->is_client && n->is_server ? 1 : n->is_client ? 0 : 2;
	}
	qsort(cand, n_drawn, sizeof(uint32_t), cmp_node_addr);
	sort_r = NULL;
	for (uint32_t i = 0; i < n_drawn; i++) {
		struct node *n = &r->nodes[cand[i]];
		n->row = (int)per_col[n->col]++;
	}
	bool middle = per_col[1] > 0;
	int colx[3] = { MAP_MARGIN, MAP_MARGIN + MAP_BOX_W + MAP_GAP, MAP_MARGIN + 2 * (MAP_BOX_W + MAP_GAP) };
	if (!middle)
		colx[2] = MAP_MARGIN + MAP_BOX_W + MAP_GAP + 80;
	unsigned rows = per_col[0];
	if (per_col[1] > rows)
		rows = per_col[1];
	if (per_col[2] > rows)
		rows = per_col[2];
	int width = colx[2] + MAP_BOX_W + MAP_MARGIN;
	/* more arrows per row: rows further apart, so arrows and labels have room */
	int pitch = MAP_ROW + (int)(n_pairs * 6 / (rows ? rows : 1));
	if (pitch > MAP_ROW_MAX)
		pitch = MAP_ROW_MAX;
	int height = MAP_TOP + (int)rows * pitch + MAP_MARGIN;
	/* shorter columns centred against the tallest: fewer steep arrows */
	int coly[3];
	for (int c = 0; c < 3; c++)
		coly[c] = MAP_TOP + (int)(rows - per_col[c]) * pitch / 2;
	unsigned n_taken = 0;
	for (uint32_t i = 0; i < n_drawn; i++) {
		struct node *n = &r->nodes[cand[i]];
		n->y = coly[n->col] + n->row * pitch;
		double x = colx[n->col], y = n->y;
		taken[n_taken++] = (struct box){ x - 2, y - 2, x + MAP_BOX_W + 2, y + MAP_BOX_H + 2 };
	}
	/* a label most arrows share ("arp") says nothing on each: one caption instead */
	const char *common = NULL;
	unsigned common_n = 0;
	for (uint32_t i = 0; i < n_pairs; i++) {
		unsigned same = 0;
		for (uint32_t k = 0; k < n_pairs; k++)
			same += pairs[k].n_edges == 1 && strcmp(pairs[k].protos, pairs[i].protos) == 0;
		if (pairs[i].n_edges == 1 && same > common_n) {
			common_n = same;
			common = pairs[i].protos;
		}
	}
	if (common_n < 4 || common_n * 2 < n_pairs)
		common = NULL;

	/* 4. label places: denied pairs first, then the busiest */
	for (uint32_t i = 0; i < n_pairs; i++)
		order[i] = i;
	for (uint32_t i = 1; i < n_pairs; i++) {   /* insertion sort: stable, n is small */
		uint32_t v = order[i], j = i;
		while (j > 0) {
			const struct pair *a = &pairs[order[j - 1]], *b = &pairs[v];
			bool before = (b->denied > 0) > (a->denied > 0) ||
				      ((b->denied > 0) == (a->denied > 0) && b->flows > a->flows);
			if (!before)
				break;
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	unsigned unlabelled = 0;
	for (uint32_t oi = 0; oi < n_pairs; oi++) {
		struct pair *p = &pairs[order[oi]];
		const struct node *c = &r->nodes[p->client], *s = &r->nodes[p->server];
		double yc = c->y + MAP_BOX_H / 2.0, ys = s->y + MAP_BOX_H / 2.0;
		struct pt p0, p1, p2, p3;
		bool loop = c->col >= s->col;
		if (!loop) {
			p0 = (struct pt){ colx[c->col] + MAP_BOX_W, yc };
			p3 = (struct pt){ colx[s->col], ys };
			double k = (p3.x - p0.x) * 0.45;
			p1 = (struct pt){ p0.x + k, yc };
			p2 = (struct pt){ p3.x - k, ys };
		} else {
			/* between two hosts of the middle column: a loop out to the right */
			p0 = (struct pt){ colx[c->col] + MAP_BOX_W, yc };
			p3 = (struct pt){ colx[s->col] + MAP_BOX_W, ys };
			double k = 40 + (yc > ys ? yc - ys : ys - yc) * 0.25;
			if (k > 200)
				k = 200;
			p1 = (struct pt){ p0.x + k, yc };
			p2 = (struct pt){ p3.x + k, ys };
		}
		p->p[0] = p0;
		p->p[1] = p1;
		p->p[2] = p2;
		p->p[3] = p3;
		char text[MAP_PAIR_PROTOS + 16];
		snprintf(text, sizeof(text), "%s", p->protos);
		if (p->n_edges > 2)
			snprintf(text + strlen(text), sizeof(text) - strlen(text), " +%u", p->n_edges - 2);
		double w = 5.8 * (double)utf8_chars(text) + 4, hgt = 12;
		static const double ts[] = { 0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82, 0.12, 0.88 };
		p->labelled = false;
		if (common && p->n_edges == 1 && strcmp(p->protos, common) == 0)
			continue;
		for (size_t k = 0; k < sizeof(ts) / sizeof(ts[0]) && !p->labelled; k++) {
			struct pt at = bezier(p0, p1, p2, p3, ts[k]);
			struct box b = { at.x - w / 2, at.y - hgt + 1, at.x + w / 2, at.y + 2 };
			if (b.x0 < 0 || b.x1 > width || b.y0 < MAP_TOP - 14 || !box_free(taken, n_taken, b))
				continue;
			taken[n_taken++] = b;
			p->at = (struct pt){ at.x, at.y - 2 };
			p->labelled = true;
		}
		unlabelled += !p->labelled && !(common && p->n_edges == 1 && strcmp(p->protos, common) == 0);
	}

	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
		"font-family=\"system-ui,sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"%s communication map\">\n"
		"<defs>"
		"<marker id=\"ah-ok%s\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
		"markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#6f9f7a\"/></marker>"
		"<marker id=\"ah-no%s\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" "
		"markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#d1242f\"/></marker>"
		"</defs>\n",
		width, height, width, height, l2 ? "layer 2" : "IP", l2 ? "-l2" : "", l2 ? "-l2" : "");
	static const char *const heads[3] = { "clients", "clients and servers", "servers" };
	for (int c = 0; c < 3; c++)
		if (per_col[c])
			fprintf(out, "<text x=\"%d\" y=\"24\" font-size=\"13\" font-weight=\"600\" fill=\"#57606a\">%s (%u)</text>\n",
				colx[c], heads[c], per_col[c]);

	/* edges: allowed first, denied on top; labels after every line so no line crosses a label */
	for (int pass = 0; pass < 3; pass++) {
		for (uint32_t i = 0; i < n_pairs; i++) {
			const struct pair *p = &pairs[i];
			bool denied = p->denied > 0;
			if (pass < 2 && denied != (pass == 1))
				continue;
			if (pass == 2) {
				if (!p->labelled)
					continue;
				fprintf(out,
					"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\" fill=\"%s\" "
					"stroke=\"#fcfcfd\" stroke-width=\"3\" paint-order=\"stroke\">",
					p->at.x, p->at.y, denied ? "#a40e26" : "#3d6b4a");
				h(out, p->protos);
				if (p->n_edges > 2)
					fprintf(out, " +%u", p->n_edges - 2);
				fputs("</text>\n", out);
				continue;
			}
			const struct node *c = &r->nodes[p->client], *s = &r->nodes[p->server];
			uint64_t f = p->flows;
			int w = 1;
			while (f > 1 && w < 5) {
				f >>= 2;
				w++;
			}
			fputs("<g><title>", out);
			h(out, c->name ? c->name : c->text);
			fputs(" \xe2\x86\x92 ", out);
			h(out, s->name ? s->name : s->text);
			h(out, p->title);
			fprintf(out,
				"</title><path d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"none\" stroke=\"%s\" "
				"stroke-width=\"%d\" stroke-opacity=\"%s\" marker-end=\"url(#%s%s)\"/></g>\n",
				p->p[0].x, p->p[0].y, p->p[1].x, p->p[1].y, p->p[2].x, p->p[2].y, p->p[3].x, p->p[3].y,
				denied ? "#d1242f" : "#8fb59a", w, denied ? "0.9" : "0.85", denied ? "ah-no" : "ah-ok",
				l2 ? "-l2" : "");
		}
	}

	/* hosts */
	for (uint32_t i = 0; i < n_drawn; i++) {
		const struct node *n = &r->nodes[cand[i]];
		int x = colx[n->col], y = n->y;
		bool known = n->name != NULL;
		fputs("<g><title>", out);
		h(out, n->name ? n->name : "not named in the policy");
		fputs(" (", out);
		h(out, n->text);
		fprintf(out, ")\n%" PRIu64 " flows as client, %" PRIu64 " as server, %" PRIu64 " denied</title>", n->out, n->in,
			n->denied);
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" fill=\"%s\" stroke=\"%s\" "
			     "stroke-width=\"%s\"%s/>",
			x, y, MAP_BOX_W, MAP_BOX_H, known ? "#eef4fb" : "#fff8e6", n->denied ? "#d1242f" : known ? "#54739b" : "#bf8700",
			n->denied ? "1.5" : "1", known ? "" : " stroke-dasharray=\"4 2\"");
		fprintf(out, "<text x=\"%d\" y=\"%d\">", x + 6, y + 15);
		if (n->name) {
			size_t nl = utf8_chars(n->name), al = strlen(n->text);
			fputs("<tspan font-weight=\"600\">", out);
			h_cut(out, n->name, 32);
			fputs("</tspan>", out);
			if (nl + al <= 32) {
				fputs(" <tspan fill=\"#57606a\">", out);
				h(out, n->text);
				fputs("</tspan>", out);
			}
		} else {
			h_cut(out, n->text, 34);
		}
		fputs("</text></g>\n", out);
	}
	fputs("</svg>\n", out);
	if (common) {
		fputs("<p class=\"note\">Arrows without a label: ", out);
		h(out, common);
		fputs(".</p>\n", out);
	}
	if (n_drawn < n_cand || edges_hidden)
		fprintf(out,
			"<p class=\"warn\">This map draws the %u busiest of %u hosts; %u edge%s to other hosts %s in the "
			"table only.</p>\n",
			n_drawn, n_cand, edges_hidden, edges_hidden == 1 ? "" : "s", edges_hidden == 1 ? "is" : "are");
	if (unlabelled)
		fprintf(out, "<p class=\"note\">%u of %u arrows had no room for a label: hover for it, or see the table.</p>\n",
			unlabelled, n_pairs);
free_all:
	free(cand);
	free(pairs);
	free(order);
	free(taken);
}

static void html_map(FILE *out, struct bld_policy_report *r)
{
	if (!r->n_listed_edges) {
		fputs("<p class=\"note\">No flows.</p>\n", out);
		return;
	}
	bool ip = false, l2 = false;
	for (uint32_t i = 0; i < r->n_listed_edges; i++) {
		bool is_l2 = r->nodes[r->edges[r->e_order[i]].client].family == 0;
		l2 |= is_l2;
		ip |= !is_l2;
	}
	if (ip) {
		if (l2)
			fputs("<h3>IP hosts</h3>\n", out);
		html_map_layer(out, r, false);
	}
	if (l2) {
		fputs("<h3>Layer 2 (by MAC address: ARP, LLDP, PROFINET, GOOSE, ...)</h3>\n", out);
		html_map_layer(out, r, true);
	}
	fputs("<p class=\"note\">"
	      "<span class=\"sw\" style=\"background:#8fb59a\"></span>allowed by the policy"
	      "<span class=\"sw\" style=\"background:#d1242f\"></span>denied (some flow no rule allows)"
	      "<span class=\"box\" style=\"background:#eef4fb;border:1px solid #54739b\"></span>host named in the policy"
	      "<span class=\"box\" style=\"background:#fff8e6;border:1px dashed #bf8700\"></span>address the policy does "
	      "not name. Arrows point from client to server, one per host pair; thicker lines carry more flows; a red "
	      "border marks a host with denied flows; hover for details.</p>\n",
	      out);
}

int bld_policy_report_write_html(struct bld_policy_report *r, FILE *out)
{
	if (prepare(r) < 0)
		return -ENOMEM;
	char t1[40], t2[40], b[32];
	struct bld_policy_report_summary s;
	bld_policy_report_summary(r, &s);

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>bollard test: ",
	      out);
	h(out, r->policy_path);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", CSS);
	fputs("<h1>Policy test: <code>", out);
	h(out, r->policy_path);
	fputs("</code></h1>\n", out);
	fputs("<nav class=\"note\"><a href=\"#alerts\">alerts</a><a href=\"#dead\">dead rules</a>", out);
	if (r->baseline_path)
		fputs("<a href=\"#diff\">baseline diff</a>", out);
	fputs("<a href=\"#map\">communication map</a><a href=\"#captures\">captures</a></nav>\n", out);
	if (r->lines[NEW]) {
		fprintf(out, "<div class=\"verdict fail\">FAIL: the policy raised %" PRIu64 " alert line%s (%" PRIu64
			     " occurrences) on these captures</div>\n",
			r->lines[NEW], r->lines[NEW] == 1 ? "" : "s", r->occ[NEW]);
	} else {
		fputs("<div class=\"verdict pass\">PASS: the policy raised no alert on these captures</div>\n", out);
	}
	if (r->err)
		fputs("<p class=\"warn\">Out of memory while collecting: this report is incomplete.</p>\n", out);

	fmt_time(r->ts_first, t1, sizeof(t1));
	fmt_time(r->ts_last, t2, sizeof(t2));
	human_bytes(r->bytes, b, sizeof(b));
	fputs("<table class=\"kv\">\n<tr><th>policy</th><td><code>", out);
	h(out, r->policy_path);
	fputs("</code>", out);
	if (r->site) {
		fputs(" (site ", out);
		h(out, r->site);
		fputs(")", out);
	}
	fprintf(out, ": %u hosts, %u groups, %u zones, %u rules, %u operations</td></tr>\n", r->info.hosts,
		r->info.groups, r->info.zones, r->info.rules, r->info.operations);
	if (r->baseline_path) {
		fputs("<tr><th>baseline</th><td><code>", out);
		h(out, r->baseline_path);
		fprintf(out, "</code>: %" PRIu64 " alert lines, %" PRIu64 " occurrences</td></tr>\n", r->lines[OLD],
			r->occ[OLD]);
	}
	fprintf(out, "<tr><th>captures</th><td>%u file%s</td></tr>\n", r->n_inputs, r->n_inputs == 1 ? "" : "s");
	fprintf(out, "<tr><th>traffic</th><td>%" PRIu64 " packets, %s, %" PRIu64 " flows, <span class=\"mono\">%s</span> .. "
		     "<span class=\"mono\">%s</span></td></tr>\n",
		r->packets, b, r->flows, t1, t2);
	fprintf(out, "<tr><th>alerts</th><td>%" PRIu64 " lines, %" PRIu64 " occurrences</td></tr>\n", r->lines[NEW],
		r->occ[NEW]);
	if (r->rules_known)
		fprintf(out, "<tr><th>dead rules</th><td>%u of %u</td></tr>\n", r->n_dead, r->rules);
	if (r->baseline_path)
		fprintf(out, "<tr><th>diff</th><td><span class=\"denied\">%u added</span>, <span class=\"allowed\">%u "
			     "silenced</span></td></tr>\n",
			r->n_added, r->n_silenced);
	fprintf(out, "<tr><th>map</th><td>%u hosts, %" PRIu64 " edges, <span class=\"denied\">%" PRIu64
		     " denied</span></td></tr>\n</table>\n",
		r->n_nodes, s.edges, s.denied_edges);

	/* alerts */
	fputs("<h2 id=\"alerts\">Alerts</h2>\n", out);
	if (!r->lines[NEW]) {
		fputs("<p class=\"note\">The policy raised no alert.</p>\n", out);
	} else {
		fputs("<h3>By kind</h3>\n<table><tr><th>event</th><th>highest severity</th><th class=\"n\">lines</th>"
		      "<th class=\"n\">occurrences</th>",
		      out);
		if (r->baseline_path)
			fputs("<th class=\"n\">baseline lines</th><th class=\"n\">baseline occurrences</th>", out);
		fputs("</tr>\n", out);
		for (unsigned i = 0; i < r->n_kinds; i++) {
			const struct kind_total *k = &r->kinds[r->k_order[i]];
			if (!k->lines[NEW] && !r->baseline_path)
				continue;
			fputs("<tr><td class=\"mono\">", out);
			h(out, k->event);
			fputs("</td>", out);
			if (k->lines[NEW])
				td_sev(out, k->sev[NEW]);
			else
				fputs("<td></td>", out);
			td_num(out, k->lines[NEW]);
			td_num(out, k->occ[NEW]);
			if (r->baseline_path) {
				td_num(out, k->lines[OLD]);
				td_num(out, k->occ[OLD]);
			}
			fputs("</tr>\n", out);
		}
		fputs("</table>\n", out);
		fputs("<h3>By rule</h3>\n<table><tr><th>rule</th><th>event</th><th>severity</th><th class=\"n\">lines</th>"
		      "<th class=\"n\">occurrences</th><th>first seen</th><th>last seen</th><th>example</th></tr>\n",
		      out);
		for (uint32_t i = 0; i < r->n_groups; i++) {
			const struct group *g = &r->groups[r->g_order[i]];
			fputs("<tr><td>", out);
			if (g->rule)
				h(out, g->rule);
			else
				fputs("<span class=\"note t\">(no rule)</span>", out);
			fputs("</td><td class=\"mono\">", out);
			h(out, g->event);
			fputs("</td>", out);
			td_sev(out, g->sev);
			td_num(out, g->lines);
			td_num(out, g->occ);
			td_time(out, g->first);
			td_time(out, g->last);
			fputs("<td class=\"w\">", out);
			h(out, g->ex.reason);
			if (g->ex.detail && g->ex.detail[0]) {
				fputs("<br><code>", out);
				h(out, g->ex.detail);
				fputs("</code>", out);
			}
			fputs("<br><span class=\"note\">", out);
			h_host(out, g->ex.src, g->ex.src_host);
			if (g->ex.has_ports)
				fprintf(out, ":%u", g->ex.src_port);
			fputs(" \xe2\x86\x92 ", out);
			h_host(out, g->ex.dst, g->ex.dst_host);
			if (g->ex.has_ports)
				fprintf(out, ":%u", g->ex.dst_port);
			fputs(" ", out);
			h(out, g->ex.proto);
			fputs("</span></td></tr>\n", out);
		}
		fputs("</table>\n", out);
		if (r->groups_dropped_lines)
			fprintf(out, "<p class=\"warn\">%" PRIu64 " alert lines (%" PRIu64 " occurrences) fell in groups beyond "
				     "the first %u and are counted in the totals only.</p>\n",
				r->groups_dropped_lines, r->groups_dropped_occ, BLD_POLICY_REPORT_MAX_GROUPS);
	}

	/* dead rules */
	fputs("<h2 id=\"dead\">Dead rules</h2>\n", out);
	if (!r->rules_known)
		fputs("<p class=\"note\">Not computed.</p>\n", out);
	else if (!r->n_dead)
		fprintf(out, "<p class=\"note\">Every one of the %u rules allowed something.</p>\n", r->rules);
	else {
		fprintf(out, "<p>%u of %u rules allowed nothing in these captures: traffic they were written for did not "
			     "occur, or they are shadowed, stale or mistyped.</p>\n<table><tr><th>rule id</th></tr>\n",
			r->n_dead, r->rules);
		for (unsigned i = 0; i < r->n_dead; i++) {
			fputs("<tr><td><code>", out);
			h(out, r->dead[i]);
			fputs("</code></td></tr>\n", out);
		}
		fputs("</table>\n", out);
	}

	/* diff */
	if (r->baseline_path) {
		fputs("<h2 id=\"diff\">Against the baseline <code>", out);
		h(out, r->baseline_path);
		fputs("</code></h2>\n", out);
		fputs("<p class=\"note\">An alert is identified by (event, source, destination, server port, protocol, "
		      "detail), since rule ids differ between policies.</p>\n",
		      out);
		if (r->ident_dropped[NEW] || r->ident_dropped[OLD])
			fprintf(out, "<p class=\"warn\">Incomplete: more than %u distinct alerts; %" PRIu64 " lines of the new "
				     "policy and %" PRIu64 " of the baseline were not compared.</p>\n",
				BLD_POLICY_REPORT_MAX_DIFF, r->ident_dropped[NEW], r->ident_dropped[OLD]);
		fprintf(out, "<h3>Added by the new policy: %u (%" PRIu64 " occurrences)</h3>\n", r->n_added, r->added_occ);
		html_ident_table(out, r, r->added, r->n_added, NEW);
		fprintf(out, "<h3>Silenced by the new policy: %u (%" PRIu64 " occurrences)</h3>\n", r->n_silenced,
			r->silenced_occ);
		html_ident_table(out, r, r->silenced, r->n_silenced, OLD);
	}

	/* map */
	fputs("<h2 id=\"map\">Communication map</h2>\n", out);
	fprintf(out, "<p>%" PRIu64 " flows (%" PRIu64 " denied) between %u hosts over %" PRIu64 " edges (client "
		     "\xe2\x86\x92 server, protocol/port).</p>\n",
		r->flows, r->denied_flows, r->n_nodes, s.edges);
	html_map(out, r);
	fputs("<h3>Edges</h3>\n", out);
	if (r->n_listed_edges < r->n_edges)
		fprintf(out, "<p class=\"warn\">Showing the %u busiest of %u edges.</p>\n", r->n_listed_edges, r->n_edges);
	if (r->untracked_flows)
		fprintf(out, "<p class=\"warn\">%" PRIu64 " flows (%" PRIu64 " denied) beyond %u distinct edges are "
			     "counted but not mapped.</p>\n",
			r->untracked_flows, r->untracked_denied, BLD_POLICY_REPORT_MAX_EDGES);
	if (r->n_listed_edges) {
		fputs("<table><tr><th>verdict</th><th>client</th><th>server</th><th>protocol</th><th class=\"n\">flows</th>"
		      "<th class=\"n\">denied</th><th class=\"n\">packets</th><th class=\"n\">bytes</th></tr>\n",
		      out);
		for (uint32_t i = 0; i < r->n_listed_edges; i++) {
			const struct edge *e = &r->edges[r->e_order[i]];
			const struct node *c = &r->nodes[e->client], *sv = &r->nodes[e->server];
			char label[96];
			edge_label(r, e, label, sizeof(label));
			fprintf(out, "<tr><td class=\"%s\">%s</td><td>", e->denied ? "denied" : "allowed",
				e->denied ? "denied" : "allowed");
			h_host(out, c->text, c->name);
			fputs("</td><td>", out);
			h_host(out, sv->text, sv->name);
			fputs("</td><td class=\"mono\">", out);
			h(out, label);
			fputs("</td>", out);
			td_num(out, e->flows);
			td_num(out, e->denied);
			td_num(out, e->packets);
			td_num(out, e->bytes);
			fputs("</tr>\n", out);
		}
		fputs("</table>\n", out);
	}

	/* captures */
	fputs("<h2 id=\"captures\">Captures</h2>\n<table><tr><th>file</th><th class=\"n\">packets</th><th>state</th></tr>\n",
	      out);
	for (unsigned i = 0; i < r->n_inputs; i++) {
		fputs("<tr><td><code>", out);
		h(out, r->inputs[i].path);
		fputs("</code></td>", out);
		td_num(out, r->inputs[i].packets);
		if (r->inputs[i].error) {
			fputs("<td class=\"warn\">damaged, read up to the damage: ", out);
			h(out, r->inputs[i].error);
			fputs("</td>", out);
		} else {
			fputs("<td>read</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
	if (r->inputs_dropped)
		fprintf(out, "<p class=\"note\">... and %" PRIu64 " more.</p>\n", r->inputs_dropped);
	fputs("<p class=\"note\">Made by <code>bollard test</code>. Time is packet time.</p>\n</body>\n</html>\n", out);
	return ferror(out) ? -EIO : 0;
}
