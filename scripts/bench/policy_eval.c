/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy evaluator's cost, per flow judged and per operation judged, for
 * policies of 10, 1,000 and 10,000 rules (scripts/bench-policy builds and
 * runs this; docs/performance.md records the figures).  Operations are real:
 * Modbus requests parsed by the Modbus dissector.  Figures are printed,
 * never asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "op.h"
#include "policy.h"
#include "registry.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct bld_op ops[3];
static int n_ops;

static void keep_op(void *ctx, const struct bld_op *op)
{
	(void)ctx;
	if (n_ops < 3)
		ops[n_ops++] = *op;
}

static void no_event(void *ctx, enum bld_event ev, uint64_t ts, bool to_server)
{
	(void)ctx, (void)ev, (void)ts, (void)to_server;
}

/* Three requests: a read the policy allows, a write it allows, a write it does not. */
static void make_ops(void)
{
	static const uint8_t adus[3][12] = {
		{ 0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10 },     /* read holding registers 0..9 */
		{ 0, 2, 0, 0, 0, 6, 1, 6, 0, 42, 0, 100 },   /* write register 42 := 100 */
		{ 0, 3, 0, 0, 0, 6, 1, 6, 1, 244, 0, 7 },    /* write register 500 := 7: not allowed */
	};
	const struct bld_dissector *d = bld_dissectors[bld_registry_find("modbus")];
	static struct bld_op scratch;
	struct bld_sink sink = { .op = keep_op, .event = no_event };
	void *state = calloc(1, d->state_size);
	for (int i = 0; i < 3; i++) {
		struct bld_parse_ctx pc = { .dsc = d, .state = state, .ts_ns = 1, .to_server = true, .op = &scratch,
					    .sink = &sink };
		d->parse(&pc, adus[i], sizeof(adus[i]));
	}
	if (d->state_fini)
		d->state_fini(state);
	free(state);
}

static void ip4(uint8_t *b, unsigned i)
{
	b[0] = 10;
	b[1] = 100;
	b[2] = (uint8_t)(i / 250);
	b[3] = (uint8_t)(i % 250 + 1);
}

/* A policy of n rules: n - 1 between generated host pairs, each with four operations, and the one measured. */
static char *make_policy(unsigned n)
{
	size_t cap = 4096 + (size_t)n * 600, len = 0;
	char *s = malloc(cap);
	len += (size_t)snprintf(s + len, cap - len, "bollard: policy/1\nhosts:\n  scada: 10.10.0.10\n  plc: 10.10.1.12\n");
	for (unsigned i = 0; i < n; i++) {
		uint8_t b[4];
		ip4(b, i);
		len += (size_t)snprintf(s + len, cap - len, "  h%u: %u.%u.%u.%u\n", i, b[0], b[1], b[2], b[3]);
	}
	len += (size_t)snprintf(s + len, cap - len, "defaults:\n  aggregate: 60s\nrules:\n");
	static const char ops_yaml[] = "    operations:\n"
				       "      - {function: read_holding_registers, unit: 1, address: 0-99}\n"
				       "      - {function: read_input_registers, unit: 1, address: 0-99}\n"
				       "      - {function: write_single_register, unit: 1, address: 40-49, value: 0-2400}\n"
				       "      - {function: write_multiple_registers, unit: 1, address: 100-110, value: 0-2400}\n";
	for (unsigned i = 0; i + 1 < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "  - id: r%u\n    from: h%u\n    to: h%u\n    protocol: modbus\n%s",
					i, i, i + 1, ops_yaml);
	len += (size_t)snprintf(s + len, cap - len, "  - id: poll\n    from: scada\n    to: plc\n    protocol: modbus\n%s",
				ops_yaml);
	return s;
}

static uint64_t alerts;

static void on_alert(void *ctx, const struct bld_alert *a)
{
	(void)ctx, (void)a;
	alerts++;
}

int main(int argc, char **argv)
{
	unsigned flows = argc > 1 ? (unsigned)atoi(argv[1]) : 200000, n_judge = argc > 2 ? (unsigned)atoi(argv[2]) : 3000000;
	make_ops();
	if (n_ops != 3) {
		fprintf(stderr, "bench: the Modbus dissector gave %d ops, not 3\n", n_ops);
		return 2;
	}
	printf("%8s %12s %14s %14s %14s\n", "rules", "compile ms", "ns per flow", "ns per op", "alert lines");
	static const unsigned sizes[] = { 10, 1000, 10000 };
	for (unsigned k = 0; k < 3; k++) {
		unsigned n = sizes[k];
		char *yaml = make_policy(n);
		static struct bld_policy_diag diag;
		double t0 = now();
		struct bld_policy *p = bld_policy_parse("bench.yaml", yaml, strlen(yaml), &diag);
		double t1 = now();
		if (!p) {
			fprintf(stderr, "%s", diag.text);
			return 2;
		}
		alerts = 0;
		struct bld_policy_eval *ev = bld_policy_eval_create(p, on_alert, NULL);
		/* flows: each a fresh verdict, between the pairs rules name (and the measured one) */
		struct bld_policy_flow f = { .family = 4, .has_ports = true, .l4 = 6, .server_port = 502, .app = "modbus" };
		double t2 = now();
		for (unsigned i = 0; i < flows; i++) {
			struct bld_policy_flow_state st = { 0 };
			unsigned h = i % n;
			ip4(f.client_ip, h);
			ip4(f.server_ip, h + 1 < n ? h + 1 : 0);
			f.client_port = (uint16_t)(1024 + i % 60000);
			f.flow_id = i;
			bld_policy_eval_flow(ev, &f, &st, 1000000000ull);
		}
		double t3 = now();
		/* operations on the measured flow: allowed read, allowed write, refused write */
		static const uint8_t scada[4] = { 10, 10, 0, 10 }, plc[4] = { 10, 10, 1, 12 };
		memcpy(f.client_ip, scada, 4);
		memcpy(f.server_ip, plc, 4);
		struct bld_policy_flow_state st = { 0 };
		bld_policy_eval_flow(ev, &f, &st, 1000000000ull);
		double t4 = now();
		for (unsigned i = 0; i < n_judge; i++) {
			struct bld_op *op = &ops[i % 3];
			op->ts_ns = 1000000000ull + (uint64_t)i * 1000;   /* 1 ms apart: aggregation intervals pass */
			bld_policy_eval_op(ev, &f, &st, op);
			if ((i & 1023) == 0)
				bld_policy_eval_tick(ev, op->ts_ns);
		}
		double t5 = now();
		bld_policy_eval_finish(ev, 1000000000ull + (uint64_t)n_judge * 1000);
		printf("%8u %12.1f %14.1f %14.1f %14llu\n", n, (t1 - t0) * 1e3, (t3 - t2) * 1e9 / flows,
		       (t5 - t4) * 1e9 / n_judge, (unsigned long long)alerts);
		bld_policy_eval_destroy(ev);
		bld_policy_free(p);
		free(yaml);
	}
	return 0;
}
