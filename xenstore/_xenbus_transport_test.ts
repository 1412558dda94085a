// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { ERRNO } from "../_sys/errno.ts";
import { SystemError } from "../errors.ts";
import { XenbusTransport } from "./_xenbus_transport.ts";
import { XenstoreClient } from "./client.ts";
import type { XenstoreTransport } from "./transport.ts";
import { XenstoreError } from "./errors.ts";
import { XenstoreServer } from "./server.ts";
import { HEADER_SIZE, MessageType } from "./wire.ts";

/**
 * A stand-in for /dev/xen/xenbus with the kernel's rules (seen on Linux 6.1
 * under Xen 4.17): one message per write, the rest of the write is lost; a
 * write over 4096 bytes fails with EINVAL; the reply to a TRANSACTION_END
 * for a transaction it did not see start is dropped.
 */
function kernelDevice(server: XenstoreServer) {
  const inner = server.connectTransport();
  const started = new Set<number>();
  const seen: number[] = [];
  const load = { outstanding: 0, max: 0 };
  const device: XenstoreTransport = {
    write(data) {
      if (data.length > 4096) return Promise.reject(new SystemError(ERRNO.EINVAL, "write"));
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const len = view.getUint32(12, true);
      const type = view.getUint32(0, true);
      seen.push(type);
      if (type === 999) return Promise.reject(new SystemError(ERRNO.E2BIG, "write"));
      if (type === MessageType.TRANSACTION_END && !started.has(view.getUint32(8, true))) {
        return Promise.resolve(); // reply dropped
      }
      load.max = Math.max(load.max, ++load.outstanding);
      return inner.write(data.slice(0, HEADER_SIZE + len)); // the rest is lost
    },
    async read() {
      const chunk = await inner.read();
      if (chunk && chunk.length >= HEADER_SIZE) {
        const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (view.getUint32(0, true) !== MessageType.WATCH_EVENT) load.outstanding--;
        if (view.getUint32(0, true) === MessageType.TRANSACTION_START) {
          started.add(Number(new TextDecoder().decode(chunk.subarray(HEADER_SIZE, -1))));
        }
      }
      return chunk;
    },
    close: () => inner.close(),
  };
  return { device, seen, load };
}

Deno.test("xenbus: many requests go out one message per write, one at a time", async () => {
  await using server = new XenstoreServer();
  const { device, seen, load } = kernelDevice(server);
  await using client = new XenstoreClient(new XenbusTransport(device));
  await Promise.all(Array.from({ length: 200 }, (_, i) => client.write(`/x/n${i}`, `${i}`)));
  assert.equal((await client.directory("/x")).length, 200);
  assert.equal(seen.filter((t) => t === MessageType.WRITE).length, 200);
  assert.equal(load.max, 1);
});

Deno.test("xenbus: a refused write becomes an error reply, the connection lives on", async () => {
  await using server = new XenstoreServer();
  const { device } = kernelDevice(server);
  await using client = new XenstoreClient(new XenbusTransport(device));
  await assert.rejects(
    client.requestIn(0, 999, ["/"]),
    (e) => e instanceof XenstoreError && e.code === "E2BIG",
  );
  await client.write("/still", "here");
  assert.equal(await client.readString("/still"), "here");
});

Deno.test("xenbus: ending an unknown transaction answers ENOENT instead of hanging", async () => {
  await using server = new XenstoreServer();
  const { device, seen } = kernelDevice(server);
  await using client = new XenstoreClient(new XenbusTransport(device));
  await assert.rejects(
    client.requestIn(0x1234, MessageType.TRANSACTION_END, ["T"]),
    (e) => e instanceof XenstoreError && e.code === "ENOENT",
  );
  assert.ok(!seen.includes(MessageType.TRANSACTION_END));
  // a real transaction still commits
  await client.transaction(async (tx) => await tx.write("/t", "1"));
  assert.equal(await client.readString("/t"), "1");
  assert.ok(seen.includes(MessageType.TRANSACTION_END));
});

Deno.test("xenbus: payloads are limited to 4080 bytes before anything is sent", async () => {
  await using server = new XenstoreServer();
  const { device, seen } = kernelDevice(server);
  await using client = new XenstoreClient(new XenbusTransport(device));
  assert.equal(client.maxPayload, 4080);
  await assert.rejects(client.write("/big", "v".repeat(4080)), RangeError);
  assert.equal(seen.length, 0);
  await client.write("/big", "v".repeat(4080 - 5));
});

Deno.test("xenbus: a duplicate watch is EEXIST and unwatching an unknown one ENOENT, as xenstored says", async () => {
  await using server = new XenstoreServer();
  const { device } = kernelDevice(server);
  await using client = new XenstoreClient(new XenbusTransport(device));
  await using watch = await client.watch("/w", { token: "t" });
  await assert.rejects(
    client.requestIn(0, MessageType.WATCH, ["/w", "t"]),
    (e) => e instanceof XenstoreError && e.code === "EEXIST",
  );
  await assert.rejects(
    client.requestIn(0, MessageType.UNWATCH, ["/nope", "t"]),
    (e) => e instanceof XenstoreError && e.code === "ENOENT",
  );
  assert.equal((await watch.next()).value?.path, "/w");
});
