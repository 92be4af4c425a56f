/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the CUnit unit tests: annotated-hex fixtures and the
 * runner boilerplate.
 *
 * Fixtures are written as C string literals of hex digits, one protocol
 * field (or a few) per literal with a comment saying what it is; spaces and
 * the separators ':' '|' '.' are ignored, so a fixture reads like a tshark
 * dump with annotations.  bld_test_hex() decodes one into a heap block of
 * exactly the fixture's size, so that AddressSanitizer reports any read one
 * byte past the end (a static array would hide it among its neighbours).
 */
#ifndef BLD_TEST_H
#define BLD_TEST_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int bld_test_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode annotated hex into a new heap block of exactly the decoded size
 * (free() it).  *len receives the size.  Aborts on a malformed fixture: that
 * is a bug in the test, not in the code under test.
 */
static inline uint8_t *bld_test_hex(const char *hex, uint32_t *len)
{
	size_t n = 0;
	for (const char *p = hex; *p; p++)
		if (bld_test_nibble(*p) >= 0)
			n++;
	if (n % 2) {
		fprintf(stderr, "fixture has an odd number of hex digits: %s\n", hex);
		abort();
	}
	uint8_t *b = malloc(n / 2 ? n / 2 : 1);
	if (!b)
		abort();
	size_t k = 0;
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		int v = bld_test_nibble(*p);
		if (v < 0) {
			if (*p != ' ' && *p != ':' && *p != '|' && *p != '.' && *p != '\n' && *p != '\t') {
				fprintf(stderr, "fixture has a stray '%c': %s\n", *p, hex);
				abort();
			}
			continue;
		}
		if (hi < 0) {
			hi = v;
		} else {
			b[k++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	*len = (uint32_t)(n / 2);
	return b;
}

/* A heap copy of the first n bytes of p, exactly n bytes long (n may be 0). */
static inline uint8_t *bld_test_dup(const uint8_t *p, uint32_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		abort();
	if (n)
		memcpy(b, p, n);
	return b;
}

struct bld_test_case {
	const char *name;
	void (*fn)(void);
};

/* Register one suite of tests, run everything verbosely, return the exit status. */
static inline int bld_test_run(const char *suite, const struct bld_test_case *tests, size_t n)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite(suite, NULL, NULL);
	if (!s)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (!CU_add_test(s, tests[i].name, tests[i].fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed != 0;
fail:
	fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return 2;
}

#define BLD_TEST_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif /* BLD_TEST_H */
