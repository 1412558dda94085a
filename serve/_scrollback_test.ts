// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { Scrollback } from "./_scrollback.ts";
import { randomToken, sameSecret, TOKEN_SYNTAX } from "./_auth.ts";
import { subprotocolToken } from "./_identity.ts";
import { RateLimit } from "./_rate.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test("Scrollback keeps the last bytes across wrap-arounds, oldest first", () => {
  const s = new Scrollback(8);
  assert.equal(text(s.snapshot()), "");
  s.push(bytes("abc"));
  assert.equal(text(s.snapshot()), "abc");
  s.push(bytes("defgh"));
  assert.equal(text(s.snapshot()), "abcdefgh");
  s.push(bytes("ij"));
  assert.equal(text(s.snapshot()), "cdefghij");
  s.push(bytes("0123456789")); // more than it holds at once
  assert.equal(text(s.snapshot()), "23456789");
  s.push(bytes("xyz"));
  assert.equal(text(s.snapshot()), "56789xyz");
  assert.equal(s.size, 8);
  const none = new Scrollback(0);
  none.push(bytes("lost"));
  assert.equal(none.snapshot().length, 0);
  assert.throws(() => new Scrollback(-1), RangeError);
});

Deno.test("tokens: random hex that fits the syntax; compared whatever their lengths", async () => {
  const a = randomToken();
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, randomToken());
  assert.ok(TOKEN_SYNTAX.test(a));
  assert.ok(!TOKEN_SYNTAX.test("has space in it!!"));
  assert.ok(!TOKEN_SYNTAX.test("semicolon;semicolon"));
  assert.equal(await sameSecret(a, a), true);
  assert.equal(await sameSecret(a.slice(0, 63), a), false);
  assert.equal(await sameSecret("", a), false);
  // the page's WebSockets carry the token base64url-encoded in a subprotocol
  const odd = "a/b+c?d=e<f>{g}~" + a;
  const b64url = btoa(odd).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  assert.equal(subprotocolToken(`xenpv, xenpv.token.${b64url}`), odd);
  assert.equal(subprotocolToken("xenpv"), undefined);
  assert.equal(subprotocolToken(null), undefined);
  assert.equal(subprotocolToken("xenpv.token.!!"), undefined);
});

Deno.test("RateLimit: a burst, then the rate", () => {
  let now = 0;
  const limit = new RateLimit(100, 100, () => now);
  assert.equal(limit.take(100), true);
  assert.equal(limit.take(1), false);
  now = 500;
  assert.equal(limit.take(60), false); // all or nothing: 50 there
  assert.equal(limit.take(50), true);
  now = 10_000;
  assert.equal(limit.take(101), false); // never more than the burst
});
