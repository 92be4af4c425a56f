/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the allow-list policy engine (policies/): the loader's
 * diagnostics (every error class with its file:line:column), the compiled
 * address classes and rule index (which flows a policy allows), and the
 * evaluator (alerts, aggregation, time windows, timing, rates, expected
 * events, rule hits and the per-function entry index).
 *
 * Policies are parsed from strings named "t.yaml"; line numbers in the
 * comments next to each YAML line are the ones the diagnostics must show.
 * Operations are built with op.h as a dissector would emit them.
 *
 * Where a check repeats with other values it is a table, one per family:
 * loader cases (a policy, then the diagnostic line it must give, written as
 * the line reads, or that it loads), flow verdicts ("client -> server port
 * app": allowed or denied), Modbus requests and other protocols' operations
 * (fields in bld_op_format's words, and the alert each must raise).  Each
 * row records its own line, which a failure names.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bld_test.h"
#include "events.h"
#include "op.h"
#include "policy.h"
#include "rasta.h"
#include "registry.h"
#include "trdp.h"

#define NS 1000000000ull
#define MS 1000000ull
/* 2024-01-01 00:00:00 UTC, a Monday */
#define MONDAY (1704067200ull * NS)
#define HOUR (3600ull * NS)
#define DAY (24ull * HOUR)

/* ---- loading ---- */

static struct bld_policy_diag diag;

static struct bld_policy *parse(const char *text)
{
	/* an exact-size heap copy: a read past the end is an ASan report */
	size_t len = strlen(text);
	uint8_t *copy = bld_test_dup((const uint8_t *)text, (uint32_t)len);
	memset(&diag, 0, sizeof(diag));
	struct bld_policy *p = bld_policy_parse("t.yaml", copy, len, &diag);
	free(copy);
	return p;
}

/* Lines of diag.text. */
static unsigned diag_lines(void)
{
	unsigned n = 0;
	for (const char *c = diag.text; *c; c++)
		n += *c == '\n';
	return n;
}

/* A line of diag.text starting with `where` and containing `phrase` after it. */
static bool diag_has(const char *where, const char *phrase)
{
	size_t wl = strlen(where);
	for (const char *line = diag.text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len >= wl && strncmp(line, where, wl) == 0) {
			char buf[1024];
			size_t k = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
			memcpy(buf, line, k);
			buf[k] = 0;
			if (strstr(buf + wl, phrase))
				return true;
		}
		if (!end)
			break;
		line = end + 1;
	}
	return false;
}

/* The policy must fail with n errors, one of them at `where` ("t.yaml:L:C: ") saying `phrase`. */
static void expect_error(int line, const char *text, unsigned n, const char *where, const char *phrase)
{
	struct bld_policy *p = parse(text);
	bool found = diag_has(where, phrase);
	if (p || diag.errors != n || !found || diag_lines() != diag.shown)
		fprintf(stderr, "\n    policy_test.c:%d: want %u error(s), one \"%s...%s\"; got %u:\n%s", line, n, where,
			phrase, diag.errors, diag.text);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(diag.errors, n);
	CU_ASSERT_EQUAL(diag.shown, n < BLD_POLICY_DIAG_MAX ? n : BLD_POLICY_DIAG_MAX);
	CU_ASSERT_EQUAL(diag_lines(), diag.shown);
	CU_ASSERT_TRUE(found);
	bld_policy_free(p);
}

/* The policy must load. */
#define EXPECT_LOADS(text) expect_loads(__LINE__, text)
static struct bld_policy *expect_loads(int line, const char *text)
{
	struct bld_policy *p = parse(text);
	if (!p)
		fprintf(stderr, "\n    policy_test.c:%d: want a policy; got %u error(s):\n%s", line, diag.errors, diag.text);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT_EQUAL(diag.errors, 0);
	return p;
}

/*
 * What a diagnostic line says, written as the line reads: "t.yaml:L:C: words"
 * is a line that starts with "t.yaml:L:C: " and holds the words after it;
 * "..." stands for text left out ("t.yaml:6:...protocol any has no").
 * Returns where the line starts (in buf) and sets *words.
 */
static const char *split_says(const char *says, char *buf, size_t len, const char **words)
{
	const char *dots = strstr(says, "...");
	const char *end = dots ? dots : strstr(says, ": ");
	if (!end)
		abort(); /* a bug in the test */
	end += dots ? 0 : 2;
	snprintf(buf, len, "%.*s", (int)(end - says), says);
	*words = dots ? dots + 3 : end;
	return buf;
}

/* A line of diag.text says `says` (see split_says()). */
static bool diag_says(const char *says)
{
	char where[64];
	const char *words;
	split_says(says, where, sizeof(where), &words);
	bool ok = diag_has(where, words);
	if (!ok)
		fprintf(stderr, "\n    want a line \"%s\" in:\n%s", says, diag.text);
	return ok;
}

/*
 * A loader case: a policy that fails with `errors` errors, one of them
 * saying `says` (see split_says()), or (errors 0) that loads.  Rows are
 * written as the policy, then what the loader must say of it.
 */
struct load_case {
	int line;
	const char *yaml;
	unsigned errors;
	const char *says;
};
#define ERR(yaml, says) { __LINE__, yaml, 1, says }
#define ERRS(n, yaml, says) { __LINE__, yaml, n, says }
#define LOADS(yaml) { __LINE__, yaml, 0, NULL }
/* The same for HEAD RULE with one operations entry, at line 11 (OPS below). */
#define ERR_OP(entry, says) ERR(OPS(entry), says)
#define LOADS_OP(entry) LOADS(OPS(entry))

static void expect_case(const struct load_case *c)
{
	if (!c->errors) {
		bld_policy_free(expect_loads(c->line, c->yaml));
		return;
	}
	char where[64];
	const char *words;
	split_says(c->says, where, sizeof(where), &words);
	expect_error(c->line, c->yaml, c->errors, where, words);
}

#define EXPECT_CASES(cases) expect_cases(cases, BLD_TEST_COUNT(cases))
static void expect_cases(const struct load_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_case(&c[i]);
}

/* One case: the policy must fail with n errors, one of them saying `says`. */
#define EXPECT_ERROR(n, yaml, says) expect_case(&(const struct load_case)ERRS(n, yaml, says))

/* Lines 1-5 of most loader tests; a rule follows at line 6. */
#define HEAD                                                                                                     \
	"bollard: policy/1\n"                    /* 1 */                                                         \
	"hosts:\n"                               /* 2 */                                                         \
	"  scada: 10.0.0.10\n"                   /* 3 */                                                         \
	"  plc: 10.0.1.20\n"                     /* 4 */                                                         \
	"rules:\n"                               /* 5 */
/* Lines 6-9: rule r1, block style; its node is at 6:5, keys that follow start at column 5 (what follows: line 10). */
#define RULE                                                                                                     \
	"  - id: r1\n"                           /* 6 */                                                         \
	"    from: scada\n"                      /* 7 */                                                         \
	"    to: plc\n"                          /* 8 */                                                         \
	"    protocol: modbus\n"                 /* 9 */
/* HEAD + RULE + an operations list whose first entry is at line 11, column 9. */
#define OPS(entry) HEAD RULE "    operations:\n" /* 10 */ "      - " entry "\n" /* 11 */
/* HEAD RULE with line 4, the host plc, written as `host4` (plc's value is at column 8). */
#define HOST4(host4) "bollard: policy/1\nhosts:\n  scada: 10.0.0.10\n" host4 "rules:\n" RULE
/* A rules section of one rule that allows everything. */
#define ANY_RULE                                                                                                 \
	"rules:\n"                                                                                               \
	"  - {id: r1, from: any, to: any, protocol: any}\n"

static void test_load_yaml_syntax(void)
{
	static const struct load_case cases[] = {
		/* libyaml's own words, at libyaml's place */
		ERR("bollard: policy/1\n"
		    "hosts: [a, b\n"
		    "rules: []\n",
		    "t.yaml:3:6: did not find expected ',' or ']'"),
		/* nothing at all */
		ERR("",
		    "t.yaml:1:1: the file is empty"),
		/* YAML, but no mapping */
		ERR("- a\n- b\n",
		    "t.yaml:1:1: a policy is a mapping"),
	};
	EXPECT_CASES(cases);
}

static void test_load_version(void)
{
	static const struct load_case cases[] = {
		/* the format key must come first */
		ERR("hosts:\n"
		    "  scada: 10.0.0.10\n"
		    "rules:\n"
		    "  - {id: r1, from: scada, to: any, protocol: any}\n",
		    "t.yaml:1:1: the first key must be 'bollard: policy/1'"),
		/* a format this Bollard does not read, said at the value */
		ERR("bollard: policy/2\n" ANY_RULE,
		    "t.yaml:1:10: unsupported format 'policy/2' (this Bollard reads policy/1)"),
		/* a value that is no format at all */
		ERR("bollard: [policy/1]\n" ANY_RULE,
		    "t.yaml:1:10: unsupported format 'a list'"),
	};
	EXPECT_CASES(cases);
}

static void test_load_unknown_top_key(void)
{
	EXPECT_ERROR(1, HEAD RULE "host:\n" /* 10 */ "  x: 10.0.0.1\n",
		     "t.yaml:10:1: unknown key 'host' in the policy (expected one of: bollard, site, hosts, groups, "
		     "zones, defaults, protocols, rules)");
}

static void test_load_unknown_rule_key(void)
{
	static const struct load_case cases[] = {
		/* a rule's key, with the keys it could have meant */
		ERR(HEAD RULE "    port: 502\n",
		    "t.yaml:10:5: unknown key 'port' in a rule (expected one of: id,"),
		/* a key inside when: */
		ERR(HEAD RULE "    when: {day: mon}\n",
		    "t.yaml:10:12: unknown key 'day' in when"),
	};
	EXPECT_CASES(cases);
}

static void test_load_bad_host(void)
{
	static const struct load_case cases[] = {
		/* an address that is none */
		ERR(HOST4("  plc: 10.0.1.300\n"),
		    "t.yaml:4:8: host 'plc': '10.0.1.300' is not an IPv4 or IPv6 address"),
		/* a MAC alone does not make a host */
		ERR(HOST4("  plc: {mac: \"00:11:22:33:44:55\"}\n"),
		    "t.yaml:4:8: host 'plc' needs an ip"),
		/* a host mapping's keys are ip and mac */
		ERR(HOST4("  plc: {ip: 10.0.1.20, color: red}\n"),
		    "t.yaml:4:24: unknown key 'color' in a host"),
	};
	EXPECT_CASES(cases);
}

static void test_load_bad_mac(void)
{
	static const struct load_case cases[] = {
		/* five bytes; the place is the mac's value, column 29 */
		ERR(HOST4("  plc: {ip: 10.0.1.20, mac: \"00:11:22:33:44\"}\n"),
		    "t.yaml:4:29: host 'plc': '00:11:22:33:44' is not a MAC address (aa:bb:cc:dd:ee:ff)"),
		/* a digit that is not hex */
		ERR(HOST4("  plc: {ip: 10.0.1.20, mac: \"00:11:22:33:44:5g\"}\n"),
		    "t.yaml:4:29: ...'00:11:22:33:44:5g' is not a MAC address"),
		/* both separators are accepted */
		LOADS("bollard: policy/1\n"
		      "hosts:\n"
		      "  scada: {ip: 10.0.0.10, mac: \"00-11-22-33-44-56\"}\n"
		      "  plc: {ip: 10.0.1.20, mac: \"00:11:22:33:44:55\"}\n"
		      "rules:\n" RULE),
	};
	EXPECT_CASES(cases);
}

static void test_load_duplicate_names(void)
{
	static const struct load_case cases[] = {
		/* a group named like a host */
		ERR(HEAD RULE "groups:\n  plc: [scada]\n",
		    "t.yaml:11:3: 'plc' is already a host name"),
		/* a zone named like a host */
		ERR(HEAD RULE "zones:\n  scada: [10.0.0.0/16]\n",
		    "t.yaml:11:3: 'scada' is already a host name"),
		/* a group named like a zone */
		ERR(HEAD RULE "zones:\n"
			      "  site: [10.0.0.0/16]\n" /* 11 */
			      "groups:\n"               /* 12 */
			      "  site: [scada]\n",      /* 13 */
		    "t.yaml:13:3: 'site' is already a zone name"),
	};
	EXPECT_CASES(cases);
}

static void test_load_invalid_names(void)
{
	static const struct load_case cases[] = {
		/* a host name with a space */
		ERR("bollard: policy/1\n"
		    "hosts:\n"
		    "  scada: 10.0.0.10\n"
		    "  plc: 10.0.1.20\n"
		    "  bad name: 10.0.1.21\n" /* 5 */
		    "rules:\n"
		    "  - {id: r1, from: scada, to: plc, protocol: modbus}\n",
		    "t.yaml:5:3: 'bad name' is not a valid host name"),
		/* a reserved word as a group name */
		ERR(HEAD RULE "groups:\n  any: [scada]\n",
		    "t.yaml:11:3: 'any' is not a valid group name"),
		/* a rule id with a space is no id */
		ERR(HEAD "  - {id: \"r 1\", from: scada, to: plc, protocol: modbus}\n",
		    "t.yaml:6:10: a rule needs an id"),
	};
	EXPECT_CASES(cases);
}

static void test_load_group_members(void)
{
	static const struct load_case cases[] = {
		/* a member no one declared */
		ERR(HEAD RULE "groups:\n  g: [scada, nope]\n",
		    "t.yaml:11:14: unknown host or group 'nope'"),
		/* a literal that is no address */
		ERR(HEAD RULE "groups:\n  g: [scada, 10.0.0.300]\n",
		    "t.yaml:11:14: '10.0.0.300' is not a valid address or CIDR"),
		/* zones are not group members */
		ERR(HEAD RULE "zones:\n"
			      "  site: [10.0.0.0/16]\n" /* 11 */
			      "groups:\n"               /* 12 */
			      "  g: [site]\n",          /* 13 */
		    "t.yaml:13:7: 'site' is a zone: a group lists hosts, groups and addresses"),
		/* a group is a list */
		ERR(HEAD RULE "groups:\n  g: scada\n",
		    "t.yaml:11:6: group 'g' must be a list"),
	};
	EXPECT_CASES(cases);
}

static void test_load_group_cycle(void)
{
	static const struct load_case cases[] = {
		/* a group in itself */
		ERR(HEAD RULE "groups:\n  a: [scada, a]\n",
		    "t.yaml:11:14: group 'a' contains itself"),
		/* nesting without a cycle is fine */
		LOADS(HEAD RULE "groups:\n"
				"  a: [scada, b]\n"
				"  b: [plc, c]\n"
				"  c: [10.0.3.0/24]\n"),
	};
	EXPECT_CASES(cases);
	/* a contains b contains a: a cycle all the same (how many errors is the loader's business) */
	struct bld_policy *p = parse(HEAD RULE "groups:\n"         /* 10 */
					       "  a: [scada, b]\n" /* 11 */
					       "  b: [plc, a]\n"); /* 12 */
	if (p || !strstr(diag.text, "contains itself"))
		fprintf(stderr, "\n    a group cycle through two groups: want an error, got %u:\n%s", diag.errors,
			diag.text);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_TRUE(diag.errors >= 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(diag.text, "contains itself"));
	bld_policy_free(p);
}

/* Parse in a child process: true when it ran to the end (a crash must not take the other tests with it). */
static bool parses_without_crashing(const char *text)
{
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		struct bld_policy *p = parse(text);
		bld_policy_free(p);
		_exit(0);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_load_group_not_a_list(void)
{
	/* a group that is not a list, named by another group: an error, not a crash (found by fuzz_policy) */
	static const char text[] = HEAD RULE "groups:\n" /* 10 */
					     "  a: scada\n" /* 11 */
					     "  b: [a]\n";  /* 12 */
	bool survived = parses_without_crashing(text);
	if (!survived)
		fprintf(stderr, "\n    the loader crashed on a group that is not a list, named by another group");
	CU_ASSERT_TRUE_FATAL(survived);
	EXPECT_ERROR(1, text, "t.yaml:11:6: group 'a' must be a list");
}

static void test_load_bad_cidr(void)
{
	static const struct load_case cases[] = {
		/* host bits set */
		ERR(HEAD "  - {id: r1, from: 10.0.0.1/16, to: plc, protocol: modbus}\n",
		    "t.yaml:6:20: from: '10.0.0.1/16' is not a valid address or CIDR (host bits set?)"),
		/* a prefix longer than the address */
		ERR(HEAD "  - {id: r1, from: scada, to: 10.0.0.0/33, protocol: modbus}\n",
		    "t.yaml:6:31: to: '10.0.0.0/33' is not a valid address or CIDR"),
		/* the same in a zone */
		ERR(HEAD RULE "zones:\n  site: [10.0.0.0/33]\n",
		    "t.yaml:11:10: zone 'site': '10.0.0.0/33' is not an address or CIDR"),
		/* host bits set in IPv6 */
		ERR(HEAD RULE "zones:\n  lab: [\"2001:db8::1/32\"]\n",
		    "t.yaml:11:9: zone 'lab': '2001:db8::1/32' is not an address or CIDR"),
	};
	EXPECT_CASES(cases);
}

static void test_load_unknown_peer(void)
{
	static const struct load_case cases[] = {
		/* a name no one declared, as to: */
		ERR(HEAD "  - {id: r1, from: scada, to: plcx, protocol: modbus}\n",
		    "t.yaml:6:31: to: unknown host, group or zone 'plcx'"),
		/* ... in a list of from: */
		ERR(HEAD "  - {id: r1, from: [scada, hmi], to: plc, protocol: modbus}\n",
		    "t.yaml:6:28: from: unknown host, group or zone 'hmi'"),
		/* a mapping is no peer */
		ERR(HEAD "  - {id: r1, from: {a: b}, to: plc, protocol: modbus}\n",
		    "t.yaml:6:20: from: expected a host, group, zone, address or any"),
	};
	EXPECT_CASES(cases);
}

static void test_load_missing_rule_keys(void)
{
	static const struct load_case cases[] = {
		/* each of the four, said at the rule's node */
		ERR(HEAD "  - {from: scada, to: plc, protocol: modbus}\n",
		    "t.yaml:6:5: a rule needs an id"),
		ERR(HEAD "  - {id: r1, to: plc, protocol: modbus}\n",
		    "t.yaml:6:5: rule 'r1' needs from"),
		ERR(HEAD "  - {id: r1, from: scada, protocol: modbus}\n",
		    "t.yaml:6:5: rule 'r1' needs to"),
		ERR(HEAD "  - {id: r1, from: scada, to: plc}\n",
		    "t.yaml:6:5: rule 'r1' needs a protocol (a name such as modbus, or any)"),
		/* all four at once: four errors */
		ERRS(4, HEAD "  - {description: nothing else}\n",
		     "t.yaml:6:5: rule '?' needs a protocol"),
		/* a rule is a mapping */
		ERR(HEAD "  - just a rule\n",
		    "t.yaml:6:5: a rule must be a mapping, not a value"),
	};
	EXPECT_CASES(cases);
}

static void test_load_duplicate_rule_id(void)
{
	EXPECT_ERROR(1, HEAD RULE "  - id: r1\n" /* 10 */
				  "    from: plc\n"
				  "    to: scada\n"
				  "    protocol: modbus\n",
		     "t.yaml:10:9: duplicate rule id 'r1' (first at line 6)");
}

static bool reject_foo(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "foo") != 0;
}

static void test_load_protocols(void)
{
	static const struct load_case cases[] = {
		/* protocol names are lower case */
		ERR(HEAD "  - {id: r1, from: scada, to: plc, protocol: Modbus}\n",
		    "t.yaml:6:46: unknown protocol 'Modbus'"),
		/* one protocol, not a list */
		ERR(HEAD "  - {id: r1, from: scada, to: plc, protocol: [modbus]}\n",
		    "t.yaml:6:46: rule 'r1' needs a protocol"),
		/* nDPI names in lower case are accepted by default; the caller may know better (below) */
		LOADS(HEAD "  - {id: r1, from: scada, to: plc, protocol: foo}\n"),
	};
	EXPECT_CASES(cases);
	const char *text = cases[2].yaml;
	memset(&diag, 0, sizeof(diag));
	diag.known_app = reject_foo;
	struct bld_policy *p = bld_policy_parse("t.yaml", text, strlen(text), &diag);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(diag.errors, 1);
	CU_ASSERT_TRUE(diag_says("t.yaml:6:46: unknown protocol 'foo'"));
	CU_ASSERT_PTR_EQUAL(diag.known_app, reject_foo); /* the caller's input survives parsing */
	bld_policy_free(p);
	/* the protocols: section names Bollard's protocols only */
	EXPECT_ERROR(1, HEAD RULE "protocols:\n" /* 10 */ "  foo: {}\n" /* 11 */,
		     "t.yaml:11:3: protocols: 'foo' is not a protocol Bollard decodes");
}

static void test_load_operations_without_fields(void)
{
	static const struct load_case cases[] = {
		/* a protocol whose operations Bollard does not decode */
		ERR(HEAD "  - id: r1\n"
			 "    from: scada\n"
			 "    to: plc\n"
			 "    protocol: dns\n"         /* 9 */
			 "    operations:\n"           /* 10 */
			 "      - {function: 3}\n",    /* 11 */
		    "t.yaml:11:7: rule 'r1': protocol dns has no operation fields Bollard decodes; remove operations"),
		/* ... an L2 one */
		ERR(HEAD "  - {id: r1, from: scada, to: any, protocol: lldp, operations: [{function: 3}]}\n",
		    "t.yaml:6:...protocol lldp has no operation fields"),
		/* ... any protocol at all */
		ERR(HEAD "  - {id: r1, from: scada, to: any, protocol: any, operations: [{function: 3}]}\n",
		    "t.yaml:6:...protocol any has no operation fields"),
		/* operations is a list */
		ERR(HEAD RULE "    operations: {function: 3}\n",
		    "t.yaml:10:17: operations must be a list, not a mapping"),
	};
	EXPECT_CASES(cases);
}

static void test_load_unknown_field(void)
{
	static const struct load_case cases[] = {
		/* a field the protocol lacks, with the fields it has */
		ERR_OP("{function: 3, register: 7}",
		       "t.yaml:11:23: 'register' is not a field of modbus (fields: function, unit, address, value, "
		       "sub_function, umas_function; and dir, when, timing, rate)"),
		/* a bad value of a key every protocol has */
		ERR_OP("{function: 3, dir: sideways}",
		       "t.yaml:11:28: dir must be request, response or any"),
	};
	EXPECT_CASES(cases);
}

static void test_load_unknown_name(void)
{
	static const struct load_case cases[] = {
		/* a function name Modbus does not have, with some it has */
		ERR_OP("{function: read_everything}",
		       "t.yaml:11:20: function: unknown name 'read_everything' (a number, a range like 0-99, or a name "
		       "such as read_coils, read_discrete_inputs,"),
		/* a field without names */
		ERR_OP("{unit: one}",
		       "t.yaml:11:16: unit: 'one' is not a number or a range like 0-99"),
		/* names and numbers mix, names in ranges too */
		LOADS_OP("{function: [read_coils-read_holding_registers, 16, write_single_register]}"),
	};
	EXPECT_CASES(cases);
}

static void test_load_above_max(void)
{
	static const struct load_case cases[] = {
		/* each field's own maximum */
		ERR_OP("{function: 200}",
		       "t.yaml:11:20: function: 200 is out of range (at most 127)"),
		ERR_OP("{unit: 256}",
		       "t.yaml:11:16: unit: 256 is out of range (at most 255)"),
		/* the end of a range */
		ERR_OP("{address: 0-65536}",
		       "t.yaml:11:19: address: 0-65536 is out of range (at most 65535)"),
		/* beyond 64 bits: not a number at all */
		ERR_OP("{unit: 99999999999999999999999}",
		       "t.yaml:11:16: ...is not a number"),
	};
	EXPECT_CASES(cases);
}

static void test_load_inverted_range(void)
{
	EXPECT_ERROR(1, OPS("{address: 99-10}"),
		     "t.yaml:11:19: address: inverted range 99-10 (the first number must not be larger)");
}

static void test_load_overlapping_ranges(void)
{
	static const struct load_case cases[] = {
		ERR_OP("{address: [0-10, 5-20]}",
		       "t.yaml:11:19: address: overlapping values 0-10 and 5-20"),
		/* a name is its number: 3 twice */
		ERR_OP("{function: [3, read_holding_registers]}",
		       "t.yaml:11:20: function: overlapping values 3-3 and 3-3"),
		/* adjacent is not overlapping */
		LOADS_OP("{address: [10-19, 0-9]}"),
	};
	EXPECT_CASES(cases);
}

static void test_load_bad_value_range(void)
{
	static const struct load_case cases[] = {
		ERR_OP("{function: 6, value: abc}",
		       "t.yaml:11:30: value: 'abc' is not a value or a range (0-200, -50..50, 0.5..1.5)"),
		ERR_OP("{function: 6, value: 100-0}",
		       "t.yaml:11:30: value: inverted range 100-0"),
		/* ranges of both spellings overlap */
		ERR_OP("{function: 6, value: [0-10, 5..20]}",
		       "t.yaml:11:30: value: overlapping ranges"),
		ERR_OP("{function: 6, value: {lo: 1}}",
		       "t.yaml:11:30: value: expected a value or a list of values"),
		/* true is 1, inside 0-200 */
		ERR_OP("{function: 6, value: [-50..-10, 0-200, true]}",
		       "t.yaml:11:30: value: overlapping ranges"),
		/* negatives, fractions, booleans and single values together */
		LOADS_OP("{function: 6, value: [-50..-10, 0.5..0.75, true, 1.5, 2-200]}"),
	};
	EXPECT_CASES(cases);
}

static void test_load_bad_ports(void)
{
	static const struct load_case cases[] = {
		ERR(HEAD RULE "    ports: [502, 70000]\n",
		    "t.yaml:10:18: ports: '70000' is not a port or a range of ports (502, 20000-20010)"),
		ERR(HEAD RULE "    ports: 600-500\n",
		    "t.yaml:10:12: ports: inverted range 600-500"),
		/* service names are not ports */
		ERR(HEAD RULE "    ports: [http]\n",
		    "t.yaml:10:13: ports: 'http' is not a port"),
		/* a range without its end */
		ERR(HEAD RULE "    ports: [20000-]\n",
		    "t.yaml:10:13: ports: '20000-' is not a port"),
		/* trailing garbage after a number is not a port either */
		ERR(HEAD RULE "    ports: [502x]\n",
		    "t.yaml:10:13: ports: '502x' is not a port"),
	};
	EXPECT_CASES(cases);
	/* 0x1f6 is 502 or an error, never port 0 */
	struct bld_policy *p = parse(HEAD RULE "    ports: [0x1f6]\n");
	if (p) {
		struct bld_policy_eval *e = bld_policy_eval_create(p, NULL, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		struct bld_policy_flow f = { .family = 4, .client_ip = { 10, 0, 0, 10 }, .server_ip = { 10, 0, 1, 20 },
					     .has_ports = true, .server_port = 0, .l4 = 6, .app = "modbus" };
		struct bld_policy_flow_state st = { 0 };
		bld_policy_eval_flow(e, &f, &st, MONDAY);
		if (!st.denied)
			fprintf(stderr, "\n    ports: [0x1f6] allows port 0");
		CU_ASSERT_TRUE(st.denied);
		bld_policy_eval_destroy(e);
		bld_policy_free(p);
	}
}

static void test_load_bad_timing(void)
{
	static const struct load_case cases[] = {
		ERR(HEAD RULE "    timing: {period: 1x}\n",
		    "t.yaml:10:22: period: '1x' is not a duration (e.g. 500ms, 2s, 1min)"),
		ERR(HEAD RULE "    timing: {period: 1s, tolerance: 1s}\n",
		    "t.yaml:10:37: tolerance must be shorter than the period"),
		ERR(HEAD RULE "    timing: {period: 1s, tolerance: 100ms, silence: 1s}\n",
		    "t.yaml:10:53: silence must be longer than period + tolerance"),
		/* the default tolerance is 10 % */
		ERR(HEAD RULE "    timing: {period: 1s, silence: 1100ms}\n",
		    "t.yaml:10:35: silence must be longer than period + tolerance"),
		ERR(HEAD RULE "    timing: {tolerance: 1s}\n",
		    "t.yaml:10:13: timing needs a period"),
		ERR(HEAD RULE "    timing: {period: 500us}\n",
		    "t.yaml:10:22: period 500us is shorter than 1ms"),
		ERR(HEAD RULE "    timing: {period: -1s}\n",
		    "t.yaml:10:22: period: '-1s' is not a duration"),
		ERR(HEAD RULE "    timing: 1s\n",
		    "t.yaml:10:13: timing must be a mapping, not a value"),
		/* durations in defaults too */
		ERR("bollard: policy/1\n"
		    "defaults:\n"
		    "  aggregate: soon\n" /* 3 */
		    ANY_RULE,
		    "t.yaml:3:14: aggregate: 'soon' is not a duration"),
		/* fractions and every unit */
		LOADS(HEAD RULE "    timing: {period: 1.5s, tolerance: 250ms, silence: 1min}\n"),
	};
	EXPECT_CASES(cases);
}

static void test_load_bad_rate(void)
{
	static const struct load_case cases[] = {
		/* per second, minute or hour only */
		ERR(HEAD RULE "    rate: 20/day\n",
		    "t.yaml:10:11: rate: '20/day' is not a rate like 20/s, 600/min or 1000/h"),
		ERR(HEAD RULE "    rate: 0/s\n",
		    "t.yaml:10:11: rate: '0/s' is not a rate"),
		ERR(HEAD RULE "    rate: 20/s/s\n",
		    "t.yaml:10:11: rate: '20/s/s' is not a rate"),
		/* an entry's rate */
		ERR_OP("{function: 3, rate: fast}",
		       "t.yaml:11:29: rate: 'fast' is not a rate"),
	};
	EXPECT_CASES(cases);
}

static void test_load_bad_when(void)
{
	static const struct load_case cases[] = {
		ERR(HEAD RULE "    when: {days: [mon, funday]}\n",
		    "t.yaml:10:24: days: 'funday' is not a day (mon .. sun) or a span of days (mon-fri)"),
		ERR(HEAD RULE "    when: {days: mon-xyz}\n",
		    "t.yaml:10:18: days: 'mon-xyz' is not a day"),
		/* three letters only */
		ERR(HEAD RULE "    when: {days: monday}\n",
		    "t.yaml:10:18: days: 'monday' is not a day"),
		ERR(HEAD RULE "    when: {hours: \"25:00-04:00\"}\n",
		    "t.yaml:10:19: hours: '25:00-04:00' is not a span of hours like \"22:00-04:00\" (UTC)"),
		ERR(HEAD RULE "    when: {hours: \"08:60-17:00\"}\n",
		    "t.yaml:10:19: ...is not a span of hours"),
		/* hours need minutes */
		ERR(HEAD RULE "    when: {hours: \"8-17\"}\n",
		    "t.yaml:10:19: ...is not a span of hours"),
		/* an entry's window */
		ERR_OP("{function: 6, when: {days: [sat], hours: 8}}",
		       "t.yaml:11:50: hours: '8' is not a span of hours"),
		/* spans across the week's end and midnight */
		LOADS(HEAD RULE "    when: {days: [fri-mon, wed], hours: \"22:00-04:00\"}\n"),
	};
	EXPECT_CASES(cases);
}

static void test_load_bad_severity_action(void)
{
	static const struct load_case cases[] = {
		ERR(HEAD RULE "    severity: urgent\n",
		    "t.yaml:10:15: severity must be info, low, medium, high or critical, not 'urgent'"),
		ERR(HEAD RULE "    action: block\n",
		    "t.yaml:10:13: action must be alert or drop, not 'block'"),
	};
	EXPECT_CASES(cases);
	/* in defaults: all three, each at its place */
	EXPECT_ERROR(3, "bollard: policy/1\n"
			"defaults:\n"
			"  flow: {severity: huge, action: drop}\n" /* 3 */
			"  operation: {action: maybe}\n"           /* 4 */
			"  color: red\n"                           /* 5 */
			ANY_RULE,
		     "t.yaml:3:20: severity must be info, low, medium, high or critical, not 'huge'");
	CU_ASSERT_TRUE(diag_says("t.yaml:4:23: action must be alert or drop, not 'maybe'"));
	CU_ASSERT_TRUE(diag_says("t.yaml:5:3: unknown key 'color' in defaults"));
}

static void test_load_unknown_event(void)
{
	EXPECT_ERROR(1, HEAD RULE "    expected_events: [modbus.exception, modbus.nope]\n" /* 10 */,
		     "t.yaml:10:41: expected_events: 'modbus.nope' is not a protocol event "
		     "(docs/protocols.md lists them)");
}

static void test_load_empty_rules(void)
{
	static const struct load_case cases[] = {
		/* no rules: key */
		ERR("bollard: policy/1\n"
		    "hosts:\n"
		    "  scada: 10.0.0.10\n",
		    "t.yaml:1:1: the policy has no rules (an empty allow-list would alert on everything)"),
		/* rules: with nothing */
		ERR("bollard: policy/1\nrules:\n",
		    "t.yaml:2:7: rules must be a list, not a value"),
		/* an empty list is no better than no list */
		ERR("bollard: policy/1\nrules: []\n",
		    "t.yaml:...the policy has no rules"),
	};
	EXPECT_CASES(cases);
}

/* A growing text, for policies of many rules. */
struct text {
	char *s;
	size_t len, cap;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if (t->len + (size_t)n + 1 > t->cap) {
		t->cap = 2 * (t->len + (size_t)n + 1);
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/* "bollard: policy/1\nrules:\n" and 150 rules, rule i as `fmt` prints i. */
static char *rules_150(const char *fmt)
{
	struct text t = { 0 };
	text_add(&t, "bollard: policy/1\nrules:\n");
	for (int i = 0; i < 150; i++)
		text_add(&t, fmt, i);
	return t.s;
}

static void test_load_many_errors(void)
{
	/* every problem at once, each on its own line */
	EXPECT_ERROR(8, "bollard: policy/1\n"
			"hosts:\n"
			"  scada: 10.0.0.300\n"                                       /* 3 */
			"  plc: {ip: 10.0.1.20, mac: nope}\n"                         /* 4 */
			"groups:\n"
			"  g: [scada, ghost]\n"                                       /* 6 */
			"rules:\n"
			"  - {id: r1, from: g, to: plc, protocol: modbus, rate: 1/y}\n" /* 8 */
			"  - {id: r1, from: g, to: plc, protocol: modbus, ports: [99999]}\n" /* 9 */
			"  - id: r3\n"                                                /* 10 */
			"    from: scada\n"
			"    to: plc\n"
			"    protocol: modbus\n"
			"    operations:\n"
			"      - {function: 300, address: 9-1}\n",                   /* 15 */
		     "t.yaml:3:10: ...'10.0.0.300' is not an IPv4 or IPv6 address");
	static const char *const also[] = {
		"t.yaml:4:29: ...'nope' is not a MAC address",
		"t.yaml:6:14: unknown host or group 'ghost'",
		"t.yaml:8:56: rate: '1/y' is not a rate",
		"t.yaml:9:10: duplicate rule id 'r1' (first at line 8)",
		"t.yaml:9:58: ports: '99999' is not a port",
		"t.yaml:15:20: function: 300 is out of range",
		"t.yaml:15:34: address: inverted range 9-1",
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(also); i++)
		CU_ASSERT_TRUE(diag_says(also[i]));

	/* more than the text shows: all counted, the first BLD_POLICY_DIAG_MAX shown */
	char *text = rules_150("  - {id: r%d, from: any, to: any, protocol: any, rate: x}\n");
	struct bld_policy *p = parse(text);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(diag.errors, 150);
	CU_ASSERT_EQUAL(diag.shown, BLD_POLICY_DIAG_MAX);
	CU_ASSERT_EQUAL(diag_lines(), BLD_POLICY_DIAG_MAX);
	CU_ASSERT_TRUE(diag_says("t.yaml:102:...rate: 'x' is not a rate"));
	CU_ASSERT_FALSE(diag_has("t.yaml:103:", "rate: 'x'"));
	bld_policy_free(p);
	free(text);

	/* long messages fill the text before BLD_POLICY_DIAG_MAX lines: shown still counts the lines in it */
	text = rules_150("  - {id: r%d, from: any, to: any, protocol: any, x: 1}\n");
	p = parse(text);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(diag.errors, 150);
	CU_ASSERT_TRUE(diag.len < sizeof(diag.text));
	CU_ASSERT_EQUAL(diag.len, strlen(diag.text));
	CU_ASSERT_EQUAL(diag.text[diag.len - 1], '\n'); /* no line cut short */
	if (diag_lines() != diag.shown)
		fprintf(stderr, "\n    diag.shown %u, but the text holds %u lines", diag.shown, diag_lines());
	CU_ASSERT_EQUAL(diag_lines(), diag.shown);
	bld_policy_free(p);
	free(text);
}

static const char EXAMPLE[] =
	"bollard: policy/1\n"
	"site: harbour-north\n"
	"hosts:\n"
	"  scada: 10.0.0.10\n"
	"  plc: {ip: 10.0.1.20, mac: \"00:11:22:33:44:55\"}\n"
	"groups:\n"
	"  masters: [scada, 10.0.2.0/24]\n"
	"zones:\n"
	"  site: [10.0.0.0/16]\n"
	"defaults:\n"
	"  flow: {severity: high}\n"
	"  aggregate: 60s\n"
	"rules:\n"
	"  - id: poll\n"
	"    from: masters\n"
	"    to: plc\n"
	"    protocol: modbus\n"
	"    ports: [502]\n"
	"    operations:\n"
	"      - function: [read_holding_registers, 4]\n"
	"        unit: 1\n"
	"        address: 0-99\n"
	"      - function: write_single_register\n"
	"        address: 10-20\n"
	"        value: 0-100\n"
	"        when: {days: [mon-fri], hours: \"08:00-17:00\"}\n"
	"    timing: {period: 1s, tolerance: 100ms, silence: 5s}\n"
	"    rate: 20/s\n"
	"    expected_events: [modbus.exception]\n"
	"  - {id: dns, from: site, to: any, protocol: dns, ports: [53]}\n";

static void test_load_valid(void)
{
	struct bld_policy *p = EXPECT_LOADS(EXAMPLE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(diag.len, 0);
	struct bld_policy_info info;
	bld_policy_info(p, &info);
	CU_ASSERT_STRING_EQUAL(info.site ? info.site : "", "harbour-north");
	CU_ASSERT_EQUAL(info.hosts, 2);
	CU_ASSERT_EQUAL(info.groups, 1);
	CU_ASSERT_EQUAL(info.zones, 1);
	CU_ASSERT_EQUAL(info.rules, 2);
	CU_ASSERT_EQUAL(info.operations, 2);
	CU_ASSERT_STRING_EQUAL(bld_policy_rule_id(p, 0), "poll");
	CU_ASSERT_STRING_EQUAL(bld_policy_rule_id(p, 1), "dns");
	CU_ASSERT_PTR_NULL(bld_policy_rule_id(p, 2));
	uint8_t ip[16];
	inet_pton(AF_INET, "10.0.1.20", ip);
	CU_ASSERT_STRING_EQUAL(bld_policy_host_name(p, 4, ip) ? bld_policy_host_name(p, 4, ip) : "", "plc");
	inet_pton(AF_INET, "10.0.2.20", ip);
	CU_ASSERT_PTR_NULL(bld_policy_host_name(p, 4, ip));
	bld_policy_free(p);

	/* the same from a file; a missing file is one error naming it */
	char path[] = "/tmp/bld_policy_XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(EXAMPLE, f);
	fclose(f);
	memset(&diag, 0, sizeof(diag));
	p = bld_policy_load(path, &diag);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT_EQUAL(diag.errors, 0);
	bld_policy_free(p);
	remove(path);
	p = bld_policy_load("/nonexistent/site.yaml", &diag);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(diag.errors, 1);
	CU_ASSERT_STRING_EQUAL(diag.text, "/nonexistent/site.yaml: No such file or directory\n");
}

/* ---- alerts ---- */

struct got {
	enum bld_alert_kind kind;
	uint16_t protocol_event;
	enum bld_severity severity;
	enum bld_action action;
	char rule[64];
	char reason[256];
	char detail[256];
	char client[64], server[64];
	bool has_op, to_server;
	uint64_t count, first_ns, last_ns, flow_id;
};

#define GOT_MAX 4096
static struct got got[GOT_MAX];
static unsigned n_got;

static void on_alert(void *ctx, const struct bld_alert *a)
{
	(void)ctx;
	CU_ASSERT_FATAL(n_got < GOT_MAX);
	struct got *g = &got[n_got++];
	memset(g, 0, sizeof(*g));
	g->kind = a->kind;
	g->protocol_event = a->protocol_event;
	g->severity = a->severity;
	g->action = a->action;
	snprintf(g->rule, sizeof(g->rule), "%s", a->rule ? a->rule : "");
	snprintf(g->reason, sizeof(g->reason), "%s", a->reason ? a->reason : "");
	snprintf(g->detail, sizeof(g->detail), "%s", a->detail ? a->detail : "");
	snprintf(g->client, sizeof(g->client), "%s", a->client_host ? a->client_host : "");
	snprintf(g->server, sizeof(g->server), "%s", a->server_host ? a->server_host : "");
	g->has_op = a->op != NULL;
	g->to_server = a->to_server;
	g->count = a->count;
	g->first_ns = a->first_ns;
	g->last_ns = a->last_ns;
	g->flow_id = a->flow ? a->flow->flow_id : 0;
}

/* Alert lines of one kind since `since`. */
static unsigned count_kind(enum bld_alert_kind kind, unsigned since)
{
	unsigned n = 0;
	for (unsigned i = since; i < n_got; i++)
		n += got[i].kind == kind;
	return n;
}

static void dump_got(const char *why, unsigned since)
{
	fprintf(stderr, "\n    %s; alerts:\n", why);
	for (unsigned i = since; i < n_got; i++)
		fprintf(stderr, "      %s rule=%s count=%llu reason=\"%s\" detail=\"%s\"\n", bld_alert_kind_names[got[i].kind],
			got[i].rule, (unsigned long long)got[i].count, got[i].reason, got[i].detail);
}

static struct bld_policy *pol;
static struct bld_policy_eval *ev;

/* Load the policy and open an evaluator on it (or end the test). */
#define EV_SETUP(text) ev_setup(__LINE__, text)
static void ev_setup(int line, const char *text)
{
	n_got = 0;
	pol = expect_loads(line, text);
	ev = pol ? bld_policy_eval_create(pol, on_alert, NULL) : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
}

static void ev_teardown(void)
{
	bld_policy_eval_destroy(ev);
	bld_policy_free(pol);
	ev = NULL;
	pol = NULL;
}

static struct bld_policy_flow mkflow(const char *client, const char *server, uint16_t port, const char *app)
{
	static uint64_t next_id = 1;
	struct bld_policy_flow f = { .flow_id = next_id++, .client_port = 40000, .server_port = port,
				     .has_ports = true, .l4 = 6, .app = app };
	int af = strchr(client, ':') ? AF_INET6 : AF_INET;
	f.family = af == AF_INET6 ? 6 : 4;
	CU_ASSERT_FATAL(inet_pton(af, client, f.client_ip) == 1);
	CU_ASSERT_FATAL(inet_pton(af, server, f.server_ip) == 1);
	return f;
}

/* A flow with the state the engine keeps for it. */
struct tflow {
	struct bld_policy_flow f;
	struct bld_policy_flow_state st;
};

static struct tflow tflow(const char *client, const char *server, uint16_t port, const char *app)
{
	return (struct tflow){ .f = mkflow(client, server, port, app) };
}

/* Judge flow t afresh at ts: true when allowed. */
static bool judge_flow(struct tflow *t, uint64_t ts)
{
	memset(&t->st, 0, sizeof(t->st));
	bld_policy_eval_flow(ev, &t->f, &t->st, ts);
	return !t->st.denied;
}

/* Judge a new flow: true when allowed. */
static bool allowed(const char *client, const char *server, uint16_t port, const char *app)
{
	struct bld_policy_flow f = mkflow(client, server, port, app);
	struct bld_policy_flow_state st = { 0 };
	bld_policy_eval_flow(ev, &f, &st, MONDAY + 10 * HOUR);
	CU_ASSERT_NOT_EQUAL(st.set, 0);
	return !st.denied;
}

/* A new flow, "client -> server port app", and whether the policy allows it. */
struct verdict {
	int line;
	const char *flow;
	bool allow;
};
#define ALLOW(flow) { __LINE__, flow, true }
#define DENY(flow) { __LINE__, flow, false }

#define EXPECT_VERDICTS(cases) expect_verdicts(cases, BLD_TEST_COUNT(cases))
static void expect_verdicts(const struct verdict *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char client[64], server[64], app[32];
		unsigned short port;
		if (sscanf(v[i].flow, "%63s -> %63s %hu %31s", client, server, &port, app) != 4)
			abort(); /* a bug in the test */
		bool ok = allowed(client, server, port, app) == v[i].allow;
		if (!ok)
			fprintf(stderr, "\n    policy_test.c:%d: %s: want it %s", v[i].line, v[i].flow,
				v[i].allow ? "allowed" : "denied");
		CU_ASSERT_TRUE(ok);
	}
}

/* ---- operations ---- */

static struct bld_op op;

static struct bld_op *op_begin(const struct bld_dissector *dsc, uint64_t ts, enum bld_op_dir dir)
{
	struct bld_parse_ctx pc = { .dsc = dsc, .ts_ns = ts, .to_server = dir == BLD_OP_REQUEST, .op = &op };
	return bld_op_begin(&pc, dir);
}

/* The end of an op built by hand: close what is open (no sink: emitting is the engine's business). */
static const struct bld_op *op_done(void)
{
	while (op.depth)
		bld_op_end(&op);
	return &op;
}

#define NONE (-1)

/* A Modbus op as the dissector shows it; NONE leaves a field out. */
static const struct bld_op *modbus(uint64_t ts, enum bld_op_dir dir, long unit, long fn, long addr, long qty, long value)
{
	struct bld_op *o = op_begin(&bld_dsc_modbus, ts, dir);
	bld_op_uint(o, "transaction", 1);
	if (unit != NONE)
		bld_op_uint(o, "unit", (uint64_t)unit);
	if (fn != NONE)
		bld_op_uint(o, "function", (uint64_t)fn);
	if (addr != NONE)
		bld_op_uint(o, "address", (uint64_t)addr);
	if (qty != NONE)
		bld_op_uint(o, "quantity", (uint64_t)qty);
	if (value != NONE)
		bld_op_uint(o, "value", (uint64_t)value);
	return op_done();
}

/*
 * An op from its description in the words of bld_op_format, fields in the
 * order given: "function=6 values=[5 101] items=[{db=1 area=0x84}]
 * embedded={service=0x10}": name=value, name=[...] a list, name={...} an
 * object, and in a list values or {...} without names.  A number (decimal
 * or 0x) is a uint, any other word a text; a word ends at a space, ']' or '}'.
 */
static const struct bld_op *op_of(const struct bld_dissector *dsc, uint64_t ts, enum bld_op_dir dir, const char *s)
{
	static char names[32][32]; /* an op keeps pointers to its names */
	unsigned n_names = 0;
	struct bld_op *o = op_begin(dsc, ts, dir);
	while (*s) {
		if (*s == ' ' || *s == ']' || *s == '}') {
			if (*s != ' ')
				bld_op_end(o);
			s++;
			continue;
		}
		const char *name = NULL;
		size_t len = strcspn(s, "= []{}");
		if (s[len] == '=') {
			if (n_names == BLD_TEST_COUNT(names) || len >= sizeof(names[0]))
				abort(); /* a bug in the test */
			name = memcpy(names[n_names], s, len);
			names[n_names++][len] = 0;
			s += len + 1;
		}
		if (*s == '[' || *s == '{') {
			if (*s++ == '[')
				bld_op_list(o, name);
			else
				bld_op_object(o, name);
			continue;
		}
		char word[128], *end;
		len = strcspn(s, " ]}");
		if (len == 0 || len >= sizeof(word))
			abort(); /* a bug in the test */
		memcpy(word, s, len);
		word[len] = 0;
		s += len;
		unsigned long long v = strtoull(word, &end, 0);
		if (isdigit((unsigned char)word[0]) && !*end)
			bld_op_uint(o, name, v);
		else
			bld_op_cstr(o, name, word);
	}
	return op_done();
}

/* A Modbus op as the dissector shows it: transaction 1, then `fields` as op_of() reads them. */
static const struct bld_op *mb(uint64_t ts, enum bld_op_dir dir, const char *fields)
{
	char spec[256];
	snprintf(spec, sizeof(spec), "transaction=1 %s", fields);
	return op_of(&bld_dsc_modbus, ts, dir, spec);
}

/* Judge one op on a flow; returns the alert lines it raised (their kinds: got[n_got - k ...]). */
static unsigned judge(struct tflow *t, const struct bld_op *o)
{
	unsigned before = n_got;
	bld_policy_eval_op(ev, &t->f, &t->st, o);
	return n_got - before;
}

/* The op must raise exactly one alert of this kind (or none for BLD_ALERT_KIND_MAX). */
#define EXPECT_OP(t, o, kind) expect_op(__LINE__, t, o, kind)
static const struct got *expect_op(int line, struct tflow *t, const struct bld_op *o, enum bld_alert_kind kind)
{
	unsigned before = n_got;
	unsigned k = judge(t, o);
	bool ok = kind == BLD_ALERT_KIND_MAX ? k == 0 : k == 1 && got[before].kind == kind;
	if (!ok) {
		char buf[256], why[400];
		bld_op_format(o, buf, sizeof(buf));
		snprintf(why, sizeof(why), "policy_test.c:%d: op \"%s\": want %s", line, buf,
			 kind == BLD_ALERT_KIND_MAX ? "no alert" : bld_alert_kind_names[kind]);
		dump_got(why, before);
	}
	CU_ASSERT_TRUE(ok);
	return k ? &got[before] : NULL;
}

#define ALLOWED BLD_ALERT_KIND_MAX
#define NOT_ALLOWED BLD_ALERT_OP_NOT_ALLOWED
#define OUT_OF_RANGE BLD_ALERT_VALUE_OUT_OF_RANGE
/* NOT_ALLOWED, and the reason names the time window (Modbus tables only) */
#define OUTSIDE_WINDOW (BLD_ALERT_KIND_MAX + 1)

/* The alert's reason holds both fragments (the wording around them may change). */
static bool reason_says(const struct got *g, const char *a, const char *b)
{
	bool ok = strstr(g->reason, a) && strstr(g->reason, b);
	if (!ok)
		fprintf(stderr, "\n    reason \"%s\": want \"%s\" and \"%s\"", g->reason, a, b);
	return ok;
}

/* Op alert g (when there is one) names `rule`, says both fragments, shows `detail`, with this severity and action. */
static void expect_op_alert(const struct got *g, const char *rule, const char *says1, const char *says2,
			    const char *detail, enum bld_severity severity, enum bld_action action)
{
	if (!g)
		return;
	CU_ASSERT_STRING_EQUAL(g->rule, rule);
	CU_ASSERT_TRUE(reason_says(g, says1, says2));
	CU_ASSERT_STRING_EQUAL(g->detail, detail);
	CU_ASSERT_EQUAL(g->severity, severity);
	CU_ASSERT_EQUAL(g->action, action);
}

/* A Modbus op (fields as mb() reads them) at ts, MONDAY unless given, and what it must raise (ALLOWED: nothing). */
struct mb_case {
	int line;
	uint64_t ts;
	enum bld_op_dir dir;
	const char *fields;
	int want;
};
#define REQ(fields, want) { __LINE__, MONDAY, BLD_OP_REQUEST, fields, want }
#define RSP(fields, want) { __LINE__, MONDAY, BLD_OP_RESPONSE, fields, want }
#define REQ_AT(ts, fields, want) { __LINE__, ts, BLD_OP_REQUEST, fields, want }

#define EXPECT_MODBUS(t, cases) expect_modbus(t, cases, BLD_TEST_COUNT(cases))
static void expect_modbus(struct tflow *t, const struct mb_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool window = c[i].want == OUTSIDE_WINDOW;
		enum bld_alert_kind kind = window ? NOT_ALLOWED : (enum bld_alert_kind)c[i].want;
		const struct got *g = expect_op(c[i].line, t, mb(c[i].ts, c[i].dir, c[i].fields), kind);
		if (window && g) {
			CU_ASSERT_TRUE(reason_says(g, "modbus request", "outside the"));
			CU_ASSERT_TRUE(reason_says(g, "time window", ""));
		}
	}
}

/* ---- compiler: address classes and the rule index ---- */

static const char COMPILE[] =
	"bollard: policy/1\n"
	"hosts:\n"
	"  scada: 10.0.0.10\n"
	"  plc: {ip: 10.0.1.20, mac: \"00:11:22:33:44:55\"}\n"
	"  hist: 10.0.0.30\n"
	"  v6plc: \"2001:db8::20\"\n"
	"groups:\n"
	"  masters: [scada, 10.0.2.0/24]\n"
	"zones:\n"
	"  site: [10.0.0.0/16]\n"
	"  lab: [\"2001:db8:1::/48\"]\n"
	"rules:\n"
	"  - {id: poll, from: masters, to: plc, protocol: modbus, ports: [502, 20000-20010]}\n"
	"  - {id: hist, from: site, to: hist, protocol: any}\n"
	"  - {id: v6, from: lab, to: v6plc, protocol: modbus}\n"
	"  - {id: v6lit, from: \"2001:db8:2::/64\", to: \"2001:db8::30\", protocol: opcua}\n"
	"  - {id: lit, from: 10.0.5.0/24, to: 10.0.6.7, protocol: dnp3}\n"
	"  - {id: anyone, from: any, to: 10.0.7.7, protocol: any}\n"
	"  - {id: dns, from: site, to: any, protocol: dns, ports: [53]}\n"
	"  - {id: both, from: scada, to: plc, protocol: iec104, direction: both}\n"
	"  - {id: tls, from: scada, to: any, protocol: tls}\n"
	"  - {id: goose, from: plc, to: any, protocol: goose}\n";

static void test_compile_addresses(void)
{
	static const struct verdict cases[] = {
		/* a host, a group's host member, a group's CIDR */
		ALLOW("10.0.0.10 -> 10.0.1.20 502 modbus"),
		ALLOW("10.0.2.5 -> 10.0.1.20 502 modbus"),
		ALLOW("10.0.2.255 -> 10.0.1.20 502 modbus"),
		DENY("10.0.3.5 -> 10.0.1.20 502 modbus"),
		DENY("10.0.0.11 -> 10.0.1.20 502 modbus"),
		DENY("10.0.0.10 -> 10.0.1.21 502 modbus"),
		/* protocol and direction */
		DENY("10.0.0.10 -> 10.0.1.20 502 dnp3"),
		DENY("10.0.1.20 -> 10.0.0.10 502 modbus"),
		/* a zone */
		ALLOW("10.0.9.9 -> 10.0.0.30 80 http"),
		ALLOW("10.0.255.1 -> 10.0.0.30 80 http"),
		DENY("10.1.0.1 -> 10.0.0.30 80 http"),
		DENY("9.255.255.255 -> 10.0.0.30 80 http"),
		/* literal CIDRs and addresses */
		ALLOW("10.0.5.1 -> 10.0.6.7 20000 dnp3"),
		ALLOW("10.0.5.254 -> 10.0.6.7 20000 dnp3"),
		DENY("10.0.4.1 -> 10.0.6.7 20000 dnp3"),
		DENY("10.0.5.1 -> 10.0.6.8 20000 dnp3"),
		/* any */
		ALLOW("192.168.1.1 -> 10.0.7.7 1234 whatever"),
		ALLOW("10.0.0.10 -> 10.0.7.7 1 modbus"),
		DENY("10.0.7.7 -> 192.168.1.1 1234 whatever"),
		/* to any, with a port */
		ALLOW("10.0.4.4 -> 8.8.8.8 53 dns"),
		DENY("10.0.4.4 -> 8.8.8.8 5353 dns"),
		DENY("8.8.8.8 -> 10.0.4.4 53 dns"),
	};
	EV_SETUP(COMPILE);
	EXPECT_VERDICTS(cases);
	ev_teardown();
}

static void test_compile_ipv6(void)
{
	static const struct verdict cases[] = {
		/* a zone and a host */
		ALLOW("2001:db8:1::5 -> 2001:db8::20 502 modbus"),
		ALLOW("2001:db8:1:ffff:ffff:ffff:ffff:ffff -> 2001:db8::20 502 modbus"),
		DENY("2001:db8:2::5 -> 2001:db8::20 502 modbus"),
		DENY("2001:db8:1::5 -> 2001:db8::21 502 modbus"),
		/* literals */
		ALLOW("2001:db8:2::abcd -> 2001:db8::30 4840 opcua"),
		DENY("2001:db8:2:1::abcd -> 2001:db8::30 4840 opcua"),
		/* an IPv6 address whose low 32 bits are an allowed IPv4 address is not that address */
		DENY("::a00:a -> ::a00:114 502 modbus"),
		DENY("0:0:0:ffff::a00:a -> 0:0:0:ffff::a00:114 502 modbus"),
		/* model.h: IPv4 lives in ::ffff:0:0/96 (RFC 4291 2.5.5.2), so an IPv4-mapped address is that IPv4 address */
		ALLOW("::ffff:10.0.0.10 -> ::ffff:10.0.1.20 502 modbus"),
	};
	EV_SETUP(COMPILE);
	EXPECT_VERDICTS(cases);
	uint8_t ip[16];
	inet_pton(AF_INET6, "2001:db8::20", ip);
	const char *name = bld_policy_host_name(pol, 6, ip);
	CU_ASSERT_STRING_EQUAL(name ? name : "", "v6plc");
	ev_teardown();
}

static void test_compile_both_ports_tls(void)
{
	static const struct verdict both_and_ports[] = {
		/* direction: both */
		ALLOW("10.0.0.10 -> 10.0.1.20 2404 iec104"),
		ALLOW("10.0.1.20 -> 10.0.0.10 2404 iec104"),
		DENY("10.0.1.20 -> 10.0.0.11 2404 iec104"),
		/* port ranges */
		ALLOW("10.0.0.10 -> 10.0.1.20 20000 modbus"),
		ALLOW("10.0.0.10 -> 10.0.1.20 20005 modbus"),
		ALLOW("10.0.0.10 -> 10.0.1.20 20010 modbus"),
		DENY("10.0.0.10 -> 10.0.1.20 19999 modbus"),
		DENY("10.0.0.10 -> 10.0.1.20 20011 modbus"),
		DENY("10.0.0.10 -> 10.0.1.20 503 modbus"),
	};
	static const struct verdict tls[] = {
		/* tls matches its nDPI sub-protocols */
		ALLOW("10.0.0.10 -> 1.2.3.4 443 tls"),
		ALLOW("10.0.0.10 -> 1.2.3.4 443 tls.google"),
		DENY("10.0.0.10 -> 1.2.3.4 443 tlsx"),
		DENY("10.0.0.10 -> 1.2.3.4 443 http.google"),
		DENY("10.0.0.11 -> 1.2.3.4 443 tls.google"),
	};
	EV_SETUP(COMPILE);
	EXPECT_VERDICTS(both_and_ports);
	struct tflow t = tflow("10.0.0.10", "10.0.1.20", 502, "modbus");
	t.f.has_ports = false;
	CU_ASSERT_FALSE(judge_flow(&t, MONDAY)); /* a rule with ports needs a port */
	EXPECT_VERDICTS(tls);
	ev_teardown();
}

static void test_compile_l2(void)
{
	EV_SETUP(COMPILE);
	struct tflow t = { .f = { .flow_id = 99, .family = 0, .app = "goose",
				  .client_mac = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 },
				  .server_mac = { 0x01, 0x0c, 0xcd, 0x01, 0x00, 0x01 } } };
	CU_ASSERT_TRUE(judge_flow(&t, MONDAY));
	CU_ASSERT_EQUAL(n_got, 0);
	t.f.client_mac[5] = 0x56; /* not the plc */
	CU_ASSERT_FALSE(judge_flow(&t, MONDAY));
	CU_ASSERT_EQUAL_FATAL(n_got, 1); /* no asset.new for L2 */
	CU_ASSERT_EQUAL(got[0].kind, BLD_ALERT_FLOW_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(got[0].reason, "no rule allows 00:11:22:33:44:56 -> 01:0c:cd:01:00:01 goose");
	t.f.client_mac[5] = 0x55;
	t.f.app = "lldp";
	CU_ASSERT_FALSE(judge_flow(&t, MONDAY));
	CU_ASSERT_EQUAL_FATAL(n_got, 2);
	CU_ASSERT_STRING_EQUAL(got[1].client, "plc");
	CU_ASSERT_STRING_EQUAL(got[1].reason, "no rule allows plc (00:11:22:33:44:55) -> 01:0c:cd:01:00:01 lldp");
	ev_teardown();
}

static void test_compile_10000_rules(void)
{
	struct text t = { 0 };
	text_add(&t, "bollard: policy/1\nrules:\n");
	for (int i = 0; i < 10000; i++)
		text_add(&t, "  - {id: r%d, from: 10.%d.%d.1, to: 10.%d.%d.2, protocol: modbus, ports: [502]}\n", i,
			 1 + i / 256, i % 256, 100 + i / 256, i % 256);
	EV_SETUP(t.s);
	free(t.s);
	struct bld_policy_info info;
	bld_policy_info(pol, &info);
	CU_ASSERT_EQUAL(info.rules, 10000);
	CU_ASSERT_STRING_EQUAL(bld_policy_rule_id(pol, 7777), "r7777");
	static const struct verdict cases[] = {
		/* 7777 = 30 * 256 + 97 */
		ALLOW("10.31.97.1 -> 10.130.97.2 502 modbus"),
		DENY("10.31.97.1 -> 10.130.98.2 502 modbus"), /* rule 7777's client, 7778's server */
		DENY("10.130.97.2 -> 10.31.97.1 502 modbus"), /* the wrong way round */
		DENY("10.31.97.1 -> 10.130.97.2 503 modbus"),
		ALLOW("10.1.0.1 -> 10.100.0.2 502 modbus"),    /* the first rule */
		ALLOW("10.40.15.1 -> 10.139.15.2 502 modbus"), /* the last: 9999 = 39 * 256 + 15 */
	};
	EXPECT_VERDICTS(cases);
	const uint64_t *hits = bld_policy_eval_rule_hits(ev);
	CU_ASSERT_EQUAL(hits[7777], 1);
	CU_ASSERT_EQUAL(hits[7778], 0);
	CU_ASSERT_EQUAL(hits[0], 1);
	CU_ASSERT_EQUAL(hits[9999], 1);
	ev_teardown();
}

static void test_compile_shared_literal(void)
{
	/* 100 rules write the same client CIDR: every one of them still allows its flow */
	struct text t = { 0 };
	text_add(&t, "bollard: policy/1\nrules:\n");
	for (int i = 0; i < 100; i++)
		text_add(&t, "  - {id: r%d, from: 10.9.0.0/16, to: 10.8.0.%d, protocol: modbus}\n", i, i + 1);
	EV_SETUP(t.s);
	free(t.s);
	unsigned denied = 0;
	for (int i = 0; i < 100; i++) {
		char server[32];
		snprintf(server, sizeof(server), "10.8.0.%d", i + 1);
		denied += !allowed("10.9.0.1", server, 502, "modbus");
	}
	if (denied)
		fprintf(stderr, "\n    %u of 100 flows that rules sharing one CIDR allow were denied", denied);
	CU_ASSERT_EQUAL(denied, 0);
	ev_teardown();
}

/* ---- evaluator ---- */

static const char EVAL[] =
	"bollard: policy/1\n"
	"hosts:\n"
	"  scada: 10.0.0.10\n"
	"  plc: 10.0.1.20\n"
	"  plc2: 10.0.1.21\n"
	"groups:\n"
	"  masters: [10.0.2.0/24]\n"
	"zones:\n"
	"  site: [10.0.0.0/16]\n"
	"defaults:\n"
	"  flow: {severity: critical, action: drop}\n"
	"  aggregate: 0\n"
	"rules:\n"
	"  - id: poll\n"
	"    from: [scada, masters]\n"
	"    to: plc\n"
	"    protocol: modbus\n"
	"    operations:\n"
	"      - {function: [read_holding_registers, 4], unit: 1, address: [0-9, 10-19, 100-199]}\n"
	"      - {function: write_single_register, address: 10-20, value: 0-100}\n"
	"  - id: drop\n"
	"    from: scada\n"
	"    to: plc2\n"
	"    protocol: modbus\n"
	"    severity: low\n"
	"    action: drop\n"
	"    operations:\n"
	"      - {function: 3}\n";

static void test_eval_flow_not_allowed(void)
{
	EV_SETUP(EVAL);
	struct tflow t = tflow("10.0.0.10", "10.0.9.9", 502, "modbus");
	bld_policy_eval_flow(ev, &t.f, &t.st, MONDAY);
	CU_ASSERT_TRUE(t.st.denied);
	CU_ASSERT_TRUE(t.st.drop);
	CU_ASSERT_EQUAL_FATAL(n_got, 2);
	CU_ASSERT_EQUAL(got[0].kind, BLD_ALERT_ASSET_NEW);
	CU_ASSERT_EQUAL(got[1].kind, BLD_ALERT_FLOW_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(got[1].reason, "no rule allows scada (10.0.0.10) -> 10.0.9.9 modbus on tcp/502");
	CU_ASSERT_STRING_EQUAL(got[1].rule, "");
	CU_ASSERT_EQUAL(got[1].severity, BLD_SEV_CRITICAL);
	CU_ASSERT_EQUAL(got[1].action, BLD_ACTION_DROP);
	CU_ASSERT_STRING_EQUAL(got[1].client, "scada");
	CU_ASSERT_STRING_EQUAL(got[1].server, "");
	CU_ASSERT_EQUAL(got[1].count, 1);
	CU_ASSERT_EQUAL(got[1].first_ns, MONDAY);
	/* judged once: a second call for the same flow state says nothing */
	bld_policy_eval_flow(ev, &t.f, &t.st, MONDAY + NS);
	CU_ASSERT_EQUAL(n_got, 2);
	/* an op of a denied flow: reported once per kind of request, without a rule */
	const struct got *g =
		EXPECT_OP(&t, mb(MONDAY + NS, BLD_OP_REQUEST, "unit=1 function=16 address=0 quantity=1"), NOT_ALLOWED);
	expect_op_alert(g, "", "modbus request", "on a flow no rule allows", "function=16 unit=1 address=0",
			BLD_SEV_CRITICAL, BLD_ACTION_DROP);
	n_got--; /* forget it: the counts below are about flows */
	/* a response on a denied flow is not reported */
	EXPECT_OP(&t, mb(MONDAY + NS, BLD_OP_RESPONSE, "unit=1 function=16 address=0 quantity=1"), ALLOWED);
	/* udp, no port */
	struct tflow u = tflow("10.0.1.20", "10.0.0.10", 161, "snmp");
	u.f.l4 = 17;
	judge_flow(&u, MONDAY);
	CU_ASSERT_EQUAL_FATAL(n_got, 3);
	CU_ASSERT_STRING_EQUAL(got[2].reason, "no rule allows plc (10.0.1.20) -> scada (10.0.0.10) snmp on udp/161");
	u.f.has_ports = false;
	u.f.app = NULL;
	judge_flow(&u, MONDAY);
	CU_ASSERT_EQUAL_FATAL(n_got, 4);
	CU_ASSERT_STRING_EQUAL(got[3].reason, "no rule allows plc (10.0.1.20) -> scada (10.0.0.10) unknown");
	struct bld_policy_eval_stats s;
	bld_policy_eval_stats(ev, &s);
	CU_ASSERT_EQUAL(s.flows, 3);
	CU_ASSERT_EQUAL(s.alerts[BLD_ALERT_FLOW_NOT_ALLOWED], 3);
	CU_ASSERT_EQUAL(s.reported, 5); /* and the op on the denied flow */
	ev_teardown();
}

static void test_eval_reload(void)
{
	/* a flow judged by one evaluator is judged again by the next (a reloaded policy) */
	struct bld_policy *p[2] = {
		EXPECT_LOADS("bollard: policy/1\n"
			     "hosts: {scada: 10.0.0.10, plc: 10.0.1.20, plc2: 10.0.1.21}\n"
			     "rules: [{id: a, from: scada, to: plc, protocol: modbus}]\n"),
		EXPECT_LOADS("bollard: policy/1\n"
			     "hosts: {scada: 10.0.0.10, plc: 10.0.1.20, plc2: 10.0.1.21}\n"
			     "rules: [{id: b, from: scada, to: plc2, protocol: modbus}]\n"),
	};
	struct bld_policy_eval *e[2];
	n_got = 0;
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
		e[i] = bld_policy_eval_create(p[i], on_alert, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e[i]);
	}
	struct tflow t = tflow("10.0.0.10", "10.0.1.21", 502, "modbus");
	bld_policy_eval_flow(e[0], &t.f, &t.st, MONDAY);
	CU_ASSERT_TRUE(t.st.denied);
	CU_ASSERT_EQUAL(n_got, 1);
	bld_policy_eval_flow(e[1], &t.f, &t.st, MONDAY + NS);
	CU_ASSERT_FALSE(t.st.denied);
	CU_ASSERT_EQUAL(n_got, 1);
	CU_ASSERT_EQUAL(bld_policy_eval_rule_hits(e[1])[0], 1);
	CU_ASSERT_EQUAL(bld_policy_eval_rule_hits(e[0])[0], 0);
	for (int i = 0; i < 2; i++) {
		bld_policy_eval_destroy(e[i]);
		bld_policy_free(p[i]);
	}
}

/* One host, scada, allowed to talk to anyone; `defaults` (a line or "") after the first. */
#define SCADA_TO_ANY(defaults)                                                                                   \
	"bollard: policy/1\n" defaults                                                                           \
	"hosts:\n"                                                                                               \
	"  scada: 10.0.0.10\n"                                                                                   \
	"rules:\n"                                                                                               \
	"  - {id: r1, from: scada, to: any, protocol: any}\n"

static void test_eval_asset_new(void)
{
	EV_SETUP(EVAL);
	CU_ASSERT_FALSE(allowed("10.0.0.10", "10.0.9.9", 502, "modbus"));
	CU_ASSERT_EQUAL(count_kind(BLD_ALERT_ASSET_NEW, 0), 1);
	CU_ASSERT_STRING_EQUAL(got[0].reason, "10.0.9.9 is not in the policy (first seen as server of scada (10.0.0.10))");
	CU_ASSERT_EQUAL(got[0].severity, BLD_SEV_MEDIUM);
	/* once per address */
	allowed("10.0.0.10", "10.0.9.9", 503, "modbus");
	allowed("10.0.9.9", "10.0.0.10", 80, "http");
	CU_ASSERT_EQUAL(count_kind(BLD_ALERT_ASSET_NEW, 0), 1);
	/* multicast and broadcast are not assets; the client of such a flow is */
	unsigned before = n_got;
	allowed("10.0.9.8", "224.0.0.251", 5353, "mdns");
	allowed("10.0.9.8", "10.0.255.255", 137, "netbios");
	allowed("10.0.9.8", "255.255.255.255", 67, "dhcp");
	CU_ASSERT_EQUAL(count_kind(BLD_ALERT_ASSET_NEW, before), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(got[before].reason, "10.0.9.8 is not in the policy (first seen as client of"));
	/* hosts and group members are known; outside every zone nothing is reported */
	before = n_got;
	allowed("10.0.2.7", "10.0.1.20", 502, "modbus");
	allowed("192.168.1.5", "10.0.0.10", 502, "modbus");
	allowed("10.0.1.21", "8.8.8.8", 53, "dns");
	CU_ASSERT_EQUAL(count_kind(BLD_ALERT_ASSET_NEW, before), 0);
	ev_teardown();

	/* without zones every address outside the policy is new */
	EV_SETUP(SCADA_TO_ANY(""));
	CU_ASSERT_TRUE(allowed("10.0.0.10", "192.168.1.5", 80, "http"));
	CU_ASSERT_EQUAL(count_kind(BLD_ALERT_ASSET_NEW, 0), 1);
	CU_ASSERT_STRING_EQUAL(got[0].reason, "192.168.1.5 is not in the policy (first seen as server of scada (10.0.0.10))");
	ev_teardown();

	/* asset: off */
	EV_SETUP(SCADA_TO_ANY("defaults: {asset: off}\n"));
	CU_ASSERT_TRUE(allowed("10.0.0.10", "192.168.1.5", 80, "http"));
	CU_ASSERT_EQUAL(n_got, 0);
	ev_teardown();
}

static void test_eval_ops(void)
{
	EV_SETUP(EVAL);
	struct tflow t = tflow("10.0.0.10", "10.0.1.20", 502, "modbus");
	static const struct mb_case reads[] = {
		REQ("unit=1 function=3 address=0 quantity=10", ALLOWED),    /* 0..9 */
		REQ("unit=1 function=3 address=10 quantity=10", ALLOWED),   /* 10..19 */
		REQ("unit=1 function=4 address=100 quantity=100", ALLOWED), /* 100..199 */
		REQ("unit=1 function=3 address=19 quantity=1", ALLOWED),
	};
	EXPECT_MODBUS(&t, reads);
	/* 5..14 crosses from one range into the next: not inside one range */
	const struct got *g =
		EXPECT_OP(&t, mb(MONDAY, BLD_OP_REQUEST, "unit=1 function=3 address=5 quantity=10"), NOT_ALLOWED);
	expect_op_alert(g, "poll", "modbus request", "not among the operations the rule allows",
			"function=3 unit=1 address=5", BLD_SEV_HIGH, BLD_ACTION_ALERT);
	if (g) {
		CU_ASSERT_TRUE(g->has_op);
		CU_ASSERT_TRUE(g->to_server);
		CU_ASSERT_STRING_EQUAL(g->client, "scada");
		CU_ASSERT_STRING_EQUAL(g->server, "plc");
	}
	static const struct mb_case others[] = {
		REQ("unit=1 function=4 address=100 quantity=101", NOT_ALLOWED), /* to 200 */
		REQ("unit=1 function=3 address=20 quantity=1", NOT_ALLOWED),
		REQ("unit=2 function=3 address=0 quantity=1", NOT_ALLOWED),     /* unit */
		REQ("function=3 address=0 quantity=1", NOT_ALLOWED),            /* no unit */
		REQ("unit=1 function=16 address=0 quantity=1", NOT_ALLOWED),    /* function */
		REQ("unit=1 function=3", NOT_ALLOWED),                          /* no address */
		/* a write: address and value */
		REQ("unit=7 function=6 address=15 value=50", ALLOWED),
		REQ("unit=7 function=6 address=20 value=100", ALLOWED),
		REQ("unit=7 function=6 address=15", ALLOWED), /* no value: passes */
		REQ("unit=7 function=6 address=30 value=50", NOT_ALLOWED),
		REQ("unit=7 function=6 address=30 value=150", NOT_ALLOWED),
	};
	EXPECT_MODBUS(&t, others);
	struct bld_policy_eval_stats s;
	bld_policy_eval_stats(ev, &s);
	CU_ASSERT_EQUAL(s.ops, 16);
	CU_ASSERT_EQUAL(s.alerts[BLD_ALERT_OP_NOT_ALLOWED], 9);
	CU_ASSERT_EQUAL(s.alerts[BLD_ALERT_VALUE_OUT_OF_RANGE], 0);
	/* an op that carries nothing a rule judges (no function, no address, no unit) is not judged */
	EXPECT_OP(&t, mb(MONDAY, BLD_OP_REQUEST, ""), ALLOWED);
	/* a group's CIDR member is as good as the host */
	struct tflow t2 = tflow("10.0.2.9", "10.0.1.20", 502, "modbus");
	static const struct mb_case member[] = {
		REQ("unit=1 function=3 address=0 quantity=10", ALLOWED),
		REQ("unit=1 function=5 address=0 value=1", NOT_ALLOWED),
	};
	EXPECT_MODBUS(&t2, member);
	/* severity and action of the rule; drop marks the flow */
	struct tflow t3 = tflow("10.0.0.10", "10.0.1.21", 502, "modbus");
	EXPECT_OP(&t3, mb(MONDAY, BLD_OP_REQUEST, "unit=1 function=3 address=0 quantity=10"), ALLOWED);
	CU_ASSERT_FALSE(t3.st.drop);
	g = EXPECT_OP(&t3, mb(MONDAY, BLD_OP_REQUEST, "unit=1 function=6 address=0 value=1"), NOT_ALLOWED);
	if (g) {
		CU_ASSERT_STRING_EQUAL(g->rule, "drop");
		CU_ASSERT_EQUAL(g->severity, BLD_SEV_LOW);
		CU_ASSERT_EQUAL(g->action, BLD_ACTION_DROP);
	}
	CU_ASSERT_TRUE(t3.st.drop);
	ev_teardown();
}

static void test_eval_value_out_of_range(void)
{
	EV_SETUP(EVAL);
	struct tflow t = tflow("10.0.0.10", "10.0.1.20", 502, "modbus");
	EXPECT_OP(&t, mb(MONDAY, BLD_OP_REQUEST, "unit=1 function=6 address=15 value=50"), ALLOWED);
	/* the operation is allowed, its value is not: value.out_of_range, not op.not_allowed */
	const struct got *g =
		EXPECT_OP(&t, mb(MONDAY, BLD_OP_REQUEST, "unit=1 function=6 address=15 value=150"), OUT_OF_RANGE);
	if (g) {
		CU_ASSERT_STRING_EQUAL(g->rule, "poll");
		CU_ASSERT_STRING_EQUAL(g->reason, "value 150 is outside the range the rule allows for this operation");
		CU_ASSERT_STRING_EQUAL(g->detail, "function=6 unit=1 address=15 value=150");
	}
	/* the values of a multiple write, one outside */
	EXPECT_OP(&t, op_of(&bld_dsc_modbus, MONDAY, BLD_OP_REQUEST, "unit=1 function=6 address=12 values=[5 101]"),
		  OUT_OF_RANGE);
	/* outside the address range it is an operation the rule does not allow, whatever the value */
	EXPECT_OP(&t, mb(MONDAY, BLD_OP_REQUEST, "unit=1 function=6 address=21 value=150"), NOT_ALLOWED);
	struct bld_policy_eval_stats s;
	bld_policy_eval_stats(ev, &s);
	CU_ASSERT_EQUAL(s.alerts[BLD_ALERT_VALUE_OUT_OF_RANGE], 2);
	CU_ASSERT_EQUAL(s.alerts[BLD_ALERT_OP_NOT_ALLOWED], 1);
	ev_teardown();
}

static void test_eval_no_operations(void)
{
	/* operations: [] allows the flow and none of its requests */
	EV_SETUP("bollard: policy/1\n"
	         "hosts: {scada: 10.0.0.10, plc: 10.0.1.20}\n"
	         "defaults: {aggregate: 0}\n"
	         "rules:\n"
	         "  - {id: none, from: scada, to: plc, protocol: modbus, operations: []}\n");
	struct tflow t = tflow("10.0.0.10", "10.0.1.20", 502, "modbus");
	CU_ASSERT_TRUE(judge_flow(&t, MONDAY));
	const struct got *g =
		EXPECT_OP(&t, mb(MONDAY, BLD_OP_REQUEST, "unit=1 function=3 address=0 quantity=1"), NOT_ALLOWED);
	if (g)
		CU_ASSERT_STRING_EQUAL(g->rule, "none");
	EXPECT_OP(&t, mb(MONDAY, BLD_OP_RESPONSE, "unit=1 function=3 address=0 quantity=1"), ALLOWED);
	ev_teardown();
}

static void test_eval_responses(void)
{
	EV_SETUP("bollard: policy/1\n"
	         "hosts: {scada: 10.0.0.10, plc: 10.0.1.20, plc2: 10.0.1.21}\n"
	         "defaults: {aggregate: 0}\n"
	         "rules:\n"
	         "  - {id: req, from: scada, to: plc, protocol: modbus, operations: [{function: 3}]}\n"
	         "  - id: resp\n"
	         "    from: scada\n"
	         "    to: plc2\n"
	         "    protocol: modbus\n"
	         "    operations:\n"
	         "      - {function: 3}\n"
	         "      - {function: [3, 4], dir: response}\n");
	struct tflow t = tflow("10.0.0.10", "10.0.1.20", 502, "modbus");
	static const struct mb_case requests_only[] = {
		/* responses are not judged by a rule whose entries are all requests */
		RSP("unit=1 function=16 address=0 quantity=1", ALLOWED),
		RSP("unit=1 function=3 address=0 quantity=1", ALLOWED),
		REQ("unit=1 function=16 address=0 quantity=1", NOT_ALLOWED),
	};
	EXPECT_MODBUS(&t, requests_only);
	/* ... and are, by one with a response entry */
	struct tflow t2 = tflow("10.0.0.10", "10.0.1.21", 502, "modbus");
	static const struct mb_case with_responses[] = {
		RSP("unit=1 function=3 address=0 quantity=1", ALLOWED),
		RSP("unit=1 function=4 address=0 quantity=1", ALLOWED),
	};
	EXPECT_MODBUS(&t2, with_responses);
	const struct got *g =
		EXPECT_OP(&t2, mb(MONDAY, BLD_OP_RESPONSE, "unit=1 function=16 address=0 quantity=1"), NOT_ALLOWED);
	if (g) {
		CU_ASSERT_TRUE(reason_says(g, "modbus response", "not among the operations the rule allows"));
		CU_ASSERT_FALSE(g->to_server);
	}
	EXPECT_OP(&t2, mb(MONDAY, BLD_OP_REQUEST, "unit=1 function=3 address=0 quantity=1"), ALLOWED);
	/* function 4 is allowed in responses only */
	EXPECT_OP(&t2, mb(MONDAY, BLD_OP_REQUEST, "unit=1 function=4 address=0 quantity=1"), NOT_ALLOWED);
	ev_teardown();
}

static void test_eval_when(void)
{
	EV_SETUP("bollard: policy/1\n"
	         "hosts: {scada: 10.0.0.10, plc: 10.0.1.20, plc2: 10.0.1.21, plc3: 10.0.1.22}\n"
	         "defaults: {aggregate: 0}\n"
	         "rules:\n"
	         "  - id: office\n"
	         "    from: scada\n"
	         "    to: plc\n"
	         "    protocol: modbus\n"
	         "    operations:\n"
	         "      - {function: 6, when: {days: [mon-fri], hours: \"08:00-17:00\"}}\n"
	         "      - {function: 3}\n"
	         "  - id: night\n"
	         "    from: scada\n"
	         "    to: plc2\n"
	         "    protocol: modbus\n"
	         "    operations:\n"
	         "      - {function: 6, when: {days: mon, hours: \"22:00-04:00\"}}\n"
	         "  - {id: weekend, from: scada, to: plc3, protocol: modbus, when: {days: [sat-sun]}}\n");
	static const char write[] = "unit=1 function=6 address=5 value=1"; /* write_single_register */
	/* Monday to Friday, 08:00-17:00 */
	struct tflow t = tflow("10.0.0.10", "10.0.1.20", 502, "modbus");
	static const struct mb_case office[] = {
		REQ_AT(MONDAY + 10 * HOUR, write, ALLOWED),
		REQ_AT(MONDAY + 8 * HOUR, write, ALLOWED),
		REQ_AT(MONDAY + 4 * DAY + 16 * HOUR + 59 * 60 * NS, write, ALLOWED),               /* Friday 16:59 */
		REQ_AT(MONDAY - DAY + 10 * HOUR, "unit=1 function=3 address=5 quantity=1", ALLOWED), /* no window */
		REQ_AT(MONDAY - DAY + 10 * HOUR, write, OUTSIDE_WINDOW),                             /* Sunday */
		REQ_AT(MONDAY + 17 * HOUR, write, OUTSIDE_WINDOW),
		REQ_AT(MONDAY + 5 * DAY + 10 * HOUR, write, NOT_ALLOWED),                            /* Saturday */
	};
	EXPECT_MODBUS(&t, office);
	/* 22:00-04:00 on Mondays: Monday night and the small hours of Tuesday */
	struct tflow t2 = tflow("10.0.0.10", "10.0.1.21", 502, "modbus");
	static const struct mb_case night[] = {
		REQ_AT(MONDAY + 23 * HOUR, write, ALLOWED),
		REQ_AT(MONDAY + 22 * HOUR, write, ALLOWED),
		REQ_AT(MONDAY + DAY + 2 * HOUR, write, ALLOWED),
		REQ_AT(MONDAY + 2 * HOUR, write, NOT_ALLOWED),
		REQ_AT(MONDAY + DAY + 4 * HOUR, write, NOT_ALLOWED),
		REQ_AT(MONDAY + DAY + 23 * HOUR, write, NOT_ALLOWED),
		REQ_AT(MONDAY + 12 * HOUR, write, NOT_ALLOWED),
	};
	EXPECT_MODBUS(&t2, night);
	/* a rule's window decides whether the flow is allowed at all */
	struct tflow t3 = tflow("10.0.0.10", "10.0.1.22", 502, "modbus");
	CU_ASSERT_FALSE(judge_flow(&t3, MONDAY + 10 * HOUR));
	CU_ASSERT_TRUE(judge_flow(&t3, MONDAY + 5 * DAY + 10 * HOUR));
	static const struct mb_case weekend[] = {
		REQ_AT(MONDAY + 6 * DAY + 23 * HOUR, "unit=1 function=16 address=5 quantity=1", ALLOWED),
		/* the flow outlives the weekend: its requests on Monday are outside the window */
		REQ_AT(MONDAY + 7 * DAY + HOUR, "unit=1 function=16 address=5 quantity=1", OUTSIDE_WINDOW),
	};
	EXPECT_MODBUS(&t3, weekend);
	ev_teardown();
}

static const char TIMED[] =
	"bollard: policy/1\n"
	"hosts: {scada: 10.0.0.10, plc: 10.0.1.20, plc2: 10.0.1.21}\n"
	"defaults: {aggregate: 0, timing: {severity: critical}}\n"
	"rules:\n"
	"  - id: cyclic\n"
	"    from: scada\n"
	"    to: plc\n"
	"    protocol: modbus\n"
	"    timing: {period: 1s, tolerance: 100ms, silence: 5s}\n"
	"  - id: rated\n"
	"    from: scada\n"
	"    to: plc2\n"
	"    protocol: modbus\n"
	"    rate: 5/s\n"
	"    operations:\n"
	"      - {function: 3}\n"
	"      - {function: 16, rate: 2/min}\n";

static void test_eval_timing(void)
{
	EV_SETUP(TIMED);
	struct tflow t = tflow("10.0.0.10", "10.0.1.20", 502, "modbus");
	static const uint64_t at_ms[] = { 0, 1000, 2050, 3000, 4500, 5300 };
	for (size_t i = 0; i < BLD_TEST_COUNT(at_ms); i++) {
		uint64_t ts = MONDAY + at_ms[i] * MS;
		bld_policy_eval_tick(ev, ts);
		judge(&t, modbus(ts, BLD_OP_REQUEST, 1, 3, 0, 10, NONE));
	}
	if (n_got != 2)
		dump_got("want two timing.deviation", 0);
	CU_ASSERT_EQUAL_FATAL(n_got, 2);
	CU_ASSERT_EQUAL(got[0].kind, BLD_ALERT_TIMING_DEVIATION);
	CU_ASSERT_STRING_EQUAL(got[0].reason, "interval 1.500 s, expected 1.000 s +/- 0.100 s");
	CU_ASSERT_STRING_EQUAL(got[0].rule, "cyclic");
	CU_ASSERT_EQUAL(got[0].severity, BLD_SEV_CRITICAL);
	CU_ASSERT_STRING_EQUAL(got[0].detail, "function=3 unit=1 address=0");
	CU_ASSERT_EQUAL(got[1].kind, BLD_ALERT_TIMING_DEVIATION);
	CU_ASSERT_STRING_EQUAL(got[1].reason, "interval 0.800 s, expected 1.000 s +/- 0.100 s");
	/* another request on the same flow is another cycle: its first occurrence is no deviation */
	judge(&t, modbus(MONDAY + 5400 * MS, BLD_OP_REQUEST, 1, 3, 50, 10, NONE));
	CU_ASSERT_EQUAL(n_got, 2);
	/* silence: more than 5 s after the last one, once */
	bld_policy_eval_tick(ev, MONDAY + 10000 * MS); /* 4.7 s */
	CU_ASSERT_EQUAL(n_got, 2);
	bld_policy_eval_tick(ev, MONDAY + 11000 * MS); /* 5.7 s (and 5.6 s for the other cycle) */
	CU_ASSERT_EQUAL(count_kind(BLD_ALERT_TIMING_SILENCE, 0), 2);
	CU_ASSERT_EQUAL_FATAL(n_got, 4);
	CU_ASSERT_STRING_EQUAL(got[2].reason, "nothing for 5.700 s (period 1.000 s, silence after 5.000 s)");
	CU_ASSERT_STRING_EQUAL(got[2].rule, "cyclic");
	for (uint64_t s = 12; s <= 29; s++)
		bld_policy_eval_tick(ev, MONDAY + s * NS);
	CU_ASSERT_EQUAL(n_got, 4);
	/* resumed: no deviation for the gap the silence reported, then cycles as before */
	judge(&t, modbus(MONDAY + 30 * NS, BLD_OP_REQUEST, 1, 3, 0, 10, NONE));
	bld_policy_eval_tick(ev, MONDAY + 30 * NS);
	judge(&t, modbus(MONDAY + 31 * NS, BLD_OP_REQUEST, 1, 3, 0, 10, NONE));
	bld_policy_eval_tick(ev, MONDAY + 31 * NS);
	CU_ASSERT_EQUAL(n_got, 4);
	bld_policy_eval_tick(ev, MONDAY + 36 * NS); /* 5.0 s: not yet */
	CU_ASSERT_EQUAL(n_got, 4);
	bld_policy_eval_tick(ev, MONDAY + 37 * NS);
	CU_ASSERT_EQUAL(count_kind(BLD_ALERT_TIMING_SILENCE, 4), 1);
	/* finish judges silences up to its time, not again */
	bld_policy_eval_finish(ev, MONDAY + 60 * NS);
	CU_ASSERT_EQUAL(count_kind(BLD_ALERT_TIMING_SILENCE, 0), 3);
	ev_teardown();
}

static void test_eval_rate(void)
{
	EV_SETUP(TIMED);
	struct tflow t = tflow("10.0.0.10", "10.0.1.21", 502, "modbus");
	for (int i = 0; i < 7; i++) /* 0.0 .. 0.6 s, different addresses: a rate counts them all */
		judge(&t, modbus(MONDAY + (uint64_t)i * 100 * MS, BLD_OP_REQUEST, 1, 3, (long)i, 1, NONE));
	CU_ASSERT_EQUAL_FATAL(n_got, 1);
	CU_ASSERT_EQUAL(got[0].kind, BLD_ALERT_RATE_EXCEEDED);
	CU_ASSERT_STRING_EQUAL(got[0].reason, "more than 5 operations in 1 s");
	CU_ASSERT_STRING_EQUAL(got[0].rule, "rated");
	CU_ASSERT_EQUAL(got[0].first_ns, MONDAY + 500 * MS);
	CU_ASSERT_EQUAL(got[0].severity, BLD_SEV_MEDIUM);
	/* the next second starts over */
	for (int i = 0; i < 5; i++)
		judge(&t, modbus(MONDAY + 1000 * MS + (uint64_t)i * 100 * MS, BLD_OP_REQUEST, 1, 3, 0, 1, NONE));
	CU_ASSERT_EQUAL(n_got, 1);
	judge(&t, modbus(MONDAY + 1500 * MS, BLD_OP_REQUEST, 1, 3, 0, 1, NONE));
	CU_ASSERT_EQUAL(count_kind(BLD_ALERT_RATE_EXCEEDED, 0), 2);
	/* an entry's rate: 2 writes a minute (they count against the rule's 5/s too) */
	unsigned before = n_got;
	judge(&t, modbus(MONDAY + 10 * NS, BLD_OP_REQUEST, 1, 16, 0, 1, NONE));
	judge(&t, modbus(MONDAY + 20 * NS, BLD_OP_REQUEST, 1, 16, 0, 1, NONE));
	CU_ASSERT_EQUAL(n_got, before);
	judge(&t, modbus(MONDAY + 30 * NS, BLD_OP_REQUEST, 1, 16, 0, 1, NONE));
	CU_ASSERT_EQUAL_FATAL(n_got, before + 1);
	CU_ASSERT_EQUAL(got[before].kind, BLD_ALERT_RATE_EXCEEDED);
	CU_ASSERT_STRING_EQUAL(got[before].reason, "more than 2 operations in 60 s");
	/* a response is no request to count */
	for (int i = 0; i < 10; i++)
		judge(&t, modbus(MONDAY + 40 * NS + (uint64_t)i * MS, BLD_OP_RESPONSE, 1, 3, 0, 1, NONE));
	CU_ASSERT_EQUAL(n_got, before + 1);
	ev_teardown();
}

#define AGG_POLICY(interval)                                                                                     \
	"bollard: policy/1\n"                                                                                    \
	"hosts: {scada: 10.0.0.10, plc: 10.0.1.20}\n"                                                            \
	"defaults: {aggregate: " interval "}\n"                                                                  \
	"rules:\n"                                                                                               \
	"  - {id: poll, from: scada, to: plc, protocol: modbus, operations: [{function: 3}]}\n"

/* n identical denied flows (plc -> scada modbus/502), one a second from `t` */
static void denied_flows(unsigned n, uint64_t t)
{
	for (unsigned i = 0; i < n; i++) {
		struct tflow d = tflow("10.0.1.20", "10.0.0.10", 502, "modbus");
		bld_policy_eval_tick(ev, t + i * NS);
		CU_ASSERT_FALSE(judge_flow(&d, t + i * NS));
	}
}

/* Aggregation over 60 s: the first alert at once, its repeats as one line when the interval ends. */
static void aggregate_interval(void)
{
	denied_flows(5, MONDAY);
	CU_ASSERT_EQUAL_FATAL(n_got, 1);
	CU_ASSERT_EQUAL(got[0].kind, BLD_ALERT_FLOW_NOT_ALLOWED);
	CU_ASSERT_EQUAL(got[0].count, 1);
	CU_ASSERT_EQUAL(got[0].first_ns, MONDAY);
	/* a different port is a different alert */
	struct tflow other = tflow("10.0.1.20", "10.0.0.10", 503, "modbus");
	bld_policy_eval_flow(ev, &other.f, &other.st, MONDAY + 5 * NS);
	CU_ASSERT_EQUAL(n_got, 2);
	bld_policy_eval_tick(ev, MONDAY + 30 * NS);
	CU_ASSERT_EQUAL(n_got, 2);
	/* the interval ends: the other four as one line */
	bld_policy_eval_tick(ev, MONDAY + 60 * NS);
	CU_ASSERT_EQUAL_FATAL(n_got, 3);
	CU_ASSERT_EQUAL(got[2].kind, BLD_ALERT_FLOW_NOT_ALLOWED);
	CU_ASSERT_EQUAL(got[2].count, 4);
	CU_ASSERT_EQUAL(got[2].first_ns, MONDAY + NS);
	CU_ASSERT_EQUAL(got[2].last_ns, MONDAY + 4 * NS);
	CU_ASSERT_STRING_EQUAL(got[2].reason, got[0].reason);
	/* nothing more pending: nothing more said */
	bld_policy_eval_tick(ev, MONDAY + 200 * NS);
	bld_policy_eval_finish(ev, MONDAY + 300 * NS);
	CU_ASSERT_EQUAL(n_got, 3);
	/* later, the same alert is news again */
	denied_flows(1, MONDAY + 400 * NS);
	CU_ASSERT_EQUAL_FATAL(n_got, 4);
	CU_ASSERT_EQUAL(got[3].count, 1);
	struct bld_policy_eval_stats s;
	bld_policy_eval_stats(ev, &s);
	CU_ASSERT_EQUAL(s.alerts[BLD_ALERT_FLOW_NOT_ALLOWED], 7);
	CU_ASSERT_EQUAL(s.reported, 4);
}

/* finish reports what is pending */
static void aggregate_finish(void)
{
	denied_flows(3, MONDAY);
	bld_policy_eval_finish(ev, MONDAY + 10 * NS);
	CU_ASSERT_EQUAL_FATAL(n_got, 2);
	CU_ASSERT_EQUAL(got[0].count, 1);
	CU_ASSERT_EQUAL(got[1].count, 2);
	CU_ASSERT_EQUAL(got[1].last_ns, MONDAY + 2 * NS);
}

/* identical op alerts aggregate too, distinct kinds of op do not */
static void aggregate_ops(void)
{
	struct tflow t = tflow("10.0.0.10", "10.0.1.20", 502, "modbus");
	for (int i = 0; i < 4; i++)
		judge(&t, modbus(MONDAY + (uint64_t)i * MS, BLD_OP_REQUEST, 1, 16, (long)i, 1, NONE));
	judge(&t, modbus(MONDAY + 5 * MS, BLD_OP_REQUEST, 1, 6, 0, NONE, 1));
	CU_ASSERT_EQUAL(n_got, 2);
	bld_policy_eval_tick(ev, MONDAY + 10 * NS);
	CU_ASSERT_EQUAL_FATAL(n_got, 3);
	CU_ASSERT_EQUAL(got[2].kind, BLD_ALERT_OP_NOT_ALLOWED);
	CU_ASSERT_EQUAL(got[2].count, 3);
	CU_ASSERT_FALSE(got[2].has_op); /* the op is the first occurrence's only */
}

/* aggregate: 0 reports each */
static void aggregate_none(void)
{
	denied_flows(5, MONDAY);
	bld_policy_eval_finish(ev, MONDAY + 100 * NS);
	CU_ASSERT_EQUAL(n_got, 5);
	for (unsigned i = 0; i < n_got; i++)
		CU_ASSERT_EQUAL(got[i].count, 1);
}

/*
 * 26 identical alerts, one a second, in 10 s intervals: the lines are the
 * same whether the evaluator is ticked before each (one engine) or never
 * until the end (a worker whose clock moved elsewhere): 1 at once, then 9,
 * 10, 6 - intervals follow on from the first, not from when a tick came.
 */
static void aggregate_lines(bool ticks)
{
	for (unsigned i = 0; i < 26; i++) {
		struct tflow d = tflow("10.0.1.20", "10.0.0.10", 502, "modbus");
		if (ticks)
			bld_policy_eval_tick(ev, MONDAY + i * NS);
		CU_ASSERT_FALSE(judge_flow(&d, MONDAY + i * NS));
	}
	bld_policy_eval_finish(ev, MONDAY + 30 * NS);
	static const uint64_t count[] = { 1, 9, 10, 6 }, first[] = { 0, 1, 10, 20 }, last[] = { 0, 9, 19, 25 };
	CU_ASSERT_EQUAL_FATAL(n_got, BLD_TEST_COUNT(count));
	for (unsigned i = 0; i < n_got; i++) {
		CU_ASSERT_EQUAL(got[i].count, count[i]);
		CU_ASSERT_EQUAL(got[i].first_ns, MONDAY + first[i] * NS);
		CU_ASSERT_EQUAL(got[i].last_ns, MONDAY + last[i] * NS);
	}
}

static void aggregate_ticked(void)
{
	aggregate_lines(true);
}

static void aggregate_unticked(void)
{
	aggregate_lines(false);
}

static void test_eval_aggregation(void)
{
	static const struct {
		const char *policy;
		void (*run)(void);
	} scenarios[] = {
		{ AGG_POLICY("60s"), aggregate_interval },
		{ AGG_POLICY("60s"), aggregate_finish },
		{ AGG_POLICY("10s"), aggregate_ops },
		{ AGG_POLICY("0"), aggregate_none },
		{ AGG_POLICY("10s"), aggregate_ticked },
		{ AGG_POLICY("10s"), aggregate_unticked },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(scenarios); i++) {
		EV_SETUP(scenarios[i].policy);
		scenarios[i].run();
		ev_teardown();
	}
}

static void test_eval_expected_events(void)
{
	EV_SETUP("bollard: policy/1\n"
	         "hosts: {scada: 10.0.0.10, plc: 10.0.1.20}\n"
	         "defaults: {aggregate: 0, protocol: {severity: medium}}\n"
	         "rules:\n"
	         "  - {id: poll, from: scada, to: plc, protocol: modbus, expected_events: [modbus.exception]}\n");
	struct tflow t = tflow("10.0.0.10", "10.0.1.20", 502, "modbus");
	bld_policy_eval_event(ev, &t.f, &t.st, BLD_EVENT_MODBUS_EXCEPTION, MONDAY, false);
	CU_ASSERT_EQUAL(n_got, 0);
	CU_ASSERT_FALSE(t.st.denied); /* judged on the way */
	bld_policy_eval_event(ev, &t.f, &t.st, BLD_EVENT_MODBUS_TRUNCATED, MONDAY, true);
	CU_ASSERT_EQUAL_FATAL(n_got, 1);
	CU_ASSERT_EQUAL(got[0].kind, BLD_ALERT_PROTOCOL);
	CU_ASSERT_EQUAL(got[0].protocol_event, BLD_EVENT_MODBUS_TRUNCATED);
	CU_ASSERT_EQUAL(got[0].severity, BLD_SEV_MEDIUM);
	CU_ASSERT_STRING_EQUAL(got[0].reason, bld_event_docs[BLD_EVENT_MODBUS_TRUNCATED]);
	CU_ASSERT_TRUE(got[0].to_server);
	/* the same event on a flow no rule allows is reported */
	struct tflow d = tflow("10.0.1.20", "10.0.0.10", 502, "modbus");
	bld_policy_eval_event(ev, &d.f, &d.st, BLD_EVENT_MODBUS_EXCEPTION, MONDAY, false);
	CU_ASSERT_TRUE(d.st.denied);
	CU_ASSERT_EQUAL_FATAL(n_got, 3);
	CU_ASSERT_EQUAL(got[1].kind, BLD_ALERT_FLOW_NOT_ALLOWED);
	CU_ASSERT_EQUAL(got[2].kind, BLD_ALERT_PROTOCOL);
	CU_ASSERT_EQUAL(got[2].protocol_event, BLD_EVENT_MODBUS_EXCEPTION);
	struct bld_policy_eval_stats s;
	bld_policy_eval_stats(ev, &s);
	CU_ASSERT_EQUAL(s.expected_events, 1);
	CU_ASSERT_EQUAL(s.alerts[BLD_ALERT_PROTOCOL], 2);
	ev_teardown();
}

static void test_eval_rule_hits(void)
{
	EV_SETUP("bollard: policy/1\n"
	         "hosts: {scada: 10.0.0.10, plc: 10.0.1.20, plc2: 10.0.1.21}\n"
	         "defaults: {aggregate: 0}\n"
	         "rules:\n"
	         "  - {id: poll, from: scada, to: plc, protocol: modbus, operations: [{function: 3}]}\n"
	         "  - {id: web, from: scada, to: plc, protocol: http}\n"
	         "  - {id: dead, from: scada, to: plc2, protocol: modbus}\n");
	struct tflow t = tflow("10.0.0.10", "10.0.1.20", 502, "modbus");
	bld_policy_eval_flow(ev, &t.f, &t.st, MONDAY);
	for (int i = 0; i < 3; i++)
		judge(&t, modbus(MONDAY, BLD_OP_REQUEST, 1, 3, 0, 1, NONE));
	judge(&t, modbus(MONDAY, BLD_OP_REQUEST, 1, 16, 0, 1, NONE));
	CU_ASSERT_EQUAL(n_got, 1);
	CU_ASSERT_TRUE(allowed("10.0.0.10", "10.0.1.20", 80, "http"));
	CU_ASSERT_FALSE(allowed("10.0.0.10", "10.0.1.20", 80, "ftp"));
	const uint64_t *hits = bld_policy_eval_rule_hits(ev);
	CU_ASSERT_EQUAL(hits[0], 4); /* the flow and three operations */
	CU_ASSERT_EQUAL(hits[1], 1);
	CU_ASSERT_EQUAL(hits[2], 0);
	ev_teardown();
}

/* Two rules allowing the same operations, one with more than 8 entries (indexed by function), one with 4. */
static const char INDEXED[] =
	"bollard: policy/1\n"
	"hosts: {scada: 10.0.0.10, big: 10.0.1.20, small: 10.0.1.21}\n"
	"defaults: {aggregate: 0}\n"
	"rules:\n"
	"  - id: big\n"
	"    from: scada\n"
	"    to: big\n"
	"    protocol: modbus\n"
	"    operations:\n"
	"      - {function: 1, address: 0-99}\n"
	"      - {function: 2, address: 0-99}\n"
	"      - {function: 3, address: 0-99}\n"
	"      - {function: 4, address: 0-99}\n"
	"      - {function: 5, address: 0-99}\n"
	"      - {function: 6, address: 0-99, value: 0-10}\n"
	"      - {function: 7, address: 0-99}\n"
	"      - {function: 8, address: 0-99}\n"
	"      - {function: 16, address: 100-110}\n"
	"      - {function: 20-24}\n"
	"      - {unit: 7}\n"
	"      - {function: 0-127, unit: 9, address: 5}\n"
	"  - id: small\n"
	"    from: scada\n"
	"    to: small\n"
	"    protocol: modbus\n"
	"    operations:\n"
	"      - {function: [1-5, 7-8], address: 0-99}\n"
	"      - {function: 6, address: 0-99, value: 0-10}\n"
	"      - {function: 16, address: 100-110}\n"
	"      - {function: 20-24}\n"
	"      - {unit: 7}\n"
	"      - {unit: 9, address: 5, function: 0-127}\n";

/* The kind of alert a request raises on flow t, -1 for none; forgets the alerts. */
static int verdict_of(struct tflow *t, long unit, long fn, const long addr[2], long value)
{
	unsigned before = n_got;
	judge(t, modbus(MONDAY, BLD_OP_REQUEST, unit, fn, addr[0], addr[1], value));
	int kind = n_got > before ? (int)got[n_got - 1].kind : -1;
	n_got = 0;
	return kind;
}

static void test_eval_entry_index(void)
{
	EV_SETUP(INDEXED);
	struct tflow big = tflow("10.0.0.10", "10.0.1.20", 502, "modbus");
	struct tflow small = tflow("10.0.0.10", "10.0.1.21", 502, "modbus");
	/* spot checks on the indexed rule */
	static const struct mb_case spot[] = {
		REQ("unit=1 function=3 address=50 quantity=10", ALLOWED),
		REQ("unit=1 function=3 address=150 quantity=1", NOT_ALLOWED),
		REQ("unit=1 function=16 address=105 quantity=6", ALLOWED),
		REQ("unit=1 function=16 address=50 quantity=1", NOT_ALLOWED),
		REQ("unit=1 function=22 address=9999", ALLOWED),
		REQ("unit=1 function=9 address=0 quantity=1", NOT_ALLOWED),
		REQ("unit=7 function=43", ALLOWED),   /* unbucketed entry */
		REQ("unit=7", ALLOWED), /* no function */
		REQ("unit=9 function=100 address=5 quantity=1", ALLOWED),        /* 0-127: unbucketed */
		REQ("unit=9 function=100 address=6 quantity=1", NOT_ALLOWED),
	};
	EXPECT_MODBUS(&big, spot);
	/* every function x address x unit x value: the same verdict from both rules */
	static const long addrs[][2] = { { 0, 1 }, { 50, 50 }, { 99, 1 }, { 99, 2 }, { 100, 11 }, { 105, 10 }, { 5, 1 },
					 { NONE, NONE } };
	static const long units[] = { 1, 7, 9, NONE };
	static const long values[] = { NONE, 5, 11 };
	unsigned mismatches = 0, allowed_n = 0, total = 0;
	for (long fn = NONE; fn < 128; fn++)
		for (size_t a = 0; a < BLD_TEST_COUNT(addrs); a++)
			for (size_t u = 0; u < BLD_TEST_COUNT(units); u++)
				for (size_t v = 0; v < BLD_TEST_COUNT(values); v++) {
					int kb = verdict_of(&big, units[u], fn, addrs[a], values[v]);
					int ks = verdict_of(&small, units[u], fn, addrs[a], values[v]);
					if (kb != ks && mismatches++ < 5)
						fprintf(stderr, "\n    fn %ld addr %ld+%ld unit %ld value %ld: big %d small %d", fn,
							addrs[a][0], addrs[a][1], units[u], values[v], kb, ks);
					allowed_n += kb < 0;
					total++;
				}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT_TRUE(allowed_n > 100 && allowed_n < total / 2); /* the grid exercises both verdicts */
	const uint64_t *hits = bld_policy_eval_rule_hits(ev);
	CU_ASSERT_EQUAL(hits[0] - 6, hits[1]); /* the spot checks allowed six more on big */
	ev_teardown();
}

/* ---- the other protocols' keys ---- */

/* An op of another protocol as op_of() reads it, a request, and the alert it must raise (ALLOWED: none). */
struct op_case {
	int line;
	const char *op;
	enum bld_alert_kind want;
};
#define OP(spec, want) { __LINE__, spec, want }

/* Two hosts, client 10.0.0.10 and server 10.0.1.20, and one rule `id` between them with these operations. */
#define PAIR_POLICY(id, client, server, protocol, entries)                                                       \
	"bollard: policy/1\n"                                                                                    \
	"hosts: {" client ": 10.0.0.10, " server ": 10.0.1.20}\n"                                                \
	"defaults: {aggregate: 0}\n"                                                                             \
	"rules:\n"                                                                                               \
	"  - id: " id "\n"                                                                                       \
	"    from: " client "\n"                                                                                 \
	"    to: " server "\n"                                                                                   \
	"    protocol: " protocol "\n"                                                                           \
	"    operations:\n" entries

/* A protocol's test: its policy, the flow it allows (client -> server port app) and requests on that flow. */
struct pair_test {
	const char *policy;
	const struct bld_dissector *dsc;
	uint16_t port;
	const char *app;
	struct op_case ops[8]; /* up to the first without an op */
};

static const struct pair_test pair_tests[] = {
	{ PAIR_POLICY("dnp", "master", "outstation", "dnp3",
		      "      - {function: read, group: [30, 1], points: 0-9}\n"
		      "      - {function: direct_operate, group: 12, points: 3}\n"),
	  &bld_dsc_dnp3, 20000, "dnp3",
	  {
		  /* a read of group 30 points 2..5 (and of group 1): inside 0-9 */
		  OP("app_function=1 objects=[{group=30 variation=1 qualifier=0 start=2 stop=5} "
		     "{group=1 variation=0 start=0 stop=0}]",
		     ALLOWED),
		  /* points 2..12: not inside 0-9 */
		  OP("app_function=1 objects=[{group=30 variation=1 qualifier=0 start=2 stop=12} "
		     "{group=1 variation=0 start=0 stop=0}]",
		     NOT_ALLOWED),
		  /* a CROB (direct_operate) on point 3, then on point 4, then of the wrong group */
		  OP("app_function=5 objects=[{group=12 start=3 stop=3}]", ALLOWED),
		  OP("app_function=5 objects=[{group=12 start=4 stop=4}]", NOT_ALLOWED),
		  OP("app_function=5 objects=[{group=41 start=3 stop=3}]", NOT_ALLOWED),
	  } },
	{ PAIR_POLICY("cmd", "scada", "rtu", "iec104",
		      "      - {typeid: C_SC_NA_1, cot: act, ca: 1, ioa: 100-199, value: [0, 1]}\n"
		      "      - {u_function: [startdt_act, \"testfr_*\"]}\n"),
	  &bld_dsc_iec104, 2404, "iec104",
	  {
		  /* a single command (45), activation (6), to IOAs 100 and 150, value 1 */
		  OP("typeid=45 cot=6 ca=1 ioas=[100 150] objects=[{value=1}]", ALLOWED),
		  /* IOA 250: outside 100-199 */
		  OP("typeid=45 cot=6 ca=1 ioas=[100 250] objects=[{value=1}]", NOT_ALLOWED),
		  /* value 2: the operation is allowed, its value is not */
		  OP("typeid=45 cot=6 ca=1 ioas=[100 150] objects=[{value=2}]", OUT_OF_RANGE),
		  /* U-format functions by name, one through a trailing wildcard */
		  OP("u_function=startdt_act", ALLOWED),
		  OP("u_function=testfr_con", ALLOWED),
		  OP("u_function=stopdt_act", NOT_ALLOWED),
	  } },
	{ PAIR_POLICY("s7", "hmi", "cpu", "s7comm", "      - {function: read_var, area: 0x84, db: 1, address: 0-99}\n"),
	  &bld_dsc_s7comm, 102, "s7comm",
	  {
		  /* read_var (4) of DB 1, bytes 10..13 */
		  OP("protocol_id=0x32 rosctr=1 function=4 items=[{area=0x84 db=1 byte_address=10 length=4}]", ALLOWED),
		  /* another DB */
		  OP("protocol_id=0x32 rosctr=1 function=4 items=[{area=0x84 db=2 byte_address=10 length=4}]",
		     NOT_ALLOWED),
		  /* bytes 98..101: past 99 */
		  OP("protocol_id=0x32 rosctr=1 function=4 items=[{area=0x84 db=1 byte_address=98 length=4}]",
		     NOT_ALLOWED),
		  /* write_var (5) */
		  OP("protocol_id=0x32 rosctr=1 function=5 items=[{area=0x84 db=1 byte_address=10 length=4}]",
		     NOT_ALLOWED),
	  } },
	{ PAIR_POLICY("cip", "hmi", "plc", "enip",
		      "      - {service: get_attribute_single, class: 1}\n"
		      "      - {command: [register_session, list_identity]}\n"),
	  &bld_dsc_enip, 44818, "enip",
	  {
		  /* get_attribute_single (0x0e) of class 1, sent in SendRRData (0x6f) */
		  OP("command=0x6f cip_service=0x0e class=1 instance=1", ALLOWED),
		  /* another class */
		  OP("command=0x6f cip_service=0x0e class=2 instance=1", NOT_ALLOWED),
		  /* set_attribute_single (0x10) */
		  OP("command=0x6f cip_service=0x10 class=1 instance=1", NOT_ALLOWED),
		  /* a service inside unconnected_send is judged too */
		  OP("command=0x6f cip_service=0x0e class=1 embedded={service=0x10 class=1}", NOT_ALLOWED),
		  /* register_session (0x65): a command alone */
		  OP("command=0x65", ALLOWED),
	  } },
	{ PAIR_POLICY("ua", "client", "server", "opcua",
		      "      - {service: ReadRequest, node_id: \"ns=2;s=Crane.*\"}\n"
		      "      - {message_type: OPN, security_mode: Sign}\n"),
	  &bld_dsc_opcua, 4840, "opcua",
	  {
		  /* a ReadRequest (631) of a node the pattern matches, then of one in another namespace */
		  OP("message_type=MSG service_type=631 "
		     "nodes_to_read=[{node_id=ns=2;s=Crane.Hoist.Load attribute_id=13}]",
		     ALLOWED),
		  OP("message_type=MSG service_type=631 "
		     "nodes_to_read=[{node_id=ns=3;s=Crane.Hoist.Load attribute_id=13}]",
		     NOT_ALLOWED),
		  /* OpenSecureChannel: security mode None (1) is less than Sign (2); SignAndEncrypt (3) is more */
		  OP("message_type=OPN security_mode=1", NOT_ALLOWED),
		  OP("message_type=OPN security_mode=2", ALLOWED),
		  OP("message_type=OPN security_mode=3", ALLOWED),
	  } },
};

/* Run pair_tests' test of protocol `app`: load its policy, open its flow and judge each request on it. */
static void expect_pair_test(const char *app)
{
	const struct pair_test *pt = NULL;
	for (size_t i = 0; i < BLD_TEST_COUNT(pair_tests); i++)
		if (strcmp(pair_tests[i].app, app) == 0)
			pt = &pair_tests[i];
	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	EV_SETUP(pt->policy);
	struct tflow t = tflow("10.0.0.10", "10.0.1.20", pt->port, pt->app);
	for (const struct op_case *c = pt->ops; c < pt->ops + BLD_TEST_COUNT(pt->ops) && c->op; c++)
		expect_op(c->line, &t, op_of(pt->dsc, MONDAY, BLD_OP_REQUEST, c->op), c->want);
	ev_teardown();
}

static void test_eval_dnp3(void)
{
	expect_pair_test("dnp3");
}

static void test_eval_iec104(void)
{
	expect_pair_test("iec104");
}

static void test_eval_s7comm(void)
{
	expect_pair_test("s7comm");
}

static void test_eval_enip(void)
{
	expect_pair_test("enip");
}

static void test_eval_opcua(void)
{
	expect_pair_test("opcua");
}

/* protocols: site settings through each dissector's table (settings.h): values, defaults, merging, every error. */
static void test_load_protocol_settings(void)
{
	struct bld_policy *p = expect_loads(__LINE__, HEAD RULE
					    "protocols:\n"
					    "  rasta: {check_code: B, safety_code: full_md4, md4_a: afb16782, t_max: 750ms}\n"
					    "  trdp: {comids: [2001, 1001-1002, 1003, 3001]}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	const struct bld_rasta_config *r = bld_policy_proto_config(p, BLD_PROTO_RASTA);
	const struct bld_rasta_config *def = bld_dsc_rasta.config_default;
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->check_code, BLD_RASTA_CC_B);
	CU_ASSERT_EQUAL(r->safety_code, BLD_RASTA_SC_FULL_MD4);
	CU_ASSERT_EQUAL(r->md4_a, 0xafb16782u);
	CU_ASSERT_EQUAL(r->md4_b, def->md4_b);   /* what the site did not say keeps its default */
	CU_ASSERT_EQUAL(r->t_max_ns, 750000000ull);
	CU_ASSERT_EQUAL(r->n_sendmax_max, def->n_sendmax_max);
	const struct bld_trdp_config *t = bld_policy_proto_config(p, BLD_PROTO_TRDP);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->comids.n, 3);          /* sorted, 1001-1003 merged (1003 touches 1002) */
	CU_ASSERT_EQUAL(t->comids.r[0].lo, 1001);
	CU_ASSERT_EQUAL(t->comids.r[0].hi, 1003);
	CU_ASSERT_EQUAL(t->comids.r[1].lo, 2001);
	CU_ASSERT_EQUAL(t->comids.r[1].hi, 2001);
	CU_ASSERT_EQUAL(t->comids.r[2].lo, 3001);
	CU_ASSERT_TRUE(bld_setting_list_has(&t->comids, 1002));
	CU_ASSERT_FALSE(bld_setting_list_has(&t->comids, 1004));
	CU_ASSERT_PTR_NULL(bld_policy_proto_config(p, BLD_PROTO_MODBUS));   /* not named: the dissector's defaults */
	bld_policy_free(p);

	static const struct load_case cases[] = {
		ERR(HEAD RULE "protocols:\n  foo: {a: 1}\n", "t.yaml:11:3: 'foo' is not a protocol Bollard decodes"),
		ERR(HEAD RULE "protocols:\n  modbus: {a: 1}\n", "t.yaml:11:3: modbus has no site settings"),
		ERR(HEAD RULE "protocols:\n  rasta: B\n", "t.yaml:11:10: protocols.rasta must be a mapping"),
		ERR(HEAD RULE "protocols:\n  rasta: {check: B}\n", "t.yaml:11:11: 'check' is not a setting of rasta (settings: check_code"),
		ERR(HEAD RULE "protocols:\n  rasta: {check_code: F}\n", "t.yaml:11:23: protocols.rasta.check_code: 'F' is not one of auto"),
		ERR(HEAD RULE "protocols:\n  rasta: {md4_a: 6745230}\n", "t.yaml:11:18: protocols.rasta.md4_a: '6745230' is not 8 hex digits"),
		ERR(HEAD RULE "protocols:\n  rasta: {md4_a: 6745230g}\n", "t.yaml:11:18: is not 8 hex digits"),
		ERR(HEAD RULE "protocols:\n  rasta: {t_max: fast}\n", "t.yaml:11:18: protocols.rasta.t_max: 'fast' is not a duration"),
		ERR(HEAD RULE "protocols:\n  rasta: {t_max: 0s}\n", "t.yaml:11:18: protocols.rasta.t_max: 0s is outside"),
		ERR(HEAD RULE "protocols:\n  rasta: {n_sendmax_max: 0}\n", "t.yaml:11:26: protocols.rasta.n_sendmax_max: '0' is not a number within 1.."),
		ERR(HEAD RULE "protocols:\n  trdp: {comids: [1, 5-2]}\n", "t.yaml:11:22: protocols.trdp.comids: '5-2' is not a number or range"),
		ERR(HEAD RULE "protocols:\n  trdp: {comids: abc}\n", "t.yaml:11:18: protocols.trdp.comids: 'abc' is not a number or range"),
	};
	EXPECT_CASES(cases);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "load: YAML syntax error", test_load_yaml_syntax },
		{ "load: protocols: site settings", test_load_protocol_settings },
		{ "load: bollard version", test_load_version },
		{ "load: unknown top-level key", test_load_unknown_top_key },
		{ "load: unknown key in a rule", test_load_unknown_rule_key },
		{ "load: bad host", test_load_bad_host },
		{ "load: bad MAC", test_load_bad_mac },
		{ "load: a name declared twice", test_load_duplicate_names },
		{ "load: invalid names", test_load_invalid_names },
		{ "load: group members", test_load_group_members },
		{ "load: group cycles", test_load_group_cycle },
		{ "load: a group that is not a list", test_load_group_not_a_list },
		{ "load: bad CIDR", test_load_bad_cidr },
		{ "load: unknown from/to", test_load_unknown_peer },
		{ "load: missing id/from/to/protocol", test_load_missing_rule_keys },
		{ "load: duplicate rule id", test_load_duplicate_rule_id },
		{ "load: protocols", test_load_protocols },
		{ "load: operations without fields", test_load_operations_without_fields },
		{ "load: unknown field", test_load_unknown_field },
		{ "load: unknown name", test_load_unknown_name },
		{ "load: number above max", test_load_above_max },
		{ "load: inverted range", test_load_inverted_range },
		{ "load: overlapping ranges", test_load_overlapping_ranges },
		{ "load: bad value range", test_load_bad_value_range },
		{ "load: bad ports", test_load_bad_ports },
		{ "load: bad timing", test_load_bad_timing },
		{ "load: bad rate", test_load_bad_rate },
		{ "load: bad when", test_load_bad_when },
		{ "load: bad severity/action", test_load_bad_severity_action },
		{ "load: unknown expected event", test_load_unknown_event },
		{ "load: empty rules", test_load_empty_rules },
		{ "load: many errors at once", test_load_many_errors },
		{ "load: a valid policy", test_load_valid },
		{ "compile: hosts, groups, zones, literals, any", test_compile_addresses },
		{ "compile: IPv6", test_compile_ipv6 },
		{ "compile: direction both, ports, tls.*", test_compile_both_ports_tls },
		{ "compile: L2 flows by MAC", test_compile_l2 },
		{ "compile: 10,000 rules", test_compile_10000_rules },
		{ "compile: one CIDR in 100 rules", test_compile_shared_literal },
		{ "eval: flow.not_allowed", test_eval_flow_not_allowed },
		{ "eval: a reloaded policy judges again", test_eval_reload },
		{ "eval: asset.new", test_eval_asset_new },
		{ "eval: op.not_allowed", test_eval_ops },
		{ "eval: value.out_of_range", test_eval_value_out_of_range },
		{ "eval: operations: []", test_eval_no_operations },
		{ "eval: responses", test_eval_responses },
		{ "eval: when windows", test_eval_when },
		{ "eval: timing deviation and silence", test_eval_timing },
		{ "eval: rate.exceeded", test_eval_rate },
		{ "eval: aggregation", test_eval_aggregation },
		{ "eval: expected events", test_eval_expected_events },
		{ "eval: rule hits", test_eval_rule_hits },
		{ "eval: entry index", test_eval_entry_index },
		{ "eval: dnp3 keys", test_eval_dnp3 },
		{ "eval: iec104 keys", test_eval_iec104 },
		{ "eval: s7comm keys", test_eval_s7comm },
		{ "eval: enip keys", test_eval_enip },
		{ "eval: opcua keys", test_eval_opcua },
	};
	return bld_test_run("policies/policy", tests, BLD_TEST_COUNT(tests));
}
