// Copyright 2026 the xenpv authors. MIT license.
// Finding and opening xenstored: a unix socket or the xenbus device, in the
// order libxenstore uses.

import { getenv } from "../_sys/libc.ts";
import { SystemError } from "../_sys/errno.ts";
import { connectUnix, openDevice } from "../_sys/unix_socket.ts";
import { deviceHint } from "../_sys/hints.ts";
import type { XenstoreTransport } from "./transport.ts";
import { XenbusTransport } from "./_xenbus_transport.ts";

/** Where xenstored listens by default. */
export const DEFAULT_SOCKET = "/var/run/xenstored/socket";
/** The kernel's xenstore device in a Xen domain. */
export const XENBUS_DEVICE = "/dev/xen/xenbus";

const xenbusHint = deviceHint(
  "no xenstore here: not a Xen domain, or the xenfs/xen-xenbus driver is not loaded " +
    "(for a simulated host use --simulate)",
);

/** Opens a path as libxenstore would: `/dev/...` as a device, else a socket. */
export function openPath(path: string): Promise<XenstoreTransport> | XenstoreTransport {
  return path.startsWith("/dev/")
    ? new XenbusTransport(openDevice(path, xenbusHint))
    : connectUnix(path);
}

/**
 * `path`, else `$XENSTORED_PATH`, else the default socket, else the xenbus
 * device. An explicit path is the only one tried.
 */
export async function openXenstoreTransport(path?: string): Promise<XenstoreTransport> {
  const explicit = path ?? getenv("XENSTORED_PATH");
  if (explicit !== undefined && explicit !== "") return await openPath(explicit);
  try {
    return await connectUnix(DEFAULT_SOCKET);
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
