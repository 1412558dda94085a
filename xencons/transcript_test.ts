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
  assert.equal(seen.length, 3);
  for (let i = 0; i < 50; i++) t.record("note", `note ${i}`);
  const size = t.entries.reduce((n, e) => n + e.text.length, 0);
  assert.ok(size <= 100, `held ${size} characters`);
  assert.match(t.toString(), /^\d\d:\d\d:\d\d\.\d{3} # "note 49"$/m);
  assert.throws(() => new Transcript({ limit: -1 }), RangeError);
});
