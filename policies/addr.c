/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Addresses to principals.  Every host, group member, zone and literal CIDR
 * is a prefix [lo, hi] owned by a principal.  A sweep over the prefixes'
 * edges cuts the address space into disjoint intervals, each covered by one
 * set of principals (its class); equal sets share a class.  A flow's
 * address is then one binary search away from everything that names it.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static const bld_addr ADDR_MAX = ~(bld_addr)0;

bld_addr pol_addr_from_ip(uint8_t family, const uint8_t *ip)
{
	bld_addr a = 0;
	if (family == 4) {   /* ::ffff:a.b.c.d: 0xffff, then the four bytes below it */
		a = 0xffff;
		for (int i = 0; i < 4; i++)
			a = a << 8 | ip[i];
		return a;
	}
	for (int i = 0; i < 16; i++)
		a = a << 8 | ip[i];
	return a;
}

bool pol_addr_parse_ip(const char *s, bld_addr *a)
{
	uint8_t b[16];
	if (inet_pton(AF_INET, s, b) == 1) {
		*a = pol_addr_from_ip(4, b);
		return true;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		*a = pol_addr_from_ip(6, b);
		return true;
	}
	return false;
}

bool pol_addr_parse_cidr(const char *s, bld_addr *lo, bld_addr *hi)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	bld_addr a;
	if (!pol_addr_parse_ip(buf, &a))
		return false;
	unsigned bits = strchr(buf, ':') ? 128 : 32, len = bits;
	if (slash) {
		char *end;
		unsigned long l = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || l > bits)
			return false;
		len = (unsigned)l;
	}
	if (bits == 32)
		len += 96;
	bld_addr host_mask = len == 128 ? 0 : ADDR_MAX >> len;
	if (a & host_mask)   /* "10.1.2.3/16": host bits set is a typo more often than not */
		return false;
	*lo = a;
	*hi = a | host_mask;
	return true;
}

struct edge {
	bld_addr at;
	uint32_t principal;
	int delta;               /* +1 a prefix starts here, -1 one ended just before */
};

static int cmp_edge(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return (x->delta > y->delta) - (x->delta < y->delta);
}

struct set_table {
	uint32_t *slot_cls;      /* open hash: class + 1 */
	uint32_t n_slots;
};

static uint32_t set_hash(const uint32_t *m, uint32_t n)
{
	uint32_t h = 2166136261u ^ n;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ m[i]) * 16777619u;
	return h;
}

/* Grow-by-doubling arrays for the build. */
static bool grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	uint32_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *np = realloc(*p, (size_t)c * elem);
	if (!np)
		return false;
	*p = np;
	*cap = c;
	return true;
}

bool pol_addr_build(struct bld_policy *p)
{
	bool ok = false;
	uint32_t n_edges = 0;
	struct edge *edges = malloc((2 * (size_t)p->n_prefixes + 1) * sizeof(*edges));
	uint32_t *count = calloc(p->n_principals + 1, sizeof(uint32_t));
	uint32_t *active = malloc((p->n_principals + 1) * sizeof(uint32_t));
	uint32_t n_active = 0;
	bld_addr *start = NULL;
	uint32_t *cls = NULL, *cls_first = NULL, *members = NULL, n = 0, cap_start = 0, cap_iv = 0, cap_cls = 0, cap_mem = 0;
	uint32_t n_cls = 0, n_mem = 0;
	struct set_table st = { 0 };
	if (!edges || !count || !active)
		goto out;
	for (uint32_t i = 0; i < p->n_prefixes; i++) {
		const struct pol_prefix *x = &p->prefixes[i];
		edges[n_edges++] = (struct edge){ x->lo, x->principal, +1 };
		if (x->hi != ADDR_MAX)
			edges[n_edges++] = (struct edge){ x->hi + 1, x->principal, -1 };
	}
	qsort(edges, n_edges, sizeof(*edges), cmp_edge);
	st.n_slots = 64;
	while (st.n_slots < 2 * n_edges + 64)
		st.n_slots *= 2;
	st.slot_cls = calloc(st.n_slots, sizeof(uint32_t));
	if (!st.slot_cls || !grow((void **)&cls_first, &cap_cls, 2, sizeof(uint32_t)))
		goto out;
	cls_first[0] = 0;   /* class 0: the empty set */
	cls_first[1] = 0;
	n_cls = 1;
	st.slot_cls[set_hash(NULL, 0) & (st.n_slots - 1)] = 1;

	bld_addr at = 0;
	uint32_t e = 0;
	for (;;) {
		while (e < n_edges && edges[e].at == at) {
			uint32_t pr = edges[e].principal;
			if (edges[e].delta > 0 && count[pr]++ == 0) {
				uint32_t k = n_active++;
				while (k > 0 && active[k - 1] > pr) {
					active[k] = active[k - 1];
					k--;
				}
				active[k] = pr;
			} else if (edges[e].delta < 0 && --count[pr] == 0) {
				uint32_t k = 0;
				while (active[k] != pr)
					k++;
				memmove(active + k, active + k + 1, (n_active - k - 1) * sizeof(uint32_t));
				n_active--;
			}
			e++;
		}
		/* intern the active set */
		uint32_t h = set_hash(active, n_active) & (st.n_slots - 1), c;
		for (;; h = (h + 1) & (st.n_slots - 1)) {
			uint32_t s = st.slot_cls[h];
			if (!s) {
				if (!grow((void **)&cls_first, &cap_cls, n_cls + 2, sizeof(uint32_t)) ||
				    !grow((void **)&members, &cap_mem, n_mem + n_active + 1, sizeof(uint32_t)))
					goto out;
				memcpy(members + n_mem, active, n_active * sizeof(uint32_t));
				n_mem += n_active;
				c = n_cls++;
				cls_first[n_cls] = n_mem;
				st.slot_cls[h] = c + 1;
				break;
			}
			c = s - 1;
			uint32_t len = cls_first[c + 1] - cls_first[c];
			if (len == n_active && (!len || !memcmp(members + cls_first[c], active, len * sizeof(uint32_t))))
				break;
		}
		if (n == 0 || cls[n - 1] != c) {
			if (!grow((void **)&start, &cap_start, n + 1, sizeof(bld_addr)) ||
			    !grow((void **)&cls, &cap_iv, n + 1, sizeof(uint32_t)))
				goto out;
			start[n] = at;
			cls[n++] = c;
		}
		if (e >= n_edges)
			break;
		at = edges[e].at;
	}
	for (uint32_t c = 0; c < n_cls; c++)
		if (cls_first[c + 1] - cls_first[c] > p->map.max_members) {
			p->map.max_members = cls_first[c + 1] - cls_first[c];
			p->map.max_cls = c;
		}
	/* copy into the arena */
	p->map.n = n;
	p->map.n_cls = n_cls;
	p->map.start = pol_alloc(p, n * sizeof(bld_addr));
	p->map.cls = pol_alloc(p, n * sizeof(uint32_t));
	p->map.cls_first = pol_alloc(p, (n_cls + 1) * sizeof(uint32_t));
	p->map.members = pol_alloc(p, (n_mem + 1) * sizeof(uint32_t));
	if (!p->map.start || !p->map.cls || !p->map.cls_first || !p->map.members)
		goto out;
	memcpy(p->map.start, start, n * sizeof(bld_addr));
	memcpy(p->map.cls, cls, n * sizeof(uint32_t));
	memcpy(p->map.cls_first, cls_first, (n_cls + 1) * sizeof(uint32_t));
	if (n_mem)
		memcpy(p->map.members, members, n_mem * sizeof(uint32_t));
	ok = true;
out:
	free(edges);
	free(count);
	free(active);
	free(start);
	free(cls);
	free(cls_first);
	free(members);
	free(st.slot_cls);
	return ok;
}

uint32_t pol_addr_class(const struct bld_policy *p, bld_addr a)
{
	uint32_t lo = 0, hi = p->map.n;
	if (!hi)
		return 0;
	while (hi - lo > 1) {   /* the last start <= a; start[0] is 0 */
		uint32_t mid = lo + (hi - lo) / 2;
		if (p->map.start[mid] <= a)
			lo = mid;
		else
			hi = mid;
	}
	return p->map.cls[lo];
}
