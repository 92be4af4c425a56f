/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A syslog destination's disk spool (--syslog-spool DIR): the messages that
 * do not fit its memory queue while the receiver is away, in arrival order,
 * and those still undelivered when Bollard stops, for the next run.
 *
 * One file per destination, DIR/NAME.spool: a 16-byte header
 * "BOLLARD-SPOOL 1\n", then records of a 4-byte little-endian length and the
 * message's bytes.  Records are read from the front (a read offset in
 * memory) and appended at the back; an emptied spool is truncated.  The file
 * is locked (flock) while open, so two sensors never share one.  Appends go
 * to the page cache (no fsync per message: the spool is for a receiver's
 * outage, not for the sensor's host crashing); closing syncs it.
 */
#ifndef BLD_SPOOL_H
#define BLD_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define BLD_SPOOL_RECORD_MAX (1u << 20)   /* a longer record is a damaged file */

struct bld_spool {
	int fd;                  /* -1: no spool */
	char path[4096];
	uint64_t rd, wr;         /* file offsets: the next record to read, the end */
	uint64_t msgs;           /* records between rd and wr */
	uint64_t max_bytes;      /* the file never grows beyond this */
};

/*
 * Open (or create, mode 0600) DIR/NAME.spool.  Records an earlier run left
 * are kept (sp->msgs says how many); a damaged tail (a record cut by a
 * crash) is cut off and said in warn (empty when none).  -1 with a message
 * in err: DIR missing, the file in use by another process, not a spool.
 */
int bld_spool_open(struct bld_spool *sp, const char *dir, const char *name, uint64_t max_bytes, char *warn,
		   size_t warn_len, char *err, size_t err_len);

/* Append one record: 0, -ENOSPC (max_bytes reached), or -errno. */
int bld_spool_append(struct bld_spool *sp, const void *data, uint32_t len);

/*
 * The next record into buf (cap >= its length): its length, 0 when the
 * spool is empty, -errno on a read error or a damaged record (the spool is
 * then emptied: what follows cannot be found).
 */
long bld_spool_next(struct bld_spool *sp, void *buf, size_t cap);

/*
 * Put records back in front of what waits (messages taken out of the spool
 * or never spooled, which are older than the spool's): the file is rewritten
 * as them and then the unread records, synced, and renamed into place.
 * data[i], len[i] for i < n.  0 or -errno (the spool is then unchanged).
 */
int bld_spool_prepend(struct bld_spool *sp, const void *const *data, const uint32_t *len, size_t n);

/* Sync and close; an empty spool's file is removed. */
void bld_spool_close(struct bld_spool *sp);

#endif /* BLD_SPOOL_H */
