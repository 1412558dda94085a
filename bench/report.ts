// Copyright 2026 the xenpv authors. MIT license.
// The performance table: runs every comparison in one go, each in its own
// process (xenstore vs libxenstore and pyxs, ring vs a C reader, run() vs
// pexpect, the 100 MiB flood, the idle cost, a notification storm) and prints one table of ratios
// and targets. `--update-docs` writes it into docs/performance.md between the
// bench:summary markers. Part of `deno task bench`.

import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: { "update-docs": { type: "boolean", default: false } },
});
const here = new URL(".", import.meta.url).pathname;
const dec = new TextDecoder();

/** Scripts that need V8 flags: the recorder's bench collects garbage itself. */
const V8_FLAGS: Record<string, string[]> = { "record.ts": ["--v8-flags=--expose-gc"] };

/** Runs a bench script; returns its JSON lines (BENCH_JSON-prefixed or bare objects). */
async function run(script: string, ...args: string[]): Promise<Record<string, number>[]> {
  console.error(`running ${script} ${args.join(" ")}`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...(V8_FLAGS[script] ?? []), `${here}${script}`, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = dec.decode(out.stdout);
  if (!out.success) throw new Error(`${script} failed:\n${text}`);
  return text.split("\n")
    .map((l) => l.replace(/^BENCH_JSON /, ""))
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}

const [xs] = await run("xenstore_compare.ts") as unknown as {
  fast: Record<string, number>;
  ffi: Record<string, number>;
}[];
const [manyLibc] = await run("connect_many.ts", "--transport", "libc");
const [manyDeno] = await run("connect_many.ts", "--transport", "deno");
const many = { libc: manyLibc.msPerConnect, deno: manyDeno.msPerConnect };
const [ring] = await run("ring_compare.ts");
const [session] = await run("session_compare.ts");
// The reader alone, as in dom0: the guest (page, xenstore, event channel) in a process of its own.
const [flood] = await run("flood.ts", "--mode", "ring", "--mb", "100", "--guest", "process");
// Everything in one process (the simulated host), the stream allocating each chunk.
const [floodInline] = await run(
  "flood.ts",
  "--mode",
  "ring",
  "--mb",
  "100",
  "--guest",
  "inline",
  "--reader",
  "default",
);
// A guest printing 100 MiB of text, read as above, recorded in asciicast (as attach.ts --record) or not.
const floodText = ["--mode", "ring", "--mb", "100", "--guest", "process", "--text"];
const [floodPlain] = await run("flood.ts", ...floodText);
const castDir = await Deno.makeTempDir();
const [floodRecorded] = await run("flood.ts", ...floodText, "--record", `${castDir}/flood.cast`);
await Deno.remove(castDir, { recursive: true });
const [recordMemory] = await run("record.ts");
const idle = await run("idle.ts");
// A hostile guest notifying without writing, in its own process, for 5 s.
const [storm] = await run("storm.ts", "--seconds", "5");
const idleOf = (mode: string) => idle.find((r) => (r.mode as unknown) === mode)!.cpuMsPerMinute;

const x = (v: number) => `${v.toFixed(2)}x`;
const n = (v: number, digits = 0) => v.toLocaleString("en-US", { maximumFractionDigits: digits });
const met = (ok: boolean) => ok ? "met" : "**not met**";
const rows: string[][] = [
  [
    "xenstore READ, sequential, vs libxenstore (C): fast path (Deno's unix sockets)",
    `${n(xs.fast.seq)} / ${n(xs.fast.libxenstore)} ops/s`,
    x(xs.fast.seqRatio),
    ">= 1x",
    met(xs.fast.seqRatio >= 1),
  ],
  [
    "same, vs pyxs",
    `${n(xs.fast.seq)} / ${n(xs.fast.pyxs)} ops/s`,
    x(xs.fast.seq / xs.fast.pyxs),
    ">= 1.5x",
    met(xs.fast.seq >= 1.5 * xs.fast.pyxs),
  ],
  [
    "xenstore READ, 64 in flight, vs libxenstore (C): fast path",
    `${n(xs.fast.pipelined)} / ${n(xs.fast.libxenstore)} ops/s`,
    x(xs.fast.pipelined / xs.fast.libxenstore),
    ">= 3x",
    met(xs.fast.pipelined >= 3 * xs.fast.libxenstore),
  ],
  [
    "xenstore READ, sequential, vs libxenstore (C): libc only (--allow-ffi)",
    `${n(xs.ffi.seq)} / ${n(xs.ffi.libxenstore)} ops/s`,
    x(xs.ffi.seqRatio),
    "-",
    "-",
  ],
  [
    "xenstore READ, 64 in flight, vs libxenstore (C): libc only",
    `${n(xs.ffi.pipelined)} / ${n(xs.ffi.libxenstore)} ops/s`,
    x(xs.ffi.pipelined / xs.ffi.libxenstore),
    ">= 3x",
    met(xs.ffi.pipelined >= 3 * xs.ffi.libxenstore),
  ],
  [
    'connect("name") among 200 guests, then close (ring mode; libc / Deno sockets)',
    `${n(many.libc, 1)} / ${n(many.deno, 1)} ms`,
    "-",
    "-",
    "-",
  ],
  [
    "console ring read vs C reader (gcc -O2)",
    `${n(ring.deno)} / ${n(ring.c)} MB/s`,
    x(ring.deno / ring.c),
    "-",
    "-",
  ],
  [
    "run() round trips vs pexpect (same pty, same protocol)",
    `${n(session.xenpv)} / ${n(session.pexpect)} runs/s`,
    x(session.xenpv / session.pexpect),
    "> 1x",
    met(session.xenpv > session.pexpect),
  ],
  [
    "100 MiB guest flood to a slow BYOB reader (ring mode, guest in its own process), reader's peak RSS",
    `${n(flood.peakRssMiB, 1)} MiB: ${n(flood.peakAnonMiB, 1)} private + ${
      n(flood.fileMiB, 1)
    } deno binary pages (${n(flood.mbps, 1)} MB/s, in order: ${
      flood.firstWrongByte === -1 ? "yes" : "NO"
    })`,
    "-",
    "< 64 MiB",
    met(flood.peakRssMiB < 64 && flood.firstWrongByte === -1),
  ],
  [
    "same, guest simulated in the reader's process, default reader, peak RSS",
    `${n(floodInline.peakRssMiB, 1)} MiB: ${n(floodInline.peakAnonMiB, 1)} private (${
      n(floodInline.mbps, 1)
    } MB/s, in order: ${floodInline.firstWrongByte === -1 ? "yes" : "NO"})`,
    "-",
    "-",
    "-",
  ],
  [
    "100 MiB text flood recorded in asciicast vs not recorded (ring mode, guest in its own process), reader's CPU",
    `${n(floodRecorded.cpuMs)} / ${n(floodPlain.cpuMs)} ms (peak RSS ${
      n(floodRecorded.peakRssMiB, 1)
    } / ${n(floodPlain.peakRssMiB, 1)} MiB; in order: ${
      floodRecorded.firstWrongByte === -1 ? "yes" : "NO"
    })`,
    x(floodRecorded.cpuMs / floodPlain.cpuMs),
    "< 1.3x",
    met(floodRecorded.cpuMs < 1.3 * floodPlain.cpuMs && floodRecorded.firstWrongByte === -1),
  ],
  [
    "the recorder's heap in use after a full GC, 50 / 200 MiB of text recorded",
    `${n(recordMemory.heapAt50MiB, 2)} / ${n(recordMemory.heapAt200MiB, 2)} MiB (${
      n(recordMemory.recordMiBps, 1)
    } MiB/s)`,
    "-",
    "bounded (+< 1 MiB)",
    met(recordMemory.heapAt200MiB < recordMemory.heapAt50MiB + 1),
  ],
  [
    "idle attached console, CPU per minute (ring / pty)",
    `${n(idleOf("ring"), 1)} / ${n(idleOf("pty"), 1)} ms`,
    "-",
    "< 10 ms",
    met(idleOf("ring") < 10 && idleOf("pty") < 10),
  ],
  [
    "guest notifying without writing for 5 s (ring mode), reader's CPU",
    `${n(storm.readerCpuMs, 1)} ms (${n(storm.readerCpuPercent, 1)}% of a core; the ${
      n(storm.bytesAfter)
    } bytes after it arrived)`,
    "-",
    "-",
    "-",
  ],
];
// The console server (issue 18, bench/serve.ts): echo through its WebSocket against connect() on
// the same simulated guest; one guest flooding 64 MiB (ring mode) to 1 and to 50 viewers.
const [serve] = await run("serve.ts", "--mb", "64", "--viewers", "50", "--keys", "300");
rows.push(
  [
    "keystroke-to-echo through the console server (WebSocket client) vs connect() as attach.ts, same guest, median (p99)",
    `${n(serve.echoServerMedianMs, 3)} (${n(serve.echoServerP99Ms, 2)}) / ${
      n(serve.echoDirectMedianMs, 3)
    } (${n(serve.echoDirectP99Ms, 2)}) ms`,
    x(serve.echoRatio),
    "-",
    "-",
  ],
  [
    `one guest flooding ${serve.floodMiB} MiB through the server: ${serve.manyViewers} viewers vs 1, guest throughput (viewers that got every byte)`,
    `${n(serve.manyViewersMiBps, 1)} / ${
      n(serve.oneViewerMiBps, 1)
    } MiB/s (${serve.manyComplete}/${serve.manyViewers})`,
    x(serve.throughputRatio),
    "every byte to every viewer",
    met(serve.manyComplete === serve.manyViewers),
  ],
  [
    `same, server process's peak RSS (simulated host included), ${serve.manyViewers} viewers / 1`,
    `${n(serve.manyViewersPeakRssMiB, 1)} / ${n(serve.oneViewerPeakRssMiB, 1)} MiB`,
    "-",
    "-",
    "-",
  ],
  [
    `${serve.churnViewers} viewers that never read joining one guest, then leaving: the server's CPU (issue 29: was 6.5 + 3.2 s)`,
    `${n(serve.churnJoinCpuMs)} + ${n(serve.churnLeaveCpuMs)} ms`,
    "-",
    "O(changes): < 1 s",
    met(serve.churnJoinCpuMs + serve.churnLeaveCpuMs < 1000),
  ],
  [
    `same, server process's peak RSS (before the viewers)`,
    `${n(serve.churnPeakRssMiB, 1)} MiB (${n(serve.churnRssBeforeMiB, 1)})`,
    "-",
    "bounded (+< 100 MiB; was +800)",
    met(serve.churnPeakRssMiB < serve.churnRssBeforeMiB + 100),
  ],
  [
    `a viewer's fragmented message, ${serve.fragmentMiB} MiB without its FIN: server RSS before / with it / once the socket closed (Deno.upgradeWebSocket has no bound: known limit)`,
    `${n(serve.fragmentRssBeforeMiB)} / ${n(serve.fragmentRssHeldMiB)} / ${
      n(serve.fragmentRssAfterMiB)
    } MiB`,
    "-",
    "-",
    "-",
  ],
);

// Files over the console (issue 32, bench/files_compare.ts): putFile/getFile of 256 KiB on the
// simulated guests, beside a command printing as many base64 characters (the console's raw rate).
const [files] = await run("files_compare.ts", "256");
for (const guest of ["linux", "windows"]) {
  const f = (k: string) => files[`${guest}.${k}`];
  rows.push([
    `copy 256 KiB to / from the simulated ${guest} guest (putFile / getFile), vs the console's raw output rate`,
    `${n(f("putKiBps"), 1)} / ${n(f("getKiBps"), 1)} KiB/s (raw ${n(f("rawKiBps"))} KiB/s)`,
    `${(100 * f("putShare")).toFixed(1)}% / ${(100 * f("getShare")).toFixed(1)}%`,
    "-",
    "-",
  ]);
}

// xenstore with blocking waits (opt-in `blockingWaitUs`), against the same
// server as the fast-path rows; and the unix-socket floor under one request.
const [floor] = await run("unix_floor.ts", "--rounds", "5") as unknown as {
  floor: Record<string, number>;
}[];
const us = (opsPerSec: number) => n(1e6 / opsPerSec, 1);
rows.splice(
  3,
  0,
  [
    "xenstore READ, sequential, blocking waits (opt-in, 5 ms bound; libc), vs libxenstore (C), fast-path server",
    `${n(xs.fast.block)} / ${n(xs.fast.libxenstore)} ops/s`,
    x(xs.fast.blockRatio),
    ">= 1x",
    met(xs.fast.blockRatio >= 1),
  ],
  [
    "same, vs pyxs",
    `${n(xs.fast.block)} / ${n(xs.fast.pyxs)} ops/s`,
    x(xs.fast.block / xs.fast.pyxs),
    ">= 1.5x",
    met(xs.fast.block >= 1.5 * xs.fast.pyxs),
  ],
  [
    "unix socket round trip, 48 bytes (bench/unix_floor.ts): C <-> C / Deno.connect <-> C / blocking FFI <-> C / C <-> Deno.listen / Deno <-> Deno",
    [
      "C client <-> C echo",
      "Deno.connect client <-> C echo",
      "sync FFI poll()+read (blocks the loop) <-> C echo",
      "C client <-> Deno.listen echo",
      "Deno.connect client <-> Deno.listen echo",
    ].map((k) => us(floor.floor[k])).join(" / ") + " µs",
    "-",
    "-",
    "-",
  ],
);

const table = [
  `One run of \`deno task bench\`, ${new Date().toISOString().slice(0, 10)}, this project's ` +
  "2-core machine (noisy: ratios move by 10-30% between runs).",
  "",
  "| what | xenpv / peer | ratio | target | |",
  "| --- | --- | ---: | ---: | --- |",
  ...rows.map((r) => `| ${r.join(" | ")} |`),
  "",
  `Notification cost: ${n(ring.simNotifyUs, 2)} µs in-process, ${
    n(ring.eventfdNotifyUs, 1)
  } µs through the poll helper on an eventfd (as /dev/xen/evtchn).`,
].join("\n");
console.log(table);

if (values["update-docs"]) {
  const readme = new URL("../docs/performance.md", import.meta.url);
  const text = await Deno.readTextFile(readme);
  const marked = /<!-- bench:summary:start -->[\s\S]*<!-- bench:summary:end -->/;
  if (!marked.test(text)) throw new Error("docs/performance.md has no bench:summary markers");
  await Deno.writeTextFile(
    readme,
    text.replace(marked, `<!-- bench:summary:start -->\n\n${table}\n\n<!-- bench:summary:end -->`),
  );
  // as `deno fmt --check` (part of `deno task ok`) wants it
  const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", readme.pathname] }).output();
  if (!fmt.success) {
    throw new Error(`deno fmt docs/performance.md failed: ${dec.decode(fmt.stderr)}`);
  }
  console.log("docs/performance.md updated");
}
