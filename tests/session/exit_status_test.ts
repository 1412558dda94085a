// Copyright 2026 the xenpv authors. MIT license.
// `exit N` typed as a command is its exit status, on both simulated guests;
// the session is logged out after it, and logout() then does nothing.
import assert from "node:assert/strict";
import { connect, SimulatedHost } from "../../mod.ts";
import { ConsoleSession, SessionStateError } from "../../xencons/mod.ts";

type Flavour = "windows" | "linux";
const ADMIN = {
  windows: { user: "Administrator", password: "xenpv" },
  linux: { user: "root", password: "xenpv" },
};

async function open(flavour: Flavour) {
  const host = new SimulatedHost();
  await host.createGuest({ name: "g1", program: flavour });
  const session = new ConsoleSession(await connect("g1", { host }), {
    dialect: flavour,
    ownsConsole: true,
    timeout: 5000,
  });
  return {
    session,
    async [Symbol.asyncDispose]() {
      await session.close();
      await host.close();
    },
  };
}

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
