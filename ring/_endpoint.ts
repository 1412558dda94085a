// Copyright 2026 the xenpv authors. MIT license.
// The backend's side of a console: a ring plus its event channel, read and
// written with waits on the channel only (no polling), for any number of
// concurrent readers and writers (connect()'s ring mode, the simulated
// xenconsoled).

import type { ConsoleRing } from "./console_ring.ts";
import type { EventChannel } from "../evtchn/event_channel.ts";

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
}

/**
 * Wakes any number of waiters per notification, without losing one. A
 * signal gets one abort listener for as long as it lives, not one per wait:
 * a console waits on the same signal once per ring's worth of data.
 */
class Waker {
  generation = 0;
  #waiters: Waiter[] = [];
  #running = false;
  #channel: EventChannel;
  #error: unknown;
  #listening = new WeakSet<AbortSignal>();

  constructor(channel: EventChannel) {
    this.#channel = channel;
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
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiters.length > 0) {
        await this.#channel.wait();
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

export class RingEndpoint {
  readonly ring: ConsoleRing;
  readonly channel: EventChannel;
  #waker: Waker;

  constructor(ring: ConsoleRing, channel: EventChannel) {
    this.ring = ring;
    this.channel = channel;
    this.#waker = new Waker(channel);
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
