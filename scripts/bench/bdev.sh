#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
#
# Block-layer benchmarks; prints a markdown table for doc/performance.md.
#
#   scripts/bench/bdev.sh [--time SECONDS] [--repeat N] [--file PATH] [--core N]
#
# (a) bdevperf on a null bdev: 4 KiB random reads, queue depth 128, one core, -t SECONDS:
#     IOPS per core and nanoseconds per I/O (the bdev layer's own cost).
# (b) The io_uring and AIO bdevs against fio's io_uring and libaio engines on the same 1 GiB
#     file in /var/tmp (written in full first, so no read hits a hole), O_DIRECT, 4 KiB random
#     reads, queue depth 32, one job pinned to the same core, SECONDS each; ratio = bdev / fio.
#     The four runs are interleaved (uring, fio io_uring, aio, fio libaio) N times (--repeat,
#     default 3) and each reports the median, so drift of the disk underneath hits both sides.
# Needs a build (make), python3 and fio (apt-get install -y fio; scripts/pkgdep.sh lists it).

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${VHOSTD_BUILD:-$ROOT/build}
BDEVPERF=$BUILD/bin/bdevperf
TIME=10
REPEAT=3
FILE=/var/tmp/vhostd-bench-bdev.img
CORE=0

while [ $# -gt 0 ]; do
	case "$1" in
	--time) TIME=$2; shift 2 ;;
	--repeat) REPEAT=$2; shift 2 ;;
	--file) FILE=$2; shift 2 ;;
	--core) CORE=$2; shift 2 ;;
	-h|--help) sed -n '5,15p' "$0"; exit 0 ;;
	*) echo "bdev.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

[ -x "$BDEVPERF" ] || { echo "bdev.sh: $BDEVPERF not built (run make)" >&2; exit 1; }
if ! command -v fio >/dev/null; then
	echo "bdev.sh: fio is missing; installing it (apt-get install -y fio)" >&2
	apt-get install -y fio >/dev/null || { echo "bdev.sh: cannot install fio" >&2; exit 1; }
fi

TMP=$(mktemp -d /var/tmp/vhostd-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
MASK=$(printf '0x%x' $((1 << CORE)))
HUGE=()
free_huge=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
[ "${free_huge:-0}" -ge 512 ] || HUGE=(--no-huge)

config() {	# config METHOD PARAMS-JSON
	printf '{"subsystems":[{"subsystem":"bdev","config":[{"method":"%s","params":%s}]}]}\n' \
		"$1" "$2" >"$TMP/bdev.json"
}

json_get() {	# json_get FILE KEY
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

bdevperf_iops() {	# bdevperf_iops QD -> IOPS of a 4k randread run on $TMP/bdev.json
	"$BDEVPERF" --json "$TMP/bdev.json" -q "$1" -o 4k -w randread -t "$TIME" -m "$MASK" \
		"${HUGE[@]}" --json-result "$TMP/res.json" >"$TMP/bdevperf.log" 2>&1 ||
		{ cat "$TMP/bdevperf.log" >&2; exit 1; }
	json_get "$TMP/res.json" iops
}

fio_iops() {	# fio_iops ENGINE
	fio --name=bench --filename="$FILE" --ioengine="$1" --direct=1 --rw=randread --bs=4k \
		--iodepth=32 --numjobs=1 --time_based --runtime="$TIME" --cpus_allowed="$CORE" \
		--output-format=json --output="$TMP/fio.json" >/dev/null
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"][0]["read"]["iops"])' \
		"$TMP/fio.json"
}

fmt() { printf '%.0f' "$1"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

# (a) null bdev
config bdev_null_create '{"name":"Null0","num_blocks":2097152,"block_size":512}'
null_iops=$(bdevperf_iops 128)
null_ns=$(python3 -c "import sys; print('%.1f' % (1e9 / float(sys.argv[1])))" "$null_iops")

# (b) file backends vs fio
if [ ! -f "$FILE" ] || [ "$(stat -c %s "$FILE")" -ne $((1024 * 1024 * 1024)) ]; then
	echo "bdev.sh: writing $FILE (1 GiB)" >&2
	dd if=/dev/urandom of="$FILE" bs=1M count=1024 oflag=direct status=none
fi
median() { python3 -c 'import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))' "$@"; }
U=() FU=() A=() FA=()
for ((i = 1; i <= REPEAT; i++)); do
	config bdev_uring_create "{\"name\":\"Uring0\",\"filename\":\"$FILE\"}"
	U+=("$(fmt "$(bdevperf_iops 32)")")
	FU+=("$(fmt "$(fio_iops io_uring)")")
	config bdev_aio_create "{\"name\":\"Aio0\",\"filename\":\"$FILE\"}"
	A+=("$(fmt "$(bdevperf_iops 32)")")
	FA+=("$(fmt "$(fio_iops libaio)")")
	echo "bdev.sh: run $i/$REPEAT: uring ${U[-1]} fio-uring ${FU[-1]} aio ${A[-1]} fio-aio ${FA[-1]}" >&2
done
uring_iops=$(median "${U[@]}")
fio_uring=$(median "${FU[@]}")
aio_iops=$(median "${A[@]}")
fio_aio=$(median "${FA[@]}")

BP="bdevperf --json CONFIG -q QD -o 4k -w randread -t $TIME -m $MASK"
FIO="fio --ioengine=ENGINE --direct=1 --rw=randread --bs=4k --iodepth=32 --numjobs=1 --runtime=$TIME --cpus_allowed=$CORE"
cat <<EOF

### Block layer ($(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))

Median of $REPEAT interleaved runs of $TIME s each for the file rows (every run, IOPS: io_uring bdev $(IFS=/; echo "${U[*]}"), fio io_uring $(IFS=/; echo "${FU[*]}"), AIO bdev $(IFS=/; echo "${A[*]}"), fio libaio $(IFS=/; echo "${FA[*]}")).

| Test | Command | IOPS | Notes |
|------|---------|-----:|-------|
| null bdev, 4K randread QD128, 1 core | \`$BP\` (QD=128, bdev_null_create) | $(fmt "$null_iops") | $null_ns ns per I/O |
| io_uring bdev, 4K randread QD32 | \`$BP\` (QD=32, bdev_uring_create on $FILE) | $(fmt "$uring_iops") | $(ratio "$uring_iops" "$fio_uring") × fio io_uring |
| fio io_uring | \`$FIO\` (ENGINE=io_uring) | $(fmt "$fio_uring") | |
| AIO bdev, 4K randread QD32 | \`$BP\` (QD=32, bdev_aio_create on $FILE) | $(fmt "$aio_iops") | $(ratio "$aio_iops" "$fio_aio") × fio libaio |
| fio libaio | \`$FIO\` (ENGINE=libaio) | $(fmt "$fio_aio") | |
EOF
