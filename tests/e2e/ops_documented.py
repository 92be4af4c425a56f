#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
End-to-end test: every operation field Bollard writes is documented.

Runs `bollard read --ops` over the captures (default: tests/fixtures, samples
and ../shared/pcaps) and collects, per protocol, every key the operations
use, nested ones as parent.child (list elements as parent[].child).  Each key's
last component must appear in backquotes in docs/protocols/<proto>.md (the
user's field reference), and every event name (defined in the dissectors'
X-macros, or raised in --events) in backquotes somewhere under docs/.  One check per protocol and one for the events; then
"N passed, M failed".
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
BOLLARD = os.path.join(REPO, 'build', 'dataplane', 'bollard')
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
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
