#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
End-to-end test: the operations and protocol events of the generated
scenarios are what the generator put in them.

For every scenario capture with an attacks file (scripts/gen-scenario writes
<name>.attacks.json beside it), `bollard read --ops --events` must show each
SCADA attack as the operation it is: the attacker's Modbus writes with their
function codes, the diagnostics request, the S7 PLC stop (and its
s7comm.plc_stop event), the DNP3 cold restart, the IEC 104 single command on
its address.  Every operation must belong to a flow the manifest says carries
that protocol.  The clean port scenario must raise only the events its
design implies (Modbus on port 5020, an OPC UA channel without security) and
the attacks scenario those plus the PLC stop: nothing malformed, no stream
anomaly, no response without its request.

Ends with "N passed, M failed" (one check per line).
"""
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOLLARD = os.path.join(REPO, 'build', 'dataplane', 'bollard')
CAPTURES = [os.path.join(REPO, 'tests', 'fixtures', 'scenario', 'port-scada.pcap'),
            os.path.join(REPO, 'tests', 'fixtures', 'scenario', 'port-scada-attacks.pcap'),
            os.path.join(REPO, 'samples', 'terminal-and-rail.pcap')]
# Events the scenarios raise by design; anything else is a finding of a bug (or of the generator).
DESIGNED = {'app.unexpected_port', 'opcua.security_none'}
ATTACK_EVENTS = {'s7-cpu-stop': 's7comm.plc_stop'}

passed = failed = 0


def check(ok, what):
    global passed, failed
    passed += bool(ok)
    failed += not ok
    print(f'{"ok  " if ok else "FAIL"} {what}')


def run(path):
    with tempfile.TemporaryDirectory() as tmp:
        ops_path, ev_path = os.path.join(tmp, 'ops'), os.path.join(tmp, 'events')
        subprocess.run([BOLLARD, 'read', '--no-progress', '--ops', ops_path, '--events', ev_path, path],
                       check=True, stdout=subprocess.DEVNULL)
        return ([json.loads(l) for l in open(ops_path)], [json.loads(l) for l in open(ev_path)])


def attack_ops(ops, a):
    return [o for o in ops if o['src_ip'] == a['src'] and o['dst_ip'] == a['dst'] and o['dir'] == 'request']


def main():
    for path in CAPTURES:
        name = os.path.relpath(path, REPO)
        ops, events = run(path)
        manifest = json.load(open(path[:-len('.pcap')] + '.manifest.json'))
        flows = manifest['flows'] if isinstance(manifest, dict) else manifest
        protos = {}
        for f in flows:
            ends = []
            for side in ('client', 'server'):
                host, _, port = f[side].rpartition(':')
                ends.append((host, int(port) if port.isdigit() else None))
            proto = {'enip-io': 'enip'}.get(f['protocol'], f['protocol'])  # connected I/O is enip to Bollard
            protos.setdefault(proto, set()).add(frozenset(ends))
        wrong = [o for o in ops if frozenset([(o['src_ip'], o['src_port']), (o['dst_ip'], o['dst_port'])])
                 not in protos.get(o['proto'], set())]
        check(ops and not wrong, f'{name}: {len(ops)} operations, each on a flow of its protocol'
              + (f' (not: {wrong[0]})' if wrong else ''))

        attacks_path = path[:-len('.pcap')] + '.attacks.json'
        attacks = json.load(open(attacks_path)) if os.path.exists(attacks_path) else []
        attacks = attacks if isinstance(attacks, list) else attacks.get('attacks', [])
        expected_events = set(DESIGNED)
        for a in attacks:
            mine = attack_ops(ops, a)
            k, d = a['kind'], a.get('details', {})
            if k == 'modbus-unauthorised-write':
                fcs = sorted({o['modbus']['function'] for o in mine})
                check(fcs == sorted(d['function_codes']) and all(o['modbus']['unit'] == d['unit'] for o in mine),
                      f'{name}: {a["id"]}: functions {fcs} from {a["src"]}')
            elif k == 'modbus-diagnostics':
                diag = [o for o in mine if o['modbus']['function'] == 8]
                check(diag and diag[0]['modbus'].get('sub_function') == d['sub_function'],
                      f'{name}: {a["id"]}: function 8, sub-function {d["sub_function"]}')
            elif k == 's7-cpu-stop':
                check(any(o['s7comm'].get('function') == d['function'] for o in mine),
                      f'{name}: {a["id"]}: S7 function {d["function"]} (PLC stop)')
            elif k == 'dnp3-cold-restart':
                check(any(o['dnp3'].get('app_function') == d['function_code'] for o in mine),
                      f'{name}: {a["id"]}: DNP3 function {d["function_code"]}')
            elif k == 'iec104-single-command':
                cmd = [o for o in mine if o['iec104'].get('typeid') == d['type_id']]
                check(cmd and d['ioa'] in cmd[0]['iec104'].get('ioas', []),
                      f'{name}: {a["id"]}: type {d["type_id"]} on address {d["ioa"]}')
            if k in ATTACK_EVENTS:
                expected_events.add(ATTACK_EVENTS[k])
                check(any(e['event'] == ATTACK_EVENTS[k] and e['src_ip'] == a['src'] for e in events),
                      f'{name}: {a["id"]}: event {ATTACK_EVENTS[k]} from {a["src"]}')
        if 'rail' not in name:
            unexpected = sorted({e['event'] for e in events} - expected_events)
            check(not unexpected, f'{name}: only designed events ({", ".join(sorted(expected_events))})'
                  + (f'; also {unexpected}' if unexpected else ''))
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
