// Copyright 2026 the xenpv authors. MIT license.
// The guest-facing xenstore rules against the real xenstored: the script
// tests/xenstore/guest_rules.xsprobe runs with its [guest] sections in the
// e2e-sh guest (tests/e2e/guest/xsprobe.c through /dev/xen/xenbus, started
// from the guest's shell) and its [dom0] sections here, then the same
// script runs against our XenstoreServer, starting from a copy of the real
// guest's nodes. The lines must match, but for the differences listed in
// ALLOWED_DIFFERENCES (tests/xenstore/_guest_probe.ts, docs/e2e.md). The
// real lines and the node copy are saved in the output folder: they are
// what tests/xenstore/guest_rules_test.ts compares our server with off Xen.

import assert from "node:assert/strict";
import { connect } from "../../../mod.ts";
import { XenstoreServer } from "../../../xenstore/mod.ts";
import { openXenstoreTransport } from "../../../xenstore/_transports.ts";
import {
  canonical,
  compareProbe,
  copyGuestNodes,
  parseProbe,
  PROBE_SCRIPT,
  runOnServer,
  runSection,
} from "../../xenstore/_guest_probe.ts";
import { SHELL_GUESTS } from "../_guests.ts";
import { domid, waitFor } from "./_xen.ts";

const GUEST = SHELL_GUESTS.pv.name;
const SOCKET = "/var/run/xenstored/socket";

/** Runs the n-th [guest] section in the guest; resolves to its lines. */
async function inGuest(n: number): Promise<string[]> {
  await using console = await connect(GUEST, { mode: "pty" });
  const writer = console.writable.getWriter();
  try {
    await writer.write(new TextEncoder().encode(`xsprobe /etc/xpv-xsprobe ${n}\r`));
  } finally {
    writer.releaseLock();
  }
  const { before } = await waitFor(console, new RegExp(`XSPROBE-END ${n}\r?\n`), 300_000);
  const begin = before.lastIndexOf(`XSPROBE-BEGIN ${n}`);
  assert.ok(begin >= 0, `no XSPROBE-BEGIN ${n} in ${JSON.stringify(before.slice(-2000))}`);
  return before.slice(begin).split(/\r?\n/).slice(1).filter((line) => line !== "");
}

Deno.test(`xenstore guest rules: ${GUEST} against the real xenstored and our server, line by line`, async () => {
  const script = await Deno.readTextFile(PROBE_SCRIPT);
  const guest = await domid(GUEST);
  const nodes = await copyGuestNodes(await openXenstoreTransport(SOCKET), guest);
  const raw: string[] = [];
  let n = 0;
  for (const section of parseProbe(script)) {
    if (section.who === "dom0") {
      raw.push(...await runSection(await openXenstoreTransport(SOCKET), section.lines, guest));
    } else {
      const lines = await inGuest(++n);
      assert.equal(lines.length, section.lines.length, `section ${n}:\n${lines.join("\n")}`);
      raw.push(...lines);
    }
  }
  const real = canonical(raw, guest);
  await using server = new XenstoreServer();
  const ours = await runOnServer(server, script, guest, nodes);
  const out = Deno.env.get("XPV_E2E_OUT");
  if (out) {
    await Deno.writeTextFile(`${out}/guest_rules.real.txt`, real.join("\n") + "\n");
    await Deno.writeTextFile(`${out}/guest_rules.ours.txt`, ours.join("\n") + "\n");
    await Deno.writeTextFile(
      `${out}/guest_rules.nodes.json`,
      JSON.stringify({ guest, nodes }, null, 1) + "\n",
    );
  }
  const problems = compareProbe(real, ours);
  assert.deepEqual(problems, [], problems.join("\n"));
});
