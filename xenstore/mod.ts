// Copyright 2026 the xenpv authors. MIT license.

/**
 * The xenstore protocol: the wire codec, a client that reaches xenstored over
 * its unix socket or `/dev/xen/xenbus` (through libc, so `--allow-ffi` is the
 * only permission needed), and an in-memory xenstored-compatible server for
 * simulation and tests.
 *
 * @example Talk to an in-memory server
 * ```ts
 * import { XenstoreServer } from "@xenpv/console/xenstore";
 * import assert from "node:assert/strict";
 *
 * await using server = new XenstoreServer();
 * await using client = server.connectClient();
 * await client.write("/local/domain/1/console/tty", "/dev/pts/3");
 * assert.equal(await client.readString("/local/domain/1/console/tty"), "/dev/pts/3");
 * ```
 *
 * @module
 */

export {
  type TransactionOptions,
  type WatchEvent,
  type WatchOptions,
  XenstoreClient,
  type XenstoreConnectOptions,
  XenstoreTransaction,
  XenstoreWatch,
} from "./client.ts";
export type { XenstoreTransport } from "./transport.ts";
export { type RequestOptions, XenstoreOperations } from "./operations.ts";
export {
  XenstoreClosedError,
  XenstoreError,
  XenstoreProtocolError,
  type XenstoreRequestInfo,
} from "./errors.ts";
export { childPath, isPathWithin, parentPath } from "./path.ts";
export type { Access, Permission } from "./permissions.ts";
export {
  DEFAULT_QUOTAS,
  type ListenOptions,
  type ServerConnectOptions,
  type XenstoreListener,
  type XenstoreQuotas,
  XenstoreServer,
  type XenstoreServerOptions,
  type XenstoreServerStats,
} from "./server.ts";
export { SystemError, XenpvError } from "../errors.ts";
