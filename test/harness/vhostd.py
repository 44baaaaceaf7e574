#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""Start and drive a real vhostd for functional tests (standard library only).

    from vhostd import Vhostd, RpcError
    with Vhostd() as d:
        d.rpc("log_set_flag", {"flag": "rpc"})

Each instance gets a fresh temporary directory holding its RPC socket (-r), its vhost socket
directory (-S) and its log (stdout+stderr).  The log text stays readable after stop()
(Vhostd.log_text()), and the test framework (vtest.py) prints its tail when a test fails.

Environment:
    VHOSTD_BUILD     build directory (default <repo>/build); the binary is <build>/bin/vhostd
    VHOSTD_NO_HUGE   1: always pass --no-huge; otherwise --no-huge is passed unless at least
                     512 hugepages are free
"""

import atexit
import ctypes
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("VHOSTD_ROOT") or os.path.dirname(os.path.dirname(HARNESS_DIR))
MIN_FREE_HUGEPAGES = 512


def _load_rpc_module():
    """scripts/rpc.py is a standalone script; load it as a module to share its client."""
    path = os.path.join(ROOT, "scripts", "rpc.py")
    spec = importlib.util.spec_from_file_location("vhostd_rpc_client", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


rpc_client = _load_rpc_module()
RpcError = rpc_client.RpcError
RpcConnectionError = rpc_client.RpcConnectionError
JsonRpcClient = rpc_client.JsonRpcClient
RPC_SCRIPT = os.path.join(ROOT, "scripts", "rpc.py")

# Every instance ever created, so the framework can stop leftovers and show logs.
instances = []


class VhostdStartError(Exception):
    pass


def _kill_leftovers():
    for inst in instances:
        try:
            inst.cleanup()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass


atexit.register(_kill_leftovers)

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child: get SIGKILL when the test process dies (even by SIGKILL)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def build_dir():
    return os.environ.get("VHOSTD_BUILD") or os.path.join(ROOT, "build")


def vhostd_bin():
    return os.path.join(build_dir(), "bin", "vhostd")


def free_hugepages():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Free:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def want_no_huge():
    if os.environ.get("VHOSTD_NO_HUGE", "") not in ("", "0"):
        return True
    return free_hugepages() < MIN_FREE_HUGEPAGES


def tail(text, lines=30):
    return "\n".join(text.splitlines()[-lines:])


class Vhostd:
    """One vhostd process.

    args:      extra command-line arguments (e.g. ["-c", path, "-L", "rpc"])
    no_huge:   None = automatic (see want_no_huge), True/False to force
    rpc_sock:  RPC socket path (default: <tmpdir>/rpc.sock)
    start:     start now (default); otherwise call start() later
    wait:      with start, wait until the RPC socket answers
    """

    def __init__(self, args=None, no_huge=None, rpc_sock=None, start=True, wait=True,
                 start_timeout=20.0, name="vhostd", default_config=False):
        self.args = list(args or [])
        self.default_config = default_config
        self.no_huge = want_no_huge() if no_huge is None else no_huge
        self.tmpdir = tempfile.mkdtemp(prefix="vhostd-test-")
        self.rpc_sock = rpc_sock or os.path.join(self.tmpdir, "rpc.sock")
        self.sock_dir = os.path.join(self.tmpdir, "vhost")
        os.mkdir(self.sock_dir)
        self.log_path = os.path.join(self.tmpdir, "vhostd.log")
        self.name = name
        self.start_timeout = start_timeout
        self.proc = None
        self.returncode = None
        self._log_saved = None
        self._logf = None
        instances.append(self)
        if start:
            self.start(wait=wait)

    # --- life cycle -------------------------------------------------------------------------
    def cmdline(self):
        cmd = [vhostd_bin(), "-r", self.rpc_sock, "-S", self.sock_dir]
        if self.no_huge:
            cmd.append("--no-huge")
        if "-c" not in self.args and "--config" not in self.args and not self.default_config:
            # Tests start from an empty daemon unless they ask for the embedded default
            # (Malloc0 + vhost.0) with default_config=True.
            empty = os.path.join(self.tmpdir, "empty-config.json")
            with open(empty, "w") as f:
                f.write('{"subsystems": []}\n')
            cmd += ["-c", empty]
        return cmd + self.args

    def start(self, wait=True):
        binary = vhostd_bin()
        if not os.access(binary, os.X_OK):
            raise VhostdStartError("%s is not built (run make)" % binary)
        self._logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmdline(), stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=subprocess.STDOUT,
                                     cwd=self.tmpdir, preexec_fn=_die_with_parent)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.start_timeout)
        last = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.returncode = rc
                raise VhostdStartError("vhostd exited with %d during start-up; log:\n%s"
                                       % (rc, tail(self.log_text())))
            if os.path.exists(self.rpc_sock):
                try:
                    # Answers once the -c configuration has been applied (SPDK's method).
                    self.rpc("framework_wait_init",
                             timeout=max(1.0, deadline - time.monotonic()))
                    return
                except (RpcConnectionError, RpcError, OSError) as e:
                    last = e
            time.sleep(0.05)
        raise VhostdStartError("vhostd RPC socket %s not answering after %.0f s (%s); log:\n%s"
                               % (self.rpc_sock, timeout or self.start_timeout, last,
                                  tail(self.log_text())))

    def wait_exit(self, timeout=20.0):
        """Wait for the process to end by itself; return its exit code (TimeoutError)."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError("vhostd did not exit within %.0f s" % timeout)
        self._close_log()
        return self.returncode

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=20.0, cleanup=True):
        """Signal the daemon and wait; return its exit code.  A daemon that does not exit in
        time is killed (SIGKILL) and TimeoutError is raised."""
        try:
            if self.proc is None:
                return None
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    raise TimeoutError("vhostd did not exit within %.0f s of signal %d"
                                       % (timeout, sig))
            self.returncode = self.proc.returncode
            return self.returncode
        finally:
            self._close_log()
            if cleanup:
                self.cleanup()

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()
        self._close_log()

    def cleanup(self):
        """Remove the temporary directory (the log text is kept in memory)."""
        if self.alive():
            self.kill()
        if self._log_saved is None:
            self._log_saved = self._read_log()
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _close_log(self):
        if self._logf is not None:
            self._logf.close()
            self._logf = None

    def _read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_text(self):
        return self._log_saved if self._log_saved is not None else self._read_log()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.alive():
            try:
                self.stop()
            except TimeoutError:
                pass
        self.cleanup()

    # --- RPC ----------------------------------------------------------------------------
    def client(self, timeout=10.0):
        return JsonRpcClient(self.rpc_sock, timeout)

    def rpc(self, method, params=None, timeout=10.0):
        """Call on a fresh connection; return the result or raise RpcError(code, message)."""
        with JsonRpcClient(self.rpc_sock, timeout) as c:
            return c.call(method, params)

    def raw_socket(self, timeout=10.0):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.rpc_sock)
        return s

    def raw_exchange(self, data, timeout=10.0, expect_close=False):
        """Send bytes, read one JSON value back (None if the server closed without one)."""
        s = self.raw_socket(timeout)
        try:
            s.sendall(data if isinstance(data, bytes) else data.encode())
            return read_json(s, timeout)
        finally:
            s.close()

    def rpc_script(self, *argv, stdin=None, timeout=60):
        """Run scripts/rpc.py against this daemon; return CompletedProcess (text)."""
        return subprocess.run(["python3", RPC_SCRIPT, "-s", self.rpc_sock] + list(argv),
                              input=stdin, capture_output=True, text=True, timeout=timeout)

    def check_serving(self):
        """Raise AssertionError unless the daemon is alive and answers a good call."""
        if not self.alive():
            raise AssertionError("vhostd died (exit %s); log:\n%s"
                                 % (self.proc.poll(), tail(self.log_text())))
        v = self.rpc("vhostd_get_version")
        if not isinstance(v, dict) or "version" not in v:
            raise AssertionError("bad vhostd_get_version answer %r" % (v,))


def read_json(sock, timeout=10.0):
    """Read exactly one JSON value from \\p sock; None when the peer closes first."""
    dec = json.JSONDecoder()
    buf = b""
    deadline = time.monotonic() + timeout
    while True:
        text = buf.lstrip()
        if text:
            try:
                obj, _ = dec.raw_decode(text.decode("utf-8"))
                return obj
            except (json.JSONDecodeError, UnicodeDecodeError):
                pass
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no complete JSON answer within %.0f s (got %r)"
                               % (timeout, buf[:200]))
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return None
        buf += chunk


def read_all_json(sock, timeout=10.0, count=None):
    """Read JSON values until \\p count were read or the peer closes (or timeout)."""
    dec = json.JSONDecoder()
    buf = ""
    raw = b""
    out = []
    deadline = time.monotonic() + timeout
    while count is None or len(out) < count:
        while True:
            buf = buf.lstrip()
            if not buf:
                break
            try:
                obj, end = dec.raw_decode(buf)
            except json.JSONDecodeError:
                break
            out.append(obj)
            buf = buf[end:]
        if count is not None and len(out) >= count:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("read %d JSON values, wanted %s; %r left"
                               % (len(out), count, buf[:200]))
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            break
        raw += chunk
        try:
            buf += raw.decode("utf-8")
            raw = b""
        except UnicodeDecodeError:
            pass
    return out


def peer_closed(sock, timeout=5.0):
    """True when the server closes the connection (EOF) within \\p timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        if not chunk:
            return True
    return False
