// Copyright 2026 the xenpv authors. MIT license.
// The console server's guest directory when xenstored restarts: guests
// marked unavailable, then found again; close() while it is down.

import assert from "node:assert/strict";
import { SimulatedHost } from "../../sim/mod.ts";
import type { XenHost } from "../../console/mod.ts";
import { XenstoreClient, type XenstoreTransport } from "../../xenstore/mod.ts";
import { type ConsoleServer, type GuestSummary, serveConsoles } from "../../serve/mod.ts";
import { GuestDirectory } from "../../serve/_directory.ts";
import { within } from "../_within.ts";
import { guests, viewer } from "./_server.ts";

/**
 * The simulated host behind a xenstored that can be killed (every connection
 * cut) and kept down (new connections refused) until revived.
 */
function mortalXenstore(host: SimulatedHost) {
  const links: XenstoreTransport[] = [];
  let down = false;
  const wrapped: XenHost = {
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
  // Reconnects 100, 350, 850, 1850, 3850 ms after the loss: at 2 s it waits
  // for the one at 3.85 s. Closing at once takes milliseconds; the bound is half the wait
  // left, so that a machine many times slower passes and a close that waits
  // for the backoff does not.
  await new Promise((r) => setTimeout(r, 2000));
  const started = performance.now();
  await server.close();
  const took = performance.now() - started;
  assert.ok(took < 900, `close took ${took.toFixed(0)} ms: it waited for the backoff`);
});

Deno.test("serve: GuestDirectory.close() in the tick start() resolves: the console being attached is closed too", async () => {
  await using sim = new SimulatedHost();
  await sim.createGuest({ name: "win1", program: "windows" });
  const directory = new GuestDirectory({
    host: sim,
    mode: "auto",
    scrollback: 1024,
    audit: undefined,
    logs: undefined,
    encoding: "auto",
    inputRate: 64 * 1024,
  });
  await within(5000, directory.start());
  await within(5000, directory.close());
});
