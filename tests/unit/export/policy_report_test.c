/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the report of `bollard test` (export/policy_report.c): the
 * alert groups by (rule, event), dead rules, the diff against a baseline
 * (identity = event, src, dst, server port, proto, detail; never the rule),
 * the communication map, the caps (what does not fit is counted, memory
 * stays bounded), and the three writers: JSON (parsed back with jansson,
 * documented keys, docs/policy-testing.md "The JSON report"), HTML (one
 * page with an SVG map, every byte from traffic escaped, byte-identical
 * when written twice) and the text summary (its verdict line).
 *
 * Alerts and flows are built by hand as the engine would pass them
 * (policies/policy.h); the policy for names and dead rules is parsed from
 * a YAML string.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <stdbool.h>

#include "bld_test.h"
#include "events.h"
#include "policy.h"
#include "policy_report.h"

/* Heap bytes in use, to show that pushing past a cap allocates nothing. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BLD_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BLD_TEST_ASAN 1
#endif
#ifdef BLD_TEST_ASAN
/* sanitizer/allocator_interface.h; GCC does not ship the header, both runtimes have the function */
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_in_use(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#else
static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}
#endif

#define NS 1000000000ull
#define T0 1715666400000000000ull /* 2024-05-14T06:00:00.000000Z */

/* ---- a policy ---- */

#define POLICY                                                                                                   \
	"bollard: policy/1\n"                                                                                    \
	"site: harbour\n"                                                                                        \
	"hosts:\n"                                                                                               \
	"  scada: 10.0.0.10\n"                                                                                   \
	"  plc: 10.0.1.20\n"                                                                                     \
	"rules:\n"                                                                                               \
	"  - {id: poll, from: scada, to: plc, protocol: modbus}\n"                                               \
	"  - {id: dns, from: any, to: any, protocol: dns}\n"                                                     \
	"  - {id: stale, from: plc, to: scada, protocol: s7comm}\n"

static struct bld_policy *load_policy(void)
{
	static struct bld_policy_diag diag;
	memset(&diag, 0, sizeof(diag));
	size_t len = strlen(POLICY);
	uint8_t *copy = bld_test_dup((const uint8_t *)POLICY, (uint32_t)len);
	struct bld_policy *p = bld_policy_parse("new.yaml", copy, len, &diag);
	free(copy);
	if (!p)
		fprintf(stderr, "\n    the test policy does not load:\n%s", diag.text);
	return p;
}

/* ---- flows and alerts, as the engine passes them ---- */

static struct bld_policy_flow flow4(const char *cip, uint16_t cport, const char *sip, uint16_t sport, uint8_t l4,
				    const char *app)
{
	struct bld_policy_flow f = { .family = 4, .client_port = cport, .server_port = sport, .has_ports = true,
				     .l4 = l4, .app = app };
	if (inet_pton(AF_INET, cip, f.client_ip) != 1 || inet_pton(AF_INET, sip, f.server_ip) != 1)
		abort(); /* a bug in the test */
	return f;
}

static struct bld_policy_flow flow_l2(const uint8_t cmac[6], const uint8_t smac[6], const char *app)
{
	struct bld_policy_flow f = { .family = 0, .app = app };
	memcpy(f.client_mac, cmac, 6);
	memcpy(f.server_mac, smac, 6);
	return f;
}

/* An alert raised by the client's side (requests, flow-level alerts). */
static struct bld_alert alert(enum bld_alert_kind kind, const char *rule, enum bld_severity sev,
			      const struct bld_policy_flow *f, const char *reason, const char *detail, uint64_t first,
			      uint64_t last, uint64_t count)
{
	return (struct bld_alert){ .kind = kind, .severity = sev, .rule = rule, .reason = reason, .flow = f,
				   .to_server = true, .detail = detail, .first_ns = first, .last_ns = last,
				   .count = count };
}

/* ---- rendering ---- */

typedef int (*writer_fn)(struct bld_policy_report *r, FILE *out);

/* The writer's output, NUL-terminated (free() it); *len its size. */
static char *render(struct bld_policy_report *r, writer_fn w, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	if (!m)
		abort();
	int rc = w(r, m);
	fclose(m);
	CU_ASSERT_EQUAL(rc, 0);
	if (len)
		*len = n;
	return buf;
}

/* The JSON report parsed back (json_decref() it); NULL (and a failure) when it is not JSON. */
static json_t *as_json(struct bld_policy_report *r)
{
	char *s = render(r, bld_policy_report_write_json, NULL);
	json_error_t err;
	json_t *j = json_loads(s, 0, &err);
	if (!j)
		fprintf(stderr, "\n    not JSON (%s, line %d): %.400s", err.text, err.line, s);
	CU_ASSERT_PTR_NOT_NULL(j);
	free(s);
	return j;
}

/* A value by path: "alerts.groups.0.rule" (numbers index arrays). */
static json_t *at(json_t *j, const char *path)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = json_is_array(j) ? json_array_get(j, strtoul(tok, NULL, 10)) : json_object_get(j, tok);
	return j;
}

static void show(int line, const char *path, const char *want, json_t *got)
{
	char *d = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
	fprintf(stderr, "\n    policy_report_test.c:%d: %s: want %s, got %s", line, path, want, d ? d : "(absent)");
	free(d);
}

#define EXPECT_INT(j, path, want) expect_int(__LINE__, j, path, want)
static void expect_int(int line, json_t *j, const char *path, long long want)
{
	json_t *v = at(j, path);
	bool ok = json_is_integer(v) && json_integer_value(v) == want;
	if (!ok) {
		char w[32];
		snprintf(w, sizeof(w), "%lld", want);
		show(line, path, w, v);
	}
	CU_ASSERT_TRUE(ok);
}

/* want NULL: JSON null. */
#define EXPECT_STR(j, path, want) expect_str(__LINE__, j, path, want)
static void expect_str(int line, json_t *j, const char *path, const char *want)
{
	json_t *v = at(j, path);
	bool ok = want ? json_is_string(v) && strcmp(json_string_value(v), want) == 0 : json_is_null(v);
	if (!ok)
		show(line, path, want ? want : "null", v);
	CU_ASSERT_TRUE(ok);
}

#define EXPECT_BOOL(j, path, want) expect_bool(__LINE__, j, path, want)
static void expect_bool(int line, json_t *j, const char *path, bool want)
{
	json_t *v = at(j, path);
	bool ok = json_is_boolean(v) && json_is_true(v) == want;
	if (!ok)
		show(line, path, want ? "true" : "false", v);
	CU_ASSERT_TRUE(ok);
}

#define EXPECT_SIZE(j, path, want) expect_size(__LINE__, j, path, want)
static void expect_size(int line, json_t *j, const char *path, size_t want)
{
	json_t *v = at(j, path);
	bool ok = (json_is_array(v) && json_array_size(v) == want) || (json_is_object(v) && json_object_size(v) == want);
	if (!ok) {
		char w[48];
		snprintf(w, sizeof(w), "%zu elements", want);
		show(line, path, w, v);
	}
	CU_ASSERT_TRUE(ok);
}

#define EXPECT_HAS(text, needle) expect_has(__LINE__, text, needle, true)
#define EXPECT_LACKS(text, needle) expect_has(__LINE__, text, needle, false)
static void expect_has(int line, const char *text, const char *needle, bool want)
{
	bool got = text && strstr(text, needle) != NULL;
	if (got != want) {
		size_t n = text ? strlen(text) : 0;
		fprintf(stderr, "\n    policy_report_test.c:%d: want %s\"%s\" in ", line, want ? "" : "no ", needle);
		if (n <= 3000)
			fprintf(stderr, "\n%s", text ? text : "(null)");
		else
			fprintf(stderr, "%zu bytes of output", n);
	}
	CU_ASSERT_EQUAL(got, want);
}

/* A member's string, or "" when it is absent or not a string (a wrong report fails, never crashes). */
static const char *str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : "";
}

/* The group (rule, event) of alerts.groups; rule NULL: the "(no rule)" group. */
static json_t *find_group(json_t *j, const char *rule, const char *event)
{
	json_t *groups = at(j, "alerts.groups"), *g;
	size_t i;
	json_array_foreach(groups, i, g)
	{
		json_t *gr = json_object_get(g, "rule");
		bool same_rule = rule ? json_is_string(gr) && strcmp(json_string_value(gr), rule) == 0 : json_is_null(gr);
		if (same_rule && strcmp(str_of(g, "event"), event) == 0)
			return g;
	}
	return NULL;
}

/* The entry of diff.<list>.alerts with this event and detail. */
static json_t *find_ident(json_t *j, const char *list, const char *event, const char *detail)
{
	char path[64];
	snprintf(path, sizeof(path), "diff.%s.alerts", list);
	json_t *arr = at(j, path), *d;
	size_t i;
	json_array_foreach(arr, i, d)
	{
		if (strcmp(str_of(d, "event"), event) == 0 &&
		    strcmp(str_of(d, "detail"), detail) == 0)
			return d;
	}
	return NULL;
}

/* The edge of map.edges client -> server:port/l4 with this app; port -1: no port (null). */
static json_t *find_edge(json_t *j, const char *client, const char *server, long long port, const char *l4,
			 const char *app)
{
	json_t *arr = at(j, "map.edges"), *e;
	size_t i;
	json_array_foreach(arr, i, e)
	{
		json_t *p = json_object_get(e, "port");
		if (strcmp(str_of(e, "client"), client) == 0 && strcmp(str_of(e, "server"), server) == 0 &&
		    (port < 0 ? json_is_null(p) : json_is_integer(p) && json_integer_value(p) == port) &&
		    strcmp(str_of(e, "l4"), l4) == 0 && strcmp(str_of(e, "app"), app) == 0)
			return e;
	}
	return NULL;
}

static json_t *find_node(json_t *j, const char *id)
{
	json_t *arr = at(j, "map.nodes"), *n;
	size_t i;
	json_array_foreach(arr, i, n)
	{
		if (strcmp(str_of(n, "id"), id) == 0)
			return n;
	}
	return NULL;
}

/* ---- alert groups ---- */

static void test_grouping(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct bld_policy_flow f = flow4("10.0.0.10", 50000, "10.0.1.20", 502, 6, "modbus");
	struct bld_policy_flow g = flow4("10.0.0.11", 50001, "10.0.1.21", 502, 6, "modbus");
	struct bld_alert a;
	/* three lines of (poll, op.not_allowed): severity low, high, medium; times out of order */
	a = alert(BLD_ALERT_OP_NOT_ALLOWED, "poll", BLD_SEV_LOW, &f, "first reason", "function=6", T0 + 10 * NS,
		  T0 + 20 * NS, 2);
	bld_policy_report_alert(r, &a, false);
	a = alert(BLD_ALERT_OP_NOT_ALLOWED, "poll", BLD_SEV_HIGH, &g, "second reason", "function=16", T0 + 5 * NS,
		  T0 + 15 * NS, 3);
	bld_policy_report_alert(r, &a, false);
	a = alert(BLD_ALERT_OP_NOT_ALLOWED, "poll", BLD_SEV_MEDIUM, &f, "third reason", "function=5", T0 + 30 * NS,
		  T0 + 40 * NS, 4);
	bld_policy_report_alert(r, &a, false);
	/* same rule, other event: its own group */
	a = alert(BLD_ALERT_VALUE_OUT_OF_RANGE, "poll", BLD_SEV_CRITICAL, &f, "value", "value=9999", T0, T0, 1);
	bld_policy_report_alert(r, &a, false);
	/* same event, other rule: its own group */
	a = alert(BLD_ALERT_OP_NOT_ALLOWED, "poll2", BLD_SEV_INFO, &f, "other", "function=1", T0 + NS, T0 + NS, 7);
	bld_policy_report_alert(r, &a, false);
	/* a rule id that is a prefix of another is another rule */
	a = alert(BLD_ALERT_OP_NOT_ALLOWED, "pol", BLD_SEV_INFO, &f, "other", "function=1", T0 + NS, T0 + NS, 1);
	bld_policy_report_alert(r, &a, false);

	struct bld_policy_report_summary s;
	bld_policy_report_summary(r, &s);
	CU_ASSERT_EQUAL(s.alert_lines, 6);
	CU_ASSERT_EQUAL(s.alert_occurrences, 2 + 3 + 4 + 1 + 7 + 1);
	CU_ASSERT_EQUAL(s.baseline_lines, 0);

	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_SIZE(j, "alerts.groups", 4);
	EXPECT_INT(j, "alerts.lines", 6);
	EXPECT_INT(j, "alerts.occurrences", 18);
	EXPECT_INT(j, "alerts.ungrouped_lines", 0);
	json_t *pg = find_group(j, "poll", "op.not_allowed");
	CU_ASSERT_PTR_NOT_NULL(pg);
	EXPECT_INT(pg, "lines", 3);
	EXPECT_INT(pg, "occurrences", 9);
	EXPECT_STR(pg, "severity", "high");
	EXPECT_STR(pg, "first_seen", "2024-05-14T06:00:05.000000Z");
	EXPECT_STR(pg, "last_seen", "2024-05-14T06:00:40.000000Z");
	/* the example is the first line */
	EXPECT_STR(pg, "example.reason", "first reason");
	EXPECT_STR(pg, "example.detail", "function=6");
	EXPECT_STR(pg, "example.src_ip", "10.0.0.10");
	EXPECT_INT(pg, "example.src_port", 50000);
	EXPECT_STR(pg, "example.dst_ip", "10.0.1.20");
	EXPECT_INT(pg, "example.dst_port", 502);
	EXPECT_STR(pg, "example.proto", "modbus");
	json_t *vg = find_group(j, "poll", "value.out_of_range");
	CU_ASSERT_PTR_NOT_NULL(vg);
	EXPECT_INT(vg, "lines", 1);
	EXPECT_STR(vg, "severity", "critical");
	json_t *p2 = find_group(j, "poll2", "op.not_allowed");
	CU_ASSERT_PTR_NOT_NULL(p2);
	EXPECT_INT(p2, "lines", 1);
	EXPECT_INT(p2, "occurrences", 7);
	EXPECT_STR(p2, "severity", "info");
	CU_ASSERT_PTR_NOT_NULL(find_group(j, "pol", "op.not_allowed"));
	/* most severe first, then most frequent */
	EXPECT_STR(j, "alerts.groups.0.event", "value.out_of_range");
	EXPECT_STR(j, "alerts.groups.1.rule", "poll");
	EXPECT_STR(j, "alerts.groups.2.rule", "poll2");
	EXPECT_STR(j, "alerts.groups.3.rule", "pol");
	/* by kind: every line counted once */
	json_t *bk = json_object_get(at(j, "alerts.by_kind"), "op.not_allowed");
	EXPECT_INT(bk, "lines", 5);
	EXPECT_INT(bk, "occurrences", 17);
	EXPECT_STR(bk, "severity", "high");
	json_decref(j);
	bld_policy_report_destroy(r);
}

/* Totals by kind (their keys contain dots: read without the path helper); a response's sender. */
static void test_by_kind(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct bld_policy_flow f = flow4("10.0.0.10", 50000, "10.0.1.20", 502, 6, "modbus");
	struct bld_alert a = alert(BLD_ALERT_OP_NOT_ALLOWED, "poll", BLD_SEV_LOW, &f, "r", "", T0, T0, 2);
	bld_policy_report_alert(r, &a, false);
	a = alert(BLD_ALERT_OP_NOT_ALLOWED, "other", BLD_SEV_HIGH, &f, "r", "", T0, T0, 3);
	bld_policy_report_alert(r, &a, false);
	a = alert(BLD_ALERT_PROTOCOL, NULL, BLD_SEV_MEDIUM, &f, "exception", "", T0, T0, 1);
	a.protocol_event = BLD_EVENT_MODBUS_EXCEPTION;
	a.to_server = false;
	bld_policy_report_alert(r, &a, false);
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	json_t *bk = at(j, "alerts.by_kind");
	CU_ASSERT_EQUAL(json_object_size(bk), 2);
	json_t *op = json_object_get(bk, "op.not_allowed"), *ex = json_object_get(bk, "modbus.exception");
	CU_ASSERT_PTR_NOT_NULL(op);
	CU_ASSERT_PTR_NOT_NULL(ex);
	EXPECT_INT(op, "lines", 2);
	EXPECT_INT(op, "occurrences", 5);
	EXPECT_STR(op, "severity", "high");
	EXPECT_INT(ex, "lines", 1);
	EXPECT_STR(ex, "severity", "medium");
	/* a response-side protocol event: the sender (src) is the server */
	json_t *g = find_group(j, NULL, "modbus.exception");
	CU_ASSERT_PTR_NOT_NULL(g);
	EXPECT_STR(g, "example.src_ip", "10.0.1.20");
	EXPECT_INT(g, "example.src_port", 502);
	EXPECT_STR(g, "example.dst_ip", "10.0.0.10");
	EXPECT_INT(g, "example.dst_port", 50000);
	json_decref(j);
	bld_policy_report_destroy(r);
}

static void test_no_rule_groups(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	bld_policy_report_policy(r, "new.yaml", NULL);
	struct bld_policy_flow f = flow4("10.0.0.30", 40000, "10.0.0.20", 80, 6, "http");
	struct bld_policy_flow g = flow4("10.0.0.31", 40001, "10.0.0.21", 80, 6, "http");
	struct bld_alert a = alert(BLD_ALERT_FLOW_NOT_ALLOWED, NULL, BLD_SEV_HIGH, &f, "no rule allows it", "", T0,
				   T0 + NS, 1);
	bld_policy_report_alert(r, &a, false);
	a = alert(BLD_ALERT_FLOW_NOT_ALLOWED, NULL, BLD_SEV_HIGH, &g, "no rule allows that", NULL, T0 + 2 * NS,
		  T0 + 3 * NS, 2);
	bld_policy_report_alert(r, &a, false);
	/* another event without a rule: another group */
	a = alert(BLD_ALERT_ASSET_NEW, NULL, BLD_SEV_MEDIUM, &f, "10.0.0.30 is new", "", T0, T0, 1);
	bld_policy_report_alert(r, &a, false);
	/* a rule whose id is the empty string is not "no rule" */
	a = alert(BLD_ALERT_FLOW_NOT_ALLOWED, "", BLD_SEV_HIGH, &f, "empty id", "", T0, T0, 1);
	bld_policy_report_alert(r, &a, false);

	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_SIZE(j, "alerts.groups", 3);
	json_t *ng = find_group(j, NULL, "flow.not_allowed");
	CU_ASSERT_PTR_NOT_NULL(ng);
	EXPECT_INT(ng, "lines", 2);
	EXPECT_INT(ng, "occurrences", 3);
	EXPECT_STR(ng, "rule", NULL);
	CU_ASSERT_PTR_NOT_NULL(find_group(j, NULL, "asset.new"));
	CU_ASSERT_PTR_NOT_NULL(find_group(j, "", "flow.not_allowed"));
	json_decref(j);

	char *text = render(r, bld_policy_report_print_text, NULL);
	EXPECT_HAS(text, "(no rule): 2 lines, 3 occurrences, e.g. no rule allows it\n");
	EXPECT_HAS(text, "  by rule (3 groups, most severe first):\n");
	free(text);
	char *html = render(r, bld_policy_report_write_html, NULL);
	EXPECT_HAS(html, "(no rule)");
	free(html);
	bld_policy_report_destroy(r);
}

/* ---- dead rules ---- */

static void test_dead_rules(void)
{
	struct bld_policy *p = load_policy();
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	bld_policy_report_policy(r, "new.yaml", p);

	/* before _rules: not computed */
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_TRUE(json_is_null(at(j, "dead_rules")));
	json_decref(j);

	const uint64_t hits[3] = { 5, 0, 0 };
	bld_policy_report_rules(r, p, hits);
	struct bld_policy_report_summary s;
	bld_policy_report_summary(r, &s);
	CU_ASSERT_EQUAL(s.rules, 3);
	CU_ASSERT_EQUAL(s.dead_rules, 2);
	j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_INT(j, "dead_rules.rules", 3);
	EXPECT_INT(j, "dead_rules.count", 2);
	EXPECT_SIZE(j, "dead_rules.ids", 2);
	EXPECT_STR(j, "dead_rules.ids.0", "dns");
	EXPECT_STR(j, "dead_rules.ids.1", "stale");
	json_decref(j);
	char *text = render(r, bld_policy_report_print_text, NULL);
	EXPECT_HAS(text, "\nDead rules  2 of 3 rules never matched: dns, stale\n");
	EXPECT_LACKS(text, "poll\n");
	free(text);
	char *html = render(r, bld_policy_report_write_html, NULL);
	EXPECT_HAS(html, "<tr><td><code>dns</code></td></tr>");
	EXPECT_HAS(html, "<tr><td><code>stale</code></td></tr>");
	EXPECT_LACKS(html, "<code>poll</code>");
	free(html);

	/* every rule hit: none dead (a second call replaces the first) */
	const uint64_t all[3] = { 1, 2, 3 };
	bld_policy_report_rules(r, p, all);
	bld_policy_report_summary(r, &s);
	CU_ASSERT_EQUAL(s.dead_rules, 0);
	text = render(r, bld_policy_report_print_text, NULL);
	EXPECT_HAS(text, "\nDead rules  none (all 3 rules allowed something)\n");
	free(text);

	/* no hit counts at all: every rule is dead */
	bld_policy_report_rules(r, p, NULL);
	j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_INT(j, "dead_rules.count", 3);
	EXPECT_STR(j, "dead_rules.ids.0", "poll");
	json_decref(j);
	bld_policy_report_destroy(r);
	bld_policy_free(p);
}

/* ---- the diff against a baseline ---- */

static void test_diff(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	bld_policy_report_policy(r, "new.yaml", NULL);
	bld_policy_report_baseline(r, "old.yaml");
	struct bld_policy_flow web = flow4("10.0.0.30", 40000, "10.0.0.20", 80, 6, "http");
	struct bld_policy_flow mb = flow4("10.0.0.10", 50000, "10.0.1.20", 502, 6, "modbus");
	struct bld_policy_flow mb_cport = flow4("10.0.0.10", 50001, "10.0.1.20", 502, 6, "modbus");
	struct bld_policy_flow mb503 = flow4("10.0.0.10", 50000, "10.0.1.20", 503, 6, "modbus");
	struct bld_alert a;

	/* 1: NEW only -> added */
	a = alert(BLD_ALERT_FLOW_NOT_ALLOWED, NULL, BLD_SEV_HIGH, &web, "no rule allows web", "", T0, T0 + NS, 3);
	bld_policy_report_alert(r, &a, false);
	/* 2: both, under other rule ids, severities and counts, another client port -> neither */
	a = alert(BLD_ALERT_OP_NOT_ALLOWED, "new-poll", BLD_SEV_HIGH, &mb, "new says", "function=6 value=0", T0, T0, 2);
	bld_policy_report_alert(r, &a, false);
	a = alert(BLD_ALERT_OP_NOT_ALLOWED, "old-any", BLD_SEV_MEDIUM, &mb_cport, "old says", "function=6 value=0", T0,
		  T0, 5);
	bld_policy_report_alert(r, &a, true);
	/* 3: detail differs -> one added, one silenced */
	a = alert(BLD_ALERT_OP_NOT_ALLOWED, "new-poll", BLD_SEV_HIGH, &mb, "r", "function=16 address=101", T0, T0, 1);
	bld_policy_report_alert(r, &a, false);
	a = alert(BLD_ALERT_OP_NOT_ALLOWED, "new-poll", BLD_SEV_HIGH, &mb, "r", "function=16 address=102", T0, T0, 1);
	bld_policy_report_alert(r, &a, true);
	/* 4: server port differs -> one added, one silenced */
	a = alert(BLD_ALERT_FLOW_NOT_ALLOWED, NULL, BLD_SEV_HIGH, &mb503, "r", "", T0, T0, 1);
	bld_policy_report_alert(r, &a, false);
	a = alert(BLD_ALERT_FLOW_NOT_ALLOWED, NULL, BLD_SEV_HIGH, &mb, "r", "", T0, T0, 1);
	bld_policy_report_alert(r, &a, true);
	/* 5: a response's protocol event, NEW only -> added, the server is the sender */
	a = alert(BLD_ALERT_PROTOCOL, "new-poll", BLD_SEV_CRITICAL, &mb, "exception", "function=6 code=2", T0 + 4 * NS,
		  T0 + 9 * NS, 4);
	a.protocol_event = BLD_EVENT_MODBUS_EXCEPTION;
	a.to_server = false;
	bld_policy_report_alert(r, &a, false);
	/* 6: OLD only -> silenced */
	a = alert(BLD_ALERT_TIMING_SILENCE, "old-cycle", BLD_SEV_MEDIUM, &mb, "silent", "", T0, T0, 6);
	bld_policy_report_alert(r, &a, true);

	struct bld_policy_report_summary s;
	bld_policy_report_summary(r, &s);
	CU_ASSERT_EQUAL(s.alert_lines, 5);
	CU_ASSERT_EQUAL(s.baseline_lines, 4);
	CU_ASSERT_EQUAL(s.baseline_occurrences, 5 + 1 + 1 + 6);
	CU_ASSERT_EQUAL(s.added, 4);
	CU_ASSERT_EQUAL(s.silenced, 3);
	CU_ASSERT_TRUE(s.diff_complete);

	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_STR(j, "baseline.path", "old.yaml");
	EXPECT_INT(j, "diff.baseline_lines", 4);
	EXPECT_INT(j, "diff.baseline_occurrences", 13);
	EXPECT_BOOL(j, "diff.complete", true);
	EXPECT_INT(j, "diff.untracked_lines.new", 0);
	EXPECT_INT(j, "diff.untracked_lines.baseline", 0);
	EXPECT_INT(j, "diff.added.total", 4);
	EXPECT_INT(j, "diff.added.listed", 4);
	EXPECT_INT(j, "diff.added.occurrences", 3 + 1 + 1 + 4);
	EXPECT_SIZE(j, "diff.added.alerts", 4);
	EXPECT_INT(j, "diff.silenced.total", 3);
	EXPECT_INT(j, "diff.silenced.occurrences", 1 + 1 + 6);
	EXPECT_SIZE(j, "diff.silenced.alerts", 3);
	/* in both: in neither list */
	CU_ASSERT_PTR_NULL(find_ident(j, "added", "op.not_allowed", "function=6 value=0"));
	CU_ASSERT_PTR_NULL(find_ident(j, "silenced", "op.not_allowed", "function=6 value=0"));

	json_t *d;
	/* the added flow.not_allowed entries: web (port 80) and mb503 (port 503) */
	json_t *arr = at(j, "diff.added.alerts"), *e;
	size_t i;
	bool seen80 = false, seen503 = false;
	json_array_foreach(arr, i, e)
	{
		if (strcmp(str_of(e, "event"), "flow.not_allowed") != 0)
			continue;
		long long port = json_integer_value(json_object_get(e, "server_port"));
		if (port == 80) {
			seen80 = true;
			EXPECT_STR(e, "src", "10.0.0.30");
			EXPECT_STR(e, "dst", "10.0.0.20");
			EXPECT_STR(e, "sender", "client");
			EXPECT_STR(e, "proto", "http");
			EXPECT_STR(e, "detail", "");
			EXPECT_STR(e, "rule", NULL);
			EXPECT_STR(e, "severity", "high");
			EXPECT_INT(e, "lines", 1);
			EXPECT_INT(e, "occurrences", 3);
			EXPECT_STR(e, "first_seen", "2024-05-14T06:00:00.000000Z");
			EXPECT_STR(e, "last_seen", "2024-05-14T06:00:01.000000Z");
			EXPECT_STR(e, "reason", "no rule allows web");
		} else if (port == 503) {
			seen503 = true;
		}
	}
	CU_ASSERT_TRUE(seen80);
	CU_ASSERT_TRUE(seen503);
	d = find_ident(j, "silenced", "flow.not_allowed", "");
	CU_ASSERT_PTR_NOT_NULL(d);
	EXPECT_INT(d, "server_port", 502);

	CU_ASSERT_PTR_NOT_NULL(find_ident(j, "added", "op.not_allowed", "function=16 address=101"));
	CU_ASSERT_PTR_NULL(find_ident(j, "silenced", "op.not_allowed", "function=16 address=101"));
	CU_ASSERT_PTR_NOT_NULL(find_ident(j, "silenced", "op.not_allowed", "function=16 address=102"));
	CU_ASSERT_PTR_NULL(find_ident(j, "added", "op.not_allowed", "function=16 address=102"));

	d = find_ident(j, "added", "modbus.exception", "function=6 code=2");
	CU_ASSERT_PTR_NOT_NULL(d);
	EXPECT_STR(d, "src", "10.0.1.20");
	EXPECT_STR(d, "dst", "10.0.0.10");
	EXPECT_INT(d, "server_port", 502);
	EXPECT_STR(d, "sender", "server");
	EXPECT_STR(d, "rule", "new-poll");
	EXPECT_STR(d, "severity", "critical");
	/* the most severe first */
	EXPECT_STR(j, "diff.added.alerts.0.event", "modbus.exception");

	d = find_ident(j, "silenced", "timing.silence", "");
	CU_ASSERT_PTR_NOT_NULL(d);
	EXPECT_STR(d, "rule", "old-cycle");
	EXPECT_INT(d, "occurrences", 6);
	EXPECT_STR(d, "severity", "medium");
	json_decref(j);

	char *text = render(r, bld_policy_report_print_text, NULL);
	EXPECT_HAS(text, "Baseline    old.yaml\n");
	EXPECT_HAS(text, "\nDiff        against the baseline: 4 alerts added (9 occurrences), 3 silenced (8 occurrences)\n");
	EXPECT_HAS(text, "10.0.1.20:502 -> 10.0.0.10 modbus [function=6 code=2] x4\n");
	EXPECT_HAS(text, "10.0.0.30 -> 10.0.0.20:80 http x3\n");
	EXPECT_LACKS(text, "incomplete");
	free(text);
	bld_policy_report_destroy(r);
}

/* asset.new: both ends of one flow new are two identities, by which end is new. */
static void test_diff_asset_side(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	bld_policy_report_baseline(r, "old.yaml");
	struct bld_policy_flow f = flow4("10.0.0.99", 40000, "10.0.1.99", 502, 6, "modbus");
	struct bld_alert a = alert(BLD_ALERT_ASSET_NEW, NULL, BLD_SEV_MEDIUM, &f, "10.0.0.99 is not in the policy", "",
				   T0, T0, 1);
	bld_policy_report_alert(r, &a, false);
	a.reason = "10.0.1.99 is not in the policy";
	bld_policy_report_alert(r, &a, false);
	/* the baseline knew the server: only the client is new to it */
	a.reason = "10.0.0.99 is not in the baseline";
	bld_policy_report_alert(r, &a, true);

	struct bld_policy_report_summary s;
	bld_policy_report_summary(r, &s);
	CU_ASSERT_EQUAL(s.added, 1);
	CU_ASSERT_EQUAL(s.silenced, 0);
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_SIZE(j, "diff.added.alerts", 1);
	EXPECT_STR(j, "diff.added.alerts.0.new_asset", "dst");
	EXPECT_STR(j, "diff.added.alerts.0.reason", "10.0.1.99 is not in the policy");
	json_decref(j);
	bld_policy_report_destroy(r);
}

/* No baseline: no diff anywhere. */
static void test_no_baseline(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct bld_policy_flow f = flow4("10.0.0.30", 40000, "10.0.0.20", 80, 6, "http");
	struct bld_alert a = alert(BLD_ALERT_FLOW_NOT_ALLOWED, NULL, BLD_SEV_HIGH, &f, "r", "", T0, T0, 1);
	bld_policy_report_alert(r, &a, false);
	struct bld_policy_report_summary s;
	bld_policy_report_summary(r, &s);
	CU_ASSERT_EQUAL(s.added, 0);
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_TRUE(json_is_null(at(j, "diff")));
	CU_ASSERT_TRUE(json_is_null(at(j, "baseline")));
	json_decref(j);
	char *text = render(r, bld_policy_report_print_text, NULL);
	EXPECT_LACKS(text, "Diff ");
	EXPECT_LACKS(text, "Baseline");
	free(text);
	bld_policy_report_destroy(r);
}

/* ---- the communication map ---- */

static void test_map(void)
{
	struct bld_policy *p = load_policy();
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	bld_policy_report_policy(r, "new.yaml", p);
	struct bld_policy_flow f;
	/* scada -> plc modbus/502 twice (other client ports), one denied: one edge, denied */
	f = flow4("10.0.0.10", 50000, "10.0.1.20", 502, 6, "modbus");
	bld_policy_report_flow(r, &f, false, 10, 1000);
	f = flow4("10.0.0.10", 50001, "10.0.1.20", 502, 6, "modbus");
	bld_policy_report_flow(r, &f, true, 4, 400);
	/* other server port, transport, app: other edges */
	f = flow4("10.0.0.10", 50002, "10.0.1.20", 503, 6, "modbus");
	bld_policy_report_flow(r, &f, false, 1, 60);
	f = flow4("10.0.0.10", 50003, "10.0.1.20", 502, 17, "modbus");
	bld_policy_report_flow(r, &f, false, 1, 60);
	f = flow4("10.0.0.10", 50004, "10.0.1.20", 502, 6, "s7comm");
	bld_policy_report_flow(r, &f, false, 1, 60);
	/* the reverse direction: another edge; both hosts become "both" */
	f = flow4("10.0.1.20", 40000, "10.0.0.10", 102, 6, "s7comm");
	bld_policy_report_flow(r, &f, false, 2, 120);
	/* an unnamed client, three allowed flows */
	for (int i = 0; i < 3; i++) {
		f = flow4("10.0.0.77", (uint16_t)(1234 + i), "10.0.0.10", 53, 17, "dns");
		bld_policy_report_flow(r, &f, false, 2, 200);
	}
	/* no app: "unknown", labelled with the transport */
	f = flow4("10.0.0.77", 999, "10.0.0.5", 9999, 6, NULL);
	bld_policy_report_flow(r, &f, false, 3, 180);

	struct bld_policy_report_summary s;
	bld_policy_report_summary(r, &s);
	CU_ASSERT_EQUAL(s.flows, 10);
	CU_ASSERT_EQUAL(s.edges, 7);
	CU_ASSERT_EQUAL(s.denied_edges, 1);

	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_INT(j, "map.flows", 10);
	EXPECT_INT(j, "map.denied_flows", 1);
	EXPECT_INT(j, "map.hosts_total", 4);
	EXPECT_INT(j, "map.edges_total", 7);
	EXPECT_INT(j, "map.denied_edges_total", 1);
	EXPECT_INT(j, "map.edges_listed", 7);
	EXPECT_BOOL(j, "map.edges_capped", false);
	EXPECT_INT(j, "map.unmapped_flows", 0);
	EXPECT_SIZE(j, "map.edges", 7);
	EXPECT_SIZE(j, "map.nodes", 4);
	json_t *e = find_edge(j, "10.0.0.10", "10.0.1.20", 502, "tcp", "modbus");
	CU_ASSERT_PTR_NOT_NULL(e);
	EXPECT_INT(e, "flows", 2);
	EXPECT_INT(e, "denied_flows", 1);
	EXPECT_INT(e, "packets", 14);
	EXPECT_INT(e, "bytes", 1400);
	EXPECT_STR(e, "verdict", "denied");
	EXPECT_STR(e, "label", "modbus/502");
	e = find_edge(j, "10.0.0.10", "10.0.1.20", 503, "tcp", "modbus");
	CU_ASSERT_PTR_NOT_NULL(e);
	EXPECT_INT(e, "flows", 1);
	EXPECT_STR(e, "verdict", "allowed");
	CU_ASSERT_PTR_NOT_NULL(find_edge(j, "10.0.0.10", "10.0.1.20", 502, "udp", "modbus"));
	CU_ASSERT_PTR_NOT_NULL(find_edge(j, "10.0.0.10", "10.0.1.20", 502, "tcp", "s7comm"));
	CU_ASSERT_PTR_NOT_NULL(find_edge(j, "10.0.1.20", "10.0.0.10", 102, "tcp", "s7comm"));
	e = find_edge(j, "10.0.0.77", "10.0.0.10", 53, "udp", "dns");
	CU_ASSERT_PTR_NOT_NULL(e);
	EXPECT_INT(e, "flows", 3);
	EXPECT_INT(e, "denied_flows", 0);
	EXPECT_INT(e, "packets", 6);
	EXPECT_STR(e, "verdict", "allowed");
	e = find_edge(j, "10.0.0.77", "10.0.0.5", 9999, "tcp", "unknown");
	CU_ASSERT_PTR_NOT_NULL(e);
	EXPECT_STR(e, "label", "unknown/9999 (tcp)");
	/* the busiest edge first */
	EXPECT_STR(j, "map.edges.0.app", "dns");

	json_t *n = find_node(j, "10.0.0.10");
	CU_ASSERT_PTR_NOT_NULL(n);
	EXPECT_STR(n, "name", "scada");
	EXPECT_STR(n, "kind", "ip");
	EXPECT_STR(n, "role", "both");
	EXPECT_INT(n, "flows_as_client", 5);
	EXPECT_INT(n, "flows_as_server", 4);
	EXPECT_INT(n, "denied_flows", 1);
	n = find_node(j, "10.0.1.20");
	CU_ASSERT_PTR_NOT_NULL(n);
	EXPECT_STR(n, "name", "plc");
	EXPECT_STR(n, "role", "both");
	n = find_node(j, "10.0.0.77");
	CU_ASSERT_PTR_NOT_NULL(n);
	EXPECT_STR(n, "name", NULL);
	EXPECT_STR(n, "role", "client");
	EXPECT_INT(n, "denied_flows", 0);
	n = find_node(j, "10.0.0.5");
	CU_ASSERT_PTR_NOT_NULL(n);
	EXPECT_STR(n, "role", "server");
	json_decref(j);

	char *text = render(r, bld_policy_report_print_text, NULL);
	EXPECT_HAS(text, "\nMap         4 hosts, 7 edges (1 denied), 10 flows (1 denied)\n");
	free(text);
	char *html = render(r, bld_policy_report_write_html, NULL);
	EXPECT_HAS(html, "<svg ");
	EXPECT_HAS(html, "</svg>");
	EXPECT_HAS(html, "scada");
	EXPECT_HAS(html, "<td class=\"denied\">denied</td>");
	EXPECT_HAS(html, "<td class=\"allowed\">allowed</td>");
	EXPECT_LACKS(html, "Layer 2");
	free(html);
	bld_policy_report_destroy(r);
	bld_policy_free(p);
}

static void test_map_l2(void)
{
	static const uint8_t m1[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 }, m2[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct bld_policy_flow f = flow_l2(m1, m2, "arp");
	bld_policy_report_flow(r, &f, false, 2, 120);
	bld_policy_report_flow(r, &f, true, 1, 60);
	f = flow4("10.0.0.1", 1, "10.0.0.2", 2, 6, "modbus");
	bld_policy_report_flow(r, &f, false, 1, 60);
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_INT(j, "map.edges_total", 2);
	json_t *e = find_edge(j, "00:11:22:33:44:55", "ff:ff:ff:ff:ff:ff", -1, "l2", "arp");
	CU_ASSERT_PTR_NOT_NULL(e);
	EXPECT_INT(e, "flows", 2);
	EXPECT_INT(e, "denied_flows", 1);
	EXPECT_STR(e, "label", "arp");
	json_t *n = find_node(j, "00:11:22:33:44:55");
	CU_ASSERT_PTR_NOT_NULL(n);
	EXPECT_STR(n, "kind", "mac");
	json_decref(j);
	char *html = render(r, bld_policy_report_write_html, NULL);
	EXPECT_HAS(html, "<h3>IP hosts</h3>");
	EXPECT_HAS(html, "Layer 2");
	EXPECT_HAS(html, "aria-label=\"layer 2 communication map\"");
	free(html);
	bld_policy_report_destroy(r);
}

/*
 * A flow from a host to itself (a LAND packet: src = dst, both the client
 * and the server): one flow, so one denied flow for that host, whichever
 * way it is counted (policy_report.c: node.denied is "denied either way").
 */
static void test_map_self_flow(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct bld_policy_flow f = flow4("10.0.0.10", 7, "10.0.0.10", 7, 17, "echo");
	bld_policy_report_flow(r, &f, true, 1, 60);
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_INT(j, "map.flows", 1);
	EXPECT_INT(j, "map.denied_flows", 1);
	EXPECT_INT(j, "map.hosts_total", 1);
	json_t *n = find_node(j, "10.0.0.10");
	CU_ASSERT_PTR_NOT_NULL(n);
	EXPECT_STR(n, "role", "both");
	EXPECT_INT(n, "flows_as_client", 1);
	EXPECT_INT(n, "flows_as_server", 1);
	EXPECT_INT(n, "denied_flows", 1);
	json_decref(j);
	char *html = render(r, bld_policy_report_write_html, NULL);
	EXPECT_HAS(html, "1 flows as client, 1 as server, 1 denied</title>");
	free(html);
	bld_policy_report_destroy(r);
}

/* ---- caps ---- */

#define MORE 1000 /* items pushed past each cap */
#define SLACK 4096 /* heap bytes allowed to grow while pushing them: less than 5 a piece */

static void test_cap_groups(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct bld_policy_flow f = flow4("10.0.0.10", 50000, "10.0.1.20", 502, 6, "modbus");
	char rule[32];
	struct bld_alert a = alert(BLD_ALERT_OP_NOT_ALLOWED, rule, BLD_SEV_HIGH, &f, "r", "", T0, T0, 2);
	for (unsigned i = 0; i < BLD_POLICY_REPORT_MAX_GROUPS; i++) {
		snprintf(rule, sizeof(rule), "rule-%u", i);
		bld_policy_report_alert(r, &a, false);
	}
	size_t before = heap_in_use();
	for (unsigned i = 0; i < MORE; i++) {
		snprintf(rule, sizeof(rule), "extra-%u", i);
		bld_policy_report_alert(r, &a, false);
	}
	size_t after = heap_in_use();
	if (after > before + SLACK)
		fprintf(stderr, "\n    %zu heap bytes more after %u groups past the cap", after - before, MORE);
	CU_ASSERT_TRUE(after <= before + SLACK);
	/* a group that exists still counts after the cap */
	snprintf(rule, sizeof(rule), "rule-7");
	a.count = 5;
	bld_policy_report_alert(r, &a, false);

	struct bld_policy_report_summary s;
	bld_policy_report_summary(r, &s);
	CU_ASSERT_EQUAL(s.alert_lines, BLD_POLICY_REPORT_MAX_GROUPS + MORE + 1);
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_SIZE(j, "alerts.groups", BLD_POLICY_REPORT_MAX_GROUPS);
	EXPECT_INT(j, "alerts.lines", BLD_POLICY_REPORT_MAX_GROUPS + MORE + 1);
	EXPECT_INT(j, "alerts.ungrouped_lines", MORE);
	EXPECT_INT(j, "alerts.ungrouped_occurrences", 2 * MORE);
	json_t *g = find_group(j, "rule-7", "op.not_allowed");
	CU_ASSERT_PTR_NOT_NULL(g);
	EXPECT_INT(g, "lines", 2);
	EXPECT_INT(g, "occurrences", 7);
	CU_ASSERT_PTR_NULL(find_group(j, "extra-0", "op.not_allowed"));
	/* the totals by kind stay exact */
	EXPECT_INT(json_object_get(at(j, "alerts.by_kind"), "op.not_allowed"), "lines",
		   BLD_POLICY_REPORT_MAX_GROUPS + MORE + 1);
	json_decref(j);
	char *text = render(r, bld_policy_report_print_text, NULL);
	EXPECT_HAS(text, "  (1000 alert lines in groups beyond the first 4096 are counted above, not grouped)\n");
	free(text);
	char *html = render(r, bld_policy_report_write_html, NULL);
	EXPECT_HAS(html, "1000 alert lines (2000 occurrences) fell in groups beyond the first 4096");
	free(html);
	bld_policy_report_destroy(r);
}

static struct bld_policy_flow edge_flow(unsigned i)
{
	char ip[32];
	snprintf(ip, sizeof(ip), "10.%u.%u.%u", 100 + i / 65536, i / 256 % 256, i % 256);
	return flow4(ip, 40000, "10.0.0.1", 502, 6, "modbus");
}

static void test_cap_edges(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct bld_policy_flow f;
	for (unsigned i = 0; i < BLD_POLICY_REPORT_MAX_EDGES; i++) {
		f = edge_flow(i);
		bld_policy_report_flow(r, &f, i % 2 == 0, 1, 100);
	}
	size_t before = heap_in_use();
	for (unsigned i = 0; i < MORE; i++) {
		f = edge_flow(BLD_POLICY_REPORT_MAX_EDGES + i);
		bld_policy_report_flow(r, &f, i % 4 == 0, 1, 100);
	}
	size_t after = heap_in_use();
	if (after > before + SLACK)
		fprintf(stderr, "\n    %zu heap bytes more after %u edges past the cap", after - before, MORE);
	CU_ASSERT_TRUE(after <= before + SLACK);
	/* an edge that exists still takes flows after the cap */
	f = edge_flow(3);
	f.client_port = 40001;
	bld_policy_report_flow(r, &f, true, 5, 500);

	struct bld_policy_report_summary s;
	bld_policy_report_summary(r, &s);
	CU_ASSERT_EQUAL(s.flows, BLD_POLICY_REPORT_MAX_EDGES + MORE + 1);
	CU_ASSERT_EQUAL(s.edges, BLD_POLICY_REPORT_MAX_EDGES);
	CU_ASSERT_EQUAL(s.denied_edges, BLD_POLICY_REPORT_MAX_EDGES / 2 + 1);
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_INT(j, "map.flows", BLD_POLICY_REPORT_MAX_EDGES + MORE + 1);
	EXPECT_INT(j, "map.edges_total", BLD_POLICY_REPORT_MAX_EDGES);
	EXPECT_INT(j, "map.edges_listed", BLD_POLICY_REPORT_LIST_EDGES);
	EXPECT_SIZE(j, "map.edges", BLD_POLICY_REPORT_LIST_EDGES);
	EXPECT_BOOL(j, "map.edges_capped", true);
	EXPECT_INT(j, "map.unmapped_flows", MORE);
	EXPECT_INT(j, "map.unmapped_denied_flows", MORE / 4);
	EXPECT_INT(j, "map.hosts_total", BLD_POLICY_REPORT_MAX_EDGES + 1);
	/* the merged edge is the busiest */
	EXPECT_STR(j, "map.edges.0.client", "10.100.0.3");
	EXPECT_INT(j, "map.edges.0.flows", 2);
	EXPECT_INT(j, "map.edges.0.packets", 6);
	json_decref(j);
	char *text = render(r, bld_policy_report_print_text, NULL);
	EXPECT_HAS(text, "; 1000 flows beyond 20000 edges not mapped\n");
	free(text);
	char *html = render(r, bld_policy_report_write_html, NULL);
	EXPECT_HAS(html, "Showing the 500 busiest of 20000 edges.");
	EXPECT_HAS(html, "1000 flows (250 denied) beyond 20000 distinct edges are counted but not mapped.");
	EXPECT_HAS(html, "<svg ");
	EXPECT_HAS(html, "This map draws the ");
	free(html);
	bld_policy_report_destroy(r);
}

static void test_cap_diff(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	bld_policy_report_baseline(r, "old.yaml");
	struct bld_policy_flow f = flow4("10.0.0.10", 50000, "10.0.1.20", 502, 6, "modbus");
	char detail[48];
	struct bld_alert a = alert(BLD_ALERT_OP_NOT_ALLOWED, "poll", BLD_SEV_HIGH, &f,
				   "modbus request not among the operations the rule allows", detail, T0, T0, 1);
	for (unsigned i = 0; i < BLD_POLICY_REPORT_MAX_DIFF; i++) {
		snprintf(detail, sizeof(detail), "function=6 address=%u", i);
		bld_policy_report_alert(r, &a, false);
	}
	size_t before = heap_in_use();
	for (unsigned i = 0; i < MORE; i++) {
		snprintf(detail, sizeof(detail), "function=16 address=%u", i);
		bld_policy_report_alert(r, &a, i % 2 == 0);
	}
	size_t after = heap_in_use();
	if (after > before + SLACK)
		fprintf(stderr, "\n    %zu heap bytes more after %u identities past the cap", after - before, MORE);
	CU_ASSERT_TRUE(after <= before + SLACK);
	/* an identity that exists still matches after the cap: now in both, neither added nor silenced */
	snprintf(detail, sizeof(detail), "function=6 address=7");
	a.rule = "old-rule";
	bld_policy_report_alert(r, &a, true);

	struct bld_policy_report_summary s;
	bld_policy_report_summary(r, &s);
	CU_ASSERT_FALSE(s.diff_complete);
	CU_ASSERT_EQUAL(s.added, BLD_POLICY_REPORT_MAX_DIFF - 1);
	CU_ASSERT_EQUAL(s.silenced, 0);
	CU_ASSERT_EQUAL(s.alert_lines, BLD_POLICY_REPORT_MAX_DIFF + MORE / 2);
	CU_ASSERT_EQUAL(s.baseline_lines, MORE / 2 + 1);
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_BOOL(j, "diff.complete", false);
	EXPECT_INT(j, "diff.untracked_lines.new", MORE / 2);
	EXPECT_INT(j, "diff.untracked_lines.baseline", MORE / 2);
	EXPECT_INT(j, "diff.added.total", BLD_POLICY_REPORT_MAX_DIFF - 1);
	EXPECT_INT(j, "diff.added.listed", BLD_POLICY_REPORT_LIST_DIFF);
	EXPECT_SIZE(j, "diff.added.alerts", BLD_POLICY_REPORT_LIST_DIFF);
	EXPECT_INT(j, "diff.silenced.total", 0);
	CU_ASSERT_PTR_NULL(find_ident(j, "added", "op.not_allowed", "function=6 address=7"));
	json_decref(j);
	char *text = render(r, bld_policy_report_print_text, NULL);
	EXPECT_HAS(text, "49999 alerts added (49999 occurrences), 0 silenced (0 occurrences) (incomplete: too many "
			 "distinct alerts)\n");
	EXPECT_HAS(text, "    ... 49994 more\n");
	free(text);
	char *html = render(r, bld_policy_report_write_html, NULL);
	EXPECT_HAS(html, "Incomplete: more than 50000 distinct alerts; 500 lines of the new policy and 500 of the "
			 "baseline were not compared.");
	EXPECT_HAS(html, "Showing 200 of 49999");
	free(html);
	bld_policy_report_destroy(r);
}

/* ---- the JSON report: documented keys ---- */

/* A report with every section: policy, baseline, captures, alerts, dead rules, diff, map. */
static void fill(struct bld_policy_report *r, const struct bld_policy *p, const char *hostile)
{
	static struct bld_policy_flow f1, f2, f3;
	f1 = flow4("10.0.0.10", 50000, "10.0.1.20", 502, 6, "modbus");
	f2 = flow4("10.0.0.30", 40000, "10.0.0.20", 80, 6, hostile ? hostile : "http");
	f3 = flow4("10.0.0.77", 1234, "10.0.0.10", 53, 17, "dns");
	bld_policy_report_policy(r, "new.yaml", p);
	bld_policy_report_baseline(r, hostile ? hostile : "old.yaml");
	bld_policy_report_input(r, "a.pcap", 10, NULL);
	bld_policy_report_input(r, hostile ? hostile : "b.pcap", 3, hostile ? hostile : "truncated");
	bld_policy_report_totals(r, 13, 2000, T0, T0 + 90 * NS);
	struct bld_alert a = alert(BLD_ALERT_OP_NOT_ALLOWED, "poll", BLD_SEV_HIGH, &f1, hostile ? hostile : "write",
				   hostile ? hostile : "function=6 value=0", T0 + NS, T0 + 2 * NS, 4);
	a.client_host = "scada";
	a.server_host = "plc";
	bld_policy_report_alert(r, &a, false);
	a = alert(BLD_ALERT_FLOW_NOT_ALLOWED, hostile, BLD_SEV_MEDIUM, &f2, hostile ? hostile : "no rule allows web",
		  "", T0 + 3 * NS, T0 + 3 * NS, 1);
	bld_policy_report_alert(r, &a, false);
	a = alert(BLD_ALERT_FLOW_NOT_ALLOWED, NULL, BLD_SEV_MEDIUM, &f3, "no rule allowed dns", "", T0, T0, 2);
	bld_policy_report_alert(r, &a, true);
	bld_policy_report_flow(r, &f1, false, 8, 1200);
	bld_policy_report_flow(r, &f2, true, 3, 500);
	bld_policy_report_flow(r, &f3, false, 2, 300);
	const uint64_t hits[3] = { 1, 1, 0 };
	if (p)
		bld_policy_report_rules(r, p, hits);
}

static void test_json_keys(void)
{
	struct bld_policy *p = load_policy();
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	fill(r, p, NULL);
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_STR(j, "report", "bollard-policy-test");
	EXPECT_INT(j, "version", 1);
	EXPECT_STR(j, "verdict", "fail");
	EXPECT_BOOL(j, "complete", true);
	EXPECT_STR(j, "policy.path", "new.yaml");
	EXPECT_STR(j, "policy.site", "harbour");
	EXPECT_INT(j, "policy.hosts", 2);
	EXPECT_INT(j, "policy.groups", 0);
	EXPECT_INT(j, "policy.zones", 0);
	EXPECT_INT(j, "policy.rules", 3);
	EXPECT_INT(j, "policy.operations", 0);
	EXPECT_STR(j, "baseline.path", "old.yaml");
	EXPECT_SIZE(j, "captures", 2);
	EXPECT_STR(j, "captures.0.path", "a.pcap");
	EXPECT_INT(j, "captures.0.packets", 10);
	EXPECT_STR(j, "captures.0.error", NULL);
	EXPECT_STR(j, "captures.1.error", "truncated");
	EXPECT_INT(j, "packets", 13);
	EXPECT_INT(j, "bytes", 2000);
	EXPECT_STR(j, "first_seen", "2024-05-14T06:00:00.000000Z");
	EXPECT_STR(j, "last_seen", "2024-05-14T06:01:30.000000Z");
	EXPECT_INT(j, "alerts.lines", 2);
	EXPECT_INT(j, "alerts.occurrences", 5);
	CU_ASSERT_TRUE(json_is_object(at(j, "alerts.by_kind")));
	EXPECT_SIZE(j, "alerts.groups", 2);
	EXPECT_INT(j, "alerts.ungrouped_lines", 0);
	json_t *g = find_group(j, "poll", "op.not_allowed");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	static const char *const group_keys[] = { "rule", "event", "severity", "lines", "occurrences", "first_seen",
						  "last_seen", "example" };
	for (size_t i = 0; i < BLD_TEST_COUNT(group_keys); i++)
		CU_ASSERT_PTR_NOT_NULL(json_object_get(g, group_keys[i]));
	static const char *const ex_keys[] = { "reason", "detail", "src_ip", "src_port", "dst_ip", "dst_port", "proto",
					       "src_host", "dst_host" };
	for (size_t i = 0; i < BLD_TEST_COUNT(ex_keys); i++)
		CU_ASSERT_PTR_NOT_NULL(json_object_get(json_object_get(g, "example"), ex_keys[i]));
	EXPECT_STR(g, "example.src_host", "scada");
	EXPECT_STR(g, "example.dst_host", "plc");
	EXPECT_INT(j, "dead_rules.rules", 3);
	EXPECT_INT(j, "dead_rules.count", 1);
	EXPECT_STR(j, "dead_rules.ids.0", "stale");
	EXPECT_INT(j, "diff.baseline_lines", 1);
	CU_ASSERT_TRUE(json_is_object(at(j, "diff.baseline_by_kind")));
	EXPECT_INT(json_object_get(at(j, "diff.baseline_by_kind"), "flow.not_allowed"), "occurrences", 2);
	EXPECT_BOOL(j, "diff.complete", true);
	CU_ASSERT_TRUE(json_is_object(at(j, "diff.untracked_lines")));
	EXPECT_INT(j, "diff.added.total", 2);
	EXPECT_INT(j, "diff.silenced.total", 1);
	static const char *const ident_keys[] = { "event", "src", "dst", "server_port", "sender", "proto", "detail",
						  "rule", "severity", "lines", "occurrences", "first_seen", "last_seen",
						  "reason" };
	json_t *d = at(j, "diff.silenced.alerts.0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (size_t i = 0; i < BLD_TEST_COUNT(ident_keys); i++)
		CU_ASSERT_PTR_NOT_NULL(json_object_get(d, ident_keys[i]));
	EXPECT_STR(d, "src", "10.0.0.77");
	EXPECT_INT(d, "server_port", 53);
	EXPECT_STR(d, "proto", "dns");
	static const char *const map_keys[] = { "flows", "denied_flows", "hosts_total", "edges_total", "edges_listed",
						"edges_capped", "unmapped_flows", "nodes", "edges" };
	for (size_t i = 0; i < BLD_TEST_COUNT(map_keys); i++)
		CU_ASSERT_PTR_NOT_NULL(at(at(j, "map"), map_keys[i]));
	static const char *const node_keys[] = { "id", "name", "kind", "role", "flows_as_client", "flows_as_server",
						 "denied_flows" };
	for (size_t i = 0; i < BLD_TEST_COUNT(node_keys); i++)
		CU_ASSERT_PTR_NOT_NULL(json_object_get(at(j, "map.nodes.0"), node_keys[i]));
	static const char *const edge_keys[] = { "client", "server", "l4", "port", "app", "label", "flows",
						 "denied_flows", "packets", "bytes", "verdict" };
	for (size_t i = 0; i < BLD_TEST_COUNT(edge_keys); i++)
		CU_ASSERT_PTR_NOT_NULL(json_object_get(at(j, "map.edges.0"), edge_keys[i]));
	EXPECT_INT(j, "map.flows", 3);
	EXPECT_INT(j, "map.denied_flows", 1);
	json_decref(j);

	/* a clean run: pass */
	struct bld_policy_report *c = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	bld_policy_report_policy(c, "new.yaml", p);
	j = as_json(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_STR(j, "verdict", "pass");
	EXPECT_STR(j, "first_seen", NULL);
	EXPECT_SIZE(j, "alerts.groups", 0);
	EXPECT_SIZE(j, "map.edges", 0);
	json_decref(j);
	bld_policy_report_destroy(c);
	bld_policy_report_destroy(r);
	bld_policy_free(p);
}

/* Bytes that are not UTF-8 travel as U+0080..U+00FF; a long text is cut on a character boundary. */
static void test_json_bytes(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	bld_policy_report_baseline(r, "old.yaml");
	struct bld_policy_flow f = flow4("10.0.0.10", 50000, "10.0.1.20", 502, 6, "modbus");
	char longtext[1100];
	memset(longtext, 'a', 1023);
	memcpy(longtext + 1023, "\xc3\xa9", 2); /* é across byte 1024 */
	memset(longtext + 1025, 'b', sizeof(longtext) - 1026);
	longtext[sizeof(longtext) - 1] = 0;
	struct bld_alert a = alert(BLD_ALERT_OP_NOT_ALLOWED, "poll", BLD_SEV_HIGH, &f, "bad \xff\xfe byte \xc3\xa9",
				   longtext, T0, T0, 1);
	bld_policy_report_alert(r, &a, false);
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_STR(j, "alerts.groups.0.example.reason", "bad \xc3\xbf\xc3\xbe byte \xc3\xa9");
	json_t *d = at(j, "alerts.groups.0.example.detail");
	CU_ASSERT_TRUE(json_is_string(d));
	if (json_is_string(d)) {
		CU_ASSERT_EQUAL(json_string_length(d), 1023);
		CU_ASSERT_EQUAL(strspn(json_string_value(d), "a"), 1023);
	}
	EXPECT_STR(j, "diff.added.alerts.0.reason", "bad \xc3\xbf\xc3\xbe byte \xc3\xa9");
	json_decref(j);
	char *html = render(r, bld_policy_report_write_html, NULL);
	EXPECT_HAS(html, "bad &#xff;&#xfe; byte \xc3\xa9");
	free(html);
	bld_policy_report_destroy(r);
}

/* ---- HTML ---- */

/* needle (ASCII) in text, ignoring case; NULL when absent. */
static const char *find_ci(const char *text, const char *needle)
{
	size_t n = strlen(needle);
	for (; *text; text++) {
		size_t k = 0;
		while (k < n && text[k] && tolower((unsigned char)text[k]) == tolower((unsigned char)needle[k]))
			k++;
		if (k == n)
			return text;
	}
	return NULL;
}

#define HOSTILE "<script>alert(\"x\" & 'y')</script>\"><img src=x onerror=alert(1)>\x1b[2J"

static void test_html_escaping(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	fill(r, NULL, HOSTILE);
	size_t len;
	char *html = render(r, bld_policy_report_write_html, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(html);
	CU_ASSERT_EQUAL(strlen(html), len);
	EXPECT_HAS(html, "<!DOCTYPE html>");
	EXPECT_HAS(html, "<svg ");
	EXPECT_HAS(html, "</html>\n");
	CU_ASSERT_PTR_NULL(find_ci(html, "<script"));
	CU_ASSERT_PTR_NULL(find_ci(html, "<img"));
	CU_ASSERT_PTR_NULL(strchr(html, '\x1b'));
	EXPECT_HAS(html, "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x "
			 "onerror=alert(1)&gt;&#x241b;[2J");
	/* no resource from elsewhere: one self-contained page */
	CU_ASSERT_PTR_NULL(find_ci(html, "<link"));
	CU_ASSERT_PTR_NULL(find_ci(html, " src=\""));
	CU_ASSERT_PTR_NULL(find_ci(html, "href=\"http"));
	free(html);

	/* the same text in JSON: carried as it is, valid JSON */
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_STR(j, "alerts.groups.0.example.reason", HOSTILE);
	EXPECT_STR(j, "baseline.path", HOSTILE);
	json_decref(j);

	/* and in text: no control character reaches the terminal */
	char *text = render(r, bld_policy_report_print_text, NULL);
	CU_ASSERT_PTR_NULL(strchr(text, '\x1b'));
	EXPECT_HAS(text, "onerror=alert(1)>?[2J");
	free(text);
	bld_policy_report_destroy(r);
}

static void test_deterministic(void)
{
	struct bld_policy *p = load_policy();
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct bld_policy_report *r1 = bld_policy_report_create(), *r2 = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r2);
	fill(r1, p, NULL);
	fill(r2, p, NULL);
	/* more flows, so the map has ties to break and labels to place */
	for (unsigned i = 0; i < 40; i++) {
		struct bld_policy_flow f = edge_flow(i % 13);
		f.server_port = (uint16_t)(500 + i % 3);
		bld_policy_report_flow(r1, &f, i % 5 == 0, 1, 60);
		bld_policy_report_flow(r2, &f, i % 5 == 0, 1, 60);
	}
	size_t l1, l2, l3, l4;
	char *h1 = render(r1, bld_policy_report_write_html, &l1);
	char *h2 = render(r1, bld_policy_report_write_html, &l2);
	char *js = render(r1, bld_policy_report_write_json, NULL);
	char *tx = render(r1, bld_policy_report_print_text, NULL);
	char *h3 = render(r1, bld_policy_report_write_html, &l3);
	char *h4 = render(r2, bld_policy_report_write_html, &l4);
	CU_ASSERT_TRUE(l1 > 0);
	CU_ASSERT_TRUE(l1 == l2 && memcmp(h1, h2, l1) == 0);
	CU_ASSERT_TRUE(l1 == l3 && memcmp(h1, h3, l1) == 0);
	CU_ASSERT_TRUE(l1 == l4 && memcmp(h1, h4, l1) == 0);
	char *j2 = render(r2, bld_policy_report_write_json, NULL);
	CU_ASSERT_STRING_EQUAL(js, j2);
	char *j3 = render(r1, bld_policy_report_write_json, NULL);
	CU_ASSERT_STRING_EQUAL(js, j3);
	free(h1);
	free(h2);
	free(h3);
	free(h4);
	free(js);
	free(j2);
	free(j3);
	free(tx);
	bld_policy_report_destroy(r1);
	bld_policy_report_destroy(r2);
	bld_policy_free(p);
}

/* ---- the text summary ---- */

static void test_text(void)
{
	struct bld_policy *p = load_policy();
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	fill(r, p, NULL);
	char *text = render(r, bld_policy_report_print_text, NULL);
	CU_ASSERT_TRUE(strncmp(text, "Policy      new.yaml (site harbour): 2 hosts, 0 groups, 0 zones, 3 rules\n",
			       strlen("Policy      new.yaml (site harbour): 2 hosts, 0 groups, 0 zones, 3 rules\n")) == 0);
	EXPECT_HAS(text, "\nBaseline    old.yaml\n");
	EXPECT_HAS(text, "\nCaptures    a.pcap: 10 packets\n            b.pcap: 3 packets (DAMAGED: truncated)\n");
	EXPECT_HAS(text, "\nTraffic     13 packets, 2000 B, 3 flows, 2024-05-14T06:00:00.000000Z .. "
			 "2024-05-14T06:01:30.000000Z\n");
	EXPECT_HAS(text, "\nAlerts      2 lines, 5 occurrences (baseline: 1 line, 2 occurrences)\n");
	EXPECT_HAS(text, "    high     op.not_allowed       poll: 1 line, 4 occurrences, e.g. write [function=6 value=0]\n");
	EXPECT_HAS(text, "\nDead rules  1 of 3 rules never matched: stale\n");
	EXPECT_HAS(text, "\nWARNING: 1 capture damaged: analysed up to the damage\n");
	/* the verdict closes the summary */
	const char *v = strstr(text, "\nVerdict     ");
	CU_ASSERT_PTR_NOT_NULL(v);
	if (v)
		CU_ASSERT_STRING_EQUAL(v, "\nVerdict     FAIL: new.yaml raised 2 alert lines (5 occurrences)\n");
	free(text);
	bld_policy_report_destroy(r);

	/* one alert line: singular */
	r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	bld_policy_report_policy(r, "new.yaml", p);
	struct bld_policy_flow f = flow4("10.0.0.10", 50000, "10.0.1.20", 502, 6, "modbus");
	struct bld_alert a = alert(BLD_ALERT_FLOW_NOT_ALLOWED, NULL, BLD_SEV_HIGH, &f, "r", "", T0, T0, 1);
	bld_policy_report_alert(r, &a, false);
	text = render(r, bld_policy_report_print_text, NULL);
	EXPECT_HAS(text, "\nVerdict     FAIL: new.yaml raised 1 alert line (1 occurrence)\n");
	free(text);
	bld_policy_report_destroy(r);

	/* no alert: pass, even with a baseline that alerted */
	r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	bld_policy_report_policy(r, "new.yaml", p);
	bld_policy_report_baseline(r, "old.yaml");
	bld_policy_report_alert(r, &a, true);
	text = render(r, bld_policy_report_print_text, NULL);
	v = strstr(text, "\nVerdict     ");
	CU_ASSERT_PTR_NOT_NULL(v);
	if (v)
		CU_ASSERT_STRING_EQUAL(v, "\nVerdict     PASS: new.yaml raised no alert\n");
	EXPECT_HAS(text, "0 alerts added (0 occurrences), 1 silenced (1 occurrence)\n");
	free(text);
	char *html = render(r, bld_policy_report_write_html, NULL);
	EXPECT_HAS(html, "<div class=\"verdict pass\">PASS");
	EXPECT_LACKS(html, "verdict fail");
	free(html);
	bld_policy_report_destroy(r);
	bld_policy_free(p);
}

/* Captures past the cap are counted; IPv6 hosts are mapped by their address. */
static void test_cap_inputs_ipv6(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	char path[32];
	for (unsigned i = 0; i < BLD_POLICY_REPORT_MAX_INPUTS + 44; i++) {
		snprintf(path, sizeof(path), "c%u.pcap", i);
		bld_policy_report_input(r, path, i, NULL);
	}
	struct bld_policy_flow f = { .family = 6, .client_port = 40000, .server_port = 4840, .has_ports = true, .l4 = 6,
				     .app = "opcua" };
	inet_pton(AF_INET6, "2001:db8::1", f.client_ip);
	inet_pton(AF_INET6, "2001:db8::20", f.server_ip);
	bld_policy_report_flow(r, &f, true, 7, 700);
	json_t *j = as_json(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	EXPECT_SIZE(j, "captures", BLD_POLICY_REPORT_MAX_INPUTS);
	EXPECT_INT(j, "captures_not_listed", 44);
	EXPECT_STR(j, "captures.255.path", "c255.pcap");
	json_t *e = find_edge(j, "2001:db8::1", "2001:db8::20", 4840, "tcp", "opcua");
	CU_ASSERT_PTR_NOT_NULL(e);
	EXPECT_STR(e, "verdict", "denied");
	EXPECT_STR(find_node(j, "2001:db8::20"), "kind", "ip");
	json_decref(j);
	char *text = render(r, bld_policy_report_print_text, NULL);
	EXPECT_HAS(text, "            c255.pcap: 255 packets\n            ... and 44 more\n");
	free(text);
	char *html = render(r, bld_policy_report_write_html, NULL);
	EXPECT_HAS(html, "<p class=\"note\">... and 44 more.</p>");
	EXPECT_HAS(html, "2001:db8::20");
	free(html);
	bld_policy_report_destroy(r);
}

/* ---- a stream that fails ---- */

static void test_write_errors(void)
{
	struct bld_policy_report *r = bld_policy_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	fill(r, NULL, NULL);
	static const writer_fn writers[] = { bld_policy_report_print_text, bld_policy_report_write_json,
					     bld_policy_report_write_html };
	for (size_t i = 0; i < BLD_TEST_COUNT(writers); i++) {
		char buf[64];
		FILE *m = fmemopen(buf, sizeof(buf), "w");
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		setvbuf(m, NULL, _IONBF, 0); /* every write reaches the 64 bytes: the rest fails */
		int rc = writers[i](r, m);
		if (rc != -EIO)
			fprintf(stderr, "\n    writer %zu into a full stream: want -EIO, got %d", i, rc);
		CU_ASSERT_EQUAL(rc, -EIO);
		fclose(m);
	}
	bld_policy_report_destroy(r);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "alert groups by (rule, event)", test_grouping },
		{ "totals by kind; a response's sender", test_by_kind },
		{ "(no rule) groups", test_no_rule_groups },
		{ "dead rules", test_dead_rules },
		{ "diff: added, silenced, identity", test_diff },
		{ "diff: asset.new by its new end", test_diff_asset_side },
		{ "no baseline, no diff", test_no_baseline },
		{ "map: edges merged, allowed and denied", test_map },
		{ "map: layer 2", test_map_l2 },
		{ "map: a flow from a host to itself", test_map_self_flow },
		{ "cap: alert groups", test_cap_groups },
		{ "cap: edges", test_cap_edges },
		{ "cap: diff identities", test_cap_diff },
		{ "cap: captures; IPv6 hosts", test_cap_inputs_ipv6 },
		{ "JSON: documented keys and values", test_json_keys },
		{ "JSON: bytes that are not UTF-8, long texts", test_json_bytes },
		{ "HTML: hostile text escaped, self-contained", test_html_escaping },
		{ "HTML and JSON: byte-identical", test_deterministic },
		{ "text: summary and verdict", test_text },
		{ "a stream that fails: -EIO", test_write_errors },
	};
	return bld_test_run("export/policy_report", tests, BLD_TEST_COUNT(tests));
}
