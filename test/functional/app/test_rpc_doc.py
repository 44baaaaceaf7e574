#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (c) 2026 The vhostd authors
"""doc/rpc.md is checked against the registry: every registered method and alias is documented
under a '### name' heading, and every documented name is registered."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "harness"))
import vhostd as vd  # noqa: E402
import vtest  # noqa: E402
from vtest import check  # noqa: E402

DOC = os.path.join(vd.ROOT, "doc", "rpc.md")


def documented():
    with open(DOC) as f:
        return set(re.findall(r"^### ([a-z0-9_]+)\s*$", f.read(), re.M))


@vtest.test(timeout=60)
def test_every_method_documented():
    with vd.Vhostd(name="rpcdoc") as d:
        methods = set(d.rpc("rpc_get_methods", {"include_aliases": True}))
    check(len(methods) >= 10, "too few methods registered: %s" % sorted(methods))
    doc = documented()
    missing = sorted(methods - doc)
    extra = sorted(doc - methods)
    check(not missing, "registered but not in doc/rpc.md: %s" % missing)
    check(not extra, "in doc/rpc.md but not registered: %s" % extra)


if __name__ == "__main__":
    sys.exit(vtest.main())
