// Copyright 2026 the xenpv authors. MIT license.
// The console server's options: bad ones are refused before anything starts.

import assert from "node:assert/strict";
import { SimulatedHost } from "../../sim/mod.ts";
import { serveConsoles } from "../../serve/mod.ts";

Deno.test("serve: bad options are refused before anything starts", async () => {
  await using host = new SimulatedHost();
  await assert.rejects(serveConsoles({ host, token: "short" }), TypeError);
  await assert.rejects(serveConsoles({ host, token: "x".repeat(20) + ";" }), TypeError);
  await assert.rejects(serveConsoles({ host, port: 65536 }), RangeError);
  await assert.rejects(serveConsoles({ host, mode: "fast" as never }), TypeError);
  await assert.rejects(serveConsoles({ host, viewerBuffer: 0 }), RangeError);
});

Deno.test("serve: encoding must be auto or a page with a table", async () => {
  await using host = new SimulatedHost();
  await assert.rejects(serveConsoles({ host, encoding: 932 }), RangeError);
  await assert.rejects(serveConsoles({ host, encoding: "shift-jis" }), RangeError);
  await assert.rejects(serveConsoles({ host, encoding: {} as never }), TypeError);
});
