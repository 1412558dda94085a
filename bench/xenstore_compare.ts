// Copyright 2026 the xenpv authors. MIT license.
// `deno task bench`: one xenstore server (examples/xenstored.ts, its own
// process), three clients in turn, same node, same machine, one run, twice:
// on the fast path (server and client granted Deno's own unix sockets) and
// through libc only (`--allow-ffi`, what every program may rely on):
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

/** Starts the server: with libc sockets only (`--allow-ffi`), or granted Deno's (`--allow-read/write`). */
async function startServer(fast: boolean): Promise<Deno.ChildProcess> {
  const flags = fast
    ? [
      "--allow-ffi",
      `--allow-read=${socket}`,
      `--allow-write=${socket}`,
      `--allow-net=unix:${socket}`,
    ]
    : [
      "--allow-ffi",
    ];
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, `${here}../examples/xenstored.ts`, "--socket", socket],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = server.stdout.getReader();
  await reader.read();
  reader.releaseLock();
  await server.stdout.cancel();
  return server;
}

const build = `${here}.build`;
await Deno.mkdir(build, { recursive: true });
await sh("cc", ["-O2", "-o", `${build}/xs_bench`, `${here}xs_bench.c`, "-lxenstore"]);

/** One round: our client (sequential, 64 in flight), libxenstore and pyxs against one server. */
async function round(fast: boolean): Promise<Record<string, number>> {
  const server = await startServer(fast);
  const out: Record<string, number> = {};
  try {
    const client = await XenstoreClient.connect({
      path: socket,
      transport: fast ? "deno" : "libc",
    });
    await client.write(node, "x".repeat(32));
    for (let i = 0; i < 500; i++) await client.read(node);
    let t = performance.now();
    for (let i = 0; i < count; i++) await client.read(node);
    out.seq = count / ((performance.now() - t) / 1000);
    const window = 64;
    t = performance.now();
    let issued = 0;
    await Promise.all(Array.from({ length: window }, async () => {
      while (issued < count) {
        issued++;
        await client.read(node);
      }
    }));
    out.pipelined = count / ((performance.now() - t) / 1000);
    await client.close();
    out.libxenstore = rate(
      await sh(`${build}/xs_bench`, [node, String(count)], { XENSTORED_PATH: socket }),
    );
    out.pyxs = rate(
      await sh("/usr/bin/python3", [`${here}pyxs_bench.py`, socket, node, String(count)]),
    );
  } finally {
    server.kill("SIGTERM");
    await server.status;
  }
  return out;
}

// The fast path (server and client on Deno's sockets), then libc through FFI only.
const fast = await round(true);
const ffi = await round(false);
const results = [
  { name: "xenpv sequential (Deno sockets)", opsPerSec: fast.seq },
  { name: "xenpv 64 in flight (Deno sockets)", opsPerSec: fast.pipelined },
  { name: "libxenstore sequential (C), same server", opsPerSec: fast.libxenstore },
  { name: "pyxs sequential, same server", opsPerSec: fast.pyxs },
  { name: "xenpv sequential (libc, --allow-ffi only)", opsPerSec: ffi.seq },
  { name: "xenpv 64 in flight (libc)", opsPerSec: ffi.pipelined },
  { name: "libxenstore sequential (C), libc server", opsPerSec: ffi.libxenstore },
  { name: "pyxs sequential, libc server", opsPerSec: ffi.pyxs },
];

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const lines = [
  `READ of a 32-byte value, ${count} ops each, one server process (our in-memory xenstored on a`,
  `unix socket), measured ${
    new Date().toISOString().slice(0, 10)
  } on this project's 2-core machine.`,
  "",
  "| client | ops/s |",
  "| --- | ---: |",
  ...results.map((r) => `| ${r.name} | ${Math.round(r.opsPerSec)} |`),
  "",
  "| comparison | fast path | libc only | target |",
  "| --- | ---: | ---: | ---: |",
  `| sequential / libxenstore | ${ratio(fast.seq, fast.libxenstore)} | ${
    ratio(ffi.seq, ffi.libxenstore)
  } | >= 1x |`,
  `| 64 in flight / libxenstore | ${ratio(fast.pipelined, fast.libxenstore)} | ${
    ratio(ffi.pipelined, ffi.libxenstore)
  } | >= 3x |`,
  `| sequential / pyxs | ${ratio(fast.seq, fast.pyxs)} | ${ratio(ffi.seq, ffi.pyxs)} | >= 1.5x |`,
];
console.log(lines.join("\n"));
console.log(`BENCH_JSON ${JSON.stringify({ fast, ffi })}`);
