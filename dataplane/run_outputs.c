/* SPDX-License-Identifier: BSD-3-Clause */
#include "run_outputs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "flow_record.h"
#include "op_json.h"

static void lock(struct bld_run_outputs *o)
{
	if (o->lock)
		pthread_mutex_lock(o->lock);
}

static void unlock(struct bld_run_outputs *o)
{
	if (o->lock)
		pthread_mutex_unlock(o->lock);
}

static void on_flow_end(void *ctx, struct bld_engine *e, const struct bld_flow *f, enum bld_flow_end why)
{
	struct bld_run_outputs *o = ctx;
	struct bld_flow_record rec;
	bld_engine_flow_record(e, f, why, &rec);
	lock(o);
	bld_report_flow(o->report, &rec);
	if (o->flows.f && !o->flows.err)
		o->flows.err = bld_flow_record_write_json(o->flows.f, &rec);
	unlock(o);
}

static void on_op(void *ctx, struct bld_engine *e, const struct bld_flow *f, const struct bld_op *op)
{
	struct bld_run_outputs *o = ctx;
	if (!o->ops.f || o->ops.err)
		return;
	struct bld_endpoints ep;
	bld_engine_endpoints(f, op->to_server, &ep);
	ep.port = bld_engine_port_name(e, f);
	lock(o);
	o->ops.err = bld_op_write_json(o->ops.f, &ep, op);
	unlock(o);
}

static void on_event(void *ctx, struct bld_engine *e, const struct bld_flow *f, enum bld_event ev, uint64_t ts_ns,
		     bool to_server)
{
	struct bld_run_outputs *o = ctx;
	if (!o->events.f || o->events.err)
		return;
	struct bld_endpoints ep;
	bld_engine_endpoints(f, to_server, &ep);
	ep.port = bld_engine_port_name(e, f);
	lock(o);
	o->events.err = bld_event_write_json(o->events.f, &ep, bld_engine_flow_proto(f), ev, ts_ns);
	unlock(o);
}

static void on_alert(void *ctx, const struct bld_alert *a)
{
	struct bld_run_outputs *o = ctx;
	lock(o);
	bld_report_alert(o->report, a);
	if (o->events.f && !o->events.err)
		o->events.err = bld_alert_write_json(o->events.f, a);
	unlock(o);
	if (o->syslog)
		bld_syslog_send(o->syslog, a);   /* thread-safe itself */
}

void bld_run_outputs_attach(struct bld_run_outputs *o, struct bld_engine_config *cfg)
{
	cfg->on_flow_end = on_flow_end;
	cfg->on_op = o->ops.f ? on_op : NULL;
	cfg->on_event = o->events.f && !cfg->policy ? on_event : NULL;
	cfg->on_alert = on_alert;
	cfg->ctx = o;
}

void bld_run_opts_init(struct bld_run_opts *o, const char *cmd)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	bld_syslog_cli_init(&o->syslog, cmd);
}

int bld_run_opts_option(struct bld_run_opts *o, int c, const char *arg)
{
	switch (c) {
	case BLD_OPT_FLOWS:
		o->flows_path = arg;
		return 1;
	case BLD_OPT_OPS:
		o->ops_path = arg;
		return 1;
	case BLD_OPT_EVENTS:
		o->events_path = arg;
		return 1;
	case BLD_OPT_POLICY:
		o->policy_path = arg;
		return 1;
	case BLD_OPT_NO_DISSECT:
		o->no_dissect = true;
		return 1;
	case BLD_OPT_JSON_SUMMARY:
		o->json_summary = true;
		return 1;
	case BLD_OPT_PROFILE:
		o->profile = true;
		return 1;
	case BLD_OPT_MAX_FLOWS: {
		char *end;
		errno = 0;
		unsigned long v = strtoul(arg, &end, 10);
		if (errno || *end || v == 0 || v > (1ul << 30)) {
			fprintf(stderr, "bollard %s: --max-flows wants a number from 1 to %lu, not '%s'\n", o->cmd, 1ul << 30,
				arg);
			return -1;
		}
		o->max_flows = (uint32_t)v;
		return 1;
	}
	default:
		if (c >= BLD_OPT_SYSLOG && c < BLD_OPT_SYSLOG_END)
			return bld_syslog_cli_option(&o->syslog, c, arg) < 0 ? -1 : 1;
		return 0;
	}
}

static bool on_stdout(const struct bld_run_opts *o, int *n)
{
	const char *paths[] = { o->flows_path, o->ops_path, o->events_path };
	*n = 0;
	for (int i = 0; i < 3; i++)
		*n += paths[i] && bld_out_is_stdout(paths[i]);
	return *n > 0;
}

int bld_run_opts_check(const struct bld_run_opts *o)
{
	if (o->syslog.o.n_urls && !o->policy_path) {
		fprintf(stderr, "bollard %s: --syslog sends a policy's alerts: give --policy FILE too\n", o->cmd);
		return -1;
	}
	int n;
	if (on_stdout(o, &n) && n > 1) {
		fprintf(stderr, "bollard %s: only one of --flows, --ops, --events can be - (stdout)\n", o->cmd);
		return -1;
	}
	return 0;
}

void bld_run_opts_usage(FILE *out)
{
	fprintf(out,
		"      --flows FILE      write one JSON line per flow when it ends ('-' for stdout)\n"
		"      --ops FILE        write one JSON line per industrial PDU parsed: who, what\n"
		"                        function, which addresses and values (docs/protocols.md)\n"
		"      --events FILE     write one JSON line per event: with --policy, the policy's\n"
		"                        alerts and the protocol events, aggregated (docs/events.md);\n"
		"                        without, each protocol event (malformed PDUs, state\n"
		"                        violations, exceptions, stream anomalies)\n"
		"      --policy FILE     judge flows and operations against an allow-list policy\n"
		"                        (docs/policy.md); the summary lists the alerts\n"
		"      --no-dissect      classify flows only, parse no PDUs (faster)\n"
		"      --json-summary    print the summary as JSON instead of text\n"
		"      --max-flows N     flow table capacity (default 1048576); when full the\n"
		"                        oldest idle flow is evicted and counted\n"
		"      --profile         count CPU cycles per stage (decode, flow, classify, dissect,\n"
		"                        policy) and print them per packet on stderr\n");
	bld_syslog_cli_usage(out);
}

int bld_run_outputs_open(struct bld_run_outputs *o, const struct bld_run_opts *opts)
{
	if (bld_out_open(&o->flows, opts->cmd, "--flows", opts->flows_path) < 0 ||
	    bld_out_open(&o->ops, opts->cmd, "--ops", opts->ops_path) < 0 ||
	    bld_out_open(&o->events, opts->cmd, "--events", opts->events_path) < 0)
		return -1;
	if (!(o->report = bld_report_create())) {
		fprintf(stderr, "bollard %s: out of memory\n", opts->cmd);
		return -1;
	}
	if (opts->policy_path)
		bld_report_policy(o->report, opts->policy_path);
	if (opts->syslog.o.n_urls) {
		char err[512];
		if (!(o->syslog = bld_syslog_open(&opts->syslog.o, err, sizeof(err)))) {
			fprintf(stderr, "bollard %s: %s\n", opts->cmd, err);
			return -1;
		}
	}
	return 0;
}

int bld_run_outputs_finish(struct bld_run_outputs *o, const struct bld_run_opts *opts,
			   const struct bld_engine_stats *stats)
{
	int status = BLD_EXIT_OK;
	if (o->syslog) {   /* every alert is queued now: send what waits, within the flush timeout */
		int lost = bld_syslog_close(o->syslog, opts->syslog.flush_timeout_ms, NULL);
		o->syslog = NULL;
		if (lost)
			status = BLD_EXIT_USAGE;
	}
	bool written = bld_out_close(&o->flows);
	written &= bld_out_close(&o->ops);
	written &= bld_out_close(&o->events);
	if (!written)
		status = BLD_EXIT_USAGE;
	if (opts->profile && stats->packets) {
		fprintf(stderr, "bollard %s: cycles per packet:", opts->cmd);
		uint64_t all = 0;
		for (int s = 0; s < BLD_STAGE_MAX; s++) {
			all += stats->stage_cycles[s];
			fprintf(stderr, " %s %.0f", bld_stage_names[s], (double)stats->stage_cycles[s] / (double)stats->packets);
		}
		fprintf(stderr, "; all %.0f (time-stamp counter ticks)\n", (double)all / (double)stats->packets);
	}
	int n;
	FILE *out = on_stdout(opts, &n) ? stderr : stdout;   /* JSON lines on stdout stay clean */
	if (opts->json_summary)
		bld_report_print_json(o->report, stats, out);
	else
		bld_report_print_text(o->report, stats, out);
	return status;
}

void bld_run_outputs_close(struct bld_run_outputs *o)
{
	bld_out_close(&o->flows);
	bld_out_close(&o->ops);
	bld_out_close(&o->events);
	bld_syslog_close(o->syslog, 0, NULL);   /* nothing waits for a receiver */
	o->syslog = NULL;
	bld_report_destroy(o->report);
	o->report = NULL;
}
