// Copyright 2026 the xenpv authors. MIT license.
// The console server measured (issue 18), against simulated guests:
// - keystroke-to-echo latency through the server and a WebSocket client,
//   against connect() reading the same guest directly (what attach.ts does);
// - one flooding guest (ring mode) with 1 and with 50 viewers in another
//   process: every viewer gets every byte, the guest's throughput, and the
//   server process's peak RSS.
// - viewers joining and leaving (issue 29): N raw sockets in another process
//   that complete the handshake and never read, then all close: the server
//   process's CPU for the joins and for the leaves, and its peak RSS.
// - a fragmented message without its FIN (issue 29): MiB of continuation
//   frames on one viewer's socket; the server's RSS while they come and after
//   the socket closes. Deno.upgradeWebSocket offers no bound (its server
//   socket collects fragments until FIN; JS sees nothing before): this row
//   shows what one token holder can make the server hold.
// Prints one BENCH_JSON line.
//
//   deno run -A bench/serve.ts [--mb 64] [--viewers 50] [--keys 300] [--churn 400]
//   deno run -A bench/serve.ts --only-churn --churn 400    (the churn rows alone)
//   (child) deno run -A bench/serve.ts --viewers-child URL TOKEN N BYTES
//   (child) deno run -A bench/serve.ts --churn-child URL TOKEN DOMID N

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

/** This process's CPU time so far (user + system), ms, from /proc/self/stat (clock ticks of 10 ms). */
function cpuMs(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14, 15)
}

/**
 * The churn child: N raw sockets to guest `domid`'s console, each completing
 * the WebSocket handshake then never reading (the server's frames pile up in
 * its socket buffers); prints OPEN, then closes them all on a line on stdin.
 */
async function churnChild(url: string, token: string, domid: number, n: number) {
  const { port, host } = new URL(url);
  const sockets: Deno.TcpConn[] = [];
  for (let i = 0; i < n; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    const request = [
      `GET /ws/${domid}?name=c${i}&token=${token} HTTP/1.1`,
      `Host: ${host}`,
      `Origin: ${new URL(url).origin}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version: 13",
    ].join("\r\n") + "\r\n\r\n";
    await conn.write(enc.encode(request));
    const reply = new Uint8Array(512); // the 101 response only; nothing after it is read
    const got = await conn.read(reply);
    if (!new TextDecoder().decode(reply.subarray(0, got ?? 0)).startsWith("HTTP/1.1 101")) {
      throw new Error(`viewer ${i}: no 101`);
    }
    sockets.push(conn);
  }
  console.log("OPEN");
  await Deno.stdin.readable.getReader().read();
  for (const s of sockets) s.close();
  console.log("CLOSED");
}

/**
 * `mib` MiB of a text message's fragments (no FIN) on one viewer's socket
 * (raw, masked frames): the server's RSS before, with them, and after the
 * socket closed.
 */
async function fragments(mib: number) {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({
    name: "frag",
    program: benchGuest(0),
    xenconsoled: false,
  });
  let left = false;
  await using server = await serveConsoles({
    host,
    mode: "ring",
    audit: (e) => left ||= e.event === "leave",
  });
  const { port, host: authority, origin } = new URL(server.url);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  await conn.write(enc.encode(
    [
      `GET /ws/${guest.domid}?name=frag&token=${server.token} HTTP/1.1`,
      `Host: ${authority}`,
      `Origin: ${origin}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version: 13",
    ].join("\r\n") + "\r\n\r\n",
  ));
  await conn.read(new Uint8Array(4096)); // the 101
  const draining = (async () => {
    const buf = new Uint8Array(65536);
    try {
      while ((await conn.read(buf)) !== null);
    } catch { /* closed */ }
  })();
  const before = Deno.memoryUsage().rss;
  const payload = new Uint8Array(1 << 20).fill(0x61);
  for (let i = 0; i < mib; i++) {
    const header = new Uint8Array(14); // FIN clear; masked with key 0; 64-bit length
    header[0] = i === 0 ? 0x1 : 0x0;
    header[1] = 0x80 | 127;
    new DataView(header.buffer).setBigUint64(2, BigInt(payload.length));
    await conn.write(header);
    for (let at = 0; at < payload.length;) at += await conn.write(payload.subarray(at));
  }
  await new Promise((r) => setTimeout(r, 500)); // read by the server
  const held = Deno.memoryUsage().rss;
  conn.close();
  await draining;
  while (!left) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  return {
    mib,
    before: before / 1048576,
    held: held / 1048576,
    after: Deno.memoryUsage().rss / 1048576,
  };
}

/** N viewers that never read join one guest, then all leave: the server's CPU and peak RSS. */
async function churn(n: number) {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({
    name: "churn",
    program: benchGuest(0),
    xenconsoled: false,
  });
  let joins = 0;
  let leaves = 0;
  let dropped = 0;
  let wake: (() => void) | undefined;
  await using server = await serveConsoles({
    host,
    mode: "ring",
    audit: (e) => {
      if (e.event === "join") joins++;
      else if (e.event === "leave") leaves++;
      else if (e.event === "dropped") dropped++;
      wake?.();
    },
  });
  const until = async (test: () => boolean) => {
    while (!test()) await new Promise<void>((r) => wake = r);
  };
  await new Promise((r) => setTimeout(r, 200)); // attached
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--churn-child",
      server.url,
      server.token,
      String(guest.domid),
      String(n),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let peak = Deno.memoryUsage().rss;
  const rssBefore = peak;
  const sampler = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 20);
  const cpu0 = cpuMs();
  const t0 = performance.now();
  await until(() => joins === n);
  const cpu1 = cpuMs();
  const joinSeconds = (performance.now() - t0) / 1000;
  const writer = child.stdin.getWriter();
  await writer.write(enc.encode("close\n"));
  await writer.close();
  const t1 = performance.now();
  await until(() => leaves === n);
  const cpu2 = cpuMs();
  const leaveSeconds = (performance.now() - t1) / 1000;
  clearInterval(sampler);
  await child.stdout.cancel();
  await child.status;
  return {
    viewers: n,
    joinCpuMs: cpu1 - cpu0,
    leaveCpuMs: cpu2 - cpu1,
    joinSeconds,
    leaveSeconds,
    dropped,
    rssBeforeMiB: rssBefore / 1048576,
    peakRssMiB: peak / 1048576,
  };
}

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    mb: { type: "string", default: "64" },
    viewers: { type: "string", default: "50" },
    keys: { type: "string", default: "300" },
    churn: { type: "string", default: "400" },
    "fragment-mib": { type: "string", default: "64" },
    "only-churn": { type: "boolean", default: false },
    "viewers-child": { type: "boolean", default: false },
    "churn-child": { type: "boolean", default: false },
  },
});

/** The churn rows: N viewers joining and leaving; and a fragmented message without FIN. */
async function churnRows() {
  const c = await churn(Number(values.churn));
  const f = await fragments(Number(values["fragment-mib"]));
  return {
    fragmentMiB: f.mib,
    fragmentRssBeforeMiB: f.before,
    fragmentRssHeldMiB: f.held,
    fragmentRssAfterMiB: f.after,
    churnViewers: c.viewers,
    churnJoinCpuMs: c.joinCpuMs,
    churnLeaveCpuMs: c.leaveCpuMs,
    churnJoinSeconds: c.joinSeconds,
    churnLeaveSeconds: c.leaveSeconds,
    churnDropped: c.dropped,
    churnRssBeforeMiB: c.rssBeforeMiB,
    churnPeakRssMiB: c.peakRssMiB,
  };
}

if (values["viewers-child"]) {
  const [url, token, domid, n, bytes] = positionals;
  await viewersChild(url, token, Number(domid), Number(n), Number(bytes));
} else if (values["churn-child"]) {
  const [url, token, domid, n] = positionals;
  await churnChild(url, token, Number(domid), Number(n));
} else if (values["only-churn"]) {
  console.log(`BENCH_JSON ${JSON.stringify(await churnRows())}`);
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
    ...await churnRows(),
  };
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
}
