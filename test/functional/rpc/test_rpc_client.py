#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""scripts/rpc.py against a real vhostd: output, exit codes, save_config/load_config, errors."""

import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "harness"))
import vhostd as vd  # noqa: E402
import vtest  # noqa: E402
from vtest import check, check_eq  # noqa: E402


def rpc_py(*argv, stdin=None):
    return subprocess.run(["python3", vd.RPC_SCRIPT] + list(argv), input=stdin,
                          capture_output=True, text=True, timeout=60)


def ok(cp, what):
    check(cp.returncode == 0, "%s: exit %d, stderr: %s" % (what, cp.returncode, cp.stderr))
    return cp.stdout


@vtest.test(timeout=60)
def test_rpc_py_get_methods_and_version():
    d = vd.Vhostd()
    out = ok(d.rpc_script("rpc_get_methods"), "rpc_get_methods")
    methods = json.loads(out)
    check_eq(sorted(methods), sorted(d.rpc("rpc_get_methods")), "rpc.py rpc_get_methods")
    out = ok(d.rpc_script("rpc_get_methods", "--include-aliases"), "--include-aliases")
    check("spdk_get_version" in json.loads(out), "alias missing with --include-aliases")
    out = ok(d.rpc_script("spdk_get_version"), "spdk_get_version")
    check_eq(json.loads(out)["version"], "vhostd v0.1.0", "version via rpc.py")
    out = ok(d.rpc_script("framework_get_config", "log"), "framework_get_config log")
    check(isinstance(json.loads(out), list), "framework_get_config output")
    out = ok(d.rpc_script("call", "vhostd_get_version"), "call without params")
    check_eq(json.loads(out)["version"], "vhostd v0.1.0", "call vhostd_get_version")
    d.check_serving()


@vtest.test(timeout=60)
def test_rpc_py_log_commands():
    d = vd.Vhostd()
    flag = sorted(d.rpc("log_get_flags"))[0]
    out = ok(d.rpc_script("log_set_flag", flag), "log_set_flag")
    check_eq(out.strip(), "", "log_set_flag prints nothing on success")
    check_eq(json.loads(ok(d.rpc_script("log_get_flags"), "log_get_flags"))[flag], True,
             "flag after rpc.py log_set_flag")
    ok(d.rpc_script("log_clear_flag", flag), "log_clear_flag")
    check_eq(d.rpc("log_get_flags")[flag], False, "flag after rpc.py log_clear_flag")
    ok(d.rpc_script("log_set_print_level", "info"), "log_set_print_level")
    out = ok(d.rpc_script("log_get_print_level"), "log_get_print_level")
    check_eq(out.strip().strip('"').lower(), "info", "print level via rpc.py")
    d.check_serving()


@vtest.test(timeout=60)
def test_rpc_py_errors():
    d = vd.Vhostd()
    cp = d.rpc_script("call", "no_such_method")
    check(cp.returncode != 0, "unknown method: exit 0")
    check("-32601" in cp.stderr, "unknown method: no code in stderr: %r" % cp.stderr)
    cp = d.rpc_script("call", "log_set_flag", '{"flag": 5}')
    check(cp.returncode != 0, "bad params: exit 0")
    check("-32602" in cp.stderr and "flag" in cp.stderr,
          "bad params: stderr lacks code/field: %r" % cp.stderr)
    cp = d.rpc_script("framework_get_config", "no_such_subsystem")
    check(cp.returncode != 0, "framework_get_config unknown name: exit 0")
    cp = d.rpc_script("call", "log_set_flag", "{not json")
    check(cp.returncode != 0 and "JSON" in cp.stderr, "bad JSON params: %r" % cp.stderr)
    missing = os.path.join(d.tmpdir, "missing.sock")
    cp = rpc_py("-s", missing, "rpc_get_methods")
    check(cp.returncode != 0, "missing socket: exit 0")
    check(missing in cp.stderr, "missing socket not named: %r" % cp.stderr)
    # A socket file nobody listens on: connection refused, clearly reported.
    stale = os.path.join(d.tmpdir, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    cp = rpc_py("-s", stale, "rpc_get_methods")
    check(cp.returncode != 0 and stale in cp.stderr, "refused socket: %r" % cp.stderr)
    cp = rpc_py("-s", missing, "no_such_command")
    check(cp.returncode != 0, "unknown command: exit 0")
    d.check_serving()


@vtest.test(timeout=60)
def test_rpc_py_dry_run_conversions():
    cp = rpc_py("--dry-run", "bdev_malloc_create", "-b", "Malloc0", "64", "512")
    req = json.loads(ok(cp, "dry-run malloc"))
    check_eq(req["params"], {"name": "Malloc0", "num_blocks": 131072, "block_size": 512},
             "bdev_malloc_create params")
    req = json.loads(ok(rpc_py("--dry-run", "bdev_null_create", "Null0", "0.5", "4096"), "null"))
    check_eq(req["params"], {"name": "Null0", "num_blocks": 128, "block_size": 4096},
             "bdev_null_create params")
    req = json.loads(ok(rpc_py("--dry-run", "vhost_create_blk_controller", "vhost.0", "Malloc0",
                               "--cpumask", "0x1", "-r", "-p"), "blk"))
    check_eq(req["params"], {"ctrlr": "vhost.0", "dev_name": "Malloc0", "cpumask": "0x1",
                             "readonly": True, "packed_ring": True}, "blk controller params")
    req = json.loads(ok(rpc_py("--dry-run", "vhost_scsi_controller_add_target", "s0", "1",
                               "Malloc0"), "scsi add"))
    check_eq(req["params"], {"ctrlr": "s0", "scsi_target_num": 1, "bdev_name": "Malloc0"},
             "scsi add_target params")
    req = json.loads(ok(rpc_py("--dry-run", "bdev_virtio_attach_controller", "V0", "-t", "user",
                               "-a", "/tmp/x.sock", "-d", "scsi", "--vq-count", "2"), "virtio"))
    check_eq(req["params"], {"name": "V0", "trtype": "user", "traddr": "/tmp/x.sock",
                             "dev_type": "scsi", "vq_count": 2}, "virtio attach params")
    req = json.loads(ok(rpc_py("--dry-run", "bdev_aio_create", "/dev/x", "aio0", "4096"), "aio"))
    check_eq(req["params"], {"filename": "/dev/x", "name": "aio0", "block_size": 4096},
             "aio params")
    req = json.loads(ok(rpc_py("--dry-run", "bdev_get_bdevs"), "get_bdevs"))
    check("params" not in req, "bdev_get_bdevs without -b sends params: %r" % req)
    cp = rpc_py("--dry-run", "bdev_malloc_create", "0", "512")
    check(cp.returncode != 0, "size 0 accepted")


@vtest.test(timeout=60)
def test_rpc_py_save_config_matches_server():
    d = vd.Vhostd(["-L", "jsonrpc"])
    d.rpc("log_set_print_level", {"level": "info"})
    out = ok(d.rpc_script("save_config"), "save_config")
    client_cfg = json.loads(out)
    server_cfg = d.rpc("save_config")
    check_eq(client_cfg, server_cfg, "rpc.py save_config vs server save_config")
    path = os.path.join(d.tmpdir, "saved.json")
    ok(d.rpc_script("save_config", "-o", path, "-i", "-1"), "save_config -o")
    with open(path) as f:
        check_eq(json.load(f), server_cfg, "save_config -o file")
    d.check_serving()


@vtest.test(timeout=60)
def test_rpc_py_load_config():
    d = vd.Vhostd()
    flag = sorted(d.rpc("log_get_flags"))[0]
    cfg = {"subsystems": [{"subsystem": "log", "config": [
        {"method": "log_set_flag", "params": {"flag": flag}},
        {"method": "log_set_print_level", "params": {"level": "debug"}},
    ]}]}
    ok(d.rpc_script("load_config", stdin=json.dumps(cfg)), "load_config from stdin")
    check_eq(d.rpc("log_get_flags")[flag], True, "flag after load_config")
    check_eq(d.rpc("log_get_print_level").lower(), "debug", "level after load_config")
    bad = {"subsystems": [{"subsystem": "log", "config": [
        {"method": "log_set_flag", "params": {"flag": 5}}]}]}
    path = os.path.join(d.tmpdir, "bad.json")
    with open(path, "w") as f:
        json.dump(bad, f)
    cp = d.rpc_script("load_config", "-j", path)
    check(cp.returncode != 0 and "-32602" in cp.stderr, "bad load_config: %r" % cp.stderr)
    cp = d.rpc_script("load_config", stdin="{not json")
    check(cp.returncode != 0, "malformed load_config accepted")
    d.check_serving()


if __name__ == "__main__":
    vtest.main()
