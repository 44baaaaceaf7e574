#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""Driver of scripts/bench/vhost.sh (see there for what it measures)."""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CASES = [
    # (label, workload, io size, queue depth)
    ("4K randread QD1", "randread", "4k", 1),
    ("4K randread QD32", "randread", "4k", 32),
    ("4K randread QD128", "randread", "4k", 128),
    ("4K randwrite QD32", "randwrite", "4k", 32),
    ("4K randwrite QD128", "randwrite", "4k", 128),
    ("128K read QD8", "read", "128k", 8),
]
# Each mode owns one marked section of doc/performance.md.
MARKERS = {
    False: ("<!-- BEGIN vhost-bench (scripts/bench/vhost.sh replaces this section) -->",
            "<!-- END vhost-bench -->"),
    True: ("<!-- BEGIN blk-vs-scsi-bench (scripts/bench/vhost.sh --blk-vs-scsi replaces this "
           "section) -->", "<!-- END blk-vs-scsi-bench -->"),
}
NULL_BLOCKS = 8 * 1024 * 1024  # 4 GiB of 512-byte blocks


def rpc(sock, method, params=None, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock)
    req = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        req["params"] = params
    s.sendall(json.dumps(req).encode())
    dec = json.JSONDecoder()
    buf = ""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("%s: connection closed" % method)
        buf += chunk.decode()
        try:
            obj, _ = dec.raw_decode(buf)
            break
        except json.JSONDecodeError:
            continue
    s.close()
    if "error" in obj:
        raise RuntimeError("%s: %s" % (method, obj["error"]))
    return obj["result"]


def wait_path(path, proc, what, timeout=20):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("%s did not come up (%s)" % (what, path))
        time.sleep(0.05)


class VhostdTarget:
    def __init__(self, root, tmp, dev_type="blk"):
        self.tmp = tmp
        self.rpc_sock = os.path.join(tmp, "vhostd-rpc.sock")
        ctrlr = "vblk0" if dev_type == "blk" else "vscsi0"
        cfg = os.path.join(tmp, "target.json")
        entries = [{"method": "bdev_null_create",
                    "params": {"name": "Null0", "num_blocks": NULL_BLOCKS,
                               "block_size": 512}}]
        if dev_type == "blk":
            vh = [{"method": "vhost_create_blk_controller",
                   "params": {"ctrlr": ctrlr, "dev_name": "Null0"}}]
            sub = "vhost_blk"
        else:
            vh = [{"method": "vhost_create_scsi_controller", "params": {"ctrlr": ctrlr}},
                  {"method": "vhost_scsi_controller_add_target",
                   "params": {"ctrlr": ctrlr, "scsi_target_num": 0, "bdev_name": "Null0"}}]
            sub = "vhost_scsi"
        with open(cfg, "w") as f:
            json.dump({"subsystems": [{"subsystem": "bdev", "config": entries},
                                      {"subsystem": sub, "config": vh}]}, f)
        self.cmd = [os.path.join(root, "build", "bin", "vhostd"), "-m", "0x1", "-s", "256",
                    "-r", self.rpc_sock, "-S", tmp, "-c", cfg]
        self.log = open(os.path.join(tmp, "vhostd.log"), "w")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT)
        self.sock = os.path.join(tmp, ctrlr)
        wait_path(self.sock, self.proc, "vhostd")
        wait_path(self.rpc_sock, self.proc, "vhostd RPC")

    def counters(self):
        r = rpc(self.rpc_sock, "framework_get_reactors")
        busy = sum(x["busy"] for x in r["reactors"])
        st = rpc(self.rpc_sock, "bdev_get_iostat", {"name": "Null0"})
        b = st["bdevs"][0]
        return busy, b["num_read_ops"] + b["num_write_ops"], r["tick_rate"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class QsdTarget:
    def __init__(self, tmp):
        qsd = shutil.which("qemu-storage-daemon")
        if qsd is None:
            raise RuntimeError("qemu-storage-daemon is not installed")
        self.sock = os.path.join(tmp, "qsd.sock")
        self.cmd = ["taskset", "-c", "0", qsd, "--object", "iothread,id=io0",
                    "--blockdev", "driver=null-co,node-name=n,read-zeroes=off,size=4294967296",
                    "--export", "type=vhost-user-blk,id=e,node-name=n,addr.type=unix,"
                    "addr.path=%s,writable=on,num-queues=1,iothread=io0" % self.sock]
        self.log = open(os.path.join(tmp, "qsd.log"), "w")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT)
        wait_path(self.sock, self.proc, "qemu-storage-daemon")

    def counters(self):
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def bdevperf(root, tmp, sock, dev_type, case, secs):
    label, wl, size, qd = case
    cfg = os.path.join(tmp, "initiator.json")
    with open(cfg, "w") as f:
        json.dump({"subsystems": [{"subsystem": "bdev", "config": [
            {"method": "bdev_virtio_attach_controller",
             "params": {"name": "VirtioDisk", "trtype": "user", "traddr": sock,
                        "dev_type": dev_type, "vq_count": 1, "vq_size": 512}}]}]}, f)
    res = os.path.join(tmp, "result.json")
    cmd = [os.path.join(root, "build", "bin", "bdevperf"), "-m", "0x2", "-s", "512",
           "--json", cfg, "-q", str(qd), "-o", size, "-w", wl, "-t", str(secs),
           "--json-result", res]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 120)
    if out.returncode != 0:
        raise RuntimeError("bdevperf failed (%d): %s" % (out.returncode, out.stdout[-2000:]
                                                           + out.stderr[-2000:]))
    with open(res) as f:
        return json.load(f), cmd


def run_case(root, tmp, target, dev_type, case, secs):
    before = target.counters()
    r, cmd = bdevperf(root, tmp, target.sock, dev_type, case, secs)
    after = target.counters()
    ns = None
    if before is not None:
        ios = after[1] - before[1]
        if ios > 0:
            ns = (after[0] - before[0]) / ios / after[2] * 1e9
    return {"iops": r["iops"], "mibps": r["mibps"], "avg_us": r["avg_us"],
            "p99_us": r["p99_us"], "ns_per_io": ns}, cmd


def median_of(runs):
    out = {}
    for k in runs[0]:
        vals = [r[k] for r in runs if r[k] is not None]
        out[k] = statistics.median(vals) if vals else None
    return out


def measure(root, name, make_target, dev_type, secs, repeats, cmds):
    results = {}
    tmp = tempfile.mkdtemp(prefix="vd-bench-")
    target = make_target(tmp)
    try:
        cmds.append("%s: %s" % (name, " ".join(target.cmd).replace(tmp, "$TMP")))
        for case in CASES:
            runs = []
            for i in range(repeats):
                r, cmd = run_case(root, tmp, target, dev_type, case, secs)
                runs.append(r)
                print("  %-12s %-20s run %d: %9.0f IOPS  p99 %7.1f us  %s ns/IO"
                      % (name, case[0], i + 1, r["iops"], r["p99_us"],
                         "-" if r["ns_per_io"] is None else "%.0f" % r["ns_per_io"]),
                      flush=True)
            results[case[0]] = median_of(runs)
        cmds.append("initiator: " + " ".join(cmd[:-10]).replace(tmp, "$TMP") +
                    " -q QD -o SIZE -w WORKLOAD -t %d  ($TMP/initiator.json: "
                    "bdev_virtio_attach_controller to the target's socket)" % secs)
    finally:
        target.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def fmt(v, f):
    return "-" if v is None else f % v


def table(names, all_results):
    lines = ["| case | target | IOPS | MiB/s | avg us | p99 us | target busy ns/IO |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for case in CASES:
        for n in names:
            r = all_results[n][case[0]]
            lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                case[0], n, fmt(r["iops"], "%.0f"), fmt(r["mibps"], "%.1f"),
                fmt(r["avg_us"], "%.2f"), fmt(r["p99_us"], "%.2f"),
                fmt(r["ns_per_io"], "%.0f")))
        if len(names) == 2:
            a, b = (all_results[n][case[0]]["iops"] for n in names)
            lines.append("| %s | ratio %s/%s | %.2fx | | | | |" % (case[0], names[0], names[1],
                                                                 a / b if b else 0))
    return "\n".join(lines)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    qv = subprocess.run(["qemu-storage-daemon", "--version"], capture_output=True,
                        text=True).stdout.splitlines()
    return "%s, %d CPUs, Linux %s; %s" % (cpu, os.cpu_count(), platform.release(),
                                        qv[0] if qv else "qemu-storage-daemon ?")


def write_doc(root, section, blk_vs_scsi):
    begin, end = MARKERS[blk_vs_scsi]
    path = os.path.join(root, "doc", "performance.md")
    text = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    block = begin + "\n" + section.rstrip() + "\n" + end
    if begin in text and end in text:
        pre, rest = text.split(begin, 1)
        post = rest.split(end, 1)[1]
        text = pre + block + post
    else:
        if not text:
            text = "# vhostd performance\n"
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)
    print("wrote %s" % path)


def main():
    ap = argparse.ArgumentParser(prog="scripts/bench/vhost.sh")
    ap.add_argument("--root", required=True)
    ap.add_argument("-t", type=int, default=15, help="seconds per run")
    ap.add_argument("-r", type=int, default=3, help="repeats (median reported)")
    ap.add_argument("--blk-vs-scsi", action="store_true")
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    root = args.root
    cmds = []
    if args.blk_vs_scsi:
        specs = [("vhostd-blk", lambda t: VhostdTarget(root, t, "blk"), "blk"),
                 ("vhostd-scsi", lambda t: VhostdTarget(root, t, "scsi"), "scsi")]
    else:
        specs = [("vhostd", lambda t: VhostdTarget(root, t, "blk"), "blk"),
                 ("qsd", QsdTarget, "blk")]
    results = {}
    for name, mk, dev_type in specs:
        print("== %s" % name, flush=True)
        results[name] = measure(root, name, mk, dev_type, args.t, args.r, cmds)
    names = [s[0] for s in specs]
    tbl = table(names, results)
    print(tbl)
    title = "vhost-blk vs vhost-scsi (vhostd)" if args.blk_vs_scsi else \
        "vhostd vs qemu-storage-daemon (vhost-user-blk, null back-end)"
    section = "\n".join([
        "## %s" % title, "",
        "Measured by `scripts/bench/vhost.sh -t %d -r %d%s` on %s, %s.  Target on core 0, "
        "bdevperf (bdev_virtio initiator, 1 queue of 512) on core 1; %d s per run, median of "
        "%d runs.  \"target busy ns/IO\" is vhostd's reactor busy time per I/O." % (
            args.t, args.r, " --blk-vs-scsi" if args.blk_vs_scsi else "",
            datetime.date.today().isoformat(), machine(), args.t, args.r), "",
        tbl, "", "Commands:", ""] + ["    " + c for c in cmds])
    if not args.no_doc:
        write_doc(root, section, args.blk_vs_scsi)


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("vhost.sh: %s" % e, file=sys.stderr)
        sys.exit(1)
