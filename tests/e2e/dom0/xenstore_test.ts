// Copyright 2026 the xenpv authors. MIT license.
// Our xenstore client against the real xenstored (Xen 4.17, C), over its
// unix socket and through the kernel's /dev/xen/xenbus: the same conformance
// suite that runs against our own server in tests/.

import assert from "node:assert/strict";
import { XenstoreClient } from "../../../xenstore/mod.ts";
import { conformanceSuite } from "../../xenstore/_xenstore_conformance.ts";

const PATHS = { socket: "/var/run/xenstored/socket", xenbus: "/dev/xen/xenbus" };

for (const [how, path] of Object.entries(PATHS)) {
  Deno.test(`real xenstored over ${how}: dom0's own entries`, async () => {
    await using client = await XenstoreClient.connect({ path });
    assert.equal(await client.readString("/local/domain/0/name"), "Domain-0");
    assert.equal(await client.getDomainPath(0), "/local/domain/0");
    assert.equal(await client.isDomainIntroduced(0), true);
  });

  conformanceSuite(`real xenstored over ${how}`, () =>
    Promise.resolve({
      connect: () => XenstoreClient.connect({ path }),
      close: () => Promise.resolve(),
    }));
}

/** READs of one node per second: sequential, or with 64 in flight. */
async function readRate(client: XenstoreClient, node: string, count: number, inFlight: number) {
  for (let i = 0; i < 50; i++) await client.read(node);
  const start = performance.now();
  let issued = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (issued < count) {
      issued++;
      await client.read(node);
    }
  }));
  return count / ((performance.now() - start) / 1000);
}

Deno.test("real xenstored: READ rates of our client (libc, Deno sockets, blocking waits) beside libxenstore's", async () => {
  const path = PATHS.socket;
  const node = "/xenpv-rate";
  const count = 500; // under TCG a READ takes ms: 2000 took 41 s for the five rates
  const rates: Record<string, number> = {};
  for (const transport of ["libc", "deno"] as const) {
    await using client = await XenstoreClient.connect({ path, transport });
    await client.write(node, "x".repeat(32));
    rates[`${transport} sequential`] = await readRate(client, node, count, 1);
    rates[`${transport} 64 in flight`] = await readRate(client, node, count, 64);
  }
  {
    await using client = await XenstoreClient.connect({ path, blockingWaitUs: 5000 });
    rates["libc sequential, blocking waits (5 ms)"] = await readRate(client, node, count, 1);
  }
  const c = await new Deno.Command("/bin/xs_bench", {
    args: [node, String(count)],
    env: { XENSTORED_PATH: path },
  }).output();
  assert.ok(c.success, new TextDecoder().decode(c.stderr));
  const [ops, secs] = new TextDecoder().decode(c.stdout).trim().split(/\s+/).map(Number);
  rates["libxenstore sequential"] = ops / secs;
  for (const value of Object.values(rates)) assert.ok(value > 0);
  const ratios = Object.fromEntries(
    Object.entries(rates).map((
      [k, v],
    ) => [k, Number((v / rates["libxenstore sequential"]).toFixed(2))]),
  );
  console.log(`READ rates against the real xenstored (ops/s): ${JSON.stringify(rates)}`);
  console.log(`as ratios to libxenstore: ${JSON.stringify(ratios)}`);
  // into the run's results.json, beside what console_test.ts measured (it ran first)
  const out = Deno.env.get("XPV_E2E_OUT");
  if (out) {
    const file = `${out}/results.json`;
    const results = JSON.parse(await Deno.readTextFile(file).catch(() => "{}"));
    results.xenstoreReads = { count, rates, ratios };
    await Deno.writeTextFile(file, JSON.stringify(results, null, 2) + "\n");
  }
});
