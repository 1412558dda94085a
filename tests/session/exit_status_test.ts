// Copyright 2026 the xenpv authors. MIT license.
// `exit N` typed as a command is its exit status, on both simulated guests;
// the session is logged out after it, and logout() then does nothing.
import assert from "node:assert/strict";
import { SessionStateError } from "../../xencons/mod.ts";
import { ADMIN, type Flavour, simulatedSession } from "./_simulated_session.ts";

const open = (flavour: Flavour) => simulatedSession(flavour);

for (const flavour of ["windows", "linux"] as const) {
  Deno.test(`${flavour}: logout() on a logged-out session does nothing; closed still refuses`, async () => {
    await using env = await open(flavour);
    const s = env.session;
    await s.logout(); // never logged in
    await s.login(ADMIN[flavour]);
    await s.logout();
    await s.logout(); // twice
    assert.equal(s.state, "logged-out");
    await s.close();
    await assert.rejects(s.logout(), SessionStateError);
  });
}

/** run() has no bound of its own: a status its pattern misses would wait for ever. */
const bounded = () => ({ signal: AbortSignal.timeout(10_000) });

const EXITS = {
  windows: [["exit 7", "", 7], ["exit /b 9", "", 9], ["EXIT /B", "", 0], ["exit -5", "", -5]],
  linux: [["exit 3", "", 3], ["echo before; exit 4", "before\n", 4], ["false || exit", "", 1]],
} as const;

for (const flavour of ["windows", "linux"] as const) {
  Deno.test(`${flavour}: an exit with a status is the command's exit status; the session is then logged out`, async () => {
    await using env = await open(flavour);
    const s = env.session;
    for (const [command, output, exitCode] of EXITS[flavour]) {
      await s.login(ADMIN[flavour]);
      assert.deepEqual(await s.run(command, bounded()), { output, exitCode, dropped: 0 }, command);
      assert.equal(s.state, "logged-out", command);
      await s.logout(); // the shell is gone: nothing to do
    }
    // The next login gets a fresh shell, where commands run as before.
    await s.login(ADMIN[flavour]);
    assert.equal((await s.run("echo again")).output, "again\n");
    if (flavour === "windows") {
      // A child shell's exit is only that command's status.
      assert.equal((await s.run("cmd /c exit 5")).exitCode, 5);
      assert.equal((await s.run("cmd /c exit -5", bounded())).exitCode, -5); // ERRORLEVEL is signed
      assert.equal(s.state, "ready");
    }
    await s.logout();
  });
}
