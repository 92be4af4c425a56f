#!/usr/bin/env bash
# `bollard test`, the pre-deployment policy test, end to end on the port scenario:
# exit statuses (0 no alert, 1 alerts, 2 usage or policy error), the alert kinds,
# the diff against a baseline for a pair of policies built to differ in known ways,
# dead rules, the communication map, the JSON and HTML reports, escaping and
# determinism.  One check per line, then "N passed, M failed".
#
#   tests/e2e/policy_test_cmd.sh [BOLLARD]      (default: $BOLLARD or build/dataplane/bollard)
#
# Builds nothing.  Needs python3 (json, html.parser: standard library only).
set -uo pipefail
bollard=${1:-${BOLLARD:-}}
[[ -n $bollard && $bollard != /* ]] && bollard=$PWD/$bollard   # relative to where we were started
cd "$(dirname "$0")/../.."
[[ -z $bollard ]] && bollard=$PWD/build/dataplane/bollard
if [[ ! -x $bollard ]]; then
	echo "policy_test_cmd.sh: no bollard binary at $bollard (give its path as the first argument)" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scada=tests/fixtures/scenario/port-scada.pcap
attacks=tests/fixtures/scenario/port-scada-attacks.pcap
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
	failed=$((failed + 1))
	echo "FAIL $1"
	[[ -n ${2:-} && -f $2 ]] && head -8 "$2" | sed 's/^/       /'
}

# expect NAME WANT_STATUS PATTERN(stdout+stderr, extended regex; '' for none) -- COMMAND...
expect() {
	local name=$1 want=$2 pattern=$3
	shift 4
	"$@" >"$tmp/out" 2>&1
	local rc=$?
	if ((rc == want)) && { [[ -z $pattern ]] || grep -qE -- "$pattern" "$tmp/out"; }; then
		ok "$name"
	else
		fail "$name (status $rc, want $want${pattern:+, output matching '$pattern'})" "$tmp/out"
	fi
}

# check NAME PYTHON-SCRIPT ARGS...: the script asserts; a traceback fails the check
check() {
	local name=$1 script=$2
	shift 2
	if python3 - "$@" >"$tmp/py" 2>&1 <<<"$script"; then ok "$name"; else fail "$name" "$tmp/py"; fi
}

# ---- policies ----------------------------------------------------------------
# Every address of the port scenario, named as its manifest names it.
hosts='bollard: policy/1
site: harbour
hosts:
  core-sw: 10.10.0.1
  infra-srv: 10.10.0.5
  gps-clock: 10.10.0.6
  scada-srv: 10.10.0.10
  hmi-crane: 10.10.0.11
  historian: 10.10.0.20
  eng-ws: 10.10.0.30
  sts01-plc: 10.10.1.11
  rtg01-plc: 10.10.1.12
  rtg02-plc: 10.10.1.13
  reefer-ctl: 10.10.1.21
  reefer-gw: 10.10.1.22
  gantry-clx: 10.10.1.31
  gantry-io: 10.10.1.32
  substation-rtu: 10.10.1.40
  tos-gateway: 10.10.1.50
  pump-rtu: 10.10.1.60'

# Allows everything port-scada.pcap holds, and expects its two protocol events.
cat >"$tmp/allow-all.yaml" <<EOF
$hosts
rules:
  - id: everything
    from: any
    to: any
    protocol: any
    expected_events: [app.unexpected_port, opcua.security_none]
EOF

# Strict: Modbus reads and name/time services only.
cat >"$tmp/strict.yaml" <<EOF
$hosts
rules:
  - {id: arp, from: any, to: any, protocol: arp}
  - {id: dns, from: any, to: infra-srv, protocol: dns}
  - {id: ntp, from: any, to: gps-clock, protocol: ntp}
  - id: hmi-rtg-read
    from: hmi-crane
    to: [rtg01-plc, rtg02-plc]
    protocol: modbus
    operations:
      - function: [read_holding_registers, read_input_registers]
  - id: eng-rtg02-read
    from: eng-ws
    to: rtg02-plc
    protocol: modbus
    operations:
      - function: read_holding_registers
EOF

# A pair built to differ: the baseline allows NTP but not the engineering
# workstation's HTTP to the historian; the new policy the other way round,
# and carries a rule nothing uses (modbus-eng: dead).
common='  - {id: arp, from: any, to: any, protocol: arp}
  - {id: dns, from: any, to: infra-srv, protocol: dns}
  - {id: modbus, from: any, to: any, protocol: modbus, expected_events: [app.unexpected_port]}
  - {id: s7, from: hmi-crane, to: sts01-plc, protocol: s7comm}
  - {id: enip, from: any, to: any, protocol: enip}
  - {id: iec104, from: scada-srv, to: substation-rtu, protocol: iec104}
  - {id: dnp3, from: scada-srv, to: pump-rtu, protocol: dnp3}
  - {id: opcua, from: historian, to: tos-gateway, protocol: opcua, expected_events: [opcua.security_none]}'
printf '%s\nrules:\n%s\n  - {id: ntp, from: any, to: gps-clock, protocol: ntp}\n' "$hosts" "$common" >"$tmp/old.yaml"
printf '%s\nrules:\n%s\n  - {id: web, from: eng-ws, to: historian, protocol: http}\n  - {id: modbus-eng, from: eng-ws, to: pump-rtu, protocol: modbus}\n' \
	"$hosts" "$common" >"$tmp/new.yaml"

# Broken: an unknown protocol on line 6, column 35.
cat >"$tmp/broken.yaml" <<'EOF'
bollard: policy/1
hosts:
  scada-srv: 10.10.0.10
  plc: 10.10.1.12
rules:
  - {id: r1, from: scada-srv, to: plc, protocol: modbuss}
EOF

# ---- command line ------------------------------------------------------------
expect "test --help" 0 '--baseline FILE' -- "$bollard" test --help
expect "no --policy: usage, status 2" 2 'no policy given' -- "$bollard" test "$scada"
expect "no capture: status 2" 2 'no capture file given' -- "$bollard" test --policy "$tmp/allow-all.yaml"
expect "missing capture: status 2" 2 'nosuch.pcap: No such file' -- "$bollard" test --policy "$tmp/allow-all.yaml" nosuch.pcap
expect "missing policy file: status 2" 2 'nosuch.yaml' -- "$bollard" test --policy "$tmp/nosuch.yaml" "$scada"
expect "unknown option: status 2" 2 'Usage: bollard test' -- "$bollard" test --nope --policy "$tmp/allow-all.yaml" "$scada"
expect "two outputs on stdout: status 2" 2 'only one of --report and --events can be -' -- \
	"$bollard" test --policy "$tmp/allow-all.yaml" --report - --events - "$scada"
expect "unwritable --report: status 2, before any work" 2 'report /nonexistent/r.json' -- \
	"$bollard" test --policy "$tmp/allow-all.yaml" --report /nonexistent/r.json "$scada"

# A broken policy never runs: file:line:col on stderr, status 2, no report written.
"$bollard" test --policy "$tmp/broken.yaml" --report "$tmp/broken.json" "$scada" >"$tmp/out" 2>"$tmp/err"
rc=$?
if ((rc == 2)) && grep -qE "broken\.yaml:6:[0-9]+: .*modbuss" "$tmp/err" && grep -q 'the policy was not loaded' "$tmp/err" &&
	[[ ! -s $tmp/broken.json && ! -s $tmp/out ]]; then
	ok "broken policy: status 2, file:line:col on stderr, nothing run"
else
	fail "broken policy: status 2, file:line:col on stderr, nothing run (status $rc)" "$tmp/err"
fi
expect "broken baseline: status 2" 2 'broken\.yaml:6:[0-9]+: ' -- \
	"$bollard" test --policy "$tmp/allow-all.yaml" --baseline "$tmp/broken.yaml" "$scada"

# ---- exit 0: a policy that allows everything seen ----------------------------
expect "allow-all on port-scada.pcap: status 0, PASS" 0 '^Verdict +PASS' -- \
	"$bollard" test --policy "$tmp/allow-all.yaml" --report "$tmp/pass.json" --events "$tmp/pass.jsonl" "$scada"
check "allow-all: JSON says pass, no alert, no dead rule, no denied edge; no event line" '
import json, os, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "pass" and r["alerts"]["lines"] == 0 and r["alerts"]["groups"] == [], r["alerts"]
assert r["dead_rules"] == {"rules": 1, "count": 0, "ids": []}, r["dead_rules"]
assert r["diff"] is None and r["baseline"] is None
assert r["packets"] == 8666 and r["captures"][0]["packets"] == 8666, r["captures"]
m = r["map"]
assert m["flows"] > 0 and m["denied_flows"] == 0 and all(e["verdict"] == "allowed" for e in m["edges"]), m["denied_flows"]
assert os.path.getsize(sys.argv[2]) == 0
' "$tmp/pass.json" "$tmp/pass.jsonl"

# ---- exit 1: a strict policy on the attacks ----------------------------------
expect "strict on port-scada-attacks.pcap: status 1, FAIL" 1 '^Verdict +FAIL' -- \
	"$bollard" test --policy "$tmp/strict.yaml" --report "$tmp/strict.json" --report "$tmp/strict.html" \
	--events "$tmp/strict.jsonl" "$attacks"
check "strict: the expected kinds, rule groups and examples in the JSON" '
import json, sys
r = json.load(open(sys.argv[1]))
al = r["alerts"]
assert r["verdict"] == "fail" and al["lines"] > 0
kinds = set(al["by_kind"])
want = {"flow.not_allowed", "asset.new", "op.not_allowed", "s7comm.plc_stop"}
assert want <= kinds, (want - kinds, kinds)
assert sum(k["lines"] for k in al["by_kind"].values()) == al["lines"]
assert sum(g["lines"] for g in al["groups"]) == al["lines"] - al["ungrouped_lines"]
groups = {(g["rule"], g["event"]): g for g in al["groups"]}
# the rogue laptop is a new asset
assert any(k == (None, "asset.new") for k in groups), groups.keys()
ex = [g for g in al["groups"] if g["event"] == "asset.new"][0]["example"]
assert ex["reason"] and ex["src_ip"] and ex["dst_ip"], ex
# FC 8 diagnostics from the engineering workstation: an op the rule does not list
g = groups.get(("eng-rtg02-read", "op.not_allowed"))
assert g and "function=8" in g["example"]["detail"], g
assert g["example"]["src_ip"] == "10.10.0.30" and g["example"]["dst_ip"] == "10.10.1.13", g["example"]
for g in al["groups"]:
    assert g["first_seen"] <= g["last_seen"] and g["occurrences"] >= g["lines"] >= 1, g
' "$tmp/strict.json"
check "strict: --events has one JSON line per alert line, same kinds" '
import json, sys
r = json.load(open(sys.argv[1]))
ev = [json.loads(l) for l in open(sys.argv[2])]
assert len(ev) == r["alerts"]["lines"], (len(ev), r["alerts"]["lines"])
assert sum(e["count"] for e in ev) == r["alerts"]["occurrences"]
by = {}
for e in ev:
    by[e["event"]] = by.get(e["event"], 0) + 1
assert by == {k: v["lines"] for k, v in r["alerts"]["by_kind"].items()}, by
' "$tmp/strict.json" "$tmp/strict.jsonl"
check "strict: dead rules are the rules that allowed nothing" '
import json, sys
r = json.load(open(sys.argv[1]))
# every rule of strict.yaml matches some traffic in the attacks capture
assert r["dead_rules"]["rules"] == 5 and r["dead_rules"]["ids"] == [], r["dead_rules"]
' "$tmp/strict.json"
check "strict: map marks the rogue laptop (not named) and its flows denied" '
import json, sys
m = json.load(open(sys.argv[1]))["map"]
nodes = {n["id"]: n for n in m["nodes"]}
assert nodes["10.10.0.66"]["name"] is None and nodes["10.10.0.66"]["denied_flows"] > 0, nodes.get("10.10.0.66")
assert nodes["10.10.0.11"]["name"] == "hmi-crane", nodes["10.10.0.11"]
rogue = [e for e in m["edges"] if e["client"] == "10.10.0.66"]
assert rogue and all(e["verdict"] == "denied" for e in rogue), rogue[:3]
rtg = [e for e in m["edges"] if e["client"] == "10.10.0.11" and e["server"] == "10.10.1.12"]
assert rtg and rtg[0]["verdict"] == "allowed" and rtg[0]["label"] == "modbus/502", rtg
assert m["edges_listed"] == len(m["edges"]) <= 500 and m["edges_total"] >= m["edges_listed"]
assert sum(e["flows"] for e in m["edges"]) + m["unmapped_flows"] <= m["flows"]
' "$tmp/strict.json"

# ---- the baseline diff -------------------------------------------------------
expect "new vs old: status 1, dead rule and diff counts in the summary" 1 \
	'Dead rules +1 of 10 rules never matched: modbus-eng' -- \
	"$bollard" test --policy "$tmp/new.yaml" --baseline "$tmp/old.yaml" --report "$tmp/diff.json" \
	--report "$tmp/diff.htm" "$scada"
grep -qE '^Diff +against the baseline: 5 alerts added \(5 occurrences\), 1 silenced \(3 occurrences\)$' "$tmp/out" &&
	ok "summary: 5 added, 1 silenced" || fail "summary: 5 added, 1 silenced" "$tmp/out"
check "new vs old: NTP flows added, HTTP silenced, exactly" '
import json, sys
r = json.load(open(sys.argv[1]))
d = r["diff"]
assert r["baseline"]["path"].endswith("old.yaml")
assert d["complete"] is True
add = d["added"]
assert add["total"] == 5 == add["listed"] == len(add["alerts"]) and add["occurrences"] == 5, add
assert {(a["event"], a["dst"], a["server_port"], a["proto"]) for a in add["alerts"]} == {("flow.not_allowed", "10.10.0.6", 123, "ntp")}
assert {a["src"] for a in add["alerts"]} == {"10.10.0.5", "10.10.0.10", "10.10.0.11", "10.10.0.20", "10.10.0.30"}
assert all(a["rule"] is None and a["sender"] == "client" and "gps-clock" in a["reason"] for a in add["alerts"]), add["alerts"]
sil = d["silenced"]
assert sil["total"] == 1 and sil["occurrences"] == 3, sil
s = sil["alerts"][0]
assert (s["event"], s["src"], s["dst"], s["server_port"], s["proto"], s["lines"]) == ("flow.not_allowed", "10.10.0.30", "10.10.0.20", 80, "http", 3), s
assert d["baseline_lines"] == 3 and r["alerts"]["lines"] == 5
assert r["dead_rules"]["ids"] == ["modbus-eng"] and r["dead_rules"]["count"] == 1
edges = {(e["client"], e["server"], e["label"]): e["verdict"] for e in r["map"]["edges"]}
assert edges[("10.10.0.30", "10.10.0.20", "http/80")] == "allowed"
assert edges[("10.10.0.10", "10.10.0.6", "ntp/123")] == "denied"
' "$tmp/diff.json"
"$bollard" test --policy "$tmp/old.yaml" --baseline "$tmp/new.yaml" --report "$tmp/rdiff.json" "$scada" >/dev/null 2>&1
check "old vs new: the same diff the other way round" '
import json, sys
a = json.load(open(sys.argv[1]))["diff"]
b = json.load(open(sys.argv[2]))["diff"]
key = lambda x: sorted((e["event"], e["src"], e["dst"], e["server_port"], e["proto"], e["detail"]) for e in x["alerts"])
assert key(a["added"]) == key(b["silenced"]) and key(a["silenced"]) == key(b["added"])
assert b["added"]["total"] == 1 and b["silenced"]["total"] == 5
' "$tmp/diff.json" "$tmp/rdiff.json"
expect "a policy against itself: no diff" 1 'Diff +against the baseline: 0 alerts added \(0 occurrences\), 0 silenced' -- \
	"$bollard" test --policy "$tmp/strict.yaml" --baseline "$tmp/strict.yaml" "$attacks"

# ---- report formats ------------------------------------------------------------
check "JSON reports parse (json.tool)" '
import json, sys
for p in sys.argv[1:]:
    json.load(open(p))
' "$tmp/pass.json" "$tmp/strict.json" "$tmp/diff.json"
if python3 -m json.tool "$tmp/diff.json" >/dev/null 2>&1; then ok "python3 -m json.tool diff.json"; else fail "python3 -m json.tool diff.json"; fi

html_check='
import sys
from html.parser import HTMLParser
VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "area", "base", "source", "path", "rect", "circle", "line", "stop"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags, self.text = [], [], set(), []
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, v in attrs:
            if k in ("src", "href") and v and not v.startswith("#"):
                self.errors.append(f"external resource {k}={v}")
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)
    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}> at {self.getpos()}")
        else:
            self.stack.pop()
    def handle_data(self, d):
        self.text.append(d)
for path in [a for a in sys.argv[1:] if a.endswith((".html", ".htm"))]:
    src = open(path, encoding="utf-8").read()
    p = P()
    p.feed(src)
    p.close()
    assert src.startswith("<!DOCTYPE html>"), path
    assert not p.errors, (path, p.errors[:5])
    assert not p.stack, (path, "unclosed", p.stack)
    assert "svg" in p.tags and "style" in p.tags and "table" in p.tags, (path, p.tags)
    assert "script" not in p.tags, path
    text = "".join(p.text)
    assert "Communication map" in text and "Dead rules" in text, path
'
check "HTML reports: well-formed, self-contained, with an SVG map and tables" "$html_check" "$tmp/strict.html" "$tmp/diff.htm"
check "HTML: verdict, dead rule, diff and denied edges on the page" '
import sys
s = open(sys.argv[1]).read()
assert "verdict fail" in s and "modbus-eng" in s
assert "Added by the new policy: 5" in s and "Silenced by the new policy: 1" in s, "diff headings"
assert "stroke=\"#d1242f\"" in s and "stroke=\"#8fb59a\"" in s, "denied and allowed arrows"
assert "gps-clock" in s and "ntp/123" in s
' "$tmp/diff.htm"

# Text from outside (here a file name) is escaped on the page and valid in the JSON.
weird="$tmp/we<i>rd&\"q'.yaml"
cp "$tmp/allow-all.yaml" "$weird"
"$bollard" test --policy "$weird" --report "$tmp/weird.html" --report "$tmp/weird.json" "$scada" >/dev/null 2>&1
check "HTML and JSON escape what they did not write" "$html_check"'
s = open(sys.argv[1]).read()
assert "<i>rd" not in s and "we&lt;i&gt;rd&amp;&quot;q&#39;.yaml" in s
import json
assert json.load(open(sys.argv[2]))["policy"]["path"].endswith("we<i>rd&\"q'"'"'.yaml")
' "$tmp/weird.html" "$tmp/weird.json"

# ---- outputs on stdout, determinism ------------------------------------------
"$bollard" test --policy "$tmp/strict.yaml" --events - "$attacks" >"$tmp/ev.out" 2>"$tmp/ev.err"
check "--events -: JSON lines alone on stdout, summary on stderr" '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines and all("event" in e and "severity" in e for e in lines)
assert "Verdict" in open(sys.argv[2]).read()
' "$tmp/ev.out" "$tmp/ev.err"
"$bollard" test --policy "$tmp/new.yaml" --baseline "$tmp/old.yaml" --report - "$scada" >"$tmp/stdout.json" 2>/dev/null
check "--report -: the JSON report on stdout, the same as the file" '
import json, sys
assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))
' "$tmp/stdout.json" "$tmp/diff.json"
"$bollard" test --policy "$tmp/strict.yaml" --report "$tmp/again.json" --report "$tmp/again.html" "$attacks" >/dev/null 2>&1
if cmp -s "$tmp/again.json" "$tmp/strict.json" && cmp -s "$tmp/again.html" "$tmp/strict.html"; then
	ok "same captures and policy: byte-identical reports"
else
	fail "same captures and policy: byte-identical reports"
fi

echo "$passed passed, $failed failed"
((failed == 0))
