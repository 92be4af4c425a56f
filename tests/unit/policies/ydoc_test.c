/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the YAML document stage of the policy loader
 * (policies/ydoc.c): the tree and its positions, and every error class with
 * its file:line:column.
 */
#include "bld_test.h"
#include "ydoc.h"

static char err[512];

static struct bld_ydoc *parse(const char *text)
{
	/* an exact-size heap copy: a read past the end is an ASan report */
	uint8_t *copy = bld_test_dup((const uint8_t *)text, (uint32_t)strlen(text));
	struct bld_ydoc *d = bld_ydoc_parse("site.yaml", copy, strlen(text), err, sizeof(err));
	free(copy);
	return d;
}

/* The text must fail with exactly this message. */
static void expect_error(const char *text, const char *want)
{
	struct bld_ydoc *d = parse(text);
	CU_ASSERT_PTR_NULL(d);
	if (strcmp(err, want))
		fprintf(stderr, "\n    got  %s\n    want %s", err, want);
	CU_ASSERT_STRING_EQUAL(err, want);
	bld_ydoc_free(d);
}

static const char POLICY[] =
	"hosts:\n"                          /* line 1 */
	"  hmi: 10.10.0.11\n"               /* line 2 */
	"  plc: {ip: 10.10.1.12, mac: '00:11:22:33:44:55'}\n"
	"rules:\n"                          /* line 4 */
	"  - id: poll\n"
	"    from: hmi\n"
	"    to: plc\n"
	"    modbus:\n"                     /* line 8 */
	"      functions: [3, read_input_registers]\n"
	"      address: \"0-99\"\n";

static void test_tree_and_positions(void)
{
	struct bld_ydoc *d = parse(POLICY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	const struct bld_ynode *root = &d->nodes[0];
	CU_ASSERT_EQUAL(root->type, BLD_YNODE_MAP);
	CU_ASSERT_EQUAL(root->count, 4); /* two pairs */
	const struct bld_ynode *hosts = bld_ydoc_get(d, root, "hosts");
	CU_ASSERT_PTR_NOT_NULL_FATAL(hosts);
	const struct bld_ynode *hmi = bld_ydoc_get(d, hosts, "hmi");
	CU_ASSERT_PTR_NOT_NULL_FATAL(hmi);
	CU_ASSERT_STRING_EQUAL(hmi->text, "10.10.0.11");
	CU_ASSERT_EQUAL(hmi->line, 2);
	CU_ASSERT_EQUAL(hmi->col, 8);
	CU_ASSERT_FALSE(hmi->quoted);
	const struct bld_ynode *mac = bld_ydoc_get(d, bld_ydoc_get(d, hosts, "plc"), "mac");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mac);
	CU_ASSERT_TRUE(mac->quoted);
	CU_ASSERT_EQUAL(mac->len, 17);
	const struct bld_ynode *rules = bld_ydoc_get(d, root, "rules");
	CU_ASSERT_EQUAL_FATAL(rules->type, BLD_YNODE_SEQ);
	CU_ASSERT_EQUAL(rules->count, 1);
	const struct bld_ynode *rule = bld_ydoc_child(d, rules, 0);
	CU_ASSERT_EQUAL(rule->line, 5);
	CU_ASSERT_EQUAL(rule->col, 5);
	const struct bld_ynode *fcs = bld_ydoc_get(d, bld_ydoc_get(d, rule, "modbus"), "functions");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fcs);
	CU_ASSERT_EQUAL(fcs->count, 2);
	CU_ASSERT_STRING_EQUAL(bld_ydoc_child(d, fcs, 1)->text, "read_input_registers");
	CU_ASSERT_EQUAL(bld_ydoc_child(d, fcs, 1)->line, 9);
	CU_ASSERT_PTR_NULL(bld_ydoc_child(d, fcs, 2));
	CU_ASSERT_PTR_NULL(bld_ydoc_get(d, root, "nope"));
	CU_ASSERT_PTR_NULL(bld_ydoc_get(d, fcs, "x")); /* not a mapping */
	bld_ydoc_free(d);
}

static void test_errors(void)
{
	expect_error("hosts:\n  hmi: 1\n  plc: 2\n  hmi: 3\n", "site.yaml:4:3: key 'hmi' repeated (first at line 2)");
	expect_error("a: &x 1\nb: *x\n",
		     "site.yaml:1:4: anchor &x: anchors and aliases are not allowed in a policy (write it out)");
	expect_error("a: !!str 1\n", "site.yaml:1:4: tag tag:yaml.org,2002:str: tags are not allowed in a policy");
	expect_error("a: 1\n---\nb: 2\n", "site.yaml:3:1: a second document in one file: a policy is one document");
	expect_error("", "site.yaml:1:1: the file is empty");
	expect_error("# only a comment\n", "site.yaml:1:1: the file is empty");
	expect_error("a: [1, 2\nb: 3\n",
		     "site.yaml:2:2: did not find expected ',' or ']' while parsing a flow sequence");
	expect_error("? [1]\n: x\n", "site.yaml:1:3: a key that is not a plain value");
	expect_error("a:\n\tb: 1\n", "site.yaml:2:1: found character that cannot start any token while scanning for "
				      "the next token");
	char deep[4 * BLD_YDOC_MAX_DEPTH + 8];
	size_t k = 0;
	for (int i = 0; i <= BLD_YDOC_MAX_DEPTH; i++)
		deep[k++] = '[';
	deep[k] = '\0';
	struct bld_ydoc *d = parse(deep);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nested more than 32 deep"));
}

static void test_many_keys(void)
{
	/* 20,000 distinct keys parse quickly (sorted duplicate check), one repeat is found */
	size_t cap = 20000 * 16 + 32;
	char *text = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	size_t n = 0;
	for (int i = 0; i < 20000; i++)
		n += (size_t)snprintf(text + n, cap - n, "h%d: %d\n", i, i);
	struct bld_ydoc *d = parse(text);
	CU_ASSERT_PTR_NOT_NULL(d);
	CU_ASSERT_EQUAL(d ? d->nodes[0].count : 0, 40000);
	bld_ydoc_free(d);
	snprintf(text + n, cap - n, "h7: again\n");
	d = parse(text);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_STRING_EQUAL(err, "site.yaml:20001:1: key 'h7' repeated (first at line 8)");
	free(text);
}

static void test_every_prefix(void)
{
	/* Cut anywhere: a tree or an error with a position, never a crash or a leak. */
	size_t len = strlen(POLICY);
	for (size_t k = 0; k <= len; k++) {
		char *cut = malloc(k + 1);
		memcpy(cut, POLICY, k);
		cut[k] = '\0';
		struct bld_ydoc *d = parse(cut);
		CU_ASSERT_TRUE(d != NULL || strncmp(err, "site.yaml:", 10) == 0);
		bld_ydoc_free(d);
		free(cut);
	}
}

static void test_load(void)
{
	struct bld_ydoc *d = bld_ydoc_load("/nonexistent/site.yaml", err, sizeof(err));
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/site.yaml: No such file or directory");
	char path[] = "/tmp/bld_ydoc_XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(POLICY, f);
	fclose(f);
	d = bld_ydoc_load(path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(d);
	CU_ASSERT_STRING_EQUAL(d ? d->name : "", path);
	bld_ydoc_free(d);
	remove(path);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "tree and positions", test_tree_and_positions },
		{ "errors with file:line:column", test_errors },
		{ "many keys, one repeated", test_many_keys },
		{ "every prefix", test_every_prefix },
		{ "load a file", test_load },
	};
	return bld_test_run("policies/ydoc", tests, BLD_TEST_COUNT(tests));
}
