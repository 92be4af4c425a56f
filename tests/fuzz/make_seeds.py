#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seed corpora for the per-dissector fuzz targets (tests/fuzz/fuzz_dissector.c).

Reads captures (classic pcap, Ethernet or raw IP or BSD loopback or Linux
cooked), takes the TCP and UDP payloads of conversations on the protocol's
well-known port, and writes each conversation as one fuzz input in the
harness's record format:  op (bit 0: to the client, bit 1: a datagram) |
length (2 bytes, big-endian) | payload.  At most --max inputs of at most 4 KiB.

Usage: make_seeds.py --port 502 [--udp] --out DIR CAPTURE...
"""
import argparse
import os
import struct
import sys


def packets(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        end = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        end = '>'
    else:
        return  # pcapng and others: not needed for seeds
    linktype = struct.unpack(end + 'I', data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + 'IIII', data[off:off + 16])
        off += 16
        yield linktype, data[off:off + incl]
        off += incl


def l3(linktype, frame):
    if linktype == 1:  # Ethernet, with VLAN tags
        off, et = 12, None
        while off + 2 <= len(frame):
            et = struct.unpack('>H', frame[off:off + 2])[0]
            off += 2
            if et in (0x8100, 0x88a8):
                off += 2
                continue
            break
        return frame[off:] if et == 0x0800 else None
    if linktype in (101, 12, 228):
        return frame
    if linktype in (0, 108):
        return frame[4:]
    if linktype == 113:
        return frame[16:]
    return None


def segments(path):
    for lt, frame in packets(path):
        ip = l3(lt, frame)
        if not ip or len(ip) < 20 or ip[0] >> 4 != 4:
            continue
        ihl = (ip[0] & 15) * 4
        proto = ip[9]
        src, dst = ip[12:16], ip[16:20]
        l4 = ip[ihl:struct.unpack('>H', ip[2:4])[0]]
        if proto == 6 and len(l4) >= 20:
            sp, dp = struct.unpack('>HH', l4[:4])
            yield 'tcp', src, sp, dst, dp, l4[(l4[12] >> 4) * 4:]
        elif proto == 17 and len(l4) >= 8:
            sp, dp = struct.unpack('>HH', l4[:4])
            yield 'udp', src, sp, dst, dp, l4[8:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--max', type=int, default=64)
    ap.add_argument('captures', nargs='+')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    convs = {}
    for cap in a.captures:
        try:
            for l4, src, sp, dst, dp, payload in segments(cap):
                if not payload or a.port not in (sp, dp):
                    continue
                to_client = sp == a.port
                key = (cap, l4, src, dst, sp, dp) if not to_client else (cap, l4, dst, src, dp, sp)
                buf = convs.setdefault(key, bytearray())
                if len(buf) < 4096:
                    op = (1 if to_client else 0) | (2 if l4 == 'udp' else 0)
                    buf += bytes([op]) + struct.pack('>H', len(payload) & 0xfff) + payload[:0xfff]
        except (OSError, struct.error):
            continue
    n = 0
    for i, buf in enumerate(convs.values()):
        if n >= a.max:
            break
        with open(os.path.join(a.out, f'seed-{i}'), 'wb') as f:
            f.write(bytes(buf[:4096]))
        n += 1
    print(f'{n} seeds for port {a.port}', file=sys.stderr)


if __name__ == '__main__':
    main()
