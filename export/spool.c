/* SPDX-License-Identifier: BSD-3-Clause */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[16] = "BOLLARD-SPOOL 1\n";
#define HEADER ((uint64_t)sizeof(magic))

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
	for (size_t done = 0; done < n;) {
		ssize_t k = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;   /* EIO: the file ends inside the record */
		done += (size_t)k;
	}
	return 0;
}

static int write_at(int fd, const void *buf, size_t n, uint64_t off)
{
	for (size_t done = 0; done < n;) {
		ssize_t k = pwrite(fd, (const char *)buf + done, n - done, (off_t)(off + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		done += (size_t)k;
	}
	return 0;
}

static uint32_t le32(const unsigned char b[4])
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put_le32(unsigned char b[4], uint32_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
}

int bld_spool_open(struct bld_spool *sp, const char *dir, const char *name, uint64_t max_bytes, char *warn,
		   size_t warn_len, char *err, size_t err_len)
{
	memset(sp, 0, sizeof(*sp));
	sp->fd = -1;
	sp->max_bytes = max_bytes;
	if (warn_len)
		warn[0] = 0;
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, err_len, "--syslog-spool %s: %s", dir, stat(dir, &st) < 0 ? strerror(errno) : "not a directory");
		return -1;
	}
	if ((size_t)snprintf(sp->path, sizeof(sp->path), "%s/%s.spool", dir, name) >= sizeof(sp->path)) {
		snprintf(err, err_len, "--syslog-spool %s: path too long", dir);
		return -1;
	}
	int fd = open(sp->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, err_len, "--syslog-spool %s: %s", sp->path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, err_len, "--syslog-spool %s: in use by another process", sp->path);
		close(fd);
		return -1;
	}
	if (fstat(fd, &st) < 0 || ((uint64_t)st.st_size > 0 && (uint64_t)st.st_size < HEADER)) {
		snprintf(err, err_len, "--syslog-spool %s: not a Bollard spool file", sp->path);
		close(fd);
		return -1;
	}
	uint64_t size = (uint64_t)st.st_size;
	if (size == 0) {
		if (write_at(fd, magic, HEADER, 0) < 0) {
			snprintf(err, err_len, "--syslog-spool %s: %s", sp->path, strerror(errno));
			close(fd);
			return -1;
		}
		size = HEADER;
	} else {
		char head[sizeof(magic)];
		if (read_at(fd, head, HEADER, 0) < 0 || memcmp(head, magic, HEADER) != 0) {
			snprintf(err, err_len, "--syslog-spool %s: not a Bollard spool file", sp->path);
			close(fd);
			return -1;
		}
	}
	/* count the records an earlier run left; a cut one ends the file */
	uint64_t off = HEADER;
	while (off < size) {
		unsigned char b[4];
		if (off + 4 > size || read_at(fd, b, 4, off) < 0)
			break;
		uint32_t len = le32(b);
		if (len == 0 || len > BLD_SPOOL_RECORD_MAX || off + 4 + len > size)
			break;
		off += 4 + len;
		sp->msgs++;
	}
	if (off < size) {
		if (ftruncate(fd, (off_t)off) < 0) {
			snprintf(err, err_len, "--syslog-spool %s: %s", sp->path, strerror(errno));
			close(fd);
			return -1;
		}
		snprintf(warn, warn_len, "%s: the last %llu bytes were no whole message (cut by a crash?): removed",
			 sp->path, (unsigned long long)(size - off));
	}
	sp->fd = fd;
	sp->rd = HEADER;
	sp->wr = off;
	return 0;
}

int bld_spool_append(struct bld_spool *sp, const void *data, uint32_t len)
{
	if (len == 0 || len > BLD_SPOOL_RECORD_MAX)
		return -EINVAL;
	if (sp->wr + 4 + len > sp->max_bytes)
		return -ENOSPC;
	unsigned char b[4];
	put_le32(b, len);
	int rc = write_at(sp->fd, b, 4, sp->wr);
	if (!rc)
		rc = write_at(sp->fd, data, len, sp->wr + 4);
	if (rc)
		return rc;   /* nothing counted: the next append overwrites the partial record */
	sp->wr += 4 + len;
	sp->msgs++;
	return 0;
}

/* Everything was read: start the file over, so that it does not grow without end. */
static void reset(struct bld_spool *sp)
{
	if (ftruncate(sp->fd, (off_t)HEADER) == 0) {
		sp->rd = sp->wr = HEADER;
		sp->msgs = 0;
	}
}

long bld_spool_next(struct bld_spool *sp, void *buf, size_t cap)
{
	if (sp->rd >= sp->wr)
		return 0;
	unsigned char b[4];
	int rc = read_at(sp->fd, b, 4, sp->rd);
	uint32_t len = rc ? 0 : le32(b);
	if (!rc && (len == 0 || len > cap || sp->rd + 4 + len > sp->wr))
		rc = -EBADMSG;
	if (!rc)
		rc = read_at(sp->fd, buf, len, sp->rd + 4);
	if (rc) {
		reset(sp);
		return rc;
	}
	sp->rd += 4 + len;
	sp->msgs--;
	if (sp->rd >= sp->wr)
		reset(sp);
	return (long)len;
}

int bld_spool_prepend(struct bld_spool *sp, const void *const *data, const uint32_t *len, size_t n)
{
	char tmp[sizeof(sp->path) + 8];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", sp->path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	uint64_t off = 0;
	int rc = write_at(fd, magic, HEADER, 0);
	off = HEADER;
	for (size_t i = 0; !rc && i < n; i++) {
		unsigned char b[4];
		put_le32(b, len[i]);
		rc = write_at(fd, b, 4, off);
		if (!rc)
			rc = write_at(fd, data[i], len[i], off + 4);
		off += 4 + len[i];
	}
	/* then the unread records, copied as they are */
	char chunk[65536];
	for (uint64_t at = sp->rd; !rc && at < sp->wr;) {
		size_t k = sp->wr - at < sizeof(chunk) ? (size_t)(sp->wr - at) : sizeof(chunk);
		rc = read_at(sp->fd, chunk, k, at);
		if (!rc)
			rc = write_at(fd, chunk, k, off);
		at += k;
		off += k;
	}
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (!rc && flock(fd, LOCK_EX | LOCK_NB) < 0)
		rc = -errno;
	if (!rc && rename(tmp, sp->path) < 0)
		rc = -errno;
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	close(sp->fd);
	sp->fd = fd;
	sp->msgs += n;
	sp->rd = HEADER;
	sp->wr = off;
	return 0;
}

void bld_spool_close(struct bld_spool *sp)
{
	if (sp->fd < 0)
		return;
	if (sp->rd >= sp->wr)
		unlink(sp->path);   /* nothing waits: no file left behind (unlinked while still locked) */
	else
		fsync(sp->fd);
	close(sp->fd);
	sp->fd = -1;
}
