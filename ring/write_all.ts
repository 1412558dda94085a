// Copyright 2026 the xenpv authors. MIT license.

import type { ConsoleRing } from "./console_ring.ts";

/** How {@linkcode writeAll} tells the peer and waits for it. */
export interface WriteAllOptions {
  /** Tell the peer data is there (an event channel notify). */
  notify: () => void;
  /** Resolve when the peer may have made room (an event channel wait). */
  waitForSpace: (signal?: AbortSignal) => Promise<void>;
  /** Stop waiting; what was written so far stays written. */
  signal?: AbortSignal;
}

/**
 * Writes all of `data` into a ring that may be smaller than it (the input
 * ring is 1 KiB): writes what fits, notifies, waits for the peer to consume,
 * repeats. Nothing is dropped or overwritten. Resolves to the bytes written,
 * which is `data.length` unless the signal aborted (then it rejects).
 *
 * @example
 * ```ts
 * import { ConsoleRing, writeAll } from "@xenpv/console/ring";
 * import { createEventChannelPair } from "@xenpv/console/evtchn";
 * import assert from "node:assert/strict";
 *
 * const page = new ArrayBuffer(4096);
 * const dom0 = new ConsoleRing(page, { role: "backend" });
 * const guest = new ConsoleRing(page, { role: "frontend" });
 * const [dom0Port, guestPort] = createEventChannelPair();
 * let received = 0;
 * const drain = (async () => {
 *   while (received < 5000) {
 *     await guestPort.wait();
 *     received += guest.read().length;
 *     guestPort.notify(); // room again
 *   }
 * })();
 * await writeAll(dom0, new Uint8Array(5000), {
 *   notify: () => dom0Port.notify(),
 *   waitForSpace: (s) => dom0Port.wait(s),
 * });
 * await drain;
 * assert.equal(received, 5000);
 * ```
 */
export async function writeAll(
  ring: ConsoleRing,
  data: Uint8Array,
  options: WriteAllOptions,
): Promise<number> {
  let offset = 0;
  while (offset < data.length) {
    options.signal?.throwIfAborted();
    const n = ring.write(data.subarray(offset));
    if (n > 0) {
      offset += n;
      options.notify();
      continue;
    }
    await options.waitForSpace(options.signal);
  }
  return offset;
}
