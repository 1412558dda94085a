// Copyright 2026 the xenpv authors. MIT license.
// Finding real peers (Debian's xenstore-utils, python3-pyxs) for the tests.
// Under CI=true a missing peer fails the test; elsewhere the test is skipped
// with a note, so a developer without the packages can still run the rest.

const inCI = Deno.env.get("CI") === "true";

/** Whether `command` is on PATH (or is an existing absolute path). */
export async function have(command: string, args: string[] = ["--help"]): Promise<boolean> {
  try {
    await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/** Whether the Debian python can import pyxs. */
export async function havePyxs(): Promise<boolean> {
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import pyxs"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * `ignore` for Deno.test: true when the peer is missing outside CI. In CI a
 * missing peer throws, failing the run loudly.
 */
export function skipUnless(available: boolean, what: string): boolean {
  if (available) return false;
  if (inCI) throw new Error(`${what} is missing in CI: .ci/run must install it`);
  console.warn(`skipping: ${what} is not installed (apt-get install it to run these tests)`);
  return true;
}

/** Runs a command to completion (asynchronously: our server shares the event loop). */
export async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(command, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs a command and resolves to its stdout; throws with its stderr when it fails. */
export async function check(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const out = await new Deno.Command(command, {
    args,
    ...options,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${out.code}): ${dec.decode(out.stderr).trim()}`,
    );
  }
  return dec.decode(out.stdout);
}

let counter = 0;
/** A fresh unix socket path for one test. */
export function socketPath(tag: string): string {
  return `/tmp/xenpv-${tag}-${Deno.pid}-${++counter}.sock`;
}

/**
 * Starts examples/xenstored.ts on `path` in its own process and resolves once
 * it listens.
 */
export async function startXenstored(path: string): Promise<Deno.ChildProcess> {
  const { child, first } = await spawnDeno([
    "run",
    "--allow-ffi",
    new URL("../examples/xenstored.ts", import.meta.url).pathname,
    "--socket",
    path,
  ]);
  if (!first.includes("listening on")) throw new Error(`xenstored did not start: ${first}`);
  return child;
}

/**
 * Runs `deno <args>` in its own process and resolves with its first output
 * (the process says it is ready), the rest of its output discarded.
 */
export async function spawnDeno(
  args: string[],
): Promise<{ child: Deno.ChildProcess; first: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  reader.releaseLock();
  await child.stdout.cancel();
  return { child, first };
}

/** Runs `deno run <args>` with `input` on stdin; collects exit code and output. */
export async function runDeno(
  args: string[],
  input: string,
  env?: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...args],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(input));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

/**
 * `asciinema cat FILE`: it opens /dev/tty, so it runs under script(1)'s pty,
 * its stdout going to a file (untouched by the pty).
 */
export async function asciinemaCat(path: string): Promise<{ code: number; text: string }> {
  const out = `${path}.out`;
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const { code } = await new Deno.Command("script", {
    args: ["-qec", `asciinema cat ${q(path)} > ${q(out)} 2>/dev/null`, "/dev/null"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  const text = await Deno.readTextFile(out);
  await Deno.remove(out);
  return { code, text };
}
