// Copyright 2026 the xenpv authors. MIT license.

import type { ConsoleMode, XenHost } from "../console/mod.ts";
import { CodePage } from "../xencons/mod.ts";
import { presentedToken, randomToken, sameSecret, TOKEN_SYNTAX } from "./_auth.ts";
import { GuestDirectory } from "./_directory.ts";
import { GuestLogs } from "./_logs.ts";
import type { GuestConsole } from "./_guest_console.ts";
import type { AuditEntry, GuestSummary } from "./types.ts";
import { APP_JS, PAGE_CSS, PAGE_HTML } from "./_page.ts";
import { CLOSE_PROTOCOL, Viewer } from "./_viewer.ts";
import { FIT_JS, XTERM_CSS, XTERM_JS } from "./_xterm.ts";

/** Options for {@linkcode serveConsoles}. */
export interface ServeConsolesOptions {
  /** The host whose guests are served: the real Xen host by default, or a `SimulatedHost`. */
  host?: XenHost;
  /**
   * The address to listen on. Default "127.0.0.1": only this machine. Any
   * other address lets the network reach the consoles (with the token); give
   * `tls` too.
   */
  hostname?: string;
  /** The port; 0 (the default) takes a free one (see {@linkcode ConsoleServer.url}). */
  port?: number;
  /**
   * The secret every request must present (16-256 printable ASCII characters
   * without spaces, quotes, `;` or `,`). Default: 32 random bytes as hex.
   */
  token?: string;
  /** How consoles are attached (as `connect()`'s `mode`). Default "auto". */
  mode?: ConsoleMode;
  /** Bytes of recent output kept per guest and replayed to a new viewer. Default 64 KiB. */
  scrollback?: number;
  /** Most bytes a second one viewer may type (bursts as large). Default 64 KiB. */
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
   * Log every guest's console to a file in this directory (which must exist
   * and be a directory itself, not a symlink): `guest-<name>.log` (the name
   * made safe: letters, digits, `._-`, at most 64; `domain-<domid>.log`
   * without one), created 0600, each line stamped with the time (UTC),
   * passwords masked as `ConsoleLog` masks them, rotated at `logSize` bytes
   * (`.log.1` ... `.log.<logKeep>`). A guest that reboots (same name, new
   * domid) keeps appending to its file, as with xenconsoled. A planted
   * symlink or FIFO in the directory is refused (that guest is not logged; its
   * summary's `logError` says why). The page links each guest's log, served
   * at `/api/guests/<domid>/log` as text/plain (the current file).
   */
  logDir?: string;
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

/** A running console server: close it with `close()` or `await using`. */
export interface ConsoleServer extends AsyncDisposable {
  /** The page's address, without the token: `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** The secret: open `url` with `?token=` and it once; the page keeps it in a cookie. */
  readonly token: string;
  /** Stops serving, closes every viewer and detaches from every console. */
  close(): Promise<void>;
}

const KIB = 1024;
/** The longest control message a viewer may send. */
const MAX_MESSAGE = 256 * KIB;
/** A viewer's socket is closed when it answers no ping for this long (s). */
const IDLE_TIMEOUT_S = 30;
/** The most of a guest's log (its current file) one request returns: the newest bytes. */
const LOG_SERVED = 8 * KIB * KIB;

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self' " +
    "'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const STATIC: Record<string, [string, string]> = {
  "/static/app.js": ["text/javascript; charset=utf-8", APP_JS],
  "/static/page.css": ["text/css; charset=utf-8", PAGE_CSS],
  "/static/xterm.mjs": ["text/javascript; charset=utf-8", XTERM_JS],
  "/static/addon-fit.mjs": ["text/javascript; charset=utf-8", FIT_JS],
  "/static/xterm.css": ["text/css; charset=utf-8", XTERM_CSS],
};

function respond(status: number, body: string, type = "text/plain; charset=utf-8", extra = {}) {
  return new Response(body, {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": type, ...extra },
  });
}

/** A name a viewer gives itself, fit to show: letters, digits, ` _.@-`, at most 32. */
function viewerName(text: string | null): string {
  const name = (text ?? "").replace(/[^\p{L}\p{N} _.@-]/gu, "").trim().slice(0, 32);
  return name === "" ? "viewer" : name;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a whole number > 0, got ${value}`);
  }
  return value;
}

/**
 * Serves every guest's console in the browser: a page at `/` listing the
 * guests (found through xenstore and followed live: new ones appear, destroyed
 * ones are marked gone) with a terminal (xterm.js, served by the server itself)
 * per guest. Opening a guest replays its recent output, then streams it; many
 * viewers see the same stream and one at a time holds the keyboard.
 *
 * Safe to leave running as root: it listens on 127.0.0.1 unless told
 * otherwise; every request needs the token (`?token=` once, then an HttpOnly
 * SameSite=Strict cookie; compared in constant time), the WebSocket's
 * `Origin` must be the page's own, guest output only ever reaches xterm.js
 * (binary WebSocket frames), input is rate limited, and a viewer that stops
 * reading is dropped instead of holding the guest back.
 *
 * Needs `--allow-net` besides what `connect()` needs (`--allow-ffi`).
 *
 * @example Serve a simulated guest and list it
 * ```ts
 * import { serveConsoles } from "@xenpv/console/serve";
 * import { SimulatedHost } from "@xenpv/console/sim";
 * import assert from "node:assert/strict";
 *
 * await using host = new SimulatedHost();
 * await host.createGuest({ name: "win1" });
 * await using server = await serveConsoles({ host, port: 0 });
 * const response = await fetch(new URL("/api/guests", server.url), {
 *   headers: { authorization: `Bearer ${server.token}` },
 * });
 * const guests = await response.json();
 * assert.equal(guests[0].name, "win1");
 * ```
 *
 * @example In dom0
 * ```ts ignore
 * import { serveConsoles } from "@xenpv/console/serve";
 *
 * const server = await serveConsoles({ port: 8023 });
 * console.log(`${server.url}?token=${server.token}`);
 * ```
 *
 * @throws {TypeError} a bad token, mode or hostname.
 * @throws {RangeError} a bad port or size; an `encoding` without a table.
 * @throws {SystemError} xenstore cannot be reached (no Xen here, not root);
 * `logDir` is missing, not a directory, or a symlink.
 */
export async function serveConsoles(options: ServeConsolesOptions = {}): Promise<ConsoleServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  if (typeof hostname !== "string" || hostname === "") {
    throw new TypeError(`hostname must be an address, got ${hostname}`);
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be 0-65535, got ${port}`);
  }
  const secret = options.token ?? randomToken();
  if (typeof secret !== "string" || !TOKEN_SYNTAX.test(secret)) {
    throw new TypeError(
      "token must be 16-256 printable ASCII characters without spaces, quotes, ';' or ','",
    );
  }
  const mode = options.mode ?? "auto";
  if (mode !== "auto" && mode !== "pty" && mode !== "ring") {
    throw new TypeError(`mode must be auto, pty or ring, got ${mode}`);
  }
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
  const encoding = options.encoding ?? "auto";
  if (typeof encoding !== "string" && typeof encoding !== "number") {
    throw new TypeError(`encoding must be "auto" or a code page, got ${encoding}`);
  }
  const codePage = encoding === "auto" ? "auto" : CodePage.of(encoding);
  options.signal?.throwIfAborted();
  const logs = options.logDir === undefined
    ? undefined
    : new GuestLogs({ dir: options.logDir, maxSize: logSize, keep: logKeep });

  const directory = new GuestDirectory({
    host: options.host,
    mode,
    scrollback,
    audit: options.audit,
    logs,
    encoding: codePage,
  });
  await directory.start();

  const scheme = options.tls ? "https" : "http";
  const viewers = new Set<Viewer>();
  let nextViewer = 0;
  let cookie = "";
  let allowedHosts: Set<string> | undefined;

  /** Whether the Host header names this server (a DNS rebinding attack names another). */
  const hostAllowed = (host: string | null) =>
    host !== null && (allowedHosts === undefined || allowedHosts.has(host.toLowerCase()));

  const socket = (request: Request, address: string, guest: GuestConsole) => {
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: IDLE_TIMEOUT_S });
    const viewer = new Viewer(
      socket,
      {
        id: ++nextViewer,
        name: viewerName(new URL(request.url).searchParams.get("name")),
        address,
      },
      inputRate,
      viewerBuffer,
    );
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      viewers.add(viewer);
      guest.join(viewer);
    };
    socket.onclose = () => {
      viewers.delete(viewer);
      guest.leave(viewer);
    };
    socket.onerror = () => {};
    socket.onmessage = (event) => {
      if (typeof event.data !== "string" || event.data.length > MAX_MESSAGE) {
        viewer.drop("send JSON text messages of at most 256 KiB", CLOSE_PROTOCOL);
        return;
      }
      let message: { type?: unknown; data?: unknown };
      try {
        message = JSON.parse(event.data);
      } catch {
        viewer.drop("messages are JSON", CLOSE_PROTOCOL);
        return;
      }
      switch (message?.type) {
        case "take":
          return guest.take(viewer);
        case "release":
          return guest.release(viewer);
        case "input":
          if (typeof message.data !== "string") {
            return viewer.send({ type: "notice", message: "input needs a data string" });
          }
          return guest.input(viewer, message.data);
        default:
          viewer.send({ type: "notice", message: "unknown message type" });
      }
    };
    return response;
  };

  const handler = async (request: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const peer = info.remoteAddr;
    const address = peer.transport === "tcp" ? `${peer.hostname}:${peer.port}` : "local";
    const url = new URL(request.url);
    // HTTP/2 has no Host header: its :authority is the URL's host
    const host = request.headers.get("host") ?? url.host;
    if (!hostAllowed(host)) {
      return respond(421, "this server answers to its own address only\n");
    }
    const presented = presentedToken(request, url, cookie);
    if (presented.token === undefined || !(await sameSecret(presented.token, secret))) {
      return respond(
        401,
        "401: open the address printed at the server's start (it ends in ?token=...)\n",
      );
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return respond(405, "405: GET only\n", undefined, { allow: "GET, HEAD" });
    }
    const path = url.pathname;
    if (path === "/" && presented.fromQuery) {
      // Move the token into the cookie and out of the address bar (and history).
      const secure = options.tls ? "; Secure" : "";
      return respond(303, "", undefined, {
        location: "/",
        "set-cookie": `${cookie}=${presented.token}; Path=/; HttpOnly; SameSite=Strict${secure}`,
      });
    }
    if (path === "/") return respond(200, PAGE_HTML, "text/html; charset=utf-8");
    const asset = STATIC[path];
    if (asset !== undefined) return respond(200, asset[1], asset[0]);
    if (path === "/api/guests") {
      const guests: GuestSummary[] = directory.list().map((g) => g.summary());
      return respond(200, JSON.stringify(guests), "application/json");
    }
    const logPath = /^\/api\/guests\/([0-9]{1,5})\/log$/.exec(path);
    if (logPath !== null) {
      const guest = directory.get(Number(logPath[1]));
      if (guest === undefined) return respond(404, "404: no such guest\n");
      const file = await guest.logFile();
      if (logs === undefined || file === undefined) {
        return respond(
          404,
          "404: this guest is not logged (start the server with a log directory)\n",
        );
      }
      let body: Uint8Array<ArrayBuffer>;
      try {
        body = logs.read(file, LOG_SERVED);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        // deno-lint-ignore no-control-regex
        return respond(500, `500: ${reason.replace(/[\x00-\x1f\x7f]/g, "?")}\n`);
      }
      return new Response(request.method === "HEAD" ? null : body, {
        headers: {
          ...SECURITY_HEADERS,
          "content-type": "text/plain; charset=utf-8",
          "content-security-policy": "default-src 'none'; sandbox",
          "content-disposition": `inline; filename="${file}"`,
        },
      });
    }
    const ws = /^\/ws\/([0-9]{1,5})$/.exec(path);
    if (ws !== null) {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return respond(426, "426: this is a WebSocket\n", undefined, { upgrade: "websocket" });
      }
      if (request.headers.get("origin") !== `${scheme}://${host}`) {
        return respond(403, "403: the WebSocket's Origin must be this page's own\n");
      }
      const guest = directory.get(Number(ws[1]));
      if (guest === undefined) return respond(404, "404: no such guest\n");
      return socket(request, address, guest);
    }
    return respond(404, "404: not found\n");
  };

  const abort = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    const listen = { hostname, port, signal: abort.signal, onListen: () => {} };
    server = options.tls
      ? Deno.serve({ ...listen, cert: options.tls.cert, key: options.tls.key }, handler)
      : Deno.serve(listen, handler);
  } catch (err) {
    await directory.close();
    throw err;
  }
  const bound = server.addr.port;
  cookie = `xenpv-${bound}`;
  if (LOOPBACK.has(hostname)) {
    allowedHosts = new Set(["127.0.0.1", "localhost", "[::1]"].map((h) => `${h}:${bound}`));
  } else if (hostname !== "0.0.0.0" && hostname !== "::") {
    const name = hostname.includes(":") ? `[${hostname}]` : hostname;
    allowedHosts = new Set([`${name}:${bound}`.toLowerCase()]);
  }
  const shown = LOOPBACK.has(hostname) || hostname === "0.0.0.0" || hostname === "::"
    ? (hostname === "::1" ? "[::1]" : "127.0.0.1")
    : hostname.includes(":")
    ? `[${hostname}]`
    : hostname;

  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      for (const v of viewers) v.drop("the server is closing", 1001);
      abort.abort();
      await server.finished;
      await directory.close();
    })();
  options.signal?.addEventListener("abort", () => close(), { once: true });
  return {
    url: `${scheme}://${shown}:${bound}/`,
    token: secret,
    close,
    [Symbol.asyncDispose]: close,
  };
}
