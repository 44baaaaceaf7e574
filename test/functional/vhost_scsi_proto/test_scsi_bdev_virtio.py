#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""lib/bdev_virtio's virtio-scsi initiator (dev_type "scsi") against a vhostd vhost-scsi
controller: bdevperf -w verify on two targets (512-byte and 4 KiB blocks) over two request
queues, 4 KiB QD32 and 128 KiB QD8: both targets are found, no errors, and vhostd keeps
serving (and sees the initiator go away)."""

import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
import vhostd as vd  # noqa: E402
import vtest  # noqa: E402
from vtest import check, check_eq  # noqa: E402


def bdevperf(cfg, args, timeout=90):
    cmd = [os.path.join(vd.build_dir(), "bin", "bdevperf"), "--json", cfg, "-m", "0x2",
           "-s", "256"] + args
    if vd.want_no_huge():
        cmd.append("--no-huge")
    vtest.log("$ " + " ".join(cmd))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    out = r.stdout + r.stderr
    vtest.log(vd.tail(out, 8))
    return r.returncode, out


def job_row(out, name):
    m = re.search(r"^%s\s+\d+\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+(\d+)"
                  % re.escape(name), out, re.M)
    check(m is not None, "no %s row in the bdevperf output:\n%s" % (name, vd.tail(out)))
    return float(m.group(1)), int(m.group(2))


@vtest.test(timeout=200)
def test_bdev_virtio_scsi_verify():
    bp = os.path.join(vd.build_dir(), "bin", "bdevperf")
    if not os.access(bp, os.X_OK):
        vtest.skip("bdevperf is not built")
    d = vd.Vhostd(["-m", "0x1", "-s", "256"], name="target")
    d.rpc("bdev_malloc_create", {"name": "M0", "num_blocks": 65536, "block_size": 512})
    d.rpc("bdev_malloc_create", {"name": "M1", "num_blocks": 8192, "block_size": 4096})
    d.rpc("vhost_create_scsi_controller", {"ctrlr": "vscsi0"})
    for t, b in ((0, "M0"), (3, "M1")):
        d.rpc("vhost_scsi_controller_add_target",
              {"ctrlr": "vscsi0", "scsi_target_num": t, "bdev_name": b})
    cfg = os.path.join(d.tmpdir, "virtio.json")
    with open(cfg, "w") as f:
        json.dump({"subsystems": [{"subsystem": "bdev", "config": [
            {"method": "bdev_virtio_attach_controller",
             "params": {"name": "VirtioScsi0", "trtype": "user",
                        "traddr": os.path.join(d.sock_dir, "vscsi0"), "dev_type": "scsi",
                        "vq_count": 2, "vq_size": 256}}]}]}, f)
    for args in (["-q", "32", "-o", "4096", "-w", "verify", "-t", "3"],
                 ["-q", "8", "-o", "131072", "-w", "verify", "-t", "2"]):
        rc, out = bdevperf(cfg, args)
        check_eq(rc, 0, "bdevperf %s exit code:\n%s" % (" ".join(args), vd.tail(out)))
        for name in ("VirtioScsi0t0", "VirtioScsi0t3"):
            iops, errors = job_row(out, name)
            check(iops > 0 and errors == 0, "%s: %.1f IOPS, %d errors" % (name, iops, errors))
    d.check_serving()
    check(not d.rpc("vhost_get_controllers", {"name": "vscsi0"})[0]["connected"],
          "the initiator is gone: the controller should be disconnected")


if __name__ == "__main__":
    vtest.main()
