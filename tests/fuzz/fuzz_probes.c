/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: every dissector probe on the same bytes, both directions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exact-size copy: an over-read must hit ASan's redzone */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	for (int p = 1; p < BLD_PROTO_MAX; p++) {
		bld_dissectors[p]->probe(copy, (uint32_t)size, true);
		bld_dissectors[p]->probe(copy, (uint32_t)size, false);
	}
	free(copy);
	return 0;
}
