// Copyright 2026 the xenpv authors. MIT license.
// The base of the layers: the two error classes every layer throws or
// extends. It imports only _sys/'s tables; every folder may import it.

import { errnoDescription, errnoName } from "./_sys/errno.ts";
import { printable } from "./_sys/text.ts";

/**
 * The base of every error xenpv throws for a condition a caller may catch
 * (bad arguments are `TypeError` and `RangeError` instead). Every subclass
 * takes its specific details first and `options?: { cause }` last.
 *
 * @example Catch anything of xenpv's
 * ```ts
 * import { GuestNotFoundError, XenpvError } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * const err = new GuestNotFoundError("web01", { cause: new Error("lookup") });
 * assert.ok(err instanceof XenpvError);
 * assert.equal(err.name, "GuestNotFoundError");
 * assert.equal((err.cause as Error).message, "lookup");
 * ```
 */
export class XenpvError extends Error {
  /** Builds the error; its `name` is the subclass's. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
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
    const desc = errnoDescription(code) ?? `errno ${errno}`;
    // A path may come from xenstore (a guest's, or a hostile toolstack's): no
    // control character of it reaches a terminal through this message.
    const path = details.path === undefined ? undefined : printable(details.path);
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
