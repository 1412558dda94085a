// Copyright 2026 the xenpv authors. MIT license.
// The kernel's /dev/xen/xenbus is not a byte stream like xenstored's socket
// (drivers/xen/xenbus/xenbus_dev_frontend.c; seen on Linux 6.1 under Xen
// 4.17 in the e2e run):
// - it acts on one message per write() and drops whatever else that write
//   carried, and a message, header included, must fit in 4096 bytes;
// - a message it refuses fails the write() instead of producing a reply;
// - it drops (with a kernel warning) the reply to a TRANSACTION_END for a
//   transaction it did not see start: the caller would wait forever;
// - watches are the kernel's own: a duplicate is not refused;
// - with dozens of requests in flight, some failed with EINVAL and a read
//   overtook the write before it.
// This adapter sends one request at a time and the next once its reply is
// in (as libxenstore does on this path), turns a refused write into the
// XS_ERROR reply xenstored would have sent, and answers locally, as
// xenstored would, what the kernel would mishandle. The client sees the same
// protocol on both paths.

import { SystemError } from "../errors.ts";
import type { XenstoreTransport } from "./transport.ts";
import { encodeMessage, HEADER_SIZE, MessageDecoder, MessageType } from "./wire.ts";

/** Largest payload the xenbus device takes: its buffer holds the header too. */
export const XENBUS_MAX_PAYLOAD = 4096 - HEADER_SIZE;

interface Outgoing {
  type: number;
  reqId: number;
  txId: number;
  bytes: Uint8Array;
}

export class XenbusTransport implements XenstoreTransport {
  readonly maxPayload = XENBUS_MAX_PAYLOAD;
  #inner: XenstoreTransport;
  #partial: Uint8Array = new Uint8Array(0);
  #queue: Outgoing[] = [];
  #awaiting: Outgoing | undefined;
  #sending = false;
  #failure: unknown;
  #replies: Uint8Array[] = [];
  #innerRead: Promise<Uint8Array | null> | undefined;
  #wake: (() => void) | undefined;
  /** Transactions the device knows: started (reply seen) and not yet ended. */
  #transactions = new Set<number>();
  /** Watches set through this device, as `path\0token`. */
  #watches = new Set<string>();
  #decoder = new MessageDecoder();

  constructor(inner: XenstoreTransport) {
    this.#inner = inner;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    let bytes = data;
    if (this.#partial.length) {
      bytes = new Uint8Array(this.#partial.length + data.length);
      bytes.set(this.#partial);
      bytes.set(data, this.#partial.length);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at + HEADER_SIZE <= bytes.length) {
      const end = at + HEADER_SIZE + view.getUint32(at + 12, true);
      if (end > bytes.length) break;
      this.#queue.push({
        type: view.getUint32(at, true),
        reqId: view.getUint32(at + 4, true),
        txId: view.getUint32(at + 8, true),
        bytes: bytes.slice(at, end),
      });
      at = end;
    }
    this.#partial = bytes.slice(at);
    this.#pump();
    return Promise.resolve();
  }

  /** Sends the next queued request unless one awaits its reply. */
  async #pump(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      while (this.#awaiting === undefined && this.#queue.length > 0) {
        const message = this.#queue.shift()!;
        const local = this.#localAnswer(message);
        if (local !== undefined) {
          this.#reply(message, local);
          continue;
        }
        this.#awaiting = message;
        try {
          await this.#inner.write(message.bytes);
        } catch (error) {
          if (!(error instanceof SystemError) || error.code === "EBADF") {
            this.#failure = error;
            this.#wake?.();
            return;
          }
          // The device refused this one message: answer it as xenstored would.
          this.#awaiting = undefined;
          if (message.type === MessageType.WATCH) this.#watches.delete(text(message));
          this.#reply(message, error.code);
        }
      }
    } finally {
      this.#sending = false;
    }
  }

  /** The error xenstored would answer where the device would not (or never). */
  #localAnswer(m: Outgoing): string | undefined {
    switch (m.type) {
      case MessageType.TRANSACTION_END: {
        if (m.txId !== 0 && !this.#transactions.has(m.txId)) return "ENOENT";
        const body = text(m);
        if (m.bytes.length !== HEADER_SIZE + 2 || (body !== "T" && body !== "F")) return "EINVAL";
        if (!this.#transactions.delete(m.txId)) return "ENOENT";
        return undefined;
      }
      case MessageType.WATCH: {
        if (this.#watches.has(text(m))) return "EEXIST";
        this.#watches.add(text(m));
        return undefined;
      }
      case MessageType.UNWATCH:
        return this.#watches.delete(text(m)) ? undefined : "ENOENT";
    }
    return undefined;
  }

  #reply(m: Outgoing, code: string) {
    this.#replies.push(
      encodeMessage({
        type: MessageType.ERROR,
        reqId: m.reqId,
        txId: m.txId,
        payload: new TextEncoder().encode(`${code}\0`),
      }),
    );
    this.#wake?.();
  }

  async read(): Promise<Uint8Array | null> {
    while (this.#replies.length === 0) {
      if (this.#failure !== undefined) throw this.#failure;
      this.#innerRead ??= this.#inner.read();
      const woken = new Promise<"woken">((resolve) => this.#wake = () => resolve("woken"));
      const result = await Promise.race([this.#innerRead, woken]);
      this.#wake = undefined;
      if (result === "woken") continue;
      this.#innerRead = undefined;
      if (result !== null) this.#track(result);
      return result;
    }
    return this.#replies.shift()!;
  }

  /** Sees replies go by: transaction ids handed out, and when the next request may go. */
  #track(chunk: Uint8Array) {
    for (const m of this.#decoder.push(chunk)) {
      if (m.type === MessageType.WATCH_EVENT) continue;
      const sent = this.#awaiting;
      if (sent === undefined || sent.reqId !== m.reqId) continue;
      this.#awaiting = undefined;
      if (m.type === MessageType.TRANSACTION_START) {
        this.#transactions.add(Number(new TextDecoder().decode(m.payload).replace(/\0$/, "")));
      } else if (m.type === MessageType.ERROR && sent.type === MessageType.WATCH) {
        this.#watches.delete(text(sent));
      }
    }
    this.#pump();
  }

  close(): Promise<void> {
    this.#queue = [];
    return this.#inner.close();
  }
}

/** The payload as text, without its final NUL (`path\0token` for watches). */
function text(m: Outgoing): string {
  return new TextDecoder().decode(m.bytes.subarray(HEADER_SIZE)).replace(/\0$/, "");
}
