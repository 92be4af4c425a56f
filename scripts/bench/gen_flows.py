#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write a capture of many concurrent, established, classified Modbus/TCP flows.

Used by scripts/bench-read to measure resident memory per tracked flow.  Each
flow is a TCP session from a client to a PLC on port 502:

    SYN, SYN-ACK, ACK,
    Modbus/TCP request  (read holding registers, fc 3, 2 registers),
    Modbus/TCP response (2 register values),

and is never closed, so every flow is still live at the end of the capture
(the engine's established-TCP idle timeout is far longer than the capture).
A new flow starts every 50 us and its five packets take 2 ms, so 200,000
flows span about 10 s of packet time.

Addresses: clients 10.10.0.1.., servers (PLCs) 10.20.0.1..; the 5-tuple of
flow k is (client k % C, server (k // C) % S, source port 1024 + k // (C*S)).
With the defaults (64 clients, 8 servers) that is 512 client/server pairs,
a realistic number of distinct industrial conversations.

Headers are correct: IPv4 header checksum, TCP checksum over the RFC 793
pseudo-header, MBAP length field (Modbus Messaging on TCP/IP Implementation
Guide V1.0b, section 3.1.3), short frames padded to the Ethernet minimum of
60 bytes as a NIC would.  Output is classic pcap, microsecond
timestamps, Ethernet; byte-identical for identical arguments.
"""

import argparse
import struct
import sys
from array import array

T0_US = 1_700_000_000 * 1_000_000  # 2023-11-14T22:13:20Z
FLOW_GAP_US = 50
PKT_OFFSETS_US = (0, 100, 200, 1000, 2000)

SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


def csum(data):
    """RFC 1071 Internet checksum.

    The one's complement sum is byte-order independent (RFC 1071 section 2(B)),
    so the words are summed in native order and the result swapped back if needed.
    """
    if len(data) % 2:
        data += b"\0"
    a = array("H", data)
    s = sum(a)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    s = ~s & 0xFFFF
    if sys.byteorder == "little":
        s = ((s & 0xFF) << 8) | (s >> 8)
    return s


def mac(prefix, n):
    return bytes([0x02, prefix, (n >> 24) & 0xFF, (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF])


def tcp_packet(smac, dmac, sip, dip, sport, dport, seq, ack, flags, payload, ip_id, mss=False):
    opts = struct.pack("!BBH", 2, 4, 1460) if mss else b""  # MSS option on SYN and SYN-ACK
    doff = (20 + len(opts)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, 64240, 0, 0) + opts
    seg = tcp + payload
    pseudo = sip + dip + struct.pack("!BBH", 0, 6, len(seg))
    c = csum(pseudo + seg)
    seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), ip_id, 0x4000, 64, 6, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    frame = dmac + smac + b"\x08\x00" + ip + seg
    # Ethernet minimum frame (IEEE 802.3 clause 4.4.2: 64 bytes with the FCS, which captures omit).
    return frame + b"\0" * (60 - len(frame)) if len(frame) < 60 else frame


def flow_packets(k, n_clients, n_servers):
    c = k % n_clients
    s = (k // n_clients) % n_servers
    sport = 1024 + k // (n_clients * n_servers)
    if sport > 65535:
        raise SystemExit("gen_flows: too many flows for the client/server counts; raise --clients")
    cip = bytes([10, 10, (c + 1) >> 8, (c + 1) & 0xFF])
    sip = bytes([10, 20, (s + 1) >> 8, (s + 1) & 0xFF])
    cmac, smac = mac(0x10, c), mac(0x20, s)
    cseq = (k * 2654435761) & 0xFFFFFFFF  # spread initial sequence numbers
    sseq = (k * 40503 + 12345) & 0xFFFFFFFF
    tid = 1  # the first transaction of a new connection, as Modbus clients number them
    addr = k % 1000
    # MBAP: transaction id, protocol id 0, length (unit id + PDU), unit id; PDU: fc 3, addr, quantity 2.
    req = struct.pack("!HHHBBHH", tid, 0, 6, 1, 3, addr, 2)
    # Response PDU: fc 3, byte count 4, two registers.
    rsp = struct.pack("!HHHBBBHH", tid, 0, 7, 1, 3, 4, k & 0xFFFF, (k >> 16) & 0xFFFF)
    ipid = (k * 5) & 0xFFFF
    m = 0xFFFFFFFF
    return (
        tcp_packet(cmac, smac, cip, sip, sport, 502, cseq, 0, SYN, b"", ipid, mss=True),
        tcp_packet(smac, cmac, sip, cip, 502, sport, sseq, (cseq + 1) & m, SYN | ACK, b"", ipid, mss=True),
        tcp_packet(cmac, smac, cip, sip, sport, 502, (cseq + 1) & m, (sseq + 1) & m, ACK, b"", (ipid + 1) & 0xFFFF),
        tcp_packet(cmac, smac, cip, sip, sport, 502, (cseq + 1) & m, (sseq + 1) & m, PSH | ACK, req,
                   (ipid + 2) & 0xFFFF),
        tcp_packet(smac, cmac, sip, cip, 502, sport, (sseq + 1) & m, (cseq + 1 + len(req)) & m, PSH | ACK, rsp,
                   (ipid + 1) & 0xFFFF),
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flows", type=int, required=True, help="number of concurrent flows")
    ap.add_argument("--clients", type=int, default=64, help="distinct client addresses (default 64)")
    ap.add_argument("--servers", type=int, default=8, help="distinct server (PLC) addresses (default 8)")
    ap.add_argument("-o", "--output", required=True, help="pcap file to write")
    a = ap.parse_args()
    if a.flows < 1 or a.clients < 1 or a.servers < 1 or a.clients > 65534 or a.servers > 65535:
        ap.error("counts out of range")

    # Packets of neighbouring flows interleave (a flow lasts 2 ms, one starts every 50 us):
    # merge them in time order with a small sliding window.
    pending = []  # (t_us, seq, frame)
    seq = 0
    out = bytearray()
    with open(a.output, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for k in range(a.flows):
            t = T0_US + k * FLOW_GAP_US
            for off, frame in zip(PKT_OFFSETS_US, flow_packets(k, a.clients, a.servers)):
                pending.append((t + off, seq, frame))
                seq += 1
            # Everything earlier than this flow's start can no longer be preceded by a later packet.
            if len(pending) > 4096 or k == a.flows - 1:
                pending.sort()
                cut = len(pending) if k == a.flows - 1 else next(
                    (i for i, p in enumerate(pending) if p[0] >= t), len(pending))
                for ts, _, frame in pending[:cut]:
                    out += struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(frame), len(frame))
                    out += frame
                del pending[:cut]
                if len(out) > (1 << 20):
                    f.write(out)
                    out.clear()
        f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
