#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""vhost-blk RPC methods: create/get/delete with SPDK names, their errors (-ENODEV, -EPERM naming
the claimer, -EEXIST, -32602), the vhost_get_controllers shape and the save_config round trip."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
import vhostd as vd  # noqa: E402
import vtest  # noqa: E402
from vtest import check, check_eq, expect_rpc_error  # noqa: E402


def daemon(config=None, args=()):
    d = vd.Vhostd(start=False)
    path = os.path.join(d.tmpdir, "config.json")
    with open(path, "w") as f:
        json.dump(config or {"subsystems": []}, f)
    d.args = ["-c", path] + list(args)
    d.start()
    return d


def malloc(d, name, blocks=8192):
    d.rpc("bdev_malloc_create", {"name": name, "num_blocks": blocks, "block_size": 512})


@vtest.test(timeout=60)
def test_create_get_delete():
    d = daemon()
    malloc(d, "M0")
    check_eq(d.rpc("vhost_create_blk_controller", {"ctrlr": "c0", "dev_name": "M0"}), True,
             "create")
    check(os.path.exists(os.path.join(d.sock_dir, "c0")), "socket file missing")
    info = d.rpc("vhost_get_controllers")
    check_eq(len(info), 1, "controllers")
    c = info[0]
    check_eq(c["ctrlr"], "c0", "ctrlr")
    check_eq(c["cpumask"], "0x1", "cpumask")
    check_eq(c["socket"], os.path.join(d.sock_dir, "c0"), "socket")
    check_eq(c["backend_specific"], {"block": {"readonly": False, "bdev": "M0"}},
             "backend_specific")
    check(c["connected"] is False and c["delay_base_us"] == 0 and
          c["iops_threshold"] == 60000 and isinstance(c["queues"], list), "shape: %r" % c)
    check_eq(d.rpc("vhost_get_controllers", {"name": "c0"})[0]["ctrlr"], "c0", "by name")
    bdev = d.rpc("bdev_get_bdevs", {"name": "M0"})[0]
    check(bdev.get("claimed") in (True, None), "bdev claim flag: %r" % bdev)
    check_eq(d.rpc("vhost_delete_controller", {"ctrlr": "c0"}), True, "delete")
    check(not os.path.exists(os.path.join(d.sock_dir, "c0")), "socket left after delete")
    check_eq(d.rpc("vhost_get_controllers"), [], "after delete")
    # the bdev is free again
    check_eq(d.rpc("vhost_create_blk_controller", {"ctrlr": "c1", "dev_name": "M0",
                                                   "readonly": True, "packed_ring": False}),
             True, "create again")
    d.check_serving()


@vtest.test(timeout=60)
def test_errors():
    d = daemon()
    malloc(d, "M0")
    malloc(d, "M1")
    expect_rpc_error(lambda: d.rpc("vhost_create_blk_controller",
                                   {"ctrlr": "x", "dev_name": "nope"}), -19, "nope")
    d.rpc("vhost_create_blk_controller", {"ctrlr": "c0", "dev_name": "M0"})
    expect_rpc_error(lambda: d.rpc("vhost_create_blk_controller",
                                   {"ctrlr": "c1", "dev_name": "M0"}), -1, "c0")
    expect_rpc_error(lambda: d.rpc("vhost_create_blk_controller",
                                   {"ctrlr": "c0", "dev_name": "M1"}), -17, "c0")
    for mask in ("zz", "0x0", "0x100"):
        expect_rpc_error(lambda: d.rpc("vhost_create_blk_controller",
                                       {"ctrlr": "c2", "dev_name": "M1", "cpumask": mask}),
                         -32602, "cpumask")
    expect_rpc_error(lambda: d.rpc("vhost_create_blk_controller",
                                   {"ctrlr": "c2", "dev_name": "M1", "packed_ring": True}),
                     -32602, "packed ring not supported")
    expect_rpc_error(lambda: d.rpc("vhost_create_blk_controller",
                                   {"ctrlr": "a/b", "dev_name": "M1"}), -32602, "ctrlr")
    expect_rpc_error(lambda: d.rpc("vhost_create_blk_controller", {"dev_name": "M1"}),
                     -32602, "ctrlr")
    expect_rpc_error(lambda: d.rpc("vhost_create_blk_controller",
                                   {"ctrlr": "c2", "dev_name": "M1", "bogus": 1}),
                     -32602, "bogus")
    expect_rpc_error(lambda: d.rpc("vhost_delete_controller", {"ctrlr": "nope"}), -19)
    expect_rpc_error(lambda: d.rpc("vhost_get_controllers", {"name": "nope"}), -19)
    check_eq(d.rpc("vhost_create_blk_controller",
                   {"ctrlr": "c2", "dev_name": "M1", "cpumask": "0x1"}), True, "good cpumask")
    check_eq(len(d.rpc("vhost_get_controllers")), 2, "two controllers")
    d.check_serving()


@vtest.test(timeout=60)
def test_save_config_round_trip():
    d = daemon()
    malloc(d, "M0")
    malloc(d, "M1")
    d.rpc("vhost_create_blk_controller", {"ctrlr": "rw", "dev_name": "M0"})
    d.rpc("vhost_create_blk_controller", {"ctrlr": "ro", "dev_name": "M1", "readonly": True,
                                          "cpumask": "0x1"})
    saved = d.rpc("save_config")
    sub = [s for s in saved["subsystems"] if s["subsystem"] == "vhost_blk"]
    check_eq(len(sub), 1, "vhost_blk subsystem in save_config")
    methods = [e["method"] for e in sub[0]["config"]]
    check_eq(methods, ["vhost_create_blk_controller"] * 2, "saved methods")
    d.stop()
    d2 = daemon(saved)
    got = {c["ctrlr"]: c["backend_specific"]["block"] for c in d2.rpc("vhost_get_controllers")}
    check_eq(got, {"rw": {"readonly": False, "bdev": "M0"},
                   "ro": {"readonly": True, "bdev": "M1"}}, "controllers after restart")
    d2.check_serving()


if __name__ == "__main__":
    vtest.main()
