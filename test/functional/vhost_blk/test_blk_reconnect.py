#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""vhostd is killed with SIGKILL while guest writes are in flight, and restarted from its saved
config (save_config before the first kill, -c on restart, same socket directory).  QEMU
(reconnect=1) reconnects and hands the inflight region back (SET_INFLIGHT_FD); the restarted
vhostd resubmits the requests the killed one had taken from the ring but not completed, the
guest's writes finish and every block verifies in the guest and in the backing file.

How the kill lands on in-flight requests, without any test knob in vhostd: the guest runs
NW concurrent writers issuing BS-byte O_DIRECT writes (an AIO bdev on a sparse file, so every
write allocates on the host file system); the test polls the controller's queue statistics and
sends SIGKILL the moment requests > completions.  A request can still finish between that RPC
and the signal, so the kill/restart cycle is repeated (each restarted instance reports its own
`resubmitted`) until one resubmitted at least one request, at most MAX_CYCLES times.

QEMU 7.2 on a back-end disconnect sets the ring's last_avail_idx back to used->idx and, on
reconnect, sends that as SET_VRING_BASE together with the same inflight region: the requests
the old back-end had fetched are both in the region (inflight = 1) and after used->idx in the
avail ring.  vhostd resubmits them from the region and starts fetching at used->idx + their
number (lib/vhost/inflight.c), so `resubmitted` is the right thing to assert.

Stopping: the writers run rounds of one pattern each (slot = writer * MAX_ROUNDS + round) until
the host writes STOP into the flag block at offset 0 of the backing file (the guest reads it
with O_DIRECT through vhostd after each round) or MAX_ROUNDS is reached.  Each writer prints
how many rounds it finished; the host checks all of those slots."""

import json
import os
import re
import time

import blkguest as bg
from blkguest import MiB, vd, vtest
from vtest import check

NW = 8                 # concurrent writers in the guest
PATSZ = 1 * MiB        # one round of one writer: PATSZ bytes in BS-sized O_DIRECT writes
BS = 256 * 1024
MAX_ROUNDS = 24
BASE = 1 * MiB         # first slot; block 0 holds the stop flag
DISK = BASE + NW * MAX_ROUNDS * PATSZ
MAX_CYCLES = 8

GUEST_SCRIPT = r"""
. /etc/guestlib.sh
DEV=/dev/vda
stopped() {
	dd if=$DEV of=/tmp/flag.$1 bs=512 count=1 iflag=direct 2>/dev/null
	grep -q STOP /tmp/flag.$1
}
writer() {
	w=$1; j=0
	while [ $j -lt @ROUNDS@ ]; do
		p=$(( (w + j) % @NW@ ))
		off=$(( @BASE@ + (w * @ROUNDS@ + j) * @PATSZ@ ))
		dd if=/p$p of=$DEV bs=@BS@ seek=$off oflag=direct,seek_bytes conv=notrunc \
			2>/tmp/err.$w || { fail "writer $w round $j: $(cat /tmp/err.$w)"; break; }
		j=$((j + 1))
		stopped $w && break
	done
	echo "WRITER $w ROUNDS $j"
	echo $j > /tmp/rounds.$w
}
echo "PHASE2-START"
w=0
while [ $w -lt @NW@ ]; do
	writer $w &
	w=$((w + 1))
done
wait
echo "PHASE2-DONE"
bad=0
w=0
while [ $w -lt @NW@ ]; do
	n=$(cat /tmp/rounds.$w); j=0
	while [ $j -lt $n ]; do
		p=$(( (w + j) % @NW@ ))
		off=$(( @BASE@ + (w * @ROUNDS@ + j) * @PATSZ@ ))
		dd if=$DEV of=/tmp/r bs=@BS@ count=$(( @PATSZ@ / @BS@ )) skip=$off \
			iflag=direct,skip_bytes 2>/dev/null && cmp /tmp/r /p$p >/dev/null ||
			{ fail "writer $w round $j differs"; bad=1; }
		j=$((j + 1))
	done
	w=$((w + 1))
done
[ $bad = 0 ] && pass "every round of the @NW@ writers verifies in the guest"
"""


def wait_console(log, text, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with open(log, "rb") as f:
            if text.encode() in f.read():
                return True
        time.sleep(0.1)
    return False


def queue0(d):
    info = bg.controller(d, "vblk0")
    if not info["connected"] or not info["queues"]:
        return None
    return info["queues"][0]


def kill_in_flight(d, proc, timeout=60):
    """SIGKILL \\p d as soon as its queue has fetched requests it has not completed.
    \\return the (requests, completions) seen just before the kill."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        q = queue0(d)
        if q is not None and q["requests"] > q["completions"]:
            d.proc.kill()
            d.kill()
            return q["requests"], q["completions"]
        time.sleep(0.002)
    raise AssertionError("no request in flight within %d s (guest %s)"
                         % (timeout, "exited" if proc.poll() is not None else "running"))


def wait_resumed(d, proc, timeout=90, min_new=32):
    """Wait until QEMU reconnected to \\p d and it completed \\p min_new requests besides the
    resubmitted ones; return queue 0."""
    deadline = time.monotonic() + timeout
    q = None
    while time.monotonic() < deadline and proc.poll() is None:
        q = queue0(d)
        if q is not None and q["completions"] >= q["resubmitted"] + min_new:
            return q
        time.sleep(0.1)
    raise AssertionError("guest I/O did not resume after the restart (last stats %r)" % (q,))


def expected_slots(console, pats):
    rounds = {int(w): int(n) for w, n in re.findall(r"WRITER (\d+) ROUNDS (\d+)", console)}
    check(sorted(rounds) == list(range(NW)), "writers that reported: %r" % rounds)
    out = []
    for w, n in rounds.items():
        for j in range(n):
            out.append((BASE + (w * MAX_ROUNDS + j) * PATSZ, pats[(w + j) % NW]))
    return rounds, out


@vtest.test(timeout=900)
def test_sigkill_with_requests_in_flight():
    g = bg.get_guest()
    d = bg.new_vhostd(name="first")
    sock_dir, tmpdir = d.sock_dir, d.tmpdir
    path = bg.export_aio(d, size=DISK)
    saved = os.path.join(tmpdir, "saved.json")
    with open(saved, "w") as f:
        json.dump(d.rpc("save_config"), f)
    pats = bg.patterns(11, [PATSZ] * NW)
    script = GUEST_SCRIPT
    for k, v in (("@NW@", NW), ("@PATSZ@", PATSZ), ("@BS@", BS), ("@ROUNDS@", MAX_ROUNDS),
                 ("@BASE@", BASE)):
        script = script.replace(k, str(v))
    proc, log, initrd = g.start(script, qemu_args=bg.qemu_blk_args(d), mem_mb=768,
                                files={"/p%d" % i: p for i, p in enumerate(pats)})
    cycles = []
    resubmitted = 0
    try:
        check(wait_console(log, "PHASE2-START", proc, 240), "guest never reached phase 2")
        for n in range(MAX_CYCLES):
            seen = kill_in_flight(d, proc)
            d = vd.Vhostd(["-c", saved, "-S", sock_dir], name="restart%d" % (n + 1))
            q = wait_resumed(d, proc)
            cycles.append({"in_flight_at_kill": seen[0] - seen[1],
                           "resubmitted": q["resubmitted"]})
            vtest.log("cycle %d: %d in flight when killed, restarted instance resubmitted %d"
                      % (n + 1, seen[0] - seen[1], q["resubmitted"]))
            resubmitted += q["resubmitted"]
            if q["resubmitted"] > 0:
                break
        with open(path, "r+b") as f:
            f.write(b"STOP".ljust(512, b"\0"))
        done = wait_console(log, "PHASE2-DONE", proc, 300)
    finally:
        res = g.wait(proc, log, initrd, timeout=400)
    vtest.log("guest ran %.1f s; cycles %r\n%s" % (res.elapsed, cycles, "\n".join(res.passes)))
    check(resubmitted > 0, "no restarted vhostd resubmitted a request in %d kill cycles: %r"
          % (len(cycles), cycles))
    check(done, "guest writes did not finish after the restarts: %s" % res.summary())
    bg.check_guest(res, "reconnect test")
    rounds, slots = expected_slots(res.console, pats)
    check(sum(rounds.values()) > 0, "the writers wrote nothing")
    bg.check_file(path, slots)
    vtest.log("host file verifies: %d rounds of %d bytes (%r)" % (len(slots), PATSZ, rounds))
    d.check_serving()


if __name__ == "__main__":
    vtest.main()
