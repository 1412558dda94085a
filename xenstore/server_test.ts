// Copyright 2026 the xenpv authors. MIT license.
// Behaviour of the in-memory server beyond the shared conformance suite:
// unprivileged domains, quotas, special watches, DIRECTORY_PART framing,
// transactions that merge with unrelated concurrent changes.

import assert from "node:assert/strict";
import { type XenstoreClient, XenstoreClosedError, XenstoreError, XenstoreServer } from "./mod.ts";
import { encodeMessage, MessageType, payloadOf, splitPayload } from "./wire.ts";

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof XenstoreError && e.code === code);
}

async function withDomain(
  fn: (dom0: XenstoreClient, domU: XenstoreClient, server: XenstoreServer) => Promise<void>,
  quotas = {},
): Promise<void> {
  await using server = new XenstoreServer({ quotas });
  await using dom0 = server.connectClient();
  await dom0.mkdir("/local/domain/5");
  await dom0.setPerms("/local/domain/5", [{ domid: 5, access: "none" }]);
  server.introduceDomain(5);
  await using domU = server.connectClient({ domid: 5 });
  await fn(dom0, domU, server);
}

Deno.test("a fresh store has only the root, owned by dom0 and closed to others", async () => {
  await using server = new XenstoreServer();
  await using c = server.connectClient();
  assert.deepEqual(await c.directory("/"), []);
  assert.deepEqual(await c.getPerms("/"), [{ domid: 0, access: "none" }]);
  assert.equal(server.stats.nodes, 1);
  await rejectsWith(c.rm("/"), "EINVAL");
});

Deno.test("unprivileged domains: home-relative paths, ownership, permission checks", () =>
  withDomain(async (dom0, domU) => {
    await domU.write("data/x", "1"); // relative to /local/domain/5
    assert.equal(await dom0.readString("/local/domain/5/data/x"), "1");
    assert.deepEqual(await dom0.getPerms("/local/domain/5/data/x"), [{ domid: 5, access: "none" }]);
    await dom0.write("/secret", "s");
    await rejectsWith(domU.read("/secret"), "EACCES");
    await rejectsWith(domU.write("/secret", "x"), "EACCES");
    await rejectsWith(domU.write("/elsewhere/new", "x"), "EACCES"); // root is n0
    await rejectsWith(domU.directory("/"), "EACCES");
    await rejectsWith(domU.read("/secret/missing"), "EACCES"); // hidden, not ENOENT
    await rejectsWith(domU.read("data/missing"), "ENOENT");
    // a node dom0 shares read-only
    await dom0.write("/shared", "r");
    await dom0.setPerms("/shared", [{ domid: 0, access: "none" }, { domid: 5, access: "read" }]);
    assert.equal(await domU.readString("/shared"), "r");
    await rejectsWith(domU.write("/shared", "w"), "EACCES");
    // privileged operations
    await rejectsWith(domU.getQuota("nodes"), "EACCES");
    await rejectsWith(domU.introduce(9, 1, 1), "EACCES");
    await rejectsWith(domU.control("check"), "EACCES");
  }));

Deno.test("unprivileged domains: relative watches report relative paths", () =>
  withDomain(async (_dom0, domU) => {
    await using w = await domU.watch("device");
    assert.equal((await w.next()).value?.path, "device");
    await domU.write("device/console/0/state", "1");
    assert.equal((await w.next()).value?.path, "device/console/0/state");
  }));

Deno.test("watches are not told about nodes the watcher cannot read", () =>
  withDomain(async (dom0, domU) => {
    await dom0.write("/open", "");
    await dom0.setPerms("/open", [{ domid: 0, access: "read" }]);
    await using w = await domU.watch("/open");
    await w.next();
    await dom0.transaction(async (tx) => {
      await tx.write("/open/hidden", "x");
      await tx.setPerms("/open/hidden", [{ domid: 0, access: "none" }]);
    });
    await dom0.write("/open/visible", "y");
    assert.equal((await w.next()).value?.path, "/open/visible");
  }));

Deno.test("quotas: nodes, value size, watches, transactions, permissions (dom0 exempt)", () =>
  withDomain(async (dom0, domU) => {
    await domU.write("a", "1");
    await domU.write("b", "1");
    await rejectsWith(domU.write("c/d", "1"), "ENOSPC"); // 2 owned + 2 new > 3
    await domU.rm("b");
    await domU.write("c", "1");
    await rejectsWith(domU.write("d", "x".repeat(40)), "ENOSPC"); // a record of 24 + 8 + 40
    const w1 = await domU.watch("a");
    await rejectsWith(domU.watch("c"), "E2BIG");
    await w1.close();
    const tx = await domU.startTransaction();
    const tx2 = await domU.startTransaction(); // one more than the quota, as xenstored
    await rejectsWith(domU.startTransaction(), "ENOSPC");
    await tx.abort();
    await tx2.abort();
    await rejectsWith(
      domU.setPerms("a", [{ domid: 5, access: "none" }, { domid: 1, access: "read" }, {
        domid: 2,
        access: "read",
      }]),
      "ENOSPC",
    );
    // dom0 is not limited
    for (let i = 0; i < 10; i++) await dom0.write(`/many/${i}`, "x".repeat(100));
    assert.equal(await dom0.getQuota("nodes"), 3);
    await dom0.setQuota("nodes", 10, { domid: 5 });
    assert.equal(await dom0.getQuota("nodes", { domid: 5 }), 10);
    await domU.write("d", "1");
    assert.deepEqual((await dom0.quotaNames()).sort(), [
      "memory",
      "node-size",
      "nodes",
      "permissions",
      "transaction-nodes",
      "transactions",
      "watches",
    ]);
  }, { nodes: 3, "node-size": 64, watches: 1, transactions: 1, permissions: 2 }));

Deno.test("a guest owns what it creates under another's node, and its node quota counts it", () =>
  withDomain(async (dom0, domU, server) => {
    const dir = "/local/domain/5/device";
    await dom0.mkdir(dir);
    await dom0.setPerms(dir, [{ domid: 0, access: "none" }, { domid: 5, access: "write" }]);
    await domU.write("device/a", "1");
    // the owner is the guest; the other entries are inherited
    assert.deepEqual(await dom0.getPerms(`${dir}/a`), [
      { domid: 5, access: "none" },
      { domid: 5, access: "write" },
    ]);
    // so a guest cannot outgrow its quota (4: its home, a, b, c) by creating under dom0's nodes
    await domU.write("device/b", "1");
    await domU.write("device/c", "1");
    await rejectsWith(domU.write("device/d", "1"), "ENOSPC");
    await rejectsWith(domU.write("device/e/f", "1"), "ENOSPC");
    assert.deepEqual((await dom0.directory(dir)).sort(), ["a", "b", "c"]);
    assert.equal(server.stats.nodes, 8); // /, local, domain, 5, device, a, b, c
  }, { nodes: 4 }));

Deno.test("@introduceDomain and @releaseDomain fire; release closes the domain's connections", async () => {
  await using server = new XenstoreServer();
  await using dom0 = server.connectClient();
  await using intro = await dom0.watch("@introduceDomain");
  await using rel = await dom0.watch("@releaseDomain");
  await intro.next();
  await rel.next();
  await dom0.introduce(7, 12345, 3);
  assert.equal((await intro.next()).value?.path, "@introduceDomain");
  assert.equal(await dom0.isDomainIntroduced(7), true);
  const domU = server.connectClient({ domid: 7 });
  await domU.mkdir("x").catch(() => {});
  await dom0.release(7);
  assert.equal((await rel.next()).value?.path, "@releaseDomain");
  assert.equal(await dom0.isDomainIntroduced(7), false);
  await assert.rejects(domU.read("x"), XenstoreClosedError);
  await domU.close();
  await rejectsWith(dom0.release(7), "ENOENT");
  await rejectsWith(dom0.introduce(0, 1, 1), "EINVAL");
});

Deno.test("a domid argument on the wire is a domain's id (0..0x7fef) or EINVAL", async () => {
  await using server = new XenstoreServer();
  await using c = server.connectClient();
  const path = async (domid: string) =>
    splitPayload(await c.requestIn(0, MessageType.GET_DOMAIN_PATH, [domid]))[0];
  assert.equal(await path("0"), "/local/domain/0");
  assert.equal(await path("32751"), "/local/domain/32751");
  for (const bad of ["32752", "65535", "65536", "-1", "1.5", "", "x", "007x"]) {
    await rejectsWith(c.requestIn(0, MessageType.GET_DOMAIN_PATH, [bad]), "EINVAL");
  }
  await rejectsWith(c.requestIn(0, MessageType.IS_DOMAIN_INTRODUCED, ["32752"]), "EINVAL");
  assert.throws(() => server.introduceDomain(0x7ff0), RangeError);
  assert.throws(() => server.releaseDomain(-1), RangeError);
});

Deno.test("a closed server refuses new connections with XenstoreClosedError", async () => {
  const server = new XenstoreServer();
  await server.close();
  assert.throws(() => server.connectClient(), XenstoreClosedError);
  assert.throws(() => server.listen("/tmp/xenpv-never.sock"), /closed: make a new one/);
});

Deno.test("watch events from a transaction come only at commit", async () => {
  await using server = new XenstoreServer();
  await using c = server.connectClient();
  await using w = await c.watch("/tx");
  await w.next();
  const tx = await c.startTransaction();
  await tx.write("/tx/a", "1");
  await c.readString("/").catch(() => {}); // round trip
  assert.equal(w.queued, 0);
  await tx.commit();
  assert.equal((await w.next()).value?.path, "/tx/a");
});

Deno.test("a transaction keeps unrelated concurrent changes", async () => {
  await using server = new XenstoreServer();
  await using a = server.connectClient();
  await using b = server.connectClient();
  await a.write("/m/mine", "0");
  await a.write("/m/theirs/x", "0");
  const tx = await a.startTransaction();
  await tx.write("/m/mine", "tx");
  await b.write("/m/theirs/x", "b"); // not read or written by tx
  await b.write("/other", "b");
  await tx.commit();
  assert.equal(await a.readString("/m/mine"), "tx");
  assert.equal(await a.readString("/m/theirs/x"), "b");
  assert.equal(await a.readString("/other"), "b");
});

Deno.test("a transaction that read a directory conflicts with a new child", async () => {
  await using server = new XenstoreServer();
  await using a = server.connectClient();
  await using b = server.connectClient();
  await a.mkdir("/dir");
  const tx = await a.startTransaction();
  await tx.directory("/dir");
  await tx.write("/dir-count", "0");
  await b.write("/dir/new", "");
  await rejectsWith(tx.commit(), "EAGAIN");
});

Deno.test("DIRECTORY_PART: generation, offsets, and the end marker", async () => {
  await using server = new XenstoreServer();
  await using c = server.connectClient();
  const names = Array.from({ length: 300 }, (_, i) => `name-${String(i).padStart(20, "0")}`);
  for (const n of names) await c.write(`/big/${n}`, "");
  await rejectsWith(c.requestIn(0, MessageType.DIRECTORY, ["/big"]), "E2BIG");
  const collected: string[] = [];
  let offset = 0;
  let gen: string | undefined;
  for (let part = 0; part < 10; part++) {
    const reply = await c.requestIn(0, MessageType.DIRECTORY_PART, ["/big", String(offset)]);
    assert.ok(reply.length <= 4096);
    const [g, ...rest] = splitPayload(reply);
    gen ??= g;
    assert.equal(g, gen);
    const last = reply[reply.length - 1] === 0 && reply[reply.length - 2] === 0;
    const got = last ? rest.slice(0, -1) : rest;
    collected.push(...got);
    offset += got.reduce((n, s) => n + s.length + 1, 0);
    if (last) break;
  }
  assert.deepEqual(collected, names);
  assert.deepEqual(await c.directory("/big"), names);
  const past = await c.requestIn(0, MessageType.DIRECTORY_PART, ["/big", "999999"]);
  assert.equal(new TextDecoder().decode(past), `${gen}\0\0`);
  await rejectsWith(c.requestIn(0, MessageType.DIRECTORY_PART, ["/big"]), "EINVAL");
});

Deno.test("RESET_WATCHES drops the connection's watches and transactions", async () => {
  await using server = new XenstoreServer();
  await using c = server.connectClient();
  await c.watch("/r");
  await c.startTransaction();
  assert.deepEqual([server.stats.watches, server.stats.transactions], [1, 1]);
  await c.resetWatches();
  assert.deepEqual([server.stats.watches, server.stats.transactions], [0, 0]);
});

Deno.test("an oversized header kills the connection, as in xenstored", async () => {
  await using server = new XenstoreServer();
  const t = server.connectTransport();
  const header = new Uint8Array(16);
  const v = new DataView(header.buffer);
  v.setUint32(0, MessageType.READ, true);
  v.setUint32(12, 4097, true);
  await t.write(header);
  assert.equal(await t.read(), null);
  await t.close();
  assert.equal(server.stats.connections, 0);
});

Deno.test("reply-only and unknown message types get ENOSYS, the connection lives on", async () => {
  await using server = new XenstoreServer();
  const t = server.connectTransport();
  for (const type of [MessageType.WATCH_EVENT, MessageType.ERROR, 20, 27, 0xffff]) {
    await t.write(encodeMessage({ type, reqId: type, txId: 0, payload: payloadOf(["/"]) }));
    const reply = await t.read();
    assert.ok(reply);
    const view = new DataView(reply.buffer, reply.byteOffset);
    assert.equal(view.getUint32(0, true), MessageType.ERROR);
    assert.equal(view.getUint32(4, true), type);
    assert.equal(new TextDecoder().decode(reply.subarray(16)), "ENOSYS\0");
  }
  await t.close();
});

Deno.test("SET_PERMS: only the owner, and an unprivileged owner cannot give a node away", () =>
  withDomain(async (dom0, domU) => {
    await dom0.write("/shared", "x");
    await dom0.setPerms("/shared", [{ domid: 0, access: "none" }, { domid: 5, access: "write" }]);
    // a write ACL is not ownership
    await rejectsWith(domU.setPerms("/shared", [{ domid: 5, access: "none" }]), "EACCES");
    await domU.write("mine", "1");
    const home = "/local/domain/5";
    await rejectsWith(domU.setPerms(`${home}/mine`, [{ domid: 0, access: "none" }]), "EPERM");
    await rejectsWith(domU.setPerms(`${home}/mine`, [{ domid: 7, access: "none" }]), "EPERM");
    // its own node, its own ACL: fine
    await domU.setPerms(`${home}/mine`, [{ domid: 5, access: "read" }]);
    assert.deepEqual(await dom0.getPerms(`${home}/mine`), [{ domid: 5, access: "read" }]);
  }));

Deno.test("transactions are bounded: distinct nodes touched (ENOSPC) and memory held (ENOMEM)", () =>
  withDomain(async (_dom0, domU) => {
    const tx = await domU.startTransaction();
    for (let i = 0; i < 20; i++) await tx.tryRead(`nope${i}`).catch(() => {}); // refused reads count
    await rejectsWith(tx.tryRead("nope20"), "ENOSPC");
    await tx.tryRead("nope3"); // already touched: free
    await tx.abort();
    const big = await domU.startTransaction();
    const value = "v".repeat(1000);
    for (let i = 0; i < 3; i++) await big.write("same", value); // one node, but each write is kept
    await rejectsWith(big.write("same", value), "ENOMEM");
    await big.abort();
  }, { "transaction-nodes": 20, memory: 4000 }));

Deno.test("a write refused in a transaction (ENOMEM) is not seen by the transaction's reads", () =>
  withDomain(async (dom0, domU) => {
    const tx = await domU.startTransaction();
    const v = "v".repeat(1000);
    for (let i = 0; i < 3; i++) await tx.write("same", v);
    // Charged before it is applied, as C xenstored does: the transaction stays as it was.
    await rejectsWith(tx.write("same", "w".repeat(1000)), "ENOMEM");
    await rejectsWith(tx.write("other", "w".repeat(1000)), "ENOMEM");
    assert.equal(await tx.tryRead("same"), v);
    assert.equal(await tx.tryRead("other"), undefined);
    await tx.commit();
    assert.equal(await dom0.tryRead("/local/domain/5/same"), v);
    assert.equal(await dom0.tryRead("/local/domain/5/other"), undefined);
  }, { memory: 4000 }));

Deno.test("writes refused in a transaction keep nothing: the room left stays the same", () =>
  withDomain(async (_dom0, domU) => {
    const tx = await domU.startTransaction();
    const v = "v".repeat(1000);
    for (let i = 0; i < 3; i++) await tx.write("same", v);
    // About 660 bytes of the 4000 are left: each refused write must give back what it took.
    for (let i = 0; i < 200; i++) {
      await rejectsWith(tx.write("same", v), "ENOMEM");
      await rejectsWith(tx.write(`new${i}`, v), "ENOMEM");
    }
    for (let i = 0; i < 4; i++) await tx.write("same", "x"); // ~85 bytes each
    assert.equal(await tx.tryRead("same"), "x");
    await tx.commit();
  }, { memory: 4000 }));

Deno.test("@introduceDomain and @releaseDomain reach dom0's watches only", () =>
  withDomain(async (dom0, domU, server) => {
    const watches = [];
    for (const special of ["@introduceDomain", "@releaseDomain"]) {
      const guest = await domU.watch(special);
      const host = await dom0.watch(special);
      await guest.next(); // the initial events
      await host.next();
      watches.push({ guest, host });
    }
    server.introduceDomain(9);
    server.releaseDomain(9);
    for (const { guest, host } of watches) {
      assert.equal((await host.next()).done, false);
      await domU.write("ping", "1"); // a round trip: an event would have come before its reply
      assert.equal(guest.queued, 0, guest.path);
      await guest.close();
      await host.close();
    }
  }));

// What Xen 4.17's C xenstored answers a guest, found by the e2e's guest-rules
// probe (tests/xenstore/guest_rules.xsprobe against the real xenstored) where
// this server answered otherwise; each test failed on the code before its fix.

Deno.test("guest rules (real xenstored): IS_DOMAIN_INTRODUCED is for dom0 only", () =>
  withDomain(async (dom0, domU) => {
    assert.equal(await dom0.isDomainIntroduced(5), true);
    await rejectsWith(domU.isDomainIntroduced(0), "EACCES");
    await rejectsWith(domU.isDomainIntroduced(5), "EACCES");
  }));

Deno.test("guest rules (real xenstored): RM and SET_PERMS of a missing node need write access to its nearest ancestor", () =>
  withDomain(async (dom0, domU) => {
    await dom0.mkdir("/probe/open");
    await dom0.setPerms("/probe", [{ domid: 0, access: "none" }, { domid: 5, access: "read" }]);
    await dom0.setPerms("/probe/open", [{ domid: 0, access: "none" }, {
      domid: 5,
      access: "both",
    }]);
    await rejectsWith(domU.rm("/probe/missing"), "EACCES");
    await rejectsWith(domU.rm("/probe/missing/deeper"), "EACCES");
    await rejectsWith(domU.setPerms("/probe/missing", [{ domid: 5, access: "none" }]), "EACCES");
    await domU.rm("/probe/open/missing"); // a writable parent: nothing to remove, fine
    await rejectsWith(domU.rm("/probe/open/missing/deeper"), "ENOENT");
    await rejectsWith(
      domU.setPerms("/probe/open/missing", [{ domid: 5, access: "none" }]),
      "ENOENT",
    );
  }));

Deno.test("guest rules (real xenstored): the permissions quota counts the owner's entry", () =>
  withDomain(async (_dom0, domU) => {
    await domU.write("p", "v");
    const others = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ domid: 100 + i, access: "read" as const }));
    await domU.setPerms("p", [{ domid: 5, access: "none" }, ...others(4)]);
    await rejectsWith(domU.setPerms("p", [{ domid: 5, access: "none" }, ...others(5)]), "ENOSPC");
    assert.equal((await domU.getPerms("p")).length, 5);
  }));

Deno.test("guest rules (real xenstored): a guest may open one transaction more than the quota", () =>
  withDomain(async (_dom0, domU) => {
    const open = [];
    for (let i = 0; i < 11; i++) open.push(await domU.startTransaction());
    await rejectsWith(domU.startTransaction(), "ENOSPC");
    await open[0].abort();
    open[0] = await domU.startTransaction();
    for (const tx of open) await tx.abort();
  }));

Deno.test("guest rules (real xenstored): the size quota is on the node's whole record, its children's names too", () =>
  withDomain(async (dom0, domU) => {
    // 24-byte header, 8 bytes a permission entry, the value, the children's
    // names with their NULs: at 2048 or more, ENOSPC
    await domU.write("v", "x".repeat(2048 - 24 - 8 - 1)); // one entry: 2047
    await rejectsWith(domU.write("v", "x".repeat(2048 - 24 - 8)), "ENOSPC");
    await rejectsWith(domU.write("w", "x".repeat(2048)), "ENOSPC");
    // a parent's record grows with each child's name: 24 + 8 + 0 + 10 * 2 + n * 3
    let created = 0;
    for (let i = 0; i < 1000; i++) {
      try {
        await domU.write(`dir/${i}`, "");
      } catch (err) {
        assert.ok(err instanceof XenstoreError && err.code === "ENOSPC", String(err));
        break;
      }
      created++;
    }
    // 24 + 8 + 10 * 2 + 90 * 3 + (created - 100) * 4 < 2048 <= the same with one more
    assert.equal(created, 531);
    // dom0 is exempt
    await dom0.write("/local/domain/5/big", "x".repeat(3000));
  }));
