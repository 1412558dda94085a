// Copyright 2026 the xenpv authors. MIT license.
// The client's opt-in blocking waits (`blockingWaitUs`): a lone request's
// reply read within the same turn of the event loop, a bounded fallback when
// it does not come in time, never a block while this process serves xenstore
// on a socket, and failures reported as on the usual path.

import assert from "node:assert/strict";
import {
  XenstoreClient,
  XenstoreClosedError,
  XenstoreError,
  XenstoreServer,
} from "../../xenstore/mod.ts";
import { UnixListener } from "../../_sys/unix_socket.ts";
import { FdStream } from "../../_sys/fd_stream.ts";
import { socketPath, spawnDeno, startXenstored } from "../_peers.ts";
import { within } from "../_within.ts";

async function stop(server: Deno.ChildProcess, path: string): Promise<void> {
  try {
    server.kill("SIGKILL");
  } catch { /* gone */ }
  await server.status;
  try {
    Deno.removeSync(path);
  } catch { /* removed */ }
}

/**
 * Starts a server process listening on `path` that runs `body` on its first
 * connection (`conn`, with `listener` in scope); resolves once it listens.
 */
async function scriptServer(path: string, body: string): Promise<Deno.ChildProcess> {
  const script = `
    const listener = Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} });
    console.log("ready");
    const conn = await listener.accept();
    ${body}
  `;
  return (await spawnDeno(["eval", script])).child;
}

/** Counts FdStream.readWithin() calls (the client's blocking waits) until restored. */
function countBlockingReads(): { count: number; restore(): void } {
  const original = FdStream.prototype.readWithin;
  const counter = {
    count: 0,
    restore: () => void (FdStream.prototype.readWithin = original),
  };
  FdStream.prototype.readWithin = function (this: FdStream, timeoutUs: number) {
    counter.count++;
    return original.call(this, timeoutUs);
  };
  return counter;
}

/** Microtask turns only: nothing from the event loop (no I/O callback) runs meanwhile. */
async function microtasks(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

Deno.test("blockingWaitUs: a lone reply is read within the same turn of the event loop", async () => {
  const path = socketPath("blocking");
  const server = await startXenstored(path);
  try {
    await using client = await XenstoreClient.connect({ path, blockingWaitUs: 10000 });
    const blocks = countBlockingReads();
    try {
      await client.write("/b", "value");
    } finally {
      blocks.restore();
    }
    assert.ok(blocks.count > 0, "a lone request made no blocking wait"); // (the count is right)
    // Without blocking waits a reply needs an I/O callback, i.e. a later
    // turn: it never lands within microtasks. Tries a few times (a loaded
    // machine may miss the 10 ms once).
    let sameTurn = 0;
    for (let i = 0; i < 20 && sameTurn === 0; i++) {
      const reply = client.readString("/b");
      await microtasks();
      if (client.pendingRequests === 0) sameTurn++;
      assert.equal(await reply, "value");
    }
    assert.ok(sameTurn > 0, "no reply was read by a blocking wait");
    await assert.rejects(
      client.read("/missing"),
      (e) => e instanceof XenstoreError && e.code === "ENOENT",
    );
    // Several in flight: sent together and awaited the usual way.
    const many = await Promise.all(Array.from({ length: 50 }, () => client.readString("/b")));
    assert.deepEqual(many, Array(50).fill("value"));
    // A watch makes the read loop run; requests go the usual way and events come.
    await using watch = await client.watch("/b");
    assert.equal((await watch.next()).value?.path, "/b");
    await client.write("/b/c", "1");
    assert.equal((await watch.next()).value?.path, "/b/c");
  } finally {
    await stop(server, path);
  }
});

Deno.test("blockingWaitUs: never blocks while this process serves xenstore on a socket", async () => {
  const path = socketPath("blocking-here");
  const server = new XenstoreServer();
  const listener = server.listen(path);
  try {
    await using client = await XenstoreClient.connect({ path, blockingWaitUs: 10000 });
    await using local = server.connectClient(); // no socket, no block
    await local.write("/h", "1");
    // A block would last the whole 10 ms (this event loop is the server): the
    // blocking reads are counted, not timed (a slow machine takes 10 ms anyway).
    // Two requests: three misses in a row would pause blocking waits.
    const blocks = countBlockingReads();
    try {
      for (let i = 0; i < 2; i++) {
        const reply = client.readString("/h");
        reply.catch(() => {}); // handled below (a failed assertion closes the client first)
        await microtasks();
        assert.equal(blocks.count, 0, "a request blocked the event loop");
        assert.equal(await reply, "1");
      }
    } finally {
      blocks.restore();
    }
  } finally {
    await listener.close();
    await server.close();
  }
});

Deno.test("blockingWaitUs: a reply that does not come in time is awaited the usual way", async () => {
  // A socket served by this event loop without XenstoreServer.listen: the
  // client cannot tell, blocks, misses, and must fall back.
  const path = socketPath("blocking-miss");
  const listener = UnixListener.listen(path);
  const echo = (async () => {
    const conn = await listener.accept();
    if (conn === null) return;
    for (;;) {
      const chunk = await conn.read();
      if (chunk === null) break;
      await conn.write(chunk); // a READ echoed is a READ reply: its payload, the path
    }
    await conn.close();
  })();
  try {
    const client = await XenstoreClient.connect({ path, blockingWaitUs: 2000 });
    for (let i = 0; i < 5; i++) {
      assert.equal(await within(1000, client.readString("/echo")), "/echo\0");
    }
    await client.close();
    await echo;
  } finally {
    await listener.close();
  }
});

Deno.test("blockingWaitUs: a reply split across reads is finished the usual way", async () => {
  // A server process that sends each reply's header, then its payload 30 ms later:
  // the blocking wait gets the header only.
  const path = socketPath("blocking-split");
  const server = await scriptServer(
    path,
    `
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      const request = buf.slice(0, n); // a READ, echoed as its reply
      await conn.write(request.subarray(0, 16));
      await new Promise((r) => setTimeout(r, 30));
      await conn.write(request.subarray(16));
    }
    listener.close();
  `,
  );
  try {
    await using client = await XenstoreClient.connect({ path, blockingWaitUs: 10000 });
    for (let i = 0; i < 3; i++) {
      assert.equal(await within(1000, client.readString("/split")), "/split\0");
    }
  } finally {
    await stop(server, path);
  }
});

Deno.test("blockingWaitUs: the socket waits in the kernel for replies, yet its writes never block", async () => {
  // A server process that accepts, never reads nor answers, and leaves after
  // 3 s. The first request's wait misses (the socket now blocks for replies,
  // bounded); then more is written than the socket holds: those writes must
  // wait for room the usual way, leaving the event loop free meanwhile.
  const path = socketPath("blocking-full");
  const server = await scriptServer(path, "setTimeout(() => Deno.exit(0), 3000);");
  try {
    const client = await XenstoreClient.connect({ path, blockingWaitUs: 1000 });
    const requests = [client.read("/first")];
    await microtasks(); // its blocking wait ran (and missed)
    const value = "v".repeat(4000);
    for (let i = 0; i < 200; i++) {
      requests.push(client.write(`/w${i}`, value).then(() => new Uint8Array()));
    }
    const settled = Promise.allSettled(requests);
    const t = performance.now();
    await new Promise((r) => setTimeout(r, 20));
    const took = performance.now() - t;
    assert.ok(took < 1000, `writing blocked the event loop for ${took.toFixed(0)} ms`);
    assert.ok(client.pendingRequests > 0);
    await client.close();
    for (const r of await settled) {
      assert.ok(r.status === "rejected" && r.reason instanceof XenstoreClosedError);
    }
  } finally {
    await stop(server, path);
  }
});

Deno.test("blockingWaitUs: the server gone is XenstoreClosedError", async () => {
  const path = socketPath("blocking-gone");
  const server = await startXenstored(path);
  try {
    await using client = await XenstoreClient.connect({ path, blockingWaitUs: 10000 });
    await client.write("/g", "1");
    await stop(server, path);
    await within(1000, assert.rejects(client.read("/g"), XenstoreClosedError));
    await assert.rejects(client.read("/g"), XenstoreClosedError);
  } finally {
    await stop(server, path);
  }
});

Deno.test("blockingWaitUs: bad values are RangeError; with Deno's sockets a TypeError", async () => {
  for (const bad of [-1, 10001, Number.NaN, "100" as unknown as number]) {
    await assert.rejects(
      XenstoreClient.connect({ path: "/nonexistent", blockingWaitUs: bad }),
      RangeError,
    );
  }
  await assert.rejects(
    XenstoreClient.connect({ path: "/nonexistent", transport: "deno", blockingWaitUs: 100 }),
    TypeError,
  );
});
