// Copyright 2026 the xenpv authors. MIT license.
// A guest writing 100 MB as fast as the ring takes it, to a slow reader
// through connect() in ring mode: every byte arrives, in order. Runs
// _flood.ts (also bench/flood.ts) in its own process, twice: the guest in a
// process of its own (page, xenstore and event channel shared across
// processes, as in dom0) read through a BYOB reader, and the whole simulated
// host in one process read through a default reader. Peak RSS is reported by
// `deno task bench`, not asserted here.

import assert from "node:assert/strict";

const cases = [
  { guest: "process", reader: "byob" },
  { guest: "inline", reader: "default" },
];

for (const { guest, reader } of cases) {
  Deno.test(`flood: 100 MB to a slow ${reader} reader, guest ${guest}, every byte in order`, async () => {
    const script = new URL("./_flood.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        script,
        "--mode",
        "ring",
        "--mb",
        "100",
        "--guest",
        guest,
        "--reader",
        reader,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000), // a lost byte would leave the reader waiting for ever
    }).output();
    const dec = new TextDecoder();
    assert.ok(out.success, dec.decode(out.stderr));
    const result = JSON.parse(dec.decode(out.stdout).trim().split("\n").at(-1)!);
    assert.equal(result.guest, guest);
    assert.equal(result.reader, reader);
    assert.equal(result.bytes, 100 * 1024 * 1024);
    assert.equal(result.firstWrongByte, -1);
  });
}
