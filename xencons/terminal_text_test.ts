// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { jsonSafe, sanitizeForTerminal } from "./terminal_text.ts";

Deno.test("sanitizeForTerminal: controls in caret notation, C1 as <U+XXXX>, line structure kept", () => {
  let all = "";
  for (let c = 0; c < 0xa0; c++) all += String.fromCharCode(c);
  const shown = sanitizeForTerminal(all);
  assert.ok(shown.startsWith("^@^A^B^C^D^E^F^G\b\t\n^K^L\r^N"), shown);
  assert.ok(shown.includes("^Z^[^\\^]^^^_ !"), shown);
  assert.ok(shown.includes("}~^?<U+0080><U+0081>"), shown);
  assert.ok(shown.endsWith("<U+009E><U+009F>"), shown);
  const kept = new Set([0x08, 0x09, 0x0a, 0x0d]);
  assert.ok([...shown].every((c) => {
    const code = c.codePointAt(0)!;
    return kept.has(code) || (code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code <= 0x9f));
  }));
});

Deno.test("sanitizeForTerminal: text without controls is returned as it is", () => {
  const text = "C:\\>dir\r\n\tGrüße € 日本\b";
  assert.equal(sanitizeForTerminal(text), text);
  assert.equal(sanitizeForTerminal(""), "");
});

Deno.test("jsonSafe: ESC, every C1 control and U+2028/U+2029 escaped, anywhere in a value; it parses back", () => {
  const c1 = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(0x80 + i)).join("");
  const value = { output: `\x1b[31m${c1}\u2028\u2029 é €`, nested: [{ "\u009bkey": "\u0085" }] };
  for (const space of [undefined, 2]) {
    const text = jsonSafe(value, space);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x80-\x9f\u2028\u2029]/); // LF: space's own
    assert.ok(text.includes("\\u001b[31m\\u0080\\u0081"), text);
    assert.ok(text.includes("\\u009f\\u2028\\u2029 é €"), text);
    assert.match(text, /"\\u009bkey": ?"\\u0085"/);
    assert.deepEqual(JSON.parse(text), value);
  }
  assert.equal(jsonSafe("a\u009bb"), '"a\\u009bb"');
  assert.equal(jsonSafe(42), "42");
});
