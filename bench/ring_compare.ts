// Copyright 2026 the xenpv authors. MIT license.
// Ring throughput: a guest producer and our backend consumer (ConsoleRing)
// over two mappings of one memfd page, beside the same loop in C
// (bench/ring_c.c) on the same kind of mapping, in one run. Then the cost of
// one notification: the in-process simulated pair, and an eventfd wait
// through our poll helper (what waiting on /dev/xen/evtchn costs).

import { ConsoleRing } from "../ring/mod.ts";
import { createEventChannelPair } from "../evtchn/mod.ts";
import { Mapping } from "../_sys/mmap.ts";
import { Poller } from "../_sys/poller.ts";
import { acquireLibc, cString, MFD_CLOEXEC, releaseLibc } from "../_sys/libc.ts";

const TOTAL = Number(Deno.env.get("RING_TOTAL") ?? 256 * 1024 * 1024);
const CHUNK = 1500;
const here = new URL(".", import.meta.url).pathname;

function deno(): { mbps: number; sum: number } {
  const libc = acquireLibc();
  const fd = libc.memfd_create(cString("ring-bench"), MFD_CLOEXEC);
  libc.ftruncate(fd, 4096n);
  const gm = Mapping.map(fd, 4096, 0n);
  const dm = Mapping.map(fd, 4096, 0n);
  const guest = new ConsoleRing(gm.buffer, { role: "frontend" });
  const dom0 = new ConsoleRing(dm.buffer, { role: "backend" });
  const src = new Uint8Array(65536).map((_, i) => i * 7);
  const dst = new Uint8Array(4096);
  let sent = 0;
  let got = 0;
  let sum = 0;
  const t = performance.now();
  while (got < TOTAL) {
    if (sent < TOTAL) {
      const at = sent & 0xffff;
      sent += guest.write(src.subarray(at, Math.min(at + CHUNK, 0x10000, at + TOTAL - sent)));
    }
    const n = dom0.readInto(dst);
    for (let i = 0; i < n; i++) sum = (Math.imul(sum, 31) + dst[i]) >>> 0;
    got += n;
  }
  const secs = (performance.now() - t) / 1000;
  gm.close();
  dm.close();
  libc.close(fd);
  releaseLibc();
  return { mbps: got / secs / 1e6, sum };
}

async function c(): Promise<{ mbps: number; sum: number }> {
  await Deno.mkdir(`${here}.build`, { recursive: true });
  const cc = await new Deno.Command("cc", {
    args: ["-O2", "-o", `${here}.build/ring_c`, `${here}ring_c.c`],
  }).output();
  if (!cc.success) throw new Error(new TextDecoder().decode(cc.stderr));
  const out = await new Deno.Command(`${here}.build/ring_c`, {
    args: [String(TOTAL), String(CHUNK)],
  }).output();
  const [bytes, secs, sum] = new TextDecoder().decode(out.stdout).trim().split(" ").map(Number);
  return { mbps: bytes / secs / 1e6, sum };
}

async function simulatedNotify(n: number): Promise<number> {
  const [a, b] = createEventChannelPair();
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    a.notify();
    await b.wait();
  }
  const us = (performance.now() - t) * 1000 / n;
  await a.close();
  await b.close();
  return us;
}

async function eventfdNotify(n: number): Promise<number> {
  const libc = acquireLibc();
  const efd = libc.eventfd(0, 0o4000 | 0o2000000);
  const poller = new Poller();
  const one = new Uint8Array(new BigUint64Array([1n]).buffer);
  const scratch = new Uint8Array(8);
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const waiting = poller.wait(efd, 1);
    libc.write(efd, one, 8n); // the "guest" notifies
    await waiting;
    libc.read(efd, scratch, 8n);
  }
  const us = (performance.now() - t) * 1000 / n;
  await poller.close();
  libc.close(efd);
  releaseLibc();
  return us;
}

const ours = deno();
const ref = await c();
if (ours.sum !== ref.sum) throw new Error(`checksums differ: ${ours.sum} vs ${ref.sum}`);
const sim = await simulatedNotify(100000);
const efd = await eventfdNotify(20000);
console.log(
  [
    `Console ring, ${TOTAL / 1024 / 1024} MiB in ${CHUNK}-byte guest writes, one run:`,
    "",
    "| reader | MB/s |",
    "| --- | ---: |",
    `| xenpv ConsoleRing (Deno) | ${ours.mbps.toFixed(0)} |`,
    `| C reference (gcc -O2) | ${ref.mbps.toFixed(0)} |`,
    `| ratio | ${(ours.mbps / ref.mbps).toFixed(2)}x |`,
    "",
    "| notification | µs each |",
    "| --- | ---: |",
    `| simulated pair (in-process) | ${sim.toFixed(2)} |`,
    `| eventfd through the poll helper (as /dev/xen/evtchn) | ${efd.toFixed(1)} |`,
  ].join("\n"),
);
console.log(
  `BENCH_JSON ${
    JSON.stringify({ deno: ours.mbps, c: ref.mbps, simNotifyUs: sim, eventfdNotifyUs: efd })
  }`,
);
