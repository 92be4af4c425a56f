/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet decode: link layer → VLAN/QinQ → IPv4/IPv6 → TCP/UDP/ICMP.
 *
 * Decode never fails loudly: a packet it cannot take apart is counted under
 * the reason (one counter per reason, named by the X-macro below) and the
 * caller gets as much as was understood.  Non-IP ethertypes are kept so that
 * L2 protocols (GOOSE 0x88B8) can be tracked as flows too.
 */
#ifndef BLD_DECODE_H
#define BLD_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "packet.h"

/*
 * Decode counters: one line each, name as shown to users and in the JSON
 * summary.  ERR marks malformed or truncated input, INFO things worth
 * counting that are not wrong.
 */
#define BLD_FOREACH_DECODE_COUNTER(_)                                            \
	_(LINK_UNSUPPORTED, "link.unsupported", ERR)                             \
	_(LINK_TRUNCATED, "link.truncated", ERR)                                 \
	_(LINK_UNKNOWN_FAMILY, "link.unknown_family", ERR)                       \
	_(VLAN_TRUNCATED, "vlan.truncated", ERR)                                 \
	_(VLAN_TOO_DEEP, "vlan.too_deep", ERR)                                   \
	_(PPPOE_TRUNCATED, "pppoe.truncated", ERR)                               \
	_(NON_IP, "l2.non_ip", INFO)                                             \
	_(IPV4_TRUNCATED, "ipv4.truncated", ERR)                                 \
	_(IPV4_BAD_VERSION, "ipv4.bad_version", ERR)                             \
	_(IPV4_BAD_HLEN, "ipv4.bad_header_length", ERR)                          \
	_(IPV4_BAD_TOTLEN, "ipv4.bad_total_length", ERR)                         \
	_(IPV4_OPTIONS, "ipv4.options", INFO)                                    \
	_(IPV4_FRAGMENT, "ipv4.fragment", INFO)                                  \
	_(IPV4_AH_TRUNCATED, "ipv4.ah_truncated", ERR)                           \
	_(IPV6_TRUNCATED, "ipv6.truncated", ERR)                                 \
	_(IPV6_BAD_VERSION, "ipv6.bad_version", ERR)                             \
	_(IPV6_BAD_PLEN, "ipv6.bad_payload_length", ERR)                         \
	_(IPV6_EXTHDR_TRUNCATED, "ipv6.exthdr_truncated", ERR)                   \
	_(IPV6_EXTHDR_TOO_MANY, "ipv6.exthdr_too_many", ERR)                     \
	_(IPV6_FRAGMENT, "ipv6.fragment", INFO)                                  \
	_(TCP_TRUNCATED, "tcp.truncated", ERR)                                   \
	_(TCP_BAD_HLEN, "tcp.bad_header_length", ERR)                            \
	_(UDP_TRUNCATED, "udp.truncated", ERR)                                   \
	_(UDP_BAD_LEN, "udp.bad_length", ERR)                                    \
	_(SCTP_TRUNCATED, "sctp.truncated", ERR)                                 \
	_(ICMP_TRUNCATED, "icmp.truncated", ERR)                                 \
	_(ICMPV6_TRUNCATED, "icmpv6.truncated", ERR)                             \
	_(FRAG_REASSEMBLED, "frag.reassembled", INFO)                            \
	_(FRAG_MALFORMED, "frag.malformed", ERR)                                 \
	_(FRAG_OVERLAP, "frag.overlap", ERR)                                     \
	_(FRAG_TOO_BIG, "frag.too_big", ERR)                                     \
	_(FRAG_TIMEOUT, "frag.timeout", INFO)                                    \
	_(FRAG_CAPACITY, "frag.capacity", ERR)

enum bld_decode_counter {
#define BLD_X(id, name, kind) BLD_DECODE_##id,
	BLD_FOREACH_DECODE_COUNTER(BLD_X)
#undef BLD_X
	BLD_DECODE_COUNTER_MAX
};

extern const char *const bld_decode_counter_names[BLD_DECODE_COUNTER_MAX];
extern const bool bld_decode_counter_is_error[BLD_DECODE_COUNTER_MAX];

/* An IPv4 address is stored IPv4-mapped (::ffff:a.b.c.d) so keys are uniform. */
struct bld_addr {
	uint8_t b[16];
};

enum bld_decode_result {
	BLD_DECODED_L4,          /* IP with a transport header (or IP with other proto) */
	BLD_DECODED_FRAGMENT,    /* an IP fragment: see `frag`, L4 not decoded */
	BLD_DECODED_L2,          /* non-IP ethertype: MACs and ethertype valid */
	BLD_DECODED_ERROR,       /* malformed or unsupported: a counter says why */
};

/* What the reassembler needs of one IP fragment (RFC 791, RFC 8200 §4.5). */
struct bld_frag {
	const uint8_t *l3;       /* IP header of this fragment */
	uint32_t unfrag_len;     /* IPv4 header with options; IPv6 header + ext headers before Fragment */
	uint32_t data_off;       /* where the fragment's data starts, from l3 */
	uint32_t data_len;       /* fragment data bytes present */
	uint32_t offset;         /* fragment offset in bytes */
	uint32_t id;             /* IPv4 identification or IPv6 fragment id */
	bool more;               /* MF / M flag */
	uint8_t next_proto;      /* protocol of the reassembled payload */
};

struct bld_decoded {
	/* The capture kept less than was on the wire (snaplen): short IP datagrams are expected then. */
	bool snap_cut;

	/* L2 (valid when has_mac) */
	bool has_mac;
	uint8_t src_mac[6], dst_mac[6];
	uint8_t n_vlan;
	uint16_t vlan[2];        /* outer first; QinQ keeps two; a third tag is an error (vlan.too_deep) */
	uint16_t ethertype;      /* innermost ethertype; 0 for 802.3 LLC frames and link types without one */

	/* L3 (valid for L4 and FRAGMENT) */
	uint8_t ip_version;      /* 4 or 6 */
	uint8_t l4_proto;        /* IPPROTO_* after extension headers */
	struct bld_addr src, dst;
	const uint8_t *l3;       /* IP header, as nDPI wants it */
	uint32_t l3_len;         /* IP datagram bytes present from l3 (capped by total length) */
	struct bld_frag frag;    /* when FRAGMENT */

	/* L4 (valid for L4 when the protocol has the field) */
	bool has_ports;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint8_t icmp_type, icmp_code;
	const uint8_t *payload;
	uint32_t payload_len;
};

enum bld_decode_result bld_decode_packet(const struct bld_pkt *pkt, struct bld_decoded *d,
					 uint64_t counters[BLD_DECODE_COUNTER_MAX]);

/* Decode from the IP header on: used for raw-IP links and reassembled datagrams. */
enum bld_decode_result bld_decode_ip(const uint8_t *l3, uint32_t len, struct bld_decoded *d,
				     uint64_t counters[BLD_DECODE_COUNTER_MAX]);

#define BLD_TCP_FIN 0x01
#define BLD_TCP_SYN 0x02
#define BLD_TCP_RST 0x04
#define BLD_TCP_PSH 0x08
#define BLD_TCP_ACK 0x10

#endif /* BLD_DECODE_H */
