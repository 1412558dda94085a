#!/usr/bin/python3
# Copyright 2026 the xenpv authors. MIT license.
# Drives a xenstore server through pyxs (python3-pyxs) and prints one JSON
# object of what it saw, for tests/xenstore/pyxs_test.ts to check.
import json
import sys
import threading

import pyxs

path = sys.argv[1]
out = {}

with pyxs.Client(unix_socket_path=path) as c:
    c.write(b"/py/a", b"hello")
    out["read"] = c.read(b"/py/a").decode()
    c.mkdir(b"/py/dir")
    c.write(b"/py/dir/x", b"1")
    c.write(b"/py/dir/y", b"2")
    out["list"] = [n.decode() for n in c.list(b"/py/dir")]
    out["exists"] = [c.exists(b"/py/a"), c.exists(b"/py/none")]
    c.set_perms(b"/py/a", [b"b0", b"r3"])
    out["perms"] = [p.decode() for p in c.get_perms(b"/py/a")]
    out["domain_path"] = c.get_domain_path(5).decode()
    try:
        c.read(b"/py/none")
        out["missing"] = "no error"
    except pyxs.PyXSError as e:
        out["missing"] = e.args[0]  # errno number

    # A transaction that commits.
    c.transaction()
    c.write(b"/py/tx", b"in-tx")
    out["commit"] = c.commit()
    out["after_commit"] = c.read(b"/py/tx").decode()

    # A transaction that conflicts with a write from a second connection.
    c.write(b"/py/conflict", b"0")
    c.transaction()
    c.read(b"/py/conflict")
    c.write(b"/py/conflict", b"tx")
    with pyxs.Client(unix_socket_path=path) as other:
        other.write(b"/py/conflict", b"other")
    out["conflict_commit"] = c.commit()
    out["after_conflict"] = c.read(b"/py/conflict").decode()

    # Watches: the initial event, then a write from our side.
    events = []
    with c.monitor() as m:
        m.watch(b"/py/w", b"tok")
        it = m.wait()
        events.append(next(it))
        c.write(b"/py/w/child", b"v")
        events.append(next(it))
        m.unwatch(b"/py/w", b"tok")
    out["events"] = [[e.path.decode(), e.token.decode()] for e in events]

    c.delete(b"/py")
    out["deleted"] = c.exists(b"/py")

print(json.dumps(out))
