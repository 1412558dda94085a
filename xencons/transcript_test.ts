// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { Transcript, type TranscriptEntry } from "./mod.ts";

Deno.test("transcript: bounded, timestamped, streamed to a sink, secrets masked across chunks", () => {
  const seen: TranscriptEntry[] = [];
  const t = new Transcript({ limit: 100, sink: (e) => seen.push(e) });
  t.record("in", "pw1\r", { secret: true });
  t.record("out", "leaked p");
  t.record("out", "w1 here");
  assert.doesNotMatch(t.toString(), /pw1/);
  assert.doesNotMatch(seen.map((e) => e.text).join(""), /pw|w1/);
  assert.deepEqual(seen.map((e) => e.text), ["[redacted]\r", "leaked ", "[redacted] here"]);
  for (let i = 0; i < 50; i++) t.record("note", `note ${i}`);
  const size = t.entries.reduce((n, e) => n + e.text.length, 0);
  assert.ok(size <= 100, `held ${size} characters`);
  assert.match(t.toString(), /^\d\d:\d\d:\d\d\.\d{3} # "note 49"$/m);
  assert.throws(() => new Transcript({ limit: -1 }), RangeError);
});

Deno.test("transcript: bad arguments are TypeErrors", () => {
  const t = new Transcript();
  assert.throws(() => t.record("sideways" as "in", "x"), TypeError);
  assert.throws(() => t.record("out", 42 as unknown as string), TypeError);
  assert.throws(() => t.addSecret(undefined as unknown as string), TypeError);
});

Deno.test("transcript: the possible start of a secret is held back, then released or masked", () => {
  const logged: string[] = [];
  const t = new Transcript({ sink: (e) => logged.push(e.text) });
  t.addSecret("hunter2");
  t.record("out", "a hunt");
  assert.deepEqual(logged, ["a "]); // "hunt" could be the password's start
  t.record("out", "ing trip\r\n");
  assert.deepEqual(logged, ["a ", "hunting trip\r\n"]);
  t.record("out", "login: hunter");
  t.flush(); // the console ended: the held "hunter" is recorded as redacted
  assert.equal(logged.join(""), "a hunting trip\r\nlogin: [redacted]");
  t.flush(); // nothing left
  assert.equal(logged.length, 4);
  // typed text is held back the same way; notes are not
  t.record("in", "echo hunte");
  t.record("note", "a note");
  t.record("in", "r2\r");
  assert.deepEqual(logged.slice(4), ["echo ", "a note", "[redacted]\r"]);
});

Deno.test("transcript: a secret split anywhere in guest output never reaches the sink or the entries; nothing else is lost", () => {
  let seed = 0x2545f491;
  const random = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const secrets = ["hunter2", "S3cr3t!x"];
  const words = ["hunter2", "hunt", "hunter", "S3cr", "S3cr3t!x", "h", "S", " ", "\r\n", "2", "ok"];
  for (let round = 0; round < 500; round++) {
    let text = "";
    while (text.length < 200) text += words[random(words.length)];
    text += "."; // ends with what cannot start a secret: nothing is left held back
    const logged: string[] = [];
    const t = new Transcript({ sink: (e) => logged.push(e.text) });
    for (const s of secrets) t.addSecret(s);
    for (let at = 0; at < text.length;) {
      const n = 1 + random(5);
      t.record("out", text.slice(at, at + n));
      at += n;
    }
    const joined = logged.join("");
    let masked = text;
    for (const s of secrets) masked = masked.replaceAll(s, "[redacted]");
    assert.equal(joined, masked, `round ${round}`);
    const shown = t.entries.map((e) => e.text).join("");
    assert.equal(shown, masked);
    for (const s of secrets) assert.ok(!joined.includes(s) && !t.toString().includes(s));
  }
});

Deno.test("redact() masks secrets, and pieces of one cut off at either end of a text", () => {
  const t = new Transcript();
  t.addSecret("Tr0ub4dor&3");
  assert.equal(t.redact("a Tr0ub4dor&3 b"), "a [redacted] b");
  assert.equal(t.redact("ub4dor&3\r\n$ "), "[redacted]\r\n$ "); // a tail starting mid-secret
  assert.equal(t.redact("$ echo Tr0u"), "$ echo [redacted]");
  assert.equal(t.redact("3 apples"), "3 apples"); // too short a piece to be sure
});

Deno.test("toString() escapes C0 and C1 controls", () => {
  const t = new Transcript();
  t.record("out", "\x1b]0;pwned\x07\u009b31m\u2028");
  assert.ok(!hasControl(t.toString()));
  assert.match(t.toString(), /\\u001b\]0;pwned\\u0007\\u009b31m\\u2028/);
});

/** Whether `text` holds a C0 or C1 control character (or DEL, or U+2028). */
function hasControl(text: string): boolean {
  return [...text].some((ch) => {
    const c = ch.codePointAt(0)!;
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028;
  });
}
