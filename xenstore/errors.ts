// Copyright 2026 the xenpv authors. MIT license.

import { XenpvError } from "../errors.ts";

/**
 * The error names xenstored sends in ERROR replies, in the order of Xen's
 * `xsd_errors` table (io/xs_wire.h).
 */
export const XENSTORE_ERRORS: readonly string[] = Object.freeze([
  "EINVAL",
  "EACCES",
  "EEXIST",
  "EISDIR",
  "ENOENT",
  "ENOMEM",
  "ENOSPC",
  "EIO",
  "ENOTEMPTY",
  "ENOSYS",
  "EROFS",
  "EBUSY",
  "EAGAIN",
  "EISCONN",
  "E2BIG",
  "EPERM",
]);

/** Options for {@linkcode XenstoreError}. */
export interface XenstoreRequestInfo {
  /** The request type name, e.g. "READ". */
  op?: string;
  /** The path the request was about. */
  path?: string;
}

/**
 * xenstored refused a request: carries the error name it sent (`code`, e.g.
 * `"ENOENT"`), the request and the path.
 *
 * @example Tell a missing node from other failures
 * ```ts
 * import { XenstoreError, XenstoreServer } from "@xenpv/console/xenstore";
 * import assert from "node:assert/strict";
 *
 * await using server = new XenstoreServer();
 * await using client = server.connectClient();
 * const err = await client.read("/nope").catch((e) => e);
 * assert.ok(err instanceof XenstoreError);
 * assert.equal(err.code, "ENOENT");
 * ```
 */
export class XenstoreError extends XenpvError {
  /** The error name from the ERROR reply, e.g. "ENOENT". */
  readonly code: string;
  /** The request type name, e.g. "READ". */
  readonly op: string | undefined;
  /** The path the request was about. */
  readonly path: string | undefined;

  /** Builds the error from the name xenstored sent. */
  constructor(code: string, request: XenstoreRequestInfo = {}, options?: ErrorOptions) {
    const what = [request.op, request.path].filter((x) => x !== undefined).join(" ");
    super(`xenstore ${what === "" ? "request" : what}: ${code}${describe(code)}`, options);
    this.code = code;
    this.op = request.op;
    this.path = request.path;
  }
}

function describe(code: string): string {
  switch (code) {
    case "ENOENT":
      return " (no such node)";
    case "EACCES":
      return " (permission denied by the node's permissions)";
    case "EAGAIN":
      return " (transaction conflict: retry)";
    case "EINVAL":
      return " (invalid request or path)";
    case "ENOSPC":
    case "E2BIG":
      return " (xenstore quota exceeded)";
    case "EEXIST":
      return " (already exists)";
    case "ENOSYS":
      return " (not supported by this xenstored)";
    default:
      return "";
  }
}

/**
 * The peer broke the wire protocol (bad header, oversized payload, malformed
 * reply). The connection cannot be trusted afterwards and is closed.
 */
export class XenstoreProtocolError extends XenpvError {
  /** Builds the error with a description of what was malformed. */
  constructor(message: string, options?: ErrorOptions) {
    super(`xenstore protocol error: ${message}`, options);
  }
}

/**
 * The connection to xenstored is gone: closed by us, or by the peer (daemon
 * died, socket reset). Every pending request rejects with it.
 */
export class XenstoreClosedError extends XenpvError {
  /** Builds the error with the reason the connection ended. */
  constructor(message = "xenstore connection closed", options?: ErrorOptions) {
    super(message, options);
  }
}
