#!/usr/bin/env python3
"""`bollard live` with several workers on a port with RSS (net_tap), fed by
tcpreplay: every conversation on one worker, whatever queue the NIC chose.

With several workers and ports that offer RSS on IP addresses and enough RX
queues, each worker reads its own RX queue of every port (`--spread auto`,
the default, or `--spread rss`); `--spread software` has worker 0 receive
everything and hand on.  Either way a packet's owner is the worker that the
symmetric Toeplitz hash of its IP address pair names (dataplane/spread.h:
(hash & 63) % n; frames without IP by their MAC pair), and a worker that
receives another's packet hands it on through that worker's ring.

DPDK's net_tap advertises RSS on IP and up to 16 queues, but its kernel side
(a multiqueue tun device) puts each packet on a queue by the kernel's own
symmetric hash of the 5-tuple: net_tap hashes with a key only for rte_flow
RSS rules (a BPF program under tc), which Bollard does not make (here
rte_flow is off anyway: "Disabling rte flow support" on stderr, the kernel
has no multiq qdisc).  So more than half the packets arrive on the "wrong"
queue and are handed on (three quarters with three workers): a hard test of
the hand-on path, which a NIC programmed with the same key hardly uses.

For each run the test makes a network namespace of its own
(bld-rss-<pid>-<run>), with IPv6 off (net.ipv6.conf.default too, before the
tap exists) and its loopback up, so that the kernel sends nothing on the tap.
In it,

    bollard live --policy samples/site.yaml --flows F --events E --json-summary
        --idle 3 --stats 1 [--spread ...] -- --lcores 0@0,1@1,2@1[,3@0]
        --no-huge --no-pci -m 1024 --file-prefix=bld-rss-<pid>
        --vdev net_tap0,iface=bldT<pid>

(--lcores LCORE@CPU: three lcores, hence two workers, or four and three, on
two CPUs) creates the tap; the test sets it up, waits for the first --stats
port line (the workers are polling, nothing received yet) and replays
samples/terminal-and-rail.pcap into it with `tcpreplay --pps=5000`
(15,392 packets in 3 s).  Bollard stops by itself 3 s after the last
packet.  `bollard read` on the same capture is the reference.  Three runs:
two workers with the default spread (auto: RSS), three with `--spread rss`,
two with `--spread software`.  Per run:

  spread      stderr's summary says how: "N workers, each reading its own RX
              queue of every port (RSS): H packets handed on to their
              worker, 0 of them dropped" (software: "N workers fed by the
              first: H packets handed on, 0 of them dropped", H the packets
              of the flows of workers 1..n-1), with H > 0.
  packets     none before the replay; tcpreplay's count = the port's
              (`port 0 net_tap0 (net_tap): N packets`, nothing missed, no
              error, no mbuf shortage) = the engine's (--json-summary) =
              read's, bytes too.  The tap's kernel counters are printed.
  conversations  the flow records' packets and bytes, per direction, summed
              per conversation (l4 and the unordered pair of endpoints with
              their ports; frames without IP: the MAC pair and ethertype)
              equal read's.  Flow records themselves may be cut differently:
              read ends flows on packet time (UDP idle timeouts), live never
              lets that much time pass (live_afpacket.py).
  workers     worker w numbers its flows w+1, w+1+n, ... so (flow_id-1) % n
              is the worker that handled a flow.  Every host pair (unordered
              IP pair, or MAC pair) has all its flows on one worker, the one
              spread.h names (the test computes the textbook Toeplitz hash
              with the key 0x6d5a repeated), and every worker had flows.  The
              flows and packets per worker are printed.
  alerts      as live_afpacket.py (its compare_alerts, imported): live's
              clock is the wall clock and the replay squeezes 120 s into
              3 s, so timing.deviation, timing.silence and rate.exceeded are
              left out (each must name a rule with timing:/rate:); every
              other alert is compared by an identity without time (event,
              rule, protocol, client, server, server port, sender): the same
              identities, the same occurrences per identity, each identity's
              first live line one of read's; asset.new by the new address.

In the first run, while the replay goes on, /bollard/stats through
dpdk-telemetry.py (from the root namespace: the telemetry socket is a file)
must answer rss 1 and 2 workers (SKIPPED without dpdk-telemetry.py).  And two
refusals: `--spread rss` on net_pcap (no RSS) with two workers, exit status
2 naming `--spread rss` and `no RSS`; `--spread bogus`, exit status 2 before
the EAL (no EAL line, no runtime directory).

    tests/e2e/live_rss.py [BOLLARD] [--keep]

Prints one line per check, ends with "N passed, M failed[, K skipped]"; exit
status 1 when a check failed.  SKIPPED (exit 0) when not root, when `ip
netns`, tcpreplay or /dev/net/tun is missing, or when this build has no
`bollard live`.  The namespaces, DPDK's runtime directories and every process
the test started are removed in the end, also after Ctrl-C or SIGTERM.
About 25 s.
"""
import argparse
import collections
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checks import Report  # noqa: E402
import live_afpacket as la  # noqa: E402  (its alert comparison and its parsers of tcpreplay's and live's output)

ROOT = la.ROOT
CAPTURE = la.CAPTURE
POLICY = la.POLICY
PID = os.getpid()
DPDK_PREFIX = f"bld-rss-{PID}"            # its own runtime directory, /var/run/dpdk/<prefix>
BOGUS_PREFIX = f"bld-rss-{PID}-bogus"     # must never be made: --spread bogus is refused before the EAL
TAP = f"bldT{PID}"
IDLE_S = 3
PPS = 5000               # tcpreplay's rate, as live_afpacket.py's
READY_TIMEOUT = 20       # seconds for the EAL to start, the tap to appear and the workers to poll
REPLAY_TIMEOUT = 30
LIVE_TIMEOUT = 30        # after the replay: the idle limit
TELEMETRY_AFTER_S = 1.0  # into the replay
RSS_KEY = bytes([0x6d, 0x5a] * 26)   # the symmetric key, as long as a NIC's (52 bytes)
RETA = 64                # spread.h's BLD_SPREAD_RETA

# (label, --lcores, workers, --spread or None for the default)
RUNS = [("RSS, 2 workers", "0@0,1@1,2@1", 2, None),
        ("RSS, 3 workers", "0@0,1@1,2@1,3@0", 3, "rss"),
        ("software, 2 workers", "0@0,1@1,2@1", 2, "software")]


class Labelled:
    """A Report whose check names start with a run's label (for live_afpacket.compare_alerts)."""

    def __init__(self, report, label):
        self.report, self.label = report, label

    def check(self, ok, name, summary, details=()):
        self.report.check(ok, f"{self.label}: {name}", summary, details)


def run(cmd, timeout=60):
    return la.run(cmd, timeout=timeout)


class Namespace:
    """A network namespace of the test's own: IPv6 off (for devices yet to come too), loopback up."""

    def __init__(self, name):
        self.name, self.made = name, False

    def sh(self, *cmd):
        full = ["ip", "netns", "exec", self.name, *cmd]
        r = run(full, timeout=15)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(full)}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def create(self):
        self.made = True    # before: an interrupt may come while `ip` runs; remove() checks what exists
        r = run(["ip", "netns", "add", self.name], timeout=15)
        if r.returncode != 0:
            raise RuntimeError(f"ip netns add {self.name}: {r.stderr.strip()}")
        # before the tap exists: an IPv6 link would send router solicitations, MLD and DAD into the capture
        self.sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
        self.sh("ip", "link", "set", "lo", "up")

    def has_link(self, dev):
        return run(["ip", "-n", self.name, "link", "show", dev], timeout=15).returncode == 0

    def counters(self, dev, names=("tx_packets", "tx_dropped", "rx_packets")):
        r = run(["ip", "netns", "exec", self.name, "cat"] + [f"/sys/class/net/{dev}/statistics/{n}" for n in names],
                timeout=15)
        vals = r.stdout.split()
        return dict(zip(names, map(int, vals))) if r.returncode == 0 and len(vals) == len(names) else {}

    def remove(self):
        """What is left: '' when the namespace is gone (or was never made)."""
        if not self.made:
            return ""
        r = run(["ip", "netns", "del", self.name], timeout=15)
        if r.returncode != 0 and self.name in run(["ip", "netns", "list"], timeout=15).stdout.split():
            return f"namespace {self.name} ({r.stderr.strip()})"
        self.made = False
        return ""


# ---------------------------------------------------------------------------
# The expectations


def toeplitz(data, key=RSS_KEY):
    """The textbook Toeplitz hash (Microsoft's RSS specification): for each set bit i of data, the key's
    32 bits starting at bit i."""
    k, kbits, h = int.from_bytes(key, "big"), len(key) * 8, 0
    for i in range(len(data) * 8):
        if data[i // 8] & (0x80 >> (i % 8)):
            h ^= (k >> (kbits - 32 - i)) & 0xffffffff
    return h


def owner(flow, n):
    """The worker spread.h names for a flow's packets: the IP pair, else the MAC pair (destination first, as in
    the frame; the key makes the order irrelevant)."""
    if flow.get("src_ip"):
        data = ipaddress.ip_address(flow["src_ip"]).packed + ipaddress.ip_address(flow["dst_ip"]).packed
    else:
        data = bytes.fromhex(flow["dst_mac"].replace(":", "")) + bytes.fromhex(flow["src_mac"].replace(":", ""))
    return (toeplitz(data) & (RETA - 1)) % n


def host_pair(f):
    if f.get("src_ip"):
        return ("ip",) + tuple(sorted((f["src_ip"], f["dst_ip"])))
    return ("mac",) + tuple(sorted((f["src_mac"], f["dst_mac"])))


def conversations(flows):
    """(l4, ethertype, vlan, endpoint a, endpoint b) -> [packets a->b, packets b->a, bytes a->b, bytes b->a],
    the endpoints ordered: the records of a conversation summed whatever their direction."""
    conv = collections.defaultdict(lambda: [0, 0, 0, 0])
    for f in flows:
        if f.get("src_ip"):
            src, dst = (f["src_ip"], f.get("src_port")), (f["dst_ip"], f.get("dst_port"))
        else:
            src, dst = (f["src_mac"], None), (f["dst_mac"], None)
        a, b = sorted((src, dst), key=str)
        c = conv[(f["l4"], f.get("ethertype"), f.get("vlan"), a, b)]
        ps, pc, bs, bc = f["pkts_toserver"], f["pkts_toclient"], f["bytes_toserver"], f["bytes_toclient"]
        if src == a:
            c[0] += ps; c[1] += pc; c[2] += bs; c[3] += bc     # noqa: E702
        else:
            c[0] += pc; c[1] += ps; c[2] += bc; c[3] += bs     # noqa: E702
    return dict(conv)


def compare_conversations(read_flows, live_flows, report):
    cr, cl = conversations(read_flows), conversations(live_flows)
    diff = [f"{k}: read {cr.get(k)}, live {cl.get(k)} (packets a->b, b->a, bytes a->b, b->a)"
            for k in sorted(set(cr) | set(cl), key=str) if cr.get(k) != cl.get(k)]
    report.check(not diff and cl, "conversations",
                 f"{len(cl)} conversations in {len(live_flows)} live flow records, read {len(cr)} in "
                 f"{len(read_flows)}: packets and bytes per direction equal ({len(diff)} differ)", diff)


def check_workers(live_flows, n, report):
    by_pair = collections.defaultdict(set)
    flows_w, pkts_w = collections.Counter(), collections.Counter()
    wrong = []
    for f in live_flows:
        w = (f["flow_id"] - 1) % n
        by_pair[host_pair(f)].add(w)
        flows_w[w] += 1
        pkts_w[w] += f["pkts_toserver"] + f["pkts_toclient"]
        want = owner(f, n)
        if w != want:
            wrong.append(f"flow {f['flow_id']} {host_pair(f)}: on worker {w}, spread.h names {want}")
    split = [f"{p}: flows on workers {sorted(ws)}" for p, ws in sorted(by_pair.items()) if len(ws) > 1]
    idle = [w for w in range(n) if not flows_w[w]]
    per = ", ".join(f"worker {w} {flows_w[w]} flows {pkts_w[w]} packets" for w in range(n))
    report.check(not split and not wrong and not idle and live_flows, "one worker per host pair",
                 f"{len(by_pair)} host pairs, each on one worker, the one spread.h's hash names "
                 f"({len(split)} split, {len(wrong)} flows elsewhere); {per}",
                 split + wrong[:5] + [f"worker {w} had no flow" for w in idle])


# ---------------------------------------------------------------------------
# The runs


def spread_line(stderr, spread):
    """The last summary line about the workers: (workers, handed on, dropped, the line), or None."""
    if spread == "software":
        pat = r"(\d+) workers fed by the first: (\d+) packets handed on, (\d+) of them dropped[^\n]*"
    else:
        pat = (r"(\d+) workers, each reading its own RX queue of every port \(RSS\): (\d+) packets handed on to "
               r"their worker, (\d+) of them dropped[^\n]*")
    found = list(re.finditer(pat, stderr))
    if not found:
        return None
    m = found[-1]
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(0)


def telemetry(prefix):
    """/bollard/stats through dpdk-telemetry.py, or None."""
    r = subprocess.run(["python3", shutil.which("dpdk-telemetry.py"), "-f", prefix], input="/bollard/stats\n",
                       capture_output=True, text=True, timeout=10, check=False)
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            try:
                return json.loads(line).get("/bollard/stats")
            except ValueError:
                return None
    return None


class Made:
    """What the test started and made: processes (ended by their id) and namespaces."""

    def __init__(self):
        self.procs, self.namespaces = [], []

    def start(self, cmd, **kw):
        p = subprocess.Popen(cmd, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def namespace(self, name):
        ns = Namespace(name)
        self.namespaces.append(ns)
        ns.create()
        return ns

    def undo(self):
        """End the processes, then remove the namespaces; what could not be removed."""
        for p in reversed(self.procs):
            la.stop_process(p, signal.SIGINT)
        self.procs = []
        left = [x for x in (ns.remove() for ns in self.namespaces) if x]
        self.namespaces = []
        return left


def one_run(bollard, label, lcores, n, spread, idx, read_sum, read_ev, read_flows, tmp, made, report,
            ask_telemetry):
    """One run of bollard live on a tap in a namespace of its own; the caller undoes what it made."""
    rep = Labelled(report, label)
    ns = made.namespace(f"bld-rss-{PID}-{idx}")
    out = {k: os.path.join(tmp, f"{idx}.{k}") for k in ("flows", "events", "stdout", "stderr")}
    cmd = ["ip", "netns", "exec", ns.name, bollard, "live", "--policy", POLICY, "--flows", out["flows"],
           "--events", out["events"], "--json-summary", "--idle", str(IDLE_S), "--stats", "1",
           *(["--spread", spread] if spread else []), "--",
           "--lcores", lcores, "--no-huge", "--no-pci", "-m", "1024",
           *([] if ask_telemetry else ["--no-telemetry"]),
           f"--file-prefix={DPDK_PREFIX}", f"--vdev=net_tap0,iface={TAP}"]
    with open(out["stdout"], "w") as so, open(out["stderr"], "w") as se:
        live = made.start(cmd, stdin=subprocess.DEVNULL, stdout=so, stderr=se)
    t_live = time.monotonic()
    deadline = t_live + READY_TIMEOUT
    while not ns.has_link(TAP):
        if live.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"no {TAP} in {ns.name} (bollard live exit {live.poll()}): "
                               f"{open(out['stderr'], errors='replace').read().strip()[-600:]}")
        time.sleep(0.05)
    ns.sh("ip", "link", "set", TAP, "up")
    before = la.wait_ready(live, out["stderr"])
    if before is None:
        raise RuntimeError(f"bollard live did not start capturing within {la.READY_TIMEOUT} s (exit "
                           f"{live.poll()}): {open(out['stderr'], errors='replace').read().strip()[-600:]}")
    ready_s = time.monotonic() - t_live

    rp_out = os.path.join(tmp, f"{idx}.tcpreplay")
    with open(rp_out, "w") as ro:
        rp = made.start(["ip", "netns", "exec", ns.name, "tcpreplay", f"--intf1={TAP}", f"--pps={PPS}", CAPTURE],
                         stdin=subprocess.DEVNULL, stdout=ro, stderr=subprocess.STDOUT)
    tel = None
    if ask_telemetry:
        time.sleep(TELEMETRY_AFTER_S)
        tel = telemetry(DPDK_PREFIX)
    try:
        rp.wait(REPLAY_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"tcpreplay did not end within {REPLAY_TIMEOUT} s")
    rp_text = open(rp_out, errors="replace").read()
    sent, failed, sent_bytes, took = la.tcpreplay_counts(rp_text)
    kern, settle = ns.counters(TAP), time.monotonic() + 1   # before bollard ends: the tap goes with it
    while sent and kern and kern["tx_packets"] + kern["tx_dropped"] < sent and time.monotonic() < settle:
        time.sleep(0.05)     # the tap counts a packet when the port reads it
        kern = ns.counters(TAP)
    try:
        live.wait(LIVE_TIMEOUT)
    except subprocess.TimeoutExpired:
        la.stop_process(live, signal.SIGINT)
        raise RuntimeError(f"bollard live did not stop within {LIVE_TIMEOUT} s of the replay's end "
                           f"(--idle {IDLE_S})")
    live_s = time.monotonic() - t_live
    err = open(out["stderr"], errors="replace").read()
    try:
        live_sum = json.loads(open(out["stdout"]).read())
    except ValueError:
        live_sum = {}

    rep.check(live.returncode == 0 and live_sum != {}, "bollard live",
              f"exit {live.returncode}; {n} workers (--lcores {lcores}"
              f"{', --spread ' + spread if spread else ''}); capturing {ready_s:.1f} s after start, stopped by "
              f"--idle {IDLE_S} {live_s:.1f} s after start", [err.strip()[-600:]])

    live_flows, live_ev = la.load_jsonl(out["flows"]), la.load_jsonl(out["events"])
    said = spread_line(err, spread)
    ok = said is not None and said[0] == n and said[1] > 0 and said[2] == 0
    note = ""
    if spread == "software":    # worker 0 hands on every packet of the others' flows, and no other
        others = sum(f["pkts_toserver"] + f["pkts_toclient"] for f in live_flows if (f["flow_id"] - 1) % n)
        ok = ok and said[1] == others
        note = f"; the flows of the workers but 0 have {others} packets"
    rep.check(ok, "spread", (said[3] if said else f"no {'software' if spread == 'software' else 'RSS'} workers line")
              + note, err.strip().splitlines()[-2:])

    pc = la.port_counts(err)
    ok = (rp.returncode == 0 and failed == 0 and sent == read_sum["packets"] and sent_bytes == read_sum["bytes"]
          and before == 0 and pc is not None and pc["driver"] == "net_tap" and pc["packets"] == sent
          and pc["bytes"] == sent_bytes and pc["missed"] == pc["errors"] == pc["nombuf"] == 0
          and live_sum.get("packets") == sent and live_sum.get("bytes") == sent_bytes)
    hints = [rp_text.strip()[-400:] if rp.returncode or failed else ""]
    if pc and kern and pc["packets"] < kern.get("tx_packets", 0):
        hints.append("the tap delivered more than the port counted")
    if kern.get("tx_dropped"):
        hints.append("the tap dropped what it could not queue: a worker off its CPU too long (a busy machine)")
    rep.check(ok, "packets",
              f"tcpreplay sent {sent} ({sent_bytes} bytes) in {took} s, {failed} failed; "
              + (f"{pc['name']} ({pc['driver']}): {before} before the replay, {pc['packets']} packets, "
                 f"{pc['bytes']} bytes, {pc['missed']} missed, {pc['errors']} errors, {pc['nombuf']} without an "
                 f"mbuf; " if pc else "no port line; ")
              + f"engine {live_sum.get('packets')} packets, {live_sum.get('bytes')} bytes; read "
              f"{read_sum['packets']}, {read_sum['bytes']}; the kernel: {TAP} handed the queues "
              f"{kern.get('tx_packets')} ({kern.get('tx_dropped')} dropped) and got {kern.get('rx_packets')}",
              hints)

    compare_conversations(read_flows, live_flows, rep)
    check_workers(live_flows, n, rep)
    la.compare_alerts(read_ev, read_flows, live_ev, live_flows, took or 0.0, rep)

    if ask_telemetry:
        if not shutil.which("dpdk-telemetry.py"):
            report.skip(f"{label}: telemetry /bollard/stats", "dpdk-telemetry.py (package dpdk-dev) is missing")
        else:
            ok = tel is not None and tel.get("rss") == 1 and tel.get("workers") == n and tel.get("packets", 0) > 0
            rep.check(ok, "telemetry /bollard/stats (dpdk-telemetry.py)",
                      f"{TELEMETRY_AFTER_S:.0f} s into the replay: "
                      + (", ".join(f"{k} {tel.get(k)}" for k in ("rss", "workers", "packets", "handed_on", "dropped"))
                         if tel else "no answer"))


def refusals(bollard, report):
    eal = ["--lcores", "0@0,1@1,2@1", "--no-huge", "--no-pci", "-m", "512", "--no-telemetry"]
    r = run([bollard, "live", "--spread", "rss", "--idle", "1", "--", *eal, f"--file-prefix={DPDK_PREFIX}",
             f"--vdev=net_pcap0,rx_pcap={CAPTURE}"], timeout=60)
    said = [line for line in r.stderr.splitlines() if line.startswith("bollard live")]
    report.check(r.returncode == 2 and "--spread rss" in r.stderr and "no RSS" in r.stderr,
                 "--spread rss refused on a port without RSS",
                 f"net_pcap, 2 workers: exit {r.returncode}; {said[-1] if said else 'no message'}",
                 [r.stderr.strip()[-600:]])
    r = run([bollard, "live", "--spread", "bogus", "--idle", "1", "--", *eal, f"--file-prefix={BOGUS_PREFIX}",
             f"--vdev=net_pcap0,rx_pcap={CAPTURE}"], timeout=60)
    made = os.path.exists(os.path.join("/var/run/dpdk", BOGUS_PREFIX))
    report.check(r.returncode == 2 and "--spread" in r.stderr and "bogus" in r.stderr and "EAL" not in r.stderr
                 and not made, "--spread bogus refused before the EAL",
                 f"exit {r.returncode}; {r.stderr.strip().splitlines()[0] if r.stderr.strip() else 'no message'}; "
                 f"EAL started: {'EAL' in r.stderr or made}", [r.stderr.strip()[-600:]])


def prerequisites(bollard):
    if os.geteuid() != 0:
        return "not root: network namespaces and a tap device need CAP_NET_ADMIN"
    if not shutil.which("ip") or run(["ip", "netns", "list"], timeout=15).returncode != 0:
        return "`ip netns` is unavailable (iproute2)"
    if not shutil.which("tcpreplay"):
        return "tcpreplay is missing (scripts/setup --test installs it)"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun: net_tap needs the tun driver"
    helptext = run([bollard, "live", "--help"], timeout=15)
    if helptext.returncode != 0 or "EAL" not in helptext.stdout:
        return "this build has no live capture (DPDK missing at build time: scripts/setup installs libdpdk-dev)"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bollard", nargs="?", default=os.path.join(ROOT, "build", "dataplane", "bollard"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory and print where it is")
    args = ap.parse_args()
    if not os.access(args.bollard, os.X_OK):
        print(f"error: no {args.bollard} (ninja -C build)", file=sys.stderr)
        return 2
    report = Report()
    t0 = time.monotonic()
    why = prerequisites(args.bollard)
    if why:
        report.skip("bollard live with RSS on net_tap", why)
        return report.summary()

    signal.signal(signal.SIGTERM, la.on_sigterm)
    tmp = tempfile.mkdtemp(prefix="bollard-live-rss-")
    made = Made()
    interrupted = False
    try:
        rf, re_ = os.path.join(tmp, "read.flows"), os.path.join(tmp, "read.events")
        r = run([args.bollard, "read", "--no-progress", "--json-summary", "--policy", POLICY, "--events", re_,
                 "--flows", rf, CAPTURE], timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"bollard read exited {r.returncode}: {r.stderr.strip()[-400:]}")
        read_sum = json.loads(r.stdout)
        read_ev, read_flows = la.load_jsonl(re_), la.load_jsonl(rf)
        for idx, (label, lcores, n, spread) in enumerate(RUNS):
            try:
                one_run(args.bollard, label, lcores, n, spread, idx, read_sum, read_ev, read_flows, tmp, made,
                        report, ask_telemetry=idx == 0)
            except (RuntimeError, OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
                report.check(False, f"{label}: harness", repr(e))
            left = made.undo()
            if left:
                report.check(False, f"{label}: clean-up", "could not remove " + ", ".join(left))
        refusals(args.bollard, report)
    except (KeyboardInterrupt, la.Interrupted) as e:
        interrupted = True
        print(f"interrupted ({str(e) or 'Ctrl-C'}): cleaning up", flush=True)
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
        report.check(False, "harness", repr(e))
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)     # a second Ctrl-C must not stop the clean-up
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        left = made.undo()
    return la.end_run(report, left, [DPDK_PREFIX, BOGUS_PREFIX], tmp, args.keep, t0, interrupted)


if __name__ == "__main__":
    sys.exit(main())
