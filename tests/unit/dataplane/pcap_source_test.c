/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/pcap_source.c: classic pcap (through libpcap) and
 * pcapng (Bollard's own block reader), written by the test into a temporary
 * directory and read back.
 *
 * The pcapng files hold what real captures hold: two sections, the second
 * big-endian; interfaces of different link types (which libpcap 1.10 refuses
 * in one file); if_tsresol in decimal (10^-9) and binary (2^-6) units and an
 * if_tsoffset; enhanced, simple and obsolete packet blocks; and blocks that
 * are no packets (name resolution, statistics, custom) to be skipped.
 */
#include "bld_test.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataplane/decode.h"
#include "dataplane/pcap_source.h"

#define S 1000000000ull

static char dir[256];
static char errbuf[512];

/* ---- packets ---------------------------------------------------------------------- */

#define ETH_HDR "020000000002 020000000001"
/* P1: Ethernet, IPv4 UDP 192.0.2.1:50000 -> 192.0.2.2:53, padded to 60 bytes */
static const char P1[] = ETH_HDR "0800"
			 "45 00 001e 1234 0000 40 11 0000 c0000201 c0000202"
			 "c350 0035 000a 0000 abcd"
			 "00000000000000000000000000000000";
/* P2: raw IPv4, the same datagram (30 bytes) */
static const char P2[] = "45 00 001e 1234 0000 40 11 0000 c0000201 c0000202 c350 0035 000a 0000 abcd";
/* P3: Ethernet ARP request (42 bytes) */
static const char P3[] = "ffffffffffff 020000000001 0806"
			 "0001 0800 06 04 0001 020000000001 c0000201 000000000000 c0000202";
/* P4: Ethernet, IPv4 TCP SYN 192.0.2.1:40000 -> 192.0.2.2:502 (54 bytes) */
static const char P4[] = ETH_HDR "0800"
			 "45 00 0028 0001 4000 40 06 0000 c0000201 c0000202"
			 "9c40 01f6 00000001 00000000 50 02 ffff 0000 0000";
/* P6: Linux SLL, IPv4 TCP ACK (56 bytes) */
static const char P6[] = "0000 0001 0006 020000000001 0000 0800"
			 "45 00 0028 0002 4000 40 06 0000 c0000201 c0000202"
			 "9c40 01f6 00000002 00000001 50 10 ffff 0000 0000";

/* ---- writers ---------------------------------------------------------------------- */

struct buf {
	uint8_t b[8192];
	size_t n;
	bool be; /* big-endian section */
};

static void w8(struct buf *w, uint8_t v)
{
	CU_ASSERT_FATAL(w->n < sizeof(w->b));
	w->b[w->n++] = v;
}

static void w16(struct buf *w, uint16_t v)
{
	if (w->be)
		w8(w, (uint8_t)(v >> 8)), w8(w, (uint8_t)v);
	else
		w8(w, (uint8_t)v), w8(w, (uint8_t)(v >> 8));
}

static void w32(struct buf *w, uint32_t v)
{
	if (w->be)
		w16(w, (uint16_t)(v >> 16)), w16(w, (uint16_t)v);
	else
		w16(w, (uint16_t)v), w16(w, (uint16_t)(v >> 16));
}

static void wbytes(struct buf *w, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w8(w, p[i]);
}

static void wpad4(struct buf *w)
{
	while (w->n % 4)
		w8(w, 0);
}

static void whex(struct buf *w, const char *hex, uint32_t cut)
{
	uint32_t len;
	uint8_t *p = bld_test_hex(hex, &len);
	wbytes(w, p, cut < len ? cut : len);
	free(p);
}

static uint32_t hexlen(const char *hex)
{
	uint32_t len;
	free(bld_test_hex(hex, &len));
	return len;
}

/* One pcapng block: type, total length, body (padded), total length. */
static void block(struct buf *w, uint32_t type, const struct buf *body)
{
	uint32_t total = (uint32_t)(12 + (body->n + 3) / 4 * 4);
	w32(w, type);
	w32(w, total);
	wbytes(w, body->b, body->n);
	wpad4(w);
	w32(w, total);
}

static void shb(struct buf *w, bool be)
{
	w->be = be;
	struct buf b = { .be = be };
	w32(&b, 0x1A2B3C4D);   /* byte-order magic */
	w16(&b, 1), w16(&b, 0); /* version 1.0 */
	w32(&b, 0xffffffff), w32(&b, 0xffffffff); /* section length unknown */
	block(w, 0x0A0D0D0A, &b);
}

/* IDB with optional if_tsresol (-1: none) and if_tsoffset (0: none). */
static void idb(struct buf *w, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
	struct buf b = { .be = w->be };
	w16(&b, linktype);
	w16(&b, 0);
	w32(&b, snaplen);
	if (tsresol >= 0) {
		w16(&b, 9), w16(&b, 1), w8(&b, (uint8_t)tsresol), wpad4(&b);
	}
	if (tsoffset) {
		w16(&b, 14), w16(&b, 8);
		uint64_t v = (uint64_t)tsoffset;
		if (w->be)
			w32(&b, (uint32_t)(v >> 32)), w32(&b, (uint32_t)v);
		else
			w32(&b, (uint32_t)v), w32(&b, (uint32_t)(v >> 32));
	}
	w16(&b, 2), w16(&b, 4), wbytes(&b, (const uint8_t *)"eth0", 4); /* if_name */
	w16(&b, 0), w16(&b, 0);                                            /* opt_endofopt */
	block(w, 1, &b);
}

static void epb(struct buf *w, uint32_t iface, uint64_t ts, const char *hex, uint32_t cut, uint32_t wirelen)
{
	struct buf b = { .be = w->be };
	uint32_t len = hexlen(hex);
	uint32_t caplen = cut < len ? cut : len;
	w32(&b, iface);
	w32(&b, (uint32_t)(ts >> 32));
	w32(&b, (uint32_t)ts);
	w32(&b, caplen);
	w32(&b, wirelen ? wirelen : len);
	whex(&b, hex, cut);
	wpad4(&b);
	w16(&b, 1), w16(&b, 5), wbytes(&b, (const uint8_t *)"hello", 5), wpad4(&b); /* opt_comment */
	w16(&b, 0), w16(&b, 0);
	block(w, 6, &b);
}

static void spb(struct buf *w, const char *hex)
{
	struct buf b = { .be = w->be };
	w32(&b, hexlen(hex));
	whex(&b, hex, UINT32_MAX);
	block(w, 3, &b);
}

static void opb(struct buf *w, uint16_t iface, uint64_t ts, const char *hex)
{
	struct buf b = { .be = w->be };
	w16(&b, iface);
	w16(&b, 0); /* drops */
	w32(&b, (uint32_t)(ts >> 32));
	w32(&b, (uint32_t)ts);
	w32(&b, hexlen(hex));
	w32(&b, hexlen(hex));
	whex(&b, hex, UINT32_MAX);
	block(w, 2, &b);
}

static void other_block(struct buf *w, uint32_t type, uint32_t body_len)
{
	struct buf b = { .be = w->be };
	for (uint32_t i = 0; i < body_len; i++)
		w8(&b, (uint8_t)(0xA0 + i));
	block(w, type, &b);
}

static const char *write_file(const char *name, const void *p, size_t n)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
	fclose(f);
	return path;
}

/*
 * The reference pcapng: section 1 little-endian with interface 0 Ethernet
 * (ns) and 1 raw IP (1/64 s); section 2 big-endian with interface 0 Linux
 * SLL (µs, offset +100 s).
 */
static const uint64_t TS1 = 1700000000ull * S + 123456789; /* ns */
static const uint64_t TS2_UNITS = 1700000001ull * 64 + 16; /* 1/64 s: .25 s */
static const uint64_t TS4 = 1700000003ull * S + 5;
static const uint64_t TS6_US = 1700000000ull * 1000000 + 42;

static void reference_pcapng(struct buf *w)
{
	w->n = 0;
	shb(w, false);
	idb(w, 1, 0, 9, 0);            /* if 0: Ethernet, ns */
	idb(w, 101, 65535, 0x86, 0);   /* if 1: raw IP, 2^-6 s */
	epb(w, 0, TS1, P1, UINT32_MAX, 0);
	other_block(w, 0x40000BAD, 10); /* custom block (copiable) */
	epb(w, 1, TS2_UNITS, P2, UINT32_MAX, 0);
	other_block(w, 4, 8);          /* name resolution */
	spb(w, P3);                    /* interface 0, no time stamp */
	other_block(w, 5, 20);         /* interface statistics */
	opb(w, 0, TS4, P4);
	epb(w, 0, TS4 + 1, P4, 40, 1514); /* captured 40 of 1514 */
	other_block(w, 0, 4);          /* reserved type 0: skipped too */
	shb(w, true);
	idb(w, 113, 262144, -1, 100);  /* if 0 of section 2: Linux SLL, µs, +100 s */
	epb(w, 0, TS6_US, P6, UINT32_MAX, 0);
}

/* ---- checks ----------------------------------------------------------------------- */

static void expect_pkt(const struct bld_pkt *k, const char *hex, uint32_t cut, uint32_t wirelen, uint64_t ts,
		       uint16_t link, uint16_t port)
{
	uint32_t len;
	uint8_t *want = bld_test_hex(hex, &len);
	uint32_t caplen = cut < len ? cut : len;
	CU_ASSERT_EQUAL(k->caplen, caplen);
	CU_ASSERT_EQUAL(k->wirelen, wirelen ? wirelen : len);
	if (k->caplen == caplen)
		CU_ASSERT(memcmp(k->data, want, caplen) == 0);
	if (k->ts_ns != ts)
		fprintf(stderr, "\n    ts %llu, want %llu\n", (unsigned long long)k->ts_ns, (unsigned long long)ts);
	CU_ASSERT_EQUAL(k->ts_ns, ts);
	CU_ASSERT_EQUAL(k->linktype, link);
	CU_ASSERT_EQUAL(k->port, port);
	free(want);
}

static struct bld_pcap_source *open_ok(const char *path, const char *filter)
{
	errbuf[0] = 0;
	struct bld_pcap_source *s = bld_pcap_source_open(path, filter, errbuf, sizeof(errbuf));
	if (!s)
		fprintf(stderr, "\n    open %s: %s\n", path, errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

/*
 * Up to max packets, like a burst: each packet is only valid until the next
 * read, so the test keeps a copy of each (in exact-size blocks, for ASan).
 * Returns the count, or -1 when the source reports damage before any packet.
 */
static int burst(struct bld_pcap_source *s, struct bld_pkt *pkts, unsigned max)
{
	static uint8_t *copies[BLD_BURST_MAX];
	int n = 0, rc = 0;
	errbuf[0] = 0;
	while ((unsigned)n < max && (rc = bld_pcap_source_next(s, &pkts[n], errbuf, sizeof(errbuf))) > 0) {
		free(copies[n]);
		copies[n] = bld_test_dup(pkts[n].data, pkts[n].caplen);
		pkts[n].data = copies[n];
		n++;
	}
	return n ? n : rc;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_pcapng(void)
{
	static struct buf w;
	reference_pcapng(&w);
	const char *path = write_file("ref.pcapng", w.b, w.n);
	struct bld_pcap_source *s = open_ok(path, NULL);
	struct bld_pkt k[BLD_BURST_MAX];
	int n = burst(s, k, BLD_BURST_MAX);
	CU_ASSERT_EQUAL_FATAL(n, 6);
	expect_pkt(&k[0], P1, UINT32_MAX, 0, TS1, BLD_LINK_ETHERNET, 0);
	expect_pkt(&k[1], P2, UINT32_MAX, 0, 1700000001ull * S + 250000000, BLD_LINK_RAW, 1);
	/* SPB: interface 0, and the time of the packet before it */
	expect_pkt(&k[2], P3, UINT32_MAX, 0, 1700000001ull * S + 250000000, BLD_LINK_ETHERNET, 0);
	expect_pkt(&k[3], P4, UINT32_MAX, 0, TS4, BLD_LINK_ETHERNET, 0);
	expect_pkt(&k[4], P4, 40, 1514, TS4 + 1, BLD_LINK_ETHERNET, 0);
	expect_pkt(&k[5], P6, UINT32_MAX, 0, (TS6_US + 100 * 1000000ull) * 1000, BLD_LINK_LINUX_SLL, 0);
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), 0);
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), 0); /* and stays at the end */
	CU_ASSERT_EQUAL(bld_pcap_source_offset(s), w.n);
	CU_ASSERT_EQUAL(bld_pcap_source_filtered(s), 0);
	bld_pcap_source_close(s);

	/* Small bursts: the same packets, max at a time. */
	s = open_ok(path, NULL);
	int got[8], i = 0;
	while (i < 8 && (got[i] = burst(s, k, 4)) > 0)
		i++;
	CU_ASSERT_EQUAL(i, 2);
	CU_ASSERT_EQUAL(got[0], 4);
	CU_ASSERT_EQUAL(got[1], 2);
	CU_ASSERT_EQUAL(got[2], 0);
	bld_pcap_source_close(s);

	/* The same through bld_pcap_source_fopen on a memory stream. */
	FILE *m = fmemopen(w.b, w.n, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	s = bld_pcap_source_fopen(m, "memory", NULL, errbuf, sizeof(errbuf));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), 6);
	bld_pcap_source_close(s);
}

/* Ethernet and Linux SLL interfaces (section 2 big-endian), every packet block kind. */
static void filter_pcapng(struct buf *w)
{
	w->n = 0;
	shb(w, false);
	idb(w, 1, 0, 9, 0);
	epb(w, 0, TS1, P1, UINT32_MAX, 0);
	spb(w, P3);
	opb(w, 0, TS4, P4);
	epb(w, 0, TS4 + 1, P4, 40, 1514);
	shb(w, true);
	idb(w, 113, 262144, -1, 100);
	epb(w, 0, TS6_US, P6, UINT32_MAX, 0);
}

/* A BPF filter compiled for each interface's own link type. */
static void test_pcapng_filter(void)
{
	static struct buf w;
	filter_pcapng(&w);
	const char *path = write_file("filter.pcapng", w.b, w.n);
	struct bld_pkt k[BLD_BURST_MAX];

	struct bld_pcap_source *s = open_ok(path, "udp");
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), 1);
	CU_ASSERT_EQUAL(k[0].caplen, 60);
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), 0);
	CU_ASSERT_EQUAL(bld_pcap_source_filtered(s), 4);
	bld_pcap_source_close(s);

	s = open_ok(path, "tcp port 502");
	CU_ASSERT_EQUAL_FATAL(burst(s, k, BLD_BURST_MAX), 3);
	CU_ASSERT_EQUAL(k[0].caplen, 54);
	CU_ASSERT_EQUAL(k[1].caplen, 40);                    /* the filter sees only the captured bytes */
	CU_ASSERT_EQUAL(k[2].linktype, BLD_LINK_LINUX_SLL); /* compiled for SLL in section 2 */
	CU_ASSERT_EQUAL(bld_pcap_source_filtered(s), 2);
	bld_pcap_source_close(s);

	s = open_ok(path, "arp");
	CU_ASSERT_EQUAL_FATAL(burst(s, k, BLD_BURST_MAX), 1);
	CU_ASSERT_EQUAL(k[0].caplen, 42);
	bld_pcap_source_close(s);

	/* a filter that does not compile: said when the first interface needs it */
	s = open_ok(path, "udp and and");
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "bad filter"));
	bld_pcap_source_close(s);

	errbuf[0] = 0;
	CU_ASSERT_EQUAL(bld_pcap_filter_check("tcp port 502 or udp", errbuf, sizeof(errbuf)), 0);
	CU_ASSERT_EQUAL(bld_pcap_filter_check("port 99999999", errbuf, sizeof(errbuf)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "bad filter"));
}

/*
 * The same with a raw-IP interface (LINKTYPE_RAW, 101) in the file.  The
 * filter is compiled for it with pcap_open_dead(), which takes a DLT value,
 * and the DLT for raw IP is DLT_RAW (12 on Linux, 14 on OpenBSD), not 101.
 */
static void test_pcapng_filter_raw(void)
{
	static struct buf w;
	reference_pcapng(&w);
	const char *path = write_file("filter.pcapng", w.b, w.n);
	struct bld_pkt k[BLD_BURST_MAX];
	struct bld_pcap_source *s = open_ok(path, "udp");
	int n = burst(s, k, BLD_BURST_MAX);
	if (n < 0)
		fprintf(stderr, "\n    %s\n", errbuf);
	CU_ASSERT_EQUAL(n, 2);
	if (n == 2) {
		CU_ASSERT_EQUAL(k[0].linktype, BLD_LINK_ETHERNET); /* UDP behind Ethernet */
		CU_ASSERT_EQUAL(k[1].linktype, BLD_LINK_RAW);      /* and the same UDP as raw IP */
		CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), 0);
		CU_ASSERT_EQUAL(bld_pcap_source_filtered(s), 4);
	}
	bld_pcap_source_close(s);
}

/* if_tsresol and if_tsoffset values, each on its own. */
static void test_pcapng_time_units(void)
{
	static const struct {
		int tsresol;
		int64_t offset;
		uint64_t ts;
		uint64_t want_ns;
	} cases[] = {
		{ -1, 0, 1700000000123456ull, 1700000000123456000ull },    /* default: µs */
		{ 6, 0, 1700000000123456ull, 1700000000123456000ull },     /* 10^-6 */
		{ 3, 0, 1700000000123ull, 1700000000123000000ull },        /* 10^-3 */
		{ 0, 0, 1700000000ull, 1700000000000000000ull },           /* seconds */
		{ 9, -100, 1700000000000000001ull, 1699999900000000001ull }, /* ns, offset -100 s */
		{ 0x80, 0, 1700000000ull, 1700000000000000000ull },        /* 2^0 */
		{ 0x8a, 0, 1024ull * 1700000000 + 512, 1700000000500000000ull }, /* 2^-10: 512/1024 s */
		{ 0x94, 7, 3ull << 19, 8500000000ull },                    /* 2^-20: 1.5 s, offset +7 s */
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		struct buf w = { 0 };
		shb(&w, i % 2 == 1); /* both byte orders */
		idb(&w, 1, 0, cases[i].tsresol, cases[i].offset);
		epb(&w, 0, cases[i].ts, P1, UINT32_MAX, 0);
		const char *path = write_file("units.pcapng", w.b, w.n);
		struct bld_pcap_source *s = open_ok(path, NULL);
		struct bld_pkt k[2];
		CU_ASSERT_EQUAL_FATAL(burst(s, k, 2), 1);
		uint64_t want = cases[i].want_ns;
		if (k[0].ts_ns != want)
			fprintf(stderr, "\n    case %zu: %llu, want %llu\n", i, (unsigned long long)k[0].ts_ns,
				(unsigned long long)want);
		CU_ASSERT_EQUAL(k[0].ts_ns, want);
		bld_pcap_source_close(s);
	}
}

/* Classic pcap: µs little-endian, ns big-endian; libpcap hands us ns either way. */
static void test_classic_pcap(void)
{
	struct buf w = { .be = false };
	w32(&w, 0xa1b2c3d4); /* µs magic */
	w16(&w, 2), w16(&w, 4);
	w32(&w, 0), w32(&w, 0);
	w32(&w, 65535);
	w32(&w, 1); /* Ethernet */
	w32(&w, 1700000000), w32(&w, 123456), w32(&w, hexlen(P1)), w32(&w, hexlen(P1));
	whex(&w, P1, UINT32_MAX);
	w32(&w, 1700000001), w32(&w, 999999), w32(&w, 40), w32(&w, 1514);
	whex(&w, P4, 40);
	const char *path = write_file("us.pcap", w.b, w.n);
	struct bld_pcap_source *s = open_ok(path, NULL);
	struct bld_pkt k[BLD_BURST_MAX];
	CU_ASSERT_EQUAL_FATAL(burst(s, k, BLD_BURST_MAX), 2);
	expect_pkt(&k[0], P1, UINT32_MAX, 0, 1700000000123456000ull, BLD_LINK_ETHERNET, 0);
	expect_pkt(&k[1], P4, 40, 1514, 1700000001999999000ull, BLD_LINK_ETHERNET, 0);
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), 0);
	CU_ASSERT_EQUAL(bld_pcap_source_offset(s), w.n);
	bld_pcap_source_close(s);

	/* the filter goes through libpcap here */
	s = open_ok(path, "tcp");
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), 1);
	CU_ASSERT_EQUAL(k[0].caplen, 40);
	bld_pcap_source_close(s);
	CU_ASSERT_PTR_NULL(bld_pcap_source_open(path, "tcp and", errbuf, sizeof(errbuf)));
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "bad filter"));

	struct buf b = { .be = true };
	w32(&b, 0xa1b23c4d); /* ns magic, big-endian file */
	w16(&b, 2), w16(&b, 4);
	w32(&b, 0), w32(&b, 0);
	w32(&b, 65535);
	w32(&b, 113); /* Linux SLL */
	w32(&b, 1700000000), w32(&b, 123456789), w32(&b, hexlen(P6)), w32(&b, hexlen(P6));
	whex(&b, P6, UINT32_MAX);
	path = write_file("ns.pcap", b.b, b.n);
	s = open_ok(path, NULL);
	CU_ASSERT_EQUAL_FATAL(burst(s, k, BLD_BURST_MAX), 1);
	expect_pkt(&k[0], P6, UINT32_MAX, 0, 1700000000123456789ull, BLD_LINK_LINUX_SLL, 0);
	bld_pcap_source_close(s);
}

/*
 * Classic pcap files of each link type decode knows.  The file header holds
 * a LINKTYPE_ value; pcap_datalink() answers with the DLT_ value, which for
 * raw IP differs (LINKTYPE_RAW 101, DLT_RAW 12 on Linux): the packet must
 * reach decode as BLD_LINK_RAW all the same.
 */
static void test_classic_pcap_link_types(void)
{
	static const struct {
		uint32_t linktype;
		const char *hex;
	} cases[] = {
		{ BLD_LINK_ETHERNET, P1 },
		{ BLD_LINK_RAW, P2 },
		{ BLD_LINK_NULL, "02000000" "45 00 001e 1234 0000 40 11 0000 c0000201 c0000202 c350 0035 000a 0000 abcd" },
		{ BLD_LINK_LOOP, "00000002" "45 00 001e 1234 0000 40 11 0000 c0000201 c0000202 c350 0035 000a 0000 abcd" },
		{ BLD_LINK_LINUX_SLL, P6 },
		{ BLD_LINK_IPV4, P2 },
		{ BLD_LINK_LINUX_SLL2, "0800 0000 00000002 0001 00 06 020000000001 0000" 
				       "45 00 001e 1234 0000 40 11 0000 c0000201 c0000202 c350 0035 000a 0000 abcd" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		struct buf w = { .be = false };
		w32(&w, 0xa1b2c3d4);
		w16(&w, 2), w16(&w, 4);
		w32(&w, 0), w32(&w, 0), w32(&w, 65535);
		w32(&w, cases[i].linktype);
		w32(&w, 1700000000), w32(&w, 0), w32(&w, hexlen(cases[i].hex)), w32(&w, hexlen(cases[i].hex));
		whex(&w, cases[i].hex, UINT32_MAX);
		const char *path = write_file("link.pcap", w.b, w.n);
		struct bld_pcap_source *s = open_ok(path, NULL);
		struct bld_pkt k[2];
		CU_ASSERT_EQUAL_FATAL(burst(s, k, 2), 1);
		if (k[0].linktype != cases[i].linktype)
			fprintf(stderr, "\n    LINKTYPE %u in the file came out as %u\n", cases[i].linktype, k[0].linktype);
		CU_ASSERT_EQUAL(k[0].linktype, cases[i].linktype);
		/* and decode takes it apart */
		struct bld_decoded d;
		uint64_t ctr[BLD_DECODE_COUNTER_MAX] = { 0 };
		CU_ASSERT_EQUAL(bld_decode_packet(&k[0], &d, ctr), BLD_DECODED_L4);
		CU_ASSERT_EQUAL(ctr[BLD_DECODE_LINK_UNSUPPORTED], 0);
		bld_pcap_source_close(s);
	}
}

/* Damage: the packets before it, then -1 with a message, and -1 again after. */
static void test_truncated(void)
{
	static struct buf w;
	reference_pcapng(&w);
	struct bld_pkt k[BLD_BURST_MAX];
	/* cut inside the SPB (the third packet): two packets, then the damage */
	size_t cut = 0;
	{
		struct buf t = { 0 };
		shb(&t, false);
		idb(&t, 1, 0, 9, 0);
		idb(&t, 101, 65535, 0x86, 0);
		epb(&t, 0, TS1, P1, UINT32_MAX, 0);
		other_block(&t, 0x40000BAD, 10);
		epb(&t, 1, TS2_UNITS, P2, UINT32_MAX, 0);
		other_block(&t, 4, 8);
		cut = t.n + 20; /* 20 bytes into the SPB */
	}
	const char *path = write_file("cut.pcapng", w.b, cut);
	struct bld_pcap_source *s = open_ok(path, NULL);
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), 2);
	CU_ASSERT_EQUAL(k[1].linktype, BLD_LINK_RAW);
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "truncated"));
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "cut.pcapng"));
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), -1);
	bld_pcap_source_close(s);

	/* every cut of the reference file: never more packets than whole blocks, never a crash */
	for (size_t n = 0; n < w.n; n++) {
		path = write_file("every.pcapng", w.b, n);
		errbuf[0] = 0;
		s = bld_pcap_source_open(path, NULL, errbuf, sizeof(errbuf));
		if (!s) {
			CU_ASSERT(n < 4); /* only a file too short to hold the magic is refused */
			continue;
		}
		int total = 0, r;
		while ((r = burst(s, k, 3)) > 0)
			total += r;
		CU_ASSERT(total <= 6);
		if (r == 0) {
			CU_ASSERT(n % 4 == 0); /* a clean end falls on a block boundary */
		} else {
			CU_ASSERT(errbuf[0] != 0);
		}
		bld_pcap_source_close(s);
	}

	/* classic pcap cut inside the second record */
	struct buf c = { .be = false };
	w32(&c, 0xa1b2c3d4);
	w16(&c, 2), w16(&c, 4);
	w32(&c, 0), w32(&c, 0), w32(&c, 65535), w32(&c, 1);
	w32(&c, 1700000000), w32(&c, 1), w32(&c, hexlen(P1)), w32(&c, hexlen(P1));
	whex(&c, P1, UINT32_MAX);
	w32(&c, 1700000000), w32(&c, 2), w32(&c, hexlen(P4)), w32(&c, hexlen(P4));
	whex(&c, P4, 30);
	path = write_file("cut.pcap", c.b, c.n);
	s = open_ok(path, NULL);
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), 1);
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), -1);
	CU_ASSERT(errbuf[0] != 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "cut.pcap"));
	bld_pcap_source_close(s);
}

/* Blocks that lie about themselves. */
static void test_pcapng_malformed(void)
{
	struct bld_pkt k[BLD_BURST_MAX];
	static const char *const want[] = {
		"block length", "block length", "undeclared interface", "byte-order magic", "interface description",
		"interface description", "too short",
	};
	for (int i = 0; i < (int)BLD_TEST_COUNT(want); i++) {
		struct buf w = { 0 };
		shb(&w, false);
		idb(&w, 1, 0, 9, 0);
		epb(&w, 0, TS1, P1, UINT32_MAX, 0); /* one good packet first */
		size_t at = w.n;
		switch (i) {
		case 0: /* total length not a multiple of 4 */
			epb(&w, 0, TS1, P1, UINT32_MAX, 0);
			w.b[at + 4] = 0x53;
			break;
		case 1: /* total length 8 */
			epb(&w, 0, TS1, P1, UINT32_MAX, 0);
			w.b[at + 4] = 8, w.b[at + 5] = 0;
			break;
		case 2:
			epb(&w, 3, TS1, P1, UINT32_MAX, 0);
			break;
		case 3: { /* a section header with a bad byte-order magic */
			shb(&w, false);
			w.b[at + 8] = 0x11;
			break;
		}
		case 4:
			idb(&w, 1, 0, 0x80 | 64, 0); /* 2^-64 s */
			break;
		case 5:
			idb(&w, 1, 0, 20, 0); /* 10^-20 s */
			break;
		case 6: { /* captured length past the block */
			epb(&w, 0, TS1, P1, UINT32_MAX, 0);
			w.b[at + 20] = 0xff;
			break;
		}
		}
		const char *path = write_file("bad.pcapng", w.b, w.n);
		struct bld_pcap_source *s = open_ok(path, NULL);
		CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), 1);
		CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), -1);
		const char *expect = want[i];
		if (!strstr(errbuf, expect))
			fprintf(stderr, "\n    case %d: '%s', want '%s'\n", i, errbuf, expect ? expect : "?");
		CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, expect));
		bld_pcap_source_close(s);
	}

	/* A section with no packets at all is a clean, empty capture. */
	struct buf e = { 0 };
	shb(&e, true);
	const char *path = write_file("empty.pcapng", e.b, e.n);
	struct bld_pcap_source *s = open_ok(path, NULL);
	CU_ASSERT_EQUAL(burst(s, k, BLD_BURST_MAX), 0);
	bld_pcap_source_close(s);
}

/*
 * A block's trailing Block Total Length must repeat the leading one
 * (draft-ietf-opsawg-pcapng §3.1); libpcap and Wireshark reject a file where
 * it does not: the block boundaries can no longer be trusted.
 */
static void test_pcapng_trailer_mismatch(void)
{
	struct buf w = { 0 };
	shb(&w, false);
	idb(&w, 1, 0, 9, 0);
	epb(&w, 0, TS1, P1, UINT32_MAX, 0);
	size_t at = w.n;
	epb(&w, 0, TS1 + 1, P4, UINT32_MAX, 0);
	size_t end = w.n;
	w.b[end - 4] ^= 0x04; /* trailing length 4 more than the leading one */
	(void)at;
	const char *path = write_file("trailer.pcapng", w.b, w.n);
	struct bld_pcap_source *s = open_ok(path, NULL);
	struct bld_pkt k[BLD_BURST_MAX];
	int n = burst(s, k, BLD_BURST_MAX);
	int n2 = n >= 0 ? burst(s, k, BLD_BURST_MAX) : n;
	if (n != 1 || n2 != -1)
		fprintf(stderr, "\n    trailing length differs: bursts gave %d then %d, want 1 then -1\n", n, n2);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(n2, -1);
	bld_pcap_source_close(s);
}

static void test_not_a_capture(void)
{
	const char *path = write_file("notes.txt", "this is not a capture\n", 22);
	errbuf[0] = 0;
	CU_ASSERT_PTR_NULL(bld_pcap_source_open(path, NULL, errbuf, sizeof(errbuf)));
	CU_ASSERT(errbuf[0] != 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "notes.txt"));

	path = write_file("empty.pcap", "", 0);
	errbuf[0] = 0;
	CU_ASSERT_PTR_NULL(bld_pcap_source_open(path, NULL, errbuf, sizeof(errbuf)));
	CU_ASSERT(errbuf[0] != 0);

	char missing[512];
	snprintf(missing, sizeof(missing), "%s/no-such-file.pcap", dir);
	errbuf[0] = 0;
	CU_ASSERT_PTR_NULL(bld_pcap_source_open(missing, NULL, errbuf, sizeof(errbuf)));
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "no-such-file.pcap"));
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, strerror(ENOENT)));
}

static void rm_dir(void)
{
	static const char *const names[] = { "ref.pcapng", "filter.pcapng", "units.pcapng", "us.pcap", "ns.pcap",
					     "cut.pcapng", "every.pcapng", "cut.pcap", "bad.pcapng", "empty.pcapng",
					     "trailer.pcapng", "notes.txt", "empty.pcap", "link.pcap" };
	char p[512];
	for (size_t i = 0; i < BLD_TEST_COUNT(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/bld_pcap_source_test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	static const struct bld_test_case tests[] = {
		{ "pcapng: two sections, two link types, all packet blocks", test_pcapng },
		{ "pcapng: BPF filter per link type", test_pcapng_filter },
		{ "pcapng: BPF filter with a raw-IP interface", test_pcapng_filter_raw },
		{ "pcapng: time stamp units and offsets", test_pcapng_time_units },
		{ "classic pcap, both byte orders and resolutions", test_classic_pcap },
		{ "classic pcap, every link type decode knows", test_classic_pcap_link_types },
		{ "truncated files", test_truncated },
		{ "pcapng: malformed blocks", test_pcapng_malformed },
		{ "pcapng: trailing block length differs", test_pcapng_trailer_mismatch },
		{ "not a capture", test_not_a_capture },
	};
	int rc = bld_test_run("dataplane/pcap_source", tests, BLD_TEST_COUNT(tests));
	if (!getenv("BLD_TEST_KEEP")) /* set it to look at the files the tests wrote */
		rm_dir();
	return rc;
}
