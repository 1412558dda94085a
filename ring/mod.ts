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

export { ConsoleRing, type ConsoleRingOptions, type RingRole } from "./console_ring.ts";
export { RingCorruptionError } from "./errors.ts";
export { type RingIndices } from "./layout.ts";
export { RingEndpoint, type RingNotifier } from "./endpoint.ts";
export {
  type ConsolePageMapping,
  mapConsolePage,
  type MapConsolePageOptions,
  type MapMethod,
} from "./mapping.ts";
export { writeAll, type WriteAllOptions } from "./write_all.ts";
export { SystemError, XenpvError } from "../errors.ts";
