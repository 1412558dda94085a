// Copyright 2026 the xenpv authors. MIT license.
// Flood: a guest writes N MB to its console as fast as the ring takes it; a
// slow reader (a 1 ms nap every 256 KiB) reads it through connect() in ring
// mode (we are the backend) or pty mode (through the simulated xenconsoled
// and a real pty). Every byte is checked in order. A script, run in a process
// of its own by flood_test.ts and, as bench/flood.ts, by `deno task bench`.
//
//   deno run -A bench/flood.ts [--mode ring|pty] [--mb 100] [--reader byob|default]
//                              [--guest process|inline] [--text] [--record FILE]
//
// --text: the guest prints lines of printable ASCII (a log) instead of binary
// bytes. --record FILE: the reader records what it reads in asciinema's format
// (xencons' Recorder, as attach.ts --record does), to weigh what recording costs.
// --guest process (the default in ring mode): the guest, with its page and
// its xenstore, runs in a process of its own (tests/console/_flood_guest.ts),
// so what is measured is the reader alone, as a dom0 tool. --guest inline:
// the whole simulated host runs in this process (SimulatedHost), as pty mode
// needs. --reader byob reads into one reused buffer; default lets the stream
// allocate each chunk.
//
// Prints one JSON line: bytes, seconds, MB/s, this process's peak RSS
// (VmHWM), its peak private memory (RssAnon, sampled every 5 ms), the pages
// of the deno binary mapped from disk (RssFile) at the end, and where the
// first wrong byte was (-1: none), and the CPU this process used (user + system).
//
// pty mode with a slow reader loses data by design: xenconsoled keeps at most
// its buffer limit and drops the middle of the rest (the simulated one does
// the same), so pty mode is measured with --mb at most 1.

import { parseArgs } from "node:util";
// Only what a dom0 reader needs (connect()), so that the simulated host's and
// the session layer's modules, which importing the package root also loads
// (1.5-2 MiB more here), are not counted as the flood's; the inline guest
// loads the simulated host when asked for.
import { connect } from "../../console/connect.ts";
import type { XenHost } from "../../console/host.ts";
import { expected, processGuest } from "./_flood_guest.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    mode: { type: "string", default: "ring" },
    mb: { type: "string", default: "100" },
    reader: { type: "string", default: "byob" },
    guest: { type: "string" },
    text: { type: "boolean", default: false },
    record: { type: "string" },
  },
});
const text = values.text;
const mode = values.mode === "pty" ? "pty" : "ring";
const reader = values.reader === "default" ? "default" : "byob";
const guestKind = values.guest ?? (mode === "ring" ? "process" : "inline");
if (guestKind !== "process" && guestKind !== "inline") {
  throw new TypeError(`--guest must be process or inline, got ${guestKind}`);
}
if (guestKind === "process" && mode === "pty") {
  throw new TypeError("pty mode needs the simulated xenconsoled: --guest inline");
}
const total = Number(values.mb) * 1024 * 1024;
if (!Number.isInteger(total) || total <= 0) throw new RangeError(`--mb must be positive`);

function status(field: string): number {
  const text = Deno.readTextFileSync("/proc/self/status");
  return Number(text.match(new RegExp(`${field}:\\s+(\\d+) kB`))![1]) * 1024;
}

// The kernel keeps the peak of the whole RSS (VmHWM) but not of its private
// part (RssAnon: heaps, stacks; not the deno binary's pages mapped from
// disk), so that is sampled.
let peakAnon = 0;
const sampler = setInterval(() => peakAnon = Math.max(peakAnon, status("RssAnon")), 5);

/** The inline guest: the simulated host's, in this process. */
async function inlineGuest(): Promise<{ host: XenHost; domid: number } & AsyncDisposable> {
  const { SimulatedHost } = await import("../../sim/mod.ts");
  const host = new SimulatedHost();
  const guest = await host.createGuest({
    name: "flood",
    xenconsoled: mode === "pty",
    program: () => {
      let running = true;
      return {
        start: async (console) => {
          const chunk = new Uint8Array(64 * 1024);
          for (let at = 0; at < total && running; at += chunk.length) {
            const n = Math.min(chunk.length, total - at);
            for (let i = 0; i < n; i++) chunk[i] = expected(at + i, text);
            console.write(chunk.subarray(0, n));
            await console.drained!(); // a blocking write: the guest goes as fast as the ring takes
          }
        },
        input: () => {},
        stop: () => running = false,
      };
    },
  });
  return { host, domid: guest.domid, [Symbol.asyncDispose]: () => host.close() };
}

/** This process's CPU time (user + system) so far, in ms (clock ticks of 10 ms). */
function cpuMs(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime
}

await using guest = guestKind === "process"
  ? await processGuest(total, 0, text)
  : await inlineGuest();
await using c = await connect(guest.domid, { host: guest.host, mode });
const recorder = values.record === undefined ? undefined : await (async () => {
  const { Recorder } = await import("../../xencons/recorder.ts");
  return Recorder.open(values.record!, { guest: { name: "flood", kind: "pv" } });
})();
const cpuBefore = cpuMs();
const started = performance.now();
let got = 0;
let wrong = -1;
let nextNap = 256 * 1024;
/** The console's output, chunk by chunk: into one reused buffer (BYOB), or as the stream allocates. */
async function* chunks(): AsyncGenerator<Uint8Array> {
  if (reader === "default") {
    yield* c.readable;
    return;
  }
  const r = c.readable.getReader({ mode: "byob" });
  let buffer = new ArrayBuffer(64 * 1024);
  for (;;) {
    const { value, done } = await r.read(new Uint8Array(buffer));
    if (done) return;
    yield value;
    buffer = value.buffer; // the same memory, handed back by the stream
  }
}
for await (const chunk of chunks()) {
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] !== expected(got + i, text) && wrong < 0) wrong = got + i;
  }
  await recorder?.output(chunk);
  got += chunk.length;
  if (got >= nextNap) {
    nextNap += 256 * 1024;
    await new Promise((r) => setTimeout(r, 1)); // the slow reader
  }
  if (got >= total) break;
}
await recorder?.close();
const cpu = cpuMs() - cpuBefore;
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
peakAnon = Math.max(peakAnon, status("RssAnon"));
console.log(JSON.stringify({
  mode,
  reader,
  guest: guestKind,
  text,
  recorded: recorder !== undefined,
  bytes: got,
  cpuMs: cpu,
  seconds: Number(seconds.toFixed(2)),
  mbps: Number((got / seconds / 1e6).toFixed(1)),
  peakRssMiB: Number((status("VmHWM") / 2 ** 20).toFixed(1)),
  peakAnonMiB: Number((peakAnon / 2 ** 20).toFixed(1)),
  fileMiB: Number((status("RssFile") / 2 ** 20).toFixed(1)),
  heapTotalMiB: Number((Deno.memoryUsage().heapTotal / 2 ** 20).toFixed(1)),
  firstWrongByte: wrong,
}));
