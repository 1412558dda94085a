// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { Recorder } from "./recorder.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** The header and the events of a recording. */
async function read(
  path: string,
): Promise<{ header: Record<string, unknown>; events: unknown[][] }> {
  const [header, ...events] = (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "");
  return { header: JSON.parse(header), events: events.map((e) => JSON.parse(e)) };
}

/** What the guest printed, as recorded. */
const printed = (events: unknown[][]) =>
  events.filter((e) => e[1] === "o").map((e) => e[2]).join("");

Deno.test("Recorder writes asciicast v2: the header, output and resize events, times in seconds", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let now = 1_700_000_000_500;
    {
      await using rec = Recorder.open(`${dir}/r.cast`, {
        width: 120,
        height: 40,
        guest: { name: "win1", kind: "pv" },
        env: { TERM: "xterm-256color" },
        clock: () => now,
      });
      await rec.output(bytes("C:\\>"));
      now += 1500;
      await rec.resize(100, 30);
      now += 250;
      await rec.output(bytes("ver\r\n"));
    }
    const { header, events } = await read(`${dir}/r.cast`);
    assert.deepEqual(header, {
      version: 2,
      width: 120,
      height: 40,
      timestamp: 1_700_000_000,
      title: "win1 (pv console)",
      env: { TERM: "xterm-256color" },
    });
    assert.deepEqual(events, [[0, "o", "C:\\>"], [1.5, "r", "100x30"], [1.75, "o", "ver\r\n"]]);
    assert.equal((await Deno.stat(`${dir}/r.cast`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Recorder keeps a UTF-8 character split between chunks whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using rec = Recorder.open(`${dir}/r.cast`);
      const euro = bytes("€ é"); // e2 82 ac 20 c3 a9
      await rec.output(euro.subarray(0, 1));
      await rec.output(euro.subarray(1, 5));
      await rec.output(euro.subarray(5));
    }
    const { events } = await read(`${dir}/r.cast`);
    assert.equal(printed(events), "€ é");
    assert.doesNotMatch(printed(events), /\uFFFD/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Recorder masks a password edited with the arrow keys, echoed by the guest (as ConsoleLog)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using rec = Recorder.open(`${dir}/r.cast`, { input: true });
      await rec.output(bytes("Password: "));
      rec.input(bytes("hunter3\x1b[D\x1b[C\x7f2\r")); // Left, Right, BS, 2: hunter2
      await rec.output(bytes("\r\n$ "));
      rec.input(bytes("echo hunter2\r"));
      await rec.output(bytes("echo hunter2\r\nhunter2\r\n$ "));
    }
    const text = await Deno.readTextFile(`${dir}/r.cast`);
    assert.doesNotMatch(text, /hunter2/);
    const { events } = await read(`${dir}/r.cast`);
    assert.equal(printed(events), "Password: \r\n$ echo [redacted]\r\n[redacted]\r\n$ ");
    const typed = events.filter((e) => e[1] === "i").map((e) => e[2]);
    assert.deepEqual(typed, ["[redacted]\r", "echo [redacted]\r"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Recorder records no input unless asked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using rec = Recorder.open(`${dir}/r.cast`);
      await rec.output(bytes("$ "));
      rec.input(bytes("ls\r"));
      await rec.output(bytes("ls\r\nfile\r\n$ "));
    }
    const { events } = await read(`${dir}/r.cast`);
    assert(events.every((e) => e[1] === "o"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Recorder rotates by size: each file a recording of its own within maxSize", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using rec = Recorder.open(`${dir}/r.cast`, { maxSize: 200, keep: 2 });
      for (let i = 0; i < 12; i++) await rec.output(bytes(`line ${i} ${"x".repeat(20)}\r\n`));
    }
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["r.cast", "r.cast.1", "r.cast.2"]);
    for (const name of names) {
      const text = await Deno.readTextFile(`${dir}/${name}`);
      assert(text.length <= 200, `${name} holds ${text.length} bytes`);
      const { header, events } = await read(`${dir}/${name}`);
      assert.equal(header.version, 2);
      assert(events.length > 0);
    }
    assert.match(printed((await read(`${dir}/r.cast`)).events), /line 11 /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Recorder never appends to a recording: one found is moved aside; a symlink is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/old.cast`, '{"version": 2, "width": 80, "height": 24}\n');
    await (await Recorder.open(`${dir}/old.cast`)).close();
    assert.match(await Deno.readTextFile(`${dir}/old.cast.1`), /"width": 80/);
    assert.equal((await Deno.readTextFile(`${dir}/old.cast`)).split("\n").length, 2);
    await Deno.writeTextFile(`${dir}/target`, "");
    await Deno.symlink(`${dir}/target`, `${dir}/link.cast`);
    assert.throws(() => Recorder.open(`${dir}/link.cast`), /ELOOP.*symlink/);
    assert.equal(await Deno.readTextFile(`${dir}/target`), "");
    assert.throws(() => Recorder.open(`${dir}/x.cast`, { width: 0 }), RangeError);
    assert.throws(() => Recorder.open(`${dir}/x.cast`, { maxSize: 1.5 }), RangeError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Recorder writes held events without close: soon, and at once past 64 KiB", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/r.cast`;
    await using rec = Recorder.open(path);
    await rec.output(bytes("C:\\>"));
    // written by the flush timer, not by close(): what a killed recorder leaves
    let events: unknown[][] = [];
    for (let i = 0; i < 100 && events.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      events = (await read(path)).events;
    }
    assert.deepEqual(events.map((e) => e[2]), ["C:\\>"]);
    // past the bound, output() resolves once it is in the file
    const big = "x".repeat(70 * 1024);
    await rec.output(bytes(big));
    assert.equal(printed((await read(path)).events), `C:\\>${big}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
