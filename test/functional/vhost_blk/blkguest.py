#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""Shared pieces of the vhost-blk guest tests: a vhostd with an AIO (or malloc) bdev exported as a
vhost-blk controller, and the QEMU arguments that attach a Linux guest to it."""

import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
import vhostd as vd  # noqa: E402
import vtest  # noqa: E402
import guest as guestmod  # noqa: E402

MiB = 1 << 20
DISK_SIZE = 64 * MiB
SECTOR = 512


def new_vhostd(args=None, name="vhostd", config=None):
    """A vhostd started with -c (an empty configuration unless \p config is given): without -c
    vhostd applies its embedded `make run` default (a 1 GiB malloc bdev and vhost.0)."""
    d = vd.Vhostd(start=False, name=name)
    path = os.path.join(d.tmpdir, "config.json")
    with open(path, "w") as f:
        json.dump(config or {"subsystems": []}, f)
    d.args = ["-c", path] + list(args or [])
    d.start()
    return d


def get_guest():
    """A Guest, or SKIP with the reason when this machine cannot run one."""
    try:
        return guestmod.Guest()
    except guestmod.GuestUnavailable as e:
        vtest.skip(str(e))


def make_disk(d, size=DISK_SIZE, name="disk.raw"):
    path = os.path.join(d.tmpdir, name)
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def export_aio(d, ctrlr="vblk0", bdev="Aio0", size=DISK_SIZE, readonly=False, path=None):
    """AIO bdev on a sparse file in the daemon's temp dir, exported as \\p ctrlr."""
    path = path or make_disk(d, size)
    d.rpc("bdev_aio_create", {"name": bdev, "filename": path, "block_size": 512})
    d.rpc("vhost_create_blk_controller", {"ctrlr": ctrlr, "dev_name": bdev,
                                          "readonly": readonly})
    return path


def qemu_blk_args(d, ctrlr="vblk0", num_queues=1, reconnect=True):
    sock = os.path.join(d.sock_dir, ctrlr)
    chardev = "socket,id=vblk,path=%s" % sock
    if reconnect:
        chardev += ",reconnect=1"
    return ["-chardev", chardev,
            "-device", "vhost-user-blk-pci,chardev=vblk,num-queues=%d" % num_queues]


def patterns(seed, sizes):
    """Deterministic random byte strings, one per size."""
    rnd = random.Random(seed)
    return [bytes(rnd.getrandbits(8) for _ in range(n)) if n <= 65536
            else rnd.randbytes(n) for n in sizes]


def check_file(path, placements):
    """placements: [(byte offset, bytes)] must all be found in the file."""
    with open(path, "rb") as f:
        for off, data in placements:
            f.seek(off)
            got = f.read(len(data))
            vtest.check(got == data, "host file %s differs at offset %d (%d bytes)"
                        % (path, off, len(data)))


def check_guest(res, what):
    if not res.passed:
        raise AssertionError("%s: guest failed: %s" % (what, res.summary()))


def controller(d, name):
    info = d.rpc("vhost_get_controllers", {"name": name})
    vtest.check(isinstance(info, list) and len(info) == 1, "vhost_get_controllers: %r" % info)
    return info[0]


def wait_queue_stats(d, ctrlr, proc, nqueues, min_requests=1, timeout=120):
    """While the guest runs: wait until \p nqueues queues each served \p min_requests requests;
    return the last queue list seen (possibly not satisfying it, when the guest ended)."""
    deadline = time.monotonic() + timeout
    queues = []
    while time.monotonic() < deadline and proc.poll() is None:
        info = controller(d, ctrlr)
        if info["connected"]:
            queues = info["queues"]
            busy = [q for q in queues if q["requests"] >= min_requests]
            if len(busy) >= nqueues:
                return queues
        time.sleep(0.2)
    return queues
