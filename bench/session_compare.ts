// Copyright 2026 the xenpv authors. MIT license.
// run() round trips per second on the simulated Windows guest, through the
// simulated xenconsoled's pty, beside pexpect (python3-pexpect) running the
// same marker protocol over the same pty, in one run. Each run is a full
// command: `hostname`, its output and its %ERRORLEVEL%.

import { connect } from "../mod.ts";
import { SimulatedHost } from "../sim/mod.ts";
import { ConsoleSession } from "../xencons/mod.ts";

const N = Number(Deno.env.get("SESSION_RUNS") ?? 500);
const here = new URL(".", import.meta.url).pathname;

await using host = new SimulatedHost();
const guest = await host.createGuest({ name: "bench", program: "windows" });

async function xenpv(): Promise<number> {
  await using session = new ConsoleSession(await connect("bench", { host }), {
    dialect: "windows",
    ownsConsole: true,
  });
  await session.login({ user: "Administrator", password: "xenpv" });
  for (let i = 0; i < 20; i++) await session.run("hostname");
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    const r = await session.run("hostname");
    if (r.output !== "BENCH\n" || r.exitCode !== 0) {
      throw new Error(`bad result ${JSON.stringify(r)}`);
    }
  }
  const perSecond = N / ((performance.now() - t) / 1000);
  await session.logout();
  return perSecond;
}

async function pexpect(): Promise<number> {
  const xs = await host.openXenstore();
  const tty = await xs.readString(`/local/domain/${guest.domid}/console/tty`);
  await xs.close();
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [`${here}pexpect_run.py`, tty, "Administrator", "xenpv", String(N)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`pexpect failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout)).per_second;
}

const ours = await xenpv();
const theirs = await pexpect();
console.log(`run() round trips, ${N} runs of "hostname" on the simulated Windows guest (pty):`);
console.log(`  xenpv ConsoleSession.run   ${ours.toFixed(0)} runs/s`);
console.log(`  pexpect (same protocol)    ${theirs.toFixed(0)} runs/s`);
console.log(`  ratio xenpv / pexpect      ${(ours / theirs).toFixed(2)}x`);
console.log(`BENCH_JSON ${JSON.stringify({ xenpv: ours, pexpect: theirs })}`);
