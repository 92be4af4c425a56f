/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The operation fields every registered dissector exposes to policies
 * (fields.h): each row well formed, so the policy compiler can trust the
 * tables it builds rule entries from.  Whether each path really occurs in
 * the ops is the dissector tests' and the captures' business (see
 * docs/policy-protocols.md); here, the shape:
 *
 *   - key lower_snake_case, path dot-separated lower_snake_case names;
 *   - kind defined; path2 and span_last on SPAN rows only, path2 a sibling
 *     of path (the count or last address is in the same object);
 *   - row 0 (the operation's kind) SET or TEXT;
 *   - one kind, one name function and one max per key, whichever row;
 *   - name() NULL above max, and naming something at or below it;
 *   - a name for every number is found at most once (names are unique,
 *     so the compiler's name -> number lookup is unambiguous).
 */
#include "bld_test.h"
#include "fields.h"
#include "registry.h"

/* Names are looked up in 0..max; past this many, only a prefix is scanned (a bounded test). */
#define SCAN_LIMIT (1u << 20)

static bool lower_snake(const char *s, size_t n)
{
	if (n == 0 || !(s[0] >= 'a' && s[0] <= 'z') || s[n - 1] == '_')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
		if (!ok || (c == '_' && i + 1 < n && s[i + 1] == '_'))
			return false;
	}
	return true;
}

/* "a.b.c": every segment lower_snake_case, none empty. */
static bool good_path(const char *p)
{
	if (!p || !*p)
		return false;
	const char *seg = p;
	for (const char *q = p;; q++) {
		if (*q == '.' || *q == '\0') {
			if (!lower_snake(seg, (size_t)(q - seg)))
				return false;
			if (*q == '\0')
				return true;
			seg = q + 1;
		}
	}
}

/* Length of the part before the last '.', 0 for a top-level field. */
static size_t parent_len(const char *p)
{
	const char *dot = strrchr(p, '.');
	return dot ? (size_t)(dot - p) : 0;
}

static void fail(const struct bld_dissector *d, uint32_t i, const char *what)
{
	fprintf(stderr, "\n    %s row %u (%s %s): %s", d->name, i, d->fields[i].key ? d->fields[i].key : "(null)",
		d->fields[i].path ? d->fields[i].path : "(null)", what);
}

#define CHECK(d, i, cond, what)                 \
	do {                                    \
		bool ok_ = (cond);              \
		if (!ok_)                       \
			fail(d, i, what);       \
		CU_ASSERT(ok_);                 \
	} while (0)

static void test_rows_well_formed(void)
{
	unsigned with_fields = 0;
	for (int p = 1; p < BLD_PROTO_MAX; p++) {
		const struct bld_dissector *d = bld_dissectors[p];
		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		/* n_fields 0 means flow-level rules only; then there is no table either. */
		CU_ASSERT_EQUAL(d->fields == NULL, d->n_fields == 0);
		if (!d->n_fields)
			continue;
		with_fields++;
		for (uint32_t i = 0; i < d->n_fields; i++) {
			const struct bld_field_spec *f = &d->fields[i];
			CHECK(d, i, f->key && lower_snake(f->key, strlen(f->key)), "key not lower_snake_case");
			CHECK(d, i, good_path(f->path), "path not dot-separated lower_snake_case names");
			CHECK(d, i, f->kind <= BLD_FIELD_MIN, "undefined kind");
			CHECK(d, i, f->doc && *f->doc, "no doc line");
			if (!f->key || !f->path)
				continue;
			if (f->kind == BLD_FIELD_SPAN) {
				if (f->path2) {
					CHECK(d, i, good_path(f->path2), "path2 not a path");
					CHECK(d, i, strcmp(f->path2, f->path) != 0, "path2 is path");
					/* The count (or last address) belongs to the same object as the first address. */
					size_t n = parent_len(f->path);
					CHECK(d, i, parent_len(f->path2) == n && strncmp(f->path, f->path2, n) == 0,
					      "path2 not a sibling of path");
				} else {
					CHECK(d, i, !f->span_last, "span_last without path2");
				}
			} else {
				CHECK(d, i, f->path2 == NULL, "path2 on a row that is not SPAN");
				CHECK(d, i, !f->span_last, "span_last on a row that is not SPAN");
			}
			/* Names are for numbers compared in order or in sets; values and texts have none. */
			if (f->kind == BLD_FIELD_VALUE || f->kind == BLD_FIELD_TEXT)
				CHECK(d, i, f->name == NULL, "name function on a VALUE or TEXT row");
			if (f->kind == BLD_FIELD_SET || f->kind == BLD_FIELD_SPAN || f->kind == BLD_FIELD_MIN)
				CHECK(d, i, f->max > 0, "max 0 on a numeric row");
			if (f->kind == BLD_FIELD_MIN)
				CHECK(d, i, f->name != NULL, "MIN row without names for its levels");
		}
	}
	CU_ASSERT(with_fields >= 6);
}

static void test_row0_is_the_kind(void)
{
	for (int p = 1; p < BLD_PROTO_MAX; p++) {
		const struct bld_dissector *d = bld_dissectors[p];
		if (!d->n_fields)
			continue;
		const struct bld_field_spec *f = &d->fields[0];
		CHECK(d, 0, f->kind == BLD_FIELD_SET || f->kind == BLD_FIELD_TEXT, "row 0 neither SET nor TEXT");
		/* The evaluator indexes rule entries by row 0 when it is a top-level field. */
		CHECK(d, 0, f->path && !strchr(f->path, '.'), "row 0 not a top-level field");
	}
}

static void test_one_kind_per_key(void)
{
	for (int p = 1; p < BLD_PROTO_MAX; p++) {
		const struct bld_dissector *d = bld_dissectors[p];
		for (uint32_t i = 0; i < d->n_fields; i++) {
			const struct bld_field_spec *a = &d->fields[i];
			for (uint32_t j = i + 1; j < d->n_fields; j++) {
				const struct bld_field_spec *b = &d->fields[j];
				if (!a->key || !b->key || strcmp(a->key, b->key) != 0)
					continue;
				CHECK(d, j, a->kind == b->kind, "key with two kinds");
				CHECK(d, j, a->name == b->name, "key with two name functions");
				CHECK(d, j, a->max == b->max, "key with two maxima");
				CHECK(d, j, !a->path || !b->path || strcmp(a->path, b->path) != 0, "same key and path twice");
			}
		}
	}
}

static void test_names(void)
{
	for (int p = 1; p < BLD_PROTO_MAX; p++) {
		const struct bld_dissector *d = bld_dissectors[p];
		for (uint32_t i = 0; i < d->n_fields; i++) {
			const struct bld_field_spec *f = &d->fields[i];
			if (!f->name)
				continue;
			/* Above max: nothing, at the edge and far beyond. */
			if (f->max < UINT64_MAX) {
				CHECK(d, i, f->name(f->max + 1) == NULL, "a name above max");
				CHECK(d, i, f->name(UINT64_MAX) == NULL, "a name for UINT64_MAX");
			}
			uint64_t top = f->max < SCAN_LIMIT ? f->max : SCAN_LIMIT;
			unsigned named = 0;
			for (uint64_t v = 0; v <= top; v++) {
				const char *n = f->name(v);
				if (!n)
					continue;
				named++;
				CHECK(d, i, *n != '\0', "an empty name");
				/* Names are unique: a name resolves to one number. */
				for (uint64_t w = v + 1; w <= top; w++) {
					const char *m = f->name(w);
					if (m && strcmp(m, n) == 0) {
						fprintf(stderr, "\n    %s %s: %s is %llu and %llu", d->name, f->key, n,
							(unsigned long long)v, (unsigned long long)w);
						CU_FAIL("a name for two numbers");
					}
				}
			}
			if (f->kind == BLD_FIELD_SET || f->kind == BLD_FIELD_MIN)
				CHECK(d, i, named > 0, "a name function that names nothing at or below max");
		}
	}
}

/* What the issue asks for, by key: a key removed or renamed breaks policies already written. */
static void test_required_keys(void)
{
	static const struct {
		enum bld_proto proto;
		const char *key;
		uint8_t kind;
	} want[] = {
		{ BLD_PROTO_MODBUS, "function", BLD_FIELD_SET },     { BLD_PROTO_MODBUS, "unit", BLD_FIELD_SET },
		{ BLD_PROTO_MODBUS, "address", BLD_FIELD_SPAN },     { BLD_PROTO_MODBUS, "value", BLD_FIELD_VALUE },
		{ BLD_PROTO_MODBUS, "sub_function", BLD_FIELD_SET }, { BLD_PROTO_DNP3, "function", BLD_FIELD_SET },
		{ BLD_PROTO_DNP3, "group", BLD_FIELD_SET },          { BLD_PROTO_DNP3, "variation", BLD_FIELD_SET },
		{ BLD_PROTO_DNP3, "points", BLD_FIELD_SPAN },        { BLD_PROTO_IEC104, "typeid", BLD_FIELD_SET },
		{ BLD_PROTO_IEC104, "cot", BLD_FIELD_SET },          { BLD_PROTO_IEC104, "ca", BLD_FIELD_SET },
		{ BLD_PROTO_IEC104, "ioa", BLD_FIELD_SET },          { BLD_PROTO_IEC104, "value", BLD_FIELD_VALUE },
		{ BLD_PROTO_S7COMM, "function", BLD_FIELD_SET },     { BLD_PROTO_S7COMM, "area", BLD_FIELD_SET },
		{ BLD_PROTO_S7COMM, "db", BLD_FIELD_SET },           { BLD_PROTO_S7COMM, "address", BLD_FIELD_SPAN },
		{ BLD_PROTO_S7COMM, "rosctr", BLD_FIELD_SET },       { BLD_PROTO_S7COMM, "pi_service", BLD_FIELD_TEXT },
		{ BLD_PROTO_S7COMM, "function_group", BLD_FIELD_SET }, { BLD_PROTO_S7COMM, "subfunction", BLD_FIELD_SET },
		{ BLD_PROTO_S7COMM, "szl_id", BLD_FIELD_SET },       { BLD_PROTO_ENIP, "command", BLD_FIELD_SET },
		{ BLD_PROTO_ENIP, "service", BLD_FIELD_SET },        { BLD_PROTO_ENIP, "class", BLD_FIELD_SET },
		{ BLD_PROTO_ENIP, "instance", BLD_FIELD_SET },       { BLD_PROTO_ENIP, "attribute", BLD_FIELD_SET },
		{ BLD_PROTO_ENIP, "tag", BLD_FIELD_TEXT },           { BLD_PROTO_OPCUA, "service", BLD_FIELD_SET },
		{ BLD_PROTO_OPCUA, "message_type", BLD_FIELD_TEXT }, { BLD_PROTO_OPCUA, "security_mode", BLD_FIELD_MIN },
		{ BLD_PROTO_OPCUA, "security_policy", BLD_FIELD_TEXT }, { BLD_PROTO_OPCUA, "endpoint_url", BLD_FIELD_TEXT },
	};
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		const struct bld_dissector *d = bld_dissectors[want[k].proto];
		bool found = false;
		for (uint32_t i = 0; i < d->n_fields; i++)
			if (strcmp(d->fields[i].key, want[k].key) == 0 && d->fields[i].kind == want[k].kind)
				found = true;
		if (!found)
			fprintf(stderr, "\n    %s has no key %s of kind %u", d->name, want[k].key, want[k].kind);
		CU_ASSERT(found);
	}
}

/* The row whose key and path are these, or NULL. */
static const struct bld_field_spec *row(enum bld_proto p, const char *key, const char *path)
{
	const struct bld_dissector *d = bld_dissectors[p];
	for (uint32_t i = 0; i < d->n_fields; i++)
		if (strcmp(d->fields[i].key, key) == 0 && strcmp(d->fields[i].path, path) == 0)
			return &d->fields[i];
	return NULL;
}

/* The names are those the ops' *_name fields show (spot checks; the captures check the rest). */
static void test_names_as_ops_show_them(void)
{
	const struct bld_field_spec *f;

	f = row(BLD_PROTO_MODBUS, "function", "function");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->name(3), "read_holding_registers");
	CU_ASSERT_PTR_NULL(f->name(9));
	f = row(BLD_PROTO_MODBUS, "sub_function", "sub_function");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->name(4), "force_listen_only_mode");

	f = row(BLD_PROTO_DNP3, "function", "app_function");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->name(5), "direct_operate");
	CU_ASSERT_STRING_EQUAL(f->name(129), "response");
	f = row(BLD_PROTO_DNP3, "points", "objects.start");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(f->span_last);
	CU_ASSERT_STRING_EQUAL(f->path2, "objects.stop");

	f = row(BLD_PROTO_IEC104, "typeid", "typeid");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->name(45), "C_SC_NA_1");
	CU_ASSERT_PTR_NULL(f->name(22)); /* not defined */
	f = row(BLD_PROTO_IEC104, "cot", "cot");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->name(6), "act");

	/* CPU control can be named, so a rule can leave it out. */
	for (int p = BLD_PROTO_S7COMM; p <= BLD_PROTO_S7COMM_PLUS; p++) {
		f = row((enum bld_proto)p, "function", "function");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_STRING_EQUAL(f->name(0x29), "plc_stop");
		CU_ASSERT_STRING_EQUAL(f->name(0x28), "pi_service");
		CU_ASSERT_STRING_EQUAL(f->name(0x05), "write_var");
		CU_ASSERT_STRING_EQUAL(f->name(0x0542), "set_multi_variables");
	}

	f = row(BLD_PROTO_ENIP, "service", "cip_service");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->name(0x10), "set_attribute_single");
	CU_ASSERT_STRING_EQUAL(f->name(0x54), "forward_open");
	CU_ASSERT_STRING_EQUAL(f->name(0x4D), "write_tag");
	CU_ASSERT_STRING_EQUAL(f->name(0x52), "unconnected_send");
	CU_ASSERT_PTR_NOT_NULL(row(BLD_PROTO_ENIP, "service", "embedded.service"));
	CU_ASSERT_PTR_NOT_NULL(row(BLD_PROTO_ENIP, "service", "services.service"));

	f = row(BLD_PROTO_OPCUA, "service", "service_type");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->name(673), "WriteRequest");
	f = row(BLD_PROTO_OPCUA, "security_mode", "security_mode");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->max, 3);
	CU_ASSERT_STRING_EQUAL(f->name(1), "None");
	CU_ASSERT_STRING_EQUAL(f->name(2), "Sign");
	CU_ASSERT_STRING_EQUAL(f->name(3), "SignAndEncrypt");
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "rows well formed", test_rows_well_formed },
		{ "row 0 is the operation's kind", test_row0_is_the_kind },
		{ "one kind, name function and max per key", test_one_kind_per_key },
		{ "names: none above max, unique", test_names },
		{ "the keys the policy language documents", test_required_keys },
		{ "names as the ops show them", test_names_as_ops_show_them },
	};
	return bld_test_run("dissectors/fields", tests, BLD_TEST_COUNT(tests));
}
