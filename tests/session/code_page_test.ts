// Copyright 2026 the xenpv authors. MIT license.
// A German Windows guest (console code page 850) through connect() and the
// simulated xenconsoled: user names, paths, dir listings and typed text with
// non-ASCII characters come back as the right Unicode; what the page cannot
// carry fails before anything is typed.
import assert from "node:assert/strict";
import { connect } from "../../mod.ts";
import { SimulatedHost, windowsGuest } from "../../sim/mod.ts";
import {
  ConsoleSession,
  type ConsoleSessionOptions,
  type Dialect,
  UnencodableError,
  UnsupportedCodePageError,
  windowsDialect,
} from "../../xencons/mod.ts";

const ACCOUNTS = {
  Administrator: { password: "xenpv" },
  "Müller": { password: "Grüße1" },
};

/** A cp850 guest; `typed` collects every byte that reaches it. */
async function setup(codePage = 850) {
  const host = new SimulatedHost();
  const typed: number[] = [];
  await host.createGuest({
    name: "de1",
    program: (o) => {
      const g = windowsGuest({ ...o, codePage, accounts: ACCOUNTS });
      return { ...g, input: (d: Uint8Array) => (typed.push(...d), g.input(d)) };
    },
  });
  const open = async (options: Partial<ConsoleSessionOptions> = {}) =>
    new ConsoleSession(await connect("de1", { host }), {
      dialect: "windows",
      ownsConsole: true,
      timeout: 5000,
      ...options,
    });
  return { host, typed, open, [Symbol.asyncDispose]: () => host.close() };
}

Deno.test("code page: decoding a cp850 guest as UTF-8 (the old default) gives mojibake", async () => {
  await using env = await setup();
  // A fixed 65001 decodes as UTF-8 without asking the guest: what every session did before.
  await using s = await env.open({ codePage: 65001 });
  await s.login({ user: "Administrator", password: "xenpv" });
  const { output } = await s.run("dir /b C:\\Users");
  assert.doesNotMatch(output, /Müller/);
  assert.match(output, /M\ufffdller/);
});

Deno.test("code page: a fixed 850 logs in as Müller; dir and echo come back as Unicode; € fails untyped", async () => {
  await using env = await setup();
  await using s = await env.open({ codePage: 850 });
  assert.equal(s.codePage, 850);
  await s.login({ user: "Müller", password: "Grüße1" });
  assert.equal(s.user, "Müller");
  assert.equal((await s.run("whoami")).output, "de1\\müller\n");
  const dir = await s.run("dir");
  assert.match(dir.output, /Directory of C:\\Users\\Müller\n/);
  assert.match(dir.output, /<DIR>\s+Documents\n/);
  assert.deepEqual(await s.run("echo ä ö ü ß"), { output: "ä ö ü ß\n", exitCode: 0, dropped: 0 });
  const before = env.typed.length;
  const entries = s.transcript.entries.length;
  assert.throws(() => s.run("echo ä ö ü ß €"), (e: unknown) => {
    assert.ok(e instanceof UnencodableError);
    assert.equal(e.character, "€");
    assert.equal(e.codePage, 850);
    return true;
  });
  assert.equal(env.typed.length, before, "nothing was typed");
  assert.equal(s.transcript.entries.length, entries);
  assert.equal(s.state, "ready");
  // The password (non-ASCII) never shows in the transcript.
  assert.ok(!s.transcript.entries.some((e) => e.text.includes("Grüße1")));
  await s.logout();
  // A user name the page cannot carry: refused before anything is typed.
  const typedBefore = env.typed.length;
  assert.throws(() => s.login({ user: "Zoë€", password: "x" }), UnencodableError);
  assert.throws(() => s.login({ user: "Zoe", password: "x€" }), (e: unknown) => {
    assert.ok(e instanceof UnencodableError);
    assert.equal(e.character, undefined); // a password's character is never named
    return true;
  });
  assert.equal(env.typed.length, typedBefore);
});

Deno.test("code page: auto learns 850 with one chcp after login", async () => {
  await using env = await setup();
  await using s = await env.open();
  assert.equal(s.codePage, undefined);
  // Not known yet: non-ASCII credentials cannot be typed.
  assert.throws(() => s.login({ user: "Müller", password: "Grüße1" }), TypeError);
  await s.login({ user: "Administrator", password: "xenpv" });
  assert.equal(s.codePage, 850);
  assert.equal(s.expect.encoding, "cp850");
  assert.equal(
    s.transcript.entries.filter((e) => e.direction === "in" && /chcp/.test(e.text)).length,
    1,
  );
  const dir = await s.run("dir C:\\Users\\Müller");
  assert.match(dir.output, /Directory of C:\\Users\\Müller\n/);
  assert.equal((await s.run("echo ä ö ü ß")).output, "ä ö ü ß\n");
  await assert.rejects(async () => await s.run("echo €"), UnencodableError);
  await s.logout();
  // Now the page is known: Müller can log in.
  await s.login({ user: "Müller", password: "Grüße1" });
  assert.equal((await s.run("cd")).output, "C:\\Users\\Müller\n");
});

Deno.test('code page: "utf-8" switches the guest to 65001 and restores 850 at logout', async () => {
  await using env = await setup();
  {
    await using s = await env.open({ codePage: "utf-8" });
    await s.login({ user: "Administrator", password: "xenpv" });
    assert.equal(s.codePage, 65001);
    assert.equal((await s.run("chcp")).output, "Active code page: 65001\n");
    assert.equal((await s.run("echo ä ö ü ß €")).output, "ä ö ü ß €\n");
    assert.match((await s.run("dir /b C:\\Users")).output, /^Müller$/m);
    // Logging in again without logout() finds 65001, and still restores 850.
    await s.login({ user: "Administrator", password: "xenpv" });
    await s.logout();
    assert.equal(s.codePage, 850);
  }
  await using t = await env.open();
  await t.login({ user: "Administrator", password: "xenpv" });
  assert.equal(t.codePage, 850);
  assert.equal((await t.run("chcp")).output, "Active code page: 850\n");
});

Deno.test("code page: a page without a table is UnsupportedCodePageError, logged in", async () => {
  await using env = await setup();
  const dialect: Dialect = {
    ...windowsDialect,
    codePage: { ...windowsDialect.codePage!, parse: () => 932 },
  };
  await using s = await env.open({ dialect });
  await assert.rejects(
    () => s.login({ user: "Administrator", password: "xenpv" }),
    (e: unknown) => e instanceof UnsupportedCodePageError && e.codePage === 932,
  );
  assert.equal(s.state, "ready");
  assert.equal(s.codePage, undefined);
  await s.logout();
});

Deno.test("code page: chcp's answer is read in any language", () => {
  const parse = windowsDialect.codePage!.parse;
  assert.equal(parse("Active code page: 850\n"), 850);
  assert.equal(parse("Aktive Codepage: 850.\n"), 850);
  assert.equal(parse("Page de codes active : 1252\n"), 1252);
  assert.equal(parse("現在のコード ページ: 932\n"), 932);
  assert.equal(parse("'chcp' is not recognized\n"), undefined);
  assert.throws(
    () => new ConsoleSession(new TransformStream(), { dialect: "windows", codePage: 932 }),
    RangeError,
  );
});
