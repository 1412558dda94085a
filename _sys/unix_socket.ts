// Copyright 2026 the xenpv authors. MIT license.
// Unix stream sockets through libc: connect, listen, accept.

import {
  acquireLibc,
  AF_UNIX,
  cString,
  errno,
  lastError,
  type Libc,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  POLLIN,
  releaseLibc,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
} from "./libc.ts";
import {
  EADDRINUSE,
  EAGAIN,
  ECONNABORTED,
  ECONNREFUSED,
  EINTR,
  EINVAL,
  ERRNO,
  errnoName,
} from "./errno.ts";
import { SystemError } from "../errors.ts";
import { FdStream } from "./fd_stream.ts";
import { Poller } from "./poller.ts";
import { fstatFd, lstatPath, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from "./stat.ts";

const SUN_PATH_MAX = 108;

function sockaddrUn(path: string): Uint8Array<ArrayBuffer> {
  const name = new TextEncoder().encode(path);
  if (name.length === 0 || name.length >= SUN_PATH_MAX) {
    throw new RangeError(
      `unix socket path must be 1..${SUN_PATH_MAX - 1} bytes, got ${name.length}: ${path}`,
    );
  }
  const addr = new Uint8Array(2 + SUN_PATH_MAX);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(name, 2);
  return addr;
}

function newSocket(libc: Libc, path: string): number {
  const fd = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw lastError("socket", { path });
  return fd;
}

/** Hints for common failures when connecting to a daemon's socket. */
function connectHint(code: string): string | undefined {
  switch (code) {
    case "ENOENT":
      return "no socket there: is the daemon running (xenstored in dom0)?";
    case "ECONNREFUSED":
      return "nothing listens there: the daemon died or is restarting";
    case "EACCES":
    case "EPERM":
      return "permission denied: run as root in dom0";
    default:
      return undefined;
  }
}

/** Connects a nonblocking unix stream socket to `path`. */
export async function connectUnix(path: string): Promise<FdStream> {
  const addr = sockaddrUn(path);
  const libc = acquireLibc();
  let fd = -1;
  try {
    fd = newSocket(libc, path);
    for (let attempt = 0;; attempt++) {
      if (libc.connect(fd, addr, addr.length) === 0) break;
      const code = errno();
      if (code === EINTR) continue;
      // A full listen backlog answers EAGAIN: give the server a moment.
      if (code === EAGAIN && attempt < 50) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      throw new SystemError(code, "connect", {
        path,
        hint: connectHint(errnoName(code)),
      });
    }
  } catch (err) {
    if (fd >= 0) libc.close(fd);
    releaseLibc();
    throw err;
  }
  return new FdStream(libc, fd, { path, socket: true });
}

/**
 * Opens a regular file for appending (created 0600 if missing), as a stream;
 * refuses a symlink (ELOOP), a FIFO (ENXIO without a reader, EINVAL with one)
 * and any other non-regular file (EINVAL).
 */
export function openAppend(path: string): FdStream {
  return openAppendSized(path).file;
}

/** {@linkcode openAppend}, and the file's size when opened. */
export function openAppendSized(path: string): { file: FdStream; size: number } {
  const libc = acquireLibc();
  // No symlink is followed (a planted one in a world-writable directory would
  // make root append elsewhere), and a FIFO fails instead of blocking the open.
  const flags = O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
  const fd = libc.open(cString(path), flags, 0o600);
  if (fd < 0) {
    const code = errno();
    releaseLibc();
    throw new SystemError(code, "open", {
      path,
      hint: errnoName(code) === "ELOOP" ? "it is a symlink (planted?): not followed" : undefined,
    });
  }
  let size: number;
  try {
    const stat = fstatFd(libc, fd, path);
    if ((stat.mode & S_IFMT) !== S_IFREG) {
      throw new SystemError(EINVAL, "open", { path, hint: "not a regular file: not written to" });
    }
    size = stat.size;
  } catch (err) {
    libc.close(fd);
    releaseLibc();
    throw err;
  }
  return { file: new FdStream(libc, fd, { path }), size };
}

/**
 * The last `max` bytes of the regular file `path` (a symlink is refused, not
 * followed: what a token holder may read must be the file itself).
 */
export function readTail(path: string, max: number): Uint8Array<ArrayBuffer> {
  const libc = acquireLibc();
  try {
    const fd = libc.open(cString(path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
    if (fd < 0) {
      const code = errno();
      const hint = errnoName(code) === "ELOOP" ? "it is a symlink (planted?): not followed" : "";
      throw new SystemError(code, "open", { path, hint: hint || undefined });
    }
    try {
      if ((fstatFd(libc, fd, path).mode & S_IFMT) !== S_IFREG) {
        throw new SystemError(EINVAL, "open", { path, hint: "not a regular file: not read" });
      }
      const chunks: Uint8Array<ArrayBuffer>[] = [];
      let kept = 0;
      for (;;) {
        const buf = new Uint8Array(64 * 1024);
        const n = Number(libc.read(fd, buf, BigInt(buf.length)));
        if (n < 0) throw lastError("read", { path });
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        kept += n;
        while (kept - chunks[0].length >= max) kept -= chunks.shift()!.length;
      }
      const out = new Uint8Array(kept);
      let at = 0;
      for (const c of chunks) out.set(c, (at += c.length) - c.length);
      return out.subarray(Math.max(0, kept - max));
    } finally {
      libc.close(fd);
    }
  } finally {
    releaseLibc();
  }
}

/**
 * rename(2): moves `from` to `to` (a symlink is moved, never followed);
 * `false` when `from` does not exist.
 */
export function renamePath(from: string, to: string): boolean {
  const libc = acquireLibc();
  try {
    if (libc.rename(cString(from), cString(to)) === 0) return true;
    const code = errno();
    if (errnoName(code) === "ENOENT") return false;
    throw new SystemError(code, "rename", { path: `${from} -> ${to}` });
  } finally {
    releaseLibc();
  }
}

/**
 * Throws unless `path` is a directory itself (not a symlink to one): where
 * root creates files, a planted symlink must not redirect them.
 */
export function assertRealDirectory(path: string): void {
  const libc = acquireLibc();
  try {
    const stat = lstatPath(libc, path);
    if ((stat.mode & S_IFMT) === S_IFLNK) {
      throw new SystemError(ERRNO.ELOOP, "open", {
        path,
        hint: "it is a symlink: give the directory itself",
      });
    }
    if ((stat.mode & S_IFMT) !== S_IFDIR) {
      throw new SystemError(ERRNO.ENOTDIR, "open", { path, hint: "not a directory" });
    }
  } finally {
    releaseLibc();
  }
}

/** Opens a character device (e.g. /dev/xen/xenbus) as a nonblocking stream. */
export function openDevice(path: string, hint?: (code: string) => string | undefined): FdStream {
  const libc = acquireLibc();
  const fd = libc.open(cString(path), O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0) {
    const code = errno();
    releaseLibc();
    throw new SystemError(code, "open", { path, hint: hint?.(errnoName(code)) });
  }
  return new FdStream(libc, fd, { path });
}

/**
 * A listening unix socket. `accept()` waits for the next connection; `close()`
 * stops waiting, closes the socket and removes the socket file.
 */
export class UnixListener {
  #libc: Libc;
  #fd: number;
  #path: string;
  #poller: Poller;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(libc: Libc, fd: number, path: string, poller: Poller) {
    this.#libc = libc;
    this.#fd = fd;
    this.#path = path;
    this.#poller = poller;
  }

  /**
   * Binds and listens on `path`, replacing a stale socket file (never
   * anything else). The socket file is made 0600 whatever the umask, as
   * xenstored's is: connecting needs write permission on it.
   */
  static listen(path: string, backlog = 128): UnixListener {
    const addr = sockaddrUn(path);
    const libc = acquireLibc();
    let fd = -1;
    try {
      fd = newSocket(libc, path);
      bindSocketPath(path, () => libc.bind(fd, addr, addr.length) === 0 ? 0 : errno());
      if (libc.listen(fd, backlog) !== 0) throw lastError("listen", { path });
      return new UnixListener(libc, fd, path, new Poller());
    } catch (err) {
      if (fd >= 0) libc.close(fd);
      releaseLibc();
      throw err;
    }
  }

  /** The socket path. */
  get path(): string {
    return this.#path;
  }

  /** Waits for a connection; `null` once the listener is closed. */
  async accept(): Promise<FdStream | null> {
    while (!this.#closed) {
      const fd = this.#libc.accept4(this.#fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        acquireLibc(); // the stream owns one reference
        return new FdStream(this.#libc, fd, { path: this.#path, socket: true });
      }
      const code = errno();
      if (code === EINTR || code === ECONNABORTED) continue;
      if (code !== EAGAIN) throw new SystemError(code, "accept", { path: this.#path });
      await this.#poller.wait(this.#fd, POLLIN);
    }
    return null;
  }

  /** Stops accepting, closes the socket and unlinks its file. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      await this.#poller.close();
      this.#libc.close(this.#fd);
      this.#libc.unlink(cString(this.#path));
      releaseLibc();
    })();
    return this.#closing;
  }
}

/**
 * Binds a unix socket at `path` by xenpv's rules, whoever makes the socket
 * (libc here, or Deno's own listener): `bind()` runs under umask 0177 (the
 * file is 0600 whatever the process umask, as xenstored's socket is), and a
 * stale socket file left there is replaced, never anything else. `bind`
 * returns 0 or the errno of its failure; the SystemError of a refusal names
 * what is in the way.
 */
export function bindSocketPath(path: string, bind: () => number): void {
  const libc = acquireLibc();
  try {
    const bound = () => {
      const old = libc.umask(0o177); // bind creates the file: 0777 & ~umask
      try {
        return bind();
      } finally {
        libc.umask(old);
      }
    };
    let code = bound();
    if (code === EADDRINUSE && staleSocket(libc, path)) {
      libc.unlink(cString(path));
      code = bound();
    }
    if (code !== 0) {
      throw new SystemError(code, "bind", {
        path,
        hint: code === EADDRINUSE
          ? "something is there: another server's socket, or a file that is not a socket " +
            "(not removed)"
          : undefined,
      });
    }
  } finally {
    releaseLibc();
  }
}

/** True when nothing answers on an existing socket file. */
function staleSocket(libc: Libc, path: string): boolean {
  let stat;
  try {
    stat = lstatPath(libc, path);
  } catch {
    return false;
  }
  if ((stat.mode & S_IFMT) !== S_IFSOCK) return false; // a file, a symlink: never removed
  const addr = sockaddrUn(path);
  const probe = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return false;
  const rc = libc.connect(probe, addr, addr.length);
  const code = rc === 0 ? 0 : errno();
  libc.close(probe);
  return code === ECONNREFUSED;
}
