// Copyright 2026 the xenpv authors. MIT license.
// connect() against the simulated host, in every mode, with the faults a
// real host has: guests destroyed and rebooted, the pty appearing late,
// another client holding the lock, xenconsoled holding the ring.

import assert from "node:assert/strict";
import {
  connect,
  ConsoleBusyError,
  ConsoleNotFoundError,
  GuestGoneError,
  GuestNotFoundError,
  type XenConsole,
} from "../../mod.ts";
import { SimulatedHost } from "../../sim/mod.ts";
import { within } from "../_within.ts";
import { SystemError } from "../../ring/mod.ts";
import { ERRNO } from "../../_sys/errno.ts";
import { geteuid } from "../../_sys/libc.ts";
import { StdinSwap } from "../_stdin.ts";
import { openPtyPair } from "../../_sys/pty.ts";
import type { ByteStream, XenHost } from "../../mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Reads until `pattern` shows up in the text read so far. */
async function expect(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pattern: RegExp,
  seen = { text: "" },
): Promise<string> {
  while (!pattern.test(seen.text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before ${pattern}: ${JSON.stringify(seen.text)}`);
    seen.text += dec.decode(value);
  }
  return seen.text;
}

async function login(c: XenConsole): Promise<string> {
  const r = c.readable.getReader();
  const w = c.writable.getWriter();
  const seen = { text: "" };
  await w.write(enc.encode("\r"));
  await expect(r, /login: $/, seen);
  // One line per write, each after its prompt: the XENCONS helper drops what
  // follows Enter in the same read.
  await w.write(enc.encode("Administrator\r"));
  await expect(r, /Password: $/, seen);
  await w.write(enc.encode("xenpv\r"));
  await expect(r, /Administrator>$/, seen);
  seen.text = "";
  await w.write(enc.encode("echo ok %USERNAME%\r"));
  const out = await expect(r, /ok Administrator\r\n\r\nC:\\Users\\Administrator>$/, seen);
  r.releaseLock();
  w.releaseLock();
  return out;
}

Deno.test("pty mode: a console tty in xenstore that is not xenconsoled's pty is refused", async () => {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({ name: "win1" });
  await using xs = host.xenstore.connectClient();
  const key = `/local/domain/${guest.domid}/console/tty`;
  const real = await xs.readString(key);
  const pair = openPtyPair(); // a terminal that is not the guest's
  try {
    using stdin = new StdinSwap();
    await xs.write(key, pair.slavePath);
    const refused = (why: RegExp) => (e: unknown) =>
      e instanceof SystemError && e.code === "ENOTTY" && e.path === pair.slavePath &&
      why.test(e.message) && /not opened/.test(e.message);
    // our own stdin, as a dom0 writer could name it
    stdin.put(pair.slave.fd);
    await assert.rejects(connect("win1", { host, mode: "pty" }), refused(/own terminal/));
    stdin.restore();
    if (geteuid() === 0) { // another user's terminal
      await Deno.chown(pair.slavePath, 1000, null);
      await assert.rejects(connect("win1", { host, mode: "pty" }), refused(/owned by uid 1000/));
    }
    await xs.write(key, real); // xenconsoled's own: attached
    await using c = await connect("win1", { host, mode: "pty" });
    assert.equal(c.info.tty, real);
  } finally {
    await pair.slave.close();
    await pair.master.close();
  }
});

Deno.test("pty mode: through the simulated xenconsoled, with the backlog first", async () => {
  await using host = new SimulatedHost();
  await host.createGuest({ name: "win1" });
  await using c = await connect("win1", { host });
  assert.equal(c.mode, "pty");
  assert.match(c.info.tty ?? "", /^\/dev\/pts\/\d+$/);
  const r = c.readable.getReader();
  await expect(r, /\[ATTACHED\]\r\n\r\nWIN1 login: $/); // buffered before we attached
  r.releaseLock();
  await login(c);
});

Deno.test("ring mode: we are the backend once xenconsoled is stopped", async () => {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({ name: "win1" });
  await guest.stopXenconsoled();
  await using c = await connect(guest.domid, { host, mode: "ring" });
  assert.equal(c.mode, "ring");
  assert.equal(c.info.mapMethod, "simulated");
  await login(c);
});

Deno.test("auto mode picks pty when xenconsoled serves, ring otherwise", async () => {
  await using host = new SimulatedHost();
  const a = await host.createGuest({ name: "a" });
  const b = await host.createGuest({ name: "b", xenconsoled: false });
  {
    await using c = await connect("a", { host });
    assert.equal(c.mode, "pty");
  }
  {
    await using c = await connect("b", { host });
    assert.equal(c.mode, "ring");
  }
  assert.ok(a.alive && b.alive);
});

Deno.test("auto mode takes the pty when the page cannot be mapped (no gntdev/privcmd)", async () => {
  await using host = new SimulatedHost();
  await host.createGuest({ name: "a" });
  const noMapping: XenHost = {
    openXenstore: () => host.openXenstore(),
    mapConsolePage: () => {
      throw new SystemError(ERRNO.EACCES, "open", { path: "/dev/xen/gntdev" });
    },
    bindEventChannel: (domid, port) => host.bindEventChannel(domid, port),
    openPty: (path) => host.openPty(path),
    lockConsole: (domid) => host.lockConsole(domid),
  };
  {
    await using c = await connect("a", { host: noMapping });
    assert.equal(c.mode, "pty");
  }
  await assert.rejects(connect("a", { host: noMapping, mode: "ring" }), SystemError);
});

Deno.test("ring mode refuses while xenconsoled serves the console", async () => {
  await using host = new SimulatedHost();
  await host.createGuest({ name: "win1" });
  await assert.rejects(
    connect("win1", { host, mode: "ring" }),
    (e) =>
      e instanceof ConsoleBusyError && e.reason === "backend" &&
      /xenconsoled .*serves this console/.test(e.message),
  );
});

Deno.test("unknown guests and bad arguments", async () => {
  await using host = new SimulatedHost();
  await assert.rejects(connect("nobody", { host }), GuestNotFoundError);
  await assert.rejects(connect(42, { host }), GuestNotFoundError);
  await assert.rejects(connect(0, { host }), RangeError);
  await assert.rejects(connect("x", { host, mode: "fast" as never }), TypeError);
  await assert.rejects(connect("x", { host, kind: "serial", mode: "ring" }), TypeError);
  await assert.rejects(connect("x", { host, index: -1 }), RangeError);
});

Deno.test("info.guestType: the kind libxl recorded (pv, pvh, hvm), kept across a follow", async () => {
  await using host = new SimulatedHost();
  await host.createGuest({ name: "win1" }); // Windows guests are HVM
  await host.createGuest({ name: "deb1", program: "linux" });
  const pvh = await host.createGuest({ name: "pvh1", program: "linux", type: "pvh" });
  for (const [name, type] of [["win1", "hvm"], ["deb1", "pv"], ["pvh1", "pvh"]]) {
    await using c = await connect(name, { host });
    assert.equal(c.info.guestType, type, name);
  }
  // a toolstack that records no kind (or something else): undefined, not a guess
  await host.xenstore.connectClient().write(`/libxl/${pvh.domid}/type`, "\x1b]0;pwned\x07");
  {
    await using c = await connect("pvh1", { host });
    assert.equal(c.info.guestType, undefined);
  }
  {
    await using c = await connect("deb1", { host, follow: true });
    const reattached = new Promise((r) => c.addEventListener("reattach", r, { once: true }));
    await host.guest("deb1")!.reboot();
    await reattached;
    assert.equal(c.info.guestType, "pv");
  }
  await assert.rejects(
    host.createGuest({ name: "x", type: "xen" as never }),
    (e) => e instanceof TypeError && /pv, pvh or hvm/.test(e.message),
  );
});

Deno.test("a console the guest does not have is ConsoleNotFoundError at once, saying why for its kind", async () => {
  await using host = new SimulatedHost();
  await host.createGuest({ name: "deb1", program: "linux" });
  await host.createGuest({ name: "pvh1", program: "linux", type: "pvh" });
  await host.createGuest({ name: "win1" });
  const rejects = (
    name: string,
    options: Parameters<typeof connect>[1],
    reason: ConsoleNotFoundError["reason"],
    pattern: RegExp,
  ) =>
    within(
      5000, // at once, not after waiting for a tty that cannot appear
      assert.rejects(connect(name, { host, ttyTimeout: 60_000, ...options }), (e) => {
        assert.ok(e instanceof ConsoleNotFoundError, String(e));
        assert.equal(e.reason, reason);
        assert.match(e.message, pattern);
        return true;
      }),
    );
  await rejects(
    "deb1",
    { kind: "serial" },
    "no-serial",
    /PV guest\).*only HVM guests have an emulated serial/,
  );
  await rejects("pvh1", { kind: "serial" }, "no-serial", /PVH guest\).*only HVM guests/);
  await rejects("win1", { kind: "serial" }, "no-serial", /HVM guest\).*serial = "pty"/);
  await rejects(
    "win1",
    { index: 1 },
    "no-secondary",
    /no PV console at \/local\/domain\/\d+\/device\/console\/1/,
  );
  await rejects("win1", { index: 1, mode: "pty" }, "no-secondary", /no PV console/);
  // the console's keys removed (a toolstack that set up none): HVM points at the serial port
  const win1 = host.guest("win1")!;
  await win1.stopXenconsoled();
  await host.xenstore.connectClient().rm(`/local/domain/${win1.domid}/console/port`);
  await rejects("win1", {}, "no-console", /HVM guest\).*no valid .*port.*kind "serial"/);
});

Deno.test("a second pty attach is refused by the xenconsole lock", async () => {
  await using host = new SimulatedHost();
  await host.createGuest({ name: "win1" });
  const first = await connect("win1", { host });
  await assert.rejects(
    connect("win1", { host }),
    (e) =>
      e instanceof ConsoleBusyError && e.reason === "locked" &&
      /another console client/.test(e.message),
  );
  await first.close();
  await using again = await connect("win1", { host }); // released on close
  assert.equal(again.mode, "pty");
});

Deno.test("start race: the pty appears after connect() began", async () => {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({ name: "win1", xenconsoled: false });
  setTimeout(() => guest.startXenconsoled(), 200);
  await using c = await connect("win1", { host, mode: "pty", ttyTimeout: 5000 });
  assert.equal(c.mode, "pty");
  const r = c.readable.getReader();
  await expect(r, /WIN1 login: $/);
  r.releaseLock();
});

Deno.test("the pty never appearing is a clear error after ttyTimeout", async () => {
  await using host = new SimulatedHost();
  await host.createGuest({ name: "win1", xenconsoled: false });
  await assert.rejects(
    connect("win1", { host, mode: "pty", ttyTimeout: 100 }),
    (e) =>
      e instanceof ConsoleBusyError && e.reason === "no-tty" &&
      /did not appear within 100 ms/.test(e.message),
  );
});

for (const mode of ["pty", "ring"] as const) {
  Deno.test(`${mode} mode: the guest destroyed mid-stream errors the stream with GuestGoneError`, async () => {
    await using host = new SimulatedHost();
    const guest = await host.createGuest({ name: "win1", xenconsoled: mode === "pty" });
    await using c = await connect("win1", { host, mode });
    const r = c.readable.getReader();
    await expect(r, /login: $/).catch(() => {}); // ring mode: output may still be in the ring
    setTimeout(() => guest.destroy(), 50);
    await assert.rejects(
      (async () => {
        for (;;) if ((await r.read()).done) return;
      })(),
      GuestGoneError,
    );
  });
}

Deno.test("follow: the same stream continues across a reboot (new domid)", async () => {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({ name: "win1" });
  await using c = await connect("win1", { host, follow: true });
  const events: number[] = [];
  c.addEventListener("reattach", (e) => events.push((e as CustomEvent).detail.to));
  const r = c.readable.getReader();
  await expect(r, /login: $/);
  const next = await guest.reboot();
  assert.notEqual(next.domid, guest.domid);
  await expect(r, /\[ATTACHED\]/); // the new boot's banner, on the same reader
  assert.deepEqual(events, [next.domid]);
  assert.equal(c.domid, next.domid);
  r.releaseLock();
  await login(c);
});

Deno.test("follow: a new domain announced before its console keys are written is waited for", async () => {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({ name: "win1" });
  const other = await host.createGuest({ name: "other" }); // lends its pty to the new domain
  const otherTty = await other.startXenconsoled();
  await using c = await connect("win1", { host, follow: true, mode: "pty" });
  const reattached = new Promise<number>((resolve) =>
    c.addEventListener("reattach", (e) => resolve((e as CustomEvent).detail.to), { once: true })
  );
  const failed = c.subscribe().pipeTo(new WritableStream()).then(() => -1, () => -2);
  await guest.destroy();
  // as libxl does: the domain is introduced, its console keys come a moment later
  await using xs = host.xenstore.connectClient();
  await xs.write("/local/domain/50/name", "win1");
  host.xenstore.introduceDomain(50);
  await new Promise((r) => setTimeout(r, 100));
  await xs.write("/local/domain/50/console/tty", otherTty);
  assert.equal(await Promise.race([reattached, failed]), 50);
  assert.equal(c.domid, 50);
  assert.equal(c.info.tty, otherTty);
});

Deno.test("fan-out: two readers see the same output", async () => {
  await using host = new SimulatedHost();
  await host.createGuest({ name: "deb1", program: "linux" });
  await using c = await connect("deb1", { host });
  const second = c.subscribe().getReader();
  const first = c.readable.getReader();
  const [a, b] = await Promise.all([
    expect(first, /deb1 login: $/),
    expect(second, /deb1 login: $/),
  ]);
  assert.equal(a, b);
  first.releaseLock();
  await second.cancel();
});

Deno.test("a slow reader holds the guest back instead of buffering without bound", async () => {
  await using host = new SimulatedHost();
  let push: ((s: string) => void) | undefined;
  const guest = await host.createGuest({
    name: "flood",
    xenconsoled: false,
    program: () => ({
      start: (out) => push = (s) => out.write(s),
      input: () => {},
      stop: () => {},
    }),
  });
  await using c = await connect("flood", { host, mode: "ring" });
  const line = "x".repeat(1000) + "\r\n";
  for (let i = 0; i < 2000; i++) push!(line); // 2 MB offered; nobody reads yet
  await new Promise((r) => setTimeout(r, 100));
  // Nobody reads: the console stops pulling at its high-water mark, so the
  // ring stays full and the guest is held back (not buffered in dom0).
  const [, , outCons, outProd] = new Uint32Array(guest.page, 3072, 4);
  assert.equal((outProd - outCons) >>> 0, 2048);
  const reader = c.readable.getReader();
  let total = 0;
  while (total < 2000 * line.length) {
    const { value } = await reader.read();
    total += value!.length;
  }
  assert.equal(total, 2000 * line.length);
  reader.releaseLock();
});

/** A guest whose console output the test writes through `push`. */
async function pushGuest(host: SimulatedHost, name: string, xenconsoled: boolean) {
  let push: ((data: string | Uint8Array) => void) | undefined;
  const guest = await host.createGuest({
    name,
    xenconsoled,
    program: () => ({
      start: (out) => push = (d) => out.write(d),
      input: () => {},
      stop: () => {},
    }),
  });
  return { guest, push: (d: string | Uint8Array) => push!(d) };
}

/**
 * A host whose ptys offer only `read()` (a custom ByteStream without
 * `readInto`), in 20,000-byte chunks: more than the console takes in one read,
 * so the rest of each chunk must wait for the next. The tests send multiples
 * of 20,000 bytes.
 */
class ReadOnlyPtyHost extends SimulatedHost {
  override openPty(path: string): ByteStream {
    const s = this.#pty(path);
    let held = new Uint8Array(0);
    return {
      read: async (signal) => {
        while (held.length < 20_000) {
          const more = await s.read(signal);
          if (more === null) return null;
          const joined = new Uint8Array(held.length + more.length);
          joined.set(held);
          joined.set(more, held.length);
          held = joined;
        }
        const chunk = held.slice(0, 20_000);
        held = held.slice(20_000);
        return chunk;
      },
      write: (d) => s.write(d),
      close: () => s.close(),
    };
  }
  #pty(path: string): ByteStream {
    return super.openPty(path);
  }
}

for (
  const [mode, Host] of [
    ["ring", SimulatedHost],
    ["pty", SimulatedHost],
    ["pty (read-only stream)", ReadOnlyPtyHost],
  ] as const
) {
  Deno.test(`${mode} mode: a BYOB reader gets every byte, in order, in its own buffer`, async () => {
    await using host = new Host();
    const { push } = await pushGuest(host, "byob", mode !== "ring");
    await using c = await connect("byob", { host, mode: mode === "ring" ? "ring" : "pty" });
    const data = new Uint8Array(200_000).map((_, i) => (i * 31 + (i >> 8)) & 0xff);
    push(data);
    const reader = c.readable.getReader({ mode: "byob" });
    // Smaller than one ring (2048) or pty read: the rest of each read waits in the stream.
    let buffer = new ArrayBuffer(1000);
    const got = new Uint8Array(data.length);
    let at = 0;
    while (at < data.length) {
      // A lost byte would leave the reader waiting: bounded, so it fails instead.
      const { value, done } = await within(10_000, reader.read(new Uint8Array(buffer)));
      assert.equal(done, false);
      assert.equal(value!.buffer.byteLength, 1000); // the memory handed in, handed back
      assert.ok(value!.length > 0);
      got.set(value!, at);
      at += value!.length;
      buffer = value!.buffer as ArrayBuffer;
    }
    assert.deepEqual(got, data);
    reader.releaseLock();
  });
}

Deno.test("a subscriber joining during a BYOB read gets the same bytes", async () => {
  await using host = new SimulatedHost();
  const { push } = await pushGuest(host, "join", false);
  await using c = await connect("join", { host, mode: "ring" });
  const a = c.readable.getReader({ mode: "byob" });
  const pending = a.read(new Uint8Array(1024)); // the only reader: the ring is read into this
  await new Promise((r) => setTimeout(r, 20));
  const b = c.subscribe().getReader();
  push("hello");
  const { value } = await pending;
  assert.equal(dec.decode(value), "hello");
  assert.equal(dec.decode((await b.read()).value), "hello");
  a.releaseLock();
  await b.cancel();
});

Deno.test("a BYOB reader that cancels mid-read takes nothing from the others", async () => {
  await using host = new SimulatedHost();
  const { push } = await pushGuest(host, "leave", false);
  await using c = await connect("leave", { host, mode: "ring" });
  const a = c.readable.getReader({ mode: "byob" });
  const pending = a.read(new Uint8Array(1024));
  await new Promise((r) => setTimeout(r, 20));
  const b = c.subscribe().getReader();
  await a.cancel();
  assert.equal((await pending).done, true);
  push("still here");
  assert.equal(dec.decode((await b.read()).value), "still here");
  await b.cancel();
});

Deno.test("one domid rule everywhere: 0..0x7FEF; 0x7FF0 up are Xen's reserved ids", async () => {
  await using host = new SimulatedHost();
  await using xs = await host.openXenstore();
  for (const bad of [-1, 1.5, NaN, 0x7ff0, 0xffff]) {
    await assert.rejects(connect(bad, { host }), RangeError, `connect ${bad}`);
    await assert.rejects(xs.getDomainPath(bad), RangeError, `getDomainPath ${bad}`);
    assert.throws(() => host.xenstore.connectClient({ domid: bad }), RangeError);
  }
  assert.equal(await xs.getDomainPath(0x7fef), "/local/domain/32751");
  await assert.rejects(connect("32752", { host }), /0x7FF0 are Xen's reserved ones/);
});

Deno.test("a guest name is looked up under guests' ids only (not dom0, reserved or stray keys)", async () => {
  await using host = new SimulatedHost();
  await using xs = await host.openXenstore();
  for (const id of ["0", "32752", "65535", "x", "007a"]) {
    await xs.write(`/local/domain/${id}/name`, "ghost");
  }
  await assert.rejects(connect("ghost", { host }), GuestNotFoundError);
});

Deno.test("a signal aborted while connect() runs: it rejects with the reason, nothing left open", async () => {
  await using host = new SimulatedHost();
  await host.createGuest({ name: "a" });
  for (const mode of ["pty", "ring"] as const) {
    if (mode === "ring") await host.guests[0].stopXenconsoled();
    const controller = new AbortController();
    // aborted once the console is reached, before connect() returns
    const aborting: XenHost = {
      openXenstore: () => host.openXenstore(),
      mapConsolePage: (domid, options) => host.mapConsolePage(domid, options),
      bindEventChannel: (domid, port) => host.bindEventChannel(domid, port),
      openPty: (path) => {
        controller.abort(new Error("stop"));
        return host.openPty(path);
      },
      lockConsole: (domid) => {
        const lock = host.lockConsole(domid);
        if (mode === "ring") controller.abort(new Error("stop"));
        return lock;
      },
    };
    await assert.rejects(
      connect("a", { host: aborting, mode, signal: controller.signal }),
      (err: Error) => err.message === "stop",
      mode,
    );
    // the lock was released: a new attach works
    await using again = await connect("a", { host, mode });
    assert.equal(again.mode, mode);
  }
});
