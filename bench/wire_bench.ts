// Copyright 2026 the xenpv authors. MIT license.
// `deno bench bench/`: the pure parts on the request path, and one
// in-process request round trip (client + server, no system calls).

import { XenstoreServer } from "../xenstore/mod.ts";
import {
  encodeMessage,
  MessageDecoder,
  MessageType,
  payloadOf,
  splitPayload,
} from "../xenstore/wire.ts";

const read = encodeMessage({
  type: MessageType.READ,
  reqId: 1,
  txId: 0,
  payload: payloadOf(["/local/domain/1/console/tty"]),
});
const many = new Uint8Array(read.length * 64);
for (let i = 0; i < 64; i++) many.set(read, i * read.length);
const dir = payloadOf(Array.from({ length: 100 }, (_, i) => `child-${i}`));

Deno.bench("encode a READ request", () => {
  encodeMessage({
    type: MessageType.READ,
    reqId: 7,
    txId: 0,
    payload: payloadOf(["/local/domain/1/console/tty"]),
  });
});

Deno.bench("decode 64 pipelined messages", () => {
  new MessageDecoder().push(many);
});

Deno.bench("split a 100-entry DIRECTORY reply", () => {
  splitPayload(dir);
});

const server = new XenstoreServer();
const client = server.connectClient();
await client.write("/local/domain/1/console/tty", "/dev/pts/3");

Deno.bench("in-process READ round trip", async () => {
  await client.read("/local/domain/1/console/tty");
});

Deno.bench("in-process transaction (read + write + commit)", async () => {
  await client.transaction(async (tx) => {
    const v = await tx.readString("/local/domain/1/console/tty");
    await tx.write("/local/domain/1/console/tty", v);
  });
});
