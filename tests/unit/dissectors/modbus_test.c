/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for the modbus dissector (dissectors/modbus.c): being written. */
#include "dsc_test.h"
#include "registry.h"

static void test_has_parser(void)
{
	CU_ASSERT_PTR_NOT_NULL(bld_dsc_modbus.parse);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "has a parser", test_has_parser },
	};
	return bld_test_run("modbus", tests, BLD_TEST_COUNT(tests));
}
