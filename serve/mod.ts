// Copyright 2026 the xenpv authors. MIT license.

/**
 * Every guest's console in the browser: one process in dom0 that owns the
 * consoles of every guest (found through xenstore, followed live), keeps
 * their recent output, and serves a page with a terminal (xterm.js, served by
 * the server itself: no CDN) per guest. Many viewers watch a console, one at
 * a time types; every request needs a token, and an audit log says who typed
 * what (passwords masked). With `logDir`, each guest's console is also logged
 * to a file (timestamped, rotated by size, passwords masked), readable from
 * the page; with `recordDir`, recorded in asciinema's format (asciicast v2),
 * replayable in the page. If xenstored restarts, the server reconnects and lists the guests
 * again.
 *
 * ```ts ignore
 * import { serveConsoles } from "@xenpv/console/serve";
 *
 * await using server = await serveConsoles();
 * console.log(`open ${server.url}#token=${server.token}`);
 * ```
 *
 * @module
 */

export { type ConsoleServer, serveConsoles } from "./server.ts";
export { type AuditFile, openAuditFile } from "./audit_file.ts";
export type { ServeConsolesOptions } from "./options.ts";
export type { ClientMessage, ServerMessage } from "./protocol.ts";
export type {
  AuditEntry,
  AuditEvent,
  GuestState,
  GuestSummary,
  RecordingInfo,
  Role,
  ServerProblem,
  ViewerInfo,
} from "./types.ts";
export { XenpvError } from "../errors.ts";
