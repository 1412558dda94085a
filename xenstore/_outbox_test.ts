// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { Outbox } from "./_outbox.ts";
import { encodeMessage, MessageDecoder, MessageType, payloadOf } from "./wire.ts";

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("Outbox: messages and text messages leave as their encodings, in order", () => {
  const box = new Outbox();
  const a = { type: MessageType.WRITE, reqId: 1, txId: 7, payload: payloadOf(["/a", "x"]) };
  box.push(a);
  box.pushText(MessageType.READ, 0xfffffffe, 0, ["/local/domain/1"], 16);
  assert.equal(box.bytes, 16 + 5 + 16 + 16);
  const b = {
    type: MessageType.READ,
    reqId: 0xfffffffe,
    txId: 0,
    payload: payloadOf(["/local/domain/1"]),
  };
  assert.deepEqual(box.take(), concat(encodeMessage(a), encodeMessage(b)));
  assert.ok(box.empty);
});

Deno.test("Outbox: a taken view stays intact while the next messages queue", () => {
  const box = new Outbox();
  box.pushText(MessageType.READ, 1, 0, ["/first"], 7);
  const first = box.take();
  const copy = first.slice();
  box.pushText(MessageType.READ, 2, 0, ["/second"], 8); // into the other buffer
  assert.deepEqual(first, copy);
  const second = box.take();
  assert.deepEqual([...new MessageDecoder().push(second)].map((m) => m.reqId), [2]);
});

Deno.test("Outbox: grows past its initial buffer and drops an outgrown one after the take", () => {
  const box = new Outbox();
  const payload = new Uint8Array(4000).fill(1);
  for (let i = 0; i < 40; i++) box.push({ type: MessageType.WRITE, reqId: i, txId: 0, payload });
  const all = box.take();
  assert.equal(all.length, 40 * 4016);
  const messages = new MessageDecoder().push(all);
  assert.deepEqual(messages.map((m) => m.reqId), Array.from({ length: 40 }, (_, i) => i));
  box.pushText(MessageType.READ, 99, 0, ["/x"], 3);
  box.take();
  box.pushText(MessageType.READ, 100, 0, ["/y"], 3); // back in the outgrown buffer's slot
  assert.deepEqual(new MessageDecoder().push(box.take()).map((m) => m.reqId), [100]);
  assert.equal(all.length, 40 * 4016); // the earlier view still holds its bytes
  assert.equal(new MessageDecoder().push(all).length, 40);
});
