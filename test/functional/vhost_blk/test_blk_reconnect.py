#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""vhostd is killed with SIGKILL while the guest writes, and restarted from its saved config
(save_config before the kill, -c on restart, same socket directory).  QEMU (reconnect=1)
reconnects, in-flight requests are resubmitted from the inflight region, the guest's writes
finish and every pattern verifies in the guest and in the backing file on the host."""

import json
import os
import time

import blkguest as bg
from blkguest import vd, vtest
from vtest import check

NPAT = 24
PATSZ = 65536
BASE = 1 << 20

GUEST_SCRIPT = r"""
. /etc/guestlib.sh
DEV=/dev/vda
dd if=/p0 of=$DEV bs=@SZ@ count=1 seek=0 oflag=direct,seek_bytes conv=notrunc 2>/dev/null &&
	pass "write before the kill" || fail "first write"
echo "PHASE2-START"
i=1
while [ $i -lt @N@ ]; do
	dd if=/p$i of=$DEV bs=@SZ@ count=1 seek=$(( @BASE@ + i * @SZ@ )) oflag=direct,seek_bytes \
		conv=notrunc 2>/tmp/err || { fail "write $i: $(cat /tmp/err)"; }
	sleep 0.2
	i=$((i + 1))
done
echo "PHASE2-DONE"
bad=0
i=0
while [ $i -lt @N@ ]; do
	off=$(( @BASE@ + i * @SZ@ )); [ $i = 0 ] && off=0
	dd if=$DEV of=/tmp/r bs=@SZ@ count=1 skip=$off iflag=direct,skip_bytes 2>/dev/null &&
		cmp /tmp/r /p$i >/dev/null || { fail "pattern $i differs"; bad=1; }
	i=$((i + 1))
done
[ $bad = 0 ] && pass "all @N@ patterns verify after the restart"
"""


def wait_console(log, text, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with open(log, "rb") as f:
            if text.encode() in f.read():
                return True
        time.sleep(0.1)
    return False


@vtest.test(timeout=400)
def test_sigkill_restart_resumes_io():
    g = bg.get_guest()
    d1 = bg.new_vhostd(name="first")
    path = bg.export_aio(d1)
    saved = os.path.join(d1.tmpdir, "saved.json")
    with open(saved, "w") as f:
        json.dump(d1.rpc("save_config"), f)
    pats = bg.patterns(11, [PATSZ] * NPAT)
    script = (GUEST_SCRIPT.replace("@SZ@", str(PATSZ)).replace("@N@", str(NPAT))
              .replace("@BASE@", str(BASE)))
    proc, log, initrd = g.start(script, qemu_args=bg.qemu_blk_args(d1),
                                files={"/p%d" % i: p for i, p in enumerate(pats)})
    try:
        check(wait_console(log, "PHASE2-START", proc, 120), "guest never reached phase 2")
        time.sleep(1.0)
        d1.kill()
        vtest.log("vhostd killed with SIGKILL during guest writes")
        time.sleep(1.0)
        d2 = vd.Vhostd(["-c", saved, "-S", d1.sock_dir], name="restarted")
        vtest.log("vhostd restarted from the saved config")
        done = wait_console(log, "PHASE2-DONE", proc, 120)
        stats = bg.controller(d2, "vblk0")["queues"]
    finally:
        res = g.wait(proc, log, initrd, timeout=200)
    vtest.log("guest ran %.1f s; queues after restart: %r\n%s"
              % (res.elapsed, stats, "\n".join(res.passes)))
    check(done, "guest writes did not resume after the restart: %s" % res.summary())
    bg.check_guest(res, "reconnect test")
    bg.check_file(path, [(0, pats[0])] +
                  [(BASE + i * PATSZ, pats[i]) for i in range(1, NPAT)])
    d2.check_serving()


if __name__ == "__main__":
    vtest.main()
