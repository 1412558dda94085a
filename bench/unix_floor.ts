// Copyright 2026 the xenpv authors. MIT license.
// The floor under one xenstore request at a time: round trips of a 16+N-byte
// framed message (xenstore's header, then N payload bytes) over a unix
// socket, with no protocol code at all, between:
//   - C client <-> C echo server (bench/unix_echo.c, blocking read/write)
//   - Deno client (Deno.connect, Deno's own unix socket) <-> C echo server
//   - Deno client over our libc transport (FdStream: FFI read/write, the
//     wait a nonblocking FFI poll() on a helper thread) <-> C echo server
//   - Deno client, synchronous FFI poll() then read (blocks the event loop:
//     what a bounded blocking wait could reach) <-> C echo server
//   - C client <-> Deno echo server (Deno.listen, Deno's own unix socket)
//   - C client <-> Deno echo server over our libc transport
//   - Deno client <-> Deno echo server, both on Deno's sockets (the fast
//     path's floor), and the synchronous client against it
// So the cost of Deno's wake-ups is seen apart from our protocol code.
// Each pair runs `--rounds` times (interleaved); the median round is shown.
//
//   deno run --allow-all bench/unix_floor.ts [--count 5000] [--size 32] [--rounds 5]
// Prints a table and a BENCH_JSON line (ops/s, medians).

import { parseArgs } from "node:util";
import { connectUnix, UnixListener } from "../_sys/unix_socket.ts";
import { acquireLibc, POLLIN, releaseLibc } from "../_sys/libc.ts";
import type { FdStream } from "../_sys/fd_stream.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    count: { type: "string", default: "5000" },
    size: { type: "string", default: "32" },
    rounds: { type: "string", default: "5" },
    // Internal: run as the Deno echo server on this path ("deno" or "libc").
    serve: { type: "string" },
    via: { type: "string", default: "deno" },
  },
});
const count = Number(args.values.count);
const size = Number(args.values.size);
const rounds = Number(args.values.rounds);
const here = new URL(".", import.meta.url).pathname;
const build = `${here}.build`;

/** The length of the first whole message in `buf[0..n)`, or 0. */
function framed(buf: Uint8Array, n: number): number {
  if (n < 16) return 0;
  const len = 16 + (buf[12] | buf[13] << 8 | buf[14] << 16 | buf[15] << 24);
  return n >= len ? len : 0;
}

// ---- the Deno echo servers (run as a child process) ----

async function serveDeno(path: string): Promise<void> {
  const listener = Deno.listen({ transport: "unix", path });
  console.log("ready");
  for await (const conn of listener) {
    const buf = new Uint8Array(16 + 4096);
    let n = 0;
    for (;;) {
      const got = await conn.read(buf.subarray(n));
      if (got === null) break;
      n += got;
      let len;
      while ((len = framed(buf, n)) > 0) {
        let put = 0;
        while (put < len) put += await conn.write(buf.subarray(put, len));
        buf.copyWithin(0, len, n);
        n -= len;
      }
    }
    conn.close();
  }
}

async function serveLibc(path: string): Promise<void> {
  const listener = UnixListener.listen(path);
  console.log("ready");
  for (;;) {
    const conn = await listener.accept();
    if (conn === null) return;
    const buf = new Uint8Array(16 + 4096);
    let n = 0;
    for (;;) {
      const got = await conn.readInto(buf.subarray(n));
      if (got === null) break;
      n += got;
      let len;
      while ((len = framed(buf, n)) > 0) {
        await conn.write(buf.subarray(0, len));
        buf.copyWithin(0, len, n);
        n -= len;
      }
    }
    await conn.close();
  }
}

if (args.values.serve !== undefined) {
  if (args.values.via === "libc") await serveLibc(args.values.serve);
  else await serveDeno(args.values.serve);
  Deno.exit(0);
}

// ---- the clients ----

function message(): Uint8Array<ArrayBuffer> {
  const m = new Uint8Array(16 + size).fill(0x78);
  new DataView(m.buffer).setUint32(12, size, true);
  return m;
}

/** Round trips per second of `trip`, after 100 warm-up trips. */
async function timed(trip: () => Promise<void> | void): Promise<number> {
  for (let i = 0; i < 100; i++) await trip();
  const t = performance.now();
  for (let i = 0; i < count; i++) await trip();
  return count / ((performance.now() - t) / 1000);
}

async function denoClient(path: string): Promise<number> {
  const conn = await Deno.connect({ transport: "unix", path });
  const out = message();
  const buf = new Uint8Array(16 + 4096);
  try {
    return await timed(async () => {
      let put = 0;
      while (put < out.length) put += await conn.write(out.subarray(put));
      let n = 0;
      while (framed(buf, n) === 0) {
        const got = await conn.read(buf.subarray(n));
        if (got === null) throw new Error("echo server went away");
        n += got;
      }
    });
  } finally {
    conn.close();
  }
}

async function libcClient(path: string): Promise<number> {
  const stream: FdStream = await connectUnix(path);
  const out = message();
  const buf = new Uint8Array(16 + 4096);
  try {
    return await timed(async () => {
      await stream.write(out);
      let n = 0;
      while (framed(buf, n) === 0) {
        const got = await stream.readInto(buf.subarray(n));
        if (got === null) throw new Error("echo server went away");
        n += got;
      }
    });
  } finally {
    await stream.close();
  }
}

/** Synchronous: write, then poll() in the kernel on the main thread, then read. */
async function blockingClient(path: string): Promise<number> {
  const stream: FdStream = await connectUnix(path);
  const libc = acquireLibc();
  const out = message();
  const buf = new Uint8Array(16 + 4096);
  const fds = new Uint8Array(8);
  const view = new DataView(fds.buffer);
  view.setInt32(0, stream.fd, true);
  view.setInt16(4, POLLIN, true);
  try {
    return await timed(() => {
      if (stream.tryWrite(out) !== out.length) throw new Error("short write");
      let n = 0;
      while (framed(buf, n) === 0) {
        libc.poll(fds, 1n, 1000);
        const got = Number(libc.read(stream.fd, buf.subarray(n), BigInt(buf.length - n)));
        if (got === 0) throw new Error("echo server went away");
        if (got > 0) n += got;
      }
    });
  } finally {
    releaseLibc();
    await stream.close();
  }
}

async function cClient(path: string): Promise<number> {
  const out = await new Deno.Command(`${build}/unix_echo`, {
    args: ["client", path, String(count), String(size)],
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const [ops, secs] = new TextDecoder().decode(out.stdout).trim().split(/\s+/).map(Number);
  return ops / secs;
}

/** Starts an echo server process; resolves once it listens. */
async function startServer(kind: "c" | "deno" | "libc", path: string) {
  const [cmd, argv] = kind === "c" ? [`${build}/unix_echo`, ["server", path]] : [Deno.execPath(), [
    "run",
    "--allow-all",
    import.meta.filename!,
    "--serve",
    path,
    "--via",
    kind,
  ]];
  const child = new Deno.Command(cmd, { args: argv, stdout: "piped", stderr: "inherit" }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  reader.releaseLock();
  await child.stdout.cancel();
  return child;
}

await Deno.mkdir(build, { recursive: true });
const cc = await new Deno.Command("cc", {
  args: ["-O2", "-o", `${build}/unix_echo`, `${here}unix_echo.c`],
}).output();
if (!cc.success) throw new Error(new TextDecoder().decode(cc.stderr));

const pairs: [string, "c" | "deno" | "libc", (path: string) => Promise<number>][] = [
  ["C client <-> C echo", "c", cClient],
  ["Deno.connect client <-> C echo", "c", denoClient],
  ["libc transport (FFI poll helper) <-> C echo", "c", libcClient],
  ["sync FFI poll()+read (blocks the loop) <-> C echo", "c", blockingClient],
  ["C client <-> Deno.listen echo", "deno", cClient],
  ["C client <-> libc transport echo", "libc", cClient],
  ["Deno.connect client <-> Deno.listen echo", "deno", denoClient],
  ["sync FFI poll()+read <-> Deno.listen echo", "deno", blockingClient],
];
const results: number[][] = pairs.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (const [i, [, kind, client]] of pairs.entries()) {
    const path = `/tmp/xenpv-floor-${Deno.pid}-${i}.sock`;
    const server = await startServer(kind, path);
    try {
      results[i].push(await client(path));
    } finally {
      server.kill("SIGKILL");
      await server.status;
      await Deno.remove(path).catch(() => {});
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
console.log(
  `round trips of a ${16 + size}-byte message over a unix socket, ${count} a round, ` +
    `median of ${rounds} rounds (min-max)`,
);
console.log("| pair | round trips/s | µs each | range/s |");
console.log("| --- | ---: | ---: | ---: |");
const json: Record<string, number> = {};
for (const [i, [name]] of pairs.entries()) {
  const m = median(results[i]);
  json[name] = Math.round(m);
  console.log(
    `| ${name} | ${Math.round(m)} | ${(1e6 / m).toFixed(1)} | ${
      Math.round(Math.min(...results[i]))
    }-${Math.round(Math.max(...results[i]))} |`,
  );
}
console.log(`BENCH_JSON ${JSON.stringify({ floor: json })}`);
