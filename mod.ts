// Copyright 2026 the xenpv authors. MIT license.

/**
 * xenpv: reach Xen guests' PV consoles from dom0.
 *
 * This release carries the xenstore layer (`@xenpv/console/xenstore`): a
 * client for the real xenstored and an in-memory server for simulation.
 * Console rings, event channels and `connect()` follow.
 *
 * @example Read a guest's name in dom0
 * ```ts ignore
 * import { XenstoreClient } from "@xenpv/console";
 *
 * await using xs = await XenstoreClient.connect();
 * console.log(await xs.readString("/local/domain/1/name"));
 * ```
 *
 * @module
 */

export * from "./xenstore/mod.ts";
export * from "./ring/mod.ts";
export * from "./evtchn/mod.ts";
