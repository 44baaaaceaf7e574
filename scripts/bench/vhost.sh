#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
#
# vhost-user target benchmark: vhostd vs qemu-storage-daemon, same initiator (bdevperf with
# bdev_virtio), in one run.
#
#   scripts/bench/vhost.sh [-t SECONDS] [-r REPEATS] [--blk-vs-scsi] [--no-doc] [-o FILE]
#
# Target on core 0 (vhostd -m 0x1 with a null bdev behind a vhost-blk controller;
# qemu-storage-daemon under taskset -c 0 with iothread io0 and driver=null-co,read-zeroes=off),
# bdevperf on core 1 (-m 0x2).  Cases: 4K randread QD1/QD32/QD128, 4K randwrite QD32/QD128,
# 128K read QD8; -t seconds each (default 15), -r repeats (default 3), median reported.
# Per case: IOPS, MiB/s, average and p99 latency, and vhostd's busy CPU per I/O (ns): the
# delta of framework_get_reactors busy ticks over the null bdev's I/O count (bdev_get_iostat),
# divided by tick_rate.  The table, with machine, date and commands, replaces the marked
# section of doc/performance.md (unless --no-doc).
# --blk-vs-scsi: vhostd vhost-blk vs vhostd vhost-scsi on the same null bdev (needs
# vhost_create_scsi_controller in vhostd).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
exec python3 "$ROOT/scripts/bench/vhost_bench.py" --root "$ROOT" "$@"
