// Copyright 2026 the xenpv authors. MIT license.
// The two ways bytes reach a console: xenconsoled's (or QEMU's) pty, or the
// ring's page and event channel with us as its backend. Each holds the
// console lock `xl console` takes, for as long as it is open.

import { ConsoleRing } from "../ring/console_ring.ts";
import { RingEndpoint } from "../ring/endpoint.ts";
import type { MapMethod } from "../ring/mapping.ts";
import type { EventChannel } from "../evtchn/event_channel.ts";
import { SystemError } from "../errors.ts";
import type { ByteStream, ConsolePage, HostLock, XenHost } from "./host.ts";
import { ConsoleBusyError } from "./errors.ts";
import type { AttachMode } from "./types.ts";

/** An open console: the guest's output read into a buffer, input written. */
export interface Transport {
  /** Copies the next bytes into `target`: the count, or `null` at end of stream. */
  readInto(target: Uint8Array<ArrayBuffer>, signal: AbortSignal): Promise<number | null>;
  /** Writes all of `data`, waiting for room in the guest's input. */
  write(data: Uint8Array, signal: AbortSignal): Promise<void>;
  /** Closes it and drops the console lock. */
  close(): Promise<void>;
}

/** An attached transport and how it was reached. */
export interface Attached {
  /** The open console. */
  transport: Transport;
  /** How it was reached. */
  mode: AttachMode;
  /** The pty, in pty mode. */
  tty: string | undefined;
  /** How the page was mapped, in ring mode. */
  mapMethod: string | undefined;
}

/** A console through a pty (xenconsoled's, or QEMU's for a serial port). */
export class PtyTransport implements Transport {
  /** What a `read()` gave beyond the caller's buffer (streams without readInto). */
  #rest: Uint8Array | undefined;
  /** Takes over `stream` and `lock`. */
  constructor(readonly stream: ByteStream, readonly lock: HostLock) {}
  /** Copies the next bytes into `target`: the count, or `null` at end of stream. */
  async readInto(target: Uint8Array<ArrayBuffer>, signal: AbortSignal): Promise<number | null> {
    if (this.#rest === undefined && this.stream.readInto !== undefined) {
      return await this.stream.readInto(target, signal);
    }
    const chunk = this.#rest ?? await this.stream.read(signal);
    this.#rest = undefined;
    if (chunk === null) return null;
    const n = Math.min(chunk.length, target.length);
    target.set(chunk.subarray(0, n));
    if (n < chunk.length) this.#rest = chunk.subarray(n);
    return n;
  }
  /** Writes all of `data` to the pty. */
  write(data: Uint8Array): Promise<void> {
    return this.stream.write(data);
  }
  /** Closes the pty, then drops the lock. */
  async close(): Promise<void> {
    await this.stream.close();
    this.lock.release();
  }
}

/** A console through its ring: we are the backend (the page mapped, the event channel bound). */
export class RingTransport implements Transport {
  #endpoint: RingEndpoint;
  /** Takes over `page`, `channel` and `lock`. */
  constructor(
    readonly page: ConsolePage,
    ring: ConsoleRing,
    readonly channel: EventChannel,
    readonly lock: HostLock,
  ) {
    this.#endpoint = new RingEndpoint(ring, channel);
  }

  /** Copies the next bytes the guest wrote into `target`. */
  readInto(target: Uint8Array<ArrayBuffer>, signal: AbortSignal): Promise<number | null> {
    return this.#endpoint.readInto(target, signal);
  }

  /** Writes all of `data` into the guest's input ring, waiting for room. */
  write(data: Uint8Array, signal: AbortSignal): Promise<void> {
    return this.#endpoint.write(data, signal);
  }

  /** Unbinds the channel, unmaps the page, drops the lock. */
  async close(): Promise<void> {
    try {
      await this.channel.close();
    } finally {
      this.page.close();
      this.lock.release();
    }
  }
}

/** The console lock, or a {@linkcode ConsoleBusyError} when another client holds it. */
function lockOrBusy(host: XenHost, domid: number): HostLock {
  try {
    return host.lockConsole(domid);
  } catch (err) {
    if (err instanceof SystemError && err.code === "EAGAIN") {
      throw new ConsoleBusyError(
        domid,
        "locked",
        `another console client (xl console, or another xenpv) is attached to domain ${domid}` +
          ` (lock ${err.path})`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** Opens the console's pty `tty` under the console lock. */
export function openPtyTransport(host: XenHost, domid: number, tty: string): Attached {
  const lock = lockOrBusy(host, domid);
  try {
    return {
      transport: new PtyTransport(host.openPty(tty), lock),
      mode: "pty",
      tty,
      mapMethod: undefined,
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** Where the ring is and how to reach it, for {@linkcode openRingTransport}. */
export interface RingPlace {
  /** The guest. */
  domid: number;
  /** The guest's event channel port. */
  port: number;
  /** The page's guest frame, for privcmd. */
  ringRef: bigint | undefined;
  /** How to map the page. */
  mapMethod: "auto" | MapMethod;
  /**
   * `auto` mode: the pty may be taken instead. A port a backend holds then
   * gives `undefined` rather than an error; so does a page that cannot be
   * mapped, when the pty is already published.
   */
  auto: boolean;
  /** Whether the console's pty is published. */
  ttyPublished: boolean;
}

/**
 * Becomes the ring's backend: maps the page and binds the event channel.
 * Returns `undefined` where `auto` should take the pty instead (the page
 * cannot be mapped here, or a backend such as xenconsoled holds the port).
 */
export function openRingTransport(host: XenHost, place: RingPlace): Attached | undefined {
  const lock = lockOrBusy(host, place.domid);
  let page: ConsolePage | undefined;
  let attached: Attached | undefined;
  try {
    page = mapPage(host, place);
    if (page === undefined) return undefined;
    const ring = new ConsoleRing(page.buffer, { role: "backend" });
    const channel = bindChannel(host, place);
    if (channel === undefined) return undefined;
    ring.connected = true;
    channel.notify(); // tell the guest a backend is here (it may have output waiting)
    attached = {
      transport: new RingTransport(page, ring, channel, lock),
      mode: "ring",
      tty: undefined,
      mapMethod: page.method,
    };
    return attached;
  } finally {
    if (attached === undefined) {
      try {
        page?.close();
      } catch { /* already closed */ }
      lock.release();
    }
  }
}

function mapPage(host: XenHost, place: RingPlace): ConsolePage | undefined {
  try {
    return host.mapConsolePage(place.domid, { method: place.mapMethod, ringRef: place.ringRef });
  } catch (err) {
    // no gntdev/privcmd here (or not allowed): xenconsoled's pty still is
    if (place.auto && place.ttyPublished && err instanceof SystemError) return undefined;
    throw err;
  }
}

function bindChannel(host: XenHost, place: RingPlace): EventChannel | undefined {
  try {
    return host.bindEventChannel(place.domid, place.port);
  } catch (err) {
    if (!(err instanceof SystemError && err.code === "EINVAL")) throw err;
    if (place.auto) return undefined; // a backend (xenconsoled) holds the port: use its pty
    throw new ConsoleBusyError(
      place.domid,
      "backend",
      `xenconsoled (or another backend) serves this console: its event channel has one ` +
        `peer and it is bound. Attach in pty mode, or stop xenconsoled first`,
      { cause: err },
    );
  }
}
