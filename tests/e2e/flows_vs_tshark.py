#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
End-to-end test: Bollard's flows agree with tshark's conversation tables.

For every capture, `bollard read --flows` is compared with what tshark 4.0
dissects, conversation by conversation (unordered address/port pair per L4
protocol, summed over all Bollard flows of the pair, since tshark has no
timeouts and no VLAN in its conversation key), packets and bytes (wire
lengths) per direction.

How the tshark side is computed
-------------------------------
tshark's `-z conv,tcp -z conv,udp` tables print byte counts with units
("77 kB"), so they cannot be compared exactly.  The test therefore asks tshark
for per-frame fields (`-T fields`: frame length, protocol stack, addresses,
ports, fragment reassembly, malformation marks) in the same run that prints
the conversation tables, rebuilds the tables from those fields, and first
checks the rebuilt TCP/UDP tables against tshark's own (frame counts exactly,
byte counts exactly where tshark prints "bytes", within rounding where it
prints kB/MB).  A disagreement there is a fault of this test (or of tshark),
reported as such, never blamed on Bollard.

The same fields also give every frame that is not TCP/UDP a conversation the
way tshark's `conv,ip` / `conv,ipv6` / `conv,eth` tables would: ICMP and other
IP protocols by address pair and protocol number, non-IP frames by MAC pair
and ethertype.  So every frame of the capture is accounted for, not only TCP
and UDP.

Then each frame is mapped to the conversation Bollard is expected to count it
in.  Where that differs from tshark's conversation the difference is
explained by one of the RULES below, each documented with why.  Any
difference between Bollard's flows and these expectations that no rule
explains is a failure, listed with the conversation, the expected and the
actual counts, and the frame numbers involved.

Usage:  tests/e2e/flows_vs_tshark.py [--bollard PATH] [--jobs N]
                                     [--list-only-failures] [CAPTURE|DIR ...]
Without CAPTURE arguments: ../shared/pcaps (relative to the repo root; skipped,
and counted as skipped, when missing) and tests/fixtures/scenario.
Exit status 0 when nothing failed, 1 otherwise, 2 on usage errors.
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
import time
from collections import defaultdict

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CAPTURE_EXT = ('.pcap', '.pcapng', '.cap')

# ---------------------------------------------------------------------------
# Rules: every kind of expected difference between tshark's conversation
# tables and Bollard's flows.  The key is what the per-file line prints.
# ---------------------------------------------------------------------------
RULES = {
    'ip-fragments':
        'IP fragments: tshark reassembles and counts only the frame that '
        'completes the datagram in the TCP/UDP conversation (the other '
        'fragments are "ip:data"); Bollard counts the reassembled datagram '
        'as all its fragment frames (packets and wire bytes), by design.  The '
        'test moves every fragment to the conversation of the frame that '
        'tshark names in ip.reassembled_in / ipv6.reassembled.in.',
    'fragments-unreassembled':
        'Fragments of a datagram that never completes (missing fragments): '
        'tshark shows them as IP data only (no TCP/UDP conversation); '
        'Bollard cannot know the ports either and drops them when the '
        'reassembly times out (counted in frag.timeout), so they are in no '
        'flow.  Both agree there is no TCP/UDP conversation; the test only '
        'does not expect an IP-level flow for them.',
    'encapsulation-not-decoded':
        'Encapsulations Bollard does not look through (tunnels such as '
        'IP-in-IP/6in4, GRE, VXLAN, Teredo; link-level ones such as MPLS, '
        'PPPoE): tshark counts the inner TCP/UDP conversation, Bollard counts '
        'the frame in the flow of the outer header it decodes (the outer IP '
        'protocol, the outer UDP port pair, or an L2 flow with the outer '
        'ethertype).  Which encapsulations Bollard decodes is found per file '
        '(both hypotheses are tried) and must be the same in every file: a '
        'capture where Bollard decodes an encapsulation and another where it '
        'does not is a failure.',
    'fragment-timeout':
        'Fragments of one datagram spread over 30 s or more (from the first '
        'fragment): tshark reassembles them whatever the delay; Bollard\'s '
        'reassembler gives the datagram up after 30 s (frag.timeout, like '
        'Linux ipfrag_time, RFC 791 suggests 15 s), so the frames are in no '
        'flow.',
    'ipv6-fragment-overlap':
        'IPv6 fragments that overlap (other than exact duplicates): RFC 5722 '
        'and RFC 8200 section 4.5 require the whole datagram to be discarded; '
        'Bollard does (frag.overlap), tshark reassembles it.',
    'ipv6-too-many-exthdrs':
        'IPv6 packets with more than 8 extension headers: Bollard stops '
        '(ipv6.exthdr_too_many), a chain that long being evasion or garbage '
        '(Suricata has a similar bound); tshark walks the whole chain.',
    'vlan-too-deep':
        'Frames with more than two VLAN tags: Bollard keeps two (QinQ) and '
        'rejects deeper stacks (vlan.too_deep); tshark decodes any depth.',
    'bollard-malformed':
        'Frames whose headers Bollard finds malformed or cut short by the '
        'snap length before the end of the L4 header (IPv4 header length '
        'beyond the captured bytes, TCP data offset beyond the segment, '
        'truncated VLAN/PPPoE/IPv6 extension headers, more than two VLAN '
        'tags): Bollard counts them in decode_errors and in no flow.  tshark '
        'still attributes some of them, when it could read the addresses and '
        'ports before the damage.  Only frames that tshark itself marks as '
        'malformed or short (or that are shorter than the headers Bollard '
        'needs) are explained this way, and their number must not exceed '
        'the decode errors in Bollard\'s JSON summary.',
    'link-not-decoded':
        'Link-layer types Bollard does not decode (only Ethernet, Linux SLL '
        'and SLL2, BSD NULL/LOOP and raw IP are): Bollard counts these frames '
        'under link.unsupported and in no flow.',
    'l2-802.3-length':
        'IEEE 802.3 frames (length field instead of an ethertype, e.g. '
        'LLC/STP, CDP): tshark keys them by MAC pair only; the test accepts '
        'any Bollard L2 flow ethertype below 0x0600 for them and sums those '
        'flows per MAC pair (Bollard currently reports the 802.3 length field '
        'as the "ethertype", see the report).',
}

# ---------------------------------------------------------------------------
# tshark fields
# ---------------------------------------------------------------------------
FIELDS = [
    'frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.encap_type', 'frame.protocols',
    'eth.src', 'eth.dst', 'isl.src', 'isl.dst', 'eth.type', 'eth.len', 'vlan.id', 'vlan.etype', 'vlan.len', 'sll.etype',
    'ip.src', 'ip.dst', 'ip.id', 'ip.proto', 'ip.hdr_len', 'ip.len', 'ip.flags.mf', 'ip.frag_offset',
    'ip.reassembled_in', 'ip.fragment',
    'ipv6.src', 'ipv6.dst', 'ipv6.nxt', 'ipv6.plen', 'ipv6.fraghdr.offset', 'ipv6.fraghdr.more',
    'ipv6.fraghdr.ident',
    'ipv6.reassembled.in', 'ipv6.fragment',
    'tcp.srcport', 'tcp.dstport', 'tcp.hdr_len', 'udp.srcport', 'udp.dstport', 'udp.length',
    'sctp.srcport', 'sctp.dstport',
    '_ws.malformed', '_ws.short',
]
FI = {name: i for i, name in enumerate(FIELDS)}
AGG = ';'

# Protocol layer names (as in frame.protocols) that carry an IP protocol number.
LAYER_PROTO = {
    'tcp': 6, 'udp': 17, 'icmp': 1, 'icmpv6': 58, 'sctp': 132, 'igmp': 2, 'gre': 47,
    'esp': 50, 'ah': 51, 'ipv6': 41, 'ip': 4, 'ospf': 89, 'pim': 103, 'vrrp': 112,
    'l2tp': 115, 'etherip': 97, 'udplite': 136, 'dccp': 33, 'rsvp': 46, 'eigrp': 88,
    'carp': 112, 'ipcomp': 108,
}
IPV6_EXT = {'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts', 'ipv6.shim6',
            'mipv6', 'ah'}
VLAN_LAYERS = {'vlan', 'ieee8021ad'}
LINK_LAYERS = {'eth', 'sll', 'null', 'raw', 'ip', 'ipv6'}
PORT_PROTOS = {6: 'tcp', 17: 'udp', 132: 'sctp'}
# Bollard gives up on a longer IPv6 extension header chain (dataplane/decode.c
# IPV6_MAX_EXTHDRS, as Suricata does): evasion or garbage.
IPV6_MAX_EXTHDRS = 8
# Rules under which Bollard rejects the frame and counts a decode error.
REJECT_RULES = ('bollard-malformed', 'link-not-decoded', 'vlan-too-deep', 'ipv6-too-many-exthdrs')
L4_NAMES = {'tcp': 6, 'udp': 17, 'icmp': 1, 'icmpv6': 58, 'sctp': 132}
ZERO_MAC = '00:00:00:00:00:00'


def norm_ip(s):
    try:
        return ipaddress.ip_address(s).compressed
    except ValueError:
        return s


def canon(proto, a, b):
    """Canonical conversation key and whether the sender (a) is side 0."""
    if a <= b:
        return (proto, a, b), 0
    return (proto, b, a), 1


def key_str(key):
    proto, a, b = key
    def ep(e):
        addr, port = e
        if port is None:
            return addr
        if ':' in addr:
            return '[%s]:%s' % (addr, port)
        return '%s:%s' % (addr, port)
    if isinstance(proto, str) and proto.startswith('l2'):
        return '%s %s <-> %s' % (proto, ep(a), ep(b))
    name = PORT_PROTOS.get(proto) or {1: 'icmp', 58: 'icmpv6'}.get(proto) or 'ip-proto %s' % proto
    return '%s %s <-> %s' % (name, ep(a), ep(b))


# ---------------------------------------------------------------------------
# Per-frame model
# ---------------------------------------------------------------------------
class Frame:
    __slots__ = ('num', 'length', 'caplen', 'tshark', 'tview', 'expect', 'alt', 'enc', 'rule', 'why',
                 'optional')

    def __init__(self, num, length, caplen):
        self.num = num
        self.length = length
        self.caplen = caplen
        self.tshark = []     # [(key, dir)] conversations tshark's conv,tcp/udp tables count
        self.tview = []      # the same, or for other frames the IP / Ethernet conversation
        self.expect = None   # (key, dir) Bollard is expected to count this frame in, or None
        self.alt = None      # (key, dir) when an encapsulation is decoded (hypothesis)
        self.enc = None      # encapsulation class name when alt applies
        self.rule = None     # rule explaining why expect differs from tshark's view
        self.why = ''
        self.optional = False  # tshark marks it malformed/short: Bollard may reject it


def vals(row, name):
    v = row[FI[name]]
    return v.split(AGG) if v else []


def first_int(lst, idx=0, default=None):
    try:
        return int(lst[idx], 0)
    except (IndexError, ValueError):
        return default


class Occ:
    """Occurrence counters: the n-th 'ip' layer uses the n-th ip.* values."""

    def __init__(self):
        self.n = defaultdict(int)

    def take(self, layer):
        i = self.n[layer]
        self.n[layer] += 1
        return i


def ip_endpoints(row, layer, i):
    if layer == 'ip':
        s, d = vals(row, 'ip.src'), vals(row, 'ip.dst')
    else:
        s, d = vals(row, 'ipv6.src'), vals(row, 'ipv6.dst')
    if i < len(s) and i < len(d):
        return norm_ip(s[i]), norm_ip(d[i])
    return None


def l4_ports(row, proto_name, i):
    s, d = vals(row, proto_name + '.srcport'), vals(row, proto_name + '.dstport')
    if i < len(s) and i < len(d):
        return int(s[i]), int(d[i])
    return None


# Short names tshark prints in "[Malformed Packet: X]" / "[Packet size limited
# during capture: X truncated]" for the headers Bollard decodes.
HEADER_LABELS = ('Ethernet', 'VLAN', 'IEEE 802.1ad', 'PPPoES', 'PPP', 'SLL', 'NULL', 'Raw',
                 'IPv4', 'IPv6', 'TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP')


def exception_labels(row):
    """Protocols in which tshark's dissection raised an exception."""
    out = []
    for f in ('_ws.malformed', '_ws.short'):
        for v in vals(row, f):
            m = re.match(r'\[(?:Malformed Packet|Packet size limited during capture): (.*?)(?: truncated)?\]$', v)
            if m:
                out.append(m.group(1))
    return out


def header_exception(row, proto_label):
    """tshark raised an exception inside this protocol's own dissector."""
    return proto_label in exception_labels(row)


def bogus_l4(row, layer, i):
    """A TCP data offset below 20 or a UDP length below 8: tshark stops before
    its conversation tap ("Bogus TCP header length", "Bad length value"), and
    Bollard rejects the frame (tcp.bad_header_length, udp.bad_length)."""
    if layer == 'tcp':
        hl = first_int(vals(row, 'tcp.hdr_len'), i)
        return hl is not None and hl < 20
    if layer == 'udp':
        ul = first_int(vals(row, 'udp.length'), i)
        return ul is not None and ul < 8 and ul != 0
    return False


def tshark_flags(row):
    """tshark found the headers Bollard decodes malformed or cut short."""
    return any(lab in HEADER_LABELS or lab.startswith('IPv6') for lab in exception_labels(row))


def analyse_frame(row):
    """Build the Frame: tshark's conversations and Bollard's expected one."""
    fr = Frame(int(row[FI['frame.number']]), int(row[FI['frame.len']]), int(row[FI['frame.cap_len']]))
    layers = row[FI['frame.protocols']].split(':') if row[FI['frame.protocols']] else []
    occ = Occ()

    # --- tshark's conv,tcp / conv,udp view: every TCP/UDP header with the
    # nearest enclosing IP header, except inside ICMP errors (tshark does not
    # tap quoted headers) and except headers whose own dissection raised an
    # exception (the tap is queued after the header is parsed).
    cur_ip = None
    in_icmp = False
    for layer in layers:
        if layer in ('ip', 'ipv6'):
            i = occ.take(layer)
            if not in_icmp:
                cur_ip = ip_endpoints(row, layer, i)
        elif layer in ('tcp', 'udp'):
            i = occ.take(layer)
            if in_icmp or cur_ip is None:
                continue
            if header_exception(row, layer.upper()) or bogus_l4(row, layer, i):
                continue
            ports = l4_ports(row, layer, i)
            if ports is None:
                continue
            fr.tshark.append(canon(L4_NAMES[layer], (cur_ip[0], ports[0]), (cur_ip[1], ports[1])))
        elif layer in ('icmp', 'icmpv6'):
            in_icmp = True

    # --- Bollard's expected view.
    expect_frame(fr, row, layers)
    fr.optional = tshark_flags(row) and fr.expect is not None
    if fr.tshark:
        fr.tview = list(fr.tshark)
    elif fr.enc:
        fr.tview = [fr.alt] if fr.alt else []
    elif fr.expect is not None and not (fr.expect[0][0] in (6, 17) and fr.expect[0][1][1] is not None):
        fr.tview = [fr.expect]  # no TCP/UDP header: tshark's IP or Ethernet conversation
    return fr


def l2_key(row, src_mac, dst_mac, ethertype_class):
    return canon('l2 ' + ethertype_class, (src_mac, None), (dst_mac, None))


def ethertype_class(value):
    if value is None:
        return '?'
    if value < 0x600:
        return '802.3'
    return '0x%04x' % value


def expect_frame(fr, row, layers):
    if not layers:
        fr.rule, fr.why = 'link-not-decoded', 'no dissection'
        return
    link = layers[0]
    if link == 'eth' and layers[1:2] == ['eth']:
        # Cisco ISL: tshark puts the ISL header (with its own MACs) before the
        # inner Ethernet frame; Bollard sees an 802.3 frame of the ISL MACs.
        expect_frame(fr, row, layers[1:])
        s, d = vals(row, 'isl.src'), vals(row, 'isl.dst')
        fr.alt, fr.enc, fr.rule = fr.expect, 'isl', 'encapsulation-not-decoded'
        fr.expect = l2_key(row, s[0], d[0], '802.3') if s and d else None
        return
    pos = 1
    src_mac = dst_mac = ZERO_MAC
    ethertype = None
    n_vlan = 0
    if link == 'eth':
        s, d = vals(row, 'eth.src'), vals(row, 'eth.dst')
        if not s or not d:
            fr.rule, fr.why = 'bollard-malformed', 'Ethernet header incomplete'
            return
        src_mac, dst_mac = s[0], d[0]
        et = first_int(vals(row, 'eth.type'))
        if et is None:
            et = first_int(vals(row, 'eth.len'))
        ethertype = et
    elif link == 'sll':
        ethertype = first_int(vals(row, 'sll.etype'))
    elif link in ('null', 'raw'):
        pass
    elif link in ('ip', 'ipv6'):
        pos = 0
    else:
        fr.rule, fr.why = 'link-not-decoded', 'link layer %s' % link
        return

    # VLAN tags and ethertype
    vlan_etypes = vals(row, 'vlan.etype')
    vlan_lens = vals(row, 'vlan.len')
    while pos < len(layers) and (layers[pos] == 'ethertype' or layers[pos] in VLAN_LAYERS):
        if layers[pos] in VLAN_LAYERS:
            if n_vlan < len(vlan_etypes):
                ethertype = first_int(vlan_etypes, n_vlan)
            elif n_vlan < len(vlan_lens):
                ethertype = first_int(vlan_lens, n_vlan)
            n_vlan += 1
        pos += 1
    if n_vlan > 2:
        fr.rule, fr.why = 'vlan-too-deep', 'more than two VLAN tags'
        return

    rest = layers[pos:]
    # Link-level encapsulation before IP (PPPoE, MPLS...): hypothesis.
    enc = []
    j = 0
    while j < len(rest) and rest[j] not in ('ip', 'ipv6'):
        enc.append(rest[j])
        j += 1
    has_ip = j < len(rest)
    l2 = l2_key(row, src_mac, dst_mac, ethertype_class(ethertype)) if link in ('eth', 'sll') else None
    if not has_ip:
        if l2 is None:
            fr.rule, fr.why = 'bollard-malformed', 'no IP after %s' % link
            return
        fr.expect = l2
        return
    if enc and link in ('eth', 'sll'):
        # Bollard may or may not look through this encapsulation.
        inner = ip_expect(fr, row, rest[j:], Occ())
        fr.enc = ':'.join(enc)
        fr.alt = inner
        fr.expect = l2
        fr.rule = 'encapsulation-not-decoded'
        return
    if enc:
        fr.rule, fr.why = 'link-not-decoded', 'link %s then %s' % (link, ':'.join(enc))
        return
    fr.expect = ip_expect(fr, row, rest[j:], Occ())


def ip_expect(fr, row, layers, occ):
    """Key of the outermost IP header (layers[0] is 'ip' or 'ipv6').

    When a tunnel follows (another IP or Ethernet header after the outer L4,
    not quoted by an ICMP error), Bollard is expected to count the outer
    header only; the inner conversation becomes the frame's alternative.
    """
    ipl = layers[0]
    i = occ.take(ipl)
    ep = ip_endpoints(row, ipl, i)
    if ep is None:
        # tshark could not read the addresses (IP version not matching the
        # ethertype, header cut short...): Bollard rejects such a header too.
        if fr.rule is None:
            fr.rule, fr.why = 'bollard-malformed', 'IP header unreadable'
        return None
    k = 1
    # IPv6 extension headers, and AH (RFC 4302) in IPv4 too: the ports follow.
    while k < len(layers) and (layers[k] in IPV6_EXT if ipl == 'ipv6' else layers[k] == 'ah'):
        k += 1
    if ipl == 'ipv6' and k - 1 > IPV6_MAX_EXTHDRS:
        if fr.rule is None:
            fr.rule, fr.why = 'ipv6-too-many-exthdrs', '%d extension headers' % (k - 1)
        return None
    nxt = layers[k] if k < len(layers) else None
    if ipl == 'ip':
        proto = first_int(vals(row, 'ip.proto'), i)
        if k > 1:
            proto = LAYER_PROTO.get(nxt) if nxt else None
    else:
        proto = LAYER_PROTO.get(nxt) if nxt else None
        if proto is None and k == 1:
            proto = first_int(vals(row, 'ipv6.nxt'), i)
    if proto in PORT_PROTOS and nxt == PORT_PROTOS[proto]:
        pn = PORT_PROTOS[proto]
        pi = occ.take(pn)
        ports = l4_ports(row, pn, pi)
        if ports is None:
            return None
        if bogus_l4(row, pn, pi):
            fr.rule, fr.why = 'bollard-malformed', 'bogus %s header' % pn
            return None
        outer = canon(proto, (ep[0], ports[0]), (ep[1], ports[1]))
    else:
        outer = canon(proto, (ep[0], None), (ep[1], None))
    if nxt in ('icmp', 'icmpv6'):
        return outer
    for m in range(k, len(layers)):
        if layers[m] in ('icmp', 'icmpv6'):
            break
        if layers[m] in ('ip', 'ipv6', 'eth'):
            # skip to the inner IP header
            n = m
            while n < len(layers) and layers[n] not in ('ip', 'ipv6'):
                n += 1
            if n < len(layers) and fr.enc is None:
                # occurrences of the layers between (e.g. an outer UDP of VXLAN) are taken
                for lay in layers[k:n]:
                    if lay in ('ip', 'ipv6', 'tcp', 'udp', 'sctp') and not (lay == PORT_PROTOS.get(proto) and lay == nxt and lay == layers[k]):
                        occ.take(lay)
                inner = ip_expect(fr, row, layers[n:], occ)
                fr.enc = ':'.join(x for x in layers[k:m] if x != 'ethertype') or 'ip-in-ip'
                fr.alt = inner
                fr.rule = 'encapsulation-not-decoded'
            break
    return outer


# ---------------------------------------------------------------------------
# Running the tools
# ---------------------------------------------------------------------------
def run_tshark(tshark, path):
    cmd = [tshark, '-n', '-r', path, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=' + AGG,
           '-E', 'separator=/t', '-E', 'quote=n']
    for f in FIELDS:
        cmd += ['-e', f]
    cmd += ['-z', 'conv,tcp', '-z', 'conv,udp']
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, errors='replace')
    rows, tables = [], {}
    lines = p.stdout.split('\n')
    n = 0
    while n < len(lines) and not lines[n].startswith('====='):
        if lines[n]:
            rows.append(lines[n].split('\t'))
        n += 1
    tables = parse_conv_tables(lines[n:])
    return p.returncode, rows, tables, p.stderr


CONV_RE = re.compile(r'^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)\s+')
UNIT = {'bytes': 1, 'kB': 1000, 'MB': 1000 ** 2, 'GB': 1000 ** 3}


def split_ep(s):
    addr, _, port = s.rpartition(':')
    return norm_ip(addr), int(port)


def parse_conv_tables(lines):
    tables = {}
    cur = None
    for line in lines:
        if line.startswith('TCP Conversations'):
            cur = tables.setdefault(6, {})
        elif line.startswith('UDP Conversations'):
            cur = tables.setdefault(17, {})
        elif cur is not None:
            m = CONV_RE.match(line)
            if not m:
                continue
            a, b = split_ep(m.group(1)), split_ep(m.group(2))
            # columns: "<-" is B->A, "->" is A->B
            b2a = (int(m.group(3)), int(m.group(4)), m.group(5))
            a2b = (int(m.group(6)), int(m.group(7)), m.group(8))
            proto = 6 if cur is tables.get(6) else 17
            key, d = canon(proto, a, b)
            ent = cur.setdefault(key, [])
            ent.append((a2b, b2a) if d == 0 else (b2a, a2b))
    return tables


def run_bollard(bollard, path, tmpdir):
    flows_path = os.path.join(tmpdir, 'flows.jsonl')
    cmd = [bollard, 'read', '--no-progress', '--json-summary', '--flows', flows_path, path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, errors='replace')
    flows = []
    if os.path.exists(flows_path):
        with open(flows_path) as f:
            for line in f:
                line = line.strip()
                if line:
                    flows.append(json.loads(line))
    try:
        summary = json.loads(p.stdout) if p.stdout.strip() else {}
    except json.JSONDecodeError:
        summary = {}
    return p.returncode, flows, summary, p.stderr


def bollard_key(fl):
    l4 = fl['l4']
    if l4 == 'l2':
        et = int(fl.get('ethertype', '0'), 16)
        a, b = (fl['src_mac'], None), (fl['dst_mac'], None)
        return canon('l2 ' + ethertype_class(et), a, b)
    proto = L4_NAMES.get(l4)
    if proto is None:
        proto = int(l4)
    if 'src_port' in fl:
        a = (norm_ip(fl['src_ip']), fl['src_port'])
        b = (norm_ip(fl['dst_ip']), fl['dst_port'])
    else:
        a, b = (norm_ip(fl['src_ip']), None), (norm_ip(fl['dst_ip']), None)
    return canon(proto, a, b)


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------
ZERO = (0, 0, 0, 0)


def vec(kd, length):
    """Counts of one frame in its conversation, as (pkts, bytes) per direction."""
    key, d = kd
    if key[1] == key[2]:
        d = 0  # both ends equal: direction is not defined
    return (1, length, 0, 0) if d == 0 else (0, 0, 1, length)


def vadd(a, b):
    return tuple(x + y for x, y in zip(a, b))


def vsub(a, b):
    return tuple(x - y for x, y in zip(a, b))


def fmt_counts(c):
    return '%d pkts %d B one way, %d pkts %d B back' % tuple(c)


def subset_sum(cands, need, limit=1 << 16):
    """Indices of a subset of the vectors cands summing to need, or None."""
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
    return reach.get(tuple(need))


# Bollard's reassembly timeout (dataplane/ipfrag.h BLD_IPFRAG_DEFAULT_TIMEOUT_NS),
# measured from the first fragment seen, like Linux ipfrag_time.
FRAG_TIMEOUT_S = 30.0


def outer_fragment(row):
    """(key, offset, length) when the outermost IP header is a (non-atomic)
    fragment, else None.  key is Bollard's reassembly key: (version, src,
    dst, id, protocol) for IPv4, (version, src, dst, id) for IPv6."""
    layers = row[FI['frame.protocols']].split(':')
    first_ip = next((l for l in layers if l in ('ip', 'ipv6')), None)
    if first_ip == 'ip':
        mf = first_int(vals(row, 'ip.flags.mf'), 0, 0)
        off = first_int(vals(row, 'ip.frag_offset'), 0, 0)
        if not (mf or off):
            return None
        src, dst = vals(row, 'ip.src'), vals(row, 'ip.dst')
        tl, hl = first_int(vals(row, 'ip.len')), first_int(vals(row, 'ip.hdr_len'))
        dlen = tl - hl if tl is not None and hl is not None else None
        return (4, tuple(src[:1]), tuple(dst[:1]), tuple(vals(row, 'ip.id')[:1]), tuple(vals(row, 'ip.proto')[:1])), (off * 8, mf), dlen
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
        # fragment data length: payload length less the Fragment header;
        # unknown when other extension headers precede it
        dlen = plen - 8 if j == i + 1 else None
        src, dst = vals(row, 'ipv6.src'), vals(row, 'ipv6.dst')
        return (6, tuple(src[:1]), tuple(dst[:1]), tuple(vals(row, 'ipv6.fraghdr.ident')[:1])), (off * 8, more), dlen
    return None


def v6_overlap(parts):
    """Fragments that overlap without being exact duplicates (RFC 5722)."""
    seen = set()
    spans = []
    for (off, _), dlen in parts:
        if dlen is None:
            return False
        if (off, dlen) in seen:
            continue  # an exact duplicate: Bollard keeps the datagram
        seen.add((off, dlen))
        spans.append((off, off + dlen))
    spans.sort()
    return any(spans[n + 1][0] < spans[n][1] for n in range(len(spans) - 1))


def complete(parts):
    """Do these fragments cover their datagram from offset 0 to the last one?"""
    end = None
    spans = []
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
    """Attribute every fragment frame the way Bollard's reassembler does.

    Fragments are grouped by Bollard's reassembly key in capture order; a
    group ends at the frame where tshark completed the datagram (it carries
    ip.fragment / ipv6.fragment), and every frame of the group is counted in
    that frame's conversation.  tshark's own fragment list is not used for
    membership because it leaves out fragments whose overlapping bytes
    conflict (Bollard, first copy wins, counts them).
    """
    open_groups = {}   # key -> [first_time, [(frame, (offset, more), data_len)]]
    timed_out = set()  # keys of which Bollard gave a datagram up

    def settle(group, target, rule):
        for fr, _, _ in group:
            if target is None:
                fr.expect, fr.alt, fr.enc, fr.optional = None, None, None, False
            elif fr is not target:
                fr.expect, fr.alt, fr.enc, fr.optional = target.expect, target.alt, target.enc, target.optional
            if fr is not target:
                fr.rule = rule

    for fr, row in zip(frames, rows):
        frag = outer_fragment(row)
        if frag is None:
            continue
        key, pos, dlen = frag
        t = float(row[FI['frame.time_epoch']] or 0)
        g = open_groups.get(key)
        if g is not None and t - g[0] >= FRAG_TIMEOUT_S:
            # Bollard gives the datagram up 30 s after its first fragment
            settle(g[1], None, 'fragment-timeout')
            timed_out.add(key)
            g = None
        if g is None:
            g = open_groups[key] = [t, []]
        g[1].append((fr, pos, dlen))
        if vals(row, 'ip.fragment') or vals(row, 'ipv6.fragment'):
            del open_groups[key]
            parts = [(p, d) for _, p, d in g[1]]
            if key[0] == 6 and v6_overlap(parts):
                settle(g[1], None, 'ipv6-fragment-overlap')
                fr.rule = 'ipv6-fragment-overlap'
            elif key in timed_out and not complete(parts):
                settle(g[1], None, 'fragment-timeout')
                fr.rule = 'fragment-timeout'
            else:
                settle(g[1], fr, 'ip-fragments')
    for key, g in open_groups.items():
        # Never completed for tshark either: no ports known; Bollard drops
        # the fragments when the datagram times out or the input ends.
        settle(g[1], None, 'fragment-timeout' if key in timed_out else 'fragments-unreassembled')


def self_check(frames, tables):
    """The TCP/UDP tables rebuilt from the fields must equal tshark's own."""
    rebuilt = {}
    for fr in frames:
        for kd in fr.tshark:
            rebuilt[kd[0]] = vadd(rebuilt.get(kd[0], ZERO), vec(kd, fr.length))
    problems = []
    for proto in (6, 17):
        tab = tables.get(proto, {})
        for key in set(k for k in rebuilt if k[0] == proto) | set(tab):
            mine = rebuilt.get(key, ZERO)
            theirs = tab.get(key)
            if not theirs:
                problems.append('%s: rebuilt %s, not in tshark\'s table' % (key_str(key), mine))
                continue
            pk = [sum(t[0][0] for t in theirs), sum(t[1][0] for t in theirs)]
            ok = True
            if key[1] == key[2]:
                ok = mine[0] == pk[0] + pk[1]
            else:
                ok = [mine[0], mine[2]] == pk
                if len(theirs) == 1:
                    for d, (n, v, unit) in enumerate(theirs[0]):
                        got = mine[2 * d + 1]
                        ok = ok and (got == v if unit == 'bytes' else abs(got / UNIT[unit] - v) <= 1)
            if not ok:
                problems.append('%s: rebuilt %s, tshark %s' % (key_str(key), mine, theirs))
    return problems


def sum_bollard(flows):
    actual = {}
    for fl in flows:
        key, d = bollard_key(fl)
        ts = (fl['pkts_toserver'], fl['bytes_toserver'])
        tc = (fl['pkts_toclient'], fl['bytes_toclient'])
        if key[1] == key[2]:
            v = (ts[0] + tc[0], ts[1] + tc[1], 0, 0)
        elif d == 0:
            v = ts + tc
        else:
            v = tc + ts
        actual[key] = vadd(actual.get(key, ZERO), v)
    return actual


def compare(frames, actual, decoded):
    """Expected vs actual per conversation under one encapsulation hypothesis.

    Returns (diffs, kept) where kept is the set of optional frames (marked
    malformed or short by tshark) that Bollard counted.
    """
    base, opt, members = {}, defaultdict(list), defaultdict(list)
    for fr in frames:
        kd = fr.alt if (fr.enc and fr.enc in decoded) else fr.expect
        if kd is None:
            continue
        members[kd[0]].append(fr.num)
        if fr.optional:
            opt[kd[0]].append((fr, vec(kd, fr.length)))
        else:
            base[kd[0]] = vadd(base.get(kd[0], ZERO), vec(kd, fr.length))
    diffs, kept = [], set()
    for key in sorted(set(base) | set(actual) | set(opt), key=repr):
        b = base.get(key, ZERO)
        a = actual.get(key, ZERO)
        cands = opt.get(key, [])
        if not cands:
            if a != b:
                diffs.append((key, b, a, members.get(key, []), 0))
            continue
        idx = subset_sum([v for _, v in cands], vsub(a, b))
        if idx is None:
            full = b
            for _, v in cands:
                full = vadd(full, v)
            diffs.append((key, full, a, members.get(key, []), len(cands)))
        else:
            kept.update(cands[i][0].num for i in idx)
    return diffs, kept


def check_file(path, bollard, tshark):
    t0 = time.time()
    res = {'path': path, 'status': 'FAIL', 'lines': [], 'explained': {}, 'enc_choice': {}}
    with tempfile.TemporaryDirectory(prefix='bld-e2e-') as tmp:
        brc, flows, summary, berr = run_bollard(bollard, path, tmp)
    if brc not in (0, 1):
        res['lines'].append('bollard exited %d: %s' % (brc, berr.strip()[-500:]))
        return res
    trc, rows, tables, terr = run_tshark(tshark, path)
    if not rows and trc != 0:
        res['lines'].append('tshark exited %d: %s' % (trc, terr.strip()[-500:]))
        return res

    frames = [analyse_frame(r) for r in rows]
    resolve_fragments(frames, rows)

    problems = self_check(frames, tables)
    if problems:
        res['lines'].append('TEST FAULT (not a Bollard finding): the fields do not rebuild tshark\'s '
                            'conversation tables: ' + '; '.join(problems[:5]))
        return res

    actual = sum_bollard(flows)

    # Which encapsulations does Bollard decode?  Try every combination.
    encs = sorted(set(fr.enc for fr in frames if fr.enc))
    if len(encs) <= 6:
        choices = [tuple(e for i, e in enumerate(encs) if mask >> i & 1) for mask in range(1 << len(encs))]
    else:
        choices = [(), tuple(encs)]
    best = None
    for decoded in choices:
        diffs, kept = compare(frames, actual, decoded)
        if best is None or len(diffs) < len(best[1]):
            best = (decoded, diffs, kept)
        if not diffs:
            break
    decoded, diffs, kept = best
    res['enc_choice'] = {e: e in decoded for e in encs}

    # Explained differences, per rule, and frames Bollard is expected to reject.
    explained = defaultdict(int)
    unexplained = []
    rejected = 0
    for fr in frames:
        kd = fr.alt if (fr.enc and fr.enc in decoded) else fr.expect
        counted = kd is not None and (not fr.optional or fr.num in kept)
        final = kd if counted else None
        if (fr.optional and not counted) or fr.rule in REJECT_RULES:
            rejected += 1
        # A difference with tshark: a conversation tshark counts the frame in
        # that Bollard does not, or the other way round.
        if all(k == final for k in fr.tview) and (final is None or final in fr.tview):
            continue
        if fr.optional and not counted:
            explained['bollard-malformed'] += 1
        elif fr.optional and counted and not fr.tview:
            explained['tshark-malformed'] += 1
        elif fr.rule == 'encapsulation-not-decoded':
            explained['encapsulation-not-decoded (%s)' % fr.enc] += 1
        elif fr.rule:
            explained[fr.rule] += 1
        else:
            unexplained.append(fr.num)
    dec_err = sum((summary.get('decode_errors') or {}).values())
    if rejected > dec_err:
        diffs.append((None, 'frames expected to be rejected as malformed: %d' % rejected,
                      'Bollard decode_errors: %d' % dec_err, [], 0))
    if unexplained:
        diffs.append((None, 'TEST MODEL: %d frames expected in a conversation other than tshark\'s with no '
                      'rule saying why (frames %s)' % (len(unexplained), ','.join(map(str, unexplained[:12]))),
                      None, [], 0))
    res['explained'] = dict(explained)

    if diffs:
        res['status'] = 'FAIL'
        for key, e, a, fnums, nopt in diffs[:20]:
            if key is None:
                res['lines'].append(e if a is None else '%s, but %s' % (e, a))
                continue
            fl = ''
            if fnums:
                fl = '; frames %s%s' % (','.join(map(str, fnums[:12])), '...' if len(fnums) > 12 else '')
            if nopt:
                fl += ' (%d of them malformed per tshark, may be rejected)' % nopt
            res['lines'].append('%s: expected %s; bollard %s%s' % (key_str(key), fmt_counts(e), fmt_counts(a), fl))
        if len(diffs) > 20:
            res['lines'].append('... and %d more conversations' % (len(diffs) - 20))
    elif explained:
        res['status'] = 'EXPLAINED'
    else:
        res['status'] = 'OK'
    if brc == 1:
        res['note'] = 'damaged input, both read up to the damage'
    res['secs'] = time.time() - t0
    return res


# ---------------------------------------------------------------------------
def find_captures(path):
    if os.path.isfile(path):
        return [path]
    out = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for f in sorted(files):
            if f.lower().endswith(CAPTURE_EXT):
                out.append(os.path.join(root, f))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('captures', nargs='*', help='capture files or directories (searched recursively)')
    ap.add_argument('--bollard', default=os.path.join(REPO, 'build', 'dataplane', 'bollard'))
    ap.add_argument('--tshark', default='tshark')
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    ap.add_argument('--list-only-failures', action='store_true', help='print only failing files')
    args = ap.parse_args()

    if not os.access(args.bollard, os.X_OK):
        print('error: bollard not found at %s (build it: ninja -C build)' % args.bollard, file=sys.stderr)
        return 2
    if not shutil.which(args.tshark):
        print('error: tshark not found', file=sys.stderr)
        return 2

    skipped = 0
    files = []
    if args.captures:
        for c in args.captures:
            if not os.path.exists(c):
                print('error: %s does not exist' % c, file=sys.stderr)
                return 2
            found = find_captures(c)
            if not found:
                print('SKIPPED %s: no *.pcap, *.pcapng or *.cap in it' % c)
                skipped += 1
            files += found
    else:
        shared = os.path.normpath(os.path.join(REPO, '..', 'shared', 'pcaps'))
        if os.path.isdir(shared):
            files += find_captures(shared)
        else:
            print('SKIPPED %s: not present (public captures, see DESIGN.md)' % shared)
            skipped += 1
        scen = os.path.join(REPO, 'tests', 'fixtures', 'scenario')
        found = find_captures(scen) if os.path.isdir(scen) else []
        if not found:
            print('SKIPPED %s: no captures yet' % os.path.relpath(scen, REPO))
            skipped += 1
        files += found

    # Biggest first, so that two workers finish at about the same time.
    files.sort(key=lambda f: -os.path.getsize(f))
    results = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {ex.submit(check_file, f, args.bollard, args.tshark): f for f in files}
        for fut in concurrent.futures.as_completed(futs):
            try:
                results.append(fut.result())
            except Exception as e:  # a crash of the test on one file is a failure of that file
                results.append({'path': futs[fut], 'status': 'FAIL', 'lines': ['test crashed: %r' % e],
                                'explained': {}, 'enc_choice': {}})

    # Decoding an encapsulation must not depend on the capture.
    enc_seen = defaultdict(lambda: defaultdict(list))
    for r in results:
        for e, dec in r.get('enc_choice', {}).items():
            enc_seen[e][dec].append(r['path'])
    for e, by in enc_seen.items():
        if len(by) > 1:
            for r in results:
                if r['path'] in by[True] and r['status'] != 'FAIL':
                    r['status'] = 'FAIL'
                    r['lines'].append('encapsulation %s decoded here but not in %s' % (e, by[False][0]))

    results.sort(key=lambda r: r['path'])
    passed = failed = 0
    for r in results:
        rel = os.path.relpath(r['path'])
        if r['status'] == 'FAIL':
            failed += 1
            print('FAIL %s' % rel)
            for line in r['lines']:
                print('    ' + line)
        else:
            passed += 1
            if args.list_only_failures:
                continue
            if r['status'] == 'OK':
                print('OK   %s' % rel)
            else:
                ex = ', '.join('%s: %d frames' % kv for kv in sorted(r['explained'].items()))
                print('OK   %s (explained differences: %s)' % (rel, ex))
    tail = '%d passed, %d failed' % (passed, failed)
    if skipped:
        tail += ', %d skipped' % skipped
    print(tail)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
