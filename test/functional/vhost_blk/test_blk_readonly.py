#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""A read-only controller gives the guest write errors, and the data stays unchanged.

Two front-ends in turn on the same read-only controller (an AIO bdev on a file):
 1. A Linux guest: it sees VIRTIO_BLK_F_RO (ro=1) and its writes fail (EPERM), also after
    `blockdev --setrw` (Linux 6.1 keeps the disk's own RO flag); reads return the host's data.
    Linux 6.1 refuses every write path to such a disk itself (write(2), BLKZEROOUT/BLKDISCARD,
    writable shared mappings), so this part alone never reaches vhostd with a write.
 2. A raw virtio-blk driver (test/functional/vhost_blk_proto/blk_proto --readonly, the guest
    driver played by the test): a 4 KiB OUT of non-zero bytes, DISCARD and WRITE_ZEROES reach
    the device and must be answered VIRTIO_BLK_S_IOERR; IN and FLUSH answer OK.
Afterwards the bdev has counted reads but no write, unmap or write-zeroes, and the backing file
is byte for byte what it was."""

import os
import subprocess

import blkguest as bg
from blkguest import MiB, vd, vtest
from vtest import check

GUEST_SCRIPT = r"""
. /etc/guestlib.sh
[ "$(cat /sys/block/vda/ro)" = 1 ] && pass "guest sees the disk read-only" || fail "ro=$(cat /sys/block/vda/ro)"
dd if=/dev/vda of=/tmp/r bs=4096 count=1 skip=@OFF@ iflag=direct,skip_bytes 2>/dev/null &&
	cmp /tmp/r /p0 >/dev/null && pass "read returns the host's data" || fail "read on a read-only disk"
dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct 2>/tmp/err &&
	fail "write to a read-only disk succeeded" || pass "guest write failed: $(head -1 /tmp/err)"
blockdev --setrw /dev/vda
dd if=/dev/zero of=/dev/vda bs=4096 count=1 seek=@OFF@ oflag=direct,seek_bytes conv=notrunc 2>/tmp/err &&
	fail "forced write succeeded" || pass "forced write failed: $(head -1 /tmp/err)"
dd if=/dev/vda of=/tmp/r bs=4096 count=1 skip=@OFF@ iflag=direct,skip_bytes 2>/dev/null &&
	cmp /tmp/r /p0 >/dev/null && pass "data unchanged" || fail "data changed after a refused write"
"""


def build_blk_proto():
    """The raw front-end program of the vhost_blk_proto tests (same build as there)."""
    src = os.path.join(vd.ROOT, "test", "functional", "vhost_blk_proto")
    build_dir = vd.build_dir()
    cmd = ["make", "--no-print-directory", "-C", src, "O=" + os.path.relpath(build_dir, vd.ROOT)]
    if os.environ.get("VHOSTD_SANITIZE") == "1":
        cmd += ["CONFIG_ASAN=y", "CONFIG_UBSAN=y"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError("building blk_proto failed:\n" + r.stdout + r.stderr)
    return os.path.join(build_dir, "test", "functional", "vhost_blk_proto", "blk_proto")


@vtest.test(timeout=300)
def test_readonly_controller():
    g = bg.get_guest()
    prog = build_blk_proto()
    d = bg.new_vhostd()
    path = bg.make_disk(d)
    off = 5 * MiB
    (data,) = bg.patterns(3, [4096])
    with open(path, "r+b") as f:
        f.seek(off)
        f.write(data)
    with open(path, "rb") as f:
        original = f.read()
    bg.export_aio(d, readonly=True, path=path)
    info = bg.controller(d, "vblk0")
    check(info["backend_specific"]["block"]["readonly"] is True, "readonly flag: %r" % info)

    res = g.run(GUEST_SCRIPT.replace("@OFF@", str(off)), qemu_args=bg.qemu_blk_args(d),
                files={"/p0": data}, timeout=240)
    vtest.log("guest ran %.1f s\n%s" % (res.elapsed, "\n".join(res.passes)))
    bg.check_guest(res, "read-only test")

    r = subprocess.run([prog, "--readonly", d.sock_dir, "vblk0"], capture_output=True,
                       text=True, timeout=60)
    vtest.log("raw driver on the same controller: " + r.stdout.strip())
    check(r.returncode == 0 and "TEST-RESULT: PASS blk_readonly_controller" in r.stdout,
          "raw write/discard/write-zeroes on the read-only controller: rc %d, %s %s"
          % (r.returncode, r.stdout.strip(), r.stderr.strip()[-500:]))

    st = d.rpc("bdev_get_iostat", {"name": "Aio0"})["bdevs"][0]
    check(st["num_read_ops"] > 0 and st["num_write_ops"] == 0 and st["num_unmap_ops"] == 0 and
          st["num_write_zeroes_ops"] == 0,
          "bdev statistics: %d reads, %d writes, %d unmaps, %d write-zeroes "
          "(want > 0, 0, 0, 0)" % (st["num_read_ops"], st["num_write_ops"],
                                   st["num_unmap_ops"], st["num_write_zeroes_ops"]))
    with open(path, "rb") as f:
        check(f.read() == original, "the backing file changed")
    d.check_serving()


if __name__ == "__main__":
    vtest.main()
