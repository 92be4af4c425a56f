/* SPDX-License-Identifier: BSD-3-Clause */
/* bollard check: load and compile policies without running anything; every problem as file:line:column. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "commands.h"
#include "policy.h"

struct bld_policy *bld_policy_open(const char *cmd, const char *path)
{
	struct bld_policy_diag *diag = calloc(1, sizeof(*diag));
	struct bld_classifier *c = bld_classifier_create();   /* nDPI's protocol names */
	struct bld_policy *p = NULL;
	if (!diag || !c) {
		fprintf(stderr, "bollard %s: out of memory\n", cmd);
		goto out;
	}
	diag->known_app = bld_classify_known_app;
	diag->known_app_ctx = c;
	p = bld_policy_load(path, diag);
	if (!p) {
		fputs(diag->text, stderr);
		if (diag->errors > diag->shown)
			fprintf(stderr, "... and %u more\n", diag->errors - diag->shown);
		fprintf(stderr, "bollard %s: %s: %u error%s; the policy was not loaded\n", cmd, path, diag->errors,
			diag->errors == 1 ? "" : "s");
	}
out:
	if (c)
		bld_classifier_destroy(c);
	free(diag);
	return p;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bollard check POLICY...\n\n"
		"Load and compile each policy as `bollard read --policy` would, and report every\n"
		"problem as file:line:column: message (unknown names, overlapping or inverted\n"
		"ranges, fields a protocol does not have, duplicate rule ids, ...).\n\n"
		"Exit status: 0 every policy is valid, 2 a policy has errors (it would not be loaded).\n");
}

int bld_cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return BLD_EXIT_OK;
		}
		usage(stderr);
		return BLD_EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "bollard check: no policy file given\n\n");
		usage(stderr);
		return BLD_EXIT_USAGE;
	}
	int status = BLD_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		struct bld_policy *p = bld_policy_open("check", argv[i]);
		if (!p) {
			status = BLD_EXIT_USAGE;
			continue;
		}
		struct bld_policy_info in;
		bld_policy_info(p, &in);
		printf("%s: ok%s%s%s: %u hosts, %u groups, %u zones, %u rules, %u operations\n", argv[i],
		       in.site ? " (site " : "", in.site ? in.site : "", in.site ? ")" : "", in.hosts, in.groups,
		       in.zones, in.rules, in.operations);
		bld_policy_free(p);
	}
	return status;
}
