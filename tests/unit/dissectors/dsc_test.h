/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for dissector unit tests: run a parser on annotated-hex PDUs and
 * collect what it emits, each op as its bld_op_format() line, each event by
 * id.  The parser runs on heap blocks of exactly the PDU's size, so
 * AddressSanitizer catches a read one byte past the end.
 *
 *     struct dsc_run *r = dsc_run_new(&bld_dsc_modbus);
 *     dsc_feed_hex(r, true, "0001 0000 0006 01 | 03 0000 000a");
 *     CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 ...");
 *     CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_EXCEPTION), 0);
 *     dsc_run_free(r);
 */
#ifndef BLD_DSC_TEST_H
#define BLD_DSC_TEST_H

#include "bld_test.h"
#include "dissector.h"
#include "events.h"
#include "op.h"

#define DSC_MAX_OPS 64

struct dsc_run {
	const struct bld_dissector *dsc;
	void *state;
	struct bld_sink sink;
	struct bld_parse_ctx pc;
	uint64_t ts_ns;                        /* stamped on what is fed next */
	unsigned n_ops;
	char ops[DSC_MAX_OPS][16384];
	uint64_t response_time[DSC_MAX_OPS];   /* UINT64_MAX when the op has none */
	unsigned events[BLD_EVENT_MAX];
	unsigned n_events;
	struct bld_parse_result last;          /* the last parse call's result */
	struct bld_op op;
};

static inline void dsc_on_op(void *ctx, const struct bld_op *op)
{
	struct dsc_run *r = ctx;
	if (r->n_ops < DSC_MAX_OPS) {
		bld_op_format(op, r->ops[r->n_ops], sizeof(r->ops[0]));
		r->response_time[r->n_ops] = op->has_response_time ? op->response_time_ns : UINT64_MAX;
	}
	r->n_ops++;
}

static inline void dsc_on_event(void *ctx, enum bld_event ev, uint64_t ts_ns, bool to_server)
{
	struct dsc_run *r = ctx;
	(void)ts_ns;
	(void)to_server;
	r->events[ev]++;
	r->n_events++;
}

static inline struct dsc_run *dsc_run_new(const struct bld_dissector *dsc)
{
	struct dsc_run *r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->dsc = dsc;
	r->state = calloc(1, dsc->state_size ? dsc->state_size : 1);
	if (!r->state)
		abort();
	r->sink = (struct bld_sink){ .op = dsc_on_op, .event = dsc_on_event, .ctx = r };
	return r;
}

static inline void dsc_run_free(struct dsc_run *r)
{
	if (r->dsc->state_fini)
		r->dsc->state_fini(r->state);
	free(r->state);
	free(r);
}

/* Forget collected ops and events (the parser state stays). */
static inline void dsc_clear(struct dsc_run *r)
{
	r->n_ops = 0;
	r->n_events = 0;
	memset(r->events, 0, sizeof(r->events));
}

/* One parse call on exactly len bytes (a heap copy). */
static inline struct bld_parse_result dsc_parse(struct dsc_run *r, bool to_server, bool datagram,
						const uint8_t *data, uint32_t len)
{
	uint8_t *copy = bld_test_dup(data, len);
	r->pc = (struct bld_parse_ctx){ .dsc = r->dsc, .state = r->state, .ts_ns = r->ts_ns,
					.to_server = to_server, .datagram = datagram, .op = &r->op,
					.sink = &r->sink };
	r->last = r->dsc->parse(&r->pc, copy, len);
	free(copy);
	return r->last;
}

/*
 * Parse PDUs back to back from a buffer, as the framework does for a stream
 * without gaps: returns the bytes consumed by OK results; stops at the first
 * INCOMPLETE or ERROR (r->last says which).
 */
static inline uint32_t dsc_feed(struct dsc_run *r, bool to_server, const uint8_t *data, uint32_t len)
{
	uint32_t off = 0;
	while (off < len) {
		struct bld_parse_result res = dsc_parse(r, to_server, false, data + off, len - off);
		if (res.status != BLD_PARSE_OK)
			break;
		CU_ASSERT_FATAL(res.consumed > 0 && res.consumed <= len - off);
		off += res.consumed;
	}
	return off;
}

static inline uint32_t dsc_feed_hex(struct dsc_run *r, bool to_server, const char *hex)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	uint32_t used = dsc_feed(r, to_server, b, len);
	free(b);
	return used;
}

/* The i-th op's line, or "" when there is none (so string asserts fail readably). */
static inline const char *dsc_op(const struct dsc_run *r, unsigned i)
{
	return i < r->n_ops && i < DSC_MAX_OPS ? r->ops[i] : "";
}

static inline unsigned dsc_events(const struct dsc_run *r, enum bld_event ev)
{
	return r->events[ev];
}

/*
 * Every proper prefix of a valid PDU (one PDU: the fixture must hold exactly
 * one) is INCOMPLETE on a stream, emits no op and raises no event; on a datagram it is never OK beyond its length.  The
 * state is fresh for each prefix (a new run), so earlier prefixes cannot help.
 */
static inline void dsc_truncation_sweep(const struct bld_dissector *dsc, bool to_server, const char *hex)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	for (uint32_t k = 0; k < len; k++) {
		struct dsc_run *r = dsc_run_new(dsc);
		struct bld_parse_result res = dsc_parse(r, to_server, false, b, k);
		if (res.status != BLD_PARSE_INCOMPLETE || r->n_ops || r->n_events)
			fprintf(stderr, "prefix %u of %u: status %d, %u ops, %u events\n", k, len, res.status,
				r->n_ops, r->n_events);
		CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
		CU_ASSERT_EQUAL(r->n_ops, 0);
		CU_ASSERT_EQUAL(r->n_events, 0); /* it would be raised again when the PDU completes */
		CU_ASSERT_TRUE(res.needed == 0 || res.needed > k);
		dsc_clear(r);
		res = dsc_parse(r, to_server, true, b, k);
		CU_ASSERT_TRUE(res.status != BLD_PARSE_OK || (res.consumed > 0 && res.consumed <= k));
		dsc_run_free(r);
	}
	free(b);
}

#endif /* BLD_DSC_TEST_H */
