// Copyright 2026 the xenpv authors. MIT license.
// The one range of a domain id: every check of one (an argument, a number
// parsed from xenstore or the wire) goes through isDomid or assertDomid.

/**
 * DOMID_FIRST_RESERVED (xen/include/public/xen.h, installed as
 * /usr/include/xen/xen.h): ids from 0x7FF0 up are Xen's own (DOMID_SELF,
 * DOMID_IO, DOMID_XEN, ..., DOMID_INVALID = 0x7FF4, DOMID_IDLE = 0x7FFF),
 * never a domain's. A domain's id is 0 (dom0) to 0x7FEF.
 */
export const DOMID_FIRST_RESERVED = 0x7ff0;

/**
 * Whether `domid` is a domain's id: an integer in 0..0x7FEF (with `guest`,
 * 1..0x7FEF: not dom0 either). For values from an untrusted source, which are
 * refused without an exception.
 */
export function isDomid(domid: unknown, options?: { guest?: boolean }): domid is number {
  return typeof domid === "number" && Number.isInteger(domid) &&
    domid >= (options?.guest ? 1 : 0) && domid < DOMID_FIRST_RESERVED;
}

/**
 * Returns `domid` if it is a domain's id (see {@linkcode isDomid}), else
 * throws a RangeError that says which range (a TypeError for a non-number).
 * `what` names the argument in the message.
 */
export function assertDomid(domid: unknown, what = "domid", options?: { guest?: boolean }): number {
  if (typeof domid !== "number") {
    throw new TypeError(`${what} must be a number (a domain id), got ${typeof domid}`);
  }
  if (!isDomid(domid, options)) {
    const min = options?.guest ? 1 : 0;
    throw new RangeError(
      `${what} must be an integer in ${min}..${DOMID_FIRST_RESERVED - 1} ` +
        `(ids from 0x7FF0 are Xen's reserved ones${min ? "; 0 is dom0" : ""}), got ${domid}`,
    );
  }
  return domid;
}
