#!/usr/bin/env python3
"""`bollard live` on DPDK virtual devices sees what `bollard read` sees.

Every capture replayed through DPDK's pcap driver (`--vdev
net_pcap0,rx_pcap=FILE`, no hugepages, no NIC: `--no-huge --no-pci`) must
give byte for byte the --events (the sample policy's alerts), --flows and
--ops that `bollard read` writes for the same file, but for the "port"
member every live line has (the port's name, "net_pcap0"): same engine, same packet
times (net_pcap stamps each packet with the capture's own time).  The
captures: the bundled sample and fixtures, and public captures from
../shared/pcaps (Ethernet, microsecond pcap or pcapng: net_pcap hands every
frame over as Ethernet and its timestamps are microseconds; the others are
listed as not applicable).  Also the command's refusals: no port, one lcore
only, EAL arguments without --; a policy reload on SIGHUP (and a broken
policy refused, the one in force kept) with every packet still received;
and /bollard/stats read with DPDK's own telemetry client.  And two or three
workers (one receives and hands each host pair to a worker through a ring)
give the same lines as one, in another order and with other flow ids.  And
net_ring ports (DPDK's in-memory ports) start inline with two workers and
stop by themselves.

    tests/e2e/live_vdev.py [BOLLARD] [--max-public N]

Prints one line per check, ends with "N passed, M failed[, K skipped]".
SKIPPED (exit 0) when this build has no `bollard live` (no DPDK at build time:
scripts/setup installs libdpdk-dev); ../shared/pcaps missing is said too.
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Report  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POLICY = os.path.join(ROOT, "samples", "site.yaml")
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "pcaps"))
# its own file prefix: another DPDK process (a sensor, another test) may run beside it
EAL = ["-l", "0,1", "--no-huge", "--no-pci", "-m", "512", "--no-telemetry", f"--file-prefix=bldlive{os.getpid()}"]
PROTOCOL_HINTS = ("modbus", "dnp3", "104", "s7", "enip", "cip", "opc", "goose", "rasta", "trdp", "bacnet", "iec")


def link_and_precision(path):
    """(linktype, 'us' or 'ns') of a pcap or of a pcapng's first interface; None if unknown."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if len(head) < 24:
        return None
    magic = head[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
        endian = "<" if magic[0] in (0xd4, 0x4d) else ">"
        prec = "ns" if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else "us"
        return struct.unpack(endian + "I", head[20:24])[0] & 0xffff, prec
    if magic == b"\x0a\x0d\x0d\x0a":
        endian = "<" if head[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        shb_len = struct.unpack(endian + "I", head[4:8])[0]
        off = shb_len
        while off + 12 <= len(head):
            btype, blen = struct.unpack(endian + "II", head[off:off + 8])
            if btype == 1:  # IDB: linktype, then options; if_tsresol (9) changes the precision
                link = struct.unpack(endian + "H", head[off + 8:off + 10])[0]
                prec, o = "us", off + 16
                while o + 4 <= off + blen - 4:
                    code, olen = struct.unpack(endian + "HH", head[o:o + 4])
                    if code == 0:
                        break
                    if code == 9 and olen >= 1 and head[o + 4] != 6:
                        prec = "other"
                    o += 4 + (olen + 3) // 4 * 4
                return link, prec
            if blen < 12:
                break
            off += blen
    return None


def run(cmd, timeout=120):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def outputs(tmp, tag):
    return {k: os.path.join(tmp, f"{tag}.{k}.jsonl") for k in ("events", "flows", "ops")}


def same(capture, bollard, tmp, report):
    name = os.path.relpath(capture, ROOT) if capture.startswith(ROOT) else capture
    r_out, l_out = outputs(tmp, "read"), outputs(tmp, "live")
    common = ["--policy", POLICY]
    r = run([bollard, "read", "--no-progress", *common, "--events", r_out["events"], "--flows", r_out["flows"],
             "--ops", r_out["ops"], capture])
    t0 = time.monotonic()
    lv = run([bollard, "live", *common, "--events", l_out["events"], "--flows", l_out["flows"], "--ops",
              l_out["ops"], "--idle", "0.5", "--", *EAL, f"--vdev=net_pcap0,rx_pcap={capture}"])
    took = time.monotonic() - t0
    if r.returncode not in (0, 1) or lv.returncode != 0:
        report.check(False, name, f"read exited {r.returncode}, live exited {lv.returncode}",
                     [r.stderr.strip()[-300:], lv.stderr.strip()[-600:]])
        return
    diffs, counts = [], []
    for k in ("events", "flows", "ops"):
        a, b = open(r_out[k], "rb").read(), open(l_out[k], "rb").read()
        # live names the port each record came in on; read has no ports: the rest must be equal
        lines = b.splitlines(keepends=True)
        unnamed = [x for x in lines if b',"port":"net_pcap0",' not in x]
        if unnamed:
            diffs.append(f"--{k}: {len(unnamed)} live lines without \"port\":\"net_pcap0\": {unnamed[0][:200]}")
        b = b.replace(b',"port":"net_pcap0",', b",")
        counts.append(f"{len(a.splitlines())} {k}")
        if a != b:
            la, lb = a.splitlines(), b.splitlines()
            first = next((i for i in range(min(len(la), len(lb))) if la[i] != lb[i]), min(len(la), len(lb)))
            diffs.append(f"--{k} differs at line {first + 1} (read {len(la)} lines, live {len(lb)}):")
            diffs.append(f"  read: {la[first][:300] if first < len(la) else b'(end)'}")
            diffs.append(f"  live: {lb[first][:300] if first < len(lb) else b'(end)'}")
    report.check(not diffs, name, f"live equals read: {', '.join(counts)} ({took:.1f} s)", diffs)


def refusals(bollard, sample, report):
    cases = [
        ("no port", 2, "no port: give DPDK a device",
         [bollard, "live", "--idle", "0.2", "--", *EAL]),
        ("one lcore only", 2, "no worker lcore",
         [bollard, "live", "--idle", "0.2", "--", "-l", "0", *EAL[2:], f"--vdev=net_pcap0,rx_pcap={sample}"]),
        ("EAL arguments without --", 2, "invalid option|unrecognized option|come after --",
         [bollard, "live", "-l", "0,1"]),
        ("nothing after --", 2, "no EAL arguments", [bollard, "live", "--idle", "1", "--"]),
        ("bad --idle", 2, "--idle wants seconds", [bollard, "live", "--idle", "0", "--", *EAL]),
        ("a broken policy before the EAL", 2, "nosuch.yaml",
         [bollard, "live", "--policy", "nosuch.yaml", "--", *EAL]),
    ]
    for name, want_rc, want, cmd in cases:
        p = run(cmd, timeout=60)
        ok = p.returncode == want_rc and re.search(want, p.stderr) is not None
        report.check(ok, f"refused: {name}", f"exit {p.returncode}, stderr says {want!r}",
                     [p.stderr.strip()[-400:]])


def ring_ports(bollard, report):
    """net_ring, DPDK's in-memory port: two of them inline with two workers start, poll and stop by --duration."""
    eal = ["--lcores", "0@0,1@1,2@1"] + [a for a in EAL if a not in ("-l", "0,1")]
    p = run([bollard, "live", "--inline", "--duration", "1", "--", *eal, "--vdev=net_ring0", "--vdev=net_ring1"],
            timeout=60)
    lines = re.findall(r"port \d+ (net_ring\d) \(net_ring\): (\d+) packets", p.stderr)
    ok = (p.returncode == 0 and [n for n, _ in lines] == ["net_ring0", "net_ring1"] and
          all(c == "0" for _, c in lines) and "2 workers fed by the first" in p.stderr and "inline: 0 packets" in p.stderr)
    report.check(ok, "net_ring ports, inline, 2 workers", f"exit {p.returncode}; ports {lines}; nothing arrives "
                 "(a lone net_ring's TX feeds its own RX, and nothing is sent)", [p.stderr.strip()[-400:]])


def as_set(path):
    """The lines of a JSON-lines file without flow_id (each worker numbers its own flows), as a multiset.

    asset.new is reported once per address across workers, by the worker that
    claims the address first in wall time; when two workers see a new address
    at nearly the same moment (a replay runs minutes of traffic in a second),
    that need not be the flow that came first in packet time.  So an asset.new
    line counts by its address alone (docs/deployment.md says so)."""
    out = {}
    for line in open(path):
        d = json.loads(line)
        d.pop("flow_id", None)
        d.pop("port", None)
        if d.get("event") == "asset.new":
            d = {"event": "asset.new", "address": d["reason"].split()[0]}
        k = json.dumps(d, sort_keys=True)
        out[k] = out.get(k, 0) + 1
    return out


def workers(capture, bollard, tmp, report, lcores, n):
    """n workers (lcores mapped onto the machine's CPUs) give the lines one worker gives, in another order."""
    name = os.path.relpath(capture, ROOT)
    one, many = outputs(tmp, "one"), outputs(tmp, f"w{n}")
    runs = []
    for outs, lc in ((one, "0@0,1@1"), (many, lcores)):
        eal = ["--lcores", lc] + [a for a in EAL if a not in ("-l", "0,1")]
        runs.append(run([bollard, "live", "--policy", POLICY, "--events", outs["events"], "--flows", outs["flows"],
                         "--ops", outs["ops"], "--idle", "0.5", "--", *eal, f"--vdev=net_pcap0,rx_pcap={capture}"]))
    if any(r.returncode != 0 for r in runs):
        report.check(False, f"{name}, {n} workers", f"exit {[r.returncode for r in runs]}",
                     [r.stderr.strip()[-400:] for r in runs])
        return
    diffs, counts = [], []
    for k in ("events", "flows", "ops"):
        a, b = as_set(one[k]), as_set(many[k])
        counts.append(f"{sum(a.values())} {k}")
        if a != b:
            only1 = [x for x in a if a[x] > b.get(x, 0)]
            only2 = [x for x in b if b[x] > a.get(x, 0)]
            diffs.append(f"--{k}: {len(only1)} lines only with one worker, {len(only2)} only with {n}")
            diffs += [f"  one: {x[:300]}" for x in only1[:2]] + [f"  {n}: {x[:300]}" for x in only2[:2]]
    said = re.search(r"(\d+) workers fed by the first: (\d+) packets handed on, (\d+) of them dropped", runs[1].stderr)
    ok = not diffs and said and said.group(1) == str(n) and int(said.group(2)) > 0 and said.group(3) == "0"
    report.check(ok, f"{name}, {n} workers", f"the same lines as one worker (flow ids aside): {', '.join(counts)}; "
                 f"{said.group(0) if said else 'no workers line'}", diffs)


def reload_and_telemetry(bollard, sample, tmp, report):
    """SIGHUP with a good policy, then a broken one; /bollard/stats through DPDK's own telemetry client."""
    pol = os.path.join(tmp, "reload.yaml")
    shutil.copy(POLICY, pol)
    prefix = f"bldtest{os.getpid()}"
    proc = subprocess.Popen([bollard, "live", "--policy", pol, "--duration", "3", "--", "-l", "0,1", "--no-huge",
                             "--no-pci", "-m", "512", f"--file-prefix={prefix}", f"--vdev=net_pcap0,rx_pcap={sample}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.2)
        client = shutil.which("dpdk-telemetry.py")
        tel = worker = nobody = port = noport = None
        if client:
            t = subprocess.run(["python3", client, "-f", prefix], input="/bollard/stats\n/bollard/worker,0\n"
                               "/bollard/worker,9\n/bollard/port,0\n/bollard/port,5\n", capture_output=True, text=True,
                               timeout=10, check=False)
            answers = [json.loads(line) for line in t.stdout.splitlines() if line.startswith("{")]
            if len(answers) == 5:
                tel = answers[0].get("/bollard/stats")
                worker, nobody = answers[1].get("/bollard/worker"), answers[2].get("/bollard/worker")
                port, noport = answers[3].get("/bollard/port"), answers[4].get("/bollard/port")
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        with open(pol, "w") as f:
            f.write("bollard: policy/1\nhosts: {a: 10.0.0.300}\n")
        proc.send_signal(signal.SIGHUP)
        err = proc.communicate(timeout=30)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    good = re.search(r"SIGHUP: \S+ loaded \((\d+) hosts, (\d+) rules\)", err)
    bad = "has errors: the policy in force stays" in err and "10.0.0.300" in err
    counted = re.search(r"net_pcap0 \(net_pcap\): 15392 packets.*; 0 missed", err)
    report.check(proc.returncode == 0 and good and bad and counted, "SIGHUP reloads the policy; a broken one is refused",
                 f"exit {proc.returncode}; reload said: {good.group(0) if good else None}; broken policy refused: {bad}; "
                 f"every packet received, none missed: {bool(counted)}", [err.strip()[-800:]])
    if not client:
        report.skip("telemetry /bollard/stats", "dpdk-telemetry.py (package dpdk-dev) is missing")
        return
    ok = tel is not None and tel.get("packets") == 15392 and tel.get("workers") == 1 and tel.get("operations", 0) > 0
    report.check(ok, "telemetry /bollard/stats (dpdk-telemetry.py)", f"answered {tel}")
    ok = worker is not None and worker.get("packets") == 15392 and nobody is None
    report.check(ok, "telemetry /bollard/worker,0 and a worker that is not there",
                 f"worker 0 answered {worker}; worker 9: {nobody}")
    ok = (port is not None and port.get("name") == "net_pcap0" and port.get("driver") == "net_pcap" and
          port.get("packets") == 15392 and port.get("missed") == 0 and noport is None)
    report.check(ok, "telemetry /bollard/port,0 and a port that is not there", f"port 0 answered {port}; port 5: {noport}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bollard", nargs="?", default=os.path.join(ROOT, "build", "dataplane", "bollard"))
    ap.add_argument("--max-public", type=int, default=12,
                    help="public captures of ../shared/pcaps to replay (industrial ones first; default 12)")
    args = ap.parse_args()
    report = Report()
    t0 = time.monotonic()
    helptext = run([args.bollard, "live", "--help"])
    if helptext.returncode != 0 or "EAL" not in helptext.stdout:
        report.skip("bollard live", "this build has no live capture (DPDK missing at build time: scripts/setup "
                    "installs libdpdk-dev)")
        return report.summary()
    captures = sorted(glob.glob(os.path.join(ROOT, "samples", "*.pcap")) +
                      glob.glob(os.path.join(ROOT, "tests", "fixtures", "scenario", "*.pcap*")))
    public = []
    if os.path.isdir(SHARED):
        files = sorted(p for p in glob.glob(os.path.join(SHARED, "**", "*"), recursive=True)
                       if os.path.isfile(p) and p.endswith((".pcap", ".pcapng", ".cap")))
        usable = [p for p in files if link_and_precision(p) == (1, "us")]
        usable.sort(key=lambda p: (not any(h in os.path.basename(p).lower() for h in PROTOCOL_HINTS),
                                   os.path.getsize(p), p))
        public = usable[:args.max_public]
        print(f"../shared/pcaps: {len(files)} captures, {len(usable)} Ethernet with microsecond times; "
              f"replaying {len(public)}", flush=True)
    else:
        report.skip("public captures", f"{SHARED} is not here (it always is in CI)")
    with tempfile.TemporaryDirectory(prefix="bollard-live-") as tmp:
        for c in captures:
            lp = link_and_precision(c)
            if lp != (1, "us"):
                report.skip(os.path.relpath(c, ROOT), f"link type/precision {lp}: net_pcap does not apply")
                continue
            same(c, args.bollard, tmp, report)
        for c in public:
            same(c, args.bollard, tmp, report)
        sample = os.path.join(ROOT, "samples", "terminal-and-rail.pcap")
        # two CPUs here: lcores share them (--lcores LCORE@CPU); the control lcore alone on CPU 0
        for c in (sample, os.path.join(ROOT, "tests", "fixtures", "scenario", "port-scada-attacks.pcap"),
                  os.path.join(ROOT, "tests", "fixtures", "scenario", "rail-signalling-attacks.pcap")):
            workers(c, args.bollard, tmp, report, "0@0,1@1,2@1", 2)
        workers(sample, args.bollard, tmp, report, "0@0,1@1,2@0,3@1", 3)
        refusals(args.bollard, sample, report)
        ring_ports(args.bollard, report)
        reload_and_telemetry(args.bollard, sample, tmp, report)
    for prefix in (f"bldlive{os.getpid()}", f"bldtest{os.getpid()}"):   # the EAL's runtime directories
        shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)
    print(f"({time.monotonic() - t0:.1f} s)")
    return report.summary()


if __name__ == "__main__":
    sys.exit(main())
