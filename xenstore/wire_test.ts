// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { prng } from "../tests/_prng.ts";
import {
  encodeMessage,
  type Message,
  MessageDecoder,
  MessageType,
  messageTypeName,
  PAYLOAD_MAX,
  payloadOf,
  splitPayload,
  splitPayloadStrict,
} from "./wire.ts";
import { XenstoreProtocolError } from "./errors.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("message types match Xen's xs_wire.h numbering", () => {
  assert.equal(MessageType.CONTROL, 0);
  assert.equal(MessageType.WATCH_EVENT, 15);
  assert.equal(MessageType.ERROR, 16);
  assert.equal(MessageType.SET_TARGET, 19);
  assert.equal(MessageType.RESET_WATCHES, 21);
  assert.equal(MessageType.DIRECTORY_PART, 22);
  assert.equal(MessageType.SET_QUOTA, 26);
  assert.equal(MessageType.INVALID, 0xffff);
  assert.equal(messageTypeName(20), "TYPE_20");
});

Deno.test("encodeMessage writes the little-endian header seen from libxenstore", () => {
  // xenstore-write /a hello: {type 11, req_id 0, tx_id 0, len 8} "/a\0hello"
  const bytes = encodeMessage({
    type: MessageType.WRITE,
    reqId: 0,
    txId: 0,
    payload: payloadOf(["/a", new TextEncoder().encode("hello")]),
  });
  assert.deepEqual([...bytes.subarray(0, 16)], [11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0]);
  assert.equal(text(bytes.subarray(16)), "/a\0hello");
});

Deno.test("encodeMessage refuses oversized payloads and non-u32 fields", () => {
  assert.throws(
    () => encodeMessage({ type: 2, reqId: 0, txId: 0, payload: new Uint8Array(PAYLOAD_MAX + 1) }),
    RangeError,
  );
  assert.throws(
    () => encodeMessage({ type: -1, reqId: 0, txId: 0, payload: new Uint8Array() }),
    RangeError,
  );
  assert.throws(
    () => encodeMessage({ type: 1, reqId: 2 ** 32, txId: 0, payload: new Uint8Array() }),
    RangeError,
  );
  assert.throws(
    () => encodeMessage({ type: 1, reqId: 0, txId: 1.5, payload: new Uint8Array() }),
    RangeError,
  );
  // exactly the limit is fine
  encodeMessage({ type: 2, reqId: 0, txId: 0, payload: new Uint8Array(PAYLOAD_MAX) });
});

Deno.test("payloadOf and splitPayload", () => {
  assert.equal(text(payloadOf(["a", "b"])), "a\0b\0");
  assert.equal(text(payloadOf([])), "");
  assert.equal(text(payloadOf([""])), "\0");
  assert.equal(text(payloadOf(["/p", new Uint8Array([0, 1])])), "/p\0\0\x01");
  // a Uint8Array that is not last is NUL-terminated like a string
  assert.equal(text(payloadOf([new Uint8Array([65]), "b"])), "A\0b\0");
  assert.deepEqual(splitPayload(new TextEncoder().encode("a\0b\0")), ["a", "b"]);
  assert.deepEqual(splitPayload(new TextEncoder().encode("a\0b")), ["a", "b"]);
  assert.deepEqual(splitPayload(new Uint8Array()), []);
  assert.deepEqual(splitPayload(new TextEncoder().encode("\0")), [""]);
  assert.deepEqual(splitPayloadStrict(new TextEncoder().encode("a\0b")), undefined);
  assert.deepEqual(splitPayloadStrict(new Uint8Array([0xff, 0])), undefined);
  assert.deepEqual(splitPayloadStrict(new TextEncoder().encode("é\0")), ["é"]);
});

function randomMessage(rand: () => number): Message {
  const len = Math.floor(rand() * 200) * (rand() < 0.05 ? 20 : 1);
  const payload = new Uint8Array(Math.min(len, PAYLOAD_MAX));
  for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(rand() * 256);
  return {
    type: Math.floor(rand() * 27),
    reqId: Math.floor(rand() * 2 ** 32),
    txId: Math.floor(rand() * 2 ** 32),
    payload,
  };
}

Deno.test("MessageDecoder reassembles messages split at every boundary", () => {
  const rand = prng(42);
  const messages = Array.from({ length: 200 }, () => randomMessage(rand));
  const stream = new Uint8Array(
    messages.reduce((n, m) => n + 16 + m.payload.length, 0),
  );
  let at = 0;
  for (const m of messages) {
    const b = encodeMessage(m);
    stream.set(b, at);
    at += b.length;
  }
  for (
    const [maxChunk, pooled] of [1, 2, 7, 16, 17, 100, 5000, stream.length].flatMap((n) =>
      [false, true].map((p) => [n, p] as const)
    )
  ) {
    const decoder = new MessageDecoder({ pooled });
    const out: Message[] = [];
    for (let i = 0; i < stream.length;) {
      const n = 1 + Math.floor(rand() * maxChunk);
      out.push(...decoder.push(stream.subarray(i, i + n)));
      i += n;
      assert.ok(decoder.buffered <= 16 + PAYLOAD_MAX);
    }
    assert.equal(out.length, messages.length);
    out.forEach((m, i) => assert.deepEqual(m, messages[i]));
    assert.equal(decoder.buffered, 0);
  }
});

Deno.test("MessageDecoder fails (and stays failed) on an oversized length", () => {
  const decoder = new MessageDecoder();
  const header = new Uint8Array(16);
  new DataView(header.buffer).setUint32(12, PAYLOAD_MAX + 1, true);
  assert.throws(() => decoder.push(header), XenstoreProtocolError);
  assert.throws(() => decoder.push(new Uint8Array(1)), XenstoreProtocolError);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setUint32(12, 0xffffffff, true);
  assert.throws(() => new MessageDecoder().push(huge), /4294967295-byte payload/);
});

Deno.test("MessageDecoder copies payloads out of the input", () => {
  const bytes = encodeMessage({ type: 2, reqId: 1, txId: 0, payload: new Uint8Array([1, 2]) });
  const [m] = new MessageDecoder().push(bytes);
  bytes.fill(9);
  assert.deepEqual([...m.payload], [1, 2]);
});

Deno.test("MessageDecoder({ pooled }) hands out small payloads as views of shared blocks, each its own", () => {
  const decoder = new MessageDecoder({ pooled: true });
  const payloads: Uint8Array[] = [];
  // 600 replies of 0..50 bytes cross several 8 KiB blocks; each stays intact.
  for (let i = 0; i < 600; i++) {
    const payload = new Uint8Array(i % 51).fill(i & 0xff);
    const bytes = encodeMessage({ type: 2, reqId: i, txId: 0, payload });
    const [m] = decoder.push(bytes);
    bytes.fill(9); // the input buffer is reused by the caller
    payloads.push(m.payload);
  }
  payloads.forEach((p, i) => {
    assert.equal(p.length, i % 51);
    assert.ok(p.every((b) => b === (i & 0xff)), `payload ${i} was overwritten`);
  });
  assert.ok(new Set(payloads.map((p) => p.buffer)).size > 1, "one block for 15 KB?");
  assert.ok(payloads[1].buffer === payloads[2].buffer, "small payloads share a block");
  // A large payload is a copy of its own.
  const big = new Uint8Array(MessageDecoder.POOLED_MAX + 1).fill(7);
  const [m] = decoder.push(encodeMessage({ type: 2, reqId: 1, txId: 0, payload: big }));
  assert.equal(m.payload.byteLength, m.payload.buffer.byteLength);
  assert.deepEqual(m.payload, big);
});
