// Copyright 2026 the xenpv authors. MIT license.
// Linux errno numbers (x86-64 and every other Linux ABI we target share these
// values for the names below) and the error class that carries them.

import { XenpvError } from "./xenpv_error.ts";

const NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  4: "EINTR",
  5: "EIO",
  6: "ENXIO",
  7: "E2BIG",
  8: "ENOEXEC",
  9: "EBADF",
  10: "ECHILD",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  17: "EEXIST",
  18: "EXDEV",
  19: "ENODEV",
  20: "ENOTDIR",
  21: "EISDIR",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  25: "ENOTTY",
  26: "ETXTBSY",
  27: "EFBIG",
  28: "ENOSPC",
  29: "ESPIPE",
  30: "EROFS",
  32: "EPIPE",
  34: "ERANGE",
  35: "EDEADLK",
  36: "ENAMETOOLONG",
  37: "ENOLCK",
  38: "ENOSYS",
  39: "ENOTEMPTY",
  40: "ELOOP",
  61: "ENODATA",
  62: "ETIME",
  71: "EPROTO",
  74: "EBADMSG",
  75: "EOVERFLOW",
  77: "EBADFD",
  84: "EILSEQ",
  88: "ENOTSOCK",
  90: "EMSGSIZE",
  91: "EPROTOTYPE",
  93: "EPROTONOSUPPORT",
  95: "EOPNOTSUPP",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  103: "ECONNABORTED",
  104: "ECONNRESET",
  105: "ENOBUFS",
  106: "EISCONN",
  107: "ENOTCONN",
  110: "ETIMEDOUT",
  111: "ECONNREFUSED",
  114: "EALREADY",
  115: "EINPROGRESS",
  116: "ESTALE",
  122: "EDQUOT",
  125: "ECANCELED",
};

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
  for (const [num, n] of Object.entries(NAMES)) {
    if (n === name) return Number(num);
  }
  return undefined;
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
