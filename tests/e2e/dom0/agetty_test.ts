// Copyright 2026 the xenpv authors. MIT license.
// The Linux dialect against Debian's own agetty and login (util-linux, login,
// PAM from Debian's packages) on the PV console of the e2e-agetty guest
// (../_guests.ts): programs no one here wrote, where the rest of the suite
// logs in through our own login program. examples/run.ts against the same
// guest runs in console_test.ts (_agetty.ts), beside the other kinds' run.ts
// (a deno start costs 35-45 s in dom0).

import assert from "node:assert/strict";
import { connect } from "../../../mod.ts";
import { ConsoleSession, linuxDialect, LoginError } from "../../../xencons/mod.ts";
import { AGETTY_ACCOUNT, AGETTY_GUEST, AGETTY_MOTD } from "../_guests.ts";
import { agettyUp } from "./_agetty.ts";

const NAME = AGETTY_GUEST.name;
const { user, password } = AGETTY_ACCOUNT;

/** Waits (5 s at most) for what the tap beside the session has seen. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(done(), `the console's tap never showed ${what}`);
}

Deno.test(`Debian's agetty and login (PAM) on ${NAME}: a wrong password, the motd, commands, logout`, async () => {
  await agettyUp();
  const console = await connect(NAME, { mode: "pty" });
  // everything the guest prints, beside the session (the password must never be in it)
  const tap = console.subscribe();
  const seen: string[] = [];
  const tapped = tap.pipeTo(
    new WritableStream({
      write: (chunk) => void seen.push(new TextDecoder().decode(chunk)),
    }),
  ).catch(() => {});
  const session = new ConsoleSession(console, {
    dialect: linuxDialect,
    ownsConsole: true,
    timeout: 90_000,
  });
  try {
    // login(1) answers a wrong password after PAM's 3 s delay with "Login
    // incorrect" and prompts again itself: LoginError "bad-credentials"
    await assert.rejects(session.login({ user, password: "not-the-password" }), (e) => {
      assert.ok(e instanceof LoginError, String(e));
      assert.equal(e.reason, "bad-credentials");
      assert.doesNotMatch(e.message, /not-the-password/);
      return true;
    });
    await until(() => seen.join("").includes("Login incorrect"), "Login incorrect");
    assert.equal(session.state, "logged-out");
    // and the next login() on the same session goes through
    await session.login({ user, password });
    assert.equal(session.state, "ready");
    const whoami = await session.run("id -un; id -u");
    assert.deepEqual(whoami, {
      ...whoami,
      output: `${user}\n${AGETTY_ACCOUNT.uid}\n`,
      exitCode: 0,
    });
    assert.equal((await session.run("false")).exitCode, 1);
    assert.equal((await session.run("sh -c 'exit 42'")).exitCode, 42);
    assert.equal((await session.run("ls /nonexistent")).exitCode, 1);
    const tty = await session.run("tty; echo $HOME; cat /etc/motd");
    assert.equal(tty.output, `/dev/hvc0\n/home/${user}\n\n${AGETTY_MOTD}\n`);
    await session.logout();
    assert.equal(session.state, "logged-out");
    // The motd came from pam_motd at login; the password was never echoed:
    // login(1) turned echo off at "Password: " (and the wrong one too)
    const text = seen.join("");
    const motd = text.indexOf(AGETTY_MOTD);
    assert.ok(motd > text.indexOf("Login incorrect"), "the motd after the login");
    assert.ok(text.indexOf(AGETTY_MOTD) < text.indexOf("id -un"), "the motd before the commands");
    assert.doesNotMatch(text, new RegExp(password));
    assert.doesNotMatch(text, /not-the-password/);
    assert.doesNotMatch(session.transcript.toString(), new RegExp(password));
  } finally {
    await session.close();
    await tapped;
  }
});
