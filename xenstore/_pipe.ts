// Copyright 2026 the xenpv authors. MIT license.
// An in-process byte pipe pair: what one end writes, the other reads.

import type { XenstoreTransport } from "./transport.ts";

class PipeEnd implements XenstoreTransport {
  #inbox: Uint8Array[] = [];
  #reader: ((chunk: Uint8Array | null) => void) | undefined;
  #ended = false;
  peer!: PipeEnd;

  /** Bytes from the peer. */
  #push(chunk: Uint8Array): void {
    if (this.#ended) return;
    const reader = this.#reader;
    if (reader !== undefined) {
      this.#reader = undefined;
      reader(chunk);
    } else {
      this.#inbox.push(chunk);
    }
  }

  /** The peer closed. */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const reader = this.#reader;
    this.#reader = undefined;
    reader?.(this.#inbox.length > 0 ? concat(this.#inbox.splice(0)) : null);
  }

  read(): Promise<Uint8Array | null> {
    if (this.#inbox.length > 0) return Promise.resolve(concat(this.#inbox.splice(0)));
    if (this.#ended) return Promise.resolve(null);
    if (this.#reader !== undefined) return Promise.reject(new Error("pipe: concurrent read"));
    return new Promise((resolve) => this.#reader = resolve);
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#ended) return Promise.reject(new Error("pipe closed"));
    // Copy: the writer may reuse its buffer.
    this.peer.#push(data.slice());
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#inbox = [];
    this.#end();
    this.peer.#end();
    return Promise.resolve();
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Two connected transports. */
export function createPipe(): [XenstoreTransport, XenstoreTransport] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
