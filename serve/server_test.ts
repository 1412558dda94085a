// Copyright 2026 the xenpv authors. MIT license.
// The console server against the simulated host, with plain WebSocket
// clients (and raw TCP for what a WebSocket client cannot do: send no token,
// a foreign Origin, or stop reading).

import assert from "node:assert/strict";
import { SimulatedHost } from "../sim/mod.ts";
import type { XenHost } from "../host.ts";
import { type GuestProgram, type GuestProgramFactory, windowsGuest } from "../xencons/mod.ts";
import { XenstoreClient, type XenstoreTransport } from "../xenstore/mod.ts";
import { type ConsoleServer, serveConsoles, type ServeConsolesOptions } from "./mod.ts";
import type { AuditEntry, GuestSummary } from "./types.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The server's origin (what the page's own WebSockets send as Origin). */
const originOf = (server: ConsoleServer) => new URL(server.url).origin;

/** A WebSocket viewer that records what it gets. */
class Client implements AsyncDisposable {
  readonly socket: WebSocket;
  /** The last 64 KiB of guest output, decoded. */
  text = "";
  bytes = 0;
  messages: Record<string, unknown>[] = [];
  closed: Promise<CloseEvent>;
  #changed: (() => void)[] = [];

  constructor(server: ConsoleServer, domid: number, name: string) {
    const url = new URL(`/ws/${domid}?name=${name}&token=${server.token}`, server.url);
    url.protocol = "ws:";
    this.socket = new WebSocket(url, { headers: { origin: originOf(server) } } as never);
    this.socket.binaryType = "arraybuffer";
    this.socket.onmessage = (e) => {
      if (typeof e.data === "string") this.messages.push(JSON.parse(e.data));
      else {
        this.bytes += (e.data as ArrayBuffer).byteLength;
        // the recent output only: the tests look at what just came
        this.text = (this.text + decoder.decode(e.data as ArrayBuffer, { stream: true }))
          .slice(-64 * 1024);
      }
      for (const f of this.#changed.splice(0)) f();
    };
    this.closed = new Promise((resolve) => {
      this.socket.onclose = (e) => {
        resolve(e);
        for (const f of this.#changed.splice(0)) f();
      };
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.onopen = () => resolve();
      this.socket.onerror = (e) =>
        reject(new Error(`WebSocket failed: ${(e as ErrorEvent).message}`));
    });
  }

  /** Waits until `test` holds, or fails after `ms` with what was seen. */
  async until(what: string, test: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!test()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out waiting for ${what}; output: ${JSON.stringify(this.text.slice(-400))}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#changed.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  waitText(pattern: RegExp, ms?: number): Promise<void> {
    return this.until(`output ${pattern}`, () => pattern.test(this.text), ms);
  }

  waitMessage(test: (m: Record<string, unknown>) => boolean, ms?: number): Promise<void> {
    return this.until("a message", () => this.messages.some(test), ms);
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  type(data: string): void {
    this.send({ type: "input", data });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    await this.closed;
  }
}

async function viewer(server: ConsoleServer, domid: number, name: string): Promise<Client> {
  const client = new Client(server, domid, name);
  await client.opened();
  return client;
}

const holder = (c: Client) =>
  (c.messages.findLast((m) => m.type === "keyboard")?.holder as { name: string } | null)?.name;

async function guests(server: ConsoleServer): Promise<GuestSummary[]> {
  const response = await fetch(new URL("/api/guests", server.url), {
    headers: { authorization: `Bearer ${server.token}` },
  });
  assert.equal(response.status, 200);
  return await response.json();
}

/** A raw HTTP/1.1 request (a WebSocket handshake, say): the status line and headers. */
async function rawRequest(server: ConsoleServer, path: string, headers: Record<string, string>) {
  const { port, host } = new URL(server.url);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  const lines = [`GET ${path} HTTP/1.1`];
  if (!("Host" in headers)) lines.push(`Host: ${host}`);
  if (!("Connection" in headers)) lines.push("Connection: close");
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  await conn.write(encoder.encode(lines.join("\r\n") + "\r\n\r\n"));
  const buf = new Uint8Array(4096);
  const n = await conn.read(buf);
  return decoder.decode(buf.subarray(0, n ?? 0));
}

const upgrade = {
  Upgrade: "websocket",
  Connection: "Upgrade",
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version": "13",
};

async function setup(
  options: {
    audit?: AuditEntry[];
    viewerBuffer?: number;
    programs?: GuestProgramFactory;
    serve?: ServeConsolesOptions;
    before?: (host: SimulatedHost) => Promise<void>;
  } = {},
) {
  const host = new SimulatedHost();
  const win = await host.createGuest({ name: "win1", program: "windows" });
  const deb = await host.createGuest({ name: "deb1", program: "linux" });
  await options.before?.(host);
  const server = await serveConsoles({
    host,
    audit: options.audit ? (e) => options.audit!.push(e) : undefined,
    viewerBuffer: options.viewerBuffer,
    ...options.serve,
  });
  return {
    host,
    win,
    deb,
    server,
    async [Symbol.asyncDispose]() {
      await server.close();
      await host.close();
    },
  };
}

Deno.test("serve: no token or a wrong one is 401, on every path and the WebSocket", async () => {
  await using t = await setup();
  const { server } = t;
  for (const path of ["/", "/api/guests", "/static/app.js", "/static/xterm.mjs", "/nope"]) {
    const plain = await fetch(new URL(path, server.url));
    assert.equal(plain.status, 401, path);
    await plain.body?.cancel();
    const wrong = await fetch(new URL(`${path}?token=${"0".repeat(64)}`, server.url));
    assert.equal(wrong.status, 401, path);
    await wrong.body?.cancel();
  }
  const ws = await rawRequest(t.server, "/ws/1", { ...upgrade, Origin: originOf(server) });
  assert.match(ws, /^HTTP\/1.1 401/);
  // the server does not say what the token is like, nor echo it
  const text = await (await fetch(server.url)).text();
  assert.doesNotMatch(text, new RegExp(server.token));
});

Deno.test("serve: ?token= sets an HttpOnly SameSite=Strict cookie and leaves the address bar", async () => {
  await using t = await setup();
  const { server } = t;
  const first = await fetch(`${server.url}?token=${server.token}`, { redirect: "manual" });
  assert.equal(first.status, 303);
  assert.equal(first.headers.get("location"), "/");
  const cookie = first.headers.get("set-cookie")!;
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /; SameSite=Strict/);
  await first.body?.cancel();
  const pair = cookie.split(";")[0];
  const page = await fetch(server.url, { headers: { cookie: pair } });
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-security-policy")!, /script-src 'self'/);
  const html = await page.text();
  assert.match(html, /<script type="module" src="\/static\/app.js">/);
  for (const path of ["/static/xterm.mjs", "/static/addon-fit.mjs", "/static/xterm.css"]) {
    const asset = await fetch(new URL(path, server.url), { headers: { cookie: pair } });
    assert.equal(asset.status, 200, path);
    assert.ok((await asset.text()).length > 1000, path);
  }
});

Deno.test("serve: a foreign or missing Origin and a foreign Host are refused", async () => {
  await using t = await setup();
  const { server } = t;
  const path = `/ws/1?token=${server.token}`;
  const evil = await rawRequest(server, path, { ...upgrade, Origin: "http://evil.example" });
  assert.match(evil, /^HTTP\/1.1 403/);
  const none = await rawRequest(server, path, upgrade);
  assert.match(none, /^HTTP\/1.1 403/);
  const own = await rawRequest(server, path, { ...upgrade, Origin: originOf(server) });
  assert.match(own, /^HTTP\/1.1 101/);
  // DNS rebinding: a page of evil.example resolving to 127.0.0.1 sends its own Host
  const { port } = new URL(server.url);
  const rebound = await rawRequest(server, `/api/guests?token=${server.token}`, {
    Host: `evil.example:${port}`,
  });
  assert.match(rebound, /^HTTP\/1.1 421/);
  const local = await rawRequest(server, `/api/guests?token=${server.token}`, {
    Host: `localhost:${port}`,
  });
  assert.match(local, /^HTTP\/1.1 200/);
});

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
  await bob.waitMessage((m) => m.type === "notice" && /alice #\d+ has it/.test(String(m.message)));
  assert.doesNotMatch(alice.text, /hostname/);
  bob.send({ type: "take" });
  await alice.until("bob holds the keyboard", () => holder(alice) === "bob");
  alice.type("whoami\r");
  await alice.waitMessage((m) => m.type === "notice" && /bob #\d+ has it/.test(String(m.message)));
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
    await fast.until(
      "two viewers",
      () =>
        fast.messages.some((m) => m.type === "viewers" && (m.viewers as unknown[]).length === 2),
    );
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

Deno.test("serve: bad options are refused before anything starts", async () => {
  await using host = new SimulatedHost();
  await assert.rejects(serveConsoles({ host, token: "short" }), TypeError);
  await assert.rejects(serveConsoles({ host, token: "x".repeat(20) + ";" }), TypeError);
  await assert.rejects(serveConsoles({ host, port: 65536 }), RangeError);
  await assert.rejects(serveConsoles({ host, mode: "fast" as never }), TypeError);
  await assert.rejects(serveConsoles({ host, viewerBuffer: 0 }), RangeError);
});

Deno.test("serve: HTTPS with a certificate and key; the cookie is Secure", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const made = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
        "-keyout",
        `${dir}/key.pem`,
        "-out",
        `${dir}/cert.pem`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(made.success, new TextDecoder().decode(made.stderr));
    const cert = await Deno.readTextFile(`${dir}/cert.pem`);
    const key = await Deno.readTextFile(`${dir}/key.pem`);
    await using host = new SimulatedHost();
    await host.createGuest({ name: "win1" });
    await using server = await serveConsoles({ host, tls: { cert, key } });
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    using client = Deno.createHttpClient({ caCerts: [cert] });
    const first = await fetch(`${server.url}?token=${server.token}`, {
      client,
      redirect: "manual",
    });
    assert.equal(first.status, 303);
    assert.match(first.headers.get("set-cookie")!, /; Secure/);
    await first.body?.cancel();
    const list = await fetch(new URL("/api/guests", server.url), {
      client,
      headers: { authorization: `Bearer ${server.token}` },
    });
    assert.equal((await list.json())[0].name, "win1");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Every file in `dir`: name -> text. */
async function filesIn(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    out[e.name] = e.isFile
      ? await Deno.readTextFile(`${dir}/${e.name}`)
      : `(${e.isSymlink ? "symlink" : "dir"})`;
  }
  return out;
}

/** GET with the token; the response's status, headers and text. */
async function get(server: ConsoleServer, path: string, token: string | null = server.token) {
  const response = await fetch(new URL(path, server.url), {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

Deno.test("serve: logDir logs each guest to guest-<name>.log, stamped, the password typed through the server masked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await setup({ serve: { logDir: dir } });
    const { server, win } = t;
    await using alice = await viewer(server, win.domid, "alice");
    await alice.waitText(/WIN1 login: $/);
    alice.send({ type: "take" });
    await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
    alice.type("Administrator\r");
    await alice.waitText(/Password: $/);
    for (const key of "s3cret-pw\r") alice.type(key);
    await alice.waitText(/Password: \r\n[\s\S]*login: $/);
    alice.type("Administrator\r");
    await alice.waitText(/Password: $/);
    for (const key of "xenpv\r") alice.type(key);
    await alice.waitText(/C:\\Users\\Administrator>$/);
    alice.type("echo s3cret-pw log-marker\r");
    await alice.waitText(/log-marker\r\n[\s\S]*>$/);
    const listed = (await guests(server)).find((g) => g.domid === win.domid)!;
    assert.equal(listed.log, "guest-win1.log");
    assert.equal(listed.logError, undefined);
    // the endpoint waits for what was logged so far to be written
    const served = await get(server, `/api/guests/${win.domid}/log`);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(served.headers.get("x-content-type-options"), "nosniff");
    assert.match(served.headers.get("content-security-policy")!, /sandbox/);
    const text = await Deno.readTextFile(`${dir}/guest-win1.log`);
    assert.equal(served.text, text);
    assert.match(text, /log-marker/);
    assert.doesNotMatch(text, /s3cret-pw|xenpv/);
    assert.match(text, /\[redacted\] log-marker/);
    for (const line of text.split("\n").filter((l) => l !== "")) {
      assert.match(line, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] /);
    }
    assert.equal((await Deno.stat(`${dir}/guest-win1.log`)).mode! & 0o777, 0o600);
    assert.deepEqual(Object.keys(await filesIn(dir)).sort(), ["guest-deb1.log", "guest-win1.log"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: the log endpoint needs the token; unlogged guests and servers say 404", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using t = await setup({ serve: { logDir: dir } });
      const path = `/api/guests/${t.deb.domid}/log`;
      assert.equal((await get(t.server, path, null)).status, 401);
      assert.equal((await get(t.server, path, "f".repeat(64))).status, 401);
      assert.equal((await get(t.server, path)).status, 200);
      assert.equal((await get(t.server, "/api/guests/999/log")).status, 404);
    }
    await using plain = await setup();
    const none = await get(plain.server, `/api/guests/${plain.deb.domid}/log`);
    assert.equal(none.status, 404);
    assert.match(none.text, /not logged/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: logs rotate at logSize, keeping logKeep old files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await setup({ serve: { logDir: dir, logSize: 300, logKeep: 2 } });
    const { server, deb } = t;
    await using c = await viewer(server, deb.domid, "c");
    await c.waitText(/login: $/);
    c.send({ type: "take" });
    await c.until("c holds the keyboard", () => holder(c) === "c");
    // a wrong login answers with about 60 bytes, each line stamped (+27): over 1000 bytes
    for (let i = 0; i < 8; i++) {
      c.type(`user${i}\r`);
      await c.waitText(/Password: $/);
      c.type("wrong\r");
      await c.waitText(new RegExp(`Login incorrect[\\s\\S]*login: $`));
      c.text = "";
    }
    await get(server, `/api/guests/${deb.domid}/log`); // flushed
    const files = await filesIn(dir);
    const names = Object.keys(files).filter((n) => n.startsWith("guest-deb1")).sort();
    assert.deepEqual(names, ["guest-deb1.log", "guest-deb1.log.1", "guest-deb1.log.2"]);
    for (const name of names.slice(1)) {
      assert.equal(new TextEncoder().encode(files[name]).length, 300, name);
    }
    // the newest bytes are in .log, the older in .log.1 then .log.2, in order
    const joined = files["guest-deb1.log.2"] + files["guest-deb1.log.1"] + files["guest-deb1.log"];
    assert.match(joined, /user6[\s\S]*user7[\s\S]*login: $/);
    assert.doesNotMatch(joined, /wrong/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a hostile guest name gives a safe log file name inside logDir", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/logs`;
  await Deno.mkdir(dir);
  const hostile = "../../etc/x\x1b[31m\n\x00" + "A".repeat(300);
  try {
    await using t = await setup({
      serve: { logDir: dir },
      before: async (host) => {
        const g = await host.createGuest({ name: "evil", program: "linux" });
        await using xs = await host.openXenstore();
        await xs.write(`/local/domain/${g.domid}/name`, hostile);
      },
    });
    const evil = t.host.guest("evil")!;
    await get(t.server, `/api/guests/${evil.domid}/log`);
    const listed = (await guests(t.server)).find((g) => g.domid === evil.domid)!;
    // every character outside [A-Za-z0-9._-] made "_", 64 at most: no "/", no control character
    assert.ok(listed.log!.startsWith("guest-.._.._etc_x__31m_"), listed.log);
    assert.match(listed.log!, /^guest-[A-Za-z0-9._-]{64}\.log$/);
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["logs"]);
    const names = Object.keys(await filesIn(dir)).sort();
    assert.deepEqual(names, ["guest-deb1.log", listed.log, "guest-win1.log"].sort());
    for (const name of names) assert.match(name, /^[A-Za-z0-9._-]{1,80}$/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("serve: a symlink planted in logDir is refused for that guest; the others are logged and served", async () => {
  const dir = await Deno.makeTempDir();
  const target = await Deno.makeTempFile();
  try {
    await Deno.symlink(target, `${dir}/guest-deb1.log`);
    await using t = await setup({ serve: { logDir: dir } });
    const { server, deb, win } = t;
    const listed = await guests(server);
    const debListed = listed.find((g) => g.domid === deb.domid)!;
    assert.equal(debListed.log, undefined);
    assert.match(debListed.logError!, /guest-deb1\.log: ELOOP .*symlink/);
    assert.equal(listed.find((g) => g.domid === win.domid)!.log, "guest-win1.log");
    await using c = await viewer(server, deb.domid, "c");
    await c.waitText(/login: $/); // still served
    assert.equal((await get(server, `/api/guests/${deb.domid}/log`)).status, 404);
    assert.match((await get(server, `/api/guests/${win.domid}/log`)).text, /WIN1 login: /);
    assert.equal(await Deno.readTextFile(target), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(target);
  }
});

Deno.test("serve: logDir must be a directory itself, not a symlink to one", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/real`);
    await Deno.symlink(`${root}/real`, `${root}/link`);
    await using host = new SimulatedHost();
    await assert.rejects(
      serveConsoles({ host, logDir: `${root}/link` }),
      /ELOOP.*symlink: give the directory itself/,
    );
    await assert.rejects(serveConsoles({ host, logDir: `${root}/none` }), /ENOENT/);
    await assert.rejects(serveConsoles({ host, logDir: `${root}/real`, logKeep: 100 }), RangeError);
    await assert.rejects(serveConsoles({ host, logDir: `${root}/real`, logSize: 0 }), RangeError);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("serve: a rebooted guest (same name, new domid) appends to the same log", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await setup({ serve: { logDir: dir } });
    const { server, deb } = t;
    await get(server, `/api/guests/${deb.domid}/log`);
    const reborn = await deb.reboot();
    const deadline = Date.now() + 5000;
    let found: GuestSummary | undefined;
    while (Date.now() < deadline) {
      found = (await guests(server)).find((g) => g.domid === reborn.domid);
      if (found?.log !== undefined) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(found?.log, "guest-deb1.log");
    await using c = await viewer(server, reborn.domid, "c");
    await c.waitText(/login: $/);
    const text = (await get(server, `/api/guests/${reborn.domid}/log`)).text;
    assert.equal(text.match(/login: /g)?.length, 2, text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The simulated host behind a xenstored that can be killed (every connection
 * cut) and kept down (new connections refused) until revived.
 */
function mortalXenstore(host: SimulatedHost) {
  const links: XenstoreTransport[] = [];
  let down = false;
  const wrapped: XenHost = {
    kind: host.kind,
    openXenstore: () => {
      if (down) {
        return Promise.reject(new Error("connect /var/run/xenstored/socket: ECONNREFUSED"));
      }
      const link = host.xenstore.connectTransport();
      links.push(link);
      return Promise.resolve(new XenstoreClient(link));
    },
    mapConsolePage: (domid, options) => host.mapConsolePage(domid, options),
    bindEventChannel: (domid, port) => host.bindEventChannel(domid, port),
    openPty: (path) => host.openPty(path),
    lockConsole: (domid) => host.lockConsole(domid),
  };
  return {
    host: wrapped,
    kill: async () => {
      down = true;
      await Promise.all(links.splice(0).map((l) => l.close()));
    },
    revive: () => down = false,
    get connections() {
      return links.length;
    },
  };
}

/** Polls /api/guests until `test` holds (5 s at most). */
async function listedUntil(
  server: ConsoleServer,
  what: string,
  test: (guests: GuestSummary[]) => boolean,
): Promise<GuestSummary[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const listed = await guests(server);
    if (test(listed)) return listed;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(listed)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("serve: xenstored restarts: guests marked unavailable, then rediscovered (new, gone, live again)", async () => {
  await using sim = new SimulatedHost();
  const win = await sim.createGuest({ name: "win1", program: "windows" });
  const deb = await sim.createGuest({ name: "deb1", program: "linux" });
  const xenstored = mortalXenstore(sim);
  await using server = await serveConsoles({ host: xenstored.host });
  await listedUntil(server, "both live", (l) => l.filter((g) => g.state === "live").length === 2);
  await using watcher = await viewer(server, win.domid, "w");
  await watcher.waitText(/login: $/);

  await xenstored.kill();
  const down = await listedUntil(
    server,
    "both unavailable",
    (l) => l.every((g) => g.state === "unavailable"),
  );
  assert.ok(down.some((g) => /xenstore/.test(g.reason ?? "")), JSON.stringify(down));
  // while it is down, a guest is destroyed and another created
  await deb.destroy();
  const late = await sim.createGuest({ name: "late1", program: "linux" });
  await new Promise((r) => setTimeout(r, 300)); // a few reconnect attempts fail
  xenstored.revive();
  const back = await listedUntil(
    server,
    "rediscovered",
    (l) =>
      l.find((g) => g.domid === win.domid)?.state === "live" &&
      l.find((g) => g.domid === deb.domid)?.state === "gone" &&
      l.find((g) => g.domid === late.domid)?.state === "live",
  );
  assert.equal(back.find((g) => g.domid === late.domid)?.name, "late1");
  // the viewer that stayed sees the console come back
  await watcher.waitMessage((m) => m.type === "state" && m.state === "unavailable");
  const states = () => watcher.messages.filter((m) => m.type === "state").map((m) => m.state);
  await watcher.until("live again", () => states().at(-1) === "live");
});

Deno.test("serve: close() while xenstored is down ends the reconnecting at once", async () => {
  await using sim = new SimulatedHost();
  await sim.createGuest({ name: "win1", program: "windows" });
  const xenstored = mortalXenstore(sim);
  const server = await serveConsoles({ host: xenstored.host });
  await listedUntil(server, "live", (l) => l[0]?.state === "live");
  await xenstored.kill();
  await listedUntil(server, "unavailable", (l) => l[0]?.state === "unavailable");
  await new Promise((r) => setTimeout(r, 1200)); // the backoff has grown past 1 s
  const started = performance.now();
  await server.close();
  assert.ok(performance.now() - started < 500, `close took ${performance.now() - started} ms`);
});

/** A German Windows guest's accounts: a user name and a password the code page has, UTF-8 has otherwise. */
const DE_ACCOUNTS = {
  Administrator: { password: "xenpv" },
  "Müller": { password: "Grüße1" },
};

/** Adds "de1", a Windows guest whose console is cp850; `typed` gets every byte that reaches it. */
function germanGuest(typed: number[]) {
  return async (host: SimulatedHost) => {
    await host.createGuest({
      name: "de1",
      program: (o) => {
        const g = windowsGuest({ ...o, codePage: 850, accounts: DE_ACCOUNTS });
        return { ...g, input: (d: Uint8Array) => (typed.push(...d), g.input(d)) };
      },
    });
  };
}

const domidOf = async (server: ConsoleServer, name: string) =>
  (await guests(server)).find((g) => g.name === name)!.domid;

Deno.test("serve: a cp850 guest: auto learns the page from chcp; output and scrollback are UTF-8, typing is cp850, € is not sent", async () => {
  const audit: AuditEntry[] = [];
  const typed: number[] = [];
  await using t = await setup({ audit, before: germanGuest(typed) });
  const { server } = t;
  const domid = await domidOf(server, "de1");
  await using alice = await viewer(server, domid, "alice");
  await alice.waitText(/DE1 login: $/);
  alice.send({ type: "take" });
  await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
  alice.type("Administrator\r");
  await alice.waitText(/Password: $/);
  for (const key of "xenpv\r") alice.type(key);
  await alice.waitText(/C:\\Users\\Administrator>$/);
  assert.equal((await guests(server)).find((g) => g.domid === domid)!.codePage, 65001);
  alice.type("chcp\r");
  await alice.waitText(/Active code page: 850\r\n[\s\S]*>$/);
  alice.type("dir C:\\Users\\Müller\r");
  await alice.waitText(/Directory of C:\\Users\\Müller\r\n[\s\S]*>$/);
  assert.doesNotMatch(alice.text, /\ufffd/);
  await alice.waitMessage((m) =>
    m.type === "notice" && /code page is cp850/.test(String(m.message))
  );
  assert.equal((await guests(server)).find((g) => g.domid === domid)!.codePage, 850);
  const before = typed.length;
  for (const key of "echo ä ö ü ß\r") alice.type(key);
  await alice.waitText(/echo ä ö ü ß\r\nä ö ü ß\r\n[\s\S]*>$/);
  // what reached the guest: cp850 bytes (ä 0x84, ö 0x94, ü 0x81, ß 0xE1)
  assert.deepEqual(
    typed.slice(before),
    [...encoder.encode("echo "), 0x84, 0x20, 0x94, 0x20, 0x81, 0x20, 0xe1, 0x0d],
  );
  // € is not in cp850: a notice, and nothing reaches the guest
  const notices = alice.messages.length;
  const sent = typed.length;
  alice.type("€");
  await alice.until(
    "the € notice",
    () => alice.messages.slice(notices).some((m) => /not sent.*850/.test(String(m.message))),
  );
  assert.equal(typed.length, sent);
  assert.doesNotMatch(JSON.stringify(alice.messages.slice(notices)), /€/);
  // a late viewer's scrollback is UTF-8 too
  await using late = await viewer(server, domid, "late");
  await late.waitText(/Directory of C:\\Users\\Müller\r\n[\s\S]*\r\nä ö ü ß\r\n/);
  const lines = audit.filter((e) => e.event === "input" && e.domid === domid).map((e) => e.text);
  assert.deepEqual(lines, [
    "Administrator",
    "[redacted]",
    "chcp",
    "dir C:\\Users\\Müller",
    "echo ä ö ü ß",
  ]);
});

Deno.test("serve: encoding utf-8 (what the server did before) shows a cp850 guest's output as mojibake", async () => {
  await using t = await setup({ before: germanGuest([]), serve: { encoding: "utf-8" } });
  const { server } = t;
  const domid = await domidOf(server, "de1");
  await using alice = await viewer(server, domid, "alice");
  await alice.waitText(/DE1 login: $/);
  alice.send({ type: "take" });
  await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
  alice.type("Administrator\r");
  await alice.waitText(/Password: $/);
  alice.type("xenpv\r");
  await alice.waitText(/C:\\Users\\Administrator>$/);
  alice.type("chcp\r");
  await alice.waitText(/Active code page: 850\r\n[\s\S]*>$/);
  alice.type("dir /b C:\\Users\r");
  await alice.waitText(/\r\nM\ufffdller\r\n/);
  assert.equal((await guests(server)).find((g) => g.domid === domid)!.codePage, 65001);
});

Deno.test("serve: encoding 850: log in as Müller with a non-ASCII password; the log is UTF-8, password masked in log and audit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const audit: AuditEntry[] = [];
    const typed: number[] = [];
    await using t = await setup({
      audit,
      before: germanGuest(typed),
      serve: { encoding: 850, logDir: dir },
    });
    const { server } = t;
    const domid = await domidOf(server, "de1");
    assert.equal((await guests(server)).find((g) => g.domid === domid)!.codePage, 850);
    await using alice = await viewer(server, domid, "alice");
    await alice.waitText(/DE1 login: $/);
    alice.send({ type: "take" });
    await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
    alice.type("Müller\r");
    await alice.waitText(/Password: $/);
    for (const key of "Grüße1\r") alice.type(key);
    await alice.waitText(/C:\\Users\\Müller>$/);
    alice.type("whoami\r");
    await alice.waitText(/\r\nde1\\müller\r\n/);
    alice.type("echo ä ö ü ß Grüße1 marker\r");
    await alice.waitText(/\r\nä ö ü ß \S+ marker\r\n[\s\S]*>$/);
    alice.type("x€\r"); // x goes, € does not
    await alice.waitMessage((m) => /1 character\(s\) not sent/.test(String(m.message)));
    await alice.waitText(/'x' is not recognized/);
    // the guest got the password in cp850 (ü 0x81, ß 0xE1)
    assert.ok(String.fromCharCode(...typed).includes("Gr\x81\xe1e1\r"));
    const file = (await guests(server)).find((g) => g.domid === domid)!.log!;
    const served = await get(server, `/api/guests/${domid}/log`);
    const text = await Deno.readTextFile(`${dir}/${file}`);
    assert.equal(served.text, text);
    assert.match(text, /C:\\Users\\Müller>whoami\r\n/);
    assert.match(text, /\] de1\\müller\r\n/);
    assert.match(text, /\] ä ö ü ß \[redacted\] marker\r\n/);
    // the password in no form: UTF-8, cp850 bytes, or either misread
    const secret = /Gr..?.?.?e1|Gr\ufffd/;
    assert.doesNotMatch(text, secret);
    assert.doesNotMatch(JSON.stringify(audit), secret);
    const lines = audit.filter((e) => e.event === "input" && e.domid === domid).map((e) => e.text);
    assert.deepEqual(lines, [
      "Müller",
      "[redacted]",
      "whoami",
      "echo ä ö ü ß [redacted] marker",
      "x",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: encoding must be auto or a page with a table", async () => {
  await using host = new SimulatedHost();
  await assert.rejects(serveConsoles({ host, encoding: 932 }), RangeError);
  await assert.rejects(serveConsoles({ host, encoding: "shift-jis" }), RangeError);
  await assert.rejects(serveConsoles({ host, encoding: {} as never }), TypeError);
});
