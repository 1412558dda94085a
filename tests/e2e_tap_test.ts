// Copyright 2026 the xenpv authors. MIT license.
// The e2e summary's counts (tests/e2e/run.ts), from deno's TAP reporter: a
// skipped test is a skip, not a pass. (Here, not in tests/e2e/: `deno task
// unit` leaves that folder to the Xen run.)

import assert from "node:assert/strict";
import { tapCounts } from "./e2e/_tap.ts";

Deno.test("e2e summary: ok, not ok and ok # SKIP are passed, failed and skipped; steps not counted", () => {
  const tap = [
    "TAP version 14",
    "# ./suite.ts",
    "ok 1 - console: attach",
    "ok 2 - pyxs peer # SKIP",
    "# Subtest: with steps",
    "    ok 1 - a step",
    "    ok 2 - an ignored step # SKIP",
    "    not ok 3 - a failed step",
    "    1..3",
    "not ok 3 - with steps",
    "ok 4 - reason given # skip no python3\r",
    "ok 5 - a name that says # SKIPPED is not a directive",
    "1..5",
  ].join("\n");
  assert.deepEqual(tapCounts(tap), { passed: 2, failed: 1, skipped: 2 });
  assert.deepEqual(tapCounts(""), { passed: 0, failed: 0, skipped: 0 });
});

Deno.test("e2e summary: .ci/run's sed still reads the line that has skips in it", () => {
  const line = "e2e: ok | 50 passed | 0 failed | 2 skipped (812.3s)";
  // the expression .ci/run sums with, as sed -E runs it
  const m = /.*\| ([0-9]+) passed[^|]*\| ([0-9]+) failed.*/.exec(line);
  assert.deepEqual(m?.slice(1), ["50", "0"]);
});
