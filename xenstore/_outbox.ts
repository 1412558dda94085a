// Copyright 2026 the xenpv authors. MIT license.
// Messages waiting to be written, sent as one buffer: every message queued in
// one turn of the event loop leaves in a single write().

import { encodeMessageInto, HEADER_SIZE, type Message } from "./wire.ts";

export class Outbox {
  #messages: Message[] = [];
  #bytes = 0;

  /** Bytes queued. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether nothing is queued. */
  get empty(): boolean {
    return this.#messages.length === 0;
  }

  push(message: Message): void {
    this.#messages.push(message);
    this.#bytes += HEADER_SIZE + message.payload.length;
  }

  /** Encodes everything queued into one buffer and empties the queue. */
  take(): Uint8Array {
    const out = new Uint8Array(this.#bytes);
    let at = 0;
    for (const m of this.#messages) at += encodeMessageInto(m, out, at);
    this.clear();
    return out;
  }

  clear(): void {
    this.#messages = [];
    this.#bytes = 0;
  }
}
