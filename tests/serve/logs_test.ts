// Copyright 2026 the xenpv authors. MIT license.
// The console server's guest logs (logDir): stamped, masked, rotated, safe
// file names, planted symlinks refused, served at /api/guests/<domid>/log.

import assert from "node:assert/strict";
import { SimulatedHost } from "../../sim/mod.ts";
import { type GuestSummary, serveConsoles, type ServerProblem } from "../../serve/mod.ts";
import { filesIn, get, guests, holder, setup, viewer } from "./_server.ts";

Deno.test("serve: logDir logs each guest to guest-<name>.log, stamped, the password typed through the server masked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await setup({ serve: { logDir: dir } });
    const { server, win } = t;
    await using alice = await viewer(server, win.domid, "alice");
    await alice.waitText(/WIN1 login: $/);
    alice.send({ type: "take" });
    await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
    alice.type("Administrator\r");
    await alice.waitText(/Password: $/);
    for (const key of "s3cret-pw\r") alice.type(key);
    await alice.waitText(/Password: \r\n[\s\S]*login: $/);
    alice.type("Administrator\r");
    await alice.waitText(/Password: $/);
    for (const key of "xenpv\r") alice.type(key);
    await alice.waitText(/C:\\Users\\Administrator>$/);
    alice.type("echo s3cret-pw log-marker\r");
    await alice.waitText(/log-marker\r\n[\s\S]*>$/);
    const listed = (await guests(server)).find((g) => g.domid === win.domid)!;
    assert.equal(listed.log, "guest-win1.log");
    assert.equal(listed.logError, undefined);
    // the endpoint waits for what was logged so far to be written
    const served = await get(server, `/api/guests/${win.domid}/log`);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(served.headers.get("x-content-type-options"), "nosniff");
    assert.match(served.headers.get("content-security-policy")!, /sandbox/);
    const text = await Deno.readTextFile(`${dir}/guest-win1.log`);
    assert.equal(served.text, text);
    assert.match(text, /log-marker/);
    assert.doesNotMatch(text, /s3cret-pw|xenpv/);
    assert.match(text, /\[redacted\] log-marker/);
    for (const line of text.split("\n").filter((l) => l !== "")) {
      assert.match(line, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] /);
    }
    assert.equal((await Deno.stat(`${dir}/guest-win1.log`)).mode! & 0o777, 0o600);
    assert.deepEqual(Object.keys(await filesIn(dir)).sort(), ["guest-deb1.log", "guest-win1.log"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: the log endpoint needs the token; unlogged guests and servers say 404", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using t = await setup({ serve: { logDir: dir } });
      const path = `/api/guests/${t.deb.domid}/log`;
      assert.equal((await get(t.server, path, null)).status, 401);
      assert.equal((await get(t.server, path, "f".repeat(64))).status, 401);
      assert.equal((await get(t.server, path)).status, 200);
      assert.equal((await get(t.server, "/api/guests/999/log")).status, 404);
    }
    await using plain = await setup();
    const none = await get(plain.server, `/api/guests/${plain.deb.domid}/log`);
    assert.equal(none.status, 404);
    assert.match(none.text, /not logged/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: logs rotate at logSize, keeping logKeep old files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await setup({ serve: { logDir: dir, logSize: 300, logKeep: 2 } });
    const { server, deb } = t;
    await using c = await viewer(server, deb.domid, "c");
    await c.waitText(/login: $/);
    c.send({ type: "take" });
    await c.until("c holds the keyboard", () => holder(c) === "c");
    // a wrong login answers with about 60 bytes, each line stamped (+27): over 1000 bytes
    for (let i = 0; i < 8; i++) {
      c.type(`user${i}\r`);
      await c.waitText(/Password: $/);
      c.type("wrong\r");
      await c.waitText(new RegExp(`Login incorrect[\\s\\S]*login: $`));
      c.text = "";
    }
    await get(server, `/api/guests/${deb.domid}/log`); // flushed
    const files = await filesIn(dir);
    const names = Object.keys(files).filter((n) => n.startsWith("guest-deb1")).sort();
    assert.deepEqual(names, ["guest-deb1.log", "guest-deb1.log.1", "guest-deb1.log.2"]);
    for (const name of names.slice(1)) {
      assert.equal(new TextEncoder().encode(files[name]).length, 300, name);
    }
    // the newest bytes are in .log, the older in .log.1 then .log.2, in order
    const joined = files["guest-deb1.log.2"] + files["guest-deb1.log.1"] + files["guest-deb1.log"];
    assert.match(joined, /user6[\s\S]*user7[\s\S]*login: $/);
    assert.doesNotMatch(joined, /wrong/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a hostile guest name gives a safe log file name inside logDir", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/logs`;
  await Deno.mkdir(dir);
  const hostile = "../../etc/x\x1b[31m\n\x00" + "A".repeat(300);
  try {
    await using t = await setup({
      serve: { logDir: dir },
      before: async (host) => {
        const g = await host.createGuest({ name: "evil", program: "linux" });
        await using xs = await host.openXenstore();
        await xs.write(`/local/domain/${g.domid}/name`, hostile);
      },
    });
    const evil = t.host.guest("evil")!;
    await get(t.server, `/api/guests/${evil.domid}/log`);
    const listed = (await guests(t.server)).find((g) => g.domid === evil.domid)!;
    // every character outside [A-Za-z0-9._-] made "_", 64 at most: no "/", no control character
    assert.ok(listed.log!.startsWith("guest-.._.._etc_x_x1b_31m_x0a_x00A"), listed.log);
    assert.match(listed.log!, /^guest-[A-Za-z0-9._-]{64}\.log$/);
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["logs"]);
    const names = Object.keys(await filesIn(dir)).sort();
    assert.deepEqual(names, ["guest-deb1.log", listed.log, "guest-win1.log"].sort());
    for (const name of names) assert.match(name, /^[A-Za-z0-9._-]{1,80}$/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("serve: a symlink planted in logDir is refused for that guest; the others are logged and served", async () => {
  const dir = await Deno.makeTempDir();
  const target = await Deno.makeTempFile();
  try {
    await Deno.symlink(target, `${dir}/guest-deb1.log`);
    await using t = await setup({ serve: { logDir: dir } });
    const { server, deb, win } = t;
    const listed = await guests(server);
    const debListed = listed.find((g) => g.domid === deb.domid)!;
    assert.equal(debListed.log, undefined);
    assert.match(debListed.logError!, /guest-deb1\.log: ELOOP .*symlink/);
    assert.equal(listed.find((g) => g.domid === win.domid)!.log, "guest-win1.log");
    await using c = await viewer(server, deb.domid, "c");
    await c.waitText(/login: $/); // still served
    assert.equal((await get(server, `/api/guests/${deb.domid}/log`)).status, 404);
    assert.match((await get(server, `/api/guests/${win.domid}/log`)).text, /WIN1 login: /);
    assert.equal(await Deno.readTextFile(target), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(target);
  }
});

Deno.test("serve: in a world-writable logDir, another user's file, a hard link and a symlink are refused, and the dir warned about", async () => {
  const dir = await Deno.makeTempDir();
  const root = await Deno.makeTempDir(); // root-only: the hard link's target
  try {
    await Deno.chmod(dir, 0o1777); // /tmp-like: anyone may plant files
    // another user (nobody, 65534) made win1's file first (tests run as root)
    await Deno.writeTextFile(`${dir}/guest-win1.log`, "theirs\n", { mode: 0o600 });
    await Deno.chown(`${dir}/guest-win1.log`, 65534, 65534);
    // a hard link to a root-only 0600 file, as deb1's log
    await Deno.writeTextFile(`${root}/secret`, "root-only secret\n", { mode: 0o600 });
    await Deno.link(`${root}/secret`, `${dir}/guest-deb1.log`);
    // a symlink, as lnk1's
    await Deno.symlink(`${root}/secret`, `${dir}/guest-lnk1.log`);
    const problems: ServerProblem[] = [];
    await using t = await setup({
      serve: { logDir: dir, onProblem: (p) => problems.push(p) },
      before: async (host) => void await host.createGuest({ name: "lnk1", program: "linux" }),
    });
    const listed = await guests(t.server);
    const byName = (name: string) => listed.find((g) => g.name === name)!;
    assert.match(byName("win1").logError!, /EPERM .*owned by uid 65534, not by this user .*rm /);
    assert.match(byName("deb1").logError!, /EPERM .*2 names \(a hard link to another file\?\)/);
    assert.match(byName("lnk1").logError!, /ELOOP .*symlink/);
    for (const g of listed) {
      assert.equal(g.log, undefined, g.name);
      await using v = await viewer(t.server, g.domid, "v");
      await v.waitText(/login: $/); // still served, not logged
      assert.equal((await get(t.server, `/api/guests/${g.domid}/log`)).status, 404, g.name);
    }
    assert.equal(await Deno.readTextFile(`${dir}/guest-win1.log`), "theirs\n");
    assert.equal(await Deno.readTextFile(`${root}/secret`), "root-only secret\n");
    const warnings = problems.filter((p) => p.kind === "warning").map((p) => p.message);
    assert.equal(warnings.length, 1, JSON.stringify(problems));
    assert.match(warnings[0], /mode 1777\) is writable by others: .*chmod o-w /);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("serve: a log file of ours that others may read is refused, with the chmod that fixes it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/guest-deb1.log`, "old\n", { mode: 0o644 });
    await Deno.chmod(`${dir}/guest-deb1.log`, 0o644); // whatever the umask
    const problems: ServerProblem[] = [];
    await using t = await setup({ serve: { logDir: dir, onProblem: (p) => problems.push(p) } });
    const deb = (await guests(t.server)).find((g) => g.name === "deb1")!;
    assert.match(
      deb.logError!,
      /EPERM .*mode 0644: group or others may read or write it \(chmod 600 /,
    );
    assert.equal(await Deno.readTextFile(`${dir}/guest-deb1.log`), "old\n");
    assert.deepEqual(problems, []); // a directory of ours alone: no warning
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: logDir must be a directory itself, not a symlink to one", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/real`);
    await Deno.symlink(`${root}/real`, `${root}/link`);
    await using host = new SimulatedHost();
    await assert.rejects(
      serveConsoles({ host, logDir: `${root}/link` }),
      /ELOOP.*symlink: give the directory itself/,
    );
    await assert.rejects(serveConsoles({ host, logDir: `${root}/none` }), /ENOENT/);
    await assert.rejects(serveConsoles({ host, logDir: `${root}/real`, logKeep: 100 }), RangeError);
    await assert.rejects(serveConsoles({ host, logDir: `${root}/real`, logSize: 0 }), RangeError);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("serve: a rebooted guest (same name, new domid) appends to the same log", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await setup({ serve: { logDir: dir } });
    const { server, deb } = t;
    await get(server, `/api/guests/${deb.domid}/log`);
    const reborn = await deb.reboot();
    const deadline = Date.now() + 5000;
    let found: GuestSummary | undefined;
    while (Date.now() < deadline) {
      found = (await guests(server)).find((g) => g.domid === reborn.domid);
      if (found?.log !== undefined) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(found?.log, "guest-deb1.log");
    await using c = await viewer(server, reborn.domid, "c");
    await c.waitText(/login: $/);
    const text = (await get(server, `/api/guests/${reborn.domid}/log`)).text;
    assert.equal(text.match(/login: /g)?.length, 2, text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
