// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { EscapeScanner, escapeSequence } from "./escape_scanner.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test("escapeSequence: caret notation for control keys, anything else literally", () => {
  assert.deepEqual([...escapeSequence("^]")], [0x1d]);
  assert.deepEqual([...escapeSequence("^@")], [0x00]);
  assert.deepEqual([...escapeSequence("^_")], [0x1f]);
  assert.deepEqual([...escapeSequence("^x")], [0x18]);
  assert.deepEqual([...escapeSequence("^?")], [0x7f]);
  assert.deepEqual([...escapeSequence("^")], [0x5e]);
  assert.deepEqual([...escapeSequence("^]]")], [0x5e, 0x5d, 0x5d]);
  assert.deepEqual([...escapeSequence("é")], [0xc3, 0xa9]);
  assert.throws(() => escapeSequence(""), RangeError);
  assert.throws(() => new EscapeScanner(new Uint8Array(0)), RangeError);
});

Deno.test("EscapeScanner: found anywhere in a chunk; what follows it is dropped", () => {
  const scanner = new EscapeScanner("~.");
  const scan = scanner.scan(bytes("echo one~.echo two\r"));
  assert.equal(text(scan.forward), "echo one");
  assert.equal(scan.escaped, true);
});

Deno.test("EscapeScanner: a false start held back at a chunk's end is sent with the next", () => {
  const scanner = new EscapeScanner("~.");
  let scan = scanner.scan(bytes("a~"));
  assert.deepEqual([text(scan.forward), scan.escaped], ["a", false]);
  scan = scanner.scan(bytes("b"));
  assert.deepEqual([text(scan.forward), scan.escaped], ["~b", false]);
  scan = scanner.scan(bytes("~"));
  assert.deepEqual([text(scan.forward), scan.escaped], ["", false]);
  scan = scanner.scan(bytes("."));
  assert.deepEqual([text(scan.forward), scan.escaped], ["", true]);
});

Deno.test("EscapeScanner: the default is ^] (0x1d); sequence is a copy", () => {
  const scanner = new EscapeScanner();
  assert.deepEqual([...scanner.sequence], [0x1d]);
  scanner.sequence[0] = 0x41;
  assert.equal(scanner.scan(bytes("A")).escaped, false);
  assert.equal(scanner.scan(new Uint8Array([0x61, 0x1d, 0x62])).escaped, true);
});

Deno.test("EscapeScanner: flush() gives back a possible start held at the input's end", () => {
  const scanner = new EscapeScanner("~.");
  assert.equal(text(scanner.scan(bytes("echo a~")).forward), "echo a");
  assert.equal(text(scanner.flush()), "~"); // the input ended: it was no escape
  assert.equal(scanner.flush().length, 0); // given back once
  assert.equal(text(scanner.scan(bytes("b")).forward), "b"); // nothing held any more
});
