"""decode-mix.pcapng: a small pcapng exercising Bollard's L2/L3/L4 decoder.

Six interfaces with different link types in one section, short TCP/UDP
exchanges on each, then Ethernet special cases (802.1Q, QinQ, IPv4 options,
IPv4 and IPv6 fragments, IPv6 extension headers, ICMP/ICMPv6, non-IP
ethertypes) and deliberately broken frames.  Every packet is described in
the manifest, which is generated from the same table as the file so the two
cannot disagree.
"""

import struct

from . import net
from .net import ether, ipv4, ipv6, tcp, udp
from .pcapwriter import (LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
                         LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW, PcapngWriter)

LINKTYPE_NAMES = {LINKTYPE_ETHERNET: "ETHERNET", LINKTYPE_LINUX_SLL: "LINUX_SLL",
                  LINKTYPE_LINUX_SLL2: "LINUX_SLL2", LINKTYPE_NULL: "NULL",
                  LINKTYPE_LOOP: "LOOP", LINKTYPE_RAW: "RAW"}

# (name, link type, description, nanosecond timestamps)
INTERFACES = [
    ("eth0", LINKTYPE_ETHERNET, "SPAN port, Ethernet", True),
    ("any", LINKTYPE_LINUX_SLL, "Linux cooked capture v1 (tcpdump -i any)", False),
    ("any2", LINKTYPE_LINUX_SLL2, "Linux cooked capture v2", True),
    ("lo0", LINKTYPE_NULL, "macOS loopback, AF in little-endian host order", False),
    ("lo0-obsd", LINKTYPE_LOOP, "OpenBSD loopback, AF in network order", True),
    ("tun0", LINKTYPE_RAW, "raw IP (VPN tunnel)", True),
]
ETH, SLL, SLL2, NULL, LOOP, RAW = range(6)

MAC_A, MAC_B = "00:1b:1b:3c:77:11", "3c:d9:2b:6e:21:11"


# ------------------------------------------------------------- link layers

def sll(proto, pkttype=0, src_mac=MAC_A):
    """Linux cooked v1: packet type, ARPHRD_ETHER, address length, address (8), protocol."""
    return struct.pack(">HHH8sH", pkttype, 1, 6, net.mac(src_mac) + b"\0\0", proto)


def sll2(proto, pkttype=0, ifindex=2, src_mac=MAC_A):
    """Linux cooked v2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type, addr len, address."""
    return struct.pack(">HHIHBB8s", proto, 0, ifindex, 1, pkttype, 6, net.mac(src_mac) + b"\0\0")


def null_hdr(v6):
    # Darwin: AF_INET 2, AF_INET6 30, written in the capturing host's order (LE).
    return struct.pack("<I", 30 if v6 else 2)


def loop_hdr(v6):
    # OpenBSD: AF_INET 2, AF_INET6 24, network byte order.
    return struct.pack(">I", 24 if v6 else 2)


# ------------------------------------------------------------------ builder

class Mix:
    def __init__(self, t0_ns):
        self.t = t0_ns
        self.pkts = []       # (iface, t_ns, data, orig_len, manifest dict)

    def add(self, iface, data, info, orig_len=None, gap_us=1000):
        self.t += gap_us * 1000
        info = dict(info)
        info["interface"] = iface
        info["linktype"] = LINKTYPE_NAMES[INTERFACES[iface][1]]
        info["caplen"] = len(data)
        info["origlen"] = orig_len if orig_len is not None else len(data)
        info.setdefault("malformed", False)
        self.pkts.append((iface, self.t, data, orig_len, info))


def _wrap(iface, pkt, v6=False, pkttype=0, src_mac=MAC_A, dst_mac=MAC_B):
    """Put an IP packet on the given interface's link layer."""
    proto = net.ETH_IPV6 if v6 else net.ETH_IPV4
    if iface == ETH:
        return ether(dst_mac, src_mac, proto, pkt)
    if iface == SLL:
        return sll(proto, pkttype, src_mac) + pkt
    if iface == SLL2:
        return sll2(proto, pkttype, src_mac=src_mac) + pkt
    if iface == NULL:
        return null_hdr(v6) + pkt
    if iface == LOOP:
        return loop_hdr(v6) + pkt
    return pkt


def _exchange(mix, iface, cli, srv, v6, base_id, what):
    """UDP request/response plus a complete short TCP session on one interface."""
    ip = ipv6 if v6 else None
    nh_udp, nh_tcp = net.PROTO_UDP, net.PROTO_TCP
    l3 = "ipv6" if v6 else "ipv4"
    ident = [base_id]

    def pkt(src, dst, proto, l4):
        if v6:
            return ip(src, dst, proto, l4)
        ident[0] += 1
        return ipv4(src, dst, proto, l4, ident[0])

    def send(src, dst, proto, l4, desc, sport, dport, flags=None, pkttype=0):
        info = dict(description="%s: %s" % (what, desc), l3=l3, l4="udp" if proto == nh_udp else "tcp",
                    src=src, dst=dst, sport=sport, dport=dport)
        if flags is not None:
            info["tcp_flags"] = flags
        macs = (MAC_A, MAC_B) if src == cli else (MAC_B, MAC_A)
        mix.add(iface, _wrap(iface, pkt(src, dst, proto, l4), v6, pkttype, *macs), info)

    q = struct.pack(">HHHHHH", base_id, 0x0100, 1, 0, 0, 0) + \
        b"\x09historian\x08terminal\x05local\x00\x00\x01\x00\x01"
    r = struct.pack(">HHHHHH", base_id, 0x8580, 1, 1, 0, 0) + q[12:] + \
        struct.pack(">HHHIH4s", 0xC00C, 1, 1, 300, 4, bytes([10, 10, 0, 20]))
    send(cli, srv, nh_udp, udp(cli, srv, 50000 + base_id, 53, q), "DNS query", 50000 + base_id, 53,
         pkttype=4)
    send(srv, cli, nh_udp, udp(srv, cli, 53, 50000 + base_id, r), "DNS response", 53, 50000 + base_id)
    cp, sp = 40000 + base_id, 502
    cs, ss = 1000 * base_id, 5000 * base_id
    req = bytes.fromhex("000100000006010300000002")           # Modbus FC 3, 2 registers
    rsp = bytes.fromhex("00010000000701030400070009")
    segs = [
        (cli, srv, cp, sp, cs, 0, net.SYN, b"", "SYN"),
        (srv, cli, sp, cp, ss, cs + 1, net.SYN | net.ACK, b"", "SYN/ACK"),
        (cli, srv, cp, sp, cs + 1, ss + 1, net.ACK, b"", "ACK"),
        (cli, srv, cp, sp, cs + 1, ss + 1, net.PSH | net.ACK, req, "Modbus request"),
        (srv, cli, sp, cp, ss + 1, cs + 13, net.PSH | net.ACK, rsp, "Modbus response"),
        (cli, srv, cp, sp, cs + 13, ss + 14, net.FIN | net.ACK, b"", "FIN"),
        (srv, cli, sp, cp, ss + 14, cs + 14, net.FIN | net.ACK, b"", "FIN/ACK"),
        (cli, srv, cp, sp, cs + 14, ss + 15, net.ACK, b"", "ACK"),
    ]
    for s, d, a, b, seq, ack, fl, data, desc in segs:
        opts = b"\x02\x04\x05\xb4" if fl & net.SYN else b""
        send(s, d, nh_tcp, tcp(s, d, a, b, seq, ack, fl, 8192, data, opts), "TCP " + desc, a, b,
             flags=fl)


def _syslog_text(size, n):
    """An RFC 5424 syslog message padded with readable text to exactly `size` bytes;
    large syslog datagrams are the usual source of IPv4 fragments on OT networks."""
    head = "<134>1 2024-05-14T06:30:0%dZ historian trendd 812 - - export chunk %d: " % (n, n)
    body = "".join("tag=STS01.Hoist.Load value=%05.1f; " % (20 + i % 150 / 10) for i in range(size // 30 + 1))
    return (head + body).encode()[:size]


def _goose():
    """IEC 61850-8-1 GOOSE PDU, BER encoded, with two boolean data set members."""
    def tlv(tag, value):
        return bytes([tag, len(value)]) + value
    pdu = (tlv(0x80, b"IED1LD0/LLN0$GO$gcb01") + tlv(0x81, struct.pack(">H", 2000)) +
           tlv(0x82, b"IED1LD0/LLN0$DataSet1") + tlv(0x83, b"IED1_GOOSE1") +
           tlv(0x84, struct.pack(">II", 1715668200, 0x0000000A)) + tlv(0x85, b"\x01") +
           tlv(0x86, b"\x05") + tlv(0x87, b"\x00") + tlv(0x88, b"\x01") + tlv(0x89, b"\x00") +
           tlv(0x8A, b"\x02") + tlv(0xAB, tlv(0x83, b"\x01") + tlv(0x83, b"\x00")))
    goose = tlv(0x61, pdu)
    return struct.pack(">HHHH", 0x0001, 8 + len(goose), 0, 0) + goose


def build(t0_ns):
    mix = Mix(t0_ns)
    # ---- one exchange per link type
    _exchange(mix, ETH, "10.10.0.11", "10.10.1.12", False, 1, "Ethernet")
    _exchange(mix, SLL, "192.168.50.10", "192.168.50.20", False, 2, "SLL")
    _exchange(mix, SLL2, "fd00:10::11", "fd00:10::20", True, 3, "SLL2 IPv6")
    _exchange(mix, NULL, "127.0.0.1", "127.0.0.1", False, 4, "NULL loopback")
    _exchange(mix, LOOP, "::1", "::1", True, 5, "LOOP loopback IPv6")
    _exchange(mix, RAW, "172.16.5.2", "172.16.9.7", False, 6, "RAW IPv4")
    # one raw IPv6 packet: the RAW link type tells v4 from v6 by the version nibble
    mdns = struct.pack(">HHHHHH", 0, 0, 1, 0, 0, 0) + \
        b"\x0a_opcua-tcp\x04_tcp\x05local\x00" + struct.pack(">HH", 12, 1)
    p6 = ipv6("fd00:99::2", "ff02::fb", net.PROTO_UDP, udp("fd00:99::2", "ff02::fb", 5353, 5353, mdns),
              hop_limit=255)
    mix.add(RAW, p6, dict(description="RAW IPv6: mDNS PTR query _opcua-tcp._tcp.local", l3="ipv6",
                          l4="udp", src="fd00:99::2", dst="ff02::fb", sport=5353, dport=5353))

    # ---- Ethernet special cases
    a, b = "10.10.0.11", "10.10.1.12"
    mb = bytes.fromhex("002a00000006010300000002")
    seg = tcp(a, b, 49200, 502, 77000, 88000, net.PSH | net.ACK, 8192, mb)
    mix.add(ETH, ether(MAC_B, MAC_A, net.ETH_IPV4, ipv4(a, b, net.PROTO_TCP, seg, 200),
                       vlans=[(net.ETH_VLAN, (5 << 13) | 120)]),
            dict(description="802.1Q VLAN 120 PCP 5, Modbus/TCP request", l3="ipv4", l4="tcp",
                 src=a, dst=b, sport=49200, dport=502, vlan=[120]))
    seg = tcp(b, a, 502, 49200, 88000, 77012, net.PSH | net.ACK, 8192,
              bytes.fromhex("002a0000000701030400010002"))
    mix.add(ETH, ether(MAC_A, MAC_B, net.ETH_IPV4, ipv4(b, a, net.PROTO_TCP, seg, 201),
                       vlans=[(net.ETH_VLAN, (5 << 13) | 120)]),
            dict(description="802.1Q VLAN 120 PCP 5, Modbus/TCP response", l3="ipv4", l4="tcp",
                 src=b, dst=a, sport=502, dport=49200, vlan=[120]))
    ntp_req = bytes([0x23, 0, 6, 0xEC]) + b"\0" * 36 + struct.pack(">II", 3924655800, 0)
    for src, dst, sp, dp, desc in ((a, "10.10.0.6", 123, 123, "request"),
                                   ("10.10.0.6", a, 123, 123, "response")):
        payload = ntp_req if desc == "request" else bytes([0x24, 1, 6, 0xEC]) + b"\0" * 8 + \
            b"GPS\0" + b"\0" * 8 + ntp_req[40:48] + struct.pack(">IIII", 3924655800, 1 << 20,
                                                                3924655800, 2 << 20)
        mix.add(ETH, ether(MAC_B if desc == "request" else MAC_A, MAC_A if desc == "request" else MAC_B,
                           net.ETH_IPV4, ipv4(src, dst, net.PROTO_UDP, udp(src, dst, sp, dp, payload),
                                              300 + len(desc)),
                           vlans=[(net.ETH_QINQ, 300), (net.ETH_VLAN, 120)]),
                dict(description="QinQ: 802.1ad S-tag 300 + 802.1Q C-tag 120, NTP " + desc,
                     l3="ipv4", l4="udp", src=src, dst=dst, sport=sp, dport=dp, vlan=[300, 120],
                     qinq=True))
    # IPv4 options: IGMPv2 membership report with Router Alert (RFC 2113)
    igmp = bytearray(struct.pack(">BBH4s", 0x16, 0, 0, net.ip_bytes("239.192.0.1")))
    igmp[2:4] = struct.pack(">H", net.checksum(bytes(igmp)))
    mix.add(ETH, ether(net.multicast_mac("239.192.0.1"), MAC_A, net.ETH_IPV4,
                       ipv4("10.10.0.11", "239.192.0.1", 2, bytes(igmp), 400, ttl=1, tos=0xC0,
                            df=False, options=b"\x94\x04\x00\x00")),
            dict(description="IPv4 with Router Alert option (IHL 6): IGMPv2 membership report",
                 l3="ipv4", l4="igmp", src="10.10.0.11", dst="239.192.0.1", ip_options=True))
    # IPv4 fragments: datagram 1 in order (2 fragments), datagram 2 out of order (3 fragments)
    for dg, (size, ident, order) in enumerate(((2000, 0x5101, (0, 1)), (3000, 0x5102, (1, 2, 0)))):
        data = _syslog_text(size, dg)
        whole = udp("10.10.0.20", "10.10.0.30", 5514, 514, data)
        frags = [whole[i:i + 1480] for i in range(0, len(whole), 1480)]
        for k in order:
            mf = k < len(frags) - 1
            mix.add(ETH, ether(MAC_B, MAC_A, net.ETH_IPV4,
                               ipv4("10.10.0.20", "10.10.0.30", net.PROTO_UDP, frags[k], ident,
                                    df=False, frag_offset=1480 * k, mf=mf)),
                    dict(description="IPv4 fragment %d/%d of UDP datagram id 0x%04x (%d bytes)%s"
                         % (k + 1, len(frags), ident, size, "" if order == tuple(sorted(order))
                            else ", out of order"),
                         l3="ipv4", l4="udp" if k == 0 else None, src="10.10.0.20",
                         dst="10.10.0.30", fragment=dict(id=ident, offset=1480 * k, mf=mf),
                         sport=5514 if k == 0 else None, dport=514 if k == 0 else None))
    # IPv6 hop-by-hop (Router Alert + PadN) and destination options (PadN) before UDP
    s6, d6 = "fd00:10::11", "fd00:10::20"
    u = udp(s6, d6, 40001, 4840, b"OPC UA over IPv6 probe")
    dst_opts = bytes([net.PROTO_UDP, 0, 0x01, 0x04, 0, 0, 0, 0])
    hbh = bytes([60, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00])
    mix.add(ETH, ether(MAC_B, MAC_A, net.ETH_IPV6, ipv6(s6, d6, 0, hbh + dst_opts + u)),
            dict(description="IPv6 with hop-by-hop (Router Alert, PadN) and destination options, UDP",
                 l3="ipv6", l4="udp", src=s6, dst=d6, sport=40001, dport=4840,
                 ext_headers=["hop-by-hop", "destination"]))
    # IPv6 fragment header: one UDP datagram in two fragments
    data = _syslog_text(1800, 3)
    whole = udp(s6, d6, 40002, 514, data)
    cut = 1448                                       # multiple of 8
    for k, (off, chunk) in enumerate(((0, whole[:cut]), (cut, whole[cut:]))):
        mf = k == 0
        fh = struct.pack(">BBHI", net.PROTO_UDP, 0, off | (1 if mf else 0), 0x0BADF00D)
        mix.add(ETH, ether(MAC_B, MAC_A, net.ETH_IPV6, ipv6(s6, d6, 44, fh + chunk)),
                dict(description="IPv6 fragment %d/2 (fragment header) of UDP datagram id 0x0badf00d"
                     % (k + 1), l3="ipv6", l4="udp" if k == 0 else None, src=s6, dst=d6,
                     fragment=dict(id=0x0BADF00D, offset=off, mf=mf), ext_headers=["fragment"],
                     sport=40002 if k == 0 else None, dport=514 if k == 0 else None))
    # ICMP and ICMPv6 echo
    for t, src, dst in ((8, a, b), (0, b, a)):
        mix.add(ETH, ether(MAC_B if t == 8 else MAC_A, MAC_A if t == 8 else MAC_B, net.ETH_IPV4,
                           ipv4(src, dst, net.PROTO_ICMP, net.icmp_echo(t, 0x0101, 1, b"bollard-ping-0001"),
                                500 + t, df=False)),
                dict(description="ICMP echo %s" % ("request" if t == 8 else "reply"), l3="ipv4",
                     l4="icmp", src=src, dst=dst))
    for t, src, dst in ((128, s6, d6), (129, d6, s6)):
        mix.add(ETH, ether(MAC_B if t == 128 else MAC_A, MAC_A if t == 128 else MAC_B, net.ETH_IPV6,
                           ipv6(src, dst, net.PROTO_ICMPV6,
                                net.icmpv6_echo(src, dst, t, 0x0202, 1, b"bollard-ping6"))),
                dict(description="ICMPv6 echo %s" % ("request" if t == 128 else "reply"),
                     l3="ipv6", l4="icmpv6", src=src, dst=dst))
    # Non-IP ethertypes
    mix.add(ETH, ether("01:0c:cd:01:00:01", "00:30:a7:11:40:40", 0x88B8, _goose()),
            dict(description="GOOSE (ethertype 0x88B8), IEC 61850-8-1", l3=None, l4=None,
                 ethertype=0x88B8))
    mix.add(ETH, ether(MAC_B, MAC_A, 0x88B5, b"\x42\x4f\x4c\x4c\x41\x52\x44\x00"),
            dict(description="IEEE 802 local experimental ethertype 0x88B5, 8 bytes", l3=None,
                 l4=None, ethertype=0x88B5))

    # ---- deliberately broken frames
    good = ipv4(a, b, net.PROTO_TCP, tcp(a, b, 49300, 502, 1, 1, net.ACK, 8192), 600)
    bad = bytearray(good)
    bad[0] = 0x44                                   # IHL 4 = 16 bytes
    bad[10:12] = b"\0\0"
    bad[10:12] = struct.pack(">H", net.checksum(bytes(bad[:16])))
    mix.add(ETH, ether(MAC_B, MAC_A, net.ETH_IPV4, bytes(bad)),
            dict(description="MALFORMED: IPv4 header length 16 (IHL 4) < 20", l3="ipv4", l4=None,
                 src=a, dst=b, malformed=True, reason="ipv4 ihl < 5"))
    seg = bytearray(tcp(a, b, 49301, 502, 1, 1, net.ACK, 8192))
    seg[12] = 0xF0                                  # data offset 15 words = 60 bytes
    seg[16:18] = b"\0\0"
    seg[16:18] = struct.pack(">H", net.checksum(net._pseudo(a, b, net.PROTO_TCP, len(seg)) + bytes(seg)))
    mix.add(ETH, ether(MAC_B, MAC_A, net.ETH_IPV4, ipv4(a, b, net.PROTO_TCP, bytes(seg), 601)),
            dict(description="MALFORMED: TCP data offset 60 bytes but only 20 bytes of TCP present",
                 l3="ipv4", l4="tcp", src=a, dst=b, sport=49301, dport=502, malformed=True,
                 reason="tcp data offset beyond packet"))
    full = ether(MAC_B, MAC_A, net.ETH_IPV4,
                 ipv4(a, b, net.PROTO_TCP, tcp(a, b, 49302, 502, 1, 1, net.PSH | net.ACK, 8192,
                                                bytes(range(120))), 602))
    mix.add(ETH, full[:48], dict(description="TRUNCATED: snaplen 48 < frame length %d, the IPv4 "
                                 "header says %d bytes" % (len(full), len(full) - 14),
                                 l3="ipv4", l4="tcp", src=a, dst=b, malformed=True,
                                 reason="caplen shorter than ip total length (snaplen cut)"),
            orig_len=len(full))
    short = bytearray(ipv4(a, b, net.PROTO_UDP, udp(a, b, 33000, 33001, b"abcd"), 603))
    short[2:4] = struct.pack(">H", 1000)            # total length far beyond the frame
    short[10:12] = b"\0\0"
    short[10:12] = struct.pack(">H", net.checksum(bytes(short[:20])))
    mix.add(ETH, ether(MAC_B, MAC_A, net.ETH_IPV4, bytes(short), pad=False),
            dict(description="MALFORMED: IPv4 total length 1000 > frame (caplen == origlen)",
                 l3="ipv4", l4=None, src=a, dst=b, malformed=True,
                 reason="ip total length beyond frame"))
    mix.add(ETH, bytes.fromhex("3cd92b6e2111001b1b3c7711"),
            dict(description="MALFORMED: 12-byte runt, no ethertype", l3=None, l4=None,
                 malformed=True, reason="ethernet frame shorter than header"))
    return mix


def manifest(mix):
    packets = []
    for n, (iface, t_ns, data, orig, info) in enumerate(mix.pkts, 1):
        d = {"frame": n, "time_ns": t_ns}
        d.update({k: v for k, v in info.items() if v is not None})
        packets.append(d)

    def count(pred):
        return sum(1 for p in packets if pred(p))

    ok = [p for p in packets if not p["malformed"]]
    counts = {
        "frames": len(packets),
        "interfaces": len(INTERFACES),
        "by_linktype": {LINKTYPE_NAMES[lt]: count(lambda p, lt=lt: p["linktype"] == LINKTYPE_NAMES[lt])
                        for _, lt, _, _ in INTERFACES},
        "well_formed": len(ok),
        "malformed_or_truncated": count(lambda p: p["malformed"]),
        "truncated_caplen": count(lambda p: p["caplen"] < p["origlen"]),
        "ipv4_well_formed": sum(1 for p in ok if p.get("l3") == "ipv4"),
        "ipv6_well_formed": sum(1 for p in ok if p.get("l3") == "ipv6"),
        "tcp_well_formed": sum(1 for p in ok if p.get("l4") == "tcp"),
        "udp_headers_well_formed": sum(1 for p in ok if p.get("l4") == "udp"),
        "icmp": count(lambda p: p.get("l4") == "icmp"),
        "icmpv6": count(lambda p: p.get("l4") == "icmpv6"),
        "igmp": count(lambda p: p.get("l4") == "igmp"),
        "ipv4_fragments": count(lambda p: p.get("l3") == "ipv4" and "fragment" in p),
        "ipv6_fragments": count(lambda p: p.get("l3") == "ipv6" and "fragment" in p),
        "reassembled_udp_datagrams": {"ipv4": 2, "ipv6": 1},
        "vlan_tagged": count(lambda p: "vlan" in p),
        "qinq": count(lambda p: p.get("qinq")),
        "ipv4_with_options": count(lambda p: p.get("ip_options")),
        "ipv6_with_extension_headers": count(lambda p: "ext_headers" in p),
        "non_ip_ethertype": count(lambda p: "ethertype" in p),
    }
    return {
        "file": "decode-mix.pcapng",
        "generator": "scripts/gen-scenario --scenario decode-mix",
        "interfaces": [{"id": i, "name": n, "linktype": LINKTYPE_NAMES[lt], "linktype_value": lt,
                        "description": desc, "tsresol": "ns" if ns else "us"}
                       for i, (n, lt, desc, ns) in enumerate(INTERFACES)],
        "counts": counts,
        "notes": ["fragment tails (not the first fragment) carry no UDP header, so their l4 is absent",
                  "counts named *_well_formed exclude frames marked malformed",
                  "UDP datagrams reassemble to 2008 and 3008 bytes (IPv4) and 1808 bytes (IPv6), "
                  "UDP header included",
                  "tshark 4.0.17 flags frames 81, 82, 84 and 85 as malformed / expert error and "
                  "frame 83 as a short TCP segment (warning); its io,phs lists 33 eth frames, the "
                  "12-byte runt being counted only as _ws.malformed"],
        "packets": packets,
    }


def write(path, t0_ns):
    mix = build(t0_ns)
    with PcapngWriter(path) as w:
        for name, lt, desc, ns in INTERFACES:
            w.add_interface(lt, name, desc, nanosecond=ns)
        for iface, t_ns, data, orig, info in mix.pkts:
            w.write(iface, t_ns, data, orig_len=orig, comment=info["description"])
    return manifest(mix)
