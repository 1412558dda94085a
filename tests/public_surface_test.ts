// Copyright 2026 the xenpv authors. MIT license.
// The root module is complete on its own: every type its documentation
// names can be imported from it (deno doc --lint mod.ts has no reference to
// a type the root does not export).

import assert from "node:assert/strict";

Deno.test("deno doc --lint mod.ts: the root names no type it does not export", async () => {
  const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", "mod.ts"],
    cwd: new URL("..", import.meta.url),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  const dangling = [...text.matchAll(/references private type '([^']+)'/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(dangling)].sort(), []);
});
