// Copyright 2026 the xenpv authors. MIT license.
// The one WebSocket client of the console server for tests and benchmarks
// (tests/serve/, the dom0 e2e test, bench/serve.ts): a viewer as the page's
// script is one, speaking serve/protocol.ts's typed messages, with the
// page's own Origin (what a browser sends).

import type { ClientMessage, ServerMessage } from "../../serve/mod.ts";

/** Where a console server is: its page's address and its token (a `ConsoleServer` is one). */
export interface ServerAddress {
  readonly url: string;
  readonly token: string;
}

/** The server's origin: what its own page's WebSockets send as `Origin`. */
export function originOf(server: ServerAddress): string {
  return new URL(server.url).origin;
}

/** The WebSocket address of guest `domid`'s console for a viewer called `name`, with the token. */
export function viewerUrl(server: ServerAddress, domid: number, name: string): URL {
  const url = new URL(`/ws/${domid}?name=${name}&token=${server.token}`, server.url);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url;
}

/**
 * A WebSocket to guest `domid`'s console, binary frames as ArrayBuffers, not
 * yet open; `headers` besides the page's Origin (a proxy's credentials).
 */
export function viewerSocket(
  server: ServerAddress,
  domid: number,
  name: string,
  headers: Record<string, string> = {},
  client?: Deno.HttpClient,
): WebSocket {
  const socket = new WebSocket(
    viewerUrl(server, domid, name),
    { headers: { origin: originOf(server), ...headers }, client } as never,
  );
  socket.binaryType = "arraybuffer";
  return socket;
}

/** Resolves when `socket` opens; rejects if it fails first. */
export function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = (e) => reject(new Error(`WebSocket failed: ${(e as ErrorEvent).message}`));
  });
}

/** Opens a viewer's WebSocket (see {@linkcode viewerSocket}); resolves once it is open. */
export async function openViewerSocket(
  server: ServerAddress,
  domid: number,
  name: string,
): Promise<WebSocket> {
  const socket = viewerSocket(server, domid, name);
  await opened(socket);
  return socket;
}

/** Sends a control message (a JSON text frame). */
export function sendMessage(socket: WebSocket, message: ClientMessage): void {
  socket.send(JSON.stringify(message));
}

/** How a {@linkcode WsViewer} keeps what it gets. */
export interface WsViewerOptions {
  /** The most of the newest output kept in `text` (UTF-16 code units). Default 64 Ki. */
  keep?: number;
  /** How long `until()` waits by default (ms). Default 5000. */
  timeout?: number;
  /** Headers for the handshake besides the Origin (a proxy's credentials). */
  headers?: Record<string, string>;
  /** The HTTP client to connect with (its CA and client certificate). */
  client?: Deno.HttpClient;
}

/** A viewer that records what it gets: output (decoded) and control messages. */
export class WsViewer implements AsyncDisposable {
  /** Opens a viewer and waits until its socket is open. */
  static async open(
    server: ServerAddress,
    domid: number,
    name: string,
    options?: WsViewerOptions,
  ): Promise<WsViewer> {
    const viewer = new WsViewer(server, domid, name, options);
    await viewer.opened;
    return viewer;
  }

  readonly socket: WebSocket;
  /** The newest guest output (the last `keep` of it), decoded as UTF-8. */
  text = "";
  /** Bytes of guest output received. */
  bytes = 0;
  /** Every control message received, in order. */
  messages: ServerMessage[] = [];
  /** Settles when the socket opens (rejects if it fails first). */
  readonly opened: Promise<void>;
  /** Settles when the socket closes. */
  readonly closed: Promise<CloseEvent>;
  #changed: (() => void)[] = [];
  #decoder = new TextDecoder();
  #keep: number;
  #timeout: number;

  constructor(server: ServerAddress, domid: number, name: string, options: WsViewerOptions = {}) {
    this.#keep = options.keep ?? 64 * 1024;
    this.#timeout = options.timeout ?? 5000;
    this.socket = viewerSocket(server, domid, name, options.headers, options.client);
    this.opened = opened(this.socket);
    this.opened.catch(() => {}); // whoever awaits it sees the failure
    this.socket.onmessage = (e) => {
      if (typeof e.data === "string") this.messages.push(JSON.parse(e.data));
      else {
        this.bytes += (e.data as ArrayBuffer).byteLength;
        // the recent output only: the tests look at what just came
        this.text = (this.text + this.#decoder.decode(e.data as ArrayBuffer, { stream: true }))
          .slice(-this.#keep);
      }
      this.#wake();
    };
    this.closed = new Promise((resolve) => {
      this.socket.onclose = (e) => {
        resolve(e);
        this.#wake();
      };
    });
  }

  #wake(): void {
    for (const f of this.#changed.splice(0)) f();
  }

  /** Waits until `test` holds, or fails after `ms` with what was seen. */
  async until(what: string, test: () => boolean, ms = this.#timeout): Promise<void> {
    const deadline = Date.now() + ms;
    while (!test()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out waiting for ${what}; output: ${JSON.stringify(this.text.slice(-400))}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#changed.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** Waits until the recent output matches `pattern`. */
  waitText(pattern: RegExp, ms?: number): Promise<void> {
    return this.until(`output ${pattern}`, () => pattern.test(this.text), ms);
  }

  /** Waits until a control message passes `test`. */
  waitMessage(test: (m: ServerMessage) => boolean, ms?: number): Promise<void> {
    return this.until("a message", () => this.messages.some(test), ms);
  }

  /** Who holds the keyboard, as the last `keyboard` message said (undefined before one). */
  get holder(): string | null | undefined {
    const last = this.messages.findLast((m) => m.type === "keyboard");
    return last === undefined ? undefined : last.holder?.name ?? null;
  }

  /**
   * Who watches, as the messages so far said (the whole list on joining,
   * then the batched changes): names sorted.
   */
  get watching(): string[] {
    const by = new Map<number, string>();
    for (const m of this.messages) {
      if (m.type === "viewers") {
        by.clear();
        for (const v of m.viewers) by.set(v.id, v.name);
      } else if (m.type === "viewersChanged") {
        for (const v of m.joined) by.set(v.id, v.name);
        for (const id of m.left) by.delete(id);
      }
    }
    return [...by.values()].sort();
  }

  /** Sends a control message. */
  send(message: ClientMessage): void {
    sendMessage(this.socket, message);
  }

  /** Types `data` (an `input` message). */
  type(data: string): void {
    this.send({ type: "input", data });
  }

  /** Closes the socket and waits until it is closed. */
  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    await this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
