// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import {
  ABS_PATH_MAX,
  assertPath,
  checkPath,
  childPath,
  isPathWithin,
  parentPath,
  REL_PATH_MAX,
} from "./path.ts";

Deno.test("checkPath accepts xenstore paths", () => {
  for (
    const p of [
      "/",
      "/a",
      "/local/domain/0/backend/vbd/1-51712",
      "/a_b-c@d",
      "/" + "a".repeat(ABS_PATH_MAX - 1),
    ]
  ) {
    assert.equal(checkPath(p), undefined, p);
  }
  assert.equal(checkPath("device/console/0", { relative: true }), undefined);
  assert.equal(checkPath("@introduceDomain", { special: true }), undefined);
});

Deno.test("checkPath rejects what xenstored rejects", () => {
  const bad: [string, RegExp][] = [
    ["", /empty/],
    ["/a/", /ends with/],
    ["/a//b", /empty component/],
    ["/a b", /characters/],
    ["/a.b", /characters/],
    ["/ä", /characters/],
    ["/a\0b", /characters/],
    ["relative", /not absolute/],
    ["@releaseDomain", /special/],
    ["/" + "a".repeat(ABS_PATH_MAX), /longer than 3072/],
  ];
  for (const [p, why] of bad) assert.match(checkPath(p) ?? "", why, JSON.stringify(p));
  assert.match(
    checkPath("a".repeat(REL_PATH_MAX + 1), { relative: true }) ?? "",
    /longer than 2048/,
  );
});

Deno.test("assertPath throws TypeError for form and RangeError for length", () => {
  assert.throws(() => assertPath("/a//b"), TypeError);
  assert.throws(() => assertPath("/" + "x".repeat(4000)), RangeError);
  assert.equal(assertPath("/ok"), "/ok");
});

Deno.test("path helpers", () => {
  assert.equal(parentPath("/a/b"), "/a");
  assert.equal(parentPath("/a"), "/");
  assert.equal(parentPath("/"), "/");
  assert.equal(childPath("/", "a"), "/a");
  assert.equal(childPath("/a", "b"), "/a/b");
  assert.ok(isPathWithin("/a", "/a"));
  assert.ok(isPathWithin("/a/b/c", "/a"));
  assert.ok(isPathWithin("/x", "/"));
  assert.ok(!isPathWithin("/ab", "/a"));
  assert.ok(!isPathWithin("/a", "/a/b"));
});
