// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { LogMask } from "./_log_mask.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Feeds a console conversation through a mask; returns everything logged. */
function conversation(steps: ["out" | "in", string][]): string {
  const mask = new LogMask();
  let logged = "";
  for (const [direction, text] of steps) {
    if (direction === "in") mask.input(enc(text));
    else logged += dec(mask.output(enc(text)));
  }
  return logged + dec(mask.end());
}

Deno.test("LogMask: a password typed at the prompt, key by key, is masked in later output", () => {
  const steps: ["out" | "in", string][] = [["out", "login: "], ["in", "root\r"], [
    "out",
    "root\r\nPassword: ",
  ]];
  for (const ch of "hunterX\x7f2\r") steps.push(["in", ch]); // a typo, erased
  steps.push(["out", "\r\n$ "], ["in", "echo hunter2\r"]);
  for (const ch of "echo hunter2\r\nhunter2\r\n$ ") steps.push(["out", ch]); // echoed key by key
  const logged = conversation(steps);
  assert.equal(
    logged,
    "login: root\r\nPassword: \r\n$ echo [redacted]\r\n[redacted]\r\n$ ",
  );
});

Deno.test("LogMask: a password typed ahead of its prompt (a script) is masked; the echoed user name is not", () => {
  const logged = conversation([
    ["out", "login: "],
    ["in", "root\r"],
    ["out", "root\r\n"],
    ["in", "hunter2\r"], // before the prompt shows
    ["out", "\r\nPassword: "],
    ["out", "\r\nroot@deb1:~# "],
    ["in", "echo hunter2 root\r"],
    ["out", "echo hunter2 root\r\nhunter2 root\r\nroot@deb1:~# "],
  ]);
  assert.doesNotMatch(logged, /hunter2/);
  assert.match(logged, /^\[redacted\] root\r$/m);
  assert.match(logged, /root@deb1:~# $/);
});

Deno.test("LogMask: without a password prompt nothing is masked and the bytes stay raw", () => {
  const mask = new LogMask();
  mask.input(enc("hunter2\r"));
  const raw = new Uint8Array([0xff, 0x80, 0x1b, 0x5b, 0x41, ...enc(" hunter2\r\n")]);
  assert.deepEqual(mask.output(raw), raw);
  assert.deepEqual(mask.end(), new Uint8Array());
});

Deno.test("LogMask: what could start a password is held back, and released or redacted at the end", () => {
  const mask = new LogMask();
  mask.output(enc("Password: "));
  mask.input(enc("hunter2\r"));
  assert.equal(dec(mask.output(enc("\r\n$ a hun"))), "\r\n$ a ");
  assert.equal(dec(mask.output(enc("dred\r\n$ hunt"))), "hundred\r\n$ ");
  assert.equal(dec(mask.end()), "[redacted]");
});
