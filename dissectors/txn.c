/* SPDX-License-Identifier: BSD-3-Clause */
#include "txn.h"

#include <stdlib.h>
#include <string.h>

static void remove_at(struct bld_txn_table *t, unsigned i)
{
	memmove(&t->t[i], &t->t[i + 1], (t->n - i - 1u) * sizeof(t->t[0]));
	t->n--;
}

static int find(const struct bld_txn_table *t, uint64_t key)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->t[i].key == key)
			return (int)i;
	return -1;
}

/* Forget requests older than the timeout (oldest first, so they lead the table). */
static void expire(struct bld_txn_table *t, uint64_t now)
{
	uint64_t timeout = t->timeout_ns ? t->timeout_ns : BLD_TXN_TIMEOUT_NS;
	unsigned k = 0;
	while (k < t->n && now > t->t[k].ts_ns && now - t->t[k].ts_ns > timeout)
		k++;
	if (k) {
		memmove(&t->t[0], &t->t[k], (t->n - k) * sizeof(t->t[0]));
		t->n = (uint8_t)(t->n - k);
	}
}

void bld_txn_fini(struct bld_txn_table *t)
{
	free(t->t);
	t->t = NULL;
	t->n = t->cap = 0;
}

/* Room for one more entry: false when the table is at BLD_TXN_MAX (or memory ran out). */
static bool grow(struct bld_txn_table *t)
{
	if (t->n < t->cap)
		return true;
	if (t->cap >= BLD_TXN_MAX)
		return false;
	unsigned cap = t->cap ? t->cap * 2u : 4u;
	struct bld_txn *nt = realloc(t->t, cap * sizeof(*nt));
	if (!nt)
		return false;
	t->t = nt;
	t->cap = (uint8_t)cap;
	return true;
}

void bld_txn_request(struct bld_parse_ctx *pc, struct bld_txn_table *t, uint64_t key, uint64_t info)
{
	expire(t, pc->ts_ns);
	int i = find(t, key);
	if (i >= 0) {
		remove_at(t, (unsigned)i);
	} else if (!grow(t)) {
		if (t->n == 0)
			return; /* out of memory: this request goes unpaired */
		remove_at(t, 0);
		bld_event(pc, BLD_EVENT_APP_TXN_CAPACITY);
	}
	t->t[t->n++] = (struct bld_txn){ .key = key, .ts_ns = pc->ts_ns, .info = info };
}

bool bld_txn_response(struct bld_parse_ctx *pc, struct bld_txn_table *t, uint64_t key, uint64_t *info)
{
	int i = find(t, key);
	if (i < 0)
		return false;
	const struct bld_txn *x = &t->t[i];
	if (info)
		*info = x->info;
	/* Packet time can step back across merged captures: no negative times. */
	pc->op->response_time_ns = pc->ts_ns >= x->ts_ns ? pc->ts_ns - x->ts_ns : 0;
	pc->op->has_response_time = true;
	remove_at(t, (unsigned)i);
	return true;
}
