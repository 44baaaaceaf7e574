#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""Block device backends end to end.

bdevperf (build/bin/bdevperf) runs every backend: malloc, AIO and io_uring with -w verify (on
a real O_DIRECT file in /var/tmp and on a loop device), null with random reads and writes.
The daemon serves bdev_{aio,uring}_{create,delete} with good and bad parameters.  Deleting a
bdev under load is tested for real: bdevperf serves JSON-RPC (-r) while it drives an AIO or
io_uring bdev, the test deletes the bdev through that socket, and bdevperf must see the
removal, drain, and exit cleanly with no I/O error.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "harness"))
import vhostd as vd  # noqa: E402
import vtest  # noqa: E402
from vtest import check, check_eq, expect_rpc_error  # noqa: E402

INVALID_PARAMS = -32602
ENOENT, EEXIST, EINVAL, ENODEV = 2, 17, 22, 19
FILE_SIZE = 64 * 1024 * 1024


def bdevperf_bin():
    return os.path.join(vd.build_dir(), "bin", "bdevperf")


class Scratch:
    """A temporary directory with a data file in /var/tmp (a real file system for O_DIRECT)."""

    def __init__(self, size=FILE_SIZE):
        self.dir = tempfile.mkdtemp(prefix="vd-bdev-test-", dir="/var/tmp")
        self.file = os.path.join(self.dir, "data.img")
        with open(self.file, "wb") as f:
            f.truncate(size)
        self.loops = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def config(self, entries):
        path = self.path("bdev.json")
        with open(path, "w") as f:
            json.dump({"subsystems": [{"subsystem": "bdev", "config": [
                {"method": m, "params": p} for m, p in entries]}]}, f)
        return path

    def loop(self, sector_size=None):
        """Attach a loop device to the data file; skip the test when that is impossible."""
        if shutil.which("losetup") is None:
            vtest.skip("losetup is not installed")
        cmd = ["losetup", "-f", "--show", "--direct-io=on"]
        if sector_size:
            cmd += ["--sector-size", str(sector_size)]
        r = subprocess.run(cmd + [self.file], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            vtest.skip("cannot attach a loop device: %s" % r.stderr.strip())
        dev = r.stdout.strip()
        self.loops.append(dev)
        return dev

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for dev in self.loops:
            subprocess.run(["losetup", "-d", dev], capture_output=True, timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def run_bdevperf(args, timeout=60, scratch=None):
    """Run bdevperf; return (returncode, output, json_result or None)."""
    cmd = [bdevperf_bin()] + args
    if vd.want_no_huge():
        cmd.append("--no-huge")
    result_path = None
    if scratch is not None:
        result_path = scratch.path("result.json")
        cmd += ["--json-result", result_path]
    vtest.log(" ".join(cmd))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    res = None
    if result_path and os.path.exists(result_path):
        with open(result_path) as f:
            res = json.load(f)
    return r.returncode, out, res


def ncores_mask():
    """Every core we may use, at most two (jobs: one per core and bdev)."""
    return "0x3" if len(os.sched_getaffinity(0)) >= 2 else "0x1"


def check_run(rc, out, res, workload):
    if rc != 0:
        raise AssertionError("bdevperf %s exited %d: %s" % (workload, rc, vtest._one_line(out)))
    check(res is not None, "no JSON result")
    check_eq(res["errors"], 0, "errors")
    check(res["iops"] > 0, "no I/O was done: %r" % res)
    for job in res["jobs"]:
        check(job["iops"] > 0, "job %s/%s did no I/O" % (job["bdev"], job["core"]))
        check_eq(job["errors"], 0, "errors of job %s" % job["bdev"])


def verify_backend(method, filename, extra=None):
    with Scratch() as s:
        params = {"name": "Dev0", "filename": filename or s.file}
        params.update(extra or {})
        cfg = s.config([(method, params)])
        rc, out, res = run_bdevperf(["--json", cfg, "-q", "32", "-o", "4k", "-w", "verify",
                                     "-t", "2", "-m", ncores_mask()], scratch=s)
        check_run(rc, out, res, "verify")


# bdevperf on every backend ----------------------------------------------------------------

@vtest.test(timeout=60)
def test_bdevperf_malloc_verify():
    with Scratch(4096) as s:
        cfg = s.config([("bdev_malloc_create",
                         {"name": "Malloc0", "num_blocks": 32768, "block_size": 512})])
        for io_size in ("4k", "64K"):
            rc, out, res = run_bdevperf(["--json", cfg, "-q", "16", "-o", io_size, "-w",
                                         "verify", "-t", "2", "-m", ncores_mask()], scratch=s)
            check_run(rc, out, res, "verify")
            check(res["p99_us"] >= res["p50_us"] > 0, "percentiles: %r" % res)


@vtest.test(timeout=60)
def test_bdevperf_null_random():
    with Scratch(4096) as s:
        cfg = s.config([("bdev_null_create",
                         {"name": "Null0", "num_blocks": 1 << 20, "block_size": 512})])
        for wl in ("randread", "randwrite"):
            rc, out, res = run_bdevperf(["--json", cfg, "-q", "64", "-o", "4096", "-w", wl,
                                         "-t", "1"], scratch=s)
            check_run(rc, out, res, wl)


@vtest.test(timeout=60)
def test_bdevperf_verify_detects_bad_data():
    """A null bdev drops writes: verify must report miscompares and fail (no tautology)."""
    with Scratch(4096) as s:
        cfg = s.config([("bdev_null_create",
                         {"name": "Null0", "num_blocks": 8192, "block_size": 512})])
        rc, out, res = run_bdevperf(["--json", cfg, "-q", "4", "-o", "4k", "-w", "verify",
                                     "-t", "1"], scratch=s)
        check_eq(rc, 1, "exit status")
        check("miscompare at byte offset" in out, "no miscompare reported: %s" % out[-300:])
        check(res is not None and res["errors"] > 0 and res["jobs"][0]["miscompares"] > 0,
              "result: %r" % res)


@vtest.test(timeout=60)
def test_bdevperf_aio_file_verify():
    verify_backend("bdev_aio_create", None)


@vtest.test(timeout=60)
def test_bdevperf_uring_file_verify():
    verify_backend("bdev_uring_create", None, {"block_size": 4096})


@vtest.test(timeout=90)
def test_bdevperf_loop_device_verify():
    with Scratch() as s:
        dev = s.loop()
        for method in ("bdev_aio_create", "bdev_uring_create"):
            cfg = s.config([(method, {"name": "Loop0", "filename": dev})])
            rc, out, res = run_bdevperf(["--json", cfg, "-q", "32", "-o", "4k", "-w",
                                         "verify", "-t", "2"], scratch=s)
            check_run(rc, out, res, "verify on %s via %s" % (dev, method))


@vtest.test(timeout=60)
def test_bdevperf_other_workloads():
    with Scratch() as s:
        cfg = s.config([("bdev_uring_create", {"name": "U0", "filename": s.file}),
                        ("bdev_aio_create", {"name": "A0", "filename": s.file})])
        for wl in ("randrw", "flush", "unmap", "write_zeroes"):
            rc, out, res = run_bdevperf(["--json", cfg, "-q", "8", "-o", "8k", "-w", wl,
                                         "-M", "70", "-t", "1"], scratch=s)
            check_run(rc, out, res, wl)
            check_eq(len(res["jobs"]), 2, "jobs (one per bdev)")


@vtest.test(timeout=60)
def test_bdevperf_bad_usage():
    with Scratch(4096) as s:
        cfg = s.config([("bdev_malloc_create",
                         {"name": "Malloc0", "num_blocks": 1024, "block_size": 4096})])
        rc, out, _ = run_bdevperf(["--json", cfg, "-w", "bogus"])
        check(rc == 2 and "invalid value 'bogus'" in out, "bad workload: %d %s" % (rc, out))
        rc, out, _ = run_bdevperf(["--json", cfg, "-q", "0"])
        check(rc == 2, "queue depth 0 accepted")
        rc, out, _ = run_bdevperf(["--json", cfg, "-o", "1000", "-t", "1"])
        check(rc != 0 and "multiple" in out, "odd I/O size: %d %s" % (rc, out))
        rc, out, _ = run_bdevperf(["--json", cfg, "-o", "512", "-t", "1"])
        check(rc != 0 and "not a multiple of its block size 4096" in out,
              "I/O size below the block size: %d %s" % (rc, vtest._one_line(out)))
        rc, out, _ = run_bdevperf(["--json", cfg, "-b", "NoSuch", "-t", "1"])
        check(rc != 0 and "no bdev named 'NoSuch'" in out, "unknown bdev: %d %s" % (rc, out))
        rc, out, _ = run_bdevperf(["--json", s.path("missing.json"), "-t", "1"])
        check(rc != 0, "missing config accepted")
        bad = s.config([("bdev_aio_create", {"name": "A", "filename": s.path("nope")})])
        rc, out, _ = run_bdevperf(["--json", bad, "-t", "1"])
        check(rc != 0 and "No such file" in out, "config error: %d %s" % (rc, out))


# Deleting a bdev under I/O ----------------------------------------------------------------

def delete_under_io(create, delete):
    with Scratch() as s:
        sock = s.path("bdevperf.sock")
        cfg = s.config([(create, {"name": "Victim", "filename": s.file})])
        cmd = [bdevperf_bin(), "--json", cfg, "-q", "64", "-o", "4k", "-w", "randrw",
               "-t", "30", "-r", sock]
        if vd.want_no_huge():
            cmd.append("--no-huge")
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while not os.path.exists(sock) and time.monotonic() < deadline:
                if p.poll() is not None:
                    raise AssertionError("bdevperf exited early: %s" % p.stdout.read())
                time.sleep(0.05)
            time.sleep(1.0)		# let I/O run
            if p.poll() is not None:
                raise AssertionError("bdevperf exited early: %s" % p.stdout.read())
            with vd.JsonRpcClient(sock, 10.0) as c:
                check_eq(c.call(delete, {"name": "Victim"}), True, delete)
            out, _ = p.communicate(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        vtest.log(out)
        check_eq(p.returncode, 0, "bdevperf exit status")
        check("bdev removed" in out, "bdevperf did not report the removal")


@vtest.test(timeout=60)
def test_aio_delete_under_io():
    delete_under_io("bdev_aio_create", "bdev_aio_delete")


@vtest.test(timeout=60)
def test_uring_delete_under_io():
    delete_under_io("bdev_uring_create", "bdev_uring_delete")


# RPC through the daemon -------------------------------------------------------------------

def get_bdev(d, name):
    for b in d.rpc("bdev_get_bdevs"):
        if b["name"] == name:
            return b
    return None


@vtest.test(timeout=60)
def test_rpc_create_get_delete():
    with Scratch(FILE_SIZE + 1000) as s, vd.Vhostd() as d:
        for kind in ("aio", "uring"):
            check_eq(d.rpc("bdev_%s_create" % kind, {"name": kind, "filename": s.file}),
                     kind, "create result")
            b = get_bdev(d, kind)
            check(b is not None, "%s not listed" % kind)
            check(b["block_size"] in (512, 1024, 2048, 4096), "block size %r" % b)
            check_eq(b["num_blocks"], (FILE_SIZE + 1000) // b["block_size"], "num_blocks")
            check_eq(d.rpc("bdev_%s_delete" % kind, {"name": kind}), True, "delete")
            check(get_bdev(d, kind) is None, "%s still listed after delete" % kind)
        d.rpc("bdev_uring_create", {"name": "u4k", "filename": s.file, "block_size": 4096})
        check_eq(get_bdev(d, "u4k")["num_blocks"], (FILE_SIZE + 1000) // 4096, "4k blocks")
        cfg = d.rpc("save_config")
        text = json.dumps(cfg)
        check("bdev_uring_create" in text and s.file in text, "save_config lacks u4k")
        d.rpc("bdev_uring_delete", {"name": "u4k"})


@vtest.test(timeout=60)
def test_rpc_bad_params():
    with Scratch() as s, vd.Vhostd() as d:
        empty = s.path("empty.img")
        open(empty, "w").close()
        for kind in ("aio", "uring"):
            create = "bdev_%s_create" % kind

            def call(params, m=create):
                return lambda: d.rpc(m, params)
            expect_rpc_error(call({"filename": s.file}), INVALID_PARAMS, "name")
            expect_rpc_error(call({"name": "x"}), INVALID_PARAMS, "filename")
            expect_rpc_error(call({"name": "x", "filename": s.file, "block_size": -512}),
                             INVALID_PARAMS, "block_size")
            expect_rpc_error(call({"name": "x", "filename": s.file, "block_size": 1000}),
                             INVALID_PARAMS, "power of two")
            expect_rpc_error(call({"name": "x", "filename": s.file, "block_size": "4k"}),
                             INVALID_PARAMS, "block_size")
            expect_rpc_error(call({"name": "x", "filename": s.file, "bogus": 1}),
                             INVALID_PARAMS, "bogus")
            expect_rpc_error(call({"name": "", "filename": s.file}), INVALID_PARAMS, "name")
            expect_rpc_error(call({"name": "x", "filename": s.path("missing")}), -ENOENT,
                             "no such file")
            expect_rpc_error(call({"name": "x", "filename": empty}), -EINVAL,
                             "smaller than one block")
            expect_rpc_error(call({"name": "x", "filename": s.dir}), None, "cannot open")
            check_eq(d.rpc(create, {"name": "dup", "filename": s.file}), "dup", "create")
            expect_rpc_error(call({"name": "dup", "filename": s.file}), -EEXIST,
                             "already exists")
            expect_rpc_error(lambda: d.rpc("bdev_%s_delete" % kind, {"name": "nosuch"}),
                             -ENODEV, "nosuch")
            expect_rpc_error(lambda: d.rpc("bdev_%s_delete" % kind, {}), INVALID_PARAMS,
                             "name")
            d.rpc("bdev_%s_delete" % kind, {"name": "dup"})
        # An AIO bdev cannot be deleted as an io_uring one.
        d.rpc("bdev_aio_create", {"name": "a", "filename": s.file})
        expect_rpc_error(lambda: d.rpc("bdev_uring_delete", {"name": "a"}), -ENODEV)
        d.rpc("bdev_aio_delete", {"name": "a"})
        d.check_serving()


@vtest.test(timeout=60)
def test_rpc_block_size_below_device():
    with Scratch() as s, vd.Vhostd() as d:
        dev = s.loop(sector_size=4096)
        for kind in ("aio", "uring"):
            expect_rpc_error(lambda: d.rpc("bdev_%s_create" % kind,
                                           {"name": "l", "filename": dev, "block_size": 512}),
                             -EINVAL, "smaller than the logical block size 4096")
            check_eq(d.rpc("bdev_%s_create" % kind, {"name": "l", "filename": dev}), "l",
                     "create with the detected block size")
            check_eq(get_bdev(d, "l")["block_size"], 4096, "detected block size")
            d.rpc("bdev_%s_delete" % kind, {"name": "l"})


if __name__ == "__main__":
    vtest.main()
