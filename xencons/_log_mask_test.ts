// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { LogMask, type MaskedLine } from "./_log_mask.ts";

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
  // (held until it is clear no password prompt follows)
  assert.deepEqual(new Uint8Array([...mask.output(raw), ...mask.end()]), raw);
});

Deno.test("LogMask: what could start a password is held back, and released or redacted at the end", () => {
  const mask = new LogMask();
  mask.output(enc("Password: "));
  mask.input(enc("hunter2\r"));
  assert.equal(dec(mask.output(enc("\r\n$ a hun"))), "\r\n$ a ");
  assert.equal(dec(mask.output(enc("dred\r\n$ hunt"))), "hundred\r\n$ ");
  assert.equal(dec(mask.end()), "[redacted]");
});

Deno.test("LogMask: a guest that echoes the keys typed at the password prompt does not log them", () => {
  const steps: ["out" | "in", string][] = [["out", "Password: "]];
  for (const ch of "hunter2") steps.push(["in", ch], ["out", ch]); // echoed as typed
  steps.push(["in", "\r"], ["out", "\r\n$ "]);
  assert.equal(conversation(steps), "Password: \r\n$ ");
});

Deno.test("LogMask: a typed-ahead password echoed by the tty before the prompt is masked", () => {
  const logged = conversation([
    ["out", "login: "],
    ["in", "root\rhunter2\r"], // a script, typing ahead
    ["out", "root\r\n"],
    ["out", "hunter2\r\n"], // the tty echoes it: login has not turned echo off yet
    ["out", "Password: "],
    ["out", "\r\n$ "],
  ]);
  assert.equal(logged, "login: root\r\n[redacted]\r\nPassword: \r\n$ ");
});

Deno.test("LogMask: of lines typed ahead, the last before the prompt is the password (log and typed lines)", () => {
  // A script types a command and its password while output still runs (no
  // prompt showing): `sudo ls` is not the password, `hunter2` is.
  const typed: MaskedLine[] = [];
  const mask = new LogMask((line) => typed.push(line));
  let logged = dec(mask.output(enc("building...\r\n")));
  mask.input(enc("sudo ls\rhunter2\r"));
  for (const out of ["sudo ls\r\n", "hunter2\r\n", "[sudo] password for root: ", "\r\n# "]) {
    logged += dec(mask.output(enc(out)));
  }
  logged += dec(mask.end());
  assert.equal(logged, "building...\r\nsudo ls\r\n[redacted]\r\n[sudo] password for root: \r\n# ");
  assert.deepEqual(typed.map(({ text, secret, keys }) => ({ text, secret, keys })), [
    { text: "sudo ls", secret: false, keys: "sudo ls" },
    { text: "[redacted]", secret: true, keys: "[redacted]" },
  ]);
});

Deno.test("LogMask: prompts in colour and for a PIN are password prompts", () => {
  for (const prompt of ["\x1b[1mPassword:\x1b[0m ", "Enter PIN ", "Enter passphrase for key: "]) {
    const logged = conversation([
      ["out", prompt],
      ["in", "hunter2\r"],
      ["out", "\r\n$ "],
      ["in", "echo hunter2\r"],
      ["out", "echo hunter2\r\nhunter2\r\n$ "],
    ]);
    assert.doesNotMatch(logged, /hunter2/, JSON.stringify(prompt));
  }
});

Deno.test("LogMask: an echoed command line is held only until the next line, then logged as is", () => {
  const mask = new LogMask();
  mask.input(enc("ls\r")); // typed ahead of any prompt
  assert.equal(dec(mask.output(enc("ls\r\n"))), ""); // could still be a typed-ahead password
  assert.equal(dec(mask.output(enc("file\r\n$ "))), "ls\r\nfile\r\n$ ");
  mask.input(enc("ls\r")); // answers the prompt: its echo is logged at once
  assert.equal(dec(mask.output(enc("ls\r\n"))), "ls\r\n");
});

Deno.test("LogMask: a password edited with the cursor keys is the line the editor ends up with", () => {
  const LEFT = "\x1b[D", RIGHT = "\x1b[C", HOME = "\x1b[H", END = "\x1bOF", DELETE = "\x1b[3~";
  const edits = [
    `hunter3${LEFT}${RIGHT}\x7f2`, // the issue's: a typo, the cursor there and back, erased
    `hunte2${LEFT}r`, // a key inserted before the cursor
    `Xhunter2${HOME}${DELETE}${END}`, // the first key deleted under the cursor
    `hunter${LEFT}${LEFT}\x1bOH\x1b[4~2`, // Home and End in their other spellings
  ];
  for (const keys of edits) {
    const steps: ["out" | "in", string][] = [["out", "login: "], ["in", "root\r"]];
    steps.push(["out", "root\r\nPassword: "]);
    for (const ch of keys) steps.push(["in", ch]); // key by key
    steps.push(["in", "\r"], ["out", "\r\n$ "], ["in", "echo hunter2\r"]);
    steps.push(["out", "echo hunter2\r\nhunter2\r\n$ "]);
    const logged = conversation(steps);
    assert.doesNotMatch(logged, /hunter2/, JSON.stringify(keys));
    assert.match(logged, /^\[redacted\]\r$/m);
  }
});

Deno.test("LogMask: a UTF-8 password edited with BS and Left/Right is edited per character", () => {
  const LEFT = "\x1b[D", RIGHT = "\x1b[C";
  const edits = [
    "pässwöö\x7frd", // BS erases the whole "ö" (two bytes), not half of it
    `pässwrd${LEFT}${LEFT}ö`, // Left moves over a character
    `pässwXrd${LEFT}${LEFT}\x7fö`,
    `pässwör${LEFT}${RIGHT}d`,
  ];
  for (const keys of edits) {
    const steps: ["out" | "in", string][] = [["out", "Password: "]];
    for (const ch of keys) steps.push(["in", ch]); // key by key
    steps.push(["in", "\r"], ["out", "\r\n$ "], ["in", "echo pässwörd\r"]);
    steps.push(["out", "echo pässwörd\r\npässwörd\r\n$ "]);
    assert.equal(
      conversation(steps),
      "Password: \r\n$ echo [redacted]\r\n[redacted]\r\n$ ",
      JSON.stringify(keys),
    );
  }
});

Deno.test("LogMask: Ctrl-Left, Alt-b and ^A at a password prompt leave no password in the log", () => {
  for (const move of ["\x1b[1;5D", "\x1bb", "\x01"]) {
    const steps: ["out" | "in", string][] = [["out", "Password: "]];
    for (const ch of "unter2") steps.push(["in", ch], ["out", ch]); // a guest echoing the keys
    steps.push(["in", move], ["out", "\b".repeat(6)]); // to the line's start
    steps.push(["in", "h"], ["out", `hunter2${"\b".repeat(6)}`]); // redrawn
    steps.push(["in", "\r"], ["out", "\r\n$ "], ["in", "echo hunter2\r"]);
    steps.push(["out", "echo hunter2\r\nhunter2\r\n$ "]);
    assert.equal(
      conversation(steps),
      "Password: [redacted]\r\n$ echo [redacted]\r\n[redacted]\r\n$ ",
      JSON.stringify(move),
    );
  }
});

Deno.test("LogMask: at a canonical tty's prompt Left is typed in: its echo (^[[D) does not leak the password", () => {
  const logged = conversation([
    ["out", "Password: "],
    ["in", "hunter\x1b[D2\r"], // getty, sudo: the tty takes the arrow key's bytes as typed
    ["out", "hunter^[[D2\r\n$ "], // a tty echoing them (ECHOCTL), after the line went in
    ["in", "cat pw\r"],
    ["out", "cat pw\r\nhunter\x1b[D2\r\n$ "], // the password as the guest took it
  ]);
  assert.equal(logged, "Password: [redacted]\r\n$ cat pw\r\n[redacted]\r\n$ ");
});

Deno.test("LogMask: keys without a printable character at a password prompt mask no later output", () => {
  const logged = conversation([
    ["out", "Password: "],
    ["in", "\x1b[A\x7f\r"], // Up, BS, Enter: no password typed
    ["out", "\r\n$ "],
    ["in", "ls\r"],
    ["out", "ls\r\n\x1b[A\x7f\r\n$ "], // the same bytes, later: not a password
  ]);
  assert.equal(logged, "Password: \r\n$ ls\r\n\x1b[A\x7f\r\n$ ");
});
