/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter tables from a module's X-macro of `_(ID, "name", ERR | INFO)`:
 * the names users see and whether each counts an error, in the enum's order
 * (VPP's foreach_*_error pattern), so enum, names and kinds cannot drift.
 *
 *   const char *const names[N] = { BLD_FOREACH_X(BLD_COUNTER_NAME) };
 *   const bool is_error[N] = { BLD_FOREACH_X(BLD_COUNTER_IS_ERROR) };
 */
#ifndef BLD_COUNTERS_H
#define BLD_COUNTERS_H

#include <stdbool.h>

#define BLD_COUNTER_NAME(id, name, kind) name,
#define BLD_COUNTER_IS_ERROR(id, name, kind) BLD_COUNTER_KIND_##kind,
#define BLD_COUNTER_KIND_ERR true
#define BLD_COUNTER_KIND_INFO false

#endif /* BLD_COUNTERS_H */
