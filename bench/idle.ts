// Copyright 2026 the xenpv authors. MIT license.
// Idle cost: attach to a guest that prints nothing and measure this
// process's CPU time (getrusage via process.cpuUsage()) over a quiet
// period, in ring mode (we wait on the event channel) and in pty mode (we
// wait in poll() on the pty). The simulated guest and xenconsoled run in this
// process too, so the figure includes them. Prints one JSON line per mode.
//
//   deno run -A bench/idle.ts [--seconds 30]

import { parseArgs } from "node:util";
import process from "node:process";
import { connect } from "../mod.ts";
import { SimulatedHost } from "../sim/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { seconds: { type: "string", default: "30" } },
});
const seconds = Number(values.seconds);

/** CPU time (user + system) of this process so far, in ms (getrusage, µs resolution). */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

for (const mode of ["pty", "ring"] as const) {
  await using host = new SimulatedHost();
  await host.createGuest({
    name: "quiet",
    xenconsoled: mode === "pty",
    program: () => ({ start: () => {}, input: () => {}, stop: () => {} }),
  });
  await using c = await connect("quiet", { host, mode });
  const reader = c.readable.getReader();
  const pending = reader.read(); // attached and waiting, as `attach` is
  // Past start-up: V8's memory reducer runs one mark-compact about 30 s in
  // (measured: one 30-40 ms step, once); the steady state is what we report.
  await new Promise((r) => setTimeout(r, 40_000));
  const before = cpuMs();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = cpuMs() - before;
  console.log(JSON.stringify({
    mode,
    seconds,
    cpuMs: Number(used.toFixed(2)),
    cpuMsPerMinute: Number((used * 60 / seconds).toFixed(1)),
  }));
  await reader.cancel();
  await pending.catch(() => {});
}
