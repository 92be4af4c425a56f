/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for dissectors/rasta.c. */
#include "dsc_test.h"

#include "registry.h"

static void test_registered(void)
{
	CU_ASSERT_PTR_EQUAL(bld_dissectors[BLD_PROTO_RASTA], &bld_dsc_rasta);
	CU_ASSERT_STRING_EQUAL(bld_dsc_rasta.name, "rasta");
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "registered", test_registered },
	};
	return bld_test_run("dissectors/rasta", tests, BLD_TEST_COUNT(tests));
}
