#!/usr/bin/env python3
"""The rail dissectors on the scenario generator's rail segment: the baseline
decodes completely and quietly, and every attack raises the event it should.

    tests/e2e/rail_attacks.py [BOLLARD]

`bollard read --ops --events` (no policy: the dissectors' own events) on
tests/fixtures/scenario/rail-signalling.pcap and its attacked twin:

  baseline   every RaSTA, TRDP and GOOSE frame of the generator's manifest is
             an operation (RaSTA and TRDP by the manifest's frames per
             protocol; the ARP and NTP beside them are not dissected), every
             RaSTA PDU's check code and safety code hold, and no protocol
             event is raised at all;
  attacks    each attack of <name>.attacks.json raises its event on the
             attack's conversation (its two hosts; the rail hosts' network B
             addresses count as their A ones, since RaSTA goes out on both),
             within 2 s of its time, and the attacked capture raises no event
             of a kind no attack explains.

  standard   ../shared/pcaps/railway-ccs/dumps/rasta_from_standard.pcapng, the
             standard's heartbeat examples (no, lower-half and full MD4 codes,
             three with the default MD4 initial values and three with modified
             ones, A=afb16782 B=304c59de, as the dumps' README and SBB's test of
             the standard's Annex A give them): each PDU's safety code is the
             kind and the verdict the vectors say, once with the default
             values, once with the modified ones set in a policy's
             `protocols: rasta:`.  SKIPPED, and said, where ../shared is absent
             (it always is in CI).

Prints one line per check, ends with "N passed, M failed[, K skipped]".
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Report  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "scenario")
STANDARD = os.path.normpath(os.path.join(ROOT, "..", "shared", "pcaps", "railway-ccs", "dumps",
                                         "rasta_from_standard.pcapng"))
MODIFIED_IV = "protocols:\n  rasta: {md4_a: afb16782, md4_b: 304c59de}\n"

# attack kind (the generator's) -> the event that must name it
EXPECTED = {
    "sci-command-foreign-sender": "rasta.mid_connection",   # a Data PDU on a flow no ConnReq opened
    "rasta-sequence-jump": "rasta.sequence_error",
    "sci-command-wrong-sender": "rasta.sci_id_mismatch",
    "rasta-forged-safety-code": "rasta.bad_safety_code",
    "trdp-fcs-error": "trdp.bad_fcs",
    "goose-stnum-jump": "goose.st_num_jump",
}
# what else an attack leaves behind on its conversation: the genuine stream going on after the forgery
AFTERMATH = {"rasta.sn_reused", "goose.st_num_back"}
WINDOW_NS = 2_000_000_000


def read(bollard, capture, tmp, policy=None):
    ops, events = os.path.join(tmp, "ops.jsonl"), os.path.join(tmp, "events.jsonl")
    p = subprocess.run([bollard, "read", "--no-progress", "--ops", ops, "--events", events, capture] +
                       (["--policy", policy] if policy else []),
                       capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"bollard read {capture}: exit {p.returncode}: {p.stderr.strip()[-300:]}")
    return [json.loads(x) for x in open(ops)], [json.loads(x) for x in open(events)]


def ns(iso):
    """ISO 8601 UTC with a fraction -> ns since the epoch (the events' and the attacks' times)."""
    import datetime
    base, _, frac = iso.rstrip("Z").partition(".")
    t = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 10**9 + int((frac + "000000000")[:9])


def same_host(addr):
    return addr.replace("10.20.1.", "10.20.0.", 1) if addr else addr


def ends(e):
    return frozenset(same_host(e.get(k)) for k in (("src_ip", "dst_ip") if "src_ip" in e else ("src_mac", "dst_mac")))


def baseline(bollard, tmp, report):
    cap = os.path.join(FIXTURES, "rail-signalling.pcap")
    manifest = json.load(open(cap.replace(".pcap", ".manifest.json")))
    ops, events = read(bollard, cap, tmp)
    by_proto = collections.Counter(o["proto"] for o in ops)
    frames = manifest["frames_by_protocol"]
    for proto in ("rasta", "trdp", "goose"):
        want = frames.get(proto)
        report.check(want is not None and by_proto[proto] == want, f"baseline: {proto} decodes completely",
                     f"{by_proto[proto]} operations for the manifest's {want} frames")
    bad = [o for o in ops if o["proto"] == "rasta" and not (o["rasta"].get("check_code_valid", True) and
                                                             o["rasta"].get("safety_code_valid", True))]
    report.check(not bad, "baseline: every RaSTA check code and safety code holds",
                 f"{by_proto['rasta']} PDUs, {len(bad)} with a code that fails", [json.dumps(b)[:300] for b in bad[:3]])
    report.check(not events, "baseline: no protocol event", f"{len(events)} events",
                 [f"{e['event']}: {json.dumps(e)[:200]}" for e in events[:5]])


def attacks(bollard, tmp, report):
    cap = os.path.join(FIXTURES, "rail-signalling-attacks.pcap")
    atks = json.load(open(cap.replace(".pcap", ".attacks.json")))["attacks"]
    _, events = read(bollard, cap, tmp)
    explained = set()
    for a in atks:
        want = EXPECTED.get(a["kind"])
        t0, pair = ns(a["time"]), frozenset((same_host(a["src"]), same_host(a["dst"])))
        near = [i for i, e in enumerate(events) if ends(e) == pair and 0 <= ns(e["ts"]) - t0 <= WINDOW_NS]
        explained.update(i for i in near if events[i]["event"] in (want, *AFTERMATH))
        got = sorted({events[i]["event"] for i in near})
        report.check(want is not None and want in got, f"attack {a['id']}",
                     f"{want or 'no expected event known'} on {a['src']} -> {a['dst']}: events there {got}")
    stray = [e for i, e in enumerate(events) if i not in explained]
    report.check(not stray, "attacked capture: every event belongs to an attack",
                 f"{len(events)} events, {len(stray)} unexplained",
                 [f"{e['event']} {e['ts']}: {json.dumps(e)[:200]}" for e in stray[:5]])


def standard(bollard, tmp, report):
    if not os.path.exists(STANDARD):
        report.skip("the standard's RaSTA heartbeats", f"{STANDARD} is not here (it always is in CI)")
        return
    kinds = ["none", "lower_md4", "full_md4"] * 2
    policy = os.path.join(tmp, "iv.yaml")
    with open(policy, "w") as f:   # a policy is where site settings live; its one rule allows the dumps' flow
        f.write("bollard: policy/1\nhosts: {a: 10.0.0.1}\nrules:\n  - {id: r, from: a, to: a, protocol: rasta}\n" +
                MODIFIED_IV)
    for name, pol, valid in (("default MD4 initial values", None, [None, True, True, None, False, False]),
                             ("modified MD4 initial values", policy, [None, False, False, None, True, True])):
        ops, _ = read(bollard, STANDARD, tmp, pol)
        got = [(o["rasta"].get("safety_code"), o["rasta"].get("safety_code_valid")) for o in ops]
        report.check(got == list(zip(kinds, valid)), f"the standard's RaSTA heartbeats, {name}",
                     f"safety code and verdict per PDU: {got}")


def main():
    bollard = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "dataplane", "bollard")
    report = Report()
    with tempfile.TemporaryDirectory(prefix="bollard-rail-") as tmp:
        try:
            baseline(bollard, tmp, report)
            attacks(bollard, tmp, report)
            standard(bollard, tmp, report)
        except (RuntimeError, OSError, ValueError, KeyError) as e:
            report.check(False, "harness", repr(e))
    return report.summary()


if __name__ == "__main__":
    sys.exit(main())
