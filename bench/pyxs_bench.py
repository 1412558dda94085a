#!/usr/bin/python3
# Copyright 2026 the xenpv authors. MIT license.
# pyxs reference client for bench/xenstore_compare.ts: N sequential reads.
# Prints "<ops> <seconds>".
import sys
import time

import pyxs

sock, path, count = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
with pyxs.Client(unix_socket_path=sock) as c:
    for _ in range(100):
        c.read(path)
    t = time.monotonic()
    for _ in range(count):
        c.read(path)
    print(count, time.monotonic() - t)
