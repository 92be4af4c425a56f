"""Rail signalling segment: RaSTA (DIN VDE V 0831-200) carrying EULYNX SCI-P,
SCI-LS and SCI-TDS between an electronic interlocking (EIL) and three object
controllers (OCs), plus TRDP process data; in the rail scenario of its own
(not the combined sample) also the IEC 61850 GOOSE of a traction power
substation's protection relay.

Byte layouts and check parameters follow ../shared/reference/rail-protocols.md (beside the repository)
(sections 1-3); section numbers below refer to it.  All RaSTA integers are
little-endian (1.10).  Check code option B (CRC-32, poly 0xEE5B42FD, not
reflected) and the lower half of MD4 with the standard IV are used, matching
librasta's defaults apart from the CRC option.

Redundancy: each host has two NICs, one on network A (10.20.0.0/24) and one on
network B (10.20.1.0/24); every RedL PDU is sent on both, byte-identical
(1.1).  The EIL is the RaSTA client (librasta sample ports 9998/9999), the
OCs listen on 8888/8889.
"""

import struct
import zlib

from . import net
from .net import Host, jit

# ============================================================ check codes

CRC_B_POLY = 0xEE5B42FD


def crc32_opt_b(data):
    """RaSTA check code option B: CRC-32, poly 0xEE5B42FD, init 0, no reflection, xorout 0."""
    crc = 0
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ CRC_B_POLY) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


MD4_IV = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476)


def md4(msg, iv=MD4_IV):
    """RFC 1320 MD4 with a configurable initial state (RaSTA lets each network set A-D).

    Implemented here because OpenSSL 3 no longer offers MD4 through hashlib.
    """
    M = 0xFFFFFFFF

    def rotl(x, s):
        x &= M
        return ((x << s) | (x >> (32 - s))) & M

    ml = len(msg) * 8
    msg = msg + b"\x80" + b"\0" * ((55 - len(msg)) % 64) + struct.pack("<Q", ml)
    A, B, C, D = iv
    rounds = (
        (lambda x, y, z: (x & y) | (~x & z), 0, list(range(16)), (3, 7, 11, 19)),
        (lambda x, y, z: (x & y) | (x & z) | (y & z), 0x5A827999,
         [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15], (3, 5, 9, 13)),
        (lambda x, y, z: x ^ y ^ z, 0x6ED9EBA1,
         [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], (3, 9, 11, 15)),
    )
    for off in range(0, len(msg), 64):
        X = struct.unpack("<16I", msg[off:off + 64])
        a, b, c, d = A, B, C, D
        for f, k, order, shifts in rounds:
            for i, xi in enumerate(order):
                s = shifts[i % 4]
                if i % 4 == 0:
                    a = rotl(a + f(b, c, d) + X[xi] + k, s)
                elif i % 4 == 1:
                    d = rotl(d + f(a, b, c) + X[xi] + k, s)
                elif i % 4 == 2:
                    c = rotl(c + f(d, a, b) + X[xi] + k, s)
                else:
                    b = rotl(b + f(c, d, a) + X[xi] + k, s)
        A, B, C, D = (A + a) & M, (B + b) & M, (C + c) & M, (D + d) & M
    return struct.pack("<4I", A, B, C, D)


# ================================================================== RaSTA

CONN_REQ, CONN_RESP, RETR_REQ, RETR_RESP = 6200, 6201, 6212, 6213
DISC_REQ, HB, DATA, RETR_DATA = 6216, 6220, 6240, 6241
RASTA_VERSION = b"0303"
N_SENDMAX = 20
SAFETY_LEN = 8          # lower half of MD4 (1.5)


def safretl(mtype, receiver, sender, sn, cs, ts, cts, body=b"", k=SAFETY_LEN, iv=MD4_IV):
    """SafRetL PDU (1.3): length, type, receiver, sender, SN, CS, TS, CTS, data, safety code."""
    length = 28 + len(body) + k
    pdu = struct.pack("<HHIIIIII", length, mtype, receiver, sender, sn & 0xFFFFFFFF,
                      cs & 0xFFFFFFFF, ts & 0xFFFFFFFF, cts & 0xFFFFFFFF) + body
    return pdu + md4(pdu, iv)[:k]


def redl(sn, inner):
    """RedL PDU (1.2): length, reserve 0, SN, SafRetL PDU, CRC option B stored little-endian."""
    head = struct.pack("<HHI", 8 + len(inner) + 4, 0, sn & 0xFFFFFFFF) + inner
    return head + struct.pack("<I", crc32_opt_b(head))


def conn_body():
    """ConnReq/ConnResp data: version, N_SENDMAX, 8 reserved bytes (1.4)."""
    return RASTA_VERSION + struct.pack("<H", N_SENDMAX) + b"\0" * 8


def data_body(messages):
    """Data PDU payload: one or more [LE16 length][message] (1.4, 2.1)."""
    return b"".join(struct.pack("<H", len(m)) + m for m in messages)


# ==================================================================== SCI

SCI_P, SCI_LS, SCI_TDS = 0x40, 0x30, 0x20


def sci_name(name):
    return name.encode("latin-1").ljust(20, b"_")


def sci(proto, mtype, sender, receiver, payload=b""):
    """SCI telegram (2.2): protocol type, message type (LE as in librasta), ids, payload."""
    return bytes([proto]) + struct.pack("<H", mtype) + sci_name(sender) + sci_name(receiver) + payload


# Generic PDI (2.4)
PDI_VERSION_CHECK_CMD, PDI_VERSION_CHECK_MSG = 0x0024, 0x0025
INIT_REQUEST, START_INIT, INIT_COMPLETED = 0x0021, 0x0022, 0x0023
# SCI-P (2.5)
MOVE_POINT, POINT_POSITION = 0x0001, 0x000B
POS_RIGHT, POS_LEFT, POS_NO_END, POS_UNINTENDED = 1, 2, 3, 4
# SCI-LS (2.7; payload layout as librasta scils_telegram_factory.c)
SHOW_ASPECT, ASPECT_STATUS = 0x0001, 0x0003
HP0, KS1, KS2 = 0x01, 0x04, 0x07
# SCI-TDS (2.6)
FORCE_CLEAR, FC_U = 0x0001, 0x01
TVPS_STATUS = 0x0007
VACANT, OCCUPIED = 0x01, 0x02

PDI_VERSION = 0x01


def ls_show(main):
    """Show signal aspect command payload: main, additional, Zs3, Zs3v, Zs2, Zs2v,
    depreciation, driveway (up|down nibbles), dark switching (9 bytes)."""
    return bytes([main, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])


def ls_status(main):
    """Signal aspect status: the 9 aspect bytes (route information 0xFF) + 9 national bytes."""
    return bytes([main, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]) + b"\xff" * 9


def tds_status(occupancy, trigger):
    """TVPS occupancy status (2.6): occupancy, ability to be forced clear, filling level
    (LE16), POM status, disturbance, change trigger."""
    return struct.pack("<BBHBBB", occupancy, 0x02, 0, 0x01, 0xFF, trigger)


# ============================================================ RaSTA peers

class RastaPeer:
    """One end of a RaSTA connection: its SN, its ms clock and what it last received."""

    def __init__(self, name, rasta_id, host_a, host_b, port_a, port_b, rng):
        self.name = name
        self.id = rasta_id
        self.hosts = (host_a, host_b)
        self.ports = (port_a, port_b)
        self.sn = rng.getrandbits(31)          # initial SN is random (SN_T)
        self.clock0 = rng.getrandbits(31)      # ms counter is sender-local
        self.red_sn = 0                        # RedL SN per redundancy channel
        self.rx_sn = 0                         # last SN received from the peer (-> CS)
        self.rx_ts = 0                         # last TS received from the peer (-> CTS)
        self.last_tx = None

    def ts(self, t):
        return (self.clock0 + int(t * 1000)) & 0xFFFFFFFF


class RastaConn:
    """A RaSTA connection over two transport channels (networks A and B)."""

    T_H = 0.300          # heartbeat period

    def __init__(self, ctx, lans, eil, oc, rng, attack=None):
        self.ctx, self.lans, self.rng = ctx, lans, rng
        self.eil, self.oc = eil, oc
        self.attack = attack
        self.log = []      # every PDU's header fields, for forging attacks and manifests

    def _send(self, t, me, peer, mtype, body, cs=None, cts=None):
        cs = me.rx_sn if cs is None else cs
        cts = me.rx_ts if cts is None else cts
        inner = safretl(mtype, peer.id, me.id, me.sn, cs, me.ts(t), cts, body)
        pdu = redl(me.red_sn, inner)
        # Same PDU on both channels; B lags A by the few tens of microseconds
        # the sender needs to serve its second socket.
        for ch, dt in ((0, 0.0), (1, 0.00002 + self.rng.random() * 0.00006)):
            self.lans[ch].udp(t + dt, me.hosts[ch], peer.hosts[ch].ip, me.ports[ch],
                              peer.ports[ch], pdu, "rasta", self.attack)
        self.log.append(dict(t=t, sender=me.name, type=mtype, sn=me.sn, red_sn=me.red_sn,
                             cs=cs, ts=me.ts(t), cts=cts))
        peer.rx_sn, peer.rx_ts = me.sn, me.ts(t)
        me.sn = (me.sn + 1) & 0xFFFFFFFF
        me.red_sn = (me.red_sn + 1) & 0xFFFFFFFF
        me.last_tx = t
        return t

    def open(self, t):
        """ConnReq (CS = CTS = 0), ConnResp (CS/CTS echo the request), HB from the client."""
        self._send(t, self.eil, self.oc, CONN_REQ, conn_body(), cs=0, cts=0)
        t += self.rng.uniform(0.002, 0.004)
        self._send(t, self.oc, self.eil, CONN_RESP, conn_body())
        t += self.rng.uniform(0.0005, 0.0015)
        self._send(t, self.eil, self.oc, HB, b"")
        return t

    def run(self, t, events, t_end):
        """Play `events` [(t, from_eil, telegram)] and fill the gaps with heartbeats.

        Each side sends a HB when it has sent nothing for T_h; data resets the
        timer.  Both sides run their own timer, so their HBs drift apart.
        """
        events = sorted(events, key=lambda e: e[0])
        hb_jit = {self.eil.name: 0.0, self.oc.name: 0.0}
        i = 0
        while True:
            due = []
            for me in (self.eil, self.oc):
                due.append((me.last_tx + self.T_H + hb_jit[me.name], me.name))
            t_hb, who = min(due)
            t_ev = events[i][0] if i < len(events) else float("inf")
            if min(t_hb, t_ev) > t_end:
                break
            if t_ev <= t_hb:
                _, from_eil, telegram = events[i]
                me, peer = (self.eil, self.oc) if from_eil else (self.oc, self.eil)
                self._send(t_ev, me, peer, DATA, data_body([telegram]))
                i += 1
            else:
                me, peer = (self.eil, self.oc) if who == self.eil.name else (self.oc, self.eil)
                self._send(t_hb, me, peer, HB, b"")
                hb_jit[me.name] = jit(self.rng, 0.0008)


# ================================================================== TRDP

TRDP_PD_PORT = 17224


def trdp_pd(seq, comid, dataset, msgtype=0x5064, etb_topo=0, op_topo=0):
    """PD header (3.2) with the header FCS stored little-endian (3.4), then padded data."""
    hdr = struct.pack(">IHHIIIIIII", seq, 0x0100, msgtype, comid, etb_topo, op_topo,
                      len(dataset), 0, 0, 0)
    fcs = zlib.crc32(hdr)
    return hdr + struct.pack("<I", fcs) + dataset + b"\0" * (-len(dataset) % 4)


# ================================================================= GOOSE

GOOSE_ETHERTYPE = 0x88B8
GOOSE_DST = "01:0c:cd:01:00:10"      # IEC 61850-8-1 Annex B multicast range
GOOSE_APPID = 0x0010
GOOSE_REF = "TPSS1PROT/LLN0$GO$gcbTrip"
GOOSE_DATASET = "TPSS1PROT/LLN0$dsTrip"
GOOSE_ID = "TPSS1_TRIP"
GOOSE_T0 = 1.0                      # steady-state retransmission interval
GOOSE_BURST = (0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512)   # after a state change
TPSS_IED = ("tpss1-ied", "10.20.0.51", "00:30:a7:20:00:51",
            "traction power substation protection relay (IEC 61850 GOOSE publisher)")


def ber(tag, value):
    """BER tag-length-value with definite lengths, short or long form."""
    n = len(value)
    if n < 0x80:
        return bytes([tag, n]) + value
    size = (n.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + n.to_bytes(size, "big") + value


def ber_uint(tag, v):
    """An unsigned as BER INTEGER: big-endian, a leading 0 when the top bit is set."""
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return ber(tag, b)


def utc_time(epoch_s):
    """IEC 61850 UtcTime: seconds (4), fraction of a second (3), quality (1: 10 bits accurate)."""
    sec = int(epoch_s)
    frac = int((epoch_s - sec) * (1 << 24)) & 0xFFFFFF
    return struct.pack(">I", sec) + frac.to_bytes(3, "big") + b"\x0a"


def goose_frame(src_mac, st, sq, t_change, ttl_ms, closed, trip, current_a):
    """A GOOSE frame (IEC 61850-8-1 Annex C), priority-tagged (VLAN 0, priority 4) as relays send it.

    Data set: breaker position (Dbpos bit-string: 10 closed, 01 open), trip (boolean),
    line current in A (32-bit float)."""
    data = (ber(0x84, bytes([6, 0x80 if closed else 0x40])) + ber(0x83, bytes([1 if trip else 0])) +
            ber(0x87, b"\x08" + struct.pack(">f", current_a)))
    pdu = (ber(0x80, GOOSE_REF.encode()) + ber_uint(0x81, ttl_ms) + ber(0x82, GOOSE_DATASET.encode()) +
           ber(0x83, GOOSE_ID.encode()) + ber(0x84, utc_time(t_change)) + ber_uint(0x85, st) +
           ber_uint(0x86, sq) + ber(0x87, b"\x00") + ber_uint(0x88, 1) + ber(0x89, b"\x00") +
           ber_uint(0x8A, 3) + ber(0xAB, data))
    goose = ber(0x61, pdu)
    payload = struct.pack(">HHHH", GOOSE_APPID, 8 + len(goose), 0, 0) + goose
    return net.ether(GOOSE_DST, src_mac, GOOSE_ETHERTYPE, payload, vlans=((0x8100, 4 << 13),))


def run_goose(ctx, lan_a, ied):
    """The relay's trip GOOSE: every T0 at rest; on each state change (the breaker opened
    for a maintenance possession, closed again) a burst of retransmissions at growing
    intervals.  timeAllowedToLive is twice the next interval.  Returns the publisher's
    log [(t, stNum, sqNum)] for the attacks."""
    rng = ctx.rng("goose-tpss1")
    D = ctx.duration
    changes = [D * 0.35, D * 0.45]           # open, close
    st, sq, closed, t_change = rng.randint(20, 200), 0, True, rng.uniform(-3600, -60)
    current = None
    t, log, intervals = rng.uniform(0.0, GOOSE_T0), [], []
    while t < D - 0.05:
        if changes and t >= changes[0]:
            t = changes.pop(0)
            st, sq, closed, t_change = st + 1, 0, not closed, t
            intervals = list(GOOSE_BURST)
            current = None
        if current is None:     # a new state's values; retransmissions repeat them (a change needs a new stNum)
            current = round(412.0 + rng.uniform(-3.0, 3.0), 1) if closed else 0.0
        nxt = intervals[0] if intervals else GOOSE_T0
        lan_a.tl.add(t, goose_frame(ied.mac, st, sq, ctx.epoch + t_change, int(2000 * nxt), closed, False,
                                    current), "goose")
        log.append((t, st, sq, closed))
        sq += 1
        if intervals:
            intervals.pop(0)
        t += nxt + jit(rng, 0.0002)
    return log


# ================================================================ the site

EIL_NAME, EIL_ID = "EIL01", 0x60
OCS = (
    # key, SCI name, RaSTA id, host octet, vendor MAC prefix, role
    ("p", "W101", 0x61, 21, "00:16:9b", "object controller, point W101 (SCI-P)"),
    ("ls", "N12", 0x62, 22, "00:16:9b", "object controller, signal N12 (SCI-LS)"),
    ("tds", "G101", 0x63, 23, "00:0d:c9", "object controller, track section G101 (SCI-TDS)"),
)
TRDP_PUBLISHERS = (
    # host octet, MAC, name, [(comId, period s, group, dataset length)]
    (41, "00:00:60:1e:41:41", "ccu-car1", [(1001, 0.1, "239.192.0.1", 24), (1002, 0.5, "239.192.0.1", 30)]),
    (42, "00:00:60:1e:42:42", "dcu-car2", [(2001, 0.1, "239.192.0.2", 16), (2002, 1.0, "239.192.0.2", 8)]),
    (43, "00:00:60:1e:43:43", "hvac-car3", [(3001, 0.2, "239.192.0.3", 12)]),
)


def make_lans(ctx, substation=False):
    """Network A and network B with the hosts of the rail segment (with the substation's relay)."""
    lan_a = net.Lan(ctx.tl, ctx.seed, "rail-a")
    lan_b = net.Lan(ctx.tl, ctx.seed, "rail-b")
    H = {}

    def dual(key, name, octet, mac_prefix, role, vendor, os="embedded"):
        H[key + "_a"] = lan_a.add(Host(name + "-a", "10.20.0.%d" % octet,
                                       "%s:%02x:00:%02x" % (mac_prefix, 0xA0, octet), role,
                                       os=os, vendor=vendor))
        H[key + "_b"] = lan_b.add(Host(name + "-b", "10.20.1.%d" % octet,
                                       "%s:%02x:00:%02x" % (mac_prefix, 0xB0, octet), role,
                                       os=os, vendor=vendor))

    dual("eil", "eil01", 10, "28:63:36", "electronic interlocking EIL01 (RaSTA client)",
         "Siemens", os="linux")
    for key, name, _, octet, pfx, role in OCS:
        dual(key, "oc-" + name.lower(), octet, pfx, role,
             "Alstom" if pfx == "00:16:9b" else "Thales")
    H["ntp"] = lan_a.add(Host("rail-ntp", "10.20.0.5", "ec:46:70:00:2b:05",
                              "NTP stratum-1 GPS clock (network A)", os="linux", vendor="Meinberg"))
    for octet, mac_addr, name, _ in TRDP_PUBLISHERS:
        H[name] = lan_a.add(Host(name, "10.20.0.%d" % octet, mac_addr,
                                 "TRDP PD publisher (depot test track consist)", os="linux",
                                 vendor="Kontron"))
    if substation:
        name, ip, mac_addr, role = TPSS_IED
        H["tpss"] = lan_a.add(Host(name, ip, mac_addr, role, os="embedded", vendor="SEL"))
    gw = lan_a.add(Host("rail-fw", "10.20.0.1", "00:0a:dc:20:00:01",
                        "signalling firewall/router", os="embedded", vendor="RuggedCom"))
    # Network B is an isolated redundant LAN; nothing on it is routed, the
    # gateway entry only completes the Lan object.
    lan_a.gateway = lan_b.gateway = gw
    H["gw"] = gw
    return (lan_a, lan_b), H


def peers(ctx, H, key, oc_name, rasta_id):
    rng = ctx.rng("rasta-" + key)
    eil = RastaPeer(EIL_NAME, EIL_ID, H["eil_a"], H["eil_b"], 9998, 9999, rng)
    oc = RastaPeer(oc_name, rasta_id, H[key + "_a"], H[key + "_b"], 8888, 8889, rng)
    return eil, oc, rng


def interlocking_script(ctx, t_init):
    """What the interlocking does: PDI start-up, then a route for a train every ~70 s.

    Returns {oc key: [(t, from_eil, telegram)]}.  A route: move W101, when it
    reports its end position clear N12 (Ks1), the train occupies G101, N12
    returns to Hp0, the train clears G101.
    """
    rng = ctx.rng("interlocking")
    ev = {"p": [], "ls": [], "tds": []}
    names = {"p": "W101", "ls": "N12", "tds": "G101"}
    protos = {"p": SCI_P, "ls": SCI_LS, "tds": SCI_TDS}
    state = {"p": POS_RIGHT, "ls": HP0, "tds": VACANT}

    def eil(key, t, mtype, payload=b""):
        ev[key].append((t, True, sci(protos[key], mtype, EIL_NAME, names[key], payload)))

    def oc(key, t, mtype, payload=b""):
        ev[key].append((t, False, sci(protos[key], mtype, names[key], EIL_NAME, payload)))

    def status(key, t):
        if key == "p":
            oc(key, t, POINT_POSITION, bytes([state["p"], 0x03]))
        elif key == "ls":
            oc(key, t, ASPECT_STATUS, ls_status(state["ls"]))
        else:
            oc(key, t, TVPS_STATUS, tds_status(state["tds"], 0x05))

    # PDI start-up per OC (eulynx-live B4R2 order): version check, initialisation
    # request, start initialisation, status report, initialisation completed.
    for i, key in enumerate(("p", "ls", "tds")):
        t = t_init[key] + 0.05
        eil(key, t, PDI_VERSION_CHECK_CMD, bytes([PDI_VERSION]))
        t += rng.uniform(0.02, 0.04)
        oc(key, t, PDI_VERSION_CHECK_MSG, bytes([0x02, PDI_VERSION, 0]))
        t += rng.uniform(0.02, 0.04)
        eil(key, t, INIT_REQUEST)
        t += rng.uniform(0.02, 0.04)
        oc(key, t, START_INIT)
        t += rng.uniform(0.005, 0.01)
        status(key, t)
        t += rng.uniform(0.005, 0.01)
        oc(key, t, INIT_COMPLETED)

    t = 6.0 + rng.uniform(0, 4)
    while t < ctx.duration - 20:
        target = POS_LEFT if state["p"] == POS_RIGHT else POS_RIGHT
        eil("p", t, MOVE_POINT, bytes([target]))
        state["p"] = POS_NO_END
        status("p", t + rng.uniform(0.15, 0.3))            # blades leave the end position
        t += rng.uniform(3.5, 6.0)                          # point machine throw time
        state["p"] = target
        status("p", t)
        t += rng.uniform(0.3, 0.8)
        eil("ls", t, SHOW_ASPECT, ls_show(KS1))
        state["ls"] = KS1
        status("ls", t + rng.uniform(0.08, 0.2))
        t += rng.uniform(12, 25)                            # train approaches
        state["tds"] = OCCUPIED
        ev["tds"].append((t, False, sci(SCI_TDS, TVPS_STATUS, "G101", EIL_NAME,
                                        tds_status(OCCUPIED, 0x01))))
        t += rng.uniform(0.4, 1.0)
        eil("ls", t, SHOW_ASPECT, ls_show(HP0))             # signal back to stop behind the train
        state["ls"] = HP0
        status("ls", t + rng.uniform(0.08, 0.2))
        t += rng.uniform(8, 15)                             # train clears the section
        state["tds"] = VACANT
        ev["tds"].append((t, False, sci(SCI_TDS, TVPS_STATUS, "G101", EIL_NAME,
                                        tds_status(VACANT, 0x01))))
        t += rng.uniform(20, 40)
    return ev


def run_trdp(ctx, lan_a, H):
    for octet, _, name, telegrams in TRDP_PUBLISHERS:
        host = H[name]
        for comid, period, group, dlen in telegrams:
            rng = ctx.rng("trdp-%d" % comid)
            # Counters start at 0 when the publisher boots; these consists came up
            # minutes ago.  Keeping the top 16 bits zero also keeps tshark's
            # classic-STUN heuristic (message type 0x0001 in the first two
            # bytes) from claiming the odd datagram.
            seq = rng.randint(1000, 60000)
            t = rng.uniform(0.0, period)
            k = 0
            while t < ctx.duration - 0.05:
                # Dataset: a life counter and slowly changing values, zero-filled to length.
                body = struct.pack(">IHH", k, 0x0101, int(2000 + 50 * ((k // 20) % 5)))
                body = (body + bytes((comid + k + i) & 0x3F for i in range(dlen)))[:dlen]
                # TCNOpen sets TOS from the QoS class (default PD QoS 5).
                lan_a.udp(t, host, group, TRDP_PD_PORT, TRDP_PD_PORT, trdp_pd(seq, comid, body),
                          "trdp", tos=5 << 5)
                seq = (seq + 1) & 0xFFFFFFFF
                k += 1
                t = t + period + jit(rng, 0.0003)


def build(ctx, lans, H):
    """All rail signalling traffic.  Returns the RaSTA connections (for attacks/manifests)."""
    t_init = {"p": 0.10, "ls": 0.16, "tds": 0.23}
    script = interlocking_script(ctx, t_init)
    conns = {}
    for key, name, rid, _, _, _ in OCS:
        eil, oc, rng = peers(ctx, H, key, name, rid)
        c = RastaConn(ctx, lans, eil, oc, rng)
        t = c.open(t_init[key])
        c.run(t, script[key], ctx.duration - 0.05)
        conns[key] = c
    run_trdp(ctx, lans[0], H)
    if "tpss" in H:
        conns["goose"] = run_goose(ctx, lans[0], H["tpss"])
    return conns
