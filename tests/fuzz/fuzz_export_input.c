/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: what the syslog export reads back from outside.
 *   - RELP frames from a receiver (export/relp.c): the input, split at
 *     every frame, must parse without reading past its length, each frame's
 *     DATA inside the input, and the consumed lengths must add up;
 *   - a spool file (export/spool.c) left by an earlier run or damaged: the
 *     input is written as the file, opened (a damaged tail is cut, never
 *     trusted), and read back to the end within its size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relp.h"
#include "spool.h"

static char dir[64];

static void relp_frames(const uint8_t *data, size_t size)
{
	/* a heap copy of exactly size bytes: ASan sees a read past the end */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return;
	memcpy(buf, data, size);
	size_t at = 0;
	while (at < size) {
		struct bld_relp_frame f;
		long used = bld_relp_parse(buf + at, size - at, &f);
		if (used <= 0)
			break;
		if ((size_t)used > size - at || f.data < buf + at || f.data + f.datalen > buf + at + used)
			abort();
		(void)bld_relp_status(&f);
		at += (size_t)used;
	}
	free(buf);
}

static void spool_file(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/bld-fuzz-spool-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(dir))
			abort();
	}
	char path[128];
	snprintf(path, sizeof(path), "%s/f.spool", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	struct bld_spool sp;
	char warn[256], err[256];
	if (bld_spool_open(&sp, dir, "f", 1u << 20, warn, sizeof(warn), err, sizeof(err)) < 0) {
		unlink(path);
		return;
	}
	static char rec[BLD_SPOOL_RECORD_MAX];
	uint64_t want = sp.msgs, got = 0;
	long n;
	while ((n = bld_spool_next(&sp, rec, sizeof(rec))) > 0)
		got++;
	if (n < 0 || got != want)
		abort();   /* open counted whole records: each must read back */
	bld_spool_close(&sp);
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == 'S')
		spool_file(data + 1, size - 1);
	else
		relp_frames(data, size);
	return 0;
}
