// Copyright 2026 the xenpv authors. MIT license.
// `deno task ok`'s import check: the layering rule of docs/architecture.md,
// enforced. Only relative imports (and re-exports and dynamic imports)
// between the project's .ts files are followed; paths below are relative to
// the root. It fails (exit 1, one line per problem) on:
//
// 1. An import cycle among the project's files (tests included).
// 2. A private file, `D/_name.ts`, imported by a file outside folder D.
//    Exceptions, for tests only:
//    - files under `tests/` and `bench/` (cross-module tests and benchmarks)
//      may import any file: they test internals directly;
//    - a test beside the code (`D/name_test.ts`) is a file of D like any
//      other (it may import D's private files, not another folder's), and it
//      may also import the shared test helpers, `tests/_name.ts`.
// 3. A layer importing a layer above it ({@linkcode LAYERS}): the protocol
//    folders stand on `_sys/` and `errors.ts` alone, `xencons/` too; the
//    composition (`console/`) on the protocols; the simulator (`sim/`) and the
//    console server (`serve/`) on those; nothing on the real path imports
//    `sim/`; `examples/` and `tools/` use public `mod.ts` files only. Tests
//    beside the code may import any public file (a test of `xencons/` may
//    drive a simulated guest); `tests/` and `bench/` anything.
//
//   deno run --allow-read tools/check_imports.ts [ROOT]

/** A problem found, as one line. */
export type Problem = string;

/** Relative import and re-export specifiers of a module's source. */
export function importsOf(source: string): string[] {
  // Not those in comments (a doc example imports its own module). A static
  // import or export starts a line (deno fmt puts each statement on its own
  // line), so text in a string that reads like one is not taken for one.
  source = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const specs: string[] = [];
  const re = /^[ \t]*(?:import|export)\s(?:[^"';]*?\sfrom\s)?["'](\.{1,2}\/[^"']+)["']/gm;
  for (const m of source.matchAll(re)) specs.push(m[1]);
  const dynamic = /\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;
  for (const m of source.matchAll(dynamic)) specs.push(m[1]);
  return specs;
}

const dirOf = (path: string) => path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
const baseOf = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** `spec` imported from `from` (both relative to the root), normalized. */
export function resolve(from: string, spec: string): string {
  const parts = dirOf(from) === "" ? [] : dirOf(from).split("/");
  for (const part of spec.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** Whether `path` is a cross-module test or a benchmark, which may import anything. */
function isCrossModule(path: string): boolean {
  return path.startsWith("tests/") || path.startsWith("bench/");
}

/**
 * What each top-level folder (or root file) may import besides itself: the
 * layers, bottom up. "mod" stands for any folder's public `mod.ts` (and the
 * root's); a folder missing here (a new one) must be added before it passes.
 */
export const LAYERS: Record<string, readonly string[]> = {
  "errors.ts": ["_sys"],
  "_sys": ["errors.ts"],
  "xenstore": ["_sys", "errors.ts"],
  "ring": ["_sys", "errors.ts"],
  "evtchn": ["_sys", "errors.ts"],
  "xencons": ["_sys", "errors.ts"],
  "console": ["_sys", "errors.ts", "xenstore", "ring", "evtchn"],
  "serve": ["_sys", "errors.ts", "xenstore", "ring", "evtchn", "xencons", "console"],
  "sim": ["_sys", "errors.ts", "xenstore", "ring", "evtchn", "xencons", "console"],
  "mod.ts": ["errors.ts", "xenstore", "ring", "evtchn", "xencons", "console", "sim"],
  "examples": ["mod"],
  "tools": ["mod"],
};

/** The layer a file belongs to: its top-level folder, or its own name at the root. */
const layerOf = (path: string) => path.includes("/") ? path.slice(0, path.indexOf("/")) : path;

/** Why `path` may not import `target`, or undefined if it may. */
function forbidden(path: string, target: string): string | undefined {
  if (isCrossModule(path)) return undefined;
  const folder = dirOf(target);
  if (baseOf(target).startsWith("_") && folder !== dirOf(path)) {
    const testHelper = path.endsWith("_test.ts") && folder === "tests";
    if (!testHelper) return `imports ${target}, private to ${folder || "the root"}/`;
  }
  const from = layerOf(path);
  const to = layerOf(target);
  if (from === to || path.endsWith("_test.ts")) return undefined;
  const allowed = LAYERS[from];
  if (allowed === undefined) return `is in ${from}, a layer tools/check_imports.ts does not know`;
  if (allowed.includes("mod")) {
    return baseOf(target) === "mod.ts"
      ? undefined
      : `imports ${target}: ${from}/ use the public mod.ts files only`;
  }
  if (!allowed.includes(to)) {
    return `imports ${target}: ${from} may not import ${to} (docs/architecture.md)`;
  }
  return undefined;
}

/** Checks a graph of files (path relative to the root -> its source). */
export function check(files: Map<string, string>): Problem[] {
  const problems: Problem[] = [];
  const graph = new Map<string, string[]>();
  for (const [path, source] of files) {
    const targets = importsOf(source).map((spec) => resolve(path, spec))
      .filter((t) => files.has(t));
    graph.set(path, targets);
    for (const target of targets) {
      const why = forbidden(path, target);
      if (why) problems.push(`${path}: ${why}`);
    }
  }
  problems.push(...cycles(graph));
  return problems;
}

/** Every import cycle, once each (Tarjan's strongly connected components). */
function cycles(graph: Map<string, string[]>): Problem[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: Problem[] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const selfLoop = (graph.get(v) ?? []).includes(v);
    if (component.length > 1 || selfLoop) {
      found.push(`import cycle: ${component.sort().join(" <-> ")}`);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** The project's .ts files under `root`, skipping caches and dependencies. */
async function readTree(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(`${root}/${dir}`)) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory) {
        if (!entry.name.startsWith(".") && entry.name !== "node_modules") await walk(path);
      } else if (entry.isFile && path.endsWith(".ts")) {
        files.set(path, await Deno.readTextFile(`${root}/${path}`));
      }
    }
  };
  await walk("");
  return files;
}

if (import.meta.main) {
  const root = Deno.args[0] ?? new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const problems = check(await readTree(root));
  for (const p of problems) console.error(p);
  if (problems.length > 0) Deno.exit(1);
  console.log(
    "imports: no cycle, no private file imported from another folder, every layer on those below it",
  );
}
