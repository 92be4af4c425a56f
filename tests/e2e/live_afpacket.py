#!/usr/bin/env python3
"""`bollard live` on net_af_packet, fed by tcpreplay over a veth pair, sends
`bollard read`'s alerts to a real rsyslog.

The test makes two network namespaces and a veth pair of its own: the feed
(bld-feed-<pid>, with bldB<pid>) and the sensor (bld-sensor-<pid>, with
bldA<pid> and its loopback up).  IPv6 is off on both ends before they come
up, so that the kernel's router solicitations, MLD reports and DAD probes
never reach the capture; neither end has an address, so the kernel sends
nothing else.  In the sensor namespace it starts a real rsyslogd of its own
(foreground, its own configuration and work directory, ports on 127.0.0.1: a
RELP input, whose answers confirm delivery, and a TCP input), each input
writing every raw message to a file.  Then, also in the sensor namespace,

    bollard live --policy samples/site.yaml --events E --flows F --json-summary
        --syslog relp://... --syslog tcp://... --syslog-format json --idle 4 --stats 1
        -- -l 0,1 --no-huge --no-pci -m 512 --no-telemetry --file-prefix bld-live-<pid>
        --vdev net_af_packet0,iface=bldA<pid>

runs in the background (--file-prefix: its own DPDK runtime directory, so
that other DPDK processes on the machine do not collide with it, removed at
the end; --in-memory would need none but --no-huge refuses it).  The first
--stats line says the worker is polling, and how many packets the port had
by then: none may have come.  `tcpreplay --intf1=bldB<pid> --pps=5000
samples/terminal-and-rail.pcap` runs in the feed namespace (15,392 packets
in 3 s).  Bollard stops by itself 4 s after the last packet.  `bollard read`
on the same capture is the reference.

Why bollard runs in a namespace of its own, not in the root one.  DPDK
22.11's net_af_packet opens its socket for every protocol, sets up its ring,
and only then binds it to the interface: in between, the ring takes packets
from every interface of the namespace.  In the root namespace of a shared
machine that was another test's replay on another veth (66 packets of the
same sample before ours, the counts and a flow's direction off) and
loopback traffic; in the sensor namespace there is nothing to take.  The
same window exists on a real sensor (a few packets of the management
interface at start).

Why 5,000 packets a second and not --topspeed.  net_af_packet reads a kernel
ring of 512 frames (the PMD's default framecnt); whatever arrives while the
ring is full is dropped by the kernel, and DPDK 22.11's net_af_packet never
asks the socket for its drop count (PACKET_STATISTICS), so the port's
"missed" stays 0.  At --topspeed (~370,000 packets/s here) the ring fills in
1.4 ms: the worker lcore must never be off its core longer than that, and on
a busy 2-CPU machine it often is (from a few hundred to 10,000 of the
15,392 packets lost, while the veth counters show that the kernel delivered
every one).  At 5,000 packets/s the ring holds 100 ms; 5,000 and 10,000
never lost a packet with two busy loops competing for both CPUs, 20,000 did
once in three.  --replay-rate chooses another speed.

What can be compared, and why.  net_af_packet has no capture timestamps:
live stamps each burst with the TSC (wall-clock time), and the replay
squeezes the capture's 120 s into 3 s (into 0.05 s at --topspeed).  So
everything the engine derives from packet *time* may differ, by design
(docs/events.md, docs/flows.md); everything it derives from the packets and
their order must not:

  packets     none before the replay; tcpreplay's count = the port's count
              (`port 0 ... N packets, B bytes`, nothing missed, no error, no
              mbuf shortage) = the engine's packets and bytes = read's.  The
              kernel adds nothing: with IPv6 off and no address neither end
              transmits (the veth counters are printed).
  flows       one key per flow record: every field but ts_first, ts_last,
              end_reason and flow_id (5-tuple or MACs and ethertype, app,
              app_source, packets and bytes per direction, tcp_state); the
              multisets must be equal.  end_reason differs by design: read
              ends flows on packet time (a RST's 10 s linger, UDP idle
              timeouts), live's replay never lets that much time pass, so its
              flows end at the end of input.  The number of each end reason
              is printed.
  alerts      timing.deviation, timing.silence and rate.exceeded are about
              time itself: a cyclic request that arrives 40 times faster
              than its period deviates, and ten requests a second become
              hundreds.  They are left out of the comparison; each must
              concern a rule that has a `timing:` (resp. `rate:`) in the
              policy.  For every other kind, alerts are grouped by an identity
              that contains no time: (event, rule, protocol, client, server,
              server port, whether the sender is the client), the client and
              server taken from the alert's flow in the same run's --flows.
              This is the aggregation identity of docs/events.md
              ("Aggregation") or coarser, never the client port, the flow or
              the detail.  Aggregation intervals end on packet time: read
              splits an identity's occurrences into 60 s intervals (and may
              report one at once again after a quiet interval), the live
              replay puts them all into one.  So the number of *lines* may
              differ; sound, and checked: (1) the set of identities is the
              same; (2) the occurrences per identity (the sum of `count`)
              are the same; (3) the first line of each identity in live
              (always an occurrence reported at once: its client port,
              server port, detail and op, without response_time_us) is a line
              of read's for that identity.  asset.new is once per address per
              run: which flow reports it depends on the order flows are
              judged, and a flow without a protocol verdict (the port scan's
              SYN/RST) is judged when it ends, i.e. after its linger in read
              and only at the end of input in live.  So asset.new is compared
              by the address that is new (the reason's first word), as a set.
  syslog      every line of live's --events (time-dependent kinds included)
              arrived at rsyslog over RELP and over TCP exactly once, its
              message after the RFC 5424 header equal to the line byte for
              byte, the header's MSGID its event; nothing else arrived.

    tests/e2e/live_afpacket.py [BOLLARD] [--replay-rate pps=N|mbps=N|topspeed] [--keep]

Prints one line per check, ends with "N passed, M failed[, K skipped]"; exit
status 1 when a check failed.  SKIPPED (exit 0) when not root, when `ip
netns` or tcpreplay is missing, when this build has no `bollard live`, or
when rsyslogd or its RELP module is missing (`scripts/setup --test`
installs them).  The namespaces, the veth pair, DPDK's runtime directory and
every process the test started are removed in the end, also after Ctrl-C or
SIGTERM.  About 10 s.
"""
import argparse
import collections
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
import syslog_rsyslog as rh  # noqa: E402  (the rsyslog harness: free_ports, find_rsyslogd, Report, Skip)

ROOT = rh.ROOT
CAPTURE = os.path.join(ROOT, "samples", "terminal-and-rail.pcap")
POLICY = os.path.join(ROOT, "samples", "site.yaml")
EAL = ["-l", "0,1", "--no-huge", "--no-pci", "-m", "512", "--no-telemetry"]
DPDK_PREFIX = f"bld-live-{os.getpid()}"   # its own runtime directory, /var/run/dpdk/<prefix>
IDLE_S = 4                # after the replay: long enough for the 1 s cycles' silence (3 s) to be noticed
TIME_KINDS = {"timing.deviation": "timing", "timing.silence": "timing", "rate.exceeded": "rate"}
FLOW_TIME_FIELDS = {"ts_first", "ts_last", "end_reason", "flow_id", "port"}   # port: live names it, read has none
READY_TIMEOUT = 20        # seconds for the EAL to start and the worker to poll
REPLAY_TIMEOUT = 30
LIVE_TIMEOUT = 30         # after the replay: the idle limit and the syslog flush
ARRIVAL_TIMEOUT = 15

CONF = """# rsyslogd of tests/e2e/live_afpacket.py: each input's raw messages, one per line, in its own file.
global(workDirectory="{dir}/work" maxMessageSize="64k")
module(load="imtcp")
module(load="imrelp")
template(name="raw" type="string" string="%rawmsg%\\n")
ruleset(name="relp") {{ action(type="omfile" file="{dir}/out/relp.log" template="raw") }}
input(type="imrelp" address="127.0.0.1" port="{relp}" ruleset="relp")
ruleset(name="tcp") {{ action(type="omfile" file="{dir}/out/tcp.log" template="raw") }}
input(type="imtcp" address="127.0.0.1" port="{tcp}" ruleset="tcp")
"""


class Interrupted(Exception):
    pass


def on_sigterm(sig, frame):
    raise Interrupted(f"signal {sig}")


def run(cmd, timeout=60, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, **kw)


def stop_process(proc, sig=signal.SIGTERM, grace=10):
    """End one process the test started, by its id: sig, then SIGKILL after grace seconds."""
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class Net:
    """Two namespaces and a veth pair of the test's own: the feed (tcpreplay on bldB<pid>) and the sensor
    (bollard on bldA<pid>, rsyslogd on the sensor's loopback).  remove() undoes whatever create() did."""

    def __init__(self):
        pid = os.getpid()
        self.feed, self.sensor = f"bld-feed-{pid}", f"bld-sensor-{pid}"
        self.capture, self.replay = f"bldA{pid}", f"bldB{pid}"     # the sensor's end, the feed's end
        self.made = []

    def sh(self, *cmd, ns=None):
        full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
        r = run(full, timeout=15)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(full)}: exit {r.returncode}: {r.stderr.strip()}")

    def exec_in(self, ns):
        return ["ip", "netns", "exec", ns]    # execs the command: its pid is the command's

    def create(self):
        for ns in (self.feed, self.sensor):
            self.made.append(ns)     # before: an interrupt may come while `ip` runs; remove() checks what exists
            self.sh("ip", "netns", "add", ns)
        self.made.append(self.capture)
        self.sh("ip", "link", "add", self.capture, "netns", self.sensor, "type", "veth",
                "peer", "name", self.replay, "netns", self.feed)
        # before the links come up: an IPv6 link would send router solicitations, MLD and DAD
        self.sh("sysctl", "-qw", f"net.ipv6.conf.{self.capture}.disable_ipv6=1", ns=self.sensor)
        self.sh("sysctl", "-qw", f"net.ipv6.conf.{self.replay}.disable_ipv6=1", ns=self.feed)
        self.sh("ip", "link", "set", "lo", "up", ns=self.sensor)        # rsyslogd's 127.0.0.1
        self.sh("ip", "link", "set", self.capture, "up", ns=self.sensor)
        self.sh("ip", "link", "set", self.replay, "up", ns=self.feed)

    def counters(self):
        """The kernel's own counters of the pair: what left the feed's end and what reached the sensor's."""
        def read(ns, dev, names):
            r = run(["ip", "netns", "exec", ns, "cat"] + [f"/sys/class/net/{dev}/statistics/{n}" for n in names],
                    timeout=15)
            vals = r.stdout.split()
            return dict(zip(names, map(int, vals))) if r.returncode == 0 and len(vals) == len(names) else {}
        return {"replay": read(self.feed, self.replay, ("tx_packets", "tx_dropped")),
                "capture": read(self.sensor, self.capture, ("rx_packets", "rx_dropped", "tx_packets"))}

    def remove(self):
        """Deleting a namespace deletes its veth end, and with it the pair.  Returns what is left."""
        left = []
        for ns in (self.feed, self.sensor):
            if ns in self.made:
                r = run(["ip", "netns", "del", ns], timeout=15)
                if r.returncode != 0 and ns in run(["ip", "netns", "list"], timeout=15).stdout.split():
                    left.append(f"namespace {ns} ({r.stderr.strip()})")
        # made in the root namespace if `ip link add` was cut short: it goes asynchronously with a namespace
        if self.capture in self.made and os.path.exists(f"/sys/class/net/{self.capture}"):
            run(["ip", "link", "del", self.capture], timeout=15)
            for _ in range(50):
                if not os.path.exists(f"/sys/class/net/{self.capture}"):
                    break
                time.sleep(0.1)
            else:
                left.append(f"link {self.capture}")
        return left


def listening_in(pid):
    """TCP ports in LISTEN on 127.0.0.1 or any address in the network namespace of process pid."""
    ports = set()
    try:
        with open(f"/proc/{pid}/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                addr, port = fields[1].split(":")
                if fields[3] == "0A" and addr in ("0100007F", "00000000"):
                    ports.add(int(port, 16))
    except OSError:
        pass
    return ports


class Receiver:
    """rsyslogd -n with a RELP and a TCP input, each writing raw messages to a file."""

    def __init__(self, rsyslogd, tmp, prefix):
        self.rsyslogd, self.dir, self.prefix = rsyslogd, tmp, prefix   # prefix: ip netns exec NS
        self.conf = os.path.join(tmp, "rsyslog.conf")
        self.proc = None
        os.makedirs(os.path.join(tmp, "work"), exist_ok=True)
        os.makedirs(os.path.join(tmp, "out"), exist_ok=True)

    def out(self, name):
        return os.path.join(self.dir, "out", name + ".log")

    def start(self):
        for _ in range(3):     # a port taken in between by someone else: other ports
            (relp, tcp), _ = rh.free_ports(2, 0)    # free here, and in a new namespace anyway
            self.port = {"relp": relp, "tcp": tcp}
            with open(self.conf, "w") as f:
                f.write(CONF.format(dir=self.dir, relp=relp, tcp=tcp))
            r = run([self.rsyslogd, "-N1", "-f", self.conf], timeout=30)
            text = r.stdout + r.stderr
            m = re.search(r"could not load module '([^']+)'[^\n]*", text)
            if m:
                raise rh.Skip(f"rsyslog module {m.group(1)} is missing ({m.group(0).strip()})")
            if r.returncode != 0 or "error" in text.lower():
                raise RuntimeError(f"rsyslogd -N1 rejects the test's configuration:\n{text}")
            with open(os.path.join(self.dir, "rsyslogd.stderr"), "a") as log:
                self.proc = subprocess.Popen([*self.prefix, self.rsyslogd, "-n", "-f", self.conf, "-i",
                                              os.path.join(self.dir, "rsyslogd.pid")],
                                             stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                             env=dict(os.environ, TZ="UTC"), start_new_session=True)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if set(self.port.values()) <= listening_in(self.proc.pid):
                    return
                time.sleep(0.05)
            self.stop()
        raise RuntimeError("rsyslogd did not listen on its ports:\n" + self.log_tail())

    def stop(self):
        stop_process(self.proc)
        self.proc = None

    def log_tail(self, n=15):
        p = os.path.join(self.dir, "rsyslogd.stderr")
        return "\n".join(open(p, errors="replace").read().splitlines()[-n:]) if os.path.exists(p) else ""

    def lines(self, name):
        try:
            with open(self.out(name), errors="replace") as f:
                return [line.rstrip("\n") for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def settle(self, want):
        """Wait until every input's file has want lines, then a little longer for what should not come."""
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        while time.monotonic() < deadline and any(len(self.lines(n)) < want for n in self.port):
            time.sleep(0.1)
        time.sleep(0.5)


# ---------------------------------------------------------------------------
# The comparisons


def load_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def end(rec, side):
    return rec.get(f"{side}_ip") or rec.get(f"{side}_mac")


def flow_key(f):
    return tuple(sorted((k, json.dumps(v)) for k, v in f.items() if k not in FLOW_TIME_FIELDS))


def untimed_op(op):
    """The op without what depends on time (a response's response_time_us)."""
    if isinstance(op, dict):
        return {k: untimed_op(v) for k, v in op.items() if k != "response_time_us"}
    if isinstance(op, list):
        return [untimed_op(v) for v in op]
    return op


def identity(a, flows):
    """The alert's aggregation identity without time: see the docstring."""
    if a["event"] == "asset.new":
        m = re.match(r"(\S+) is not in the policy", a.get("reason", ""))
        return ("asset.new", m.group(1) if m else f"? {a.get('reason')}")
    f = flows.get(a.get("flow_id"))
    if f is None:          # a flow-less alert (the sensor's own), or a flow the records lack
        return (a["event"], a.get("rule"), a.get("proto"), end(a, "src"), end(a, "dst"), a.get("dst_port"), None)
    client, server = end(f, "src"), end(f, "dst")
    return (a["event"], a.get("rule"), a.get("proto"), client, server, f.get("dst_port"), end(a, "src") == client)


def fields(a):
    return (a.get("src_port"), a.get("dst_port"), a.get("detail"), json.dumps(untimed_op(a.get("op")), sort_keys=True))


def timed_rules(policy_path):
    """rule id -> the time-based keys it has ('timing', 'rate'), from a plain scan of the YAML."""
    rules, current = {}, None
    with open(policy_path) as f:
        for line in f:
            code = line.split("#", 1)[0]
            m = re.match(r"\s*-\s+id:\s*(\S+)", code)
            if m:
                current = m.group(1).strip("\"'")
                rules[current] = set()
                continue
            m = re.match(r"\s+(timing|rate)\s*:", code)
            if m and current:
                rules[current].add(m.group(1))
            if re.match(r"\S", code):   # a top-level key ends the rules
                current = None
    return rules


def compare_flows(read_flows, live_flows, report):
    cr, cl = collections.Counter(map(flow_key, read_flows)), collections.Counter(map(flow_key, live_flows))
    only_r, only_l = cr - cl, cl - cr
    ends_r = collections.Counter(f.get("end_reason") for f in read_flows)
    ends_l = collections.Counter(f.get("end_reason") for f in live_flows)

    details = [f"only in read: {dict(k)}" for k in list(only_r)[:5]] + \
              [f"only in live: {dict(k)}" for k in list(only_l)[:5]]
    report.check(not only_r and not only_l and live_flows != [],
                 "flows", f"{len(live_flows)} live flow records equal read's {len(read_flows)} on 5-tuple (or MACs "
                 f"and ethertype), app, packets and bytes per direction, tcp_state; end reasons (packet time) "
                 f"read: {tally(ends_r)}; live: {tally(ends_l)}", details)


def tally(counter):
    return ", ".join(f"{k} {n}" for k, n in counter.most_common()) or "none"


def compare_alerts(read_ev, read_flows, live_ev, live_flows, span_s, report):
    rf = {f["flow_id"]: f for f in read_flows}
    lf = {f["flow_id"]: f for f in live_flows}
    rules = timed_rules(POLICY)

    # the kinds about time: only where the policy has the time-based key
    timed_l = [a for a in live_ev if a["event"] in TIME_KINDS]
    timed_r = [a for a in read_ev if a["event"] in TIME_KINDS]
    stray = [a for a in timed_l if TIME_KINDS[a["event"]] not in rules.get(a.get("rule"), set())]
    kinds_l = collections.Counter(a["event"] for a in timed_l)
    kinds_r = collections.Counter(a["event"] for a in timed_r)
    report.check(not stray, "time-based alerts (not compared)",
                 f"live {tally(kinds_l)} ({sum(a['count'] for a in timed_l)} occurrences) on "
                 f"{len({a.get('rule') for a in timed_l})} rules, read {tally(kinds_r)}: the replay runs the "
                 f"120 s capture in {span_s:.2f} s; each names a rule with timing:/rate:",
                 [f"no such key in rule {a.get('rule')!r}: {json.dumps(a)[:300]}" for a in stray])

    # every other kind, by identity
    def group(events, flows):
        total, first, lines = collections.Counter(), {}, collections.defaultdict(set)
        for a in events:
            if a["event"] in TIME_KINDS:
                continue
            k = identity(a, flows)
            total[k] += a.get("count", 1)
            first.setdefault(k, fields(a))
            lines[k].add(fields(a))
        return total, first, lines

    tr, _, lines_r = group(read_ev, rf)
    tl, first_l, _ = group(live_ev, lf)
    assets_r = {k for k in tr if k[0] == "asset.new"}
    assets_l = {k for k in tl if k[0] == "asset.new"}
    tr = {k: n for k, n in tr.items() if k[0] != "asset.new"}
    tl = {k: n for k, n in tl.items() if k[0] != "asset.new"}
    n_lines_r = sum(1 for a in read_ev if a["event"] not in TIME_KINDS and a["event"] != "asset.new")
    n_lines_l = sum(1 for a in live_ev if a["event"] not in TIME_KINDS and a["event"] != "asset.new")

    only_r, only_l = sorted(set(tr) - set(tl), key=str), sorted(set(tl) - set(tr), key=str)
    report.check(not only_r and not only_l and tl, "alert identities",
                 f"{len(tl)} identities (event, rule, protocol, client, server, server port, sender) in live = "
                 f"read's {len(tr)}: {tally(collections.Counter(k[0] for k in tl))}",
                 [f"only in read: {k}" for k in only_r] + [f"only in live: {k}" for k in only_l])

    counts = [f"{k}: read {tr.get(k, 0)}, live {tl.get(k, 0)}" for k in sorted(set(tr) | set(tl), key=str)
              if tr.get(k, 0) != tl.get(k, 0)]
    report.check(not counts and tl, "occurrences per identity",
                 f"{sum(tl.values())} occurrences in {n_lines_l} live lines, read {sum(tr.values())} in "
                 f"{n_lines_r} lines: the sum of count per identity equal ({len(counts)} differ)", counts)

    firsts = [f"{k}: live's first {first_l[k]} is no line of read's: {sorted(lines_r[k])[:3]}"
              for k in sorted(first_l, key=str) if k[0] != "asset.new" and k in lines_r
              and first_l[k] not in lines_r[k]]
    report.check(not firsts and first_l, "first occurrences",
                 "each identity's first live line equals a read line of it on ports, detail and op", firsts)

    report.check(assets_r == assets_l and assets_l != set(), "asset.new",
                 f"new addresses live {sorted(a for _, a in assets_l)} = read {sorted(a for _, a in assets_r)}",
                 [f"only in read: {sorted(assets_r - assets_l)}", f"only in live: {sorted(assets_l - assets_r)}"])


def silent_segment(live_ev, live_flows, report):
    """Live, time goes on after the last packet (wall clock): the cycles that stopped are reported silent."""
    last = max((f["ts_last"] for f in live_flows), default="")
    after = [a for a in live_ev if a["event"] == "timing.silence" and a["ts"] > last]
    report.check(bool(after), "a segment gone silent",
                 f"{len(after)} timing.silence alerts after the last packet ({last}), e.g. "
                 f"{after[0]['reason'] if after else 'none'}: the engine's time went on without packets")


def compare_syslog(events_path, rx, report):
    with open(events_path) as f:
        lines = [line.rstrip("\n") for line in f if line.strip()]
    want = collections.Counter(lines)
    for name in ("relp", "tcp"):
        got, bad = collections.Counter(), []
        for raw in rx.lines(name):
            parts = raw.split(" ", 7)
            if len(parts) != 8 or not re.fullmatch(r"<\d{1,3}>1", parts[0]) or parts[3] != "bollard" \
                    or parts[6] != "-":
                bad.append(f"not an RFC 5424 json message: {raw[:200]}")
                continue
            body = parts[7]
            try:
                event = json.loads(body).get("event")
            except ValueError:
                event = None
            if parts[5] != event:
                bad.append(f"MSGID {parts[5]!r} but event {event!r}: {raw[:200]}")
            got[body] += 1
        missing, extra = want - got, got - want
        same = sum(n - 1 for n in want.values() if n > 1)
        report.check(not missing and not extra and not bad and lines,
                     f"syslog over {name.upper()}",
                     f"{sum(got.values())} messages for {len(lines)} --events lines, each once, equal after the "
                     f"header: {sum(missing.values())} missing, {sum(extra.values())} foreign or repeated"
                     + (f" ({same} lines of --events repeat an earlier one: a count line of one occurrence in "
                        f"the same burst, hence the same time, as the first)" if same else ""),
                     bad[:3] + [f"missing: {m[:200]}" for m in list(missing)[:3]] +
                     [f"foreign or repeated: {m[:200]}" for m in list(extra)[:3]])


# ---------------------------------------------------------------------------


def replay_args(rate):
    if rate == "topspeed":
        return ["--topspeed"]
    m = re.fullmatch(r"(pps|mbps)=(\d+(\.\d+)?)", rate)
    if not m:
        raise SystemExit(f"--replay-rate: topspeed, pps=N or mbps=N, not {rate!r}")
    return [f"--{m.group(1)}={m.group(2)}"]


def tcpreplay_counts(text):
    sent = re.search(r"Successful packets:\s+(\d+)", text)
    failed = re.search(r"Failed packets:\s+(\d+)", text)
    actual = re.search(r"Actual: (\d+) packets \((\d+) bytes\) sent in ([\d.]+) seconds", text)
    return (int(sent.group(1)) if sent else None, int(failed.group(1)) if failed else None,
            int(actual.group(2)) if actual else None, float(actual.group(3)) if actual else None)


def port_counts(stderr):
    """The last `port 0 ...` line of live's stderr (the final one, after the --stats ones)."""
    pat = re.compile(r"port 0 (\S+) \((\S+)\): (\d+) packets, (\d+) bytes received; (\d+) missed by the port, "
                     r"(\d+) errors, (\d+) without an mbuf")
    found = pat.findall(stderr)
    if not found:
        return None
    name, driver, *nums = found[-1]
    return dict(name=name, driver=driver, **dict(zip(("packets", "bytes", "missed", "errors", "nombuf"),
                                                     map(int, nums))))


def wait_ready(proc, stderr_path):
    """Once live's first --stats port line is out (the EAL up, the port started, the worker polling): the
    packets the port had received by then; None if it did not come."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        with open(stderr_path, errors="replace") as f:
            pc = port_counts("".join(line for line in f if line.endswith("\n")))
        if pc:
            return pc["packets"]
        time.sleep(0.05)
    return None


def prerequisites(bollard):
    if os.geteuid() != 0:
        return "not root: network namespaces and a veth pair need CAP_NET_ADMIN"
    if not shutil.which("ip") or run(["ip", "netns", "list"], timeout=15).returncode != 0:
        return "`ip netns` is unavailable (iproute2)"
    if not shutil.which("tcpreplay"):
        return "tcpreplay is missing (scripts/setup --test installs it)"
    helptext = run([bollard, "live", "--help"], timeout=15)
    if helptext.returncode != 0 or "EAL" not in helptext.stdout:
        return "this build has no live capture (DPDK missing at build time: scripts/setup installs libdpdk-dev)"
    if not rh.find_rsyslogd():
        return "rsyslogd is missing (scripts/setup --test installs rsyslog and rsyslog-relp)"
    return None


def end_run(report, left, prefixes, tmp, keep, t0, interrupted):
    """A live test's last steps, after its clean-up: the EAL's runtime directories, what could not be removed,
    the temporary files (or where they were kept), the summary line; the exit status."""
    for prefix in prefixes:
        shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)
    if left:
        report.check(False, "clean-up", "could not remove " + ", ".join(left))
    if keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    print(f"({time.monotonic() - t0:.1f} s)")
    status = report.summary()
    return 130 if interrupted else status


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bollard", nargs="?", default=os.path.join(ROOT, "build", "dataplane", "bollard"))
    ap.add_argument("--replay-rate", default="pps=5000",
                    help="tcpreplay's speed: pps=N (default pps=5000), mbps=N or topspeed")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory and print where it is")
    args = ap.parse_args()
    replay = replay_args(args.replay_rate)
    if not os.access(args.bollard, os.X_OK):
        print(f"error: no {args.bollard} (ninja -C build)", file=sys.stderr)
        return 2
    report = rh.Report()
    t0 = time.monotonic()
    why = prerequisites(args.bollard)
    if why:
        report.skip("bollard live on net_af_packet", why)
        return report.summary()

    signal.signal(signal.SIGTERM, on_sigterm)
    tmp = tempfile.mkdtemp(prefix="bollard-live-afpacket-")
    out = {k: os.path.join(tmp, f"{k}.jsonl") for k in ("read.events", "read.flows", "live.events", "live.flows")}
    net, rx, live = Net(), None, None
    interrupted = False
    try:
        r = run([args.bollard, "read", "--no-progress", "--json-summary", "--policy", POLICY,
                 "--events", out["read.events"], "--flows", out["read.flows"], CAPTURE], timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"bollard read exited {r.returncode}: {r.stderr.strip()[-400:]}")
        read_sum = json.loads(r.stdout)

        net.create()
        rx = Receiver(rh.find_rsyslogd(), tmp, net.exec_in(net.sensor))
        rx.start()

        live_err = os.path.join(tmp, "live.stderr")
        live_out = os.path.join(tmp, "live.stdout")
        cmd = [*net.exec_in(net.sensor), args.bollard, "live", "--policy", POLICY, "--events", out["live.events"],
               "--flows", out["live.flows"], "--json-summary", "--syslog", f"relp://127.0.0.1:{rx.port['relp']}",
               "--syslog", f"tcp://127.0.0.1:{rx.port['tcp']}", "--syslog-format", "json",
               "--idle", str(IDLE_S), "--stats", "1", "--",
               *EAL, f"--file-prefix={DPDK_PREFIX}", f"--vdev=net_af_packet0,iface={net.capture}"]
        with open(live_out, "w") as so, open(live_err, "w") as se:
            live = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=so, stderr=se, start_new_session=True)
        t_live = time.monotonic()
        before = wait_ready(live, live_err)
        if before is None:
            raise RuntimeError(f"bollard live did not start capturing within {READY_TIMEOUT} s (exit "
                               f"{live.poll()}): {open(live_err).read().strip()[-600:]}")
        ready_s = time.monotonic() - t_live

        rp = run([*net.exec_in(net.feed), "tcpreplay", f"--intf1={net.replay}", *replay, CAPTURE],
                 timeout=REPLAY_TIMEOUT)
        sent, failed, sent_bytes, took = tcpreplay_counts(rp.stdout + rp.stderr)
        try:
            live.wait(LIVE_TIMEOUT)
        except subprocess.TimeoutExpired:
            stop_process(live, signal.SIGINT)
            raise RuntimeError(f"bollard live did not stop within {LIVE_TIMEOUT} s of the replay's end "
                               f"(--idle {IDLE_S})")
        live_s = time.monotonic() - t_live
        err = open(live_err, errors="replace").read()
        try:
            live_sum = json.loads(open(live_out).read())
        except ValueError:
            live_sum = {}

        report.check(live.returncode == 0 and live_sum != {}, "bollard live",
                     f"exit {live.returncode}; capturing {ready_s:.1f} s after start, stopped by --idle {IDLE_S} "
                     f"{live_s:.1f} s after start", [err.strip()[-600:]])
        report.check(rp.returncode == 0 and sent == read_sum["packets"] and failed == 0 and
                     sent_bytes == read_sum["bytes"], "tcpreplay",
                     f"{sent} packets ({sent_bytes} bytes) sent in {took} s at {args.replay_rate} into "
                     f"{net.replay} ({net.feed}), {failed} failed; the capture has {read_sum['packets']}",
                     [(rp.stdout + rp.stderr).strip()[-600:]])
        pc = port_counts(err)
        kc = net.counters()
        kr, kcap = kc["replay"], kc["capture"]
        kernel = (f"the kernel: {net.replay} sent {kr.get('tx_packets')} ({kr.get('tx_dropped')} dropped), "
                  f"{net.capture} received {kcap.get('rx_packets')} ({kcap.get('rx_dropped')} dropped) and sent "
                  f"{kcap.get('tx_packets')}")
        hints = []
        if pc and pc["packets"] < kcap.get("rx_packets", 0):
            hints.append(f"what {net.capture} received and the port did not, the af_packet ring dropped (DPDK "
                         f"22.11's net_af_packet does not count that as missed): a slower --replay-rate")
        if before:
            hints.append("packets before the replay: DPDK 22.11's net_af_packet binds its socket to the interface "
                         "only after setting up its ring, and takes every interface's packets until then")
        report.check(before == 0 and pc is not None and pc["driver"] == "net_af_packet" and pc["packets"] == sent
                     and pc["bytes"] == sent_bytes and pc["missed"] == pc["errors"] == pc["nombuf"] == 0,
                     "port counters",
                     (f"{pc['name']} ({pc['driver']}) on {net.capture} ({net.sensor}): {before} packets before the "
                      f"replay, {pc['packets']} packets, {pc['bytes']} bytes in all, {pc['missed']} missed, "
                      f"{pc['errors']} errors, {pc['nombuf']} without an mbuf; " if pc else "no port line; ") + kernel,
                     hints + err.strip().splitlines()[-1:])
        report.check(live_sum.get("packets") == read_sum["packets"] and live_sum.get("bytes") == read_sum["bytes"],
                     "engine", f"live {live_sum.get('packets')} packets, {live_sum.get('bytes')} bytes; read "
                     f"{read_sum['packets']}, {read_sum['bytes']}")

        read_ev, live_ev = load_jsonl(out["read.events"]), load_jsonl(out["live.events"])
        read_flows, live_flows = load_jsonl(out["read.flows"]), load_jsonl(out["live.flows"])
        compare_flows(read_flows, live_flows, report)
        compare_alerts(read_ev, read_flows, live_ev, live_flows, took or 0.0, report)
        silent_segment(live_ev, live_flows, report)
        rx.settle(len(live_ev))
        compare_syslog(out["live.events"], rx, report)
    except rh.Skip as e:
        report.skip("bollard live on net_af_packet", str(e))
    except (KeyboardInterrupt, Interrupted) as e:
        interrupted = True
        print(f"interrupted ({str(e) or 'Ctrl-C'}): cleaning up", flush=True)
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
        report.check(False, "harness", repr(e), [rx.log_tail() if rx else ""])
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)     # a second Ctrl-C must not stop the clean-up
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_process(live, signal.SIGINT)
        if rx:
            rx.stop()
        left = net.remove()
    return end_run(report, left, [DPDK_PREFIX], tmp, args.keep, t0, interrupted)


if __name__ == "__main__":
    sys.exit(main())
