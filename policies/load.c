/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy loader: a YAML tree (ydoc.c) into the model (model.h), every
 * problem reported as file:line:column, all of them in one pass so that
 * `bollard check` shows a person everything to fix at once.  A policy with
 * any error is freed whole: nothing half-loaded ever takes effect.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* Hard cap on addresses and ranges after groups are expanded (a policy is not a routing table). */
#define POL_MAX_PREFIXES (4u << 20)
#include "registry.h"
#include "ydoc.h"

const char *const bld_alert_kind_names[BLD_ALERT_KIND_MAX] = {
#define BLD_X(id, name, doc) [BLD_ALERT_##id] = name,
	BLD_FOREACH_POLICY_EVENT(BLD_X)
#undef BLD_X
	[BLD_ALERT_PROTOCOL] = "protocol",
};

const char *const bld_alert_kind_docs[BLD_ALERT_KIND_MAX] = {
#define BLD_X(id, name, doc) [BLD_ALERT_##id] = doc,
	BLD_FOREACH_POLICY_EVENT(BLD_X)
#undef BLD_X
	[BLD_ALERT_PROTOCOL] = "a dissector's protocol event (docs/protocols.md)",
};

const char *const bld_severity_names[BLD_SEV_MAX] = { "info", "low", "medium", "high", "critical" };
const char *const bld_action_names[2] = { "alert", "drop" };

/* ---- arena: many small allocations, freed with the policy ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

void *pol_alloc(struct bld_policy *p, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	struct arena_chunk *c = p->arena;
	if (!c || c->size - c->used < size) {
		size_t want = size > 60000 ? size : 60000;
		struct arena_chunk *n = malloc(sizeof(*n) + want);
		if (!n)
			return NULL;
		n->used = 0;
		n->size = want;
		/* a big block goes behind the current chunk so the current one keeps filling */
		if (c && size > 60000) {
			n->next = c->next;
			c->next = n;
		} else {
			n->next = c;
			p->arena = n;
		}
		c = n;
	}
	void *r = c->data + c->used;
	c->used += size;
	memset(r, 0, size);
	return r;
}

char *pol_strdup(struct bld_policy *p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *r = pol_alloc(p, n);
	if (r)
		memcpy(r, s, n);
	return r;
}

void bld_policy_free(struct bld_policy *p)
{
	if (!p)
		return;
	struct arena_chunk *c = p->arena;
	while (c) {
		struct arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	free(p);
}

/* ---- growable arrays while loading (copied into the arena when done) ---- */

struct vec {
	void *p;
	uint32_t n, cap;
	size_t elem;
};

static void *vec_add(struct vec *v)
{
	if (v->n == v->cap) {
		uint32_t cap = v->cap ? v->cap * 2 : 8;
		void *np = realloc(v->p, cap * v->elem);
		if (!np)
			return NULL;
		v->p = np;
		v->cap = cap;
	}
	void *r = (char *)v->p + (size_t)v->n++ * v->elem;
	memset(r, 0, v->elem);
	return r;
}

static void *vec_keep(struct bld_policy *p, struct vec *v)
{
	void *r = v->n ? pol_alloc(p, (size_t)v->n * v->elem) : NULL;
	if (r)
		memcpy(r, v->p, (size_t)v->n * v->elem);
	free(v->p);
	v->p = NULL;
	return r;
}

/* ---- the loader ---- */

struct name_slot {
	const char *name;
	uint32_t principal;
	const struct bld_ynode *node;   /* groups: their member list, resolved after every name is known */
	uint32_t host;                  /* hosts: index in hosts */
};

struct loader {
	struct bld_policy *p;
	const struct bld_ydoc *d;
	struct bld_policy_diag *diag;
	bool oom;
	struct name_slot *names;        /* open hash of principal names */
	uint32_t n_slots;
	struct vec principals, hosts, prefixes, rules, apps;
	uint8_t *on_path;               /* groups: on the current expansion path (a cycle if met again) */
	uint32_t *stamp;                /* groups: the group (+1) whose expansion took them in already */
	bool too_many;                  /* POL_MAX_PREFIXES reached */
	struct lit_slot {
		bld_addr lo, hi;
		uint32_t principal;
		bool used;
	} *lits;                        /* literal ranges in rules: open hash */
	uint32_t n_lits, lits_used;
	struct id_slot {
		const char *id;
		uint32_t line;
	} *ids;                         /* rule ids seen: open hash */
	uint32_t n_ids, ids_used;
};

__attribute__((format(printf, 3, 4))) static void err(struct loader *L, const struct bld_ynode *n, const char *fmt,
						       ...)
{
	struct bld_policy_diag *dg = L->diag;
	dg->errors++;
	if (dg->shown >= BLD_POLICY_DIAG_MAX || dg->full)
		return;
	/* a whole line or nothing: text holds exactly `shown` lines */
	char line[1024];
	int k = snprintf(line, sizeof(line), "%s:%u:%u: ", L->d->name, n ? n->line : 1, n ? n->col : 1);
	if (k < 0 || (size_t)k >= sizeof(line))
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + k, sizeof(line) - (size_t)k, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	size_t len = strlen(line);
	if (dg->len + len + 2 > sizeof(dg->text)) {
		dg->full = true;
		return;
	}
	memcpy(dg->text + dg->len, line, len);
	dg->len += len;
	dg->text[dg->len++] = '\n';
	dg->text[dg->len] = 0;
	dg->shown++;
}

static const struct bld_ynode *kid(const struct loader *L, const struct bld_ynode *n, uint32_t i)
{
	return bld_ydoc_child(L->d, n, i);
}

static bool is_scalar(const struct bld_ynode *n)
{
	return n && n->type == BLD_YNODE_SCALAR;
}

static const char *type_name(const struct bld_ynode *n)
{
	return n->type == BLD_YNODE_SCALAR ? "a value" : n->type == BLD_YNODE_SEQ ? "a list" : "a mapping";
}

static bool want(struct loader *L, const struct bld_ynode *n, enum bld_ynode_type t, const char *what)
{
	if (n->type == t)
		return true;
	err(L, n, "%s must be %s, not %s", what,
	    t == BLD_YNODE_SCALAR ? "a value" : t == BLD_YNODE_SEQ ? "a list" : "a mapping", type_name(n));
	return false;
}

/* Check a mapping's keys against the allowed ones; report each unknown key. */
static void check_keys(struct loader *L, const struct bld_ynode *map, const char *what, const char *const *allowed)
{
	for (uint32_t i = 0; i < map->count; i += 2) {
		const struct bld_ynode *k = kid(L, map, i);
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(k->text, *a) == 0;
		if (ok)
			continue;
		char list[256] = "";
		size_t used = 0;
		for (const char *const *a = allowed; *a; a++) {
			int w = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", *a);
			if (w < 0 || (size_t)w >= sizeof(list) - used)
				break;
			used += (size_t)w;
		}
		err(L, k, "unknown key '%s' in %s (expected one of: %s)", k->text, what, list);
	}
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static struct name_slot *name_find(struct loader *L, const char *name)
{
	if (!L->n_slots)
		return NULL;
	for (uint32_t i = hash_str(name) & (L->n_slots - 1);; i = (i + 1) & (L->n_slots - 1)) {
		if (!L->names[i].name)
			return NULL;
		if (strcmp(L->names[i].name, name) == 0)
			return &L->names[i];
	}
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
			return false;
	return true;
}

/* Declare a host, group or zone name; returns its principal, or POL_ANY on error. */
static uint32_t declare(struct loader *L, const struct bld_ynode *k, enum pol_principal_kind kind,
			const struct bld_ynode *value)
{
	static const char *const kinds[] = { "host", "group", "zone", "address" };
	if (!valid_name(k->text) || strcmp(k->text, "any") == 0) {
		err(L, k, "'%s' is not a valid %s name (letters, digits, '-', '_', '.'; at most 64; not 'any')",
		    k->text, kinds[kind]);
		return POL_ANY;
	}
	struct name_slot *s = name_find(L, k->text);
	if (s) {
		err(L, k, "'%s' is already a %s name", k->text,
		    kinds[((struct pol_principal *)L->principals.p)[s->principal].kind]);
		return POL_ANY;
	}
	uint32_t i = hash_str(k->text) & (L->n_slots - 1);
	while (L->names[i].name)
		i = (i + 1) & (L->n_slots - 1);
	struct pol_principal *pr = vec_add(&L->principals);
	char *name = pol_strdup(L->p, k->text);
	if (!pr || !name) {
		L->oom = true;
		return POL_ANY;
	}
	pr->kind = (uint8_t)kind;
	pr->name = name;
	L->names[i] = (struct name_slot){ .name = name, .principal = L->principals.n - 1, .node = value,
					  .host = UINT32_MAX };
	return L->principals.n - 1;
}

static bool add_prefix(struct loader *L, bld_addr lo, bld_addr hi, uint32_t principal)
{
	struct pol_prefix *x = vec_add(&L->prefixes);
	if (!x) {
		L->oom = true;
		return false;
	}
	*x = (struct pol_prefix){ .lo = lo, .hi = hi, .principal = principal };
	return true;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6 &&
	    sscanf(s, "%2x-%2x-%2x-%2x-%2x-%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return false;
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return true;
}

/* hosts: name: ADDRESS  or  name: {ip: ADDRESS, mac: MAC, description: TEXT} */
static void load_hosts(struct loader *L, const struct bld_ynode *map)
{
	static const char *const keys[] = { "ip", "mac", "description", NULL };
	if (!want(L, map, BLD_YNODE_MAP, "hosts"))
		return;
	for (uint32_t i = 0; i < map->count; i += 2) {
		const struct bld_ynode *k = kid(L, map, i), *v = kid(L, map, i + 1);
		uint32_t pr = declare(L, k, POL_HOST, NULL);
		const struct bld_ynode *ipn = v, *macn = NULL;
		if (v->type == BLD_YNODE_MAP) {
			check_keys(L, v, "a host", keys);
			ipn = bld_ydoc_get(L->d, v, "ip");
			macn = bld_ydoc_get(L->d, v, "mac");
			if (!ipn) {
				err(L, v, "host '%s' needs an ip", k->text);
				continue;
			}
		}
		if (!is_scalar(ipn)) {
			err(L, ipn, "host '%s': the address must be a value, not %s", k->text, type_name(ipn));
			continue;
		}
		struct pol_host h = { .principal = pr };
		if (!pol_addr_parse_ip(ipn->text, &h.addr)) {
			err(L, ipn, "host '%s': '%s' is not an IPv4 or IPv6 address", k->text, ipn->text);
			continue;
		}
		if (macn) {
			if (!is_scalar(macn) || !parse_mac(macn->text, h.mac))
				err(L, macn, "host '%s': '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", k->text,
				    is_scalar(macn) ? macn->text : type_name(macn));
			else
				h.has_mac = true;
		}
		if (pr == POL_ANY)
			continue;
		struct pol_host *slot = vec_add(&L->hosts);
		if (!slot) {
			L->oom = true;
			return;
		}
		*slot = h;
		name_find(L, k->text)->host = L->hosts.n - 1;
		add_prefix(L, h.addr, h.addr, pr);
	}
}

/* One address or CIDR as a literal principal ("10.1.0.0/16" in a rule or group). */
/* The literal principal of [lo, hi], shared by every rule that writes the same range: one name per range. */
static uint32_t literal_principal(struct loader *L, bld_addr lo, bld_addr hi, const char *text)
{
	if (L->lits_used * 2 >= L->n_lits) {
		uint32_t n = L->n_lits ? L->n_lits * 2 : 64;
		struct lit_slot *t = calloc(n, sizeof(*t));
		if (!t) {
			L->oom = true;
			return POL_ANY;
		}
		for (uint32_t i = 0; i < L->n_lits; i++)
			if (L->lits[i].used) {
				uint32_t j = (uint32_t)((L->lits[i].lo ^ L->lits[i].hi) * 0x9e3779b97f4a7c15ull >> 7) & (n - 1);
				while (t[j].used)
					j = (j + 1) & (n - 1);
				t[j] = L->lits[i];
			}
		free(L->lits);
		L->lits = t;
		L->n_lits = n;
	}
	uint32_t j = (uint32_t)((lo ^ hi) * 0x9e3779b97f4a7c15ull >> 7) & (L->n_lits - 1);
	for (; L->lits[j].used; j = (j + 1) & (L->n_lits - 1))
		if (L->lits[j].lo == lo && L->lits[j].hi == hi)
			return L->lits[j].principal;
	struct pol_principal *pr = vec_add(&L->principals);
	char *name = pol_strdup(L->p, text);
	if (!pr || !name) {
		L->oom = true;
		return POL_ANY;
	}
	pr->kind = POL_LITERAL;
	pr->name = name;
	L->lits[j] = (struct lit_slot){ .lo = lo, .hi = hi, .principal = L->principals.n - 1, .used = true };
	L->lits_used++;
	add_prefix(L, lo, hi, L->principals.n - 1);
	return L->principals.n - 1;
}

/*
 * An address or CIDR: a prefix of owner (a group or zone being built), or,
 * with owner POL_ANY (a rule's from/to), the range's own literal principal.
 * False when the text is not an address.
 */
static bool literal(struct loader *L, const struct bld_ynode *n, uint32_t owner, uint32_t *principal)
{
	bld_addr lo, hi;
	if (!pol_addr_parse_cidr(n->text, &lo, &hi))
		return false;
	if (owner == POL_ANY)
		owner = literal_principal(L, lo, hi, n->text);
	else
		add_prefix(L, lo, hi, owner);
	if (principal)
		*principal = owner;
	return true;
}

/* Digits, dots and a slash, or a colon: meant as an address, so say what is wrong with it. */
static bool looks_like_address(const char *s)
{
	if (strchr(s, ':'))
		return true;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != '.' && *s != '/')
			return false;
	return true;
}

static const char *kind_name(uint8_t kind)
{
	return kind == POL_HOST ? "host" : kind == POL_GROUP ? "group" : kind == POL_ZONE ? "zone" : "address";
}

/* Expand group g's members into prefixes of g (groups of groups included, cycles refused). */
/*
 * Expand a group's members into prefixes owned by `into` (the group being
 * built), through nested groups.  Each nested group is expanded once per
 * `into` (stamp), so a chain of groups each listing the previous twice stays
 * linear instead of doubling per level; a group met again on the current path
 * is a cycle.  Errors are reported where the member is written (depth 0) or,
 * for a cycle, at the member that closes it.
 */
static void expand_group(struct loader *L, uint32_t into, const struct bld_ynode *seq, int depth)
{
	for (uint32_t i = 0; i < seq->count; i++) {
		const struct bld_ynode *m = kid(L, seq, i);
		if (!is_scalar(m)) {
			if (depth == 0)
				err(L, m, "a group member must be a host, a group or an address, not %s", type_name(m));
			continue;
		}
		if (literal(L, m, into, NULL))
			continue;
		struct name_slot *s = name_find(L, m->text);
		if (!s) {
			if (depth == 0)
				err(L, m, looks_like_address(m->text) ? "'%s' is not a valid address or CIDR"
								     : "unknown host or group '%s'", m->text);
			continue;
		}
		const struct pol_principal *pr = &((struct pol_principal *)L->principals.p)[s->principal];
		if (pr->kind == POL_HOST) {
			if (s->host == UINT32_MAX)   /* its address was wrong: reported already */
				continue;
			const struct pol_host *h = (const struct pol_host *)L->hosts.p + s->host;
			add_prefix(L, h->addr, h->addr, into);
		} else if (pr->kind == POL_GROUP) {
			uint32_t sub = s->principal;
			if (L->on_path[sub]) {
				if (sub == into)
					err(L, m, "group '%s' contains itself%s", m->text, depth ? " (through other groups)" : "");
				continue;
			}
			if (L->stamp[sub] == into + 1 || !s->node)   /* expanded already, or not a list (reported) */
				continue;
			L->stamp[sub] = into + 1;
			L->on_path[sub] = 1;
			expand_group(L, into, s->node, depth + 1);
			L->on_path[sub] = 0;
		} else if (depth == 0) {
			err(L, m, "'%s' is a %s: a group lists hosts, groups and addresses", m->text, kind_name(pr->kind));
		}
		if (L->prefixes.n > POL_MAX_PREFIXES && !L->too_many) {
			L->too_many = true;
			err(L, m, "the policy names more than %u addresses and ranges once groups are expanded",
			    POL_MAX_PREFIXES);
		}
		if (L->too_many)
			return;
	}
}

static void load_groups(struct loader *L, const struct bld_ynode *map)
{
	if (!want(L, map, BLD_YNODE_MAP, "groups"))
		return;
	uint32_t first = L->principals.n;
	for (uint32_t i = 0; i < map->count; i += 2) {
		const struct bld_ynode *v = kid(L, map, i + 1);
		if (v->type != BLD_YNODE_SEQ) {
			err(L, v, "group '%s' must be a list of hosts, groups and addresses", kid(L, map, i)->text);
			v = NULL;
		}
		declare(L, kid(L, map, i), POL_GROUP, v);
	}
	L->on_path = calloc(L->principals.n + 1, 1);
	L->stamp = calloc(L->principals.n + 1, sizeof(uint32_t));
	if (!L->on_path || !L->stamp) {
		L->oom = true;
		goto out;
	}
	for (uint32_t i = 0; i < map->count && !L->too_many; i += 2) {
		struct name_slot *s = name_find(L, kid(L, map, i)->text);
		if (!s || s->principal < first || !s->node)
			continue;
		L->on_path[s->principal] = 1;
		L->stamp[s->principal] = s->principal + 1;
		expand_group(L, s->principal, s->node, 0);
		L->on_path[s->principal] = 0;
	}
out:
	free(L->on_path);
	free(L->stamp);
	L->on_path = NULL;
	L->stamp = NULL;
}

static void load_zones(struct loader *L, const struct bld_ynode *map)
{
	if (!want(L, map, BLD_YNODE_MAP, "zones"))
		return;
	for (uint32_t i = 0; i < map->count; i += 2) {
		const struct bld_ynode *k = kid(L, map, i), *v = kid(L, map, i + 1);
		uint32_t z = declare(L, k, POL_ZONE, NULL);
		if (v->type != BLD_YNODE_SEQ) {
			err(L, v, "zone '%s' must be a list of addresses and CIDRs", k->text);
			continue;
		}
		for (uint32_t j = 0; j < v->count; j++) {
			const struct bld_ynode *m = kid(L, v, j);
			if (!is_scalar(m) || !literal(L, m, z, NULL))
				err(L, m, "zone '%s': '%s' is not an address or CIDR", k->text,
				    is_scalar(m) ? m->text : type_name(m));
		}
		L->p->n_zones++;
	}
}

/* ---- values ---- */

static bool parse_u64(const char *s, uint64_t *v)
{
	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return false;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static bool parse_double(const char *s, double *v)
{
	if (!*s || isspace((unsigned char)*s))
		return false;
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (errno || *end || !isfinite(x))
		return false;
	*v = x;
	return true;
}

/* "500ms", "1s", "1.5s", "2min", "1h", "250us"; a bare number is seconds. */
static bool parse_duration(const char *s, uint64_t *ns)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (errno || end == s || x < 0 || !isfinite(x))
		return false;
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "", 1e9 }, { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 }, { "min", 60e9 }, { "h", 3600e9 } };
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0) {
			double v = x * units[i].ns;
			if (v > 1e18)
				return false;
			*ns = (uint64_t)(v + 0.5);
			return true;
		}
	return false;
}

static bool duration(struct loader *L, const struct bld_ynode *n, const char *what, uint64_t *ns)
{
	if (!is_scalar(n) || !parse_duration(n->text, ns)) {
		err(L, n, "%s: '%s' is not a duration (e.g. 500ms, 2s, 1min)", what, is_scalar(n) ? n->text : type_name(n));
		return false;
	}
	return true;
}

static bool severity(struct loader *L, const struct bld_ynode *n, enum bld_severity *sev)
{
	for (int i = 0; i < BLD_SEV_MAX; i++)
		if (is_scalar(n) && strcmp(n->text, bld_severity_names[i]) == 0) {
			*sev = (enum bld_severity)i;
			return true;
		}
	err(L, n, "severity must be info, low, medium, high or critical, not '%s'", is_scalar(n) ? n->text : type_name(n));
	return false;
}

static bool action(struct loader *L, const struct bld_ynode *n, enum bld_action *act)
{
	for (int i = 0; i < 2; i++)
		if (is_scalar(n) && strcmp(n->text, bld_action_names[i]) == 0) {
			*act = (enum bld_action)i;
			return true;
		}
	err(L, n, "action must be alert or drop, not '%s'", is_scalar(n) ? n->text : type_name(n));
	return false;
}

/* when: {days: [mon, tue] or [mon-fri], hours: "22:00-04:00"} */
static void load_when(struct loader *L, const struct bld_ynode *n, struct pol_when *w)
{
	static const char *const keys[] = { "days", "hours", NULL };
	static const char *const days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
	if (!want(L, n, BLD_YNODE_MAP, "when"))
		return;
	check_keys(L, n, "when", keys);
	w->set = true;
	w->days = 0x7f;
	const struct bld_ynode *d = bld_ydoc_get(L->d, n, "days"), *h = bld_ydoc_get(L->d, n, "hours");
	if (d) {
		w->days = 0;
		uint32_t cnt = d->type == BLD_YNODE_SEQ ? d->count : 1;
		for (uint32_t i = 0; i < cnt; i++) {
			const struct bld_ynode *x = d->type == BLD_YNODE_SEQ ? kid(L, d, i) : d;
			int a = -1, b = -1;
			if (is_scalar(x))
				for (int j = 0; j < 7; j++) {
					if (strncmp(x->text, days[j], 3) == 0 && (x->text[3] == 0 || x->text[3] == '-'))
						a = j;
					if (strlen(x->text) == 7 && x->text[3] == '-' && strcmp(x->text + 4, days[j]) == 0)
						b = j;
				}
			if (a < 0 || (is_scalar(x) && x->text[3] == '-' && b < 0)) {
				err(L, x, "days: '%s' is not a day (mon .. sun) or a span of days (mon-fri)",
				    is_scalar(x) ? x->text : type_name(x));
				continue;
			}
			if (b < 0)
				b = a;
			for (int j = a;; j = (j + 1) % 7) {
				w->days |= (uint8_t)(1u << j);
				if (j == b)
					break;
			}
		}
	}
	if (h) {
		unsigned h1, m1, h2, m2;
		char tail;
		if (!is_scalar(h) || sscanf(h->text, "%u:%u-%u:%u%c", &h1, &m1, &h2, &m2, &tail) != 4 || h1 > 24 ||
		    h2 > 24 || m1 > 59 || m2 > 59 || (h1 == 24 && m1) || (h2 == 24 && m2)) {
			err(L, h, "hours: '%s' is not a span of hours like \"22:00-04:00\" (UTC)",
			    is_scalar(h) ? h->text : type_name(h));
			return;
		}
		w->from_min = (uint16_t)(h1 * 60 + m1);
		w->to_min = (uint16_t)(h2 * 60 + m2);
	}
}

/* timing: {period: 1s, tolerance: 200ms, silence: 5s} */
static void load_timing(struct loader *L, const struct bld_ynode *n, struct pol_timing *t)
{
	static const char *const keys[] = { "period", "tolerance", "silence", NULL };
	if (!want(L, n, BLD_YNODE_MAP, "timing"))
		return;
	check_keys(L, n, "timing", keys);
	const struct bld_ynode *pn = bld_ydoc_get(L->d, n, "period"), *tn = bld_ydoc_get(L->d, n, "tolerance"),
			       *sn = bld_ydoc_get(L->d, n, "silence");
	if (!pn) {
		err(L, n, "timing needs a period");
		return;
	}
	if (!duration(L, pn, "period", &t->period_ns))
		return;
	if (t->period_ns < 1000000) {
		err(L, pn, "period %s is shorter than 1ms", pn->text);
		return;
	}
	t->tolerance_ns = t->period_ns / 10;   /* documented default: 10 % */
	if (tn && !duration(L, tn, "tolerance", &t->tolerance_ns))
		return;
	if (t->tolerance_ns >= t->period_ns) {
		err(L, tn ? tn : n, "tolerance must be shorter than the period");
		return;
	}
	t->silence_ns = 3 * t->period_ns;      /* documented default: three missed cycles */
	if (sn && !duration(L, sn, "silence", &t->silence_ns))
		return;
	if (t->silence_ns <= t->period_ns + t->tolerance_ns) {
		err(L, sn ? sn : n, "silence must be longer than period + tolerance");
		return;
	}
	t->set = true;
}

/* rate: "20/s", "600/min", "1000/h" */
static void load_rate(struct loader *L, const struct bld_ynode *n, struct pol_rate *r)
{
	unsigned long max;
	char unit[8], tail;
	if (!is_scalar(n) || sscanf(n->text, "%lu/%7[a-z]%c", &max, unit, &tail) != 2 || max == 0 || max > 100000000 ||
	    (strcmp(unit, "s") && strcmp(unit, "min") && strcmp(unit, "h"))) {
		err(L, n, "rate: '%s' is not a rate like 20/s, 600/min or 1000/h",
		    is_scalar(n) ? n->text : type_name(n));
		return;
	}
	r->set = true;
	r->max = (uint32_t)max;
	r->per_ns = strcmp(unit, "s") == 0 ? 1000000000ull : strcmp(unit, "min") == 0 ? 60000000000ull : 3600000000000ull;
}

/* ---- operation constraints ---- */

static int cmp_range(const void *a, const void *b)
{
	const struct pol_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* A name through the spec rows of this key: its number, or false. */
static bool resolve_name(const struct pol_constraint *c, const char *s, uint64_t *v)
{
	for (uint32_t r = 0; r < c->n_specs; r++) {
		const struct bld_field_spec *sp = c->specs[r];
		if (!sp->name)
			continue;
		uint64_t max = sp->max < 0x10000 ? sp->max : 0xffff;
		for (uint64_t x = 0; x <= max; x++) {
			const char *nm = sp->name(x);
			if (nm && strcasecmp(nm, s) == 0) {
				*v = x;
				return true;
			}
		}
	}
	return false;
}

static uint64_t spec_max(const struct pol_constraint *c)
{
	uint64_t m = 0;
	for (uint32_t r = 0; r < c->n_specs; r++)
		if (c->specs[r]->max > m)
			m = c->specs[r]->max;
	return m ? m : UINT64_MAX;
}

static void some_names(const struct pol_constraint *c, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	int shown = 0;
	for (uint32_t r = 0; r < c->n_specs && shown < 6; r++) {
		const struct bld_field_spec *sp = c->specs[r];
		if (!sp->name)
			continue;
		for (uint64_t x = 0; x <= sp->max && x < 0x10000 && shown < 6; x++) {
			const char *nm = sp->name(x);
			if (!nm)
				continue;
			int w = snprintf(buf + used, len - used, "%s%s", shown ? ", " : "", nm);
			if (w < 0 || (size_t)w >= len - used)
				return;
			used += (size_t)w;
			shown++;
		}
	}
}

/* One number, range or name of a SET / SPAN / MIN constraint. */
static bool parse_item(struct loader *L, struct pol_constraint *c, const struct bld_ynode *x, struct pol_range *out)
{
	const char *s = x->text;
	uint64_t max = spec_max(c);
	const char *dash = strchr(s, '-');
	if (!x->quoted && parse_u64(s, &out->lo)) {
		out->hi = out->lo;
	} else if (dash && dash != s) {
		char a[64];
		size_t n = (size_t)(dash - s);
		if (n >= sizeof(a))
			goto bad;
		memcpy(a, s, n);
		a[n] = 0;
		if (!(parse_u64(a, &out->lo) || resolve_name(c, a, &out->lo)) ||
		    !(parse_u64(dash + 1, &out->hi) || resolve_name(c, dash + 1, &out->hi))) {
			if (resolve_name(c, s, &out->lo)) {   /* a name with a dash in it */
				out->hi = out->lo;
				return true;
			}
			goto bad;
		}
		if (out->lo > out->hi) {
			err(L, x, "%s: inverted range %s (the first number must not be larger)", c->key, s);
			return false;
		}
	} else if (resolve_name(c, s, &out->lo)) {
		out->hi = out->lo;
	} else {
		goto bad;
	}
	if (out->hi > max) {
		err(L, x, "%s: %s is out of range (at most %llu)", c->key, s, (unsigned long long)max);
		return false;
	}
	return true;
bad:;
	char names[200];
	some_names(c, names, sizeof(names));
	if (names[0])
		err(L, x, "%s: unknown name '%s' (a number, a range like 0-99, or a name such as %s)", c->key, s, names);
	else
		err(L, x, "%s: '%s' is not a number or a range like 0-99", c->key, s);
	return false;
}

/* "0-200", "-50..50", "12.5", true */
static bool parse_vitem(struct loader *L, struct pol_constraint *c, const struct bld_ynode *x, struct pol_vrange *out)
{
	const char *s = x->text;
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
		out->lo = out->hi = s[0] == 't';
		return true;
	}
	if (parse_double(s, &out->lo)) {
		out->hi = out->lo;
		return true;
	}
	const char *sep = strstr(s, "..");
	size_t skip = 2;
	if (!sep) {
		sep = strchr(s + 1, '-');
		skip = 1;
	}
	char a[64];
	if (sep && (size_t)(sep - s) < sizeof(a)) {
		memcpy(a, s, (size_t)(sep - s));
		a[sep - s] = 0;
		if (parse_double(a, &out->lo) && parse_double(sep + skip, &out->hi)) {
			if (out->lo > out->hi) {
				err(L, x, "%s: inverted range %s", c->key, s);
				return false;
			}
			return true;
		}
	}
	err(L, x, "%s: '%s' is not a value or a range (0-200, -50..50, 0.5..1.5)", c->key, s);
	return false;
}

static void load_constraint(struct loader *L, const struct bld_ynode *k, const struct bld_ynode *v,
			    struct pol_constraint *c)
{
	uint32_t n = v->type == BLD_YNODE_SEQ ? v->count : 1;
	if (v->type == BLD_YNODE_MAP || n == 0) {
		err(L, v, "%s: expected a value or a list of values", k->text);
		return;
	}
	if (c->kind == BLD_FIELD_TEXT) {
		c->texts = pol_alloc(L->p, n * sizeof(char *));
	} else if (c->kind == BLD_FIELD_VALUE) {
		c->vranges = pol_alloc(L->p, n * sizeof(*c->vranges));
	} else {
		c->ranges = pol_alloc(L->p, n * sizeof(*c->ranges));
	}
	if (!c->texts && !c->vranges && !c->ranges) {
		L->oom = true;
		return;
	}
	if (c->kind == BLD_FIELD_MIN && n != 1) {
		err(L, v, "%s: a minimum is one level, not a list", k->text);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct bld_ynode *x = v->type == BLD_YNODE_SEQ ? kid(L, v, i) : v;
		if (!is_scalar(x)) {
			err(L, x, "%s: expected a value, not %s", k->text, type_name(x));
			continue;
		}
		if (c->kind == BLD_FIELD_TEXT) {
			if (!(c->texts[c->n_texts++] = pol_strdup(L->p, x->text)))
				L->oom = true;
		} else if (c->kind == BLD_FIELD_VALUE) {
			if (parse_vitem(L, c, x, &c->vranges[c->n_vranges]))
				c->n_vranges++;
		} else if (parse_item(L, c, x, &c->ranges[c->n_ranges])) {
			c->n_ranges++;
		}
	}
	if (c->kind == BLD_FIELD_MIN) {
		c->min = c->n_ranges ? c->ranges[0].lo : 0;
		return;
	}
	if (c->ranges && c->n_ranges > 1) {
		qsort(c->ranges, c->n_ranges, sizeof(*c->ranges), cmp_range);
		for (uint32_t i = 1; i < c->n_ranges; i++)
			if (c->ranges[i].lo <= c->ranges[i - 1].hi) {
				err(L, v, "%s: overlapping values %llu-%llu and %llu-%llu", k->text,
				    (unsigned long long)c->ranges[i - 1].lo, (unsigned long long)c->ranges[i - 1].hi,
				    (unsigned long long)c->ranges[i].lo, (unsigned long long)c->ranges[i].hi);
				break;
			}
	}
	if (c->vranges && c->n_vranges > 1)
		for (uint32_t i = 0; i < c->n_vranges; i++)
			for (uint32_t j = i + 1; j < c->n_vranges; j++)
				if (c->vranges[i].lo <= c->vranges[j].hi && c->vranges[j].lo <= c->vranges[i].hi) {
					err(L, v, "%s: overlapping ranges", k->text);
					return;
				}
}

static void valid_keys(const struct bld_dissector *dsc, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i < dsc->n_fields; i++) {
		if (!pol_key_first(dsc, i))
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", dsc->fields[i].key);
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
}

/*
 * Judge the cheap and selective keys first: the operation's kind (row 0),
 * then sets, spans, texts, and values last (a value failure only matters
 * once everything else matched).
 */
static int constraint_rank(const struct pol_constraint *c, const struct bld_dissector *dsc)
{
	if (c->specs[0] == &dsc->fields[0])
		return 0;
	switch (c->kind) {
	case BLD_FIELD_SET: return 1;
	case BLD_FIELD_SPAN: return 2;
	case BLD_FIELD_TEXT: return 3;
	case BLD_FIELD_MIN: return 4;
	default: return 5;
	}
}

static void sort_constraints(struct pol_entry *e, const struct bld_dissector *dsc)
{
	for (uint32_t i = 1; i < e->n_c; i++)   /* a few keys: insertion sort, stable */
		for (uint32_t j = i; j > 0 && constraint_rank(&e->c[j], dsc) < constraint_rank(&e->c[j - 1], dsc); j--) {
			struct pol_constraint t = e->c[j];
			e->c[j] = e->c[j - 1];
			e->c[j - 1] = t;
		}
}

static void load_entry(struct loader *L, struct pol_rule *r, const struct bld_ynode *n, struct pol_entry *e)
{
	e->line = n->line;
	e->col = n->col;
	e->index = L->p->n_entries++;
	if (!want(L, n, BLD_YNODE_MAP, "an operation"))
		return;
	e->c = pol_alloc(L->p, (n->count / 2 + 1) * sizeof(*e->c));
	if (!e->c) {
		L->oom = true;
		return;
	}
	for (uint32_t i = 0; i < n->count; i += 2) {
		const struct bld_ynode *k = kid(L, n, i), *v = kid(L, n, i + 1);
		if (strcmp(k->text, "dir") == 0) {
			if (is_scalar(v) && strcmp(v->text, "request") == 0)
				e->dir = POL_DIR_REQUEST;
			else if (is_scalar(v) && strcmp(v->text, "response") == 0)
				e->dir = POL_DIR_RESPONSE;
			else if (is_scalar(v) && strcmp(v->text, "any") == 0)
				e->dir = POL_DIR_ANY;
			else
				err(L, v, "dir must be request, response or any");
			if (e->dir != POL_DIR_REQUEST)
				r->judges_responses = true;
			continue;
		}
		if (strcmp(k->text, "when") == 0) {
			load_when(L, v, &e->when);
			continue;
		}
		if (strcmp(k->text, "timing") == 0) {
			load_timing(L, v, &e->timing);
			continue;
		}
		if (strcmp(k->text, "rate") == 0) {
			load_rate(L, v, &e->rate);
			continue;
		}
		struct pol_constraint *c = &e->c[e->n_c];
		uint32_t rows = 0;
		for (uint32_t f = 0; f < r->dsc->n_fields; f++)
			rows += strcmp(r->dsc->fields[f].key, k->text) == 0;
		if (!rows) {
			char keys[400];
			valid_keys(r->dsc, keys, sizeof(keys));
			err(L, k, "'%s' is not a field of %s (fields: %s; and dir, when, timing, rate)", k->text,
			    r->dsc->name, keys);
			continue;
		}
		c->specs = pol_alloc(L->p, rows * sizeof(*c->specs));
		if (!c->specs) {
			L->oom = true;
			return;
		}
		c->paths = pol_alloc(L->p, rows * sizeof(*c->paths));
		c->ends = pol_alloc(L->p, rows * sizeof(*c->ends));
		if (!c->paths || !c->ends) {
			L->oom = true;
			return;
		}
		for (uint32_t f = 0; f < r->dsc->n_fields; f++) {
			const struct bld_field_spec *sp = &r->dsc->fields[f];
			if (strcmp(sp->key, k->text) != 0)
				continue;
			if (!pol_path_parse(sp->path, &c->paths[c->n_specs]))
				err(L, k, "'%s': the %s field table has a path too long to walk (a Bollard bug)", k->text,
				    r->dsc->name);
			const char *end = sp->path2 ? strrchr(sp->path2, '.') : NULL;
			c->ends[c->n_specs] = sp->path2 ? (end ? end + 1 : sp->path2) : NULL;
			c->specs[c->n_specs++] = sp;
		}
		c->kind = c->specs[0]->kind;
		c->key = c->specs[0]->key;
		e->n_c++;
		load_constraint(L, k, v, c);
	}
	sort_constraints(e, r->dsc);
}

/* from / to: a name, an address, a CIDR, any, or a list of them. */
static uint32_t *load_peers(struct loader *L, const struct bld_ynode *n, const char *what, uint32_t *count)
{
	uint32_t cnt = n->type == BLD_YNODE_SEQ ? n->count : 1;
	uint32_t *out = pol_alloc(L->p, (cnt + 1) * sizeof(uint32_t));
	*count = 0;
	if (!out) {
		L->oom = true;
		return NULL;
	}
	if (n->type == BLD_YNODE_MAP || cnt == 0) {
		err(L, n, "%s: expected a host, group, zone, address or any, or a list of them", what);
		return out;
	}
	for (uint32_t i = 0; i < cnt; i++) {
		const struct bld_ynode *x = n->type == BLD_YNODE_SEQ ? kid(L, n, i) : n;
		uint32_t pr;
		if (!is_scalar(x)) {
			err(L, x, "%s: expected a name or an address, not %s", what, type_name(x));
			continue;
		}
		if (strcmp(x->text, "any") == 0) {
			pr = POL_ANY;
		} else {
			struct name_slot *s = name_find(L, x->text);
			if (s) {
				pr = s->principal;
			} else if (!literal(L, x, POL_ANY, &pr)) {
				if (looks_like_address(x->text))
					err(L, x, "%s: '%s' is not a valid address or CIDR (host bits set?)", what, x->text);
				else
					err(L, x, "%s: unknown host, group or zone '%s'", what, x->text);
				continue;
			}
		}
		out[(*count)++] = pr;
	}
	return out;
}

/* A port number: decimal digits only, 0..65535. */
static bool parse_port(const char *s, size_t n, unsigned *port)
{
	if (n == 0 || n > 5)
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*port = v;
	return v <= 65535;
}

static void load_ports(struct loader *L, const struct bld_ynode *n, struct pol_rule *r)
{
	uint32_t cnt = n->type == BLD_YNODE_SEQ ? n->count : 1;
	r->ports = pol_alloc(L->p, (cnt + 1) * sizeof(*r->ports));
	if (!r->ports) {
		L->oom = true;
		return;
	}
	if (n->type == BLD_YNODE_MAP || cnt == 0) {
		err(L, n, "ports: expected a port, a range like 20000-20010, or a list of them");
		return;
	}
	for (uint32_t i = 0; i < cnt; i++) {
		const struct bld_ynode *x = n->type == BLD_YNODE_SEQ ? kid(L, n, i) : n;
		const char *t = is_scalar(x) ? x->text : "";
		const char *dash = strchr(t, '-');
		unsigned a, b;
		bool ok = dash ? parse_port(t, (size_t)(dash - t), &a) && parse_port(dash + 1, strlen(dash + 1), &b)
			       : parse_port(t, strlen(t), &a) && ((b = a), true);
		if (!is_scalar(x) || !ok) {
			err(L, x, "ports: '%s' is not a port or a range of ports (502, 20000-20010)",
			    is_scalar(x) ? x->text : type_name(x));
			continue;
		}
		if (a > b) {
			err(L, x, "ports: inverted range %s", x->text);
			continue;
		}
		r->ports[r->n_ports++] = (struct pol_range){ a, b };
	}
}

static uint32_t app_intern(struct loader *L, const char *name)
{
	char **apps = L->apps.p;
	for (uint32_t i = 0; i < L->apps.n; i++)
		if (strcmp(apps[i], name) == 0)
			return i;
	char **slot = vec_add(&L->apps);
	char *copy = pol_strdup(L->p, name);
	if (!slot || !copy) {
		L->oom = true;
		return POL_ANY;
	}
	*slot = copy;
	return L->apps.n - 1;
}

static bool app_ok(struct loader *L, const char *name)
{
	if (bld_registry_find(name) != BLD_PROTO_UNKNOWN)
		return true;
	if (L->diag->known_app)
		return L->diag->known_app(L->diag->known_app_ctx, name);
	for (const char *c = name; *c; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
			return false;
	return *name != 0;
}

/* Record a rule id; returns the line of an earlier rule with that id, or 0. */
static uint32_t rule_id_add(struct loader *L, const char *id, uint32_t line)
{
	if (L->ids_used * 2 >= L->n_ids) {
		uint32_t n = L->n_ids ? L->n_ids * 2 : 256;
		struct id_slot *t = calloc(n, sizeof(*t));
		if (!t) {
			L->oom = true;
			return 0;
		}
		for (uint32_t i = 0; i < L->n_ids; i++)
			if (L->ids[i].id) {
				uint32_t j = hash_str(L->ids[i].id) & (n - 1);
				while (t[j].id)
					j = (j + 1) & (n - 1);
				t[j] = L->ids[i];
			}
		free(L->ids);
		L->ids = t;
		L->n_ids = n;
	}
	uint32_t j = hash_str(id) & (L->n_ids - 1);
	for (; L->ids[j].id; j = (j + 1) & (L->n_ids - 1))
		if (strcmp(L->ids[j].id, id) == 0)
			return L->ids[j].line;
	L->ids[j] = (struct id_slot){ id, line };
	L->ids_used++;
	return 0;
}

/* expected_events: [opcua.security_none, stream.gap]: not alerts on this rule's flows */
static void load_expected(struct loader *L, const struct bld_ynode *n, struct pol_rule *r)
{
	uint32_t cnt = n->type == BLD_YNODE_SEQ ? n->count : 1;
	r->expected_events = pol_alloc(L->p, (cnt + 1) * sizeof(uint16_t));
	if (!r->expected_events) {
		L->oom = true;
		return;
	}
	for (uint32_t i = 0; i < cnt; i++) {
		const struct bld_ynode *x = n->type == BLD_YNODE_SEQ ? kid(L, n, i) : n;
		enum bld_event ev = is_scalar(x) ? bld_event_find(x->text) : BLD_EVENT_MAX;
		if (ev == BLD_EVENT_MAX) {
			err(L, x, "expected_events: '%s' is not a protocol event (docs/protocols.md lists them)",
			    is_scalar(x) ? x->text : type_name(x));
			continue;
		}
		r->expected_events[r->n_expected++] = (uint16_t)ev;
	}
}

static void load_rule(struct loader *L, const struct bld_ynode *n, struct pol_rule *r)
{
	static const char *const keys[] = { "id", "description", "from", "to", "protocol", "ports", "direction",
					    "severity", "action", "when", "operations", "timing", "rate", "expected_events",
					    NULL };
	r->line = n->line;
	r->col = n->col;
	r->severity = L->p->op_default.severity;
	r->action = BLD_ACTION_ALERT;
	r->app = POL_ANY;
	if (!want(L, n, BLD_YNODE_MAP, "a rule"))
		return;
	check_keys(L, n, "a rule", keys);
	const struct bld_ynode *id = bld_ydoc_get(L->d, n, "id");
	if (!id || !is_scalar(id) || !valid_name(id->text)) {
		err(L, id ? id : n, "a rule needs an id (letters, digits, '-', '_', '.')");
	} else {
		r->id = pol_strdup(L->p, id->text);
		uint32_t first_line = rule_id_add(L, r->id, r->line);
		if (first_line)
			err(L, id, "duplicate rule id '%s' (first at line %u)", id->text, first_line);
	}
	const char *rid = r->id ? r->id : "?";
	const struct bld_ynode *x;
	if ((x = bld_ydoc_get(L->d, n, "description")) && is_scalar(x))
		r->description = pol_strdup(L->p, x->text);
	if (!(x = bld_ydoc_get(L->d, n, "from")))
		err(L, n, "rule '%s' needs from", rid);
	else
		r->from = load_peers(L, x, "from", &r->n_from);
	if (!(x = bld_ydoc_get(L->d, n, "to")))
		err(L, n, "rule '%s' needs to", rid);
	else
		r->to = load_peers(L, x, "to", &r->n_to);
	if (!(x = bld_ydoc_get(L->d, n, "protocol")) || !is_scalar(x)) {
		err(L, x ? x : n, "rule '%s' needs a protocol (a name such as modbus, or any)", rid);
	} else if (strcmp(x->text, "any") != 0) {
		if (!app_ok(L, x->text))
			err(L, x, "unknown protocol '%s' (Bollard's: modbus, dnp3, iec104, s7comm, s7comm-plus, enip, "
				  "opcua, rasta, trdp, goose; or an nDPI name in lower case, as flows show it)",
			    x->text);
		r->protocol = pol_strdup(L->p, x->text);
		r->app = app_intern(L, x->text);
		enum bld_proto pid = bld_registry_find(x->text);
		r->dsc = pid != BLD_PROTO_UNKNOWN ? bld_dissectors[pid] : NULL;
		r->proto = (uint8_t)pid;
	} else {
		r->protocol = "any";
	}
	if ((x = bld_ydoc_get(L->d, n, "ports")))
		load_ports(L, x, r);
	if ((x = bld_ydoc_get(L->d, n, "direction"))) {
		if (is_scalar(x) && strcmp(x->text, "both") == 0)
			r->both = true;
		else if (!is_scalar(x) || strcmp(x->text, "from-to") != 0)
			err(L, x, "direction must be from-to (from is the client, the default) or both");
	}
	if ((x = bld_ydoc_get(L->d, n, "severity")))
		r->severity_set = severity(L, x, &r->severity);
	if ((x = bld_ydoc_get(L->d, n, "action")))
		r->action_set = action(L, x, &r->action);
	if ((x = bld_ydoc_get(L->d, n, "when")))
		load_when(L, x, &r->when);
	if ((x = bld_ydoc_get(L->d, n, "timing")))
		load_timing(L, x, &r->timing);
	if ((x = bld_ydoc_get(L->d, n, "rate")))
		load_rate(L, x, &r->rate);
	if ((x = bld_ydoc_get(L->d, n, "expected_events")))
		load_expected(L, x, r);
	if ((x = bld_ydoc_get(L->d, n, "operations"))) {
		if (!r->dsc || !r->dsc->n_fields) {
			err(L, x, "rule '%s': protocol %s has no operation fields Bollard decodes; remove operations", rid,
			    r->protocol ? r->protocol : "?");
		} else if (want(L, x, BLD_YNODE_SEQ, "operations")) {
			r->has_ops = true;
			r->ops = pol_alloc(L->p, (x->count + 1) * sizeof(*r->ops));
			if (!r->ops) {
				L->oom = true;
				return;
			}
			for (uint32_t i = 0; i < x->count; i++)
				load_entry(L, r, kid(L, x, i), &r->ops[r->n_ops++]);
		}
	}
}

/* defaults.<kind>: {severity, action}; only kinds that judge operations or flows can drop */
static void load_default(struct loader *L, const struct bld_ynode *n, const char *what, struct pol_default *d,
			 bool can_drop)
{
	static const char *const keys[] = { "severity", "action", NULL };
	static const char *const sev_only[] = { "severity", NULL };
	if (!want(L, n, BLD_YNODE_MAP, what))
		return;
	check_keys(L, n, what, can_drop ? keys : sev_only);
	const struct bld_ynode *x;
	if ((x = bld_ydoc_get(L->d, n, "severity")))
		severity(L, x, &d->severity);
	if (can_drop && (x = bld_ydoc_get(L->d, n, "action")))
		action(L, x, &d->action);
}

/*
 * Protocol events that say more than "malformed": a command that stops a
 * controller, a password in clear, an evasion attempt.  defaults.events
 * overrides any of these; defaults.protocol applies to the rest.
 */
static const struct {
	const char *event;
	enum bld_severity severity;
} event_severity_builtin[] = {
	{ "s7comm.plc_stop", BLD_SEV_HIGH },       { "s7comm.plc_start", BLD_SEV_HIGH },
	{ "opcua.cleartext_password", BLD_SEV_HIGH }, { "stream.overlap_conflict", BLD_SEV_HIGH },
	{ "opcua.security_none", BLD_SEV_MEDIUM },  { "app.unexpected_port", BLD_SEV_MEDIUM },
	{ "app.other_on_port", BLD_SEV_MEDIUM },    { "dnp3.unsolicited_while_disabled", BLD_SEV_MEDIUM },
	{ "iec104.i_before_startdt", BLD_SEV_MEDIUM },
	/* rail: a forged or replayed safety message is what a safety layer exists to stop */
	{ "rasta.bad_safety_code", BLD_SEV_HIGH },  { "rasta.sn_reused", BLD_SEV_HIGH },
	{ "rasta.sci_id_mismatch", BLD_SEV_HIGH },  { "trdp.bad_fcs", BLD_SEV_HIGH },
	{ "trdp.sequence_backwards", BLD_SEV_HIGH }, { "trdp.unexpected_comid", BLD_SEV_HIGH },
	{ "rasta.sequence_error", BLD_SEV_MEDIUM }, { "rasta.red_sequence_error", BLD_SEV_MEDIUM },
	{ "rasta.bad_check_code", BLD_SEV_MEDIUM }, { "rasta.confirm_error", BLD_SEV_MEDIUM },
	{ "rasta.id_mismatch", BLD_SEV_MEDIUM },    { "rasta.unexpected_type", BLD_SEV_MEDIUM },
	{ "rasta.heartbeat_timeout", BLD_SEV_MEDIUM }, { "rasta.disconnect_error", BLD_SEV_MEDIUM },
	{ "rasta.nonstandard_type", BLD_SEV_MEDIUM }, { "rasta.duplicate", BLD_SEV_MEDIUM },
	{ "trdp.duplicate", BLD_SEV_MEDIUM },       { "trdp.bad_reply", BLD_SEV_MEDIUM },
	{ "trdp.bad_uri", BLD_SEV_MEDIUM },         { "trdp.bad_msg_type", BLD_SEV_MEDIUM },
	{ "trdp.bad_version", BLD_SEV_MEDIUM },     { "trdp.bad_length", BLD_SEV_MEDIUM },
	{ "trdp.reserved_not_zero", BLD_SEV_INFO }, { "trdp.sequence_restart", BLD_SEV_INFO },
	{ "trdp.topology_change", BLD_SEV_INFO },
	{ "goose.st_num_jump", BLD_SEV_HIGH },      { "goose.data_change", BLD_SEV_HIGH },
	{ "goose.st_num_back", BLD_SEV_MEDIUM },    { "goose.sq_num_back", BLD_SEV_MEDIUM },
	{ "goose.duplicate", BLD_SEV_MEDIUM },      { "goose.restart", BLD_SEV_MEDIUM },
	{ "goose.ttl_expired", BLD_SEV_MEDIUM },    { "goose.sim_mismatch", BLD_SEV_MEDIUM },
	{ "goose.conf_rev_change", BLD_SEV_MEDIUM }, { "goose.publisher_capacity", BLD_SEV_MEDIUM },
	{ "euroradio.replay", BLD_SEV_HIGH },       { "euroradio.df_mismatch", BLD_SEV_HIGH },
	{ "euroradio.repeated_mac", BLD_SEV_HIGH }, { "euroradio.engine_mismatch", BLD_SEV_HIGH },
	{ "euroradio.message_direction", BLD_SEV_HIGH }, { "euroradio.out_of_order", BLD_SEV_HIGH },
	{ "euroradio.security_disconnect", BLD_SEV_HIGH }, { "euroradio.id_mismatch", BLD_SEV_MEDIUM },
	{ "euroradio.wrong_role", BLD_SEV_MEDIUM }, { "euroradio.bad_saf", BLD_SEV_MEDIUM },
	{ "euroradio.tseq_error", BLD_SEV_MEDIUM }, { "euroradio.vendor_packet_type", BLD_SEV_INFO },
};

/* defaults.events: {s7comm.plc_stop: critical, opcua.security_none: info} */
static void load_event_severities(struct loader *L, const struct bld_ynode *n, uint8_t *set)
{
	if (!want(L, n, BLD_YNODE_MAP, "defaults.events"))
		return;
	for (uint32_t i = 0; i < n->count; i += 2) {
		const struct bld_ynode *k = kid(L, n, i), *v = kid(L, n, i + 1);
		enum bld_event ev = bld_event_find(k->text);
		enum bld_severity sev;
		if (ev == BLD_EVENT_MAX) {
			err(L, k, "defaults.events: '%s' is not a protocol event (docs/protocols.md lists them)", k->text);
			continue;
		}
		if (severity(L, v, &sev)) {
			L->p->event_severity[ev] = (uint8_t)sev;
			set[ev] = 1;
		}
	}
}

static void load_defaults(struct loader *L, const struct bld_ynode *n)
{
	static const char *const keys[] = { "flow", "operation", "value", "asset", "timing", "rate", "protocol",
					    "events", "aggregate", NULL };
	struct bld_policy *p = L->p;
	if (!want(L, n, BLD_YNODE_MAP, "defaults"))
		return;
	check_keys(L, n, "defaults", keys);
	const struct bld_ynode *x;
	if ((x = bld_ydoc_get(L->d, n, "flow")))
		load_default(L, x, "defaults.flow", &p->flow_default, true);
	if ((x = bld_ydoc_get(L->d, n, "operation")))
		load_default(L, x, "defaults.operation", &p->op_default, true);
	if ((x = bld_ydoc_get(L->d, n, "value")))
		load_default(L, x, "defaults.value", &p->value_default, true);
	if ((x = bld_ydoc_get(L->d, n, "timing")))
		load_default(L, x, "defaults.timing", &p->timing_default, false);
	if ((x = bld_ydoc_get(L->d, n, "rate")))
		load_default(L, x, "defaults.rate", &p->rate_default, false);
	if ((x = bld_ydoc_get(L->d, n, "protocol")))
		load_default(L, x, "defaults.protocol", &p->protocol_default, false);
	uint8_t set[BLD_EVENT_MAX] = { 0 };
	if ((x = bld_ydoc_get(L->d, n, "events")))
		load_event_severities(L, x, set);
	for (int ev = 0; ev < BLD_EVENT_MAX; ev++) {   /* the rest: built in, else defaults.protocol */
		if (set[ev])
			continue;
		p->event_severity[ev] = (uint8_t)p->protocol_default.severity;
		for (size_t i = 0; i < sizeof(event_severity_builtin) / sizeof(event_severity_builtin[0]); i++)
			if (strcmp(event_severity_builtin[i].event, bld_event_names[ev]) == 0)
				p->event_severity[ev] = (uint8_t)event_severity_builtin[i].severity;
	}
	if ((x = bld_ydoc_get(L->d, n, "asset"))) {
		if (is_scalar(x) && strcmp(x->text, "off") == 0)
			p->assets = false;
		else
			load_default(L, x, "defaults.asset (or off)", &p->asset_default, false);
	}
	if ((x = bld_ydoc_get(L->d, n, "aggregate")))
		duration(L, x, "aggregate", &p->aggregate_ns);
}

/* A number or a range "a-b" of a setting's list, in [min, max]. */
static bool setting_range(struct loader *L, const struct bld_ynode *n, const struct bld_setting_spec *sp,
			  const char *proto, uint32_t *lo, uint32_t *hi)
{
	char a[32], b[32];
	const char *dash = is_scalar(n) ? strchr(n->text + 1, '-') : NULL;
	uint64_t x = 0, y = 0;
	bool ok = is_scalar(n) && strlen(n->text) < sizeof(a);
	if (ok && dash) {
		snprintf(a, sizeof(a), "%.*s", (int)(dash - n->text), n->text);
		snprintf(b, sizeof(b), "%s", dash + 1);
		ok = parse_u64(a, &x) && parse_u64(b, &y) && x <= y;
	} else if (ok) {
		ok = parse_u64(n->text, &x);
		y = x;
	}
	if (!ok || x < sp->min || y > sp->max) {
		err(L, n, "protocols.%s.%s: '%s' is not a number or range a-b within %llu..%llu", proto, sp->key,
		    is_scalar(n) ? n->text : type_name(n), (unsigned long long)sp->min, (unsigned long long)sp->max);
		return false;
	}
	*lo = (uint32_t)x;
	*hi = (uint32_t)y;
	return true;
}

static int range_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* One setting of protocols.<proto> into the dissector's config struct. */
static void load_setting(struct loader *L, const struct bld_ynode *v, const struct bld_setting_spec *sp,
			 const char *proto, uint8_t *config)
{
	uint8_t *at = config + sp->offset;
	switch (sp->kind) {
	case BLD_SETTING_ENUM:
		for (uint8_t i = 0; sp->names[i]; i++)
			if (is_scalar(v) && strcmp(v->text, sp->names[i]) == 0) {
				*at = i;
				return;
			}
		{
			char known[256] = "";
			for (size_t i = 0, used = 0; sp->names[i] && used < sizeof(known); i++)
				used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "",
							 sp->names[i]);
			err(L, v, "protocols.%s.%s: '%s' is not one of %s", proto, sp->key,
			    is_scalar(v) ? v->text : type_name(v), known);
		}
		return;
	case BLD_SETTING_UINT: {
		uint64_t x;
		if (!is_scalar(v) || !parse_u64(v->text, &x) || x < sp->min || x > sp->max) {
			err(L, v, "protocols.%s.%s: '%s' is not a number within %llu..%llu", proto, sp->key,
			    is_scalar(v) ? v->text : type_name(v), (unsigned long long)sp->min,
			    (unsigned long long)sp->max);
			return;
		}
		uint32_t u = (uint32_t)x;
		memcpy(at, &u, sizeof(u));
		return;
	}
	case BLD_SETTING_HEX32: {
		char *end = NULL;
		unsigned long long x = 0;
		if (is_scalar(v) && strlen(v->text) == 8 && isxdigit((unsigned char)v->text[0]))
			x = strtoull(v->text, &end, 16);
		if (!end || *end) {
			err(L, v, "protocols.%s.%s: '%s' is not 8 hex digits (e.g. 67452301)", proto, sp->key,
			    is_scalar(v) ? v->text : type_name(v));
			return;
		}
		uint32_t u = (uint32_t)x;
		memcpy(at, &u, sizeof(u));
		return;
	}
	case BLD_SETTING_DURATION: {
		uint64_t ns;
		char what[96];
		snprintf(what, sizeof(what), "protocols.%s.%s", proto, sp->key);
		if (!duration(L, v, what, &ns))
			return;
		if (ns < sp->min || ns > sp->max) {
			err(L, v, "%s: %s is outside %.3f s .. %.3f s", what, v->text, (double)sp->min / 1e9,
			    (double)sp->max / 1e9);
			return;
		}
		memcpy(at, &ns, sizeof(ns));
		return;
	}
	case BLD_SETTING_UINT_LIST: {
		struct bld_setting_list *l = (struct bld_setting_list *)(void *)at;
		l->n = 0;
		uint32_t n = v->type == BLD_YNODE_SEQ ? v->count : 1;
		for (uint32_t i = 0; i < n; i++) {
			const struct bld_ynode *x = v->type == BLD_YNODE_SEQ ? kid(L, v, i) : v;
			if (l->n == BLD_SETTING_LIST_MAX) {
				err(L, x, "protocols.%s.%s: more than %d numbers and ranges", proto, sp->key,
				    BLD_SETTING_LIST_MAX);
				return;
			}
			if (setting_range(L, x, sp, proto, &l->r[l->n].lo, &l->r[l->n].hi))
				l->n++;
		}
		qsort(l->r, l->n, sizeof(l->r[0]), range_cmp);
		uint32_t m = 0;   /* merge what overlaps or touches */
		for (uint32_t i = 0; i < l->n; i++)
			if (m && (uint64_t)l->r[i].lo <= (uint64_t)l->r[m - 1].hi + 1) {
				if (l->r[i].hi > l->r[m - 1].hi)
					l->r[m - 1].hi = l->r[i].hi;
			} else
				l->r[m++] = l->r[i];
		l->n = m;
		return;
	}
	}
}

/*
 * protocols: site facts the wire cannot tell, per protocol: the settings
 * its dissector describes (settings.h), over its defaults.
 */
static void load_protocols(struct loader *L, const struct bld_ynode *n)
{
	if (!want(L, n, BLD_YNODE_MAP, "protocols"))
		return;
	for (uint32_t i = 0; i < n->count; i += 2) {
		const struct bld_ynode *k = kid(L, n, i), *v = kid(L, n, i + 1);
		enum bld_proto proto = bld_registry_find(k->text);
		const struct bld_dissector *dsc = proto ? bld_dissectors[proto] : NULL;
		if (!dsc) {
			err(L, k, "protocols: '%s' is not a protocol Bollard decodes", k->text);
			continue;
		}
		if (v->type != BLD_YNODE_MAP) {
			err(L, v, "protocols.%s must be a mapping of settings", k->text);
			continue;
		}
		if (!dsc->n_settings) {
			err(L, k, "protocols.%s: %s has no site settings", k->text, k->text);
			continue;
		}
		uint8_t *config = L->p->proto_config[proto];
		if (!config) {
			if (!(config = pol_alloc(L->p, dsc->config_size))) {
				err(L, k, "out of memory");
				return;
			}
			memcpy(config, dsc->config_default, dsc->config_size);
			L->p->proto_config[proto] = config;
		}
		for (uint32_t j = 0; j < v->count; j += 2) {
			const struct bld_ynode *sk = kid(L, v, j), *sv = kid(L, v, j + 1);
			const struct bld_setting_spec *sp = NULL;
			char known[256] = "";
			for (uint32_t s = 0, used = 0; s < dsc->n_settings; s++) {
				if (strcmp(dsc->settings[s].key, sk->text) == 0)
					sp = &dsc->settings[s];
				if (used < sizeof(known))
					used += (uint32_t)snprintf(known + used, sizeof(known) - used, "%s%s", s ? ", " : "",
								   dsc->settings[s].key);
			}
			if (!sp)
				err(L, sk, "protocols.%s: '%s' is not a setting of %s (settings: %s)", k->text, sk->text,
				    k->text, known);
			else
				load_setting(L, sv, sp, k->text, config);
		}
	}
}

const void *bld_policy_proto_config(const struct bld_policy *p, enum bld_proto proto)
{
	return p && proto > BLD_PROTO_UNKNOWN && proto < BLD_PROTO_MAX ? p->proto_config[proto] : NULL;
}

static void load_root(struct loader *L)
{
	static const char *const keys[] = { "bollard", "site", "hosts", "groups", "zones", "defaults", "protocols",
					    "rules", NULL };
	const struct bld_ynode *root = &L->d->nodes[0];
	if (root->type != BLD_YNODE_MAP) {
		err(L, root, "a policy is a mapping with the keys bollard, hosts, groups, zones, defaults, rules");
		return;
	}
	check_keys(L, root, "the policy", keys);
	const struct bld_ynode *x = bld_ydoc_get(L->d, root, "bollard");
	if (!x)
		err(L, root, "the first key must be 'bollard: policy/1' (the format and its version)");
	else if (!is_scalar(x) || strcmp(x->text, "policy/1") != 0)
		err(L, x, "unsupported format '%s' (this Bollard reads policy/1)", is_scalar(x) ? x->text : type_name(x));
	if ((x = bld_ydoc_get(L->d, root, "site")) && is_scalar(x))
		L->p->site = pol_strdup(L->p, x->text);

	/* every name first, so the order of sections does not matter */
	uint32_t names = 16;
	for (const char *sec[] = { "hosts", "groups", "zones" }, **s = sec; s < sec + 3; s++)
		if ((x = bld_ydoc_get(L->d, root, *s)) && x->type == BLD_YNODE_MAP)
			names += x->count;
	while (L->n_slots < names * 2)
		L->n_slots = L->n_slots ? L->n_slots * 2 : 64;
	L->names = calloc(L->n_slots, sizeof(*L->names));
	if (!L->names) {
		L->oom = true;
		return;
	}
	if ((x = bld_ydoc_get(L->d, root, "defaults")))
		load_defaults(L, x);
	if ((x = bld_ydoc_get(L->d, root, "hosts")))
		load_hosts(L, x);
	L->p->n_hosts = L->hosts.n;
	if ((x = bld_ydoc_get(L->d, root, "zones"))) {
		load_zones(L, x);
		L->p->has_zones = L->p->n_zones > 0;
	}
	if ((x = bld_ydoc_get(L->d, root, "groups")))
		load_groups(L, x);
	if ((x = bld_ydoc_get(L->d, root, "protocols")))
		load_protocols(L, x);
	if (!(x = bld_ydoc_get(L->d, root, "rules"))) {
		err(L, root, "the policy has no rules (an empty allow-list would alert on everything)");
		return;
	}
	if (!want(L, x, BLD_YNODE_SEQ, "rules"))
		return;
	if (x->count == 0) {
		err(L, x, "the policy has no rules (an empty allow-list would alert on everything)");
		return;
	}
	for (uint32_t i = 0; i < x->count && !L->oom; i++) {
		struct pol_rule *r = vec_add(&L->rules);
		if (!r) {
			L->oom = true;
			return;
		}
		r->index = L->rules.n - 1;
		load_rule(L, kid(L, x, i), r);
	}
}

static void defaults_init(struct bld_policy *p)
{
	p->flow_default = (struct pol_default){ BLD_SEV_HIGH, BLD_ACTION_ALERT };
	p->op_default = (struct pol_default){ BLD_SEV_HIGH, BLD_ACTION_ALERT };
	p->value_default = (struct pol_default){ BLD_SEV_HIGH, BLD_ACTION_ALERT };
	p->asset_default = (struct pol_default){ BLD_SEV_MEDIUM, BLD_ACTION_ALERT };
	p->timing_default = (struct pol_default){ BLD_SEV_MEDIUM, BLD_ACTION_ALERT };
	p->rate_default = (struct pol_default){ BLD_SEV_MEDIUM, BLD_ACTION_ALERT };
	p->protocol_default = (struct pol_default){ BLD_SEV_LOW, BLD_ACTION_ALERT };
	p->assets = true;
	p->aggregate_ns = 60ull * 1000000000ull;
	for (int ev = 0; ev < BLD_EVENT_MAX; ev++) {
		p->event_severity[ev] = BLD_SEV_LOW;
		for (size_t i = 0; i < sizeof(event_severity_builtin) / sizeof(event_severity_builtin[0]); i++)
			if (strcmp(event_severity_builtin[i].event, bld_event_names[ev]) == 0)
				p->event_severity[ev] = (uint8_t)event_severity_builtin[i].severity;
	}
}

static struct bld_policy *load_doc(const struct bld_ydoc *d, struct bld_policy_diag *diag)
{
	struct bld_policy *p = calloc(1, sizeof(*p));
	if (!p) {
		diag->errors++;
		return NULL;
	}
	defaults_init(p);
	struct loader L = { .p = p, .d = d, .diag = diag };
	L.principals.elem = sizeof(struct pol_principal);
	L.hosts.elem = sizeof(struct pol_host);
	L.prefixes.elem = sizeof(struct pol_prefix);
	L.rules.elem = sizeof(struct pol_rule);
	L.apps.elem = sizeof(char *);
	p->name = pol_strdup(p, d->name);
	load_root(&L);
	/* group and zone counts for reports */
	for (uint32_t i = 0; i < L.principals.n; i++)
		p->n_groups += ((struct pol_principal *)L.principals.p)[i].kind == POL_GROUP;
	p->n_principals = L.principals.n;
	p->principals = vec_keep(p, &L.principals);
	p->hosts = vec_keep(p, &L.hosts);
	p->n_prefixes = L.prefixes.n;
	p->prefixes = vec_keep(p, &L.prefixes);
	p->n_rules = L.rules.n;
	p->rules = vec_keep(p, &L.rules);
	p->n_apps = L.apps.n;
	p->apps = vec_keep(p, &L.apps);
	free(L.names);
	free(L.ids);
	free(L.lits);
	if (L.oom) {
		err(&L, NULL, "out of memory");
	} else if (diag->errors == 0 && !pol_addr_build(p)) {
		err(&L, NULL, "out of memory while compiling");
	} else if (diag->errors == 0 && p->map.max_members > POL_MAX_NAMES_PER_ADDRESS) {
		const struct pol_addr_map *m = &p->map;
		char names[256] = "";
		size_t used = 0;
		for (uint32_t i = m->cls_first[m->max_cls]; i < m->cls_first[m->max_cls + 1] && used < 200; i++) {
			int w = snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "",
					 p->principals[m->members[i]].name);
			if (w < 0)
				break;
			used += (size_t)w < sizeof(names) - used ? (size_t)w : sizeof(names) - used - 1;
		}
		err(&L, NULL, "an address is covered by %u names (hosts, groups, zones, ranges in rules), more than %u: %s",
		    m->max_members, POL_MAX_NAMES_PER_ADDRESS, names);
	} else if (diag->errors == 0 && !pol_compile(p)) {
		err(&L, NULL, "out of memory while compiling");
	}
	if (diag->errors) {
		bld_policy_free(p);
		return NULL;
	}
	return p;
}

/* The YAML tree, or its error, into a policy (diag starts empty either way). */
static struct bld_policy *from_ydoc(struct bld_ydoc *d, const char *yaml_err, struct bld_policy_diag *diag)
{
	diag->errors = diag->shown = 0;
	diag->full = false;
	diag->len = 0;
	diag->text[0] = 0;
	if (!d) {
		diag->errors = diag->shown = 1;
		diag->len = (size_t)snprintf(diag->text, sizeof(diag->text), "%s\n", yaml_err);
		return NULL;
	}
	struct bld_policy *p = load_doc(d, diag);
	bld_ydoc_free(d);
	return p;
}

struct bld_policy *bld_policy_parse(const char *name, const void *yaml, size_t len, struct bld_policy_diag *diag)
{
	char e[512];
	return from_ydoc(bld_ydoc_parse(name, yaml, len, e, sizeof(e)), e, diag);
}

struct bld_policy *bld_policy_load(const char *path, struct bld_policy_diag *diag)
{
	char e[512];
	return from_ydoc(bld_ydoc_load(path, e, sizeof(e)), e, diag);
}

void bld_policy_info(const struct bld_policy *p, struct bld_policy_info *info)
{
	*info = (struct bld_policy_info){ .site = p->site, .hosts = p->n_hosts, .groups = p->n_groups,
					  .zones = p->n_zones, .rules = p->n_rules, .operations = p->n_entries };
}

const char *bld_policy_rule_id(const struct bld_policy *p, unsigned i)
{
	return i < p->n_rules ? p->rules[i].id : NULL;
}
