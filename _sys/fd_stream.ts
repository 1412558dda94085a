// Copyright 2026 the xenpv authors. MIT license.
// A byte stream over a nonblocking file descriptor (socket, character device,
// pty): reads and writes are synchronous libc calls; waiting for readiness is
// a Poller wait. A read and a write may wait at the same time.

import { XenpvError } from "../errors.ts";
import {
  errno,
  FIONBIO,
  type Libc,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  releaseLibc,
  SO_RCVTIMEO,
  SOL_SOCKET,
} from "./libc.ts";
import { EAGAIN, EINTR, EIO, errnoName } from "./errno.ts";
import { SystemError } from "../errors.ts";
import { Poller } from "./poller.ts";

const READ_CHUNK = 65536;
const READ_CHUNK_N = BigInt(READ_CHUNK);

/** Options for {@linkcode FdStream}. */
export interface FdStreamOptions {
  /** Path shown in errors. */
  path: string;
  /** Use send(MSG_NOSIGNAL) instead of write (sockets). */
  socket?: boolean;
  /** Called with the fd just before it is closed (e.g. to restore a tty's termios). */
  beforeClose?: (libc: Libc, fd: number) => void;
}

/**
 * An {@linkcode FdStream} was used after (or closed during) an operation: its
 * fd is gone. Internal: the public layers end their streams instead (see
 * `StreamEndedError` and `ConsoleClosedError` for what callers see).
 */
export class FdStreamClosedError extends XenpvError {
  /** Builds the error with what was closed, e.g. "/dev/xen/evtchn: closed". */
  constructor(message = "fd stream closed", options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Owns a nonblocking fd (and one libc reference, taken by whoever opened the
 * fd and handed over here). `close()` wakes waiters and closes the fd once.
 */
export class FdStream {
  #libc: Libc;
  #fd: number;
  #path: string;
  #socket: boolean;
  #beforeClose: ((libc: Libc, fd: number) => void) | undefined;
  #poller: Poller | undefined;
  #pumping = false;
  /** The events the poll in flight waits for (0: none). */
  #polling = 0;
  #readWaiters: (() => void)[] = [];
  #writeWaiters: (() => void)[] = [];
  #closed = false;
  #closing: Promise<void> | undefined;
  #eof = false;
  #readBuffer = new Uint8Array(READ_CHUNK);
  /** readWithin()'s pollfd and timespec (not sockets), made on its first use. */
  #syncPollfd: Uint8Array<ArrayBuffer> | undefined;
  #syncTimespec: Uint8Array<ArrayBuffer> | undefined;
  /** readWithin()'s bound now, in µs (-1: never used). */
  #syncTimeoutUs = -1;

  constructor(libc: Libc, fd: number, options: FdStreamOptions) {
    this.#libc = libc;
    this.#fd = fd;
    this.#path = options.path;
    this.#socket = options.socket ?? false;
    this.#beforeClose = options.beforeClose;
  }

  /** The poller, made on the first wait (devices used only for ioctl never need one). */
  #pollerNow(): Poller {
    this.#poller ??= new Poller();
    return this.#poller;
  }

  /**
   * ioctl(fd, request, arg) with `arg` as the in/out struct. Returns the
   * call's non-negative result; throws {@linkcode SystemError} naming the
   * path and `hint(code)`.
   */
  ioctl(
    request: bigint,
    arg: Uint8Array<ArrayBuffer>,
    hint?: (code: string) => string | undefined,
  ): number {
    if (this.#closed) throw new FdStreamClosedError(`${this.#path}: closed`);
    for (;;) {
      const rc = this.#libc.ioctl(this.#fd, request, arg);
      if (rc >= 0) return rc;
      const code = errno();
      if (code === EINTR) continue;
      throw new SystemError(code, "ioctl", { path: this.#path, hint: hint?.(errnoName(code)) });
    }
  }

  /** The descriptor number (for diagnostics). */
  get fd(): number {
    return this.#fd;
  }

  /** The path given at open. */
  get path(): string {
    return this.#path;
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Reads what is available, waiting if nothing is. Resolves to `null` at end
   * of stream or when the stream is closed.
   */
  async read(signal?: AbortSignal): Promise<Uint8Array | null> {
    while (!this.#closed) {
      signal?.throwIfAborted();
      if (this.#eof) return null;
      const chunk = this.tryRead();
      if (chunk !== undefined) return chunk;
      await this.#waitFor(POLLIN, signal);
    }
    return null;
  }

  /**
   * Reads what is available into `target`, waiting if nothing is. Resolves
   * to the number of bytes copied, or `null` at end of stream or when the
   * stream is closed. Allocates nothing per call.
   */
  async readInto(target: Uint8Array<ArrayBuffer>, signal?: AbortSignal): Promise<number | null> {
    if (target.length === 0) throw new RangeError("readInto needs a non-empty buffer");
    while (!this.#closed) {
      signal?.throwIfAborted();
      if (this.#eof) return null;
      const n = this.#readSome(target);
      if (n !== undefined) return n;
      await this.#waitFor(POLLIN, signal);
    }
    return null;
  }

  /**
   * One synchronous read: the bytes, `null` at end of stream, or `undefined`
   * when nothing is available now.
   */
  tryRead(): Uint8Array | null | undefined {
    if (this.#closed || this.#eof) return null;
    const n = this.#readSome(this.#readBuffer);
    return n === undefined || n === null ? n : this.#readBuffer.slice(0, n);
  }

  /**
   * Waits up to `timeoutUs` microseconds for bytes, blocking this thread in
   * the kernel (it sleeps; nothing spins), then reads what came. The bytes (a
   * view of the stream's read buffer, valid until the next read), `null` at
   * end of stream (or closed), or `undefined` when nothing came in time. It
   * blocks the event loop for at most the timeout (plus the kernel's timer
   * slack): callers bound and opt into it.
   *
   * A socket waits in one `recv()`, as a blocking C client does: the first
   * call makes the descriptor blocking, bounded by `SO_RCVTIMEO`, and every
   * other read and write of this stream passes `MSG_DONTWAIT`, so they still
   * never block. Other descriptors wait in `ppoll()`, then read.
   */
  readWithin(timeoutUs: number): Uint8Array | null | undefined {
    if (this.#closed || this.#eof) return null;
    const us = Math.max(1, Math.floor(timeoutUs));
    if (us !== this.#syncTimeoutUs) this.#setWithin(us);
    if (this.#socket) {
      for (;;) {
        const n = Number(this.#libc.recv(this.#fd, this.#readBuffer, READ_CHUNK_N, 0));
        if (n > 0) return this.#readBuffer.subarray(0, n);
        if (n === 0) {
          this.#eof = true;
          return null;
        }
        const code = errno();
        if (code === EAGAIN || code === EINTR) return undefined; // the bound passed, or a signal
        throw new SystemError(code, "recv", { path: this.#path });
      }
    }
    if (this.#libc.ppoll(this.#syncPollfd!, 1n, this.#syncTimespec!, null) <= 0) return undefined; // timeout, EINTR
    const n = this.#readSome(this.#readBuffer);
    return n === undefined || n === null ? n : this.#readBuffer.subarray(0, n);
  }

  /** Sets readWithin()'s bound: a socket's receive timeout, else the ppoll timespec. */
  #setWithin(us: number): void {
    this.#syncTimeoutUs = us;
    const buffer = new ArrayBuffer(24);
    const view = new DataView(buffer);
    if (this.#socket) {
      // struct timeval { tv_sec; tv_usec } (64-bit longs)
      view.setBigInt64(0, BigInt(Math.floor(us / 1e6)), true);
      view.setBigInt64(8, BigInt(us % 1e6), true);
      const timeval = new Uint8Array(buffer, 0, 16);
      if (this.#libc.setsockopt(this.#fd, SOL_SOCKET, SO_RCVTIMEO, timeval, 16) !== 0) {
        throw new SystemError(errno(), "setsockopt", { path: this.#path });
      }
      const off = new Uint8Array(4); // FIONBIO 0: blocking (see readWithin)
      if (this.#libc.ioctl(this.#fd, BigInt(FIONBIO), off) !== 0) {
        throw new SystemError(errno(), "ioctl", { path: this.#path });
      }
      return;
    }
    // struct pollfd { fd; events; revents }, then struct timespec { tv_sec; tv_nsec }
    view.setInt32(0, this.#fd, true);
    view.setInt16(4, POLLIN, true);
    view.setBigInt64(8, BigInt(Math.floor(us / 1e6)), true);
    view.setBigInt64(16, BigInt((us % 1e6) * 1000), true);
    this.#syncPollfd = new Uint8Array(buffer, 0, 8);
    this.#syncTimespec = new Uint8Array(buffer, 8, 16);
  }

  /** One read(2) (a recv(2) on a socket) into `target`: bytes read, `null` at end, `undefined` for EAGAIN. */
  #readSome(target: Uint8Array<ArrayBuffer>): number | null | undefined {
    for (;;) {
      const n = Number(
        this.#socket
          ? this.#libc.recv(this.#fd, target, BigInt(target.length), MSG_DONTWAIT)
          : this.#libc.read(this.#fd, target, BigInt(target.length)),
      );
      if (n > 0) return n;
      if (n === 0) {
        this.#eof = true;
        return null;
      }
      const code = errno();
      if (code === EINTR) continue;
      if (code === EAGAIN) return undefined;
      // EIO on a pty whose other side closed is end of stream too.
      if (code === EIO) {
        this.#eof = true;
        return null;
      }
      throw new SystemError(code, "read", { path: this.#path });
    }
  }

  /** Writes all of `data`, waiting for room as needed. */
  async write(data: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      if (this.#closed) throw new FdStreamClosedError(`${this.#path}: closed`);
      const n = this.#writeSome(data.subarray(offset));
      if (n > 0) {
        offset += n;
        continue;
      }
      await this.#waitFor(POLLOUT);
    }
  }

  /** One synchronous write: the bytes written, 0 when it would block. */
  tryWrite(data: Uint8Array): number {
    if (this.#closed) throw new FdStreamClosedError(`${this.#path}: closed`);
    return this.#writeSome(data);
  }

  #writeSome(data: Uint8Array): number {
    for (;;) {
      const len = BigInt(data.length);
      const n = Number(
        this.#socket
          ? this.#libc.send(this.#fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT)
          : this.#libc.write(this.#fd, data, len),
      );
      if (n >= 0) return n;
      const code = errno();
      if (code === EINTR) continue;
      if (code === EAGAIN) return 0;
      throw new SystemError(code, this.#socket ? "send" : "write", {
        path: this.#path,
      });
    }
  }

  #waitFor(event: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const list = event === POLLIN ? this.#readWaiters : this.#writeWaiters;
      let waiter = resolve;
      if (signal !== undefined) {
        const onAbort = () => {
          const i = list.indexOf(waiter);
          if (i >= 0) list.splice(i, 1);
          if (this.#pumping) this.#pollerNow().wake(); // re-poll without us
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiter = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
      }
      list.push(waiter);
      if (!this.#pumping) this.#pump();
      // A poll already waiting for this event need not start again.
      else if ((this.#polling & event) === 0) this.#pollerNow().wake();
    });
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (
        !this.#closed &&
        (this.#readWaiters.length > 0 || this.#writeWaiters.length > 0)
      ) {
        const events = (this.#readWaiters.length > 0 ? POLLIN : 0) |
          (this.#writeWaiters.length > 0 ? POLLOUT : 0);
        this.#polling = events;
        let r: number | null;
        try {
          r = await this.#pollerNow().wait(this.#fd, events);
        } catch {
          r = POLLERR;
        } finally {
          this.#polling = 0;
        }
        if (r === null) continue;
        const failed = (r & (POLLERR | POLLHUP | POLLNVAL)) !== 0;
        if ((r & POLLIN) !== 0 || failed) this.#release("read");
        if ((r & POLLOUT) !== 0 || failed) this.#release("write");
      }
    } finally {
      this.#pumping = false;
      if (this.#closed) {
        this.#release("read");
        this.#release("write");
      }
    }
  }

  #release(which: "read" | "write"): void {
    const list = which === "read" ? this.#readWaiters : this.#writeWaiters;
    if (list.length === 0) return;
    if (list.length === 1) {
      list.pop()!();
      return;
    }
    for (const resolve of list.splice(0)) resolve();
  }

  /**
   * Closes at once, for streams that never waited (devices used for ioctl
   * and mmap only). Falls back to the asynchronous close otherwise.
   */
  closeSync(): void {
    if (this.#closing !== undefined) return;
    if (this.#poller !== undefined) {
      this.close();
      return;
    }
    this.#closed = true;
    this.#closing = Promise.resolve();
    this.#closeFd();
    this.#fd = -1;
    releaseLibc();
  }

  #closeFd(): void {
    try {
      this.#beforeClose?.(this.#libc, this.#fd);
    } finally {
      this.#libc.close(this.#fd);
    }
  }

  /** Wakes every waiter (reads resolve `null`), then closes the fd. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      await this.#poller?.close(); // waits for an in-flight poll to return
      this.#release("read");
      this.#release("write");
      this.#closeFd();
      this.#fd = -1;
      releaseLibc();
    })();
    return this.#closing;
  }
}
