// Copyright 2026 the xenpv authors. MIT license.
// A hostile guest on its own xenstore connection, against the simulated
// host, which sets libxl's permissions.

import assert from "node:assert/strict";
import { connect, ConsoleNotFoundError } from "../mod.ts";
import { SimulatedHost } from "../sim/mod.ts";
import { XenstoreError } from "../xenstore/mod.ts";

const isEacces = (e: unknown) => e instanceof XenstoreError && e.code === "EACCES";

Deno.test("a guest cannot plant a console of its own or rewrite its console keys", async () => {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({ name: "evil", program: "linux" });
  const home = `/local/domain/${guest.domid}`;
  await using xs = host.xenstore.connectClient({ domid: guest.domid });
  await assert.rejects(xs.write(`${home}/device/console/1/tty`, "/dev/pts/0"), isEacces);
  await assert.rejects(xs.write(`${home}/console/tty`, "/dev/pts/0"), isEacces);
  await assert.rejects(xs.write(`${home}/console/ring-ref`, "1"), isEacces);
  await assert.rejects(xs.write(`${home}/name`, "dom0"), isEacces);
  assert.equal(await xs.readString(`${home}/console/port`), "2"); // it reads them
  await xs.write(`${home}/data/hello`, "mine"); // its own corner
  await assert.rejects(connect("evil", { host, index: 1 }), ConsoleNotFoundError);
});
