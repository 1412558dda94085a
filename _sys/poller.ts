// Copyright 2026 the xenpv authors. MIT license.
// Waiting for file descriptors without blocking the event loop: poll() runs
// as a nonblocking FFI call (on one of Deno's helper threads) over the fd and
// an eventfd; writing the eventfd wakes it. Only poll() runs off the main
// thread; every read/write/ioctl happens synchronously on it.
//
// Deno runs nonblocking FFI calls on a pool of at most 32 threads: with a
// poll() per wait, a process stalled at about 30 attached consoles (idle
// consoles' polls held every thread, a ready console's wait never started).
// So the first SOLO_MAX waits at a time run a poll() of their own (quickest:
// nobody else's poll() is interrupted), and waits past that share one poll()
// for the whole process over all their fds, interrupted through its eventfd
// to take a new wait or drop one.

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
/** struct pollfd: int fd; short events; short revents. */
const POLLFD = 8;

/** One wait: what it waits for, and how it ends. */
interface Wait {
  /** The Poller that waits. */
  owner: Poller;
  fd: number;
  events: number;
  /** The fd's revents, or `null` when woken. */
  settle: (revents: number | null) => void;
  fail: (err: unknown) => void;
}

/**
 * The process's one poll() loop. Holds an eventfd and a libc reference while
 * any Poller is open; runs a poll() call only while some wait is registered.
 */
class Reactor {
  #libc: Libc | undefined;
  #eventFd = -1;
  #pollers = 0;
  #waits = new Set<Wait>();
  /** The loop, while it runs. */
  #loop: Promise<void> | undefined;
  /** The poll() call running now, and the waits it was given. */
  #call: Promise<unknown> | undefined;
  #calling: Wait[] = [];
  /** The last Poller's close() waits on it until the loop has ended and the eventfd is closed. */
  #idle: PromiseWithResolvers<void> | undefined;
  #scratch = new Uint8Array(8);

  acquire(): void {
    if (this.#libc === undefined) {
      const libc = acquireLibc();
      const fd = libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      if (fd < 0) {
        const err = lastError("eventfd");
        releaseLibc();
        throw err;
      }
      [this.#libc, this.#eventFd] = [libc, fd];
    }
    this.#pollers++;
    this.#idle?.resolve(); // a last close() waiting: the eventfd stays, for this Poller
    this.#idle = undefined;
  }

  /** One Poller less; the last one releases the eventfd once no poll() call uses it. */
  async release(): Promise<void> {
    if (--this.#pollers > 0) return;
    if (this.#loop === undefined) return this.#closeEventFd();
    this.#idle ??= Promise.withResolvers();
    await this.#idle.promise;
  }

  /**
   * Resolves once no running poll() call holds an fd `owner` waited on (the
   * kernel keeps a file open while a poll() holds it: a pty closed under one
   * would not hang up until it returned). A wait woken or taken out is still
   * in the call until it returns, which it does at once: it was interrupted.
   */
  async returned(owner: Poller): Promise<void> {
    while (this.#call !== undefined && this.#calling.some((wait) => wait.owner === owner)) {
      await this.#call.catch(() => {});
    }
  }

  #closeEventFd(): void {
    if (this.#libc !== undefined) {
      this.#libc.close(this.#eventFd);
      [this.#libc, this.#eventFd] = [undefined, -1];
      releaseLibc();
    }
    this.#idle?.resolve();
    this.#idle = undefined;
  }

  add(wait: Wait): void {
    this.#waits.add(wait);
    if (this.#call !== undefined) this.#interrupt();
    this.#loop ??= this.#run();
  }

  remove(wait: Wait): void {
    if (this.#waits.delete(wait) && this.#call !== undefined) this.#interrupt();
  }

  /** Makes the running poll() return, to poll again over the waits as they are now. */
  #interrupt(): void {
    const rc = this.#libc!.write(this.#eventFd, ONE_BYTES, 8n);
    if (rc < 0 && errno() !== EAGAIN) throw lastError("write", { path: "eventfd" });
  }

  async #run(): Promise<void> {
    await Promise.resolve(); // let the waits of this tick join the first call
    try {
      while (this.#waits.size > 0) await this.#pollOnce([...this.#waits]);
    } finally {
      this.#loop = undefined;
      if (this.#pollers === 0) this.#closeEventFd();
    }
  }

  /** One poll() over the eventfd and `waits`; settles those whose fd is ready. */
  async #pollOnce(waits: Wait[]): Promise<void> {
    const libc = this.#libc!;
    const count = waits.length + 1;
    // a buffer of its own per call: the helper thread reads it while we run
    const fds = new Uint8Array(POLLFD * count);
    const view = new DataView(fds.buffer);
    view.setInt32(0, this.#eventFd, true);
    view.setInt16(4, POLLIN, true);
    waits.forEach((wait, i) => {
      view.setInt32(POLLFD * (i + 1), wait.fd, true);
      view.setInt16(POLLFD * (i + 1) + 4, wait.events, true);
    });
    const call = libc.poll_wait(fds, BigInt(count), -1);
    [this.#call, this.#calling] = [call, waits];
    let rc: number;
    try {
      rc = await call;
    } finally {
      [this.#call, this.#calling] = [undefined, []];
    }
    if (rc < 0) {
      // errno is not readable after a nonblocking call: ask again, now.
      rc = libc.poll(fds, BigInt(count), 0);
      if (rc < 0) {
        const code = errno();
        if (code === EINTR) return;
        const err = new SystemError(code, "poll");
        for (const wait of waits) if (this.#waits.delete(wait)) wait.fail(err);
        return;
      }
    }
    if (view.getInt16(6, true) !== 0) libc.read(this.#eventFd, this.#scratch, 8n);
    waits.forEach((wait, i) => {
      const revents = view.getInt16(POLLFD * (i + 1) + 6, true);
      if (revents !== 0 && this.#waits.delete(wait)) wait.settle(revents);
    });
  }
}

const reactor = new Reactor();

/**
 * How many waits may run a poll() of their own (a helper thread each, no
 * interruption of anyone else's); past that, waits share the reactor's one.
 * A console's read or write wait is quickest on its own; a process holding
 * hundreds of idle consoles must not hold a thread for each.
 */
const SOLO_MAX = 16;
let solos = 0;

/**
 * Waits on a file descriptor. One wait at a time; `wake()` makes the current
 * wait return early (with `null`). While few waits run in the process, a
 * wait is a poll() of its own over the fd and this Poller's eventfd; past
 * {@link SOLO_MAX} it joins the process's one shared poll(). Holds an
 * eventfd and a libc reference until `close()`.
 */
export class Poller {
  #libc: Libc;
  #eventFd: number;
  #wait: Wait | undefined;
  #solo: Promise<number> | undefined;
  #woken = false;
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
    try {
      reactor.acquire();
    } catch (err) {
      this.#libc.close(fd);
      releaseLibc();
      throw err;
    }
  }

  /** Whether a wait is running now. */
  get busy(): boolean {
    return this.#wait !== undefined || this.#solo !== undefined;
  }

  /**
   * Waits until `fd` is ready for `events` (POLLIN, POLLOUT) or `wake()` is
   * called. Resolves to the fd's `revents` (which may hold POLLERR, POLLHUP,
   * POLLNVAL), or `null` when woken.
   */
  wait(fd: number, events: number): Promise<number | null> {
    if (this.#closed) return Promise.reject(new Error("Poller is closed"));
    if (this.busy) return Promise.reject(new Error("Poller.wait() is already running"));
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve(null);
    }
    if (solos < SOLO_MAX) return this.#waitSolo(fd, events);
    return new Promise((resolve, reject) => {
      const wait: Wait = {
        owner: this,
        fd,
        events,
        settle: (revents) => {
          this.#wait = undefined;
          resolve(revents);
        },
        fail: (err) => {
          this.#wait = undefined;
          reject(err);
        },
      };
      this.#wait = wait;
      reactor.add(wait);
    });
  }

  /** A poll() of its own over `fd` and this Poller's eventfd. */
  async #waitSolo(fd: number, events: number): Promise<number | null> {
    const view = this.#view;
    view.setInt32(0, fd, true);
    view.setInt16(4, events, true);
    view.setInt16(6, 0, true);
    view.setInt16(14, 0, true);
    const call = this.#libc.poll_wait(this.#fds, 2n, -1);
    this.#solo = call;
    solos++;
    let rc: number;
    try {
      rc = await call;
    } finally {
      solos--;
      this.#solo = undefined;
    }
    if (rc < 0) {
      // errno is not readable after a nonblocking call: ask again, now.
      rc = this.#libc.poll(this.#fds, 2n, 0);
      if (rc < 0) {
        const code = errno();
        if (code !== EINTR) throw new SystemError(code, "poll");
        return null;
      }
    }
    const revents = view.getInt16(6, true);
    if (view.getInt16(14, true) !== 0) {
      this.#libc.read(this.#eventFd, this.#scratch, 8n);
      if (revents === 0) return null;
    }
    return revents;
  }

  /** Makes the current (or next) wait return `null`. */
  wake(): void {
    if (this.#closed) return;
    if (this.#solo !== undefined) {
      const rc = this.#libc.write(this.#eventFd, ONE_BYTES, 8n);
      if (rc < 0 && errno() !== EAGAIN) throw lastError("write", { path: "eventfd" });
      return;
    }
    const wait = this.#wait;
    if (wait === undefined) {
      this.#woken = true;
      return;
    }
    reactor.remove(wait);
    wait.settle(null);
  }

  /**
   * Wakes any wait and lets the poll() call holding its fd return (the fd
   * may be closed then); releases the eventfd and libc.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.wake();
    this.#closed = true;
    await this.#solo?.catch(() => {});
    await reactor.returned(this);
    this.#libc.close(this.#eventFd);
    this.#eventFd = -1;
    releaseLibc();
    await reactor.release();
  }
}
