// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { sanitizeForTerminal } from "./terminal_text.ts";

Deno.test("sanitizeForTerminal: controls in caret notation, C1 as <U+XXXX>, line structure kept", () => {
  let all = "";
  for (let c = 0; c < 0xa0; c++) all += String.fromCharCode(c);
  const shown = sanitizeForTerminal(all);
  assert.ok(shown.startsWith("^@^A^B^C^D^E^F^G\b\t\n^K^L\r^N"), shown);
  assert.ok(shown.includes("^Z^[^\\^]^^^_ !"), shown);
  assert.ok(shown.includes("}~^?<U+0080><U+0081>"), shown);
  assert.ok(shown.endsWith("<U+009E><U+009F>"), shown);
  assert.ok(!/[\x00-\x07\x0b\x0c\x0e-\x1f\x7f-\x9f]/.test(shown));
});

Deno.test("sanitizeForTerminal: text without controls is returned as it is", () => {
  const text = "C:\\>dir\r\n\tGrüße € 日本\b";
  assert.equal(sanitizeForTerminal(text), text);
  assert.equal(sanitizeForTerminal(""), "");
});
