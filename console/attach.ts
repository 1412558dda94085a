// Copyright 2026 the xenpv authors. MIT license.
// Attaching to a found guest's console: read what xenstore says of it,
// choose the mode, open that transport (in auto mode the pty when the ring
// cannot be had).

import type { XenstoreClient, XenstoreWatch } from "../xenstore/client.ts";
import type { XenHost } from "./host.ts";
import { ConsoleBusyError } from "./errors.ts";
import type { Guest } from "./guests.ts";
import {
  chooseMode,
  type ConsoleKeys,
  consoleRequest,
  missingConsole,
  readConsoleKeys,
} from "./mode.ts";
import { type Attached, openPtyTransport, openRingTransport } from "./transports.ts";
import type { ConnectOptions } from "./types.ts";

/** How long to wait for the pty by default, in ms. */
export const TTY_TIMEOUT_MS = 5000;

/** Waits (with a watch) until `path` has a non-empty value, or the timeout. */
export async function waitForValue(
  xs: XenstoreClient,
  path: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let watch: XenstoreWatch | undefined;
  try {
    watch = await xs.watch(path, { signal: both });
    for await (const _ of watch) {
      const value = await xs.tryRead(path);
      if (value) return value;
    }
  } catch (err) {
    if (!timeout.aborted) throw err;
  } finally {
    await watch?.close();
  }
  signal?.throwIfAborted();
  return undefined;
}

/**
 * Opens the console `options` asks for on `guest`.
 *
 * @throws {ConsoleNotFoundError} the guest has no such console.
 * @throws {ConsoleBusyError} the lock is held, a backend holds the ring (ring
 * mode), or the pty never appeared.
 */
export async function openTransport(
  host: XenHost,
  xs: XenstoreClient,
  guest: Guest,
  options: ConnectOptions,
): Promise<Attached> {
  const request = consoleRequest(options);
  const keys = await readConsoleKeys(xs, guest.domid, request.kind, request.index);
  const mode = chooseMode(request, keys);
  if (mode === "missing") throw missingConsole(guest, keys, request.kind);
  if (mode === "ring") {
    const ring = openRingTransport(host, {
      domid: guest.domid,
      port: keys.port!,
      ringRef: keys.ringRef,
      mapMethod: options.mapMethod ?? "auto",
      auto: request.mode === "auto",
      ttyPublished: keys.tty !== undefined,
    });
    if (ring !== undefined) return ring;
  }
  const tty = await ptyOf(xs, guest, keys, options);
  return openPtyTransport(host, guest.domid, tty);
}

/** The console's pty: published already, or waited for (up to `ttyTimeout`). */
async function ptyOf(
  xs: XenstoreClient,
  guest: Guest,
  keys: ConsoleKeys,
  options: ConnectOptions,
): Promise<string> {
  const ttyTimeout = options.ttyTimeout ?? TTY_TIMEOUT_MS;
  const tty = keys.tty ?? await waitForValue(xs, `${keys.path}/tty`, ttyTimeout, options.signal);
  if (tty) return tty;
  throw new ConsoleBusyError(
    guest.domid,
    "no-tty",
    options.kind === "serial"
      ? `${keys.path}/tty did not appear within ${ttyTimeout} ms: is the guest's device ` +
        `model (QEMU) running?`
      : `${keys.path}/tty did not appear within ${ttyTimeout} ms: is xenconsoled running? ` +
        `(without it, use mode "ring")`,
  );
}
