#!/usr/bin/env bash
# make test: unit tests (normal and sanitizer builds), a short fuzz run,
# then bats end-to-end;
# ends with one line "N passed, N failed" over everything.
set -u
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
make -s format-check || status=1
tests/run-unit.sh build build-asan 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
tests/run-fuzz.sh "${FUZZ_SECONDS:-10}" 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
tests/run-bats.sh "$@" 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
passed=$(grep -cE '^ok ' "$log" | tr -d ' ')
skipped=$(grep -cE '^ok .*# skip' "$log" | tr -d ' ')
failed=$(grep -cE '^not ok ' "$log" | tr -d ' ')
[ "$failed" -eq 0 ] || status=1
echo
echo "$((passed - skipped)) passed, $failed failed, $skipped skipped"
exit $status
