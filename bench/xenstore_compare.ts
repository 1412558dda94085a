// Copyright 2026 the xenpv authors. MIT license.
// `deno task bench`: one xenstore server (examples/xenstored.ts, its own
// process), three clients in turn, same node, same machine, one run:
//   - xenpv's client, sequential and with 64 requests in flight
//   - libxenstore (bench/xs_bench.c, built here against libxen-dev)
//   - pyxs (python3-pyxs)
// Prints ops/s and ratios, and a BENCH_JSON line for bench/report.ts, which
// writes README.md's performance table.

import { parseArgs } from "node:util";
import { XenstoreClient } from "../xenstore/mod.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    count: { type: "string", default: "20000" },
  },
});
const count = Number(args.values.count);
const here = new URL(".", import.meta.url).pathname;
const socket = `/tmp/xenpv-bench-${Deno.pid}.sock`;
const node = "/bench/value";

async function sh(cmd: string, argv: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args: argv, env, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${argv.join(" ")} failed: ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

function rate(line: string): number {
  const [ops, secs] = line.trim().split(/\s+/).map(Number);
  return ops / secs;
}

const server = new Deno.Command(Deno.execPath(), {
  args: ["run", "--allow-ffi", `${here}../examples/xenstored.ts`, "--socket", socket],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = server.stdout.getReader();
await reader.read();
reader.releaseLock();
await server.stdout.cancel();

const results: { name: string; opsPerSec: number }[] = [];
try {
  const client = await XenstoreClient.connect({ path: socket });
  await client.write(node, "x".repeat(32));

  // xenpv, sequential
  for (let i = 0; i < 500; i++) await client.read(node);
  let t = performance.now();
  for (let i = 0; i < count; i++) await client.read(node);
  results.push({ name: "xenpv sequential", opsPerSec: count / ((performance.now() - t) / 1000) });

  // xenpv, 64 in flight
  const window = 64;
  t = performance.now();
  let issued = 0;
  await Promise.all(Array.from({ length: window }, async () => {
    while (issued < count) {
      issued++;
      await client.read(node);
    }
  }));
  results.push({ name: "xenpv 64 in flight", opsPerSec: count / ((performance.now() - t) / 1000) });
  await client.close();

  // libxenstore
  const build = `${here}.build`;
  await Deno.mkdir(build, { recursive: true });
  await sh("cc", ["-O2", "-o", `${build}/xs_bench`, `${here}xs_bench.c`, "-lxenstore"]);
  const c = await sh(`${build}/xs_bench`, [node, String(count)], { XENSTORED_PATH: socket });
  results.push({ name: "libxenstore sequential (C)", opsPerSec: rate(c) });

  // pyxs
  const py = await sh("/usr/bin/python3", [`${here}pyxs_bench.py`, socket, node, String(count)]);
  results.push({ name: "pyxs sequential", opsPerSec: rate(py) });
} finally {
  server.kill("SIGTERM");
  await server.status;
}

const by = Object.fromEntries(results.map((r) => [r.name, r.opsPerSec]));
const seq = by["xenpv sequential"];
const pipe = by["xenpv 64 in flight"];
const c = by["libxenstore sequential (C)"];
const py = by["pyxs sequential"];
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const lines = [
  `READ of a 32-byte value, ${count} ops each, one server process (our in-memory xenstored on a`,
  `unix socket), measured ${
    new Date().toISOString().slice(0, 10)
  } on this project's 2-core CI machine.`,
  "",
  "| client | ops/s |",
  "| --- | ---: |",
  ...results.map((r) => `| ${r.name} | ${Math.round(r.opsPerSec)} |`),
  "",
  "| comparison | ratio | target |",
  "| --- | ---: | ---: |",
  `| xenpv sequential / libxenstore | ${ratio(seq, c)} | >= 1x |`,
  `| xenpv 64 in flight / libxenstore | ${ratio(pipe, c)} | >= 3x |`,
  `| xenpv sequential / pyxs | ${ratio(seq, py)} | >= 5x |`,
];
const table = lines.join("\n");
console.log(table);
console.log(`BENCH_JSON ${JSON.stringify({ seq, pipelined: pipe, libxenstore: c, pyxs: py })}`);
