// Copyright 2026 the xenpv authors. MIT license.
// The console server measured (issue 18), against simulated guests:
// - keystroke-to-echo latency through the server and a WebSocket client,
//   against connect() reading the same guest directly (what attach.ts does);
// - one flooding guest (ring mode) with 1 and with 50 viewers in another
//   process: every viewer gets every byte, the guest's throughput, and the
//   server process's peak RSS.
// Prints one BENCH_JSON line.
//
//   deno run -A bench/serve.ts [--mb 64] [--viewers 50] [--keys 300]
//   (child) deno run -A bench/serve.ts --viewers-child URL TOKEN N BYTES

import { parseArgs } from "node:util";
import { connect } from "../mod.ts";
import { type GuestProgram, type GuestProgramFactory, SimulatedHost } from "../sim/mod.ts";
import { serveConsoles } from "../serve/mod.ts";
import { openViewerSocket, sendMessage } from "../tests/serve/_ws_client.ts";

const enc = new TextEncoder();

/** A guest that echoes what is typed, and floods `bytes` bytes when it gets "!". */
function benchGuest(bytes: number): GuestProgramFactory {
  return (): GuestProgram => {
    let out: Parameters<GuestProgram["start"]>[0];
    let running = true;
    return {
      start(c) {
        out = c;
      },
      async input(data) {
        if (data[0] !== 0x21) return out.write(data); // echo
        const chunk = new Uint8Array(16 * 1024).fill(0x41);
        for (let sent = 0; sent < bytes && running; sent += chunk.length) {
          out.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)));
          await out.drained?.();
        }
      },
      stop() {
        running = false;
      },
    };
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];

/** Keystroke-to-echo times (ms) through the server. */
async function serverEcho(url: string, token: string, domid: number, keys: number) {
  const ws = await openViewerSocket({ url, token }, domid, "bench");
  let wake: (() => void) | undefined;
  ws.onmessage = (e) => {
    if (typeof e.data !== "string") wake?.();
  };
  sendMessage(ws, { type: "take" });
  await new Promise((r) => setTimeout(r, 100));
  const times: number[] = [];
  for (let i = 0; i < keys; i++) {
    const got = new Promise<void>((r) => wake = r);
    const t0 = performance.now();
    sendMessage(ws, { type: "input", data: "k" });
    await got;
    times.push(performance.now() - t0);
  }
  ws.close();
  return times;
}

/** Keystroke-to-echo times (ms) with connect() directly. */
async function directEcho(host: SimulatedHost, name: string, keys: number) {
  await using console = await connect(name, { host, mode: "ring" });
  const reader = console.readable.getReader();
  const writer = console.writable.getWriter();
  const times: number[] = [];
  const k = enc.encode("k");
  for (let i = 0; i < keys; i++) {
    const t0 = performance.now();
    await writer.write(k);
    await reader.read();
    times.push(performance.now() - t0);
  }
  reader.releaseLock();
  writer.releaseLock();
  return times;
}

/** The child: N viewers that count bytes until each has `bytes`; prints their counts. */
async function viewersChild(url: string, token: string, domid: number, n: number, bytes: number) {
  const counts = new Array(n).fill(0);
  const done: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const ws = await openViewerSocket({ url, token }, domid, `v${i}`);
    done.push(
      new Promise((resolve) => {
        ws.onmessage = (e) => {
          if (typeof e.data === "string") return;
          counts[i] += (e.data as ArrayBuffer).byteLength;
          if (counts[i] >= bytes) {
            ws.close();
            resolve();
          }
        };
        ws.onclose = () => resolve();
      }),
    );
  }
  console.log("READY");
  await Promise.all(done);
  console.log(JSON.stringify({ counts }));
}

async function flood(viewers: number, mb: number) {
  const bytes = mb * 1024 * 1024;
  await using host = new SimulatedHost();
  const guest = await host.createGuest({
    name: "flood",
    program: benchGuest(bytes),
    xenconsoled: false,
  });
  await using server = await serveConsoles({ host, mode: "ring", scrollback: 0 });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--viewers-child",
      server.url,
      server.token,
      String(guest.domid),
      String(viewers),
      String(bytes),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("READY")) text += (await lines.read()).value ?? "";
  const typist = await openViewerSocket(server, guest.domid, "typist");
  typist.onmessage = () => {};
  sendMessage(typist, { type: "take" });
  await new Promise((r) => setTimeout(r, 100));
  let peak = Deno.memoryUsage().rss;
  const sampler = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 20);
  const t0 = performance.now();
  sendMessage(typist, { type: "input", data: "!" });
  for (;;) {
    const { value, done } = await lines.read();
    if (done) break;
    text += value;
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  typist.close();
  await child.status;
  const { counts } = JSON.parse(text.slice(text.indexOf("{")));
  const complete = (counts as number[]).filter((c) => c >= bytes).length;
  return { viewers, complete, seconds, mibPerSecond: mb / seconds, peakRssMiB: peak / 1048576 };
}

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    mb: { type: "string", default: "64" },
    viewers: { type: "string", default: "50" },
    keys: { type: "string", default: "300" },
    "viewers-child": { type: "boolean", default: false },
  },
});

if (values["viewers-child"]) {
  const [url, token, domid, n, bytes] = positionals;
  await viewersChild(url, token, Number(domid), Number(n), Number(bytes));
} else {
  const keys = Number(values.keys);
  const host = new SimulatedHost();
  const guest = await host.createGuest({
    name: "echo",
    program: benchGuest(0),
    xenconsoled: false,
  });
  const direct = await directEcho(host, "echo", keys);
  const server = await serveConsoles({ host, mode: "ring" });
  await new Promise((r) => setTimeout(r, 200)); // attached
  const served = await serverEcho(server.url, server.token, guest.domid, keys);
  await server.close();
  await host.close();
  const one = await flood(1, Number(values.mb));
  const many = await flood(Number(values.viewers), Number(values.mb));
  const result = {
    echoDirectMedianMs: median(direct),
    echoDirectP99Ms: p99(direct),
    echoServerMedianMs: median(served),
    echoServerP99Ms: p99(served),
    echoRatio: median(served) / median(direct),
    floodMiB: Number(values.mb),
    oneViewerMiBps: one.mibPerSecond,
    oneViewerPeakRssMiB: one.peakRssMiB,
    manyViewers: many.viewers,
    manyComplete: many.complete,
    manyViewersMiBps: many.mibPerSecond,
    manyViewersPeakRssMiB: many.peakRssMiB,
    throughputRatio: many.mibPerSecond / one.mibPerSecond,
  };
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
}
