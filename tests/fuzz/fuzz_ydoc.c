/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the YAML document stage of the policy loader
 * (policies/ydoc.c).  Any input gives a tree or an error with a position;
 * a tree is walked whole (every child, every key looked up) so that a
 * wrong index is an ASan report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ydoc.h"

static void walk(const struct bld_ydoc *d, const struct bld_ynode *n)
{
	for (uint32_t i = 0; i < n->count; i++) {
		const struct bld_ynode *c = bld_ydoc_child(d, n, i);
		if (!c)
			abort();
		if (c->type == BLD_YNODE_SCALAR && strlen(c->text) != c->len)
			abort();
		if (n->type == BLD_YNODE_MAP && i % 2 == 0 && bld_ydoc_get(d, n, c->text) == NULL)
			abort();
		walk(d, c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct bld_ydoc *d = bld_ydoc_parse("fuzz.yaml", data, size, err, sizeof(err));
	if (d)
		walk(d, &d->nodes[0]);
	else if (strncmp(err, "fuzz.yaml:", 10) != 0)
		abort();
	bld_ydoc_free(d);
	return 0;
}
