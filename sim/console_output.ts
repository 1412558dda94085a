// Copyright 2026 the xenpv authors. MIT license.
// How a simulated guest's output reaches the console: optionally late (a slow
// guest), in small pieces, and with log lines of other components dropped in
// anywhere, even mid-line (line noise).

import type { ConsoleConditions, GuestConsole } from "./guest_program.ts";

/**
 * A simulated guest's output on its way to the console, under the
 * {@linkcode ConsoleConditions} it was given (late, in pieces, with noise).
 */
export class ConsoleOutput {
  #out: GuestConsole | undefined;
  #latency: number;
  #chunk: number;
  #noise: number;
  #state: number;
  #messages: string[];
  #queue: { due: number; text: string }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  #encode: (text: string) => string | Uint8Array;

  /** `encode` turns text into what the console carries (the guest's code page); default: as is. */
  constructor(
    options: ConsoleConditions,
    messages: string[],
    encode: (text: string) => string | Uint8Array = (t) => t,
  ) {
    this.#encode = encode;
    this.#latency = options.latency ?? 0;
    this.#chunk = options.chunk ?? Infinity;
    this.#noise = options.noise ?? 0;
    this.#state = (options.seed ?? 1) >>> 0 || 1;
    this.#messages = messages;
    if (!(this.#latency >= 0) || !(this.#chunk >= 1) || !(this.#noise >= 0 && this.#noise <= 1)) {
      throw new RangeError("latency >= 0, chunk >= 1 and 0 <= noise <= 1");
    }
  }

  /** Where output goes from now on; undefined drops what is still queued. */
  attach(out: GuestConsole | undefined): void {
    this.#out = out;
    if (!out) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#queue = [];
    }
  }

  #random(): number {
    // xorshift32: deterministic noise placement for a given seed.
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state / 0x100000000;
  }

  /** Writes text, under the conditions (dropped while nothing is attached). */
  write(text: string): void {
    if (!this.#out || text === "") return;
    if (this.#noise > 0 && this.#random() < this.#noise) {
      const at = Math.floor(this.#random() * (text.length + 1));
      const message = this.#messages[Math.floor(this.#random() * this.#messages.length)];
      text = text.slice(0, at) + message + text.slice(at);
    }
    if (this.#latency === 0 && this.#chunk === Infinity) return this.#out.write(this.#encode(text));
    const due = Date.now() + this.#latency;
    for (let i = 0; i < text.length; i += this.#chunk) {
      this.#queue.push({ due, text: text.slice(i, i + this.#chunk) });
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#queue.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Every piece that is due, each as a write of its own.
      const now = Date.now();
      while (this.#queue.length > 0 && this.#queue[0].due <= now) {
        this.#out?.write(this.#encode(this.#queue.shift()!.text));
      }
      this.#schedule();
    }, Math.max(0, this.#queue[0].due - Date.now()));
  }
}
