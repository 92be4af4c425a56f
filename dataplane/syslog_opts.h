/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The --syslog options, the same on every sub-command that raises alerts
 * (read, test; live to come): parsed here once (docs/siem.md).
 */
#ifndef BLD_SYSLOG_OPTS_H
#define BLD_SYSLOG_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "syslog_out.h"

/* getopt_long codes: above every sub-command's own */
enum {
	BLD_OPT_SYSLOG = 0x1000,
	BLD_OPT_SYSLOG_FORMAT,
	BLD_OPT_SYSLOG_CA,
	BLD_OPT_SYSLOG_CERT,
	BLD_OPT_SYSLOG_KEY,
	BLD_OPT_SYSLOG_FRAMING,
	BLD_OPT_SYSLOG_FACILITY,
	BLD_OPT_SYSLOG_HOSTNAME,
	BLD_OPT_SYSLOG_PEN,
	BLD_OPT_SYSLOG_QUEUE,
	BLD_OPT_SYSLOG_MAX_UDP,
	BLD_OPT_SYSLOG_FLUSH,
	BLD_OPT_SYSLOG_RATE,
	BLD_OPT_SYSLOG_SPOOL,
	BLD_OPT_SYSLOG_SPOOL_MAX,
	BLD_OPT_SYSLOG_END,      /* codes below this and from BLD_OPT_SYSLOG on are bld_syslog_cli_option's */
};

/* Entries for a sub-command's struct option table. */
#define BLD_SYSLOG_LONGOPTS                                                         \
	{ "syslog", required_argument, NULL, BLD_OPT_SYSLOG },                      \
	{ "syslog-format", required_argument, NULL, BLD_OPT_SYSLOG_FORMAT },        \
	{ "syslog-ca", required_argument, NULL, BLD_OPT_SYSLOG_CA },                \
	{ "syslog-cert", required_argument, NULL, BLD_OPT_SYSLOG_CERT },            \
	{ "syslog-key", required_argument, NULL, BLD_OPT_SYSLOG_KEY },              \
	{ "syslog-framing", required_argument, NULL, BLD_OPT_SYSLOG_FRAMING },      \
	{ "syslog-facility", required_argument, NULL, BLD_OPT_SYSLOG_FACILITY },    \
	{ "syslog-hostname", required_argument, NULL, BLD_OPT_SYSLOG_HOSTNAME },    \
	{ "syslog-pen", required_argument, NULL, BLD_OPT_SYSLOG_PEN },              \
	{ "syslog-queue", required_argument, NULL, BLD_OPT_SYSLOG_QUEUE },          \
	{ "syslog-max-udp", required_argument, NULL, BLD_OPT_SYSLOG_MAX_UDP },      \
	{ "syslog-flush-timeout", required_argument, NULL, BLD_OPT_SYSLOG_FLUSH },  \
	{ "syslog-rate", required_argument, NULL, BLD_OPT_SYSLOG_RATE },            \
	{ "syslog-spool", required_argument, NULL, BLD_OPT_SYSLOG_SPOOL },          \
	{ "syslog-spool-max", required_argument, NULL, BLD_OPT_SYSLOG_SPOOL_MAX }

/* What the options set: the export options and how long closing may wait. */
struct bld_syslog_cli {
	struct bld_syslog_options o;
	unsigned flush_timeout_ms;
};

void bld_syslog_cli_init(struct bld_syslog_cli *c, const char *cmd);

/* Take option opt (one of the codes above) with its argument; -1 with a message on stderr when it is wrong. */
int bld_syslog_cli_option(struct bld_syslog_cli *c, int opt, const char *arg);

/* The options' lines for a sub-command's --help. */
void bld_syslog_cli_usage(FILE *out);

#endif /* BLD_SYSLOG_OPTS_H */
