#!/usr/bin/env bash
# make test: unit tests (normal and sanitizer builds), a short fuzz run,
# then bats end-to-end (normal build, then most files again with the
# sanitizer build);
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
# The sidecars of the ASan/UBSan build through the end-to-end files (not
# the valgrind, chaos and packaging ones): the unit tests alone never ran
# a sidecar's loops, and two UB findings came from here.
if [ $# -eq 0 ]; then
	echo "# bats again, with the sanitizer build (build-asan)"
	PGW_BIN=$PWD/build-asan tests/run-bats.sh \
		$(ls tests/bats/*.bats | grep -vE '/(70|90|95)-') 2>&1 | tee -a "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
passed=$(grep -cE '^ok ' "$log" | tr -d ' ')
skipped=$(grep -cE '^ok .*# skip' "$log" | tr -d ' ')
failed=$(grep -cE '^not ok ' "$log" | tr -d ' ')
[ "$failed" -eq 0 ] || status=1
echo
echo "$((passed - skipped)) passed, $failed failed, $skipped skipped"
exit $status
