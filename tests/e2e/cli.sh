#!/usr/bin/env bash
# The bollard command line as a user meets it: help, version, exit statuses,
# error messages, output placement.  One check per line, then "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
bollard=${BOLLARD:-build/dataplane/bollard}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sample=samples/terminal-and-rail.pcap
passed=0 failed=0

# expect NAME WANT_STATUS PATTERN(stdout+stderr, extended regex; '' for none) -- COMMAND...
expect() {
	local name=$1 want=$2 pattern=$3
	shift 4
	"$@" >"$tmp/out" 2>&1
	local rc=$?
	if ((rc == want)) && { [[ -z $pattern ]] || grep -qE -- "$pattern" "$tmp/out"; }; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name (status $rc, want $want${pattern:+, output matching '$pattern'})"
		head -5 "$tmp/out" | sed 's/^/       /'
	fi
}

expect "--version" 0 '^bollard [0-9]+\.[0-9]+\.[0-9]+$' -- "$bollard" --version
expect "--help lists read" 0 'read +analyse' -- "$bollard" --help
expect "no command: usage, status 2" 2 'Usage: bollard' -- "$bollard"
expect "unknown command" 2 "unknown command 'nope'" -- "$bollard" nope
expect "read --help" 0 '--flows FILE' -- "$bollard" read --help
expect "read without a file" 2 'no capture file given' -- "$bollard" read
expect "read a missing file" 2 'nosuch.pcap: No such file' -- "$bollard" read nosuch.pcap
expect "read a file that is not a capture" 2 'unknown file format' -- "$bollard" read README.md
expect "bad BPF filter, before any work" 2 "bad filter" -- "$bollard" read -f 'tcp port 5Q' "$sample"
expect "bad --max-flows" 2 'max-flows wants a number' -- "$bollard" read --max-flows 0 "$sample"
expect "unknown option" 2 'Usage: bollard read' -- "$bollard" read --nope "$sample"

head -c 100000 "$sample" >"$tmp/cut.pcap"
expect "damaged file: status 1, named in the summary" 1 'DAMAGED: .*truncated' -- "$bollard" read "$tmp/cut.pcap"

expect "summary on stdout" 0 '^Industrial conversations' -- "$bollard" read --no-progress "$sample"
expect "filter applies" 0 '"packets": 2666,' -- "$bollard" read --json-summary -f 'tcp port 502 or tcp port 5020' "$sample"
expect "files out of time order: warning" 0 'give them in time order' -- \
	"$bollard" read --no-progress "$sample" tests/fixtures/scenario/port-scada.pcap

# --flows - : JSON lines alone on stdout, the summary on stderr
"$bollard" read --no-progress --flows - --json-summary "$sample" >"$tmp/flows" 2>"$tmp/summary"
python3 - "$tmp/flows" "$tmp/summary" <<'PY'
import json, sys
flows = [json.loads(l) for l in open(sys.argv[1])]
summary = json.load(open(sys.argv[2]))
assert len(flows) == summary["flows"]["total"], (len(flows), summary["flows"])
assert sum(f["pkts_toserver"] + f["pkts_toclient"] for f in flows) == summary["packets"]
PY
if (($? == 0)); then passed=$((passed + 1)); echo "ok   --flows - on stdout, summary on stderr, counts agree"; else failed=$((failed + 1)); echo "FAIL --flows - on stdout, summary on stderr, counts agree"; fi

expect "--flows to an unwritable path" 2 'flows /nonexistent/x.json' -- \
	"$bollard" read --flows /nonexistent/x.json "$sample"

expect "--ops to an unwritable path" 2 'ops /nonexistent/x.json' -- \
	"$bollard" read --ops /nonexistent/x.json "$sample"
expect "two outputs on stdout" 2 'only one of --flows, --ops, --events can be -' -- \
	"$bollard" read --ops - --events - "$sample"

# --ops and --events: valid JSON lines, counts agree with the summary, every event documented
"$bollard" read --no-progress --ops "$tmp/ops" --events "$tmp/events" --json-summary "$sample" >"$tmp/summary"
python3 - "$tmp/ops" "$tmp/events" "$tmp/summary" docs <<'PY'
import json, os, sys
ops = [json.loads(l) for l in open(sys.argv[1])]
events = [json.loads(l) for l in open(sys.argv[2])]
summary = json.load(open(sys.argv[3]))
assert len(ops) == summary["ops"] > 0, (len(ops), summary["ops"])
assert len(events) == sum(summary["protocol_events"].values()), (len(events), summary["protocol_events"])
for o in ops:
    for k in ("ts", "flow_id", "src_ip", "src_port", "dst_ip", "dst_port", "proto", "dir"):
        assert k in o, (k, o)
    assert o["dir"] in ("request", "response") and isinstance(o[o["proto"]], dict), o
docs = ""
for root, _, files in os.walk(sys.argv[4]):
    docs += "".join(open(os.path.join(root, f)).read() for f in files if f.endswith(".md"))
missing = sorted({e["event"] for e in events} - {w.strip("`") for w in docs.split() if w.startswith("`")})
assert not missing, f"events not documented: {missing}"
PY
if (($? == 0)); then passed=$((passed + 1)); echo "ok   --ops/--events JSON lines agree with the summary, events documented"; else failed=$((failed + 1)); echo "FAIL --ops/--events JSON lines agree with the summary, events documented"; fi

# policies: check, learn, read --policy
expect "--help lists learn, check, test" 0 'learn .*' -- "$bollard" --help
expect "check the sample policy" 0 '^samples/site.yaml: ok \(site terminal-and-rail\): 28 hosts' -- \
	"$bollard" check samples/site.yaml
printf 'bollard: policy/1\nhosts:\n  a: 10.0.0.300\nrules:\n  - id: r\n    from: a\n    to: b\n    protocol: modbus\n' >"$tmp/bad.yaml"
expect "check a broken policy: every error, file:line:column, status 2" 2 'bad.yaml:7:9: to: unknown host' -- \
	"$bollard" check "$tmp/bad.yaml"
expect "read --policy refuses a broken policy before any work" 2 'bad.yaml:3:6: host .a.' -- \
	"$bollard" read --policy "$tmp/bad.yaml" "$sample"
expect "read --policy lists the alerts" 0 '^Policy alerts \(samples/site.yaml\)' -- \
	"$bollard" read --no-progress --policy samples/site.yaml "$sample"
expect "learn without -o" 2 'no output given' -- "$bollard" learn "$sample"
expect "learn writes a policy that loads" 0 'hosts, [0-9]+ rules' -- \
	"$bollard" learn tests/fixtures/scenario/port-scada.pcap -o "$tmp/learned.yaml"
expect "the learned policy checks" 0 'learned.yaml: ok' -- "$bollard" check "$tmp/learned.yaml"

# syslog export options: every wrong value refused before any work, naming the option
pol=(--policy samples/site.yaml)
expect "--syslog without --policy" 2 'give --policy FILE too' -- "$bollard" read --syslog udp://127.0.0.1:514 "$sample"
expect "--syslog with an unknown scheme" 2 'relp\+tls://HOST:PORT or unix:PATH' -- \
	"$bollard" read "${pol[@]}" --syslog ftp://127.0.0.1:514 "$sample"
expect "--syslog twice to one place" 2 'given twice' -- \
	"$bollard" read "${pol[@]}" --syslog tcp://127.0.0.1:9 --syslog tcp://127.0.0.1:9 "$sample"
expect "--syslog-rate 0" 2 'syslog-rate wants alerts per second' -- \
	"$bollard" read "${pol[@]}" --syslog tcp://127.0.0.1:9 --syslog-rate 0 "$sample"
expect "--syslog-spool in a missing directory" 2 'syslog-spool /nonexistent/spool: No such file' -- \
	"$bollard" read "${pol[@]}" --syslog tcp://127.0.0.1:9 --syslog-spool /nonexistent/spool "$sample"
expect "--syslog-spool-max 0" 2 'syslog-spool-max wants MiB' -- \
	"$bollard" read "${pol[@]}" --syslog tcp://127.0.0.1:9 --syslog-spool-max 0 "$sample"
expect "test takes the syslog options too" 2 'syslog-rate wants alerts per second' -- \
	"$bollard" test "${pol[@]}" --syslog tcp://127.0.0.1:9 --syslog-rate x "$sample"
expect "a receiver that never answers: alerts kept in the spool, status 2" 2 'kept in .*for the next run' -- \
	"$bollard" read --no-progress "${pol[@]}" --syslog tcp://127.0.0.1:9 --syslog-spool "$tmp" \
	--syslog-flush-timeout 0 "$sample"
expect "the next run says what waits in the spool" 2 'messages of an earlier run wait in' -- \
	"$bollard" read --no-progress "${pol[@]}" --syslog tcp://127.0.0.1:9 --syslog-spool "$tmp" \
	--syslog-flush-timeout 0 "$sample"

echo "$passed passed, $failed failed"
((failed == 0))
