// Copyright 2026 the xenpv authors. MIT license.
// The ring layer's errors.

import { XenpvError } from "../errors.ts";
import type { RingIndices } from "./layout.ts";

/**
 * The peer left the ring in a state no correct peer produces: more bytes
 * announced than the ring holds, an index that moved backwards, or our own
 * index changed under us. Nothing was read or written; call
 * {@linkcode ConsoleRing.resync} to adopt the peer's indices and go on.
 */
export class RingCorruptionError extends XenpvError {
  /** The ring that is corrupt: `in` (dom0 -> guest) or `out` (guest -> dom0). */
  readonly ring: "in" | "out";
  /** The indices as read when the corruption was found. */
  readonly indices: RingIndices;

  /** Builds the error with what was wrong and the indices seen. */
  constructor(ring: "in" | "out", problem: string, indices: RingIndices, options?: ErrorOptions) {
    super(
      `console ring "${ring}" is corrupt: ${problem} ` +
        `(in_cons=${indices.inCons} in_prod=${indices.inProd} ` +
        `out_cons=${indices.outCons} out_prod=${indices.outProd})`,
      options,
    );
    this.ring = ring;
    this.indices = indices;
  }
}
