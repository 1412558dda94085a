// Copyright 2026 the xenpv authors. MIT license.
// pyxs (python3-pyxs), an independent xenstore client, against our server.

import assert from "node:assert/strict";
import { XenstoreServer } from "../../xenstore/mod.ts";
import { havePyxs, run, skipUnless, socketPath } from "../_peers.ts";

const ignore = skipUnless(await havePyxs(), "python3-pyxs (for /usr/bin/python3)");

Deno.test(
  { name: "pyxs: reads, writes, perms, transactions with a conflict, watches", ignore },
  async () => {
    const server = new XenstoreServer();
    const path = socketPath("pyxs");
    server.listen(path);
    try {
      const script = new URL("./peers/pyxs_session.py", import.meta.url).pathname;
      const r = await run("/usr/bin/python3", [script, path]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(out, {
        read: "hello",
        list: ["x", "y"],
        exists: [true, false],
        perms: ["b0", "r3"],
        domain_path: "/local/domain/5",
        missing: 2, // ENOENT
        commit: true,
        after_commit: "in-tx",
        conflict_commit: false, // EAGAIN
        after_conflict: "other",
        events: [["/py/w", "tok"], ["/py/w/child", "tok"]],
        deleted: false,
      });
      assert.equal(server.stats.transactions, 0);
    } finally {
      await server.close();
    }
  },
);
