/* SPDX-License-Identifier: BSD-3-Clause */
/* bollard: the one program, with sub-commands. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "read", bld_cmd_read, "analyse pcap/pcapng captures offline (flows, protocols, alerts)" },
	{ "check", bld_cmd_check, "validate policy files (every problem as file:line:column)" },
	{ "learn", bld_cmd_learn, "write a policy from baseline captures, for review" },
	{ "test", bld_cmd_test, "test a policy on captures before deployment (JSON and HTML report)" },
#ifdef BLD_HAVE_DPDK
	{ "live", bld_cmd_live, "the sensor: capture from DPDK ports, judge, alert (docs/deployment.md)" },
#endif
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: bollard <command> [options] [arguments]\n"
		     "       bollard --version | --help\n\n"
		     "Bollard, a network security monitor for rail-signalling and port SCADA networks.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'bollard <command> --help' for a command's options. Documentation: docs/.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return BLD_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("bollard %s\n", BLD_VERSION);
		return BLD_EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return BLD_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
#ifndef BLD_HAVE_DPDK
	if (strcmp(argv[1], "live") == 0) {
		fprintf(stderr, "bollard: this build has no live capture: it needs DPDK (libdpdk-dev; scripts/setup "
				"installs it) at build time\n");
		return BLD_EXIT_USAGE;
	}
#endif
	fprintf(stderr, "bollard: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return BLD_EXIT_USAGE;
}
