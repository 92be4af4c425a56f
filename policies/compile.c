/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The compiler: index the loaded rules so that judging a flow or an
 * operation never scans the rule list (model.h).
 *
 *   (from principal, to principal, protocol) -> rules     open hash, one key
 *                                                        per pair a rule names
 *   rule: kind value & 255 -> entries                    when a rule lists
 *                                                        more than a few
 */
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define BUCKETS 256
#define INDEX_FROM 8             /* entries a rule lists before it gets an index */

static uint32_t key_hash(uint32_t from, uint32_t to, uint32_t app)
{
	uint64_t h = ((uint64_t)from * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)to * 0xc2b2ae3d27d4eb4full) ^
		     ((uint64_t)app * 0x165667b19e3779f9ull);
	return (uint32_t)(h ^ h >> 29);
}

static struct pol_key_slot *slot_for(struct bld_policy *p, uint32_t from, uint32_t to, uint32_t app)
{
	for (uint32_t i = key_hash(from, to, app) & (p->n_slots - 1);; i = (i + 1) & (p->n_slots - 1)) {
		struct pol_key_slot *s = &p->slots[i];
		if (!s->used) {
			*s = (struct pol_key_slot){ .from = from, .to = to, .app = app, .used = true };
			return s;
		}
		if (s->from == from && s->to == to && s->app == app)
			return s;
	}
}

uint32_t pol_rules_for(const struct bld_policy *p, uint32_t from, uint32_t to, uint32_t app, const uint32_t **first)
{
	if (!p->n_slots)
		return 0;
	for (uint32_t i = key_hash(from, to, app) & (p->n_slots - 1);; i = (i + 1) & (p->n_slots - 1)) {
		const struct pol_key_slot *s = &p->slots[i];
		if (!s->used)
			return 0;
		if (s->from == from && s->to == to && s->app == app) {
			*first = p->slot_rules + s->first;
			return s->n;
		}
	}
}

uint32_t pol_app_index(const struct bld_policy *p, const char *app)
{
	for (uint32_t i = 0; i < p->n_apps; i++)
		if (strcmp(p->apps[i], app) == 0)
			return i;
	return POL_ANY;
}

/* Visit every (from, to) key of rule r, both ways round for direction: both. */
#define FOREACH_KEY(r, from, to, body)                                           \
	for (uint32_t fi_ = 0; fi_ < (r)->n_from; fi_++)                        \
		for (uint32_t ti_ = 0; ti_ < (r)->n_to; ti_++)                  \
			for (int sw_ = 0; sw_ < ((r)->both ? 2 : 1); sw_++) {   \
				uint32_t from = sw_ ? (r)->to[ti_] : (r)->from[fi_]; \
				uint32_t to = sw_ ? (r)->from[fi_] : (r)->to[ti_];   \
				body                                             \
			}

static const struct pol_constraint *kind_constraint(const struct pol_rule *r, const struct pol_entry *e)
{
	for (uint32_t i = 0; i < e->n_c; i++)
		if (e->c[i].specs[0] == &r->dsc->fields[0])
			return &e->c[i];
	return NULL;
}

/* Which buckets entry e belongs to: bit per bucket; none set (all 256) when it does not constrain the kind. */
static bool entry_buckets(const struct pol_rule *r, const struct pol_entry *e, uint8_t mark[BUCKETS])
{
	const struct pol_constraint *c = kind_constraint(r, e);
	memset(mark, 0, BUCKETS);
	if (!c || c->kind != BLD_FIELD_SET)
		return false;
	for (uint32_t i = 0; i < c->n_ranges; i++) {
		if (c->ranges[i].hi - c->ranges[i].lo >= BUCKETS - 1)
			return false;
		for (uint64_t v = c->ranges[i].lo;; v++) {
			mark[v & (BUCKETS - 1)] = 1;
			if (v == c->ranges[i].hi)
				break;
		}
	}
	return true;
}

/* Index a rule's entries on the kind (bucket BUCKETS holds entries that do not constrain it). */
static bool index_entries(struct bld_policy *p, struct pol_rule *r)
{
	if (r->n_ops <= INDEX_FROM || strchr(r->dsc->fields[0].path, '.') || r->dsc->fields[0].kind != BLD_FIELD_SET)
		return true;
	uint8_t mark[BUCKETS];
	uint32_t counts[BUCKETS + 1] = { 0 };
	for (uint32_t i = 0; i < r->n_ops; i++) {
		if (!entry_buckets(r, &r->ops[i], mark)) {
			counts[BUCKETS]++;
			continue;
		}
		for (int b = 0; b < BUCKETS; b++)
			counts[b] += mark[b];
	}
	r->bucket_first = pol_alloc(p, (BUCKETS + 2) * sizeof(uint32_t));
	if (!r->bucket_first)
		return false;
	uint32_t total = 0;
	for (int b = 0; b <= BUCKETS; b++) {
		r->bucket_first[b] = total;
		total += counts[b];
	}
	r->bucket_first[BUCKETS + 1] = total;
	r->bucket_entries = pol_alloc(p, (total + 1) * sizeof(uint32_t));
	if (!r->bucket_entries)
		return false;
	uint32_t fill[BUCKETS + 1];
	memcpy(fill, r->bucket_first, sizeof(fill));
	for (uint32_t i = 0; i < r->n_ops; i++) {
		if (!entry_buckets(r, &r->ops[i], mark)) {
			r->bucket_entries[fill[BUCKETS]++] = i;
			continue;
		}
		for (int b = 0; b < BUCKETS; b++)
			if (mark[b])
				r->bucket_entries[fill[b]++] = i;
	}
	return true;
}

static int cmp_host(const void *a, const void *b)
{
	const struct pol_host *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_mac(const void *a, const void *b)
{
	const struct pol_host *const *x = a, *const *y = b;
	return memcmp((*x)->mac, (*y)->mac, 6);
}

bool pol_compile(struct bld_policy *p)
{
	/* every protocol's selector paths, cut once: whether an operation is judged at all is asked per op */
	for (int i = 1; i < BLD_PROTO_MAX; i++) {
		const struct bld_dissector *d = bld_dissectors[i];
		if (!d->n_fields)
			continue;
		p->selectors[i] = pol_alloc(p, d->n_fields * sizeof(struct pol_path));
		if (!p->selectors[i])
			return false;
		p->n_selectors[i] = pol_selector_paths(d, p->selectors[i], d->n_fields);
	}
	/* hosts by address (names in alerts) and by MAC (L2 flows) */
	if (p->n_hosts)
		qsort(p->hosts, p->n_hosts, sizeof(*p->hosts), cmp_host);
	for (uint32_t i = 0; i < p->n_hosts; i++)
		p->n_macs += p->hosts[i].has_mac;
	p->hosts_by_mac = pol_alloc(p, (p->n_macs + 1) * sizeof(*p->hosts_by_mac));
	if (!p->hosts_by_mac)
		return false;
	for (uint32_t i = 0, k = 0; i < p->n_hosts; i++)
		if (p->hosts[i].has_mac)
			p->hosts_by_mac[k++] = &p->hosts[i];
	if (p->n_macs)
		qsort(p->hosts_by_mac, p->n_macs, sizeof(*p->hosts_by_mac), cmp_mac);

	/* the rule index */
	uint64_t keys = 0;
	for (uint32_t i = 0; i < p->n_rules; i++)
		keys += (uint64_t)p->rules[i].n_from * p->rules[i].n_to * (p->rules[i].both ? 2 : 1);
	if (keys > (1u << 26))
		return false;
	p->n_slots = 16;
	while (p->n_slots < 2 * keys)
		p->n_slots *= 2;
	p->slots = pol_alloc(p, (size_t)p->n_slots * sizeof(*p->slots));
	p->slot_rules = pol_alloc(p, (keys + 1) * sizeof(uint32_t));
	if (!p->slots || !p->slot_rules)
		return false;
	for (uint32_t i = 0; i < p->n_rules; i++) {
		struct pol_rule *r = &p->rules[i];
		FOREACH_KEY(r, from, to, { slot_for(p, from, to, r->app)->n++; })
	}
	uint32_t total = 0;
	for (uint32_t i = 0; i < p->n_slots; i++) {
		p->slots[i].first = total;
		total += p->slots[i].n;
		p->slots[i].n = 0;
	}
	for (uint32_t i = 0; i < p->n_rules; i++) {
		struct pol_rule *r = &p->rules[i];
		FOREACH_KEY(r, from, to, {
			struct pol_key_slot *s = slot_for(p, from, to, r->app);
			/* the same rule twice under one key (both ways between one pair) only once */
			if (!s->n || p->slot_rules[s->first + s->n - 1] != i)
				p->slot_rules[s->first + s->n++] = i;
		})
		if (r->has_ops && !index_entries(p, r))
			return false;
	}
	return true;
}
