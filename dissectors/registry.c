/* SPDX-License-Identifier: BSD-3-Clause */
#include "registry.h"

#include <string.h>

const struct bld_dissector *const bld_dissectors[BLD_PROTO_MAX] = {
#define BLD_X(id, sym) [BLD_PROTO_##id] = &sym,
	BLD_FOREACH_PROTO(BLD_X)
#undef BLD_X
};

bool bld_registry_service_port(uint16_t port)
{
	for (int p = 1; p < BLD_PROTO_MAX; p++)
		for (int i = 0; i < 4 && bld_dissectors[p]->ports[i]; i++)
			if (bld_dissectors[p]->ports[i] == port)
				return true;
	return false;
}

enum bld_proto bld_registry_find(const char *name)
{
	for (int p = 1; p < BLD_PROTO_MAX; p++)
		if (strcmp(bld_dissectors[p]->name, name) == 0)
			return (enum bld_proto)p;
	return BLD_PROTO_UNKNOWN;
}

enum bld_proto bld_registry_index(const struct bld_dissector *dsc)
{
	for (int p = 1; p < BLD_PROTO_MAX; p++)
		if (bld_dissectors[p] == dsc)
			return (enum bld_proto)p;
	return BLD_PROTO_UNKNOWN;
}
