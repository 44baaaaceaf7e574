#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
#
# vhost-nvme vs vhost-blk vs vhost-scsi on the same null bdev and the same target core:
# 4 KiB random reads at QD1 and QD32, vhostd on core 0, the initiator on core 1.
#
#   scripts/bench/nvme.sh [SECONDS]        (default 5 s per run)
#
# Initiators (the same stack for every protocol: bdevperf -m 0x2 over the bdev layer):
#   vhost-nvme  bdevperf with bdev_vhost_nvme (lib/nvme_frontend underneath), with and without
#               Doorbell Buffer Config (shadow doorbells)
#   vhost-blk   bdevperf with bdev_virtio (dev_type blk)
#   vhost-scsi  bdevperf with bdev_virtio (dev_type scsi) when vhostd has vhost-scsi
#   extra rows: build/test/functional/vhost_nvme/nvme_func bench, the lean polling loop of
#               lib/nvme_frontend without any bdev layer (NVME_FUNC=0 leaves them out)
# Missing pieces are reported and skipped.  Prints a table; exit 0 unless a run failed.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${VHOSTD_BUILD:-$ROOT/build}
SECS=${1:-5}
VHOSTD=$BUILD/bin/vhostd
BDEVPERF=$BUILD/bin/bdevperf
NVME=$BUILD/test/functional/vhost_nvme/nvme_func
RPC="$ROOT/scripts/rpc.py"
TMP=$(mktemp -d /tmp/vd-bench-nvme.XXXXXX)
RESULTS=()
FAILED=0

cleanup() {
	if [ -n "${VPID:-}" ]; then
		kill "$VPID" 2>/dev/null
		wait "$VPID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

make -s -C "$ROOT/test/functional/vhost_nvme" O="$(realpath --relative-to="$ROOT" "$BUILD")" \
	>/dev/null 2>&1 || true
[ -x "$VHOSTD" ] || { echo "vhostd not built ($VHOSTD): run make" >&2; exit 1; }

NOHUGE=--no-huge
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)
[ "${free:-0}" -ge 512 ] && NOHUGE=

mkdir -p "$TMP/vhost"
cat >"$TMP/empty.json" <<EOF
{"subsystems": []}
EOF
"$VHOSTD" -m 0x1 -r "$TMP/rpc.sock" -S "$TMP/vhost" -c "$TMP/empty.json" $NOHUGE \
	>"$TMP/vhostd.log" 2>&1 &
VPID=$!
for _ in $(seq 100); do
	"$RPC" -s "$TMP/rpc.sock" rpc_get_methods >/dev/null 2>&1 && break
	sleep 0.1
done
rpc() { "$RPC" -s "$TMP/rpc.sock" "$@"; }
call() { "$RPC" -s "$TMP/rpc.sock" call "$@"; }
call bdev_null_create '{"name": "Null0", "num_blocks": 2097152, "block_size": 512}' >/dev/null ||
	{ echo "cannot create the null bdev" >&2; exit 1; }

add() { RESULTS+=("$(printf '%-22s %4s %12s %10s' "$1" "$2" "$3" "$4")"); }

# The lean front-end loop (no bdev layer): an extra reference row.
bench_nvme_func() {
	local dbbuf=$1 qd out
	[ -x "$NVME" ] || { echo "nvme_func not built: lean rows skipped" >&2; return 0; }
	for qd in 1 32; do
		out=$(taskset -c 1 "$NVME" bench "$TMP/vhost/bn" "$qd" "$SECS" "$dbbuf" 2>&1)
		if [[ $out =~ iops=([0-9]+)\ avg_lat_us=([0-9.]+) ]]; then
			add "nvme_func$([ "$dbbuf" = 1 ] && echo ' (dbbuf)')" "$qd" \
				"${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
		else
			echo "nvme_func QD$qd failed: $out" >&2
			FAILED=1
		fi
	done
}

# bdevperf on core 1 against the bdev made by the attach entry $3 (JSON object); rows are
# labelled $1 and taken from the job line whose bdev name starts with $2.
bench_bdevperf() {
	local label=$1 prefix=$2 entry=$3 qd out line
	if [ ! -x "$BDEVPERF" ]; then
		echo "$label: bdevperf not built: skipped" >&2
		return 0
	fi
	echo "{\"subsystems\": [{\"subsystem\": \"bdev\", \"config\": [$entry]}]}" >"$TMP/bp.json"
	for qd in 1 32; do
		out=$("$BDEVPERF" -m 0x2 $NOHUGE --json "$TMP/bp.json" -q "$qd" -o 4096 \
			-w randread -t "$SECS" 2>&1)
		line=$(echo "$out" | awk -v p="^$prefix" '$1 ~ p && NF >= 9 {print $3, $5; exit}')
		if [ -n "$line" ]; then
			add "$label" "$qd" ${line}
		else
			echo "$label QD$qd failed:" >&2
			echo "$out" | tail -5 >&2
			FAILED=1
		fi
	done
}

bench_nvme() {
	local dbbuf
	call vhost_create_nvme_controller '{"ctrlr": "bn", "io_queues": 1}' >/dev/null || return 1
	call vhost_nvme_controller_add_ns '{"ctrlr": "bn", "bdev_name": "Null0"}' >/dev/null
	for dbbuf in true false; do
		bench_bdevperf "vhost-nvme$([ $dbbuf = true ] && echo ' (dbbuf)')" Nn1 \
			"{\"method\": \"bdev_vhost_nvme_attach_controller\", \"params\": {\"name\": \"N\",
			  \"traddr\": \"$TMP/vhost/bn\", \"io_queues\": 1, \"dbbuf\": $dbbuf}}"
	done
	if [ "${NVME_FUNC:-1}" = 1 ]; then
		bench_nvme_func 1
		bench_nvme_func 0
	fi
	call vhost_delete_controller '{"ctrlr": "bn"}' >/dev/null
}

bench_virtio() {
	local kind=$1 prefix=V
	[ "$kind" = scsi ] && prefix=Vt0
	bench_bdevperf "vhost-$kind" "$prefix" \
		"{\"method\": \"bdev_virtio_attach_controller\", \"params\": {\"name\": \"V\",
		  \"trtype\": \"user\", \"traddr\": \"$TMP/vhost/b$kind\", \"dev_type\": \"$kind\",
		  \"vq_count\": 1}}"
}

bench_nvme

if ! grep -q bdev_virtio "$BUILD/../app/bdevperf/bdevperf.c" 2>/dev/null &&
   [ ! -f "$ROOT/include/vhostd/bdev_virtio.h" ]; then
	echo "vhost-blk/scsi: no bdev_virtio module in bdevperf: skipped" >&2
else
	if call vhost_create_blk_controller '{"ctrlr": "bblk", "dev_name": "Null0"}' \
		>/dev/null 2>&1; then
		bench_virtio blk
		call vhost_delete_controller '{"ctrlr": "bblk"}' >/dev/null
	else
		echo "vhost-blk: vhostd has no vhost_create_blk_controller: skipped" >&2
	fi
	if call vhost_create_scsi_controller '{"ctrlr": "bscsi"}' >/dev/null 2>&1; then
		call vhost_scsi_controller_add_target \
			'{"ctrlr": "bscsi", "scsi_target_num": 0, "bdev_name": "Null0"}' >/dev/null
		bench_virtio scsi
		call vhost_delete_controller '{"ctrlr": "bscsi"}' >/dev/null
	else
		echo "vhost-scsi: vhostd has no vhost-scsi controllers yet: skipped" >&2
	fi
fi

echo
echo "4 KiB randread, null bdev, vhostd on core 0, initiator on core 1, ${SECS}s per run"
printf '%-22s %4s %12s %10s\n' "target" "QD" "IOPS" "avg_us"
for r in "${RESULTS[@]}"; do
	echo "$r"
done
exit $FAILED
