// Copyright 2026 the xenpv authors. MIT license.
// The console server's recordings (recordDir): one asciicast v2 file per
// attach, the keyboard holder's terminal size as resize events, no password;
// listed at /api/guests/<domid>/recordings and served as
// application/x-asciicast, with the token only, by name only (no traversal,
// no other guest's), only files of ours with one name and private.

import assert from "node:assert/strict";
import type { RecordingInfo } from "../../serve/mod.ts";
import { windowsGuest } from "../../sim/mod.ts";
import { asciinemaCat, have, skipUnless } from "../_peers.ts";
import { get, guests, holder, setup, viewer } from "./_server.ts";

const noAsciinema = skipUnless(await have("asciinema", ["--version"]), "asciinema");

type Listing = { guest: string; recordings: RecordingInfo[] };

/** The guest's recordings, once there are `n` (the console attaches after the server starts). */
async function listed(
  server: Parameters<typeof get>[0],
  domid: number,
  n = 1,
): Promise<Listing> {
  for (let tries = 0;; tries++) {
    const response = await get(server, `/api/guests/${domid}/recordings`);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers.get("content-type"), "application/json");
    const listing: Listing = JSON.parse(response.text);
    if (listing.recordings.length >= n || tries > 100) return listing;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A recording's lines (parsed), once its text matches `pattern` (its writes are asynchronous). */
async function recorded(
  server: Parameters<typeof get>[0],
  path: string,
  pattern: RegExp,
): Promise<{ header: Record<string, unknown>; events: [number, string, string][] }> {
  for (let tries = 0;; tries++) {
    const response = await get(server, path);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers.get("content-type"), "application/x-asciicast");
    if (pattern.test(response.text) || tries > 100) {
      const [header, ...events] = response.text.trimEnd().split("\n").map((l) => JSON.parse(l));
      return { header, events };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("serve: recordDir records each guest's console as asciicast v2, the keyboard holder's resizes, no password", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await setup({ serve: { recordDir: dir } });
    const { server, win, deb } = t;
    await using alice = await viewer(server, win.domid, "alice");
    await using bob = await viewer(server, win.domid, "bob");
    assert(alice.messages.some((m) => m.type === "hello" && m.recordings === true));
    alice.send({ type: "resize", cols: 100, rows: 30 });
    await alice.waitText(/WIN1 login: $/);
    alice.send({ type: "take" });
    await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
    alice.type("Administrator\r");
    await alice.waitText(/Password: $/);
    for (const key of "xenpv\r") alice.type(key);
    await alice.waitText(/C:\\Users\\Administrator>$/);
    // bob's size is not recorded: he does not hold the keyboard
    bob.send({ type: "resize", cols: 50, rows: 10 });
    alice.send({ type: "resize", cols: 120, rows: 40 });
    alice.type("echo xenpv marker\r");
    await alice.waitText(/marker\r\n[\s\S]*>$/);

    const { guest, recordings } = await listed(server, win.domid);
    assert.equal(guest, "win1");
    assert.equal(recordings.length, 1);
    const [{ file, started }] = recordings;
    assert.match(file, /^guest-win1-\d{8}T\d{6}Z\.cast$/);
    assert.match(started, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(
      (await listed(server, deb.domid)).recordings[0].file.startsWith("guest-deb1-"),
      true,
    );
    assert.equal(
      (await guests(server)).find((g) => g.domid === win.domid)?.recording,
      file,
    );

    const { header, events } = await recorded(
      server,
      `/api/guests/${win.domid}/recordings/${file}`,
      /marker/,
    );
    assert.equal(header.version, 2);
    assert.equal(header.width, 80); // nobody held the keyboard when the console attached
    assert.equal(header.height, 24);
    assert.equal(header.title, "win1 (pv console)");
    const output = events.filter((e) => e[1] === "o").map((e) => e[2]).join("");
    assert.match(output, /WIN1 login: Administrator/);
    assert.match(output, /\[redacted\] marker/);
    assert.doesNotMatch(output, /xenpv/);
    const resizes = events.filter((e) => e[1] === "r").map((e) => e[2]);
    assert.deepEqual(resizes, ["100x30", "120x40"]);
    assert.equal(events.some((e) => e[1] === "i"), false);
    for (let i = 1; i < events.length; i++) assert(events[i][0] >= events[i - 1][0]);
    assert.equal((await Deno.stat(`${dir}/${file}`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "serve: a recording served by the API plays in Debian's asciinema (asciinema cat)",
  ignore: noAsciinema,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await setup({ serve: { recordDir: dir } });
    const { server, win } = t;
    await using alice = await viewer(server, win.domid, "alice");
    await alice.waitText(/WIN1 login: $/);
    alice.send({ type: "take" });
    await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
    alice.type("Administrator\r");
    await alice.waitText(/Password: $/);
    for (const key of "xenpv\r") alice.type(key);
    await alice.waitText(/C:\\Users\\Administrator>$/);
    alice.type("ver\r");
    await alice.waitText(/Version 10\.0\.15063\]\r\n[\s\S]*>$/);
    const [{ file }] = (await listed(server, win.domid)).recordings;
    const path = `/api/guests/${win.domid}/recordings/${file}`;
    // the banner's "[Version ...]", then ver's
    await recorded(server, path, /(Version 10\.0\.15063\][^]*){2}Administrator>/);
    const cast = `${dir}/served.cast`;
    await Deno.writeTextFile(cast, (await get(server, path)).text);
    const { code, text } = await asciinemaCat(cast);
    assert.equal(code, 0, text);
    assert.match(text, /WIN1 login: Administrator/);
    assert.match(
      text,
      /C:\\Users\\Administrator>ver\r?\n[^]*Microsoft Windows \[Version 10\.0\.15063\]/,
    );
    assert.doesNotMatch(text, /xenpv/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: the recorded size follows the keyboard: each new holder's terminal size is a resize event", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await setup({ serve: { recordDir: dir } });
    const { server, win } = t;
    await using alice = await viewer(server, win.domid, "alice");
    await using bob = await viewer(server, win.domid, "bob");
    alice.send({ type: "resize", cols: 100, rows: 30 });
    bob.send({ type: "resize", cols: 60, rows: 20 });
    await alice.waitText(/WIN1 login: $/);
    for (const [who, name] of [[alice, "alice"], [bob, "bob"], [alice, "alice"]] as const) {
      who.send({ type: "take" });
      await alice.until(`${name} holds the keyboard`, () => holder(alice) === name);
    }
    // a bad size is refused with a notice, and not recorded
    alice.send({ type: "resize", cols: 0, rows: 5000 } as never);
    await alice.waitMessage((m) => m.type === "notice" && /resize needs/.test(m.message));
    alice.type("\r");
    await alice.waitText(/login: \r\n[\s\S]*login: $/);
    const [{ file }] = (await listed(server, win.domid)).recordings;
    const { events } = await recorded(
      server,
      `/api/guests/${win.domid}/recordings/${file}`,
      /login: [^]*login: /,
    );
    const resizes = events.filter((e) => e[1] === "r").map((e) => e[2]);
    assert.deepEqual(resizes, ["100x30", "60x20", "100x30"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a flood of resize messages is recorded at a bounded rate, the last size before the next output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await setup({ serve: { recordDir: dir } });
    const { server, win } = t;
    await using alice = await viewer(server, win.domid, "alice");
    await alice.waitText(/WIN1 login: $/);
    alice.send({ type: "take" });
    await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
    for (let i = 0; i < 1000; i++) alice.send({ type: "resize", cols: 100 + i % 2, rows: 30 });
    alice.send({ type: "resize", cols: 132, rows: 43 });
    alice.type("\r");
    await alice.waitText(/login: \r\n[\s\S]*login: $/);
    const [{ file }] = (await listed(server, win.domid)).recordings;
    const path = `/api/guests/${win.domid}/recordings/${file}`;
    const { events } = await recorded(server, path, /login: [^]*login: /);
    const resizes = events.filter((e) => e[1] === "r").map((e) => e[2]);
    // 10 a second, bursts of 10 (not one per message: 1001)
    assert(resizes.length < 100, `${resizes.length} resize events recorded`);
    // the size when the guest printed again is the last one sent
    const [before] = events.filter((e) => e[1] === "o" && /login: $/.test(e[2])).slice(-1);
    const last = events.filter((e) => e[1] === "r" && e[0] <= before[0]).at(-1);
    assert.equal(last?.[2], "132x43", JSON.stringify(resizes));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a recording ends at UTC midnight: the output after it starts a new one", async () => {
  const dir = await Deno.makeTempDir();
  const now = Date.now;
  try {
    await using t = await setup({ serve: { recordDir: dir } });
    const { server, win } = t;
    await using alice = await viewer(server, win.domid, "alice");
    await alice.waitText(/WIN1 login: $/);
    const [{ file: first }] = (await listed(server, win.domid)).recordings;
    alice.send({ type: "take" });
    await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
    // a day later, as far as the server's midnight check sees (the recorder keeps its own clock)
    Date.now = () => now() + 24 * 3600 * 1000;
    alice.type("Administrator\r");
    await alice.waitText(/Password: $/);
    const { recordings } = await listed(server, win.domid, 2);
    assert.equal(recordings.length, 2);
    const second = recordings.map((r) => r.file).find((f) => f !== first)!;
    assert.match(second, /^guest-win1-\d{8}T\d{6}Z(-1)?\.cast$/);
    const old = await recorded(server, `/api/guests/${win.domid}/recordings/${first}`, /login: /);
    assert.match(old.events.map((e) => e[2]).join(""), /WIN1 login: $/);
    const next = await recorded(
      server,
      `/api/guests/${win.domid}/recordings/${second}`,
      /Password/,
    );
    assert.equal(next.header.version, 2);
    assert.match(next.events.map((e) => e[2]).join(""), /Password: $/);
  } finally {
    Date.now = now;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a cp850 guest's recording is UTF-8 (what the viewers see), after chcp too", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let domid = 0;
    await using t = await setup({
      serve: { recordDir: dir },
      before: async (host) => {
        const accounts = { Administrator: { password: "xenpv" }, "Müller": { password: "x" } };
        domid = (await host.createGuest({
          name: "de1",
          program: (o) => windowsGuest({ ...o, codePage: 850, accounts }),
        })).domid;
      },
    });
    const { server } = t;
    await using alice = await viewer(server, domid, "alice");
    await alice.waitText(/DE1 login: $/);
    alice.send({ type: "take" });
    await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
    alice.type("Administrator\r");
    await alice.waitText(/Password: $/);
    for (const key of "xenpv\r") alice.type(key);
    await alice.waitText(/C:\\Users\\Administrator>$/);
    alice.type("chcp\r");
    await alice.waitText(/Active code page: 850\r\n[\s\S]*>$/);
    alice.type("dir /b C:\\Users\r");
    await alice.waitText(/Müller\r\n[\s\S]*>$/);
    const [{ file }] = (await listed(server, domid)).recordings;
    const { events } = await recorded(server, `/api/guests/${domid}/recordings/${file}`, /Müller/);
    const output = events.filter((e) => e[1] === "o").map((e) => e[2]).join("");
    assert.match(output, /^Müller\r$/m);
    assert.doesNotMatch(output, /\ufffd|M\u251c\u255dller/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: recordings are served with the token, by their names only, only files of ours that are private and single", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const problems: { kind: string; message: string; status?: number }[] = [];
    await using t = await setup({ serve: { recordDir: dir, onProblem: (p) => problems.push(p) } });
    const { server, win, deb } = t;
    const [{ file }] = (await listed(server, win.domid)).recordings;
    const [{ file: debFile }] = (await listed(server, deb.domid)).recordings;
    const base = `/api/guests/${win.domid}/recordings`;
    // the token
    for (const path of [base, `${base}/${file}`]) {
      assert.equal((await get(server, path, null)).status, 401);
      assert.equal((await get(server, path, "f".repeat(64))).status, 401);
    }
    const served = await get(server, `${base}/${file}`);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get("content-type"), "application/x-asciicast");
    assert.equal(served.headers.get("x-content-type-options"), "nosniff");
    assert.match(served.headers.get("content-security-policy")!, /sandbox/);
    assert.match(served.headers.get("content-disposition")!, /^attachment; filename="guest-win1-/);
    assert.equal(JSON.parse(served.text.split("\n")[0]).version, 2);
    // names: another guest's, traversal, anything not a recording's name
    const outside = await Deno.makeTempFile();
    await Deno.writeTextFile(outside, '{"version": 2}\n');
    for (
      const name of [
        debFile,
        "..%2F..%2Fetc%2Fpasswd",
        `..%2F${dir.split("/").at(-1)}%2F${file}`,
        encodeURIComponent(outside),
        "guest-win1.log",
        `${file}%00`,
        "%E0%A4%A",
      ]
    ) {
      const response = await get(server, `${base}/${name}`);
      assert.equal(response.status, 404, `${name}: ${response.status} ${response.text}`);
    }
    // the URL's own dot segments are resolved before the route: still nothing outside
    assert.equal((await get(server, `${base}/../../../../etc/passwd`)).status, 404);
    // a file named as a recording but not as the server made it: refused
    const planted = {
      link: "guest-win1-20200101T000000Z.cast",
      shared: "guest-win1-20200101T000001Z.cast",
      symlink: "guest-win1-20200101T000002Z.cast",
    };
    await Deno.writeTextFile(outside, '{"version": 2}\n', { mode: 0o600 });
    await Deno.link(outside, `${dir}/${planted.link}`);
    await Deno.writeTextFile(`${dir}/${planted.shared}`, '{"version": 2}\n', { mode: 0o640 });
    await Deno.chmod(`${dir}/${planted.shared}`, 0o640);
    await Deno.symlink(outside, `${dir}/${planted.symlink}`);
    const { recordings } = await listed(server, win.domid, 4);
    assert.deepEqual(
      recordings.map((r) => r.file),
      [file, planted.symlink, planted.shared, planted.link],
    );
    for (const [what, name] of Object.entries(planted)) {
      const response = await get(server, `${base}/${name}`);
      assert.equal(response.status, 403, `${what}: ${response.status} ${response.text}`);
      assert.doesNotMatch(response.text, /version/);
      // why, with the server's path: in its problem log, not in the answer
      assert.ok(!response.text.includes(dir), `${what}: ${response.text}`);
      assert.ok(problems.some((p) => p.status === 403 && p.message.includes(name)), what);
    }
    // listed, then gone (rotated away, removed): 404, not 403
    await Deno.remove(`${dir}/${planted.shared}`);
    const gone = await get(server, `${base}/${planted.shared}`);
    assert.equal(gone.status, 404, gone.text);
    assert.ok(!gone.text.includes(dir), gone.text);
    await Deno.remove(outside);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: in a shared (1777) record directory, files planted under the next recordings' names are neither written to nor served; a warning says so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.chmod(dir, 0o1777);
    // another user's files, named as win1's recordings of the next few seconds would be
    const stamp = (t: number) =>
      new Date(t).toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
    const planted: string[] = [];
    for (let i = 0; i < 10; i++) {
      const file = `guest-win1-${stamp(Date.now() + i * 1000)}.cast`;
      await Deno.writeTextFile(`${dir}/${file}`, '{"version": 2}\n', { mode: 0o600 });
      await Deno.chown(`${dir}/${file}`, 65534, 65534); // tests run as root
      planted.push(file);
    }
    const problems: { kind: string; message: string }[] = [];
    await using t = await setup({
      serve: { recordDir: dir, onProblem: (p) => problems.push(p) },
    });
    const { server, win } = t;
    await using alice = await viewer(server, win.domid, "alice");
    await alice.waitText(/WIN1 login: $/);
    const { recordings } = await listed(server, win.domid, planted.length + 1);
    const ours = recordings.map((r) => r.file).filter((f) => !planted.includes(f));
    assert.equal(ours.length, 1, JSON.stringify(recordings));
    assert.match(ours[0], /^guest-win1-\d{8}T\d{6}Z(-\d+)?\.cast$/);
    const served = await recorded(
      server,
      `/api/guests/${win.domid}/recordings/${ours[0]}`,
      /login: /,
    );
    assert.equal(served.header.version, 2);
    for (const file of planted) {
      assert.equal(await Deno.readTextFile(`${dir}/${file}`), '{"version": 2}\n', file);
      const response = await get(server, `/api/guests/${win.domid}/recordings/${file}`);
      assert.equal(response.status, 403, file);
      assert.ok(!response.text.includes(dir), response.text);
    }
    const refused = problems.filter((p) => p.kind === "request").map((p) => p.message);
    assert.equal(refused.length, planted.length, JSON.stringify(problems));
    for (const m of refused) assert.match(m, /owned by uid 65534, not by this user/);
    const warnings = problems.filter((p) => p.kind === "warning").map((p) => p.message);
    assert(
      warnings.some((w) => /record directory .* \(mode 1777\) is writable by others/.test(w)),
      JSON.stringify(problems),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: without recordDir, nothing is recorded and the recordings are 404", async () => {
  await using t = await setup();
  const { server, win } = t;
  await using alice = await viewer(server, win.domid, "alice");
  await alice.waitText(/WIN1 login: $/);
  assert(alice.messages.some((m) => m.type === "hello" && !m.recordings));
  assert.equal((await get(server, `/api/guests/${win.domid}/recordings`)).status, 404);
  assert.equal((await get(server, `/api/guests/${win.domid}/recordings/x.cast`)).status, 404);
  assert.equal((await get(server, `/api/guests/999/recordings`)).status, 404);
});
