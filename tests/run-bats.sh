#!/usr/bin/env bash
# Run the bats end-to-end tests (TAP on stdout). Args: bats files (default all).
set -u
cd "$(dirname "$0")/.."
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(tests/bats/*.bats)
exec bats --tap "${files[@]}"
