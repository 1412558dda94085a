// Copyright 2026 the xenpv authors. MIT license.

/**
 * The composition: `connect()` attaches to a guest's console (found by domid
 * or name) through xenconsoled's pty or by being the ring's backend, and
 * gives a {@linkcode XenConsole}: guest output as byte streams to any number
 * of readers, input to the guest, and (with `follow`) the same streams across
 * a reboot. {@linkcode XenHost} is the seam between the real Xen host (the
 * default) and the simulated one (`SimulatedHost`). The root module,
 * `@xenpv/console`, re-exports all of it.
 *
 * @example Attach to a simulated guest
 * ```ts
 * import { connect } from "@xenpv/console";
 * import { SimulatedHost } from "@xenpv/console/sim";
 * import assert from "node:assert/strict";
 *
 * await using host = new SimulatedHost();
 * await host.createGuest({ name: "deb1", program: "linux" });
 * await using console = await connect("deb1", { host });
 * assert.equal(console.info.name, "deb1");
 * ```
 *
 * @module
 */

export { connect } from "./connect.ts";
export { XenConsole } from "./xen_console.ts";
export type {
  AttachMode,
  ConnectOptions,
  ConsoleInfo,
  ConsoleKind,
  ConsoleMode,
  GuestType,
  ReattachDetail,
} from "./types.ts";
export type { ByteStream, ConsolePage, HostLock, XenHost } from "./host.ts";
export {
  ConsoleBusyError,
  type ConsoleBusyReason,
  ConsoleClosedError,
  type ConsoleFailure,
  ConsoleNotFoundError,
  type ConsoleNotFoundReason,
  GuestGoneError,
  GuestNotFoundError,
} from "./errors.ts";
export { XenpvError } from "../errors.ts";
