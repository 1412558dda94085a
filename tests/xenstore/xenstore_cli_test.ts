// Copyright 2026 the xenpv authors. MIT license.
// Debian's libxenstore command-line tools (xenstore-utils) drive our server
// over its unix socket, found through XENSTORED_PATH as in dom0.

import assert from "node:assert/strict";
import { XenstoreServer } from "../../xenstore/mod.ts";
import { have, run, skipUnless, socketPath, startXenstored } from "../_peers.ts";

const ignore = skipUnless(await have("xenstore-read", ["/"]), "xenstore-utils (xenstore-read)");

async function withServer(
  fn: (
    xs: (tool: string, ...args: string[]) => ReturnType<typeof run>,
    server: XenstoreServer,
  ) => Promise<void>,
): Promise<void> {
  const server = new XenstoreServer();
  const path = socketPath("cli");
  server.listen(path);
  try {
    await fn((tool, ...args) => run(tool, args, { XENSTORED_PATH: path }), server);
  } finally {
    await server.close();
  }
}

Deno.test({ name: "xenstore-write / -read / -exists", ignore }, () =>
  withServer(async (xs) => {
    assert.equal((await xs("xenstore-write", "/a", "hello", "/b/c", "world")).code, 0);
    assert.deepEqual(await xs("xenstore-read", "/a"), { code: 0, stdout: "hello\n", stderr: "" });
    assert.equal((await xs("xenstore-read", "/b/c")).stdout, "world\n");
    const missing = await xs("xenstore-read", "/nope");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /couldn't read path \/nope/);
    assert.equal((await xs("xenstore-exists", "/a")).code, 0);
    assert.equal((await xs("xenstore-exists", "/nope")).code, 1);
  }));

Deno.test(
  { name: "xenstore-ls and xenstore-list show the tree in creation order", ignore },
  () =>
    withServer(async (xs, server) => {
      await using c = server.connectClient();
      await c.write("/vm/zeta", "1");
      await c.write("/vm/alpha", "2");
      await c.write("/vm/alpha/deep", "3");
      assert.equal((await xs("xenstore-list", "/vm")).stdout, "zeta\nalpha\n");
      const ls = await xs("xenstore-ls", "/vm");
      assert.equal(ls.code, 0);
      assert.equal(ls.stdout, 'zeta = "1"\nalpha = "2"\n deep = "3"\n');
    }),
);

Deno.test({ name: "xenstore-rm removes subtrees", ignore }, () =>
  withServer(async (xs, server) => {
    await using c = server.connectClient();
    await c.write("/r/a/b", "x");
    assert.equal((await xs("xenstore-rm", "/r/a")).code, 0);
    assert.equal(await c.exists("/r/a/b"), false);
    assert.equal(await c.exists("/r"), true);
  }));

Deno.test(
  { name: "xenstore-chmod sets permissions that xenstore-ls -p shows", ignore },
  () =>
    withServer(async (xs, server) => {
      await using c = server.connectClient();
      await c.write("/p", "v");
      assert.equal((await xs("xenstore-chmod", "/p", "r1", "w2", "b3")).code, 0);
      assert.deepEqual(await c.getPerms("/p"), [
        { domid: 1, access: "read" },
        { domid: 2, access: "write" },
        { domid: 3, access: "both" },
      ]);
      const ls = await xs("xenstore-ls", "-p", "/");
      assert.match(ls.stdout, /^p = "v" [. ]+\(r1,w2,b3\)$/m);
      const bad = await xs("xenstore-chmod", "/p", "x1");
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Invalid permission/);
    }),
);

Deno.test(
  { name: "bad paths are refused by the server, and the tool says so", ignore },
  () =>
    withServer(async (xs) => {
      const r = await xs("xenstore-write", "/bad//path", "x");
      assert.equal(r.code, 1);
      assert.match(r.stderr, /could not write path/);
    }),
);

Deno.test(
  { name: "xenstore-watch sees the initial event and later changes", ignore },
  () =>
    withServer(async (_xs, server) => {
      await using c = server.connectClient();
      await c.mkdir("/w");
      const path = socketPath("cli-watch");
      server.listen(path);
      const child = new Deno.Command("xenstore-watch", {
        args: ["-n", "3", "/w"],
        env: { XENSTORED_PATH: path },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // Wait until the watch is set (our server counts it), then change things.
      while (server.stats.watches === 0) await new Promise((r) => setTimeout(r, 10));
      await c.write("/w/x", "1");
      await c.rm("/w");
      const out = await child.output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.equal(new TextDecoder().decode(out.stdout), "/w\n/w/x\n/w\n");
    }),
);

Deno.test(
  {
    name: "examples/xenstored.ts serves the tools; on SIGTERM exits 143, its socket removed",
    ignore,
  },
  async () => {
    const path = socketPath("example");
    const server = await startXenstored(path);
    const env = { XENSTORED_PATH: path };
    assert.equal((await run("xenstore-write", ["/k", "v"], env)).code, 0);
    assert.equal((await run("xenstore-read", ["/k"], env)).stdout, "v\n");
    server.kill("SIGTERM");
    const status = await server.status;
    assert.equal(status.code, 143); // 128 + SIGTERM, as every CLI
    assert.throws(() => Deno.statSync(path), Deno.errors.NotFound); // socket file removed
  },
);
