"""Container-terminal SCADA segment: Modbus/TCP, S7comm, EtherNet/IP (explicit
and class-1 I/O), OPC UA binary, IEC 60870-5-104 and DNP3.

The segment is one flat /23 (10.10.0.0/23), as is common in terminal OT
networks: 10.10.0.x holds SCADA/HMI/IT servers, 10.10.1.x the controllers.
A flat segment means the SPAN port sees every host's own MAC address, which
is what a "new device" check keys on.

Encoders are plain functions returning bytes; builders (the `run_*`
functions) turn them into timed conversations on a net.TcpConn.
"""

import math
import struct

from . import net
from .net import Host, TcpConn, jit

# ------------------------------------------------------------------ hosts

def make_lan(ctx):
    lan = net.Lan(ctx.tl, ctx.seed, "port")
    H = {}

    def add(key, *a, **kw):
        H[key] = lan.add(Host(*a, **kw))

    add("gw", "core-sw", "10.10.0.1", "00:80:63:4a:10:01", "L3 core switch / gateway",
        os="embedded", vendor="Hirschmann")
    add("infra", "infra-srv", "10.10.0.5", "f8:bc:12:0a:33:05", "DNS server (terminal.local)",
        os="linux", vendor="Dell")
    add("ntp", "gps-clock", "10.10.0.6", "ec:46:70:00:1a:06", "NTP stratum-1 GPS clock",
        os="linux", vendor="Meinberg")
    add("scada", "scada-srv", "10.10.0.10", "f8:bc:12:0a:33:10",
        "SCADA server (Modbus/ENIP/IEC 104/DNP3 master)", os="windows", vendor="Dell")
    add("hmi", "hmi-crane", "10.10.0.11", "3c:d9:2b:6e:21:11",
        "crane HMI (Modbus, S7comm client)", os="windows", vendor="HP")
    add("hist", "historian", "10.10.0.20", "f8:bc:12:0a:33:20",
        "historian: OPC UA client, HTTP server", os="linux", vendor="Dell")
    add("ews", "eng-ws", "10.10.0.30", "3c:d9:2b:6e:21:30",
        "engineering workstation (DNS, HTTP client)", os="windows", vendor="HP")
    add("sts", "sts01-plc", "10.10.1.11", "00:1b:1b:3c:77:11",
        "quay crane STS-01 PLC, S7-400 (S7comm 102)", os="embedded", ttl=30, vendor="Siemens")
    add("rtg1", "rtg01-plc", "10.10.1.12", "00:80:f4:52:0c:12",
        "RTG crane 01 PLC, M580 (Modbus 502)", os="embedded", vendor="Schneider (Telemecanique)")
    add("rtg2", "rtg02-plc", "10.10.1.13", "00:80:f4:52:0c:13",
        "RTG crane 02 PLC, M580 (Modbus 502)", os="embedded", vendor="Schneider (Telemecanique)")
    add("reefer", "reefer-ctl", "10.10.1.21", "00:30:de:41:7a:21",
        "reefer rack controller (Modbus 502)", os="embedded", vendor="WAGO")
    add("mgate", "reefer-gw", "10.10.1.22", "00:90:e8:7b:02:22",
        "Modbus TCP/RTU gateway to reefer power meters (Modbus on 5020)",
        os="embedded", vendor="Moxa")
    add("clx", "gantry-clx", "10.10.1.31", "00:00:bc:5d:41:31",
        "gantry drive ControlLogix (ENIP target, I/O scanner)", os="embedded",
        vendor="Rockwell")
    add("aent", "gantry-io", "10.10.1.32", "00:1d:9c:c2:18:32",
        "POINT I/O adapter 1734-AENT (ENIP I/O adapter)", os="embedded", vendor="Rockwell")
    add("rtu", "substation-rtu", "10.10.1.40", "00:30:a7:11:40:40",
        "terminal 11 kV substation RTU (IEC 104 2404)", os="embedded", vendor="SEL")
    add("opcua", "tos-gateway", "10.10.1.50", "00:01:05:2f:50:50",
        "terminal automation gateway, OPC UA server 4840", os="linux", vendor="Beckhoff")
    add("pump", "pump-rtu", "10.10.1.60", "00:a0:45:93:60:60",
        "storm-water pump station outstation (DNP3 20000)", os="embedded",
        vendor="Phoenix Contact")
    lan.gateway = H["gw"]
    return lan, H


def _ramp(t, period, phase, lo, hi):
    """Smooth periodic signal: container moves are cyclic, not random noise."""
    x = (t / period + phase) % 1.0
    return lo + (hi - lo) * (0.5 - 0.5 * math.cos(2 * math.pi * x))


# ================================================================= Modbus/TCP

def mbap(tid, unit, pdu):
    """MBAP header: transaction id, protocol id 0, length (unit id + PDU), unit id."""
    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu


def mb_read_req(fc, addr, qty):
    return struct.pack(">BHH", fc, addr, qty)


def mb_regs_resp(fc, values):
    return struct.pack(">BB", fc, 2 * len(values)) + b"".join(
        struct.pack(">H", v & 0xFFFF) for v in values)


def mb_bits_resp(fc, bits):
    n = (len(bits) + 7) // 8
    packed = bytearray(n)
    for i, b in enumerate(bits):
        if b:
            packed[i // 8] |= 1 << (i % 8)
    return struct.pack(">BB", fc, n) + bytes(packed)


def mb_write_multiple_req(addr, values):
    return struct.pack(">BHHB", 16, addr, len(values), 2 * len(values)) + b"".join(
        struct.pack(">H", v & 0xFFFF) for v in values)


def mb_write_multiple_resp(addr, qty):
    return struct.pack(">BHH", 16, addr, qty)


def mb_write_single(addr, value):
    """FC 6 request; the response echoes it byte for byte."""
    return struct.pack(">BHH", 6, addr, value & 0xFFFF)


def mb_diagnostics(sub, data):
    """FC 8; for sub-function 0 (return query data) the response echoes the request."""
    return struct.pack(">BHH", 8, sub, data)


class RtgCrane:
    """Register map of an RTG crane PLC as the HMI reads it."""

    def __init__(self, rng):
        self.cycle = rng.uniform(80, 110)        # one container move per cycle
        self.phase = rng.random()
        self.wind = rng.uniform(40, 80)          # 0.1 m/s
        self.rng = rng

    def holding(self, t, addr, qty):
        x = (t / self.cycle + self.phase) % 1.0
        loaded = 0.25 < x < 0.75
        self.wind = min(180, max(10, self.wind + self.rng.gauss(0, 2)))
        regs = [
            int(265 + 30 * math.sin(t / 7)) if loaded else 0,       # 0 hoist load, 0.1 t
            int(_ramp(t, self.cycle, self.phase, 150, 2350)),       # 1 trolley pos, cm
            4120 + int(t // 60) % 3 * 130,                          # 2 gantry pos, dm
            int(_ramp(t, self.cycle / 2, self.phase, 250, 1810)),   # 3 hoist height, cm
            int(self.wind),                                          # 4 wind speed, 0.1 m/s
            int(180 + 220 * loaded + self.rng.gauss(0, 6)),          # 5 hoist motor current, A
            0x0013 | (0x0100 if loaded else 0),                      # 6 status word
            0,                                                       # 7 active fault code
            0x0003 if loaded else 0x0000,                            # 8 twistlocks locked
            int(t) & 0xFFFF,                                         # 9 PLC heartbeat
        ]
        return regs[addr:addr + qty]

    def inputs(self, t, addr, qty):
        # drive temperatures, 0.1 degC
        return [int(412 + 15 * math.sin(t / 300 + i) + self.rng.gauss(0, 1.5))
                for i in range(addr, addr + qty)]

    def coils(self, t, addr, qty):
        x = (t / self.cycle + self.phase) % 1.0
        loaded = 0.25 < x < 0.75
        bits = [1, 1, 0, int(loaded), int(loaded), 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1]
        return bits[addr:addr + qty]


class Reefers:
    """Reefer rack controller: supply/return air temperature per plug (0.01 degC)."""

    def __init__(self, rng, plugs=6):
        self.rng = rng
        self.setpoints = [rng.choice([-1800, -2000, 200, 400, 1300]) for _ in range(plugs)]
        self.supply = [s + rng.randint(-40, 40) for s in self.setpoints]

    def inputs(self, t, addr, qty):
        out = []
        for i, sp in enumerate(self.setpoints):
            self.supply[i] += int((sp - self.supply[i]) * 0.05 + self.rng.gauss(0, 6))
            out += [self.supply[i], self.supply[i] + 250 + self.rng.randint(-20, 20)]
        return out[addr:addr + qty]

    def coils(self, t, addr, qty):
        # one alarm bit per plug; plug 4 has a door-open alarm that comes and goes
        bits = [0] * 24
        bits[4] = int(int(t) % 97 < 20)
        return bits[addr:addr + qty]

    def write_setpoints(self, addr, values):
        for i, v in enumerate(values):
            if 0 <= addr - 100 + i < len(self.setpoints):
                self.setpoints[addr - 100 + i] = v


def _s16(v):
    return v & 0xFFFF


def run_modbus_poller(ctx, lan, name, client, server, port, plan, period, resp_delay,
                      t_start, writes=None, gap=(0.0005, 0.002)):
    """One long-lived Modbus/TCP connection polled every `period` seconds.

    plan: list of (unit, fc, addr, qty, model_fn) read requests per cycle.
    resp_delay: (min, max) server turnaround; a TCP/RTU gateway answers in
    tens of milliseconds because the request crosses a serial line.
    writes: optional (every_s, fn(t) -> (unit, addr, values)) FC 16 writes.
    """
    rng = ctx.rng(name)
    conn = TcpConn(lan, client, server, port, rng, "modbus")
    t = conn.open(t_start)
    tid = rng.randint(1, 3000)
    next_write = t_start + writes[0] * rng.uniform(0.3, 1.0) if writes else None
    k = 0
    while True:
        t = t_start + 0.05 + k * period + jit(rng, 0.002)
        if t > ctx.duration - 0.5:
            break
        for unit, fc, addr, qty, model in plan:
            tid = (tid + 1) & 0xFFFF
            ts = conn.send(t, True, mbap(tid, unit, mb_read_req(fc, addr, qty)))
            tr = ts + rng.uniform(*resp_delay)
            vals = model(tr, addr, qty)
            pdu = mb_bits_resp(fc, vals) if fc in (1, 2) else mb_regs_resp(fc, [_s16(v) for v in vals])
            t = conn.send(tr, False, mbap(tid, unit, pdu)) + rng.uniform(*gap)
        if next_write is not None and t > next_write:
            unit, addr, values = writes[1](t)
            tid = (tid + 1) & 0xFFFF
            ts = conn.send(t, True, mbap(tid, unit, mb_write_multiple_req(addr, [_s16(v) for v in values])))
            conn.send(ts + rng.uniform(*resp_delay), False,
                      mbap(tid, unit, mb_write_multiple_resp(addr, len(values))))
            next_write += writes[0] * rng.uniform(0.8, 1.2)
        k += 1
    conn.finish(ctx.duration)


# =================================================================== S7comm

def tpkt(payload):
    """RFC 1006 TPKT: version 3, reserved, length including this header."""
    return struct.pack(">BBH", 3, 0, 4 + len(payload)) + payload


def cotp_cr(src_ref, src_tsap, dst_tsap, cc=False, dst_ref=0):
    """ISO 8073 connection request (0xE0) / confirm (0xD0), class 0, TPDU size 1024."""
    params = (b"\xc0\x01\x0a" + b"\xc1\x02" + struct.pack(">H", src_tsap) +
              b"\xc2\x02" + struct.pack(">H", dst_tsap))
    body = struct.pack(">BHHB", 0xD0 if cc else 0xE0, dst_ref, src_ref, 0) + params
    return bytes([len(body)]) + body


COTP_DT = b"\x02\xf0\x80"   # data TPDU, last data unit


def s7(rosctr, pduref, param, data=b""):
    """S7comm header: 0x32, ROSCTR (1 job, 3 ack_data), PDU reference, lengths."""
    hdr = struct.pack(">BBHHHH", 0x32, rosctr, 0, pduref, len(param), len(data))
    if rosctr in (2, 3):
        hdr += b"\x00\x00"          # error class, error code
    return tpkt(COTP_DT + hdr + param + data)


def s7_setup(pdu_len):
    return struct.pack(">BBHHH", 0xF0, 0, 1, 1, pdu_len)


def s7_item(db, byte_addr, nbytes, tsize=0x02):
    """S7ANY address item: DB area 0x84, bit address = byte * 8."""
    return struct.pack(">BBBBHHB", 0x12, 0x0A, 0x10, tsize, nbytes, db, 0x84) + \
        (byte_addr * 8).to_bytes(3, "big")


def s7_read_job(items):
    return bytes([0x04, len(items)]) + b"".join(s7_item(*i) for i in items)


def s7_read_resp_data(chunks):
    out = b""
    for i, c in enumerate(chunks):
        out += struct.pack(">BBH", 0xFF, 0x04, 8 * len(c)) + c
        if len(c) % 2 and i < len(chunks) - 1:
            out += b"\x00"                  # items are word aligned, except the last
    return out


S7_PLC_STOP_PARAM = b"\x29\x00\x00\x00\x00\x00\x09" + b"P_PROGRAM"


def s7_connect(conn, rng, t, dst_tsap=0x0102):
    """COTP connect + S7 setup communication; returns (time, next pdu ref)."""
    src_ref = rng.randint(1, 0xFFFF)
    dst_ref = rng.randint(1, 0xFFFF)
    t = conn.send(t, True, tpkt(cotp_cr(src_ref, 0x0100, dst_tsap)))
    t = conn.send(t + rng.uniform(0.002, 0.004), False,
                  tpkt(cotp_cr(dst_ref, 0x0100, dst_tsap, cc=True, dst_ref=src_ref)))
    ref = rng.randint(0x100, 0x7000)
    t = conn.send(t + 0.0004, True, s7(1, ref, s7_setup(480)))
    t = conn.send(t + rng.uniform(0.003, 0.006), False, s7(3, ref, s7_setup(240)))
    return t, ref + 1


def run_s7(ctx, lan, H, t_start):
    """Crane HMI reading the STS crane PLC every second, occasional alarm-ack writes."""
    rng = ctx.rng("s7-hmi-sts")
    conn = TcpConn(lan, H["hmi"], H["sts"], 102, rng, "s7comm")
    t = conn.open(t_start)
    t, ref = s7_connect(conn, rng, t + 0.001)
    next_write = t_start + rng.uniform(20, 40)
    alarm_word = 0
    k = 0
    while True:
        t = t_start + 0.3 + k * 1.0 + jit(rng, 0.003)
        if t > ctx.duration - 0.5:
            break
        # DB10: 20 bytes crane state; DB11: 8 bytes load-cell pair (REAL, REAL)
        ts = conn.send(t, True, s7(1, ref, s7_read_job([(10, 0, 20), (11, 0, 8)])))
        load = 31.5 + 4 * math.sin(t / 13)
        db10 = struct.pack(">HHHHHHIhh", 0x0101, int(t) & 0xFFFF, int(_ramp(t, 95, 0.3, 0, 6000)),
                           int(_ramp(t, 95, 0.1, 200, 4000)), 3, alarm_word,
                           int(t * 10) & 0xFFFFFFFF, int(load * 10), -12)
        db11 = struct.pack(">ff", load / 2 + rng.gauss(0, 0.05), load / 2 + rng.gauss(0, 0.05))
        t = conn.send(ts + rng.uniform(0.004, 0.009), False,
                      s7(3, ref, b"\x04\x02", s7_read_resp_data([db10, db11])))
        ref = (ref + 1) & 0xFFFF
        if t > next_write:
            alarm_word = (alarm_word + 1) & 0xFF
            param = b"\x05\x01" + s7_item(20, 2, 1, tsize=0x04)
            data = struct.pack(">BBHH", 0x00, 0x04, 16, alarm_word)
            ts = conn.send(t + 0.002, True, s7(1, ref, param, data))
            t = conn.send(ts + rng.uniform(0.004, 0.008), False, s7(3, ref, b"\x05\x01", b"\xff"))
            ref = (ref + 1) & 0xFFFF
            next_write = t + rng.uniform(35, 55)
        k += 1
    conn.finish(ctx.duration)


# ============================================================== EtherNet/IP

ENIP_LIST_IDENTITY = 0x0063
ENIP_REGISTER_SESSION = 0x0065
ENIP_SEND_RR_DATA = 0x006F


def enip(cmd, session, data, context=b"\0" * 8, status=0):
    """Encapsulation header (little-endian): command, length, session, status, context, options."""
    return struct.pack("<HHII8sI", cmd, len(data), session, status, context, 0) + data


def cpf(items):
    """Common Packet Format: item count, then (type id, length, data) items."""
    return struct.pack("<H", len(items)) + b"".join(
        struct.pack("<HH", tid, len(d)) + d for tid, d in items)


def enip_identity_item(ip, vendor, devtype, product, rev, serial, name, state=3):
    body = struct.pack("<H", 1)                                   # encapsulation version
    body += struct.pack(">HH4s8x", 2, 44818, net.ip_bytes(ip))    # sockaddr, big-endian
    body += struct.pack("<HHHBBHI", vendor, devtype, product, rev[0], rev[1], 0x0030, serial)
    body += bytes([len(name)]) + name.encode() + bytes([state])
    return (0x000C, body)


def cip_path(cls, inst, attr=None):
    p = bytes([0x20, cls, 0x24, inst])
    if attr is not None:
        p += bytes([0x30, attr])
    return p


def cip_req(service, path, data=b""):
    return bytes([service, len(path) // 2]) + path + data


def cip_resp(service, data=b"", status=0):
    return bytes([service | 0x80, 0, status, 0]) + data


def send_rr(session, cip, context, timeout=10):
    """SendRRData: interface handle 0, timeout, CPF with null address + unconnected data."""
    return enip(ENIP_SEND_RR_DATA, session,
                struct.pack("<IH", 0, timeout) + cpf([(0x0000, b""), (0x00B2, cip)]), context)


def run_enip_explicit(ctx, lan, H, t_start):
    """SCADA server: ListIdentity, RegisterSession, then Get_Attribute_Single polls."""
    rng = ctx.rng("enip-scada-clx")
    client, server = H["scada"], H["clx"]
    conn = TcpConn(lan, client, server, 44818, rng, "enip")
    t = conn.open(t_start)
    ctxn = rng.getrandbits(32)

    def context():
        nonlocal ctxn
        ctxn += 1
        return struct.pack("<Q", ctxn)

    c = context()
    ts = conn.send(t + 0.001, True, enip(ENIP_LIST_IDENTITY, 0, b"", c))
    ident = enip_identity_item(server.ip, 1, 0x0E, 0x0037, (32, 11), 0x60A1B2C3, "1756-L83E/B")
    t = conn.send(ts + rng.uniform(0.001, 0.003), False,
                  enip(ENIP_LIST_IDENTITY, 0, cpf([ident]), c))
    c = context()
    ts = conn.send(t + 0.001, True, enip(ENIP_REGISTER_SESSION, 0, struct.pack("<HH", 1, 0), c))
    session = rng.getrandbits(32) | 1
    t = conn.send(ts + rng.uniform(0.001, 0.003), False,
                  enip(ENIP_REGISTER_SESSION, session, struct.pack("<HH", 1, 0), c))
    # One-off identity reads, then a 2 s cycle of status + an application assembly.
    once = [(cip_path(0x01, 1, 1), struct.pack("<H", 1)),
            (cip_path(0x01, 1, 7), b"\x0b1756-L83E/B")]
    for path, value in once:
        c = context()
        ts = conn.send(t + 0.002, True, send_rr(session, cip_req(0x0E, path), c))
        t = conn.send(ts + rng.uniform(0.001, 0.004), False,
                      send_rr(session, cip_resp(0x0E, value), c, timeout=0))
    k = 0
    while True:
        t = t_start + 0.5 + 2.0 * k + jit(rng, 0.004)
        if t > ctx.duration - 0.5:
            break
        c = context()
        ts = conn.send(t, True, send_rr(session, cip_req(0x0E, cip_path(0x01, 1, 5)), c))
        t = conn.send(ts + rng.uniform(0.001, 0.004), False,
                      send_rr(session, cip_resp(0x0E, struct.pack("<H", 0x0060)), c, timeout=0))
        c = context()
        ts = conn.send(t + 0.001, True, send_rr(session, cip_req(0x0E, cip_path(0x04, 0x64, 3)), c))
        speed = int(_ramp(t, 90, 0.2, 0, 1800))
        asm = struct.pack("<HhhHI", 0x0005, speed, -speed // 2, 415 + int(t) % 7, int(t * 1000) & 0xFFFFFFFF)
        t = conn.send(ts + rng.uniform(0.001, 0.004), False,
                      send_rr(session, cip_resp(0x0E, asm), c, timeout=0))
        k += 1
    conn.finish(ctx.duration)


def forward_open(o_t_id, t_o_id, serial, vendor, orig_serial, rpi_us, o_t_size, t_o_size):
    """CIP Forward_Open (0x54) to the Connection Manager, class-1 cyclic point-to-point."""
    # priority/tick, timeout ticks, connection ids, serial, vendor, originator
    # serial, timeout multiplier (x8), 3 reserved bytes
    data = struct.pack("<BBIIHHIB3x", 0x0A, 0x0E, o_t_id, t_o_id, serial, vendor, orig_serial, 1)
    # Network connection parameters: point-to-point (0x4000), scheduled
    # priority (0x0800), fixed size, size in bytes incl. sequence count.
    data += struct.pack("<IHIH", rpi_us, 0x4800 | o_t_size, rpi_us, 0x4800 | t_o_size)
    path = bytes([0x20, 0x04, 0x24, 0x66, 0x2C, 0x64, 0x2C, 0x65])   # assembly cfg/out/in
    data += bytes([0x01, len(path) // 2]) + path
    return cip_req(0x54, cip_path(0x06, 1), data)


def forward_open_reply(o_t_id, t_o_id, serial, vendor, orig_serial, rpi_us):
    return cip_resp(0x54, struct.pack("<IIHHIIIBB", o_t_id, t_o_id, serial, vendor, orig_serial,
                                      rpi_us, rpi_us, 0, 0))


def io_packet(conn_id, encap_seq, cip_seq, data, run_idle=None):
    """Class-1 I/O on UDP 2222: CPF with sequenced address (0x8002) + connected data (0x00B1)."""
    payload = struct.pack("<H", cip_seq & 0xFFFF)
    if run_idle is not None:
        payload += struct.pack("<I", run_idle)          # 32-bit run/idle header (O->T)
    payload += data
    return cpf([(0x8002, struct.pack("<II", conn_id, encap_seq & 0xFFFFFFFF)),
                (0x00B1, payload)])


def run_enip_io(ctx, lan, H, t_start):
    """ControlLogix scanner opens a class-1 connection to the I/O adapter, then cyclic I/O."""
    rng = ctx.rng("enip-io")
    scanner, adapter = H["clx"], H["aent"]
    conn = TcpConn(lan, scanner, adapter, 44818, rng, "enip")
    t = conn.open(t_start)
    c = struct.pack("<Q", 0)                   # the scanner leaves the sender context zero
    ts = conn.send(t + 0.001, True, enip(ENIP_REGISTER_SESSION, 0, struct.pack("<HH", 1, 0), c))
    session = rng.getrandbits(32) | 1
    t = conn.send(ts + rng.uniform(0.001, 0.002), False,
                  enip(ENIP_REGISTER_SESSION, session, struct.pack("<HH", 1, 0), c))
    rpi = 0.080                                        # 80 ms requested packet interval
    o_t_prop, t_o_id = rng.getrandbits(32), rng.getrandbits(32)
    o_t_id = rng.getrandbits(32)
    serial, orig_serial = rng.randint(1, 0xFFFF), 0x00C0FFEE
    ts = conn.send(t + 0.001, True, send_rr(session, forward_open(
        o_t_prop, t_o_id, serial, 1, orig_serial, int(rpi * 1e6), 10, 8), c))
    t = conn.send(ts + rng.uniform(0.002, 0.005), False, send_rr(session, forward_open_reply(
        o_t_id, t_o_id, serial, 1, orig_serial, int(rpi * 1e6)), c, timeout=0))
    # Both ends produce on their own RPI timers, so the streams are not in lockstep.
    for direction, src, dst, cid, off in (("o2t", scanner, adapter, o_t_id, 0.003),
                                          ("t2o", adapter, scanner, t_o_id, 0.011)):
        r = ctx.rng("enip-io-" + direction)
        seq = 0
        k = 0
        while True:
            tk = t + off + k * rpi + jit(r, 0.0006)
            if tk > ctx.duration - 0.1:
                break
            seq += 1
            if direction == "o2t":
                data = struct.pack("<HH", 0x0001 | (0x0002 if (k // 50) % 2 else 0), 0x0000)
                pkt = io_packet(cid, seq, seq, data, run_idle=1)
            else:
                data = struct.pack("<HHH", 0x00F1, int(_ramp(tk, 60, 0.4, 100, 900)), 0x8000 | (k & 0xFF))
                pkt = io_packet(cid, seq, seq, data)
            # DSCP 47 is the ODVA default for scheduled-priority class-1 I/O.
            lan.udp(tk, src, dst.ip, 2222, 2222, pkt, "enip-io", tos=47 << 2)
            k += 1
    conn.finish(ctx.duration)


# ================================================================== OPC UA

UA_EPOCH_OFFSET = 11644473600       # seconds between 1601-01-01 and 1970-01-01


def ua_string(s):
    if s is None:
        return struct.pack("<i", -1)
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<i", len(b)) + b


def ua_datetime(unix_s):
    return struct.pack("<q", int(round((unix_s + UA_EPOCH_OFFSET) * 1e7)))


def ua_nodeid(ns, ident):
    """Numeric NodeId in its most compact encoding; string identifiers use encoding 3."""
    if isinstance(ident, str):
        return b"\x03" + struct.pack("<H", ns) + ua_string(ident)
    if ns == 0 and ident < 256:
        return bytes([0x00, ident])
    if ns < 256 and ident < 65536:
        return struct.pack("<BBH", 0x01, ns, ident)
    return struct.pack("<BHI", 0x02, ns, ident)


UA_NULL_EXT = b"\x00\x00\x00"     # ExtensionObject: null NodeId, no body


def ua_req_header(token, ts, handle, timeout=10000):
    return (token + ua_datetime(ts) + struct.pack("<II", handle, 0) + ua_string(None) +
            struct.pack("<I", timeout) + UA_NULL_EXT)


def ua_resp_header(ts, handle, status=0):
    # ServiceDiagnostics: empty DiagnosticInfo (mask 0); StringTable: empty array.
    return ua_datetime(ts) + struct.pack("<IIB", handle, status, 0) + struct.pack("<i", 0) + UA_NULL_EXT


def ua_chunk(mtype, body):
    return mtype + b"F" + struct.pack("<I", 8 + len(body)) + body


def ua_app_description(uri, product, name, app_type, urls):
    out = ua_string(uri) + ua_string(product) + b"\x02" + ua_string(name)
    out += struct.pack("<i", app_type) + ua_string(None) + ua_string(None)
    out += struct.pack("<i", len(urls)) + b"".join(ua_string(u) for u in urls)
    return out


POLICY_NONE = "http://opcfoundation.org/UA/SecurityPolicy#None"


def ua_endpoint(url, server_desc):
    token = ua_string("anonymous") + struct.pack("<i", 0) + ua_string(None) * 3
    return (ua_string(url) + server_desc + ua_string(None) + struct.pack("<i", 1) +
            ua_string(POLICY_NONE) + struct.pack("<i", 1) + token +
            ua_string("http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary") +
            b"\x00")


def ua_variant_double(v):
    return b"\x0b" + struct.pack("<d", v)


def run_opcua(ctx, lan, H, t_start):
    """Historian session to the terminal gateway: HEL/ACK, OPN (None), Create/Activate, Read."""
    rng = ctx.rng("opcua-hist")
    client, server = H["hist"], H["opcua"]
    url = "opc.tcp://%s:4840" % server.ip
    conn = TcpConn(lan, client, server, 4840, rng, "opcua")
    t = conn.open(t_start)
    W = ctx.wall
    # HEL/ACK: protocol version 0, buffer sizes, max message size, max chunk count.
    ts = conn.send(t + 0.001, True, ua_chunk(b"HEL", struct.pack("<IIIII", 0, 65536, 65536, 0, 0) +
                                             ua_string(url)))
    t = conn.send(ts + 0.0008, False, ua_chunk(b"ACK", struct.pack("<IIIII", 0, 65536, 65536,
                                                                      16777216, 5000)))
    # OpenSecureChannel with SecurityPolicy#None: asymmetric security header.
    chan = rng.randint(1, 0xFFFF)
    token_id = 1
    cseq, sseq, reqid, handle = 1, 1, 1, 1
    asym_c = struct.pack("<I", 0) + ua_string(POLICY_NONE) + ua_string(None) + ua_string(None)
    asym_s = struct.pack("<I", chan) + ua_string(POLICY_NONE) + ua_string(None) + ua_string(None)
    body = ua_nodeid(0, 446) + ua_req_header(b"\x00\x00", W(t), handle) + \
        struct.pack("<IIi", 0, 0, 1) + ua_string(b"") + struct.pack("<I", 3600000)
    ts = conn.send(t + 0.001, True, ua_chunk(b"OPN", asym_c + struct.pack("<II", cseq, reqid) + body))
    body = ua_nodeid(0, 449) + ua_resp_header(W(ts), handle) + struct.pack("<I", 0) + \
        struct.pack("<II", chan, token_id) + ua_datetime(W(ts)) + struct.pack("<I", 3600000) + \
        ua_string(b"")
    t = conn.send(ts + 0.002, False, ua_chunk(b"OPN", asym_s + struct.pack("<II", sseq, reqid) + body))

    def msg(seq, rid, body):
        return ua_chunk(b"MSG", struct.pack("<IIII", chan, token_id, seq, rid) + body)

    # CreateSession
    cseq, sseq, reqid, handle = cseq + 1, sseq + 1, reqid + 1, handle + 1
    client_desc = ua_app_description("urn:historian:UA:Client", "urn:historian", "Historian UA Client",
                                     1, [])
    body = ua_nodeid(0, 461) + ua_req_header(b"\x00\x00", W(t), handle) + client_desc + \
        ua_string(None) + ua_string(url) + ua_string("historian-session-1") + \
        ua_string(bytes(rng.getrandbits(8) for _ in range(32))) + ua_string(None) + \
        struct.pack("<dI", 1200000.0, 0)
    ts = conn.send(t + 0.001, True, msg(cseq, reqid, body))
    session_id = ua_nodeid(1, 0x10000 + rng.getrandbits(16))
    auth = struct.pack("<BHI", 0x02, 0, 0x40000000 | rng.getrandbits(24))   # numeric NodeId, ns 0
    server_desc = ua_app_description("urn:tos-gateway:UA:Server", "urn:beckhoff:twincat",
                                     "TOS gateway", 0, [url])
    body = ua_nodeid(0, 464) + ua_resp_header(W(ts), handle) + session_id + auth + \
        struct.pack("<d", 1200000.0) + ua_string(bytes(rng.getrandbits(8) for _ in range(32))) + \
        ua_string(None) + struct.pack("<i", 1) + ua_endpoint(url, server_desc) + \
        struct.pack("<i", 0) + ua_string(None) + ua_string(None) + struct.pack("<I", 4194304)
    t = conn.send(ts + rng.uniform(0.004, 0.008), False, msg(sseq, reqid, body))
    # ActivateSession with an AnonymousIdentityToken (NodeId 321).
    cseq, sseq, reqid, handle = cseq + 1, sseq + 1, reqid + 1, handle + 1
    anon = ua_string("anonymous")
    ident = ua_nodeid(0, 321) + b"\x01" + struct.pack("<i", len(anon)) + anon
    body = ua_nodeid(0, 467) + ua_req_header(auth, W(t), handle) + ua_string(None) + ua_string(None) + \
        struct.pack("<i", 0) + struct.pack("<i", 1) + ua_string("en-US") + ident + \
        ua_string(None) + ua_string(None)
    ts = conn.send(t + 0.001, True, msg(cseq, reqid, body))
    body = ua_nodeid(0, 470) + ua_resp_header(W(ts), handle) + \
        ua_string(bytes(rng.getrandbits(8) for _ in range(32))) + struct.pack("<ii", 0, 0)
    t = conn.send(ts + rng.uniform(0.002, 0.005), False, msg(sseq, reqid, body))

    nodes = [ua_nodeid(2, "STS01.Hoist.Load"), ua_nodeid(2, "STS01.Trolley.Position"),
             ua_nodeid(2, "Gate.Lane3.QueueLength"), ua_nodeid(0, 2258)]
    k = 0
    while True:
        t = t_start + 0.7 + k * 1.0 + jit(rng, 0.002)
        if t > ctx.duration - 0.5:
            break
        cseq, sseq, reqid, handle = cseq + 1, sseq + 1, reqid + 1, handle + 1
        items = b"".join(n + struct.pack("<I", 13) + ua_string(None) + struct.pack("<H", 0) +
                         ua_string(None) for n in nodes)
        # ReadRequest (631): maxAge 0, TimestampsToReturn Both (2), 4 ReadValueIds (attr 13 Value)
        body = ua_nodeid(0, 631) + ua_req_header(auth, W(t), handle) + \
            struct.pack("<di", 0.0, 2) + struct.pack("<i", len(nodes)) + items
        ts = conn.send(t, True, msg(cseq, reqid, body))
        tr = ts + rng.uniform(0.0015, 0.004)
        vals = [31.5 + 4 * math.sin(tr / 13), _ramp(tr, 95, 0.3, 0, 60.0),
                float(int(3 + 2 * math.sin(tr / 40)))]
        dv = b""
        for v in vals:
            # DataValue mask: value | source timestamp | server timestamp
            dv += b"\x0d" + ua_variant_double(v) + ua_datetime(W(tr) - 0.05) + ua_datetime(W(tr))
        dv += b"\x0d" + b"\x0d" + ua_datetime(W(tr)) + ua_datetime(W(tr)) + ua_datetime(W(tr))
        body = ua_nodeid(0, 634) + ua_resp_header(W(tr), handle) + struct.pack("<i", 4) + dv + \
            struct.pack("<i", 0)
        conn.send(tr, False, msg(sseq, reqid, body))
        k += 1
    conn.finish(ctx.duration)


# ======================================================== IEC 60870-5-104

U_STARTDT_ACT, U_STARTDT_CON = 0x07, 0x0B
U_TESTFR_ACT, U_TESTFR_CON = 0x43, 0x83


def apci_u(code):
    return bytes([0x68, 4, code, 0, 0, 0])


def apci_s(nr):
    return bytes([0x68, 4, 0x01, 0x00]) + struct.pack("<H", nr << 1)


def apci_i(ns, nr, asdu):
    return bytes([0x68, 4 + len(asdu)]) + struct.pack("<HH", ns << 1, nr << 1) + asdu


def asdu(typeid, cot, ca, objects, oa=0, sq=False, negative=False):
    """ASDU with 2-octet COT (cause + originator) and 2-octet common address."""
    vsq = (0x80 if sq else 0) | len(objects)
    cause = cot | (0x40 if negative else 0)
    return bytes([typeid, vsq, cause, oa]) + struct.pack("<H", ca) + b"".join(objects)


def ioa(n):
    return n.to_bytes(3, "little")


def cp56(unix_s):
    """CP56Time2a: ms in minute, minute, hour, day|weekday, month, year (IEC 60870-5-4 6.8)."""
    import time
    tm = time.gmtime(int(unix_s))
    ms = tm.tm_sec * 1000 + int((unix_s % 1) * 1000)
    return struct.pack("<HBBBBB", ms, tm.tm_min, tm.tm_hour,
                       tm.tm_mday | ((tm.tm_wday + 1) << 5), tm.tm_mon, tm.tm_year % 100)


class Iec104Link:
    """One IEC 104 connection: tracks N(S)/N(R) per side and sends S-frames like a master.

    The controlling station acknowledges after w = 8 I-frames or after t2 = 10 s,
    and sends TESTFR act after t3 = 20 s without receiving anything (IEC
    60870-5-104 5.2, 6.9 default parameters).
    """

    def __init__(self, conn, rng):
        self.conn, self.rng = conn, rng
        self.m_ns = self.m_nr = 0      # master
        self.s_ns = self.s_nr = 0      # slave
        self.unacked = 0
        self.first_unacked = None
        self.last_rx_master = 0.0

    def master_i(self, t, a):
        t = self.conn.send(t, True, apci_i(self.m_ns, self.m_nr, a))
        self.m_ns = (self.m_ns + 1) & 0x7FFF
        self.s_nr = self.m_ns
        self.unacked = 0
        self.first_unacked = None
        return t

    def slave_i(self, t, a):
        t = self.conn.send(t, False, apci_i(self.s_ns, self.s_nr, a))
        self.s_ns = (self.s_ns + 1) & 0x7FFF
        self.m_nr = self.s_ns
        self.unacked += 1
        self.last_rx_master = t
        if self.first_unacked is None:
            self.first_unacked = t
        if self.unacked >= 8:
            t = self.conn.send(t + self.rng.uniform(0.0005, 0.002), True, apci_s(self.m_nr))
            self.unacked, self.first_unacked = 0, None
        return t

    def idle_until(self, t):
        """Run the master's t2 and t3 timers up to time t."""
        while True:
            due = []
            if self.first_unacked is not None:
                due.append((self.first_unacked + 10.0, "s"))
            due.append((self.last_rx_master + 20.0, "test"))
            when, what = min(due)
            if when > t:
                return
            if what == "s":
                self.conn.send(when, True, apci_s(self.m_nr))
                self.unacked, self.first_unacked = 0, None
            else:
                ts = self.conn.send(when, True, apci_u(U_TESTFR_ACT))
                self.last_rx_master = self.conn.send(ts + self.rng.uniform(0.003, 0.01), False,
                                                     apci_u(U_TESTFR_CON))


def m_me_nc(n, value, qds=0):
    return ioa(n) + struct.pack("<fB", value, qds)


def m_sp_na(n, on):
    return ioa(n) + bytes([1 if on else 0])


def m_sp_tb(n, on, unix_s):
    return ioa(n) + bytes([1 if on else 0]) + cp56(unix_s)


def run_iec104(ctx, lan, H, t_start):
    """SCADA master to the substation RTU: STARTDT, GI, then spontaneous data."""
    rng = ctx.rng("iec104")
    conn = TcpConn(lan, H["scada"], H["rtu"], 2404, rng, "iec104")
    t = conn.open(t_start)
    link = Iec104Link(conn, rng)
    ca = 1
    ts = conn.send(t + 0.001, True, apci_u(U_STARTDT_ACT))
    t = conn.send(ts + rng.uniform(0.003, 0.008), False, apci_u(U_STARTDT_CON))
    link.last_rx_master = t
    meas = {1001: 11.02, 1002: 412.0, 1003: 7.6, 1004: 50.0}   # kV, A, MW, Hz
    breakers = {2001: True, 2002: True, 2003: False, 2004: True, 2005: True, 2006: False}
    # General interrogation (C_IC_NA_1, QOI 20 station interrogation).
    t = link.master_i(t + 0.01, asdu(100, 6, ca, [ioa(0) + b"\x14"]))
    t = link.slave_i(t + 0.004, asdu(100, 7, ca, [ioa(0) + b"\x14"]))
    t = link.slave_i(t + 0.002, asdu(1, 20, ca, [m_sp_na(n, v) for n, v in breakers.items()]))
    t = link.slave_i(t + 0.002, asdu(13, 20, ca, [m_me_nc(n, v) for n, v in meas.items()]))
    t = link.slave_i(t + 0.002, asdu(100, 10, ca, [ioa(0) + b"\x14"]))
    # Spontaneous reporting: measurements on deadband, breaker changes now and then.
    # Nothing changes for the first ~25 s after the GI, so the master's t3
    # timer fires and the capture shows a TESTFR exchange early on.
    t += rng.uniform(22.0, 26.0)
    while t < ctx.duration - 0.5:
        link.idle_until(t)
        if rng.random() < 0.15:
            n = rng.choice([2003, 2006])
            breakers[n] = not breakers[n]
            t = link.slave_i(t, asdu(30, 3, ca, [m_sp_tb(n, breakers[n], ctx.wall(t))]))
        else:
            objs = []
            for n in rng.sample(sorted(meas), rng.randint(1, 3)):
                drift = {1001: 0.05, 1002: 8.0, 1003: 0.2, 1004: 0.01}[n]
                meas[n] = meas[n] + rng.gauss(0, drift)
                objs.append(m_me_nc(n, meas[n]))
            t = link.slave_i(t, asdu(13, 3, ca, objs))
        t += rng.expovariate(1 / 7.0)
    link.idle_until(ctx.duration - 0.2)
    conn.finish(ctx.duration)


# ==================================================================== DNP3

def crc_dnp(data):
    """CRC-16/DNP: poly 0x3D65 reflected (0xA6BC), init 0, xorout 0xFFFF."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA6BC if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def dnp3_frame(ctrl, dst, src, user=b""):
    """Link frame: 0x0564, length, control, dst, src, CRC, then 16-byte blocks each + CRC."""
    hdr = struct.pack("<BBBBHH", 0x05, 0x64, 5 + len(user), ctrl, dst, src)
    out = hdr + struct.pack("<H", crc_dnp(hdr))
    for i in range(0, len(user), 16):
        blk = user[i:i + 16]
        out += blk + struct.pack("<H", crc_dnp(blk))
    return out


# Link control octets (IEEE 1815-2012 9.2.4.1): DIR 0x80, PRM 0x40, function.
CTRL_M_DATA = 0xC4        # master -> outstation, unconfirmed user data
CTRL_O_DATA = 0x44        # outstation -> master, unconfirmed user data
CTRL_M_LINK_STATUS = 0xC9
CTRL_O_LINK_STATUS = 0x0B


def dnp3_app(tseq, aseq, fc, objs=b"", iin=None, con=False):
    """Transport header (FIR|FIN, seq) + application header (+ IIN for responses)."""
    tp = bytes([0xC0 | (tseq & 0x3F)])
    ac = 0xC0 | (0x20 if con else 0) | (aseq & 0x0F)
    app = bytes([ac, fc])
    if iin is not None:
        app += struct.pack("<BB", *iin)
    return tp + app + objs


def g30v1(values):
    """Analog input, 32-bit with flag, start-stop qualifier 0x00."""
    return b"\x1e\x01\x00" + bytes([0, len(values) - 1]) + b"".join(
        struct.pack("<Bi", 0x01, v) for v in values)


def g1v2(states):
    """Binary input with flags: ONLINE (0x01) | STATE (0x80)."""
    return b"\x01\x02\x00" + bytes([0, len(states) - 1]) + bytes(
        0x01 | (0x80 if s else 0) for s in states)


def g32v1(events):
    """Analog input event, 32-bit with flag; qualifier 0x17 (1-byte count, 1-byte index)."""
    return b"\x20\x01\x17" + bytes([len(events)]) + b"".join(
        struct.pack("<BBi", i, 0x01, v) for i, v in events)


def g2v2(events):
    """Binary input event with absolute time (48-bit ms since 1970)."""
    return b"\x02\x02\x17" + bytes([len(events)]) + b"".join(
        struct.pack("<BB", i, 0x01 | (0x80 if s else 0)) + int(ms).to_bytes(6, "little")
        for i, s, ms in events)


CLASS_0123 = b"\x3c\x02\x06\x3c\x03\x06\x3c\x04\x06\x3c\x01\x06"
CLASS_123 = b"\x3c\x02\x06\x3c\x03\x06\x3c\x04\x06"


class Dnp3Session:
    """Master 1 <-> outstation 10 over one TCP connection, with sequence bookkeeping."""

    def __init__(self, conn, rng, master=1, outstation=10):
        self.conn, self.rng = conn, rng
        self.master, self.out = master, outstation
        self.m_tseq = rng.randint(0, 63)
        self.o_tseq = rng.randint(0, 63)
        self.aseq = rng.randint(0, 15)

    def request(self, t, fc, objs=b""):
        ud = dnp3_app(self.m_tseq, self.aseq, fc, objs)
        self.m_tseq = (self.m_tseq + 1) & 0x3F
        return self.conn.send(t, True, dnp3_frame(CTRL_M_DATA, self.out, self.master, ud))

    def response(self, t, objs=b"", iin=(0, 0), con=False, fc=0x81):
        ud = dnp3_app(self.o_tseq, self.aseq, fc, objs, iin=iin, con=con)
        self.o_tseq = (self.o_tseq + 1) & 0x3F
        return self.conn.send(t, False, dnp3_frame(CTRL_O_DATA, self.master, self.out, ud))

    def confirm(self, t):
        ud = dnp3_app(self.m_tseq, self.aseq, 0x00)
        self.m_tseq = (self.m_tseq + 1) & 0x3F
        return self.conn.send(t, True, dnp3_frame(CTRL_M_DATA, self.out, self.master, ud))

    def next_seq(self):
        self.aseq = (self.aseq + 1) & 0x0F


def run_dnp3(ctx, lan, H, t_start):
    """Integrity poll (class 0/1/2/3) every 60 s, event poll (class 1/2/3) every 5 s."""
    rng = ctx.rng("dnp3")
    conn = TcpConn(lan, H["scada"], H["pump"], 20000, rng, "dnp3")
    t = conn.open(t_start)
    d = Dnp3Session(conn, rng)
    levels = [1250, 1180, 880, 0, 0, 415, 398, 5012]       # sump levels cm, pump currents, flows
    pumps = [True, False, False, True, True, False, False, True]
    pending = []                                             # buffered class-1 events
    k = 0
    next_integrity = t + 0.01
    while True:
        t = max(t + 0.001, t_start + 0.2 + 5.0 * k + jit(rng, 0.003))
        if t > ctx.duration - 0.5:
            break
        # Field changes between polls produce events (pumps start on level).
        for i in range(3):
            levels[i] += int(rng.gauss(0, 6))
        if rng.random() < 0.2:
            p = rng.choice([1, 2])
            pumps[p] = not pumps[p]
            pending.append(("bin", p, pumps[p], int(ctx.wall(t - rng.uniform(0, 4)) * 1000)))
        if rng.random() < 0.5:
            pending.append(("ana", 0, levels[0], 0))
        if t >= next_integrity:
            ts = d.request(t, 0x01, CLASS_0123)
            objs = g30v1(levels) + g1v2(pumps)
            ts = d.response(ts + rng.uniform(0.008, 0.02), objs)
            pending.clear()                                  # integrity data supersedes events
            next_integrity += 60.0
        else:
            ts = d.request(t, 0x01, CLASS_123)
            if pending:
                bins = [(i, s, ms) for kind, i, s, ms in pending if kind == "bin"]
                anas = [(i, v) for kind, i, v, _ in pending if kind == "ana"][-1:]
                objs = (g2v2(bins) if bins else b"") + (g32v1(anas) if anas else b"")
                ts = d.response(ts + rng.uniform(0.008, 0.02), objs, iin=(0x02, 0), con=True)
                ts = d.confirm(ts + rng.uniform(0.001, 0.003))
                pending.clear()
            else:
                ts = d.response(ts + rng.uniform(0.006, 0.015))
        d.next_seq()
        # Link status keep-alive (IEEE 1815 9.2.6.3) once a minute on an otherwise idle link.
        if k % 12 == 6:
            t_ls = conn.send(ts + 2.0, True, dnp3_frame(CTRL_M_LINK_STATUS, d.out, d.master))
            conn.send(t_ls + rng.uniform(0.005, 0.012), False,
                      dnp3_frame(CTRL_O_LINK_STATUS, d.master, d.out))
        t = ts
        k += 1
    conn.finish(ctx.duration)


# ================================================================ scenario

def build(ctx, lan, H):
    """All port SCADA traffic; connections come up in the first two seconds."""
    crane1, crane2 = RtgCrane(ctx.rng("rtg1")), RtgCrane(ctx.rng("rtg2"))
    reef = Reefers(ctx.rng("reefers"))
    meters = ctx.rng("meters")

    def meter(unit):
        def f(t, addr, qty):
            v = [2300 + meters.randint(-15, 15), 2310 + meters.randint(-15, 15),
                 2295 + meters.randint(-15, 15), int(180 + 60 * math.sin(t / 50 + unit)),
                 int(41 + 14 * math.sin(t / 50 + unit)), 995]
            return v[addr:addr + qty]
        return f

    def setpoint_write(t):
        plug = int(t) % 2
        val = reef.setpoints[plug] + (50 if int(t / 40) % 2 else -50)
        reef.write_setpoints(100 + plug, [val])
        return 1, 100 + plug, [val]

    run_modbus_poller(ctx, lan, "mb-hmi-rtg1", H["hmi"], H["rtg1"], 502,
                      [(1, 3, 0, 10, crane1.holding), (1, 1, 0, 16, crane1.coils)],
                      1.0, (0.003, 0.008), 0.10)
    run_modbus_poller(ctx, lan, "mb-hmi-rtg2", H["hmi"], H["rtg2"], 502,
                      [(1, 3, 0, 10, crane2.holding), (1, 4, 0, 4, crane2.inputs)],
                      1.0, (0.003, 0.008), 0.35)
    run_modbus_poller(ctx, lan, "mb-scada-reefer", H["scada"], H["reefer"], 502,
                      [(1, 4, 0, 12, reef.inputs), (1, 1, 0, 24, reef.coils)],
                      1.0, (0.002, 0.006), 0.55, writes=(40.0, setpoint_write))
    # Three serial power meters behind the Moxa gateway, listening on 5020.
    run_modbus_poller(ctx, lan, "mb-scada-mgate", H["scada"], H["mgate"], 5020,
                      [(u, 3, 0, 6, meter(u)) for u in (1, 2, 3)],
                      1.0, (0.018, 0.035), 0.75)
    run_s7(ctx, lan, H, 0.20)
    run_enip_explicit(ctx, lan, H, 0.90)
    run_enip_io(ctx, lan, H, 0.15)
    run_opcua(ctx, lan, H, 1.10)
    run_iec104(ctx, lan, H, 1.30)
    run_dnp3(ctx, lan, H, 1.50)
