// Copyright 2026 the xenpv authors. MIT license.
// Linux errno numbers (x86-64 and every other Linux ABI we target share these
// values for the names below) and the error class that carries them.

import { XenpvError } from "./xenpv_error.ts";

/** Linux errno values by name: the one table (x86-64 and every Linux ABI we target). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EPIPE: 32,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
  ETIME: 62,
  EPROTO: 71,
  EBADMSG: 74,
  EOVERFLOW: 75,
  EBADFD: 77,
  EILSEQ: 84,
  ENOTSOCK: 88,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EALREADY: 114,
  EINPROGRESS: 115,
  ESTALE: 116,
  EDQUOT: 122,
  ECANCELED: 125,
} as const;

/** The values used by name in code. */
export const {
  EADDRINUSE,
  EAGAIN,
  ECONNABORTED,
  ECONNREFUSED,
  EINPROGRESS,
  EINTR,
  EINVAL,
  EIO,
  ENOTTY,
} = ERRNO;

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ERRNO).map(([name, value]) => [value, name]),
);

const DESCRIPTIONS: Record<string, string> = {
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  EINTR: "interrupted system call",
  EIO: "input/output error",
  ENXIO: "no such device or address",
  EBADF: "bad file descriptor",
  EAGAIN: "resource temporarily unavailable",
  ENOMEM: "cannot allocate memory",
  EACCES: "permission denied",
  EFAULT: "bad address",
  EBUSY: "device or resource busy",
  EEXIST: "file exists",
  ENODEV: "no such device",
  ENOTDIR: "not a directory",
  EINVAL: "invalid argument",
  EMFILE: "too many open files",
  ENOTTY: "inappropriate ioctl for device",
  ENOSPC: "no space left on device",
  EPIPE: "broken pipe",
  ENAMETOOLONG: "file name too long",
  ENOSYS: "function not implemented",
  ENOTSOCK: "socket operation on non-socket",
  EADDRINUSE: "address already in use",
  ECONNRESET: "connection reset by peer",
  ENOTCONN: "transport endpoint is not connected",
  ECONNREFUSED: "connection refused",
  ETIMEDOUT: "connection timed out",
};

/** The symbolic name of a Linux errno value, e.g. `2` -> `"ENOENT"`. */
export function errnoName(errno: number): string {
  return NAMES[errno] ?? `E${errno}`;
}

/** The errno value for a symbolic name, e.g. `"EAGAIN"` -> `11`. */
export function errnoValue(name: string): number | undefined {
  return (ERRNO as Record<string, number>)[name];
}

/** What a {@linkcode SystemError} was about. */
export interface SystemErrorDetails {
  /** The file, device or socket path the call was about. */
  path?: string;
  /** What the user can do about it, e.g. "run as root in dom0". */
  hint?: string;
}

/**
 * A failed system call: carries the errno value and name, the call and the
 * path it was about, and a hint that names the fix.
 *
 * @example Inspect a failure
 * ```ts
 * import { SystemError } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * const err = new SystemError(2, "open", {
 *   path: "/dev/xen/xenbus",
 *   hint: "not a Xen control domain, or xenfs is not mounted",
 * });
 * assert.equal(err.code, "ENOENT");
 * assert.match(err.message, /open \/dev\/xen\/xenbus: ENOENT/);
 * ```
 */
export class SystemError extends XenpvError {
  /** The errno value, e.g. 2. */
  readonly errno: number;
  /** The errno name, e.g. "ENOENT". */
  readonly code: string;
  /** The system call that failed, e.g. "open". */
  readonly syscall: string;
  /** The path the call was about, if any. */
  readonly path: string | undefined;
  /** What to do about it, if known. */
  readonly hint: string | undefined;

  /** Builds the error from an errno value and the failing call. */
  constructor(
    errno: number,
    syscall: string,
    details: SystemErrorDetails = {},
    options?: ErrorOptions,
  ) {
    const code = errnoName(errno);
    const desc = DESCRIPTIONS[code] ?? `errno ${errno}`;
    // A path may come from xenstore (a guest's, or a hostile toolstack's): no
    // control character of it reaches a terminal through this message.
    const path = details.path === undefined ? undefined : printablePath(details.path);
    const where = path === undefined ? syscall : `${syscall} ${path}`;
    const hint = details.hint === undefined ? "" : `: ${details.hint}`;
    super(`${where}: ${code} (${desc})${hint}`, options);
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    this.path = details.path;
    this.hint = details.hint;
  }
}

/** A path with its control characters (C0, DEL, C1) shown as escapes. */
function printablePath(path: string): string {
  let out = "";
  for (const ch of path) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || (c >= 0x7f && c <= 0x9f) ? `\\x${c.toString(16).padStart(2, "0")}` : ch;
  }
  return out;
}
