// Copyright 2026 the xenpv authors. MIT license.
// The agetty guest (Debian's agetty and login, ../_guests.ts): waiting for
// its prompt, and examples/run.ts against it as a user runs it (used by
// console_test.ts, beside the other kinds' run.ts, and agetty_test.ts).

import assert from "node:assert/strict";
import { connect } from "../../../mod.ts";
import { Expect } from "../../../xencons/mod.ts";
import { runDeno } from "../../_peers.ts";
import { AGETTY_ACCOUNT, AGETTY_GUEST } from "../_guests.ts";
import { bootGuestsCreated } from "./_xen.ts";

const NAME = AGETTY_GUEST.name;
const { user, password } = AGETTY_ACCOUNT;

/** Waits until the agetty guest's init has run (its line comes before agetty's first prompt). */
export async function agettyUp(): Promise<void> {
  await bootGuestsCreated(AbortSignal.timeout(120_000));
  await using console = await connect(NAME, { mode: "pty", ttyTimeout: 60_000 });
  await using expect = new Expect(console, { stripAnsi: true });
  // agetty's prompt, asked for again with Enter (what came before was not kept)
  for (let attempt = 1;; attempt++) {
    await expect.send("\r");
    try {
      await expect.expect(/login: $/, { signal: AbortSignal.timeout(10_000) });
      return;
    } catch (err) {
      if (attempt === 30) throw new Error(`no agetty prompt on ${NAME}`, { cause: err });
    }
  }
}

/**
 * examples/run.ts as a user runs it, against Debian's login: the exit status
 * of the command is run.ts's, the password in no output.
 */
export async function runTsOnAgetty(): Promise<void> {
  await agettyUp();
  const run = await runDeno(
    [
      "--allow-ffi",
      "--no-check",
      "examples/run.ts",
      "--json",
      "--dialect",
      "linux",
      NAME,
      "--",
      "echo run-as-$(id -un)-on-$(hostname); exit 5",
    ],
    "",
    { XENPV_USER: user, XENPV_PASSWORD: password },
  );
  assert.equal(run.code, 5, `run.ts: exit ${run.code}, stderr ${run.err}`);
  const result = JSON.parse(run.out);
  assert.equal(result.guest, NAME);
  assert.equal(result.exitCode, 5);
  assert.equal(result.output, `run-as-${user}-on-${NAME}\n`);
  assert.doesNotMatch(run.out + run.err, new RegExp(password));
}
