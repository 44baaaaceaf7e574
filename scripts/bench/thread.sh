#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The vhostd authors
#
# Run the lib/thread micro-benchmark (app/thread_bench) and print a markdown table.
#   scripts/bench/thread.sh [-t seconds] [-m reactor_mask]    (defaults: 2 s per phase, 0x3)
# Builds the benchmark first if it is missing.  Uses --no-huge so it runs anywhere.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
bin=$build/bin/thread_bench
secs=2
mask=0x3

while getopts "t:m:h" opt; do
	case $opt in
	t) secs=$OPTARG ;;
	m) mask=$OPTARG ;;
	*) echo "usage: $0 [-t seconds] [-m reactor_mask]" >&2; exit 2 ;;
	esac
done

if [ ! -x "$bin" ]; then
	make -s -C "$root" libs >/dev/null
	make -s -C "$root/app/thread_bench" >/dev/null
fi

out=$("$bin" -t "$secs" -m "$mask" --no-huge)

describe() {
	case $1 in
	msg_throughput) echo "Cross-core messages, one producer thread to one consumer thread" ;;
	msg_roundtrip) echo "Cross-core message ping-pong, round trip" ;;
	reactor_iteration_k*) echo "Reactor iteration, 1 thread with ${1#reactor_iteration_k} idle poller(s)" ;;
	*) echo "$1" ;;
	esac
}

cores=$(awk '/^INFO cores/ {print $3}' <<<"$out")
echo "lib/thread micro-benchmark (reactor mask $mask, cores $cores, $secs s per measurement, $(nproc) CPUs)"
echo
echo "| Measurement | Result | Unit |"
echo "|---|---:|---|"
while read -r tag name value unit; do
	[ "$tag" = RESULT ] || continue
	echo "| $(describe "$name") | $value | $unit |"
done <<<"$out"
