#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""A read-only controller: Linux sees VIRTIO_BLK_F_RO (ro=1) and refuses writes, also after
`blockdev --setrw` (Linux 6.1 keeps the disk's own RO flag); reads work and the backing file is
unchanged.  That the device itself answers OUT/DISCARD/WRITE_ZEROES with IOERR on a read-only
controller is checked by the raw front-end tests (vhost_blk_proto) and the unit tests."""

import os

import blkguest as bg
from blkguest import MiB, vtest
from vtest import check

GUEST_SCRIPT = r"""
. /etc/guestlib.sh
[ "$(cat /sys/block/vda/ro)" = 1 ] && pass "guest sees the disk read-only" || fail "ro=$(cat /sys/block/vda/ro)"
dd if=/dev/vda of=/tmp/r bs=4096 count=1 skip=@OFF@ iflag=direct,skip_bytes 2>/dev/null &&
	cmp /tmp/r /p0 >/dev/null && pass "read returns the host's data" || fail "read on a read-only disk"
dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct 2>/dev/null &&
	fail "write to a read-only disk succeeded" || pass "write refused by the guest"
blockdev --setrw /dev/vda
dd if=/dev/zero of=/dev/vda bs=4096 count=1 seek=@OFF@ oflag=direct,seek_bytes conv=notrunc 2>/tmp/err &&
	fail "forced write succeeded" || pass "forced write failed: $(cat /tmp/err | head -1)"
dd if=/dev/vda of=/tmp/r bs=4096 count=1 skip=@OFF@ iflag=direct,skip_bytes 2>/dev/null &&
	cmp /tmp/r /p0 >/dev/null && pass "data unchanged" || fail "data changed after a refused write"
"""


@vtest.test(timeout=300)
def test_readonly_controller():
    g = bg.get_guest()
    d = bg.new_vhostd()
    path = bg.make_disk(d)
    off = 5 * MiB
    (data,) = bg.patterns(3, [4096])
    with open(path, "r+b") as f:
        f.seek(off)
        f.write(data)
    bg.export_aio(d, readonly=True, path=path)
    info = bg.controller(d, "vblk0")
    check(info["backend_specific"]["block"]["readonly"] is True, "readonly flag: %r" % info)
    res = g.run(GUEST_SCRIPT.replace("@OFF@", str(off)), qemu_args=bg.qemu_blk_args(d),
                files={"/p0": data}, timeout=240)
    vtest.log("guest ran %.1f s\n%s" % (res.elapsed, "\n".join(res.passes)))
    bg.check_guest(res, "read-only test")
    bg.check_file(path, [(off, data), (0, bytes(4096))])
    check(os.path.getsize(path) == bg.DISK_SIZE, "backing file size changed")
    d.check_serving()


if __name__ == "__main__":
    vtest.main()
