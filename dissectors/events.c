/* SPDX-License-Identifier: BSD-3-Clause */
#include "events.h"

#include <string.h>

const char *const bld_event_names[BLD_EVENT_MAX] = {
#define BLD_X(id, name, doc) [BLD_EVENT_##id] = name,
	BLD_FOREACH_EVENT(BLD_X)
#undef BLD_X
};

const char *const bld_event_docs[BLD_EVENT_MAX] = {
#define BLD_X(id, name, doc) [BLD_EVENT_##id] = doc,
	BLD_FOREACH_EVENT(BLD_X)
#undef BLD_X
};

enum bld_event bld_event_find(const char *name)
{
	for (int i = 0; i < BLD_EVENT_MAX; i++)
		if (strcmp(bld_event_names[i], name) == 0)
			return (enum bld_event)i;
	return BLD_EVENT_MAX;
}
