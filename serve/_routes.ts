// Copyright 2026 the xenpv authors. MIT license.
// What the console server answers: every request passes the gate (Host,
// token, method), then the route table says which handler answers its path.

import { printable } from "../_sys/text.ts";
import { SystemError } from "../errors.ts";
import type { Gate, Identity } from "./_auth.ts";
import type { GuestDirectory } from "./_directory.ts";
import { respond, SECURITY_HEADERS } from "./_http.ts";
import type { GuestLogs } from "./_logs.ts";
import { PAGE_CSS, PAGE_HTML, REPLAY_CSP, REPLAY_CSS, REPLAY_HTML } from "./_page.ts";
import { APP_JS, REPLAY_JS } from "./_page_script.ts";
import { PLAYER_CSS, PLAYER_JS } from "./_player.ts";
import type { GuestRecordings } from "./_recordings.ts";
import type { Viewers } from "./_viewers.ts";
import { FIT_JS, XTERM_CSS, XTERM_JS } from "./_xterm.ts";
import type { GuestSummary, ServerProblem } from "./types.ts";

const KIB = 1024;
/** The most of a guest's log (its current file) one request returns: the newest bytes. */
const LOG_SERVED = 8 * KIB * KIB;

/** The static files: path -> content type, body, and headers of their own. */
const STATIC: Record<string, [string, string, Record<string, string>?]> = {
  "/static/app.js": ["text/javascript; charset=utf-8", APP_JS],
  "/static/page.css": ["text/css; charset=utf-8", PAGE_CSS],
  "/static/xterm.mjs": ["text/javascript; charset=utf-8", XTERM_JS],
  "/static/addon-fit.mjs": ["text/javascript; charset=utf-8", FIT_JS],
  "/static/xterm.css": ["text/css; charset=utf-8", XTERM_CSS],
  // the replay page: a file like the others (nothing in it is a guest's or a secret)
  "/static/replay.html": ["text/html; charset=utf-8", REPLAY_HTML, {
    "content-security-policy": REPLAY_CSP,
  }],
  "/static/replay.js": ["text/javascript; charset=utf-8", REPLAY_JS],
  "/static/replay.css": ["text/css; charset=utf-8", REPLAY_CSS],
  "/static/asciinema-player.min.js": ["text/javascript; charset=utf-8", PLAYER_JS],
  "/static/asciinema-player.css": ["text/css; charset=utf-8", PLAYER_CSS],
};

/** What the routes answer from: the server's parts. */
export interface RouteContext {
  gate: Gate;
  directory: GuestDirectory;
  logs: GuestLogs | undefined;
  recordings?: GuestRecordings | undefined;
  viewers: Viewers;
  /** Where a failed request is told (one line each): the `onProblem` option. */
  onProblem: (problem: ServerProblem) => void;
}

/** A request that passed the gate. */
interface Admitted {
  request: Request;
  url: URL;
  /** The Host it named (checked). */
  host: string;
  /** The peer's address and port. */
  address: string;
  /** Who it is; undefined on the public paths (the page and its files), never asked. */
  identity: Identity | undefined;
  /** The token, when it came in the URL (`/?token=` moves it into the page's fragment). */
  queryToken: string | undefined;
}

type Handler = (
  context: RouteContext,
  request: Admitted,
  match: RegExpExecArray,
) => Response | Promise<Response>;

/** The routes, first match wins; anything else is 404. */
const ROUTES: [RegExp, Handler][] = [
  [/^\/$/, page],
  [/^\/static\/[a-z.-]+$/, asset],
  [/^\/api\/guests$/, guestList],
  [/^\/api\/guests\/([0-9]{1,5})\/log$/, guestLog],
  [/^\/api\/guests\/([0-9]{1,5})\/recordings$/, recordingList],
  [/^\/api\/guests\/([0-9]{1,5})\/recordings\/([^/]{1,200})$/, recording],
  [/^\/ws\/([0-9]{1,5})$/, webSocket],
];

/**
 * The page and its static files: public (they are in the package; nothing in
 * them is a guest's or a secret), so that no credential has to ride along in
 * a cookie. Everything else needs the token or a trusted proxy's user.
 */
const PUBLIC = /^\/(?:static\/[a-z.-]+)?$/;

/**
 * Answers one request: a Host that is no address is 400, a foreign one 421;
 * then the page and its files (public), or the gate: no credential (or
 * another) 401, a user header from an untrusted address 403; anything but GET
 * or HEAD 405; then the route table. Whatever throws is answered (400 before
 * the gate passed, 500 after) and told to `onProblem` in one line, never as a
 * stack trace.
 */
export async function handle(
  context: RouteContext,
  request: Request,
  info: Deno.ServeHandlerInfo,
): Promise<Response> {
  const peer = info.remoteAddr;
  const address = peer.transport === "tcp" ? `${peer.hostname}:${peer.port}` : "local";
  const stage = { admitted: false };
  const from = peer.transport === "tcp" ? peer.hostname : "local";
  try {
    return await answer(context, request, { address, from }, stage);
  } catch (err) {
    const status = stage.admitted ? 500 : 400;
    requestFailed(context, request, address, status, errorText(err));
    return status === 400
      ? respond(400, "400: bad request\n")
      : respond(500, "500: the server failed on this request (its problem log says why)\n");
  }
}

/**
 * The one line of an error: its message, printable and bounded, no stack,
 * and no token (a message quoting an address may quote its `?token=`).
 */
export function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return printable(text.replace(/token=[^&\s'"]*/gi, "token=[redacted]"), 300);
}

/** Tells `onProblem` that a request was answered `status`, and why. */
export function requestFailed(
  { onProblem }: RouteContext,
  request: Request,
  address: string,
  status: number,
  message: string,
): void {
  let path: string;
  try {
    path = new URL(request.url).pathname;
  } catch {
    path = "(no address)";
  }
  try {
    onProblem({
      time: new Date(),
      kind: "request",
      message,
      status,
      request: printable(`${request.method} ${path}`, 200),
      address,
    });
  } catch { /* the sink's own failure must not change the answer */ }
}

/**
 * {@linkcode handle}'s answer, before its net: `address` is the peer's address
 * and port, `from` its address; `stage.admitted` once the gate passed.
 */
async function answer(
  context: RouteContext,
  request: Request,
  { address, from }: { address: string; from: string },
  stage: { admitted: boolean },
): Promise<Response> {
  let url: URL;
  try {
    url = new URL(request.url); // built from the Host header: any text a client sent
  } catch {
    const host = printable(request.headers.get("host") ?? "(none)", 100);
    requestFailed(context, request, address, 400, `the Host header is not an address: ${host}`);
    return respond(400, "400: the Host header is not an address\n");
  }
  // HTTP/2 has no Host header: its :authority is the URL's host
  const host = request.headers.get("host") ?? url.host;
  if (!context.gate.hostAllowed(host)) {
    return respond(421, "this server answers to its own address only\n");
  }
  const isPublic = PUBLIC.test(url.pathname) && !url.searchParams.has("token");
  const verdict = isPublic ? undefined : await context.gate.admit(request, url, from);
  if (verdict !== undefined && "status" in verdict) {
    return respond(verdict.status, `${verdict.message}\n`);
  }
  stage.admitted = true;
  if (request.method !== "GET" && request.method !== "HEAD") {
    return respond(405, "405: GET only\n", undefined, { allow: "GET, HEAD" });
  }
  const admitted: Admitted = {
    request,
    url,
    host,
    address,
    identity: verdict?.identity,
    queryToken: verdict?.queryToken,
  };
  for (const [path, handler] of ROUTES) {
    const match = path.exec(url.pathname);
    if (match !== null) return await handler(context, admitted, match);
  }
  return notFound();
}

function notFound(): Response {
  return respond(404, "404: not found\n");
}

/**
 * `/`: the page; with a right `?token=`, first a redirect that moves it into
 * the address's fragment (`#token=`), which no request carries: the page
 * keeps it in its tab's sessionStorage (this origin's, port included).
 */
function page(_context: RouteContext, { queryToken }: Admitted): Response {
  if (queryToken !== undefined) {
    return respond(303, "", undefined, {
      location: `/#token=${encodeURIComponent(queryToken)}`,
    });
  }
  return respond(200, PAGE_HTML, "text/html; charset=utf-8");
}

/** `/api/guests/<domid>/recordings`: the guest's name and its recordings, newest first, as JSON. */
function recordingList(
  context: RouteContext,
  { request, address }: Admitted,
  match: RegExpExecArray,
): Response {
  const { directory, recordings } = context;
  const guest = directory.get(Number(match[1]));
  if (guest === undefined) return respond(404, "404: no such guest\n");
  if (recordings === undefined) {
    return respond(
      404,
      "404: consoles are not recorded (start the server with a record directory)\n",
    );
  }
  let list;
  try {
    list = recordings.list(guest.domid, guest.name);
  } catch (err) {
    requestFailed(context, request, address, 500, errorText(err)); // the path: not in the body
    return respond(
      500,
      "500: the server could not list the recordings (its problem log says why)\n",
    );
  }
  const body = { guest: guest.name ?? `domain ${guest.domid}`, recordings: list };
  return respond(200, JSON.stringify(body), "application/json");
}

/**
 * `/api/guests/<domid>/recordings/<file>`: one of the guest's recordings, as
 * `application/x-asciicast`; a name that is not one of its recordings is 404.
 */
function recording(
  context: RouteContext,
  { request, address }: Admitted,
  match: RegExpExecArray,
): Response {
  const { directory, recordings } = context;
  const guest = directory.get(Number(match[1]));
  if (guest === undefined || recordings === undefined) return notFound();
  let file: string;
  try {
    file = decodeURIComponent(match[2]);
  } catch {
    return notFound();
  }
  let body: Uint8Array | undefined;
  try {
    body = recordings.read(guest.domid, guest.name, file);
  } catch (err) {
    // The reason, with the server's path, goes to the problem log only.
    const code = err instanceof SystemError ? err.code : "";
    if (code === "ENOENT") return notFound(); // removed (rotated) since it was listed
    const [status, body] = code === "EPERM" || code === "ELOOP"
      ? [
        403,
        "403: the server does not trust this file as its own recording (its problem log says why)\n",
      ]
      : code === "EFBIG"
      ? [413, "413: this recording is too large to serve: read it on the server\n"]
      : [500, "500: the server could not read this recording (its problem log says why)\n"];
    requestFailed(context, request, address, status, errorText(err));
    return respond(status, body);
  }
  if (body === undefined) return notFound();
  return new Response(request.method === "HEAD" ? null : body as Uint8Array<ArrayBuffer>, {
    headers: {
      ...SECURITY_HEADERS,
      "content-type": "application/x-asciicast",
      "content-security-policy": "default-src 'none'; sandbox",
      "content-disposition": `attachment; filename="${file}"`,
    },
  });
}

/**
 * `/static/...`: the pages' scripts and styles, xterm.js, asciinema-player,
 * and the replay page (`/static/replay.html#<domid>`: it plays a guest's
 * recordings with asciinema-player, whose terminal is WebAssembly: that
 * page's CSP allows compiling it, 'wasm-unsafe-eval', and still no inline or
 * remote script).
 */
function asset(_context: RouteContext, { url }: Admitted): Response {
  const asset = STATIC[url.pathname];
  return asset === undefined ? notFound() : respond(200, asset[1], asset[0], asset[2]);
}

/** `/api/guests`: every guest's summary, as JSON. */
function guestList({ directory }: RouteContext): Response {
  const guests: GuestSummary[] = directory.list().map((g) => g.summary());
  return respond(200, JSON.stringify(guests), "application/json");
}

/** `/api/guests/<domid>/log`: the newest 8 MiB of the guest's current log file, as text. */
async function guestLog(
  context: RouteContext,
  { request, address }: Admitted,
  match: RegExpExecArray,
): Promise<Response> {
  const { directory, logs } = context;
  const guest = directory.get(Number(match[1]));
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
    requestFailed(context, request, address, 500, errorText(err)); // the path: not in the body
    return respond(500, "500: the server could not read this log (its problem log says why)\n");
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

/** `/ws/<domid>`: a viewer's WebSocket, from the page's own origin only. */
function webSocket(
  context: RouteContext,
  { request, host, address, identity }: Admitted,
  match: RegExpExecArray,
): Response {
  const { gate, directory, viewers } = context;
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return respond(426, "426: this is a WebSocket\n", undefined, { upgrade: "websocket" });
  }
  if (!gate.sameOrigin(request, host)) {
    return respond(403, "403: the WebSocket's Origin must be this page's own\n");
  }
  const guest = directory.get(Number(match[1]));
  if (guest === undefined) return respond(404, "404: no such guest\n");
  if (identity === undefined) return respond(401, "401: who is this?\n"); // never public
  try {
    return viewers.accept(request, address, guest, identity);
  } catch (err) {
    // Deno.upgradeWebSocket refuses a handshake without its headers (a key, Connection: Upgrade)
    if (!(err instanceof TypeError)) throw err;
    const reason = `not a WebSocket handshake: ${errorText(err)}`;
    requestFailed(context, request, address, 400, reason);
    return respond(400, `400: ${reason}\n`);
  }
}
