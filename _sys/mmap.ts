// Copyright 2026 the xenpv authors. MIT license.
// One owner for one mmap'ed region: the ArrayBuffer over it is detached
// before munmap, so a stale view reads as empty (and Atomics throw a
// TypeError) instead of touching unmapped memory.

import {
  acquireLibc,
  errno,
  type Libc,
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
  releaseLibc,
} from "./libc.ts";
import { SystemError, type SystemErrorDetails } from "../errors.ts";

const MAP_FAILED = 0xffffffffffffffffn;

/** A shared read-write mapping of `length` bytes of an fd. */
export class Mapping {
  readonly length: number;
  #libc: Libc;
  #pointer: Deno.PointerObject;
  #buffer: ArrayBuffer;
  #closed = false;
  #beforeUnmap: (() => void) | undefined;
  #afterUnmap: (() => void) | undefined;

  private constructor(libc: Libc, pointer: Deno.PointerObject, length: number) {
    this.#libc = libc;
    this.#pointer = pointer;
    this.length = length;
    this.#buffer = Deno.UnsafePointerView.getArrayBuffer(pointer, length);
  }

  /**
   * mmap(NULL, length, RW, MAP_SHARED, fd, offset). Takes its own libc
   * reference. `errorOptions` name the device in failures.
   */
  static map(
    fd: number,
    length: number,
    offset: bigint,
    errorOptions: SystemErrorDetails = {},
  ): Mapping {
    const libc = acquireLibc();
    const ptr = libc.mmap(null, BigInt(length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
    if (ptr === null || Deno.UnsafePointer.value(ptr) === MAP_FAILED) {
      const code = errno();
      releaseLibc();
      throw new SystemError(code, "mmap", errorOptions);
    }
    return new Mapping(libc, ptr, length);
  }

  /** The mapped bytes. Throws once the mapping is closed. */
  get buffer(): ArrayBuffer {
    if (this.#closed) throw new TypeError("the mapping has been unmapped");
    return this.#buffer;
  }

  /** The address (for ioctls that fill the mapping). */
  get pointer(): Deno.PointerObject {
    if (this.#closed) throw new TypeError("the mapping has been unmapped");
    return this.#pointer;
  }

  /** Whether close() ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Hooks run around munmap (e.g. a gntdev unmap ioctl after it). */
  onClose(hooks: { before?: () => void; after?: () => void }): void {
    this.#beforeUnmap = hooks.before;
    this.#afterUnmap = hooks.after;
  }

  /** Detaches the buffer, unmaps, runs the hooks. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#beforeUnmap?.();
    } finally {
      this.#buffer.transfer(0); // every view over it now has length 0
      this.#libc.munmap(this.#pointer, BigInt(this.length));
      try {
        this.#afterUnmap?.();
      } finally {
        releaseLibc();
      }
    }
  }
}
