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
      ["xencons/one.ts", `import "./two.ts";`],
      ["xencons/two.ts", `import { x } from "./three.ts";`],
      ["xencons/three.ts", `export { y } from "./one.ts";`],
      ["xencons/_private.ts", ``],
      ["console/user.ts", `import { p } from "../xencons/_private.ts";`],
      ["console/user_test.ts", `import { p } from "../xencons/_private.ts";`],
      ["console/helper.ts", `import { prng } from "../tests/_prng.ts";`],
      ["tests/_prng.ts", ``],
      ["sim/windows/_shell.ts", ``],
      ["sim/host.ts", `import "./windows/_shell.ts";`],
      ["examples/cli.ts", `import { q } from "../_sys/libc.ts";`],
      ["tools/tool.ts", `import { q } from "../_sys/libc.ts";`],
      ["_sys/libc.ts", ``],
    ]),
  );
  assert.deepEqual(problems.sort(), [
    "console/helper.ts: imports tests/_prng.ts, private to tests/",
    "console/user.ts: imports xencons/_private.ts, private to xencons/",
    "console/user_test.ts: imports xencons/_private.ts, private to xencons/",
    "examples/cli.ts: imports _sys/libc.ts: examples/ use the public mod.ts files only",
    "import cycle: xencons/one.ts <-> xencons/three.ts <-> xencons/two.ts",
    "sim/host.ts: imports sim/windows/_shell.ts, private to sim/windows/",
    "tools/tool.ts: imports _sys/libc.ts: tools/ use the public mod.ts files only",
  ]);
});

Deno.test("check_imports: a layer importing one above it fails", () => {
  const problems = check(
    new Map([
      ["_sys/libc.ts", `import "../errors.ts";`],
      ["errors.ts", `import "./_sys/errno.ts";`],
      ["_sys/errno.ts", ``],
      ["xenstore/client.ts", `import "../console/mode.ts";`],
      ["console/mode.ts", ``],
      ["ring/ring.ts", `import "../evtchn/channel.ts";`],
      ["evtchn/channel.ts", `import "../_sys/libc.ts";`],
      ["xencons/session.ts", `import "../sim/mod.ts";`],
      ["console/connect.ts", `import "../xenstore/client.ts";\nimport "../sim/leaf.ts";`],
      ["serve/server.ts", `import "../console/mode.ts";\nimport "../sim/leaf.ts";`],
      ["sim/leaf.ts", ``],
      ["sim/mod.ts", `export * from "./host.ts";`],
      ["sim/host.ts", `import "../console/connect.ts";\nimport "../serve/page.ts";`],
      ["serve/page.ts", ``],
      ["newfolder/x.ts", `import "../errors.ts";`],
      ["examples/run.ts", `import "../mod.ts";\nimport "../sim/mod.ts";\nimport "../sim/host.ts";`],
      ["mod.ts", `export * from "./console/connect.ts";`],
    ]),
  );
  assert.deepEqual(problems.sort(), [
    "console/connect.ts: imports sim/leaf.ts: console may not import sim (docs/architecture.md)",
    "examples/run.ts: imports sim/host.ts: examples/ use the public mod.ts files only",
    "newfolder/x.ts: is in newfolder, a layer tools/check_imports.ts does not know",
    "ring/ring.ts: imports evtchn/channel.ts: ring may not import evtchn (docs/architecture.md)",
    "serve/server.ts: imports sim/leaf.ts: serve may not import sim (docs/architecture.md)",
    "sim/host.ts: imports serve/page.ts: sim may not import serve (docs/architecture.md)",
    "xencons/session.ts: imports sim/mod.ts: xencons may not import sim (docs/architecture.md)",
    "xenstore/client.ts: imports console/mode.ts: xenstore may not import console (docs/architecture.md)",
  ]);
});

Deno.test("check_imports: a self-import is a cycle", () => {
  assert.deepEqual(check(new Map([["xencons/x.ts", `export * from "./x.ts";`]])), [
    "import cycle: xencons/x.ts",
  ]);
});

Deno.test("check_imports: tests, benchmarks, the same folder and the library may import what they may", () => {
  const files = new Map([
    ["xencons/_private.ts", ``],
    ["xencons/user.ts", `import "./_private.ts";\nimport "../_sys/libc.ts";`],
    [
      "xencons/user_test.ts",
      `import "./_private.ts";\nimport "../tests/_prng.ts";\nimport "../sim/mod.ts";`,
    ],
    ["sim/mod.ts", ``],
    ["tests/_prng.ts", ``],
    ["tests/deep_test.ts", `import "../xencons/_private.ts";`],
    ["tests/e2e/run.ts", `import "../../xencons/_private.ts";\nimport "../_prng.ts";`],
    ["bench/b.ts", `import "../xencons/_private.ts";`],
    ["mod.ts", `export { E } from "./errors.ts";\nexport * from "./xencons/user.ts";`],
    ["errors.ts", `import "./_sys/errno.ts";`],
    ["_sys/libc.ts", `import "./errno.ts";\nimport "../errors.ts";`],
    ["_sys/errno.ts", ``],
  ]);
  // Every import is seen (so none passes unseen).
  for (const source of files.values()) {
    assert.equal(importsOf(source).length, source.split("\n").filter((l) => l !== "").length);
  }
  assert.deepEqual(check(files), []);
});
