// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { ConsoleRing } from "./console_ring.ts";
import { RingEndpoint, type RingNotifier } from "./endpoint.ts";

/** A peer that notifies as fast as the event loop turns, calling `act` before each notification. */
function stormingPeer(act: () => void): RingNotifier & { wakes: number } {
  return {
    wakes: 0,
    notify() {},
    wait() {
      return new Promise((resolve) =>
        setImmediate(() => {
          act();
          this.wakes++;
          resolve(undefined);
        })
      );
    },
  };
}

/** Lets `ms` of wall time pass while the endpoint's reader runs. */
const during = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("a peer that notifies without writing gets at most 30 wake-ups per 200 ms", async () => {
  const page = new ArrayBuffer(4096);
  const peer = stormingPeer(() => {});
  const dom0 = new RingEndpoint(new ConsoleRing(page, { role: "backend" }), peer);
  const stop = new AbortController();
  const reading = dom0.read(stop.signal).catch((e) => e);
  const start = performance.now();
  await during(1000);
  const elapsed = performance.now() - start;
  stop.abort(new Error("done"));
  assert.match(String(await reading), /done/);
  // Unbounded, this loop turns tens of thousands of times a second.
  assert.ok(
    peer.wakes <= 30 * (Math.ceil(elapsed / 200) + 1),
    `${peer.wakes} wake-ups in ${elapsed.toFixed(0)} ms`,
  );
});

Deno.test("a peer that writes with every notification is never slowed", async () => {
  const page = new ArrayBuffer(4096);
  const guest = new ConsoleRing(page, { role: "frontend" });
  const peer = stormingPeer(() => guest.write(new Uint8Array([0x41])));
  const dom0 = new RingEndpoint(new ConsoleRing(page, { role: "backend" }), peer);
  let bytes = 0;
  const start = performance.now();
  while (performance.now() - start < 1000) bytes += (await dom0.read()).length;
  // Throttled like an empty storm, it could not pass 30 per 200 ms (180 here).
  assert.ok(bytes > 1000, `${bytes} bytes in 1 s`);
});

Deno.test("a peer that writes between redundant notifications is never slowed either", async () => {
  const page = new ArrayBuffer(4096);
  const guest = new ConsoleRing(page, { role: "frontend" });
  let wake = 0;
  // Writes on every third notification: two of three bring nothing (a guest
  // that notifies again after a write it already announced).
  const peer = stormingPeer(() => {
    if (++wake % 3 === 0) guest.write(new Uint8Array([0x41]));
  });
  const dom0 = new RingEndpoint(new ConsoleRing(page, { role: "backend" }), peer);
  let bytes = 0;
  const start = performance.now();
  while (performance.now() - start < 1000) bytes += (await dom0.read()).length;
  // Counting every empty notification in a 200 ms window would allow 30 of
  // them and so about 15 bytes a window (75 here).
  assert.ok(bytes > 1000, `${bytes} bytes in 1 s`);
});
