/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for operation records (dissectors/op.c), request/response
 * pairing (dissectors/txn.c) and the event table (dissectors/events.c).
 */
#include "bld_test.h"

#include "events.h"
#include "op.h"
#include "txn.h"

static struct bld_op op;
static unsigned emitted, ev_count[BLD_EVENT_MAX];
static char line[8192];

static void on_op(void *ctx, const struct bld_op *o)
{
	(void)ctx;
	emitted++;
	bld_op_format(o, line, sizeof(line));
}

static void on_event(void *ctx, enum bld_event ev, uint64_t ts, bool to_server)
{
	(void)ctx, (void)ts, (void)to_server;
	ev_count[ev]++;
}

static const struct bld_sink sink = { .op = on_op, .event = on_event };
static const struct bld_dissector dsc = { .name = "test" };

static struct bld_parse_ctx ctx(uint64_t ts)
{
	emitted = 0;
	memset(ev_count, 0, sizeof(ev_count));
	return (struct bld_parse_ctx){ .dsc = &dsc, .ts_ns = ts, .to_server = true, .op = &op, .sink = &sink };
}

static void test_fields_and_nesting(void)
{
	struct bld_parse_ctx pc = ctx(5);
	struct bld_op *o = bld_op_begin(&pc, BLD_OP_RESPONSE);
	bld_op_uint(o, "function", 3);
	bld_op_int(o, "delta", -2);
	bld_op_bool(o, "more", false);
	bld_op_cstr(o, "name", "CPU \"1\"");
	bld_op_hex(o, "raw", "\x0a\xff", 2);
	bld_op_list(o, "items");
	bld_op_object(o, NULL);
	bld_op_uint(o, "db", 1);
	bld_op_end(o);
	bld_op_uint(o, NULL, 7);
	bld_op_end(o);
	bld_op_list(o, "empty");
	bld_op_end(o);
	bld_op_emit(&pc);
	CU_ASSERT_EQUAL(emitted, 1);
	CU_ASSERT_STRING_EQUAL(line, "response function=3 delta=-2 more=false name=\"CPU \\x221\\x22\" raw=0aff "
				     "items=[{db=1} 7] empty=[]");
	CU_ASSERT_STRING_EQUAL(op.proto, "test");
	CU_ASSERT_EQUAL(op.ts_ns, 5);
	const struct bld_op_field *f = bld_op_get(&op, "items");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->type, BLD_OPF_LIST);
	CU_ASSERT_EQUAL(f->len, 5); /* object, db, end, 7, end */
	CU_ASSERT_PTR_NULL(bld_op_get(&op, "db")); /* only top-level names */
	CU_ASSERT_EQUAL(bld_op_get(&op, "empty")->len, 1);
	CU_ASSERT_EQUAL(ev_count[BLD_EVENT_APP_OP_CAPACITY], 0);
}

static void test_reals(void)
{
	struct bld_parse_ctx pc = ctx(0);
	struct bld_op *o = bld_op_begin(&pc, BLD_OP_REQUEST);
	bld_op_real32(o, "setpoint", 0.16875f); /* not exact in binary: shown as the float it is */
	bld_op_real(o, "exact", 0.1);
	bld_op_real(o, "big", 1e10);
	bld_op_real32(o, "nan", 0.0f / 0.0f);
	bld_op_emit(&pc);
	CU_ASSERT_STRING_EQUAL(line, "request setpoint=0.16875 exact=0.1 big=10000000000 nan=nan");
	CU_ASSERT_EQUAL(bld_op_get(&op, "setpoint")->type, BLD_OPF_REAL);
	CU_ASSERT_DOUBLE_EQUAL(bld_op_get(&op, "setpoint")->v.d, 0.16875, 1e-7);
}

static void test_emit_closes_open_containers(void)
{
	struct bld_parse_ctx pc = ctx(0);
	struct bld_op *o = bld_op_begin(&pc, BLD_OP_REQUEST);
	bld_op_list(o, "a");
	bld_op_object(o, NULL);
	bld_op_uint(o, "x", 1);
	bld_op_emit(&pc);
	CU_ASSERT_STRING_EQUAL(line, "request a=[{x=1}]");
	CU_ASSERT_EQUAL(op.depth, 0);
}

static void test_field_cap(void)
{
	struct bld_parse_ctx pc = ctx(0);
	struct bld_op *o = bld_op_begin(&pc, BLD_OP_REQUEST);
	bld_op_list(o, "values");
	for (int i = 0; i < 2 * BLD_OP_MAX_FIELDS; i++)
		bld_op_uint(o, NULL, (uint64_t)i);
	bld_op_end(o);
	bld_op_uint(o, "after", 1); /* left out too: the record is full */
	bld_op_emit(&pc);
	CU_ASSERT_TRUE(op.overflow);
	CU_ASSERT_TRUE(op.n_fields <= BLD_OP_MAX_FIELDS);
	CU_ASSERT_EQUAL(op.f[op.n_fields - 1].type, BLD_OPF_END); /* still well nested */
	CU_ASSERT_EQUAL(ev_count[BLD_EVENT_APP_OP_CAPACITY], 1);
	CU_ASSERT_PTR_NULL(bld_op_get(&op, "after"));
}

static void test_text_cap_and_depth_cap(void)
{
	struct bld_parse_ctx pc = ctx(0);
	struct bld_op *o = bld_op_begin(&pc, BLD_OP_REQUEST);
	static char big[BLD_OP_MAX_TEXT + 1];
	memset(big, 'x', sizeof(big));
	bld_op_text(o, "big", big, sizeof(big));
	CU_ASSERT_TRUE(op.overflow);
	CU_ASSERT_PTR_NULL(bld_op_get(&op, "big"));
	o = bld_op_begin(&pc, BLD_OP_REQUEST);
	CU_ASSERT_FALSE(op.overflow); /* begin starts afresh */
	for (int i = 0; i < BLD_OP_MAX_DEPTH + 3; i++)
		bld_op_list(o, "l");
	bld_op_uint(o, NULL, 1);
	for (int i = 0; i < BLD_OP_MAX_DEPTH + 3; i++)
		bld_op_end(o);
	bld_op_end(o); /* one END too many: ignored */
	bld_op_emit(&pc);
	CU_ASSERT_TRUE(op.overflow);
	CU_ASSERT_EQUAL(op.depth, 0);
	unsigned opens = 0, ends = 0;
	for (unsigned i = 0; i < op.n_fields; i++) {
		opens += op.f[i].type == BLD_OPF_LIST;
		ends += op.f[i].type == BLD_OPF_END;
	}
	CU_ASSERT_EQUAL(opens, BLD_OP_MAX_DEPTH);
	CU_ASSERT_EQUAL(ends, BLD_OP_MAX_DEPTH);
}

static void test_txn_pairing(void)
{
	struct bld_txn_table t = { 0 };
	struct bld_parse_ctx pc = ctx(1000);
	CU_ASSERT_PTR_NULL(t.t); /* nothing allocated until a request waits */
	bld_txn_request(&pc, &t, 7, 0x33);
	CU_ASSERT_EQUAL(t.cap, 4);
	pc.ts_ns = 1500;
	bld_txn_request(&pc, &t, 8, 0x44);
	pc.ts_ns = 4000;
	bld_op_begin(&pc, BLD_OP_RESPONSE);
	uint64_t info = 0;
	CU_ASSERT_TRUE(bld_txn_response(&pc, &t, 8, &info));
	CU_ASSERT_EQUAL(info, 0x44);
	CU_ASSERT_TRUE(op.has_response_time);
	CU_ASSERT_EQUAL(op.response_time_ns, 2500);
	bld_op_begin(&pc, BLD_OP_RESPONSE);
	CU_ASSERT_FALSE(bld_txn_response(&pc, &t, 8, NULL)); /* answered already */
	CU_ASSERT_FALSE(op.has_response_time);
	CU_ASSERT_TRUE(bld_txn_response(&pc, &t, 7, NULL));
	CU_ASSERT_EQUAL(op.response_time_ns, 3000);
	CU_ASSERT_EQUAL(t.n, 0);
	/* time stepping back (merged captures) gives 0, never a huge number */
	pc.ts_ns = 100;
	bld_txn_request(&pc, &t, 9, 0);
	pc.ts_ns = 50;
	bld_op_begin(&pc, BLD_OP_RESPONSE);
	CU_ASSERT_TRUE(bld_txn_response(&pc, &t, 9, NULL));
	CU_ASSERT_EQUAL(op.response_time_ns, 0);
	CU_ASSERT_TRUE(t.cap <= BLD_TXN_MAX);
	bld_txn_fini(&t);
	CU_ASSERT_PTR_NULL(t.t);
}

static void test_txn_cap_and_retry(void)
{
	struct bld_txn_table t = { 0 };
	struct bld_parse_ctx pc = ctx(0);
	for (uint64_t k = 0; k < BLD_TXN_MAX; k++)
		bld_txn_request(&pc, &t, k, k);
	CU_ASSERT_EQUAL(ev_count[BLD_EVENT_APP_TXN_CAPACITY], 0);
	bld_txn_request(&pc, &t, 3, 99); /* a retry replaces, no capacity event */
	CU_ASSERT_EQUAL(t.n, BLD_TXN_MAX);
	CU_ASSERT_EQUAL(ev_count[BLD_EVENT_APP_TXN_CAPACITY], 0);
	bld_txn_request(&pc, &t, 1000, 0); /* one more: the oldest (0) is forgotten */
	CU_ASSERT_EQUAL(t.n, BLD_TXN_MAX);
	CU_ASSERT_EQUAL(ev_count[BLD_EVENT_APP_TXN_CAPACITY], 1);
	bld_op_begin(&pc, BLD_OP_RESPONSE);
	CU_ASSERT_FALSE(bld_txn_response(&pc, &t, 0, NULL));
	uint64_t info;
	CU_ASSERT_TRUE(bld_txn_response(&pc, &t, 3, &info));
	CU_ASSERT_EQUAL(info, 99);
	CU_ASSERT_TRUE(t.cap <= BLD_TXN_MAX);
	bld_txn_fini(&t);
	CU_ASSERT_PTR_NULL(t.t);
}

static void test_txn_timeout(void)
{
	struct bld_txn_table t = { 0 };
	struct bld_parse_ctx pc = ctx(1000);
	bld_txn_request(&pc, &t, 1, 0);
	pc.ts_ns = 1000 + BLD_TXN_TIMEOUT_NS;
	bld_txn_request(&pc, &t, 2, 0); /* exactly the timeout: 1 is still remembered */
	CU_ASSERT_EQUAL(t.n, 2);
	pc.ts_ns = 1001 + BLD_TXN_TIMEOUT_NS;
	bld_txn_request(&pc, &t, 3, 0); /* 1 is past it: forgotten quietly */
	CU_ASSERT_EQUAL(t.n, 2);
	CU_ASSERT_EQUAL(ev_count[BLD_EVENT_APP_TXN_CAPACITY], 0);
	bld_op_begin(&pc, BLD_OP_RESPONSE);
	CU_ASSERT_FALSE(bld_txn_response(&pc, &t, 1, NULL));
	CU_ASSERT_TRUE(bld_txn_response(&pc, &t, 2, NULL));
	/* A gateway polling a dead unit for hours, with the protocol's own timeout: the table never fills. */
	t.timeout_ns = 10000000000ull;
	for (uint64_t i = 0; i < 10000; i++) {
		pc.ts_ns += 1000000000ull;
		bld_txn_request(&pc, &t, 100 + i, 0);
	}
	CU_ASSERT_EQUAL(ev_count[BLD_EVENT_APP_TXN_CAPACITY], 0);
	CU_ASSERT_TRUE(t.n <= BLD_TXN_MAX);
	CU_ASSERT_TRUE(t.cap <= BLD_TXN_MAX);
	bld_txn_fini(&t);
	CU_ASSERT_PTR_NULL(t.t);
}

static void test_event_table(void)
{
	for (int i = 0; i < BLD_EVENT_MAX; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(bld_event_names[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(bld_event_docs[i]);
		CU_ASSERT_TRUE(strchr(bld_event_names[i], '.') != NULL); /* "proto.what" */
		CU_ASSERT_EQUAL((int)bld_event_find(bld_event_names[i]), i);  /* so names are unique */
		for (const char *p = bld_event_names[i]; *p; p++)
			CU_ASSERT_TRUE((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
				       *p == '-');
	}
	CU_ASSERT_EQUAL(bld_event_find("no.such_event"), BLD_EVENT_MAX);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "fields and nesting", test_fields_and_nesting },
		{ "real numbers", test_reals },
		{ "emit closes open containers", test_emit_closes_open_containers },
		{ "field cap: overflow, event, well nested", test_field_cap },
		{ "text cap and depth cap", test_text_cap_and_depth_cap },
		{ "request/response pairing and response time", test_txn_pairing },
		{ "outstanding request cap and retries", test_txn_cap_and_retry },
		{ "unanswered requests expire in packet time", test_txn_timeout },
		{ "event names: unique, well formed, documented", test_event_table },
	};
	return bld_test_run("op", tests, BLD_TEST_COUNT(tests));
}
