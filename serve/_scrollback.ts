// Copyright 2026 the xenpv authors. MIT license.
// A console's recent output: a fixed ring of bytes, like xenconsoled's buffer.

/** The last `limit` bytes a guest printed, in one preallocated ring. */
export class Scrollback {
  #ring: Uint8Array;
  /** Where the next byte goes. */
  #end = 0;
  /** Bytes held (at most the ring's size). */
  #size = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 0) {
      throw new RangeError(`scrollback must be a whole number of bytes >= 0, got ${limit}`);
    }
    this.#ring = new Uint8Array(limit);
  }

  /** Bytes held. */
  get size(): number {
    return this.#size;
  }

  /** Appends output; the oldest bytes make room. */
  push(data: Uint8Array): void {
    const ring = this.#ring;
    const cap = ring.length;
    if (cap === 0 || data.length === 0) return;
    if (data.length >= cap) {
      ring.set(data.subarray(data.length - cap));
      this.#end = 0;
      this.#size = cap;
      return;
    }
    const first = Math.min(data.length, cap - this.#end);
    ring.set(data.subarray(0, first), this.#end);
    ring.set(data.subarray(first), 0);
    this.#end = (this.#end + data.length) % cap;
    this.#size = Math.min(cap, this.#size + data.length);
  }

  /** A copy of what is held, oldest first. */
  snapshot(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.#size);
    const start = (this.#end - this.#size + this.#ring.length) % Math.max(1, this.#ring.length);
    const first = Math.min(this.#size, this.#ring.length - start);
    out.set(this.#ring.subarray(start, start + first));
    out.set(this.#ring.subarray(0, this.#size - first), first);
    return out;
  }
}
