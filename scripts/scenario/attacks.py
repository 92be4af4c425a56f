"""Attack injections for the port and rail segments.

Every injected frame carries its attack id in the timeline, so the manifest
can list exact frame numbers.  Injections never touch the baseline's random
streams, sequence numbers or IP-ID counters: an attack capture is the
baseline capture plus the attack frames, frame for frame.  Tests can rely on
that to attribute every extra alert to an injection.

Times are fractions of the capture duration so that short captures still
contain every attack.
"""

import struct

from . import net, port, rail
from .net import Host, TcpConn

PORT_ROGUE = dict(name="rogue-laptop", ip="10.10.0.66", mac_addr="00:13:02:5e:66:66",
                  role="unknown laptop (attacker)", os="linux", vendor="Intel")
RAIL_ROGUE = dict(name="rogue-rail", ip="10.20.0.66", mac_addr="00:13:02:5e:20:66",
                  role="unknown host on signalling network A (attacker)", os="linux",
                  vendor="Intel")

# Ports an nmap-style scan probes: well-known IT and OT service ports.
SCAN_PORTS = [21, 22, 23, 25, 53, 80, 81, 102, 110, 111, 135, 139, 143, 161, 443, 445, 502,
              503, 515, 554, 789, 1089, 1090, 1091, 1433, 1723, 1911, 1962, 2222, 2404, 3306,
              3389, 4000, 4840, 5000, 5007, 5020, 5060, 5432, 5900, 8000, 8080, 8443, 9600,
              10000, 18245, 20000, 20547, 34962, 44818, 46823, 47808, 48898, 55000, 55555,
              61616]


class Recorder:
    """Collects the attack table (id, time, what, who) printed and written as JSON."""

    def __init__(self):
        self.items = []

    def add(self, aid, t, kind, protocol, src, dst, description, **details):
        self.items.append(dict(id=aid, offset_s=round(t, 6), kind=kind, protocol=protocol,
                               src=src, dst=dst, description=description, details=details))
        return aid


# ================================================================== port

def port_attacks(ctx, lan, H, rec):
    rogue = lan.add(Host(**PORT_ROGUE))
    D = ctx.duration
    _port_scan(ctx, lan, rogue, H["rtg1"], D * 0.20, rec)
    _modbus_write(ctx, lan, rogue, H["rtg1"], D * 0.30, rec)
    _modbus_diag(ctx, lan, H["ews"], H["rtg2"], D * 0.40, rec)
    _s7_stop(ctx, lan, rogue, H["sts"], D * 0.50, rec)
    _dnp3_cold_restart(ctx, lan, rogue, H["pump"], D * 0.60, rec)
    _iec104_command(ctx, lan, rogue, H["rtu"], D * 0.70, rec)
    return rogue


def _port_scan(ctx, lan, scanner, target, t0, rec):
    """SYN scan: SYN/ACK from open ports (scanner answers RST), RST/ACK from closed ones."""
    aid = "port-scan"
    rng = ctx.rng(aid)
    open_ports = {80, 502}
    sport = rng.randint(40000, 60000)
    order = SCAN_PORTS[:]
    rng.shuffle(order)                      # nmap randomises the port order
    t = t0
    for p in order:
        seq = rng.getrandbits(32)
        # nmap's raw SYN: window 1024, MSS option only, random IP ID and TTL.
        lan.raw_tcp(t, scanner, target, sport, p, seq, 0, net.SYN, 1024, "scan", aid,
                    options=b"\x02\x04\x05\xb4", ttl=rng.randint(37, 59),
                    ident=rng.getrandbits(16), df=False)
        tr = t + rng.uniform(0.0003, 0.0009)
        if p in open_ports:
            isn = rng.getrandbits(32)
            lan.raw_tcp(tr, target, scanner, p, sport, isn, seq + 1, net.SYN | net.ACK, 8192,
                        "scan", aid, options=b"\x02\x04\x05\xb4")
            lan.raw_tcp(tr + 0.00008, scanner, target, sport, p, seq + 1, 0, net.RST, 0, "scan",
                        aid, ttl=rng.randint(37, 59), ident=rng.getrandbits(16), df=False)
        else:
            lan.raw_tcp(tr, target, scanner, p, sport, 0, seq + 1, net.RST | net.ACK, 0, "scan", aid)
        t += rng.uniform(0.015, 0.035)
    rec.add(aid, t0, "tcp-syn-port-scan", "tcp", scanner.ip, target.ip,
            "SYN scan of %d ports from a host never seen before; RST/ACK from closed ports, "
            "SYN/ACK from 80 and 502 answered with RST" % len(order),
            ports=sorted(order), open_ports=sorted(open_ports), end_offset_s=round(t, 6))


def _modbus_write(ctx, lan, rogue, plc, t0, rec):
    aid = "modbus-write-unknown-host"
    rng = ctx.rng(aid)
    conn = TcpConn(lan, rogue, plc, 502, rng, "modbus", attack=aid)
    t = conn.open(t0)
    # FC 6: zero the hoist speed limit; FC 16: overwrite the trolley/hoist setpoints.
    req = port.mbap(1, 1, port.mb_write_single(40, 0))
    ts = conn.send(t + 0.01, True, req)
    t = conn.send(ts + rng.uniform(0.003, 0.006), False, req)
    values = [0, 2400, 1800, 0xFFFF]
    ts = conn.send(t + 0.2, True, port.mbap(2, 1, port.mb_write_multiple_req(20, values)))
    t = conn.send(ts + rng.uniform(0.003, 0.006), False,
                  port.mbap(2, 1, port.mb_write_multiple_resp(20, len(values))))
    conn.close(t + 0.05)
    rec.add(aid, t0, "modbus-unauthorised-write", "modbus", rogue.ip, plc.ip,
            "Modbus writes from a host never seen before: FC 6 (register 40 := 0) and "
            "FC 16 (registers 20-23)", function_codes=[6, 16], unit=1)


def _modbus_diag(ctx, lan, ews, plc, t0, rec):
    aid = "modbus-diagnostics"
    rng = ctx.rng(aid)
    conn = TcpConn(lan, ews, plc, 502, rng, "modbus", attack=aid)
    t = conn.open(t0)
    req = port.mbap(0x10, 1, port.mb_diagnostics(0x0000, 0xA537))
    ts = conn.send(t + 0.01, True, req)
    t = conn.send(ts + rng.uniform(0.003, 0.006), False, req)
    conn.close(t + 0.05)
    rec.add(aid, t0, "modbus-diagnostics", "modbus", ews.ip, plc.ip,
            "Modbus FC 8 diagnostics (sub-function 0 return query data) from the engineering "
            "workstation, which never speaks Modbus in the baseline", function_codes=[8],
            sub_function=0)


def _s7_stop(ctx, lan, rogue, plc, t0, rec):
    aid = "s7-plc-stop"
    rng = ctx.rng(aid)
    conn = TcpConn(lan, rogue, plc, 102, rng, "s7comm", attack=aid)
    t = conn.open(t0)
    t, ref = port.s7_connect(conn, rng, t + 0.002)
    ts = conn.send(t + 0.05, True, port.s7(1, ref, port.S7_PLC_STOP_PARAM))
    t = conn.send(ts + rng.uniform(0.01, 0.02), False, port.s7(3, ref, b"\x29"))
    conn.close(t + 0.1)
    rec.add(aid, t0, "s7-cpu-stop", "s7comm", rogue.ip, plc.ip,
            "S7comm job PLC STOP (function 0x29, P_PROGRAM) after COTP connect and setup "
            "communication, from a host never seen before", function=0x29)


def _dnp3_cold_restart(ctx, lan, rogue, outstation, t0, rec):
    aid = "dnp3-cold-restart"
    rng = ctx.rng(aid)
    conn = TcpConn(lan, rogue, outstation, 20000, rng, "dnp3", attack=aid)
    t = conn.open(t0)
    d = port.Dnp3Session(conn, rng)          # spoofs master address 1
    ts = d.request(t + 0.01, 0x0D)
    # Outstation answers with Time Delay Fine (g52v2): restart in 5 s.
    t = d.response(ts + rng.uniform(0.01, 0.02), b"\x34\x02\x07\x01" + struct.pack("<H", 5000),
                   iin=(0x00, 0x00))
    conn.close(t + 0.05)
    rec.add(aid, t0, "dnp3-cold-restart", "dnp3", rogue.ip, outstation.ip,
            "DNP3 COLD_RESTART (application function 13) from a new host using master address 1; "
            "the outstation replies with g52v2 time delay 5000 ms", function_code=13)


def _iec104_command(ctx, lan, rogue, rtu, t0, rec):
    aid = "iec104-command-unknown-master"
    rng = ctx.rng(aid)
    conn = TcpConn(lan, rogue, rtu, 2404, rng, "iec104", attack=aid)
    t = conn.open(t0)
    link = port.Iec104Link(conn, rng)
    ts = conn.send(t + 0.01, True, port.apci_u(port.U_STARTDT_ACT))
    t = conn.send(ts + rng.uniform(0.003, 0.008), False, port.apci_u(port.U_STARTDT_CON))
    # C_SC_NA_1: open breaker IOA 2001 (SCO: S/E = execute, SCS = OFF).
    obj = [port.ioa(2001) + b"\x00"]
    t = link.master_i(t + 0.05, port.asdu(45, 6, 1, obj))
    t = link.slave_i(t + rng.uniform(0.005, 0.01), port.asdu(45, 7, 1, obj))
    t = link.slave_i(t + rng.uniform(0.05, 0.1), port.asdu(45, 10, 1, obj))
    t = conn.send(t + 0.02, True, port.apci_s(link.m_nr))
    conn.close(t + 0.05)
    rec.add(aid, t0, "iec104-single-command", "iec104", rogue.ip, rtu.ip,
            "IEC 104 C_SC_NA_1 (type 45) single command, IOA 2001 OFF, from an unknown "
            "master; RTU answers ActCon and ActTerm", type_id=45, ioa=2001)


# ================================================================== rail

def rail_attacks(ctx, lans, H, conns, rec, extended=False):
    """The rail attacks; `extended` (the rail scenario of its own, not the combined
    sample, whose alerts the documentation quotes) adds those on the safety code,
    TRDP's FCS and GOOSE."""
    rogue = lans[0].add(Host(**RAIL_ROGUE))
    D = ctx.duration
    _sci_foreign_host(ctx, lans[0], rogue, H, D * 0.30, rec)
    _rasta_sn_jump(ctx, lans, conns["ls"], D * 0.50, rec)
    _sci_wrong_sender(ctx, lans, conns["p"], D * 0.70, rec)
    if extended:
        _rasta_forged_safety_code(ctx, lans, conns["tds"], D * 0.40, rec)
        _trdp_fcs_error(ctx, lans[0], H, D * 0.60, rec)
        _goose_stnum_jump(ctx, lans[0], H["tpss"], conns["goose"], D * 0.80, rec)
    return rogue


def _last_before(conn, sender, t):
    last = None
    for e in conn.log:
        if e["sender"] == sender and e["t"] < t:
            last = e
    return last


def _sci_foreign_host(ctx, lan_a, rogue, H, t0, rec):
    """A RaSTA Data PDU with valid CRC and MD4 from a host that is not the interlocking."""
    aid = "sci-move-point-foreign-host"
    rng = ctx.rng(aid)
    tel = rail.sci(rail.SCI_P, rail.MOVE_POINT, "EIL99", "W101", bytes([rail.POS_LEFT]))
    inner = rail.safretl(rail.DATA, 0x61, 0x66, rng.getrandbits(31), 0, rng.getrandbits(31), 0,
                         rail.data_body([tel]))
    pdu = rail.redl(0, inner)
    lan_a.udp(t0, rogue, H["p_a"].ip, 9998, 8888, pdu, "rasta", aid)
    rec.add(aid, t0, "sci-command-foreign-sender", "rasta/sci-p", rogue.ip, H["p_a"].ip,
            "SCI-P Move Point (left) to W101 inside a well-formed RaSTA Data PDU from a "
            "non-interlocking host, RaSTA sender id 0x66, SCI sender EIL99, network A only",
            rasta_sender_id=0x66, rasta_receiver_id=0x61, sci_sender="EIL99")


def _rasta_sn_jump(ctx, lans, conn, t0, rec):
    """Forged heartbeat on EIL -> N12 whose SN (and RedL SN) is 1000 ahead."""
    aid = "rasta-sn-jump"
    rng = ctx.rng(aid)
    last = _last_before(conn, conn.eil.name, t0)
    sn = (last["sn"] + 1000) & 0xFFFFFFFF
    ts = (last["ts"] + int((t0 - last["t"]) * 1000)) & 0xFFFFFFFF
    inner = rail.safretl(rail.HB, conn.oc.id, conn.eil.id, sn, last["cs"], ts, last["cts"])
    pdu = rail.redl(last["red_sn"] + 1000, inner)
    for ch in (0, 1):
        e, o = conn.eil, conn.oc
        lans[ch].udp(t0 + ch * 0.00003, e.hosts[ch], o.hosts[ch].ip, e.ports[ch], o.ports[ch],
                     pdu, "rasta", aid, ident=rng.getrandbits(16))
    rec.add(aid, t0, "rasta-sequence-jump", "rasta", conn.eil.hosts[0].ip, conn.oc.hosts[0].ip,
            "Heartbeat spoofed from the interlocking to N12 on both channels with SN = last SN "
            "+ 1000 (RedL SN likewise); the genuine stream then continues with its own SN",
            previous_sn=last["sn"], forged_sn=sn, previous_red_sn=last["red_sn"],
            forged_red_sn=(last["red_sn"] + 1000) & 0xFFFFFFFF)


def _sci_wrong_sender(ctx, lans, conn, t0, rec):
    """Move Point on the EIL -> W101 flows whose SCI sender is not the interlocking's name."""
    aid = "sci-move-point-wrong-sender"
    rng = ctx.rng(aid)
    last = _last_before(conn, conn.eil.name, t0)
    tel = rail.sci(rail.SCI_P, rail.MOVE_POINT, "EIL02", "W101", bytes([rail.POS_LEFT]))
    ts = (last["ts"] + int((t0 - last["t"]) * 1000)) & 0xFFFFFFFF
    inner = rail.safretl(rail.DATA, conn.oc.id, conn.eil.id, last["sn"] + 1, last["cs"], ts,
                         last["cts"], rail.data_body([tel]))
    pdu = rail.redl(last["red_sn"] + 1, inner)
    for ch in (0, 1):
        e, o = conn.eil, conn.oc
        lans[ch].udp(t0 + ch * 0.00003, e.hosts[ch], o.hosts[ch].ip, e.ports[ch], o.ports[ch],
                     pdu, "rasta", aid, ident=rng.getrandbits(16))
    rec.add(aid, t0, "sci-command-wrong-sender", "rasta/sci-p", conn.eil.hosts[0].ip,
            conn.oc.hosts[0].ip,
            "SCI-P Move Point (left) to W101 on the interlocking's own RaSTA flows (sender id "
            "0x60, next SN) but with SCI sender EIL02 instead of EIL01; the genuine next PDU "
            "reuses that SN", sci_sender="EIL02", sn=last["sn"] + 1)


def _rasta_forged_safety_code(ctx, lans, conn, t0, rec):
    """SCI-TDS force clear (FC-U) to G101 on the interlocking's flows, next SN, a valid
    check code, but a safety code made with another key (MD4 IV all zero)."""
    aid = "rasta-forged-safety-code"
    rng = ctx.rng(aid)
    last = _last_before(conn, conn.eil.name, t0)
    tel = rail.sci(rail.SCI_TDS, rail.FORCE_CLEAR, rail.EIL_NAME, "G101", bytes([rail.FC_U]))
    ts = (last["ts"] + int((t0 - last["t"]) * 1000)) & 0xFFFFFFFF
    inner = rail.safretl(rail.DATA, conn.oc.id, conn.eil.id, last["sn"] + 1, last["cs"], ts, last["cts"],
                         rail.data_body([tel]), iv=(0, 0, 0, 0))
    pdu = rail.redl(last["red_sn"] + 1, inner)
    for ch in (0, 1):
        e, o = conn.eil, conn.oc
        lans[ch].udp(t0 + ch * 0.00003, e.hosts[ch], o.hosts[ch].ip, e.ports[ch], o.ports[ch],
                     pdu, "rasta", aid, ident=rng.getrandbits(16))
    rec.add(aid, t0, "rasta-forged-safety-code", "rasta/sci-tds", conn.eil.hosts[0].ip, conn.oc.hosts[0].ip,
            "SCI-TDS force clear (FC-U) to G101 in a RaSTA Data PDU on the interlocking's flows, next SN, "
            "valid check code, safety code computed with a wrong MD4 initial value (all zero)",
            sn=last["sn"] + 1)


def _trdp_fcs_error(ctx, lan_a, H, t0, rec):
    """A PD of the door control unit's comId 2001 whose header FCS does not match (a forged telegram)."""
    aid = "trdp-fcs-error"
    rng = ctx.rng(aid)
    dcu = H["dcu-car2"]
    pd = bytearray(rail.trdp_pd(rng.randint(1000, 60000), 2001, bytes(16)))
    pd[36] ^= 0x5A                                  # the FCS's first byte
    lan_a.udp(t0, dcu, "239.192.0.2", rail.TRDP_PD_PORT, rail.TRDP_PD_PORT, bytes(pd), "trdp", aid,
              tos=5 << 5, ident=rng.getrandbits(16))
    rec.add(aid, t0, "trdp-fcs-error", "trdp", dcu.ip, "239.192.0.2",
            "TRDP PD comId 2001 with the door control unit's address and a header FCS that does not "
            "match the header (spoofed or corrupted telegram)", comid=2001)


def _goose_stnum_jump(ctx, lan_a, ied, log, t0, rec):
    """GOOSE spoofing: the relay's MAC and gocbRef, stNum 50 ahead, sqNum 0, trip set and
    the breaker open, so that subscribers take it as a new state."""
    aid = "goose-stnum-jump"
    last = [e for e in log if e[0] < t0][-1]
    frame = rail.goose_frame(ied.mac, last[1] + 50, 0, ctx.epoch + t0, 2000, False, True, 0.0)
    lan_a.tl.add(t0, frame, "goose", aid)
    rec.add(aid, t0, "goose-stnum-jump", "goose", ied.mac, rail.GOOSE_DST,
            "GOOSE from the relay's MAC with its gocbRef, stNum %d instead of %d, sqNum 0, trip true: "
            "a spoofed state change; the relay's own next message goes on with stNum %d" %
            (last[1] + 50, last[1], last[1]), previous_st_num=last[1], forged_st_num=last[1] + 50)
