/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet decode.  Layouts:
 *   Ethernet II    dst(6) src(6) type(2)                      IEEE 802.3 §3.1
 *   802.1Q / QinQ  TPID 0x8100 / 0x88A8 / 0x9100, TCI(2) type(2)   IEEE 802.1Q §9.6
 *   Linux SLL      type(2) arphrd(2) addrlen(2) addr(8) proto(2)   (16 bytes)
 *   Linux SLL2     proto(2) rsv(2) ifindex(4) arphrd(2) type(1) addrlen(1) addr(8)  (20 bytes)
 *   NULL / LOOP    family(4), host order (NULL) or network order (LOOP)
 *   PPPoE session  ver/type(1) code(1) session(2) length(2) | PPP protocol(2)   RFC 2516 §4, RFC 1661 §2
 *   IPv4           RFC 791 §3.1; IPv6 RFC 8200 §3-§4; TCP RFC 9293 §3.1;
 *   UDP            RFC 768; SCTP RFC 9260 §3.1; ICMP RFC 792; ICMPv6 RFC 4443
 *   AH             next header(1) length(1, 32-bit words - 2) ...   RFC 4302 §2
 */
#include "decode.h"

#include <netinet/in.h>

#include "counters.h"
#include "cursor.h"

const char *const bld_decode_counter_names[BLD_DECODE_COUNTER_MAX] = {
	BLD_FOREACH_DECODE_COUNTER(BLD_COUNTER_NAME)
};
const bool bld_decode_counter_is_error[BLD_DECODE_COUNTER_MAX] = {
	BLD_FOREACH_DECODE_COUNTER(BLD_COUNTER_IS_ERROR)
};

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_QINQ_OLD 0x9100
#define ETH_P_PPPOE_SESSION 0x8864
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

/* Address families seen in NULL/LOOP headers: AF_INET is 2 everywhere, AF_INET6 differs per OS. */
#define BSD_AF_INET 2
#define BSD_AF_INET6_BSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30
#define BSD_AF_INET6_LINUX 10

/* A chain longer than this is an evasion attempt or garbage (Suricata uses a similar bound). */
#define IPV6_MAX_EXTHDRS 8

/* Big-endian loads from bytes a cursor has already bounds-checked (bld_cur_peek). */
static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static enum bld_decode_result fail(uint64_t *counters, enum bld_decode_counter why)
{
	counters[why]++;
	return BLD_DECODED_ERROR;
}

static void set_v4(struct bld_addr *a, const uint8_t *p)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	memcpy(a->b, mapped, 12);
	memcpy(a->b + 12, p, 4);
}

static enum bld_decode_result decode_l4(struct bld_cur *c, struct bld_decoded *d, uint64_t *counters)
{
	switch (d->l4_proto) {
	case IPPROTO_TCP: {
		/* One bound check for the fixed header, then plain indexing within it (hot path). */
		const uint8_t *h = bld_cur_peek(c, 20);
		if (!h)
			return fail(counters, BLD_DECODE_TCP_TRUNCATED);
		d->sport = be16(h);
		d->dport = be16(h + 2);
		d->tcp_seq = be32(h + 4);
		d->tcp_ack = be32(h + 8);
		uint32_t hlen = (uint32_t)(h[12] >> 4) * 4;
		d->tcp_flags = h[13] & 0x3f;
		if (hlen < 20)
			return fail(counters, BLD_DECODE_TCP_BAD_HLEN);
		if (hlen > bld_cur_left(c))
			return fail(counters, BLD_DECODE_TCP_TRUNCATED);
		bld_cur_skip(c, hlen); /* header and options */
		d->has_ports = true;
		break;
	}
	case IPPROTO_UDP: {
		const uint8_t *h = bld_cur_peek(c, 8);
		if (!h)
			return fail(counters, BLD_DECODE_UDP_TRUNCATED);
		d->sport = be16(h);
		d->dport = be16(h + 2);
		uint16_t ulen = be16(h + 4);
		bld_cur_skip(c, 8);
		/* ulen 0 is legal only for IPv6 jumbograms (RFC 2675); treat anything else short as bad */
		if (ulen < 8 && !(ulen == 0 && d->ip_version == 6))
			return fail(counters, BLD_DECODE_UDP_BAD_LEN);
		d->has_ports = true;
		d->payload = c->p + c->off;
		d->payload_len = bld_cur_left(c);
		/* Trust the UDP length over padding (Ethernet minimum frames) when shorter. */
		if (ulen >= 8 && ulen - 8u < d->payload_len)
			d->payload_len = ulen - 8u;
		return BLD_DECODED_L4;
	}
	case IPPROTO_SCTP:
		if (bld_cur_left(c) < 12)
			return fail(counters, BLD_DECODE_SCTP_TRUNCATED);
		d->sport = bld_cur_be16(c);
		d->dport = bld_cur_be16(c);
		bld_cur_skip(c, 8); /* verification tag, checksum */
		d->has_ports = true;
		break;
	case IPPROTO_ICMP:
		if (bld_cur_left(c) < 4)
			return fail(counters, BLD_DECODE_ICMP_TRUNCATED);
		d->icmp_type = bld_cur_u8(c);
		d->icmp_code = bld_cur_u8(c);
		bld_cur_skip(c, 2);
		break;
	case IPPROTO_ICMPV6:
		if (bld_cur_left(c) < 4)
			return fail(counters, BLD_DECODE_ICMPV6_TRUNCATED);
		d->icmp_type = bld_cur_u8(c);
		d->icmp_code = bld_cur_u8(c);
		bld_cur_skip(c, 2);
		break;
	default:
		break;
	}
	d->payload = c->p + c->off;
	d->payload_len = bld_cur_left(c);
	return BLD_DECODED_L4;
}

static enum bld_decode_result decode_ipv4(struct bld_cur *c, struct bld_decoded *d, uint64_t *counters)
{
	const uint8_t *h = bld_cur_peek(c, 20);
	if (!h)
		return fail(counters, BLD_DECODE_IPV4_TRUNCATED);
	if (h[0] >> 4 != 4)
		return fail(counters, BLD_DECODE_IPV4_BAD_VERSION);
	uint32_t hlen = (uint32_t)(h[0] & 0x0f) * 4;
	uint32_t totlen = (uint32_t)h[2] << 8 | h[3];
	if (hlen < 20)
		return fail(counters, BLD_DECODE_IPV4_BAD_HLEN);
	if (totlen < hlen)
		return fail(counters, BLD_DECODE_IPV4_BAD_TOTLEN);
	if (hlen > bld_cur_left(c))
		return fail(counters, BLD_DECODE_IPV4_TRUNCATED);
	if (hlen > 20)
		counters[BLD_DECODE_IPV4_OPTIONS]++;

	d->ip_version = 4;
	d->l4_proto = h[9];
	set_v4(&d->src, h + 12);
	set_v4(&d->dst, h + 16);
	d->l3 = h;
	/*
	 * Bytes beyond total length are link padding.  Fewer is a snaplen cut,
	 * still usable; on a frame captured whole it is a lie, counted, and the
	 * bytes that are there are still used (the flow keeps its packet).
	 */
	if (totlen > bld_cur_left(c) && !d->snap_cut)
		counters[BLD_DECODE_IPV4_BAD_TOTLEN]++;
	d->l3_len = totlen < bld_cur_left(c) ? totlen : bld_cur_left(c);

	uint16_t frag = (uint16_t)(h[6] << 8 | h[7]);
	bool more = frag & 0x2000;
	uint32_t offset = (uint32_t)(frag & 0x1fff) * 8;
	if (more || offset) {
		counters[BLD_DECODE_IPV4_FRAGMENT]++;
		d->frag = (struct bld_frag){
			.l3 = h,
			.unfrag_len = hlen,
			.data_off = hlen,
			.data_len = d->l3_len - hlen,
			.offset = offset,
			.id = (uint32_t)h[4] << 8 | h[5],
			.more = more,
			.next_proto = h[9],
		};
		return BLD_DECODED_FRAGMENT;
	}
	struct bld_cur l4 = bld_cur_make(h + hlen, d->l3_len - hlen);
	/* Authentication headers are integrity only: the transport header follows in clear. */
	for (int n = 0; d->l4_proto == IPPROTO_AH; n++) {
		uint8_t next = bld_cur_u8(&l4);
		uint32_t len = ((uint32_t)bld_cur_u8(&l4) + 2) * 4;
		bld_cur_skip(&l4, len - 2);
		if (l4.err || n == 4)
			return fail(counters, BLD_DECODE_IPV4_AH_TRUNCATED);
		d->l4_proto = next;
	}
	return decode_l4(&l4, d, counters);
}

static bool is_ipv6_exthdr(uint8_t nh)
{
	switch (nh) {
	case 0:   /* hop-by-hop */
	case 43:  /* routing */
	case 44:  /* fragment */
	case 50:  /* ESP: payload encrypted, stop here (handled below) */
	case 51:  /* AH */
	case 60:  /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
		return true;
	default:
		return false;
	}
}

/*
 * Does the hop-by-hop header at p carry a valid Jumbo Payload option (type
 * 0xC2, length 4, a value above 65,535: RFC 2675 §3 makes smaller ones errors)?
 */
static bool has_jumbo_option(const uint8_t *p, uint32_t len)
{
	struct bld_cur c = bld_cur_make(p, len);
	bld_cur_skip(&c, 1);
	struct bld_cur opts = bld_cur_take(&c, ((uint32_t)bld_cur_u8(&c) + 1) * 8 - 2);
	while (bld_cur_left(&opts) > 0) {
		uint8_t type = bld_cur_u8(&opts);
		if (type == 0) /* Pad1 has no length byte */
			continue;
		uint8_t olen = bld_cur_u8(&opts);
		if (type == 0xC2 && olen == 4)
			return bld_cur_be32(&opts) > 65535 && !opts.err;
		bld_cur_skip(&opts, olen);
	}
	return false;
}

static enum bld_decode_result decode_ipv6(struct bld_cur *c, struct bld_decoded *d, uint64_t *counters)
{
	const uint8_t *h = bld_cur_peek(c, 40);
	if (!h)
		return fail(counters, BLD_DECODE_IPV6_TRUNCATED);
	if (h[0] >> 4 != 6)
		return fail(counters, BLD_DECODE_IPV6_BAD_VERSION);
	uint32_t plen = (uint32_t)h[4] << 8 | h[5];
	d->ip_version = 6;
	memcpy(d->src.b, h + 8, 16);
	memcpy(d->dst.b, h + 24, 16);
	d->l3 = h;
	uint32_t avail = bld_cur_left(c);
	/* Payload length 0 with a Jumbo Payload option is a jumbogram (RFC 2675 §2): take what is there. */
	if (plen == 0 && h[6] == 0) {
		if (!has_jumbo_option(h + 40, avail - 40))
			return fail(counters, BLD_DECODE_IPV6_BAD_PLEN);
		plen = avail - 40;
	}
	if (40 + plen > avail && !d->snap_cut)
		counters[BLD_DECODE_IPV6_BAD_PLEN]++; /* as for IPv4: counted, what is there is used */
	d->l3_len = 40 + plen < avail ? 40 + plen : avail;

	struct bld_cur x = bld_cur_make(h, d->l3_len);
	bld_cur_skip(&x, 40);
	uint8_t nh = h[6];
	for (int n = 0; is_ipv6_exthdr(nh); n++) {
		if (n == IPV6_MAX_EXTHDRS)
			return fail(counters, BLD_DECODE_IPV6_EXTHDR_TOO_MANY);
		if (nh == 50) /* ESP: the rest is opaque */
			break;
		uint32_t at = x.off;
		if (nh == 44) {
			if (bld_cur_left(&x) < 8)
				return fail(counters, BLD_DECODE_IPV6_EXTHDR_TRUNCATED);
			uint8_t next = bld_cur_u8(&x);
			bld_cur_skip(&x, 1);
			uint16_t offm = bld_cur_be16(&x);
			uint32_t id = bld_cur_be32(&x);
			/* An atomic fragment (offset 0, M 0) is a whole datagram (RFC 6946 §4). */
			if ((offm & 0xfff8) == 0 && !(offm & 1)) {
				nh = next;
				continue;
			}
			counters[BLD_DECODE_IPV6_FRAGMENT]++;
			d->l4_proto = next;
			d->frag = (struct bld_frag){
				.l3 = h,
				.unfrag_len = at,
				.data_off = x.off,
				.data_len = bld_cur_left(&x),
				.offset = offm & 0xfff8,
				.id = id,
				.more = offm & 1,
				.next_proto = next,
			};
			return BLD_DECODED_FRAGMENT;
		}
		if (bld_cur_left(&x) < 8)
			return fail(counters, BLD_DECODE_IPV6_EXTHDR_TRUNCATED);
		uint8_t next = bld_cur_u8(&x);
		uint32_t len = nh == 51 ? ((uint32_t)bld_cur_u8(&x) + 2) * 4 /* AH, RFC 4302 §2.2 */
					: ((uint32_t)bld_cur_u8(&x) + 1) * 8;
		if (len - 2 > bld_cur_left(&x))
			return fail(counters, BLD_DECODE_IPV6_EXTHDR_TRUNCATED);
		bld_cur_skip(&x, len - 2);
		nh = next;
	}
	d->l4_proto = nh;
	return decode_l4(&x, d, counters);
}

static enum bld_decode_result decode_ip(const uint8_t *l3, uint32_t len, struct bld_decoded *d, uint64_t *counters)
{
	struct bld_cur c = bld_cur_make(l3, len);
	const uint8_t *v = bld_cur_peek(&c, 1);
	if (!v)
		return fail(counters, BLD_DECODE_IPV4_TRUNCATED);
	if (v[0] >> 4 == 6)
		return decode_ipv6(&c, d, counters);
	return decode_ipv4(&c, d, counters);
}

enum bld_decode_result bld_decode_ip(const uint8_t *l3, uint32_t len, struct bld_decoded *d,
				     uint64_t counters[BLD_DECODE_COUNTER_MAX])
{
	memset(d, 0, sizeof(*d));
	return decode_ip(l3, len, d, counters);
}

static enum bld_decode_result decode_ethertype(struct bld_cur *c, uint16_t type, struct bld_decoded *d,
					       uint64_t *counters)
{
	while (type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ_OLD) {
		if (bld_cur_left(c) < 4)
			return fail(counters, BLD_DECODE_VLAN_TRUNCATED);
		uint16_t vid = bld_cur_be16(c) & 0x0fff;
		type = bld_cur_be16(c);
		if (d->n_vlan == 2)
			return fail(counters, BLD_DECODE_VLAN_TOO_DEEP);
		d->vlan[d->n_vlan++] = vid;
	}
	if (type == ETH_P_PPPOE_SESSION) {
		/* DSL back-haul of remote sites: look through to IP, keep anything else as L2 */
		const uint8_t *h = bld_cur_peek(c, 8);
		if (!h)
			return fail(counters, BLD_DECODE_PPPOE_TRUNCATED);
		uint16_t ppp = (uint16_t)(h[6] << 8 | h[7]);
		if (ppp == PPP_IPV4 || ppp == PPP_IPV6) {
			bld_cur_skip(c, 8);
			type = ppp == PPP_IPV4 ? ETH_P_IPV4 : ETH_P_IPV6;
		}
	}
	if (type < 0x0600) {
		/* An IEEE 802.3 length, not an ethertype (§3.2.6): an LLC frame (STP, CDP, ...). */
		d->ethertype = 0;
		counters[BLD_DECODE_NON_IP]++;
		d->payload = c->p + c->off;
		d->payload_len = type < bld_cur_left(c) ? type : bld_cur_left(c);
		return BLD_DECODED_L2;
	}
	d->ethertype = type;
	struct bld_cur rest = bld_cur_rest(c);
	if (type == ETH_P_IPV4)
		return decode_ipv4(&rest, d, counters);
	if (type == ETH_P_IPV6)
		return decode_ipv6(&rest, d, counters);
	counters[BLD_DECODE_NON_IP]++;
	d->payload = rest.p;
	d->payload_len = rest.len;
	return BLD_DECODED_L2;
}

static enum bld_decode_result decode_family(struct bld_cur *c, uint32_t family, struct bld_decoded *d,
					    uint64_t *counters)
{
	struct bld_cur rest = bld_cur_rest(c);
	switch (family) {
	case BSD_AF_INET:
		return decode_ipv4(&rest, d, counters);
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
	case BSD_AF_INET6_LINUX:
		return decode_ipv6(&rest, d, counters);
	default:
		return fail(counters, BLD_DECODE_LINK_UNKNOWN_FAMILY);
	}
}

enum bld_decode_result bld_decode_packet(const struct bld_pkt *pkt, struct bld_decoded *d,
					 uint64_t counters[BLD_DECODE_COUNTER_MAX])
{
	struct bld_cur c = bld_cur_make(pkt->data, pkt->caplen);
	memset(d, 0, sizeof(*d));
	d->snap_cut = pkt->caplen < pkt->wirelen;

	switch (pkt->linktype) {
	case BLD_LINK_ETHERNET: {
		if (bld_cur_left(&c) < 14)
			return fail(counters, BLD_DECODE_LINK_TRUNCATED);
		bld_cur_copy(&c, d->dst_mac, 6);
		bld_cur_copy(&c, d->src_mac, 6);
		d->has_mac = true;
		return decode_ethertype(&c, bld_cur_be16(&c), d, counters);
	}
	case BLD_LINK_LINUX_SLL: {
		if (bld_cur_left(&c) < 16)
			return fail(counters, BLD_DECODE_LINK_TRUNCATED);
		bld_cur_skip(&c, 14);
		return decode_ethertype(&c, bld_cur_be16(&c), d, counters);
	}
	case BLD_LINK_LINUX_SLL2: {
		if (bld_cur_left(&c) < 20)
			return fail(counters, BLD_DECODE_LINK_TRUNCATED);
		uint16_t proto = bld_cur_be16(&c);
		bld_cur_skip(&c, 18);
		return decode_ethertype(&c, proto, d, counters);
	}
	case BLD_LINK_NULL: {
		if (bld_cur_left(&c) < 4)
			return fail(counters, BLD_DECODE_LINK_TRUNCATED);
		/* Host order of the capturing machine: accept either, families are small. */
		uint32_t fam = bld_cur_le32(&c);
		if (fam > 0xffff)
			fam = __builtin_bswap32(fam);
		return decode_family(&c, fam, d, counters);
	}
	case BLD_LINK_LOOP: {
		if (bld_cur_left(&c) < 4)
			return fail(counters, BLD_DECODE_LINK_TRUNCATED);
		return decode_family(&c, bld_cur_be32(&c), d, counters);
	}
	case BLD_LINK_RAW:
	case BLD_LINK_IPV4:
	case BLD_LINK_IPV6:
		return decode_ip(pkt->data, pkt->caplen, d, counters);
	default:
		return fail(counters, BLD_DECODE_LINK_UNSUPPORTED);
	}
}
