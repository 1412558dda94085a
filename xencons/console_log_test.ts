// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { ConsoleLog } from "./console_log.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    out[entry.name] = await Deno.readTextFile(`${dir}/${entry.name}`);
  }
  return out;
}

Deno.test("ConsoleLog rotates at maxSize: each file full, the oldest beyond keep dropped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using log = ConsoleLog.open(`${dir}/g.log`, { maxSize: 10, keep: 2 });
      await log.output(bytes("0123456789abcdefghij"));
      await log.output(bytes("ABCDEFGHIJkl"));
    }
    assert.deepEqual(await files(dir), {
      "g.log": "kl",
      "g.log.1": "ABCDEFGHIJ",
      "g.log.2": "abcdefghij",
    });
    const mode = (await Deno.stat(`${dir}/g.log`)).mode! & 0o777;
    assert.equal(mode, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ConsoleLog counts what the file held before: reopening continues up to maxSize", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/g.log`, "12345678");
    {
      await using log = ConsoleLog.open(`${dir}/g.log`, { maxSize: 10 });
      await log.output(bytes("9Xnext"));
    }
    assert.deepEqual(await files(dir), { "g.log": "next", "g.log.1": "123456789X" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ConsoleLog rotation with timestamps: every line stamped, masked, within maxSize", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using log = ConsoleLog.open(`${dir}/g.log`, {
        timestamps: true,
        maxSize: 64,
        keep: 9,
      });
      await log.output(bytes("Password: "));
      log.input(bytes("hunter2\r"));
      for (let i = 0; i < 10; i++) await log.output(bytes(`\r\nline ${i} hunter2`));
    }
    const all = await files(dir);
    for (const [name, text] of Object.entries(all)) {
      assert.ok(new TextEncoder().encode(text).length <= 64, name);
      assert.ok(!text.includes("hunter2"), name);
    }
    const joined = Object.keys(all).sort((a, b) => order(b) - order(a)).map((n) => all[n]).join("");
    const lines = joined.split("\n");
    assert.equal(lines.length, 11);
    for (const line of lines) assert.match(line, /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] /);
    assert.match(lines[10], /line 9 \[redacted\]$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** g.log -> 0, g.log.N -> N */
const order = (name: string) => Number(name.split(".")[2] ?? 0);

Deno.test("ConsoleLog never writes through a planted symlink: rotation moves it aside, open refuses it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/target`, "");
    const log = ConsoleLog.open(`${dir}/g.log`, { maxSize: 4 });
    await log.output(bytes("abcd"));
    // Between rotations an attacker swaps the live name for a link: the
    // rotation moves the link away (harmless) and the new file is created;
    // a link planted after that is what O_NOFOLLOW refuses on the next open.
    await Deno.remove(`${dir}/g.log`);
    await Deno.symlink(`${dir}/target`, `${dir}/g.log`);
    await log.output(bytes("efgh"));
    assert.equal(await Deno.readTextFile(`${dir}/target`), "");
    assert.equal((await Deno.lstat(`${dir}/g.log.1`)).isSymlink, true);
    assert.equal(await Deno.readTextFile(`${dir}/g.log`), "efgh");
    await log.close();
    await Deno.symlink(`${dir}/target`, `${dir}/h.log`);
    assert.throws(() => ConsoleLog.open(`${dir}/h.log`), /ELOOP.*symlink/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ConsoleLog.open checks maxSize and keep", () => {
  assert.throws(() => ConsoleLog.open("/nonexistent/x", { maxSize: 0 }), RangeError);
  assert.throws(() => ConsoleLog.open("/nonexistent/x", { maxSize: 1.5 }), RangeError);
  assert.throws(() => ConsoleLog.open("/nonexistent/x", { maxSize: 9, keep: 0 }), RangeError);
  assert.throws(() => ConsoleLog.open("/nonexistent/x", { maxSize: 9, keep: 100 }), RangeError);
});

Deno.test("ConsoleLog masks a password edited with the arrow keys, echoed by the guest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using log = ConsoleLog.open(`${dir}/g.log`);
      await log.output(bytes("Password: "));
      log.input(bytes("hunter3\x1b[D\x1b[C\x7f2\r")); // Left, Right, BS, 2: hunter2
      await log.output(bytes("\r\n$ "));
      log.input(bytes("echo hunter2\r"));
      await log.output(bytes("echo hunter2\r\nhunter2\r\n$ "));
    }
    const logged = await Deno.readTextFile(`${dir}/g.log`);
    assert.doesNotMatch(logged, /hunter2/);
    assert.equal(logged, "Password: \r\n$ echo [redacted]\r\n[redacted]\r\n$ ");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
