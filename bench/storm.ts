// Copyright 2026 the xenpv authors. MIT license.
// A hostile guest that notifies as fast as it can without writing anything
// (tests/console/_flood_guest.ts --storm, in a process of its own): the CPU time the
// ring-mode reader in this process spends over the storm, then that the
// output after it still arrives whole. Prints one JSON line.
//
//   deno run -A bench/storm.ts [--seconds 5]

import { parseArgs } from "node:util";
import process from "node:process";
import { connect } from "../mod.ts";
import { processGuest } from "../tests/console/_flood_guest.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { seconds: { type: "string", default: "5" } },
});
const seconds = Number(values.seconds);
const AFTER = 1 << 20;

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

await using guest = await processGuest(AFTER, seconds);
await using c = await connect(guest.domid, { host: guest.host, mode: "ring" });
const reader = c.readable.getReader();
const before = cpuMs();
const start = performance.now();
let received = 0;
let stormCpu: number | undefined;
while (received < AFTER) {
  const { value, done } = await reader.read();
  if (done) break;
  if (stormCpu === undefined) stormCpu = cpuMs() - before; // the first byte ends the storm
  received += value.length;
}
const stormMs = seconds * 1000;
console.log(JSON.stringify({
  stormSeconds: seconds,
  readerCpuMs: Number(stormCpu?.toFixed(1)),
  readerCpuPercent: Number(((stormCpu ?? 0) / stormMs * 100).toFixed(1)),
  bytesAfter: received,
  wallMs: Math.round(performance.now() - start),
}));
reader.releaseLock();
