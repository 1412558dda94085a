// Copyright 2026 the xenpv authors. MIT license.
// Mapping a guest's console page into dom0, the two ways xenconsoled does:
// grant reference 0 (GNTTAB_RESERVED_CONSOLE) through /dev/xen/gntdev, or a
// foreign mapping of the `ring-ref` frame through /dev/xen/privcmd.

import { assertDomid } from "../_sys/domid.ts";
import { ioc, IOC_NONE } from "../_sys/ioctl.ts";
import { Mapping } from "../_sys/mmap.ts";
import { openDevice } from "../_sys/files.ts";
import type { FdStream } from "../_sys/fd_stream.ts";
import { SystemError } from "../errors.ts";
import { deviceHint } from "../_sys/hints.ts";
import { CONSOLE_LAYOUT } from "./layout.ts";

/** /dev/xen/gntdev ioctls (linux/include/uapi/xen/gntdev.h). */
export const GNTDEV: {
  /** struct ioctl_gntdev_map_grant_ref with one grant: 24 bytes. */
  readonly MAP_GRANT_REF: bigint;
  /** struct ioctl_gntdev_unmap_grant_ref: 16 bytes. */
  readonly UNMAP_GRANT_REF: bigint;
} = {
  /** struct ioctl_gntdev_map_grant_ref with one grant: 24 bytes. */
  MAP_GRANT_REF: ioc(IOC_NONE, "G", 0, 24),
  /** struct ioctl_gntdev_unmap_grant_ref: 16 bytes. */
  UNMAP_GRANT_REF: ioc(IOC_NONE, "G", 1, 16),
};

/** /dev/xen/privcmd ioctls (linux/include/uapi/xen/privcmd.h). */
export const PRIVCMD: {
  /** struct privcmd_mmapbatch_v2: 32 bytes. */
  readonly MMAPBATCH_V2: bigint;
} = {
  /** struct privcmd_mmapbatch_v2: 32 bytes. */
  MMAPBATCH_V2: ioc(IOC_NONE, "P", 4, 32),
};

/** The grant reference Xen reserves for the console page. */
export const GNTTAB_RESERVED_CONSOLE = 0;

const GNTDEV_PATH = "/dev/xen/gntdev";
const PRIVCMD_PATH = "/dev/xen/privcmd";

/** How a console page was (or is to be) mapped. */
export type MapMethod = "gntdev" | "privcmd";

/** Options for {@linkcode mapConsolePage}. */
export interface MapConsolePageOptions {
  /**
   * `gntdev` (grant 0), `privcmd` (foreign map of `ringRef`), or `auto`:
   * gntdev, then privcmd when `ringRef` is known (default).
   */
  method?: "auto" | MapMethod;
  /** The guest frame of the page (`console/ring-ref` in xenstore). */
  ringRef?: number | bigint;
}

const NO_FRAME = {
  EINVAL: "the guest has no such grant or frame (is the domid right, is the guest running?)",
};

function hintFor(path: string): (code: string) => string | undefined {
  return deviceHint(
    path === GNTDEV_PATH
      ? "no grant device: not a Xen domain, or xen-gntdev is not loaded (modprobe xen-gntdev)"
      : "no privcmd device: not a Xen domain, or xenfs/xen-privcmd is not loaded " +
        "(modprobe xen-privcmd; mount -t xenfs xenfs /proc/xen)",
    NO_FRAME,
  );
}

/**
 * A guest's console page mapped into this process. One owner: `close()`
 * (or `using`) unmaps it exactly once; afterwards `buffer` throws and any
 * view over the old buffer is empty (the buffer is detached first).
 */
export class ConsolePageMapping implements Disposable {
  /** The guest. */
  readonly domid: number;
  /** How the page was mapped. */
  readonly method: MapMethod;
  #mapping: Mapping;

  /** @internal Made by {@linkcode mapConsolePage}. */
  constructor(domid: number, method: MapMethod, mapping: Mapping) {
    this.domid = domid;
    this.method = method;
    this.#mapping = mapping;
  }

  /** The page (4096 bytes). Throws TypeError after close(). */
  get buffer(): ArrayBuffer {
    return this.#mapping.buffer;
  }

  /** Whether the page has been unmapped. */
  get closed(): boolean {
    return this.#mapping.closed;
  }

  /** Unmaps the page (and releases the grant). Idempotent. */
  close(): void {
    this.#mapping.close();
  }

  /** Same as {@linkcode ConsolePageMapping.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Maps grant reference 0 of `domid` through gntdev. */
export function mapGrantPage(domid: number): ConsolePageMapping {
  assertDomid(domid, "guest domid", { guest: true });
  const dev = openDevice(GNTDEV_PATH, hintFor(GNTDEV_PATH));
  try {
    const arg = new Uint8Array(24);
    const view = new DataView(arg.buffer);
    view.setUint32(0, 1, true); // count
    view.setUint32(16, domid, true);
    view.setUint32(20, GNTTAB_RESERVED_CONSOLE, true);
    dev.ioctl(GNTDEV.MAP_GRANT_REF, arg, hintFor(GNTDEV_PATH));
    const index = view.getBigUint64(8, true);
    let mapping: Mapping;
    try {
      mapping = Mapping.map(dev.fd, CONSOLE_LAYOUT.PAGE_SIZE, index, {
        path: GNTDEV_PATH,
        hint: "mapping the granted console page failed",
      });
    } catch (err) {
      unmapGrant(dev, index);
      throw err;
    }
    mapping.onClose({
      after: () => {
        unmapGrant(dev, index);
        dev.closeSync();
      },
    });
    return new ConsolePageMapping(domid, "gntdev", mapping);
  } catch (err) {
    dev.closeSync();
    throw err;
  }
}

function unmapGrant(dev: FdStream, index: bigint): void {
  const arg = new Uint8Array(16);
  const view = new DataView(arg.buffer);
  view.setBigUint64(0, index, true);
  view.setUint32(8, 1, true);
  try {
    dev.ioctl(GNTDEV.UNMAP_GRANT_REF, arg);
  } catch {
    // The grant goes away with the fd anyway.
  }
}

/** Maps the guest frame `ringRef` of `domid` through privcmd. */
export function mapForeignPage(domid: number, ringRef: number | bigint): ConsolePageMapping {
  assertDomid(domid, "guest domid", { guest: true });
  const frame = BigInt(ringRef);
  if (frame < 0n || frame >= 1n << 52n) {
    throw new RangeError(`ring-ref must be a guest frame number, got ${ringRef}`);
  }
  const dev = openDevice(PRIVCMD_PATH, hintFor(PRIVCMD_PATH));
  let mapping: Mapping | undefined;
  try {
    mapping = Mapping.map(dev.fd, CONSOLE_LAYOUT.PAGE_SIZE, 0n, {
      path: PRIVCMD_PATH,
      hint: hintFor(PRIVCMD_PATH)("ENOENT"),
    });
    const frames = new BigUint64Array([frame]);
    const errors = new Int32Array(1);
    const arg = new Uint8Array(32);
    const view = new DataView(arg.buffer);
    view.setUint32(0, 1, true); // num
    view.setUint16(4, domid, true); // dom
    view.setBigUint64(8, Deno.UnsafePointer.value(mapping.pointer), true);
    view.setBigUint64(16, Deno.UnsafePointer.value(Deno.UnsafePointer.of(frames)), true);
    view.setBigUint64(24, Deno.UnsafePointer.value(Deno.UnsafePointer.of(errors)), true);
    dev.ioctl(PRIVCMD.MMAPBATCH_V2, arg, hintFor(PRIVCMD_PATH));
    if (errors[0] !== 0) {
      throw new SystemError(-errors[0], "ioctl MMAPBATCH_V2", {
        path: PRIVCMD_PATH,
        hint: `frame ${frame} of domain ${domid} could not be mapped`,
      });
    }
    mapping.onClose({ after: () => dev.close() });
    return new ConsolePageMapping(domid, "privcmd", mapping);
  } catch (err) {
    mapping?.close();
    dev.closeSync();
    throw err;
  }
}

/**
 * Maps a guest's console page: gntdev grant 0 first, then (with `ringRef`)
 * a privcmd foreign mapping, as xenconsoled does.
 *
 * @example In dom0
 * ```ts ignore
 * import { ConsoleRing, mapConsolePage } from "@xenpv/console/ring";
 *
 * using page = mapConsolePage(1, { ringRef: 456706 });
 * const ring = new ConsoleRing(page.buffer, { role: "backend" });
 * console.log(ring.indices());
 * ```
 *
 * @throws {SystemError} naming the device, errno and the fix (with the
 * gntdev failure as `cause` when the fallback failed too).
 */
export function mapConsolePage(
  domid: number,
  options: MapConsolePageOptions = {},
): ConsolePageMapping {
  const method = options.method ?? "auto";
  if (method === "gntdev") return mapGrantPage(domid);
  if (method === "privcmd") {
    if (options.ringRef === undefined) {
      throw new TypeError("privcmd mapping needs ringRef (console/ring-ref in xenstore)");
    }
    return mapForeignPage(domid, options.ringRef);
  }
  if (method !== "auto") throw new TypeError(`unknown map method ${method}`);
  try {
    return mapGrantPage(domid);
  } catch (grantError) {
    if (options.ringRef === undefined || !(grantError instanceof SystemError)) throw grantError;
    try {
      return mapForeignPage(domid, options.ringRef);
    } catch (foreignError) {
      if (!(foreignError instanceof SystemError)) throw foreignError;
      throw new SystemError(foreignError.errno, foreignError.syscall, {
        path: foreignError.path,
        hint: `${
          foreignError.hint ?? "privcmd failed"
        }; gntdev failed first: ${grantError.message}`,
      }, { cause: grantError });
    }
  }
}
