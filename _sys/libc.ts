// Copyright 2026 the xenpv authors. MIT license.
// The library's one call of Deno.dlopen: only symbols xenpv itself calls
// (tests/_stdin.ts and the e2e tests open the few that only tests need their
// own way). libc is opened lazily and reference counted: every owner of a
// file descriptor holds one reference and releases it on close, so a program
// (or a test with the resource sanitizer on) that closed everything has no
// library left open. Linux only: acquireLibc refuses any other OS before opening.

import { SystemError, type SystemErrorDetails } from "../errors.ts";

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  poll_wait: {
    name: "poll",
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  ppoll: { parameters: ["buffer", "u64", "buffer", "pointer"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32" },
  unlink: { parameters: ["buffer"], result: "i32" },
  rename: { parameters: ["buffer", "buffer"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  getenv: { parameters: ["buffer"], result: "pointer" },
  umask: { parameters: ["u32"], result: "u32" },
  geteuid: { parameters: [], result: "u32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  posix_openpt: { parameters: ["i32"], result: "i32" },
  grantpt: { parameters: ["i32"], result: "i32" },
  unlockpt: { parameters: ["i32"], result: "i32" },
  ptsname: { parameters: ["i32"], result: "pointer" },
  tcgetattr: { parameters: ["i32", "buffer"], result: "i32" },
  tcsetattr: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  cfmakeraw: { parameters: ["buffer"], result: "void" },
  flock: { parameters: ["i32", "i32"], result: "i32" },
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
  isatty: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** The libc symbols xenpv uses. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

// Linux x86-64 / aarch64 constants.
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_APPEND = 0o2000;
export const O_NOFOLLOW = 0o400000;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const EFD_NONBLOCK = 0o4000;
export const EFD_CLOEXEC = 0o2000000;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_DONTWAIT = 0x40;
export const SOL_SOCKET = 1;
export const SO_RCVTIMEO = 20;
export const FIONBIO = 0x5421;
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const MAP_SHARED = 0x1;
export const MFD_CLOEXEC = 0x1;
export const O_NOCTTY = 0o400;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
export const TCSANOW = 0;
/** sizeof(struct termios) on Linux glibc (x86-64, arm64). */
export const TERMIOS_SIZE = 60;

let library: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;
let references = 0;
let errnoView: Deno.UnsafePointerView | undefined;

/**
 * Takes a reference to libc, opening it on first use. Pair every call with
 * {@linkcode releaseLibc}.
 */
export function acquireLibc(): Libc {
  if (library === undefined) {
    if (Deno.build.os !== "linux") {
      throw new Deno.errors.NotSupported(
        `xenpv talks to Xen through Linux interfaces; this is ${Deno.build.os}`,
      );
    }
    try {
      library = Deno.dlopen("libc.so.6", SYMBOLS);
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable) {
        throw new Deno.errors.NotCapable(
          "xenpv reaches sockets and /dev/xen through libc: run with --allow-ffi " +
            "(e.g. `deno run --allow-ffi ...`)",
          { cause: err },
        );
      }
      throw err;
    }
    errnoView = undefined;
  }
  references++;
  return library.symbols;
}

/** Drops a reference taken by {@linkcode acquireLibc}; closes libc at zero. */
export function releaseLibc(): void {
  if (references === 0) return;
  references--;
  if (references === 0 && library !== undefined) {
    library.close();
    library = undefined;
    errnoView = undefined;
  }
}

/** How many references to libc are held (for tests of resource release). */
export function libcReferences(): number {
  return references;
}

/**
 * The calling thread's errno. Read it right after a synchronous call that
 * failed; after a nonblocking call it means nothing.
 */
export function errno(): number {
  if (library === undefined) return 0;
  if (errnoView === undefined) {
    const ptr = library.symbols.__errno_location();
    if (ptr === null) return 0;
    errnoView = new Deno.UnsafePointerView(ptr);
  }
  return errnoView.getInt32(0);
}

/** Builds a {@linkcode SystemError} from the current errno. */
export function lastError(
  syscall: string,
  options?: SystemErrorDetails,
): SystemError {
  return new SystemError(errno(), syscall, options);
}

/**
 * An environment variable read through libc (so that `--allow-env` is not
 * needed; libxenstore reads the same environment).
 */
export function getenv(name: string): string | undefined {
  const libc = acquireLibc();
  try {
    const ptr = libc.getenv(cString(name));
    return ptr === null ? undefined : Deno.UnsafePointerView.getCString(ptr);
  } finally {
    releaseLibc();
  }
}

/** geteuid(2): the user this process acts as (the owner a private file must have). */
export function geteuid(): number {
  const libc = acquireLibc();
  try {
    return libc.geteuid();
  } finally {
    releaseLibc();
  }
}

const encoder = new TextEncoder();

/** A NUL-terminated copy of a string, for passing paths to libc. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}
