// Copyright 2026 the xenpv authors. MIT license.
// What the console server says of guests and viewers: in /api/guests and the audit log.

import type { AttachMode, GuestType } from "../console/mod.ts";

/** What an identity may do: an operator may take the keyboard and type; a viewer watches. */
export type Role = "operator" | "viewer";

/** Who a viewer is, as others see it and as the audit log says it. */
export interface ViewerInfo {
  /** Unique per server run. */
  id: number;
  /**
   * The authenticated identity: the user an authenticating reverse proxy
   * named (`authHeader`, from a `trustedProxies` address), or `"token"` for
   * whoever presented the server's token.
   */
  user: string;
  /** What `user` may do (see `operators`). */
  role: Role;
  /**
   * A display name the viewer gave itself: self-declared, never verified
   * (`user` is who it is).
   */
  name: string;
  /** Its address and port (the proxy's, behind a proxy). */
  address: string;
}

/** What an audit entry records. */
export type AuditEvent = "join" | "leave" | "take" | "release" | "input" | "dropped";

/** One line of the audit log: who did what on which console, when. */
export interface AuditEntry {
  /** When it happened (for `input`: when the line's Enter was pressed). */
  time: Date;
  /** What happened: a viewer joined or left, took or released the keyboard, typed a line, was dropped. */
  event: AuditEvent;
  /** The guest's domid. */
  domid: number;
  /** The guest's name, if it has one. */
  guest: string | undefined;
  /** Who. */
  viewer: ViewerInfo;
  /**
   * `input`: the line typed, without its Enter key; `[redacted]` where it was
   * a password (masked as `ConsoleLog` masks them). `dropped`: why.
   */
  text?: string;
  /**
   * `input`, only where it holds: `true` when a key other than a printable
   * character was typed on the line (Up or Down recalling a command from the
   * guest's history, Tab completing one, an erasure, a cursor key, any other
   * escape sequence or control key). `text` is then the line as a line editor
   * like readline would end up with it, a guess: the guest may have run
   * another (a recalled command is audited as an empty or partial line);
   * `keys` says what was typed.
   */
  approximate?: true;
  /**
   * `input`, when `approximate`: the keys typed on the line as they came,
   * without the Enter key (control keys and escape sequences too: Up is
   * `"\x1b[A"`), masked as `text` is (`[redacted]` for a password).
   */
  keys?: string;
}

/** Where a guest's console is. */
export type GuestState = "attaching" | "live" | "unavailable" | "gone";

/** A guest as `/api/guests` lists it. */
export interface GuestSummary {
  /** The guest's domain id. */
  domid: number;
  /** Its name (from xenstore: control characters shown as `\xNN`), if it has one. */
  name: string | undefined;
  /** Its kind (libxl's domain type), if the toolstack said. */
  guestType: GuestType | undefined;
  /** The console mode in use (pty or ring), once attached. */
  mode: AttachMode | undefined;
  /**
   * Its console's code page as the server reads and types it (850, 65001 for
   * UTF-8): fixed by the `encoding` option, or (`"auto"`) the last a `chcp`
   * answer named.
   */
  codePage: number;
  /** Where its console is: attaching, live, unavailable (see `reason`) or gone. */
  state: GuestState;
  /** Why it is unavailable. */
  reason: string | undefined;
  /** Who is watching. */
  viewers: ViewerInfo[];
  /** Who holds the keyboard. */
  writer: ViewerInfo | null;
  /** Bytes of recent output kept. */
  scrollback: number;
  /**
   * Its log file's name in the log directory (`logDir`), when logged; read
   * it at `/api/guests/<domid>/log`.
   */
  log: string | undefined;
  /** Why it is not (or no longer) logged, if logging was asked for. */
  logError: string | undefined;
  /**
   * The recording being made of its console (`recordDir`): its file name;
   * list its recordings at `/api/guests/<domid>/recordings`.
   */
  recording?: string | undefined;
  /** Why its console is not (or no longer) recorded, if recording was asked for. */
  recordError?: string | undefined;
}

/**
 * A recording of a guest's console (with `recordDir`), as
 * `/api/guests/<domid>/recordings` lists it (newest first, in `recordings`,
 * beside the guest's name in `guest`).
 */
export interface RecordingInfo {
  /**
   * Its file name in the record directory; the recording (asciicast v2) is
   * served at `/api/guests/<domid>/recordings/<file>`.
   */
  file: string;
  /** When it started (UTC, ISO 8601, to the second). */
  started: string;
}

/**
 * Something the server met outside any viewer's doing, told to the
 * `onProblem` option: a request it could not answer as asked (answered 4xx,
 * or 500 for a fault of its own, never with a stack trace), or a risky setup.
 */
export interface ServerProblem {
  /** When. */
  time: Date;
  /**
   * `request`: a request failed (400 before the token was checked, or for a
   * bad WebSocket handshake; 500 after it, for a fault of the server's own).
   * `warning`: the setup is risky (a log directory others may write).
   */
  kind: "request" | "warning";
  /** One line, printable (control characters shown as `\xNN`): what, and the fix if there is one. */
  message: string;
  /** `request`: the status answered. */
  status?: number;
  /** `request`: its method and path, without the query (which may hold the token). */
  request?: string;
  /** `request`: the peer's address and port. */
  address?: string;
}
