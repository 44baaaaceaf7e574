#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""bdev_virtio: the user-space vhost-user initiator against real back-ends.

- bdevperf -w verify through bdev_virtio against vhostd (malloc bdev behind a vhost-blk
  controller) and against qemu-storage-daemon (driver=file on a temporary file);
- the back-end killed in the middle of I/O (vhostd, then qemu-storage-daemon): bdevperf sees
  errors, the bdev is hot-removed, bdevperf exits, nothing hangs;
- attach (in vhostd, over RPC) to a missing socket, to a server that accepts and stays silent
  (the RPC server keeps answering meanwhile: the handshake does not block the reactor), and to
  one that sends garbage: clear errors; attach/detach and bdev_get_bdevs.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "harness"))
import vhostd as vd  # noqa: E402
import vtest  # noqa: E402
from vtest import check, check_eq, expect_rpc_error  # noqa: E402

QSD = shutil.which("qemu-storage-daemon")
MALLOC_BLOCKS = 65536  # 32 MiB of 512-byte blocks


_EMPTY = None


def empty_config():
    """-c with no bdev: vhostd's default configuration would reserve a 1 GiB malloc bdev."""
    global _EMPTY
    if _EMPTY is None:
        fd, _EMPTY = tempfile.mkstemp(prefix="vd-virtio-empty-", suffix=".json")
        os.write(fd, b'{"subsystems": []}')
        os.close(fd)
    return _EMPTY


def daemon(args=None, name="vhostd"):
    return vd.Vhostd(["-c", empty_config(), "-s", "256"] + list(args or []), name=name)


def bdevperf_bin():
    return os.path.join(vd.build_dir(), "bin", "bdevperf")


def have_vhost_blk():
    return os.path.exists(os.path.join(vd.build_dir(), "lib", "libvd_vhost_blk.a"))


def write_config(tmpdir, name, sock, dev_type="blk", vq_count=1):
    path = os.path.join(tmpdir, "virtio.json")
    with open(path, "w") as f:
        json.dump({"subsystems": [{"subsystem": "bdev", "config": [
            {"method": "bdev_virtio_attach_controller",
             "params": {"name": name, "trtype": "user", "traddr": sock,
                        "dev_type": dev_type, "vq_count": vq_count, "vq_size": 256}}]}]}, f)
    return path


def bdevperf(config, args, timeout=60, wait=True):
    cmd = [bdevperf_bin(), "--json", config, "-m", "0x2", "-s", "256"] + args
    if vd.want_no_huge():
        cmd.append("--no-huge")
    vtest.log("$ " + " ".join(cmd))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         preexec_fn=vd._die_with_parent)
    if not wait:
        return p
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        raise AssertionError("bdevperf hung (killed after %d s); output:\n%s"
                             % (timeout, vd.tail(out)))
    return p.returncode, out


def vhostd_target():
    """A vhostd serving a malloc bdev through vhost-blk controller 'vblk0'; returns (d, sock)."""
    if not have_vhost_blk():
        vtest.skip("lib/vhost_blk is not built: no vhostd vhost-blk target to test against")
    d = daemon(["-m", "0x1"], name="target")
    d.rpc("bdev_malloc_create", {"name": "VMalloc0", "num_blocks": MALLOC_BLOCKS,
                                 "block_size": 512})
    d.rpc("vhost_create_blk_controller", {"ctrlr": "vvblk0", "dev_name": "VMalloc0"})
    sock = os.path.join(d.sock_dir, "vvblk0")
    deadline = time.monotonic() + 10
    while not os.path.exists(sock) and time.monotonic() < deadline:
        time.sleep(0.05)
    return d, sock


class Qsd:
    """qemu-storage-daemon exporting a vhost-user-blk socket."""

    def __init__(self, tmpdir, blockdev, num_queues=1):
        if QSD is None:
            vtest.skip("qemu-storage-daemon is not installed (apt install qemu-system-x86)")
        self.sock = os.path.join(tmpdir, "qsd.sock")
        self.log = open(os.path.join(tmpdir, "qsd.log"), "w+")
        self.proc = subprocess.Popen(
            [QSD, "--blockdev", blockdev, "--export",
             "type=vhost-user-blk,id=e,node-name=n,addr.type=unix,addr.path=%s,writable=on,"
             "num-queues=%d" % (self.sock, num_queues)],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=vd._die_with_parent)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                raise AssertionError("qemu-storage-daemon did not start: " + self.log.read())
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def check_verify_ok(rc, out, what):
    vtest.log(vd.tail(out, 8))
    check(rc == 0, "%s: bdevperf exit %d:\n%s" % (what, rc, vd.tail(out)))
    check("VirtioBlk0" in out, "%s: no VirtioBlk0 job in the output" % what)


@vtest.test(timeout=90)
def test_verify_against_vhostd():
    d, sock = vhostd_target()
    tmp = tempfile.mkdtemp(prefix="vd-virtio-")
    try:
        cfg = write_config(tmp, "VirtioBlk0", sock)
        rc, out = bdevperf(cfg, ["-q", "32", "-o", "4096", "-w", "verify", "-t", "3"])
        check_verify_ok(rc, out, "verify 4K")
        rc, out = bdevperf(cfg, ["-q", "8", "-o", "131072", "-w", "verify", "-t", "2"])
        check_verify_ok(rc, out, "verify 128K")
        d.check_serving()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@vtest.test(timeout=90)
def test_verify_against_qsd():
    tmp = tempfile.mkdtemp(prefix="vd-virtio-", dir="/var/tmp")
    img = os.path.join(tmp, "disk.img")
    with open(img, "wb") as f:
        f.truncate(64 << 20)
    q = Qsd(tmp, "driver=file,node-name=n,filename=%s" % img, num_queues=2)
    try:
        cfg = write_config(tmp, "VirtioBlk0", q.sock)
        rc, out = bdevperf(cfg, ["-q", "32", "-o", "4096", "-w", "verify", "-t", "3"])
        check_verify_ok(rc, out, "verify 4K")
        rc, out = bdevperf(cfg, ["-q", "4", "-o", "262144", "-w", "verify", "-t", "2"])
        check_verify_ok(rc, out, "verify 256K")
    finally:
        q.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def kill_mid_io(kill_fn, sock, tmp):
    cfg = write_config(tmp, "VirtioBlk0", sock)
    p = bdevperf(cfg, ["-q", "64", "-o", "4096", "-w", "randrw", "-t", "30"], wait=False)
    time.sleep(3)
    check(p.poll() is None, "bdevperf ended before the back-end was killed")
    kill_fn()
    try:
        out, _ = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        raise AssertionError("bdevperf hung after the back-end died:\n" + vd.tail(out))
    vtest.log(vd.tail(out, 12))
    check("lost the back-end" in out, "no disconnect message:\n" + vd.tail(out))
    check("hot-removing" in out, "bdev not hot-removed:\n" + vd.tail(out))


@vtest.test(timeout=90)
def test_vhostd_killed_mid_io():
    d, sock = vhostd_target()
    tmp = tempfile.mkdtemp(prefix="vd-virtio-")
    try:
        kill_mid_io(d.kill, sock, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@vtest.test(timeout=90)
def test_qsd_killed_mid_io():
    tmp = tempfile.mkdtemp(prefix="vd-virtio-")
    q = Qsd(tmp, "driver=null-co,node-name=n,read-zeroes=off")
    try:
        kill_mid_io(q.stop, q.sock, tmp)
    finally:
        q.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def attach(d, sock, name="V0", timeout_ms=None, dev_type="blk", rpc_timeout=30):
    params = {"name": name, "trtype": "user", "traddr": sock, "dev_type": dev_type}
    if timeout_ms is not None:
        params["timeout_ms"] = timeout_ms
    return d.rpc("bdev_virtio_attach_controller", params, timeout=rpc_timeout)


@vtest.test(timeout=60)
def test_attach_missing_socket():
    with daemon() as d:
        e = expect_rpc_error(lambda: attach(d, os.path.join(d.tmpdir, "nope.sock")),
                             contains="no such file", what="attach to a missing socket")
        vtest.log("error: %s" % e.message)
        check_eq(d.rpc("bdev_virtio_get_controllers"), [], "controllers after a failure")
        expect_rpc_error(lambda: attach(d, "/tmp/x", dev_type="net"), code=-32602,
                         contains="dev_type")
        expect_rpc_error(lambda: d.rpc("bdev_virtio_attach_controller",
                                       {"name": "a", "trtype": "pcie", "traddr": "/tmp/x",
                                        "dev_type": "blk"}), code=-32602, contains="trtype")
        expect_rpc_error(lambda: d.rpc("bdev_virtio_detach_controller", {"name": "zz"}),
                         contains="no such controller")


class FakeServer:
    """A UNIX socket server that accepts, then stays silent or sends garbage."""

    def __init__(self, path, garbage=False):
        self.path = path
        self.garbage = garbage
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(4)
        self.conns = []
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.garbage:
                try:
                    c.recv(4096)
                    c.sendall(b"HTTP/1.0 400 Bad Request\r\nthis is not vhost-user\r\n\r\n")
                except OSError:
                    pass

    def close(self):
        self.srv.close()
        for c in self.conns:
            c.close()


@vtest.test(timeout=60)
def test_attach_silent_server():
    with daemon() as d:
        srv = FakeServer(os.path.join(d.tmpdir, "silent.sock"))
        try:
            result = {}

            def run():
                try:
                    result["ok"] = attach(d, srv.path, timeout_ms=2000)
                except vd.RpcError as e:
                    result["err"] = e
            t = threading.Thread(target=run)
            start = time.monotonic()
            t.start()
            time.sleep(0.5)
            # The reactor is not blocked by the handshake: other RPCs are answered.
            t0 = time.monotonic()
            d.rpc("bdev_get_bdevs", timeout=2)
            check(time.monotonic() - t0 < 1.0, "RPC server stalled during the handshake")
            t.join(20)
            elapsed = time.monotonic() - start
            check("err" in result, "attach to a silent server did not fail: %r" % result)
            vtest.log("error after %.1f s: %s" % (elapsed, result["err"].message))
            check("timed out" in result["err"].message.lower(),
                  "error does not say timed out: %s" % result["err"].message)
            check(1.5 < elapsed < 10, "timeout took %.1f s, want ~2 s" % elapsed)
            check("no answer" in d.log_text(), "log does not name the unanswered step")
        finally:
            srv.close()


@vtest.test(timeout=60)
def test_attach_garbage_server():
    with daemon() as d:
        srv = FakeServer(os.path.join(d.tmpdir, "garbage.sock"), garbage=True)
        try:
            e = expect_rpc_error(lambda: attach(d, srv.path), what="attach to garbage")
            vtest.log("error: %s" % e.message)
            check("not a vhost-user back-end" in e.message,
                  "unclear error: %s" % e.message)
            check("not a vhost-user back-end" in d.log_text(),
                  "log does not say it is not vhost-user")
            d.check_serving()
        finally:
            srv.close()


@vtest.test(timeout=60)
def test_attach_detach_in_vhostd():
    t, sock = vhostd_target()
    with daemon(name="initiator") as d:
        names = attach(d, sock, name="VirtioBlk0")
        check_eq(names, ["VirtioBlk0"], "bdev names")
        b = d.rpc("bdev_get_bdevs", {"name": "VirtioBlk0"})
        check_eq(b[0]["num_blocks"], MALLOC_BLOCKS, "num_blocks")
        check_eq(b[0]["block_size"], 512, "block_size")
        ctrl = d.rpc("bdev_virtio_get_controllers")
        check_eq([c["name"] for c in ctrl], ["VirtioBlk0"], "controllers")
        expect_rpc_error(lambda: attach(d, sock, name="VirtioBlk0"), contains="exists")
        check_eq(d.rpc("bdev_virtio_detach_controller", {"name": "VirtioBlk0"}), True,
                 "detach")
        expect_rpc_error(lambda: d.rpc("bdev_get_bdevs", {"name": "VirtioBlk0"}))
        # Attach again after the detach: the target accepted a new front-end.
        check_eq(attach(d, sock, name="VirtioBlk0"), ["VirtioBlk0"], "re-attach")
        t.kill()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and d.rpc("bdev_virtio_get_controllers"):
            time.sleep(0.1)
        check_eq(d.rpc("bdev_virtio_get_controllers"), [], "controllers after target death")
        d.check_serving()


if __name__ == "__main__":
    try:
        vtest.main()
    finally:
        if _EMPTY is not None:
            os.unlink(_EMPTY)
