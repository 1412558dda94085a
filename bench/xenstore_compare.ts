// Copyright 2026 the xenpv authors. MIT license.
// `deno task bench`: one xenstore server (examples/xenstored.ts, its own
// process), three clients in turn, same node, same machine, one run, twice:
// on the fast path (server and client granted Deno's own unix sockets) and
// through libc only (`--allow-ffi`, what every program may rely on):
//   - xenpv's client, sequential and with 64 requests in flight, and
//     sequential with blocking waits (`blockingWaitUs`, over libc: the
//     client's own transport then, whichever way the server listens)
//   - libxenstore (bench/xs_bench.c, built here against libxen-dev)
//   - pyxs (python3-pyxs)
// The sequential runs are interleaved in short rounds: rates are the median
// round's, ratios to libxenstore the median of the rounds' ratios.
// Prints ops/s and ratios, and a BENCH_JSON line for bench/report.ts, which
// writes docs/performance.md's table.

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
/** The bound of the blocking waits measured (`blockingWaitUs`). */
const BLOCKING_US = 5000;

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

/** Our client's sequential READ rate, `n` requests. */
async function sequential(client: XenstoreClient, n: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) await client.read(node);
  return (performance.now() - t) / 1000;
}

/** Seconds libxenstore takes for `n` sequential READs. */
async function libxenstore(n: number): Promise<number> {
  const [ops, secs] = (await sh(`${build}/xs_bench`, [node, String(n)], { XENSTORED_PATH: socket }))
    .trim().split(/\s+/).map(Number);
  return ops === n ? secs : NaN;
}

/** The median of `values`. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Rounds of the sequential comparison (each `count / ROUNDS` READs per client). */
const ROUNDS = 10;

/**
 * One server, all clients: our client (sequential, with blocking waits, 64
 * in flight), libxenstore and pyxs. The server is warmed up first (its JIT).
 * The sequential runs of our client (both ways) and of libxenstore are
 * interleaved in `ROUNDS` short rounds, their order rotating, so that a slow
 * spell of the shared machine falls on all of them alike; each rate is the
 * median round's, each ratio the median of the rounds' ratios.
 */
async function round(fast: boolean): Promise<Record<string, number>> {
  const server = await startServer(fast);
  const out: Record<string, number> = {};
  try {
    const client = await XenstoreClient.connect({
      path: socket,
      transport: fast ? "deno" : "libc",
    });
    const blocking = await XenstoreClient.connect({ path: socket, blockingWaitUs: BLOCKING_US });
    await client.write(node, "x".repeat(32));
    for (let i = 0; i < 3000; i++) await client.read(node); // warms the server too
    for (let i = 0; i < 3000; i++) await blocking.read(node);
    const per = Math.round(count / ROUNDS);
    const runs: Record<string, () => Promise<number>> = {
      seq: () => sequential(client, per),
      block: () => sequential(blocking, per),
      libxenstore: () => libxenstore(per),
    };
    const names = Object.keys(runs);
    const secs: Record<string, number[]> = { seq: [], block: [], libxenstore: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(r + k) % names.length];
        secs[name].push(await runs[name]());
      }
    }
    for (const name of names) out[name] = per / median(secs[name]);
    out.seqRatio = median(secs.seq.map((s, r) => secs.libxenstore[r] / s));
    out.blockRatio = median(secs.block.map((s, r) => secs.libxenstore[r] / s));
    await blocking.close();
    const window = 64;
    const t = performance.now();
    let issued = 0;
    await Promise.all(Array.from({ length: window }, async () => {
      while (issued < count) {
        issued++;
        await client.read(node);
      }
    }));
    out.pipelined = count / ((performance.now() - t) / 1000);
    await client.close();
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
  { name: `xenpv sequential, blocking waits (${BLOCKING_US} µs, libc)`, opsPerSec: fast.block },
  { name: "libxenstore sequential (C), same server", opsPerSec: fast.libxenstore },
  { name: "pyxs sequential, same server", opsPerSec: fast.pyxs },
  { name: "xenpv sequential (libc, --allow-ffi only)", opsPerSec: ffi.seq },
  { name: "xenpv 64 in flight (libc)", opsPerSec: ffi.pipelined },
  {
    name: `xenpv sequential, blocking waits (${BLOCKING_US} µs), libc server`,
    opsPerSec: ffi.block,
  },
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
  `| sequential / libxenstore (median round) | ${fast.seqRatio.toFixed(2)}x | ${
    ffi.seqRatio.toFixed(2)
  }x | >= 1x |`,
  `| 64 in flight / libxenstore | ${ratio(fast.pipelined, fast.libxenstore)} | ${
    ratio(ffi.pipelined, ffi.libxenstore)
  } | >= 3x |`,
  `| sequential / pyxs | ${ratio(fast.seq, fast.pyxs)} | ${ratio(ffi.seq, ffi.pyxs)} | >= 1.5x |`,
  `| blocking waits / libxenstore (median round) | ${fast.blockRatio.toFixed(2)}x | ${
    ffi.blockRatio.toFixed(2)
  }x | >= 1x |`,
  `| blocking waits / pyxs | ${ratio(fast.block, fast.pyxs)} | ${
    ratio(ffi.block, ffi.pyxs)
  } | >= 1.5x |`,
];
console.log(lines.join("\n"));
console.log(`BENCH_JSON ${JSON.stringify({ fast, ffi })}`);
