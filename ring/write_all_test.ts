// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { ConsoleRing, writeAll } from "./mod.ts";
import { createEventChannelPair } from "../evtchn/mod.ts";

Deno.test("writeAll: 64 KiB through the 1 KiB input ring to a slow guest, in order", async () => {
  const page = new ArrayBuffer(4096);
  const dom0 = new ConsoleRing(page, { role: "backend" });
  const guest = new ConsoleRing(page, { role: "frontend" });
  const [dom0Port, guestPort] = createEventChannelPair();
  const data = new Uint8Array(65536).map((_, i) => (i * 13) & 0xff);
  const got: number[] = [];
  const drain = (async () => {
    while (got.length < data.length) {
      await guestPort.wait();
      while (guest.readable() > 0) {
        await new Promise((r) => setTimeout(r, 0)); // a slow guest, 300 bytes at a time
        got.push(...guest.read(300));
        guestPort.notify();
      }
    }
  })();
  const n = await writeAll(dom0, data, {
    notify: () => dom0Port.notify(),
    waitForSpace: (s) => dom0Port.wait(s),
  });
  await drain;
  assert.equal(n, data.length);
  assert.deepEqual(new Uint8Array(got), data);
  await dom0Port.close();
  await guestPort.close();
});

Deno.test("writeAll: abort while the ring is full keeps what was written", async () => {
  const page = new ArrayBuffer(4096);
  const dom0 = new ConsoleRing(page, { role: "backend" });
  const [dom0Port, guestPort] = createEventChannelPair();
  const controller = new AbortController();
  const p = writeAll(dom0, new Uint8Array(3000), {
    notify: () => dom0Port.notify(),
    waitForSpace: (s) => dom0Port.wait(s),
    signal: controller.signal,
  });
  controller.abort(new Error("guest is not reading"));
  await assert.rejects(p, /not reading/);
  assert.equal(dom0.writable(), 0); // 1024 bytes are in the ring, none lost
  await dom0Port.close();
  await guestPort.close();
});
