/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A dissector's site settings: facts the wire cannot tell (RaSTA's check
 * code option and MD4 initial values, the TRDP comIds a site expects),
 * written in the policy's `protocols:` section and handed to the parser as
 * pc->config.  A dissector describes them in a table, as it describes its
 * operation fields (fields.h), so the policy loader reads and checks them
 * without knowing the protocol:
 *
 *   protocols:
 *     rasta: {check_code: B, safety_code: lower_md4, md4_a: 67452301}
 *
 * Each row says where the value goes in the dissector's config struct
 * (config_size bytes, starting as a copy of config_default).
 */
#ifndef BLD_SETTINGS_H
#define BLD_SETTINGS_H

#include <stdint.h>

#define BLD_SETTING_LIST_MAX 256

enum bld_setting_kind {
	BLD_SETTING_ENUM,        /* one of `names` (a NULL-terminated list): its index, as uint8_t */
	BLD_SETTING_UINT,        /* a number in [min, max], as uint32_t */
	BLD_SETTING_HEX32,       /* 32 bits written as 8 hex digits ("67452301"), as uint32_t */
	BLD_SETTING_DURATION,    /* "300ms", "2s": nanoseconds in [min, max], as uint64_t */
	BLD_SETTING_UINT_LIST,   /* a number or a list of numbers and ranges "a-b" in [min, max], as struct bld_setting_list */
};

/* BLD_SETTING_UINT_LIST: sorted, merged ranges. */
struct bld_setting_list {
	uint32_t n;                                  /* 0: the site said nothing (every value passes) */
	struct {
		uint32_t lo, hi;
	} r[BLD_SETTING_LIST_MAX];
};

static inline bool bld_setting_list_has(const struct bld_setting_list *l, uint32_t v)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (v >= l->r[i].lo && v <= l->r[i].hi)
			return true;
	return false;
}

struct bld_setting_spec {
	const char *key;              /* under protocols.<name> */
	uint8_t kind;                 /* enum bld_setting_kind */
	uint32_t offset;              /* in the config struct: offsetof(...) */
	uint64_t min, max;            /* UINT, DURATION (ns), UINT_LIST */
	const char *const *names;     /* ENUM */
	const char *doc;              /* one line, for docs and `bollard check` */
};

#endif /* BLD_SETTINGS_H */
