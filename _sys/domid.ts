// Copyright 2026 the xenpv authors. MIT license.
// The one check of a domain id given as an argument.

/**
 * DOMID_FIRST_RESERVED (xen/include/public/xen.h): ids from 0x7FF0 up are
 * Xen's own (DOMID_SELF, DOMID_IO, DOMID_XEN...), never a domain's.
 */
export const DOMID_FIRST_RESERVED = 0x7ff0;

/**
 * Returns `domid` if it is a domain's id (0..0x7FEF; with `guest`, not dom0
 * either), else throws a RangeError that says so (a TypeError for a
 * non-number).
 */
export function assertDomid(domid: unknown, what = "domid", options?: { guest?: boolean }): number {
  if (typeof domid !== "number") {
    throw new TypeError(`${what} must be a number, got ${typeof domid}`);
  }
  const min = options?.guest ? 1 : 0;
  if (!Number.isInteger(domid) || domid < min || domid >= DOMID_FIRST_RESERVED) {
    throw new RangeError(
      `${what} must be an integer in ${min}..${DOMID_FIRST_RESERVED - 1} ` +
        `(ids from 0x7FF0 are Xen's reserved ones${min ? "; 0 is dom0" : ""}), got ${domid}`,
    );
  }
  return domid;
}
