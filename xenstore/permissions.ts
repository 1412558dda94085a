// Copyright 2026 the xenpv authors. MIT license.
// xenstore node permissions: a list whose first entry names the owner domain
// and the access every domain not listed gets; later entries grant a domain
// specific access. Owners (and dom0) always have full access. On the wire each
// entry is a letter and a domid: n (none), r (read), w (write), b (both).

import { assertDomid, isDomid } from "../_sys/domid.ts";

/** The access a permission entry grants. */
export type Access = "none" | "read" | "write" | "both";

/** One permission entry. */
export interface Permission {
  /** The domain the entry is about (the owner, for the first entry). */
  domid: number;
  /** The access granted. */
  access: Access;
}

const LETTERS: Record<Access, string> = { none: "n", read: "r", write: "w", both: "b" };
const ACCESS: Record<string, Access> = { n: "none", r: "read", w: "write", b: "both" };

/**
 * Formats an entry the way xenstored sends it, e.g. `{domid: 3, access: "read"}`
 * -> `"r3"`.
 *
 * @example
 * ```ts
 * import { formatPermission } from "./permissions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatPermission({ domid: 0, access: "none" }), "n0");
 * ```
 *
 * @throws {TypeError} on an unknown access value. @throws {RangeError} on a
 * domid that is not a domain's (an integer in 0..0x7FEF).
 */
export function formatPermission(permission: Permission): string {
  const letter = LETTERS[permission.access];
  if (letter === undefined) {
    throw new TypeError(
      `xenstore permission access must be none, read, write or both, got ${permission.access}`,
    );
  }
  return `${letter}${assertDomid(permission.domid, "xenstore permission domid")}`;
}

/**
 * Parses one wire entry (`"b5"`); `undefined` when malformed.
 *
 * @example
 * ```ts
 * import { parsePermission } from "./permissions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parsePermission("r12"), { domid: 12, access: "read" });
 * assert.equal(parsePermission("x1"), undefined);
 * ```
 */
export function parsePermission(text: string): Permission | undefined {
  const access = ACCESS[text[0]];
  const digits = text.slice(1);
  if (access === undefined || !/^[0-9]{1,5}$/.test(digits)) return undefined;
  const domid = Number(digits);
  return isDomid(domid) ? { domid, access } : undefined; // not Xen's reserved ids
}

/**
 * Whether `domid` may read (or write) under `perms`, by xenstore's rule: the
 * owner has full access, a listed domain has its entry's access, every other
 * domain the owner entry's access.
 */
export function permits(
  perms: readonly Permission[],
  domid: number,
  want: "read" | "write",
): boolean {
  if (perms.length === 0) return false;
  if (perms[0].domid === domid) return true;
  const access = perms.slice(1).find((p) => p.domid === domid)?.access ?? perms[0].access;
  return access === "both" || access === want;
}
