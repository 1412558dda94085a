// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { ConsoleLog } from "./console_log.ts";
import { logToCast } from "./log_to_cast.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("logToCast: a ConsoleLog written with timestamps becomes a recording with its timing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using log = ConsoleLog.open(`${dir}/g.log`, { timestamps: true });
      await log.output(bytes("Password: "));
      log.input(bytes("hunter2\r"));
      await log.output(bytes("\r\n$ echo grüße hunter2\r\ngrüße [x]\r\n$ "));
    }
    const { events } = await logToCast(await Deno.readFile(`${dir}/g.log`), `${dir}/g.cast`, {
      guest: { name: "deb1", kind: "pv" },
    });
    const [header, ...lines] = (await Deno.readTextFile(`${dir}/g.cast`)).trim().split("\n");
    assert.equal(JSON.parse(header).title, "deb1 (pv console)");
    const parsed = lines.map((l) => JSON.parse(l));
    assert.equal(events, parsed.length);
    assert.equal(
      parsed.map((e) => e[2]).join(""),
      "Password: \r\n$ echo grüße [redacted]\r\ngrüße [x]\r\n$ ",
    );
    assert(parsed.every((e, i) => e[1] === "o" && e[0] >= (parsed[i - 1]?.[0] ?? 0)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("logToCast: a line split by rotation goes with the one before; no stamps is an error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = "[2026-12-07T10:00:00.000Z] a\r\n[2026-12-07T10:00:01.000Z] b\r\nrest\r\n";
    const r = await logToCast(bytes(log), `${dir}/a.cast`);
    assert.deepEqual(r, { events: 2, duration: 1 });
    assert.match(await Deno.readTextFile(`${dir}/a.cast`), /\[1,"o","b\\r\\nrest\\r\\n"\]\n$/);
    await assert.rejects(logToCast(bytes("plain\r\n"), `${dir}/b.cast`), /no timestamps/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
