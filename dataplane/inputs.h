/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every offline sub-command (read, test, learn) does the same way:
 * check its captures before any work, read each into one or more engines as
 * one timeline, and write JSON-lines outputs that report lost writes.
 */
#ifndef BLD_INPUTS_H
#define BLD_INPUTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct bld_engine;

/*
 * Every path a regular file and the BPF filter valid (NULL: none), before any
 * work: a typo in the last name should not cost a long run.  Errors go to
 * stderr prefixed "bollard CMD: ".  *bytes (may be NULL): their total size.
 */
int bld_inputs_check(const char *cmd, char *const *paths, int n, const char *filter, uint64_t *bytes);

/* Called every few thousand packets with the byte offset reached in the current file (progress bars). */
typedef void (*bld_inputs_progress_fn)(void *ctx, uint64_t offset);

struct bld_inputs_result {
	uint64_t packets;        /* read from this file (after the filter) */
	uint64_t filtered;       /* dropped by the filter */
	char error[600];         /* the damage found, "" when none */
};

/*
 * Read one capture into every engine, packet by packet in the same order
 * (they see exactly the same timeline).  A file that starts before the
 * previous one ended gets a warning: inputs are read in the order given.
 * Returns 0, 1 (damaged: read up to the damage, r->error says what), or -1
 * (could not open it; said on stderr).
 */
int bld_inputs_read(const char *cmd, struct bld_engine *const *engines, unsigned n_engines, const char *path,
		    const char *filter, bld_inputs_progress_fn progress, void *progress_ctx,
		    struct bld_inputs_result *r);

/* A JSON-lines output file (--flows, --ops, --events): '-' is stdout; the first write error is kept. */
struct bld_out {
	const char *cmd, *option, *path;
	FILE *f;
	int err;
};

/* Open path for option (NULL path: no output).  -1 and a message when it cannot be created. */
int bld_out_open(struct bld_out *o, const char *cmd, const char *option, const char *path);

/* Flush and close; false, with a message, when anything written to it was lost. */
bool bld_out_close(struct bld_out *o);

/* Whether path means stdout. */
bool bld_out_is_stdout(const char *path);

#endif /* BLD_INPUTS_H */
