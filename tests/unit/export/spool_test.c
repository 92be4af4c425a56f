/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for a syslog destination's disk spool (export/spool.c):
 * DIR/NAME.spool, a 16-byte header "BOLLARD-SPOOL 1\n" then records of a
 * 4-byte little-endian length and the bytes.
 *
 * What is checked: the file and its header; records back in order; an
 * emptied spool truncated to its header; max_bytes reached exactly; what an
 * earlier run left kept across close and open; a damaged tail cut off with
 * a warning and the whole records before it kept; a file that is not a
 * spool refused and left alone; a spool in use refused; prepend; an empty
 * spool's file removed at close; a missing directory named with the option.
 *
 * Every file lives in a private directory under $TMPDIR (mkdtemp), removed
 * at the end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bld_test.h"
#include "spool.h"

#define MAGIC "BOLLARD-SPOOL 1\n"
#define MAX_BIG (1ull << 30)

static char dir[256];

static void dir_make(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/bld-spool-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
}

/* Remove every file in the directory (the tests leave none on success), then the directory. */
static void dir_remove(void)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				char p[600];
				snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
				unlink(p);
			}
		}
		closedir(d);
	}
	rmdir(dir);
}

/* Files in the directory. */
static unsigned dir_count(void)
{
	unsigned n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static const char *spool_path(const char *name)
{
	static char p[400];
	snprintf(p, sizeof(p), "%s/%s.spool", dir, name);
	return p;
}

/* The file's size, -1 when it does not exist. */
static long long fsize(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void write_file(const char *path, const void *data, size_t n, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, data, n) == (ssize_t)n);
	close(fd);
}

/* Record i: "record i" padded with its own letter to a length that varies (1 .. 700 bytes). */
static size_t record(unsigned i, char *buf)
{
	size_t n = 1 + (i * 97u) % 700u;
	int k = snprintf(buf, n + 1, "record %u", i);
	for (size_t j = (size_t)k < n ? (size_t)k : n; j < n; j++)
		buf[j] = (char)('a' + i % 26);
	return n;
}

static int open_spool(struct bld_spool *sp, const char *name, uint64_t max, char *warn, size_t wl, char *err, size_t el)
{
	return bld_spool_open(sp, dir, name, max, warn, wl, err, el);
}

/* The next record is record i. */
static void expect_record(struct bld_spool *sp, unsigned i)
{
	static char want[800], got[BLD_SPOOL_RECORD_MAX];
	size_t n = record(i, want);
	long r = bld_spool_next(sp, got, sizeof(got));
	if (r != (long)n || memcmp(got, want, n) != 0)
		fprintf(stderr, "\n  record %u: got %ld bytes '%.20s', want %zu '%.20s'\n", i, r, r > 0 ? got : "", n, want);
	CU_ASSERT(r == (long)n && memcmp(got, want, n) == 0);
}

static void append_records(struct bld_spool *sp, unsigned first, unsigned n)
{
	char buf[800];
	for (unsigned i = first; i < first + n; i++) {
		size_t len = record(i, buf);
		CU_ASSERT_EQUAL(bld_spool_append(sp, buf, (uint32_t)len), 0);
	}
}

/* The bytes records first .. first+n-1 take in the file. */
static uint64_t records_size(unsigned first, unsigned n)
{
	char buf[800];
	uint64_t s = 0;
	for (unsigned i = first; i < first + n; i++)
		s += 4 + record(i, buf);
	return s;
}

/* ---- tests ---- */

static void test_open_creates(void)
{
	struct bld_spool sp;
	char warn[300] = "x", err[300] = "";
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "tcp___127.0.0.1_601", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	const char *p = spool_path("tcp___127.0.0.1_601");
	CU_ASSERT_STRING_EQUAL(sp.path, p);
	CU_ASSERT_STRING_EQUAL(warn, "");
	CU_ASSERT(sp.fd >= 0 && sp.msgs == 0 && sp.rd == 16 && sp.wr == 16);
	struct stat st;
	CU_ASSERT_FATAL(stat(p, &st) == 0);
	CU_ASSERT_EQUAL(st.st_size, 16);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	char head[32] = "";
	int fd = open(p, O_RDONLY);
	CU_ASSERT(fd >= 0 && read(fd, head, sizeof(head)) == 16);
	close(fd);
	CU_ASSERT(memcmp(head, MAGIC, 16) == 0);
	CU_ASSERT_EQUAL(bld_spool_next(&sp, head, sizeof(head)), 0);   /* empty */
	bld_spool_close(&sp);
	CU_ASSERT_EQUAL(sp.fd, -1);
	CU_ASSERT_EQUAL(dir_count(), 0);   /* empty at close: removed */
}

static void test_round_trip(void)
{
	enum { N = 200 };
	struct bld_spool sp;
	char warn[300], err[300];
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "rt", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	append_records(&sp, 0, N / 2);
	CU_ASSERT_EQUAL(sp.msgs, N / 2);
	for (unsigned i = 0; i < N / 4; i++)   /* reading and appending interleaved */
		expect_record(&sp, i);
	append_records(&sp, N / 2, N / 2);
	CU_ASSERT_EQUAL(sp.msgs, N - N / 4);
	CU_ASSERT_EQUAL(fsize(sp.path), (long long)(16 + records_size(0, N)));
	for (unsigned i = N / 4; i < N; i++)
		expect_record(&sp, i);
	/* emptied: truncated to its header, so that it does not grow without end */
	CU_ASSERT_EQUAL(sp.msgs, 0);
	CU_ASSERT_EQUAL(fsize(sp.path), 16);
	CU_ASSERT(sp.rd == 16 && sp.wr == 16);
	char b[8];
	CU_ASSERT_EQUAL(bld_spool_next(&sp, b, sizeof(b)), 0);
	/* and it takes records again from the front */
	append_records(&sp, 7, 1);
	CU_ASSERT_EQUAL(fsize(sp.path), (long long)(16 + records_size(7, 1)));
	expect_record(&sp, 7);
	CU_ASSERT_EQUAL(fsize(sp.path), 16);
	/* records of no bytes, or longer than a record may be, are not taken */
	CU_ASSERT_EQUAL(bld_spool_append(&sp, "", 0), -EINVAL);
	CU_ASSERT_EQUAL(bld_spool_append(&sp, b, BLD_SPOOL_RECORD_MAX + 1), -EINVAL);
	CU_ASSERT_EQUAL(sp.msgs, 0);
	bld_spool_close(&sp);
	CU_ASSERT_EQUAL(dir_count(), 0);
}

/* max_bytes bounds the file, header included: a record that ends exactly at it fits, one byte more does not. */
static void test_max_bytes(void)
{
	struct bld_spool sp;
	char warn[300], err[300];
	const uint64_t max = 16 + 3 * (4 + 10);
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "max", max, warn, sizeof(warn), err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(bld_spool_append(&sp, "0123456789", 10), 0);
	CU_ASSERT_EQUAL(sp.wr, max);
	CU_ASSERT_EQUAL(bld_spool_append(&sp, "x", 1), -ENOSPC);
	CU_ASSERT_EQUAL(sp.msgs, 3);
	CU_ASSERT_EQUAL(fsize(sp.path), (long long)max);   /* nothing of the refused record written */
	char b[16];
	CU_ASSERT_EQUAL(bld_spool_next(&sp, b, sizeof(b)), 10);
	CU_ASSERT_EQUAL(bld_spool_append(&sp, "x", 1), -ENOSPC);   /* room comes back only once emptied */
	CU_ASSERT_EQUAL(bld_spool_next(&sp, b, sizeof(b)), 10);
	CU_ASSERT_EQUAL(bld_spool_next(&sp, b, sizeof(b)), 10);
	CU_ASSERT_EQUAL(bld_spool_append(&sp, "0123456789", 10), 0);
	CU_ASSERT_EQUAL(bld_spool_next(&sp, b, sizeof(b)), 10);
	bld_spool_close(&sp);
	/* one byte less: the third record no longer fits */
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "max", max - 1, warn, sizeof(warn), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(bld_spool_append(&sp, "0123456789", 10), 0);
	CU_ASSERT_EQUAL(bld_spool_append(&sp, "0123456789", 10), 0);
	CU_ASSERT_EQUAL(bld_spool_append(&sp, "0123456789", 10), -ENOSPC);
	CU_ASSERT_EQUAL(bld_spool_append(&sp, "012345678", 9), 0);   /* but one byte shorter does, exactly */
	CU_ASSERT_EQUAL(sp.wr, max - 1);
	while (bld_spool_next(&sp, b, sizeof(b)) > 0)
		;
	bld_spool_close(&sp);
	CU_ASSERT_EQUAL(dir_count(), 0);
}

/* What a run left is there for the next, in order; what the next takes leaves with it. */
static void test_reopen_keeps(void)
{
	enum { N = 40 };
	struct bld_spool sp;
	char warn[300], err[300];
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "keep", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	append_records(&sp, 0, N);
	bld_spool_close(&sp);
	CU_ASSERT_EQUAL(fsize(spool_path("keep")), (long long)(16 + records_size(0, N)));   /* not removed: not empty */
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "keep", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(warn, "");
	CU_ASSERT_EQUAL(sp.msgs, N);
	CU_ASSERT_EQUAL(sp.wr, 16 + records_size(0, N));
	append_records(&sp, N, 5);   /* after what was left */
	for (unsigned i = 0; i < N + 5; i++)
		expect_record(&sp, i);
	CU_ASSERT_EQUAL(sp.msgs, 0);
	bld_spool_close(&sp);
	CU_ASSERT_EQUAL(fsize(spool_path("keep")), -1);
	/* records taken out and not delivered go back in front (as syslog_out does at close), and are kept so */
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "keep", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	append_records(&sp, 0, 10);
	for (unsigned i = 0; i < 4; i++)
		expect_record(&sp, i);
	char r2[800], r3[800];
	const void *data[2] = { r2, r3 };
	uint32_t len[2] = { (uint32_t)record(2, r2), (uint32_t)record(3, r3) };
	CU_ASSERT_EQUAL(bld_spool_prepend(&sp, data, len, 2), 0);
	bld_spool_close(&sp);
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "keep", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sp.msgs, 8);
	for (unsigned i = 2; i < 10; i++)
		expect_record(&sp, i);
	bld_spool_close(&sp);
	CU_ASSERT_EQUAL(dir_count(), 0);
}

/* A file ending in the middle of a record (a crash during an append): the tail is cut, the whole records kept. */
static void test_damaged_tail(void)
{
	enum { N = 6 };
	static const struct {
		const char *what;
		const uint8_t tail[8];
		size_t n;          /* bytes appended to N whole records (0: cut the last record short instead) */
		long long cut;     /* bytes the warning must name */
	} cases[] = {
		{ "last record cut short", { 0 }, 0, 0 },
		{ "two bytes of a length", { 0x05, 0x00 }, 2, 2 },
		{ "a length and nothing", { 0x05, 0x00, 0x00, 0x00 }, 4, 4 },
		{ "a length past the end", { 0x40, 0x00, 0x00, 0x00, 'a', 'b' }, 6, 6 },
		{ "garbage length", { 0xff, 0xff, 0xff, 0x7f, 'x' }, 5, 5 },
		{ "zero length", { 0x00, 0x00, 0x00, 0x00, 'x', 'y', 'z' }, 7, 7 },
	};
	for (size_t c = 0; c < BLD_TEST_COUNT(cases); c++) {
		struct bld_spool sp;
		char warn[600], err[300];
		CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "crash", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
		append_records(&sp, 0, N);
		bld_spool_close(&sp);
		const char *p = spool_path("crash");
		long long whole = (long long)(16 + records_size(0, N)), keep = N, cut = cases[c].cut;
		if (cases[c].n) {
			write_file(p, cases[c].tail, cases[c].n, O_APPEND);
		} else {
			cut = (long long)records_size(N - 1, 1) - 3;   /* the last record less its last 3 bytes */
			CU_ASSERT_FATAL(truncate(p, whole - 3) == 0);
			whole -= (long long)records_size(N - 1, 1);
			keep = N - 1;
		}
		CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "crash", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
		char want[300];
		snprintf(want, sizeof(want), "%s: the last %lld bytes were no whole message", p, cut);
		if (!strstr(warn, want))
			fprintf(stderr, "\n  %s: warning '%s', want '%s'\n", cases[c].what, warn, want);
		CU_ASSERT_PTR_NOT_NULL(strstr(warn, want));
		CU_ASSERT_EQUAL(sp.msgs, (uint64_t)keep);
		CU_ASSERT_EQUAL(fsize(p), whole);   /* cut off in the file, so appends follow the whole records */
		append_records(&sp, 100, 1);
		for (unsigned i = 0; i < keep; i++)
			expect_record(&sp, i);
		expect_record(&sp, 100);
		char b[8];
		CU_ASSERT_EQUAL(bld_spool_next(&sp, b, sizeof(b)), 0);
		bld_spool_close(&sp);
		CU_ASSERT_EQUAL(dir_count(), 0);
	}
}

/* A record damaged while the spool is open (its length past the end): -EBADMSG, and the spool emptied. */
static void test_damaged_record_read(void)
{
	struct bld_spool sp;
	char warn[300], err[300];
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "bad", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	append_records(&sp, 0, 3);
	const uint8_t huge[4] = { 0x00, 0x00, 0x01, 0x00 };   /* 65536: past the end of the file */
	int fd = open(sp.path, O_WRONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(pwrite(fd, huge, 4, (off_t)(16 + records_size(0, 1))) == 4);
	close(fd);
	expect_record(&sp, 0);
	static char b[BLD_SPOOL_RECORD_MAX];
	CU_ASSERT_EQUAL(bld_spool_next(&sp, b, sizeof(b)), -EBADMSG);
	CU_ASSERT_EQUAL(sp.msgs, 0);
	CU_ASSERT_EQUAL(fsize(sp.path), 16);
	CU_ASSERT_EQUAL(bld_spool_next(&sp, b, sizeof(b)), 0);
	bld_spool_close(&sp);
	CU_ASSERT_EQUAL(dir_count(), 0);
}

/* A file that is not a spool is refused with its name, and left as it was. */
static void test_not_a_spool(void)
{
	static const struct {
		const char *what, *content;
	} cases[] = {
		{ "text", "hello, this is not a spool at all\n" },
		{ "shorter than a header", "BOLLARD" },
		{ "another version", "BOLLARD-SPOOL 2\n\x01\x00\x00\x00x" },
	};
	for (size_t c = 0; c < BLD_TEST_COUNT(cases); c++) {
		const char *p = spool_path("notes");
		size_t n = strlen(cases[c].content);
		write_file(p, cases[c].content, n, O_TRUNC);
		struct bld_spool sp;
		char warn[300], err[300] = "";
		CU_ASSERT_EQUAL(open_spool(&sp, "notes", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), -1);
		CU_ASSERT_EQUAL(sp.fd, -1);
		char want[400];
		snprintf(want, sizeof(want), "--syslog-spool %s: not a Bollard spool file", p);
		if (strcmp(err, want) != 0)
			fprintf(stderr, "\n  %s: error '%s', want '%s'\n", cases[c].what, err, want);
		CU_ASSERT_STRING_EQUAL(err, want);
		char back[64] = "";
		int fd = open(p, O_RDONLY);
		CU_ASSERT(fd >= 0 && read(fd, back, sizeof(back)) == (ssize_t)n && memcmp(back, cases[c].content, n) == 0);
		close(fd);
		bld_spool_close(&sp);   /* harmless on a spool that did not open */
		unlink(p);
	}
	CU_ASSERT_EQUAL(dir_count(), 0);
}

/* Two opens of one spool: the second is refused while the first holds it (also after a prepend replaced the file). */
static void test_in_use(void)
{
	struct bld_spool a, b;
	char warn[300], err[300] = "";
	CU_ASSERT_EQUAL_FATAL(open_spool(&a, "shared", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	append_records(&a, 0, 2);
	char want[400];
	snprintf(want, sizeof(want), "--syslog-spool %s: in use by another process", spool_path("shared"));
	CU_ASSERT_EQUAL(open_spool(&b, "shared", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_EQUAL(b.fd, -1);
	CU_ASSERT_EQUAL(a.msgs, 2);   /* the refused open touched nothing */
	CU_ASSERT_EQUAL(fsize(a.path), (long long)(16 + records_size(0, 2)));
	char r9[800];
	const void *data[1] = { r9 };
	uint32_t len[1] = { (uint32_t)record(9, r9) };
	CU_ASSERT_EQUAL(bld_spool_prepend(&a, data, len, 1), 0);
	err[0] = 0;
	CU_ASSERT_EQUAL(open_spool(&b, "shared", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, want);
	bld_spool_close(&a);
	/* free again once closed */
	CU_ASSERT_EQUAL_FATAL(open_spool(&b, "shared", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(b.msgs, 3);
	expect_record(&b, 9);
	expect_record(&b, 0);
	expect_record(&b, 1);
	bld_spool_close(&b);
	CU_ASSERT_EQUAL(dir_count(), 0);
}

/* prepend puts records before the unread ones, leaves no temporary file, and the spool goes on from there. */
static void test_prepend(void)
{
	struct bld_spool sp;
	char warn[300], err[300];
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "front", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	/* into an empty spool */
	char r[3][800];
	const void *data[3] = { r[0], r[1], r[2] };
	uint32_t len[3];
	for (unsigned i = 0; i < 3; i++)
		len[i] = (uint32_t)record(50 + i, r[i]);
	CU_ASSERT_EQUAL(bld_spool_prepend(&sp, data, len, 2), 0);
	CU_ASSERT_EQUAL(sp.msgs, 2);
	append_records(&sp, 60, 1);
	expect_record(&sp, 50);
	expect_record(&sp, 51);
	expect_record(&sp, 60);
	CU_ASSERT_EQUAL(sp.msgs, 0);
	/* before unread records, some already read */
	append_records(&sp, 0, 5);
	expect_record(&sp, 0);
	expect_record(&sp, 1);
	CU_ASSERT_EQUAL(bld_spool_prepend(&sp, data, len, 3), 0);
	CU_ASSERT_EQUAL(sp.msgs, 6);
	CU_ASSERT_EQUAL(sp.rd, 16);
	CU_ASSERT_EQUAL(fsize(sp.path), (long long)(16 + records_size(50, 3) + records_size(2, 3)));
	CU_ASSERT_EQUAL(dir_count(), 1);   /* no FILE.new left */
	append_records(&sp, 5, 1);
	for (unsigned i = 0; i < 3; i++)
		expect_record(&sp, 50 + i);
	for (unsigned i = 2; i < 6; i++)
		expect_record(&sp, i);
	/* nothing to put back */
	CU_ASSERT_EQUAL(bld_spool_prepend(&sp, data, len, 0), 0);
	CU_ASSERT_EQUAL(sp.msgs, 0);
	bld_spool_close(&sp);
	CU_ASSERT_EQUAL(dir_count(), 0);
}

/* Closing an emptied spool removes its file; one with records waiting keeps it. */
static void test_close_removes_empty(void)
{
	struct bld_spool sp;
	char warn[300], err[300];
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "gone", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	append_records(&sp, 0, 3);
	for (unsigned i = 0; i < 3; i++)
		expect_record(&sp, i);
	bld_spool_close(&sp);
	CU_ASSERT_EQUAL(fsize(spool_path("gone")), -1);
	bld_spool_close(&sp);   /* twice: nothing */
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "gone", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	append_records(&sp, 0, 1);
	bld_spool_close(&sp);
	CU_ASSERT_EQUAL(fsize(spool_path("gone")), (long long)(16 + records_size(0, 1)));
	CU_ASSERT_EQUAL_FATAL(open_spool(&sp, "gone", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), 0);
	expect_record(&sp, 0);
	bld_spool_close(&sp);
	CU_ASSERT_EQUAL(dir_count(), 0);
}

/* DIR missing, or not a directory: an error naming --syslog-spool and DIR. */
static void test_bad_dir(void)
{
	struct bld_spool sp;
	char warn[300], err[600] = "", missing[400], want[600];
	snprintf(missing, sizeof(missing), "%s/no-such-dir", dir);
	CU_ASSERT_EQUAL(bld_spool_open(&sp, missing, "x", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "--syslog-spool %s: No such file or directory", missing);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_EQUAL(sp.fd, -1);
	/* a file where the directory should be */
	const char *file = spool_path("plain");
	write_file(file, "x", 1, O_TRUNC);
	err[0] = 0;
	CU_ASSERT_EQUAL(bld_spool_open(&sp, file, "x", MAX_BIG, warn, sizeof(warn), err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "--syslog-spool %s: not a directory", file);
	CU_ASSERT_STRING_EQUAL(err, want);
	unlink(file);
	CU_ASSERT_EQUAL(dir_count(), 0);
}

int main(void)
{
	dir_make();
	static const struct bld_test_case tests[] = {
		{ "open creates DIR/NAME.spool with its header", test_open_creates },
		{ "records come back in order; emptied: truncated", test_round_trip },
		{ "max_bytes: -ENOSPC exactly at the limit", test_max_bytes },
		{ "what a run left is kept for the next, in order", test_reopen_keeps },
		{ "a damaged tail is cut, with a warning", test_damaged_tail },
		{ "a damaged record read: -EBADMSG, emptied", test_damaged_record_read },
		{ "a file that is not a spool is refused, untouched", test_not_a_spool },
		{ "a spool in use is refused", test_in_use },
		{ "prepend puts records in front", test_prepend },
		{ "close removes an empty spool's file", test_close_removes_empty },
		{ "a missing directory names --syslog-spool", test_bad_dir },
	};
	int rc = bld_test_run("export/spool", tests, BLD_TEST_COUNT(tests));
	dir_remove();
	return rc;
}
