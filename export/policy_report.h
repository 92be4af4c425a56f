/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The report of `bollard test`: what a candidate policy (NEW) would have
 * said about some captures, and how that differs from the policy in force
 * (the baseline, OLD).  Sections:
 *
 *   alerts      NEW's alerts grouped by (rule, event): lines, occurrences,
 *               first/last seen, severity, one example
 *   dead rules  rules of NEW that allowed nothing (likely stale or mistyped)
 *   diff        alerts NEW adds and alerts NEW silences compared with OLD,
 *               an alert being identified by (event, src, dst, dst port,
 *               proto, detail), since rule ids differ between policies
 *   map         who talked to whom (client -> server, protocol/port), every
 *               edge allowed or denied by NEW
 *
 *   struct bld_policy_report *r = bld_policy_report_create();
 *   bld_policy_report_policy(r, "new.yaml", new_policy);
 *   ... bld_policy_report_alert(r, a, false)     each alert of NEW (true: of OLD)
 *   ... bld_policy_report_flow(r, &pf, denied, pkts, bytes)   each flow NEW judged
 *   bld_policy_report_rules(r, new_policy, hits);
 *   bld_policy_report_write_json(r, f) / _write_html(r, f) / _print_text(r, f)
 *
 * Memory is bounded whatever the traffic: alert groups, edges and diff
 * entries are stored up to fixed caps (BLD_POLICY_REPORT_MAX_*); what does
 * not fit is counted, and the outputs say so.  Everything that comes from
 * traffic is escaped for its output (HTML text, JSON through jansson with
 * invalid UTF-8 bytes carried as U+0080..U+00FF, control characters made
 * visible in text).
 */
#ifndef BLD_POLICY_REPORT_H
#define BLD_POLICY_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "policy.h"

/* Stored at most (the rest is counted). */
#define BLD_POLICY_REPORT_MAX_GROUPS 4096        /* (rule, event) alert groups */
#define BLD_POLICY_REPORT_MAX_EDGES 20000        /* distinct (client, server, l4, port, app) */
#define BLD_POLICY_REPORT_MAX_DIFF 50000         /* distinct alert identities, both policies together */
#define BLD_POLICY_REPORT_MAX_INPUTS 256
/* Listed at most in the outputs. */
#define BLD_POLICY_REPORT_LIST_DIFF 200          /* added, and silenced, entries each */
#define BLD_POLICY_REPORT_LIST_EDGES 500         /* busiest first */
#define BLD_POLICY_REPORT_MAP_NODES 120          /* hosts drawn in the HTML map, busiest first */

struct bld_policy_report;

struct bld_policy_report *bld_policy_report_create(void);
void bld_policy_report_destroy(struct bld_policy_report *r);

/*
 * The policy under test; p names hosts in the map and must outlive every
 * later call that takes flows.  Its counts (bld_policy_info) go in the report.
 */
void bld_policy_report_policy(struct bld_policy_report *r, const char *path, const struct bld_policy *p);

/* The baseline's file: there will be a diff. */
void bld_policy_report_baseline(struct bld_policy_report *r, const char *path);

/* One capture as it was read: packets taken from it, and what was wrong with it (NULL: nothing). */
void bld_policy_report_input(struct bld_policy_report *r, const char *path, uint64_t packets, const char *error);

/* Run totals: packets and bytes offered, packet time range. */
void bld_policy_report_totals(struct bld_policy_report *r, uint64_t packets, uint64_t bytes, uint64_t ts_first,
			      uint64_t ts_last);

/* One alert line of NEW (baseline false) or of OLD (baseline true). */
void bld_policy_report_alert(struct bld_policy_report *r, const struct bld_alert *a, bool baseline);

/* One ended flow as NEW judged it (denied: no rule of NEW allows it). */
void bld_policy_report_flow(struct bld_policy_report *r, const struct bld_policy_flow *f, bool denied,
			    uint64_t packets, uint64_t bytes);

/* The rules of p and how often each allowed something (bld_policy_eval_rule_hits): dead rules. */
void bld_policy_report_rules(struct bld_policy_report *r, const struct bld_policy *p, const uint64_t *hits);

/* What the run found: alert lines of NEW (0: clean) and, with a baseline, the diff's sizes. */
struct bld_policy_report_summary {
	uint64_t alert_lines, alert_occurrences;
	uint64_t baseline_lines, baseline_occurrences;
	unsigned rules, dead_rules;
	uint64_t added, silenced;                /* distinct alert identities */
	bool diff_complete;                      /* no identity was left out for the cap */
	uint64_t flows, edges, denied_edges;
};
void bld_policy_report_summary(const struct bld_policy_report *r, struct bld_policy_report_summary *s);

/* Outputs.  Return 0 or -errno (-EIO when the stream failed, -ENOMEM). */
int bld_policy_report_print_text(struct bld_policy_report *r, FILE *out);
int bld_policy_report_write_json(struct bld_policy_report *r, FILE *out);
int bld_policy_report_write_html(struct bld_policy_report *r, FILE *out);

#endif /* BLD_POLICY_REPORT_H */
