// Copyright 2026 the xenpv authors. MIT license.
// Flood: a simulated guest writes N MB to its console as fast as the ring
// takes it; a slow reader (a 1 ms nap every 256 KiB) reads it through
// connect() in ring mode (we are the backend) or pty mode (through the
// simulated xenconsoled and a real pty). Every byte is checked in order.
// Prints one JSON line: bytes, seconds, MB/s, peak RSS (VmHWM) of this
// process, and where the first wrong byte was (-1: none).
//
//   deno run -A bench/flood.ts [--mode ring|pty] [--mb 100]
//
// pty mode with a slow reader loses data by design: xenconsoled keeps at most
// its buffer limit and drops the middle of the rest (the simulated one does
// the same), so pty mode is measured with --mb at most 1.

import { parseArgs } from "node:util";
import { connect } from "../mod.ts";
import { SimulatedHost } from "../sim/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    mode: { type: "string", default: "ring" },
    mb: { type: "string", default: "100" },
  },
});
const mode = values.mode === "pty" ? "pty" : "ring";
const total = Number(values.mb) * 1024 * 1024;
if (!Number.isInteger(total) || total <= 0) throw new RangeError(`--mb must be positive`);

/** The byte at stream position `i`: a hash, so a lost, repeated or swapped block shows. */
function expected(i: number): number {
  const h = Math.imul(i ^ (i >>> 13), 0x5bd1e995);
  return (h ^ (h >>> 15)) & 0xff;
}

function peakRss(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(status.match(/VmHWM:\s+(\d+) kB/)![1]) * 1024;
}

await using host = new SimulatedHost();
await host.createGuest({
  name: "flood",
  xenconsoled: mode === "pty",
  program: () => {
    let running = true;
    return {
      start: async (console) => {
        const chunk = new Uint8Array(64 * 1024);
        for (let at = 0; at < total && running; at += chunk.length) {
          const n = Math.min(chunk.length, total - at);
          for (let i = 0; i < n; i++) chunk[i] = expected(at + i);
          console.write(chunk.subarray(0, n));
          await console.drained!(); // a blocking write: the guest goes as fast as the ring takes
        }
      },
      input: () => {},
      stop: () => running = false,
    };
  },
});
await using c = await connect("flood", { host, mode });
const started = performance.now();
let got = 0;
let wrong = -1;
let nextNap = 256 * 1024;
for await (const chunk of c.readable) {
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] !== expected(got + i) && wrong < 0) wrong = got + i;
  }
  got += chunk.length;
  if (got >= nextNap) {
    nextNap += 256 * 1024;
    await new Promise((r) => setTimeout(r, 1)); // the slow reader
  }
  if (got >= total) break;
}
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({
  mode,
  bytes: got,
  seconds: Number(seconds.toFixed(2)),
  mbps: Number((got / seconds / 1e6).toFixed(1)),
  peakRssMiB: Number((peakRss() / 2 ** 20).toFixed(1)),
  heapTotalMiB: Number((Deno.memoryUsage().heapTotal / 2 ** 20).toFixed(1)),
  firstWrongByte: wrong,
}));
