// Copyright 2026 the xenpv authors. MIT license.
// SimulatedHost's firstDomid: two simulated hosts on one machine whose
// consoles are reached through the real host's lock directory need domids
// of their own (examples/sim_dom0.ts --first-domid).

import assert from "node:assert/strict";
import { SimulatedHost } from "../../sim/mod.ts";

Deno.test("SimulatedHost firstDomid: guests count up from it; a domid no guest may have is refused", async () => {
  await using host = new SimulatedHost({ firstDomid: 101 });
  const a = await host.createGuest({ name: "a", program: "linux" });
  const b = await host.createGuest({ name: "b", program: "linux" });
  assert.deepEqual([a.domid, b.domid], [101, 102]);
  await using plain = new SimulatedHost();
  assert.equal((await plain.createGuest({ name: "c", program: "linux" })).domid, 1);
  for (const bad of [0, -1, 1.5, 0x7ff0, NaN]) {
    assert.throws(() => new SimulatedHost({ firstDomid: bad }), RangeError, String(bad));
  }
});
