// Copyright 2026 the xenpv authors. MIT license.
// The WebSocket protocol between the page (or any viewer) and the server, at
// `/ws/<domid>`: guest output goes to the viewer in binary frames; control
// messages go both ways as JSON text frames, typed here. What a viewer sends
// is untrusted: parseClientMessage() is the one place it is read.

import type { GuestState, GuestSummary, ViewerInfo } from "./types.ts";

/**
 * What a viewer may send (a JSON text frame): take the keyboard, give it
 * back, type (only the keyboard holder's input reaches the guest), or say its
 * terminal's size (the keyboard holder's is recorded, with `recordDir`).
 *
 * @example Typing a line
 * ```ts
 * import type { ClientMessage } from "@xenpv/console/serve";
 *
 * const line: ClientMessage = { type: "input", data: "ver\r" };
 * console.log(JSON.stringify(line));
 * ```
 */
export type ClientMessage =
  | { type: "take" }
  | { type: "release" }
  | { type: "input"; data: string }
  | { type: "resize"; cols: number; rows: number };

/**
 * What the server tells a viewer (JSON text frames; guest output goes in
 * binary frames): who it is and which guest (`hello`), the console's state,
 * who holds the keyboard, who watches (`viewers`: the whole list, once, when
 * the viewer joins; then `viewersChanged`: who joined and which ids left,
 * batched), a notice, the guest's successor after a reboot, and why the
 * viewer was dropped.
 *
 * @example Reading a control message
 * ```ts
 * import type { ServerMessage } from "@xenpv/console/serve";
 *
 * const message: ServerMessage = JSON.parse('{"type":"notice","message":"hi"}');
 * if (message.type === "notice") console.log(message.message);
 * ```
 */
export type ServerMessage =
  | {
    type: "hello";
    you: ViewerInfo;
    domid: number;
    name: string | undefined;
    log: boolean;
    /** Whether the server records consoles: the guest's recordings are listed at `/api/guests/<domid>/recordings`. */
    recordings?: boolean;
  }
  | { type: "state"; state: GuestState; reason: string | undefined; mode: GuestSummary["mode"] }
  | { type: "keyboard"; holder: ViewerInfo | null }
  | { type: "viewers"; viewers: ViewerInfo[] }
  | { type: "viewersChanged"; joined: ViewerInfo[]; left: number[] }
  | { type: "notice"; message: string }
  | { type: "successor"; domid: number }
  | { type: "dropped"; reason: string };

/** The close code for a viewer dropped for not keeping up (private range 4000-4999). */
export const CLOSE_TOO_SLOW = 4008;
/** The close code for a bad message from a viewer (policy violation). */
export const CLOSE_PROTOCOL = 1008;
/** The longest control message a viewer may send (UTF-16 code units). */
export const MAX_CLIENT_MESSAGE = 256 * 1024;

/**
 * A viewer's frame read: a {@linkcode ClientMessage}; or `drop` (not a JSON
 * text frame within the size bound: the viewer is closed with
 * {@linkcode CLOSE_PROTOCOL}); or `notice` (JSON, but no message this server
 * knows: the viewer is told and stays).
 */
export type ParsedClientMessage =
  | { kind: "message"; message: ClientMessage }
  | { kind: "drop"; reason: string }
  | { kind: "notice"; reason: string };

/**
 * Reads one frame from a viewer (`MessageEvent.data`: a string for a text
 * frame) into a {@linkcode ClientMessage}, or says why it is none. Fields
 * besides `type` and `data` are ignored.
 */
export function parseClientMessage(data: unknown): ParsedClientMessage {
  if (typeof data !== "string" || data.length > MAX_CLIENT_MESSAGE) {
    return { kind: "drop", reason: "send JSON text messages of at most 256 KiB" };
  }
  let json: { type?: unknown; data?: unknown } | null;
  try {
    json = JSON.parse(data);
  } catch {
    return { kind: "drop", reason: "messages are JSON" };
  }
  switch (json?.type) {
    case "take":
      return { kind: "message", message: { type: "take" } };
    case "release":
      return { kind: "message", message: { type: "release" } };
    case "input":
      if (typeof json.data !== "string") {
        return { kind: "notice", reason: "input needs a data string" };
      }
      return { kind: "message", message: { type: "input", data: json.data } };
    case "resize": {
      const { cols, rows } = json as { cols?: unknown; rows?: unknown };
      if (!terminalSize(cols) || !terminalSize(rows)) {
        return { kind: "notice", reason: "resize needs cols and rows, whole numbers 1-1000" };
      }
      return { kind: "message", message: { type: "resize", cols, rows } };
    }
    default:
      return { kind: "notice", reason: "unknown message type" };
  }
}

/** A terminal's columns or rows, as a viewer may say them: a whole number 1-1000. */
function terminalSize(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 1000;
}
