// Copyright 2026 the xenpv authors. MIT license.
// Size rotation shared by ConsoleLog and Recorder: the options' check and
// the shift of the old files.

import { renamePath } from "../_sys/files.ts";

/** Checks `maxSize` (bytes > 0) and `keep` (1-99 files); throws RangeError. */
export function checkRotation(maxSize: number | undefined, keep: number | undefined): void {
  if (maxSize !== undefined && (!Number.isSafeInteger(maxSize) || maxSize <= 0)) {
    throw new RangeError(`maxSize must be a whole number of bytes > 0, got ${maxSize}`);
  }
  if (keep !== undefined && (!Number.isInteger(keep) || keep < 1 || keep > 99)) {
    throw new RangeError(`keep must be 1-99 files, got ${keep}`);
  }
}

/** path.(keep-1) -> path.keep, ..., path -> path.1 (the oldest is overwritten). */
export function shiftRotated(path: string, keep: number): void {
  for (let n = keep - 1; n >= 1; n--) renamePath(`${path}.${n}`, `${path}.${n + 1}`);
  renamePath(path, `${path}.1`);
}
