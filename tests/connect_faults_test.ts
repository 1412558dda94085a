// Copyright 2026 the xenpv authors. MIT license.
// Faults while attached: xenconsoled dies (the pty closes), the event
// channel fails, the guest is destroyed during login, the reader cancels.
// Each ends in a typed error within 1 s, and the sanitizers check that no
// fd, timer, watch or binding is left behind.

import assert from "node:assert/strict";
import { connect, ConsoleClosedError, type XenHost } from "../mod.ts";
import { SimulatedHost } from "../sim/mod.ts";
import { ConsoleEndedError, ConsoleSession } from "../xencons/mod.ts";
import { SystemError } from "../_sys/errno.ts";
import type { EventChannel } from "../evtchn/mod.ts";
import { within } from "./_within.ts";

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  for await (const _ of stream) { /* until it ends or errors */ }
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
  const faulty: XenHost = {
    kind: host.kind,
    openXenstore: () => host.openXenstore(),
    mapConsolePage: (domid, options) => host.mapConsolePage(domid, options),
    openPty: (path) => host.openPty(path),
    lockConsole: (domid) => host.lockConsole(domid),
    bindEventChannel(domid, port): EventChannel {
      const channel = host.bindEventChannel(domid, port);
      return {
        localPort: channel.localPort,
        notify: () => channel.notify(),
        wait: (signal) =>
          Promise.race([
            channel.wait(signal),
            broken.promise.then(() => {
              throw new SystemError(9, "read", { path: "/dev/xen/evtchn" });
            }),
          ]),
        close: () => channel.close(),
        [Symbol.asyncDispose]: () => channel.close(),
      };
    },
  };
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

Deno.test("the guest destroyed during login: a typed error within 1 s", async () => {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({ name: "g1" });
  await using session = new ConsoleSession(await connect("g1", { host }));
  const login = session.login({ user: "Administrator", password: "xenpv" });
  setTimeout(() => guest.destroy(), 5);
  await within(1000, assert.rejects(login, ConsoleEndedError));
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
