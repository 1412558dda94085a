// Copyright 2026 the xenpv authors. MIT license.
// The backend's side of a console: a ring plus its event channel, read and
// written with waits on the channel only (no polling), for any number of
// concurrent readers and writers (connect()'s ring mode, the simulated
// xenconsoled).

import type { ConsoleRing } from "./console_ring.ts";

/**
 * What a {@linkcode RingEndpoint} needs from its event channel. The channels
 * of `@xenpv/console/evtchn` (`/dev/xen/evtchn` bindings and in-process pairs)
 * are such.
 */
export interface RingNotifier {
  /** Tells the peer that the ring changed. */
  notify(): void;
  /** Resolves at the peer's next notification; rejects when the channel fails. */
  wait(): Promise<unknown>;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
}

/**
 * Notifications in a row that moved none of the peer's indices, taken before
 * the waker pauses until WINDOW_MS has passed since the first of them:
 * xenconsoled's own bound on the events it takes from a guest (30 per 200
 * ms, tools/console/daemon/io.c), counted only while nothing moves, so that
 * a peer that writes or reads between its notifications is never slowed.
 */
const EMPTY_WAKES = 30;
const WINDOW_MS = 200;

/**
 * Wakes any number of waiters per notification, without losing one. A
 * signal gets one abort listener for as long as it lives, not one per wait:
 * a console waits on the same signal once per ring's worth of data.
 *
 * A hostile peer may notify without writing or reading anything, to keep us
 * busy: past {@linkcode EMPTY_WAKES} such notifications in a row, the waker
 * sleeps until WINDOW_MS has passed since the first. A notification that
 * moved an index resets the count: a peer that moves its indices is never
 * slowed.
 */
class Waker {
  generation = 0;
  #waiters: Waiter[] = [];
  #running = false;
  #channel: RingNotifier;
  #moved: () => boolean;
  #error: unknown;
  #listening = new WeakSet<AbortSignal>();
  #windowStart = 0;
  #emptyWakes = 0;
  #pause: { timer: ReturnType<typeof setTimeout>; end: () => void } | undefined;

  /** `moved()` says whether the peer moved an index since it was last asked. */
  constructor(channel: RingNotifier, moved: () => boolean) {
    this.#channel = channel;
    this.#moved = moved;
  }

  /** Resolves once a notification newer than `generation` has arrived. */
  after(generation: number, signal?: AbortSignal): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.generation > generation) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (signal !== undefined && !this.#listening.has(signal)) {
      this.#listening.add(signal);
      signal.addEventListener("abort", () => this.#abort(signal), { once: true });
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#waiters.push({ resolve, reject, signal });
    if (!this.#running) this.#loop();
    return promise;
  }

  #abort(signal: AbortSignal): void {
    const kept: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.signal === signal) w.reject(signal.reason);
      else kept.push(w);
    }
    this.#waiters = kept;
    if (kept.length === 0) this.#pause?.end(); // nobody waits: no timer left behind
  }

  /** Counts a notification that brought nothing; past the bound, sleeps out the window. */
  async #throttle(): Promise<void> {
    const now = performance.now();
    if (this.#emptyWakes === 0) this.#windowStart = now;
    if (++this.#emptyWakes <= EMPTY_WAKES) return;
    const wait = this.#windowStart + WINDOW_MS - now;
    this.#emptyWakes = 0;
    if (wait <= 0) return;
    await new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.#pause = undefined;
        resolve();
      };
      const timer = setTimeout(end, wait);
      this.#pause = { timer, end };
    });
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiters.length > 0) {
        await this.#channel.wait();
        if (this.#moved()) this.#emptyWakes = 0;
        else await this.#throttle();
        this.generation++;
        for (const w of this.#waiters.splice(0)) w.resolve();
      }
    } catch (err) {
      this.#error = err;
      for (const w of this.#waiters.splice(0)) w.reject(err);
    } finally {
      this.#running = false;
    }
  }
}

/**
 * One side of a console ring with its event channel: reads wait for the
 * peer's notification when the ring is empty, writes wait for room, and each
 * tells the peer what it did. Any number of readers and writers may wait at
 * once; nothing polls.
 *
 * @example
 * ```ts
 * import { ConsoleRing, RingEndpoint } from "@xenpv/console/ring";
 * import assert from "node:assert/strict";
 *
 * const page = new ArrayBuffer(4096);
 * const guest = new ConsoleRing(page, { role: "frontend" });
 * let notified = 0;
 * const dom0 = new RingEndpoint(new ConsoleRing(page, { role: "backend" }), {
 *   notify: () => void notified++,
 *   wait: () => Promise.reject(new Error("not needed: the output is there")),
 * });
 * guest.write(new TextEncoder().encode("C:\\>"));
 * assert.equal(new TextDecoder().decode(await dom0.read()), "C:\\>");
 * assert.equal(notified, 1); // the guest may write again
 * ```
 */
export class RingEndpoint {
  /** The ring. */
  readonly ring: ConsoleRing;
  /** Its event channel. */
  readonly channel: RingNotifier;
  #waker: Waker;

  /** An endpoint over `ring`, notified through `channel`. */
  constructor(ring: ConsoleRing, channel: RingNotifier) {
    this.ring = ring;
    this.channel = channel;
    let mark = "";
    this.#waker = new Waker(channel, () => {
      let seen;
      try {
        seen = this.#peerMark();
      } catch {
        return true; // unmapped: the reader finds out itself
      }
      const moved = seen !== mark;
      mark = seen;
      return moved;
    });
  }

  /** The indices the peer moves: what it produced and what it consumed. */
  #peerMark(): string {
    const i = this.ring.indices();
    return this.ring.role === "backend" ? `${i.outProd}/${i.inCons}` : `${i.inProd}/${i.outCons}`;
  }

  /** What the peer produced, waiting for a notification when nothing is there. */
  async read(signal?: AbortSignal): Promise<Uint8Array> {
    for (;;) {
      const seen = this.#waker.generation;
      if (this.ring.readable() > 0) {
        const data = this.ring.read();
        this.channel.notify(); // room for the peer again
        return data;
      }
      await this.#waker.after(seen, signal);
    }
  }

  /**
   * Like {@linkcode RingEndpoint.read}, into `target` (non-empty): the count
   * copied. Allocates no buffer.
   */
  async readInto(target: Uint8Array, signal?: AbortSignal): Promise<number> {
    for (;;) {
      const seen = this.#waker.generation;
      const n = this.ring.readInto(target);
      if (n > 0) {
        this.channel.notify(); // room for the peer again
        return n;
      }
      await this.#waker.after(seen, signal);
    }
  }

  /** Writes all of `data`, waiting for the peer to make room as needed. */
  async write(data: Uint8Array, signal?: AbortSignal): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const seen = this.#waker.generation;
      const n = this.ring.write(data.subarray(offset));
      if (n > 0) {
        offset += n;
        this.channel.notify();
        continue;
      }
      await this.#waker.after(seen, signal); // the ring is full: wait for the peer
    }
  }
}
