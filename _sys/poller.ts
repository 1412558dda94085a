// Copyright 2026 the xenpv authors. MIT license.
// Waiting for file descriptors without blocking the event loop: poll() runs as
// a nonblocking FFI call (on a helper thread) over the caller's fds plus an
// eventfd; writing the eventfd wakes it. Only poll() runs off the main thread;
// every read/write/ioctl happens synchronously on it.

import {
  acquireLibc,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  errno,
  lastError,
  type Libc,
  POLLIN,
  releaseLibc,
} from "./libc.ts";
import { EAGAIN, EINTR } from "./errno.ts";
import { SystemError } from "../errors.ts";

const ONE = new BigUint64Array([1n]);
const ONE_BYTES = new Uint8Array(ONE.buffer);
const TWO = 2n;

/**
 * Waits on a file descriptor. One wait at a time; `wake()` makes the current
 * wait return early (with `null`). Holds an eventfd and a libc reference
 * until `close()`. A wait allocates no buffer: the two pollfds (the caller's
 * fd and the eventfd) live in one array reused by every wait, which is safe
 * because only one wait runs at a time.
 */
export class Poller {
  #libc: Libc;
  #eventFd: number;
  #inFlight: Promise<unknown> | undefined;
  #closed = false;
  #scratch = new Uint8Array(8);
  #fds = new Uint8Array(16);
  #view = new DataView(this.#fds.buffer);

  constructor() {
    this.#libc = acquireLibc();
    const fd = this.#libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
      const err = lastError("eventfd");
      releaseLibc();
      throw err;
    }
    this.#eventFd = fd;
    this.#view.setInt32(8, fd, true);
    this.#view.setInt16(12, POLLIN, true);
  }

  /** Whether a wait is running now. */
  get busy(): boolean {
    return this.#inFlight !== undefined;
  }

  /**
   * Waits until `fd` is ready for `events` (POLLIN, POLLOUT) or `wake()` is
   * called. Resolves to the fd's `revents` (which may hold POLLERR, POLLHUP,
   * POLLNVAL), or `null` when woken.
   */
  async wait(fd: number, events: number): Promise<number | null> {
    if (this.#closed) throw new Error("Poller is closed");
    if (this.#inFlight !== undefined) {
      throw new Error("Poller.wait() is already running");
    }
    const view = this.#view;
    view.setInt32(0, fd, true);
    view.setInt16(4, events, true);
    view.setInt16(6, 0, true);
    view.setInt16(14, 0, true);
    const call = this.#libc.poll_wait(this.#fds, TWO, -1);
    this.#inFlight = call;
    let rc: number;
    try {
      rc = await call;
    } finally {
      this.#inFlight = undefined;
    }
    if (rc < 0) {
      // errno is not readable after a nonblocking call: ask again, now.
      rc = this.#libc.poll(this.#fds, TWO, 0);
      if (rc < 0) {
        const code = errno();
        if (code !== EINTR) throw new SystemError(code, "poll");
        return null;
      }
    }
    const revents = view.getInt16(6, true);
    if (view.getInt16(14, true) !== 0) {
      this.#drain();
      if (revents === 0) return null;
    }
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
