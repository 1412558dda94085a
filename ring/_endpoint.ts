// Copyright 2026 the xenpv authors. MIT license.
// The backend's side of a console: a ring plus its event channel, read and
// written with waits on the channel only (no polling), for any number of
// concurrent readers and writers (connect()'s ring mode, the simulated
// xenconsoled).

import type { ConsoleRing } from "./console_ring.ts";
import type { EventChannel } from "../evtchn/event_channel.ts";

/** Wakes any number of waiters per notification, without losing one. */
class Waker {
  generation = 0;
  #waiters: (() => void)[] = [];
  #running = false;
  #channel: EventChannel;
  #error: unknown;

  constructor(channel: EventChannel) {
    this.#channel = channel;
  }

  /** Resolves once a notification newer than `generation` has arrived. */
  after(generation: number, signal?: AbortSignal): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.generation > generation) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        if (this.#error !== undefined) reject(this.#error);
        else resolve();
      });
      if (!this.#running) this.#loop();
    });
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiters.length > 0) {
        await this.#channel.wait();
        this.generation++;
        for (const w of this.#waiters.splice(0)) w();
      }
    } catch (err) {
      this.#error = err;
      for (const w of this.#waiters.splice(0)) w();
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
      const data = this.ring.read();
      if (data.length > 0) {
        this.channel.notify(); // room for the peer again
        return data;
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
