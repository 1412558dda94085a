// Copyright 2026 the xenpv authors. MIT license.
// The WebSocket protocol: what a viewer sends is read by parseClientMessage()
// alone; a frame that is not JSON text within 256 KiB closes the viewer
// (1008), JSON that is no known message gets a notice.

import assert from "node:assert/strict";
import { CLOSE_PROTOCOL, MAX_CLIENT_MESSAGE, parseClientMessage } from "../../serve/protocol.ts";
import { setup, viewer } from "./_server.ts";

Deno.test("serve protocol: take, release and input are read; other fields are ignored", () => {
  assert.deepEqual(parseClientMessage('{"type":"take"}'), {
    kind: "message",
    message: { type: "take" },
  });
  assert.deepEqual(parseClientMessage('{"type":"release","extra":1}'), {
    kind: "message",
    message: { type: "release" },
  });
  assert.deepEqual(parseClientMessage('{"type":"input","data":"ver\\r","x":[]}'), {
    kind: "message",
    message: { type: "input", data: "ver\r" },
  });
});

Deno.test("serve protocol: a frame that is not JSON text within 256 KiB is a drop", () => {
  const drop = (reason: string) => ({ kind: "drop", reason });
  const size = drop("send JSON text messages of at most 256 KiB");
  assert.deepEqual(parseClientMessage(new ArrayBuffer(4)), size);
  assert.deepEqual(parseClientMessage(new Blob(["{}"])), size);
  const long = JSON.stringify({ type: "input", data: "x".repeat(MAX_CLIENT_MESSAGE) });
  assert.deepEqual(parseClientMessage(long), size);
  assert.deepEqual(parseClientMessage("{type: take}"), drop("messages are JSON"));
  assert.deepEqual(parseClientMessage(""), drop("messages are JSON"));
});

Deno.test("serve protocol: JSON that is no known message is a notice", () => {
  const unknown = { kind: "notice", reason: "unknown message type" };
  for (const text of ["null", "5", '"take"', "[]", "{}", '{"type":"TAKE"}', '{"type":["take"]}']) {
    assert.deepEqual(parseClientMessage(text), unknown, text);
  }
  const noData = { kind: "notice", reason: "input needs a data string" };
  assert.deepEqual(parseClientMessage('{"type":"input"}'), noData);
  assert.deepEqual(parseClientMessage('{"type":"input","data":[65]}'), noData);
});

Deno.test("serve protocol: the server tells of an unknown message, and closes the viewer for a bad frame", async () => {
  await using t = await setup();
  await using v = await viewer(t.server, t.deb.domid, "v");
  await v.waitMessage((m) => m.type === "hello");
  v.socket.send(JSON.stringify({ type: "dance" }));
  await v.waitMessage((m) => m.type === "notice" && m.message === "unknown message type");
  v.socket.send(JSON.stringify({ type: "input", data: 1 }));
  await v.waitMessage((m) => m.type === "notice" && m.message === "input needs a data string");
  v.socket.send("not json");
  const closed = await v.closed;
  assert.equal(closed.code, CLOSE_PROTOCOL);
  assert.equal(closed.reason, "messages are JSON");
  assert.ok(v.messages.some((m) => m.type === "dropped" && m.reason === "messages are JSON"));

  await using binary = await viewer(t.server, t.deb.domid, "binary");
  binary.socket.send(new Uint8Array([1, 2, 3]));
  assert.equal((await binary.closed).code, CLOSE_PROTOCOL);
});
