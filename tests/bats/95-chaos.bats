#!/usr/bin/env bats
# The short chaos soak (tests/chaos/chaos.py): every kind of fault at least
# once against a real PostgreSQL under load, then the invariant table. The
# long run is `make chaos` (CHAOS_SECONDS, CHAOS_SEED).

load helpers

@test "chaos soak, short run: every fault detected and recovered, every invariant holds" {
	run "$PYTHON" "$ROOT/tests/chaos/chaos.py" --duration "${CHAOS_SHORT_SECONDS:-100}" \
		--seed "${CHAOS_SEED:-1}" --bin "$BIN"
	echo "$output" | sed -n '/pgwarden chaos soak/,$p'
	[ "$status" -eq 0 ]
	for i in 1 2 3 4 5 6 7; do
		echo "$output" | grep -E "^invariant $i .* ok$"
	done
	# all nineteen kinds of fault ran
	[ "$(echo "$output" | sed -n '/^fault  /,/^$/p' | grep -cE ' [0-9]+ +[0-9]+ +[0-9]+ ')" -eq 19 ]
	! echo "$output" | grep -q VIOLATION
}

@test "chaos soak, physical path, short run: page corruption and an unstartable PGDATA recover physically with 0 rows lost; the archive's faults (archiver killed, read-only, full, a segment deleted or damaged) are detected and healed" {
	run "$PYTHON" "$ROOT/tests/chaos/chaos.py" --physical --duration "${CHAOS_SHORT_SECONDS_PHYSICAL:-60}" \
		--seed "${CHAOS_SEED:-1}" --bin "$BIN"
	echo "$output" | sed -n '/pgwarden chaos soak/,$p'
	[ "$status" -eq 0 ]
	for i in 1 2 3 4 5 6 7 8; do
		echo "$output" | grep -E "^invariant $i .* ok$"
	done
	# all nine kinds of fault ran; the two recoveries lost nothing
	[ "$(echo "$output" | sed -n '/^fault  /,/^$/p' | grep -cE ' [0-9]+ +[0-9]+ +[0-9]+ ')" -eq 9 ]
	echo "$output" | grep -E '^page corruption \(checksums\) +[0-9]+ .* 0 +0s$'
	echo "$output" | grep -E '^unstartable data directory +[0-9]+ .* 0 +0s$'
	! echo "$output" | grep -q VIOLATION
}
