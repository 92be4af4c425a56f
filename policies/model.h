/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The compiled policy, shared by the loader (load.c), the compiler
 * (compile.c) and the evaluator (eval.c).  Private to policies/.
 *
 * Everything the evaluator looks up per flow is a hash or a binary search:
 *
 *   address -> class         sorted disjoint intervals (addr.c); a class is
 *                            the set of principals (hosts, groups, zones,
 *                            literal CIDRs) covering those addresses
 *   (from principal, to principal, protocol) -> rules      open hash
 *
 * so a flow costs a few dozen probes whether the policy has 10 rules or
 * 10,000.  An operation is judged against the few rules its flow matched,
 * through a per-rule index on the operation's kind when a rule lists many.
 */
#ifndef BLD_POLICY_MODEL_H
#define BLD_POLICY_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "dissector.h"
#include "events.h"
#include "registry.h"
#include "fields.h"
#include "policy.h"

/* Addresses as 128-bit numbers: IPv6 as is, IPv4 mapped into ::ffff:0:0/96 (RFC 4291 §2.5.5.2). */
typedef unsigned __int128 bld_addr;

#define POL_ANY UINT32_MAX          /* principal "any", protocol "any" */

/*
 * Hard cap: names (hosts, groups, zones, literal ranges) covering one
 * address.  A flow's rules are found by probing every pair of its two sides'
 * names, so this bounds the probes per flow; a policy beyond it is refused.
 */
#define POL_MAX_NAMES_PER_ADDRESS 63

enum pol_principal_kind { POL_HOST, POL_GROUP, POL_ZONE, POL_LITERAL };

struct pol_principal {
	uint8_t kind;            /* enum pol_principal_kind */
	const char *name;        /* hosts, groups, zones; literals: the text as written */
};

struct pol_host {
	uint32_t principal;
	bld_addr addr;
	bool has_mac;
	uint8_t mac[6];
};

struct pol_prefix {
	bld_addr lo, hi;
	uint32_t principal;
};

/* Address classes (addr.c). */
struct pol_addr_map {
	bld_addr *start;         /* interval i is [start[i], start[i + 1]) ([start[n-1], max] for the last) */
	uint32_t *cls;           /* class of interval i */
	uint32_t n;
	uint32_t *cls_first;     /* class c's principals: members[cls_first[c] .. cls_first[c + 1]) */
	uint32_t *members;
	uint32_t n_cls;          /* class 0 is the empty class (addresses nothing covers) */
	uint32_t max_members;    /* the largest class */
	uint32_t max_cls;        /* which one */
};

struct pol_range {
	uint64_t lo, hi;
};

struct pol_vrange {
	double lo, hi;
};

/* A field path cut into whole names once ("items.area" -> "items", "area"), so walking compares names only. */
#define POL_PATH_MAX 6
struct pol_path {
	uint8_t n;
	const char *seg[POL_PATH_MAX];
	char buf[64];
};

/* One constraint key of an operation entry, with the spec rows that share the key. */
struct pol_constraint {
	uint8_t kind;                        /* enum bld_field_kind */
	const struct bld_field_spec **specs; /* every row of the protocol with this key */
	struct pol_path *paths;              /* their paths, cut */
	const char **ends;                   /* SPAN: the last name of each row's path2, or NULL */
	uint32_t n_specs;
	struct pol_range *ranges;            /* SET, SPAN: sorted, disjoint */
	uint32_t n_ranges;
	struct pol_vrange *vranges;          /* VALUE */
	uint32_t n_vranges;
	char **texts;                        /* TEXT: exact, or ending in '*' for a prefix */
	uint32_t n_texts;
	uint64_t min;                        /* MIN */
	const char *key;
};

/* Days and hours (UTC) in which something is allowed. */
struct pol_when {
	bool set;
	uint8_t days;                        /* bit 0 Monday .. bit 6 Sunday */
	uint16_t from_min, to_min;           /* minutes after midnight; from > to wraps midnight; equal: all day */
};

struct pol_timing {
	bool set;
	uint64_t period_ns, tolerance_ns, silence_ns;
};

struct pol_rate {
	bool set;
	uint32_t max;
	uint64_t per_ns;
};

enum pol_dir { POL_DIR_REQUEST, POL_DIR_RESPONSE, POL_DIR_ANY };

/* One allowed operation of a rule. */
struct pol_entry {
	uint8_t dir;                         /* enum pol_dir */
	struct pol_when when;
	struct pol_constraint *c;
	uint32_t n_c;
	struct pol_timing timing;
	struct pol_rate rate;
	uint32_t index;                      /* policy-wide, for timing and rate state */
	uint32_t line, col;
};

struct pol_rule {
	const char *id, *description;
	uint32_t line, col;
	uint32_t *from, *to;                 /* principals, or POL_ANY */
	uint32_t n_from, n_to;
	const char *protocol;                /* as written; "any" */
	uint32_t app;                        /* index in policy's apps, or POL_ANY */
	const struct bld_dissector *dsc;     /* the protocol's dissector, if Bollard has one */
	uint8_t proto;                       /* its enum bld_proto */
	struct pol_range *ports;             /* server ports; none: any */
	uint32_t n_ports;
	bool both;                           /* either side may be the client */
	enum bld_severity severity;
	bool severity_set;                   /* written in the rule: it wins over the kind's default */
	enum bld_action action;
	bool action_set;
	struct pol_when when;
	bool has_ops;                        /* `operations:` present: only those are allowed */
	bool judges_responses;               /* some entry has dir response or any */
	struct pol_entry *ops;
	uint32_t n_ops;
	/* Index on the kind (spec row 0) when the rule lists many entries: bucket = value & 255. */
	uint32_t *bucket_first;              /* 257 offsets into bucket_entries, or NULL */
	uint32_t *bucket_entries;
	struct pol_timing timing;
	struct pol_rate rate;
	uint16_t *expected_events;           /* protocol events (events.h) this rule's flows raise as a matter of course */
	uint32_t n_expected;
	uint32_t index;
};

/* A default: what something unmatched gets. */
struct pol_default {
	enum bld_severity severity;
	enum bld_action action;
};

struct pol_key_slot {                    /* rule index hash: (from, to, app) -> rules[first .. first + n) */
	uint32_t from, to, app;
	uint32_t first, n;
	bool used;
};

struct bld_policy {
	char *name;                          /* the file */
	char *site;
	struct pol_principal *principals;
	uint32_t n_principals;
	struct pol_host *hosts;              /* sorted by address, for names */
	uint32_t n_hosts;
	struct pol_host **hosts_by_mac;      /* hosts with a MAC, sorted by MAC */
	uint32_t n_macs;
	uint32_t n_groups, n_zones;
	bool has_zones;
	struct pol_prefix *prefixes;
	uint32_t n_prefixes;
	struct pol_addr_map map;
	char **apps;                         /* protocols rules name */
	uint32_t n_apps;
	struct pol_rule *rules;
	uint32_t n_rules;
	uint32_t n_entries;
	struct pol_key_slot *slots;          /* power of two */
	uint32_t n_slots;
	uint32_t *slot_rules;
	/* defaults */
	struct pol_default flow_default, op_default, value_default, asset_default, timing_default,
		rate_default, protocol_default;
	struct pol_path *selectors[BLD_PROTO_MAX];   /* each protocol's selector paths, cut (pol_op_judged) */
	uint32_t n_selectors[BLD_PROTO_MAX];
	uint8_t event_severity[BLD_EVENT_MAX];   /* protocol events: defaults.events, built in, defaults.protocol */
	bool assets;                         /* report asset.new */
	uint64_t aggregate_ns;               /* identical alerts within this interval become one line */
	/* the protocols: section: each dissector's site settings (settings.h), NULL where the site said nothing */
	void *proto_config[BLD_PROTO_MAX];
	void *arena;                         /* every allocation above, freed at once */
};

/* Allocation from the policy's arena: zeroed, freed with the policy.  NULL when out of memory. */
void *pol_alloc(struct bld_policy *p, size_t size);
char *pol_strdup(struct bld_policy *p, const char *s);

/* addr.c */
bld_addr pol_addr_from_ip(uint8_t family, const uint8_t *ip);
/* Parse "10.1.2.3", "10.1.0.0/16", "fe80::1", "2001:db8::/32" into [lo, hi]; false if it is none. */
bool pol_addr_parse_cidr(const char *s, bld_addr *lo, bld_addr *hi);
bool pol_addr_parse_ip(const char *s, bld_addr *a);
/* Build the class map from the policy's prefixes; false when out of memory. */
bool pol_addr_build(struct bld_policy *p);
uint32_t pol_addr_class(const struct bld_policy *p, bld_addr a);

/* compile.c: index rules and entries (after load.c filled the model). */
bool pol_compile(struct bld_policy *p);
/* Rules for one (from, to, app) key: returns their count, *first into p->slot_rules. */
uint32_t pol_rules_for(const struct bld_policy *p, uint32_t from, uint32_t to, uint32_t app, const uint32_t **first);
uint32_t pol_app_index(const struct bld_policy *p, const char *app);

/* eval.c */
bool pol_when_ok(const struct pol_when *w, uint64_t ts_ns);

/* opwalk.c: the values at a dotted path of an op (fields.h) */
typedef void (*pol_visit_fn)(void *ctx, const struct bld_op *op, const struct bld_op_field *f, uint32_t scope_from,
			     uint32_t scope_to);
/* Visit every scalar at path within fields [from, to) (0, op->n_fields for the whole op). */
void pol_walk(const struct bld_op *op, uint32_t from, uint32_t to, const char *path, pol_visit_fn fn, void *ctx);
/* Cut a path (false: too long or too deep for struct pol_path; the field tables' test keeps them short). */
bool pol_path_parse(const char *path, struct pol_path *p);
/* The same walk over the whole op, with the path cut already (the evaluator's per-operation path). */
void pol_walk_path(const struct bld_op *op, const struct pol_path *p, pol_visit_fn fn, void *ctx);
/* The field named like path's last part in the same scope as a visited value (a span's count or end). */
const struct bld_op_field *pol_sibling(const struct bld_op *op, uint32_t from, uint32_t to, const char *path);
/* A number field as a double, and as a uint64 when it is a non-negative integer (*is_uint). */
bool pol_num(const struct bld_op_field *f, double *d, uint64_t *u, bool *is_uint);
/* Row i is the first with its key (several rows may share one: fields.h). */
bool pol_key_first(const struct bld_dissector *dsc, uint32_t i);
/*
 * "function=6 address=40 value=0" into buf, and the op's signature: a hash of
 * what it asks (every key but VALUE ones), which tells cyclic requests apart.
 */
uint64_t pol_op_brief(const struct bld_dissector *dsc, const struct bld_op *op, char *buf, size_t len);
/* The signature alone (no text): every key of the protocol, for timing on a whole rule. */
uint64_t pol_op_sig(const struct bld_dissector *dsc, const struct bld_op *op);
/*
 * One key's part of an entry's signature: its values along its rows.  An
 * entry's signature is the sum over its selector keys (SET, SPAN, TEXT), an
 * order-free combination, so the learner (keys in the protocol's order) and
 * the evaluator (keys in judging order) agree.
 */
uint64_t pol_key_sig(const struct bld_op *op, const struct bld_field_spec *const *rows, uint32_t n);
/*
 * Whether rules judge op at all: it carries at least one of the protocol's
 * selector fields (SET, SPAN, TEXT).  Cyclic I/O data, keep-alives and bare
 * transport frames carry none: there is nothing in them to allow or refuse,
 * and the flow itself was judged already.
 */
bool pol_op_judged(const struct bld_dissector *dsc, const struct bld_op *op, const struct pol_path *paths, uint32_t n);
/* dsc's selector paths, cut (for pol_op_judged); returns how many (at most cap). */
uint32_t pol_selector_paths(const struct bld_dissector *dsc, struct pol_path *out, uint32_t cap);

#endif /* BLD_POLICY_MODEL_H */
