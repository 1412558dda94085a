// Copyright 2026 the xenpv authors. MIT license.
// Waiting for file descriptors without blocking the event loop: poll() runs as
// a nonblocking FFI call (on a helper thread) over the caller's fds plus an
// eventfd; writing the eventfd wakes it. Only poll() runs off the main thread;
// every read/write/ioctl happens synchronously on it.

import {
  acquireLibc,
  EAGAIN,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EINTR,
  errno,
  lastError,
  type Libc,
  POLLIN,
  releaseLibc,
} from "./libc.ts";
import { SystemError } from "./errno.ts";

/** One descriptor to wait on and the events of interest (POLLIN, POLLOUT). */
export interface PollEntry {
  fd: number;
  events: number;
}

const ONE = new BigUint64Array([1n]);
const ONE_BYTES = new Uint8Array(ONE.buffer);

/**
 * Waits on sets of file descriptors. One wait at a time; `wake()` makes the
 * current wait return early (with `null`). Holds an eventfd and a libc
 * reference until `close()`.
 */
export class Poller {
  #libc: Libc;
  #eventFd: number;
  #inFlight: Promise<unknown> | undefined;
  #closed = false;
  #scratch = new Uint8Array(8);

  constructor() {
    this.#libc = acquireLibc();
    const fd = this.#libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
      const err = lastError("eventfd");
      releaseLibc();
      throw err;
    }
    this.#eventFd = fd;
  }

  /** Whether a wait is running now. */
  get busy(): boolean {
    return this.#inFlight !== undefined;
  }

  /**
   * Waits until one of `entries` is ready or `wake()` is called. Resolves to
   * the `revents` of each entry, or `null` when woken.
   */
  async wait(entries: readonly PollEntry[]): Promise<number[] | null> {
    if (this.#closed) throw new Error("Poller is closed");
    if (this.#inFlight !== undefined) {
      throw new Error("Poller.wait() is already running");
    }
    const n = entries.length + 1;
    const fds = new Uint8Array(n * 8);
    const view = new DataView(fds.buffer);
    entries.forEach((entry, i) => {
      view.setInt32(i * 8, entry.fd, true);
      view.setInt16(i * 8 + 4, entry.events, true);
    });
    view.setInt32(entries.length * 8, this.#eventFd, true);
    view.setInt16(entries.length * 8 + 4, POLLIN, true);

    const call = this.#libc.poll_wait(fds, BigInt(n), -1);
    this.#inFlight = call;
    let rc: number;
    try {
      rc = await call;
    } finally {
      this.#inFlight = undefined;
    }
    if (rc < 0) {
      // errno is not readable after a nonblocking call: ask again, now.
      rc = this.#libc.poll(fds, BigInt(n), 0);
      if (rc < 0) {
        const code = errno();
        if (code !== EINTR) throw new SystemError(code, "poll");
        return null;
      }
    }
    const revents = entries.map((_, i) => view.getInt16(i * 8 + 6, true));
    const woken = view.getInt16(entries.length * 8 + 6, true) !== 0;
    if (woken) this.#drain();
    if (woken && revents.every((r) => r === 0)) return null;
    return revents;
  }

  /** Makes the current (or next) wait return `null`. */
  wake(): void {
    if (this.#closed) return;
    const rc = this.#libc.write(this.#eventFd, ONE_BYTES, 8n);
    if (rc < 0 && errno() !== EAGAIN) throw lastError("write", { path: "eventfd" });
  }

  #drain(): void {
    this.#libc.read(this.#eventFd, this.#scratch, 8n);
  }

  /** Wakes any wait, lets it finish, then releases the eventfd and libc. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.wake();
    this.#closed = true;
    if (this.#inFlight !== undefined) {
      try {
        await this.#inFlight;
      } catch {
        // the wait reports its own failure
      }
    }
    this.#libc.close(this.#eventFd);
    this.#eventFd = -1;
    releaseLibc();
  }
}
