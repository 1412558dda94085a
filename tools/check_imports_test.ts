// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { check, importsOf, resolve } from "./check_imports.ts";

Deno.test("check_imports: finds relative imports, re-exports and dynamic imports", () => {
  const source = `import { a } from "./a.ts";
import type { B } from "../b/b.ts";
export { c } from "./c.ts";
export * from "./d.ts";
const e = await import("./e.ts");
import x from "jsr:@std/x"; // not followed
/**
 * \`\`\`ts
 * import { f } from "./self.ts"; // a doc example: not an import
 * \`\`\`
 */
// import { g } from "./commented.ts";`;
  assert.deepEqual(importsOf(source), ["./a.ts", "../b/b.ts", "./c.ts", "./d.ts", "./e.ts"]);
  assert.equal(resolve("ring/x.ts", "../_sys/libc.ts"), "_sys/libc.ts");
  assert.equal(resolve("mod.ts", "./ring/mod.ts"), "ring/mod.ts");
});

Deno.test("check_imports: a cycle and a private import from another folder fail", () => {
  const problems = check(
    new Map([
      ["a/one.ts", `import "./two.ts";`],
      ["a/two.ts", `import { x } from "./three.ts";`],
      ["a/three.ts", `export { y } from "./one.ts";`],
      ["a/_private.ts", ``],
      ["b/user.ts", `import { p } from "../a/_private.ts";`],
      ["examples/cli.ts", `import { q } from "../_sys/libc.ts";`],
      ["_sys/libc.ts", ``],
    ]),
  );
  assert.deepEqual(problems.sort(), [
    "b/user.ts: imports a/_private.ts, private to a/",
    "examples/cli.ts: imports _sys/libc.ts: examples use the public modules only",
    "import cycle: a/one.ts <-> a/three.ts <-> a/two.ts",
  ]);
});

Deno.test("check_imports: tests, benchmarks and the same folder may import private files", () => {
  const problems = check(
    new Map([
      ["a/_private.ts", ``],
      ["a/user.ts", `import "./_private.ts";`],
      ["a/user_test.ts", `import "./_private.ts";`],
      ["tests/deep_test.ts", `import "../a/_private.ts";`],
      ["bench/b.ts", `import "../a/_private.ts";`],
    ]),
  );
  assert.deepEqual(problems, []);
});
