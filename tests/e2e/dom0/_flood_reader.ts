// Copyright 2026 the xenpv authors. MIT license.
// The dom0 side of the e2e's big flood, in a process of its own so that its
// memory is the reader's alone: attaches to a guest's console in ring mode
// (xenconsoled stopped), starts `xpvguest flood <bytes>` on the guest's shell,
// and reads the flood with a BYOB reader into one reused 64 KiB buffer,
// napping 1 ms every 256 KiB (a slow reader: the full ring holds the guest
// back, nothing queues up in dom0). Every record is checked as it arrives
// (FloodCheck); nothing is kept.
//
//   deno run -A tests/e2e/dom0/_flood_reader.ts <guest> <bytes>
//
// Prints one JSON line: bytes, seconds, peak RSS (VmHWM), peak private memory
// (RssAnon, sampled every 5 ms), the binary's pages mapped from disk (RssFile),
// and the first wrong byte (-1: none).

import { connect } from "../../../mod.ts";
import { FloodCheck } from "./_flood_check.ts";

const [guest, bytesArg] = Deno.args;
const total = Number(bytesArg);
if (!guest || !Number.isSafeInteger(total) || total <= 0) {
  throw new TypeError("usage: _flood_reader.ts <guest> <bytes>");
}

function status(field: string): number {
  const text = Deno.readTextFileSync("/proc/self/status");
  return Number(text.match(new RegExp(`${field}:\\s+(\\d+) kB`))![1]) * 1024;
}
let peakAnon = 0;
const sampler = setInterval(() => peakAnon = Math.max(peakAnon, status("RssAnon")), 5);

await using xc = await connect(guest, { mode: "ring" });
const writer = xc.writable.getWriter();
await writer.write(new TextEncoder().encode(`xpvguest flood ${total}\r`));
writer.releaseLock();

const check = new FloodCheck(total);
const reader = xc.readable.getReader({ mode: "byob" });
let buffer = new ArrayBuffer(64 * 1024);
let nextNap = 256 * 1024;
while (!check.done) {
  const { value, done } = await reader.read(new Uint8Array(buffer));
  if (done) throw new Error(`the console ended after ${check.body} bytes of the flood`);
  buffer = value.buffer; // the same memory, handed back
  check.push(value);
  if (check.body >= nextNap) {
    nextNap += 256 * 1024;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
const seconds = (performance.now() - check.started) / 1000;
reader.releaseLock();
clearInterval(sampler);
peakAnon = Math.max(peakAnon, status("RssAnon"));
console.log(JSON.stringify({
  bytes: check.body,
  seconds: Number(seconds.toFixed(2)),
  bytesPerSecond: Math.round(check.body / seconds),
  peakRssMiB: Number((status("VmHWM") / 2 ** 20).toFixed(1)),
  peakAnonMiB: Number((peakAnon / 2 ** 20).toFixed(1)),
  fileMiB: Number((status("RssFile") / 2 ** 20).toFixed(1)),
  firstWrongByte: check.wrong,
}));
