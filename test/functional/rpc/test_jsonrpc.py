#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""JSON-RPC 2.0 server of a real vhostd: methods, every error code, batches, framing (split,
coalesced, oversized requests), many concurrent clients, clients that misbehave.

Every test starts its own daemon and ends by checking that it still answers a good call.
"""

import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "harness"))
import vhostd as vd  # noqa: E402
import vtest  # noqa: E402
from vtest import check, check_eq, expect_rpc_error  # noqa: E402

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602

EXPECTED_METHODS = [
    "rpc_get_methods", "framework_get_reactors", "thread_get_stats",
    "framework_get_subsystems", "framework_get_config", "save_config", "log_set_flag",
    "log_clear_flag", "log_get_flags", "log_set_print_level", "log_get_print_level",
    "vhostd_get_version",
]


def req(method, params=None, id=1):
    r = {"jsonrpc": "2.0", "method": method}
    if id is not None:
        r["id"] = id
    if params is not None:
        r["params"] = params
    return r


def enc(obj):
    return json.dumps(obj).encode()


def check_error(resp, code, id="any", contains=None, what="response"):
    check(isinstance(resp, dict), "%s: not an object: %r" % (what, resp))
    check(resp.get("jsonrpc") == "2.0", "%s: no jsonrpc 2.0: %r" % (what, resp))
    check("result" not in resp, "%s: has a result: %r" % (what, resp))
    err = resp.get("error")
    check(isinstance(err, dict), "%s: no error object: %r" % (what, resp))
    check_eq(err.get("code"), code, "%s error code (message %r)" % (what, err.get("message")))
    check(isinstance(err.get("message"), str) and err["message"],
          "%s: error without a message: %r" % (what, err))
    if id != "any":
        check("id" in resp and resp["id"] == id, "%s: id %r, want %r" % (what, resp.get("id"), id))
    if contains is not None:
        check(contains.lower() in err["message"].lower(),
              "%s: message %r does not mention %r" % (what, err["message"], contains))


def check_result(resp, id, what="response"):
    check(isinstance(resp, dict), "%s: not an object: %r" % (what, resp))
    check("error" not in resp, "%s: error %r" % (what, resp.get("error")))
    check("result" in resp, "%s: no result: %r" % (what, resp))
    check_eq(resp.get("id"), id, "%s id" % what)
    check_eq(resp.get("jsonrpc"), "2.0", "%s jsonrpc" % what)
    return resp["result"]


# --- methods ----------------------------------------------------------------------------------

@vtest.test(timeout=60)
def test_rpc_get_methods_lists_all():
    d = vd.Vhostd()
    methods = d.rpc("rpc_get_methods")
    check(isinstance(methods, list) and all(isinstance(m, str) for m in methods),
          "rpc_get_methods: not a list of strings: %r" % (methods,))
    missing = [m for m in EXPECTED_METHODS if m not in methods]
    check(not missing, "rpc_get_methods lacks %s" % missing)
    check_eq(len(set(methods)), len(methods), "duplicates in rpc_get_methods")
    current = d.rpc("rpc_get_methods", {"current": True})
    missing = [m for m in EXPECTED_METHODS if m not in current]
    check(not missing, "rpc_get_methods --current (runtime) lacks %s" % missing)
    with_aliases = d.rpc("rpc_get_methods", {"include_aliases": True})
    check("spdk_get_version" in with_aliases, "alias spdk_get_version not listed: %r"
          % with_aliases)
    check(set(methods) <= set(with_aliases), "include_aliases lost methods")
    expect_rpc_error(lambda: d.rpc("rpc_get_methods", {"current": "yes"}), INVALID_PARAMS,
                     "current", "rpc_get_methods current='yes'")
    d.check_serving()


@vtest.test(timeout=60)
def test_version_and_alias():
    d = vd.Vhostd()
    v = d.rpc("vhostd_get_version")
    check_eq(v.get("version"), "vhostd v0.1.0", "version string")
    check_eq(v.get("fields"), {"major": 0, "minor": 1, "patch": 0, "suffix": ""}, "fields")
    check_eq(d.rpc("spdk_get_version"), v, "spdk_get_version (alias)")
    d.check_serving()


@vtest.test(timeout=60)
def test_log_methods():
    d = vd.Vhostd()
    flags = d.rpc("log_get_flags")
    check(isinstance(flags, dict) and flags, "log_get_flags: %r" % (flags,))
    check(all(v is False for v in flags.values()), "flags enabled by default: %r" % flags)
    name = sorted(flags)[0]
    check(d.rpc("log_set_flag", {"flag": name}) is True, "log_set_flag result not true")
    check_eq(d.rpc("log_get_flags").get(name), True, "flag %s after log_set_flag" % name)
    check(d.rpc("log_clear_flag", {"flag": name}) is True, "log_clear_flag result not true")
    check_eq(d.rpc("log_get_flags").get(name), False, "flag %s after log_clear_flag" % name)
    lvl = d.rpc("log_get_print_level")
    check(isinstance(lvl, str), "log_get_print_level: %r" % (lvl,))
    check(d.rpc("log_set_print_level", {"level": "debug"}) is True, "log_set_print_level")
    check_eq(d.rpc("log_get_print_level").lower(), "debug", "print level after set")
    d.rpc("log_set_print_level", {"level": lvl})
    check_eq(d.rpc("log_get_print_level"), lvl, "print level restored")
    d.check_serving()


@vtest.test(timeout=60)
def test_framework_info():
    d = vd.Vhostd()
    subs = d.rpc("framework_get_subsystems")
    check(isinstance(subs, list), "framework_get_subsystems: %r" % (subs,))
    names = [s.get("subsystem") for s in subs]
    check("log" in names, "no 'log' subsystem in %r" % names)
    check(all(isinstance(s.get("depends_on", []), list) for s in subs),
          "depends_on not a list: %r" % subs)
    cfg = d.rpc("framework_get_config", {"name": "log"})
    check(isinstance(cfg, list), "framework_get_config log: %r" % (cfg,))
    reactors = d.rpc("framework_get_reactors")
    check(isinstance(reactors, dict) and isinstance(reactors.get("reactors"), list),
          "framework_get_reactors: %r" % (reactors,))
    check_eq(len(reactors["reactors"]), 1, "reactors with the default mask 0x1")
    stats = d.rpc("thread_get_stats")
    check(isinstance(stats, dict) and isinstance(stats.get("threads"), list)
          and stats["threads"], "thread_get_stats: %r" % (stats,))
    saved = d.rpc("save_config")
    check(isinstance(saved, dict) and isinstance(saved.get("subsystems"), list),
          "save_config: %r" % (saved,))
    check("log" in [s.get("subsystem") for s in saved["subsystems"]], "log not in save_config")
    d.check_serving()


# --- error codes -------------------------------------------------------------------------------

@vtest.test(timeout=60)
def test_parse_error_closes_connection():
    d = vd.Vhostd()
    for bad in (b'{"jsonrpc":"2.0","id":1,"method":"x"]', b'}', b'{"a" "b"}', b'[1,2}',
                b'\x00\x01\x02garbage'):
        s = d.raw_socket()
        s.sendall(bad)
        resp = vd.read_json(s)
        check_error(resp, PARSE_ERROR, id=None, what="parse error for %r" % bad)
        check(vd.peer_closed(s), "connection not closed after parse error %r" % bad)
        s.close()
        d.check_serving()


@vtest.test(timeout=60)
def test_invalid_requests():
    d = vd.Vhostd()
    cases = [
        (b'42', None),
        (b'"rpc_get_methods"', None),
        (b'null', None),
        (b'true', None),
        (enc({"jsonrpc": "2.0", "id": 7}), 7),                               # no method
        (enc({"jsonrpc": "2.0", "method": 5, "id": 8}), 8),                  # method not str
        (enc({"jsonrpc": "2.0", "method": None, "id": 9}), 9),
        (enc({"jsonrpc": "1.0", "method": "rpc_get_methods", "id": 10}), 10),
        (enc({"jsonrpc": 2.0, "method": "rpc_get_methods", "id": 11}), 11),
        (enc({"method": "rpc_get_methods", "id": 12}), 12),                  # no jsonrpc
        (enc(req("rpc_get_methods", "string", 13)), 13),                     # params type
        (enc(req("rpc_get_methods", 5, 14)), 14),
        (enc({"jsonrpc": "2.0", "method": "rpc_get_methods", "params": None, "id": 15}), 15),
        (enc({"jsonrpc": "2.0", "method": "rpc_get_methods", "id": {"a": 1}}), None),
        (enc({"jsonrpc": "2.0", "method": "rpc_get_methods", "id": [1]}), None),
    ]
    for data, id in cases:
        s = d.raw_socket()
        # The newline ends a bare top-level number ("42" could still become "421").
        s.sendall(data + b"\n")
        resp = vd.read_json(s)
        check_error(resp, INVALID_REQUEST, what="invalid request %r" % data)
        check(resp.get("id") in (id, None), "invalid request %r: id %r, want %r or null"
              % (data, resp.get("id"), id))
        # An invalid request is not a framing error: the same connection keeps working.
        s.sendall(enc(req("vhostd_get_version", id=99)))
        check_result(vd.read_json(s), 99, "good call after %r" % data)
        s.close()
    d.check_serving()


@vtest.test(timeout=60)
def test_method_not_found():
    d = vd.Vhostd()
    s = d.raw_socket()
    s.sendall(enc(req("no_such_method", id="abc")))
    check_error(vd.read_json(s), METHOD_NOT_FOUND, id="abc", what="unknown method")
    s.sendall(enc(req("", id=2)))
    resp = vd.read_json(s)
    check(resp.get("error", {}).get("code") in (METHOD_NOT_FOUND, INVALID_REQUEST),
          "empty method name: %r" % (resp,))
    s.sendall(enc(req("x" * 5000, id=3)))
    check_error(vd.read_json(s), METHOD_NOT_FOUND, id=3, what="5000-char method name")
    s.close()
    expect_rpc_error(lambda: d.rpc("RPC_GET_METHODS"), METHOD_NOT_FOUND, what="wrong case")
    d.check_serving()


@vtest.test(timeout=60)
def test_invalid_params():
    d = vd.Vhostd()
    cases = [
        ("log_set_flag", None, "flag"),
        ("log_set_flag", {}, "flag"),
        ("log_set_flag", {"flag": 5}, "flag"),
        ("log_set_flag", {"flag": None}, "flag"),
        ("log_set_flag", ["jsonrpc"], None),
        ("log_clear_flag", {"flag": True}, "flag"),
        ("log_set_print_level", {"level": "loud"}, "level"),
        ("log_set_print_level", {"level": 3}, "level"),
        ("framework_get_config", {}, "name"),
        ("framework_get_config", {"name": 1}, "name"),
        ("vhostd_get_version", {"bogus": 1}, "bogus"),
    ]
    for method, params, word in cases:
        e = expect_rpc_error(lambda: d.rpc(method, params), INVALID_PARAMS,
                             what="%s %r" % (method, params))
        msg = str(e.message).lower()
        # Without params at all, naming "params" is as good as naming the missing field.
        check(word is None or word in msg or (params is None and "params" in msg),
              "%s %r: message %r does not name %r" % (method, params, e.message, word))
    e = expect_rpc_error(lambda: d.rpc("framework_get_config", {"name": "no_such_subsystem"}),
                         what="framework_get_config unknown name")
    check(e.code != 0, "framework_get_config unknown name: code 0")
    d.check_serving()


@vtest.test(timeout=60)
def test_id_types_echoed():
    d = vd.Vhostd()
    s = d.raw_socket()
    for id in ("abc", "", 0, -1, 2 ** 53, 1.5, None, "é😀"):
        # "id": null is a request (answered with id null), unlike a missing id.
        s.sendall(enc({"jsonrpc": "2.0", "method": "vhostd_get_version", "id": id}))
        check_result(vd.read_json(s), id, "id %r" % (id,))
    s.close()
    d.check_serving()


# --- batches and notifications ---------------------------------------------------------------

@vtest.test(timeout=60)
def test_batch_mixed():
    d = vd.Vhostd()
    batch = [
        req("vhostd_get_version", id=1),
        req("log_get_flags", id=None),                 # notification: no answer
        req("no_such_method", id=2),
        42,                                            # invalid element
        req("log_set_flag", {"flag": 5}, id=3),
        req("rpc_get_methods", id="four"),
    ]
    s = d.raw_socket()
    s.sendall(enc(batch))
    resp = vd.read_json(s)
    check(isinstance(resp, list), "batch answer is not an array: %r" % (resp,))
    check_eq(len(resp), 5, "number of batch answers")
    by_id = {}
    for r in resp:
        if r.get("id") is None:
            check_error(r, INVALID_REQUEST, what="batch element 42")
        else:
            by_id[r["id"]] = r
    check_eq(sorted(by_id, key=str), [1, 2, 3, "four"], "batch answer ids")
    check_eq(check_result(by_id[1], 1)["version"], "vhostd v0.1.0", "batch version")
    check_error(by_id[2], METHOD_NOT_FOUND, id=2)
    check_error(by_id[3], INVALID_PARAMS, id=3, contains="flag")
    check(isinstance(check_result(by_id["four"], "four"), list), "batch rpc_get_methods")
    s.close()
    d.check_serving()


@vtest.test(timeout=60)
def test_batch_empty_and_nested():
    d = vd.Vhostd()
    s = d.raw_socket()
    s.sendall(b"[]")
    check_error(vd.read_json(s), INVALID_REQUEST, id=None, what="empty batch")
    s.sendall(enc([[req("vhostd_get_version", id=1)]]))
    resp = vd.read_json(s)
    check(isinstance(resp, list) and len(resp) == 1, "nested batch: %r" % (resp,))
    check_error(resp[0], INVALID_REQUEST, what="nested batch element")
    s.sendall(enc([1, 2, 3]))
    resp = vd.read_json(s)
    check(isinstance(resp, list) and len(resp) == 3, "batch of numbers: %r" % (resp,))
    for r in resp:
        check_error(r, INVALID_REQUEST, what="batch element number")
    s.sendall(enc(req("vhostd_get_version", id=5)))
    check_result(vd.read_json(s), 5, "call after batches")
    s.close()
    d.check_serving()


@vtest.test(timeout=60)
def test_notifications_get_no_reply():
    d = vd.Vhostd()
    s = d.raw_socket()
    flag = sorted(d.rpc("log_get_flags"))[0]
    s.sendall(enc([req("log_get_flags", id=None), req("no_such_method", id=None)]))
    s.sendall(enc(req("log_set_flag", {"flag": flag}, id=None)))
    s.sendall(enc(req("no_such_method", id=None)))
    s.sendall(enc(req("log_set_flag", {"flag": 5}, id=None)))
    s.sendall(enc(req("vhostd_get_version", id=77)))
    # The first thing to come back must be the answer to the one real request.
    check_result(vd.read_json(s), 77, "answer after notifications")
    s.close()
    # The notification did run.
    check_eq(d.rpc("log_get_flags").get(flag), True, "flag set by a notification")
    d.check_serving()


# --- framing ----------------------------------------------------------------------------------

@vtest.test(timeout=90)
def test_request_split_across_writes():
    d = vd.Vhostd()
    s = d.raw_socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    data = enc(req("vhostd_get_version", {}, id=1))
    for i in range(len(data)):
        s.sendall(data[i:i + 1])
        time.sleep(0.003)
    check_result(vd.read_json(s), 1, "byte-by-byte request")
    # Multi-byte UTF-8 characters split between writes.
    data = json.dumps(req("méthode_é😀", id=2), ensure_ascii=False).encode()
    try:
        for i in range(0, len(data), 3):
            s.sendall(data[i:i + 3])
            time.sleep(0.01)
    except (BrokenPipeError, ConnectionResetError):
        raise AssertionError("server closed the connection when a multi-byte UTF-8 "
                             "character was split between writes (after %d bytes)" % i)
    check_error(vd.read_json(s), METHOD_NOT_FOUND, id=2, what="split UTF-8")
    # Split in a few large pieces with longer pauses.
    data = enc(req("log_get_flags", id=3))
    s.sendall(data[:10])
    time.sleep(0.3)
    s.sendall(data[10:20])
    time.sleep(0.3)
    s.sendall(data[20:])
    check_result(vd.read_json(s), 3, "request in three pieces")
    s.close()
    d.check_serving()


@vtest.test(timeout=60)
def test_many_requests_in_one_write():
    d = vd.Vhostd()
    s = d.raw_socket()
    seps = [b"", b"\n", b" \r\n\t "]
    data = b"".join(enc(req("vhostd_get_version", id=i)) + seps[i % 3] for i in range(200))
    s.sendall(data)
    resp = vd.read_all_json(s, count=200)
    check_eq(len(resp), 200, "answers")
    check_eq(sorted(r.get("id") for r in resp), list(range(200)), "answer ids")
    for r in resp:
        check_result(r, r["id"])
    # A good request and a parse error in one write: the good one is answered first.
    s.sendall(enc(req("vhostd_get_version", id=500)) + b"{bad json")
    resp = vd.read_all_json(s, count=2)
    check_eq(len(resp), 2, "answers to good+bad")
    check_result(resp[0], 500, "good request before garbage")
    check_error(resp[1], PARSE_ERROR, id=None, what="garbage after good request")
    check(vd.peer_closed(s), "not closed after parse error")
    s.close()
    d.check_serving()


@vtest.test(timeout=120)
def test_oversized_request():
    d = vd.Vhostd()
    pad = "a" * (2 * 1024 * 1024)
    data = enc(req("log_set_flag", {"flag": "x", "pad": pad}, id=1))
    s = d.raw_socket(timeout=30)
    sent = []

    def writer():
        try:
            s.sendall(data)
            sent.append(True)
        except OSError:
            sent.append(False)     # the server closed while we were still writing: fine

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    resp = vd.read_json(s, timeout=30)
    check_error(resp, INVALID_REQUEST, what="2 MiB request")
    msg = resp["error"]["message"].lower()
    check("large" in msg or "limit" in msg or "1048576" in msg,
          "oversized error does not mention the limit: %r" % resp["error"]["message"])
    check(vd.peer_closed(s, 30), "connection not closed after an oversized request")
    s.close()
    t.join(30)
    d.check_serving()
    # Just under the limit is accepted (with a clear error for the extra parameter or not).
    pad = "b" * (1024 * 1024 - 200)
    data = enc(req("vhostd_get_version", {"pad": pad}, id=2))
    check(len(data) < 1024 * 1024, "test bug: request not under the limit")
    s = d.raw_socket(timeout=30)
    s.sendall(data)
    check_error(vd.read_json(s, 30), INVALID_PARAMS, id=2, contains="pad",
                what="request just under the limit")
    s.close()
    # A long stream of whitespace-separated small requests is not "one large request".
    s = d.raw_socket(timeout=30)
    one = enc(req("vhostd_get_version", id=3)) + b" " * 1000
    total = (2 * 1024 * 1024) // len(one) + 1
    t = threading.Thread(target=lambda: s.sendall(one * total), daemon=True)
    t.start()
    resp = vd.read_all_json(s, timeout=60, count=total)
    check_eq(len(resp), total, "answers to %d small requests (2 MiB in all)" % total)
    check(all("result" in r for r in resp), "an error among small requests")
    t.join(30)
    s.close()
    d.check_serving()


@vtest.test(timeout=60)
def test_deep_nesting_and_bad_bytes():
    d = vd.Vhostd()
    for data in (b"[" * 100000 + b"]" * 100000,
                 b'{"a":' * 50000 + b"1" + b"}" * 50000,
                 b'{"jsonrpc":"2.0","method":"\xff\xfe","id":1}',
                 b'{"jsonrpc":"2.0","method":"vhostd_get_version","id":1e999999}',
                 b"\x00" * 1000):
        s = d.raw_socket()
        try:
            s.sendall(data)
            resp = vd.read_json(s)
        except (BrokenPipeError, ConnectionResetError):
            resp = None
        check(resp is None or isinstance(resp, (dict, list)), "odd answer %r" % (resp,))
        s.close()
        d.check_serving()


# --- clients ----------------------------------------------------------------------------------

@vtest.test(timeout=180)
def test_concurrent_clients():
    d = vd.Vhostd()
    nclients, ncalls = 100, 5
    barrier = threading.Barrier(nclients)
    errors = []

    def client(n):
        try:
            s = d.raw_socket(timeout=60)
            barrier.wait(60)
            for i in range(ncalls):
                id = n * 1000 + i
                if i % 2 == 0:
                    s.sendall(enc(req("vhostd_get_version", id=id)))
                    r = vd.read_json(s, 60)
                    check_eq(check_result(r, id)["version"], "vhostd v0.1.0", "version")
                else:
                    s.sendall(enc([req("no_such", id=id), req("log_get_flags", id=-id - 1)]))
                    r = vd.read_json(s, 60)
                    check(isinstance(r, list) and len(r) == 2, "batch answer %r" % (r,))
                    r = sorted(r, key=lambda x: x["id"])
                    check_result(r[0], -id - 1)
                    check_error(r[1], METHOD_NOT_FOUND, id=id)
            s.close()
        except BaseException as e:  # noqa: BLE001
            errors.append("client %d: %s: %s" % (n, type(e).__name__, e))

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(nclients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    check(not any(t.is_alive() for t in threads), "clients still running after 120 s")
    check(not errors, "%d clients failed, first: %s" % (len(errors), errors[:3]))
    d.check_serving()


@vtest.test(timeout=60)
def test_misbehaving_clients():
    d = vd.Vhostd()
    # Half a request, then hang up.
    s = d.raw_socket()
    s.sendall(b'{"jsonrpc":"2.0","method":"vhostd_get_ver')
    s.close()
    d.check_serving()
    # Requests, then hang up before reading the answers (the answers go nowhere).
    s = d.raw_socket()
    s.sendall(b"".join(enc(req("rpc_get_methods", id=i)) for i in range(50)))
    s.close()
    d.check_serving()
    # Connect and close at once, many times.
    for _ in range(200):
        d.raw_socket().close()
    d.check_serving()
    # Reset (RST) with unread data queued on the server side.
    s = d.raw_socket()
    s.sendall(enc(req("rpc_get_methods", id=1)))
    time.sleep(0.1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    d.check_serving()
    # Half-close (like nc -N): the answer still arrives.
    s = d.raw_socket()
    s.sendall(enc(req("vhostd_get_version", id=5)))
    s.shutdown(socket.SHUT_WR)
    check_result(vd.read_json(s), 5, "answer after half-close")
    check(vd.peer_closed(s), "server keeps a half-closed connection open after answering")
    s.close()
    # Idle connections do not block other clients.
    idle = [d.raw_socket() for _ in range(20)]
    d.check_serving()
    for s in idle:
        s.close()
    d.check_serving()


@vtest.test(timeout=180)
def test_slow_reader():
    d = vd.Vhostd()
    n = 3000
    s = d.raw_socket(timeout=60)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    data = b"".join(enc(req("rpc_get_methods", {"include_aliases": True}, id=i))
                    for i in range(n))
    t = threading.Thread(target=lambda: s.sendall(data), daemon=True)
    t.start()
    time.sleep(1.0)
    # While this client reads nothing, others are served promptly.
    for _ in range(5):
        t0 = time.monotonic()
        d.check_serving()
        check(time.monotonic() - t0 < 2.0, "daemon slow while a client does not read")
    # Now read slowly: every answer arrives, in order.
    got = []
    dec = json.JSONDecoder()
    buf = ""
    deadline = time.monotonic() + 120
    while len(got) < n and time.monotonic() < deadline:
        chunk = s.recv(8192)
        if not chunk:
            break
        buf += chunk.decode()
        while True:
            buf = buf.lstrip()
            try:
                obj, end = dec.raw_decode(buf)
            except json.JSONDecodeError:
                break
            got.append(obj)
            buf = buf[end:]
        if len(got) < 100:
            time.sleep(0.01)
    check_eq(len(got), n, "answers read by the slow reader")
    check_eq([r.get("id") for r in got], list(range(n)), "answer order")
    t.join(30)
    s.close()
    d.check_serving()


if __name__ == "__main__":
    vtest.main()
