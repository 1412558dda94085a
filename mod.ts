// Copyright 2026 the xenpv authors. MIT license.

/**
 * xenpv: reach Xen guests' PV consoles from dom0.
 *
 * `connect(domain)` attaches to a guest's console, through xenconsoled's pty
 * (as `xl console` does) or by being the ring's backend, and gives a
 * `{ readable, writable }` pair of Web Streams. The layers it is built from
 * are exported too: `@xenpv/console/xenstore`, `/ring`, `/evtchn`,
 * `/xencons`, and the simulated host in `/sim`.
 *
 * @example Attach in dom0
 * ```ts ignore
 * import { connect } from "@xenpv/console";
 *
 * await using console = await connect("win-guest");
 * await console.readable.pipeTo(Deno.stdout.writable);
 * ```
 *
 * @module
 */

export * from "./connect.ts";
export * from "./console_errors.ts";
export * from "./host.ts";
export * from "./xenstore/mod.ts";
export * from "./ring/mod.ts";
export * from "./evtchn/mod.ts";
