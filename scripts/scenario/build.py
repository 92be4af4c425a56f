"""Scenario assembly and output: pcap/pcapng, manifest and attack table.

Kept apart from the command line so tests (and the self-test) can build
captures in memory.
"""

import calendar
import collections
import json
import os
import time

from . import attacks, decode, it, net, port, rail
from .pcapwriter import PcapngWriter, PcapWriter

# 2024-05-14 06:00:00 UTC: a fixed start so files never depend on the clock.
EPOCH = calendar.timegm((2024, 5, 14, 6, 0, 0))
DEFAULT_SEED = 20240514

SCENARIOS = ("port", "rail", "combined", "decode-mix")
BASENAMES = {"port": "port-scada", "rail": "rail-signalling", "combined": "terminal-and-rail",
             "decode-mix": "decode-mix"}

# tshark options a reader needs for these captures (Modbus on 5020 is
# content-classified by Bollard, but tshark goes by port).
TSHARK_OPTS = ["-o", "mbtcp.tcp.port:502,5020"]


class Capture:
    """A generated capture: sorted frames plus what the manifests need."""

    def __init__(self, kind, seed, duration, attacks_on, entries, hosts, flows, attack_items):
        self.kind, self.seed, self.duration, self.attacks = kind, seed, duration, attacks_on
        self.entries, self.hosts, self.flows, self.attack_items = entries, hosts, flows, attack_items


def generate(kind, duration, seed=DEFAULT_SEED, with_attacks=False):
    """Build the frames of one scenario ('port', 'rail' or 'combined')."""
    tl = net.Timeline(EPOCH * 1_000_000_000)
    ctx = net.Ctx(tl, seed, duration, EPOCH)
    rec = attacks.Recorder()
    lans, hosts = [], []
    if kind in ("port", "combined"):
        lan, H = port.make_lan(ctx)
        port.build(ctx, lan, H)
        it.build_port_it(ctx, lan, H)
        if with_attacks:
            attacks.port_attacks(ctx, lan, H, rec)
        lans.append(lan)
    if kind in ("rail", "combined"):
        # The rail scenario alone also has the substation's GOOSE and the attacks on the
        # rail protocols' integrity; the combined sample keeps its nine attacks (docs quote it).
        alone = kind == "rail"
        rlans, R = rail.make_lans(ctx, substation=alone)
        conns = rail.build(ctx, rlans, R)
        it.build_rail_it(ctx, rlans, R)
        if with_attacks:
            attacks.rail_attacks(ctx, rlans, R, conns, rec, extended=alone)
        lans += list(rlans)
    for lan in lans:
        lan.resolve_arp()
        for h in lan.hosts.values():
            d = h.describe()
            d["segment"] = lan.name
            hosts.append(d)
    entries = tl.sorted_entries()
    flows = sorted(tl.flows.values(), key=lambda f: (f["protocol"], f["client"], f["server"]))
    return Capture(kind, seed, duration, with_attacks, entries, hosts, flows, rec.items)


def iso(ns):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000)) + \
        ".%06dZ" % (ns % 1_000_000_000 // 1000)


def write_capture(cap, path, fmt="pcap", nanosecond=False, command=None):
    """Write frames and, next to them, <name>.manifest.json (and .attacks.json)."""
    if fmt == "pcapng":
        w = PcapngWriter(path)
        w.add_interface(1, "span0", "SPAN port of the %s segment" % cap.kind, nanosecond=nanosecond)
        for e in cap.entries:
            w.write(0, e[0], e[2])
    else:
        w = PcapWriter(path, nanosecond=nanosecond)
        for e in cap.entries:
            w.write(e[0], e[2])
    w.close()

    by_tag = collections.Counter(e[3] for e in cap.entries)
    frames_of = collections.defaultdict(list)
    for n, e in enumerate(cap.entries, 1):
        if e[4]:
            frames_of[e[4]].append(n)
    attack_rows = []
    for a in cap.attack_items:
        row = dict(a)
        fr = frames_of.get(a["id"], [])
        t_ns = EPOCH * 1_000_000_000 + round(a["offset_s"] * 1e9)
        row.update(time=iso(t_ns), frames=fr, first_frame=fr[0] if fr else None,
                   frame_count=len(fr))
        attack_rows.append(row)

    base = os.path.splitext(path)[0]
    name = os.path.basename(path)
    man = {
        "file": name,
        "generator": command or "scripts/gen-scenario",
        "scenario": cap.kind,
        "seed": cap.seed,
        "duration_s": cap.duration,
        "start": iso(EPOCH * 1_000_000_000),
        "format": "%s, %s timestamps, Ethernet" % (fmt, "nanosecond" if nanosecond else "microsecond"),
        "frames": len(cap.entries),
        # Frames per flow protocol: a TCP flow's handshake, pure ACKs and FINs
        # count under its application protocol; "scan" is the SYN scan.
        "frames_by_protocol": dict(sorted(by_tag.items())),
        "attack_frames": sum(len(v) for v in frames_of.values()),
        "tshark_options": TSHARK_OPTS,
        "hosts": sorted(cap.hosts, key=lambda h: (h["segment"], tuple(int(x) for x in h["ip"].split(".")))),
        "flows": cap.flows,
        "attacks": [a["id"] for a in attack_rows],
    }
    _dump(base + ".manifest.json", man)
    if cap.attacks:
        _dump(base + ".attacks.json", {"file": name, "attacks": attack_rows})
    return man, attack_rows


def write_decode_mix(path):
    man = decode.write(path, (EPOCH + 1800) * 1_000_000_000)
    _dump(os.path.splitext(path)[0] + ".manifest.json", man)
    return man


def _dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")


def attack_table(rows):
    """Human-readable table of the injections, as printed by --attacks."""
    out = ["%-10s %-8s %-30s %-14s %-14s %s" % ("offset s", "frame", "attack", "src", "dst", "what")]
    for r in rows:
        out.append("%-10.3f %-8s %-30s %-14s %-14s %s" % (
            r["offset_s"], r["first_frame"], r["id"], r["src"], r["dst"], r["description"]))
    return "\n".join(out)


def baseline_is_subset(base, att):
    """True if the attack capture is the baseline plus attack-tagged frames only."""
    rest = [(e[0], e[2]) for e in att.entries if e[4] is None]
    return rest == [(e[0], e[2]) for e in base.entries]
