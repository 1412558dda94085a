// Copyright 2026 the xenpv authors. MIT license.
// The key run() and interrupt() type to stop a command: ^C by default, or
// another key the guest's console acts on (Linux: ^\, SIGQUIT).
import assert from "node:assert/strict";
import { XenpvError } from "../../mod.ts";
import { type Flavour, simulatedSession } from "./_simulated_session.ts";
import { CommandAbortedError, type ConsoleSession, SessionStateError } from "../../xencons/mod.ts";
import { within } from "../_within.ts";

/** How long {@linkcode printed} waits before it fails (a hang bound, not a timing). */
const PRINTED_BOUND_MS = 5000;

/**
 * Waits until the guest has printed `text` once more (the echo of a command
 * typed: it runs); fails if it has not within {@linkcode PRINTED_BOUND_MS}.
 */
async function printed(s: ConsoleSession, text: string): Promise<void> {
  const out = () =>
    s.transcript.entries.filter((e) => e.direction === "out").map((e) => e.text).join("");
  const before = out().split(text).length;
  const deadline = Date.now() + PRINTED_BOUND_MS;
  while (out().split(text).length === before) {
    if (Date.now() > deadline) {
      throw new Error(
        `the guest did not print ${JSON.stringify(text)} within ${PRINTED_BOUND_MS} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

const open = (flavour: Flavour) => simulatedSession(flavour, { login: true });

Deno.test("linux: run(..., { interrupt: 'ctrl-backslash' }) stops the command with ^\\ (SIGQUIT)", async () => {
  await using env = await open("linux");
  const s = env.session;
  const abort = new AbortController();
  const typed = printed(s, "sleep 30");
  const running = s.run("sleep 30", { signal: abort.signal, interrupt: "ctrl-backslash" });
  await typed;
  abort.abort();
  await assert.rejects(running, (e: unknown) => {
    assert.ok(e instanceof CommandAbortedError && e.recovered, String(e));
    assert.match(e.message, /interrupted with \^\\ /); // the key typed, not ^C
    return true;
  });
  const typedKeys = s.transcript.entries.filter((e) => e.direction === "in").map((e) => e.text);
  assert.ok(typedKeys.some((t) => t.includes("\x1c")));
  assert.ok(!typedKeys.some((t) => t.includes("\x03")));
  assert.equal((await s.run("echo usable")).output, "usable\n");
  // interrupt() takes the key too
  const echoed = printed(s, "sleep 30");
  const again = s.run("sleep 30");
  await echoed;
  await s.interrupt("ctrl-backslash");
  await assert.rejects(again, (e: unknown) => {
    assert.ok(e instanceof CommandAbortedError, String(e));
    assert.doesNotMatch(e.message, /\^C/);
    return true;
  });
  assert.equal((await s.run("echo still")).output, "still\n");
});

Deno.test("windows: the XENCONS console has one interrupt key: ^C (the helper makes it Ctrl-Break)", async () => {
  await using env = await open("windows");
  const s = env.session;
  assert.throws(
    () => s.run("waitfor /t 30 x", { interrupt: "ctrl-backslash" }),
    (e: unknown) => e instanceof TypeError && /ctrl-c/.test(e.message),
  );
  await assert.rejects(s.interrupt("ctrl-backslash" as never), TypeError);
  const abort = new AbortController();
  const typed = printed(s, "waitfor /t 30 x");
  const running = s.run("waitfor /t 30 x", { signal: abort.signal, interrupt: "ctrl-c" });
  await typed;
  abort.abort();
  await assert.rejects(running, (e: unknown) => e instanceof CommandAbortedError && e.recovered);
  assert.equal((await s.run("echo usable")).exitCode, 0);
});

Deno.test("close() while run() is in flight: run() rejects with SessionStateError (closed), a XenpvError", async () => {
  await using env = await open("linux");
  const s = env.session;
  const typed = printed(s, "sleep 30");
  const running = s.run("sleep 30");
  await typed;
  await within(5000, s.close());
  await within(
    5000,
    assert.rejects(running, (e: unknown) => {
      assert.ok(e instanceof SessionStateError, String(e));
      assert.ok(e instanceof XenpvError);
      assert.equal(e.state, "closed");
      assert.match(e.message, /^run\(\)/);
      return true;
    }),
  );
  assert.equal(s.state, "closed");
});

Deno.test("close() while an interrupted run() recovers the shell: SessionStateError (closed), the state stays closed", async () => {
  await using env = await open("linux");
  const s = env.session;
  const typed = printed(s, "sleep 30");
  const abort = new AbortController();
  const running = s.run("sleep 30", { signal: abort.signal });
  await typed;
  const echoed = printed(s, "^C"); // the recovery's ^C, then it waits for quiet and probes
  abort.abort();
  await echoed;
  await within(5000, s.close());
  await within(
    5000,
    assert.rejects(running, (e: unknown) => e instanceof SessionStateError && e.state === "closed"),
  );
  assert.equal(s.state, "closed");
});

Deno.test("linux: after an interrupted command the run's EXIT trap is gone: logout prints no stale end marker", async () => {
  await using env = await open("linux");
  const s = env.session;
  const out = () =>
    s.transcript.entries.filter((e) => e.direction === "out").map((e) => e.text).join("");
  const typed = printed(s, "sleep 30");
  const running = s.run("sleep 30");
  await typed;
  await s.interrupt(); // ^C: the shell drops the rest of the line, its `trap - EXIT` too
  await assert.rejects(running, (e: unknown) => e instanceof CommandAbortedError && e.recovered);
  const before = out().length;
  await within(5000, s.logout());
  assert.doesNotMatch(out().slice(before), /E:\d+ exit/);
});
