#!/usr/bin/env python3
"""`bollard live --inline`: a bump in the wire between two veth pairs.

    namespace A: vA0 ──veth── vA1 ┐                ┌ vB1 ──veth── vB0: namespace B
                                  └ bollard live ──┘
                                    net_af_packet0   net_af_packet1

tcpreplay plays samples/terminal-and-rail.pcap into vA0 at a rate the
machine keeps up with; Bollard, inline with a policy whose defaults say
`action: drop` for refused flows and operations (samples/site.yaml plus
that), forwards what it lets through to vB1; dumpcap records what arrives
at vB0.  Checks, with one worker and with two:

  - nothing lost on the way: what Bollard received = forwarded + dropped,
    and what arrived at vB0 = forwarded;
  - what arrived is exactly the input minus the dropped packets, unchanged
    (compared as raw frames), in order within each flow;
  - every dropped packet belongs to a conversation the policy refuses: an
    alert with action drop names its host pair in --events.

The packets' times are the sensor's clock here (AF_PACKET has no capture
times), so how much is dropped depends on when the test runs (time windows,
rates over two minutes of traffic replayed in three seconds); the checks
hold whatever it is.  VLAN tags are compared away: veth carries them as
metadata.

    tests/e2e/live_inline.py [BOLLARD]

SKIPPED when not root, without `ip netns`, tcpreplay or dumpcap
(scripts/setup --test installs them), or when the build has no `bollard live`.
"""
import argparse
import collections
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Report  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, "samples", "terminal-and-rail.pcap")
POLICY = os.path.join(ROOT, "samples", "site.yaml")
PPS = 5000            # tcpreplay's rate: af_packet on a shared 2-CPU machine keeps up with it


def read_pcap(path):
    """The frames of a pcap (any byte order, microsecond or nanosecond)."""
    with open(path, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    frames, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


def pcapng_frames(path):
    """dumpcap writes pcapng: the Enhanced Packet Blocks' frames."""
    with open(path, "rb") as f:
        data = f.read()
    frames, off = [], 0
    endian = "<"
    while off + 12 <= len(data):
        btype, blen = struct.unpack(endian + "II", data[off:off + 8])
        if btype == 0x0A0D0D0A:
            endian = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            btype, blen = struct.unpack(endian + "II", data[off:off + 8])
        if btype == 6:
            caplen = struct.unpack(endian + "I", data[off + 20:off + 24])[0]
            frames.append(data[off + 28:off + 28 + caplen])
        if blen < 12:
            break
        off += blen
    return frames


def untagged(frame):
    """The frame without its 802.1Q tags: veth and AF_PACKET carry them as metadata (the kernel's VLAN
    offload), so a tagged frame arrives untagged at the far side; the test compares what is left."""
    while frame[12:14] in (b"\x81\x00", b"\x88\xa8"):
        frame = frame[:12] + frame[16:]
    return frame


def pair(frame):
    """The frame's host pair, either direction: IPv4 addresses, else MACs (the sample has no IPv6)."""
    off = 12
    while frame[off:off + 2] in (b"\x81\x00", b"\x88\xa8"):
        off += 4
    if frame[off:off + 2] == b"\x08\x00":
        ip = frame[off + 2:]
        return frozenset((".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))))
    return frozenset((frame[0:6].hex(":"), frame[6:12].hex(":")))   # spread.h: other frames by their MAC pair


def flow(frame):
    """The frame's flow, either direction: IPv4 addresses, protocol and ports; else its host pair.  Order
    is kept within a flow: the kernel spreads the ports' queues (AF_PACKET fanout) by flow, and two
    workers transmit on two queues, so different flows, even of one host pair, may swap places."""
    off = 12
    while frame[off:off + 2] in (b"\x81\x00", b"\x88\xa8"):
        off += 4
    if frame[off:off + 2] != b"\x08\x00":
        return pair(frame)
    ip = frame[off + 2:]
    ihl = (ip[0] & 15) * 4
    ends = ((ip[12:16], ip[20 + ihl - 20:ihl + 2]), (ip[16:20], ip[ihl + 2:ihl + 4]))
    return (ip[9], frozenset(ends))


def sh(*cmd, ns=None, check=True, **kw):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    return subprocess.run(full, capture_output=True, text=True, check=check, timeout=120, **kw)


def run_case(bollard, policy, tmp, workers, report):
    tag = f"{os.getpid()}{workers}"
    na, nb, ns_s = f"bldA{tag}", f"bldB{tag}", f"bldS{tag}"
    a0, a1, b0, b1 = f"bA0{tag}", f"bA1{tag}", f"bB0{tag}", f"bB1{tag}"
    far = os.path.join(tmp, f"far{workers}.pcapng")
    events = os.path.join(tmp, f"inline{workers}.jsonl")
    made = []
    dump = live = None
    try:
        # Bollard in a namespace of its own too: DPDK 22.11's af_packet driver takes packets from every
        # interface of its namespace until its socket is bound to the one it was given
        for ns in (na, nb, ns_s):
            sh("ip", "netns", "add", ns)
            made.append(ns)
        for x0, x1, ns in ((a0, a1, na), (b0, b1, nb)):
            sh("ip", "link", "add", x0, "type", "veth", "peer", "name", x1)
            sh("ip", "link", "set", x0, "netns", ns)
            sh("ip", "link", "set", x1, "netns", ns_s)
            for ifc, where in ((x1, ns_s), (x0, ns)):
                sh("sysctl", "-qw", f"net.ipv6.conf.{ifc}.disable_ipv6=1", ns=where)
                sh("ip", "link", "set", ifc, "up", ns=where)
        dump = subprocess.Popen(["ip", "netns", "exec", nb, "dumpcap", "-q", "-i", b0, "-w", far],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lcores = "0@0,1@1" if workers == 1 else "0@0,1@1,2@1"
        live = subprocess.Popen(["ip", "netns", "exec", ns_s, bollard, "live", "--policy", policy, "--events", events, "--inline", "--idle", "2",
                                 "--", "--lcores", lcores, "--no-huge", "--no-pci", "-m", "512", "--no-telemetry",
                                 f"--file-prefix=bldinl{tag}",
                                 f"--vdev=net_af_packet0,iface={a1},framecnt=4096,qpairs={workers}",
                                 f"--vdev=net_af_packet1,iface={b1},framecnt=4096,qpairs={workers}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        rep = sh("tcpreplay", "-q", f"--intf1={a0}", f"--pps={PPS}", SAMPLE, ns=na, check=False)
        err = live.communicate(timeout=60)[1]
        time.sleep(0.5)
        dump.terminate()
        dump.wait(10)
    finally:
        for p in (live, dump):
            if p and p.poll() is None:
                p.kill()
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], check=False)
        shutil.rmtree(f"/var/run/dpdk/bldinl{tag}", ignore_errors=True)   # the EAL's runtime directory
    name = f"inline, {workers} worker{'s' if workers > 1 else ''}"
    m = re.search(r"inline: (\d+) packets forwarded \((\d+) of them unanalysed, fail-open\), (\d+) dropped by the "
                  r"policy, (\d+) lost", err)
    rx = re.search(r"port 0 net_af_packet0 \(net_af_packet\): (\d+) packets", err)
    if live.returncode != 0 or not m or not rx:
        report(False, name, f"bollard exit {live.returncode}", [err.strip()[-600:], rep.stdout[-300:]])
        return
    fwd, unan, dropped, lost = map(int, m.groups())
    received = int(rx.group(1))
    inp = [untagged(f) for f in read_pcap(SAMPLE)]
    out = [untagged(f) for f in pcapng_frames(far)] if os.path.exists(far) else []
    report(received == fwd + dropped and lost == 0 and unan == 0 and len(out) == fwd,
           f"{name}: nothing lost on the way",
           f"sent {len(inp)}, Bollard received {received}, forwarded {fwd}, dropped {dropped}, lost {lost}; "
           f"arrived at the far side {len(out)}", [err.strip()[-400:]])
    # the far side's frames are the input's minus the held-back ones, unchanged, and in order within each
    # host pair (two workers send on two TX queues: different conversations may swap places)
    held = collections.Counter(inp) - collections.Counter(out)
    extra = collections.Counter(out) - collections.Counter(inp)
    skipped = list(held.elements())
    by_pair_in, by_pair_out = collections.defaultdict(list), collections.defaultdict(list)
    for f in inp:
        by_pair_in[flow(f)].append(f)
    for f in out:
        by_pair_out[flow(f)].append(f)

    def subsequence(part, whole):   # greedy: identical frames (a scan's SYNs) match either way
        it = iter(whole)
        return all(any(f == g for g in it) for f in part)

    disordered = [k for k in by_pair_out if not subsequence(by_pair_out[k], by_pair_in[k])]
    report(not extra and not disordered,
           f"{name}: what arrived is the input, unchanged, minus {len(skipped)} frames, in order per flow",
           f"{sum(extra.values())} frames that were not sent; {len(disordered)} flows out of order",
           [f"out of order: {k}" for k in disordered[:5]])
    # every frame that did not arrive belongs to a refused conversation (and none is lost by af_packet)
    alerts = [json.loads(x) for x in open(events)] if os.path.exists(events) else []
    refused = {frozenset((a.get("src_ip"), a.get("dst_ip"))) for a in alerts if a.get("action") == "drop"}

    foreign = [f for f in skipped if pair(f) not in refused]
    report(len(skipped) == dropped and not foreign,
           f"{name}: every frame held back is of a conversation the policy drops",
           f"{len(skipped)} held back, {dropped} dropped by the policy, {len(refused)} refused host pairs in --events; "
           f"{len(foreign)} of another conversation (af_packet losses would show here)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bollard", nargs="?", default=os.path.join(ROOT, "build", "dataplane", "bollard"))
    args = ap.parse_args()
    checks = Report()
    report = checks.check
    t0 = time.monotonic()

    if not os.access(args.bollard, os.X_OK):
        print(f"error: no bollard binary at {args.bollard} (ninja -C build)", file=sys.stderr)
        return 2
    why = None
    if os.geteuid() != 0:
        why = "needs root (network namespaces)"
    elif subprocess.run(["ip", "netns", "list"], capture_output=True, check=False).returncode != 0:
        why = "`ip netns` does not work here"
    elif not shutil.which("tcpreplay") or not shutil.which("dumpcap"):
        why = "tcpreplay or dumpcap missing (scripts/setup --test installs them)"
    elif "--inline" not in subprocess.run([args.bollard, "live", "--help"], capture_output=True, text=True,
                                          check=False).stdout:
        why = "this build has no `bollard live` (no DPDK at build time)"
    if why:
        checks.skip("bollard live --inline", why)
        return checks.summary()
    with tempfile.TemporaryDirectory(prefix="bollard-inline-") as tmp:
        policy = os.path.join(tmp, "drop.yaml")
        text = open(POLICY).read().replace("defaults:\n", "defaults:\n  flow: {action: drop}\n"
                                           "  operation: {action: drop}\n", 1)
        with open(policy, "w") as f:
            f.write(text)
        for workers in (1, 2):
            run_case(args.bollard, policy, tmp, workers, report)
    print(f"({time.monotonic() - t0:.1f} s)")
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
