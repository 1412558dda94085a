// Copyright 2026 the xenpv authors. MIT license.
// serveConsoles(): the console server's flow. Its parts: options.ts (the
// options checked), _auth.ts (the gate), _routes.ts (what each path answers),
// protocol.ts (the WebSocket messages), _viewers.ts (the sockets),
// _directory.ts (the guests), _page.ts (the page).

import { ERRNO } from "../_sys/errno.ts";
import { printable } from "../_sys/text.ts";
import { SystemError } from "../errors.ts";
import { Gate, shownHost } from "./_auth.ts";
import { GuestDirectory } from "./_directory.ts";
import { GuestLogs } from "./_logs.ts";
import { GuestRecordings } from "./_recordings.ts";
import { respond } from "./_http.ts";
import { errorText, handle, type RouteContext } from "./_routes.ts";
import { Viewers } from "./_viewers.ts";
import { resolveOptions, type ServeConsolesOptions, type ServeSettings } from "./options.ts";

/** A running console server: close it with `close()` or `await using`. */
export interface ConsoleServer extends AsyncDisposable {
  /** The page's address, without the token: `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /**
   * The secret: open `url` with `#token=` and it once; the page keeps it in
   * its tab (sessionStorage, this origin's only) and sends it in headers,
   * never in a cookie (cookies are not isolated by port).
   */
  readonly token: string;
  /** Stops serving, closes every viewer and detaches from every console. */
  close(): Promise<void>;
}

/**
 * Serves every guest's console in the browser: a page at `/` listing the
 * guests (found through xenstore and followed live: new ones appear, destroyed
 * ones are marked gone) with a terminal (xterm.js, served by the server itself)
 * per guest. Opening a guest replays its recent output, then streams it; many
 * viewers see the same stream and one at a time holds the keyboard.
 *
 * Safe to leave running as root: it listens on 127.0.0.1 unless told
 * otherwise; every request but the page's own files needs the token (in
 * `Authorization: Bearer`, the page's WebSocket subprotocol, or `?token=`;
 * compared in constant time; never a cookie) or, with `authHeader`, a user
 * named by an authenticating reverse proxy at a `trustedProxies` address;
 * `operators` may type, everyone else views; the WebSocket's `Origin` must
 * be the page's own, guest output only ever reaches xterm.js (binary
 * WebSocket frames), input is rate limited, and a viewer that stops
 * reading is dropped instead of holding the guest back. docs/serve.md
 * says how a team deploys it.
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
 * console.log(`${server.url}#token=${server.token}`);
 * ```
 *
 * @throws {TypeError} a bad token, mode or hostname (one that does not
 * resolve); `tls` that is not a PEM certificate and key; a bad `authHeader`,
 * `trustedProxies`, `operators` or `origins`.
 * @throws {RangeError} a bad port or size; an `encoding` without a table.
 * @throws {SystemError} xenstore cannot be reached (no Xen here, not root);
 * `logDir` or `recordDir` is missing, not a directory, or a symlink; the port is taken
 * (`EADDRINUSE`) or the address is not this machine's (`EADDRNOTAVAIL`).
 */
export async function serveConsoles(options: ServeConsolesOptions = {}): Promise<ConsoleServer> {
  const settings = resolveOptions(options);
  settings.signal?.throwIfAborted();
  const logs = settings.logDir === undefined ? undefined : new GuestLogs({
    dir: settings.logDir,
    maxSize: settings.logSize,
    keep: settings.logKeep,
    warn: (message) => problem(settings, message),
  });
  const recordings = settings.recordDir === undefined
    ? undefined
    : new GuestRecordings(settings.recordDir, (message) => problem(settings, message));
  const directory = new GuestDirectory({
    host: settings.host,
    mode: settings.mode,
    scrollback: settings.scrollback,
    audit: settings.audit,
    logs,
    recordings,
    encoding: settings.codePage,
    inputRate: settings.inputRate,
  });
  await directory.start();

  const gate = new Gate({
    token: settings.token,
    secure: Boolean(settings.tls),
    policy: settings.policy,
    origins: settings.origins,
  });
  const viewers = new Viewers(settings.viewerBuffer);
  const context: RouteContext = {
    gate,
    directory,
    logs,
    recordings,
    viewers,
    onProblem: settings.onProblem,
  };
  const abort = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = listen(settings, abort.signal, (request, info) => handle(context, request, info), {
      onError: (err) => {
        // handle() answers whatever its routes throw: this is the net under it
        settings.onProblem({ time: new Date(), kind: "request", message: errorText(err) });
        return respond(500, "500: the server failed on this request\n");
      },
    });
  } catch (err) {
    await directory.close();
    throw err;
  }
  const bound = server.addr.port;
  gate.listening(settings.hostname, bound);

  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      viewers.closeAll("the server is closing", 1001);
      abort.abort();
      await server.finished;
      await directory.close();
    })();
  settings.signal?.addEventListener("abort", () => close(), { once: true });
  return {
    url: `${settings.tls ? "https" : "http"}://${shownHost(settings.hostname)}:${bound}/`,
    token: settings.token,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Starts serving HTTP (or HTTPS, with `tls`) on the address the settings name. */
function listen(
  settings: ServeSettings,
  signal: AbortSignal,
  handler: Deno.ServeHandler<Deno.NetAddr>,
  { onError }: { onError: (err: unknown) => Response },
): Deno.HttpServer<Deno.NetAddr> {
  const { hostname, port, tls } = settings;
  const options = { hostname, port, signal, onListen: () => {}, onError };
  try {
    return tls
      ? Deno.serve({ ...options, cert: tls.cert, key: tls.key }, handler)
      : Deno.serve(options, handler);
  } catch (err) {
    throw listenError(err, settings);
  }
}

/** Why listening failed, said as the project's errors: a condition, or a bad argument. */
function listenError(err: unknown, { hostname, port }: ServeSettings): unknown {
  const path = `${shownHost(hostname)}:${port}`;
  const cause = { cause: err };
  if (err instanceof Deno.errors.AddrInUse) {
    const hint = "another program listens there: choose another port (0: any free one)";
    return new SystemError(ERRNO.EADDRINUSE, "bind", { path, hint }, cause);
  }
  if (err instanceof Deno.errors.AddrNotAvailable) {
    const hint = "no interface of this machine has that address";
    return new SystemError(ERRNO.EADDRNOTAVAIL, "bind", { path, hint }, cause);
  }
  if (err instanceof Deno.errors.InvalidData) {
    return new TypeError(`tls: not a PEM certificate and key (${(err as Error).message})`, cause);
  }
  if (err instanceof Error && /lookup address/.test(err.message)) {
    return new TypeError(
      `hostname ${printable(hostname)} is not an address nor a name that resolves`,
      cause,
    );
  }
  return err;
}

/** Tells `onProblem` of a risky setup (its own failure changes nothing). */
function problem(settings: ServeSettings, message: string): void {
  try {
    settings.onProblem({ time: new Date(), kind: "warning", message: printable(message, 500) });
  } catch { /* the sink's own failure must not stop the server */ }
}
