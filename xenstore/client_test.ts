// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import {
  XenstoreClient,
  XenstoreClosedError,
  XenstoreError,
  XenstoreProtocolError,
  XenstoreServer,
  type XenstoreTransport,
} from "./mod.ts";
import { encodeMessage, type Message, MessageDecoder, MessageType, payloadOf } from "./wire.ts";

/** A transport whose "server" is a function the test controls. */
class ScriptedTransport implements XenstoreTransport {
  requests: Message[] = [];
  #decoder = new MessageDecoder();
  #inbox: Uint8Array[] = [];
  #reader: ((c: Uint8Array | null) => void) | undefined;
  #closed = false;
  onRequest: (m: Message) => void = () => {};

  reply(m: Message): void {
    this.push(encodeMessage(m));
  }
  push(bytes: Uint8Array): void {
    if (this.#reader) {
      const r = this.#reader;
      this.#reader = undefined;
      r(bytes);
    } else this.#inbox.push(bytes);
  }
  hangUp(): void {
    this.#closed = true;
    this.#reader?.(null);
    this.#reader = undefined;
  }
  read(): Promise<Uint8Array | null> {
    const next = this.#inbox.shift();
    if (next) return Promise.resolve(next);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((r) => this.#reader = r);
  }
  write(data: Uint8Array): Promise<void> {
    for (const m of this.#decoder.push(data)) {
      this.requests.push(m);
      this.onRequest(m);
    }
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.hangUp();
    return Promise.resolve();
  }
}

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("replies are matched by req_id, whatever their order", async () => {
  const t = new ScriptedTransport();
  const client = new XenstoreClient(t);
  const reads = ["/a", "/b", "/c"].map((p) => client.readString(p));
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(t.requests.length, 3);
  for (const m of [...t.requests].reverse()) {
    const path = new TextDecoder().decode(m.payload).replace("\0", "");
    t.reply({ ...m, payload: text(`value of ${path}`) });
  }
  assert.deepEqual(await Promise.all(reads), ["value of /a", "value of /b", "value of /c"]);
  // unique ids
  assert.equal(new Set(t.requests.map((m) => m.reqId)).size, 3);
  await client.close();
});

Deno.test("requests issued together leave in one write", async () => {
  const t = new ScriptedTransport();
  let writes = 0;
  const write = t.write.bind(t);
  t.write = (d) => {
    writes++;
    return write(d);
  };
  t.onRequest = (m) => t.reply({ ...m, payload: payloadOf(["OK"]) });
  const client = new XenstoreClient(t);
  await Promise.all(Array.from({ length: 64 }, (_, i) => client.write(`/k${i}`, "v")));
  assert.equal(writes, 1);
  await client.close();
});

Deno.test("close() rejects pending requests and later ones with XenstoreClosedError", async () => {
  const t = new ScriptedTransport();
  const client = new XenstoreClient(t);
  const pending = client.read("/a");
  await client.close();
  await assert.rejects(pending, XenstoreClosedError);
  await assert.rejects(client.read("/a"), XenstoreClosedError);
  assert.equal(client.closed, true);
});

Deno.test("the server hanging up rejects every pending call and ends watches", async () => {
  const t = new ScriptedTransport();
  t.onRequest = (m) => {
    if (m.type === MessageType.WATCH) t.reply({ ...m, payload: payloadOf(["OK"]) });
  };
  const client = new XenstoreClient(t);
  const watch = await client.watch("/w");
  const nextEvent = watch.next();
  const calls = [client.read("/a"), client.directory("/"), nextEvent];
  t.hangUp();
  for (const call of calls) {
    await assert.rejects(
      call,
      (e) => e instanceof XenstoreClosedError && /closed by the server/.test(e.message),
    );
  }
  await assert.rejects(client.write("/x", "y"), XenstoreClosedError);
  await client.close();
});

Deno.test("an ERROR reply becomes a XenstoreError with the name, op and path", async () => {
  const t = new ScriptedTransport();
  t.onRequest = (m) => t.reply({ ...m, type: MessageType.ERROR, payload: payloadOf(["EACCES"]) });
  await using client = new XenstoreClient(t);
  const err = await client.read("/secret").catch((e) => e);
  assert.ok(err instanceof XenstoreError);
  assert.equal(err.code, "EACCES");
  assert.equal(err.op, "READ");
  assert.equal(err.path, "/secret");
  assert.match(err.message, /READ \/secret: EACCES/);
});

Deno.test("a malformed stream from the server fails the connection with a protocol error", async () => {
  const t = new ScriptedTransport();
  const client = new XenstoreClient(t);
  const pending = client.read("/a");
  const header = new Uint8Array(16);
  new DataView(header.buffer).setUint32(12, 100000, true);
  t.push(header);
  await assert.rejects(pending, XenstoreProtocolError);
  await assert.rejects(client.read("/a"), XenstoreProtocolError);
  await client.close();
});

Deno.test("a reply of the wrong type rejects that request only", async () => {
  const t = new ScriptedTransport();
  t.onRequest = (m) => {
    const path = new TextDecoder().decode(m.payload);
    t.reply({
      ...m,
      type: path.startsWith("/odd") ? MessageType.WRITE : m.type,
      payload: text("v"),
    });
  };
  await using client = new XenstoreClient(t);
  await assert.rejects(client.read("/odd"), XenstoreProtocolError);
  assert.equal(await client.readString("/fine"), "v");
});

Deno.test("an aborted request rejects with the reason; its late reply is dropped", async () => {
  const t = new ScriptedTransport();
  await using client = new XenstoreClient(t);
  const controller = new AbortController();
  const p = client.read("/slow", { signal: controller.signal });
  await new Promise((r) => setTimeout(r, 0));
  controller.abort(new Error("gave up"));
  await assert.rejects(p, /gave up/);
  t.reply({ ...t.requests[0], payload: text("late") });
  t.onRequest = (m) => t.reply({ ...m, payload: text("fresh") });
  assert.equal(await client.readString("/next"), "fresh");
  await assert.rejects(client.read("/x", { signal: AbortSignal.abort() }));
});

Deno.test("bad arguments throw before anything is sent", async () => {
  const t = new ScriptedTransport();
  await using client = new XenstoreClient(t);
  await assert.rejects(client.read("/a//b"), TypeError);
  await assert.rejects(client.write("/a", "x".repeat(5000)), RangeError);
  await assert.rejects(client.watch("/a", { token: "" }), TypeError);
  await assert.rejects(client.getDomainPath(-1), RangeError);
  await assert.rejects(client.setPerms("/a", []), TypeError);
  await assert.rejects(client.setPerms("/a", [{ domid: 0, access: "all" as never }]), TypeError);
  await assert.rejects(client.transaction(() => {}, { maxAttempts: 0 }), RangeError);
  await assert.rejects(client.write("/a", 5 as never), TypeError);
  assert.equal(t.requests.length, 0);
});

Deno.test("watch: leaving for-await unwatches on the server", async () => {
  await using server = new XenstoreServer();
  await using client = server.connectClient();
  const seen: string[] = [];
  setTimeout(() => client.write("/w/a", "1"), 5);
  for await (const event of await client.watch("/w")) {
    seen.push(event.path);
    if (seen.length === 2) break;
  }
  assert.deepEqual(seen, ["/w", "/w/a"]);
  await client.readString("/w/a"); // round trip: the UNWATCH has been processed
  assert.equal(server.stats.watches, 0);
});

Deno.test("watch: a reader that falls behind gets one overflowed event", async () => {
  await using server = new XenstoreServer();
  await using client = server.connectClient();
  await using watch = await client.watch("/o", { maxQueued: 8 });
  for (let i = 0; i < 20; i++) await client.write(`/o/${i}`, "x");
  await client.read("/o/0"); // events precede this reply
  // 21 events (initial + 20) into a queue of 8: collapsed at the 9th and the
  // 17th, leaving the overflow marker and 4 more.
  assert.equal(watch.queued, 5);
  const first = (await watch.next()).value;
  assert.deepEqual(first, { path: "/o", token: watch.token, overflowed: true });
});

Deno.test("watch: signal aborts the watch", async () => {
  await using server = new XenstoreServer();
  await using client = server.connectClient();
  const controller = new AbortController();
  const watch = await client.watch("/s", { signal: controller.signal });
  await watch.next();
  const waiting = watch.next();
  controller.abort();
  assert.deepEqual(await waiting, { value: undefined, done: true });
  await client.readString("/").catch(() => {});
  assert.equal(server.stats.watches, 0);
});

Deno.test("transaction(): gives up after maxAttempts conflicts with EAGAIN", async () => {
  await using server = new XenstoreServer();
  await using a = server.connectClient();
  await using b = server.connectClient();
  await a.write("/c", "0");
  let runs = 0;
  const err = await a.transaction(async (tx) => {
    runs++;
    await tx.readString("/c");
    await b.write("/c", String(runs)); // someone else always gets in first
    await tx.write("/c", "mine");
  }, { maxAttempts: 3 }).catch((e) => e);
  assert.equal(runs, 3);
  assert.ok(err instanceof XenstoreError && err.code === "EAGAIN", String(err));
  assert.equal(await a.readString("/c"), "3");
  assert.equal(server.stats.transactions, 0);
});

Deno.test("transaction(): an exception aborts the transaction and is rethrown", async () => {
  await using server = new XenstoreServer();
  await using client = server.connectClient();
  await assert.rejects(
    client.transaction(async (tx) => {
      await tx.write("/t", "never");
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.equal(await client.exists("/t"), false);
  assert.equal(server.stats.transactions, 0);
});

Deno.test("transaction: disposing an unfinished one aborts it", async () => {
  await using server = new XenstoreServer();
  await using client = server.connectClient();
  {
    await using tx = await client.startTransaction();
    await tx.write("/d", "x");
  }
  assert.equal(server.stats.transactions, 0);
  assert.equal(await client.exists("/d"), false);
});
