// Copyright 2026 the xenpv authors. MIT license.
// Unix stream sockets through libc: connect, listen, accept; and the rules a
// socket path is bound by (bindSocketPath), which Deno's own listener shares.

import {
  acquireLibc,
  AF_UNIX,
  cString,
  errno,
  lastError,
  type Libc,
  POLLIN,
  releaseLibc,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
} from "./libc.ts";
import { EADDRINUSE, EAGAIN, ECONNABORTED, ECONNREFUSED, EINTR, errnoName } from "./errno.ts";
import { SystemError } from "../errors.ts";
import { FdStream } from "./fd_stream.ts";
import { Poller } from "./poller.ts";
import { lstatPath, S_IFMT, S_IFSOCK } from "./stat.ts";

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
