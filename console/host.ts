// Copyright 2026 the xenpv authors. MIT license.
// The one seam between a real Xen host and the simulated one: everything
// connect() needs from the machine.

import { XenstoreClient } from "../xenstore/client.ts";
import { mapConsolePage, type MapConsolePageOptions } from "../ring/mapping.ts";
import { type EventChannel, XenEventChannel } from "../evtchn/event_channel.ts";
import { openPty } from "../_sys/pty.ts";
import { FileLock } from "../_sys/flock.ts";

/** A guest's console page as mapped by a host. */
export interface ConsolePage {
  /** The page. */
  readonly buffer: ArrayBuffer;
  /** How it was mapped ("gntdev", "privcmd", "simulated"). */
  readonly method: string;
  /** Unmaps it. */
  close(): void;
}

/** A byte stream such as a pty. */
export interface ByteStream {
  /** The next bytes; `null` at end of stream. */
  read(signal?: AbortSignal): Promise<Uint8Array | null>;
  /**
   * Optional: the next bytes copied into `target` (non-empty); the count, or
   * `null` at end of stream. Lets BYOB readers of a console read without
   * allocating; without it, `read()` is used and copied.
   */
  readInto?(target: Uint8Array<ArrayBuffer>, signal?: AbortSignal): Promise<number | null>;
  /** Writes all of `data`. */
  write(data: Uint8Array): Promise<void>;
  /** Closes the stream; a pending read resolves `null`. */
  close(): Promise<void>;
}

/** A held lock. */
export interface HostLock {
  /** Drops the lock. */
  release(): void;
}

/**
 * What `connect()` needs from a machine: xenstore, page mapping, event
 * channels, ptys, and the console lock. {@linkcode xenHost} is the real one;
 * `SimulatedHost` (from `@xenpv/console/sim`) is the simulated one.
 */
export interface XenHost {
  /** A privileged xenstore connection. */
  openXenstore(): Promise<XenstoreClient>;
  /** Maps a guest's console page. */
  mapConsolePage(domid: number, options: MapConsolePageOptions): ConsolePage;
  /** Binds an interdomain event channel to a guest's port. */
  bindEventChannel(domid: number, remotePort: number): EventChannel;
  /**
   * Opens a pty path raw, if it is a pty slave (/dev/pts/N) owned by root
   * (as xenconsoled's and QEMU's are) and not our own terminal (stdin,
   * stdout, stderr or controlling tty). Any other root-owned pty passes.
   */
  openPty(path: string): ByteStream;
  /** Takes the console lock `xl console` takes. */
  lockConsole(domid: number): HostLock;
}

/** Where Debian's xenconsole takes its lock (XEN_LOCK_DIR). */
export const XEN_LOCK_DIR = "/var/lock";

/**
 * The real host: xenstored through its socket or /dev/xen/xenbus, pages
 * through gntdev/privcmd, /dev/xen/evtchn, ptys and the console lock in
 * /var/lock, all through libc.
 */
export const xenHost: XenHost = {
  openXenstore: () => XenstoreClient.connect(),
  mapConsolePage: (domid, options) => mapConsolePage(domid, options),
  bindEventChannel: (domid, port) => XenEventChannel.bindInterdomain(domid, port),
  openPty: (path) => openPty(path),
  lockConsole: (domid) =>
    FileLock.acquire(`${XEN_LOCK_DIR}/xenconsole.${domid}`, "a console client"),
};
