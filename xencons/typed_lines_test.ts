// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { type TypedLine, TypedLines } from "./typed_lines.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function recorder(): { lines: TypedLines<string>; seen: TypedLine<string>[] } {
  const seen: TypedLine<string>[] = [];
  return { lines: new TypedLines<string>((line) => seen.push(line)), seen };
}

Deno.test("TypedLines: a password typed ahead of its prompt is held, then redacted", () => {
  const { lines, seen } = recorder();
  lines.output(bytes("\r\nWIN1 login: "));
  lines.input(bytes("Administrator\r"), "alice");
  lines.input(bytes("hunter2\r"), "alice"); // before "Password: " shows
  assert.deepEqual(seen.map((l) => l.text), ["Administrator"]); // hunter2 not settled yet
  lines.output(bytes("Administrator\r\nPassword: "));
  lines.output(bytes("\r\nC:\\>"));
  lines.input(bytes("echo hunter2\r"), "bob");
  lines.end();
  assert.deepEqual(seen, [
    {
      text: "Administrator",
      secret: false,
      approximate: false,
      keys: "Administrator",
      by: "alice",
    },
    { text: "[redacted]", secret: true, approximate: false, keys: "[redacted]", by: "alice" },
    {
      text: "echo [redacted]",
      secret: false,
      approximate: false,
      keys: "echo [redacted]",
      by: "bob",
    },
  ]);
});

Deno.test("TypedLines: a line typed ahead that was no password is reported in order", () => {
  const { lines, seen } = recorder();
  lines.output(bytes("C:\\>dir\r\n volume in drive C\r\n"));
  lines.input(bytes("ver\r"), "alice"); // typed while output runs: held
  lines.input(bytes("\r"), "bob"); // a blank line waits behind it
  assert.equal(seen.length, 0);
  lines.output(bytes("\r\nC:\\>"));
  lines.input(bytes("hostname\r"), "carol"); // answers the prompt: settles the rest
  assert.deepEqual(seen.map((l) => `${l.by}:${l.text}:${l.secret}`), [
    "alice:ver:false",
    "bob::false",
    "carol:hostname:false",
  ]);
});

Deno.test("TypedLines: lines still held at end() are reported, not lost", () => {
  const { lines, seen } = recorder();
  lines.output(bytes("working...\r\n"));
  lines.input(bytes("exit\r"), "alice");
  assert.equal(seen.length, 0);
  lines.end();
  assert.deepEqual(seen, [
    { text: "exit", secret: false, approximate: false, keys: "exit", by: "alice" },
  ]);
});

Deno.test("TypedLines: needs a function", () => {
  assert.throws(() => new TypedLines(undefined as never), TypeError);
});

Deno.test("TypedLines: a password edited with the arrow keys is masked where it is typed later", () => {
  const { lines, seen } = recorder();
  lines.output(bytes("Password: "));
  lines.input(bytes("hunter3\x1b[D\x1b[C\x7f2\r"), "alice"); // Left, Right, BS: hunter2
  lines.output(bytes("\r\n$ "));
  lines.input(bytes("echo hunter2\r"), "alice");
  lines.end();
  assert.deepEqual(seen.map((l) => l.text), ["[redacted]", "echo [redacted]"]);
});

Deno.test("TypedLines: a UTF-8 password erased per character is masked where it is typed later", () => {
  const { lines, seen } = recorder();
  lines.output(bytes("Password: "));
  lines.input(bytes("pässwöö\x7frd\r"), "alice"); // BS erases "ö", both its bytes
  lines.output(bytes("\r\n$ "));
  lines.input(bytes("echo pässwörd\r"), "alice");
  lines.end();
  assert.deepEqual(seen.map((l) => l.text), ["[redacted]", "echo [redacted]"]);
});

Deno.test("TypedLines: a line with editing keys or Up is approximate, its raw keys beside it", () => {
  const { lines, seen } = recorder();
  lines.output(bytes("$ "));
  lines.input(bytes("ls /tmp\r"), "alice");
  lines.output(bytes("ls /tmp\r\nx\r\n$ "));
  lines.input(bytes("\x1b[A\r"), "alice"); // Up, Enter: the guest runs "ls /tmp" again
  lines.output(bytes("ls /tmp\r\nx\r\n$ Password: "));
  lines.input(bytes("hunter3\x7f2\r"), "alice");
  lines.output(bytes("\r\n$ "));
  lines.input(bytes("echo hunter2X\x7f\r"), "bob");
  lines.end();
  assert.deepEqual(seen, [
    { text: "ls /tmp", secret: false, approximate: false, keys: "ls /tmp", by: "alice" },
    { text: "", secret: false, approximate: true, keys: "\x1b[A", by: "alice" },
    { text: "[redacted]", secret: true, approximate: true, keys: "[redacted]", by: "alice" },
    {
      text: "echo [redacted]",
      secret: false,
      approximate: true,
      keys: "echo [redacted]X\x7f",
      by: "bob",
    },
  ]);
});
