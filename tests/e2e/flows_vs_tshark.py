#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
End-to-end test: Bollard's flows agree with tshark's conversation tables.

For every capture, the flows of `bollard read --flows` are compared with what
tshark 4.0 dissects, conversation by conversation: unordered address/port
pair per L4 protocol, summed over all Bollard flows of the pair (tshark has no
timeouts and no VLAN in its conversation key), packets and bytes (wire
lengths) in each direction.

The tshark side
---------------
`tshark -z conv,tcp -z conv,udp` prints byte counts with units ("77 kB"), too
coarse to compare.  So the same tshark run also prints per-frame fields
(`-T fields`: length, protocol stack, addresses, ports, fragments, marks of
malformation), the test rebuilds the TCP and UDP tables from those fields and
first checks them against tshark's own tables: frame counts exactly, bytes
exactly where tshark prints "bytes", to the printed precision where it prints
kB/MB.  A disagreement there is reported as a TEST FAULT, never blamed on
Bollard.  The fields also give the frames without TCP/UDP a conversation, as
tshark's conv,ip / conv,ipv6 / conv,eth tables would (IP address pair and
protocol; MAC pair and ethertype), so every frame is accounted for.

The comparison
--------------
Each frame is mapped to the conversation Bollard is expected to count it in.
Where that is not tshark's, one of the RULES below says why (each with its
reason); the per-file line lists the rules used and how many frames each
moved.  A conversation whose Bollard totals differ from the expectation is a
FAIL, listed with expected and actual counts and its frame numbers.

Usage:  tests/e2e/flows_vs_tshark.py [--bollard PATH] [--jobs N]
                                     [--list-only-failures] [CAPTURE|DIR ...]
Without CAPTURE arguments it runs on ../shared/pcaps (relative to the repo
root; skipped, and counted as skipped, when missing) and on
tests/fixtures/scenario.  Exit status: 0 nothing failed, 1 something failed,
2 usage error (bollard not built, capture missing).
"""

import argparse
import concurrent.futures
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CAPTURE_EXT = ('.pcap', '.pcapng', '.cap')
TOOL_TIMEOUT_S = 600

# ---------------------------------------------------------------------------
# Rules: every accepted difference between tshark's conversations and
# Bollard's flows, with the reason.  Keep tests/e2e/README.md in step.
# ---------------------------------------------------------------------------
RULES = {
    'ip-fragments':
        'tshark reassembles IP fragments and counts only the frame that '
        'completes the datagram in the TCP/UDP conversation (the other '
        'fragments stay "ip:data"); Bollard counts the reassembled datagram '
        'as all its fragment frames, packets and wire bytes (by design).  '
        'The test groups fragments by Bollard\'s reassembly key in capture '
        'order and moves each to the conversation of the frame where tshark '
        'completed the datagram.  tshark\'s own fragment list is not used for '
        'membership: it leaves out fragments whose overlapping bytes '
        'conflict, which Bollard (IPv4: first copy wins) counts.',
    'fragments-unreassembled':
        'Fragments of a datagram that never completes: no ports are known, '
        'tshark shows them as IP data; Bollard drops them when the datagram '
        'times out or the input ends (frag.timeout), so they are in no flow.',
    'fragment-timeout':
        'Fragments of one datagram 30 s or more after its first fragment: '
        'tshark reassembles whatever the delay; Bollard gives the datagram up '
        '30 s after its first fragment (frag.timeout, as Linux ipfrag_time; '
        'dataplane/ipfrag.h), so its frames are in no flow.',
    'ipv6-fragment-overlap':
        'IPv6 fragments that overlap, other than exact duplicates: RFC 5722 '
        'and RFC 8200 section 4.5 require discarding the whole datagram; '
        'Bollard does (frag.overlap), tshark reassembles it.',
    'encapsulation-not-decoded':
        'Encapsulations Bollard does not look through: tunnels (IP-in-IP and '
        '6in4, GRE, VXLAN, Teredo...) and link-level ones (MPLS, Cisco ISL...).'
        '  tshark counts the inner conversation (for UDP tunnels: the outer '
        'one too); Bollard counts the frame once, in the flow of the outer '
        'header (outer IP protocol, outer UDP ports, or an L2 flow of the '
        'outer ethertype).  Whether Bollard decodes an encapsulation is found '
        'per file by trying both, and must agree across all files: decoded in '
        'one capture and not in another is a failure.',
    'vlan-too-deep':
        'More than two VLAN tags: Bollard keeps two (QinQ) and rejects deeper '
        'stacks (vlan.too_deep); tshark decodes any depth.',
    'ipv6-too-many-exthdrs':
        'More than 8 IPv6 extension headers: Bollard stops '
        '(ipv6.exthdr_too_many), such a chain being evasion or garbage '
        '(Suricata has a similar bound); tshark walks the whole chain.',
    'link-not-decoded':
        'Link types Bollard does not decode (it does Ethernet, Linux SLL and '
        'SLL2, BSD NULL/LOOP, raw IP): link.unsupported, in no flow.',
    'bollard-malformed':
        'Frames whose headers (link, VLAN, PPPoE, IP, TCP/UDP/ICMP) are '
        'malformed or cut short by the snap length: Bollard rejects them '
        '(decode_errors) and they are in no flow, while tshark may still '
        'have put them in a conversation (e.g. the IP addresses were read '
        'before the damage).  Only frames tshark itself finds broken qualify: '
        'an exception in one of those headers ("[Malformed Packet: TCP]", '
        '"[Packet size limited during capture: IPv4 truncated]"), a TCP data '
        'offset below 20 or a UDP length below 8, unreadable IP addresses.  '
        'For frames with an exception Bollard may also accept the frame '
        '(see tshark-malformed): the test finds which of them Bollard '
        'counted from its totals.  The frames expected rejected may not '
        'outnumber the decode errors in Bollard\'s JSON summary.',
    'tshark-malformed':
        'The other side of bollard-malformed: tshark raised an exception in a '
        'header (and left the frame out of its TCP/UDP table) but Bollard '
        'read the header it needs and counted the frame.',
    'l2-802.3':
        'Not a difference in counts, a matter of keys: IEEE 802.3 frames (a '
        'length field where Ethernet II has the ethertype: LLC, STP, CDP...) '
        'are compared per MAC pair with every Bollard L2 flow that has no '
        'ethertype or one below 0x0600 (older builds reported the length as '
        'the ethertype, splitting such traffic by frame length).',
}

# ---------------------------------------------------------------------------
# tshark fields, one column each; repeated fields joined by AGG
# ---------------------------------------------------------------------------
FIELDS = [
    'frame.number', 'frame.time_epoch', 'frame.len', 'frame.protocols',
    'eth.src', 'eth.dst', 'eth.type', 'eth.len', 'isl.src', 'isl.dst',
    'vlan.etype', 'vlan.len', 'sll.etype',
    'ip.src', 'ip.dst', 'ip.proto', 'ip.id', 'ip.hdr_len', 'ip.len', 'ip.flags.mf', 'ip.frag_offset',
    'ip.fragment',
    'ipv6.src', 'ipv6.dst', 'ipv6.nxt', 'ipv6.plen',
    'ipv6.fraghdr.offset', 'ipv6.fraghdr.more', 'ipv6.fraghdr.ident', 'ipv6.fragment',
    'tcp.srcport', 'tcp.dstport', 'tcp.hdr_len', 'udp.srcport', 'udp.dstport', 'udp.length',
    'sctp.srcport', 'sctp.dstport',
    '_ws.malformed', '_ws.short',
]
FI = {name: i for i, name in enumerate(FIELDS)}
AGG = ';'

# Layer names (frame.protocols) of IP payloads, with their protocol number.
LAYER_PROTO = {
    'tcp': 6, 'udp': 17, 'icmp': 1, 'icmpv6': 58, 'sctp': 132, 'igmp': 2, 'gre': 47,
    'esp': 50, 'ah': 51, 'ipv6': 41, 'ip': 4, 'ospf': 89, 'pim': 103, 'vrrp': 112,
    'l2tp': 115, 'etherip': 97, 'udplite': 136, 'dccp': 33, 'rsvp': 46, 'eigrp': 88,
    'ipcomp': 108,
}
IPV6_EXT = {'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts', 'ipv6.shim6', 'mipv6', 'ah'}
VLAN_LAYERS = {'vlan', 'ieee8021ad'}
PORT_PROTOS = {6: 'tcp', 17: 'udp', 132: 'sctp'}
L4_NAMES = {'tcp': 6, 'udp': 17, 'icmp': 1, 'icmpv6': 58, 'sctp': 132}
ZERO_MAC = '00:00:00:00:00:00'
# Bollard's limits (dataplane/decode.c IPV6_MAX_EXTHDRS, dataplane/ipfrag.h
# BLD_IPFRAG_DEFAULT_TIMEOUT_NS).
IPV6_MAX_EXTHDRS = 8
FRAG_TIMEOUT_S = 30.0
# Rules under which Bollard rejects the frame and counts a decode error.
REJECT_RULES = ('bollard-malformed', 'link-not-decoded', 'vlan-too-deep', 'ipv6-too-many-exthdrs')
# Short names tshark prints in "[Malformed Packet: X]" and "[Packet size
# limited during capture: X truncated]" for the headers Bollard decodes.
HEADER_LABELS = ('Ethernet', 'VLAN', 'IEEE 802.1ad', 'PPPoES', 'PPP', 'SLL', 'NULL', 'Raw',
                 'IPv4', 'IPv6', 'TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP')
EXC_RE = re.compile(r'\[(?:Malformed Packet|Packet size limited during capture): (.*?)(?: truncated)?\]$')


# ---------------------------------------------------------------------------
# Conversation keys: (proto, endpoint, endpoint), endpoints sorted, an
# endpoint being (address, port or None).  proto is the IP protocol number,
# or 'l2 <ethertype>' for non-IP frames.  A frame's place is (key, d) where d
# is 0 when it was sent by the first endpoint.
# ---------------------------------------------------------------------------
def norm_ip(s):
    try:
        return ipaddress.ip_address(s).compressed
    except ValueError:
        return s


def canon(proto, a, b):
    if a <= b:
        return (proto, a, b), 0
    return (proto, b, a), 1


def ethertype_class(value):
    if value is None:
        return '?'
    return '802.3' if value < 0x600 else '0x%04x' % value


def l2_place(src_mac, dst_mac, etclass):
    return canon('l2 ' + etclass, (src_mac, None), (dst_mac, None))


def key_str(key):
    proto, a, b = key

    def ep(e):
        addr, port = e
        if port is None:
            return addr
        return '[%s]:%s' % (addr, port) if ':' in addr else '%s:%s' % (addr, port)
    if isinstance(proto, str):
        name = proto
    else:
        name = PORT_PROTOS.get(proto) or {1: 'icmp', 58: 'icmpv6'}.get(proto) or 'ip-proto %s' % proto
    return '%s %s <-> %s' % (name, ep(a), ep(b))


# ---------------------------------------------------------------------------
# One frame: where tshark counts it, where Bollard is expected to
# ---------------------------------------------------------------------------
class Frame:
    __slots__ = ('num', 'length', 'tshark', 'tview', 'expect', 'alt', 'enc', 'rule', 'optional')

    def __init__(self, num, length):
        self.num = num
        self.length = length
        self.tshark = []        # places in tshark's conv,tcp / conv,udp tables
        self.tview = []         # the same, or for other frames their IP / Ethernet conversation
        self.expect = None      # place Bollard should count the frame in; None: no flow
        self.alt = None         # place if Bollard decodes the encapsulation `enc`
        self.enc = None
        self.rule = None        # why expect is not tshark's place
        self.optional = False   # tshark found a header broken: Bollard may reject the frame


def vals(row, name):
    v = row[FI[name]]
    return v.split(AGG) if v else []


def first_int(lst, idx=0, default=None):
    try:
        return int(lst[idx], 0)
    except (IndexError, ValueError):
        return default


class Occ:
    """The n-th 'ip' layer of frame.protocols owns the n-th ip.* values."""

    def __init__(self):
        self.n = defaultdict(int)

    def take(self, layer):
        i = self.n[layer]
        self.n[layer] += 1
        return i


def ip_endpoints(row, layer, i):
    pre = 'ip' if layer == 'ip' else 'ipv6'
    s, d = vals(row, pre + '.src'), vals(row, pre + '.dst')
    if i < len(s) and i < len(d):
        return norm_ip(s[i]), norm_ip(d[i])
    return None


def l4_ports(row, name, i):
    s, d = vals(row, name + '.srcport'), vals(row, name + '.dstport')
    if i < len(s) and i < len(d):
        return int(s[i]), int(d[i])
    return None


def exception_labels(row):
    out = []
    for f in ('_ws.malformed', '_ws.short'):
        for v in vals(row, f):
            m = EXC_RE.match(v)
            if m:
                out.append(m.group(1))
    return out


def bogus_l4(row, layer, i):
    """TCP data offset below 20, UDP length below 8: tshark stops before its
    conversation tap ("Bogus TCP header length", "Bad length value") and
    Bollard rejects the frame (tcp.bad_header_length, udp.bad_length)."""
    if layer == 'tcp':
        hl = first_int(vals(row, 'tcp.hdr_len'), i)
        return hl is not None and hl < 20
    if layer == 'udp':
        ul = first_int(vals(row, 'udp.length'), i)
        return ul is not None and 0 < ul < 8
    return False


def analyse_frame(row):
    fr = Frame(int(row[FI['frame.number']]), int(row[FI['frame.len']]))
    layers = row[FI['frame.protocols']].split(':') if row[FI['frame.protocols']] else []
    exc = exception_labels(row)

    # tshark's TCP/UDP conversations: every TCP/UDP header with the nearest
    # IP header before it, except headers quoted in ICMP errors (not tapped)
    # and headers whose dissection stopped before the tap (an exception in
    # the header itself, a bogus length).
    occ = Occ()
    cur_ip = None
    in_icmp = False
    for layer in layers:
        if layer in ('ip', 'ipv6'):
            i = occ.take(layer)
            if not in_icmp:
                cur_ip = ip_endpoints(row, layer, i)
        elif layer in ('tcp', 'udp'):
            i = occ.take(layer)
            if in_icmp or cur_ip is None or layer.upper() in exc or bogus_l4(row, layer, i):
                continue
            ports = l4_ports(row, layer, i)
            if ports is not None:
                fr.tshark.append(canon(L4_NAMES[layer], (cur_ip[0], ports[0]), (cur_ip[1], ports[1])))
        elif layer in ('icmp', 'icmpv6'):
            in_icmp = True

    expect_frame(fr, row, layers)
    fr.optional = fr.expect is not None and any(
        lab in HEADER_LABELS or lab.startswith('IPv6') for lab in exc)
    if fr.tshark:
        fr.tview = list(fr.tshark)
    elif fr.enc:
        fr.tview = [fr.alt] if fr.alt else []
    elif fr.expect is not None and not (fr.expect[0][0] in (6, 17) and fr.expect[0][1][1] is not None):
        fr.tview = [fr.expect]  # no TCP/UDP header: tshark's IP or Ethernet conversation
    return fr


def expect_frame(fr, row, layers):
    """Set fr.expect (and rule, enc, alt): what Bollard's decoder makes of the frame."""
    if not layers:
        fr.rule = 'link-not-decoded'
        return
    link = layers[0]
    if link == 'eth' and layers[1:2] == ['eth']:
        # Cisco ISL: an 802.3 frame to 01:00:0c:00:00:00 wrapping a whole
        # Ethernet frame; tshark shows the inner MACs as eth.*, Bollard sees
        # the outer 802.3 frame.
        expect_frame(fr, row, layers[1:])
        s, d = vals(row, 'isl.src'), vals(row, 'isl.dst')
        fr.alt, fr.enc, fr.rule = fr.expect, 'isl', 'encapsulation-not-decoded'
        fr.expect = l2_place(s[0], d[0], '802.3') if s and d else None
        return
    pos = 1
    src_mac = dst_mac = ZERO_MAC   # Bollard's L2 flows on SLL links have no MACs
    ethertype = None
    if link == 'eth':
        s, d = vals(row, 'eth.src'), vals(row, 'eth.dst')
        if not s or not d:
            fr.rule = 'bollard-malformed'
            return
        src_mac, dst_mac = s[0], d[0]
        ethertype = first_int(vals(row, 'eth.type'))
        if ethertype is None:
            ethertype = first_int(vals(row, 'eth.len'))
    elif link == 'sll':
        ethertype = first_int(vals(row, 'sll.etype'))
    elif link in ('ip', 'ipv6'):
        pos = 0
    elif link not in ('null', 'raw'):
        fr.rule = 'link-not-decoded'
        return

    n_vlan = 0
    tags = [first_int([v]) for v in vals(row, 'vlan.etype')] or [first_int([v]) for v in vals(row, 'vlan.len')]
    while pos < len(layers) and (layers[pos] == 'ethertype' or layers[pos] in VLAN_LAYERS):
        if layers[pos] in VLAN_LAYERS:
            if n_vlan < len(tags):
                ethertype = tags[n_vlan]
            n_vlan += 1
        pos += 1
    if n_vlan > 2:
        fr.rule = 'vlan-too-deep'
        return

    rest = layers[pos:]
    j = 0
    while j < len(rest) and rest[j] not in ('ip', 'ipv6'):
        j += 1
    enc = rest[:j]
    l2 = l2_place(src_mac, dst_mac, ethertype_class(ethertype)) if link in ('eth', 'sll') else None
    if j == len(rest):                 # not IP
        if l2 is None:
            fr.rule = 'bollard-malformed'  # NULL/LOOP/raw link without IP
        fr.expect = l2
        return
    if enc and l2 is not None:
        # An encapsulation between Ethernet and IP (PPPoE, MPLS...)
        inner = ip_expect(fr, row, rest[j:], Occ())
        fr.alt, fr.enc, fr.rule, fr.expect = inner, ':'.join(enc), 'encapsulation-not-decoded', l2
        return
    if enc:
        fr.rule = 'link-not-decoded'
        return
    fr.expect = ip_expect(fr, row, rest, Occ())


def ip_expect(fr, row, layers, occ):
    """Place of the outermost IP header (layers[0] is 'ip' or 'ipv6').

    A tunnel after it (another IP or Ethernet header, not quoted in an ICMP
    error) makes the inner conversation the frame's alternative place.
    """
    ipl = layers[0]
    i = occ.take(ipl)
    ep = ip_endpoints(row, ipl, i)
    if ep is None:
        # tshark could not read the addresses (IP version not matching the
        # ethertype, header cut short): Bollard rejects the header too.
        fr.rule = fr.rule or 'bollard-malformed'
        return None
    k = 1
    # IPv6 extension headers, and AH (RFC 4302) in IPv4 too: the ports follow.
    while k < len(layers) and (layers[k] in IPV6_EXT if ipl == 'ipv6' else layers[k] == 'ah'):
        k += 1
    if ipl == 'ipv6' and k - 1 > IPV6_MAX_EXTHDRS:
        fr.rule = fr.rule or 'ipv6-too-many-exthdrs'
        return None
    nxt = layers[k] if k < len(layers) else None
    proto = LAYER_PROTO.get(nxt)
    if proto is None or (k == 1 and ipl == 'ip'):
        if k == 1:
            proto = first_int(vals(row, 'ip.proto' if ipl == 'ip' else 'ipv6.nxt'), i)
    took_l4 = False
    if proto in PORT_PROTOS and nxt == PORT_PROTOS[proto]:
        pi = occ.take(nxt)
        took_l4 = True
        ports = l4_ports(row, nxt, pi)
        if ports is None:
            return None
        if bogus_l4(row, nxt, pi):
            fr.rule = fr.rule or 'bollard-malformed'
            return None
        place = canon(proto, (ep[0], ports[0]), (ep[1], ports[1]))
    else:
        place = canon(proto, (ep[0], None), (ep[1], None))
    if nxt in ('icmp', 'icmpv6'):
        return place
    for m in range(k, len(layers)):
        if layers[m] in ('icmp', 'icmpv6'):
            break
        if layers[m] in ('ip', 'ipv6', 'eth'):
            n = m
            while n < len(layers) and layers[n] not in ('ip', 'ipv6'):
                n += 1
            if n == len(layers) or fr.enc is not None:
                break
            for lay in layers[k + 1 if took_l4 else k:n]:
                if lay in ('tcp', 'udp', 'sctp'):
                    occ.take(lay)
            name = ':'.join(x for x in layers[k:m] if x != 'ethertype') or 'ip-in-ip'
            inner = ip_expect(fr, row, layers[n:], occ)
            if fr.enc is None:
                fr.alt, fr.enc, fr.rule = inner, name, 'encapsulation-not-decoded'
            break
    return place


# ---------------------------------------------------------------------------
# Fragments
# ---------------------------------------------------------------------------
def outer_fragment(row):
    """(key, (offset, more), data length or None) when the outermost IP
    header is a fragment, else None.  key is Bollard's reassembly key:
    (4, src, dst, id, protocol) or (6, src, dst, id)."""
    layers = row[FI['frame.protocols']].split(':')
    first_ip = next((x for x in layers if x in ('ip', 'ipv6')), None)
    if first_ip == 'ip':
        mf = first_int(vals(row, 'ip.flags.mf'), 0, 0)
        off = first_int(vals(row, 'ip.frag_offset'), 0, 0)
        if not (mf or off):
            return None
        tl, hl = first_int(vals(row, 'ip.len')), first_int(vals(row, 'ip.hdr_len'))
        dlen = tl - hl if tl is not None and hl is not None else None
        key = (4,) + tuple(tuple(vals(row, f)[:1]) for f in ('ip.src', 'ip.dst', 'ip.id', 'ip.proto'))
        return key, (off * 8, mf), dlen
    if first_ip == 'ipv6':
        i = layers.index('ipv6')
        j = i + 1
        while j < len(layers) and layers[j] in IPV6_EXT and layers[j] != 'ipv6.fraghdr':
            j += 1
        if j >= len(layers) or layers[j] != 'ipv6.fraghdr':
            return None
        more = first_int(vals(row, 'ipv6.fraghdr.more'), 0, 0)
        off = first_int(vals(row, 'ipv6.fraghdr.offset'), 0, 0)
        if not (more or off):
            return None  # atomic fragment (RFC 6946): a whole datagram
        plen = first_int(vals(row, 'ipv6.plen'), 0, 0)
        dlen = plen - 8 if j == i + 1 else None  # unknown behind other extension headers
        key = (6,) + tuple(tuple(vals(row, f)[:1]) for f in ('ipv6.src', 'ipv6.dst', 'ipv6.fraghdr.ident'))
        return key, (off * 8, more), dlen
    return None


def v6_overlap(parts):
    """Do IPv6 fragments overlap, exact duplicates aside (RFC 5722)?"""
    spans = set()
    for (off, _), dlen in parts:
        if dlen is None:
            return False
        spans.add((off, off + dlen))
    spans = sorted(spans)
    return any(spans[n + 1][0] < spans[n][1] for n in range(len(spans) - 1))


def complete(parts):
    """Do the fragments cover their datagram, offset 0 to the end?"""
    end, spans = None, []
    for (off, more), dlen in parts:
        if dlen is None:
            return True  # cannot tell: trust tshark
        spans.append((off, off + dlen))
        if not more:
            end = off + dlen
    if end is None:
        return False
    reach = 0
    for a, b in sorted(spans):
        if a > reach:
            return False
        reach = max(reach, b)
    return reach >= end


def resolve_fragments(frames, rows):
    """Place every fragment frame the way Bollard's reassembler counts it."""
    groups = {}        # key -> [time of first fragment, [(frame, (offset, more), dlen)]]
    timed_out = set()

    def settle(group, target, rule):
        for fr, _, _ in group:
            if target is None:
                fr.expect, fr.alt, fr.enc, fr.optional = None, None, None, False
            elif fr is not target:
                fr.expect, fr.alt, fr.enc, fr.optional = target.expect, target.alt, target.enc, target.optional
            if fr is not target or target is None:
                fr.rule = rule

    for fr, row in zip(frames, rows):
        frag = outer_fragment(row)
        if frag is None:
            continue
        key, pos, dlen = frag
        t = float(row[FI['frame.time_epoch']] or 0)
        g = groups.get(key)
        if g is not None and t - g[0] >= FRAG_TIMEOUT_S:
            settle(g[1], None, 'fragment-timeout')
            timed_out.add(key)
            g = None
        if g is None:
            g = groups[key] = [t, []]
        g[1].append((fr, pos, dlen))
        if vals(row, 'ip.fragment') or vals(row, 'ipv6.fragment'):
            # tshark completed the datagram with this frame
            del groups[key]
            parts = [(p, d) for _, p, d in g[1]]
            if key[0] == 6 and v6_overlap(parts):
                settle(g[1], None, 'ipv6-fragment-overlap')
            elif key in timed_out and not complete(parts):
                settle(g[1], None, 'fragment-timeout')
            else:
                settle(g[1], fr, 'ip-fragments')
    for key, g in groups.items():
        settle(g[1], None, 'fragment-timeout' if key in timed_out else 'fragments-unreassembled')


# ---------------------------------------------------------------------------
# The tools
# ---------------------------------------------------------------------------
CONV_RE = re.compile(r'^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)\s+'
                     r'(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)\s+')
UNIT = {'bytes': 1, 'kB': 1000, 'MB': 1000 ** 2, 'GB': 1000 ** 3}


def run_tshark(tshark, path, confdir):
    cmd = [tshark, '-n', '-r', path, '-o', 'ip.defragment:TRUE', '-o', 'ipv6.defragment:TRUE',
           '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=' + AGG, '-E', 'separator=/t',
           '-E', 'quote=n']
    for f in FIELDS:
        cmd += ['-e', f]
    cmd += ['-z', 'conv,tcp', '-z', 'conv,udp']
    # An empty personal configuration: the user's preferences must not matter.
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=confdir)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, errors='replace', env=env,
                       timeout=TOOL_TIMEOUT_S)
    lines = p.stdout.split('\n')
    rows, bad = [], 0
    n = 0
    while n < len(lines) and not lines[n].startswith('====='):
        if lines[n]:
            row = lines[n].split('\t')
            if len(row) == len(FIELDS):
                rows.append(row)
            else:
                bad += 1
        n += 1
    return p.returncode, rows, bad, parse_conv_tables(lines[n:]), p.stderr


def split_ep(s):
    addr, _, port = s.rpartition(':')
    return norm_ip(addr), int(port)


def parse_conv_tables(lines):
    """{6 or 17: {key: [((frames, n, unit) a->b, (frames, n, unit) b->a)]}}"""
    tables, proto = {}, None
    for line in lines:
        if line.startswith('TCP Conversations'):
            proto = 6
        elif line.startswith('UDP Conversations'):
            proto = 17
        elif proto is not None:
            m = CONV_RE.match(line)
            if not m:
                continue
            # columns: "<-" (frames, bytes B to A) then "->" (A to B)
            b2a = (int(m.group(3)), int(m.group(4)), m.group(5))
            a2b = (int(m.group(6)), int(m.group(7)), m.group(8))
            key, d = canon(proto, split_ep(m.group(1)), split_ep(m.group(2)))
            tables.setdefault(proto, {}).setdefault(key, []).append((a2b, b2a) if d == 0 else (b2a, a2b))
    return tables


def run_bollard(bollard, path, tmpdir):
    flows_path = os.path.join(tmpdir, 'flows.jsonl')
    cmd = [bollard, 'read', '--no-progress', '--json-summary', '--flows', flows_path, path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, errors='replace',
                       timeout=TOOL_TIMEOUT_S)
    flows = []
    if os.path.exists(flows_path):
        with open(flows_path) as f:
            flows = [json.loads(line) for line in f if line.strip()]
    try:
        summary = json.loads(p.stdout) if p.stdout.strip() else {}
    except json.JSONDecodeError:
        summary = {}
    return p.returncode, flows, summary, p.stderr


def bollard_place(fl):
    if fl['l4'] == 'l2':
        et = fl.get('ethertype', 0)
        etclass = ethertype_class(int(et, 16) if isinstance(et, str) else int(et))
        return l2_place(fl['src_mac'], fl['dst_mac'], etclass)
    proto = L4_NAMES.get(fl['l4']) or LAYER_PROTO.get(fl['l4'])
    if proto is None:
        proto = int(fl['l4'])
    a, b = norm_ip(fl['src_ip']), norm_ip(fl['dst_ip'])
    return canon(proto, (a, fl.get('src_port')), (b, fl.get('dst_port')))


# ---------------------------------------------------------------------------
# Counting and comparing: a count is (pkts, bytes) from the key's first
# endpoint, then (pkts, bytes) from the second.
# ---------------------------------------------------------------------------
ZERO = (0, 0, 0, 0)


def vec(place, length):
    key, d = place
    if key[1] == key[2]:
        d = 0  # both ends the same: no direction
    return (1, length, 0, 0) if d == 0 else (0, 0, 1, length)


def vadd(a, b):
    return tuple(x + y for x, y in zip(a, b))


def vsub(a, b):
    return tuple(x - y for x, y in zip(a, b))


def fmt_counts(c):
    return '-> %d pkts %d B, <- %d pkts %d B' % tuple(c)


def subset_sum(cands, need, limit=1 << 16):
    """Indices of a subset of the count vectors cands adding up to need, or None."""
    need = tuple(need)
    if need == ZERO:
        return ()
    total = ZERO
    for v in cands:
        total = vadd(total, v)
    if total == need:
        return tuple(range(len(cands)))
    reach = {ZERO: ()}
    for i, v in enumerate(cands):
        for s, idx in list(reach.items()):
            t = vadd(s, v)
            if t not in reach:
                reach[t] = idx + (i,)
                if len(reach) > limit:
                    return None
    return reach.get(need)


def self_check(frames, tables):
    """The TCP/UDP tables rebuilt from the fields must be tshark's own."""
    rebuilt = {}
    for fr in frames:
        for place in fr.tshark:
            rebuilt[place[0]] = vadd(rebuilt.get(place[0], ZERO), vec(place, fr.length))
    problems = []
    for proto in (6, 17):
        tab = tables.get(proto, {})
        for key in sorted(set(k for k in rebuilt if k[0] == proto) | set(tab), key=repr):
            mine = rebuilt.get(key, ZERO)
            theirs = tab.get(key)
            if not theirs:
                problems.append('%s: %s rebuilt, not in tshark\'s table' % (key_str(key), fmt_counts(mine)))
                continue
            frames_ab = sum(t[0][0] for t in theirs)
            frames_ba = sum(t[1][0] for t in theirs)
            if key[1] == key[2]:
                ok = mine[0] == frames_ab + frames_ba
            else:
                ok = (mine[0], mine[2]) == (frames_ab, frames_ba)
                if len(theirs) == 1:
                    for d, (_, n, unit) in enumerate(theirs[0]):
                        got = mine[2 * d + 1]
                        ok = ok and (got == n if unit == 'bytes' else abs(got / UNIT[unit] - n) <= 1)
            if not ok:
                problems.append('%s: %s rebuilt, tshark %s' % (key_str(key), fmt_counts(mine), theirs))
    return problems


def sum_bollard(flows):
    actual = {}
    for fl in flows:
        key, d = bollard_place(fl)
        ts = (fl['pkts_toserver'], fl['bytes_toserver'])
        tc = (fl['pkts_toclient'], fl['bytes_toclient'])
        if key[1] == key[2]:
            v = (ts[0] + tc[0], ts[1] + tc[1], 0, 0)
        else:
            v = ts + tc if d == 0 else tc + ts
        actual[key] = vadd(actual.get(key, ZERO), v)
    return actual


def place_of(fr, decoded):
    return fr.alt if fr.enc is not None and fr.enc in decoded else fr.expect


def compare(frames, actual, decoded):
    """Expected against actual, Bollard decoding the encapsulations in `decoded`.

    Returns (diffs, kept): kept are the optional frames Bollard must have
    counted for its totals to match."""
    base, opt, members = {}, defaultdict(list), defaultdict(list)
    for fr in frames:
        place = place_of(fr, decoded)
        if place is None:
            continue
        members[place[0]].append(fr.num)
        if fr.optional:
            opt[place[0]].append((fr, vec(place, fr.length)))
        else:
            base[place[0]] = vadd(base.get(place[0], ZERO), vec(place, fr.length))
    diffs, kept = [], set()
    for key in sorted(set(base) | set(actual) | set(opt), key=repr):
        b, a, cands = base.get(key, ZERO), actual.get(key, ZERO), opt.get(key, [])
        idx = subset_sum([v for _, v in cands], vsub(a, b))
        if idx is None:
            for _, v in cands:
                b = vadd(b, v)
            diffs.append((key, b, a, members.get(key, []), len(cands)))
        else:
            kept.update(cands[i][0].num for i in idx)
    return diffs, kept


def check_file(path, bollard, tshark):
    res = {'path': path, 'status': 'FAIL', 'lines': [], 'explained': {}, 'enc': {}, 'note': ''}
    try:
        with tempfile.TemporaryDirectory(prefix='bld-e2e-') as tmp:
            brc, flows, summary, berr = run_bollard(bollard, path, tmp)
            if brc not in (0, 1):
                res['lines'].append('bollard exited %d: %s' % (brc, berr.strip()[-500:]))
                return res
            trc, rows, bad_rows, tables, terr = run_tshark(tshark, path, tmp)
    except subprocess.TimeoutExpired as e:
        res['lines'].append('timed out after %d s: %s' % (TOOL_TIMEOUT_S, ' '.join(e.cmd[:2])))
        return res
    if trc != 0 and not rows:
        res['lines'].append('tshark exited %d: %s' % (trc, terr.strip()[-500:]))
        return res
    if brc == 1 or trc != 0:
        # damaged file (e.g. cut short): both read up to the damage
        res['note'] = 'damaged input (bollard exit %d, tshark exit %d)' % (brc, trc)

    if bad_rows:
        res['lines'].append('TEST FAULT, not a Bollard finding: %d lines of tshark fields not understood' % bad_rows)
        return res
    frames = [analyse_frame(r) for r in rows]
    resolve_fragments(frames, rows)

    problems = self_check(frames, tables)
    if problems:
        res['lines'].append('TEST FAULT, not a Bollard finding: the tshark fields do not rebuild '
                            'tshark\'s conversation tables:')
        res['lines'] += ['  ' + p for p in problems[:10]]
        return res

    actual = sum_bollard(flows)

    # Which encapsulations does Bollard decode?  Try the combinations.
    encs = sorted(set(fr.enc for fr in frames if fr.enc))
    if len(encs) <= 6:
        choices = [frozenset(e for i, e in enumerate(encs) if mask >> i & 1) for mask in range(1 << len(encs))]
    else:
        choices = [frozenset(), frozenset(encs)]
    best = None
    for decoded in choices:
        diffs, kept = compare(frames, actual, decoded)
        if best is None or len(diffs) < len(best[1]):
            best = (decoded, diffs, kept)
        if not diffs:
            break
    decoded, diffs, kept = best
    for e in encs:
        # recorded when the answer is certain: the file agrees with it, not with the other
        if not diffs and compare(frames, actual, decoded ^ {e})[0]:
            res['enc'][e] = e in decoded

    explained = defaultdict(int)
    unexplained = []
    rejected = 0
    for fr in frames:
        place = place_of(fr, decoded)
        counted = place is not None and (not fr.optional or fr.num in kept)
        final = place if counted else None
        if (fr.optional and not counted) or (place is None and fr.rule in REJECT_RULES):
            rejected += 1
        if all(p == final for p in fr.tview) and (final is None or final in fr.tview):
            continue  # same as tshark
        if fr.optional and not counted:
            explained['bollard-malformed'] += 1
        elif fr.optional and not fr.tview:
            explained['tshark-malformed'] += 1
        elif fr.rule == 'encapsulation-not-decoded':
            explained['encapsulation-not-decoded (%s)' % fr.enc] += 1
        elif fr.rule:
            explained[fr.rule] += 1
        else:
            unexplained.append(fr.num)
    res['explained'] = dict(explained)

    lines = []
    for key, e, a, fnums, nopt in diffs[:20]:
        fl = ''
        if fnums:
            fl = '; frames %s%s' % (','.join(map(str, fnums[:12])), '...' if len(fnums) > 12 else '')
            if nopt:
                fl += ' (%d malformed per tshark, which Bollard may reject)' % nopt
        lines.append('%s: expected %s; bollard %s%s' % (key_str(key), fmt_counts(e), fmt_counts(a), fl))
    if len(diffs) > 20:
        lines.append('... and %d more conversations' % (len(diffs) - 20))
    dec_err = sum((summary.get('decode_errors') or {}).values())
    if rejected > dec_err:
        lines.append('%d frames expected rejected as malformed or unsupported, but Bollard counts '
                     '%d decode errors' % (rejected, dec_err))
    if unexplained:
        lines.append('TEST MODEL: %d frames expected elsewhere than tshark counts them with no rule '
                     'for it: frames %s' % (len(unexplained), ','.join(map(str, unexplained[:12]))))
    res['lines'] = lines
    res['status'] = 'FAIL' if lines else 'EXPLAINED' if explained else 'OK'
    return res


# ---------------------------------------------------------------------------
def find_captures(path):
    if os.path.isfile(path):
        return [path]
    out = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        out += [os.path.join(root, f) for f in sorted(files) if f.lower().endswith(CAPTURE_EXT)]
    return out


def main():
    ap = argparse.ArgumentParser(description='Bollard\'s flows agree with tshark\'s conversation tables.')
    ap.add_argument('captures', nargs='*', metavar='CAPTURE',
                    help='capture files or directories, searched recursively for *.pcap, *.pcapng, *.cap '
                         '(default: ../shared/pcaps and tests/fixtures/scenario)')
    ap.add_argument('--bollard', default=os.path.join(REPO, 'build', 'dataplane', 'bollard'),
                    help='bollard program (default: build/dataplane/bollard in the repo)')
    ap.add_argument('--tshark', default='tshark', help='tshark program (default: tshark)')
    ap.add_argument('--jobs', '-j', type=int, default=os.cpu_count() or 2,
                    help='captures checked in parallel (default: number of CPUs)')
    ap.add_argument('--list-only-failures', action='store_true', help='print only the files that fail')
    args = ap.parse_args()

    if not os.access(args.bollard, os.X_OK):
        print('error: no bollard program at %s (build it: ninja -C build)' % args.bollard, file=sys.stderr)
        return 2
    skipped = 0
    files = []
    if args.captures:
        for c in args.captures:
            if not os.path.exists(c):
                print('error: %s: no such file or directory' % c, file=sys.stderr)
                return 2
            found = find_captures(c)
            if not found:
                print('SKIPPED   %s: no captures in it' % c)
                skipped += 1
            files += found
    else:
        shared = os.path.normpath(os.path.join(REPO, '..', 'shared', 'pcaps'))
        if os.path.isdir(shared):
            files += find_captures(shared)
        else:
            print('SKIPPED   %s: not present, the public captures were not checked' % shared)
            skipped += 1
        scen = os.path.join(REPO, 'tests', 'fixtures', 'scenario')
        found = find_captures(scen) if os.path.isdir(scen) else []
        if not found:
            print('SKIPPED   %s: no captures in it yet' % scen)
            skipped += 1
        files += found
    if not shutil.which(args.tshark):
        print('SKIPPED   all %d captures: tshark not found' % len(files))
        print('0 passed, 0 failed, %d skipped' % (skipped + len(files)))
        return 0
    ver = subprocess.run([args.tshark, '-v'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         errors='replace').stdout.split('\n')[0]
    if ' 4.0.' not in ver:
        print('note: written for tshark 4.0, this is "%s"; the self-check shows whether its tables differ' % ver)

    files.sort(key=lambda f: -os.path.getsize(f))  # biggest first: the workers end together
    results = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {ex.submit(check_file, f, args.bollard, args.tshark): f for f in files}
        for fut in concurrent.futures.as_completed(futs):
            try:
                results.append(fut.result())
            except Exception as e:  # the test itself broke on this file
                results.append({'path': futs[fut], 'status': 'FAIL', 'lines': ['TEST CRASHED: %r' % e],
                                'explained': {}, 'enc': {}, 'note': ''})

    # An encapsulation is decoded in every capture or in none.
    by_enc = defaultdict(lambda: defaultdict(list))
    for r in results:
        for e, dec in r['enc'].items():
            by_enc[e][dec].append(r['path'])
    for e, by in by_enc.items():
        if by[True] and by[False]:
            for r in results:
                if r['path'] in by[True]:
                    r['status'] = 'FAIL'
                    r['lines'].append('Bollard decodes %s here but not in %s (and %d more)'
                                      % (e, os.path.relpath(by[False][0]), len(by[False]) - 1))

    results.sort(key=lambda r: r['path'])
    passed = failed = 0
    for r in results:
        rel = os.path.relpath(r['path'])
        note = ' [%s]' % r['note'] if r['note'] else ''
        if r['status'] == 'FAIL':
            failed += 1
            print('FAIL      %s%s' % (rel, note))
            for line in r['lines']:
                print('    ' + line)
            continue
        passed += 1
        if args.list_only_failures:
            continue
        if r['status'] == 'OK':
            print('OK        %s%s' % (rel, note))
        else:
            print('EXPLAINED %s%s: %s' % (rel, note, ', '.join(
                '%s %d frames' % kv for kv in sorted(r['explained'].items()))))
    if by_enc and not args.list_only_failures:
        yes = sorted(e for e, by in by_enc.items() if by[True] and not by[False])
        no = sorted(e for e, by in by_enc.items() if by[False] and not by[True])
        print('encapsulations Bollard decodes: %s; does not: %s' % (', '.join(yes) or '-', ', '.join(no) or '-'))
    tail = '%d passed, %d failed' % (passed, failed)
    if skipped:
        tail += ', %d skipped' % skipped
    print(tail)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
