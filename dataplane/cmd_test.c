/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bollard test: judge captures with a candidate policy before deploying it.
 *
 * The captures are one timeline, in the order given, read once; every
 * packet goes to an engine judged by the new policy and, with --baseline,
 * to a second engine judged by the policy in force.  Both run on packet
 * time, so timing and rate rules behave as on the live sensor (DESIGN.md:
 * the engine is a function of packets and policy), and the two engines see
 * exactly the same packets in the same order: their alerts can be compared
 * one by one.  The report (export/policy_report.h) groups the new policy's
 * alerts, lists its dead rules, the alerts it adds and silences against
 * the baseline, and maps who talks to whom as the new policy judges it.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "engine.h"
#include "flow_record.h"
#include "inputs.h"
#include "op_json.h"
#include "policy_report.h"
#include "syslog_opts.h"

#define MAX_REPORTS 8
#define TEST_EXIT_ALERTS 1   /* the policy under test raised alerts: the gate fails */

struct test_opts {
	const char *policy_path, *baseline_path, *events_path, *filter;
	const char *reports[MAX_REPORTS];
	unsigned n_reports;
	struct bld_syslog_cli syslog;
};

struct test_ctx {
	struct bld_policy_report *report;
	struct bld_out events;
	struct bld_syslog *syslog;       /* NEW's alerts, as the live sensor would send them */
};

/* One engine's callbacks: which policy's alerts they are. */
struct side_ctx {
	struct test_ctx *t;
	bool baseline;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bollard test --policy NEW.yaml [--baseline OLD.yaml] [options] CAPTURE...\n\n"
		"Judge captures with a policy before deploying it: read the captures (pcap or\n"
		"pcapng, in the order given, one timeline, packet time) through the engine with\n"
		"NEW and, with --baseline, in the same pass through a second engine with OLD.\n"
		"Report NEW's alerts by rule and kind, NEW's dead rules (rules that allowed\n"
		"nothing), the alerts NEW adds and silences compared with OLD, and a map of who\n"
		"talks to whom, each edge allowed or denied by NEW (docs/policy-testing.md).\n\n"
		"Options:\n"
		"      --policy FILE     the policy under test (required)\n"
		"      --baseline FILE   the policy in force, to compare with\n"
		"      --report FILE     write the full report: one HTML page when FILE ends in .html\n"
		"                        or .htm, JSON otherwise ('-' for stdout); may be repeated\n"
		"      --events FILE     write NEW's alerts as JSON lines, as `bollard read --events`\n"
		"                        ('-' for stdout)\n"
		"  -f, --filter BPF      only packets matching this BPF filter (tcpdump syntax)\n");
	bld_syslog_cli_usage(out);
	fprintf(out,
		"  -h, --help            this help\n\n"
		"A summary goes to stdout (to stderr when a report or the events go to stdout).\n\n"
		"Exit status: 0 NEW raised no alert, 1 NEW raised alerts, 2 usage error, a policy\n"
		"with errors (it never runs), or an unreadable or unwritable file.\n");
}

static int parse_opts(int argc, char **argv, struct test_opts *o)
{
	enum { OPT_POLICY = 256, OPT_BASELINE, OPT_REPORT, OPT_EVENTS };
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "filter", required_argument, NULL, 'f' },
		BLD_SYSLOG_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_POLICY:
			o->policy_path = optarg;
			break;
		case OPT_BASELINE:
			o->baseline_path = optarg;
			break;
		case OPT_REPORT:
			if (o->n_reports == MAX_REPORTS) {
				fprintf(stderr, "bollard test: at most %d --report files\n", MAX_REPORTS);
				return -1;
			}
			o->reports[o->n_reports++] = optarg;
			break;
		case OPT_EVENTS:
			o->events_path = optarg;
			break;
		case 'f':
			o->filter = optarg;
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
	if (!o->policy_path) {
		fprintf(stderr, "bollard test: no policy given (--policy FILE)\n\n");
		usage(stderr);
		return -1;
	}
	if (optind >= argc) {
		fprintf(stderr, "bollard test: no capture file given\n\n");
		usage(stderr);
		return -1;
	}
	unsigned on_stdout = bld_out_is_stdout(o->events_path);
	for (unsigned i = 0; i < o->n_reports; i++)
		on_stdout += bld_out_is_stdout(o->reports[i]);
	if (on_stdout > 1) {
		fprintf(stderr, "bollard test: only one of --report and --events can be - (stdout)\n");
		return -1;
	}
	return optind;
}

static bool is_html(const char *path)
{
	size_t n = strlen(path);
	return (n >= 5 && strcasecmp(path + n - 5, ".html") == 0) || (n >= 4 && strcasecmp(path + n - 4, ".htm") == 0);
}

static void on_alert(void *ctx, const struct bld_alert *a)
{
	struct side_ctx *s = ctx;
	bld_policy_report_alert(s->t->report, a, s->baseline);
	if (!s->baseline && s->t->events.f && !s->t->events.err)
		s->t->events.err = bld_alert_write_json(s->t->events.f, a);
	if (!s->baseline && s->t->syslog)
		bld_syslog_send(s->t->syslog, a);
}

/* Only the new policy's engine maps flows: the map shows the new policy's verdicts. */
static void on_flow_end(void *ctx, struct bld_engine *e, const struct bld_flow *f, enum bld_flow_end why)
{
	struct side_ctx *s = ctx;
	(void)why;
	struct bld_policy_flow pf;
	char app[64];
	bld_engine_policy_flow(e, f, &pf, app, sizeof(app));
	bld_policy_report_flow(s->t->report, &pf, f->policy.denied, f->pkts[0] + f->pkts[1], f->bytes[0] + f->bytes[1]);
}

static struct bld_engine *engine_for(const struct bld_policy *p, struct side_ctx *s)
{
	struct bld_engine_config cfg;
	bld_engine_config_default(&cfg);
	cfg.policy = p;
	cfg.on_alert = on_alert;
	cfg.on_flow_end = s->baseline ? NULL : on_flow_end;
	cfg.ctx = s;
	return bld_engine_create(&cfg);
}

int bld_cmd_test(int argc, char **argv)
{
	struct test_opts o = { 0 };
	bld_syslog_cli_init(&o.syslog, "test");
	int first = parse_opts(argc, argv, &o);
	if (first < 0)
		return BLD_EXIT_USAGE;

	int status = BLD_EXIT_USAGE;
	struct test_ctx t = { 0 };
	struct side_ctx s_new = { .t = &t, .baseline = false }, s_old = { .t = &t, .baseline = true };
	struct bld_policy *p_new = NULL, *p_old = NULL;
	struct bld_engine *e_new = NULL, *e_old = NULL;
	struct bld_out reports[MAX_REPORTS] = { 0 };

	if (bld_inputs_check("test", argv + first, argc - first, o.filter, NULL) < 0)
		return BLD_EXIT_USAGE;
	/* Both policies are checked before either runs, so every error shows at once. */
	p_new = bld_policy_open("test", o.policy_path);
	if (o.baseline_path)
		p_old = bld_policy_open("test", o.baseline_path);
	if (!p_new || (o.baseline_path && !p_old))
		goto out;
	if (o.syslog.o.n_urls) {
		char err[512];
		if (!(t.syslog = bld_syslog_open(&o.syslog.o, err, sizeof(err)))) {
			fprintf(stderr, "bollard test: %s\n", err);
			goto out;
		}
	}

	if (bld_out_open(&t.events, "test", "--events", o.events_path) < 0)
		goto out;
	for (unsigned i = 0; i < o.n_reports; i++)
		if (bld_out_open(&reports[i], "test", "--report", o.reports[i]) < 0)
			goto out;

	t.report = bld_policy_report_create();
	if (!t.report)
		goto nomem;
	bld_policy_report_policy(t.report, o.policy_path, p_new);
	if (p_old)
		bld_policy_report_baseline(t.report, o.baseline_path);
	e_new = engine_for(p_new, &s_new);
	if (!e_new || (p_old && !(e_old = engine_for(p_old, &s_old))))
		goto nomem;

	struct bld_engine *engines[2] = { e_new, e_old };
	for (int i = first; i < argc; i++) {
		struct bld_inputs_result r;
		if (bld_inputs_read("test", engines, e_old ? 2 : 1, argv[i], o.filter, NULL, NULL, &r) < 0)
			goto out;
		bld_policy_report_input(t.report, argv[i], r.packets, r.error[0] ? r.error : NULL);
	}
	bld_engine_finish(e_new);
	if (e_old)
		bld_engine_finish(e_old);
	bool delivered = bld_syslog_close(t.syslog, o.syslog.flush_timeout_ms, NULL) == 0;
	t.syslog = NULL;

	struct bld_engine_stats st;
	bld_engine_stats(e_new, &st);
	bld_policy_report_totals(t.report, st.packets, st.bytes, st.ts_first, st.ts_last);
	bld_policy_report_rules(t.report, p_new, bld_policy_eval_rule_hits(bld_engine_policy_eval(e_new)));

	bool written = bld_out_close(&t.events);
	for (unsigned i = 0; i < o.n_reports; i++) {
		int rc = is_html(o.reports[i]) ? bld_policy_report_write_html(t.report, reports[i].f)
					       : bld_policy_report_write_json(t.report, reports[i].f);
		if (rc < 0 && !reports[i].err)
			reports[i].err = rc;
		written &= bld_out_close(&reports[i]);
	}

	bool stdout_taken = bld_out_is_stdout(o.events_path);
	for (unsigned i = 0; i < o.n_reports; i++)
		stdout_taken |= bld_out_is_stdout(o.reports[i]);
	FILE *summary = stdout_taken ? stderr : stdout;
	if (bld_policy_report_print_text(t.report, summary) < 0 || fflush(summary) != 0)
		written = false;

	struct bld_policy_report_summary sum;
	bld_policy_report_summary(t.report, &sum);
	if (!written || !delivered)
		status = BLD_EXIT_USAGE;
	else
		status = sum.alert_lines ? TEST_EXIT_ALERTS : BLD_EXIT_OK;
	goto out;

nomem:
	fprintf(stderr, "bollard test: out of memory\n");
	status = BLD_EXIT_USAGE;
out:
	bld_syslog_close(t.syslog, 0, NULL);
	bld_out_close(&t.events);
	for (unsigned i = 0; i < o.n_reports; i++)
		bld_out_close(&reports[i]);
	bld_engine_destroy(e_new);
	bld_engine_destroy(e_old);
	bld_policy_free(p_new);
	bld_policy_free(p_old);
	bld_policy_report_destroy(t.report);
	return status;
}
