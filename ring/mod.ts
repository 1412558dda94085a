// Copyright 2026 the xenpv authors. MIT license.

/**
 * The Xen console ring: the layout of `struct xencons_interface` and a ring
 * object for either side of it, over a real mapping of a guest's page or a
 * simulated one. The guest is not trusted: indices are checked before every
 * access and nothing is ever read or written outside the page.
 *
 * @example
 * ```ts
 * import { ConsoleRing } from "@xenpv/console/ring";
 * import assert from "node:assert/strict";
 *
 * const page = new ArrayBuffer(4096);
 * const guest = new ConsoleRing(page, { role: "frontend" });
 * const dom0 = new ConsoleRing(page, { role: "backend" });
 * guest.write(new TextEncoder().encode("[ATTACHED]\r\n"));
 * assert.equal(dom0.readable(), 12);
 * ```
 *
 * @module
 */

export * from "./console_ring.ts";
export * from "./endpoint.ts";
export * from "./layout.ts";
export * from "./mapping.ts";
export { SystemError } from "../_sys/errno.ts";
export * from "./write_all.ts";
