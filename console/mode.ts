// Copyright 2026 the xenpv authors. MIT license.
// What xenstore says of one console, and the mode chosen from it: pure
// functions of the keys where they can be, so the choice is tested alone.

import type { XenstoreClient } from "../xenstore/client.ts";
import { ConsoleNotFoundError } from "./errors.ts";
import { type Guest, guestInMessage } from "./guests.ts";
import type { AttachMode, ConsoleKind, ConsoleMode } from "./types.ts";

/** What is asked for: the console and the mode, checked. */
export interface ConsoleRequest {
  /** Which console. */
  kind: ConsoleKind;
  /** Its number: 0 the primary, N > 0 the secondary `device/console/N`. */
  index: number;
  /** How to reach it. */
  mode: ConsoleMode;
}

/**
 * The request in `options`, with the defaults (`pv`, 0, `auto`).
 *
 * @throws {TypeError} an unknown kind or mode, or a serial console in ring mode.
 * @throws {RangeError} an index that is not a non-negative integer.
 */
export function consoleRequest(
  options: { kind?: ConsoleKind; index?: number; mode?: ConsoleMode },
): ConsoleRequest {
  const kind = options.kind ?? "pv";
  if (kind !== "pv" && kind !== "serial") {
    throw new TypeError(`kind must be pv or serial, got ${kind}`);
  }
  const mode = options.mode ?? "auto";
  if (mode !== "auto" && mode !== "pty" && mode !== "ring") {
    throw new TypeError(`mode must be auto, pty or ring, got ${mode}`);
  }
  const index = options.index ?? 0;
  if (!Number.isInteger(index) || index < 0) {
    throw new RangeError(`console index must be a non-negative integer, got ${index}`);
  }
  if (kind === "serial" && mode === "ring") {
    throw new TypeError("serial consoles are emulated by QEMU: they have a pty, not a ring");
  }
  return { kind, index, mode };
}

/** The console's xenstore directory. */
export function consolePath(domid: number, kind: ConsoleKind, index: number): string {
  if (kind === "serial") return `/local/domain/${domid}/serial/${index}`;
  return index === 0
    ? `/local/domain/${domid}/console`
    : `/local/domain/${domid}/device/console/${index}`;
}

/** What xenstore says of one console, read in one go. */
export interface ConsoleKeys {
  /** Its xenstore directory. */
  path: string;
  /** Whether that directory exists. */
  exists: boolean;
  /** The pty its backend (xenconsoled, or QEMU for a serial port) published. */
  tty: string | undefined;
  /**
   * The page's guest frame number (PV, PVH and HVM alike; for HVM and PVH the
   * special console frame): privcmd maps it; gntdev maps grant 0 instead,
   * which libxl seeds for the console page.
   */
  ringRef: bigint | undefined;
  /** The guest's event channel port, if it is a number. */
  port: number | undefined;
}

/** Reads {@linkcode ConsoleKeys} for the console (pipelined: about one round trip). */
export async function readConsoleKeys(
  xs: XenstoreClient,
  domid: number,
  kind: ConsoleKind,
  index: number,
): Promise<ConsoleKeys> {
  const path = consolePath(domid, kind, index);
  const [exists, tty, ringRef, port] = await Promise.all([
    xs.exists(path),
    xs.tryRead(`${path}/tty`),
    kind === "pv" ? xs.tryRead(`${path}/ring-ref`) : undefined,
    kind === "pv" ? xs.tryRead(`${path}/port`) : undefined,
  ]);
  return parseConsoleKeys(path, exists, tty, ringRef, port);
}

/** The keys' values as read: only numbers are taken for numbers, an empty tty is none. */
export function parseConsoleKeys(
  path: string,
  exists: boolean,
  tty: string | undefined,
  ringRef: string | undefined,
  port: string | undefined,
): ConsoleKeys {
  const number = (text: string | undefined) =>
    text !== undefined && /^[0-9]{1,20}$/.test(text) ? text : undefined;
  return {
    path,
    exists,
    tty: tty || undefined,
    ringRef: number(ringRef) === undefined ? undefined : BigInt(ringRef!),
    port: number(port) === undefined ? undefined : Number(port),
  };
}

/**
 * The mode to try from what is asked and what xenstore says: `pty`, `ring`
 * (in `auto` mode the pty is still taken if the ring cannot be had), or
 * `missing` (no such console: {@linkcode missingConsole} says why).
 */
export function chooseMode(
  request: Pick<ConsoleRequest, "kind" | "mode">,
  keys: Pick<ConsoleKeys, "exists" | "tty" | "port">,
): AttachMode | "missing" {
  if (!keys.exists) return "missing";
  if (request.kind === "serial" || request.mode === "pty") return "pty";
  if (keys.port !== undefined) return "ring";
  return request.mode === "auto" && keys.tty ? "pty" : "missing";
}

/**
 * The key a new domain's console must have before attaching to it (after a
 * reboot, xenstored announces the domain before the toolstack writes its
 * console keys): the pty for pty mode, the port otherwise.
 */
export function keyToAwait(request: Pick<ConsoleRequest, "kind" | "mode">): "tty" | "port" {
  return request.kind === "serial" || request.mode === "pty" ? "tty" : "port";
}

/** The error for a console xenstore does not describe, with what the guest's kind explains. */
export function missingConsole(
  guest: Guest,
  keys: Pick<ConsoleKeys, "path">,
  kind: ConsoleKind,
): ConsoleNotFoundError {
  const who = guestInMessage(guest);
  if (kind === "serial") {
    const why = guest.type === "hvm"
      ? `its config has no serial = "pty" (QEMU publishes the pty at ${keys.path}/tty)`
      : guest.type !== undefined
      ? `only HVM guests have an emulated serial port`
      : `PV and PVH guests have none; an HVM guest has one when its config says serial = "pty"`;
    return new ConsoleNotFoundError(
      guest.domid,
      "no-serial",
      `${who} has no serial console (${keys.path}): ${why}. Attach its PV console instead ` +
        `(kind "pv", xl console -t pv)`,
    );
  }
  const secondary = keys.path.includes("/device/console/");
  const why = secondary
    ? `it has no secondary console there (its config's channel/console list)`
    : guest.type === "hvm"
    ? `the toolstack set up no PV console for it; try its emulated serial port (kind "serial")`
    : `its toolstack published no console for it`;
  return new ConsoleNotFoundError(
    guest.domid,
    secondary ? "no-secondary" : "no-console",
    `${who} has no PV console at ${keys.path} (no valid ${keys.path}/port): ${why}`,
  );
}
