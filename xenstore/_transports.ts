// Copyright 2026 the xenpv authors. MIT license.
// Finding and opening xenstored: a unix socket or the xenbus device, in the
// order libxenstore uses.

import { getenv } from "../_sys/libc.ts";
import { SystemError } from "../errors.ts";
import { connectUnix, UnixListener } from "../_sys/unix_socket.ts";
import { openDevice } from "../_sys/files.ts";
import { deviceHint } from "../_sys/hints.ts";
import type { XenstoreTransport } from "./transport.ts";
import { XenbusTransport } from "./_xenbus_transport.ts";
import { DenoSocketListener, denoSocketsAllowed, DenoSocketTransport } from "./_deno_socket.ts";

/**
 * How a unix socket to xenstored is reached: through libc (only `--allow-ffi`
 * needed), through Deno's own sockets (faster waits; needs `--allow-read`,
 * `--allow-write` and `--allow-net` for the path), or `"auto"`: Deno's when granted.
 */
export type SocketTransport = "auto" | "libc" | "deno";

function useDeno(path: string, how: SocketTransport): boolean {
  if (how !== "auto" && how !== "libc" && how !== "deno") {
    throw new TypeError(`transport must be "auto", "libc" or "deno", got ${String(how)}`);
  }
  return how === "deno" || (how === "auto" && denoSocketsAllowed(path));
}

/** Connects to a xenstore socket the way chosen. */
export function connectSocket(
  path: string,
  how: SocketTransport = "auto",
): Promise<XenstoreTransport> {
  return useDeno(path, how) ? DenoSocketTransport.connect(path) : connectUnix(path);
}

/** A listening xenstore socket, as `XenstoreServer.listen` serves it. */
export interface SocketListener {
  accept(): Promise<XenstoreTransport | null>;
  close(): Promise<void>;
}

/** Sockets this process listens on now (see {@linkcode servingHere}). */
let listening = 0;

/** Listens on a xenstore socket the way chosen. */
export function listenSocket(path: string, how: SocketTransport = "auto"): SocketListener {
  const inner = useDeno(path, how) ? new DenoSocketListener(path) : UnixListener.listen(path);
  listening++;
  let closed = false;
  return {
    accept: () => inner.accept(),
    close: () => {
      if (!closed) {
        closed = true;
        listening--;
      }
      return inner.close();
    },
  };
}

/**
 * Whether this process serves xenstore on a socket now. A client must not
 * block its event loop waiting for a reply then: the server that would
 * answer may be this very event loop.
 */
export function servingHere(): boolean {
  return listening > 0;
}

/** Where xenstored listens by default. */
export const DEFAULT_SOCKET = "/var/run/xenstored/socket";
/** The kernel's xenstore device in a Xen domain. */
export const XENBUS_DEVICE = "/dev/xen/xenbus";

const xenbusHint = deviceHint(
  "no xenstore here: not a Xen domain, or the xenfs/xen-xenbus driver is not loaded " +
    "(for a simulated host use --simulate)",
);

/** Opens a path as libxenstore would: `/dev/...` as a device, else a socket. */
export function openPath(
  path: string,
  how: SocketTransport = "auto",
): Promise<XenstoreTransport> | XenstoreTransport {
  return path.startsWith("/dev/")
    ? new XenbusTransport(openDevice(path, xenbusHint))
    : connectSocket(path, how);
}

/**
 * `path`, else `$XENSTORED_PATH`, else the default socket, else the xenbus
 * device. An explicit path is the only one tried.
 */
export async function openXenstoreTransport(
  path?: string,
  how: SocketTransport = "auto",
): Promise<XenstoreTransport> {
  const explicit = path ?? getenv("XENSTORED_PATH");
  if (explicit !== undefined && explicit !== "") return await openPath(explicit, how);
  try {
    return await connectSocket(DEFAULT_SOCKET, how);
  } catch (err) {
    if (!(err instanceof SystemError)) throw err;
    try {
      return new XenbusTransport(openDevice(XENBUS_DEVICE, xenbusHint));
    } catch (deviceErr) {
      if (deviceErr instanceof SystemError && deviceErr.code === "ENOENT") {
        throw new SystemError(err.errno, "connect", {
          path: DEFAULT_SOCKET,
          hint: `and ${XENBUS_DEVICE} does not exist: this is not a Xen control domain ` +
            "(run in dom0 as root; for a simulated host use --simulate)",
        }, { cause: deviceErr });
      }
      throw deviceErr;
    }
  }
}
