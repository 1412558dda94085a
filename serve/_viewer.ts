// Copyright 2026 the xenpv authors. MIT license.
// One browser tab (or other WebSocket client) watching one console.

import { RateLimit } from "./_rate.ts";
import { CLOSE_TOO_SLOW, type ServerMessage } from "./protocol.ts";
import type { ViewerInfo } from "./types.ts";

/** A WebSocket client watching a console, with its input rate limit and send bound. */
export class Viewer {
  readonly info: ViewerInfo;
  /** Its terminal's size, once it said (a `resize` message). */
  size: { cols: number; rows: number } | undefined;
  #socket: WebSocket;
  #rate: RateLimit;
  #maxBuffered: number;
  #dropped = false;

  constructor(socket: WebSocket, info: ViewerInfo, inputRate: number, maxBuffered: number) {
    this.#socket = socket;
    this.info = info;
    this.#rate = new RateLimit(inputRate);
    this.#maxBuffered = maxBuffered;
  }

  /** Output bytes sent but not yet on the wire. */
  get buffered(): number {
    return this.gone ? 0 : this.#socket.bufferedAmount;
  }

  /** Whether it was dropped (or its socket is not open). */
  get gone(): boolean {
    return this.#dropped || this.#socket.readyState !== WebSocket.OPEN;
  }

  /**
   * Sends guest output as a binary frame, unless the viewer has more than its
   * bound still unsent: then it is dropped (with a notice) instead of being
   * waited for. Returns false when this call dropped it.
   */
  output(data: Uint8Array<ArrayBuffer>): boolean {
    if (this.gone) return true; // closing: its close event removes it
    if (this.#socket.bufferedAmount > this.#maxBuffered) {
      this.drop(`too slow: more than ${this.#maxBuffered} bytes of output unsent`, CLOSE_TOO_SLOW);
      return false;
    }
    this.#socket.send(data);
    return true;
  }

  /** Sends a control message (a text frame). */
  send(message: ServerMessage): void {
    if (this.gone) return;
    this.#socket.send(JSON.stringify(message));
  }

  /** Whether `n` bytes of input fit the viewer's rate now. */
  takeInput(n: number): boolean {
    return this.#rate.take(n);
  }

  /** Closes the viewer's socket with a notice. */
  drop(reason: string, code: number): void {
    if (this.#dropped) return;
    this.send({ type: "dropped", reason });
    this.#dropped = true;
    try {
      this.#socket.close(code, reason.slice(0, 120));
    } catch { /* already closing */ }
  }
}
