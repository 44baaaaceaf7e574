#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""A tiny test framework for functional test scripts (standard library only).

    import vtest
    @vtest.test(timeout=30)
    def test_something():
        vtest.check(1 + 1 == 2, "arithmetic")
    if __name__ == "__main__":
        vtest.main()

Each test prints one line on stdout that test/run_tests.sh counts:
    TEST-RESULT: PASS <name>
    TEST-RESULT: FAIL <name>: <reason>
    TEST-RESULT: SKIP <name>: <reason>
The script exits 1 when any test failed.  A test that runs longer than its timeout is
interrupted (SIGALRM raises in the main thread, also inside blocking socket calls) and fails.
After every test, vhostd instances it left running are stopped; when it failed, the tail of
their logs is printed (not as TEST-RESULT lines).

Run a subset: ./test_x.py NAME...   (substring match)
"""

import os
import signal
import sys
import time
import traceback

import vhostd as vd

_tests = []


class Skip(Exception):
    """Raise to skip the current test with a reason."""


class TestTimeout(BaseException):
    """Raised by the alarm; BaseException so that tests' `except Exception` do not eat it."""


def test(timeout=60, name=None):
    def deco(fn):
        _tests.append((name or fn.__name__, fn, timeout))
        return fn
    return deco


def skip(reason):
    raise Skip(reason)


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def check_eq(got, want, what="value"):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def expect_rpc_error(fn, code=None, contains=None, what="call"):
    """Run fn(); it must raise RpcError with \\p code and a message containing \\p contains."""
    try:
        res = fn()
    except vd.RpcError as e:
        if code is not None and e.code != code:
            raise AssertionError("%s: error code %r (%s), want %r"
                                 % (what, e.code, e.message, code))
        if contains is not None and contains.lower() not in str(e.message).lower():
            raise AssertionError("%s: error message %r does not mention %r"
                                 % (what, e.message, contains))
        return e
    raise AssertionError("%s: succeeded with %r, want an error" % (what, res))


def log(msg):
    print("# " + msg.replace("\n", "\n# "), flush=True)


def _alarm(signum, frame):
    raise TestTimeout()


def _one_line(text):
    return " | ".join(l.strip() for l in str(text).strip().splitlines() if l.strip())[:600]


def _cleanup_instances(failed):
    for inst in list(vd.instances):
        try:
            if inst.alive():
                inst.kill()
            if failed:
                log("---- log of %s (%s), last lines ----\n%s"
                    % (inst.name, inst.rpc_sock, vd.tail(inst.log_text(), 40)))
            inst.cleanup()
        except Exception as e:  # cleanup must not hide the test result
            log("cleanup of %s failed: %s" % (inst.name, e))
    del vd.instances[:]


def _run_one(name, fn, timeout):
    signal.signal(signal.SIGALRM, _alarm)
    start = time.monotonic()
    status, reason = "PASS", ""
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except TestTimeout:
        status, reason = "FAIL", "timed out after %d s" % timeout
    except Skip as e:
        status, reason = "SKIP", str(e)
    except KeyboardInterrupt:
        raise
    except Exception as e:  # noqa: BLE001 - report every error as a failure
        status = "FAIL"
        reason = "%s: %s" % (type(e).__name__, e) if not isinstance(e, AssertionError) \
            else (str(e) or "assertion failed")
        log(traceback.format_exc())
    try:
        _cleanup_instances(status == "FAIL")
    except TestTimeout:
        pass
    elapsed = time.monotonic() - start
    if status == "PASS":
        print("TEST-RESULT: PASS %s" % name, flush=True)
    else:
        print("TEST-RESULT: %s %s: %s" % (status, name, _one_line(reason)), flush=True)
    log("%s took %.2f s" % (name, elapsed))
    return status


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    selected = [t for t in _tests if not argv or any(a in t[0] for a in argv)]
    if not os.access(vd.vhostd_bin(), os.X_OK):
        for name, _, _ in selected:
            print("TEST-RESULT: FAIL %s: %s is not built" % (name, vd.vhostd_bin()), flush=True)
        sys.exit(1)
    log("vhostd: %s (no_huge=%s)" % (vd.vhostd_bin(), vd.want_no_huge()))
    results = [_run_one(name, fn, timeout) for name, fn, timeout in selected]
    nfail = results.count("FAIL")
    log("%d passed, %d failed, %d skipped" % (results.count("PASS"), nfail,
                                              results.count("SKIP")))
    sys.exit(1 if nfail else 0)
