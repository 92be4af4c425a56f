#!/usr/bin/env python3
"""Bollard against the scenario generator's ground truth.

The generator (scripts/gen-scenario) writes a manifest next to every capture:
each flow with its client, server and protocol, the attacks with their hosts,
and for decode-mix.pcapng the expected decode counts.  This test runs
`bollard read` on each capture and checks that

  * every flow of the manifest is a Bollard flow with that protocol (flows are
    compared as unordered address/port pairs: the manifest lists each UDP sender
    separately, Bollard merges both directions into one flow);
  * TCP flows have the manifest's client and server (the SYN decides);
  * every port scan the manifest injected is a port-scan finding;
  * decode-mix.pcapng's decode counters equal the manifest's counts.

Prints one line per check and ends with "N passed, M failed".
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Generator protocol names that Bollard reports under another name.
APP_NAME = {"enip-io": "enip"}


def run_bollard(bollard, capture):
    with tempfile.NamedTemporaryFile(suffix=".json") as flows:
        out = subprocess.run([bollard, "read", "--no-progress", "--json-summary", "--flows", flows.name, capture],
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"bollard exited {out.returncode}: {out.stderr.strip()}")
        records = [json.loads(line) for line in open(flows.name)]
    return json.loads(out.stdout), records


def endpoint(ip, port):
    return f"{ip}:{port}"


def check_flows(manifest, records):
    """Yield (ok, message) per manifest flow."""
    by_pair = {}
    for r in records:
        if "src_port" not in r:
            continue
        a, b = endpoint(r["src_ip"], r["src_port"]), endpoint(r["dst_ip"], r["dst_port"])
        by_pair.setdefault((r["l4"], frozenset((a, b))), []).append(r)
    for f in manifest.get("flows", []):
        want = APP_NAME.get(f["protocol"], f["protocol"])
        got = by_pair.get((f["transport"], frozenset((f["client"], f["server"]))))
        name = f"{f['transport']} {f['client']} -> {f['server']} ({want})"
        if not got:
            yield False, f"{name}: no such flow"
            continue
        apps = sorted({r["app"] for r in got})
        if apps != [want]:
            yield False, f"{name}: classified as {apps}"
            continue
        if f["transport"] == "tcp":
            roles = {(endpoint(r["src_ip"], r["src_port"]), endpoint(r["dst_ip"], r["dst_port"])) for r in got}
            if roles != {(f["client"], f["server"])}:
                yield False, f"{name}: roles {sorted(roles)}"
                continue
        yield True, name


def check_attacks(capture, summary):
    path = capture.rsplit(".", 1)[0] + ".attacks.json"
    if not os.path.exists(path):
        return
    scans = {(s["client"], s["server"]) for s in summary.get("port_scans", [])}
    for a in json.load(open(path))["attacks"]:
        if a["kind"] == "tcp-syn-port-scan":
            ok = (a["src"], a["dst"]) in scans
            yield ok, f"port scan {a['src']} -> {a['dst']} reported" + ("" if ok else f": findings {sorted(scans)}")


def check_decode_counts(manifest, summary):
    c = manifest["counts"]
    counters = {**summary["decode_errors"], **summary["decode_notes"]}
    expect = {
        "packets": (summary["packets"], c["frames"]),
        "malformed or truncated": (sum(summary["decode_errors"].values()), c["malformed_or_truncated"]),
        "ipv4.fragment": (counters.get("ipv4.fragment", 0), c["ipv4_fragments"]),
        "ipv6.fragment": (counters.get("ipv6.fragment", 0), c["ipv6_fragments"]),
        "frag.reassembled": (counters.get("frag.reassembled", 0), sum(c["reassembled_udp_datagrams"].values())),
        "ipv4.options": (counters.get("ipv4.options", 0), c["ipv4_with_options"]),
        "l2.non_ip": (counters.get("l2.non_ip", 0), c["non_ip_ethertype"]),
    }
    for name, (got, want) in expect.items():
        yield got == want, f"{name}: bollard {got}, manifest {want}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bollard", default=os.path.join(ROOT, "build/dataplane/bollard"))
    args = ap.parse_args()

    captures = sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/scenario/*.pcap*")))
    captures.append(os.path.join(ROOT, "samples/terminal-and-rail.pcap"))
    passed = failed = 0
    for cap in captures:
        manifest_path = cap.rsplit(".", 1)[0] + ".manifest.json"
        if not os.path.exists(manifest_path):
            continue
        manifest = json.load(open(manifest_path))
        rel = os.path.relpath(cap, ROOT)
        try:
            summary, records = run_bollard(args.bollard, cap)
        except RuntimeError as e:
            print(f"FAIL {rel}: {e}")
            failed += 1
            continue
        checks = list(check_flows(manifest, records)) + list(check_attacks(cap, summary))
        if "counts" in manifest:
            checks += list(check_decode_counts(manifest, summary))
        bad = [m for ok, m in checks if not ok]
        passed += len(checks) - len(bad)
        failed += len(bad)
        print(f"{'ok  ' if not bad else 'FAIL'} {rel}: {len(checks) - len(bad)}/{len(checks)} checks")
        for m in bad:
            print(f"       {m}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
