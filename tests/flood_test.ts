// Copyright 2026 the xenpv authors. MIT license.
// A guest writing 100 MB as fast as the ring takes it, to a slow reader
// through connect() in ring mode: every byte arrives, in order. Runs
// bench/flood.ts in its own process (its peak RSS is reported by
// `deno task bench`, not asserted here).

import assert from "node:assert/strict";

Deno.test("flood: 100 MB from the guest to a slow reader, every byte in order", async () => {
  const script = new URL("../bench/flood.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, "--mode", "ring", "--mb", "100"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000), // a lost byte would leave the reader waiting for ever
  }).output();
  const dec = new TextDecoder();
  assert.ok(out.success, dec.decode(out.stderr));
  const result = JSON.parse(dec.decode(out.stdout).trim().split("\n").at(-1)!);
  assert.equal(result.bytes, 100 * 1024 * 1024);
  assert.equal(result.firstWrongByte, -1);
});
