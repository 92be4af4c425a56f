/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The end-of-run report of `bollard read`: totals, protocols, industrial
 * conversations and findings, as text for people (stdout) or JSON for
 * machines (--json-summary).
 */
#ifndef BLD_REPORT_H
#define BLD_REPORT_H

#include <stdio.h>

#include "engine.h"
#include "flow_record.h"

struct bld_report;

struct bld_report *bld_report_create(void);
void bld_report_destroy(struct bld_report *r);

/* Take in one finished flow. */
void bld_report_flow(struct bld_report *r, const struct bld_flow_record *rec);

/* Inputs as they were read, and what went wrong with them (NULL when fine). */
/* Alerts of a policy (path: its file) are summarised too. */
void bld_report_policy(struct bld_report *r, const char *path);
struct bld_alert;
void bld_report_alert(struct bld_report *r, const struct bld_alert *a);

void bld_report_input(struct bld_report *r, const char *path, uint64_t filtered, const char *error);

void bld_report_print_text(const struct bld_report *r, const struct bld_engine_stats *s, FILE *out);
int bld_report_print_json(const struct bld_report *r, const struct bld_engine_stats *s, FILE *out);

#endif /* BLD_REPORT_H */
