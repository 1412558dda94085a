// Copyright 2026 the xenpv authors. MIT license.
// The console server starts or says why: a taken port, an address that is
// not this machine's, a certificate that is not one; each a typed error, and
// nothing left running (the test sanitizers check).

import assert from "node:assert/strict";
import { SimulatedHost } from "../../sim/mod.ts";
import { SystemError } from "../../mod.ts";
import { serveConsoles } from "../../serve/mod.ts";
import { within } from "../_within.ts";

async function simulated() {
  const host = new SimulatedHost();
  await host.createGuest({ name: "win1", program: "windows" });
  return host;
}

Deno.test("serveConsoles: a taken port rejects with SystemError EADDRINUSE and a hint, releasing everything", async () => {
  await using host = await simulated();
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = taken.addr.port;
  const err = await within(5000, serveConsoles({ host, port })).then(
    () => assert.fail("it served on a taken port"),
    (e) => e,
  );
  assert.ok(err instanceof SystemError, String(err));
  assert.equal(err.code, "EADDRINUSE");
  assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.match(err.hint ?? "", /another port/);
});

Deno.test("serveConsoles: a hostname that is no address here is a TypeError; so is a certificate that is not one", async () => {
  await using host = await simulated();
  for (const hostname of ["999.1.1.1", "no-such-host.invalid"]) {
    await assert.rejects(
      within(5000, serveConsoles({ host, hostname })),
      (e) => e instanceof TypeError && e.message.includes(`hostname ${hostname}`),
    );
  }
  await assert.rejects(
    within(5000, serveConsoles({ host, tls: { cert: "garbage", key: "garbage" } })),
    (e) => e instanceof TypeError && /tls: not a PEM certificate and key/.test(e.message),
  );
});
