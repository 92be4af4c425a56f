/* SPDX-License-Identifier: BSD-3-Clause */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000ull

const char *const bld_flow_end_names[] = {
	[BLD_FLOW_END_IDLE] = "idle_timeout",
	[BLD_FLOW_END_CLOSED] = "closed",
	[BLD_FLOW_END_REUSED] = "port_reused",
	[BLD_FLOW_END_EVICTED] = "evicted",
	[BLD_FLOW_END_EOF] = "end_of_input",
};

const char *const bld_tcp_state_names[] = {
	[BLD_TCP_NONE] = "none",
	[BLD_TCP_SYN_SENT] = "syn_sent",
	[BLD_TCP_SYN_RECEIVED] = "syn_received",
	[BLD_TCP_ESTABLISHED] = "established",
	[BLD_TCP_CLOSING] = "closing",
	[BLD_TCP_CLOSED] = "closed",
	[BLD_TCP_RESET] = "reset",
};

/* An idle list: slot indices, oldest at head. */
struct lru {
	uint32_t head, tail;
};

struct bld_flow_table {
	struct bld_flow_config cfg;
	struct bld_flow *slots;   /* slots[1..max_flows]; 0 means "none" */
	uint32_t *buckets;        /* heads of the hash chains */
	uint32_t bucket_mask;
	uint32_t *free_stack;     /* free slot indices, LIFO so touched memory stays compact */
	uint32_t n_free;
	uint32_t next_unused;     /* slots above this were never used: no need to stack them */
	struct lru lru[BLD_FLOW_CLASS_MAX];
	uint64_t next_deadline;   /* no list head expires at or before this packet time */
	uint64_t next_id, id_step;
	bld_flow_end_fn on_end;
	void *ctx;
	struct bld_flow_stats stats;
};

void bld_flow_config_default(struct bld_flow_config *cfg)
{
	cfg->max_flows = 1u << 20;
	cfg->timeout_ns[BLD_FLOW_CLASS_TCP_OPENING] = 30 * NS_PER_S;
	/* SCADA sessions are long-lived and poll every few seconds; ten idle minutes ends one. */
	cfg->timeout_ns[BLD_FLOW_CLASS_TCP_ESTABLISHED] = 600 * NS_PER_S;
	cfg->timeout_ns[BLD_FLOW_CLASS_TCP_CLOSED] = 10 * NS_PER_S;
	cfg->timeout_ns[BLD_FLOW_CLASS_UDP] = 120 * NS_PER_S;
	cfg->timeout_ns[BLD_FLOW_CLASS_OTHER] = 60 * NS_PER_S;
}

struct bld_flow_table *bld_flow_table_create(const struct bld_flow_config *cfg, bld_flow_end_fn on_end, void *ctx)
{
	if (cfg->max_flows == 0 || cfg->max_flows > (1u << 30))
		return NULL;
	struct bld_flow_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->on_end = on_end;
	t->ctx = ctx;
	t->next_id = cfg->id_first ? cfg->id_first : 1;
	t->id_step = cfg->id_step ? cfg->id_step : 1;
	uint32_t nb = 1;
	while (nb < cfg->max_flows)
		nb <<= 1;
	t->bucket_mask = nb - 1;
	t->slots = calloc((size_t)cfg->max_flows + 1, sizeof(*t->slots));
	if (!t->slots)
		goto free_table;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets)
		goto free_slots;
	t->free_stack = calloc(cfg->max_flows, sizeof(*t->free_stack));
	if (!t->free_stack)
		goto free_buckets;
	t->next_unused = 1;
	return t;

free_buckets:
	free(t->buckets);
free_slots:
	free(t->slots);
free_table:
	free(t);
	return NULL;
}

void bld_flow_table_destroy(struct bld_flow_table *t)
{
	if (!t)
		return;
	free(t->free_stack);
	free(t->buckets);
	free(t->slots);
	free(t);
}

static int addr_port_cmp(const struct bld_addr *x, uint16_t xp, const struct bld_addr *y, uint16_t yp)
{
	uint64_t a[2], b[2];
	memcpy(a, x->b, 16);
	memcpy(b, y->b, 16);
	for (int i = 0; i < 2; i++) {
		uint64_t p = __builtin_bswap64(a[i]), q = __builtin_bswap64(b[i]);
		if (p != q)
			return p < q ? -1 : 1;
	}
	return (int)xp - (int)yp;
}

bool bld_flow_key_make(const struct bld_decoded *d, struct bld_flow_key *k)
{
	struct bld_addr s, t;
	uint16_t sp = 0, tp = 0;

	memset(k, 0, sizeof(*k));
	k->vlan[0] = d->n_vlan > 0 ? d->vlan[0] : 0;
	k->vlan[1] = d->n_vlan > 1 ? d->vlan[1] : 0;
	if (d->ip_version == 0) {
		/* L2 flow: MAC pair and ethertype */
		memset(&s, 0, sizeof(s));
		memset(&t, 0, sizeof(t));
		memcpy(s.b, d->src_mac, 6);
		memcpy(t.b, d->dst_mac, 6);
		k->ethertype = d->ethertype;
	} else {
		s = d->src;
		t = d->dst;
		k->l4 = d->l4_proto;
		k->ip_version = d->ip_version;
		if (d->has_ports) {
			sp = d->sport;
			tp = d->dport;
		}
	}
	bool src_is_a = addr_port_cmp(&s, sp, &t, tp) <= 0;
	if (src_is_a) {
		k->a = s, k->b = t, k->port_a = sp, k->port_b = tp;
	} else {
		k->a = t, k->b = s, k->port_a = tp, k->port_b = sp;
	}
	return src_is_a;
}

static inline uint64_t mix64(uint64_t x)
{
	/* splitmix64 finaliser: cheap and avalanches well */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

uint32_t bld_flow_key_hash(const struct bld_flow_key *k)
{
	uint64_t w[sizeof(*k) / 8];
	memcpy(w, k, sizeof(w));
	/* three independent multiplies, then one finaliser */
	uint64_t h = (w[0] + 0x9e3779b97f4a7c15ull) * (w[1] + 0xc2b2ae3d27d4eb4full) ^
		     (w[2] + 0x165667b19e3779f9ull) * (w[3] + 0xd6e8feb86659fd93ull) ^
		     (w[4] + 0xff51afd7ed558ccdull) * (w[5] + 0xc4ceb9fe1a85ec53ull);
	h = mix64(h);
	return (uint32_t)(h ^ (h >> 32));
}

_Static_assert(sizeof(struct bld_flow_key) == 48, "flow key must stay 48 bytes with no hidden padding");
_Static_assert(BLD_FLOW_CLASS_MAX <= 16, "a flow's class is a nibble (struct bld_flow)");

static inline struct bld_flow *slot(struct bld_flow_table *t, uint32_t i)
{
	return &t->slots[i];
}

static inline uint32_t index_of(const struct bld_flow_table *t, const struct bld_flow *f)
{
	return (uint32_t)(f - t->slots);
}

static void lru_unlink(struct bld_flow_table *t, struct bld_flow *f)
{
	struct lru *l = &t->lru[f->class];
	if (f->lru_prev) {
		slot(t, f->lru_prev)->lru_next = f->lru_next;
	} else {
		l->head = f->lru_next;
		if (l->head) {
			uint64_t d = slot(t, l->head)->ts_last + t->cfg.timeout_ns[f->class];
			if (d < t->next_deadline)
				t->next_deadline = d;
		}
	}
	if (f->lru_next)
		slot(t, f->lru_next)->lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = 0;
}

static void lru_append(struct bld_flow_table *t, struct bld_flow *f)
{
	struct lru *l = &t->lru[f->class];
	uint32_t i = index_of(t, f);
	f->lru_next = 0;
	f->lru_prev = l->tail;
	if (l->tail)
		slot(t, l->tail)->lru_next = i;
	else
		l->head = i;
	l->tail = i;
	if (!f->lru_prev) {
		uint64_t d = f->ts_last + t->cfg.timeout_ns[f->class];
		if (d < t->next_deadline)
			t->next_deadline = d;
	}
}

static void hash_unlink(struct bld_flow_table *t, struct bld_flow *f)
{
	uint32_t i = index_of(t, f);
	uint32_t *pp = &t->buckets[bld_flow_key_hash(&f->key) & t->bucket_mask];
	while (*pp && *pp != i)
		pp = &slot(t, *pp)->hash_next;
	if (*pp)
		*pp = f->hash_next;
}

/* Report the end, then return the slot to the free stack. */
static void end_flow(struct bld_flow_table *t, struct bld_flow *f, enum bld_flow_end why)
{
	t->on_end(t->ctx, f, why);
	lru_unlink(t, f);
	hash_unlink(t, f);
	memset(f, 0, sizeof(*f));
	t->free_stack[t->n_free++] = index_of(t, f);
	t->stats.ended++;
	t->stats.active--;
	if (why == BLD_FLOW_END_EVICTED)
		t->stats.evicted++;
}

void bld_flow_table_end(struct bld_flow_table *t, struct bld_flow *f, enum bld_flow_end why)
{
	end_flow(t, f, why);
}

static enum bld_flow_end expiry_reason(const struct bld_flow *f)
{
	return f->class == BLD_FLOW_CLASS_TCP_CLOSED ? BLD_FLOW_END_CLOSED : BLD_FLOW_END_IDLE;
}

void bld_flow_table_expire(struct bld_flow_table *t, uint64_t now)
{
	if (now <= t->next_deadline)
		return;
	t->next_deadline = UINT64_MAX;
	for (int c = 0; c < BLD_FLOW_CLASS_MAX; c++) {
		uint64_t timeout = t->cfg.timeout_ns[c];
		while (t->lru[c].head) {
			struct bld_flow *f = slot(t, t->lru[c].head);
			if (now < f->ts_last || now - f->ts_last <= timeout) {
				if (f->ts_last + timeout < t->next_deadline)
					t->next_deadline = f->ts_last + timeout;
				break;
			}
			end_flow(t, f, expiry_reason(f));
		}
	}
}

/* The flow idle longest relative to its own timeout goes first. */
static struct bld_flow *oldest_idle(struct bld_flow_table *t)
{
	struct bld_flow *best = NULL;
	uint64_t best_deadline = UINT64_MAX;
	for (int c = 0; c < BLD_FLOW_CLASS_MAX; c++) {
		if (!t->lru[c].head)
			continue;
		struct bld_flow *f = slot(t, t->lru[c].head);
		uint64_t deadline = f->ts_last + t->cfg.timeout_ns[c];
		if (deadline < best_deadline) {
			best_deadline = deadline;
			best = f;
		}
	}
	return best;
}

static uint32_t alloc_slot(struct bld_flow_table *t)
{
	if (t->n_free)
		return t->free_stack[--t->n_free];
	if (t->next_unused <= t->cfg.max_flows)
		return t->next_unused++;
	return 0;
}

struct bld_flow *bld_flow_table_get(struct bld_flow_table *t, const struct bld_flow_key *k, uint32_t hash,
				    uint64_t now, bool *created)
{
	uint32_t *head = &t->buckets[hash & t->bucket_mask];
	for (uint32_t i = *head; i; i = slot(t, i)->hash_next) {
		struct bld_flow *f = slot(t, i);
		uint64_t x[6], y[6];
		memcpy(x, &f->key, 48);
		memcpy(y, k, 48);
		if (((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]) | (x[5] ^ y[5])) == 0) {
			*created = false;
			return f;
		}
	}

	uint32_t i = alloc_slot(t);
	if (!i) {
		end_flow(t, oldest_idle(t), BLD_FLOW_END_EVICTED);
		i = alloc_slot(t);
	}
	struct bld_flow *f = slot(t, i);
	f->key = *k;
	f->id = t->next_id;
	t->next_id += t->id_step;
	f->ts_first = f->ts_last = now;
	f->class = BLD_FLOW_CLASS_OTHER;
	f->hash_next = *head;
	*head = i;
	lru_append(t, f);
	t->stats.created++;
	if (++t->stats.active > t->stats.peak)
		t->stats.peak = t->stats.active;
	*created = true;
	return f;
}

void bld_flow_table_touch(struct bld_flow_table *t, struct bld_flow *f, uint64_t now, enum bld_flow_class c)
{
	/* Already the newest of its list (a burst of one flow's packets): nothing to move. */
	if (f->class == c && t->lru[c].tail == index_of(t, f)) {
		if (now > f->ts_last)
			f->ts_last = now;
		return;
	}
	lru_unlink(t, f);
	f->class = (uint8_t)c;
	if (now > f->ts_last)
		f->ts_last = now;
	lru_append(t, f);
}

static int by_id(const void *x, const void *y)
{
	const struct bld_flow *a = *(struct bld_flow *const *)x, *b = *(struct bld_flow *const *)y;
	return a->id < b->id ? -1 : a->id > b->id;
}

void bld_flow_table_flush(struct bld_flow_table *t)
{
	size_t n = t->stats.active;
	if (n == 0)
		return;
	struct bld_flow **all = malloc(n * sizeof(*all));
	if (!all) {
		/* No memory to sort: end them list by list, still each exactly once. */
		for (int c = 0; c < BLD_FLOW_CLASS_MAX; c++)
			while (t->lru[c].head)
				end_flow(t, slot(t, t->lru[c].head), BLD_FLOW_END_EOF);
		return;
	}
	size_t k = 0;
	for (int c = 0; c < BLD_FLOW_CLASS_MAX; c++)
		for (uint32_t i = t->lru[c].head; i; i = slot(t, i)->lru_next)
			all[k++] = slot(t, i);
	qsort(all, k, sizeof(*all), by_id);
	for (size_t j = 0; j < k; j++)
		end_flow(t, all[j], BLD_FLOW_END_EOF);
	free(all);
}

void bld_flow_table_stats(const struct bld_flow_table *t, struct bld_flow_stats *s)
{
	*s = t->stats;
}
