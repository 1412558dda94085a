// Copyright 2026 the xenpv authors. MIT license.
// The kernel's /dev/xen/xenbus is not a byte stream like xenstored's socket
// (drivers/xen/xenbus/xenbus_dev_frontend.c): it acts on one message per
// write() and drops whatever else that write carried; a message, header
// included, must fit in 4096 bytes; and a message it refuses (an unknown
// transaction id, a malformed watch) fails the write() instead of producing
// an error reply. And it drops, with a kernel warning, the reply to a
// TRANSACTION_END for a transaction it did not see start: the caller would
// wait forever. This adapter writes messages one by one, turns a refused
// write into the XS_ERROR reply xenstored would have sent, and answers an
// unknown transaction's end with ENOENT itself (as xenstored does), so the
// client sees the same protocol on both paths.

import { SystemError } from "../_sys/errno.ts";
import type { XenstoreTransport } from "./client.ts";
import { encodeMessage, HEADER_SIZE, MessageDecoder, MessageType } from "./wire.ts";

/** Largest payload the xenbus device takes: its buffer holds the header too. */
export const XENBUS_MAX_PAYLOAD = 4096 - HEADER_SIZE;

export class XenbusTransport implements XenstoreTransport {
  readonly maxPayload = XENBUS_MAX_PAYLOAD;
  #inner: XenstoreTransport;
  #pending: Uint8Array = new Uint8Array(0);
  #replies: Uint8Array[] = [];
  #innerRead: Promise<Uint8Array | null> | undefined;
  #wake: (() => void) | undefined;
  /** Transactions the device knows: started (reply seen) and not yet ended. */
  #transactions = new Set<number>();
  /** req_ids of TRANSACTION_START requests awaiting their reply. */
  #starting = new Set<number>();
  #decoder = new MessageDecoder();

  constructor(inner: XenstoreTransport) {
    this.#inner = inner;
  }

  async write(data: Uint8Array): Promise<void> {
    let bytes = data;
    if (this.#pending.length) {
      bytes = new Uint8Array(this.#pending.length + data.length);
      bytes.set(this.#pending);
      bytes.set(data, this.#pending.length);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at + HEADER_SIZE <= bytes.length) {
      const end = at + HEADER_SIZE + view.getUint32(at + 12, true);
      if (end > bytes.length) break;
      const message = bytes.subarray(at, end);
      const type = view.getUint32(at, true);
      const reqId = view.getUint32(at + 4, true);
      const txId = view.getUint32(at + 8, true);
      if (type === MessageType.TRANSACTION_START) this.#starting.add(reqId);
      if (type === MessageType.TRANSACTION_END) {
        if (!this.#transactions.has(txId)) {
          this.#reply(reqId, txId, "ENOENT");
          at = end;
          continue;
        }
        this.#transactions.delete(txId);
      }
      try {
        await this.#inner.write(message);
      } catch (error) {
        if (!(error instanceof SystemError) || error.code === "EBADF") throw error;
        // The device refused this one message: answer it as xenstored would.
        this.#starting.delete(reqId);
        this.#reply(reqId, txId, error.code);
      }
      at = end;
    }
    this.#pending = bytes.slice(at);
  }

  #reply(reqId: number, txId: number, code: string) {
    this.#replies.push(
      encodeMessage({
        type: MessageType.ERROR,
        reqId,
        txId,
        payload: new TextEncoder().encode(`${code}\0`),
      }),
    );
    this.#wake?.();
  }

  async read(): Promise<Uint8Array | null> {
    while (this.#replies.length === 0) {
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

  /** Notes the transaction ids that TRANSACTION_START replies hand out. */
  #track(chunk: Uint8Array) {
    for (const m of this.#decoder.push(chunk)) {
      if (m.type === MessageType.TRANSACTION_START && this.#starting.delete(m.reqId)) {
        this.#transactions.add(Number(new TextDecoder().decode(m.payload).replace(/\0$/, "")));
      } else if (m.type === MessageType.ERROR) {
        this.#starting.delete(m.reqId);
      }
    }
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
