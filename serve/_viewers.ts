// Copyright 2026 the xenpv authors. MIT license.
// The server's viewers: each WebSocket accepted at /ws/<domid>, its frames
// read as protocol.ts says and handed to its guest's console.

import type { Identity } from "./_auth.ts";
import { offersSubprotocol, SUBPROTOCOL } from "./_identity.ts";
import type { ServedGuest } from "./_served_guest.ts";
import { Viewer } from "./_viewer.ts";
import { CLOSE_PROTOCOL, parseClientMessage } from "./protocol.ts";

/** A viewer's socket is closed when it answers no ping for this long (s). */
const IDLE_TIMEOUT_S = 30;

/** A name a viewer gives itself, fit to show: letters, digits, ` _.@-`, at most 32. */
export function viewerName(text: string | null): string {
  const name = (text ?? "").replace(/[^\p{L}\p{N} _.@-]/gu, "").trim().slice(0, 32);
  return name === "" ? "viewer" : name;
}

/** Every viewer of a server: WebSockets accepted, numbered, and closed with it. */
export class Viewers {
  #open = new Set<Viewer>();
  #next = 0;
  #maxBuffered: number;

  constructor(maxBuffered: number) {
    this.#maxBuffered = maxBuffered;
  }

  /**
   * Upgrades `request` to a WebSocket watching `guest`: it joins once open,
   * leaves when closed, and its messages (see `protocol.ts`) reach the guest.
   * `identity`: who the gate admitted.
   */
  accept(request: Request, address: string, guest: ServedGuest, identity: Identity): Response {
    // The page offers its subprotocol (with the token beside it): the answer names it.
    const protocol = offersSubprotocol(request.headers.get("sec-websocket-protocol"))
      ? SUBPROTOCOL
      : undefined;
    const { socket, response } = Deno.upgradeWebSocket(request, {
      idleTimeout: IDLE_TIMEOUT_S,
      protocol,
    });
    const name = viewerName(new URL(request.url).searchParams.get("name"));
    const viewer = new Viewer(
      socket,
      { id: ++this.#next, user: identity.user, role: identity.role, name, address },
      this.#maxBuffered,
      (v, reason) => guest.dropped(v, reason),
    );
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      this.#open.add(viewer);
      guest.join(viewer);
    };
    socket.onclose = () => {
      this.#open.delete(viewer);
      guest.leave(viewer);
    };
    socket.onerror = () => {};
    socket.onmessage = (event) => {
      const parsed = parseClientMessage(event.data);
      if (parsed.kind === "drop") return viewer.drop(parsed.reason, CLOSE_PROTOCOL);
      if (parsed.kind === "notice") return viewer.send({ type: "notice", message: parsed.reason });
      const message = parsed.message;
      switch (message.type) {
        case "take":
          return guest.take(viewer);
        case "release":
          return guest.release(viewer);
        case "input":
          return guest.input(viewer, message.data);
        case "resize":
          return guest.resize(viewer, message.cols, message.rows);
      }
    };
    return response;
  }

  /** Closes every viewer's socket (the server is closing). */
  closeAll(reason: string, code: number): void {
    for (const viewer of this.#open) viewer.drop(reason, code);
  }
}
