// Copyright 2026 the xenpv authors. MIT license.
// /dev/xen/evtchn request numbers and argument structs
// (linux/include/uapi/xen/evtchn.h). Pure: no system calls here.

import { ioc, IOC_NONE } from "../_sys/ioctl.ts";

/**
 * The evtchn device's ioctl request numbers.
 *
 * @example
 * ```ts
 * import { EVTCHN_IOCTL } from "./ioctl.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(EVTCHN_IOCTL.BIND_INTERDOMAIN, 0x84501n);
 * ```
 */
export const EVTCHN_IOCTL: {
  /** {u32 virq} -> local port */
  readonly BIND_VIRQ: bigint;
  /** {u32 remote_domain, u32 remote_port} -> local port */
  readonly BIND_INTERDOMAIN: bigint;
  /** {u32 remote_domain} -> local port */
  readonly BIND_UNBOUND_PORT: bigint;
  /** {u32 port} */
  readonly UNBIND: bigint;
  /** {u32 port} */
  readonly NOTIFY: bigint;
  /** no argument */
  readonly RESET: bigint;
  /** {u16 domid} */
  readonly RESTRICT_DOMID: bigint;
} = Object.freeze({
  BIND_VIRQ: ioc(IOC_NONE, "E", 0, 4),
  BIND_INTERDOMAIN: ioc(IOC_NONE, "E", 1, 8),
  BIND_UNBOUND_PORT: ioc(IOC_NONE, "E", 2, 4),
  UNBIND: ioc(IOC_NONE, "E", 3, 4),
  NOTIFY: ioc(IOC_NONE, "E", 4, 4),
  RESET: ioc(IOC_NONE, "E", 5, 0),
  RESTRICT_DOMID: ioc(IOC_NONE, "E", 6, 2),
});

/** Packs little-endian u32 fields into an ioctl argument. */
export function packU32(...fields: number[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(Math.max(4, fields.length * 4));
  const view = new DataView(out.buffer);
  fields.forEach((f, i) => {
    if (!Number.isInteger(f) || f < 0 || f > 0xffffffff) {
      throw new RangeError(`ioctl field must be a u32, got ${f}`);
    }
    view.setUint32(i * 4, f, true);
  });
  return out;
}

/** Splits what read() returned from the device into port numbers. */
export function unpackPorts(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ports: number[] = [];
  for (let at = 0; at + 4 <= bytes.length; at += 4) ports.push(view.getUint32(at, true));
  return ports;
}
