// Copyright 2026 the xenpv authors. MIT license.
// The libc layer on kernel objects every Linux has: unix sockets, eventfd,
// poll cancellation, errno translation, and the release of every reference.

import assert from "node:assert/strict";
import { acquireLibc, cString, getenv, libcReferences, releaseLibc } from "./libc.ts";
import { SystemError } from "../errors.ts";
import { Poller } from "./poller.ts";
import { connectUnix, UnixListener } from "./unix_socket.ts";
import { openDevice } from "./files.ts";

let n = 0;
const sock = () => `/tmp/xenpv-sys-${Deno.pid}-${++n}.sock`;

/** A listener on `path` and both ends of one connection to it. */
async function connectedPair(path: string) {
  const listener = UnixListener.listen(path);
  const accepting = listener.accept();
  const client = await connectUnix(path);
  const server = (await accepting)!;
  return { listener, client, server };
}

Deno.test("errno after a failed open becomes a SystemError with path and hint", () => {
  const err = (() => {
    try {
      openDevice("/dev/xen/does-not-exist", () => "not a Xen control domain");
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof SystemError);
  assert.equal(err.code, "ENOENT");
  assert.equal(err.errno, 2);
  assert.equal(err.syscall, "open");
  assert.equal(err.path, "/dev/xen/does-not-exist");
  assert.match(err.message, /open \/dev\/xen\/does-not-exist: ENOENT .*not a Xen control domain/);
  assert.equal(libcReferences(), 0);
});

Deno.test("connect to a missing socket names the fix", async () => {
  const err = await connectUnix("/tmp/xenpv-no-such.sock").catch((e) => e);
  assert.ok(err instanceof SystemError);
  assert.equal(err.code, "ENOENT");
  assert.match(err.message, /is the daemon running/);
  assert.equal(libcReferences(), 0);
});

Deno.test("a socket path longer than sun_path is a RangeError", async () => {
  await assert.rejects(connectUnix("/tmp/" + "x".repeat(120)), RangeError);
  assert.throws(() => UnixListener.listen("/tmp/" + "x".repeat(120)), RangeError);
});

Deno.test("unix socket round trip, EOF, and release of every reference", async () => {
  const path = sock();
  const { listener, client, server } = await connectedPair(path);
  await client.write(new TextEncoder().encode("ping"));
  assert.equal(new TextDecoder().decode((await server.read())!), "ping");
  // a large write goes through in pieces while the reader drains it
  const big = new Uint8Array(4 * 1024 * 1024).map((_, i) => i & 0xff);
  let received = 0;
  const reading = (async () => {
    while (received < big.length) {
      const chunk = await server.read();
      assert.ok(chunk);
      for (let i = 0; i < chunk.length; i += 4093) assert.equal(chunk[i], (received + i) & 0xff);
      received += chunk.length;
    }
  })();
  await client.write(big);
  await reading;
  assert.equal(received, big.length);
  await client.close();
  assert.equal(await server.read(), null); // EOF
  await server.close();
  await listener.close();
  assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
  assert.equal(libcReferences(), 0);
});

Deno.test("readInto fills the caller's buffer, waits, and ends with null; tryWrite never waits", async () => {
  const path = sock();
  const { listener, client, server } = await connectedPair(path);
  const target = new Uint8Array(3);
  await assert.rejects(server.readInto(new Uint8Array(0)), RangeError);
  const waiting = server.readInto(target); // nothing there yet: waits
  assert.equal(client.tryWrite(new TextEncoder().encode("hello")), 5);
  assert.equal(await waiting, 3);
  assert.equal(new TextDecoder().decode(target), "hel");
  assert.equal(await server.readInto(target), 2);
  assert.equal(new TextDecoder().decode(target.subarray(0, 2)), "lo");
  // A full socket: tryWrite says 0 instead of waiting.
  const block = new Uint8Array(1 << 16);
  let sent = 0;
  for (let n; (n = client.tryWrite(block)) > 0;) sent += n;
  assert.ok(sent > 0);
  assert.equal(client.tryWrite(block), 0);
  await client.close();
  const sink = new Uint8Array(1 << 16);
  let drained = 0;
  for (let n; (n = await server.readInto(sink)) !== null;) drained += n;
  assert.equal(drained, sent); // then EOF
  await server.close();
  await listener.close();
  assert.equal(libcReferences(), 0);
});

Deno.test("closing a stream wakes a pending read with null", async () => {
  const path = sock();
  const { listener, client, server } = await connectedPair(path);
  const pending = server.read();
  await server.close();
  assert.equal(await pending, null);
  await client.close();
  await listener.close();
  assert.equal(libcReferences(), 0);
});

Deno.test("closing a listener wakes a pending accept with null", async () => {
  const listener = UnixListener.listen(sock());
  const pending = listener.accept();
  await listener.close();
  assert.equal(await pending, null);
});

Deno.test("a stale socket file is replaced; a live one is refused", async () => {
  const path = sock();
  const a = UnixListener.listen(path);
  assert.throws(
    () => UnixListener.listen(path),
    (e) => e instanceof SystemError && e.code === "EADDRINUSE",
  );
  await a.close();
  // leave a stale file behind: bind a socket and exit without unlinking
  const libc = acquireLibc();
  try {
    const fd = libc.socket(1, 1, 0);
    const addr = new Uint8Array(110);
    new DataView(addr.buffer).setUint16(0, 1, true);
    addr.set(new TextEncoder().encode(path), 2);
    assert.equal(libc.bind(fd, addr, addr.length), 0);
    libc.close(fd);
  } finally {
    releaseLibc();
  }
  const b = UnixListener.listen(path);
  await b.close();
});

Deno.test("Poller: wake() ends a wait on an idle fd with null", async () => {
  const poller = new Poller();
  const libc = acquireLibc();
  const efd = libc.eventfd(0, 0o4000);
  try {
    const waiting = poller.wait(efd, 1);
    assert.equal(poller.busy, true);
    poller.wake();
    assert.equal(await waiting, null);
    await assert.rejects(
      Promise.all([poller.wait(efd, 1), poller.wait(efd, 1)]),
      /already running/,
    );
  } finally {
    libc.close(efd);
    releaseLibc();
    await poller.close();
  }
  assert.equal(libcReferences(), 0);
});

Deno.test("getenv reads the process environment through libc", () => {
  Deno.env.set("XENPV_TEST_VAR", "value-1");
  assert.equal(getenv("XENPV_TEST_VAR"), "value-1");
  assert.equal(getenv("XENPV_TEST_UNSET_VAR"), undefined);
  assert.equal(libcReferences(), 0);
  assert.deepEqual([...cString("ab")], [97, 98, 0]);
});

Deno.test("an aborted read rejects with the reason and leaves the stream usable", async () => {
  const path = sock();
  const { listener, client, server } = await connectedPair(path);
  const controller = new AbortController();
  const pending = server.read(controller.signal);
  controller.abort(new Error("enough"));
  await assert.rejects(pending, /enough/);
  await client.write(new Uint8Array([1, 2, 3]));
  assert.deepEqual([...(await server.read())!], [1, 2, 3]);
  await client.close();
  await server.close();
  await listener.close();
  assert.equal(libcReferences(), 0);
});
