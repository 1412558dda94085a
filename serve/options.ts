// Copyright 2026 the xenpv authors. MIT license.
// The console server's options: what a caller may give, checked, with the
// defaults filled in, before anything starts.

import type { ConsoleMode } from "../console/mod.ts";
import { consoleRequest } from "../console/mode.ts";
import type { XenHost } from "../console/mod.ts";
import { CodePage } from "../xencons/mod.ts";
import { randomToken, TOKEN_SYNTAX } from "./_auth.ts";
import { type IdentityPolicy, identityPolicy } from "./_identity.ts";
import type { AuditEntry, ServerProblem } from "./types.ts";

/** Options for `serveConsoles`. */
export interface ServeConsolesOptions {
  /** The host whose guests are served: the real Xen host by default, or a `SimulatedHost`. */
  host?: XenHost;
  /**
   * The address to listen on. Default "127.0.0.1": only this machine. Any
   * other address lets the network reach the consoles (with the token); give
   * `tls` too.
   */
  hostname?: string;
  /** The port; 0 (the default) takes a free one (see `ConsoleServer.url`). */
  port?: number;
  /**
   * The secret every request must present (16-256 printable ASCII characters
   * without spaces, quotes, `;` or `,`). Default: 32 random bytes as hex.
   */
  token?: string;
  /**
   * Identities from an authenticating reverse proxy: the request header its
   * user name comes in (`"X-Remote-User"`), trusted only on requests from a
   * `trustedProxies` address. A request from anywhere else that carries the
   * header is refused (403), whatever else it carries. Requests without it
   * may still present the token (the identity `"token"`, which a proxy may not
   * name: 403).
   */
  authHeader?: string;
  /** With `authHeader`: the proxies' IP addresses (as they connect to this server). */
  trustedProxies?: readonly string[];
  /**
   * The users (`ViewerInfo.user`) who may take the keyboard and type; everyone
   * else views. Default: everyone. The token's holder is `"token"`.
   */
  operators?: readonly string[];
  /**
   * More origins a viewer's WebSocket may come from, besides the server's own
   * address: a reverse proxy's public one (`"https://consoles.example.org"`).
   */
  origins?: readonly string[];
  /** How consoles are attached (as `connect()`'s `mode`). Default "auto". */
  mode?: ConsoleMode;
  /** Bytes of recent output kept per guest and replayed to a new viewer. Default 64 KiB. */
  scrollback?: number;
  /**
   * Most bytes a second typed into one guest (bursts as large), shared by its
   * viewers: taking the keyboard in turn gives no more. Default 64 KiB.
   */
  inputRate?: number;
  /**
   * Most output bytes one viewer may have unsent before it is dropped (with a
   * notice) instead of holding the guest back. Default 1 MiB.
   */
  viewerBuffer?: number;
  /** Serve HTTPS: the certificate chain and key, PEM. */
  tls?: { cert: string; key: string };
  /**
   * Told who joined, left, took the keyboard, typed which line (passwords
   * masked) or was dropped, on which console, when.
   */
  audit?: (entry: AuditEntry) => void;
  /**
   * Told, one call each, of a request that failed (a hostile or broken one:
   * answered 4xx, or 500 for a fault of the server's own; never with a stack
   * trace) and of a risky setup (a log directory others may write). Default:
   * one line on stderr each.
   */
  onProblem?: (problem: ServerProblem) => void;
  /**
   * Log every guest's console to a file in this directory (which must exist
   * and be a directory itself, not a symlink): `guest-<name>.log` (the name
   * made safe: letters, digits, `._-`, at most 64; `domain-<domid>.log`
   * without one), created 0600, each line stamped with the time (UTC),
   * passwords masked as `ConsoleLog` masks them, rotated at `logSize` bytes
   * (`.log.1` ... `.log.<logKeep>`). A guest that reboots (same name, new
   * domid) keeps appending to its file, as with xenconsoled. A planted
   * symlink or FIFO in the directory is refused, and so is a file that is not
   * ours alone: another user's, a hard link, or one group or others may read
   * or write (that guest is not logged; its summary's `logError` says why and
   * names the fix). A directory others may write earns an `onProblem` warning. The page links each guest's log, served
   * at `/api/guests/<domid>/log` as text/plain (the current file).
   */
  logDir?: string;
  /**
   * Record every guest's console in this directory (which must exist and be a
   * directory itself, not a symlink), in asciinema's asciicast v2 format: one
   * recording per attach of a console (the server starts, the guest boots or
   * its console comes back) and a new one at each UTC midnight, named
   * `guest-<name>-<YYYYMMDD>T<HHMMSS>Z.cast` (the name made safe as a log
   * file's), created new (never a file already there) 0600. The guest's
   * output and the keyboard holder's terminal size (resize events) are
   * recorded, not what is typed. The page lists and plays a guest's
   * recordings (`/static/replay.html#<domid>`); `/api/guests/<domid>/recordings` lists them and
   * `/api/guests/<domid>/recordings/<file>` serves one as
   * `application/x-asciicast` (only a file of ours, with one name, private).
   */
  recordDir?: string;
  /** With `logDir`: rotate a guest's log at this many bytes. Default 1 MiB. */
  logSize?: number;
  /** With `logDir`: how many rotated files are kept per guest (1-99). Default 4. */
  logKeep?: number;
  /**
   * The guests' console code page (what a Windows console's `chcp` sets):
   * their output is decoded in it and reaches the viewers (and the
   * scrollback, logs and audit) as UTF-8, and what viewers type is encoded in
   * it; a character the page lacks is not sent (the viewer gets a notice).
   * A page's number (`850`) or name (`"cp850"`, `"windows-1252"`), `"utf-8"`,
   * or `"auto"` (the default): UTF-8 until a guest answers a `chcp` (typed
   * after logging in to Windows), then the page it names, per guest.
   * {@linkcode CodePage.supported} lists the pages.
   */
  encoding?: "auto" | "utf-8" | number | string;
  /** Closes the server when aborted. */
  signal?: AbortSignal;
}

const KIB = 1024;

/** The options checked, every default filled in. */
export interface ServeSettings {
  host: XenHost | undefined;
  hostname: string;
  port: number;
  token: string;
  /** Who is trusted to name users, and who may type. */
  policy: IdentityPolicy;
  origins: string[];
  mode: ConsoleMode;
  scrollback: number;
  inputRate: number;
  viewerBuffer: number;
  tls: { cert: string; key: string } | undefined;
  audit: ((entry: AuditEntry) => void) | undefined;
  onProblem: (problem: ServerProblem) => void;
  logDir: string | undefined;
  logSize: number;
  logKeep: number;
  recordDir: string | undefined;
  /** The guests' code page, or "auto" (learnt per guest from `chcp`). */
  codePage: "auto" | CodePage;
  signal: AbortSignal | undefined;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a whole number > 0, got ${value}`);
  }
  return value;
}

/**
 * `options` checked, with the defaults: a 127.0.0.1 listener on a free port,
 * a random token, "auto" mode and code page, 64 KiB of scrollback and of
 * input a second, 1 MiB of unsent output per viewer, logs rotated at 1 MiB
 * keeping 4.
 *
 * @throws {TypeError} a bad token, mode, hostname, logDir, recordDir or encoding; a bad
 * authHeader, trustedProxies, operators or origins (or one of the first two alone).
 * @throws {RangeError} a bad port or size; an `encoding` without a table.
 */
export function resolveOptions(options: ServeConsolesOptions): ServeSettings {
  const hostname = options.hostname ?? "127.0.0.1";
  if (typeof hostname !== "string" || hostname === "") {
    throw new TypeError(`hostname must be an address, got ${hostname}`);
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be 0-65535, got ${port}`);
  }
  const token = options.token ?? randomToken();
  if (typeof token !== "string" || !TOKEN_SYNTAX.test(token)) {
    throw new TypeError(
      "token must be 16-256 printable ASCII characters without spaces, quotes, ';' or ','",
    );
  }
  const policy = identityPolicy(options);
  const origins = [...options.origins ?? []];
  for (const origin of origins) {
    if (typeof origin !== "string" || !URL.canParse(origin) || new URL(origin).origin !== origin) {
      throw new TypeError(`origins: ${origin} is not an origin (scheme://host[:port])`);
    }
  }
  const { mode } = consoleRequest({ mode: options.mode });
  const scrollback = options.scrollback ?? 64 * KIB;
  if (!Number.isInteger(scrollback) || scrollback < 0 || scrollback > 64 * KIB * KIB) {
    throw new RangeError(`scrollback must be 0 to 64 MiB, got ${scrollback}`);
  }
  const inputRate = positiveInteger("inputRate", options.inputRate, 64 * KIB);
  const viewerBuffer = positiveInteger("viewerBuffer", options.viewerBuffer, KIB * KIB);
  const logSize = positiveInteger("logSize", options.logSize, KIB * KIB);
  const logKeep = positiveInteger("logKeep", options.logKeep, 4);
  if (logKeep > 99) throw new RangeError(`logKeep must be 1-99, got ${logKeep}`);
  if (
    options.logDir !== undefined && (typeof options.logDir !== "string" || options.logDir === "")
  ) {
    throw new TypeError(`logDir must be a directory path, got ${options.logDir}`);
  }
  if (
    options.recordDir !== undefined &&
    (typeof options.recordDir !== "string" || options.recordDir === "")
  ) {
    throw new TypeError(`recordDir must be a directory path, got ${options.recordDir}`);
  }
  const encoding = options.encoding ?? "auto";
  if (typeof encoding !== "string" && typeof encoding !== "number") {
    throw new TypeError(`encoding must be "auto" or a code page, got ${encoding}`);
  }
  const codePage = encoding === "auto" ? "auto" : CodePage.of(encoding);
  return {
    host: options.host,
    hostname,
    port,
    token,
    policy,
    origins,
    mode,
    scrollback,
    inputRate,
    viewerBuffer,
    tls: options.tls,
    audit: options.audit,
    onProblem: options.onProblem ?? printProblem,
    logDir: options.logDir,
    logSize,
    logKeep,
    recordDir: options.recordDir,
    codePage,
    signal: options.signal,
  };
}

/** The default `onProblem`: one line on stderr. */
function printProblem(problem: ServerProblem): void {
  const { time, kind, message, status, request, address } = problem;
  const where = request === undefined ? "" : ` ${status} ${request} from ${address}:`;
  console.error(`${time.toISOString()} serve: ${kind}:${where} ${message}`);
}
