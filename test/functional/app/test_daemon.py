#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""The vhostd daemon as a process: options, start/stop by signal, RPC socket ownership (lock
file, stale sockets), JSON configuration at start-up (-c) and the save_config round trip."""

import json
import os
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "harness"))
import vhostd as vd  # noqa: E402
import vtest  # noqa: E402
from vtest import check, check_eq  # noqa: E402


def write_json(d, name, obj):
    path = os.path.join(d.tmpdir, name)
    with open(path, "w") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj, indent=2))
    return path


def log_config(entries):
    return {"subsystems": [{"subsystem": "log", "config": entries}]}


def known_flag():
    """A registered log flag name (asked from a daemon)."""
    with vd.Vhostd(name="probe") as d:
        flags = d.rpc("log_get_flags")
    check(flags, "no log flags registered")
    return sorted(flags)[0]


def run_failing(args, what, timeout=30):
    """Start vhostd that must fail; return (exit code, log text)."""
    d = vd.Vhostd(args, start=False, name=what)
    d.start(wait=False)
    try:
        rc = d.wait_exit(timeout)
    except TimeoutError:
        raise AssertionError("%s: vhostd kept running (should have exited)" % what)
    return rc, d.log_text(), d


# --- life cycle ------------------------------------------------------------------------------

def stop_by(sig):
    d = vd.Vhostd()
    d.check_serving()
    sock, lock = d.rpc_sock, d.rpc_sock + ".lock"
    check(os.path.exists(sock), "socket %s missing while running" % sock)
    rc = d.stop(sig, cleanup=False)
    check_eq(rc, 0, "exit code after signal %d (log: %s)" % (sig, vd.tail(d.log_text(), 10)))
    check(not os.path.exists(sock), "socket %s left behind after signal %d" % (sock, sig))
    check(not os.path.exists(lock), "lock file %s left behind after signal %d" % (lock, sig))


@vtest.test(timeout=60)
def test_sigterm_exits_0_and_removes_socket():
    stop_by(signal.SIGTERM)


@vtest.test(timeout=60)
def test_sigint_exits_0_and_removes_socket():
    stop_by(signal.SIGINT)


@vtest.test(timeout=60)
def test_stop_with_clients_connected():
    d = vd.Vhostd()
    idle = [d.raw_socket() for _ in range(10)]
    partial = d.raw_socket()
    partial.sendall(b'{"jsonrpc":"2.0","method":')
    rc = d.stop(signal.SIGTERM)
    check_eq(rc, 0, "exit code with clients connected")
    for s in idle + [partial]:
        check(vd.peer_closed(s, 5), "client connection not closed at exit")
        s.close()


@vtest.test(timeout=60)
def test_restart_on_same_socket():
    sock = os.path.join(vd.tempfile.mkdtemp(prefix="vhostd-test-"), "rpc.sock")
    for i in range(3):
        d = vd.Vhostd(rpc_sock=sock, name="restart%d" % i)
        d.check_serving()
        check_eq(d.stop(), 0, "exit code of instance %d" % i)
    os.rmdir(os.path.dirname(sock))


@vtest.test(timeout=60)
def test_options():
    cp = subprocess.run([vd.vhostd_bin(), "-h"], capture_output=True, text=True, timeout=20)
    check_eq(cp.returncode, 0, "vhostd -h exit code")
    check("usage" in (cp.stdout + cp.stderr).lower(), "-h prints no usage")
    for args, what in ((["--no-such-option"], "unknown option"),
                       (["-m", "0x0"], "empty cpumask"),
                       (["-m", "zzz"], "bad cpumask"),
                       (["-s", "lots"], "bad mem size"),
                       (["extra-arg"], "stray argument"),
                       (["-S", "/nonexistent/dir"], "missing vhost socket dir")):
        rc, log, _ = run_failing(args, what)
        check(rc != 0, "%s: exit code 0" % what)
        check(log.strip(), "%s: no message" % what)


@vtest.test(timeout=60)
def test_two_reactors():
    if (os.cpu_count() or 1) < 2:
        vtest.skip("needs 2 CPUs")
    d = vd.Vhostd(["-m", "0x3"])
    r = d.rpc("framework_get_reactors")
    check_eq(len(r.get("reactors", [])), 2, "reactors with -m 0x3")
    d.check_serving()
    check_eq(d.stop(), 0, "exit code with two reactors")


@vtest.test(timeout=60)
def test_logflag_option():
    flag = known_flag()
    d = vd.Vhostd(["-L", flag])
    check_eq(d.rpc("log_get_flags").get(flag), True, "flag given with -L")
    d.check_serving()


# --- socket ownership ------------------------------------------------------------------------

@vtest.test(timeout=60)
def test_second_instance_refused():
    d1 = vd.Vhostd(name="first")
    d2 = vd.Vhostd(rpc_sock=d1.rpc_sock, start=False, name="second")
    d2.start(wait=False)
    try:
        rc = d2.wait_exit(30)
    except TimeoutError:
        raise AssertionError("second instance on a live socket kept running")
    check(rc != 0, "second instance exit code 0")
    check("in use" in d2.log_text().lower(),
          "second instance message lacks 'in use': %r" % vd.tail(d2.log_text(), 5))
    # The first instance still owns and serves its socket.
    check(os.path.exists(d1.rpc_sock), "second instance removed the first one's socket")
    d1.check_serving()
    check_eq(d1.stop(cleanup=False), 0, "first instance exit code")


@vtest.test(timeout=60)
def test_stale_socket_removed():
    tmp = vd.tempfile.mkdtemp(prefix="vhostd-test-")
    sock = os.path.join(tmp, "rpc.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock)             # a socket file nobody listens on (a crashed daemon's)
    s.close()
    open(sock + ".lock", "w").close()    # and an unlocked lock file
    check(os.path.exists(sock), "test bug: no stale socket")
    d = vd.Vhostd(rpc_sock=sock)
    d.check_serving()
    check_eq(d.stop(), 0, "exit code")
    check(not os.path.exists(sock), "socket left after exit")
    os.rmdir(tmp)


@vtest.test(timeout=60)
def test_killed_daemon_socket_reused():
    d = vd.Vhostd()
    sock = d.rpc_sock
    d.proc.kill()            # SIGKILL: socket and lock files stay behind
    d.proc.wait()
    check(os.path.exists(sock), "socket vanished after SIGKILL (unexpected)")
    d2 = vd.Vhostd(rpc_sock=sock, name="after-kill")
    d2.check_serving()
    check_eq(d2.stop(cleanup=False), 0, "exit code")


# --- configuration ---------------------------------------------------------------------------

@vtest.test(timeout=60)
def test_config_applied():
    flag = known_flag()
    tmp = vd.Vhostd(start=False, name="cfg-holder")
    path = write_json(tmp, "cfg.json", log_config([
        {"method": "log_set_flag", "params": {"flag": flag}},
        {"method": "log_set_print_level", "params": {"level": "info"}},
    ]))
    d = vd.Vhostd(["-c", path])
    check_eq(d.rpc("log_get_flags").get(flag), True, "flag from the config file")
    check_eq(d.rpc("log_get_print_level").lower(), "info", "print level from the config file")
    d.check_serving()
    empty = write_json(tmp, "empty.json", {"subsystems": []})
    d2 = vd.Vhostd(["-c", empty], name="empty-config")
    d2.check_serving()


@vtest.test(timeout=120)
def test_bad_config_refused():
    holder = vd.Vhostd(start=False, name="cfg-holder")
    missing = os.path.join(holder.tmpdir, "no-such-config.json")
    cases = [
        (write_json(holder, "unknown.json", log_config([
            {"method": "no_such_method_xyz", "params": {}}])), "no_such_method_xyz"),
        (write_json(holder, "badparams.json", log_config([
            {"method": "log_set_flag", "params": {"flag": 5}}])), "log_set_flag"),
        (write_json(holder, "malformed.json", '{"subsystems": [ {"subsystem": "log", '),
         "malformed.json"),
        (missing, "no-such-config.json"),
        (write_json(holder, "notobj.json", "[1, 2, 3]"), "subsystems"),
        (write_json(holder, "nosubsys.json", {"something": []}), "subsystems"),
        (write_json(holder, "nomethod.json", log_config([{"params": {}}])), "method"),
    ]
    for path, word in cases:
        rc, log, _ = run_failing(["-c", path], os.path.basename(path))
        check(rc != 0, "config %s: exit code 0" % os.path.basename(path))
        check(word.lower() in log.lower(), "config %s: message does not name %r: %r"
              % (os.path.basename(path), word, vd.tail(log, 5)))


@vtest.test(timeout=90)
def test_save_config_round_trip():
    flag = known_flag()
    d1 = vd.Vhostd(name="first")
    d1.rpc("log_set_flag", {"flag": flag})
    d1.rpc("log_set_print_level", {"level": "debug"})
    saved = d1.rpc("save_config")
    log_cfg = [s for s in saved["subsystems"] if s.get("subsystem") == "log"]
    check_eq(len(log_cfg), 1, "log subsystem in save_config")
    methods = [(e.get("method"), e.get("params")) for e in log_cfg[0]["config"]]
    check(("log_set_flag", {"flag": flag}) in methods, "save_config lacks the flag: %r" % methods)
    check_eq(saved, {"subsystems": [{"subsystem": s["subsystem"],
                                     "config": d1.rpc("framework_get_config",
                                                      {"name": s["subsystem"]})}
                                    for s in d1.rpc("framework_get_subsystems")]},
             "save_config vs framework_get_config of every subsystem")
    path = write_json(d1, "saved.json", saved)
    d2 = vd.Vhostd(["-c", path], name="second")
    check_eq(d2.rpc("save_config"), saved, "save_config of the instance started from it")
    check_eq(d2.rpc("log_get_flags").get(flag), True, "flag in the second instance")
    d1.check_serving()
    d2.check_serving()


@vtest.test(timeout=60)
def test_framework_wait_init():
    """framework_wait_init answers true once the configuration is applied (the harness waits on
    it at every start); unknown parameters are refused."""
    with vd.Vhostd(name="waitinit") as d:
        check_eq(d.rpc("framework_wait_init"), True, "framework_wait_init")
        vtest.expect_rpc_error(lambda: d.rpc("framework_wait_init", {"x": 1}), code=-32602)


@vtest.test(timeout=60)
def test_config_from_fifo():
    """-c accepts a pipe or FIFO (e.g. -c <(generate-config)), not only regular files."""
    import threading
    tmp = vd.tempfile.mkdtemp(prefix="vhostd-fifo-")
    fifo = os.path.join(tmp, "cfg.fifo")
    os.mkfifo(fifo)
    flag = known_flag()
    text = json.dumps(log_config([{"method": "log_set_flag", "params": {"flag": flag}}]))

    def writer():
        with open(fifo, "w") as f:
            f.write(text)
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    with vd.Vhostd(["-c", fifo], name="fifo") as d:
        check(d.rpc("log_get_flags")[flag] is True, "flag %s from the FIFO config not set" % flag)
    t.join(5)
    vd.shutil.rmtree(tmp, ignore_errors=True)


@vtest.test(timeout=90)
def test_embedded_default_config():
    """Without -c (what `make run` does): a 1 GiB malloc bdev exported as vhost-blk vhost.0, and
    the QEMU command line that attaches a guest to its socket is printed."""
    with vd.Vhostd(name="default", default_config=True) as d:
        bdevs = d.rpc("bdev_get_bdevs", {"name": "Malloc0"})
        check_eq(bdevs[0]["num_blocks"] * bdevs[0]["block_size"], 1 << 30, "Malloc0 size")
        ctrlrs = d.rpc("vhost_get_controllers", {"name": "vhost.0"})
        sock = ctrlrs[0]["socket"]
        check_eq(ctrlrs[0]["backend_specific"]["block"]["bdev"], "Malloc0", "vhost.0 bdev")
        check(os.path.exists(sock), "controller socket %s missing" % sock)
        text = d.log_text()
        check("qemu-system-x86_64" in text and "vhost-user-blk-pci" in text,
              "no QEMU command line printed: %s" % vd.tail(text, 10))
        check("path=%s" % sock in text, "QEMU line does not name %s" % sock)


if __name__ == "__main__":
    vtest.main()
