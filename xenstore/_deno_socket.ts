// Copyright 2026 the xenpv authors. MIT license.
// The fast path to a xenstore socket: Deno's own unix sockets, which wake
// the event loop directly instead of through the FFI poll helper thread
// (about 40 µs a wait). Used only when the program was granted what they
// need (read, write and net on the socket's path: Deno 2.9 asks all three);
// `--allow-ffi` stays enough.

import { errnoValue } from "../_sys/errno.ts";
import { SystemError } from "../errors.ts";
import { bindSocketPath } from "../_sys/unix_socket.ts";
import type { XenstoreTransport } from "./transport.ts";

/**
 * Whether Deno's unix sockets may be used for `path`: read, write and net
 * (`unix:<path>`) granted. Never prompts.
 */
export function denoSocketsAllowed(path: string): boolean {
  try {
    return Deno.permissions.querySync({ name: "read", path }).state === "granted" &&
      Deno.permissions.querySync({ name: "write", path }).state === "granted" &&
      Deno.permissions.querySync({ name: "net", host: `unix:${path}` }).state === "granted";
  } catch {
    return false;
  }
}

/** Deno's errors as the SystemError the libc path would throw. */
function asSystemError(err: unknown, syscall: string, path: string): unknown {
  const code = err instanceof Deno.errors.NotFound
    ? "ENOENT"
    : err instanceof Deno.errors.ConnectionRefused
    ? "ECONNREFUSED"
    : err instanceof Deno.errors.PermissionDenied
    ? "EACCES"
    : err instanceof Deno.errors.AddrInUse
    ? "EADDRINUSE"
    : undefined;
  if (code === undefined) return err;
  return new SystemError(errnoValue(code)!, syscall, { path }, { cause: err });
}

/**
 * A xenstore connection over a Deno unix socket. `read()` resolves to a view
 * of the connection's buffer, valid until the next `read()`.
 */
export class DenoSocketTransport implements XenstoreTransport {
  #conn: Deno.UnixConn;
  #buffer = new Uint8Array(64 * 1024);
  #closed = false;
  /** The read in flight: its end releases the socket (close() waits for it). */
  #reading: Promise<unknown> | undefined;

  constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
  }

  /** Connects to the socket at `path`. */
  static async connect(path: string): Promise<DenoSocketTransport> {
    try {
      return new DenoSocketTransport(await Deno.connect({ transport: "unix", path }));
    } catch (err) {
      throw asSystemError(err, "connect", path);
    }
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#closed) return null;
    try {
      const reading = this.#conn.read(this.#buffer);
      this.#reading = reading;
      const n = await reading;
      // A view, not a copy (an allocation costs ~1.5 µs): readers (the
      // client's and the server's decoders) copy what they keep before
      // reading again.
      return n === null ? null : this.#buffer.subarray(0, n);
    } catch (err) {
      if (this.#closed || err instanceof Deno.errors.BadResource) return null;
      if (err instanceof Deno.errors.ConnectionReset) return null; // the peer went away
      throw err;
    }
  }

  async write(data: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < data.length) offset += await this.#conn.write(data.subarray(offset));
  }

  /** Closes the socket; resolves once its fd is released (a pending read ended). */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch { /* already closed by the peer */ }
    }
    await this.#reading?.catch(() => {});
  }
}

/**
 * A listening Deno unix socket, bound by the same rules as the libc one
 * (0600, only a stale socket replaced). `accept()` is `null` once closed;
 * `close()` removes the socket file.
 */
export class DenoSocketListener {
  #listener!: Deno.UnixListener;
  #path: string;
  #closed = false;
  /** The accept in flight: its end releases the socket (close() waits for it). */
  #accepting: Promise<unknown> | undefined;

  constructor(path: string) {
    this.#path = path;
    bindSocketPath(path, () => {
      try {
        this.#listener = Deno.listen({ transport: "unix", path });
        return 0;
      } catch (err) {
        const mapped = asSystemError(err, "bind", path);
        if (mapped instanceof SystemError) return mapped.errno;
        throw err;
      }
    });
  }

  async accept(): Promise<DenoSocketTransport | null> {
    try {
      const accepting = this.#listener.accept();
      this.#accepting = accepting;
      return new DenoSocketTransport(await accepting);
    } catch (err) {
      if (this.#closed || err instanceof Deno.errors.BadResource) return null;
      throw err;
    }
  }

  /** Stops listening and removes the socket file; resolves once the socket is released. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#listener.close();
      } catch { /* closed */ }
      try {
        Deno.removeSync(this.#path);
      } catch { /* gone */ }
    }
    await this.#accepting?.catch(() => {});
  }
}
