// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { stripAnsi } from "./mod.ts";

Deno.test("stripAnsi: CSI, OSC, charset and keypad escapes go, text stays", () => {
  assert.equal(stripAnsi("a\x1b[2J\x1b[H\x1b[?25lb"), "ab");
  assert.equal(stripAnsi("\x1b]0;title\x07x\x1b]2;t\x1b\\y"), "xy");
  assert.equal(stripAnsi("\x1b(B\x1b=z\x9b1mw"), "zw");
  assert.equal(stripAnsi("plain\r\ntext"), "plain\r\ntext");
  assert.throws(() => stripAnsi(1 as never), TypeError);
});
