// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { assertDomid, DOMID_FIRST_RESERVED, isDomid } from "./domid.ts";

Deno.test("domid: Xen's DOMID_FIRST_RESERVED", () => {
  assert.equal(DOMID_FIRST_RESERVED, 0x7ff0);
});

Deno.test("assertDomid: accepts 0..0x7fef and returns it", () => {
  for (const ok of [0, 1, 7, 0x7fef]) {
    assert.equal(assertDomid(ok), ok);
    assert.ok(isDomid(ok));
  }
});

Deno.test("assertDomid: rejects reserved ids, negatives, fractions and NaN with RangeError", () => {
  for (const bad of [0x7ff0, 0x7ff4, 0xffff, 0x10000, -1, 1.5, NaN, Infinity, -0.5]) {
    assert.throws(() => assertDomid(bad), RangeError, `${bad}`);
    assert.ok(!isDomid(bad), `${bad}`);
  }
  assert.throws(() => assertDomid(0x7ff0), /0\.\.32751 \(ids from 0x7FF0 are Xen's reserved/);
});

Deno.test("assertDomid: a non-number is a TypeError naming the argument", () => {
  for (const bad of ["7", 7n, undefined, null, {}]) {
    assert.throws(() => assertDomid(bad, "remote domain"), TypeError);
    assert.ok(!isDomid(bad));
  }
  assert.throws(() => assertDomid("7", "remote domain"), /^TypeError: remote domain must be/);
});

Deno.test("assertDomid: guest ids exclude dom0", () => {
  assert.throws(() => assertDomid(0, "guest domid", { guest: true }), /1\.\.32751.*0 is dom0/);
  assert.ok(!isDomid(0, { guest: true }));
  assert.equal(assertDomid(1, "guest domid", { guest: true }), 1);
  assert.equal(assertDomid(0x7fef, "guest domid", { guest: true }), 0x7fef);
  assert.throws(() => assertDomid(0x7ff0, "guest domid", { guest: true }), RangeError);
});
