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
// import { g } from "./commented.ts";
const text = 'import "./in_a_string.ts"'; log(\`; import "./in_a_template.ts";\`);
export { h } from "./h.ts"; import { i } from "./i_after_a_statement.ts";`;
  assert.deepEqual(importsOf(source), [
    "./a.ts",
    "../b/b.ts",
    "./c.ts",
    "./d.ts",
    "./h.ts",
    "./e.ts",
  ]);
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
      ["b/user_test.ts", `import { p } from "../a/_private.ts";`],
      ["b/helper.ts", `import { prng } from "../tests/_prng.ts";`],
      ["tests/_prng.ts", ``],
      ["_private_root.ts", ``],
      ["c/root_user.ts", `import "../_private_root.ts";`],
      ["examples/cli.ts", `import { q } from "../_sys/libc.ts";`],
      ["tools/tool.ts", `import { q } from "../_sys/libc.ts";`],
      ["_sys/libc.ts", ``],
    ]),
  );
  assert.deepEqual(problems.sort(), [
    "b/helper.ts: imports tests/_prng.ts, private to tests/",
    "b/user.ts: imports a/_private.ts, private to a/",
    "b/user_test.ts: imports a/_private.ts, private to a/",
    "c/root_user.ts: imports _private_root.ts, private to the root/",
    "examples/cli.ts: imports _sys/libc.ts: examples/ use the public modules only",
    "import cycle: a/one.ts <-> a/three.ts <-> a/two.ts",
    "tools/tool.ts: imports _sys/libc.ts: tools/ use the public modules only",
  ]);
});

Deno.test("check_imports: a self-import is a cycle", () => {
  assert.deepEqual(check(new Map([["a/x.ts", `export * from "./x.ts";`]])), [
    "import cycle: a/x.ts",
  ]);
});

Deno.test("check_imports: tests, benchmarks, the same folder and the library may import what they may", () => {
  const files = new Map([
    ["a/_private.ts", ``],
    ["a/user.ts", `import "./_private.ts";\nimport "../_sys/libc.ts";`],
    ["a/user_test.ts", `import "./_private.ts";\nimport "../tests/_prng.ts";`],
    ["tests/_prng.ts", ``],
    ["tests/deep_test.ts", `import "../a/_private.ts";`],
    ["tests/e2e/run.ts", `import "../../a/_private.ts";\nimport "../_prng.ts";`],
    ["bench/b.ts", `import "../a/_private.ts";`],
    ["mod.ts", `export { E } from "./_sys/libc.ts";\nexport * from "./a/user.ts";`],
    ["_sys/libc.ts", `import "./errno.ts";`],
    ["_sys/errno.ts", ``],
  ]);
  // Every import is seen (so none passes unseen).
  for (const source of files.values()) {
    assert.equal(importsOf(source).length, source.split("\n").filter((l) => l !== "").length);
  }
  assert.deepEqual(check(files), []);
});
