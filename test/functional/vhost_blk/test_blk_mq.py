#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""Two queues with two vCPUs: the guest's blk-mq gets two hardware queues, I/O issued on each
CPU goes to its own virtqueue, and vhost_get_controllers shows requests on both."""

import blkguest as bg
from blkguest import vtest
from vtest import check

GUEST_SCRIPT = r"""
. /etc/guestlib.sh
n=$(ls /sys/block/vda/mq | wc -l)
[ "$n" = 2 ] && pass "blk-mq has $n hardware queues" || fail "blk-mq has $n hardware queues, want 2"
ok=1
for round in 1 2 3 4 5 6 7 8; do
	for cpu in 0 1; do
		taskset -c $cpu dd if=/dev/urandom of=/tmp/w$cpu bs=65536 count=1 2>/dev/null
		off=$(( (round * 2 + cpu) * 65536 ))
		taskset -c $cpu dd if=/tmp/w$cpu of=/dev/vda bs=65536 count=1 seek=$off \
			oflag=direct,seek_bytes conv=notrunc 2>/dev/null || ok=0
		taskset -c $cpu dd if=/dev/vda of=/tmp/r$cpu bs=65536 count=1 skip=$off \
			iflag=direct,skip_bytes 2>/dev/null || ok=0
		cmp /tmp/w$cpu /tmp/r$cpu >/dev/null || ok=0
	done
done
[ $ok = 1 ] && pass "I/O on both CPUs verified" || fail "I/O on both CPUs"
# stay connected while the host reads the queue statistics
sleep 4
"""


@vtest.test(timeout=300)
def test_two_queues_two_vcpus():
    g = bg.get_guest()
    d = bg.new_vhostd()
    bg.export_aio(d)
    proc, log, initrd = g.start(GUEST_SCRIPT, qemu_args=bg.qemu_blk_args(d, num_queues=2),
                                smp=2)
    queues = bg.wait_queue_stats(d, "vblk0", proc, 2, min_requests=8)
    res = g.wait(proc, log, initrd, timeout=240)
    vtest.log("guest ran %.1f s; queues: %r" % (res.elapsed, queues))
    bg.check_guest(res, "multi-queue test")
    busy = [q for q in queues if q["requests"] >= 8]
    check(len(busy) == 2, "both queues should have served requests: %r" % queues)
    d.check_serving()


if __name__ == "__main__":
    vtest.main()
