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
#include "pcap_source.h"
#include "report.h"

/* Inputs at least this large get a progress bar when stderr is a terminal. */
#define PROGRESS_MIN_BYTES (64ull << 20)

struct read_opts {
	const char *filter;
	const char *flows_path;
	bool json_summary;
	bool progress;
	uint32_t max_flows;
};

struct read_ctx {
	FILE *flows_out;
	int flows_err;           /* first write error on --flows */
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
		"      --json-summary    print the summary as JSON instead of text\n"
		"      --max-flows N     flow table capacity (default 1048576); when full the\n"
		"                        oldest idle flow is evicted and counted\n"
		"      --no-progress     no progress bar on stderr\n"
		"  -h, --help            this help\n\n"
		"Exit status: 0 done, 1 an input was damaged (read up to the damage), 2 usage or I/O error.\n");
}

static int parse_opts(int argc, char **argv, struct read_opts *o)
{
	enum { OPT_FLOWS = 256, OPT_JSON, OPT_MAX_FLOWS, OPT_NO_PROGRESS };
	static const struct option longopts[] = {
		{ "filter", required_argument, NULL, 'f' },
		{ "flows", required_argument, NULL, OPT_FLOWS },
		{ "json-summary", no_argument, NULL, OPT_JSON },
		{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
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
			usage(stderr);
			return -1;
		}
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
	if (rc->flows_out && !rc->flows_err)
		rc->flows_err = bld_flow_record_write_json(rc->flows_out, &rec);
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

/*
 * Files are one timeline in the order given.  One that starts before the
 * previous ended was probably given out of order: flows would time out late.
 */
static void warn_out_of_order(const char *path, uint64_t first, uint64_t last_before)
{
	char t1[40], t2[40];
	bld_format_time(first, t1, sizeof(t1));
	bld_format_time(last_before, t2, sizeof(t2));
	fprintf(stderr,
		"bollard read: warning: %s starts at %s, before the previous input ended (%s); "
		"inputs are read in the order given, so give them in time order\n",
		path, t1, t2);
}

static int read_file(struct bld_engine *e, const char *path, const struct read_opts *o, struct bld_report *report,
		     struct progress *prog)
{
	char err[600];
	struct bld_pcap_source *src = bld_pcap_source_open(path, o->filter, err, sizeof(err));
	if (!src) {
		fprintf(stderr, "bollard read: %s\n", err);
		return -1;
	}
	struct bld_pkt pkt;
	int n;
	uint64_t count = 0;
	struct bld_engine_stats before;
	bld_engine_stats(e, &before);
	while ((n = bld_pcap_source_next(src, &pkt, err, sizeof(err))) > 0) {
		if (count == 0 && before.packets && pkt.ts_ns < before.ts_last)
			warn_out_of_order(path, pkt.ts_ns, before.ts_last);
		bld_engine_process_burst(e, &pkt, 1);
		if ((++count & 0x3fff) == 0) /* the clock check costs more than the packet */
			progress_show(prog, bld_pcap_source_offset(src), false);
	}
	if (n < 0)
		fprintf(stderr, "bollard read: warning: %s; analysed the packets before it\n", err);
	bld_report_input(report, path, bld_pcap_source_filtered(src), n < 0 ? err : NULL);
	bld_pcap_source_close(src);
	return n < 0 ? 1 : 0;
}

int bld_cmd_read(int argc, char **argv)
{
	struct read_opts o = { .progress = true };
	int first = parse_opts(argc, argv, &o);
	if (first < 0)
		return BLD_EXIT_USAGE;

	int status = BLD_EXIT_OK;
	struct read_ctx ctx = { 0 };
	struct bld_engine *e = NULL;
	struct progress prog = { 0 };

	/* Check every input before any work: a typo should not cost a long run. */
	for (int i = first; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "bollard read: %s: %s\n", argv[i],
				errno && !S_ISREG(st.st_mode) ? strerror(errno) : "not a regular file");
			return BLD_EXIT_USAGE;
		}
		prog.total += (uint64_t)st.st_size;
	}
	if (o.filter) {
		char err[512];
		if (bld_pcap_filter_check(o.filter, err, sizeof(err)) < 0) {
			fprintf(stderr, "bollard read: %s\n", err);
			return BLD_EXIT_USAGE;
		}
	}
	prog.on = o.progress && isatty(STDERR_FILENO) && prog.total >= PROGRESS_MIN_BYTES;

	ctx.report = bld_report_create();
	if (!ctx.report)
		goto nomem;
	if (o.flows_path) {
		ctx.flows_out = strcmp(o.flows_path, "-") == 0 ? stdout : fopen(o.flows_path, "w");
		if (!ctx.flows_out) {
			fprintf(stderr, "bollard read: --flows %s: %s\n", o.flows_path, strerror(errno));
			status = BLD_EXIT_USAGE;
			goto out;
		}
	}

	struct bld_engine_config cfg;
	bld_engine_config_default(&cfg);
	if (o.max_flows)
		cfg.flow.max_flows = o.max_flows;
	cfg.on_flow_end = on_flow_end;
	cfg.ctx = &ctx;
	e = bld_engine_create(&cfg);
	if (!e)
		goto nomem;

	for (int i = first; i < argc; i++) {
		struct stat st;
		int rc = read_file(e, argv[i], &o, ctx.report, &prog);
		if (rc < 0) {
			status = BLD_EXIT_USAGE;
			goto out;
		}
		if (rc > 0)
			status = BLD_EXIT_DAMAGED;
		if (stat(argv[i], &st) == 0)
			prog.done_before += (uint64_t)st.st_size;
	}
	progress_show(&prog, 0, true);
	bld_engine_finish(e);

	if (ctx.flows_out && ctx.flows_out != stdout && fclose(ctx.flows_out) != 0 && !ctx.flows_err)
		ctx.flows_err = -errno;
	if (ctx.flows_out == stdout)
		fflush(stdout);
	ctx.flows_out = NULL;
	if (ctx.flows_err) {
		fprintf(stderr, "bollard read: --flows %s: %s\n", o.flows_path, strerror(-ctx.flows_err));
		status = BLD_EXIT_USAGE;
	}

	struct bld_engine_stats stats;
	bld_engine_stats(e, &stats);
	/* With --flows on stdout the summary goes to stderr, so the JSON lines stay clean. */
	FILE *out = o.flows_path && strcmp(o.flows_path, "-") == 0 ? stderr : stdout;
	if (o.json_summary)
		bld_report_print_json(ctx.report, &stats, out);
	else
		bld_report_print_text(ctx.report, &stats, out);
	goto out;

nomem:
	fprintf(stderr, "bollard read: out of memory\n");
	status = BLD_EXIT_USAGE;
out:
	if (ctx.flows_out && ctx.flows_out != stdout)
		fclose(ctx.flows_out);
	bld_engine_destroy(e);
	bld_report_destroy(ctx.report);
	return status;
}
