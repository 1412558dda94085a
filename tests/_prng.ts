// Copyright 2026 the xenpv authors. MIT license.
// A small seeded PRNG (mulberry32) for reproducible property tests.

/** A function returning numbers in [0, 1), the same sequence for a seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
