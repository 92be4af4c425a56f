#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seed corpora for the per-dissector fuzz targets (tests/fuzz/fuzz_dissector.c),
and for fuzz_syslog_format.

Reads captures (classic pcap, Ethernet or raw IP or BSD loopback or Linux
cooked), takes the TCP and UDP payloads of conversations on the protocol's
well-known port, and writes each conversation as one fuzz input in the
harness's record format:  op (bit 0: to the client, bit 1: a datagram) |
length (2 bytes, big-endian) | payload.  At most --max inputs of at most 4 KiB.

--syslog-format writes a few alerts in fuzz_syslog_format.c's input layout
instead (no captures needed): the unit tests' alerts with a flow (IPv4 with
an op, IPv6, layer 2) and the sensor's own, without a flow.

With --ethertype (GOOSE: 0x88b8) the frames of that ethertype instead, after
their VLAN tags, each a datagram record, one input per MAC pair.

Usage: make_seeds.py --port 502 [--port 503 ...] --out DIR CAPTURE...
       make_seeds.py --ethertype 0x88b8 --out DIR CAPTURE...
       make_seeds.py --syslog-format --out DIR
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


def l2_payload(linktype, frame, ethertype):
    """(source MAC, destination MAC, payload) of an Ethernet frame of that ethertype, else None."""
    if linktype != 1 or len(frame) < 14:
        return None
    off = 12
    et = struct.unpack('>H', frame[off:off + 2])[0]
    while et in (0x8100, 0x88a8) and off + 6 <= len(frame):
        off += 4
        et = struct.unpack('>H', frame[off:off + 2])[0]
    return (frame[6:12], frame[0:6], frame[off + 2:]) if et == ethertype else None


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


# fuzz_syslog_format.c's flags byte and the alert kinds' order in policies/policy.h
# (BLD_FOREACH_POLICY_EVENT); a kind that moved still makes a valid input.
F_PORTS, F_DROP, F_TO_SERVER, F_OP, F_RESPONSE, F_NO_FLOW = 1, 2, 4, 8, 16, 32
K_OP_NOT_ALLOWED, K_FLOW_NOT_ALLOWED, K_EXPORT_LOSS, K_EXPORT_RATE, K_PROTOCOL = 2, 0, 8, 9, 10


def syslog_alert(flags, kind, *, family=0, flow_id=7, ports=(50432, 502), l4=6, ip=b'\x0a\x0a\x00\x0b',
                 event=0, severity=3, count=1, first_ns=1715666436011097000, last_delta_ns=11999870,
                 pid=4242, facility=16, pen=32473, small_cap=200, nulls=0, texts=(), values=b''):
    """One input, field by field in the order LLVMFuzzerTestOneInput reads them."""
    ip16 = bytes(b ^ i for i, b in enumerate(ip.ljust(16, b'\0')))  # the harness xors byte i with i
    b = bytes([flags]) + struct.pack('>Q', flow_id) + bytes([family]) + struct.pack('>HH', *ports)
    b += bytes([l4]) + ip16 + bytes([kind]) + struct.pack('>HBH', event, severity, count)
    b += struct.pack('>Q', first_ns) + (bytes([last_delta_ns & 0xff]) if flags & 0x80 else struct.pack('>I', last_delta_ns))
    b += struct.pack('>HBI', pid, facility, pen) + struct.pack('>HB', small_cap, nulls)
    # reason, detail, rule, client host, server host, app, hostname, app name, op text
    b += b''.join(t + b'\0' for t in texts)
    return b + values


def syslog_seeds():
    return {
        'op-ipv4': syslog_alert(
            F_PORTS | F_TO_SERVER | F_OP, K_OP_NOT_ALLOWED,
            texts=(b'modbus request not among the operations the rule allows',
                   b'function=6 unit=1 address=40 value=0', b'modbus-hmi', b'hmi-crane', b'rtg01-plc', b'modbus',
                   b'sensor-1', b'bollard', b'write_single_register'),
            values=bytes([1, 6, 40, 0xfe, 7, 0xff, 0])),
        'flow-ipv6-drop': syslog_alert(
            F_PORTS | F_DROP, K_FLOW_NOT_ALLOWED, family=1, l4=17,
            ip=bytes.fromhex('20010db8000000000000000000000001'), small_cap=64,
            texts=(b'no rule allows eng-ws -> plc \xc3\xa9 "x" [y] a=b', b'', b'', b'eng-ws', b'', b'dns',
                   b'sensor-1', b'bollard')),
        'l2-event': syslog_alert(
            0, K_PROTOCOL, family=2, event=1, severity=1, nulls=1 | 2 | 4 | 16, small_cap=1,
            texts=(b'bytes that were not a PDU were skipped', b'', b'', b'', b'', b'goose', b'', b'bollard')),
        'export-loss': syslog_alert(
            F_NO_FLOW, K_EXPORT_LOSS, count=12, nulls=1 | 2 | 4,
            texts=(b'12 alerts for "siem-a" [tls://siem.example:6514] lost: queue and spool full',
                   b'destination=siem-a queue=4096 spool=C:\\spool caf\xc3\xa9', b'', b'', b'', b'',
                   b'sensor-1', b'bollard')),
        'export-rate': syslog_alert(
            F_NO_FLOW | F_TO_SERVER, K_EXPORT_RATE, severity=2, count=1234, pid=0, facility=20, pen=99999,
            nulls=1 | 2 | 4 | 16, small_cap=97,
            texts=(b'1234 alerts over the --syslog-rate cap (100/s) were not sent',
                   b'suppressed=1234 cap=100 op.not_allowed=1200 flow.not_allowed=34')),
        'export-loss-odd': syslog_alert(  # no flow, yet host names, a rule and an op: all ignored or kept as ever
            F_NO_FLOW | F_OP | F_RESPONSE | 0x80, K_EXPORT_LOSS, severity=4, count=0xffff,
            texts=(b'lost\n\x01\xff', b'x=\\=', b'r 1', b'hmi', b'plc', b'', b'h', b'a', b'n'),
            values=bytes([0xfe, 0xfe, 3, 0xff])),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, action='append', help="a well-known port (again for more)")
    ap.add_argument('--ethertype', type=lambda x: int(x, 0), help="L2 frames of this ethertype instead")
    ap.add_argument('--syslog-format', action='store_true', help="seeds for fuzz_syslog_format instead")
    ap.add_argument('--out', required=True)
    ap.add_argument('--max', type=int, default=64)
    ap.add_argument('captures', nargs='*')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if a.syslog_format:
        seeds = syslog_seeds()
        for name, data in seeds.items():
            with open(os.path.join(a.out, f'seed-{name}'), 'wb') as f:
                f.write(data)
        print(f'{len(seeds)} seeds for fuzz_syslog_format', file=sys.stderr)
        return
    if (a.port is None and a.ethertype is None) or not a.captures:
        ap.error('--port or --ethertype, and at least one capture, are needed (or --syslog-format)')
    convs = {}
    for cap in a.captures:
        if a.ethertype is not None:
            for lt, frame in packets(cap):
                got = l2_payload(lt, frame, a.ethertype)
                if got and got[2]:
                    buf = convs.setdefault((cap, got[0], got[1]), bytearray())
                    if len(buf) < 4096:
                        buf += bytes([2]) + struct.pack('>H', len(got[2]) & 0xfff) + got[2][:0xfff]
            continue
        try:
            for l4, src, sp, dst, dp, payload in segments(cap):
                if not payload or not ({sp, dp} & set(a.port)):
                    continue
                to_client = sp in a.port
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
    print(f'{n} seeds for {f"ethertype {a.ethertype:#06x}" if a.ethertype is not None else f"port {a.port}"}',
          file=sys.stderr)


if __name__ == '__main__':
    main()
