// Copyright 2026 the xenpv authors. MIT license.
// The console server's viewers, with WebSocket clients against simulated
// guests: typing and the keyboard, the scrollback, guests coming and going, a
// viewer too slow to keep, the input rate.

import assert from "node:assert/strict";
import { SimulatedHost } from "../../sim/mod.ts";
import type { GuestProgram, GuestProgramFactory } from "../../sim/mod.ts";
import {
  type AuditEntry,
  type GuestSummary,
  serveConsoles,
  type ServerMessage,
} from "../../serve/mod.ts";
import { guests, holder, originOf, setup, upgrade, viewer } from "./_server.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

Deno.test("serve: log in to Windows, run ver; a second viewer sees it and types only once it takes the keyboard", async () => {
  const audit: AuditEntry[] = [];
  await using t = await setup({ audit });
  const { server, win } = t;
  await using alice = await viewer(server, win.domid, "alice");
  await using bob = await viewer(server, win.domid, "bob");
  await alice.waitText(/WIN1 login: $/);
  await bob.waitText(/WIN1 login: $/);
  // nobody holds the keyboard: input is refused
  alice.type("Administrator\r");
  await alice.waitMessage((m) => m.type === "notice" && /read-only/.test(String(m.message)));
  alice.send({ type: "take" });
  await bob.until("alice holds the keyboard", () => holder(bob) === "alice");
  alice.type("Administrator\r");
  await alice.waitText(/Password: $/);
  for (const key of "xenpv\r") alice.type(key); // a browser sends a key at a time
  await alice.waitText(/C:\\Users\\Administrator>$/);
  alice.type("ver\r");
  await alice.waitText(
    /ver\r\n\r\nMicrosoft Windows \[Version 10\.0\.15063\]\r\n\r\nC:\\Users\\Administrator>$/,
  );
  await bob.waitText(/Microsoft Windows \[Version 10\.0\.15063\]/);
  // bob is read-only until he takes the keyboard
  bob.type("hostname\r");
  await bob.waitMessage((m) =>
    m.type === "notice" && /token #\d+ \(says "alice"\) has it/.test(String(m.message))
  );
  assert.doesNotMatch(alice.text, /hostname/);
  bob.send({ type: "take" });
  await alice.until("bob holds the keyboard", () => holder(alice) === "bob");
  alice.type("whoami\r");
  await alice.waitMessage((m) =>
    m.type === "notice" && /token #\d+ \(says "bob"\) has it/.test(String(m.message))
  );
  bob.type("hostname\r");
  await alice.waitText(/hostname\r\nWIN1\r\n/);
  assert.doesNotMatch(bob.text, /whoami/);
  const listed = (await guests(server)).find((g) => g.domid === win.domid)!;
  assert.equal(listed.writer?.name, "bob");
  assert.deepEqual(listed.viewers.map((v) => v.name).sort(), ["alice", "bob"]);
  // the audit: who typed which line, the password masked
  const lines = audit.filter((e) => e.event === "input").map((e) => `${e.viewer.name}: ${e.text}`);
  assert.deepEqual(lines, [
    "alice: Administrator",
    "alice: [redacted]",
    "alice: ver",
    "bob: hostname",
  ]);
  assert.doesNotMatch(JSON.stringify(audit), /xenpv/);
  assert.ok(audit.some((e) => e.event === "take" && e.viewer.name === "bob"));
});

Deno.test("serve: a line recalled with Up is audited as approximate, with its raw keys", async () => {
  const audit: AuditEntry[] = [];
  await using t = await setup({ audit });
  const { server, deb } = t;
  await using alice = await viewer(server, deb.domid, "alice");
  await alice.waitText(/login: $/);
  alice.send({ type: "take" });
  await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
  alice.type("root\r");
  await alice.waitText(/Password: $/);
  alice.type("xenpv\r");
  await alice.waitText(/# $/);
  alice.type("echo marker-42\r");
  await alice.waitText(/\r\nmarker-42\r\n/);
  alice.type("\x1b[A\r"); // Up, Enter: a shell with history runs "echo marker-42" again
  const inputs = () => audit.filter((e) => e.event === "input");
  await alice.until("four lines audited", () => inputs().length === 4);
  assert.deepEqual(
    inputs().map(({ text, approximate, keys }) => ({ text, approximate, keys })),
    [
      { text: "root", approximate: undefined, keys: undefined },
      { text: "[redacted]", approximate: undefined, keys: undefined },
      { text: "echo marker-42", approximate: undefined, keys: undefined },
      { text: "", approximate: true, keys: "\x1b[A" },
    ],
  );
});

Deno.test("serve: a new viewer gets the scrollback first, then the stream", async () => {
  await using t = await setup();
  const { server, deb } = t;
  {
    await using first = await viewer(server, deb.domid, "first");
    await first.waitText(/login: $/);
    first.send({ type: "take" });
    first.type("root\r");
    await first.waitText(/Password: $/);
    first.type("xenpv\r");
    await first.waitText(/# $/);
    first.type("echo marker-42\r");
    await first.waitText(/\r\nmarker-42\r\n/);
  }
  await using late = await viewer(server, deb.domid, "late");
  await late.waitText(/login: [\s\S]*\r\nmarker-42\r\n[\s\S]*# $/);
  const listed = (await guests(server)).find((g) => g.domid === deb.domid)!;
  assert.equal(listed.viewers.length, 1);
  assert.equal(listed.writer, null); // the first viewer left: nobody holds the keyboard
});

Deno.test("serve: guests appear and go live as they are created; a destroyed one is marked gone", async () => {
  await using t = await setup();
  const { server, host, deb } = t;
  await using watcher = await viewer(server, deb.domid, "watcher");
  await watcher.waitMessage((m) => m.type === "state" && m.state === "live");
  const extra = await host.createGuest({ name: "late1", program: "linux" });
  const deadline = Date.now() + 5000;
  let found: GuestSummary | undefined;
  while (Date.now() < deadline) {
    found = (await guests(server)).find((g) => g.domid === extra.domid);
    if (found?.state === "live") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(found?.name, "late1");
  assert.equal(found?.state, "live");
  assert.equal(found?.guestType, "pv");
  assert.equal(found?.mode, "pty");
  await deb.destroy();
  await watcher.waitMessage((m) => m.type === "state" && m.state === "gone");
  const gone = (await guests(server)).find((g) => g.domid === deb.domid);
  assert.equal(gone?.state, "gone");
  // still readable, but there is no keyboard to take
  watcher.send({ type: "take" });
  await watcher.waitMessage((m) => m.type === "notice" && /gone/.test(String(m.message)));
  // a reboot: the same name comes back as a new domain, and its viewers are told
  const win = t.win;
  await using winViewer = await viewer(server, win.domid, "w");
  await winViewer.waitMessage((m) => m.type === "state" && m.state === "live");
  const reborn = await win.reboot();
  await winViewer.waitMessage((m) => m.type === "successor" && m.domid === reborn.domid);
});

/** A guest that prints `size` bytes when it gets "flood\r", as fast as its console takes them. */
function flooder(size: number): GuestProgramFactory {
  return (): GuestProgram => {
    let console: Parameters<GuestProgram["start"]>[0];
    let running = true;
    return {
      start(c) {
        console = c;
        c.write("ready> ");
      },
      async input(data) {
        if (!decoder.decode(data).includes("flood")) return;
        const line = encoder.encode("0123456789abcdef".repeat(4).slice(0, 62) + "\r\n");
        const chunk = new Uint8Array(16 * 1024);
        for (let i = 0; i < chunk.length; i += 64) chunk.set(line, i);
        for (let sent = 0; sent < size && running; sent += chunk.length) {
          console.write(chunk);
          await console.drained?.();
        }
        console.write("FLOOD-DONE\r\n");
      },
      stop() {
        running = false;
      },
    };
  };
}

Deno.test("serve: a viewer that stops reading is dropped; the others get every byte", async () => {
  const audit: AuditEntry[] = [];
  const size = 16 * 1024 * 1024;
  const host = new SimulatedHost();
  // ring mode: the guest's flow control reaches the server (xenconsoled drops what its
  // pty reader does not take in time, as the real one does)
  const guest = await host.createGuest({
    name: "flood1",
    program: flooder(size),
    xenconsoled: false,
  });
  await using server = await serveConsoles({
    host,
    mode: "ring",
    viewerBuffer: 256 * 1024,
    audit: (e) => audit.push(e),
  });
  try {
    await using fast = await viewer(server, guest.domid, "fast");
    await fast.waitText(/ready> $/);
    // the slow viewer: a raw socket that completes the handshake, then never reads
    const { port } = new URL(server.url);
    const slow = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    const handshake = [
      `GET /ws/${guest.domid}?name=slow&token=${server.token} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      `Origin: ${originOf(server)}`,
      ...Object.entries(upgrade).map(([k, v]) => `${k}: ${v}`),
    ].join("\r\n") + "\r\n\r\n";
    await slow.write(encoder.encode(handshake));
    const reply = new Uint8Array(256);
    await slow.read(reply);
    assert.match(decoder.decode(reply), /^HTTP\/1.1 101/);
    await fast.until("two viewers", () => fast.watching.length === 2);
    const before = fast.bytes;
    fast.send({ type: "take" });
    fast.type("flood\r");
    const started = performance.now();
    await fast.waitText(/FLOOD-DONE\r\n$/, 60000);
    const seconds = (performance.now() - started) / 1000;
    // every byte, in order: the pattern and the count
    assert.ok(fast.bytes - before >= size, `fast got ${fast.bytes - before} of ${size}`);
    const dropped = audit.find((e) => e.event === "dropped");
    assert.equal(dropped?.viewer.name, "slow");
    const listed = (await guests(server))[0];
    assert.deepEqual(listed.viewers.map((v) => v.name), ["fast"]);
    console.log(
      `  ${size >> 20} MiB through the server in ${seconds.toFixed(2)} s ` +
        `(${(size / 1048576 / seconds).toFixed(1)} MiB/s) with a stalled viewer dropped`,
    );
    slow.close();
  } finally {
    await server.close();
    await host.close();
  }
});

Deno.test("serve: input over the rate limit is refused with a notice, not queued", async () => {
  const host = new SimulatedHost();
  const deb = await host.createGuest({ name: "deb1", program: "linux" });
  await using server = await serveConsoles({ host, inputRate: 64 });
  try {
    await using me = await viewer(server, deb.domid, "me");
    await me.waitText(/login: $/);
    me.send({ type: "take" });
    me.type("x".repeat(65)); // more than a second's worth at once
    await me.waitMessage((m) => m.type === "notice" && /rate limit/.test(String(m.message)));
    me.type("root\r"); // within the rate: typed
    await me.waitText(/Password: $/);
    assert.doesNotMatch(me.text, /xxxxx/);
  } finally {
    await server.close();
    await host.close();
  }
});

Deno.test("serve: the input rate is the guest's: viewers taking the keyboard in turn share it", async () => {
  const host = new SimulatedHost();
  const deb = await host.createGuest({ name: "deb1", program: "linux" });
  await using server = await serveConsoles({ host, inputRate: 8 });
  try {
    const rateNotice = (m: ServerMessage) => m.type === "notice" && /rate limit/.test(m.message);
    await using first = await viewer(server, deb.domid, "first");
    await first.waitText(/login: $/);
    first.send({ type: "take" });
    await first.until("first holds the keyboard", () => holder(first) === "first");
    first.type("x".repeat(8)); // the whole second's worth
    await first.waitText(/xxxxxxxx$/);
    // a second socket (five, in the probe) took the keyboard: before, each got a rate of its own
    await using second = await viewer(server, deb.domid, "second");
    second.send({ type: "take" });
    await second.until("second holds the keyboard", () => holder(second) === "second");
    second.type("y".repeat(8));
    await second.waitMessage(rateNotice);
    assert.doesNotMatch(first.text, /y/);
    assert.ok(!first.messages.some(rateNotice));
  } finally {
    await server.close();
    await host.close();
  }
});

Deno.test("serve: viewers joining and leaving are told as batched changes, not the whole list to everyone each time", async () => {
  await using t = await setup();
  const { server, deb } = t;
  await using first = await viewer(server, deb.domid, "first");
  await first.waitText(/login: $/);
  const others = [];
  for (let i = 0; i < 30; i++) others.push(await viewer(server, deb.domid, `v${i}`));
  const all = ["first", ...others.map((_, i) => `v${i}`)].sort();
  await first.until("31 viewers", () => first.watching.join() === all.join());
  for (const v of others.slice(0, 15)) await v.close();
  const left = ["first", ...others.slice(15).map((_, i) => `v${i + 15}`)].sort();
  await first.until("16 viewers", () => first.watching.join() === left.join());
  const last = others[others.length - 1];
  await last.until("16 viewers", () => last.watching.join() === left.join());
  // what `first` was told of who watches: each viewer about twice (joined, left), not the
  // whole list on every change (that was 31 lists of 1 to 31 viewers, then 15 more: ~40 KB)
  const told = first.messages.filter((m) => m.type === "viewers" || m.type === "viewersChanged");
  const bytes = told.reduce((sum, m) => sum + JSON.stringify(m).length, 0);
  assert.ok(bytes < 100 * 46, `told ${bytes} bytes in ${told.length} messages`);
  for (const v of others.slice(15)) await v.close();
});

Deno.test("serve: a viewer that sends but never reads is dropped at its bound, control messages counted too", async () => {
  const audit: AuditEntry[] = [];
  await using t = await setup({ audit, viewerBuffer: 4096 });
  const { server, deb } = t;
  const { port } = new URL(server.url);
  using spam = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  const handshake = [
    `GET /ws/${deb.domid}?name=spam&token=${server.token} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    `Origin: ${originOf(server)}`,
    ...Object.entries(upgrade).map(([k, v]) => `${k}: ${v}`),
  ].join("\r\n") + "\r\n\r\n";
  await spam.write(encoder.encode(handshake));
  const reply = new Uint8Array(256);
  await spam.read(reply); // the 101; nothing after it is ever read
  assert.match(decoder.decode(reply), /^HTTP\/1.1 101/);
  // masked text frames (mask key 0) of a message type the server does not know: each earns a
  // notice back, which piles up unsent (before: without bound, in the server's memory)
  const payload = encoder.encode('{"type":"x"}');
  const frame = new Uint8Array([0x81, 0x80 | payload.length, 0, 0, 0, 0, ...payload]);
  const burst = new Uint8Array(frame.length * 1000);
  for (let i = 0; i < 1000; i++) burst.set(frame, i * frame.length);
  const dropped = () => audit.some((e) => e.event === "dropped" && e.viewer.name === "spam");
  for (let sent = 0; !dropped(); sent++) {
    assert.ok(sent < 2000, "never dropped after 2 million messages");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<"stalled">((resolve) =>
      timer = setTimeout(resolve, 10_000, "stalled")
    );
    try {
      // before: the server kept every notice, then stopped reading this socket, never dropping it
      const written = await Promise.race([spam.write(burst), stalled]);
      assert.notEqual(
        written,
        "stalled",
        `the server stopped reading, not dropping it (${sent} sent)`,
      );
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      break; // the server closed it
    } finally {
      clearTimeout(timer);
    }
  }
  const drop = audit.find((e) => e.event === "dropped")!;
  assert.match(drop.text!, /too slow: more than 4096 bytes unsent/);
  assert.ok(audit.some((e) => e.event === "leave" && e.viewer.name === "spam"));
  assert.deepEqual((await guests(server)).find((g) => g.domid === deb.domid)!.viewers, []);
});
