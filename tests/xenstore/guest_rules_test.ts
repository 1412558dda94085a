// Copyright 2026 the xenpv authors. MIT license.
// The guest-facing xenstore rules (guest_rules.xsprobe) against our server,
// compared with what Xen 4.17's real xenstored printed for the same script in
// the e2e (guest_rules.real.txt, from a run's .cache/e2e/out, with the copy
// of the real guest's nodes our server starts from, guest_rules.nodes.json):
// the e2e compares the two live (tests/e2e/dom0/xenstore_guest_test.ts), this
// test keeps our server to the recorded real answers off Xen. Differences
// allowed: ALLOWED_DIFFERENCES in _guest_probe.ts, each with its reason.

import assert from "node:assert/strict";
import { XenstoreServer } from "../../xenstore/mod.ts";
import {
  compareProbe,
  type NodeCopy,
  parseProbe,
  PROBE_SCRIPT,
  runOnServer,
} from "./_guest_probe.ts";

const here = new URL(".", import.meta.url);
const recorded = (name: string) => Deno.readTextFile(new URL(name, here));

Deno.test("xenstore guest rules: our server answers the probe as the real xenstored did", async () => {
  const script = await Deno.readTextFile(PROBE_SCRIPT);
  const { guest, nodes } = JSON.parse(await recorded("guest_rules.nodes.json")) as {
    guest: number;
    nodes: NodeCopy[];
  };
  const real = (await recorded("guest_rules.real.txt")).split("\n").filter((l) => l !== "");
  await using server = new XenstoreServer();
  const ours = await runOnServer(server, script, guest, nodes);
  const problems = compareProbe(real, ours);
  assert.deepEqual(problems, [], problems.join("\n"));
});

Deno.test("xenstore guest rules: the recording is of this script (every operation line, in order)", async () => {
  const lines = parseProbe(await Deno.readTextFile(PROBE_SCRIPT)).flatMap((s) => s.lines);
  const real = (await recorded("guest_rules.real.txt")).split("\n").filter((l) => l !== "");
  assert.deepEqual(real.map((l) => l.slice(0, l.indexOf(" -> "))), lines);
});
