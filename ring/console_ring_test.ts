// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { prng } from "../tests/_prng.ts";
import { ConsoleRing, RingCorruptionError } from "./mod.ts";
import { CONSOLE_LAYOUT as L } from "./layout.ts";

function setIndices(
  page: ArrayBuffer,
  inCons: number,
  inProd: number,
  outCons: number,
  outProd: number,
) {
  new Uint32Array(page, L.IN_CONS, 4).set([
    inCons >>> 0,
    inProd >>> 0,
    outCons >>> 0,
    outProd >>> 0,
  ]);
}

Deno.test("layout matches struct xencons_interface", () => {
  assert.equal(L.IN_OFFSET, 0);
  assert.equal(L.OUT_OFFSET, L.IN_OFFSET + L.IN_SIZE);
  assert.equal(L.IN_CONS, L.OUT_OFFSET + L.OUT_SIZE);
  assert.deepEqual([L.IN_PROD, L.OUT_CONS, L.OUT_PROD, L.CONNECTION], [3076, 3080, 3084, 3088]);
});

Deno.test("bad construction arguments", () => {
  assert.throws(() => new ConsoleRing(new ArrayBuffer(3000), { role: "backend" }), RangeError);
  assert.throws(
    () => new ConsoleRing(new ArrayBuffer(8192), { role: "backend", byteOffset: 2 }),
    RangeError,
  );
  assert.throws(
    () => new ConsoleRing(new ArrayBuffer(4096), { role: "middle" as never }),
    TypeError,
  );
  const r = new ConsoleRing(new ArrayBuffer(8192), { role: "backend", byteOffset: 4096 });
  assert.equal(r.byteOffset, 4096);
});

Deno.test("data wraps around the ring end and indices wrap at 2^32", () => {
  for (const start of [0, 100, 2 ** 32 - 5, 2 ** 32 - 2048, 2 ** 32 - 1]) {
    const page = new ArrayBuffer(4096);
    setIndices(page, start, start, start, start);
    const guest = new ConsoleRing(page, { role: "frontend" });
    const dom0 = new ConsoleRing(page, { role: "backend" });
    const rand = prng(start);
    let sent = 0;
    let got = 0;
    for (let round = 0; round < 200; round++) {
      const chunk = new Uint8Array(1 + Math.floor(rand() * 3000)).map((_, i) => (sent + i) & 0xff);
      const n = guest.write(chunk);
      assert.ok(n <= L.OUT_SIZE);
      sent += n;
      const data = dom0.read(1 + Math.floor(rand() * 2500));
      data.forEach((b, i) => assert.equal(b, (got + i) & 0xff));
      got += data.length;
    }
    got += dom0.read().length;
    assert.equal(got, sent);
    const { outCons, outProd } = dom0.indices();
    assert.equal(outCons, outProd);
    assert.equal(outProd, (start + sent) >>> 0);
  }
});

Deno.test("the input ring is 1 KiB: writes stop when it is full and resume after reads", () => {
  const page = new ArrayBuffer(4096);
  const dom0 = new ConsoleRing(page, { role: "backend" });
  const guest = new ConsoleRing(page, { role: "frontend" });
  const big = new Uint8Array(3000).map((_, i) => i & 0xff);
  assert.equal(dom0.writable(), 1024);
  assert.equal(dom0.write(big), 1024);
  assert.equal(dom0.write(big.subarray(1024)), 0);
  assert.deepEqual(guest.read(10), big.subarray(0, 10));
  assert.equal(dom0.write(big.subarray(1024)), 10);
  assert.equal(guest.readable(), 1024);
});

Deno.test("hostile index states are reported, never read through", () => {
  const rand = prng(7);
  let reported = 0;
  for (let i = 0; i < 100_000; i++) {
    const page = new ArrayBuffer(4096);
    const pick = () => {
      const r = rand();
      if (r < 0.3) return Math.floor(rand() * 2 ** 32);
      if (r < 0.6) return Math.floor(rand() * 4096);
      return 2 ** 32 - 1 - Math.floor(rand() * 4096);
    };
    const outCons = pick();
    const inProd = pick();
    setIndices(page, pick(), inProd, outCons, pick());
    const sentinel = new Uint8Array(page);
    let ring: ConsoleRing;
    try {
      ring = new ConsoleRing(page, { role: "backend" });
    } catch (err) {
      assert.ok(err instanceof RingCorruptionError, String(err));
      reported++;
      continue;
    }
    // A valid state: the read size never exceeds the ring.
    const data = ring.read();
    assert.ok(data.length <= L.OUT_SIZE);
    const written = ring.write(new Uint8Array(2000));
    assert.ok(written >= 0 && written <= L.IN_SIZE, `wrote ${written}`);
    assert.equal(sentinel.length, 4096);
  }
  assert.ok(reported > 50_000, `only ${reported} of 100000 random states were invalid`);
});

Deno.test("fuzz: 100,000 hostile guest moves; the backend stays inside its page", () => {
  // The page sits between two guard pages; out[] holds bytes >= 0x80 and
  // everything else bytes < 0x80, so a byte read from anywhere but out[]
  // shows. The guest writes legitimately, rewrites any index, scribbles on
  // the data, and the backend reads and writes after every move.
  const rand = prng(2026);
  const buffer = new ArrayBuffer(3 * 4096);
  const all = new Uint8Array(buffer);
  const page = new Uint8Array(buffer, 4096, 4096);
  const idx = new Uint32Array(buffer, 4096 + L.IN_CONS, 4);
  for (let i = 0; i < all.length; i++) all[i] = i & 0x7f;
  page.fill(0, L.IN_CONS, L.IN_CONS + 16);
  const out = page.subarray(L.OUT_OFFSET, L.OUT_OFFSET + L.OUT_SIZE);
  out.forEach((_, i) => out[i] = 0x80 | (i & 0x7f));
  const dom0 = new ConsoleRing(buffer, { role: "backend", byteOffset: 4096 });
  const u32 = () => Math.floor(rand() * 2 ** 32);
  const near = (v: number) => (v + Math.floor(rand() * 8192) - 4096) >>> 0;
  const counts = { moves: 0, read: 0, wrote: 0, corrupt: 0 };
  for (let step = 0; step < 100_000; step++) {
    const [inCons, inProd, outCons, outProd] = idx;
    const r = rand();
    if (r < 0.35) { // a well-behaved guest write
      const free = L.OUT_SIZE - ((outProd - outCons) >>> 0);
      if (free >= 0 && free <= L.OUT_SIZE) {
        const n = Math.floor(rand() * (free + 1));
        for (let i = 0; i < n; i++) out[(outProd + i) & (L.OUT_SIZE - 1)] = 0x80 | u32() & 0x7f;
        idx[3] = (outProd + n) >>> 0;
      }
    } else if (r < 0.5) { // a well-behaved guest read of `in`
      const used = (inProd - inCons) >>> 0;
      if (used <= L.IN_SIZE) idx[0] = (inCons + Math.floor(rand() * (used + 1))) >>> 0;
    } else if (r < 0.6) {
      out[u32() & (L.OUT_SIZE - 1)] = 0x80 | u32() & 0x7f; // scribble on data in flight
    } else if (r < 0.7) { // just past the edges: one ring and a bit, or a step back
      const small = 1 + Math.floor(rand() * 8);
      const which = rand();
      if (which < 0.5) idx[3] = (outCons + L.OUT_SIZE + small) >>> 0;
      else if (which < 0.75) idx[0] = (inProd + small) >>> 0;
      else idx[3] = (outProd - small) >>> 0;
    } else {
      const slot = Math.floor(rand() * 4);
      idx[slot] = rand() < 0.5 ? u32() : near(idx[slot]);
    }
    counts.moves++;
    const before = all.slice();
    try {
      if (rand() < 0.5) {
        const cons = idx[2];
        const data = dom0.read(1 + Math.floor(rand() * 3000));
        assert.ok(data.length <= L.OUT_SIZE);
        for (let i = 0; i < data.length; i++) {
          if (data[i] !== before[4096 + L.OUT_OFFSET + ((cons + i) & (L.OUT_SIZE - 1))]) {
            assert.fail(`step ${step}: byte ${i} of ${data.length} does not come from out[]`);
          }
        }
        assert.equal(idx[2], (cons + data.length) >>> 0);
        counts.read += data.length;
        // Nothing but out_cons changed.
        before.set(new Uint8Array(idx.buffer, idx.byteOffset + 8, 4), 4096 + L.OUT_CONS);
        assert.deepEqual(all, before);
      } else {
        const prod = idx[1];
        const data = new Uint8Array(1 + Math.floor(rand() * 1500)).fill(0x41);
        const n = dom0.write(data);
        assert.ok(n >= 0 && n <= L.IN_SIZE && n <= data.length, `wrote ${n}`);
        assert.equal(idx[1], (prod + n) >>> 0);
        counts.wrote += n;
        // Only in[prod .. prod+n) and in_prod changed.
        for (let i = 0; i < n; i++) before[4096 + ((prod + i) & (L.IN_SIZE - 1))] = 0x41;
        before.set(new Uint8Array(idx.buffer, idx.byteOffset + 4, 4), 4096 + L.IN_PROD);
        assert.deepEqual(all, before);
      }
    } catch (err) {
      if (!(err instanceof RingCorruptionError)) throw err;
      counts.corrupt++;
      assert.deepEqual(all, before); // reported before touching anything
      const after = dom0.resync();
      assert.equal(after.outCons, after.outProd);
      assert.equal(after.inProd, after.inCons);
    }
  }
  // Every kind of outcome happened many times over.
  assert.ok(counts.corrupt > 10_000, JSON.stringify(counts));
  assert.ok(counts.read > 1_000_000 && counts.wrote > 1_000_000, JSON.stringify(counts));
});

Deno.test("a producer index moving backwards or beyond the ring size is corruption", () => {
  const page = new ArrayBuffer(4096);
  const dom0 = new ConsoleRing(page, { role: "backend" });
  const idx = new Uint32Array(page, L.IN_CONS, 4);
  idx[3] = 100; // out_prod
  assert.equal(dom0.read().length, 100);
  idx[3] = 50; // backwards
  assert.throws(
    () => dom0.read(),
    (e) => e instanceof RingCorruptionError && /backwards/.test(e.message),
  );
  idx[3] = 100 + 2049; // more than the ring holds
  assert.throws(() => dom0.readable(), /2049 bytes announced/);
  idx[3] = 120;
  idx[2] = 7; // our out_cons tampered with
  assert.throws(() => dom0.read(), /consumer index was changed/);
  const after = dom0.resync();
  assert.equal(after.outCons, after.outProd);
  assert.equal(dom0.read().length, 0);
  idx[3] = after.outProd + 5;
  assert.equal(dom0.read().length, 5);
});

Deno.test("a consumer index passing the producer is corruption on write", () => {
  const page = new ArrayBuffer(4096);
  const dom0 = new ConsoleRing(page, { role: "backend" });
  const idx = new Uint32Array(page, L.IN_CONS, 4);
  dom0.write(new Uint8Array(10));
  idx[0] = 20; // in_cons beyond in_prod
  assert.throws(
    () => dom0.write(new Uint8Array(1)),
    (e) => e instanceof RingCorruptionError && e.ring === "in",
  );
  idx[0] = 10;
  assert.equal(dom0.write(new Uint8Array(1)), 1);
});

Deno.test("a page whose input ring holds more than its size is refused; exactly full is not", () => {
  // in_prod - in_cons: what dom0 has queued for the guest, at most 1 KiB
  for (const queued of [L.IN_SIZE + 1, L.IN_SIZE + 7, 2 * L.IN_SIZE, 2 ** 31 - 1]) {
    const page = new ArrayBuffer(4096);
    setIndices(page, 5, 5 + queued, 0, 0);
    assert.throws(
      () => new ConsoleRing(page, { role: "backend" }),
      (e) => e instanceof RingCorruptionError && e.ring === "in",
      `${queued} bytes queued`,
    );
  }
  const page = new ArrayBuffer(4096);
  setIndices(page, 2 ** 32 - 3, L.IN_SIZE - 3, 0, 0); // full, across the wrap
  const full = new ConsoleRing(page, { role: "backend" });
  assert.equal(full.write(new Uint8Array(1)), 0);
  // the guest's side of the ring: a frontend finds the output ring the same way
  const out = new ArrayBuffer(4096);
  setIndices(out, 0, 0, 9, 9 + L.OUT_SIZE + 1);
  assert.throws(
    () => new ConsoleRing(out, { role: "frontend" }),
    (e) => e instanceof RingCorruptionError && e.ring === "out",
  );
});

Deno.test("the connection byte", () => {
  const page = new ArrayBuffer(4096);
  const dom0 = new ConsoleRing(page, { role: "backend" });
  new Uint8Array(page)[L.CONNECTION] = 1;
  assert.equal(dom0.connected, false);
  dom0.connected = true;
  assert.equal(new Uint8Array(page)[L.CONNECTION], 0);
  assert.equal(dom0.connected, true);
});

Deno.test("a detached page throws instead of crashing", () => {
  const page = new ArrayBuffer(4096);
  const dom0 = new ConsoleRing(page, { role: "backend" });
  page.transfer(0);
  assert.throws(() => dom0.read(), TypeError);
  assert.throws(() => dom0.write(new Uint8Array(1)), TypeError);
});

Deno.test("100 MB through the ring: no loss, no reorder (checksummed)", () => {
  const page = new ArrayBuffer(4096);
  const guest = new ConsoleRing(page, { role: "frontend" });
  const dom0 = new ConsoleRing(page, { role: "backend" });
  const total = 100 * 1024 * 1024;
  const rand = prng(99);
  const source = new Uint8Array(1 << 16).map(() => Math.floor(rand() * 256));
  const sink = new Uint8Array(4096);
  let sent = 0;
  let received = 0;
  let sumSent = 0;
  let sumReceived = 0;
  while (received < total) {
    if (sent < total) {
      const at = sent & 0xffff;
      const len = Math.min(1 + Math.floor(rand() * 3000), total - sent, 0x10000 - at);
      const n = guest.write(source.subarray(at, at + len));
      for (let i = 0; i < n; i++) sumSent = (sumSent * 31 + source[at + i]) >>> 0;
      sent += n;
    }
    const n = dom0.readInto(sink.subarray(0, 1 + Math.floor(rand() * 4095)));
    // An order-sensitive checksum: a lost, duplicated or swapped byte changes it.
    for (let i = 0; i < n; i++) sumReceived = (sumReceived * 31 + sink[i]) >>> 0;
    received += n;
  }
  assert.equal(received, total);
  assert.equal(sumReceived, sumSent);
});
