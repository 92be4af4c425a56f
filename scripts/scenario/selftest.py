"""--self-test: check-code test vectors, then an independent re-parse of
generated captures.

tshark 4.0 has no RaSTA, SCI or TRDP dissector, so these checks stand in for
it: they re-read the bytes on the wire (not the generator's own state) and
validate lengths, CRCs, MD4 safety codes, sequence numbers and channel
redundancy against the rules in reference/rail-protocols.md 1.7 and 3.5.
"""

import collections
import struct
import zlib

from . import net
from .port import crc_dnp
from .rail import (CONN_REQ, CONN_RESP, DATA, DISC_REQ, HB, MD4_IV, RETR_DATA, RETR_REQ,
                   RETR_RESP, crc32_opt_b, md4, redl, safretl)

# ------------------------------------------------------------ test vectors

def _h(s):
    return bytes.fromhex(s.replace(" ", ""))


VECTORS = []


def vector(fn):
    VECTORS.append(fn)
    return fn


@vector
def crc_option_b_check():
    """Option B check value over "123456789" (reference 1.2 table)."""
    return crc32_opt_b(b"123456789") == 0x0E7C650A


@vector
def md4_rfc1320():
    """RFC 1320 A.5 test suite."""
    suite = {b"": "31d6cfe0d16ae931b73c59d7e0c089c0",
             b"a": "bde52cb31de33e46245e05fbdbd6fb24",
             b"abc": "a448017aaf21d8525fc10ae87aa6729d",
             b"message digest": "d9130a8164549fe818874806e1c7014b",
             b"abcdefghijklmnopqrstuvwxyz": "d79e1c308aa5bbcdeea8ed63df412da9",
             b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789":
                 "043f8582f241db351ce627e153e7f0e4",
             b"1234567890" * 8: "e33b4ddc9c38f2199c3e7b164fcc0536"}
    return all(md4(k).hex() == v for k, v in suite.items())


@vector
def rasta_hb_reference():
    """Reference 1.9: HB 0x61 -> 0x60, SN 1, TS 1000, lower MD4; RedL SN 7, option B."""
    s = safretl(HB, 0x60, 0x61, 1, 0, 1000, 0)
    want_s = _h("24004c18 60000000 61000000 01000000 00000000 e8030000 00000000 a2a36df716b9a308")
    want_r = _h("30000000 07000000") + want_s + _h("8ef06e3b")
    return s == want_s and redl(7, s) == want_r and crc32_opt_b(want_r[:-4]) == 0x3B6EF08E


@vector
def rasta_hb_public_dump():
    """Lower-MD4 HB, default IV: rasta_from_standard.pcapng frame 2 (Railway-CCS)."""
    s = _h("24004c18 3fb49600 ceca2300 56443322 66554433 57010000 cb000000")
    return md4(s, MD4_IV)[:8] == _h("83f0d052406bf492")


@vector
def trdp_pd_reference():
    """Reference 3.4: PD comId 1000, seq 1, dataset deadbeef, FCS 0x8a405dc5 stored LE."""
    from .rail import trdp_pd
    want = _h("00000001 0100 5064 000003e8 00000000 00000000 00000004 00000000 00000000 "
              "00000000 c55d408a deadbeef")
    return trdp_pd(1, 1000, _h("deadbeef")) == want


@vector
def dnp3_crc_check():
    """CRC-16/DNP check value over "123456789" is 0xEA82."""
    return crc_dnp(b"123456789") == 0xEA82


@vector
def dnp3_header_example():
    """RESET_LINK_STATES header 05 64 05 C0 01 00 00 04 (dst 1, src 1024) has CRC E9 21."""
    return struct.pack("<H", crc_dnp(_h("056405c001000004"))) == _h("e921")


def run_vectors(out):
    ok = True
    for fn in VECTORS:
        res = bool(fn())
        ok &= res
        out("  %-24s %s  %s" % (fn.__name__, "ok  " if res else "FAIL", fn.__doc__.split("\n")[0]))
    return ok


# --------------------------------------------------------------- pcap input

def read_capture(path):
    """Classic pcap or pcapng -> [(linktype, data)] (enough for our own files)."""
    with open(path, "rb") as f:
        raw = f.read()
    magic = struct.unpack("<I", raw[:4])[0]
    out = []
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        lt = struct.unpack("<I", raw[20:24])[0]
        off = 24
        while off < len(raw):
            incl = struct.unpack("<I", raw[off + 8:off + 12])[0]
            out.append((lt, raw[off + 16:off + 16 + incl]))
            off += 16 + incl
        return out
    if magic == 0x0A0D0D0A:
        off, lts = 0, []
        while off < len(raw):
            btype, blen = struct.unpack("<II", raw[off:off + 8])
            if btype == 1:
                lts.append(struct.unpack("<H", raw[off + 8:off + 10])[0])
            elif btype == 6:
                iface, _, _, cap = struct.unpack("<IIII", raw[off + 8:off + 24])
                out.append((lts[iface], raw[off + 28:off + 28 + cap]))
            off += blen
        return out
    raise ValueError("%s: not a pcap/pcapng file" % path)


# ------------------------------------------------------------- re-parsing

RASTA_PORTS = {8888, 8889, 9998, 9999}
FIXED_LEN = {CONN_REQ: 42, CONN_RESP: 42, RETR_REQ: 28, RETR_RESP: 28, DISC_REQ: 32, HB: 28}
SCI_LEN = {(0x40, 0x0001): 44, (0x40, 0x000B): 45, (0x30, 0x0001): 52, (0x30, 0x0003): 61,
           (0x20, 0x0007): 50}
SCI_GENERIC_LEN = {0x0021: 43, 0x0022: 43, 0x0023: 43, 0x0024: 44, 0x0026: 43}


class Report:
    def __init__(self):
        self.errors = []
        self.anomalies = []
        self.stats = collections.Counter()

    def err(self, n, msg):
        if len(self.errors) < 50:
            self.errors.append("frame %d: %s" % (n, msg))
        self.stats["errors"] += 1


def _l3(frame):
    """Ethernet (+802.1Q/QinQ) -> (ethertype, l3 bytes)."""
    et, off = struct.unpack(">H", frame[12:14])[0], 14
    while et in (net.ETH_VLAN, net.ETH_QINQ):
        et, off = struct.unpack(">H", frame[off + 2:off + 4])[0], off + 4
    return et, frame[off:]


def verify_frames(frames):
    """Check every IPv4 frame's checksums and every RaSTA/TRDP/DNP3 payload."""
    r = Report()
    rasta = collections.defaultdict(list)      # (src ip, dst ip) -> [(n, sender, recv, fields)]
    sent_sn = collections.defaultdict(set)     # sender id -> SNs it sent
    sent_ts = collections.defaultdict(set)
    chan = {"a": collections.Counter(), "b": collections.Counter()}
    trdp_seq = {}
    for n, (lt, fr) in enumerate(frames, 1):
        if lt != 1 or len(fr) < 14:
            continue
        et, ip = _l3(fr)
        if et != net.ETH_IPV4:
            continue
        ihl = (ip[0] & 0x0F) * 4
        tot = struct.unpack(">H", ip[2:4])[0]
        if net.checksum(ip[:ihl]) != 0:
            r.err(n, "bad IPv4 header checksum")
        src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
        l4, proto = ip[ihl:tot], ip[9]
        if (struct.unpack(">H", ip[6:8])[0] & 0x3FFF) != 0:
            continue                                    # fragments: no L4 check
        pseudo = ip[12:20] + struct.pack(">BBH", 0, proto, len(l4))
        if proto in (net.PROTO_TCP, net.PROTO_UDP) and net.checksum(pseudo + l4) != 0:
            r.err(n, "bad %s checksum" % ("TCP" if proto == 6 else "UDP"))
        r.stats["ipv4"] += 1
        if proto == net.PROTO_UDP:
            sport, dport = struct.unpack(">HH", l4[:4])
            pl = l4[8:]
            if sport in RASTA_PORTS and dport in RASTA_PORTS:
                _rasta(r, n, src, dst, pl, rasta, sent_sn, sent_ts, chan)
            elif dport == 17224:
                _trdp(r, n, src, pl, trdp_seq)
        elif proto == net.PROTO_TCP:
            sport, dport = struct.unpack(">HH", l4[:4])
            pl = l4[(l4[12] >> 4) * 4:]
            if 20000 in (sport, dport) and pl:
                _dnp3(r, n, pl)
    # Sequence numbers: +1 per PDU on each flow; CS/CTS must echo what the peer sent.
    for key, pdus in rasta.items():
        for (n0, s0, _, f0), (n1, s1, _, f1) in zip(pdus, pdus[1:]):
            if (f1["sn"] - f0["sn"]) & 0xFFFFFFFF != 1:
                r.anomalies.append("frame %d: RaSTA SN %d after %d on %s->%s"
                                   % (n1, f1["sn"], f0["sn"], key[0], key[1]))
            if f1["red_sn"] - f0["red_sn"] != 1:
                r.anomalies.append("frame %d: RedL SN %d after %d on %s->%s"
                                   % (n1, f1["red_sn"], f0["red_sn"], key[0], key[1]))
        for n1, snd, rcv, f in pdus:
            if f["type"] == CONN_REQ:
                continue
            if f["cs"] not in sent_sn[rcv] or f["cts"] not in sent_ts[rcv]:
                r.anomalies.append("frame %d: CS/CTS not sent by peer 0x%x" % (n1, rcv))
    only_a = chan["a"] - chan["b"]
    only_b = chan["b"] - chan["a"]
    for pdu, cnt in list(only_a.items()) + list(only_b.items()):
        r.anomalies.append("RedL PDU seen on one transport channel only (%d time(s)), SafRetL "
                           "sender 0x%x" % (cnt, struct.unpack("<I", pdu[16:20])[0]))
    return r


def _rasta(r, n, src, dst, pl, flows, sent_sn, sent_ts, chan):
    r.stats["rasta"] += 1
    if len(pl) < 36:
        return r.err(n, "RaSTA PDU shorter than 36")
    rlen, reserve, red_sn = struct.unpack("<HHI", pl[:8])
    if rlen != len(pl) or reserve != 0:
        return r.err(n, "RedL length %d / reserve %d" % (rlen, reserve))
    if crc32_opt_b(pl[:-4]) != struct.unpack("<I", pl[-4:])[0]:
        return r.err(n, "RedL CRC (option B) mismatch")
    s = pl[8:-4]
    slen, mtype, recv, send, sn, cs, ts, cts = struct.unpack("<HHIIIIII", s[:28])
    if slen != len(s):
        return r.err(n, "SafRetL length %d != %d" % (slen, len(s)))
    if md4(s[:-8])[:8] != s[-8:]:
        return r.err(n, "MD4 safety code mismatch")
    body = s[28:-8]
    if mtype in FIXED_LEN:
        if len(body) != FIXED_LEN[mtype] - 28:
            return r.err(n, "type %d has %d data bytes" % (mtype, len(body)))
        if mtype in (CONN_REQ, CONN_RESP) and body[:4] != b"0303":
            r.err(n, "RaSTA version %r" % body[:4])
    elif mtype in (DATA, RETR_DATA):
        off = 0
        while off < len(body):
            (mlen,) = struct.unpack("<H", body[off:off + 2])
            tel = body[off + 2:off + 2 + mlen]
            if len(tel) != mlen:
                return r.err(n, "Data message overruns the PDU")
            _sci(r, n, tel)
            off += 2 + mlen
    else:
        return r.err(n, "unknown RaSTA message type %d" % mtype)
    r.stats["rasta_type_%d" % mtype] += 1
    chan["a" if src.startswith("10.20.0.") else "b"][pl] += 1
    fields = dict(sn=sn, red_sn=red_sn, cs=cs, cts=cts, type=mtype)
    flows[(src, dst)].append((n, send, recv, fields))
    sent_sn[send].add(sn)
    sent_ts[send].add(ts)


def _sci(r, n, tel):
    if len(tel) < 43:
        return r.err(n, "SCI telegram shorter than 43")
    proto, mtype = tel[0], struct.unpack("<H", tel[1:3])[0]
    want = SCI_GENERIC_LEN.get(mtype, SCI_LEN.get((proto, mtype)))
    if mtype == 0x0025:
        want = 46 + tel[45]
    if want is None:
        return r.err(n, "unknown SCI message 0x%02x/0x%04x" % (proto, mtype))
    if len(tel) != want:
        return r.err(n, "SCI 0x%02x/0x%04x length %d != %d" % (proto, mtype, len(tel), want))
    for name in (tel[3:23], tel[23:43]):
        core = name.rstrip(b"_")
        if not core or not all(0x21 <= c < 0x7F for c in core):
            r.err(n, "SCI identifier %r" % name)
    r.stats["sci"] += 1


def _trdp(r, n, src, pl, seqs):
    r.stats["trdp"] += 1
    if len(pl) < 40:
        return r.err(n, "TRDP PD shorter than 40")
    seq, ver, mtype, comid, _, _, dlen, res, _, _ = struct.unpack(">IHHIIIIIII", pl[:36])
    if zlib.crc32(pl[:36]) != struct.unpack("<I", pl[36:40])[0]:
        return r.err(n, "TRDP header FCS mismatch (expected little-endian CRC-32)")
    if ver & 0xFF00 != 0x0100 or mtype != 0x5064 or res != 0:
        r.err(n, "TRDP version/msgType/reserved")
    if 40 + dlen > len(pl) or len(pl) != 40 + dlen + (-dlen % 4) or any(pl[40 + dlen:]):
        r.err(n, "TRDP dataset length / padding")
    key = (src, comid)
    if key in seqs and (seq - seqs[key]) & 0xFFFFFFFF != 1:
        r.anomalies.append("frame %d: TRDP comId %d seq %d after %d" % (n, comid, seq, seqs[key]))
    seqs[key] = seq


def _dnp3(r, n, pl):
    off = 0
    while off < len(pl):
        if pl[off:off + 2] != b"\x05\x64":
            return r.err(n, "DNP3 start bytes")
        length = pl[off + 2]
        hdr = pl[off:off + 8]
        if struct.unpack("<H", pl[off + 8:off + 10])[0] != crc_dnp(hdr):
            return r.err(n, "DNP3 header CRC")
        user = length - 5
        p = off + 10
        while user > 0:
            blk = pl[p:p + min(16, user)]
            if struct.unpack("<H", pl[p + len(blk):p + len(blk) + 2])[0] != crc_dnp(blk):
                return r.err(n, "DNP3 block CRC")
            p += len(blk) + 2
            user -= len(blk)
        off = p
        r.stats["dnp3_frames"] += 1
