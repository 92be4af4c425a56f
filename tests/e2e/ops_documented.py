#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
End-to-end test: every operation field Bollard writes is documented.

Runs `bollard read --ops` over the captures (default: tests/fixtures, samples
and ../shared/pcaps) and collects, per protocol, every key the operations
use, nested ones as parent.child (list elements as parent[].child).  Each key's
last component must appear in backquotes in docs/protocols/<proto>.md (the
user's field reference), and every event name (defined in the dissectors'
X-macros, or raised in --events) in backquotes somewhere under docs/.

The policy's alerts (docs/events.md): every event kind of
BLD_FOREACH_POLICY_EVENT (policies/policy.h) must have a section (a heading
naming it in backquotes) in docs/events.md, and every JSON key an alert line
can carry must appear there in backquotes: the keys alert_line (behind bld_alert_write_json) and
the writers it calls put (export/op_json.c), and the keys of the lines
`bollard read --policy samples/site.yaml --events` writes for the sample
(top level, and the operation's envelope under "op").

One check per protocol, one for the events, one for the policy's event kinds
and one for the alert fields; then "N passed, M failed".  BOLLARD overrides
the binary (default build/dataplane/bollard).
"""
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOLLARD = os.environ.get('BOLLARD') or os.path.join(REPO, 'build', 'dataplane', 'bollard')
DOC_OF = {'s7comm-plus': 's7comm'}


def inline_code(text):
    """Every `inline code` span of markdown text (fenced blocks left out: their ``` would pair wrongly)."""
    text = re.sub(r'```.*?```', '', text, flags=re.S)
    return set(re.findall(r'`([^`\n]+)`', text))


def keys(v, prefix, out):
    if isinstance(v, dict):
        for k, x in v.items():
            out.add(prefix + k)
            keys(x, prefix + k + '.', out)
    elif isinstance(v, list):
        for x in v:
            keys(x, prefix[:-1] + '[].', out)


def one(path):
    fields, events = defaultdict(set), set()
    with tempfile.TemporaryDirectory() as tmp:
        ops, ev = os.path.join(tmp, 'ops'), os.path.join(tmp, 'ev')
        subprocess.run([BOLLARD, 'read', '--no-progress', '--ops', ops, '--events', ev, path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if os.path.exists(ops):
            for line in open(ops):
                o = json.loads(line)
                keys(o.get(o['proto'], {}), '', fields[o['proto']])
        if os.path.exists(ev):
            events |= {json.loads(line)['event'] for line in open(ev)}
    return fields, events


EVENTS_MD = os.path.join(REPO, 'docs', 'events.md')


def events_md():
    return open(EVENTS_MD).read() if os.path.exists(EVENTS_MD) else ''


def macro_body(text, name):
    """The lines of a C #define, continuation lines included."""
    lines = text.split('\n')
    for i, line in enumerate(lines):
        if re.match(r'#define\s+' + name + r'\b', line):
            body = [line]
            while body[-1].rstrip().endswith('\\') and i + len(body) < len(lines):
                body.append(lines[i + len(body)])
            return '\n'.join(body)
    return ''


def check_policy_events():
    """Every kind of BLD_FOREACH_POLICY_EVENT has a section in docs/events.md."""
    header = os.path.join(REPO, 'policies', 'policy.h')
    body = macro_body(open(header).read(), 'BLD_FOREACH_POLICY_EVENT')
    kinds = re.findall(r'_\(\s*[A-Z0-9_]+\s*,\s*"([a-z0-9_.]+)"', body)
    text = re.sub(r'```.*?```', '', events_md(), flags=re.S)
    headings = re.findall(r'^#{1,6}\s+(.*)$', text, flags=re.M)
    missing = [k for k in kinds if not any(f'`{k}`' in h for h in headings)]
    ok = bool(kinds) and not missing
    print(f'{"ok  " if ok else "FAIL"} policy events: {len(kinds)} kinds in policies/policy.h'
          + (f'; no section in docs/events.md: {", ".join(missing)}' if missing
             else ', none found (BLD_FOREACH_POLICY_EVENT moved?)' if not kinds
             else ', each has a section in docs/events.md'))
    return ok


def c_function(text, name):
    """The text of a C function definition, from its name to the closing brace at column 0."""
    m = re.search(r'^[A-Za-z][^;\n]*\b' + name + r'\([^;]*?\)\s*\n\{.*?^\}', text, flags=re.M | re.S)
    return m.group(0) if m else ''


# The functions that write an alert line's keys (alert_line, behind bld_alert_write_json and bld_alert_json).
WRITERS = ('alert_line', 'put_envelope', 'put_op', 'finish')


def written_keys():
    """The JSON keys of an alert line, as export/op_json.c writes them."""
    text = open(os.path.join(REPO, 'export', 'op_json.c')).read()
    keys, found = set(), []
    for fn in WRITERS:
        body = c_function(text, fn)
        if body:
            found.append(fn)
        keys |= set(re.findall(r'\\"([a-z][a-z0-9_]*)\\":', body))
        keys |= set(re.findall(r'put_opt_string\(\s*&?\w+\s*,\s*"([a-z][a-z0-9_]*)"', body))
    return keys, found


def alert_keys():
    """The keys of the alert lines for the sample with its policy, or None when the sample is not here."""
    capture = os.path.join(REPO, 'samples', 'terminal-and-rail.pcap')
    policy = os.path.join(REPO, 'samples', 'site.yaml')
    if not (os.path.exists(capture) and os.path.exists(policy)):
        return None, 0
    keys, n = set(), 0
    with tempfile.TemporaryDirectory() as tmp:
        ev = os.path.join(tmp, 'ev')
        subprocess.run([BOLLARD, 'read', '--no-progress', '--policy', policy, '--events', ev, capture],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if os.path.exists(ev):
            for line in open(ev):
                a = json.loads(line)
                n += 1
                keys |= set(a)
                op = a.get('op')
                if isinstance(op, dict):   # the operation's envelope; its fields are the protocol pages' business
                    keys |= {k for k in op if k != a.get('proto') and not isinstance(op[k], dict)}
    return keys, n


def check_alert_fields():
    """Every key an alert line carries is documented in docs/events.md."""
    static, found = written_keys()
    seen, lines = alert_keys()
    documented = inline_code(events_md())
    keys = static | (seen or set())
    missing = sorted(keys - documented)
    unparsed = sorted((seen or set()) - static)   # written, yet not found in op_json.c: the parser is stale
    ok = len(found) == len(WRITERS) and not missing and not unparsed and (seen is None or lines > 0)
    what = f'alert fields: {len(static)} keys in export/op_json.c'
    what += (', sample not here (SKIPPED the run)' if seen is None
             else f', {len(seen)} seen in {lines} lines of samples/terminal-and-rail.pcap with samples/site.yaml')
    if len(found) != len(WRITERS):
        what += f'; writer functions not found in export/op_json.c (found {", ".join(found) or "none"})'
    if seen is not None and not lines:
        what += '; bollard wrote no alert line'
    if unparsed:
        what += f'; written but not found in export/op_json.c: {", ".join(unparsed)}'
    print(f'{"ok  " if ok else "FAIL"} {what}'
          + (f'; not in docs/events.md: {", ".join(missing)}' if missing else ', all documented'))
    return ok


def main():
    paths = sys.argv[1:] or [os.path.join(REPO, 'tests', 'fixtures'), os.path.join(REPO, 'samples'),
                             os.path.join(REPO, '..', 'shared', 'pcaps')]
    files = []
    for p in paths:
        if not os.path.exists(p):
            print(f'SKIPPED: {p} is not here')
        for root, _, names in os.walk(p):
            files += [os.path.join(root, n) for n in names if n.endswith(('.pcap', '.pcapng', '.cap'))]
    fields, events = defaultdict(set), set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as ex:
        for f, e in ex.map(one, sorted(files)):
            for proto, ks in f.items():
                fields[proto] |= ks
            events |= e
    passed = failed = 0
    for proto, ks in sorted(fields.items()):
        doc = os.path.join(REPO, 'docs', 'protocols', DOC_OF.get(proto, proto) + '.md')
        text = open(doc).read() if os.path.exists(doc) else ''
        documented = inline_code(text)
        words = {w for d in documented for w in re.split(r'[^A-Za-z0-9_]+', d) if w}
        missing = sorted(k for k in ks if re.split(r'[.\[\]]+', k.rstrip('.'))[-1] not in words)
        ok = not missing
        passed += ok
        failed += not ok
        print(f'{"ok  " if ok else "FAIL"} {proto}: {len(ks)} fields seen in {len(files)} captures'
              + (f'; not in {os.path.relpath(doc, REPO)}: {", ".join(missing)}' if missing else ', all documented'))
    docs = ''
    for root, _, names in os.walk(os.path.join(REPO, 'docs')):
        docs += ''.join(open(os.path.join(root, n)).read() for n in names if n.endswith('.md'))
    documented = inline_code(docs)
    # Every event the X-macros define (dissectors/*.h), raised by these captures or not.
    defined = set()
    for name in os.listdir(os.path.join(REPO, 'dissectors')):
        if name.endswith('.h'):
            text = open(os.path.join(REPO, 'dissectors', name)).read()
            defined |= set(re.findall(r'_\(\s*[A-Z0-9]+_[A-Z0-9_]+\s*,\s*"([a-z0-9_.-]+)"', text))
    missing = sorted((events | defined) - documented)
    ok = not missing and events <= defined
    passed += ok
    failed += not ok
    print(f'{"ok  " if ok else "FAIL"} events: {len(defined)} defined, {len(events)} raised by these captures'
          + (f'; undocumented: {", ".join(missing)}' if missing else ', all documented'))
    ok = check_policy_events()
    passed += ok
    failed += not ok
    ok = check_alert_fields()
    passed += ok
    failed += not ok
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
