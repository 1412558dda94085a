// Copyright 2026 the xenpv authors. MIT license.
// One browser tab (or other WebSocket client) watching one console.

import { CLOSE_TOO_SLOW, type ServerMessage } from "./protocol.ts";
import type { ViewerInfo } from "./types.ts";

/** A WebSocket client watching a console, with its send bound. */
export class Viewer {
  readonly info: ViewerInfo;
  /** Its terminal's size, once it said (a `resize` message). */
  size: { cols: number; rows: number } | undefined;
  #socket: WebSocket;
  #maxBuffered: number;
  #tooSlow: (viewer: Viewer, reason: string) => void;
  #dropped = false;

  /**
   * `maxBuffered`: the most bytes (output and control messages) it may have
   * unsent; past it, it is dropped and `tooSlow` told why.
   */
  constructor(
    socket: WebSocket,
    info: ViewerInfo,
    maxBuffered: number,
    tooSlow: (viewer: Viewer, reason: string) => void,
  ) {
    this.#socket = socket;
    this.info = info;
    this.#maxBuffered = maxBuffered;
    this.#tooSlow = tooSlow;
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
   * waited for.
   */
  output(data: Uint8Array<ArrayBuffer>): void {
    if (this.#keepsUp()) this.#socket.send(data);
  }

  /**
   * Sends a control message (a text frame), within the same bound as output:
   * a viewer that does not read is dropped, whatever it is sent.
   */
  send(message: ServerMessage): void {
    if (this.#keepsUp()) this.#socket.send(JSON.stringify(message));
  }

  /** Closes the viewer's socket with a notice. */
  drop(reason: string, code: number): void {
    if (this.#dropped) return;
    this.#dropped = true;
    try {
      if (this.#socket.readyState === WebSocket.OPEN) {
        this.#socket.send(JSON.stringify({ type: "dropped", reason } satisfies ServerMessage));
      }
      this.#socket.close(code, reason.slice(0, 120));
    } catch { /* already closing */ }
  }

  /** Whether it is open and within its bound; past the bound it is dropped here. */
  #keepsUp(): boolean {
    if (this.gone) return false; // closing: its close event removes it
    if (this.#socket.bufferedAmount <= this.#maxBuffered) return true;
    const reason = `too slow: more than ${this.#maxBuffered} bytes unsent`;
    this.drop(reason, CLOSE_TOO_SLOW);
    this.#tooSlow(this, reason);
    return false;
  }
}
