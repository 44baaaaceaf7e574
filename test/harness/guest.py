"""Real Linux guests under QEMU for functional tests (TCG here, KVM where /dev/kvm exists).

The kernel comes from Debian's package (apt-get download, cached under build/guest/), the
initramfs is static busybox + our /init (test/guest/).  A test appends its own /test.sh (and data
files) as a second cpio archive, so the base archive is built once.

    g = Guest()                       # prepares kernel + base initramfs (cached)
    res = g.run(script_text, qemu_args=[...], timeout=240)
    res.passed  -> QEMU exit 65 (guest rc 0), no FAIL line, at least one PASS line
    res.console -> the serial console text
"""

import copy
import gzip
import io
import os
import re
import shutil
import subprocess
import tempfile
import time

ROOT = os.environ.get("VHOSTD_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("VHOSTD_BUILD") or os.path.join(ROOT, "build")
GUEST_DIR = os.path.join(ROOT, "build", "guest")
GUEST_SRC = os.path.join(ROOT, "test", "guest")


class GuestUnavailable(Exception):
    """The machine cannot run a guest (no QEMU, no kernel package): tests SKIP with the reason."""


def _newc_entry(name, data, mode):
    hdr = "070701" + "".join("%08X" % v for v in (
        0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0))
    out = hdr.encode() + name.encode() + b"\0"
    out += b"\0" * ((4 - len(out) % 4) % 4)
    out += data
    out += b"\0" * ((4 - len(data) % 4) % 4)
    return out


def make_cpio(files):
    """files: {guest_path: (bytes, mode)} -> gzip'd newc archive bytes."""
    buf = io.BytesIO()
    dirs = set()
    for path in files:
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    for d in sorted(dirs):
        buf.write(_newc_entry(d, b"", 0o040755))
    for path, (data, mode) in files.items():
        buf.write(_newc_entry(path.strip("/"), data, 0o100000 | mode))
    buf.write(_newc_entry("TRAILER!!!", b"", 0))
    return gzip.compress(buf.getvalue(), compresslevel=1)


class GuestResult:
    def __init__(self, rc, console, elapsed):
        self.rc = rc
        self.console = console.replace("\r", "")
        self.elapsed = elapsed

    def lines(self, prefix):
        return [l for l in self.console.splitlines() if l.startswith(prefix)]

    @property
    def fails(self):
        return self.lines("TEST-RESULT: FAIL")

    @property
    def passes(self):
        return self.lines("TEST-RESULT: PASS")

    @property
    def passed(self):
        return self.rc == 65 and not self.fails and bool(self.passes)

    def summary(self):
        tail = "\n".join(self.console.splitlines()[-25:])
        return "qemu rc=%s after %.1fs; FAIL lines: %s\n--- console tail ---\n%s" % (
            self.rc, self.elapsed, self.fails, tail)


def qemu_version(binary, env=None):
    """(major, minor) of a qemu-system binary, (0, 0) when it does not say."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, env=env,
                             timeout=30).stdout
    except OSError:
        return (0, 0)
    m = re.search(r"version (\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def qemu_at_least(version):
    """A QEMU of at least \\p version (major, minor) as (binary, env, extra_args): the system's
    when it is new enough, else Debian's bookworm-backports one, downloaded once (never
    installed) by test/guest/fetch-qemu-backport.sh into build/guest/qemu-bpo.  Raises
    GuestUnavailable with the reason when there is none."""
    system = shutil.which("qemu-system-x86_64")
    if system and qemu_version(system) >= version:
        return system, None, []
    r = subprocess.run([os.path.join(GUEST_SRC, "fetch-qemu-backport.sh"),
                        os.path.join(GUEST_DIR, "qemu-bpo")],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise GuestUnavailable("QEMU >= %d.%d needed (system: %d.%d) and none from "
                               "bookworm-backports: %s" % (version + qemu_version(system or "-")
                                                          + (r.stderr.strip()[-300:],)))
    binary, datadir, moddir = r.stdout.split("\n")[:3]
    env = dict(os.environ, QEMU_MODULE_DIR=moddir)
    got = qemu_version(binary, env)
    if got < version:
        raise GuestUnavailable("bookworm-backports QEMU is %d.%d, need %d.%d"
                               % (got + version))
    return binary, env, ["-L", datadir]


class Guest:
    MODULES = ["virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "sg", "9pnet_virtio", "9p",
               "nvme"]

    def __init__(self):
        self.qemu = shutil.which("qemu-system-x86_64")
        if not self.qemu:
            raise GuestUnavailable("qemu-system-x86_64 not installed (scripts/pkgdep.sh)")
        if not shutil.which("busybox"):
            raise GuestUnavailable("busybox not installed (package busybox-static)")
        os.makedirs(GUEST_DIR, exist_ok=True)
        try:
            subprocess.run([os.path.join(GUEST_SRC, "fetch-kernel.sh"), GUEST_DIR], check=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        except subprocess.CalledProcessError as e:
            raise GuestUnavailable("cannot fetch the Debian kernel package: %s" %
                                   e.stderr.decode(errors="replace")[-300:])
        self.kernel = os.path.join(GUEST_DIR, "kernel", "vmlinuz")
        self.base = os.path.join(GUEST_DIR, "base.cpio.gz")
        stamp = max(os.path.getmtime(os.path.join(GUEST_SRC, f))
                    for f in ("init", "guestlib.sh", "mkinitramfs.sh"))
        if not os.path.exists(self.base) or os.path.getmtime(self.base) < stamp:
            subprocess.run([os.path.join(GUEST_SRC, "mkinitramfs.sh"), GUEST_DIR] + self.MODULES,
                           check=True, stdout=subprocess.DEVNULL, timeout=300)
        self.kvm = self._kvm_usable()
        self.qemu_env = None     # environment of the QEMU process (None: ours)
        self.qemu_extra = []     # arguments right after the binary (e.g. -L DATADIR)

    def with_qemu(self, binary, env=None, extra_args=()):
        """A copy of this guest that runs \\p binary (see qemu_at_least())."""
        g = copy.copy(self)
        g.qemu, g.qemu_env, g.qemu_extra = binary, env, list(extra_args)
        return g

    def qemu_version(self):
        return qemu_version(self.qemu, self.qemu_env)

    @staticmethod
    def _kvm_usable():
        # /dev/kvm can exist without hardware virtualisation (e.g. a PVM host module that needs
        # a special guest kernel): a Debian guest then spins forever.  Require vmx/svm too.
        forced = os.environ.get("VHOSTD_GUEST_ACCEL")
        if forced:
            return forced == "kvm"
        if not os.access("/dev/kvm", os.R_OK | os.W_OK):
            return False
        with open("/proc/cpuinfo") as f:
            flags = f.read()
        return " vmx" in flags or " svm" in flags

    def initrd(self, script, files=None, workdir=None):
        """Base initramfs + /test.sh (+ files {guest_path: bytes}); returns its path."""
        entries = {"test.sh": (script.encode(), 0o755)}
        for path, data in (files or {}).items():
            entries[path] = (data, 0o644)
        fd, path = tempfile.mkstemp(prefix="initrd.", suffix=".cpio.gz", dir=workdir or GUEST_DIR)
        with os.fdopen(fd, "wb") as f, open(self.base, "rb") as b:
            f.write(b.read())
            f.write(make_cpio(entries))
        return path

    def base_args(self, mem_mb=512, smp=1, share_mem=True, mem_path=None):
        accel = "kvm" if self.kvm else "tcg"
        args = [self.qemu] + self.qemu_extra + [
            "-M", "q35", "-accel", accel, "-nodefaults", "-no-user-config", "-display", "none",
            "-no-reboot", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-m", "%dM" % mem_mb, "-smp", str(smp), "-kernel", self.kernel]
        if share_mem:
            if mem_path:
                args += ["-object", "memory-backend-file,id=mem,size=%dM,mem-path=%s,share=on"
                         % (mem_mb, mem_path)]
            else:
                args += ["-object", "memory-backend-memfd,id=mem,size=%dM,share=on" % mem_mb]
            args += ["-machine", "memory-backend=mem"]
        return args

    def start(self, script, qemu_args=(), files=None, mem_mb=512, smp=1, append="",
              log_path=None):
        """Start QEMU in the background; returns (Popen, log_path, initrd_path)."""
        initrd = self.initrd(script, files)
        args = self.base_args(mem_mb, smp) + ["-initrd", initrd, "-append",
                                               "console=ttyS0 panic=-1 quiet " + append]
        args += list(qemu_args)
        if log_path is None:
            fd, log_path = tempfile.mkstemp(prefix="guest.", suffix=".log", dir=GUEST_DIR)
            os.close(fd)
        log = open(log_path, "wb")
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=self.qemu_env)
        log.close()
        proc.vd_started = time.time()
        return proc, log_path, initrd

    @staticmethod
    def wait(proc, log_path, initrd, timeout):
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = 124
        with open(log_path, "rb") as f:
            console = f.read().decode(errors="replace")
        try:
            os.unlink(initrd)
        except OSError:
            pass
        return GuestResult(rc, console, time.time() - proc.vd_started)

    def run(self, script, qemu_args=(), files=None, mem_mb=512, smp=1, timeout=300, append=""):
        proc, log, initrd = self.start(script, qemu_args, files, mem_mb, smp, append)
        return self.wait(proc, log, initrd, timeout)
