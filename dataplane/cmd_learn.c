/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bollard learn: a policy from baseline captures (policies/learn.h), written
 * for a person to review.  The engine runs exactly as for `bollard read`, so
 * what is learned is what the evaluator will later judge.  The written file
 * is loaded back before the command succeeds: a learned policy that would
 * not load is a bug, never a file left for the operator to discover.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine.h"
#include "inputs.h"
#include "learn.h"

struct learn_ctx {
	struct bld_learn *learn;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bollard learn [options] CAPTURE... -o POLICY\n\n"
		"Write an allow-list policy that allows exactly what the baseline captures show:\n"
		"hosts named from the traffic, one rule per client, server and protocol, the\n"
		"operations seen generalised a little, cycle periods with their jitter.  Review it\n"
		"before use (docs/policy.md); `bollard test` shows what it would alert on.\n\n"
		"Options:\n"
		"  -o, --output FILE     where to write the policy ('-' for stdout; required)\n"
		"  -f, --filter BPF      learn only from packets matching this BPF filter\n"
		"      --site NAME       the policy's site name (default: learned)\n"
		"  -h, --help            this help\n\n"
		"Exit status: 0 written, 1 an input was damaged (learned up to the damage), 2 error.\n");
}

static void on_flow_end(void *ctx, struct bld_engine *e, const struct bld_flow *f, enum bld_flow_end why)
{
	struct learn_ctx *lc = ctx;
	(void)why;
	struct bld_policy_flow pf;
	char app[64];
	bld_engine_policy_flow(e, f, &pf, app, sizeof(app));
	bld_learn_flow(lc->learn, &pf, f->ts_first, f->ts_last);
}

static void on_op(void *ctx, struct bld_engine *e, const struct bld_flow *f, const struct bld_op *op)
{
	struct learn_ctx *lc = ctx;
	struct bld_policy_flow pf;
	char app[64];
	bld_engine_policy_flow(e, f, &pf, app, sizeof(app));
	bld_learn_op(lc->learn, &pf, op);
}

static void on_event(void *ctx, struct bld_engine *e, const struct bld_flow *f, enum bld_event ev, uint64_t ts_ns,
		     bool to_server)
{
	struct learn_ctx *lc = ctx;
	(void)ts_ns;
	(void)to_server;
	struct bld_policy_flow pf;
	char app[64];
	bld_engine_policy_flow(e, f, &pf, app, sizeof(app));
	bld_learn_event(lc->learn, &pf, (uint16_t)ev);
}

int bld_cmd_learn(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' }, { "filter", required_argument, NULL, 'f' },
		{ "site", required_argument, NULL, 's' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL, *filter = NULL, *site = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'f':
			filter = optarg;
			break;
		case 's':
			site = optarg;
			break;
		case 'h':
			usage(stdout);
			return BLD_EXIT_OK;
		default:
			usage(stderr);
			return BLD_EXIT_USAGE;
		}
	}
	if (optind >= argc || !output) {
		fprintf(stderr, "bollard learn: %s\n\n", !output ? "no output given (-o FILE)" : "no capture file given");
		usage(stderr);
		return BLD_EXIT_USAGE;
	}
	if (bld_inputs_check("learn", argv + optind, argc - optind, filter, NULL) < 0)
		return BLD_EXIT_USAGE;

	int status = BLD_EXIT_OK;
	struct learn_ctx lc = { .learn = bld_learn_create() };
	struct bld_engine_config cfg;
	bld_engine_config_default(&cfg);
	cfg.on_flow_end = on_flow_end;
	cfg.on_op = on_op;
	cfg.on_event = on_event;
	cfg.ctx = &lc;
	struct bld_engine *e = lc.learn ? bld_engine_create(&cfg) : NULL;
	FILE *out = NULL;
	if (!e) {
		fprintf(stderr, "bollard learn: out of memory\n");
		status = BLD_EXIT_USAGE;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		struct bld_inputs_result r;
		int rc = bld_inputs_read("learn", &e, 1, argv[i], filter, NULL, NULL, &r);
		if (rc < 0) {
			status = BLD_EXIT_USAGE;
			goto out;
		}
		if (rc > 0)
			status = BLD_EXIT_DAMAGED;
	}
	bld_engine_finish(e);

	struct bld_engine_stats stats;
	bld_engine_stats(e, &stats);
	struct bld_learn_info info = { .inputs = (const char *const *)argv + optind, .n_inputs = (unsigned)(argc - optind),
				       .packets = stats.packets, .ts_first = stats.ts_first, .ts_last = stats.ts_last,
				       .site = site };
	bool to_stdout = strcmp(output, "-") == 0;
	out = to_stdout ? stdout : fopen(output, "w");
	if (!out) {
		fprintf(stderr, "bollard learn: %s: %s\n", output, strerror(errno));
		status = BLD_EXIT_USAGE;
		goto out;
	}
	int rc = bld_learn_write(lc.learn, out, &info);
	if (!to_stdout && fclose(out) != 0 && !rc)
		rc = -EIO;
	out = NULL;
	if (rc == -ENOMEM) {
		fprintf(stderr, "bollard learn: a learning table was full or memory ran out; the policy would be "
				"incomplete (written anyway, do not use it)\n");
		status = BLD_EXIT_USAGE;
	} else if (rc) {
		fprintf(stderr, "bollard learn: %s: %s\n", output, strerror(-rc));
		status = BLD_EXIT_USAGE;
	}
	struct bld_learn_stats ls;
	bld_learn_stats(lc.learn, &ls);
	fprintf(stderr, "bollard learn: %llu packets, %llu flows, %llu operations -> %llu hosts, %llu rules, %llu operation entries\n",
		(unsigned long long)stats.packets, (unsigned long long)ls.flows, (unsigned long long)ls.ops,
		(unsigned long long)ls.hosts, (unsigned long long)ls.rules, (unsigned long long)ls.entries);
	if (status == BLD_EXIT_OK && !to_stdout) {
		/* what was written must load: check it as `bollard check` would */
		struct bld_policy *p = bld_policy_open("learn", output);
		if (!p) {
			fprintf(stderr, "bollard learn: the written policy does not load: this is a Bollard bug\n");
			status = BLD_EXIT_USAGE;
		}
		bld_policy_free(p);
	}
out:
	if (out && out != stdout)
		fclose(out);
	bld_engine_destroy(e);
	bld_learn_destroy(lc.learn);
	return status;
}
