// Copyright 2026 the xenpv authors. MIT license.
// The server side of one xenstore connection: reads requests (and stops
// reading a client that does not read its replies), hands each to the
// server, and sends replies and watch events in batches, one write a turn.
// It holds the connection's watches and open transactions.

import { Outbox } from "./_outbox.ts";
import { type Message, MessageDecoder, MessageType, payloadOf } from "./wire.ts";
import type { Transaction } from "./_server_transactions.ts";
import type { XenstoreTransport } from "./transport.ts";

/** Bytes of unsent replies past which a connection is dropped. */
const OUTBOX_LIMIT = 8 * 1024 * 1024;
/** Bytes of unsent replies past which a connection's requests wait to be read. */
const READ_PAUSE = 256 * 1024;

/** A watch as a connection holds it. */
export interface ServerWatch {
  /** As the client gave it (relative paths stay relative in events). */
  path: string;
  /** Absolute (or special) path used for matching. */
  abs: string;
  token: string;
}

/** The server side of one connection. */
export class ServerConnection {
  readonly domid: number;
  /** Watches by `path\0token`. */
  readonly watches = new Map<string, ServerWatch>();
  readonly transactions = new Map<number, Transaction>();
  #transport: XenstoreTransport;
  #handle: (c: ServerConnection, m: Message) => void;
  #decoder = new MessageDecoder();
  #outbox = new Outbox();
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(
    transport: XenstoreTransport,
    domid: number,
    handle: (c: ServerConnection, m: Message) => void,
  ) {
    this.#transport = transport;
    this.domid = domid;
    this.#handle = handle;
  }

  async run(): Promise<void> {
    try {
      while (!this.#closed) {
        // Backpressure: a client that does not read its replies stops being read.
        if (this.#outbox.bytes > READ_PAUSE && this.#flushing) await this.#flushing;
        const chunk = await this.#transport.read();
        if (chunk === null || this.#closed) break;
        // A malformed header (payload over 4096) throws: the connection dies,
        // as it does in xenstored.
        for (const m of this.#decoder.push(chunk)) {
          if (this.#closed) break;
          this.#handle(this, m);
        }
      }
    } catch {
      // protocol violation or transport failure: drop the connection
    } finally {
      await this.close();
    }
  }

  send(message: Message): void {
    if (this.#closed) return;
    this.#outbox.push(message);
    if (this.#outbox.bytes > OUTBOX_LIMIT) {
      // The client has stopped reading; xenstored drops such connections too.
      this.close();
      return;
    }
    if (this.#flushing === undefined) this.#flushing = this.#flush();
  }

  sendEvent(path: string, token: string): void {
    this.send({
      type: MessageType.WATCH_EVENT,
      reqId: 0,
      txId: 0,
      payload: payloadOf([path, token]),
    });
  }

  async #flush(): Promise<void> {
    // Let the current batch of requests finish first: one write for all.
    await Promise.resolve();
    try {
      while (!this.#outbox.empty && !this.#closed) {
        await this.#transport.write(this.#outbox.take());
      }
    } catch {
      this.close();
    } finally {
      this.#flushing = undefined;
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#outbox.clear();
    this.watches.clear();
    this.transactions.clear();
    return this.#transport.close();
  }
}
