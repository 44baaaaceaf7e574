#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""Targets come and go while a Linux guest runs I/O on target 0 (VIRTIO_SCSI_F_HOTPLUG events):
 - vhost_scsi_controller_add_target of target 2 makes a new sd disk appear (right size, data
   round trip);
 - vhost_scsi_controller_remove_target of target 2 makes it disappear;
 - deleting the malloc bdev behind target 5 (hot-remove) removes target 5 and its disk;
 - the guest's write/read/verify loop on target 0 keeps running and never fails;
 - vhost_get_controllers afterwards lists only target 0, and the bdevs are released."""

import os
import time

import scsiguest as sg
from scsiguest import vtest, MiB
from vtest import check, check_eq

SCRIPT = sg.GUEST_PRELUDE + r"""
D0=$(wait_dev 0 20) || { fail "no disk for target 0"; exit 1; }
D5=$(wait_dev 5 20) || { fail "no disk for target 5"; exit 1; }
bg_io() {
	i=0
	while [ ! -e /tmp/stop ]; do
		off=$(( (i % 64) * 65536 ))
		dd if=/p0 of=/dev/$D0 bs=65536 count=1 seek=$off oflag=direct,seek_bytes \
			conv=notrunc 2>/dev/null || { echo "write $i" > /tmp/bgfail; break; }
		dd if=/dev/$D0 of=/tmp/bgr bs=65536 count=1 skip=$off iflag=direct,skip_bytes \
			2>/dev/null && cmp -s /tmp/bgr /p0 || { echo "verify $i" > /tmp/bgfail; break; }
		i=$((i + 1)); echo $i > /tmp/bgcount
	done
}
bg_io &
sleep 1
echo "STEP-ADD"
D2=$(wait_dev 2 60) && pass "hot-added target 2 appeared as $D2" || { fail "target 2 did not appear"; }
if [ -n "$D2" ]; then
	[ "$(cat /sys/block/$D2/size)" = 32768 ] && pass "target 2 size" ||
		fail "target 2 size $(cat /sys/block/$D2/size)"
	dd if=/p1 of=/dev/$D2 bs=65536 count=1 seek=1 oflag=direct 2>/dev/null &&
		dd if=/dev/$D2 of=/tmp/r2 bs=65536 count=1 skip=1 iflag=direct 2>/dev/null &&
		cmp -s /tmp/r2 /p1 && pass "I/O on the hot-added target" || fail "I/O on target 2"
fi
c1=$(cat /tmp/bgcount)
echo "STEP-REMOVE"
wait_gone 2 60 && pass "removed target 2 disappeared" || fail "target 2 still present"
echo "STEP-HOTREMOVE"
wait_gone 5 60 && pass "hot-removed bdev's target 5 disappeared" || fail "target 5 still present"
sleep 1
c2=$(cat /tmp/bgcount)
touch /tmp/stop; wait
[ -e /tmp/bgfail ] && fail "I/O on target 0 failed: $(cat /tmp/bgfail)"
[ "$c2" -gt "$c1" ] && pass "I/O on target 0 continued ($c1 -> $c2 iterations)" ||
	fail "I/O on target 0 stalled ($c1 -> $c2)"
echo "=== devices"; ls /sys/bus/scsi/devices/ | grep '^0:0:'; echo "=== end"
"""


def targets(d):
    return [(t["scsi_dev_num"], t["luns"][0]["bdev_name"])
            for t in sg.controller(d)["backend_specific"]["scsi"]]


@vtest.test(timeout=300)
def test_scsi_hotplug_while_io():
    g = sg.get_guest()
    d = sg.new_vhostd()
    d.rpc("vhost_create_scsi_controller", {"ctrlr": sg.CTRLR})
    sg.add_aio_target(d, 0, "Aio0", 32 * MiB)
    d.rpc("bdev_malloc_create", {"name": "Malloc5", "num_blocks": 8192, "block_size": 512})
    d.rpc("vhost_scsi_controller_add_target",
          {"ctrlr": sg.CTRLR, "scsi_target_num": 5, "bdev_name": "Malloc5"})
    path2 = sg.make_disk(d, 16 * MiB, "aio2.raw")
    d.rpc("bdev_aio_create", {"name": "Aio2", "filename": path2, "block_size": 512})
    pats = sg.patterns(3, [65536, 65536])
    proc, log, initrd = g.start(SCRIPT, qemu_args=sg.qemu_scsi_args(d, num_queues=2),
                                files={"/p0": pats[0], "/p1": pats[1]}, smp=2)
    steps = {}
    try:
        check(sg.wait_console(log, "STEP-ADD", proc, 120), "guest never reached STEP-ADD")
        check_eq(d.rpc("vhost_scsi_controller_add_target",
                       {"ctrlr": sg.CTRLR, "scsi_target_num": -1, "bdev_name": "Aio2"}),
                 1, "first free target")
        # Target 1 was the first free one; the guest test wants target 2: move it.
        d.rpc("vhost_scsi_controller_remove_target", {"ctrlr": sg.CTRLR, "scsi_target_num": 1})
        check_eq(d.rpc("vhost_scsi_controller_add_target",
                       {"ctrlr": sg.CTRLR, "scsi_target_num": 2, "bdev_name": "Aio2"}),
                 2, "add target 2")
        steps["add"] = time.monotonic()
        check(sg.wait_console(log, "STEP-REMOVE", proc, 120), "guest never reached STEP-REMOVE")
        check_eq(d.rpc("vhost_scsi_controller_remove_target",
                       {"ctrlr": sg.CTRLR, "scsi_target_num": 2}), True, "remove target 2")
        check(sg.wait_console(log, "STEP-HOTREMOVE", proc, 120),
              "guest never reached STEP-HOTREMOVE")
        d.rpc("bdev_malloc_delete", {"name": "Malloc5"})
    finally:
        res = g.wait(proc, log, initrd, timeout=180)
    vtest.log("guest ran %.1f s\n%s" % (res.elapsed, "\n".join(res.passes)))
    sg.check_guest(res, "hotplug test")
    check_eq(sg.section(res.console, "devices").split(), ["0:0:0:0"], "guest SCSI devices")
    check_eq(targets(d), [(0, "Aio0")], "targets after the test")
    bdevs = {b["name"]: b for b in d.rpc("bdev_get_bdevs")}
    check(not bdevs["Aio2"]["claimed"], "Aio2 still claimed after its target was removed")
    check("Malloc5" not in bdevs, "Malloc5 still exists")
    d.check_serving()


if __name__ == "__main__":
    vtest.main()
