/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syslog_flood: Bollard's syslog export (export/syslog_out.h) driven with
 * synthetic alerts, for the export's fault test (tests/e2e/syslog_faults.py)
 * and benchmark (scripts/bench-syslog).  It takes the --syslog options of
 * `bollard read` (dataplane/syslog_opts.h, the same parser) and
 *
 *   --count N       alerts to send (default 10000)
 *   --rate R        at most R alerts per second of wall time (default: as fast as they go)
 *   --detail-bytes B  pad each alert's detail to B bytes (default: a few)
 *   --alert-step-ms S the alerts' own (packet) times are S ms apart (default 1)
 *
 * Alert i is an op.not_allowed whose reason is "flood alert i" and whose
 * detail begins "seq=i", so a receiver can tell which arrived and how often.
 * At the end it closes the export (--syslog-flush-timeout) and prints one
 * JSON line on stdout: the export's counters and the time taken.  Exit
 * status as bollard's: 0 everything confirmed, 2 not.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syslog_opts.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: syslog_flood [--count N] [--rate R] [--detail-bytes B] [--alert-step-ms S] --syslog URL [...]\n");
	bld_syslog_cli_usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	enum { OPT_COUNT = 1, OPT_RATE, OPT_DETAIL, OPT_STEP };
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "detail-bytes", required_argument, NULL, OPT_DETAIL },
		{ "alert-step-ms", required_argument, NULL, OPT_STEP },
		BLD_SYSLOG_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct bld_syslog_cli cli;
	bld_syslog_cli_init(&cli, "flood");
	unsigned long count = 10000, detail_bytes = 0, step_ms = 1;
	double rate = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case OPT_COUNT:
			count = strtoul(optarg, &end, 10);
			break;
		case OPT_RATE:
			rate = strtod(optarg, &end);
			break;
		case OPT_DETAIL:
			detail_bytes = strtoul(optarg, &end, 10);
			break;
		case OPT_STEP:
			step_ms = strtoul(optarg, &end, 10);
			break;
		default:
			if (c < BLD_OPT_SYSLOG || bld_syslog_cli_option(&cli, c, optarg) < 0)
				return usage();
			continue;
		}
		if (!end || *end || detail_bytes > 60000)
			return usage();
	}
	if (!cli.o.n_urls || optind != argc)
		return usage();
	char err[512];
	struct bld_syslog *s = bld_syslog_open(&cli.o, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "syslog_flood: %s\n", err);
		return 2;
	}
	struct bld_policy_flow flow = { .family = 4, .client_ip = { 10, 0, 0, 1 }, .server_ip = { 10, 0, 0, 2 },
					.client_port = 50000, .server_port = 502, .has_ports = true, .l4 = 6,
					.app = "modbus" };
	char reason[64], *detail = malloc(detail_bytes + 32);
	if (!detail)
		return 2;
	double t0 = now_s();
	uint64_t base_ns = 1767225600ull * 1000000000ull;   /* 2026-01-01T00:00:00Z */
	for (unsigned long i = 0; i < count; i++) {
		if (rate > 0) {   /* pace: alert i leaves no earlier than i / rate seconds in */
			double due = t0 + (double)i / rate, now = now_s();
			if (due > now) {
				struct timespec w = { .tv_sec = (time_t)(due - now), .tv_nsec = (long)((due - now - (double)(time_t)(due - now)) * 1e9) };
				nanosleep(&w, NULL);
			}
		}
		flow.flow_id = i + 1;
		snprintf(reason, sizeof(reason), "flood alert %lu", i);
		int n = snprintf(detail, 32, "seq=%lu", i);
		if ((unsigned long)n < detail_bytes) {
			detail[n] = ' ';
			memset(detail + n + 1, 'x', detail_bytes - (unsigned long)n - 1);
			detail[detail_bytes] = 0;
		}
		uint64_t ts = base_ns + (uint64_t)i * step_ms * 1000000ull;
		struct bld_alert a = { .kind = BLD_ALERT_OP_NOT_ALLOWED, .severity = BLD_SEV_HIGH, .action = BLD_ACTION_ALERT,
				       .reason = reason, .flow = &flow, .to_server = true, .detail = detail,
				       .first_ns = ts, .last_ns = ts, .count = 1 };
		bld_syslog_send(s, &a);
	}
	double t_sent = now_s();
	struct bld_syslog_stats st;
	int rc = bld_syslog_close(s, cli.flush_timeout_ms, &st);
	double t_done = now_s();
	printf("{\"alerts\":%lu,\"queued\":%llu,\"sent\":%llu,\"dropped\":%llu,\"lost\":%llu,\"kept\":%llu,\"cut\":%llu,"
	       "\"resent\":%llu,\"spooled\":%llu,\"reports\":%llu,\"suppressed\":%llu,\"retries\":%llu,\"reconnects\":%llu,"
	       "\"seconds_queueing\":%.6f,\"seconds_total\":%.6f}\n",
	       count, (unsigned long long)st.queued, (unsigned long long)st.sent, (unsigned long long)st.dropped,
	       (unsigned long long)st.lost, (unsigned long long)st.kept, (unsigned long long)st.cut,
	       (unsigned long long)st.resent, (unsigned long long)st.spooled, (unsigned long long)st.reports,
	       (unsigned long long)st.suppressed, (unsigned long long)st.retries, (unsigned long long)st.reconnects,
	       t_sent - t0, t_done - t0);
	free(detail);
	return rc ? 2 : 0;
}
