// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { formatPermission, parsePermission, type Permission, permits } from "./permissions.ts";

Deno.test("permission strings round-trip", () => {
  for (const text of ["n0", "r1", "w32751", "b7"]) {
    assert.equal(formatPermission(parsePermission(text)!), text);
  }
  for (const bad of ["", "x1", "r", "r-1", "r65536", "r32752", "r65535", "r1a", "R1", "r123456"]) {
    assert.equal(parsePermission(bad), undefined, bad);
  }
  assert.throws(() => formatPermission({ domid: 1, access: "all" as never }), TypeError);
  assert.throws(() => formatPermission({ domid: 70000, access: "read" }), RangeError);
  assert.throws(() => formatPermission({ domid: 1.5, access: "read" }), RangeError);
  assert.throws(() => formatPermission({ domid: 0x7ff0, access: "read" }), RangeError);
});

Deno.test("permits follows owner, listed entry, then default", () => {
  const perms: Permission[] = [
    { domid: 3, access: "none" },
    { domid: 5, access: "read" },
    { domid: 6, access: "write" },
    { domid: 7, access: "both" },
  ];
  assert.ok(permits(perms, 3, "write")); // owner
  assert.ok(permits(perms, 5, "read"));
  assert.ok(!permits(perms, 5, "write"));
  assert.ok(permits(perms, 6, "write"));
  assert.ok(!permits(perms, 6, "read"));
  assert.ok(permits(perms, 7, "read") && permits(perms, 7, "write"));
  assert.ok(!permits(perms, 9, "read")); // default: none
  assert.ok(permits([{ domid: 0, access: "read" }], 9, "read"));
  assert.ok(!permits([], 0, "read"));
});
