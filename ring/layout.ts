// Copyright 2026 the xenpv authors. MIT license.
// The one place with the console page's offsets: Xen's io/console.h
// `struct xencons_interface`, plus the `connection` byte added in 2025.

/**
 * Byte offsets and sizes of `struct xencons_interface` in the shared console
 * page. Indices are free-running little-endian u32s; a position in a ring is
 * `index & (size - 1)`.
 *
 * @example
 * ```ts
 * import { CONSOLE_LAYOUT } from "./layout.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(CONSOLE_LAYOUT.OUT_OFFSET, 1024);
 * assert.equal(CONSOLE_LAYOUT.OUT_PROD, 3084);
 * ```
 */
export const CONSOLE_LAYOUT: {
  /** `in[1024]`: dom0 -> guest. */
  readonly IN_OFFSET: 0;
  /** Size of `in`. */
  readonly IN_SIZE: 1024;
  /** `out[2048]`: guest -> dom0. */
  readonly OUT_OFFSET: 1024;
  /** Size of `out`. */
  readonly OUT_SIZE: 2048;
  /** `in_cons` (u32): advanced by the guest. */
  readonly IN_CONS: 3072;
  /** `in_prod` (u32): advanced by the backend. */
  readonly IN_PROD: 3076;
  /** `out_cons` (u32): advanced by the backend. */
  readonly OUT_CONS: 3080;
  /** `out_prod` (u32): advanced by the guest. */
  readonly OUT_PROD: 3084;
  /** `connection` (u8): 0 connected, 1 disconnected (Xen 2025+). */
  readonly CONNECTION: 3088;
  /** Bytes of the page the layout uses. */
  readonly USED: 3089;
  /** The page size the ring lives in. */
  readonly PAGE_SIZE: 4096;
} = Object.freeze({
  IN_OFFSET: 0,
  IN_SIZE: 1024,
  OUT_OFFSET: 1024,
  OUT_SIZE: 2048,
  IN_CONS: 3072,
  IN_PROD: 3076,
  OUT_CONS: 3080,
  OUT_PROD: 3084,
  CONNECTION: 3088,
  USED: 3089,
  PAGE_SIZE: 4096,
});

/** Values of the `connection` byte. */
export const CONNECTION_STATE: {
  /** A backend services the page. */
  readonly CONNECTED: 0;
  /** No backend (yet). */
  readonly DISCONNECTED: 1;
} = Object.freeze({ CONNECTED: 0, DISCONNECTED: 1 });

/** The four indices of the page, as last read. */
export interface RingIndices {
  /** Guest's consumer index of `in`. */
  inCons: number;
  /** Backend's producer index of `in`. */
  inProd: number;
  /** Backend's consumer index of `out`. */
  outCons: number;
  /** Guest's producer index of `out`. */
  outProd: number;
}
