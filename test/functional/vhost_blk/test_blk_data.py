#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""A Linux guest drives a vhost-blk controller with its own virtio-blk driver: device size, serial
(GET_ID), O_DIRECT patterns at many offsets (first and last block, unaligned to 4 KiB, requests
larger than 1 MiB) read back in the guest and found again in the AIO bdev's backing file on the
host, FLUSH (fsync), and DISCARD (blkdiscard) reaching the bdev."""

import blkguest as bg
from blkguest import MiB, SECTOR, vd, vtest
from vtest import check

GUEST_SCRIPT = r"""
. /etc/guestlib.sh
DEV=/dev/vda
got=$(cat /sys/block/vda/size)
[ "$got" = "@SECTORS@" ] && pass "size $got sectors" || fail "size: got $got, want @SECTORS@"
serial=$(cat /sys/block/vda/serial 2>/dev/null)
[ "$serial" = "@SERIAL@" ] && pass "serial $serial" || fail "serial: got '$serial', want '@SERIAL@'"
bad=0
for spec in @PLACEMENTS@; do
	f=${spec%%:*}; off=${spec##*:}; n=$(wc -c < $f)
	if ! dd if=$f of=$DEV bs=$n count=1 seek=$off oflag=direct,seek_bytes conv=notrunc 2>/tmp/err; then
		fail "write $f at $off: $(cat /tmp/err)"; bad=1
	fi
done
sync; echo 3 > /proc/sys/vm/drop_caches
for spec in @PLACEMENTS@; do
	f=${spec%%:*}; off=${spec##*:}; n=$(wc -c < $f)
	dd if=$DEV of=/tmp/r bs=$n count=1 skip=$off iflag=direct,skip_bytes 2>/tmp/err ||
		{ fail "read $n bytes at $off: $(cat /tmp/err)"; bad=1; continue; }
	cmp $f /tmp/r >/dev/null || { fail "data at $off differs after O_DIRECT read"; bad=1; }
done
[ $bad = 0 ] && pass "O_DIRECT patterns read back"
# buffered I/O + fsync (FLUSH) through the page cache
dd if=/p1 of=$DEV bs=4096 seek=@BUFOFF@ oflag=seek_bytes conv=notrunc,fsync 2>/tmp/err &&
	pass "buffered write + fsync" || fail "buffered write: $(cat /tmp/err)"
blkdiscard -o @DISCOFF@ -l @DISCLEN@ $DEV 2>/tmp/err && pass "blkdiscard" ||
	fail "blkdiscard: $(cat /tmp/err)"
# an out-of-range read fails cleanly
dd if=$DEV of=/dev/null bs=512 count=1 skip=@SECTORS@ iflag=direct 2>/dev/null
echo "TEST-DONE"
"""


def run_data_test(g, d, path, size):
    small, page, big, last = bg.patterns(7, [512, 4096, 3 * MiB + 4096, 4096])
    # (guest file, byte offset): first block, unaligned to 4 KiB, a > 1 MiB request, last block
    placements = [("/p0", 0), ("/p1", 512), ("/p1", 65536 + 1536), ("/p2", 8 * MiB + 512),
                  ("/p1", 33 * MiB + 3584), ("/p3", size - 4096 - 512), ("/p0", size - 512)]
    data = {"/p0": small, "/p1": page, "/p2": big, "/p3": last}
    buf_off = 20 * MiB
    script = (GUEST_SCRIPT.replace("@SECTORS@", str(size // SECTOR))
              .replace("@SERIAL@", "Aio0")
              .replace("@PLACEMENTS@", " ".join("%s:%d" % p for p in placements))
              .replace("@BUFOFF@", str(buf_off))
              .replace("@DISCOFF@", str(40 * MiB)).replace("@DISCLEN@", str(8 * MiB)))
    before = d.rpc("bdev_get_iostat", {"name": "Aio0"})
    proc, log, initrd = g.start(script, qemu_args=bg.qemu_blk_args(d), files=data)
    stats = bg.wait_queue_stats(d, "vblk0", proc, 1)
    res = g.wait(proc, log, initrd, timeout=180)
    vtest.log("guest ran %.1f s; queue stats while running: %r" % (res.elapsed, stats))
    vtest.log("\n".join(res.passes))
    check(stats and stats[0]["requests"] > 0, "queue 0 stats while connected: %r" % stats)
    bg.check_guest(res, "data test")
    check("TEST-DONE" in res.console, "guest script did not finish")
    bg.check_file(path, [(off, data[f]) for f, off in placements] + [(buf_off, page)])
    after = d.rpc("bdev_get_iostat", {"name": "Aio0"})
    return before, after


def unmap_ops(stat):
    bdevs = stat.get("bdevs", stat) if isinstance(stat, dict) else stat
    return bdevs[0]["num_unmap_ops"]


@vtest.test(timeout=300)
def test_guest_data_discard_and_host_file():
    g = bg.get_guest()
    d = bg.new_vhostd()
    size = bg.DISK_SIZE
    path = bg.export_aio(d, size=size)
    before, after = run_data_test(g, d, path, size)
    check(unmap_ops(after) > unmap_ops(before),
          "blkdiscard did not reach the bdev: num_unmap_ops %d -> %d"
          % (unmap_ops(before), unmap_ops(after)))
    info = bg.controller(d, "vblk0")
    check(info["connected"] is False and info["backend_specific"]["block"]["bdev"] == "Aio0",
          "controller after the guest left: %r" % info)
    d.check_serving()


if __name__ == "__main__":
    vtest.main()
