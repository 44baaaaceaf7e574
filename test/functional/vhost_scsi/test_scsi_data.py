#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""A Linux guest on a vhost-scsi controller with two targets (0: 64 MiB AIO bdev, 512-byte
blocks; 3: 32 MiB AIO bdev, 4 KiB blocks) and two request queues:
 - each target is one sd disk with the right size and logical block size;
 - patterns written with O_DIRECT at many offsets (unaligned to the pattern size, the last
   block, a 1 MiB request) read back in the guest and are found in the backing files on the host;
 - host sg_inq / sg_vpd (pages 00h 80h 83h B0h B1h B2h) / sg_readcap -l, run in the guest by
   chroot into a read-only 9p share of the host root, show vhostd's identity and limits;
 - blkdiscard in the guest becomes UNMAP on the bdev (bdev_get_iostat num_unmap_ops);
 - both request queues carried requests."""

import re

import scsiguest as sg
from scsiguest import vtest, MiB
from vtest import check, check_eq

PAT = 65536
# (target, byte offset, size)
WRITES = [(0, 0, PAT), (0, 2 * PAT + 7 * 512, PAT), (0, MiB + 512, PAT), (0, 5 * MiB + 3584, PAT),
          (0, 10 * MiB, MiB), (0, 33 * MiB, PAT), (0, 64 * MiB - PAT, PAT),
          (3, 0, PAT), (3, 2 * PAT + 3 * 4096, PAT), (3, 7 * MiB + 4096, PAT), (3, 32 * MiB - PAT, PAT)]

SCRIPT = sg.GUEST_PRELUDE + r"""
D0=$(wait_dev 0 20) || fail "no disk for target 0"
D3=$(wait_dev 3 20) || fail "no disk for target 3"
[ -n "$D0" ] && [ -n "$D3" ] || { echo "disks: $(ls /sys/block)"; exit 1; }
echo "=== sizes"
for d in $D0 $D3; do echo "$d $(cat /sys/block/$d/size) $(cat /sys/block/$d/queue/logical_block_size)"; done
echo "=== end"
ls /sys/bus/scsi/devices/ | grep -c '^0:0:' > /tmp/n; echo "scsi devices: $(cat /tmp/n)"
[ "$(ls /sys/bus/scsi/devices/ | grep -c '^0:0:')" = 2 ] && pass "exactly two SCSI devices" ||
	fail "SCSI devices: $(ls /sys/bus/scsi/devices/)"
bad=0
@WRITES@
sync; echo 3 > /proc/sys/vm/drop_caches
@READS@
[ $bad = 0 ] && pass "@N@ patterns read back with O_DIRECT"
# One reader per CPU: each CPU has its own request queue.
for cpu in 1 2; do
	taskset $cpu dd if=/dev/$D0 of=/dev/null bs=4096 count=64 iflag=direct 2>/dev/null ||
		fail "read on CPU mask $cpu"
done
hostroot || fail "cannot mount the host root"
for p in 0x00 0x80 0x83 0xb0 0xb1 0xb2; do
	echo "=== vpd$p"; chroot /host sg_vpd -p $p /dev/$D0 2>&1; echo "=== end"
done
echo "=== inq"; chroot /host sg_inq /dev/$D0 2>&1; echo "=== end"
echo "=== readcap0"; chroot /host sg_readcap -l /dev/$D0 2>&1; echo "=== end"
echo "=== readcap3"; chroot /host sg_readcap -l /dev/$D3 2>&1; echo "=== end"
chroot /host blkdiscard -o 2097152 -l 1048576 /dev/$D0 && pass "blkdiscard" || fail "blkdiscard"
"""


def guest_script(pats):
    writes, reads = [], []
    dev = {0: "$D0", 3: "$D3"}
    for i, (t, off, size) in enumerate(WRITES):
        writes.append("dd if=/p%d of=/dev/%s bs=%d count=1 seek=%d oflag=direct,seek_bytes "
                      "conv=notrunc 2>/dev/null || { fail \"write %d\"; bad=1; }"
                      % (i, dev[t], size, off, i))
        reads.append("dd if=/dev/%s of=/tmp/r bs=%d count=1 skip=%d iflag=direct,skip_bytes "
                     "2>/dev/null && cmp /tmp/r /p%d >/dev/null || { fail \"pattern %d differs\";"
                     " bad=1; }" % (dev[t], size, off, i, i))
    return (SCRIPT.replace("@WRITES@", "\n".join(writes)).replace("@READS@", "\n".join(reads))
            .replace("@N@", str(len(WRITES))))


def check_identity(console, uuid0):
    inq = sg.section(console, "inq")
    check(re.search(r"Vendor identification:\s*VHOSTD", inq), "sg_inq vendor:\n" + inq)
    check(re.search(r"Peripheral device type: disk", inq), "sg_inq type:\n" + inq)
    pages = sg.section(console, "vpd0x00")
    for p in ("[sn]", "[di]", "[bl]", "[bdc]", "[lbpv]"):
        check(p in pages, "supported VPD pages lack %s:\n%s" % (p, pages))
    serial = sg.section(console, "vpd0x80")
    check(uuid0.lower() in serial.lower(), "unit serial number is not the bdev UUID %s:\n%s"
          % (uuid0, serial))
    dev_id = sg.section(console, "vpd0x83")
    check("NAA" in dev_id and "VHOSTD" in dev_id, "device identification:\n" + dev_id)
    limits = sg.section(console, "vpd0xb0")
    check(re.search(r"Maximum unmap LBA count:\s*4194304", limits), "block limits:\n" + limits)
    check(re.search(r"Maximum transfer length:\s*16384", limits), "block limits:\n" + limits)
    chars = sg.section(console, "vpd0xb1")
    check("Non-rotating" in chars, "block device characteristics:\n" + chars)
    lbp = sg.section(console, "vpd0xb2")
    check(re.search(r"\(LBPU\):\s*1", lbp), "logical block provisioning:\n" + lbp)
    rc0 = sg.section(console, "readcap0")
    check(re.search(r"Last LBA=131071 ", rc0) and "Logical block length=512 bytes" in rc0 and
          "lbpme=1" in rc0, "sg_readcap -l target 0:\n" + rc0)
    rc3 = sg.section(console, "readcap3")
    check(re.search(r"Last LBA=8191 ", rc3) and "Logical block length=4096 bytes" in rc3,
          "sg_readcap -l target 3:\n" + rc3)


@vtest.test(timeout=300)
def test_scsi_guest_data_identity_discard():
    g = sg.get_guest()
    d = sg.new_vhostd()
    d.rpc("vhost_create_scsi_controller", {"ctrlr": sg.CTRLR})
    path0 = sg.add_aio_target(d, 0, "Aio0", 64 * MiB)
    path3 = sg.add_aio_target(d, 3, "Aio3", 32 * MiB, block_size=4096)
    uuid0 = d.rpc("bdev_get_bdevs", {"name": "Aio0"})[0]["uuid"]
    pats = sg.patterns(7, [size for _, _, size in WRITES])
    proc, log, initrd = g.start(guest_script(pats), smp=2,
                                qemu_args=sg.qemu_scsi_args(d, num_queues=2, hostroot=True),
                                files={"/p%d" % i: p for i, p in enumerate(pats)})
    try:
        reqs = sg.sample_queue_requests(d, proc, timeout=240)
    finally:
        res = g.wait(proc, log, initrd, timeout=240)
    vtest.log("guest ran %.1f s\n%s" % (res.elapsed, "\n".join(res.passes)))
    sg.check_guest(res, "data test")
    sizes = sg.section(res.console, "sizes").split()
    check_eq([int(x) for x in (sizes[1], sizes[2], sizes[4], sizes[5])],
             [131072, 512, 65536, 4096], "guest disk sizes (512-byte sectors) and block sizes")
    check_identity(res.console, uuid0)
    for path, t in ((path0, 0), (path3, 3)):
        sg.check_file(path, [(off, pats[i]) for i, (tt, off, _) in enumerate(WRITES) if tt == t])
    st = d.rpc("bdev_get_iostat", {"name": "Aio0"})
    st = st["bdevs"][0] if isinstance(st, dict) else st[0]
    check(st["num_unmap_ops"] >= 1, "blkdiscard did not reach the bdev: %r" % st)
    vtest.log("requests per queue: %r" % reqs)
    busy = [i for i, n in reqs.items() if i >= 2 and n > 0]
    check(len(busy) == 2, "both request queues should carry requests: %r" % reqs)
    d.check_serving()


if __name__ == "__main__":
    vtest.main()
