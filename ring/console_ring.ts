// Copyright 2026 the xenpv authors. MIT license.

import { CONNECTION_STATE, CONSOLE_LAYOUT as L, type RingIndices } from "./layout.ts";
import { RingCorruptionError } from "./errors.ts";

/** Which side of the page we are. */
export type RingRole = "backend" | "frontend";

/** Options for {@linkcode ConsoleRing}. */
export interface ConsoleRingOptions {
  /** `backend` (dom0: reads `out`, writes `in`) or `frontend` (the guest). */
  role: RingRole;
  /** Where the page starts in the buffer (default 0; a multiple of 4). */
  byteOffset?: number;
}

interface Half {
  name: "in" | "out";
  data: number;
  size: number;
  cons: number; // u32 slot of the consumer index
  prod: number; // u32 slot of the producer index
}

const IN: Half = {
  name: "in",
  data: L.IN_OFFSET,
  size: L.IN_SIZE,
  cons: (L.IN_CONS - L.IN_CONS) / 4,
  prod: (L.IN_PROD - L.IN_CONS) / 4,
};
const OUT: Half = {
  name: "out",
  data: L.OUT_OFFSET,
  size: L.OUT_SIZE,
  cons: (L.OUT_CONS - L.IN_CONS) / 4,
  prod: (L.OUT_PROD - L.IN_CONS) / 4,
};

/**
 * One side of a Xen console page (`struct xencons_interface`) over any
 * ArrayBuffer: a real mapping of a guest's page or a simulated one.
 *
 * Reads and writes follow the ring protocol's ordering (load the peer's
 * index, copy, then publish ours) with `Atomics`. The peer is not trusted:
 * every index it controls is checked before use, no access ever leaves the
 * page, and a ring in an impossible state raises
 * {@linkcode RingCorruptionError} without reading or writing anything.
 *
 * @example A backend and a frontend over one simulated page
 * ```ts
 * import { ConsoleRing } from "@xenpv/console/ring";
 * import assert from "node:assert/strict";
 *
 * const page = new ArrayBuffer(4096);
 * const dom0 = new ConsoleRing(page, { role: "backend" });
 * const guest = new ConsoleRing(page, { role: "frontend" });
 * guest.write(new TextEncoder().encode("login: "));
 * assert.equal(new TextDecoder().decode(dom0.read()), "login: ");
 * dom0.write(new TextEncoder().encode("root\r"));
 * assert.equal(new TextDecoder().decode(guest.read()), "root\r");
 * ```
 */
export class ConsoleRing {
  /** Which side this is. */
  readonly role: RingRole;
  #bytes: Uint8Array;
  #index: Uint32Array;
  #base: number;
  #rx: Half;
  #tx: Half;
  // Our own indices, kept privately: the shared copies are in guest memory.
  #rxCons: number;
  #txProd: number;
  // The peer's indices as last seen, to catch them moving backwards.
  #rxProdSeen: number;
  #txConsSeen: number;

  /**
   * Attaches to the page in `buffer`, adopting the indices found there.
   *
   * @throws {RangeError} when the buffer cannot hold the page at `byteOffset`.
   * @throws {TypeError} on an unknown role.
   * @throws {RingCorruptionError} when the page is already inconsistent.
   */
  constructor(buffer: ArrayBufferLike, options: ConsoleRingOptions) {
    const { role } = options;
    if (role !== "backend" && role !== "frontend") {
      throw new TypeError(`ring role must be "backend" or "frontend", got ${role}`);
    }
    const base = options.byteOffset ?? 0;
    if (!Number.isInteger(base) || base < 0 || base % 4 !== 0) {
      throw new RangeError(`byteOffset must be a non-negative multiple of 4, got ${base}`);
    }
    if (buffer.byteLength < base + L.USED) {
      throw new RangeError(
        `a console page needs ${L.USED} bytes at offset ${base}; the buffer has ${buffer.byteLength}`,
      );
    }
    this.role = role;
    this.#base = base;
    this.#bytes = new Uint8Array(buffer, base, L.USED);
    this.#index = new Uint32Array(buffer, base + L.IN_CONS, 4);
    [this.#rx, this.#tx] = role === "backend" ? [OUT, IN] : [IN, OUT];
    this.#rxCons = this.#load(this.#rx.cons);
    this.#txProd = this.#load(this.#tx.prod);
    this.#rxProdSeen = this.#load(this.#rx.prod);
    this.#txConsSeen = this.#load(this.#tx.cons);
    this.#check();
  }

  #load(slot: number): number {
    if (this.#index.length === 0) {
      throw new TypeError("the console page has been unmapped");
    }
    return Atomics.load(this.#index, slot);
  }

  /** The four indices as they are in the page now. */
  indices(): RingIndices {
    return {
      inCons: this.#load(IN.cons),
      inProd: this.#load(IN.prod),
      outCons: this.#load(OUT.cons),
      outProd: this.#load(OUT.prod),
    };
  }

  #fail(half: Half, problem: string): never {
    throw new RingCorruptionError(half.name, problem, this.indices());
  }

  /** Validates the receive side; returns [peer prod, bytes available]. */
  #rxState(): [number, number] {
    const rx = this.#rx;
    if (this.#load(rx.cons) !== this.#rxCons) {
      this.#fail(rx, "our consumer index was changed by the peer");
    }
    const prod = this.#load(rx.prod);
    const moved = (prod - this.#rxProdSeen) >>> 0;
    if (moved >= 2 ** 31) {
      this.#fail(rx, `the producer index moved backwards by ${2 ** 32 - moved}`);
    }
    const avail = (prod - this.#rxCons) >>> 0;
    if (avail > rx.size) this.#fail(rx, `${avail} bytes announced in a ${rx.size}-byte ring`);
    return [prod, avail];
  }

  /** Validates the transmit side; returns [peer cons, bytes free]. */
  #txState(): [number, number] {
    const tx = this.#tx;
    if (this.#load(tx.prod) !== this.#txProd) {
      this.#fail(tx, "our producer index was changed by the peer");
    }
    const cons = this.#load(tx.cons);
    const moved = (cons - this.#txConsSeen) >>> 0;
    if (moved >= 2 ** 31) {
      this.#fail(tx, `the consumer index moved backwards by ${2 ** 32 - moved}`);
    }
    const used = (this.#txProd - cons) >>> 0;
    if (used > tx.size) this.#fail(tx, "the consumer index passed the producer index");
    return [cons, tx.size - used];
  }

  #check(): void {
    this.#rxState();
    this.#txState();
  }

  /** Bytes waiting to be read. */
  readable(): number {
    return this.#rxState()[1];
  }

  /** Room for writing, in bytes. */
  writable(): number {
    return this.#txState()[1];
  }

  /**
   * Copies out what the peer has produced (at most `max` bytes) and frees it
   * in the ring. Returns an empty array when nothing is waiting.
   */
  read(max: number = Infinity): Uint8Array {
    const out = new Uint8Array(Math.min(this.readable(), max));
    this.readInto(out);
    return out;
  }

  /**
   * Like {@linkcode ConsoleRing.read} into a caller's buffer; returns the
   * number of bytes copied.
   */
  readInto(target: Uint8Array): number {
    const [prod, avail] = this.#rxState();
    const n = Math.min(avail, target.length);
    if (n > 0) this.#copyOut(target, n);
    this.#rxProdSeen = prod;
    return n;
  }

  #copyOut(target: Uint8Array, n: number): void {
    const rx = this.#rx;
    const start = this.#rxCons & (rx.size - 1);
    const first = Math.min(n, rx.size - start);
    target.set(this.#bytes.subarray(rx.data + start, rx.data + start + first), 0);
    if (first < n) target.set(this.#bytes.subarray(rx.data, rx.data + n - first), first);
    this.#rxCons = (this.#rxCons + n) >>> 0;
    Atomics.store(this.#index, rx.cons, this.#rxCons);
  }

  /**
   * Copies as much of `data` as fits into the ring and publishes it. Returns
   * the bytes written (0 when the ring is full): the caller keeps the rest
   * and writes it after the peer has consumed some.
   */
  write(data: Uint8Array): number {
    const [cons, free] = this.#txState();
    this.#txConsSeen = cons;
    const n = Math.min(free, data.length);
    if (n === 0) return 0;
    const tx = this.#tx;
    const start = this.#txProd & (tx.size - 1);
    const first = Math.min(n, tx.size - start);
    this.#bytes.set(data.subarray(0, first), tx.data + start);
    if (first < n) this.#bytes.set(data.subarray(first, n), tx.data);
    this.#txProd = (this.#txProd + n) >>> 0;
    Atomics.store(this.#index, tx.prod, this.#txProd);
    return n;
  }

  /**
   * After a {@linkcode RingCorruptionError}: adopts the peer's indices,
   * dropping unread input and anything queued for the peer, and republishes
   * ours. Returns the indices now in force.
   */
  resync(): RingIndices {
    const rxProd = this.#load(this.#rx.prod);
    this.#rxCons = rxProd;
    this.#rxProdSeen = rxProd;
    Atomics.store(this.#index, this.#rx.cons, rxProd);
    const txCons = this.#load(this.#tx.cons);
    this.#txProd = txCons;
    this.#txConsSeen = txCons;
    Atomics.store(this.#index, this.#tx.prod, txCons);
    return this.indices();
  }

  /** The `connection` byte: true when it says a backend services the page. */
  get connected(): boolean {
    this.#load(0);
    return Atomics.load(this.#bytes, L.CONNECTION) === CONNECTION_STATE.CONNECTED;
  }

  /** Sets the `connection` byte (a backend sets it once it services the page). */
  set connected(value: boolean) {
    this.#load(0);
    Atomics.store(
      this.#bytes,
      L.CONNECTION,
      value ? CONNECTION_STATE.CONNECTED : CONNECTION_STATE.DISCONNECTED,
    );
  }

  /** The page's offset in its buffer. */
  get byteOffset(): number {
    return this.#base;
  }
}
