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
#include "inputs.h"
#include "report.h"
#include "run_outputs.h"
#include "syslog_opts.h"

/* Inputs at least this large get a progress bar when stderr is a terminal. */
#define PROGRESS_MIN_BYTES (64ull << 20)

struct read_opts {
	struct bld_run_opts run;
	const char *filter;
	bool progress;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bollard read [options] CAPTURE...\n\n"
		"Analyse pcap and pcapng captures offline, in the order given, as one timeline,\n"
		"with the same engine the live sensor runs.\n\n"
		"Options:\n"
		"  -f, --filter BPF      only packets matching this BPF filter (tcpdump syntax)\n"
		"      --no-progress     no progress bar on stderr\n");
	bld_run_opts_usage(out);
	fprintf(out,
		"  -h, --help            this help\n\n"
		"Exit status: 0 done, 1 an input was damaged (read up to the damage), 2 usage or I/O error\n"
		"(an output that could not be written, or alerts a --syslog receiver never got).\n");
}

static int parse_opts(int argc, char **argv, struct read_opts *o)
{
	enum { OPT_NO_PROGRESS = 256 };
	static const struct option longopts[] = {
		{ "filter", required_argument, NULL, 'f' },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		BLD_RUN_LONGOPTS,
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
		case OPT_NO_PROGRESS:
			o->progress = false;
			break;
		case 'h':
			usage(stdout);
			exit(BLD_EXIT_OK);
		default: {
			int taken = bld_run_opts_option(&o->run, c, optarg);
			if (taken < 0)
				return -1;
			if (!taken) {
				usage(stderr);
				return -1;
			}
		}
		}
	}
	if (bld_run_opts_check(&o->run) < 0)
		return -1;
	if (optind >= argc) {
		fprintf(stderr, "bollard read: no capture file given\n\n");
		usage(stderr);
		return -1;
	}
	return optind;
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
	bld_run_opts_init(&o.run, "read");
	int first = parse_opts(argc, argv, &o);
	if (first < 0)
		return BLD_EXIT_USAGE;

	int status = BLD_EXIT_OK;
	struct bld_run_outputs out = { 0 };
	struct bld_engine *e = NULL;
	struct bld_policy *policy = NULL;
	struct progress prog = { 0 };

	if (bld_inputs_check("read", argv + first, argc - first, o.filter, &prog.total) < 0)
		return BLD_EXIT_USAGE;
	prog.on = o.progress && isatty(STDERR_FILENO) && prog.total >= PROGRESS_MIN_BYTES;
	if (o.run.policy_path && !(policy = bld_policy_open("read", o.run.policy_path)))
		return BLD_EXIT_USAGE;
	if (bld_run_outputs_open(&out, &o.run) < 0) {
		status = BLD_EXIT_USAGE;
		goto out;
	}

	struct bld_engine_config cfg;
	bld_engine_config_default(&cfg);
	if (o.run.max_flows)
		cfg.flow.max_flows = o.run.max_flows;
	cfg.dissect = !o.run.no_dissect;
	cfg.profile = o.run.profile;
	cfg.policy = policy;
	bld_run_outputs_attach(&out, &cfg);
	if (!(e = bld_engine_create(&cfg))) {
		fprintf(stderr, "bollard read: out of memory\n");
		status = BLD_EXIT_USAGE;
		goto out;
	}

	for (int i = first; i < argc; i++) {
		struct stat st;
		struct bld_inputs_result r;
		int rc = bld_inputs_read("read", &e, 1, argv[i], o.filter, prog.on ? progress_at : NULL, &prog, &r);
		if (rc < 0) {
			status = BLD_EXIT_USAGE;
			goto out;
		}
		bld_report_input(out.report, argv[i], r.filtered, rc > 0 ? r.error : NULL);
		if (rc > 0)
			status = BLD_EXIT_DAMAGED;
		if (stat(argv[i], &st) == 0)
			prog.done_before += (uint64_t)st.st_size;
	}
	progress_show(&prog, 0, true);
	bld_engine_finish(e);
	struct bld_engine_stats stats;
	bld_engine_stats(e, &stats);
	int end = bld_run_outputs_finish(&out, &o.run, &stats);
	if (end != BLD_EXIT_OK)
		status = end;
out:
	bld_run_outputs_close(&out);
	bld_engine_destroy(e);
	bld_policy_free(policy);
	return status;
}
