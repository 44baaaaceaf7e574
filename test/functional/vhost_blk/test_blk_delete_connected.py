#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""vhost_delete_controller while a Linux guest is doing I/O: the RPC answers true, the queues are
stopped with in-flight I/O finished, QEMU is disconnected, the bdev is released (a new controller
can claim it) and vhostd keeps serving.  The guest only has to end (its I/O may fail or hang)."""

import time

import blkguest as bg
from blkguest import vtest
from vtest import check, check_eq

GUEST_SCRIPT = r"""
. /etc/guestlib.sh
echo "IO-START"
i=0
while [ $i -lt 400 ]; do
	dd if=/dev/urandom of=/dev/vda bs=65536 count=4 seek=$((i % 64)) oflag=direct \
		conv=notrunc 2>/dev/null || break
	i=$((i + 1))
done &
sleep 12
pass "guest ended after the controller was deleted"
"""


@vtest.test(timeout=240)
def test_delete_while_guest_connected():
    g = bg.get_guest()
    d = bg.new_vhostd()
    bg.export_aio(d)
    proc, log, initrd = g.start(GUEST_SCRIPT, qemu_args=bg.qemu_blk_args(d, reconnect=False))
    try:
        queues = bg.wait_queue_stats(d, "vblk0", proc, 1, min_requests=20)
        check(queues and queues[0]["requests"] >= 20, "no guest I/O seen: %r" % queues)
        t0 = time.monotonic()
        check_eq(d.rpc("vhost_delete_controller", {"ctrlr": "vblk0"}, timeout=30), True,
                 "delete while connected")
        vtest.log("delete took %.2f s with the guest writing" % (time.monotonic() - t0))
        check_eq(d.rpc("vhost_get_controllers"), [], "controllers after delete")
        check_eq(d.rpc("vhost_create_blk_controller", {"ctrlr": "again", "dev_name": "Aio0"}),
                 True, "bdev released: a new controller claims it")
        d.check_serving()
    finally:
        res = g.wait(proc, log, initrd, timeout=120)
    vtest.log("guest ran %.1f s, rc %s" % (res.elapsed, res.rc))
    check(res.rc != 124, "guest did not end: %s" % res.summary())
    d.check_serving()


if __name__ == "__main__":
    vtest.main()
