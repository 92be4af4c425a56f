#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
End-to-end oracle: Bollard's operations (`bollard read --ops`) agree with
tshark's own dissectors, PDU by PDU and field by field.

For each capture, Bollard writes one JSON line per PDU; tshark 4.0 writes PDML
(`-T pdml`) for the frames its industrial dissectors decode.  One module per
protocol in tests/e2e/oracle/ (see its README) turns both into comparable
dicts.  PDUs are paired per direction of each conversation (sender and
receiver address and port) and per frame time: both tools report a PDU at the
frame that completes it, so PDUs of the same direction and the same
microsecond pair up in order.  Where a capture lost segments the times
differ (tshark decodes what each frame holds at once; Bollard waits for the
hole, then gives it up at a limit or the flow's end): the PDUs left over in
each direction are aligned in order, PDUs that agree on every field both
tools give pair up, and are counted as "reported later".  tshark does not dissect a frame it takes for a
retransmission, even when the first copy was never captured; Bollard parses
such bytes (they are new to it): PDUs Bollard reports at exactly such a frame
are counted apart, not as failures.

A field is compared where both dicts have it (not None).  A difference is a
disagreement unless the module's KNOWN_DIFFERENCES names the field (with the
reason, which docs/protocols/<proto>.md explains).  PDUs only one tool
decoded are counted per protocol and listed; a module leaves out of the
comparison what one tool does not decode by design (bollard_pdu or
tshark_pdus returning None / nothing for it, with a comment saying why).

Usage: tests/e2e/ops_vs_tshark.py [--bollard PATH] [--jobs N] [--proto P]
                                   [--list-only-failures] [--examples N]
                                   [CAPTURE|DIR ...]
Without arguments: tests/fixtures, samples and ../shared/pcaps (skipped, and
said so, when missing).  Ends with "N passed, M failed" counting
(capture, protocol) pairs.  Exit 1 when anything failed.
"""

import argparse
import concurrent.futures
import importlib
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tests', 'e2e'))
CAPTURE_EXT = ('.pcap', '.pcapng', '.cap')
TOOL_TIMEOUT_S = 900
PROTOCOLS = ['modbus', 'dnp3', 'iec104', 's7comm', 'enip', 'opcua', 'goose']


def load_modules(only):
    mods = []
    for name in PROTOCOLS:
        if only and name not in only:
            continue
        try:
            mods.append(importlib.import_module('oracle.' + name))
        except ModuleNotFoundError:
            print(f'note: no oracle module for {name} yet (tests/e2e/oracle/{name}.py)')
    return mods


def captures(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                out += [os.path.join(root, f) for f in files if f.endswith(CAPTURE_EXT)]
        elif os.path.isfile(p):
            out.append(p)
    return sorted(out)


def ts_us_iso(s):
    """2024-05-14T06:00:00.100000Z -> integer microseconds since the epoch."""
    import calendar
    day, frac = s.rstrip('Z').split('.')
    t = calendar.timegm(tuple(int(x) for x in day.replace('T', '-').replace(':', '-').split('-')) + (0, 0, 0))
    return t * 1000000 + int(frac)


def ts_us_epoch(s):
    sec, _, frac = s.partition('.')
    return int(sec) * 1000000 + int((frac + '000000')[:6])


def bollard_ops(bollard, path, mods):
    names = {m.PROTO for m in mods} | {p for m in mods for p in getattr(m, 'ALSO_PROTOS', ())}
    with tempfile.NamedTemporaryFile(suffix='.jsonl') as tmp:
        r = subprocess.run([bollard, 'read', '--no-progress', '--ops', tmp.name, path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=TOOL_TIMEOUT_S)
        if r.returncode not in (0, 1):
            raise RuntimeError(f'bollard exit {r.returncode}: {r.stderr.decode(errors="replace")[:300]}')
        ops = defaultdict(list)
        with open(tmp.name) as f:
            for line in f:
                op = json.loads(line)
                if op['proto'] in names:
                    ops[op['proto']].append(op)
        return ops


def endpoint(pkt):
    """(src, sport, dst, dport) of a PDML packet, or None.  A frame without IP (GOOSE and other
    protocols directly over Ethernet) is (source MAC, None, destination MAC, None)."""
    src = dst = sport = dport = None
    mac_src = mac_dst = None
    for proto in pkt.findall('proto'):
        n = proto.get('name')
        if n in ('ip', 'ipv6') and src is None:
            pre = 'ip' if n == 'ip' else 'ipv6'
            for f in proto.iter('field'):
                if f.get('name') == pre + '.src':
                    src = f.get('show')
                elif f.get('name') == pre + '.dst':
                    dst = f.get('show')
        elif n in ('tcp', 'udp') and sport is None:
            for f in proto.iter('field'):
                if f.get('name') == n + '.srcport':
                    sport = int(f.get('show'))
                elif f.get('name') == n + '.dstport':
                    dport = int(f.get('show'))
        elif n == 'eth' and mac_src is None:
            for f in proto.findall('field'):
                if f.get('name') == 'eth.src':
                    mac_src = f.get('show')
                elif f.get('name') == 'eth.dst':
                    mac_dst = f.get('show')
    if src is None and mac_src is not None:
        return (mac_src, None, mac_dst, None)
    if src is None or sport is None:
        return None
    return (src, sport, dst, dport)


def is_retransmission(pkt):
    for f in pkt.iter('field'):
        if f.get('name') in ('tcp.analysis.retransmission', 'tcp.analysis.spurious_retransmission'):
            return True
    return False


RECENT = 64  # PDUs per direction remembered to recognise a retransmitted one


def tshark_pdus(path, mods):
    """{proto: [(key, ts_us, frame, dict)]} from one PDML run for every module."""
    # Retransmitted frames too: tshark does not dissect what it takes for a retransmission, even
    # when the first copy was never captured (then Bollard parses these bytes: they are new to it).
    flt = ' or '.join(f'({m.DISPLAY_FILTER})' for m in mods) + \
        ' or tcp.analysis.retransmission or tcp.analysis.spurious_retransmission'
    skipped = set()
    cmd = ['tshark', '-n', '-r', path, '-Y', flt, '-T', 'pdml', '-o', 'tcp.desegment_tcp_streams:TRUE']
    for m in mods:
        cmd += getattr(m, 'TSHARK_PREFS', [])
    owner = {}
    for m in mods:
        for p in m.TSHARK_PROTOS:
            owner[p] = m
    out = defaultdict(list)
    recent = defaultdict(list)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        for _, elem in ET.iterparse(proc.stdout, events=('end',)):
            if elem.tag != 'packet':
                continue
            key = endpoint(elem)
            if key is not None:
                # A retransmitted frame's PDUs are left out only when tshark already gave them: when
                # the first copy was never captured (tshark still says "retransmission"), Bollard
                # parses the copy, and so must the comparison.
                retrans = is_retransmission(elem)
                frame = ts = None
                for f in elem.iter('field'):
                    if f.get('name') == 'num' and frame is None:
                        frame = int(f.get('show'))
                    elif f.get('name') == 'frame.time_epoch':
                        ts = ts_us_epoch(f.get('show'))
                        break
                by_mod = defaultdict(list)
                for proto in elem.findall('proto'):
                    m = owner.get(proto.get('name'))
                    if m is not None:
                        by_mod[m].append(proto)
                if retrans and not by_mod:
                    skipped.add((key, ts))
                for m, protos in by_mod.items():
                    for d in m.tshark_pdus(protos):
                        seen = recent[(m.PROTO, key)]
                        text = json.dumps(d, sort_keys=True)
                        if retrans and text in seen:
                            continue
                        seen.append(text)
                        del seen[:-RECENT]
                        out[m.PROTO].append((key, ts, frame, d))
            elem.clear()
    finally:
        proc.stdout.close()
        proc.wait(timeout=TOOL_TIMEOUT_S)
    return out, skipped


def norm(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items() if x is not None}
    return v


def compare_one(path, bollard, mods):
    """{proto: result dict} for one capture."""
    ops = bollard_ops(bollard, path, mods)
    ts_side, skipped = tshark_pdus(path, mods)
    results = {}
    for m in mods:
        b_list, t_list = [], ts_side.get(m.PROTO, [])
        for op in ops.get(m.PROTO, []) + [o for p in getattr(m, 'ALSO_PROTOS', ()) for o in ops.get(p, [])]:
            d = m.bollard_pdu(op)
            if d is None:
                continue
            key = (op.get('src_ip', op.get('src_mac')), op.get('src_port'), op.get('dst_ip', op.get('dst_mac')),
                   op.get('dst_port'))
            b_list.append((key, ts_us_iso(op['ts']), d))
        if not b_list and not t_list:
            continue
        groups = defaultdict(lambda: ([], []))
        for key, ts, d in b_list:
            groups[(key, ts)][0].append(d)
        for key, ts, frame, d in t_list:
            groups[(key, ts)][1].append((frame, d))
        res = {'pdus': 0, 'fields': 0, 'only_bollard': 0, 'only_tshark': 0, 'late': 0, 'retrans': 0,
               'disagree': defaultdict(list), 'waived': defaultdict(int), 'unmatched': []}
        known = getattr(m, 'KNOWN_DIFFERENCES', {})

        def compare(bd, frame, td):
            bd, td = norm(bd), norm(td)
            res['pdus'] += 1
            for field in sorted(set(bd) & set(td)):
                res['fields'] += 1
                if bd[field] != td[field]:
                    if field in known:
                        res['waived'][field] += 1
                    else:
                        res['disagree'][field].append((frame, bd[field], td[field]))

        # 1. Same direction, same frame time, as many PDUs on both sides: pair in order.
        rest = defaultdict(lambda: ([], []))
        for (key, ts), (bs, tss) in sorted(groups.items(), key=lambda kv: kv[0][1]):
            if len(bs) == len(tss):
                for bd, (frame, td) in zip(bs, tss):
                    compare(bd, frame, td)
            else:
                rest[key][0].extend((ts, d) for d in bs)
                rest[key][1].extend((ts, f, d) for f, d in tss)
        # 2. The rest of each direction, in order: PDUs that agree on every field both tools give
        #    pair up (greedily, keeping the order) even when Bollard reported
        #    them later (a capture that lost segments: Bollard waits for the hole, then gives it up
        #    at a limit or the flow's end; tshark decodes what each frame holds at once).
        def agree(bd, td):
            bd, td = norm(bd), norm(td)
            return all(bd[k] == td[k] for k in set(bd) & set(td))

        for key, (bs, tss) in rest.items():
            used_b, used_t = set(), set()
            j0 = 0
            for i, (bts, bd) in enumerate(bs):
                for j in range(j0, len(tss)):
                    if j not in used_t and agree(bd, tss[j][2]):
                        used_b.add(i)
                        used_t.add(j)
                        compare(bd, tss[j][1], tss[j][2])
                        res['late'] += bts != tss[j][0]
                        j0 = j + 1
                        break
            for i, (ts, d) in enumerate(bs):
                if i not in used_b and (key, ts) in skipped:
                    res['retrans'] += 1  # bytes tshark took for a retransmission and did not dissect
                elif i not in used_b:
                    res['only_bollard'] += 1
                    res['unmatched'].append(('bollard', key, ts, None, d))
            for j, (ts, frame, d) in enumerate(tss):
                if j not in used_t:
                    res['only_tshark'] += 1
                    res['unmatched'].append(('tshark', key, ts, frame, d))
        results[m.PROTO] = res
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--bollard', default=os.path.join(REPO, 'build', 'dataplane', 'bollard'))
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--proto', action='append', help='only this protocol (repeatable)')
    ap.add_argument('--list-only-failures', action='store_true')
    ap.add_argument('--examples', type=int, default=3, help='examples shown per disagreeing field')
    ap.add_argument('paths', nargs='*')
    a = ap.parse_args()
    if not os.access(a.bollard, os.X_OK):
        print(f'bollard not built: {a.bollard}', file=sys.stderr)
        return 2
    paths = a.paths
    if not paths:
        paths = [os.path.join(REPO, 'tests', 'fixtures'), os.path.join(REPO, 'samples')]
        shared = os.path.join(REPO, '..', 'shared', 'pcaps')
        if os.path.isdir(shared):
            paths.append(shared)
        else:
            print(f'SKIPPED: {shared} is not here; the public captures are not compared')
    mods = load_modules(a.proto)
    mod_of = {m.PROTO: m for m in mods}
    files = captures(paths)
    passed = failed = 0
    totals = defaultdict(lambda: defaultdict(int))
    by_field = defaultdict(lambda: defaultdict(int))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futs = {ex.submit(compare_one, f, a.bollard, mods): f for f in files}
        for fut in concurrent.futures.as_completed(futs):
            path = os.path.relpath(futs[fut], REPO)
            try:
                results = fut.result()
            except Exception as e:  # a tool failed: that is a failure of this capture
                failed += 1
                print(f'FAIL {path}: {e}')
                continue
            for proto, r in sorted(results.items()):
                t = totals[proto]
                for k in ('pdus', 'fields', 'only_bollard', 'only_tshark', 'late'):
                    t[k] += r[k]
                t['waived'] += sum(r['waived'].values())
                n_dis = sum(len(v) for v in r['disagree'].values())
                t['disagree'] += n_dis
                for field, v in r['disagree'].items():
                    by_field[proto][field] += len(v)
                unmatched = r['only_bollard'] + r['only_tshark']
                ok = n_dis == 0 and unmatched == 0
                why = getattr(mod_of[proto], 'EXPLAINED_CAPTURES', {}).get(os.path.basename(path))
                if not ok and why:
                    passed += 1
                    print(f'EXPLAINED {path} [{proto}]: only in bollard {r["only_bollard"]}, only in tshark '
                          f'{r["only_tshark"]}, {n_dis} disagree: {why}')
                    continue
                passed += ok
                failed += not ok
                if ok and a.list_only_failures:
                    continue
                print(f'{"ok  " if ok else "FAIL"} {path} [{proto}]: {r["pdus"]} PDUs paired, {r["fields"]} fields '
                      f'compared, {n_dis} disagree, {sum(r["waived"].values())} known differences, '
                      f'only in bollard {r["only_bollard"]}, only in tshark {r["only_tshark"]}'
                      + (f', {r["late"]} reported later by bollard (lost segments)' if r['late'] else '')
                + (f', {r["retrans"]} in frames tshark took for retransmissions' if r['retrans'] else ''))
                for field, v in sorted(r['disagree'].items()):
                    for frame, bv, tv in v[:a.examples]:
                        print(f'       {field}: frame {frame}: bollard {json.dumps(bv)[:200]} tshark {json.dumps(tv)[:200]}')
                    if len(v) > a.examples:
                        print(f'       {field}: ... {len(v) - a.examples} more')
                for side, key, ts, frame, d in r['unmatched'][:a.examples]:
                    print(f'       only in {side}: {key} ts {ts} frame {frame}: {json.dumps(d)[:200]}')
    print('\nper protocol: PDUs paired / fields compared / disagreements / known / only bollard / only tshark')
    for proto, t in sorted(totals.items()):
        print(f'  {proto:8} {t["pdus"]:8} {t["fields"]:10} {t["disagree"]:8} {t["waived"]:8} '
              f'{t["only_bollard"]:8} {t["only_tshark"]:8}')
        for field, n in sorted(by_field[proto].items(), key=lambda kv: -kv[1]):
            print(f'           disagreement in {field}: {n}')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
