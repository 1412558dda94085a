// Copyright 2026 the xenpv authors. MIT license.
// The recorder's memory: 200 MiB of console text (lines of 80, 2 KiB chunks,
// as a ring hands them over) through Recorder.output() into a file, the V8
// heap in use after a full GC at 50 and at 200 MiB. Bounded means the two are
// about the same: nothing kept per event. (Peak RSS depends on how lazily V8
// collects at this allocation rate; that is the flood rows' figure.) Prints
// one JSON line.
//
//   deno run -A --v8-flags=--expose-gc bench/record.ts

import { Recorder } from "../xencons/recorder.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
const chunk = new Uint8Array(2048);
for (let i = 0; i < chunk.length; i++) chunk[i] = i % 80 === 79 ? 10 : 0x20 + (i * 7919) % 95;
const heapMiB = () => {
  gc();
  return Number((Deno.memoryUsage().heapUsed / 2 ** 20).toFixed(2));
};
const dir = await Deno.makeTempDir();
const at: Record<number, number> = {};
const started = performance.now();
try {
  await using rec = Recorder.open(`${dir}/flood.cast`);
  for (let n = 1; n <= 200 * 512; n++) {
    await rec.output(chunk);
    if (n === 50 * 512) at[50] = heapMiB();
  }
  at[200] = heapMiB();
} finally {
  await Deno.remove(dir, { recursive: true });
}
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({
  heapAt50MiB: at[50],
  heapAt200MiB: at[200],
  recordMiBps: Number((200 / seconds).toFixed(1)),
}));
