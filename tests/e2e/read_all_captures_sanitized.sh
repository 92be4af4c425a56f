#!/usr/bin/env bash
# bollard read with every output (flows, operations, events), judged by the sample
# policy, and bollard learn, built with ASan + UBSan (build-asan/, made by
# scripts/test), on every capture we have: the fixtures and the public captures in
# ../shared/pcaps.  The bundled captures are also read without a policy (protocol
# events are written in their own format then).
# Passes when no run crashes, leaks or trips a sanitizer.  Exit status 1 (a damaged
# input, read up to the damage) is an accepted outcome; anything else is a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
bollard=build-asan/dataplane/bollard
[[ -x $bollard ]] || { echo "no $bollard: run scripts/test (it builds build-asan/)"; exit 2; }

dirs=(tests/fixtures samples)
if [[ -d ../shared/pcaps ]]; then
	dirs+=(../shared/pcaps)
else
	echo "SKIPPED: ../shared/pcaps is not here (it is in CI); checking the bundled captures only"
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
n=0 bad=0
log=$(mktemp)
while IFS= read -r -d '' f; do
	n=$((n + 1))
	runs=("read --no-progress --flows /dev/null --ops /dev/null --events /dev/null --policy samples/site.yaml"
	      "learn -o -")
	[[ $f == ../shared/* ]] || runs+=("read --no-progress --flows /dev/null --ops /dev/null --events /dev/null")
	for args in "${runs[@]}"; do
		# shellcheck disable=SC2086 # args is a list of words
		"$bollard" $args "$f" >/dev/null 2>"$log"
		rc=$?
		if ((rc > 1)) || grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log"; then
			bad=$((bad + 1))
			echo "FAIL ($rc): bollard $args $f"
			head -20 "$log"
			break
		fi
	done
done < <(find "${dirs[@]}" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 | sort -z)
rm -f "$log"
echo "sanitized read of $n captures"
echo "$((n - bad)) passed, $bad failed"
((bad == 0))
