#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""Shared pieces of the vhost-scsi guest tests: a vhostd with AIO bdevs exported as targets of a
vhost-scsi controller, the QEMU arguments that attach a Linux guest to it (vhost-user-scsi-pci,
plus a read-only 9p share of the host root so the guest can chroot into it and run host tools
such as sg_inq), and helpers to read sections of the guest console."""

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
CTRLR = "vscsi0"

# Guest shell helpers, prepended to every guest script.
GUEST_PRELUDE = r"""
. /etc/guestlib.sh
# scsi_dev T: the sd name of target T (LUN 0), or nothing.
scsi_dev() { ls /sys/bus/scsi/devices/0:0:$1:0/block 2>/dev/null; }
# wait_dev T SECONDS: wait until target T has a disk; prints its name.
wait_dev() {
	n=0
	while [ $n -lt $(($2 * 10)) ]; do
		d=$(scsi_dev $1); [ -n "$d" ] && [ -b /dev/$d ] && { echo $d; return 0; }
		sleep 0.1; n=$((n + 1))
	done
	return 1
}
# wait_gone T SECONDS
wait_gone() {
	n=0
	while [ $n -lt $(($2 * 10)) ]; do
		[ -e /sys/bus/scsi/devices/0:0:$1:0 ] || return 0
		sleep 0.1; n=$((n + 1))
	done
	return 1
}
hostroot() { mkdir -p /host && mount_hostroot; }
"""


def new_vhostd(args=None, name="vhostd", config=None):
    """A vhostd started with -c (an empty configuration unless \\p config is given)."""
    d = vd.Vhostd(start=False, name=name)
    path = os.path.join(d.tmpdir, "config.json")
    with open(path, "w") as f:
        json.dump(config or {"subsystems": []}, f)
    d.args = ["-c", path] + list(args or [])
    d.start()
    return d


def wait_configured(d, timeout=20):
    """vhostd answers RPCs while its -c config is still being applied: wait for the end."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if "vhost_scsi_controller_remove_target" in d.rpc("rpc_get_methods",
                                                              {"current": True}):
                return
        except vd.RpcError:
            pass
        time.sleep(0.05)
    raise AssertionError("vhostd did not finish applying its config")


def get_guest():
    """A Guest, or SKIP with the reason when this machine cannot run one."""
    try:
        return guestmod.Guest()
    except guestmod.GuestUnavailable as e:
        vtest.skip(str(e))


def make_disk(d, size, name):
    path = os.path.join(d.tmpdir, name)
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def add_aio_target(d, target, bdev, size, block_size=512, ctrlr=CTRLR):
    """AIO bdev on a sparse file in the daemon's temp dir, added as target \\p target."""
    path = make_disk(d, size, bdev + ".raw")
    d.rpc("bdev_aio_create", {"name": bdev, "filename": path, "block_size": block_size})
    got = d.rpc("vhost_scsi_controller_add_target",
                {"ctrlr": ctrlr, "scsi_target_num": target, "bdev_name": bdev})
    vtest.check_eq(got, target, "vhost_scsi_controller_add_target result")
    return path


def qemu_scsi_args(d, ctrlr=CTRLR, num_queues=2, reconnect=False, hostroot=False):
    sock = os.path.join(d.sock_dir, ctrlr)
    chardev = "socket,id=vscsi,path=%s" % sock
    if reconnect:
        chardev += ",reconnect=1"
    args = ["-chardev", chardev,
            "-device", "vhost-user-scsi-pci,chardev=vscsi,num_queues=%d" % num_queues]
    if hostroot:
        args += ["-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,"
                 "multidevs=remap"]
    return args


def patterns(seed, sizes):
    rnd = random.Random(seed)
    return [rnd.randbytes(n) for n in sizes]


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


def section(console, name):
    """Text the guest printed between '=== name' and '=== end'."""
    out, inside = [], False
    for line in console.splitlines():
        if line.strip() == "=== " + name:
            inside = True
        elif inside and line.strip() == "=== end":
            return "\n".join(out)
        elif inside:
            out.append(line)
    raise AssertionError("guest output has no section %r" % name)


def controller(d, name=CTRLR):
    info = d.rpc("vhost_get_controllers", {"name": name})
    vtest.check(isinstance(info, list) and len(info) == 1, "vhost_get_controllers: %r" % info)
    return info[0]


def wait_console(log, text, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with open(log, "rb") as f:
            if text.encode() in f.read():
                return True
        time.sleep(0.1)
    return False


def sample_queue_requests(d, proc, ctrlr=CTRLR, timeout=240):
    """While the guest runs: the largest request count seen per queue index."""
    deadline = time.monotonic() + timeout
    seen = {}
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            for q in controller(d, ctrlr)["queues"]:
                seen[q["index"]] = max(seen.get(q["index"], 0), q["requests"])
        except vd.RpcError:
            pass
        time.sleep(0.2)
    return seen
