/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What `bollard read` and `bollard live` write while an engine runs: flow
 * records, operations and events as JSON lines, alerts to syslog, and the
 * tallies of the end-of-run summary.  The engine's callbacks, run on the
 * engine's own thread only.
 */
#ifndef BLD_RUN_OUTPUTS_H
#define BLD_RUN_OUTPUTS_H

#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "inputs.h"
#include "report.h"
#include "syslog_opts.h"
#include "syslog_out.h"

/* The options read and live share: outputs, policy, engine knobs, syslog. */
enum {
	BLD_OPT_FLOWS = 0x800,
	BLD_OPT_OPS,
	BLD_OPT_EVENTS,
	BLD_OPT_POLICY,
	BLD_OPT_NO_DISSECT,
	BLD_OPT_JSON_SUMMARY,
	BLD_OPT_MAX_FLOWS,
	BLD_OPT_PROFILE,
	BLD_OPT_RUN_END,
};

#define BLD_RUN_LONGOPTS                                                     \
	{ "flows", required_argument, NULL, BLD_OPT_FLOWS },                 \
	{ "ops", required_argument, NULL, BLD_OPT_OPS },                     \
	{ "events", required_argument, NULL, BLD_OPT_EVENTS },               \
	{ "policy", required_argument, NULL, BLD_OPT_POLICY },               \
	{ "no-dissect", no_argument, NULL, BLD_OPT_NO_DISSECT },             \
	{ "json-summary", no_argument, NULL, BLD_OPT_JSON_SUMMARY },         \
	{ "max-flows", required_argument, NULL, BLD_OPT_MAX_FLOWS },         \
	{ "profile", no_argument, NULL, BLD_OPT_PROFILE },                   \
	BLD_SYSLOG_LONGOPTS

struct bld_run_opts {
	const char *cmd;
	const char *flows_path, *ops_path, *events_path, *policy_path;
	bool json_summary, no_dissect, profile;
	uint32_t max_flows;
	struct bld_syslog_cli syslog;
};

void bld_run_opts_init(struct bld_run_opts *o, const char *cmd);

/* Option c with its argument: 1 taken, 0 not one of these, -1 wrong (said on stderr). */
int bld_run_opts_option(struct bld_run_opts *o, int c, const char *arg);

/* After the options: what only they together can tell (--syslog needs --policy, one output on stdout).  -1: said. */
int bld_run_opts_check(const struct bld_run_opts *o);

/* Their lines for --help. */
void bld_run_opts_usage(FILE *out);

struct bld_run_outputs {
	struct bld_out flows, ops, events;   /* closed ones (f NULL) are skipped */
	struct bld_syslog *syslog;           /* or NULL */
	struct bld_report *report;
	pthread_mutex_t *lock;               /* several engines (workers) write: taken around each record */
};

/*
 * Point cfg's callbacks and ctx at o.  With a policy the protocol events
 * reach --events as aggregated alerts; without, one line each.
 */
void bld_run_outputs_attach(struct bld_run_outputs *o, struct bld_engine_config *cfg);

/* Open --flows, --ops, --events, the report and --syslog of opts: -1 with a message (close what opened with _close). */
int bld_run_outputs_open(struct bld_run_outputs *o, const struct bld_run_opts *opts);

/*
 * The end of a run, after bld_engine_finish(): send what waits for syslog
 * (within the flush timeout), close the files, print the summary (on
 * stderr when an output took stdout).  The exit status it calls for: 0, or
 * BLD_EXIT_USAGE when alerts or lines were lost.
 */
int bld_run_outputs_finish(struct bld_run_outputs *o, const struct bld_run_opts *opts,
			   const struct bld_engine_stats *stats);

/* Close whatever is still open, without waiting (an early exit). */
void bld_run_outputs_close(struct bld_run_outputs *o);

#endif /* BLD_RUN_OUTPUTS_H */
