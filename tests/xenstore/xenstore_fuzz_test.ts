// Copyright 2026 the xenpv authors. MIT license.
// Fuzzing the xenstore layer with 100,000+ malformed or random packets each:
// the codec, our server (as dom0 and as a guest), and our client facing a
// hostile server. Nothing may crash or hang, memory stays bounded, and every
// bad packet ends as a rejected request (a typed error) or a closed
// connection. Seeds are fixed: a failure names its round and reproduces.

import assert from "node:assert/strict";
import { prng } from "../_prng.ts";
import { XENSTORE_ERRORS } from "../../xenstore/errors.ts";
import {
  XenstoreClient,
  XenstoreClosedError,
  XenstoreError,
  XenstoreProtocolError,
  XenstoreServer,
} from "../../xenstore/mod.ts";
import {
  encodeMessage,
  type Message,
  MessageDecoder,
  MessageType,
  PAYLOAD_MAX,
  payloadOf,
  splitPayload,
  splitPayloadStrict,
} from "../../xenstore/wire.ts";
import { createPipe } from "../../xenstore/_pipe.ts";
import type { XenstoreTransport } from "../../xenstore/transport.ts";

const PACKETS = 100_000;
const encoder = new TextEncoder();
type Rand = () => number;

const int = (rand: Rand, n: number) => Math.floor(rand() * n);
const pick = <T>(rand: Rand, items: readonly T[]): T => items[int(rand, items.length)];

/** Random bytes, biased to the characters xenstore parsers care about. */
function bytes(rand: Rand, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = rand();
    out[i] = r < 0.1 ? 0 : r < 0.2 ? 0x2f : r < 0.3 ? 0x80 | int(rand, 0x80) : int(rand, 256);
  }
  return out;
}

/** A path-ish string: valid, relative, special, too long, odd characters. */
function pathish(rand: Rand): string {
  const r = rand();
  if (r < 0.05) return "/" + "a".repeat(int(rand, 4000));
  if (r < 0.1) return pick(rand, ["@introduceDomain", "@releaseDomain", "@", "@x", ""]);
  if (r < 0.15) return "/a//b";
  if (r < 0.2) return "/a/";
  const depth = 1 + int(rand, 4);
  const parts = Array.from(
    { length: depth },
    () => pick(rand, ["local", "domain", "0", "5", "x", "é", "a b", "-_@", "..", "\u{1F600}"]),
  );
  return (rand() < 0.8 ? "/" : "") + parts.join("/");
}

/** A payload for a request of `type`: well-formed parts, broken ones, or noise. */
function requestPayload(rand: Rand, type: number): Uint8Array {
  const r = rand();
  if (r < 0.15) return bytes(rand, int(rand, 64)); // noise, maybe no NUL
  if (r < 0.2) return bytes(rand, PAYLOAD_MAX - int(rand, 16)); // large
  if (r < 0.25) return new Uint8Array([0xc3, 0x28, 0]); // invalid UTF-8
  const word = () =>
    pick(rand, [
      pathish(rand),
      String(int(rand, 70000)),
      pick(rand, ["T", "F", "n0", "b5", "r1", "w99999", "x0", "", "nodes", "watches"]),
      "-1",
      "4294967296",
    ]);
  const parts: (string | Uint8Array)[] = Array.from({ length: int(rand, 4) }, word);
  if (type === MessageType.WRITE && rand() < 0.7) parts.push(bytes(rand, int(rand, 3000)));
  const payload = payloadOf(parts.length > 0 ? parts : [""]);
  // Sometimes drop the final NUL; never more than a message holds.
  const end = Math.min(PAYLOAD_MAX, payload.length - (rand() < 0.1 ? 1 : 0));
  return payload.subarray(0, Math.max(0, end));
}

const TYPES = [...Array(27).keys(), 0xffff, 0x10000, 0x7fffffff, 0xffffffff];

function randomRequest(rand: Rand, openTx: number[]): Message {
  const type = rand() < 0.9 ? pick(rand, TYPES) : int(rand, 2 ** 32);
  const r = rand();
  const txId = r < 0.7
    ? 0
    : r < 0.85 && openTx.length > 0
    ? pick(rand, openTx)
    : int(rand, 2 ** 32);
  return { type, reqId: int(rand, 2 ** 32), txId, payload: requestPayload(rand, type) };
}

Deno.test(`fuzz: the codec takes ${PACKETS} random, truncated and oversized packets`, () => {
  const rand = prng(1);
  let decoder = new MessageDecoder();
  const counts = { messages: 0, oversized: 0, truncated: 0 };
  for (let n = 0; n < PACKETS; n++) {
    const kind = rand();
    const payload = bytes(rand, rand() < 0.02 ? PAYLOAD_MAX : int(rand, 300));
    const m = { type: int(rand, 2 ** 32), reqId: int(rand, 2 ** 32), txId: 0, payload };
    let packet = encodeMessage(m);
    if (kind < 0.05) { // a header announcing more than 4096 bytes
      new DataView(packet.buffer).setUint32(12, PAYLOAD_MAX + 1 + int(rand, 2 ** 31), true);
    } else if (kind < 0.1) {
      packet = packet.subarray(0, int(rand, packet.length)); // the stream ends mid-packet
    }
    const got: Message[] = [];
    let failed: unknown;
    try {
      for (let at = 0; at < packet.length;) {
        const step = 1 + int(rand, 700);
        got.push(...decoder.push(packet.subarray(at, at + step)));
        at += step;
        assert.ok(decoder.buffered <= 16 + PAYLOAD_MAX);
      }
    } catch (err) {
      failed = err;
    }
    if (kind < 0.05) {
      assert.ok(failed instanceof XenstoreProtocolError, `packet ${n}: ${failed}`);
      assert.throws(() => decoder.push(new Uint8Array(1)), XenstoreProtocolError); // stays failed
      counts.oversized++;
      decoder = new MessageDecoder(); // the connection is gone; a new one starts clean
    } else if (kind < 0.1) {
      assert.equal(failed, undefined);
      assert.deepEqual(got, []);
      assert.equal(decoder.buffered, packet.length);
      counts.truncated++;
      decoder = new MessageDecoder();
    } else {
      assert.equal(failed, undefined);
      assert.equal(got.length, 1, `packet ${n}`);
      assert.deepEqual(got[0], m);
      assert.equal(decoder.buffered, 0);
      counts.messages++;
      // The payload splitters never throw, whatever the bytes.
      splitPayload(payload);
      const strict = splitPayloadStrict(payload);
      if (strict !== undefined) assert.equal(payload.at(-1) ?? 0, 0);
    }
  }
  assert.ok(counts.oversized > 4000 && counts.truncated > 4000, JSON.stringify(counts));
});

/** Reads replies from a raw transport into a queue; `closed` resolves at end of stream. */
function replyReader(transport: XenstoreTransport) {
  const decoder = new MessageDecoder();
  const replies: Message[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  const done = (async () => {
    try {
      for (;;) {
        const chunk = await transport.read();
        if (chunk === null) break;
        replies.push(...decoder.push(chunk));
        wake?.();
      }
    } finally {
      closed = true;
      wake?.();
    }
  })();
  return {
    replies,
    get closed() {
      return closed;
    },
    done,
    /** Waits until `n` replies are queued or the stream ended. */
    async until(n: number) {
      while (replies.length < n && !closed) await new Promise<void>((r) => wake = r);
      wake = undefined;
    },
  };
}

for (const domid of [0, 5]) {
  Deno.test(`fuzz: the server answers ${PACKETS} random requests as domain ${domid}`, async () => {
    await using server = new XenstoreServer();
    await using admin = server.connectClient();
    await admin.write("/local/domain/5/name", "guest");
    await admin.setPerms("/local/domain/5", [{ domid: 5, access: "none" }]);
    server.introduceDomain(5);
    const rand = prng(100 + domid);
    const counts = { requests: 0, errors: 0, ok: 0, events: 0, connections: 0, framing: 0 };
    while (counts.requests < PACKETS) {
      const transport = server.connectTransport({ domid });
      counts.connections++;
      const reader = replyReader(transport);
      const openTx: number[] = [];
      // Rounds of up to 64 requests in one write; every one gets exactly one
      // reply with its req_id, of its type or ERROR.
      for (let round = 0; round < 40 && counts.requests < PACKETS; round++) {
        // (RELEASE from a guest is refused; from dom0 it may release domain 5,
        // which ends only domain 5's connections.)
        const batch = Array.from({ length: 1 + int(rand, 64) }, () => randomRequest(rand, openTx));
        const wire = new Uint8Array(batch.reduce((n, m) => n + 16 + m.payload.length, 0));
        let at = 0;
        for (const m of batch) {
          const packet = encodeMessage(m);
          wire.set(packet, at);
          at += packet.length;
        }
        await transport.write(wire);
        counts.requests += batch.length;
        const isReply = (m: Message) => m.type !== MessageType.WATCH_EVENT || m.reqId !== 0;
        while (reader.replies.filter(isReply).length < batch.length && !reader.closed) {
          // A request left unanswered is a hang: name it instead of waiting for ever.
          let timer: ReturnType<typeof setTimeout> | undefined;
          const hung = new Promise<true>((r) => timer = setTimeout(() => r(true), 5000));
          const stuck = await Promise.race([reader.until(reader.replies.length + 1), hung]);
          clearTimeout(timer);
          if (stuck) {
            const answered = new Set(reader.replies.map((m) => m.reqId));
            const missing = batch.filter((m) => !answered.has(m.reqId)).map((m) =>
              `${m.type} tx=${m.txId} ${
                JSON.stringify(new TextDecoder().decode(m.payload.subarray(0, 60)))
              }`
            );
            assert.fail(`domain ${domid}: no reply to ${missing.join("; ")}`);
          }
        }
        assert.ok(
          !reader.closed,
          `domain ${domid}: connection closed answering ${
            JSON.stringify(batch.map((m) => m.type))
          }`,
        );
        const replies = reader.replies.splice(0);
        const answers = replies.filter(isReply);
        counts.events += replies.length - answers.length;
        assert.equal(answers.length, batch.length);
        answers.forEach((reply, i) => {
          const request = batch[i];
          assert.equal(reply.reqId, request.reqId);
          assert.ok(reply.payload.length <= PAYLOAD_MAX);
          if (reply.type === MessageType.ERROR) {
            const name = splitPayloadStrict(reply.payload);
            assert.ok(name?.length === 1 && XENSTORE_ERRORS.includes(name[0]), String(name));
            counts.errors++;
          } else {
            assert.equal(reply.type, request.type);
            counts.ok++;
            if (request.type === MessageType.TRANSACTION_START) {
              openTx.push(Number(splitPayload(reply.payload)[0]));
            }
          }
        });
      }
      // End half the connections with broken framing (an oversized header
      // closes them), a quarter in the middle of a packet.
      const ending = rand();
      if (ending < 0.5) {
        const header = new Uint8Array(16);
        new DataView(header.buffer).setUint32(12, PAYLOAD_MAX + 1 + int(rand, 1000), true);
        await transport.write(header);
        await reader.done; // the server hangs up
        counts.framing++;
      } else if (ending < 0.75) {
        await transport.write(encodeMessage(randomRequest(rand, [])).subarray(0, 9)); // cut short
      }
      await transport.close();
      await reader.done;
    }
    // Bounded: a guest stays within its quotas; closed connections leave nothing behind.
    await new Promise((r) => setTimeout(r, 0)); // the last connection's teardown
    const stats = server.stats;
    assert.equal(stats.connections, 1); // the admin client
    assert.equal(stats.watches, 0);
    assert.equal(stats.transactions, 0);
    if (domid !== 0) assert.ok(stats.nodes < 1100, `${stats.nodes} nodes`);
    // And the server still works.
    await admin.write("/after/fuzz", "ok");
    assert.equal(await admin.readString("/after/fuzz"), "ok");
    assert.ok(
      counts.errors > 10_000 && counts.ok > 1_000 && counts.framing > 10,
      JSON.stringify(counts),
    );
  });
}

/** What a hostile server sends back for one request. */
function hostileReplies(rand: Rand, request: Message): Message[] {
  const { reqId, type } = request;
  const r = rand();
  const reply = (t: number, payload: Uint8Array, id = reqId): Message => ({
    type: t,
    reqId: id,
    txId: request.txId,
    payload,
  });
  if (r < 0.1) return []; // never answered: the caller's signal or close() ends it
  if (r < 0.2) return [reply(type, bytes(rand, int(rand, 200)), int(rand, 2 ** 32))]; // wrong req_id
  if (r < 0.3) return [reply(pick(rand, TYPES), bytes(rand, int(rand, 100)))]; // wrong type
  if (r < 0.4) { // ERROR with a known name, a strange one, or garbage
    const name = rand() < 0.5 ? pick(rand, XENSTORE_ERRORS) : rand() < 0.5 ? "E2BIG" : "";
    return [reply(MessageType.ERROR, rand() < 0.7 ? payloadOf([name]) : bytes(rand, 300))];
  }
  if (r < 0.5) { // a huge reply: a full directory listing, a long generation
    const names = Array.from({ length: 400 }, () => "n" + int(rand, 1e6));
    let payload = payloadOf(names).subarray(0, PAYLOAD_MAX);
    if (type === MessageType.DIRECTORY_PART) {
      payload = payloadOf([String(int(rand, 3)), ...names.slice(0, 300)]);
    }
    return [reply(type, payload)];
  }
  if (r < 0.6) { // watch events: well-formed, half-formed, invalid UTF-8
    const events = Array.from({ length: 1 + int(rand, 5) }, () =>
      reply(
        MessageType.WATCH_EVENT,
        rand() < 0.5 ? payloadOf([pathish(rand), "xenpv-" + int(rand, 50)]) : bytes(rand, 40),
        0,
      ));
    return [...events, reply(type, payloadOf(["OK"]))];
  }
  if (r < 0.65) return [reply(type, new Uint8Array([0xff, 0xfe, 0]))]; // invalid UTF-8
  if (r < 0.7) return [reply(type, payloadOf(["OK"])), reply(type, payloadOf(["OK"]))]; // twice
  if (type === MessageType.DIRECTORY_PART && rand() < 0.5) {
    return [reply(type, payloadOf(["1", "a", "b", ""]))]; // a proper last part
  }
  if (type === MessageType.TRANSACTION_START) {
    return [reply(type, payloadOf([pick(rand, ["7", "0", "-1", "x", "99999999999"])]))];
  }
  return [reply(type, bytes(rand, int(rand, 64)))]; // the right type, random payload
}

/** One random client call; resolves to what it returned or threw. */
function randomCall(rand: Rand, client: XenstoreClient, signal: AbortSignal): Promise<unknown> {
  const path = pick(rand, ["/a", "/local/domain/1", "x/y", "/v"]);
  const options = { signal };
  switch (int(rand, 12)) {
    case 0:
      return client.read(path, options);
    case 1:
      return client.readString(path, options);
    case 2:
      return client.tryRead(path, options);
    case 3:
      return client.exists(path, options);
    case 4:
      return client.write(path, "v", options);
    case 5:
      return client.directory(path, options);
    case 6:
      return client.getPerms(path, options);
    case 7:
      return client.getDomainPath(int(rand, 10), options);
    case 8:
      return client.isDomainIntroduced(int(rand, 10), options);
    case 9:
      return client.getFeature(undefined, options);
    case 10:
      return client.transaction(async (tx) => await tx.readString(path, options), {
        signal,
        maxAttempts: 2,
      });
    default:
      return (async () => {
        await using watch = await client.watch(path, options);
        return await watch.next();
      })();
  }
}

Deno.test(`fuzz: the client takes ${PACKETS} hostile reply packets`, async () => {
  const rand = prng(7);
  const outcomes = new Map<string, number>();
  const count = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
  let packets = 0;
  while (packets < PACKETS) {
    const [clientEnd, serverEnd] = createPipe();
    const client = new XenstoreClient(clientEnd);
    const abort = new AbortController();
    const calls = Array.from(
      { length: 1 + int(rand, 64) },
      () => randomCall(rand, client, abort.signal),
    );
    let settled = 0;
    const all = Promise.allSettled(calls.map((c) => c.finally(() => settled++)));
    // The hostile server: answers what comes, now and then breaks the framing.
    const decoder = new MessageDecoder();
    let sentHere = 0;
    const stop = all.then(() => null);
    let reading: Promise<Uint8Array | null> | undefined;
    while (settled < calls.length && sentHere < 1000) {
      // A call may rightly wait for ever (a watch with no event, a request
      // whose reply went astray); after a quiet moment the caller gives up.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const quiet = new Promise<null>((r) => timer = setTimeout(() => r(null), 2));
      const chunk = await Promise.race([reading ??= serverEnd.read(), stop, quiet]);
      clearTimeout(timer);
      if (chunk === null) break;
      reading = undefined;
      const out: Uint8Array[] = [];
      for (const request of decoder.push(chunk)) {
        out.push(...hostileReplies(rand, request).map(encodeMessage));
      }
      if (rand() < 0.02) { // a header announcing 4097+ bytes: the client must drop the connection
        const bad = new Uint8Array(16);
        new DataView(bad.buffer).setUint32(12, PAYLOAD_MAX + 1 + int(rand, 2 ** 31), true);
        out.splice(int(rand, out.length + 1), 0, bad);
      }
      try {
        for (const packet of out) await serverEnd.write(packet);
      } catch {
        break; // the client hung up (it must, after a broken header)
      }
      packets += out.length;
      sentHere += out.length;
    }
    // Whatever was never answered ends when its caller gives up.
    if (rand() < 0.5) abort.abort(new DOMException("gave up", "AbortError"));
    await client.close();
    for (const result of await all) {
      if (result.status === "fulfilled") {
        count("value");
        continue;
      }
      const err = result.reason;
      const typed = err instanceof XenstoreError || err instanceof XenstoreProtocolError ||
        err instanceof XenstoreClosedError ||
        (err instanceof DOMException && err.name === "AbortError");
      assert.ok(typed, `untyped failure: ${err?.stack ?? err}`);
      count(err.name);
    }
    assert.equal(client.pendingRequests, 0);
    await serverEnd.close();
  }
  const seen = Object.fromEntries(outcomes);
  for (const name of ["value", "XenstoreError", "XenstoreProtocolError", "XenstoreClosedError"]) {
    assert.ok((outcomes.get(name) ?? 0) > 100, JSON.stringify(seen));
  }
});

Deno.test("fuzz: ERROR replies carry only well-formed names", async () => {
  const [clientEnd, serverEnd] = createPipe();
  await using client = new XenstoreClient(clientEnd);
  const decoder = new MessageDecoder();
  const answer = async (payload: Uint8Array) => {
    const pending = client.read("/a");
    const [request] = decoder.push((await serverEnd.read())!);
    await serverEnd.write(encodeMessage({ ...request, type: MessageType.ERROR, payload }));
    return await pending.then(() => undefined, (e) => e);
  };
  const known = await answer(payloadOf(["ENOENT"]));
  assert.ok(known instanceof XenstoreError && known.code === "ENOENT");
  // A terminal escape or garbage as the "name" is the server breaking the protocol.
  const escape = await answer(encoder.encode("\x1b]0;pwned\x07\0"));
  assert.ok(escape instanceof XenstoreProtocolError, String(escape));
  assert.ok(!escape.message.includes("\x1b"));
  const empty = await answer(new Uint8Array());
  assert.ok(empty instanceof XenstoreProtocolError, String(empty));
  await serverEnd.close();
});

Deno.test("fuzz: a directory listing that never ends is cut off at 16 MiB", async () => {
  const [clientEnd, serverEnd] = createPipe();
  await using client = new XenstoreClient(clientEnd);
  const listing = client.directory("/big").then(() => undefined, (e) => e);
  const decoder = new MessageDecoder();
  const names = Array.from({ length: 400 }, (_, i) => `node-${i}`);
  let parts = 0;
  for (;;) {
    const chunk = await Promise.race([serverEnd.read(), listing.then(() => null)]);
    if (chunk === null) break;
    for (const request of decoder.push(chunk)) {
      const reply = request.type === MessageType.DIRECTORY
        ? { ...request, type: MessageType.ERROR, payload: payloadOf(["E2BIG"]) }
        : { ...request, payload: payloadOf(["1", ...names]) };
      if (request.type === MessageType.DIRECTORY_PART) parts++;
      await serverEnd.write(encodeMessage(reply));
    }
  }
  const err = await listing;
  assert.ok(
    err instanceof XenstoreProtocolError && /16777216 bytes/.test(err.message),
    String(err),
  );
  assert.ok(parts > 4000 && parts < 6000, `${parts} parts`);
  await serverEnd.close();
});
