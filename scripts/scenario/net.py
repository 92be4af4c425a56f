"""Packet building (Ethernet, 802.1Q, ARP, IPv4, IPv6, ICMP, UDP, TCP), hosts,
a time-ordered frame timeline and TCP sessions that behave like real stacks.

Every checksum is computed, never left zero: Bollard and tshark both verify
them, and a fixture with bad checksums would test the wrong thing.

Times handed to this module are float seconds relative to the capture start;
the Timeline converts them once to integer nanoseconds.
"""

import hashlib
import ipaddress
import random
import struct

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
ETH_VLAN = 0x8100
ETH_QINQ = 0x88A8
ETH_IPV6 = 0x86DD

PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ICMPV6 = 58

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"


# ---------------------------------------------------------------- primitives

def checksum(data):
    """RFC 1071 Internet checksum."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def ip_bytes(s):
    return ipaddress.ip_address(s).packed


def ether(dst, src, ethertype, payload, vlans=(), pad=True):
    """Ethernet II frame without FCS.  vlans: (tpid, tci) tags outermost first.

    Frames shorter than the 60-byte minimum are zero-padded as a NIC would
    deliver them, so dissectors must honour the IP total length.
    """
    hdr = mac(dst) + mac(src)
    for tpid, tci in vlans:
        hdr += struct.pack("!HH", tpid, tci)
    frame = hdr + struct.pack("!H", ethertype) + payload
    if pad and len(frame) < 60:
        frame += b"\0" * (60 - len(frame))
    return frame


def multicast_mac(ip):
    """RFC 1112 §6.4: 01:00:5e + low 23 bits of the group."""
    b = ip_bytes(ip)
    return "01:00:5e:%02x:%02x:%02x" % (b[1] & 0x7F, b[2], b[3])


def ipv4(src, dst, proto, payload, ident, ttl=64, df=True, tos=0,
         options=b"", frag_offset=0, mf=False):
    """IPv4 header + payload.  frag_offset is in bytes (multiple of 8)."""
    options += b"\0" * (-len(options) % 4)
    ihl = 5 + len(options) // 4
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_offset >> 3)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, 4 * ihl + len(payload),
                      ident & 0xFFFF, flags, ttl, proto, 0,
                      ip_bytes(src), ip_bytes(dst)) + options
    csum = checksum(hdr)
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:] + payload


def ipv6(src, dst, next_header, payload, hop_limit=64, flow=0, tclass=0):
    first = (6 << 28) | (tclass << 20) | (flow & 0xFFFFF)
    return struct.pack("!IHBB16s16s", first, len(payload), next_header, hop_limit,
                       ip_bytes(src), ip_bytes(dst)) + payload


def _pseudo(src, dst, proto, length):
    s, d = ip_bytes(src), ip_bytes(dst)
    if len(s) == 4:
        return s + d + struct.pack("!BBH", 0, proto, length)
    return s + d + struct.pack("!IxxxB", length, proto)


def udp(src, dst, sport, dport, payload):
    length = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    csum = checksum(_pseudo(src, dst, PROTO_UDP, length) + hdr + payload)
    # RFC 768: a computed zero is sent as all ones (zero means "no checksum").
    return struct.pack("!HHHH", sport, dport, length, csum or 0xFFFF) + payload


def tcp(src, dst, sport, dport, seq, ack, flags, window, payload=b"", options=b""):
    options += b"\0" * (-len(options) % 4)
    off = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      off << 4, flags, window, 0, 0) + options
    csum = checksum(_pseudo(src, dst, PROTO_TCP, len(hdr) + len(payload)) + hdr + payload)
    return hdr[:16] + struct.pack("!H", csum) + hdr[18:] + payload


def icmp_echo(echo_type, ident, seq, data):
    """ICMPv4 echo request (8) / reply (0)."""
    body = struct.pack("!BBHHH", echo_type, 0, 0, ident, seq) + data
    return body[:2] + struct.pack("!H", checksum(body)) + body[4:]


def icmpv6_echo(src, dst, echo_type, ident, seq, data):
    """ICMPv6 echo request (128) / reply (129); checksum covers the pseudo-header."""
    body = struct.pack("!BBHHH", echo_type, 0, 0, ident, seq) + data
    csum = checksum(_pseudo(src, dst, PROTO_ICMPV6, len(body)) + body)
    return body[:2] + struct.pack("!H", csum) + body[4:]


def arp(op, sha, spa, tha, tpa):
    """RFC 826 ARP for Ethernet/IPv4. op 1 request, 2 reply."""
    return struct.pack("!HHBBH6s4s6s4s", 1, ETH_IPV4, 6, 4, op, mac(sha), ip_bytes(spa),
                       mac(tha), ip_bytes(tpa))


# ------------------------------------------------------------------- hosts

# TCP/IP personalities.  They matter to a monitor: TTL and SYN options are
# what passive OS fingerprinting and "new device" heuristics look at, and the
# delayed-ACK timer shapes the pure-ACK pattern between polls.
_PROFILES = {
    # Windows 10/Server: TTL 128, 200 ms delayed ACK, MSS/WS/SACK in SYN.
    "windows": dict(ttl=128, delack=0.200, window=64240, wscale=8,
                    syn_opts=bytes.fromhex("020405b40103030801010402"),
                    ephemeral=(49152, 65535)),
    # Linux without timestamps: TTL 64, ~40 ms delayed ACK.
    "linux": dict(ttl=64, delack=0.040, window=64240, wscale=7,
                  syn_opts=bytes.fromhex("020405b40101040201030307"),
                  ephemeral=(32768, 60999)),
    # PLC / RTU / gateway TCP stacks: MSS only, small window, no scaling.
    "embedded": dict(ttl=64, delack=0.050, window=8192, wscale=None,
                     syn_opts=bytes.fromhex("020405b4"),
                     ephemeral=(1024, 5000)),
}


class Host:
    def __init__(self, name, ip, mac_addr, role, os="embedded", ttl=None, window=None,
                 vendor=""):
        prof = _PROFILES[os]
        self.name = name
        self.ip = ip
        self.mac = mac_addr
        self.role = role
        self.os = os
        self.vendor = vendor
        self.ttl = ttl if ttl is not None else prof["ttl"]
        self.delack = prof["delack"]
        self.window = window if window is not None else prof["window"]
        self.wscale = prof["wscale"]
        self.syn_opts = prof["syn_opts"]
        self.ephemeral = prof["ephemeral"]

    def describe(self):
        return {"name": self.name, "ip": self.ip, "mac": self.mac, "role": self.role,
                "vendor": self.vendor, "os": self.os, "ttl": self.ttl}


# ---------------------------------------------------------------- timeline

class Timeline:
    """All frames of one capture, sorted by time at the end.

    Entries carry a protocol tag (for manifests), an optional attack id and the
    (src, dst) hosts so ARP resolution can be inserted before first contact.
    """

    def __init__(self, t0_ns):
        self.t0_ns = t0_ns
        self.entries = []
        self.flows = {}

    def add(self, t, frame, tag, attack=None, pair=None, lan=None):
        if t < 0:
            raise ValueError("frame before capture start: %r %s" % (t, tag))
        ns = self.t0_ns + round(t * 1e9)
        self.entries.append((ns, len(self.entries), frame, tag, attack, pair, lan))

    def note_flow(self, transport, client, server, tag, attack=None):
        key = (transport, client, server)
        if key not in self.flows:
            self.flows[key] = {"transport": transport, "client": client, "server": server,
                               "protocol": tag, "attack": attack}

    def sorted_entries(self):
        return sorted(self.entries, key=lambda e: (e[0], e[1]))


class Lan:
    """One broadcast domain: resolves MACs, numbers IP IDs, sends datagrams."""

    def __init__(self, tl, seed, name, gateway=None):
        self.tl = tl
        self.seed = seed
        self.name = name
        self.hosts = {}
        self.gateway = gateway
        self._ipid = {}

    def add(self, host):
        self.hosts[host.ip] = host
        return host

    def dst_mac(self, dst_ip):
        a = ipaddress.ip_address(dst_ip)
        if a.is_multicast:
            return multicast_mac(dst_ip)
        if dst_ip == "255.255.255.255":
            return BROADCAST_MAC
        if dst_ip in self.hosts:
            return self.hosts[dst_ip].mac
        return self.gateway.mac

    def ipid(self, src_ip, dst_ip):
        # One counter per (src, dst) like Linux's hashed IP-ID generator.  It
        # also keeps attack variants byte-identical to the baseline: traffic
        # added between two hosts never shifts the IDs of other pairs.
        key = (src_ip, dst_ip)
        if key not in self._ipid:
            h = hashlib.sha256(("%s/%s/%s>%s" % (self.seed, self.name, src_ip, dst_ip)).encode())
            self._ipid[key] = int.from_bytes(h.digest()[:2], "big")
        self._ipid[key] = (self._ipid[key] + 1) & 0xFFFF
        return self._ipid[key]

    def ip_frame(self, src, dst_ip, proto, l4, df=True, tos=0, ttl=None, ident=None):
        """ident: explicit IP ID for spoofed frames, which must not advance the
        genuine sender's counter."""
        if ident is None:
            ident = self.ipid(src.ip, dst_ip)
        pkt = ipv4(src.ip, dst_ip, proto, l4, ident,
                   ttl=src.ttl if ttl is None else ttl, df=df, tos=tos)
        return ether(self.dst_mac(dst_ip), src.mac, ETH_IPV4, pkt)

    def udp(self, t, src, dst_ip, sport, dport, payload, tag, attack=None, tos=0, ttl=None,
            df=False, ident=None):
        seg = udp(src.ip, dst_ip, sport, dport, payload)
        self.tl.add(t, self.ip_frame(src, dst_ip, PROTO_UDP, seg, df=df, tos=tos, ttl=ttl,
                                     ident=ident),
                    tag, attack, pair=(src, self.hosts.get(dst_ip)), lan=self)
        self.tl.note_flow("udp", "%s:%d" % (src.ip, sport), "%s:%d" % (dst_ip, dport),
                          tag, attack)

    def raw_tcp(self, t, src, dst, sport, dport, seq, ack, flags, window, tag, attack=None,
                options=b"", payload=b"", ttl=None, ident=None, df=True):
        seg = tcp(src.ip, dst.ip, sport, dport, seq, ack, flags, window, payload, options)
        self.tl.add(t, self.ip_frame(src, dst.ip, PROTO_TCP, seg, ttl=ttl, ident=ident, df=df),
                    tag, attack,
                    pair=(src, dst), lan=self)

    def arp_frame(self, t, op, src, target_ip, tag="arp", attack=None, target_mac=None):
        if op == 1:
            frame = ether(BROADCAST_MAC if target_mac is None else target_mac, src.mac,
                          ETH_ARP, arp(1, src.mac, src.ip, "00:00:00:00:00:00", target_ip))
        else:
            frame = ether(target_mac, src.mac, ETH_ARP,
                          arp(2, src.mac, src.ip, target_mac, target_ip))
        self.tl.add(t, frame, tag, attack)

    def resolve_arp(self):
        """Insert an ARP request/reply before each host's first frame to a peer.

        Done after generation because flows are built one after another; only
        the merged time order says which frame is really the first contact.
        """
        known = set()
        for ns, _, _, _, attack, pair, lan in sorted(self.tl.entries, key=lambda e: (e[0], e[1])):
            if lan is not self or pair is None or pair[1] is None:
                continue
            src, dst = pair
            if (src.ip, dst.ip) in known:
                continue
            t = (ns - self.tl.t0_ns) / 1e9
            self.arp_frame(t - 0.00041, 1, src, dst.ip, attack=attack)
            self.arp_frame(t - 0.00023, 2, dst, src.ip, attack=attack, target_mac=src.mac)
            # The target caches the requester from the request (RFC 826 merge).
            known.add((src.ip, dst.ip))
            known.add((dst.ip, src.ip))


# --------------------------------------------------------------------- TCP

SEG_GAP = 0.00012   # back-to-back full segments at 100 Mbit/s


class _Side:
    def __init__(self, host, port, isn):
        self.host = host
        self.port = port
        self.nxt = isn          # next sequence number to send
        self.rcv = 0            # next sequence number expected from the peer
        self.owed = None        # deadline of a delayed ACK, or None
        self.unacked = 0        # segments received since our last ACK
        self.shift = 0          # our window scale (0 if scaling is off)


class TcpConn:
    """A TCP connection seen from a SPAN port.

    Sequence and acknowledgement numbers advance with the data; a receiver
    piggybacks its ACK on its next segment if that comes before its
    delayed-ACK timer, otherwise a pure ACK appears at the timer; every second
    full segment is ACKed at once (RFC 1122 4.2.3.2, RFC 5681 4.2).
    """

    def __init__(self, lan, client, server, dport, rng, tag, sport=None, attack=None, mss=1460):
        self.lan = lan
        self.tag = tag
        self.attack = attack
        self.rng = rng
        self.mss = mss
        sport = sport if sport is not None else rng.randint(*client.ephemeral)
        self.c = _Side(client, sport, rng.getrandbits(32))
        self.s = _Side(server, dport, rng.getrandbits(32))
        self.t = 0.0
        lan.tl.note_flow("tcp", "%s:%d" % (client.ip, sport), "%s:%d" % (server.ip, dport),
                         tag, attack)

    def _peer(self, side):
        return self.s if side is self.c else self.c

    def _emit(self, t, side, flags, payload=b"", options=b""):
        peer = self._peer(side)
        win = side.host.window >> side.shift if not flags & SYN else min(side.host.window, 65535)
        ack = side.rcv if flags & ACK else 0
        self.lan.raw_tcp(t, side.host, peer.host, side.port, peer.port, side.nxt, ack, flags,
                         win, self.tag, self.attack, options, payload)
        self.t = max(self.t, t)

    def open(self, t):
        """Three-way handshake starting at t; returns the time of the final ACK."""
        c, s = self.c, self.s
        self._emit(t, c, SYN, options=c.host.syn_opts)
        c.nxt += 1
        s.rcv = c.nxt
        # Window scaling is on only if both SYNs carry it (RFC 7323 2.2); a
        # server answers with the options it supports among those offered.
        ws = c.host.wscale is not None and s.host.wscale is not None
        sack = b"\x04\x02" in c.host.syn_opts and b"\x04\x02" in s.host.syn_opts
        opts = b"\x02\x04\x05\xb4"
        if ws:
            opts += b"\x01\x03\x03" + bytes([s.host.wscale])
        if sack:
            opts += b"\x01\x01\x04\x02"
        t1 = t + self._lat(s.host)
        self._emit(t1, s, SYN | ACK, options=opts)
        s.nxt += 1
        c.rcv = s.nxt
        if ws:
            c.shift, s.shift = c.host.wscale, s.host.wscale
        t2 = t1 + 0.00005 + self.rng.random() * 0.0002
        self._emit(t2, c, ACK)
        return t2

    def _lat(self, host):
        """SYN-ACK turnaround: embedded stacks are slower than servers."""
        base = 0.0008 if host.os == "embedded" else 0.0001
        return base + self.rng.random() * base

    def flush(self, t):
        """Emit the delayed ACKs whose timers expire at or before t."""
        for side in sorted((self.c, self.s), key=lambda x: x.owed or 0):
            if side.owed is not None and side.owed <= t:
                self._emit(side.owed, side, ACK)
                side.owed = None
                side.unacked = 0

    def send(self, t, from_client, payload, push=True):
        """Send payload (segmented at MSS) starting at t; returns the last segment's time."""
        me = self.c if from_client else self.s
        peer = self._peer(me)
        self.flush(t)
        if t < self.t:
            t = self.t + 0.00002
        pieces = [payload[i:i + self.mss] for i in range(0, len(payload), self.mss)] or [b""]
        ti = t
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            self._emit(ti, me, ACK | (PSH if last and push else 0), piece)
            me.nxt += len(piece)
            me.owed, me.unacked = None, 0
            peer.rcv = me.nxt
            peer.unacked += 1
            if peer.unacked >= 2:
                self._emit(ti + 0.00004, peer, ACK)
                peer.unacked, peer.owed = 0, None
            if not last:
                ti += SEG_GAP
        if peer.unacked and peer.owed is None:
            # The delayed-ACK timer runs from the first unacknowledged segment.
            peer.owed = ti + peer.host.delack * (0.9 + 0.2 * self.rng.random())
        return ti

    def close(self, t, from_client=True):
        """Orderly release: FIN, FIN from the peer (its ACK piggybacked), final ACK."""
        me = self.c if from_client else self.s
        peer = self._peer(me)
        self.flush(t)
        t = max(t, self.t + 0.00002)
        self._emit(t, me, FIN | ACK)
        me.nxt += 1
        peer.rcv = me.nxt
        t1 = t + self._lat(peer.host)
        self._emit(t1, peer, FIN | ACK)
        peer.nxt += 1
        me.rcv = peer.nxt
        t2 = t1 + 0.00005 + self.rng.random() * 0.0002
        self._emit(t2, me, ACK)
        me.owed = peer.owed = None
        return t2

    def finish(self, t_end):
        """At capture end: emit only the delayed ACKs that fall inside the capture."""
        self.flush(t_end)


# ----------------------------------------------------------------- context

class Ctx:
    """What every traffic builder needs: the timeline, seeded RNGs and clocks."""

    def __init__(self, tl, seed, duration, epoch):
        self.tl = tl
        self.seed = seed
        self.duration = duration
        self.epoch = epoch          # Unix seconds of t = 0 (protocol timestamps)

    def rng(self, name):
        # One independent stream per named component (str seeds hash with
        # SHA-512), so adding a flow or an attack never perturbs the others.
        return random.Random("%s/%s" % (self.seed, name))

    def wall(self, t):
        return self.epoch + t


def jit(rng, sd):
    """Gaussian jitter clipped at 3 sigma so a schedule never runs backwards."""
    return max(-3 * sd, min(3 * sd, rng.gauss(0.0, sd)))
