// Copyright 2026 the xenpv authors. MIT license.
// connect() against real PV guests on the real hypervisor, inside the e2e
// dom0. The tests run in order and share two guests: "e2e-sh" (a busybox
// shell on hvc0, with `xpvguest flood`) and "e2e-login" (xpvguest login, the
// XENCONS dialect). pty mode runs with xenconsoled; ring mode after stopping
// it; the last tests reboot and destroy guests.

import assert from "node:assert/strict";
import {
  connect,
  ConsoleBusyError,
  ConsoleClosedError,
  GuestGoneError,
  SystemError,
  type XenConsole,
} from "../../../mod.ts";
import {
  ConsoleSession,
  type Dialect,
  linuxDialect,
  windowsDialect,
} from "../../../xencons/mod.ts";
import {
  createGuest,
  domid,
  held,
  startXenconsoled,
  stopXenconsoled,
  waitFor,
  xl,
} from "./_xen.ts";
import { runDeno } from "../../_peers.ts";
import { within } from "../../_within.ts";
import { FloodCheck } from "./_flood_check.ts";

const SH = "e2e-sh";
const LOGIN = "e2e-login";
const FLOOD_BYTES = 2 << 20;
/** The big flood, read by a process of its own (_flood_reader.ts) to measure its memory. */
const BIG_FLOOD_BYTES = 100 << 20;
const results: Record<string, unknown> = {};
const encoder = new TextEncoder();
const out = Deno.env.get("XPV_E2E_OUT");

/** Leaves the measurements in the e2e output folder (results.json). */
async function saveResults() {
  if (out) await Deno.writeTextFile(`${out}/results.json`, JSON.stringify(results, null, 2) + "\n");
}

/** Types a line into a console, as a user at a terminal (CR ends it). */
async function type(console: XenConsole, line: string) {
  const writer = console.writable.getWriter();
  try {
    await writer.write(encoder.encode(line + "\r"));
  } finally {
    writer.releaseLock();
  }
}

/** Runs a shell command on e2e-sh and waits for a marker it prints. */
async function roundTrip(console: XenConsole) {
  const tag = `rt${Math.floor(Math.random() * 1e9)}`;
  await type(console, `echo ${tag}-$((6*7))`);
  await waitFor(console, `${tag}-42`);
}

/**
 * The XENCONS framing of xpvguest login ([ATTACHED], "<HOST> login: ",
 * unechoed "Password: ", CR, its own echo) with a POSIX shell behind it:
 * Windows' prompts, Linux's command protocol.
 */
const xenconsShell: Dialect = {
  ...linuxDialect,
  name: "xencons-sh",
  loginPrompt: windowsDialect.loginPrompt,
  passwordPrompt: windowsDialect.passwordPrompt,
  detached: windowsDialect.detached,
  maxLine: windowsDialect.maxLine,
  noise: null,
};

Deno.test("guests boot and their consoles appear in xenstore", async () => {
  const started = performance.now();
  // one at a time: two parallel `xl create`s here made libxc fail to unpack the kernel
  await createGuest(SH, "shell");
  await createGuest(LOGIN, "login");
  await using console = await connect(SH, { mode: "pty" });
  await waitFor(console, /xpvguest: e2e-sh up/, 60_000);
  results.guestBootSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
});

Deno.test("pty mode: output, input round trip, info", async () => {
  const before = held();
  {
    await using console = await connect(SH, { mode: "pty" });
    assert.equal(console.info.mode, "pty");
    assert.equal(console.info.name, SH);
    assert.equal(console.info.domid, await domid(SH));
    assert.match(console.info.tty ?? "", /^\/dev\/pts\/\d+$/);
    await roundTrip(console);
  }
  assert.deepEqual(held(), before);
});

/** `xl console <name>`; its stdin stays open (piped, nothing written) so it stays attached. */
function xlConsoleOf(name: string, stdout: "null" | "piped") {
  return new Deno.Command("xl", {
    args: ["console", name],
    stdin: "piped",
    stdout,
    stderr: "null",
  }).spawn();
}

/** Whether a process holds a flock on `path` (from /proc/locks: major:minor:inode). */
async function flocked(path: string): Promise<boolean> {
  const { ino } = await Deno.stat(path);
  const locks = await Deno.readTextFile("/proc/locks");
  return locks.split("\n").some((line) =>
    /\bFLOCK\b/.test(line) && line.split(/\s+/).some((f) => f.endsWith(`:${ino}`))
  );
}

Deno.test("pty mode: refuses while xl console holds the console", async () => {
  const xlConsole = xlConsoleOf(SH, "null");
  try {
    const lock = `/var/lock/xenconsole.${await domid(SH)}`;
    let locked = false;
    for (let i = 0; i < 100 && !locked; i++) {
      await new Promise((r) => setTimeout(r, 100));
      locked = await Deno.stat(lock).then(() => flocked(lock), () => false);
    }
    assert.ok(locked, "xl console did not take its lock");
    await assert.rejects(connect(SH, { mode: "pty" }), (error: unknown) => {
      assert.ok(error instanceof ConsoleBusyError, String(error));
      assert.match(error.message, /xl console/);
      return true;
    });
  } finally {
    xlConsole.kill("SIGKILL");
    await xlConsole.status;
    await xlConsole.stdin.close().catch(() => {});
  }
  await using console = await connect(SH, { mode: "pty" });
  await roundTrip(console);
});

Deno.test("attach.ts in pipe mode", async () => {
  const result = await runDeno(
    ["--allow-ffi", "--allow-env", "--no-check", "examples/attach.ts", SH],
    "echo attach-$((40+2))\n",
  );
  assert.equal(result.code, 0, `attach.ts failed: ${result.err}`);
  assert.match(result.out, /attach-42/);
});

Deno.test("run() through the XENCONS-style login on a real PV console", async () => {
  const session = new ConsoleSession(await connect(LOGIN, { mode: "pty" }), {
    dialect: xenconsShell,
    ownsConsole: true,
    timeout: 30_000,
  });
  try {
    await session.login({ user: "xenpv", password: "e2e-secret" });
    const hello = await session.run("echo hello from $(hostname)");
    assert.equal(hello.output, "hello from e2e-login\n");
    assert.equal(hello.exitCode, 0);
    assert.equal((await session.run("false")).exitCode, 1);
    assert.equal((await session.run("sh -c 'exit 3'")).exitCode, 3);
    const lines = await session.run("seq 1 500");
    assert.equal(lines.output, Array.from({ length: 500 }, (_, i) => `${i + 1}\n`).join(""));
    await session.logout();
  } finally {
    await session.close();
  }
});

/**
 * Reads a flood from `readable` and returns bytes/s from its first byte to its
 * last. The records are checked (FloodCheck) after the clock stops: checking
 * as they arrive costs the reader CPU that TCG makes large, and this figure
 * compares transports.
 */
async function readFlood(
  readable: ReadableStream<Uint8Array>,
  bytes: number,
  signal: AbortSignal,
): Promise<number> {
  const reader = readable.getReader();
  const abort = () => reader.cancel(signal.reason).catch(() => {});
  signal.addEventListener("abort", abort, { once: true });
  try {
    const chunks: Uint8Array[] = [];
    const decoder = new TextDecoder("latin1");
    let head = ""; // what came before the flood, until its BEGIN line
    let after = -1; // bytes received after BEGIN
    let started = 0;
    while (after < bytes + 14) { // the body, then "\nXPV-FLOOD-END"
      const { value, done } = await reader.read();
      if (done) {
        signal.throwIfAborted();
        throw new Error("the console ended during the flood");
      }
      chunks.push(value);
      if (after >= 0) {
        after += value.length;
        continue;
      }
      head += decoder.decode(value);
      const at = head.indexOf("XPV-FLOOD-BEGIN\n");
      if (at < 0) continue;
      started = performance.now();
      after = head.length - at - 16;
    }
    const seconds = (performance.now() - started) / 1000;
    const check = new FloodCheck(bytes);
    for (const chunk of chunks) check.push(chunk);
    assert.ok(check.done, "the flood's END line is missing");
    assert.equal(check.wrong, -1, `the flood broke at byte ${check.wrong}`);
    return bytes / seconds;
  } finally {
    signal.removeEventListener("abort", abort);
    reader.releaseLock();
  }
}

Deno.test("flood through xl console (xenconsoled + pty)", async () => {
  // xl console does not read a stdin that is not a terminal: start the flood
  // from here, delayed, and let xl console read it.
  {
    await using console = await connect(SH, { mode: "pty" });
    await roundTrip(console);
    await type(console, `sleep 2; xpvguest flood ${FLOOD_BYTES}`);
    await waitFor(console, `flood ${FLOOD_BYTES}\r\n`);
  }
  const child = xlConsoleOf(SH, "piped");
  try {
    results.xlConsoleBytesPerSecond = Math.round(
      await readFlood(child.stdout, FLOOD_BYTES, AbortSignal.timeout(120_000)),
    );
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* it had exited */ }
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stdin.close().catch(() => {});
  }
  // let the guest's shell settle after the flood
  await using console = await connect(SH, { mode: "pty" });
  await roundTrip(console);
});

Deno.test("ring mode refuses while xenconsoled serves the console", async () => {
  await assert.rejects(connect(SH, { mode: "ring" }), ConsoleBusyError);
});

Deno.test("ring mode with xenconsoled stopped: gntdev and privcmd, nothing leaked", async () => {
  await stopXenconsoled();
  const before = held();
  for (const mapMethod of ["gntdev", "privcmd"] as const) {
    await using console = await connect(SH, { mode: "ring", mapMethod });
    assert.equal(console.info.mode, "ring");
    assert.equal(console.info.mapMethod, mapMethod);
    await roundTrip(console);
  }
  {
    await using console = await connect(SH, { mode: "auto" });
    assert.equal(console.info.mode, "ring");
    assert.equal(console.info.mapMethod, "gntdev");
    await roundTrip(console);
  }
  assert.deepEqual(held(), before);
});

Deno.test("flood through ring mode", async () => {
  await using console = await connect(SH, { mode: "ring" });
  await roundTrip(console);
  await type(console, `xpvguest flood ${FLOOD_BYTES}`);
  results.ringBytesPerSecond = Math.round(
    await readFlood(console.readable, FLOOD_BYTES, AbortSignal.timeout(120_000)),
  );
  results.ratio = Number(
    ((results.ringBytesPerSecond as number) / (results.xlConsoleBytesPerSecond as number))
      .toFixed(2),
  );
  await saveResults();
});

/** Runs a helper script in a deno process of its own; resolves to the JSON line it prints last. */
async function runHelper(script: string, ...args: string[]): Promise<Record<string, number>> {
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-check", new URL(script, import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(600_000),
  }).output();
  const text = new TextDecoder().decode(child.stdout);
  assert.ok(child.success, `${script} failed:\n${text}\n${new TextDecoder().decode(child.stderr)}`);
  return JSON.parse(text.trim().split("\n").at(-1)!);
}

// Peak RSS and idle CPU are recorded in results.json (the README reports
// them), not asserted: speed and memory targets are checked by benchmarks, as
// in tests/flood_test.ts. The idle console (the silent e2e-login guest) and a
// control (the same process attached to nothing) run beside the flood, each
// in a process of its own: their CPU time is their own.
Deno.test("100 MiB flood to a slow BYOB reader in its own process: every record in order; beside it an idle console", async () => {
  const [flood, idle, control] = await Promise.all([
    runHelper("./_flood_reader.ts", SH, String(BIG_FLOOD_BYTES)),
    runHelper("./_idle_reader.ts", LOGIN, "40", "30"),
    runHelper("./_idle_reader.ts", "-", "40", "30"), // the same process attached to nothing
  ]);
  results.bigFlood = flood;
  results.idleRing = idle;
  results.idleControl = control;
  await saveResults();
  assert.equal(flood.firstWrongByte, -1, `the flood broke at byte ${flood.firstWrongByte}`);
  assert.equal(flood.bytes, BIG_FLOOD_BYTES);
  assert.equal(idle.printedMeanwhile, 0, "the idle guest printed something");
  await using console = await connect(SH, { mode: "ring" });
  await roundTrip(console);
});

Deno.test("ring mode: the event channel's fd fails under the console -> ConsoleClosedError, nothing leaked", async () => {
  const before = held();
  const console = await connect(SH, { mode: "ring" });
  const libc = Deno.dlopen("libc.so.6", {
    open: { parameters: ["buffer", "i32"], result: "i32" },
    dup2: { parameters: ["i32", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
  });
  const reader = console.readable.getReader();
  try {
    const evtchn = held().fds.filter((f) => !before.fds.includes(f))
      .find((f) => f.endsWith("-> /dev/xen/evtchn"));
    assert.ok(evtchn, `no new /dev/xen/evtchn fd in ${JSON.stringify(held().fds)}`);
    const fd = Number(evtchn.split(" ")[0]);
    await type(console, "sleep 1; echo evtchn-$((6*7))");
    let seen = "";
    while (!seen.includes("sleep 1; echo evtchn-")) { // the echo of the line: read before the fault
      const { value, done } = await reader.read();
      if (done) throw new Error("the console ended early");
      seen += new TextDecoder().decode(value);
    }
    // A directory where the device was: dup2 closes the device's fd (the
    // kernel unbinds the port once the poll in flight lets go of it), and
    // the next call on the event channel fails.
    const dir = libc.symbols.open(new TextEncoder().encode("/\0"), 0o200000 /* O_DIRECTORY */);
    assert.ok(dir >= 0);
    assert.equal(libc.symbols.dup2(dir, fd), fd);
    libc.symbols.close(dir);
    const failed = (async () => {
      for (;;) {
        const { done } = await reader.read();
        if (done) throw new Error("the console ended without an error");
      }
    })();
    // the guest's echo, 1 s later, wakes the wait
    await within(
      5000,
      assert.rejects(failed, (e) => {
        assert.ok(e instanceof ConsoleClosedError, String(e));
        assert.equal(e.mode, "ring");
        assert.equal(e.reason, "transport");
        // the first call on the fd to fail: the wait's read (EISDIR) or the
        // notify that tells the guest its output was taken (ENOTTY)
        assert.ok(e.cause instanceof SystemError, String(e.cause));
        assert.ok(["EISDIR", "ENOTTY"].includes(e.cause.code), String(e.cause));
        assert.equal(e.cause.path, "/dev/xen/evtchn");
        return true;
      }),
    );
  } finally {
    reader.releaseLock();
    await console.close();
    libc.close();
  }
  assert.deepEqual(held(), before);
  // the guest is fine: a new attach works
  await using again = await connect(SH, { mode: "ring" });
  await roundTrip(again);
});

Deno.test("xenconsoled restarted: pty mode again", async () => {
  await startXenconsoled();
  await using console = await connect(SH, { mode: "pty", ttyTimeout: 10_000 });
  await roundTrip(console);
});

Deno.test("follow across xl reboot", async () => {
  const first = await domid(SH);
  await using console = await connect(SH, { mode: "pty", follow: true });
  const reattached = new Promise<{ from: number; to: number }>((resolve) =>
    console.addEventListener("reattach", (e) => resolve((e as CustomEvent).detail), { once: true })
  );
  await roundTrip(console);
  await xl("reboot", SH);
  const detail = await reattached;
  assert.equal(detail.from, first);
  assert.notEqual(detail.to, first);
  assert.equal(detail.to, await domid(SH));
  await waitFor(console, /xpvguest: e2e-sh up/, 60_000);
  await roundTrip(console);
});

Deno.test("guest destroyed mid-stream: GuestGoneError, in pty and ring mode", async () => {
  for (const mode of ["pty", "ring"] as const) {
    // xl create waits for xenconsoled to publish the console's tty
    await startXenconsoled();
    const name = `e2e-gone-${mode}`;
    await createGuest(name, "shell");
    {
      await using pty = await connect(name, { mode: "pty", ttyTimeout: 30_000 });
      await waitFor(pty, /xpvguest: e2e-gone-\w+ up/, 60_000);
    }
    if (mode === "ring") await stopXenconsoled();
    const console = await connect(name, { mode });
    const reader = console.readable.getReader();
    try {
      await type(console, "while true; do echo still here; sleep 0.1; done");
      let seen = "";
      while (!seen.includes("still here")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the console ended before the guest was destroyed");
        seen += new TextDecoder().decode(value);
      }
      await xl("destroy", name);
      const destroyed = performance.now();
      // a hang fails the test (the read ends without the error); the latency is recorded
      const bound = AbortSignal.timeout(30_000);
      bound.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
      await assert.rejects(
        (async () => {
          while (!(await reader.read()).done) { /* drain */ }
        })(),
        GuestGoneError,
      );
      results[`goneAfterDestroyMs_${mode}`] = Math.round(performance.now() - destroyed);
      await saveResults();
    } finally {
      reader.releaseLock();
      await console.close();
    }
  }
  await startXenconsoled();
});
