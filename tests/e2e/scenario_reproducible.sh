#!/usr/bin/env bash
# The scenario generator still makes exactly the committed captures (fixtures and
# the bundled sample), and its self-test (CRC, MD4 and FCS test vectors from
# ../shared/reference, an independent re-parse of RaSTA, SCI, TRDP and DNP3) passes.
set -uo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0 failed=0
check() { # name, status
	if (($2 == 0)); then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}

scripts/gen-scenario --self-test >"$tmp/selftest.log" 2>&1
rc=$?
((rc == 0)) || tail -20 "$tmp/selftest.log"
check "generator self-test" $rc

# --fixtures ROOT writes the committed set under ROOT, with the repository's layout.
scripts/gen-scenario --fixtures "$tmp/root" >/dev/null 2>&1
check "generator runs" $?
while IFS= read -r -d '' f; do
	rel=${f#"$tmp/root/"}
	cmp -s "$f" "$rel"
	check "$rel is reproduced byte for byte" $?
done < <(find "$tmp/root" -type f -print0 | sort -z)

echo "$passed passed, $failed failed"
((failed == 0))
