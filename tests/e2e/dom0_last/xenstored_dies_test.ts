// Copyright 2026 the xenpv authors. MIT license.
// The last e2e tests, run after tests/e2e/dom0/ (see dom0/init.sh): they kill
// dom0's real xenstored, which nothing can run without afterwards.
//
// With requests pending (xenstored stopped, then killed): a client on the
// socket and a console attached in pty mode get typed errors within 1 s; a
// client on /dev/xen/xenbus cannot be told (the kernel waits for xenstored for
// ever), so its request ends only through its AbortSignal, typed too.

import assert from "node:assert/strict";
import { connect, ConsoleClosedError } from "../../../mod.ts";
import { XenstoreClient, XenstoreClosedError } from "../../../xenstore/mod.ts";
import { held, startXenconsoled, waitFor } from "../dom0/_xen.ts";
import { within } from "../../_within.ts";

Deno.test("xenstored dies: socket client and pty console fail typed within 1 s, xenbus by its signal", async () => {
  await startXenconsoled();
  const before = held();
  const pid = Number((await Deno.readTextFile("/run/xenstored.pid")).trim());
  const attached = await connect("e2e-sh", { mode: "pty" });
  const socket = await XenstoreClient.connect({ path: "/var/run/xenstored/socket" });
  const xenbus = await XenstoreClient.connect({ path: "/dev/xen/xenbus" });
  try {
    const writer = attached.writable.getWriter();
    await writer.write(new TextEncoder().encode("echo alive-$((6*7))\r"));
    writer.releaseLock();
    await waitFor(attached, "alive-42");
    const reading = (async () => {
      for await (const _ of attached.readable) { /* until it fails */ }
    })();
    const watch = await socket.watch("/local/domain/0/name");
    await watch.next(); // the initial event

    Deno.kill(pid, "SIGSTOP"); // requests now stay pending
    const read = socket.read("/local/domain/0/name");
    const event = watch.next();
    const viaXenbus = xenbus.read("/local/domain/0/name", { signal: AbortSignal.timeout(500) });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(socket.pendingRequests, 1);
    Deno.kill(pid, "SIGKILL");
    const t0 = performance.now();
    await within(1000, assert.rejects(read, XenstoreClosedError));
    await within(1000, assert.rejects(event, XenstoreClosedError));
    await within(
      1000,
      assert.rejects(reading, (e) => {
        assert.ok(e instanceof ConsoleClosedError, String(e));
        assert.equal(e.reason, "xenstore");
        return true;
      }),
    );
    const typedWithinMs = Math.round(performance.now() - t0);
    await within(1000, assert.rejects(viaXenbus, (e) => (e as Error).name === "TimeoutError"));
    // into the run's results.json, beside what tests/e2e/dom0/ measured
    const out = Deno.env.get("XPV_E2E_OUT");
    if (out) {
      const file = `${out}/results.json`;
      const results = JSON.parse(await Deno.readTextFile(file).catch(() => "{}"));
      results.typedAfterXenstoredKilledMs = typedWithinMs;
      await Deno.writeTextFile(file, JSON.stringify(results, null, 2) + "\n");
    }
  } finally {
    await attached.close();
    await socket.close();
    await xenbus.close();
  }
  assert.deepEqual(held(), before);
});
