#!/usr/bin/env bash
# run-fuzz.sh [SECONDS]: build the libFuzzer harnesses of tests/fuzz/ with
# clang (ASan + UBSan), replay tests/fuzz/regress/<harness>/ (inputs that
# once crashed), then fuzz each harness for SECONDS (default 60) starting
# from tests/fuzz/seeds/<harness>/. Prints executions and coverage per
# harness; exits 1 on any crash, sanitizer report or leak (the input is
# kept in build-fuzz/crashes/).
set -u
cd "$(dirname "$0")/.."
secs=${1:-60}
out=${FUZZ_OUT:-build-fuzz}
CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null || { echo "run-fuzz: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
flags="-g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -I/usr/include/postgresql -Icommon -Isidecars/monitor"
libs="-lpq -ldeflate -lz -liniparser -lcrypto -pthread"
mkdir -p "$out/obj" "$out/crashes"
objs=()
for src in common/*.c sidecars/monitor/logtail.c; do
	obj=$out/obj/$(basename "${src%.c}").o
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ]; then
		$CC $flags -fsanitize=fuzzer-no-link -c -o "$obj" "$src" || exit 1
	fi
	objs+=("$obj")
done
status=0
# the harnesses' files go in a directory of this run's own: removing
# "every pgw-fuzz-*" would pull them from under another run
work=$(mktemp -d "${TMPDIR:-/tmp}/pgw-fuzzrun-XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
echo "# fuzz: ${secs}s per harness (executions, coverage edges, features)"
for h in tests/fuzz/fuzz_*.c; do
	name=$(basename "${h%.c}")
	name=${name#fuzz_}
	bin=$out/fuzz_$name
	$CC $flags -fsanitize=fuzzer -o "$bin" "$h" "${objs[@]}" $libs || exit 1
	corpus=$out/corpus/$name
	mkdir -p "$corpus"
	[ -d "tests/fuzz/seeds/$name" ] && cp -n tests/fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null
	log=$out/$name.log
	result=
	if [ -d "tests/fuzz/regress/$name" ] && ls tests/fuzz/regress/"$name"/* >/dev/null 2>&1; then
		TMPDIR=$work "$bin" tests/fuzz/regress/"$name"/* >"$log.regress" 2>&1 || { result=" REGRESSION (see $log.regress)"; status=1; }
	fi
	TMPDIR=$work ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$out/crashes/$name-" -print_final_stats=1 "$corpus" >"$log" 2>&1 ||
		{ result=" CRASH (see $log)"; status=1; }
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
	printf '%s - fuzz %-9s execs %9s  cov %5s  ft %5s%s\n' "$([ -z "$result" ] && echo ok || echo 'not ok')" \
		"$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit $status
