/* SPDX-License-Identifier: BSD-3-Clause */
/* The sub-commands of the `bollard` program: each takes the arguments after its name. */
#ifndef BLD_COMMANDS_H
#define BLD_COMMANDS_H

/* Exit statuses shared by all sub-commands. */
#define BLD_EXIT_OK 0
#define BLD_EXIT_DAMAGED 1   /* input damaged: everything before the damage was analysed */
#define BLD_EXIT_USAGE 2     /* bad arguments, unreadable file, out of memory */

int bld_cmd_read(int argc, char **argv);
int bld_cmd_check(int argc, char **argv);
int bld_cmd_learn(int argc, char **argv);
int bld_cmd_test(int argc, char **argv);
int bld_cmd_live(int argc, char **argv);   /* builds with DPDK only (BLD_HAVE_DPDK) */

/* Load a policy for sub-command cmd; on errors print them (file:line:column) and return NULL. */
struct bld_policy;
struct bld_policy *bld_policy_open(const char *cmd, const char *path);

#endif
