// Copyright 2026 the xenpv authors. MIT license.
// putFile/getFile throughput on the simulated guests, beside the console's
// raw rate (a command printing as many characters as the copy's base64
// would: what the console carries with no copy protocol at all). Run alone:
//   deno run --allow-ffi bench/files_compare.ts [KiB]
// or as part of `deno task bench` (bench/report.ts). Prints a table and,
// last, one JSON line. The numbers are the simulation's (its ring and its
// guests are in this process); the ratios are what a copy's protocol costs.

import { connect } from "../mod.ts";
import { SimulatedHost } from "../sim/mod.ts";
import { ConsoleSession } from "../xencons/mod.ts";

const KIB = Number(Deno.args[0] ?? 256);
const SIZE = KIB * 1024;

const GUESTS = {
  linux: { user: "root", password: "xenpv", path: "/root/bench.bin", raw: "/root/raw.txt" },
  windows: {
    user: "Administrator",
    password: "xenpv",
    path: "C:\\Users\\Administrator\\bench.bin",
    raw: "C:\\Users\\Administrator\\raw.txt",
  },
} as const;

const rows: Record<string, Record<string, number>> = {};
for (
  const [dialect, g] of Object.entries(GUESTS) as [
    keyof typeof GUESTS,
    typeof GUESTS[keyof typeof GUESTS],
  ][]
) {
  await using host = new SimulatedHost();
  await host.createGuest({ name: "b1", program: dialect });
  await using session = new ConsoleSession(await connect("b1", { host }), {
    dialect,
    ownsConsole: true,
    timeout: 120_000,
  });
  await session.login({ user: g.user, password: g.password });
  const data = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  const put = await session.putFile(data, g.path, { stepTimeout: 120_000 });
  const got = await session.getFile(g.path, { stepTimeout: 120_000 });
  if (got.data.length !== SIZE) throw new Error("lost bytes");
  // The raw rate: the same number of base64 characters printed by one command.
  const text = new TextEncoder().encode(
    ("A".repeat(76) + "\n").repeat(Math.ceil(SIZE * 4 / 3 / 77)),
  );
  await session.putFile(text, g.raw, { stepTimeout: 120_000 });
  const started = performance.now();
  const r = await session.run(dialect === "linux" ? `cat ${g.raw}` : `type ${g.raw}`, {
    maxOutput: 4 * text.length,
    signal: AbortSignal.timeout(120_000),
  });
  const rawMs = performance.now() - started;
  const raw = r.output.length / (rawMs / 1000) * 3 / 4; // file bytes per second the text could carry
  rows[dialect] = {
    putKiBps: put.bytesPerSecond / 1024,
    getKiBps: got.bytesPerSecond / 1024,
    rawKiBps: raw / 1024,
    putShare: put.bytesPerSecond / raw,
    getShare: got.bytesPerSecond / raw,
  };
  await session.logout();
}

console.log(`putFile/getFile of ${KIB} KiB on the simulated guests (KiB/s of the file)`);
console.log("guest    put      get      raw      put/raw  get/raw");
for (const [name, r] of Object.entries(rows)) {
  const f = (n: number) => n.toFixed(1).padStart(8);
  console.log(
    `${name.padEnd(8)}${f(r.putKiBps)} ${f(r.getKiBps)} ${f(r.rawKiBps)}   ${
      (r.putShare * 100).toFixed(1).padStart(5)
    }%  ${(r.getShare * 100).toFixed(1).padStart(5)}%`,
  );
}
const flat: Record<string, number> = { kib: KIB };
for (const [name, r] of Object.entries(rows)) {
  for (const [k, v] of Object.entries(r)) flat[`${name}.${k}`] = v;
}
console.log(JSON.stringify(flat));
