#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""JSON-RPC client for vhostd, with the command names and argument syntax of SPDK's rpc.py.

    rpc.py [-s SOCK] [-t SEC] [-v] [--dry-run] COMMAND [ARGS...]
    rpc.py call METHOD ['{"json": "params"}']      any method, raw parameters

Standard library only, one self-contained file (it is installed alone as vhostd-rpc.py).
Adding a command: append a Cmd(...) to COMMANDS.  Each Arg names the JSON parameter it fills
(param=...); arguments left unset (None, or False for flags) are not sent.  A command with an
unusual mapping passes build=function(args) -> params, or run=function(client, args) for
client-side logic (save_config, load_config).

Output: results are printed as JSON (indent 2), strings without quotes; errors go to stderr
as the request and the {"code", "message"} object, and the exit status is 1.
"""

import argparse
import json
import os
import socket
import sys
import time

DEFAULT_SOCK = "/var/tmp/vhostd.sock"
DEFAULT_TIMEOUT = 60.0


class RpcError(Exception):
    """An error answer ({code, message}) from the server."""

    def __init__(self, code, message, request=None):
        super().__init__("%s (code %s)" % (message, code))
        self.code = code
        self.message = message
        self.request = request


class RpcConnectionError(Exception):
    """The server could not be reached, or the connection failed mid-call."""


class JsonRpcClient:
    """A JSON-RPC 2.0 client on a UNIX stream socket.

    Answers are read robustly: bytes accumulate until one complete JSON value decodes, so a
    response split over many reads, or several in one read, is handled.
    """

    def __init__(self, path=DEFAULT_SOCK, timeout=DEFAULT_TIMEOUT, verbose=False):
        self.path = path
        self.timeout = timeout
        self.verbose = verbose
        self.sock = None
        self.buf = b""
        self.next_id = 1
        self._decoder = json.JSONDecoder()

    def connect(self):
        if self.sock is not None:
            return
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self.path)
        except FileNotFoundError:
            s.close()
            raise RpcConnectionError(
                "no RPC socket at %s (is vhostd running? choose the socket with -s)" % self.path)
        except ConnectionRefusedError:
            s.close()
            raise RpcConnectionError(
                "connection refused on %s (stale socket: vhostd is not running there)"
                % self.path)
        except PermissionError:
            s.close()
            raise RpcConnectionError("permission denied on %s (run as the daemon's user)"
                                     % self.path)
        except OSError as e:
            s.close()
            raise RpcConnectionError("cannot connect to %s: %s" % (self.path, e.strerror or e))
        self.sock = s

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.buf = b""

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.close()

    def make_request(self, method, params=None):
        req = {"jsonrpc": "2.0", "method": method, "id": self.next_id}
        self.next_id += 1
        if params is not None:
            req["params"] = params
        return req

    def send(self, obj):
        data = json.dumps(obj).encode()
        if self.verbose:
            print("request:\n" + json.dumps(obj, indent=2), file=sys.stderr)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise RpcConnectionError("timed out sending to %s" % self.path)
        except OSError as e:
            raise RpcConnectionError("send to %s failed: %s" % (self.path, e.strerror or e))

    def _try_decode(self):
        text = self.buf.lstrip()
        if not text:
            return None
        try:
            s = text.decode("utf-8")
        except UnicodeDecodeError:
            # Possibly a multi-byte character split across reads: wait for more.
            return None
        try:
            obj, end = self._decoder.raw_decode(s)
        except json.JSONDecodeError:
            return None
        self.buf = s[end:].encode()
        return obj

    def recv(self, timeout=None):
        """Read one JSON value.  Raises RpcConnectionError on timeout or close."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            obj = self._try_decode()
            if obj is not None:
                if self.verbose:
                    print("response:\n" + json.dumps(obj, indent=2), file=sys.stderr)
                return obj
            left = deadline - time.monotonic()
            if left <= 0:
                raise RpcConnectionError("timed out waiting for an answer from %s" % self.path)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as e:
                raise RpcConnectionError("receive from %s failed: %s"
                                         % (self.path, e.strerror or e))
            finally:
                self.sock.settimeout(self.timeout)
            if not chunk:
                raise RpcConnectionError("%s closed the connection%s" % (
                    self.path, " with an incomplete answer" if self.buf.strip() else ""))
            self.buf += chunk

    def call(self, method, params=None):
        """Send one request and return its result; raise RpcError for an error answer."""
        self.connect()
        req = self.make_request(method, params)
        self.send(req)
        while True:
            resp = self.recv()
            if isinstance(resp, dict) and resp.get("id") not in (req["id"], None):
                continue  # an answer to someone else's request: not ours
            break
        if not isinstance(resp, dict):
            raise RpcConnectionError("malformed answer from %s: %r" % (self.path, resp))
        if "error" in resp:
            err = resp["error"]
            if not isinstance(err, dict):
                raise RpcError(None, str(err), req)
            raise RpcError(err.get("code"), err.get("message"), req)
        if "result" not in resp:
            raise RpcConnectionError("answer from %s has neither result nor error: %r"
                                     % (self.path, resp))
        return resp["result"]


# ----------------------------------------------------------------------------------------
# Command table


class Arg:
    """One argparse argument; param names the JSON field it fills (None: not sent)."""

    def __init__(self, *flags, param=None, **kwargs):
        self.flags = flags
        self.param = param
        self.kwargs = kwargs


class Cmd:
    def __init__(self, name, help, args=(), method=None, build=None, run=None, out="json",
                 aliases=()):
        self.name = name
        self.help = help
        self.args = list(args)
        self.method = method or name
        self.build = build
        self.run = run
        self.out = out        # "json", or "none": print nothing for a plain true result
        self.aliases = aliases


def mb_to_blocks(args):
    if args.total_size <= 0:
        raise ValueError("total_size must be > 0 (MB)")
    if args.block_size <= 0:
        raise ValueError("block_size must be > 0")
    blocks = int(args.total_size * 1024 * 1024) // args.block_size
    if blocks == 0:
        raise ValueError("total_size is smaller than one block")
    return blocks


def build_malloc_create(args):
    p = {"num_blocks": mb_to_blocks(args), "block_size": args.block_size}
    if args.name is not None:
        p["name"] = args.name
    if args.uuid is not None:
        p["uuid"] = args.uuid
    return p


def build_null_create(args):
    return {"name": args.name, "num_blocks": mb_to_blocks(args), "block_size": args.block_size}


def build_call(args):
    if args.params is None:
        return None
    try:
        return json.loads(args.params)
    except json.JSONDecodeError as e:
        raise ValueError("params are not valid JSON: %s" % e)


def save_config_obj(client):
    """Build the configuration like SPDK: framework_get_config for every subsystem."""
    config = {"subsystems": []}
    for sub in client.call("framework_get_subsystems"):
        name = sub["subsystem"]
        config["subsystems"].append({
            "subsystem": name,
            "config": client.call("framework_get_config", {"name": name}),
        })
    return config


def dump_json(obj, indent, fd):
    if indent is not None and indent < 0:
        indent = None
    fd.write(json.dumps(obj, indent=indent) + "\n")


def run_save_config(client, args):
    config = save_config_obj(client)
    if args.filename:
        with open(args.filename, "w") as f:
            dump_json(config, args.indent, f)
    else:
        dump_json(config, args.indent, sys.stdout)


def read_config(args):
    try:
        if args.json_file is None or args.json_file == "-":
            text = sys.stdin.read()
        else:
            with open(args.json_file) as f:
                text = f.read()
        config = json.loads(text)
    except OSError as e:
        raise ValueError("cannot read %s: %s" % (args.json_file, e.strerror))
    except json.JSONDecodeError as e:
        raise ValueError("configuration is not valid JSON: %s" % e)
    if not isinstance(config, dict) or not isinstance(config.get("subsystems"), list):
        raise ValueError('configuration needs {"subsystems": [...]}')
    return config


def run_load_config(client, args):
    """Call every configured method in order; stop at the first error (-e: keep going)."""
    config = read_config(args)
    failed = 0
    for sub in config["subsystems"]:
        entries = sub.get("config") if isinstance(sub, dict) else None
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise ValueError("subsystem %r: config is not a list" % sub.get("subsystem"))
        for ent in entries:
            if not isinstance(ent, dict) or not isinstance(ent.get("method"), str):
                raise ValueError("subsystem %r: entry without a method: %r"
                                 % (sub.get("subsystem"), ent))
            try:
                client.call(ent["method"], ent.get("params"))
            except RpcError as e:
                if not args.ignore_errors:
                    raise
                failed += 1
                print("load_config: %s failed: %s (code %s)" % (ent["method"], e.message, e.code),
                      file=sys.stderr)
    if failed:
        raise ValueError("%d method(s) failed" % failed)


def name_arg(flag_help="bdev name"):
    return Arg("-b", "--name", param="name", help=flag_help)


COMMANDS = [
    # --- framework, rpc, version ---
    Cmd("rpc_get_methods", "List the server's RPC methods", [
        Arg("--current", param="current", action="store_true",
            help="only methods callable in the current state"),
        Arg("-i", "--include-aliases", param="include_aliases", action="store_true",
            help="include deprecated/alias names"),
    ]),
    Cmd("spdk_get_version", "Get the version (alias of vhostd_get_version)"),
    Cmd("vhostd_get_version", "Get the version"),
    Cmd("framework_get_reactors", "Show reactors and their threads"),
    Cmd("framework_get_subsystems", "List subsystems and their dependencies"),
    Cmd("framework_wait_init", "Wait until start-up (subsystems and -c config) is complete"),
    Cmd("framework_get_config", "Show one subsystem's configuration",
        [Arg("name", param="name", help="subsystem name")]),
    Cmd("thread_get_stats", "Show per-thread statistics"),
    Cmd("save_config", "Write the running configuration (JSON) to stdout or a file", [
        Arg("-i", "--indent", type=int, default=2, help="indent (< 0: compact), default 2"),
        Arg("-o", "--filename", help="write to this file instead of stdout"),
    ], run=run_save_config),
    Cmd("load_config", "Apply a JSON configuration (stdin or -j FILE) method by method", [
        Arg("-j", "--json", dest="json_file", help="configuration file (default stdin)"),
        Arg("-e", "--ignore-errors", action="store_true", help="continue after a failed call"),
    ], run=run_load_config),
    # --- log ---
    Cmd("log_set_flag", "Enable a log component", [Arg("flag", param="flag")], out="none"),
    Cmd("log_clear_flag", "Disable a log component", [Arg("flag", param="flag")], out="none"),
    Cmd("log_get_flags", "Show log components and whether they are enabled"),
    Cmd("log_set_print_level", "Set the print level (error, warning, notice, info, debug)",
        [Arg("level", param="level")], out="none"),
    Cmd("log_get_print_level", "Show the print level"),
    # --- bdev ---
    Cmd("bdev_malloc_create", "Create a RAM bdev", [
        Arg("-b", "--name", help="bdev name (default: generated)"),
        Arg("-u", "--uuid", help="UUID of the bdev"),
        Arg("total_size", type=float, help="size in MB"),
        Arg("block_size", type=int, help="block size in bytes"),
    ], build=build_malloc_create),
    Cmd("bdev_malloc_delete", "Delete a malloc bdev", [Arg("name", param="name")], out="none"),
    Cmd("bdev_null_create", "Create a null bdev (discards writes, reads zeroes)", [
        Arg("name"),
        Arg("total_size", type=float, help="size in MB"),
        Arg("block_size", type=int, help="block size in bytes"),
    ], build=build_null_create),
    Cmd("bdev_null_delete", "Delete a null bdev", [Arg("name", param="name")], out="none"),
    Cmd("bdev_aio_create", "Create a bdev on a file or block device (Linux AIO)", [
        Arg("filename", param="filename"),
        Arg("name", param="name"),
        Arg("block_size", param="block_size", type=int, nargs="?", help="default: detected"),
    ]),
    Cmd("bdev_aio_delete", "Delete an AIO bdev", [Arg("name", param="name")], out="none"),
    Cmd("bdev_uring_create", "Create a bdev on a file or block device (io_uring)", [
        Arg("filename", param="filename"),
        Arg("name", param="name"),
        Arg("block_size", param="block_size", type=int, nargs="?", help="default: detected"),
    ]),
    Cmd("bdev_uring_delete", "Delete an io_uring bdev", [Arg("name", param="name")],
        out="none"),
    Cmd("bdev_get_bdevs", "List bdevs", [name_arg("only this bdev")]),
    Cmd("bdev_get_iostat", "Show bdev I/O statistics", [name_arg("only this bdev")]),
    Cmd("bdev_virtio_attach_controller", "Attach a virtio device and create bdevs on it", [
        Arg("name", param="name", help="base name of the bdevs"),
        Arg("-t", "--trtype", param="trtype", required=True, help="user or pci"),
        Arg("-a", "--traddr", param="traddr", required=True,
            help="vhost-user socket path or PCI address"),
        Arg("-d", "--dev-type", param="dev_type", required=True, help="blk or scsi"),
        Arg("--vq-count", param="vq_count", type=int, help="number of queues"),
        Arg("--vq-size", param="vq_size", type=int, help="size of each queue"),
    ]),
    Cmd("bdev_virtio_detach_controller", "Detach a virtio device",
        [Arg("name", param="name")], out="none"),
    # --- vhost ---
    Cmd("vhost_create_blk_controller", "Create a vhost-user-blk controller", [
        Arg("ctrlr", param="ctrlr", help="controller (and socket) name"),
        Arg("dev_name", param="dev_name", help="bdev name"),
        Arg("--cpumask", param="cpumask", help="cores the controller may run on"),
        Arg("-r", "--readonly", param="readonly", action="store_true"),
        Arg("-p", "--packed_ring", param="packed_ring", action="store_true"),
    ], out="none"),
    Cmd("vhost_create_scsi_controller", "Create a vhost-user-scsi controller", [
        Arg("ctrlr", param="ctrlr"),
        Arg("--cpumask", param="cpumask"),
    ], out="none"),
    Cmd("vhost_scsi_controller_add_target", "Add a bdev as a SCSI target", [
        Arg("ctrlr", param="ctrlr"),
        Arg("scsi_target_num", param="scsi_target_num", type=int),
        Arg("bdev_name", param="bdev_name"),
    ]),
    Cmd("vhost_scsi_controller_remove_target", "Remove a SCSI target", [
        Arg("ctrlr", param="ctrlr"),
        Arg("scsi_target_num", param="scsi_target_num", type=int),
    ], out="none"),
    Cmd("vhost_create_nvme_controller", "Create a vhost-user-nvme controller", [
        Arg("ctrlr", param="ctrlr"),
        Arg("io_queues", param="io_queues", type=int),
        Arg("--cpumask", param="cpumask"),
    ], out="none"),
    Cmd("vhost_nvme_controller_add_ns", "Add a bdev as an NVMe namespace", [
        Arg("ctrlr", param="ctrlr"),
        Arg("bdev_name", param="bdev_name"),
    ], out="none"),
    Cmd("vhost_get_controllers", "List vhost controllers",
        [Arg("-n", "--name", param="name", help="only this controller")]),
    Cmd("vhost_delete_controller", "Delete a vhost controller", [Arg("ctrlr", param="ctrlr")],
        out="none"),
    # --- escape hatch ---
    Cmd("call", "Call any method: call METHOD ['JSON params']", [
        Arg("rpc_method", metavar="METHOD"),
        Arg("params", nargs="?", help="JSON parameters (object or array)"),
    ], build=build_call),
]


def default_params(cmd, args):
    params = {}
    for a in cmd.args:
        if a.param is None:
            continue
        dest = a.kwargs.get("dest") or a.flags[-1].lstrip("-").replace("-", "_")
        val = getattr(args, dest, None)
        if val is None or val is False:
            continue
        params[a.param] = val
    return params or None


def make_parser():
    parser = argparse.ArgumentParser(
        description="vhostd JSON-RPC client (SPDK rpc.py syntax)",
        epilog="'%(prog)s COMMAND -h' shows a command's arguments")
    parser.add_argument("-s", "--server", default=os.environ.get("VHOSTD_RPC_SOCK", DEFAULT_SOCK),
                        help="RPC socket path (default %s)" % DEFAULT_SOCK)
    parser.add_argument("-t", "--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds to wait for an answer (default %d)" % DEFAULT_TIMEOUT)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print requests and responses on stderr")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the request instead of sending it")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help, aliases=cmd.aliases)
        for a in cmd.args:
            p.add_argument(*a.flags, **a.kwargs)
        p.set_defaults(cmd=cmd)
    return parser


def print_result(cmd, result):
    if result is True and cmd.out == "none":
        return
    if isinstance(result, str):
        print(result)
    else:
        print(json.dumps(result, indent=2))


def print_error(e):
    if e.request is not None:
        print("request:\n" + json.dumps(e.request, indent=2), file=sys.stderr)
    print("Got JSON-RPC error response", file=sys.stderr)
    print("response:\n" + json.dumps({"code": e.code, "message": e.message}, indent=2),
          file=sys.stderr)


def run(cmd, args):
    client = JsonRpcClient(args.server, args.timeout, args.verbose)
    if cmd.run is not None:
        if args.dry_run:
            print("%s: runs client-side (several calls); nothing sent" % cmd.name)
            return
        try:
            cmd.run(client, args)
        finally:
            client.close()
        return
    params = cmd.build(args) if cmd.build else default_params(cmd, args)
    method = args.rpc_method if cmd.name == "call" else cmd.method
    if args.dry_run:
        print(json.dumps(client.make_request(method, params), indent=2))
        return
    try:
        result = client.call(method, params)
    finally:
        client.close()
    print_result(cmd, result)


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        run(args.cmd, args)
    except RpcError as e:
        print_error(e)
        return 1
    except RpcConnectionError as e:
        print("rpc.py: %s" % e, file=sys.stderr)
        return 1
    except ValueError as e:
        print("rpc.py: %s: %s" % (args.command, e), file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
