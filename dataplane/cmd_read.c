/* SPDX-License-Identifier: BSD-3-Clause */
/* bollard read: offline analysis of pcap/pcapng captures through the live engine. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "engine.h"
#include "flow_record.h"
#include "inputs.h"
#include "op_json.h"
#include "report.h"
#include "syslog_opts.h"

/* Inputs at least this large get a progress bar when stderr is a terminal. */
#define PROGRESS_MIN_BYTES (64ull << 20)

struct read_opts {
	const char *filter;
	const char *flows_path;
	const char *ops_path;
	const char *events_path;
	const char *policy_path;
	bool json_summary;
	bool no_dissect;
	bool progress;
	uint32_t max_flows;
	struct bld_syslog_cli syslog;
};

struct read_ctx {
	struct bld_out flows, ops, events;
	struct bld_syslog *syslog;
	struct bld_report *report;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bollard read [options] CAPTURE...\n\n"
		"Analyse pcap and pcapng captures offline, in the order given, as one timeline,\n"
		"with the same engine the live sensor runs.\n\n"
		"Options:\n"
		"  -f, --filter BPF      only packets matching this BPF filter (tcpdump syntax)\n"
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
		"      --no-progress     no progress bar on stderr\n");
	bld_syslog_cli_usage(out);
	fprintf(out,
		"  -h, --help            this help\n\n"
		"Exit status: 0 done, 1 an input was damaged (read up to the damage), 2 usage or I/O error\n"
		"(an output that could not be written, or alerts a --syslog receiver never got).\n");
}

static int parse_opts(int argc, char **argv, struct read_opts *o)
{
	enum { OPT_FLOWS = 256, OPT_OPS, OPT_EVENTS, OPT_POLICY, OPT_NO_DISSECT, OPT_JSON, OPT_MAX_FLOWS, OPT_NO_PROGRESS };
	static const struct option longopts[] = {
		{ "filter", required_argument, NULL, 'f' },
		{ "flows", required_argument, NULL, OPT_FLOWS },
		{ "ops", required_argument, NULL, OPT_OPS },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "no-dissect", no_argument, NULL, OPT_NO_DISSECT },
		{ "json-summary", no_argument, NULL, OPT_JSON },
		{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		BLD_SYSLOG_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->filter = optarg;
			break;
		case OPT_FLOWS:
			o->flows_path = optarg;
			break;
		case OPT_OPS:
			o->ops_path = optarg;
			break;
		case OPT_EVENTS:
			o->events_path = optarg;
			break;
		case OPT_POLICY:
			o->policy_path = optarg;
			break;
		case OPT_NO_DISSECT:
			o->no_dissect = true;
			break;
		case OPT_JSON:
			o->json_summary = true;
			break;
		case OPT_MAX_FLOWS: {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || *end || v == 0 || v > (1ul << 30)) {
				fprintf(stderr, "bollard read: --max-flows wants a number from 1 to %lu, not '%s'\n",
					1ul << 30, optarg);
				return -1;
			}
			o->max_flows = (uint32_t)v;
			break;
		}
		case OPT_NO_PROGRESS:
			o->progress = false;
			break;
		case 'h':
			usage(stdout);
			exit(BLD_EXIT_OK);
		default:
			if (c >= BLD_OPT_SYSLOG && c < BLD_OPT_SYSLOG_END) {
				if (bld_syslog_cli_option(&o->syslog, c, optarg) < 0)
					return -1;
				break;
			}
			usage(stderr);
			return -1;
		}
	}
	if (o->syslog.o.n_urls && !o->policy_path) {
		fprintf(stderr, "bollard read: --syslog sends a policy's alerts: give --policy FILE too\n");
		return -1;
	}
	int on_stdout = 0;
	const char *paths[] = { o->flows_path, o->ops_path, o->events_path };
	for (int i = 0; i < 3; i++)
		on_stdout += paths[i] && strcmp(paths[i], "-") == 0;
	if (on_stdout > 1) {
		fprintf(stderr, "bollard read: only one of --flows, --ops, --events can be - (stdout)\n");
		return -1;
	}
	if (optind >= argc) {
		fprintf(stderr, "bollard read: no capture file given\n\n");
		usage(stderr);
		return -1;
	}
	return optind;
}

static void on_flow_end(void *ctx, struct bld_engine *e, const struct bld_flow *f, enum bld_flow_end why)
{
	struct read_ctx *rc = ctx;
	struct bld_flow_record rec;
	bld_engine_flow_record(e, f, why, &rec);
	bld_report_flow(rc->report, &rec);
	if (rc->flows.f && !rc->flows.err)
		rc->flows.err = bld_flow_record_write_json(rc->flows.f, &rec);
}

static void on_op(void *ctx, struct bld_engine *e, const struct bld_flow *f, const struct bld_op *op)
{
	struct read_ctx *rc = ctx;
	(void)e;
	if (!rc->ops.f || rc->ops.err)
		return;
	struct bld_endpoints ep;
	bld_engine_endpoints(f, op->to_server, &ep);
	rc->ops.err = bld_op_write_json(rc->ops.f, &ep, op);
}

static void on_event(void *ctx, struct bld_engine *e, const struct bld_flow *f, enum bld_event ev, uint64_t ts_ns,
		     bool to_server)
{
	struct read_ctx *rc = ctx;
	(void)e;
	if (!rc->events.f || rc->events.err)
		return;
	struct bld_endpoints ep;
	bld_engine_endpoints(f, to_server, &ep);
	rc->events.err = bld_event_write_json(rc->events.f, &ep, bld_engine_flow_proto(f), ev, ts_ns);
}

static void on_alert(void *ctx, const struct bld_alert *a)
{
	struct read_ctx *rc = ctx;
	bld_report_alert(rc->report, a);
	if (rc->events.f && !rc->events.err)
		rc->events.err = bld_alert_write_json(rc->events.f, a);
	if (rc->syslog)
		bld_syslog_send(rc->syslog, a);
}

/* A progress bar for people watching a terminal; wall time is used for the display only. */
struct progress {
	bool on;
	uint64_t total, done_before;
	struct timespec last;
};

static void progress_show(struct progress *p, uint64_t offset, bool final)
{
	if (!p->on)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && (now.tv_sec - p->last.tv_sec) * 1000000000L + (now.tv_nsec - p->last.tv_nsec) < 200000000L)
		return;
	p->last = now;
	uint64_t done = p->done_before + offset;
	int pct = p->total ? (int)(done * 100 / p->total) : 100;
	if (pct > 100)
		pct = 100;
	char bar[41];
	memset(bar, '#', (size_t)pct * 40 / 100);
	memset(bar + pct * 40 / 100, '.', 40 - (size_t)pct * 40 / 100);
	bar[40] = 0;
	fprintf(stderr, "\r[%s] %3d%%", bar, pct);
	if (final)
		fprintf(stderr, "\n");
}

static void progress_at(void *ctx, uint64_t offset)
{
	progress_show(ctx, offset, false);
}

int bld_cmd_read(int argc, char **argv)
{
	struct read_opts o = { .progress = true };
	bld_syslog_cli_init(&o.syslog, "read");
	int first = parse_opts(argc, argv, &o);
	if (first < 0)
		return BLD_EXIT_USAGE;

	int status = BLD_EXIT_OK;
	struct read_ctx ctx = { 0 };
	struct bld_engine *e = NULL;
	struct bld_policy *policy = NULL;
	struct progress prog = { 0 };

	if (bld_inputs_check("read", argv + first, argc - first, o.filter, &prog.total) < 0)
		return BLD_EXIT_USAGE;
	prog.on = o.progress && isatty(STDERR_FILENO) && prog.total >= PROGRESS_MIN_BYTES;
	if (o.policy_path && !(policy = bld_policy_open("read", o.policy_path)))
		return BLD_EXIT_USAGE;
	if (o.syslog.o.n_urls) {
		char err[512];
		if (!(ctx.syslog = bld_syslog_open(&o.syslog.o, err, sizeof(err)))) {
			fprintf(stderr, "bollard read: %s\n", err);
			bld_policy_free(policy);
			return BLD_EXIT_USAGE;
		}
	}

	ctx.report = bld_report_create();
	if (!ctx.report)
		goto nomem;
	if (bld_out_open(&ctx.flows, "read", "--flows", o.flows_path) < 0 ||
	    bld_out_open(&ctx.ops, "read", "--ops", o.ops_path) < 0 ||
	    bld_out_open(&ctx.events, "read", "--events", o.events_path) < 0) {
		status = BLD_EXIT_USAGE;
		goto out;
	}

	struct bld_engine_config cfg;
	bld_engine_config_default(&cfg);
	if (o.max_flows)
		cfg.flow.max_flows = o.max_flows;
	cfg.dissect = !o.no_dissect;
	cfg.on_flow_end = on_flow_end;
	cfg.on_op = o.ops_path ? on_op : NULL;
	cfg.on_event = o.events_path && !policy ? on_event : NULL;
	cfg.policy = policy;
	cfg.on_alert = on_alert;
	cfg.ctx = &ctx;
	if (policy)
		bld_report_policy(ctx.report, o.policy_path);
	e = bld_engine_create(&cfg);
	if (!e)
		goto nomem;

	for (int i = first; i < argc; i++) {
		struct stat st;
		struct bld_inputs_result r;
		int rc = bld_inputs_read("read", &e, 1, argv[i], o.filter, prog.on ? progress_at : NULL, &prog, &r);
		if (rc < 0) {
			status = BLD_EXIT_USAGE;
			goto out;
		}
		bld_report_input(ctx.report, argv[i], r.filtered, rc > 0 ? r.error : NULL);
		if (rc > 0)
			status = BLD_EXIT_DAMAGED;
		if (stat(argv[i], &st) == 0)
			prog.done_before += (uint64_t)st.st_size;
	}
	progress_show(&prog, 0, true);
	bld_engine_finish(e);
	if (ctx.syslog) {   /* every alert is queued now: send what waits, within the flush timeout */
		int lost = bld_syslog_close(ctx.syslog, o.syslog.flush_timeout_ms, NULL);
		ctx.syslog = NULL;
		if (lost)
			status = BLD_EXIT_USAGE;
	}

	bool written = bld_out_close(&ctx.flows);
	written &= bld_out_close(&ctx.ops);
	written &= bld_out_close(&ctx.events);
	if (!written)
		status = BLD_EXIT_USAGE;

	struct bld_engine_stats stats;
	bld_engine_stats(e, &stats);
	/* With JSON lines on stdout the summary goes to stderr, so they stay clean. */
	bool stdout_taken = false;
	const char *paths[] = { o.flows_path, o.ops_path, o.events_path };
	for (int i = 0; i < 3; i++)
		stdout_taken |= paths[i] && strcmp(paths[i], "-") == 0;
	FILE *out = stdout_taken ? stderr : stdout;
	if (o.json_summary)
		bld_report_print_json(ctx.report, &stats, out);
	else
		bld_report_print_text(ctx.report, &stats, out);
	goto out;

nomem:
	fprintf(stderr, "bollard read: out of memory\n");
	status = BLD_EXIT_USAGE;
out:
	bld_out_close(&ctx.flows);
	bld_out_close(&ctx.ops);
	bld_out_close(&ctx.events);
	bld_engine_destroy(e);
	bld_syslog_close(ctx.syslog, 0, NULL);   /* an early exit: nothing waits for a receiver */
	bld_policy_free(policy);
	bld_report_destroy(ctx.report);
	return status;
}
