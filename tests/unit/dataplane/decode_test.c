/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/decode.c: link layers, VLANs, IPv4/IPv6 with
 * options and extension headers, fragments, TCP/UDP/ICMP, and the decode
 * counters.
 *
 * Frames are annotated hex assembled from the pieces below (a link header,
 * then an IP datagram); checksums are left 0 because decode does not check
 * them.  Counters are always asserted by their user-visible name through
 * bld_decode_counter_names, so a test also checks the X-macro table, and a
 * malformed frame must bump exactly one counter: the one naming the reason.
 */
#include "bld_test.h"

#include <stdarg.h>
#include <stdbool.h>

#include "dataplane/decode.h"

/* ---- frame pieces ------------------------------------------------------------ */

/* Ethernet II: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, then the type. */
#define ETH(type) "020000000002 020000000001 " type

/* 192.0.2.1:50000 -> 192.0.2.2:53, UDP, 2 bytes of payload: total length 30. */
#define IP4_UDP_HDR                                                          \
	"45 00 001e"  /* IPv4, IHL 5, total length 30 */                     \
	"1234 0000"   /* id, flags/offset 0 */                               \
	"40 11 0000"  /* TTL 64, UDP, checksum */                            \
	"c0000201 c0000202" /* 192.0.2.1 -> 192.0.2.2 */
#define UDP_50000_53 "c350 0035 000a 0000" /* UDP 50000 -> 53, length 10 */
#define IP4_UDP IP4_UDP_HDR UDP_50000_53 "abcd"

#define IP6_SRC "20010db8 00000000 00000000 00000001" /* 2001:db8::1 */
#define IP6_DST "20010db8 00000000 00000000 00000002" /* 2001:db8::2 */
/* 2001:db8::1:50000 -> 2001:db8::2:53, UDP, 2 bytes of payload */
#define IP6_UDP                                                               \
	"60000000 000a 11 40" /* IPv6, payload length 10, next UDP, hop limit 64 */ \
	IP6_SRC IP6_DST UDP_50000_53 "abcd"

/* Ethernet + IPv4 + TCP + Modbus request, byte for byte ndpi/modbus.pcap frame 1 (66 bytes). */
static const char ETH_IP4_TCP_MODBUS[] =
	"001cc05f490a 000ae4c5830a 0800" /* Ethernet: dst, src, IPv4 */
	"45 00 0034"                     /* IPv4, IHL 5, total length 52 */
	"8bfd 4000"                      /* id 0x8bfd, DF */
	"80 06 1068"                     /* TTL 128, TCP, checksum */
	"c0a86e83 c0a86e8a"              /* 192.168.110.131 -> 192.168.110.138 */
	"081a 01f6"                      /* TCP 2074 -> 502 */
	"41d2eac6 e1153ace"              /* seq, ack */
	"50 18 fcc6"                     /* data offset 5, PSH ACK, window */
	"0032 0000"                      /* checksum, urgent */
	"00d1 0000 0006 01 03 0001 0001"; /* Modbus read holding registers */

/* ---- helpers ------------------------------------------------------------------ */

static uint64_t ctr[BLD_DECODE_COUNTER_MAX];
static uint8_t *frame;      /* the frame last decoded: d.payload and d.l3 point into it */
static uint32_t frame_len;

static void reset(void)
{
	memset(ctr, 0, sizeof(ctr));
}

static int counter_index(const char *name)
{
	for (int i = 0; i < BLD_DECODE_COUNTER_MAX; i++)
		if (bld_decode_counter_names[i] && strcmp(bld_decode_counter_names[i], name) == 0)
			return i;
	fprintf(stderr, "\n    no decode counter named '%s'\n", name);
	CU_FAIL_FATAL("unknown counter name");
	return 0;
}

static uint64_t counter(const char *name)
{
	return ctr[counter_index(name)];
}

/*
 * The counters bumped since reset() are exactly the names given (each once),
 * in a NULL-terminated list; then reset.
 */
static void expect_counters_at(int line, const char *first, ...)
{
	uint64_t want[BLD_DECODE_COUNTER_MAX] = { 0 };
	va_list ap;
	va_start(ap, first);
	for (const char *n = first; n; n = va_arg(ap, const char *))
		want[counter_index(n)]++;
	va_end(ap);
	for (int i = 0; i < BLD_DECODE_COUNTER_MAX; i++) {
		if (ctr[i] != want[i])
			fprintf(stderr, "\n    line %d: counter %s is %llu, want %llu\n", line,
				bld_decode_counter_names[i], (unsigned long long)ctr[i], (unsigned long long)want[i]);
		CU_ASSERT_EQUAL(ctr[i], want[i]);
	}
	reset();
}
#define EXPECT_COUNTERS(...) expect_counters_at(__LINE__, __VA_ARGS__, (const char *)NULL)
#define EXPECT_NO_COUNTERS() expect_counters_at(__LINE__, (const char *)NULL)

/*
 * Decode hex on a link type from a heap block of exactly its size, the
 * first `cut` bytes of it captured out of `wirelen` on the wire (0: the
 * frame's own length, a frame captured whole).
 */
static enum bld_decode_result dec_wire(uint16_t linktype, const char *hex, uint32_t cut, uint32_t wirelen,
				       struct bld_decoded *d)
{
	free(frame);
	frame = bld_test_hex(hex, &frame_len);
	if (!wirelen)
		wirelen = frame_len;
	if (cut < frame_len) {
		uint8_t *c = bld_test_dup(frame, cut);
		free(frame);
		frame = c;
		frame_len = cut;
	}
	struct bld_pkt pkt = {
		.data = frame, .caplen = frame_len, .wirelen = wirelen, .ts_ns = 1, .linktype = linktype,
	};
	return bld_decode_packet(&pkt, d, ctr);
}

/* The frame captured whole. */
static enum bld_decode_result dec(uint16_t linktype, const char *hex, struct bld_decoded *d)
{
	return dec_wire(linktype, hex, UINT32_MAX, 0, d);
}

/* The first `cut` bytes of the frame, cut by the capture's snaplen (the wire had all of it). */
static enum bld_decode_result dec_n(uint16_t linktype, const char *hex, uint32_t cut, struct bld_decoded *d)
{
	return dec_wire(linktype, hex, cut, 0, d);
}

static void expect_v4(const struct bld_addr *a, uint8_t x0, uint8_t x1, uint8_t x2, uint8_t x3)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	CU_ASSERT(memcmp(a->b, mapped, 12) == 0);
	CU_ASSERT(a->b[12] == x0 && a->b[13] == x1 && a->b[14] == x2 && a->b[15] == x3);
}

static void expect_v6_doc(const struct bld_addr *a, uint8_t last)
{
	static const uint8_t p[15] = { 0x20, 0x01, 0x0d, 0xb8 };
	CU_ASSERT(memcmp(a->b, p, 15) == 0);
	CU_ASSERT_EQUAL(a->b[15], last);
}

/* The IPv4 UDP datagram of IP4_UDP decoded at l3 offset `at` of the frame. */
static void expect_ip4_udp(const struct bld_decoded *d, uint32_t at)
{
	CU_ASSERT_EQUAL(d->ip_version, 4);
	CU_ASSERT_EQUAL(d->l4_proto, 17);
	expect_v4(&d->src, 192, 0, 2, 1);
	expect_v4(&d->dst, 192, 0, 2, 2);
	CU_ASSERT_PTR_EQUAL(d->l3, frame + at);
	CU_ASSERT_EQUAL(d->l3_len, 30);
	CU_ASSERT_TRUE(d->has_ports);
	CU_ASSERT_EQUAL(d->sport, 50000);
	CU_ASSERT_EQUAL(d->dport, 53);
	CU_ASSERT_EQUAL(d->payload_len, 2);
	CU_ASSERT_PTR_EQUAL(d->payload, frame + at + 28);
}

static void expect_ip6_udp(const struct bld_decoded *d, uint32_t at, uint32_t hdrs)
{
	CU_ASSERT_EQUAL(d->ip_version, 6);
	CU_ASSERT_EQUAL(d->l4_proto, 17);
	expect_v6_doc(&d->src, 1);
	expect_v6_doc(&d->dst, 2);
	CU_ASSERT_PTR_EQUAL(d->l3, frame + at);
	CU_ASSERT_TRUE(d->has_ports);
	CU_ASSERT_EQUAL(d->sport, 50000);
	CU_ASSERT_EQUAL(d->dport, 53);
	CU_ASSERT_EQUAL(d->payload_len, 2);
	CU_ASSERT_PTR_EQUAL(d->payload, frame + at + hdrs + 8);
}

/* ---- the counter table ---------------------------------------------------------- */

static void test_counter_names(void)
{
	static const struct {
		int id;
		const char *name;
		bool err;
	} want[] = {
		{ BLD_DECODE_LINK_UNSUPPORTED, "link.unsupported", true },
		{ BLD_DECODE_LINK_TRUNCATED, "link.truncated", true },
		{ BLD_DECODE_LINK_UNKNOWN_FAMILY, "link.unknown_family", true },
		{ BLD_DECODE_VLAN_TRUNCATED, "vlan.truncated", true },
		{ BLD_DECODE_VLAN_TOO_DEEP, "vlan.too_deep", true },
		{ BLD_DECODE_PPPOE_TRUNCATED, "pppoe.truncated", true },
		{ BLD_DECODE_NON_IP, "l2.non_ip", false },
		{ BLD_DECODE_IPV4_TRUNCATED, "ipv4.truncated", true },
		{ BLD_DECODE_IPV4_BAD_VERSION, "ipv4.bad_version", true },
		{ BLD_DECODE_IPV4_BAD_HLEN, "ipv4.bad_header_length", true },
		{ BLD_DECODE_IPV4_BAD_TOTLEN, "ipv4.bad_total_length", true },
		{ BLD_DECODE_IPV4_OPTIONS, "ipv4.options", false },
		{ BLD_DECODE_IPV4_FRAGMENT, "ipv4.fragment", false },
		{ BLD_DECODE_IPV4_AH_TRUNCATED, "ipv4.ah_truncated", true },
		{ BLD_DECODE_IPV6_TRUNCATED, "ipv6.truncated", true },
		{ BLD_DECODE_IPV6_BAD_VERSION, "ipv6.bad_version", true },
		{ BLD_DECODE_IPV6_BAD_PLEN, "ipv6.bad_payload_length", true },
		{ BLD_DECODE_IPV6_EXTHDR_TRUNCATED, "ipv6.exthdr_truncated", true },
		{ BLD_DECODE_IPV6_EXTHDR_TOO_MANY, "ipv6.exthdr_too_many", true },
		{ BLD_DECODE_IPV6_FRAGMENT, "ipv6.fragment", false },
		{ BLD_DECODE_TCP_TRUNCATED, "tcp.truncated", true },
		{ BLD_DECODE_TCP_BAD_HLEN, "tcp.bad_header_length", true },
		{ BLD_DECODE_UDP_TRUNCATED, "udp.truncated", true },
		{ BLD_DECODE_UDP_BAD_LEN, "udp.bad_length", true },
		{ BLD_DECODE_SCTP_TRUNCATED, "sctp.truncated", true },
		{ BLD_DECODE_ICMP_TRUNCATED, "icmp.truncated", true },
		{ BLD_DECODE_ICMPV6_TRUNCATED, "icmpv6.truncated", true },
		{ BLD_DECODE_FRAG_REASSEMBLED, "frag.reassembled", false },
		{ BLD_DECODE_FRAG_MALFORMED, "frag.malformed", true },
		{ BLD_DECODE_FRAG_OVERLAP, "frag.overlap", true },
		{ BLD_DECODE_FRAG_TOO_BIG, "frag.too_big", true },
		{ BLD_DECODE_FRAG_TIMEOUT, "frag.timeout", false },
		{ BLD_DECODE_FRAG_CAPACITY, "frag.capacity", true },
	};
	/* A counter added to decode.h is added here too, with its name: names are a user interface. */
	if (BLD_DECODE_COUNTER_MAX != BLD_TEST_COUNT(want))
		fprintf(stderr, "\n    decode.h has %d counters, this test knows %zu\n", BLD_DECODE_COUNTER_MAX,
			BLD_TEST_COUNT(want));
	CU_ASSERT_EQUAL_FATAL(BLD_DECODE_COUNTER_MAX, BLD_TEST_COUNT(want));
	for (size_t i = 0; i < BLD_TEST_COUNT(want); i++) {
		CU_ASSERT_EQUAL(want[i].id, (int)i); /* X-macro order */
		CU_ASSERT_PTR_NOT_NULL_FATAL(bld_decode_counter_names[i]);
		CU_ASSERT_STRING_EQUAL(bld_decode_counter_names[want[i].id], want[i].name);
		CU_ASSERT_EQUAL(bld_decode_counter_is_error[want[i].id], want[i].err);
		CU_ASSERT_EQUAL(counter_index(want[i].name), want[i].id);
		for (size_t j = 0; j < i; j++) /* unique */
			CU_ASSERT(strcmp(bld_decode_counter_names[i], bld_decode_counter_names[j]) != 0);
	}
}

/* ---- link layers --------------------------------------------------------------- */

static void test_ethernet_ipv4_tcp(void)
{
	struct bld_decoded d;
	reset();
	CU_ASSERT_EQUAL_FATAL(dec(BLD_LINK_ETHERNET, ETH_IP4_TCP_MODBUS, &d), BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(frame_len, 66);
	CU_ASSERT_TRUE(d.has_mac);
	CU_ASSERT(memcmp(d.dst_mac, "\x00\x1c\xc0\x5f\x49\x0a", 6) == 0);
	CU_ASSERT(memcmp(d.src_mac, "\x00\x0a\xe4\xc5\x83\x0a", 6) == 0);
	CU_ASSERT_EQUAL(d.n_vlan, 0);
	CU_ASSERT_EQUAL(d.ethertype, 0x0800);
	CU_ASSERT_EQUAL(d.ip_version, 4);
	CU_ASSERT_EQUAL(d.l4_proto, 6);
	expect_v4(&d.src, 192, 168, 110, 131);
	expect_v4(&d.dst, 192, 168, 110, 138);
	CU_ASSERT_PTR_EQUAL(d.l3, frame + 14);
	CU_ASSERT_EQUAL(d.l3_len, 52);
	CU_ASSERT_TRUE(d.has_ports);
	CU_ASSERT_EQUAL(d.sport, 2074);
	CU_ASSERT_EQUAL(d.dport, 502);
	CU_ASSERT_EQUAL(d.tcp_seq, 0x41d2eac6u);
	CU_ASSERT_EQUAL(d.tcp_ack, 0xe1153aceu);
	CU_ASSERT_EQUAL(d.tcp_flags, BLD_TCP_PSH | BLD_TCP_ACK);
	CU_ASSERT_PTR_EQUAL(d.payload, frame + 54);
	CU_ASSERT_EQUAL(d.payload_len, 12);
}

static void test_vlan(void)
{
	struct bld_decoded d;
	reset();
	/* 802.1Q, PCP 4, VID 10 */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("8100") "800a 0800" IP4_UDP, &d), BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_TRUE(d.has_mac);
	CU_ASSERT_EQUAL(d.n_vlan, 1);
	CU_ASSERT_EQUAL(d.vlan[0], 10);
	CU_ASSERT_EQUAL(d.vlan[1], 0);
	CU_ASSERT_EQUAL(d.ethertype, 0x0800);
	expect_ip4_udp(&d, 18);

	/* QinQ: 802.1ad S-tag VID 100, then C-tag VID 200 (DEI and PCP bits must not leak into the VID) */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("88a8") "f064 8100 30c8 0800" IP4_UDP, &d), BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.n_vlan, 2);
	CU_ASSERT_EQUAL(d.vlan[0], 100);
	CU_ASSERT_EQUAL(d.vlan[1], 200);
	expect_ip4_udp(&d, 22);

	/* pre-standard QinQ TPID 0x9100, IPv6 inside */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("9100") "0007 8100 0fff 86dd" IP6_UDP, &d), BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.n_vlan, 2);
	CU_ASSERT_EQUAL(d.vlan[0], 7);
	CU_ASSERT_EQUAL(d.vlan[1], 4095);
	CU_ASSERT_EQUAL(d.ethertype, 0x86dd);
	expect_ip6_udp(&d, 22, 40);

	/* three tags: deeper than Bollard keys on */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("88a8") "0064 8100 00c8 8100 012c 0800" IP4_UDP, &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("vlan.too_deep");

	/* a tag cut short, and a tag with no type after it */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("8100") "00", &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("vlan.truncated");
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("8100") "000a 08", &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("vlan.truncated");
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("8100"), &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("vlan.truncated");
}

static void test_linux_sll(void)
{
	struct bld_decoded d;
	reset();
	CU_ASSERT_EQUAL(dec(BLD_LINK_LINUX_SLL,
			    "0000"             /* packet type: to us */
			    "0001"             /* ARPHRD_ETHER */
			    "0006"             /* address length */
			    "020000000001 0000" /* address, padded to 8 */
			    "0800"             /* protocol */
			    IP4_UDP, &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_FALSE(d.has_mac);
	CU_ASSERT_EQUAL(d.ethertype, 0x0800);
	expect_ip4_udp(&d, 16);

	/* SLL then an 802.1Q tag (as captured on "any" with VLAN offload off) */
	CU_ASSERT_EQUAL(dec(BLD_LINK_LINUX_SLL, "0004 0001 0006 020000000001 0000 8100" "0005 86dd" IP6_UDP, &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.n_vlan, 1);
	CU_ASSERT_EQUAL(d.vlan[0], 5);
	expect_ip6_udp(&d, 20, 40);

	CU_ASSERT_EQUAL(dec(BLD_LINK_LINUX_SLL, "0000 0001 0006 020000000001 0000 08", &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("link.truncated");

	CU_ASSERT_EQUAL(dec(BLD_LINK_LINUX_SLL2,
			    "86dd"             /* protocol */
			    "0000"             /* reserved */
			    "00000002"         /* interface index */
			    "0001"             /* ARPHRD_ETHER */
			    "00"               /* packet type */
			    "06"               /* address length */
			    "020000000001 0000" /* address */
			    IP6_UDP, &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_FALSE(d.has_mac);
	CU_ASSERT_EQUAL(d.ethertype, 0x86dd);
	expect_ip6_udp(&d, 20, 40);

	CU_ASSERT_EQUAL(dec(BLD_LINK_LINUX_SLL2, "0800 0000 00000002 0001 00 06 020000000001 00", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("link.truncated");

	/* SLL2 carrying GOOSE: an L2 flow with no MACs */
	CU_ASSERT_EQUAL(dec(BLD_LINK_LINUX_SLL2, "88b8 0000 00000002 0001 00 06 020000000001 0000 0001 0008 0000 0000",
			    &d),
			BLD_DECODED_L2);
	EXPECT_COUNTERS("l2.non_ip");
	CU_ASSERT_EQUAL(d.ethertype, 0x88b8);
	CU_ASSERT_EQUAL(d.payload_len, 8);
}

static void test_null_loop(void)
{
	struct bld_decoded d;
	reset();
	/* NULL: the capturing host's byte order, either way round */
	CU_ASSERT_EQUAL(dec(BLD_LINK_NULL, "02000000" IP4_UDP, &d), BLD_DECODED_L4); /* little-endian host */
	expect_ip4_udp(&d, 4);
	CU_ASSERT_FALSE(d.has_mac);
	CU_ASSERT_EQUAL(dec(BLD_LINK_NULL, "00000002" IP4_UDP, &d), BLD_DECODED_L4); /* big-endian host */
	expect_ip4_udp(&d, 4);
	static const char *const inet6[] = {
		"18000000", "00000018", /* 24: NetBSD, OpenBSD, BSD/OS */
		"1c000000", "0000001c", /* 28: FreeBSD, DragonFly */
		"1e000000", "0000001e", /* 30: macOS */
		"0a000000", "0000000a", /* 10: Linux */
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(inet6); i++) {
		char hex[256];
		snprintf(hex, sizeof(hex), "%s%s", inet6[i], IP6_UDP);
		CU_ASSERT_EQUAL(dec(BLD_LINK_NULL, hex, &d), BLD_DECODED_L4);
		expect_ip6_udp(&d, 4, 40);
	}
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(dec(BLD_LINK_NULL, "63000000" IP4_UDP, &d), BLD_DECODED_ERROR); /* family 99 */
	EXPECT_COUNTERS("link.unknown_family");
	CU_ASSERT_EQUAL(dec(BLD_LINK_NULL, "000000", &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("link.truncated");

	/* LOOP: always network byte order */
	CU_ASSERT_EQUAL(dec(BLD_LINK_LOOP, "00000002" IP4_UDP, &d), BLD_DECODED_L4);
	expect_ip4_udp(&d, 4);
	CU_ASSERT_EQUAL(dec(BLD_LINK_LOOP, "00000018" IP6_UDP, &d), BLD_DECODED_L4);
	expect_ip6_udp(&d, 4, 40);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(dec(BLD_LINK_LOOP, "02000000" IP4_UDP, &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("link.unknown_family");
	CU_ASSERT_EQUAL(dec(BLD_LINK_LOOP, "00", &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("link.truncated");
}

static void test_raw_ip(void)
{
	struct bld_decoded d;
	reset();
	static const uint16_t links[] = { BLD_LINK_RAW, BLD_LINK_IPV4, BLD_LINK_IPV6 };
	for (size_t i = 0; i < BLD_TEST_COUNT(links); i++) {
		CU_ASSERT_EQUAL(dec(links[i], IP4_UDP, &d), BLD_DECODED_L4);
		expect_ip4_udp(&d, 0);
		CU_ASSERT_FALSE(d.has_mac);
		CU_ASSERT_EQUAL(d.ethertype, 0);
		CU_ASSERT_EQUAL(dec(links[i], IP6_UDP, &d), BLD_DECODED_L4);
		expect_ip6_udp(&d, 0, 40);
	}
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "", &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv4.truncated");
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "55 00 001e 1234 0000 40 11 0000 c0000201 c0000202", &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv4.bad_version");

	/* bld_decode_ip: what the reassembler's output goes through */
	free(frame);
	frame = bld_test_hex(IP6_UDP, &frame_len);
	memset(&d, 0xA5, sizeof(d)); /* decode must clear what it does not set */
	CU_ASSERT_EQUAL(bld_decode_ip(frame, frame_len, &d, ctr), BLD_DECODED_L4);
	expect_ip6_udp(&d, 0, 40);
	CU_ASSERT_FALSE(d.has_mac);
	CU_ASSERT_EQUAL(d.n_vlan, 0);
	EXPECT_NO_COUNTERS();
}

static void test_unknown_link(void)
{
	struct bld_decoded d;
	reset();
	CU_ASSERT_EQUAL(dec(147 /* LINKTYPE_USER0 */, IP4_UDP, &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("link.unsupported");
	CU_ASSERT_EQUAL(dec(0xffff, "", &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("link.unsupported");
}

static void test_non_ip(void)
{
	struct bld_decoded d;
	reset();
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("88b8") "2000 000c 0000 0000 6102 8000", &d), BLD_DECODED_L2);
	EXPECT_COUNTERS("l2.non_ip");
	CU_ASSERT_TRUE(d.has_mac);
	CU_ASSERT(memcmp(d.src_mac, "\x02\x00\x00\x00\x00\x01", 6) == 0);
	CU_ASSERT(memcmp(d.dst_mac, "\x02\x00\x00\x00\x00\x02", 6) == 0);
	CU_ASSERT_EQUAL(d.ethertype, 0x88b8);
	CU_ASSERT_EQUAL(d.ip_version, 0);
	CU_ASSERT_FALSE(d.has_ports);
	CU_ASSERT_PTR_EQUAL(d.payload, frame + 14);
	CU_ASSERT_EQUAL(d.payload_len, 12);

	/* tagged GOOSE, as substations send it */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("8100") "800a 88b8 2000 0008 0000 0000", &d), BLD_DECODED_L2);
	EXPECT_COUNTERS("l2.non_ip");
	CU_ASSERT_EQUAL(d.n_vlan, 1);
	CU_ASSERT_EQUAL(d.vlan[0], 10);
	CU_ASSERT_EQUAL(d.ethertype, 0x88b8);
	CU_ASSERT_EQUAL(d.payload_len, 8);

	/* an ARP header with nothing after the ethertype */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("0806"), &d), BLD_DECODED_L2);
	EXPECT_COUNTERS("l2.non_ip");
	CU_ASSERT_EQUAL(d.payload_len, 0);
}

/*
 * IEEE 802.3 §3.2.6: a Length/Type value of 1500 or less is the length of an
 * 802.3 frame (LLC follows: STP, CDP, DTP, ISO CLNP), not an EtherType.  Such
 * frames are L2 traffic, but reporting the length as their ethertype makes
 * every frame size between two stations a separate "protocol" and flow.
 */
static void test_ieee8023_length(void)
{
	struct bld_decoded d;
	reset();
	static const char stp[] = "0180c2000000 64ae0c34ab97 0026" /* 802.3, length 38 */
				  "42 42 03"                     /* LLC: STP SAPs, UI */
				  "0000 00 00 00"                /* BPDU: protocol 0, version 0, config, flags */
				  "8000641c0c34ab80 00000000 8000641c0c34ab80 8001" /* root, cost, bridge, port */
				  "0000 1400 0200 0f00"          /* ages and timers */
				  "0000000000000000";            /* padding to 60 */
	static const char cdp[] = "01000ccccccc 64ae0c34ab98 0013" /* 802.3, length 19 */
				  "aa aa 03 00000c 2000"         /* LLC/SNAP: Cisco, CDP */
				  "02 b4 0000"                   /* CDP v2, TTL 180, checksum */
				  "0001 0007 737731"             /* TLV device id "sw1" */
				  "000000000000000000000000000000000000000000000000000000"; /* padding to 60 */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, stp, &d), BLD_DECODED_L2);
	EXPECT_COUNTERS("l2.non_ip");
	uint16_t et_stp = d.ethertype;
	CU_ASSERT_PTR_EQUAL(d.payload, frame + 14);
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, cdp, &d), BLD_DECODED_L2);
	EXPECT_COUNTERS("l2.non_ip");
	uint16_t et_cdp = d.ethertype;
	if (et_stp == 0x0026 || et_cdp == 0x0013)
		fprintf(stderr, "\n    802.3 frames decoded with ethertype 0x%04x and 0x%04x: their length fields\n",
			et_stp, et_cdp);
	CU_ASSERT(et_stp == 0 || et_stp >= 0x0600);
	CU_ASSERT(et_cdp == 0 || et_cdp >= 0x0600);
}

/* PPPoE session stage (RFC 2516 §4): looked through to IP, anything else kept as L2. */
static void test_pppoe(void)
{
	struct bld_decoded d;
	reset();
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("8864")
			    "11 00 0001 0020"  /* ver 1 type 1, code 0 session data, session 1, length 32 */
			    "0021"             /* PPP protocol: IPv4 */
			    IP4_UDP, &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_TRUE(d.has_mac);
	CU_ASSERT_EQUAL(d.ethertype, 0x0800);
	expect_ip4_udp(&d, 22);

	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("8100") "0064 8864" "11 00 0001 0034 0057" IP6_UDP, &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.n_vlan, 1);
	CU_ASSERT_EQUAL(d.ethertype, 0x86dd);
	expect_ip6_udp(&d, 26, 40);

	/* LCP echo request: PPPoE, not IP */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("8864") "11 00 0001 000a c021 09 01 0008 00000000", &d),
			BLD_DECODED_L2);
	EXPECT_COUNTERS("l2.non_ip");
	CU_ASSERT_EQUAL(d.ethertype, 0x8864);
	CU_ASSERT_PTR_EQUAL(d.payload, frame + 14);
	CU_ASSERT_EQUAL(d.payload_len, 16);

	for (uint32_t n = 14; n < 22; n++) {
		CU_ASSERT_EQUAL(dec_n(BLD_LINK_ETHERNET, ETH("8864") "11 00 0001 0020 0021" IP4_UDP, n, &d),
				BLD_DECODED_ERROR);
		EXPECT_COUNTERS("pppoe.truncated");
	}
}

/* ---- IPv4 ------------------------------------------------------------------------ */

static void test_ipv4_options(void)
{
	struct bld_decoded d;
	reset();
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "46 00 0022 1234 0000 01 11 0000 c0000201 c0000202" /* IHL 6, total 34 */
			    "94040000"                                        /* Router Alert (RFC 2113) */
			    UDP_50000_53 "abcd", &d),
			BLD_DECODED_L4);
	EXPECT_COUNTERS("ipv4.options");
	CU_ASSERT_EQUAL(d.l3_len, 34);
	CU_ASSERT_EQUAL(d.sport, 50000);
	CU_ASSERT_EQUAL(d.dport, 53);
	CU_ASSERT_PTR_EQUAL(d.payload, frame + 32);
	CU_ASSERT_EQUAL(d.payload_len, 2);

	/* IHL 15: the largest header, 40 bytes of NOPs */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "4f 00 0046 1234 0000 01 11 0000 c0000201 c0000202"
			    "01010101010101010101 01010101010101010101 01010101010101010101 01010101010101010100"
			    UDP_50000_53 "abcd", &d),
			BLD_DECODED_L4);
	EXPECT_COUNTERS("ipv4.options");
	CU_ASSERT_EQUAL(d.sport, 50000);
	CU_ASSERT_EQUAL(d.payload_len, 2);

	/* options claimed but not captured */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "46 00 0022 1234 0000 01 11 0000 c0000201 c0000202 9404", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv4.truncated");
}

static void test_ipv4_malformed(void)
{
	struct bld_decoded d;
	reset();
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("0800") "65 00 001e 1234 0000 40 11 0000 c0000201 c0000202" UDP_50000_53 "abcd", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv4.bad_version");
	/* an IPv6 packet behind ethertype IPv4 */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("0800") IP6_UDP, &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv4.bad_version");
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("0800") "44 00 001e 1234 0000 40 11 0000 c0000201 c0000202" UDP_50000_53 "abcd", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv4.bad_header_length");
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("0800") "40 00 001e 1234 0000 40 11 0000 c0000201 c0000202" UDP_50000_53 "abcd", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv4.bad_header_length");
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("0800") "45 00 0013 1234 0000 40 11 0000 c0000201 c0000202" UDP_50000_53 "abcd", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv4.bad_total_length");
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("0800") "46 00 0016 1234 0000 40 11 0000 c0000201 c0000202 94040000 c350", &d),
			BLD_DECODED_ERROR); /* total 22 < IHL 24 */
	EXPECT_COUNTERS("ipv4.bad_total_length");
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("0800") "45 00 001e 1234 0000 40 11 0000 c0000201 c000", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv4.truncated");

	/* total length = header length, a protocol with no header of ours: an empty datagram */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "45 00 0014 1234 0000 40 3b 0000 c0000201 c0000202", &d), BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.l4_proto, 59);
	CU_ASSERT_FALSE(d.has_ports);
	CU_ASSERT_EQUAL(d.payload_len, 0);
	/* ... and UDP with no room for its header */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "45 00 0014 1234 0000 40 11 0000 c0000201 c0000202 c350 0035 000a 0000", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("udp.truncated");

	/* total length past the capture (snaplen 30 of 1500): decode what is there */
	static const char big[] = "45 00 05dc 1234 4000 40 11 0000 c0000201 c0000202" "c350 0035 05c8 0000 abcd";
	CU_ASSERT_EQUAL(dec_wire(BLD_LINK_RAW, big, UINT32_MAX, 1500, &d), BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.l3_len, 30);
	CU_ASSERT_EQUAL(d.payload_len, 2);
	/* the same in a frame captured whole: the total length lies, counted; what is there is used */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, big, &d), BLD_DECODED_L4);
	EXPECT_COUNTERS("ipv4.bad_total_length");
	CU_ASSERT_EQUAL(d.l3_len, 30);
	CU_ASSERT_EQUAL(d.payload_len, 2);
	CU_ASSERT_EQUAL(d.dport, 53);
}

/* Every cut of the Modbus frame: one specific counter each, or a shorter payload. */
static void test_ipv4_tcp_every_cut(void)
{
	uint32_t full;
	free(bld_test_hex(ETH_IP4_TCP_MODBUS, &full));
	for (uint32_t n = 0; n <= full; n++) {
		struct bld_decoded d;
		reset();
		enum bld_decode_result r = dec_n(BLD_LINK_ETHERNET, ETH_IP4_TCP_MODBUS, n, &d);
		if (n < 14) {
			CU_ASSERT_EQUAL(r, BLD_DECODED_ERROR);
			EXPECT_COUNTERS("link.truncated");
		} else if (n < 14 + 20) {
			CU_ASSERT_EQUAL(r, BLD_DECODED_ERROR);
			EXPECT_COUNTERS("ipv4.truncated");
		} else if (n < 14 + 20 + 20) {
			CU_ASSERT_EQUAL(r, BLD_DECODED_ERROR);
			EXPECT_COUNTERS("tcp.truncated");
		} else {
			CU_ASSERT_EQUAL(r, BLD_DECODED_L4);
			EXPECT_NO_COUNTERS();
			CU_ASSERT_EQUAL(d.l3_len, n - 14);
			CU_ASSERT_EQUAL(d.payload_len, n - 54);
			CU_ASSERT_EQUAL(d.dport, 502);
		}
	}
}

static void test_ipv4_fragments(void)
{
	struct bld_decoded d;
	reset();
	/* first fragment: MF, offset 0, 16 data bytes (the UDP header and 8 bytes) */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("0800")
			    "45 00 0024 abcd 2000 40 11 0000 c0000201 c0000202" /* total 36, id 0xabcd, MF */
			    "c350 0035 0020 0000 0102030405060708", &d),
			BLD_DECODED_FRAGMENT);
	EXPECT_COUNTERS("ipv4.fragment");
	CU_ASSERT_EQUAL(d.ip_version, 4);
	CU_ASSERT_EQUAL(d.l4_proto, 17);
	expect_v4(&d.src, 192, 0, 2, 1);
	CU_ASSERT_FALSE(d.has_ports); /* L4 is not decoded from a fragment */
	CU_ASSERT_PTR_EQUAL(d.frag.l3, frame + 14);
	CU_ASSERT_PTR_EQUAL(d.l3, frame + 14);
	CU_ASSERT_EQUAL(d.l3_len, 36);
	CU_ASSERT_EQUAL(d.frag.unfrag_len, 20);
	CU_ASSERT_EQUAL(d.frag.data_off, 20);
	CU_ASSERT_EQUAL(d.frag.data_len, 16);
	CU_ASSERT_EQUAL(d.frag.offset, 0);
	CU_ASSERT_EQUAL(d.frag.id, 0xabcd);
	CU_ASSERT_TRUE(d.frag.more);
	CU_ASSERT_EQUAL(d.frag.next_proto, 17);

	/* last fragment: offset 2 (16 bytes), 8 data bytes, Ethernet padding after it */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("0800")
			    "45 00 001c abcd 0002 40 11 0000 c0000201 c0000202" /* total 28, offset 2 */
			    "1112131415161718"
			    "000000000000000000000000000000000000", /* padding to 60 bytes */
			    &d),
			BLD_DECODED_FRAGMENT);
	EXPECT_COUNTERS("ipv4.fragment");
	CU_ASSERT_EQUAL(d.frag.offset, 16);
	CU_ASSERT_FALSE(d.frag.more);
	CU_ASSERT_EQUAL(d.frag.data_len, 8);
	CU_ASSERT_EQUAL(d.frag.id, 0xabcd);

	/* a middle fragment with options: the largest offset, MF */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "46 00 0020 0102 3fff 40 06 0000 c0000201 c0000202 94040000" /* MF, offset 8191 */
			    "2122232425262728", &d),
			BLD_DECODED_FRAGMENT);
	EXPECT_COUNTERS("ipv4.options", "ipv4.fragment");
	CU_ASSERT_EQUAL(d.frag.unfrag_len, 24);
	CU_ASSERT_EQUAL(d.frag.data_off, 24);
	CU_ASSERT_EQUAL(d.frag.data_len, 8);
	CU_ASSERT_EQUAL(d.frag.offset, 8191 * 8);
	CU_ASSERT_TRUE(d.frag.more);
	CU_ASSERT_EQUAL(d.frag.id, 0x0102);
	CU_ASSERT_EQUAL(d.frag.next_proto, 6);

	/* DF alone (and the reserved bit) is not a fragment */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "45 00 001e 1234 c000 40 11 0000 c0000201 c0000202" UDP_50000_53 "abcd", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	expect_ip4_udp(&d, 0);
}

/* ---- IPv6 ------------------------------------------------------------------------ */

static void test_ipv6_exthdrs(void)
{
	struct bld_decoded d;
	reset();
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("86dd")
			    "60000000 001a 00 40" IP6_SRC IP6_DST /* payload 26, next hop-by-hop */
			    "3c 00 0104 00000000"                 /* HBH: next dest opts, 8 bytes, PadN */
			    "11 00 0104 00000000"                 /* dest opts: next UDP, PadN */
			    UDP_50000_53 "abcd", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.ethertype, 0x86dd);
	CU_ASSERT_EQUAL(d.l3_len, 66);
	expect_ip6_udp(&d, 14, 56);

	/* a 16-byte destination options header (Hdr Ext Len 1) */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "60000000 001a 3c 40" IP6_SRC IP6_DST
			    "11 01 010c 000000000000000000000000" /* PadN of 12 */
			    UDP_50000_53 "abcd", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	expect_ip6_udp(&d, 0, 56);

	/* routing header (type 0 segments left 0) then TCP */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "60000000 001c 2b 40" IP6_SRC IP6_DST
			    "06 00 00 00 00000000"                 /* routing: next TCP */
			    "c350 01f6 00000001 00000000 50 02 ffff 0000 0000", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.l4_proto, 6);
	CU_ASSERT_EQUAL(d.dport, 502);
	CU_ASSERT_EQUAL(d.tcp_flags, BLD_TCP_SYN);

	/* extension header longer than the datagram */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "60000000 0010 3c 40" IP6_SRC IP6_DST
			    "11 02 0104 00000000 0000000000000000", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv6.exthdr_truncated");
	/* fewer than 8 bytes left for an extension header */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "60000000 0006 00 40" IP6_SRC IP6_DST "3c 00 0104 0000", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv6.exthdr_truncated");
	/* the payload length bounds the chain, not the capture: bytes after it are padding */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "60000000 0004 3c 40" IP6_SRC IP6_DST "11 00 0104 00000000" UDP_50000_53, &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv6.exthdr_truncated");
}

static void test_ipv6_exthdr_limit(void)
{
	struct bld_decoded d;
	reset();
	for (int k = 7; k <= 10; k++) {
		/* k destination-options headers, the last naming UDP */
		char hex[1024];
		int at = snprintf(hex, sizeof(hex), "60000000 %04x 3c 40 " IP6_SRC " " IP6_DST " ", 8 * k + 10);
		for (int i = 0; i < k; i++)
			at += snprintf(hex + at, sizeof(hex) - (size_t)at, "%s 00 0104 00000000 ", i == k - 1 ? "11" : "3c");
		snprintf(hex + at, sizeof(hex) - (size_t)at, "%s", UDP_50000_53 "abcd");
		enum bld_decode_result r = dec(BLD_LINK_RAW, hex, &d);
		if (k <= 8) { /* the limit, IPV6_MAX_EXTHDRS, is 8 */
			CU_ASSERT_EQUAL(r, BLD_DECODED_L4);
			EXPECT_NO_COUNTERS();
			expect_ip6_udp(&d, 0, 40 + 8 * (uint32_t)k);
		} else {
			CU_ASSERT_EQUAL(r, BLD_DECODED_ERROR);
			EXPECT_COUNTERS("ipv6.exthdr_too_many");
		}
	}
}

static void test_ipv6_fragments(void)
{
	struct bld_decoded d;
	reset();
	/* first fragment: M, offset 0, 16 data bytes */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("86dd")
			    "60000000 0018 2c 40" IP6_SRC IP6_DST /* payload 24, next fragment */
			    "11 00 0001 12345678"                 /* fragment: next UDP, offset 0, M, id */
			    "c350 0035 0020 0000 0102030405060708", &d),
			BLD_DECODED_FRAGMENT);
	EXPECT_COUNTERS("ipv6.fragment");
	CU_ASSERT_EQUAL(d.ip_version, 6);
	CU_ASSERT_EQUAL(d.l4_proto, 17);
	CU_ASSERT_FALSE(d.has_ports);
	CU_ASSERT_PTR_EQUAL(d.frag.l3, frame + 14);
	CU_ASSERT_EQUAL(d.frag.unfrag_len, 40);
	CU_ASSERT_EQUAL(d.frag.data_off, 48);
	CU_ASSERT_EQUAL(d.frag.data_len, 16);
	CU_ASSERT_EQUAL(d.frag.offset, 0);
	CU_ASSERT_EQUAL(d.frag.id, 0x12345678u);
	CU_ASSERT_TRUE(d.frag.more);
	CU_ASSERT_EQUAL(d.frag.next_proto, 17);
	expect_v6_doc(&d.src, 1);

	/* last fragment after a hop-by-hop header: offset 2 (16 bytes), no M */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "60000000 0018 00 40" IP6_SRC IP6_DST
			    "2c 00 0104 00000000"  /* HBH: next fragment */
			    "11 00 0010 12345678"  /* fragment: offset 2, M clear */
			    "1112131415161718", &d),
			BLD_DECODED_FRAGMENT);
	EXPECT_COUNTERS("ipv6.fragment");
	CU_ASSERT_EQUAL(d.frag.unfrag_len, 48);
	CU_ASSERT_EQUAL(d.frag.data_off, 56);
	CU_ASSERT_EQUAL(d.frag.data_len, 8);
	CU_ASSERT_EQUAL(d.frag.offset, 16);
	CU_ASSERT_FALSE(d.frag.more);
	CU_ASSERT_EQUAL(d.frag.id, 0x12345678u);

	/* the largest offset (8191 * 8) and the reserved bits around it */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "60000000 0010 2c 40" IP6_SRC IP6_DST "06 ff fff9 00000001 2122232425262728", &d),
			BLD_DECODED_FRAGMENT);
	EXPECT_COUNTERS("ipv6.fragment");
	CU_ASSERT_EQUAL(d.frag.offset, 65528);
	CU_ASSERT_TRUE(d.frag.more);
	CU_ASSERT_EQUAL(d.frag.next_proto, 6);

	/* atomic fragment (offset 0, M clear; RFC 6946): a whole datagram */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "60000000 0012 2c 40" IP6_SRC IP6_DST
			    "11 00 0000 0000abcd" UDP_50000_53 "abcd", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	expect_ip6_udp(&d, 0, 48);

	/* fragment header cut short */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "60000000 0006 2c 40" IP6_SRC IP6_DST "11 00 0001 1234", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv6.exthdr_truncated");
}

static void test_ipv6_ah_esp(void)
{
	struct bld_decoded d;
	reset();
	/* AH (RFC 4302 §2.2): Payload Len in 4-octet units minus 2; here 24 bytes with a 12-byte ICV */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "60000000 002c 33 40" IP6_SRC IP6_DST
			    "06 04 0000 00000100 00000001"  /* next TCP, len 4, SPI 0x100, seq 1 */
			    "a1a2a3a4a5a6a7a8a9aaabac"      /* ICV */
			    "c350 01f6 00000064 00000000 50 02 ffff 0000 0000", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.l4_proto, 6);
	CU_ASSERT_EQUAL(d.sport, 50000);
	CU_ASSERT_EQUAL(d.dport, 502);
	CU_ASSERT_EQUAL(d.tcp_seq, 100);
	CU_ASSERT_PTR_EQUAL(d.payload, frame + 84);

	/* AH claiming more than is there */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "60000000 0010 33 40" IP6_SRC IP6_DST
			    "06 04 0000 00000100 00000001 a1a2a3a4", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv6.exthdr_truncated");

	/* ESP: the rest is encrypted, the datagram stops at it */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "60000000 000c 32 40" IP6_SRC IP6_DST "00000100 00000001 deadbeef", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.l4_proto, 50);
	CU_ASSERT_FALSE(d.has_ports);
	CU_ASSERT_EQUAL(d.payload_len, 12);
}

static void test_ipv4_ah_sctp(void)
{
	struct bld_decoded d;
	reset();
	/* IPv4 / AH (RFC 4302 §2.2, 24 bytes) / TCP: the transport header is found behind AH */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "45 00 0040 0001 4000 40 33 0000 c0000201 c0000202"
			    "06 04 0000 00000100 00000001"  /* next TCP, len 4, SPI 0x100, seq 1 */
			    "a1a2a3a4a5a6a7a8a9aaabac"      /* ICV */
			    "07d1 01bb 00000064 00000000 50 02 ffff 0000 0000", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.l4_proto, 6);
	CU_ASSERT_EQUAL(d.sport, 2001);
	CU_ASSERT_EQUAL(d.dport, 443);

	/* AH claiming more than is there */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "45 00 0020 0001 4000 40 33 0000 c0000201 c0000202 06 04 0000 00000100 00000001",
			    &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv4.ah_truncated");

	/* SCTP common header (RFC 9260 §3.1): ports 2905 -> 2905 */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "45 00 0020 0001 4000 40 84 0000 c0000201 c0000202"
			    "0b59 0b59 00000000 00000000", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_TRUE(d.has_ports);
	CU_ASSERT_EQUAL(d.sport, 2905);
	CU_ASSERT_EQUAL(d.dport, 2905);

	/* SCTP cut short */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "45 00 001c 0001 4000 40 84 0000 c0000201 c0000202 0b59 0b59 00000000", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("sctp.truncated");
}

static void test_ipv6_jumbogram(void)
{
	struct bld_decoded d;
	reset();
	/* payload length 0 + hop-by-hop with a Jumbo Payload option (RFC 2675 §2): take what is there */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "60000000 0000 00 40" IP6_SRC IP6_DST
			    "11 00 c2 04 00010016"           /* HBH: next UDP, Jumbo Payload 65558 (cut by the capture) */
			    "0005 0006 000e 0000 abcdef010203", &d),
			BLD_DECODED_L4);
	CU_ASSERT_EQUAL(d.sport, 5);
	CU_ASSERT_EQUAL(d.payload_len, 6);

	/* a Jumbo Payload of 65,535 or less is an error (RFC 2675 §3) */
	reset();
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "60000000 0000 00 40" IP6_SRC IP6_DST
			    "11 00 c2 04 00000016"
			    "0005 0006 000e 0000 abcdef010203", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv6.bad_payload_length");

	/* payload length 0 and a hop-by-hop header without the option: not a jumbogram */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "60000000 0000 00 40" IP6_SRC IP6_DST
			    "11 00 01 04 00000000"           /* HBH: PadN only */
			    "0005 0006 000e 0000 abcdef010203", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv6.bad_payload_length");
}

static void test_ipv6_malformed(void)
{
	struct bld_decoded d;
	reset();
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("86dd") IP4_UDP, &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv6.truncated"); /* 30 bytes: shorter than an IPv6 header */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("86dd") "40000000 000a 11 40" IP6_SRC IP6_DST UDP_50000_53 "abcd", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("ipv6.bad_version");

	/* payload length past the capture (snaplen): decode what is there */
	static const char big[] = "60000000 0400 11 40" IP6_SRC IP6_DST "c350 0035 0400 0000 abcd";
	CU_ASSERT_EQUAL(dec_wire(BLD_LINK_RAW, big, UINT32_MAX, 1064, &d), BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.l3_len, 50);
	CU_ASSERT_EQUAL(d.payload_len, 2);
	/* captured whole: the payload length lies, counted, what is there is used */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, big, &d), BLD_DECODED_L4);
	EXPECT_COUNTERS("ipv6.bad_payload_length");
	CU_ASSERT_EQUAL(d.l3_len, 50);
	CU_ASSERT_EQUAL(d.payload_len, 2);
	CU_ASSERT_EQUAL(d.dport, 53);

	/* payload length shorter than the frame: the rest is link padding */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "60000000 000a 11 40" IP6_SRC IP6_DST UDP_50000_53 "abcd 00000000", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.l3_len, 50);
	CU_ASSERT_EQUAL(d.payload_len, 2);

	/* jumbogram (RFC 2675): payload length 0 with a hop-by-hop header; UDP length 0 */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW,
			    "60000000 0000 00 40" IP6_SRC IP6_DST
			    "11 00 c204 00010012"  /* HBH: Jumbo Payload option, 65554 (the capture kept 18) */
			    "c350 0035 0000 0000 abcd", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.l3_len, 58);
	CU_ASSERT_EQUAL(d.payload_len, 2);
}

/* Every cut of an IPv6 frame with a hop-by-hop header. */
static void test_ipv6_every_cut(void)
{
	static const char hex[] = ETH("86dd") "60000000 0012 00 40" IP6_SRC IP6_DST "11 00 0104 00000000" UDP_50000_53
		"abcd";
	uint32_t full;
	free(bld_test_hex(hex, &full));
	CU_ASSERT_EQUAL_FATAL(full, 72);
	for (uint32_t n = 0; n <= full; n++) {
		struct bld_decoded d;
		reset();
		enum bld_decode_result r = dec_n(BLD_LINK_ETHERNET, hex, n, &d);
		const char *want = n < 14 ? "link.truncated"
				 : n < 54 ? "ipv6.truncated"
				 : n < 62 ? "ipv6.exthdr_truncated"
				 : n < 70 ? "udp.truncated"
					  : NULL;
		if (want) {
			CU_ASSERT_EQUAL(r, BLD_DECODED_ERROR);
			EXPECT_COUNTERS(want);
		} else {
			CU_ASSERT_EQUAL(r, BLD_DECODED_L4);
			EXPECT_NO_COUNTERS();
			CU_ASSERT_EQUAL(d.payload_len, n - 70);
		}
	}
}

/* Every cut of other link layers, a VLAN tag and a TCP header with options. */
static void test_more_cuts(void)
{
	static const struct {
		uint16_t link;
		const char *hex;
		struct {
			uint32_t below;
			const char *counter;
		} steps[4];
	} cases[] = {
		{ BLD_LINK_ETHERNET, ETH("8100") "000a 0800" IP4_UDP,
		  { { 14, "link.truncated" }, { 18, "vlan.truncated" }, { 38, "ipv4.truncated" }, { 46, "udp.truncated" } } },
		{ BLD_LINK_LINUX_SLL2, "0800 0000 00000002 0001 00 06 020000000001 0000" IP4_UDP,
		  { { 20, "link.truncated" }, { 40, "ipv4.truncated" }, { 48, "udp.truncated" } } },
		{ BLD_LINK_NULL, "1e000000" IP6_UDP,
		  { { 4, "link.truncated" }, { 44, "ipv6.truncated" }, { 52, "udp.truncated" } } },
		{ BLD_LINK_RAW, "45 00 0034 0001 0000 40 06 0000 c0000201 c0000202"
				"c350 01f6 00000001 00000000 80 02 ffff 0000 0000" /* data offset 8 */
				"020405b4 01030307 01010402",                        /* MSS, WS, SACK-permitted */
		  { { 20, "ipv4.truncated" }, { 52, "tcp.truncated" } } },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		uint32_t full;
		free(bld_test_hex(cases[i].hex, &full));
		for (uint32_t n = 0; n <= full; n++) {
			struct bld_decoded d;
			reset();
			enum bld_decode_result r = dec_n(cases[i].link, cases[i].hex, n, &d);
			const char *want = NULL;
			for (int s = 0; s < 4 && cases[i].steps[s].counter; s++)
				if (n < cases[i].steps[s].below) {
					want = cases[i].steps[s].counter;
					break;
				}
			if (want) {
				if (r != BLD_DECODED_ERROR)
					fprintf(stderr, "\n    case %zu cut %u: decoded, want %s\n", i, n, want);
				CU_ASSERT_EQUAL(r, BLD_DECODED_ERROR);
				EXPECT_COUNTERS(want);
			} else {
				CU_ASSERT_EQUAL(r, BLD_DECODED_L4);
				EXPECT_NO_COUNTERS();
			}
		}
	}
}

/* ---- L4 ------------------------------------------------------------------------- */

#define IP4_TCP_HDR(len) "45 00 " len " 0001 4000 40 06 0000 c0000201 c0000202"

static void test_tcp(void)
{
	struct bld_decoded d;
	reset();
	/* SYN with options (data offset 8): the options are skipped, no payload */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, IP4_TCP_HDR("0034")
			    "c350 01f6 a0b0c0d0 00000000 80 02 ffff 0000 0000"
			    "020405b4 01030307 01010402", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.tcp_flags, BLD_TCP_SYN);
	CU_ASSERT_EQUAL(d.tcp_seq, 0xa0b0c0d0u);
	CU_ASSERT_EQUAL(d.tcp_ack, 0);
	CU_ASSERT_EQUAL(d.payload_len, 0);
	CU_ASSERT_PTR_EQUAL(d.payload, frame + 52);

	/* options and payload */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, IP4_TCP_HDR("0036")
			    "01f6 c350 00000010 a0b0c0d1 80 18 ffff 0000 0000"
			    "0101080a 00000001 00000002"   /* NOP NOP timestamps */
			    "6869", &d),
			BLD_DECODED_L4);
	CU_ASSERT_EQUAL(d.sport, 502);
	CU_ASSERT_EQUAL(d.dport, 50000);
	CU_ASSERT_EQUAL(d.tcp_flags, BLD_TCP_PSH | BLD_TCP_ACK);
	CU_ASSERT_EQUAL(d.payload_len, 2);
	CU_ASSERT_EQUAL(d.payload[0], 'h');

	/* every flag we name, and ECE/CWR which we do not keep */
	static const struct {
		const char *flags;
		uint8_t want;
	} fl[] = {
		{ "12", BLD_TCP_SYN | BLD_TCP_ACK }, { "11", BLD_TCP_FIN | BLD_TCP_ACK },
		{ "04", BLD_TCP_RST },               { "14", BLD_TCP_RST | BLD_TCP_ACK },
		{ "c2", BLD_TCP_SYN },               { "3f", 0x3f },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(fl); i++) {
		char hex[256];
		snprintf(hex, sizeof(hex), IP4_TCP_HDR("0028") "c350 01f6 00000001 00000002 50 %s ffff 0000 0000",
			 fl[i].flags);
		CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, hex, &d), BLD_DECODED_L4);
		CU_ASSERT_EQUAL(d.tcp_flags, fl[i].want);
	}
	EXPECT_NO_COUNTERS();

	/* data offset 4 (16 bytes) is below the fixed header */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, IP4_TCP_HDR("0028") "c350 01f6 00000001 00000002 40 10 ffff 0000 0000", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("tcp.bad_header_length");
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, IP4_TCP_HDR("0028") "c350 01f6 00000001 00000002 00 10 ffff 0000 0000", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("tcp.bad_header_length");
	/* data offset 15 (60 bytes) past the datagram */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, IP4_TCP_HDR("002c") "c350 01f6 00000001 00000002 f0 10 ffff 0000 0000 01010101",
			    &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("tcp.truncated");
	/* options bounded by the IP total length, not by the frame (padding is not options) */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, IP4_TCP_HDR("0028") "c350 01f6 00000001 00000002 60 10 ffff 0000 0000 01010101",
			    &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("tcp.truncated");
}

static void test_udp(void)
{
	struct bld_decoded d;
	reset();
	/* A minimum Ethernet frame: IP total length 30, 16 bytes of padding after it. */
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("0800") IP4_UDP "00000000000000000000000000000000", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(frame_len, 60);
	expect_ip4_udp(&d, 14); /* payload 2 bytes, not 18 */

	/* UDP length shorter than the IP payload: UDP wins */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "45 00 0026 1234 0000 40 11 0000 c0000201 c0000202"
			    "c350 0035 000a 0000 abcd 0000000000000000", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.l3_len, 38);
	CU_ASSERT_EQUAL(d.payload_len, 2);

	/* UDP length longer than what was captured: what is there */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, IP4_UDP_HDR "c350 0035 0100 0000 abcd", &d), BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.payload_len, 2);

	/* exactly a header */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "45 00 001c 1234 0000 40 11 0000 c0000201 c0000202 c350 0035 0008 0000", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.payload_len, 0);
	CU_ASSERT_TRUE(d.has_ports);

	/* bad lengths */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, IP4_UDP_HDR "c350 0035 0007 0000 abcd", &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("udp.bad_length");
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, IP4_UDP_HDR "c350 0035 0000 0000 abcd", &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("udp.bad_length");
	/* length 0 is an IPv6 jumbogram's (RFC 2675 §4): not an error there */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "60000000 000a 11 40" IP6_SRC IP6_DST "c350 0035 0000 0000 abcd", &d),
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.payload_len, 2);
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "60000000 000a 11 40" IP6_SRC IP6_DST "c350 0035 0004 0000 abcd", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("udp.bad_length");

	/* fewer than 8 bytes */
	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "45 00 001b 1234 0000 40 11 0000 c0000201 c0000202 c350 0035 0008 00", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("udp.truncated");
}

static void test_icmp(void)
{
	struct bld_decoded d;
	reset();
	CU_ASSERT_EQUAL(dec(BLD_LINK_ETHERNET, ETH("0800")
			    "45 00 001c 1234 0000 40 01 0000 c0000201 c0000202"
			    "08 00 f7fe 0001 0001", &d), /* echo request, id 1, seq 1 */
			BLD_DECODED_L4);
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.l4_proto, 1);
	CU_ASSERT_EQUAL(d.icmp_type, 8);
	CU_ASSERT_EQUAL(d.icmp_code, 0);
	CU_ASSERT_FALSE(d.has_ports);
	CU_ASSERT_EQUAL(d.payload_len, 4);

	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "45 00 001c 1234 0000 40 01 0000 c0000201 c0000202 0303 0000 00000000", &d),
			BLD_DECODED_L4); /* port unreachable */
	CU_ASSERT_EQUAL(d.icmp_type, 3);
	CU_ASSERT_EQUAL(d.icmp_code, 3);
	EXPECT_NO_COUNTERS();

	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "45 00 0017 1234 0000 40 01 0000 c0000201 c0000202 08 00 f7", &d),
			BLD_DECODED_ERROR);
	EXPECT_COUNTERS("icmp.truncated");

	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "60000000 0008 3a 40" IP6_SRC IP6_DST "80 00 0000 0001 0002", &d),
			BLD_DECODED_L4); /* echo request */
	EXPECT_NO_COUNTERS();
	CU_ASSERT_EQUAL(d.l4_proto, 58);
	CU_ASSERT_EQUAL(d.icmp_type, 128);
	CU_ASSERT_EQUAL(d.icmp_code, 0);
	CU_ASSERT_FALSE(d.has_ports);
	CU_ASSERT_EQUAL(d.payload_len, 4);

	CU_ASSERT_EQUAL(dec(BLD_LINK_RAW, "60000000 0003 3a 40" IP6_SRC IP6_DST "87 00 00", &d), BLD_DECODED_ERROR);
	EXPECT_COUNTERS("icmpv6.truncated");
}

/* Counters add up across packets: the caller owns them and decode never clears them. */
static void test_counters_accumulate(void)
{
	struct bld_decoded d;
	reset();
	for (int i = 0; i < 3; i++)
		dec(BLD_LINK_ETHERNET, ETH("0800") "45", &d);
	dec(BLD_LINK_ETHERNET, ETH("88cc") "0000", &d);
	CU_ASSERT_EQUAL(counter("ipv4.truncated"), 3);
	CU_ASSERT_EQUAL(counter("l2.non_ip"), 1);
	uint64_t total = 0;
	for (int i = 0; i < BLD_DECODE_COUNTER_MAX; i++)
		total += ctr[i];
	CU_ASSERT_EQUAL(total, 4);
	reset();
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "counter names (X-macro table)", test_counter_names },
		{ "ethernet ipv4 tcp (real frame)", test_ethernet_ipv4_tcp },
		{ "802.1Q, QinQ, too deep", test_vlan },
		{ "linux SLL and SLL2", test_linux_sll },
		{ "NULL and LOOP", test_null_loop },
		{ "raw IPv4 / IPv6, bld_decode_ip", test_raw_ip },
		{ "unknown link type", test_unknown_link },
		{ "non-IP ethertype", test_non_ip },
		{ "PPPoE session", test_pppoe },
		{ "802.3 length field is not an ethertype", test_ieee8023_length },
		{ "ipv4 options", test_ipv4_options },
		{ "ipv4 malformed", test_ipv4_malformed },
		{ "ipv4 tcp cut at every byte", test_ipv4_tcp_every_cut },
		{ "ipv4 fragments", test_ipv4_fragments },
		{ "ipv6 extension headers", test_ipv6_exthdrs },
		{ "ipv6 extension header limit", test_ipv6_exthdr_limit },
		{ "ipv6 fragments and atomic fragment", test_ipv6_fragments },
		{ "ipv6 AH and ESP", test_ipv6_ah_esp },
		{ "ipv4 AH and SCTP", test_ipv4_ah_sctp },
		{ "ipv6 jumbogram needs its option", test_ipv6_jumbogram },
		{ "ipv6 malformed", test_ipv6_malformed },
		{ "ipv6 cut at every byte", test_ipv6_every_cut },
		{ "vlan / sll2 / null / tcp options cut at every byte", test_more_cuts },
		{ "tcp", test_tcp },
		{ "udp", test_udp },
		{ "icmp and icmpv6", test_icmp },
		{ "counters accumulate", test_counters_accumulate },
	};
	int rc = bld_test_run("dataplane/decode", tests, BLD_TEST_COUNT(tests));
	free(frame);
	return rc;
}
