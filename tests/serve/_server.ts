// Copyright 2026 the xenpv authors. MIT license.
// The console server's tests' shared setup: a server over two simulated
// guests, its guest list, raw HTTP requests (for what a WebSocket client
// cannot do: send no token, a foreign Origin, or stop reading), and files.

import assert from "node:assert/strict";
import { SimulatedHost } from "../../sim/mod.ts";
import type { GuestProgramFactory } from "../../sim/mod.ts";
import {
  type AuditEntry,
  type ConsoleServer,
  type GuestSummary,
  serveConsoles,
  type ServeConsolesOptions,
} from "../../serve/mod.ts";
import { WsViewer } from "./_ws_client.ts";

export { originOf } from "./_ws_client.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A viewer of guest `domid`'s console, open. */
export function viewer(server: ConsoleServer, domid: number, name: string): Promise<WsViewer> {
  return WsViewer.open(server, domid, name);
}

/** Who holds the keyboard, as `c` was last told. */
export const holder = (c: WsViewer): string | null | undefined => c.holder;

/** `/api/guests`, with the token. */
export async function guests(server: ConsoleServer): Promise<GuestSummary[]> {
  const response = await fetch(new URL("/api/guests", server.url), {
    headers: { authorization: `Bearer ${server.token}` },
  });
  assert.equal(response.status, 200);
  return await response.json();
}

/** A raw HTTP/1.1 request (a WebSocket handshake, say): the status line and headers. */
export async function rawRequest(
  server: ConsoleServer,
  path: string,
  headers: Record<string, string>,
): Promise<string> {
  const { port, host } = new URL(server.url);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  const lines = [`GET ${path} HTTP/1.1`];
  if (!("Host" in headers)) lines.push(`Host: ${host}`);
  if (!("Connection" in headers)) lines.push("Connection: close");
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  await conn.write(encoder.encode(lines.join("\r\n") + "\r\n\r\n"));
  const buf = new Uint8Array(4096);
  const n = await conn.read(buf);
  return decoder.decode(buf.subarray(0, n ?? 0));
}

/** A WebSocket handshake's headers. */
export const upgrade = {
  Upgrade: "websocket",
  Connection: "Upgrade",
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version": "13",
};

/** A server over a simulated host with win1 (Windows) and deb1 (Linux); dispose of it to close both. */
export async function setup(
  options: {
    audit?: AuditEntry[];
    viewerBuffer?: number;
    programs?: GuestProgramFactory;
    serve?: ServeConsolesOptions;
    before?: (host: SimulatedHost) => Promise<void>;
  } = {},
) {
  const host = new SimulatedHost();
  const win = await host.createGuest({ name: "win1", program: "windows" });
  const deb = await host.createGuest({ name: "deb1", program: "linux" });
  await options.before?.(host);
  const server = await serveConsoles({
    host,
    audit: options.audit ? (e) => options.audit!.push(e) : undefined,
    viewerBuffer: options.viewerBuffer,
    ...options.serve,
  });
  return {
    host,
    win,
    deb,
    server,
    async [Symbol.asyncDispose]() {
      await server.close();
      await host.close();
    },
  };
}

/** Every file in `dir`: name -> text. */
export async function filesIn(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    out[e.name] = e.isFile
      ? await Deno.readTextFile(`${dir}/${e.name}`)
      : `(${e.isSymlink ? "symlink" : "dir"})`;
  }
  return out;
}

/** GET with the token; the response's status, headers and text. */
export async function get(
  server: ConsoleServer,
  path: string,
  token: string | null = server.token,
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(new URL(path, server.url), {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}
