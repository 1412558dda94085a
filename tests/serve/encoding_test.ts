// Copyright 2026 the xenpv authors. MIT license.
// The console server and guests' code pages: "auto" learns it from chcp,
// a fixed page, "utf-8"; output UTF-8 to the viewers, input in the page.

import assert from "node:assert/strict";
import type { SimulatedHost } from "../../sim/mod.ts";
import { windowsGuest } from "../../sim/mod.ts";
import type { AuditEntry, ConsoleServer } from "../../serve/mod.ts";
import { get, guests, holder, setup, viewer } from "./_server.ts";

const encoder = new TextEncoder();

/** A German Windows guest's accounts: a user name and a password the code page has, UTF-8 has otherwise. */
const DE_ACCOUNTS = {
  Administrator: { password: "xenpv" },
  "Müller": { password: "Grüße1" },
};

/** Adds "de1", a Windows guest whose console is cp850; `typed` gets every byte that reaches it. */
function germanGuest(typed: number[]) {
  return async (host: SimulatedHost) => {
    await host.createGuest({
      name: "de1",
      program: (o) => {
        const g = windowsGuest({ ...o, codePage: 850, accounts: DE_ACCOUNTS });
        return { ...g, input: (d: Uint8Array) => (typed.push(...d), g.input(d)) };
      },
    });
  };
}

const domidOf = async (server: ConsoleServer, name: string) =>
  (await guests(server)).find((g) => g.name === name)!.domid;

Deno.test("serve: a cp850 guest: auto learns the page from chcp; output and scrollback are UTF-8, typing is cp850, € is not sent", async () => {
  const audit: AuditEntry[] = [];
  const typed: number[] = [];
  await using t = await setup({ audit, before: germanGuest(typed) });
  const { server } = t;
  const domid = await domidOf(server, "de1");
  await using alice = await viewer(server, domid, "alice");
  await alice.waitText(/DE1 login: $/);
  alice.send({ type: "take" });
  await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
  alice.type("Administrator\r");
  await alice.waitText(/Password: $/);
  for (const key of "xenpv\r") alice.type(key);
  await alice.waitText(/C:\\Users\\Administrator>$/);
  assert.equal((await guests(server)).find((g) => g.domid === domid)!.codePage, 65001);
  alice.type("chcp\r");
  await alice.waitText(/Active code page: 850\r\n[\s\S]*>$/);
  alice.type("dir C:\\Users\\Müller\r");
  await alice.waitText(/Directory of C:\\Users\\Müller\r\n[\s\S]*>$/);
  assert.doesNotMatch(alice.text, /\ufffd/);
  await alice.waitMessage((m) =>
    m.type === "notice" && /code page is cp850/.test(String(m.message))
  );
  assert.equal((await guests(server)).find((g) => g.domid === domid)!.codePage, 850);
  const before = typed.length;
  for (const key of "echo ä ö ü ß\r") alice.type(key);
  await alice.waitText(/echo ä ö ü ß\r\nä ö ü ß\r\n[\s\S]*>$/);
  // what reached the guest: cp850 bytes (ä 0x84, ö 0x94, ü 0x81, ß 0xE1)
  assert.deepEqual(
    typed.slice(before),
    [...encoder.encode("echo "), 0x84, 0x20, 0x94, 0x20, 0x81, 0x20, 0xe1, 0x0d],
  );
  // € is not in cp850: a notice, and nothing reaches the guest
  const notices = alice.messages.length;
  const sent = typed.length;
  alice.type("€");
  await alice.until(
    "the € notice",
    () =>
      alice.messages.slice(notices).some((m) =>
        m.type === "notice" && /not sent.*850/.test(String(m.message))
      ),
  );
  assert.equal(typed.length, sent);
  assert.doesNotMatch(JSON.stringify(alice.messages.slice(notices)), /€/);
  // a late viewer's scrollback is UTF-8 too
  await using late = await viewer(server, domid, "late");
  await late.waitText(/Directory of C:\\Users\\Müller\r\n[\s\S]*\r\nä ö ü ß\r\n/);
  const lines = audit.filter((e) => e.event === "input" && e.domid === domid).map((e) => e.text);
  assert.deepEqual(lines, [
    "Administrator",
    "[redacted]",
    "chcp",
    "dir C:\\Users\\Müller",
    "echo ä ö ü ß",
  ]);
});

Deno.test("serve: encoding utf-8 (what the server did before) shows a cp850 guest's output as mojibake", async () => {
  await using t = await setup({ before: germanGuest([]), serve: { encoding: "utf-8" } });
  const { server } = t;
  const domid = await domidOf(server, "de1");
  await using alice = await viewer(server, domid, "alice");
  await alice.waitText(/DE1 login: $/);
  alice.send({ type: "take" });
  await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
  alice.type("Administrator\r");
  await alice.waitText(/Password: $/);
  alice.type("xenpv\r");
  await alice.waitText(/C:\\Users\\Administrator>$/);
  alice.type("chcp\r");
  await alice.waitText(/Active code page: 850\r\n[\s\S]*>$/);
  alice.type("dir /b C:\\Users\r");
  await alice.waitText(/\r\nM\ufffdller\r\n/);
  assert.equal((await guests(server)).find((g) => g.domid === domid)!.codePage, 65001);
});

Deno.test("serve: encoding 850: log in as Müller with a non-ASCII password; the log is UTF-8, password masked in log and audit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const audit: AuditEntry[] = [];
    const typed: number[] = [];
    await using t = await setup({
      audit,
      before: germanGuest(typed),
      serve: { encoding: 850, logDir: dir },
    });
    const { server } = t;
    const domid = await domidOf(server, "de1");
    assert.equal((await guests(server)).find((g) => g.domid === domid)!.codePage, 850);
    await using alice = await viewer(server, domid, "alice");
    await alice.waitText(/DE1 login: $/);
    alice.send({ type: "take" });
    await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
    alice.type("Müller\r");
    await alice.waitText(/Password: $/);
    for (const key of "Grüße1\r") alice.type(key);
    await alice.waitText(/C:\\Users\\Müller>$/);
    alice.type("whoami\r");
    await alice.waitText(/\r\nde1\\müller\r\n/);
    alice.type("echo ä ö ü ß Grüße1 marker\r");
    await alice.waitText(/\r\nä ö ü ß \S+ marker\r\n[\s\S]*>$/);
    alice.type("x€\r"); // x goes, € does not
    await alice.waitMessage((m) =>
      m.type === "notice" && /1 character\(s\) not sent/.test(String(m.message))
    );
    await alice.waitText(/'x' is not recognized/);
    // the guest got the password in cp850 (ü 0x81, ß 0xE1)
    assert.ok(String.fromCharCode(...typed).includes("Gr\x81\xe1e1\r"));
    const file = (await guests(server)).find((g) => g.domid === domid)!.log!;
    const served = await get(server, `/api/guests/${domid}/log`);
    const text = await Deno.readTextFile(`${dir}/${file}`);
    assert.equal(served.text, text);
    assert.match(text, /C:\\Users\\Müller>whoami\r\n/);
    assert.match(text, /\] de1\\müller\r\n/);
    assert.match(text, /\] ä ö ü ß \[redacted\] marker\r\n/);
    // the password in no form: UTF-8, cp850 bytes, or either misread
    const secret = /Gr..?.?.?e1|Gr\ufffd/;
    assert.doesNotMatch(text, secret);
    assert.doesNotMatch(JSON.stringify(audit), secret);
    const lines = audit.filter((e) => e.event === "input" && e.domid === domid).map((e) => e.text);
    assert.deepEqual(lines, [
      "Müller",
      "[redacted]",
      "whoami",
      "echo ä ö ü ß [redacted] marker",
      "x",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
