// Copyright 2026 the xenpv authors. MIT license.
// One xenstore conformance suite, run against every server we can reach: our
// in-memory server in-process and over a unix socket here, and the real
// xenstored inside the Xen-in-QEMU end-to-end run. Every test works under its
// own base path and removes it afterwards, so it is safe on a live xenstore.

import assert from "node:assert/strict";
import { type XenstoreClient, XenstoreError } from "../../xenstore/mod.ts";
import { MessageType } from "../../xenstore/wire.ts";

/** A server under test, opened for one test and closed after it. */
export interface Target {
  /** Opens a fresh privileged (dom0) client. */
  connect(): Promise<XenstoreClient>;
  /** Releases what `open` made (listeners, servers). */
  close(): Promise<void>;
}

let baseCounter = 0;

async function withBase(
  open: () => Promise<Target>,
  fn: (c: XenstoreClient, base: string, target: Target) => Promise<void>,
): Promise<void> {
  const target = await open();
  try {
    const client = await target.connect();
    const base = `/xenpv-test/t${Deno.pid}-${++baseCounter}`;
    try {
      await client.mkdir("/xenpv-test");
      await client.rm(base);
      await client.mkdir(base);
      await fn(client, base, target);
    } finally {
      try {
        await client.rm(base);
        if ((await client.directory("/xenpv-test")).length === 0) await client.rm("/xenpv-test");
      } finally {
        await client.close();
      }
    }
  } finally {
    await target.close();
  }
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof XenstoreError, `expected XenstoreError ${code}, got ${err}`);
    assert.equal(err.code, code);
    return true;
  });
}

const enc = (s: string) => new TextEncoder().encode(s);

/** Registers the suite under `name`. */
export function conformanceSuite(name: string, open: () => Promise<Target>): void {
  const test = (
    title: string,
    fn: (c: XenstoreClient, base: string, target: Target) => Promise<void>,
  ) => Deno.test(`${name}: ${title}`, () => withBase(open, fn));

  test("write then read, text and binary", async (c, base) => {
    await c.write(`${base}/a`, "hello");
    assert.equal(await c.readString(`${base}/a`), "hello");
    const binary = new Uint8Array([0, 1, 2, 0, 255]);
    await c.write(`${base}/bin`, binary);
    assert.deepEqual(await c.read(`${base}/bin`), binary);
    await c.write(`${base}/empty`, "");
    assert.equal(await c.readString(`${base}/empty`), "");
  });

  test("a value up to the payload limit", async (c, base) => {
    const path = `${base}/big`;
    // 4096 bytes of payload (path, NUL, value); 4080 through /dev/xen/xenbus
    const value = "v".repeat(c.maxPayload - path.length - 1);
    await c.write(path, value);
    assert.equal(await c.readString(path), value);
  });

  test("missing nodes: ENOENT, tryRead, exists", async (c, base) => {
    await rejectsWith(c.read(`${base}/nope`), "ENOENT");
    assert.equal(await c.tryRead(`${base}/nope`), undefined);
    assert.equal(await c.exists(`${base}/nope`), false);
    await rejectsWith(c.directory(`${base}/nope`), "ENOENT");
    await rejectsWith(c.getPerms(`${base}/nope`), "ENOENT");
  });

  test("write creates missing parents with empty values", async (c, base) => {
    await c.write(`${base}/x/y/z`, "deep");
    assert.equal(await c.readString(`${base}/x`), "");
    assert.equal(await c.readString(`${base}/x/y`), "");
    assert.deepEqual(await c.directory(`${base}/x`), ["y"]);
  });

  test("mkdir keeps an existing value", async (c, base) => {
    await c.write(`${base}/m`, "keep");
    await c.mkdir(`${base}/m`);
    assert.equal(await c.readString(`${base}/m`), "keep");
    await c.mkdir(`${base}/n/o`);
    assert.equal(await c.readString(`${base}/n/o`), "");
  });

  test("rm removes subtrees; missing node fine, missing parent ENOENT", async (c, base) => {
    await c.write(`${base}/r/a/b`, "1");
    await c.write(`${base}/r/c`, "2");
    await c.rm(`${base}/r`);
    await rejectsWith(c.read(`${base}/r/a/b`), "ENOENT");
    await rejectsWith(c.read(`${base}/r`), "ENOENT");
    await c.rm(`${base}/gone`); // parent exists: no error
    await rejectsWith(c.rm(`${base}/gone/child`), "ENOENT");
  });

  test("directory lists children in creation order", async (c, base) => {
    for (const name of ["zeta", "alpha", "mid", "10", "9"]) {
      await c.write(`${base}/d/${name}`, name);
    }
    assert.deepEqual(await c.directory(`${base}/d`), ["zeta", "alpha", "mid", "10", "9"]);
    await c.rm(`${base}/d/alpha`);
    await c.write(`${base}/d/alpha`, "again");
    assert.deepEqual(await c.directory(`${base}/d`), ["zeta", "mid", "10", "9", "alpha"]);
    assert.deepEqual(await c.directory(`${base}/d/zeta`), []);
  });

  test("directory larger than one message", async (c, base) => {
    const names = Array.from({ length: 400 }, (_, i) => `child-with-a-long-name-${i}`);
    await Promise.all(names.map((n) => c.write(`${base}/big/${n}`, "")));
    const got = await c.directory(`${base}/big`);
    assert.equal(got.length, names.length);
    assert.deepEqual([...got].sort(), [...names].sort());
  });

  test("permissions: inherit, set, read back", async (c, base) => {
    await c.write(`${base}/p`, "x");
    const inherited = await c.getPerms(`${base}/p`);
    assert.deepEqual(inherited, await c.getPerms(base));
    const perms = [
      { domid: 0, access: "read" as const },
      { domid: 5, access: "both" as const },
      { domid: 6, access: "write" as const },
      { domid: 7, access: "none" as const },
    ];
    await c.setPerms(`${base}/p`, perms);
    assert.deepEqual(await c.getPerms(`${base}/p`), perms);
    await c.write(`${base}/p/child`, "y");
    assert.deepEqual(await c.getPerms(`${base}/p/child`), perms);
  });

  test("malformed requests are refused with EINVAL, unknown types with ENOSYS", async (c, base) => {
    await rejectsWith(c.requestIn(0, MessageType.SET_PERMS, [`${base}`, "x5"]), "EINVAL");
    await rejectsWith(c.requestIn(0, MessageType.READ, ["/a//b"]), "EINVAL");
    await rejectsWith(c.requestIn(0, MessageType.READ, ["/a b"]), "EINVAL");
    await rejectsWith(c.requestIn(0, MessageType.WRITE, [`${base}/`, enc("x")]), "EINVAL");
    await rejectsWith(c.requestIn(0, MessageType.TRANSACTION_END, ["X"]), "EINVAL");
    // a type without a handler: RESTRICT (20) is gone, 999 never was
    await rejectsWith(c.requestIn(0, 20, ["/"]), "ENOSYS");
    await rejectsWith(c.requestIn(0, 999, ["/"]), "ENOSYS");
    await rejectsWith(c.requestIn(0, MessageType.WATCH_EVENT, ["/", "t"]), "ENOSYS");
    // and the connection still works
    assert.equal(await c.readString(base), "");
  });

  test("unknown transaction id: ENOENT", async (c, base) => {
    await rejectsWith(c.requestIn(0x7fff1234, MessageType.READ, [base]), "ENOENT");
    await rejectsWith(c.requestIn(0, MessageType.TRANSACTION_END, ["T"]), "ENOENT");
  });

  test("watch: initial event, changes below, rm above", async (c, base) => {
    await c.mkdir(`${base}/w/sub`);
    await using watch = await c.watch(`${base}/w/sub`, { token: "tok" });
    assert.deepEqual((await watch.next()).value, { path: `${base}/w/sub`, token: "tok" });
    await c.write(`${base}/w/sub/leaf`, "1");
    assert.deepEqual((await watch.next()).value, { path: `${base}/w/sub/leaf`, token: "tok" });
    await c.write(`${base}/w/other`, "not ours");
    await c.rm(`${base}/w`);
    // The removal of a parent is reported as the watched path itself.
    assert.equal((await watch.next()).value?.path, `${base}/w/sub`);
    // A watch on a path that did not exist hears nothing of the removal.
    await c.write(`${base}/v/x`, "1");
    await using ghost = await c.watch(`${base}/v/x/not-there`, { token: "ghost" });
    await ghost.next();
    await c.rm(`${base}/v`);
    await using probe = await c.watch(`${base}/v`, { token: "probe" });
    assert.equal((await probe.next()).value?.token, "probe"); // a round trip later
    assert.equal(ghost.queued, 0);
  });

  test("unwatch stops events; duplicate watch is EEXIST", async (c, base) => {
    const a = await c.watch(`${base}/u`, { token: "a" });
    await a.next();
    await rejectsWith(c.requestIn(0, MessageType.WATCH, [`${base}/u`, "a"]), "EEXIST");
    await a.close();
    await using b = await c.watch(`${base}/u`, { token: "b" });
    assert.equal((await b.next()).value?.token, "b");
    await c.write(`${base}/u/x`, "1");
    assert.equal((await b.next()).value?.path, `${base}/u/x`);
    // the server no longer knows watch "a":
    await rejectsWith(c.requestIn(0, MessageType.UNWATCH, [`${base}/u`, "a"]), "ENOENT");
  });

  test("watch on @releaseDomain and @introduceDomain is accepted", async (c) => {
    await using rel = await c.watch("@releaseDomain");
    assert.equal((await rel.next()).value?.path, "@releaseDomain");
    await using intro = await c.watch("@introduceDomain");
    assert.equal((await intro.next()).value?.path, "@introduceDomain");
  });

  test("transactions: commit, abort, isolation", async (c, base) => {
    await c.write(`${base}/t`, "0");
    const tx = await c.startTransaction();
    await tx.write(`${base}/t`, "1");
    assert.equal(await tx.readString(`${base}/t`), "1");
    assert.equal(await c.readString(`${base}/t`), "0"); // not visible outside yet
    await tx.commit();
    assert.equal(await c.readString(`${base}/t`), "1");
    const tx2 = await c.startTransaction();
    await tx2.write(`${base}/t`, "2");
    await tx2.write(`${base}/t2/new`, "2");
    await tx2.abort();
    assert.equal(await c.readString(`${base}/t`), "1");
    await rejectsWith(c.read(`${base}/t2/new`), "ENOENT");
    await assert.rejects(tx2.read(`${base}/t`), TypeError);
  });

  test("transactions: a conflicting write makes commit fail with EAGAIN", async (c, base) => {
    await c.write(`${base}/cf`, "0");
    const tx = await c.startTransaction();
    assert.equal(await tx.readString(`${base}/cf`), "0");
    await tx.write(`${base}/cf`, "tx");
    await c.write(`${base}/cf`, "outside");
    await rejectsWith(tx.commit(), "EAGAIN");
    assert.equal(await c.readString(`${base}/cf`), "outside");
  });

  test("transaction() retries conflicts: concurrent increments all count", async (c, base, t) => {
    await c.write(`${base}/counter`, "0");
    const other = await t.connect();
    try {
      const increment = (client: XenstoreClient) =>
        client.transaction(async (tx) => {
          const n = Number(await tx.readString(`${base}/counter`));
          await new Promise((r) => setTimeout(r, 1));
          await tx.write(`${base}/counter`, String(n + 1));
        }, { maxAttempts: 100 });
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => increment(i % 2 ? c : other)),
      );
      assert.equal(await c.readString(`${base}/counter`), "10");
    } finally {
      await other.close();
    }
  });

  test("many requests in flight are matched to their replies", async (c, base) => {
    const n = 300;
    await Promise.all(Array.from({ length: n }, (_, i) => c.write(`${base}/f/${i}`, `v${i}`)));
    const values = await Promise.all(
      Array.from({ length: n }, (_, i) => c.readString(`${base}/f/${i}`)),
    );
    values.forEach((v, i) => assert.equal(v, `v${i}`));
  });

  test("domain paths and introduction", async (c) => {
    assert.equal(await c.getDomainPath(7), "/local/domain/7");
    assert.equal(await c.getDomainPath(0), "/local/domain/0");
    assert.equal(await c.isDomainIntroduced(0), true);
    assert.equal(await c.isDomainIntroduced(32000), false);
  });
}
