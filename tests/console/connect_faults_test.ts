// Copyright 2026 the xenpv authors. MIT license.
// Faults while attached: xenconsoled dies (the pty closes), the event
// channel fails, xenstored dies (while attached, and mid-request during
// connect()), the guest is destroyed during login, the reader cancels, a
// follow waiting for the next domain loses its watch or is closed.
// Each ends in a typed error within 1 s, and the sanitizers check that no
// fd, timer, watch or binding is left behind.

import assert from "node:assert/strict";
import { connect, ConsoleClosedError, GuestGoneError, type XenHost } from "../../mod.ts";
import { SimulatedHost } from "../../sim/mod.ts";
import { ConsoleSession, StreamEndedError } from "../../xencons/mod.ts";
import { ERRNO } from "../../_sys/errno.ts";
import { SystemError } from "../../errors.ts";
import type { EventChannel } from "../../evtchn/mod.ts";
import {
  type WatchOptions,
  XenstoreClient,
  XenstoreClosedError,
  type XenstoreTransport,
  type XenstoreWatch,
} from "../../xenstore/mod.ts";
import { within } from "../_within.ts";

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  for await (const _ of stream) { /* until it ends or errors */ }
}

/** `host` with some of its parts replaced. */
function wrapHost(host: XenHost, parts: Partial<XenHost>): XenHost {
  return {
    openXenstore: () => host.openXenstore(),
    mapConsolePage: (domid, options) => host.mapConsolePage(domid, options),
    bindEventChannel: (domid, port) => host.bindEventChannel(domid, port),
    openPty: (path) => host.openPty(path),
    lockConsole: (domid) => host.lockConsole(domid),
    ...parts,
  };
}

/**
 * The simulated host with a xenstored that can be stopped (requests go
 * unanswered, as after SIGSTOP) and killed (every connection cut).
 */
function mortalXenstore(host: SimulatedHost) {
  const links: XenstoreTransport[] = [];
  let stopped = false;
  return {
    host: wrapHost(host, {
      openXenstore: () => {
        const inner = host.xenstore.connectTransport();
        const link: XenstoreTransport = {
          read: () => inner.read(),
          write: (data) => stopped ? Promise.resolve() : inner.write(data),
          close: () => inner.close(),
        };
        links.push(link);
        return Promise.resolve(new XenstoreClient(link));
      },
    }),
    stop: () => stopped = true,
    kill: () => Promise.all(links.map((l) => l.close())),
    /** How many connections were made. */
    get connections() {
      return links.length;
    },
  };
}

Deno.test("pty mode: xenconsoled dies mid-stream -> ConsoleClosedError within 1 s", async () => {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({ name: "g1" });
  await using c = await connect("g1", { host, mode: "pty" });
  const reading = drain(c.readable);
  await new Promise((r) => setTimeout(r, 20));
  await guest.stopXenconsoled();
  await within(
    1000,
    assert.rejects(reading, (e) => e instanceof ConsoleClosedError && e.mode === "pty"),
  );
  assert.ok(guest.alive);
});

Deno.test("ring mode: the event channel fails -> ConsoleClosedError within 1 s", async () => {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({ name: "g1", xenconsoled: false });
  // The host's channel, with wait() failing the way a dead fd does (EBADF).
  const broken = Promise.withResolvers<void>();
  const faulty = wrapHost(host, {
    bindEventChannel(domid, port): EventChannel {
      const channel = host.bindEventChannel(domid, port);
      return {
        localPort: channel.localPort,
        notify: () => channel.notify(),
        wait: (signal) =>
          Promise.race([
            channel.wait(signal),
            broken.promise.then(() => {
              throw new SystemError(ERRNO.EBADF, "read", { path: "/dev/xen/evtchn" });
            }),
          ]),
        close: () => channel.close(),
        [Symbol.asyncDispose]: () => channel.close(),
      };
    },
  });
  await using c = await connect("g1", { host: faulty, mode: "ring" });
  const reading = drain(c.readable);
  await new Promise((r) => setTimeout(r, 20));
  broken.resolve();
  await within(
    1000,
    assert.rejects(reading, (e) => {
      assert.ok(e instanceof ConsoleClosedError && e.mode === "ring", String(e));
      assert.ok(e.cause instanceof SystemError && e.cause.code === "EBADF", String(e.cause));
      return true;
    }),
  );
  assert.ok(guest.alive);
});

for (const mode of ["pty", "ring"] as const) {
  Deno.test(`${mode} mode: xenstored dies while attached -> ConsoleClosedError (xenstore) within 1 s`, async () => {
    await using host = new SimulatedHost();
    const guest = await host.createGuest({ name: "g1", xenconsoled: mode === "pty" });
    const xenstored = mortalXenstore(host);
    await using c = await connect("g1", { host: xenstored.host, mode });
    const reading = drain(c.readable);
    await new Promise((r) => setTimeout(r, 20));
    await xenstored.kill();
    await within(
      1000,
      assert.rejects(reading, (e) => {
        assert.ok(e instanceof ConsoleClosedError, String(e));
        assert.equal(e.mode, mode);
        assert.equal(e.reason, "xenstore");
        assert.match(e.message, /xenstored/);
        assert.ok(e.cause instanceof XenstoreClosedError, String(e.cause));
        return true;
      }),
    );
    // Writes fail the same way, and the guest never noticed.
    const writer = c.writable.getWriter();
    await assert.rejects(writer.write(new Uint8Array([0x0d])), ConsoleClosedError);
    assert.ok(guest.alive);
  });

  Deno.test(`${mode} mode: xenstored stops, then dies, during connect() -> XenstoreClosedError within 1 s`, async () => {
    await using host = new SimulatedHost();
    await host.createGuest({ name: "g1", xenconsoled: mode === "pty" });
    const xenstored = mortalXenstore(host);
    xenstored.stop();
    const connecting = connect("g1", { host: xenstored.host, mode });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(xenstored.connections, 1); // connect() is waiting for an answer
    await xenstored.kill();
    await within(1000, assert.rejects(connecting, XenstoreClosedError));
    // The lock is free again: a console attaches once xenstored is back.
    await using c = await connect("g1", { host, mode });
    assert.equal(c.mode, mode);
  });
}

/** A client that hands the test the `@introduceDomain` watch a follow sets up. */
class SpiedClient extends XenstoreClient {
  readonly following = Promise.withResolvers<XenstoreWatch>();
  override async watch(path: string, options?: WatchOptions): Promise<XenstoreWatch> {
    const watch = await super.watch(path, options);
    if (path === "@introduceDomain") this.following.resolve(watch);
    return watch;
  }
}

/**
 * A following console whose guest is gone for good: its follow waits for a
 * next domain, and a write waits for it. `kill()` cuts its xenstore connection.
 */
async function followingWithWritePending(host: SimulatedHost, mode: "pty" | "ring") {
  const guest = await host.createGuest({ name: "g1", xenconsoled: mode === "pty" });
  let link: XenstoreTransport | undefined;
  let client: SpiedClient | undefined;
  const spied = wrapHost(host, {
    openXenstore: () => {
      link = host.xenstore.connectTransport();
      client = new SpiedClient(link);
      return Promise.resolve(client);
    },
  });
  const c = await connect("g1", { host: spied, mode, follow: true });
  const reading = drain(c.readable);
  reading.catch(() => {});
  await guest.destroy();
  const watch = await within(1000, client!.following.promise); // following now
  const writing = c.writable.getWriter().write(new Uint8Array([0x0d]));
  writing.catch(() => {});
  return { c, watch, reading, writing, kill: () => link!.close() };
}

function isXenstoreLoss(mode: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof ConsoleClosedError, String(e));
    assert.equal(e.reason, "xenstore");
    assert.equal(e.mode, mode);
    return true;
  };
}

for (const mode of ["pty", "ring"] as const) {
  Deno.test(`${mode} mode, follow: the next-domain watch ends without a guest while a write waits -> ConsoleClosedError (xenstore), close() settles`, async () => {
    await using host = new SimulatedHost();
    const { c, watch, reading, writing } = await followingWithWritePending(host, mode);
    await watch.close(); // as when the connection ends under it: no guest came
    await within(1000, assert.rejects(writing, isXenstoreLoss(mode)));
    await within(1000, assert.rejects(reading, isXenstoreLoss(mode)));
    await within(1000, c.close());
  });

  Deno.test(`${mode} mode, follow: xenstored dies while following with a write waiting -> ConsoleClosedError (xenstore), close() settles`, async () => {
    await using host = new SimulatedHost();
    const { c, reading, writing, kill } = await followingWithWritePending(host, mode);
    await kill();
    await within(1000, assert.rejects(writing, isXenstoreLoss(mode)));
    await within(1000, assert.rejects(reading, isXenstoreLoss(mode)));
    await within(1000, c.close());
  });

  Deno.test(`${mode} mode, follow: close() while following with a write waiting -> the write rejects, close() settles`, async () => {
    await using host = new SimulatedHost();
    const { c, writing } = await followingWithWritePending(host, mode);
    await within(1000, c.close());
    await within(1000, assert.rejects(writing, /console is closed/));
  });
}

Deno.test("close() after the console failed by itself waits until everything is released", async () => {
  await using host = new SimulatedHost();
  await host.createGuest({ name: "g1" });
  const release = Promise.withResolvers<void>();
  let ptyClosed = false;
  const slowPty = wrapHost(host, {
    openPty(path) {
      const pty = host.openPty(path);
      return {
        read: (signal) => pty.read(signal),
        write: (data) => pty.write(data),
        close: async () => {
          await release.promise; // a release that takes a while
          await pty.close();
          ptyClosed = true;
        },
      };
    },
  });
  const xenstored = mortalXenstore(host);
  const c = await connect("g1", {
    host: wrapHost(slowPty, { openXenstore: xenstored.host.openXenstore }),
    mode: "pty",
  });
  const reading = drain(c.readable);
  await xenstored.kill(); // the console fails and starts closing itself
  await assert.rejects(reading, ConsoleClosedError);
  let done = false;
  const closing = c.close().then(() => done = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false, "close() returned while the pty was still being released");
  release.resolve();
  await within(1000, closing);
  assert.ok(ptyClosed);
});

Deno.test("the guest destroyed during login: a typed error within 1 s", async () => {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({ name: "g1" });
  await using session = new ConsoleSession(await connect("g1", { host }), { dialect: "windows" });
  const login = session.login({ user: "Administrator", password: "xenpv" });
  setTimeout(() => guest.destroy(), 5);
  await within(1000, assert.rejects(login, StreamEndedError));
  assert.equal(session.state, "broken");
});

Deno.test("the reader cancels its stream mid-flood: the console stays usable, nothing leaks", async () => {
  await using host = new SimulatedHost();
  await host.createGuest({
    name: "g1",
    xenconsoled: false,
    program: () => {
      let running = true;
      return {
        start: async (console) => {
          while (running) {
            console.write("x".repeat(4000));
            await console.drained!();
          }
        },
        input: () => {},
        stop: () => running = false,
      };
    },
  });
  await using c = await connect("g1", { host, mode: "ring" });
  const reader = c.readable.getReader();
  for (let got = 0; got < 100_000;) got += (await reader.read()).value!.length;
  await within(1000, reader.cancel());
  // Another reader still gets the flood.
  const second = c.subscribe().getReader();
  assert.ok((await within(1000, second.read())).value!.length > 0);
  await second.cancel();
});

for (const mode of ["pty", "ring"] as const) {
  Deno.test(`${mode} mode: writes to a destroyed guest reject with GuestGoneError, the transport's error as cause`, async () => {
    await using host = new SimulatedHost();
    const guest = await host.createGuest({
      name: "deb1",
      program: "linux",
      xenconsoled: mode === "pty",
    });
    await using c = await connect("deb1", { host, mode });
    const reading = drain(c.readable);
    const writer = c.writable.getWriter();
    await guest.destroy();
    // At once: the pty fails (EIO) before the console has seen the guest go;
    // the ring still takes the bytes (the page is there, nobody reads it).
    const early = writer.write(new TextEncoder().encode("x\r"));
    if (mode === "pty") {
      await within(
        2000,
        assert.rejects(early, (e) => {
          assert.ok(e instanceof GuestGoneError, String(e));
          assert.equal(e.domid, guest.domid);
          assert.ok(e.cause === undefined || e.cause instanceof SystemError, String(e.cause));
          return true;
        }),
      );
    } else {
      await within(2000, early.catch((e) => assert.ok(e instanceof GuestGoneError, String(e))));
    }
    await within(1000, assert.rejects(reading, GuestGoneError));
    // After the end: the same, in both modes.
    await within(1000, assert.rejects(writer.write(new Uint8Array([0x0d])), GuestGoneError));
  });
}

Deno.test("pty mode: a write as xenconsoled dies rejects with ConsoleClosedError, the pty's error as cause", async () => {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({ name: "deb1", program: "linux" });
  await using c = await connect("deb1", { host, mode: "pty" });
  const reading = drain(c.readable);
  const writer = c.writable.getWriter();
  await guest.stopXenconsoled();
  await within(
    2000,
    assert.rejects(writer.write(new TextEncoder().encode("x\r")), (e) => {
      assert.ok(e instanceof ConsoleClosedError && e.reason === "transport", String(e));
      assert.ok(e.cause instanceof SystemError, String(e.cause));
      return true;
    }),
  );
  await within(1000, assert.rejects(reading, ConsoleClosedError));
  assert.ok(guest.alive);
});
