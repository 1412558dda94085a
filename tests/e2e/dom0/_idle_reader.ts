// Copyright 2026 the xenpv authors. MIT license.
// Idle cost on real Xen: attaches to a silent guest's console in ring mode
// (waiting on /dev/xen/evtchn through the poll helper, as `attach` does) in a
// process of its own, lets start-up settle (V8's memory reducer runs one
// mark-compact about 30 s in), then measures this process's CPU time
// (getrusage) over a quiet period, with nothing else waking it. With "-" for
// the guest it attaches to nothing: the same process asleep, the control
// (under QEMU TCG even one timer's wake-up costs milliseconds).
//
//   deno run -A tests/e2e/dom0/_idle_reader.ts <guest|-> <settle seconds> <seconds>
//
// Prints one JSON line: seconds, cpuMs and cpuMsPerMinute of the quiet
// period, and the bytes the guest printed meanwhile (0 for a silent guest).

import process from "node:process";
import { connect, type XenConsole } from "../../../mod.ts";

const [guest, settleArg, secondsArg] = Deno.args;
const settle = Number(settleArg);
const seconds = Number(secondsArg);
if (!guest || !(settle >= 0) || !(seconds > 0)) {
  throw new TypeError("usage: _idle_reader.ts <guest|-> <settle seconds> <seconds>");
}
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let attached: XenConsole | undefined;
let printed = 0;
let reading: Promise<void> = Promise.resolve();
if (guest !== "-") {
  attached = await connect(guest, { mode: "ring" });
  const reader = attached.readable.getReader();
  reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      printed += value.length;
    }
  })().catch(() => {});
}
await sleep(settle * 1000);
const before = cpuMs();
const printedBefore = printed;
await sleep(seconds * 1000);
const used = cpuMs() - before;
console.log(JSON.stringify({
  seconds,
  cpuMs: Number(used.toFixed(2)),
  cpuMsPerMinute: Number((used * 60 / seconds).toFixed(1)),
  printedMeanwhile: printed - printedBefore,
}));
await attached?.close();
await reading;
