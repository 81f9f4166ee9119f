#!/usr/bin/env bash
# Run every C unit test binary of each build dir given (TAP on stdout).
set -u
status=0
# the tests' scratch directories (unit_tmpdir) go away with this one
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/pgw-unit-run-XXXXXX") || exit 1
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
for build in "$@"; do
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		echo "# unit: $t"
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
			"$t" || status=1
	done
done
exit $status
