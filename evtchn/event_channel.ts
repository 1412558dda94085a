// Copyright 2026 the xenpv authors. MIT license.

import { EventChannelClosedError } from "./errors.ts";
import { assertDomid } from "../_sys/domid.ts";
import { openDevice } from "../_sys/files.ts";
import { deviceHint } from "../_sys/hints.ts";
import type { FdStream } from "../_sys/fd_stream.ts";
import { EVTCHN_IOCTL, packU32 } from "./ioctl.ts";

/**
 * One end of an event channel: notify the peer, wait for the peer's
 * notifications. Notifications coalesce (several before a wait wake it once),
 * as Xen's pending bit does.
 */
export interface EventChannel extends AsyncDisposable {
  /** The local port number. */
  readonly localPort: number;
  /** Sends a notification to the peer. */
  notify(): void;
  /**
   * Resolves when a notification has arrived since the last wait (at once if
   * one is pending). Rejects with the signal's reason on abort, and with an
   * error once the channel is closed.
   */
  wait(signal?: AbortSignal): Promise<void>;
  /** Unbinds and releases the channel. */
  close(): Promise<void>;
}

const DEVICE = "/dev/xen/evtchn";

const hint = deviceHint(
  "no event channel device: not a Xen control domain, or xen-evtchn is not loaded " +
    "(modprobe xen-evtchn)",
);

const bindHint = deviceHint(
  "no event channel device: not a Xen control domain, or xen-evtchn is not loaded " +
    "(modprobe xen-evtchn)",
  {
    EINVAL: "the remote port is not free: another backend (xenconsoled?) is bound to it, " +
      "or the domain or port does not exist",
  },
);

/**
 * An interdomain event channel through `/dev/xen/evtchn` (dom0 side). Waiting
 * is a poll() on the device that never blocks the event loop; the device
 * reports a port once and masks it until we unmask it, which `wait()` does.
 *
 * @example In dom0
 * ```ts ignore
 * import { XenEventChannel } from "@xenpv/console/evtchn";
 *
 * await using ch = XenEventChannel.bindInterdomain(1, 2); // guest 1, its port 2
 * ch.notify();
 * await ch.wait(AbortSignal.timeout(5000));
 * ```
 */
export class XenEventChannel implements EventChannel {
  /** The local port the kernel allocated. */
  readonly localPort: number;
  /** The remote domain. */
  readonly remoteDomain: number;
  /** The remote port. */
  readonly remotePort: number;
  #dev: FdStream;
  /** The ioctl argument for NOTIFY, packed once. */
  #notifyArg: Uint8Array<ArrayBuffer>;
  /** Where the device's pending ports are read (64 ports a read). */
  #ports = new Uint8Array(256);
  #portsView = new DataView(this.#ports.buffer);
  #pending = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(dev: FdStream, localPort: number, remoteDomain: number, remotePort: number) {
    this.#dev = dev;
    this.localPort = localPort;
    this.remoteDomain = remoteDomain;
    this.remotePort = remotePort;
    this.#notifyArg = packU32(localPort);
  }

  /**
   * Binds to `remotePort` of `remoteDomain` (IOCTL_EVTCHN_BIND_INTERDOMAIN).
   *
   * @throws {SystemError} naming the device and the fix (no device, not root,
   * port already bound by xenconsoled).
   */
  static bindInterdomain(remoteDomain: number, remotePort: number): XenEventChannel {
    assertDomid(remoteDomain, "remote domain");
    if (!Number.isInteger(remotePort) || remotePort <= 0 || remotePort > 0xfffff) {
      throw new RangeError(`remote port must be a positive integer, got ${remotePort}`);
    }
    const dev = openDevice(DEVICE, hint);
    try {
      const port = dev.ioctl(
        EVTCHN_IOCTL.BIND_INTERDOMAIN,
        packU32(remoteDomain, remotePort),
        bindHint,
      );
      return new XenEventChannel(dev, port, remoteDomain, remotePort);
    } catch (err) {
      dev.closeSync();
      throw err;
    }
  }

  notify(): void {
    if (this.#closed) throw new EventChannelClosedError(this.localPort);
    this.#dev.ioctl(EVTCHN_IOCTL.NOTIFY, this.#notifyArg, hint);
  }

  async wait(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (this.#closed) throw new EventChannelClosedError(this.localPort);
      signal?.throwIfAborted();
      if (this.#pending) {
        this.#pending = false;
        return;
      }
      const n = await this.#dev.readInto(this.#ports, signal);
      if (n === null) throw new EventChannelClosedError(this.localPort);
      const whole = n & ~3;
      for (let at = 0; at < whole; at += 4) {
        if (this.#portsView.getUint32(at, true) === this.localPort) this.#pending = true;
      }
      // Unmask what the device reported so the next event can arrive.
      if (whole > 0) await this.#dev.write(this.#ports.subarray(0, whole));
    }
  }

  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    try {
      this.#dev.ioctl(EVTCHN_IOCTL.UNBIND, packU32(this.localPort));
    } catch {
      // closing the fd unbinds too
    }
    this.#closing = this.#dev.close();
    return this.#closing;
  }

  /** Same as {@linkcode XenEventChannel.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** One end of an in-process channel pair (see {@linkcode createEventChannelPair}). */
class SimulatedEventChannel implements EventChannel {
  readonly localPort: number;
  peer!: SimulatedEventChannel;
  #pending = false;
  #waiter: (() => void) | undefined;
  #closed = false;

  constructor(port: number) {
    this.localPort = port;
  }

  /** The peer notified us. */
  #signal(): void {
    if (this.#closed) return;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter !== undefined) waiter();
    else this.#pending = true;
  }

  notify(): void {
    if (this.#closed) throw new EventChannelClosedError(this.localPort);
    this.peer.#signal();
  }

  wait(signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new EventChannelClosedError(this.localPort));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    if (this.#waiter !== undefined) {
      return Promise.reject(new Error("only one wait() at a time per event channel"));
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiter = undefined;
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiter = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      this.#closeWaiter = (err) => {
        signal?.removeEventListener("abort", onAbort);
        reject(err);
      };
    });
  }

  #closeWaiter: ((err: Error) => void) | undefined;

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    if (this.#waiter !== undefined) {
      this.#waiter = undefined;
      this.#closeWaiter?.(new EventChannelClosedError(this.localPort));
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

let nextSimulatedPort = 1;

/**
 * Two connected in-process event channels: what one notifies, the other's
 * `wait()` sees. The simulated host uses them between a guest program and
 * our backend.
 *
 * @example
 * ```ts
 * import { createEventChannelPair } from "@xenpv/console/evtchn";
 *
 * const [guest, dom0] = createEventChannelPair();
 * guest.notify();
 * await dom0.wait(); // resolves at once: a notification is pending
 * await guest.close();
 * await dom0.close();
 * ```
 */
export function createEventChannelPair(): [EventChannel, EventChannel] {
  const a = new SimulatedEventChannel(nextSimulatedPort++);
  const b = new SimulatedEventChannel(nextSimulatedPort++);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
