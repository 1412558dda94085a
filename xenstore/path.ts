// Copyright 2026 the xenpv authors. MIT license.
// xenstore path rules (Xen's docs/misc/xenstore.txt and xs_wire.h): paths are
// /-separated, made of ASCII letters, digits and `-/_@`, with no empty
// components; absolute paths are at most 3072 bytes, relative ones at most
// 2048. Paths starting with `@` name special watch events.

/** Longest absolute path (XENSTORE_ABS_PATH_MAX). */
export const ABS_PATH_MAX = 3072;
/** Longest relative path (XENSTORE_REL_PATH_MAX). */
export const REL_PATH_MAX = 2048;

/** Special watch paths xenstored fires itself. */
export const SPECIAL_WATCHES: readonly string[] = Object.freeze([
  "@introduceDomain",
  "@releaseDomain",
]);

/** What {@linkcode checkPath} accepts besides absolute paths. */
export interface PathRules {
  /** Accept relative paths (resolved against the domain's home). */
  relative?: boolean;
  /** Accept `@` special watch paths. */
  special?: boolean;
}

const VALID_CHARS = /^[A-Za-z0-9\-/_@]*$/;

/**
 * Checks a path; returns why it is invalid, or `undefined` when it is fine.
 *
 * @example
 * ```ts
 * import { checkPath } from "./path.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkPath("/local/domain/1/console"), undefined);
 * assert.match(checkPath("/a//b") ?? "", /empty component/);
 * assert.match(checkPath("@releaseDomain") ?? "", /special/);
 * assert.equal(checkPath("@releaseDomain", { special: true }), undefined);
 * ```
 */
export function checkPath(path: string, rules: PathRules = {}): string | undefined {
  if (typeof path !== "string") return "path must be a string";
  if (path.length === 0) return "path is empty";
  if (path.startsWith("@")) {
    if (!rules.special) return `special path ${path} is only valid for watches`;
    if (!VALID_CHARS.test(path)) {
      return `path ${quote(path)} has characters outside [A-Za-z0-9-/_@]`;
    }
    return path.length > ABS_PATH_MAX ? `path longer than ${ABS_PATH_MAX} bytes` : undefined;
  }
  if (!VALID_CHARS.test(path)) return `path ${quote(path)} has characters outside [A-Za-z0-9-/_@]`;
  const absolute = path.startsWith("/");
  if (!absolute && !rules.relative) return `path ${quote(path)} is not absolute`;
  const limit = absolute ? ABS_PATH_MAX : REL_PATH_MAX;
  if (path.length > limit) {
    return `${absolute ? "absolute" : "relative"} path longer than ${limit} bytes`;
  }
  if (path === "/") return undefined;
  if (path.endsWith("/")) return `path ${quote(path)} ends with /`;
  if (path.includes("//")) return `path ${quote(path)} has an empty component`;
  return undefined;
}

function quote(path: string): string {
  const shown = path.length > 60 ? `${path.slice(0, 57)}...` : path;
  return JSON.stringify(shown);
}

/**
 * Throws a `TypeError` (bad form) or `RangeError` (too long) for an invalid
 * path; returns the path otherwise.
 */
export function assertPath(path: string, rules: PathRules = {}): string {
  const problem = checkPath(path, rules);
  if (problem === undefined) return path;
  if (problem.includes("longer than")) throw new RangeError(`xenstore: ${problem}`);
  throw new TypeError(`xenstore: ${problem}`);
}

/** The parent of an absolute path (`"/"` for top-level nodes and the root). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Joins a path and a child name. */
export function childPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

/**
 * True when `path` is `ancestor` or below it (xenstore's watch matching).
 *
 * @example
 * ```ts
 * import { isPathWithin } from "./path.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isPathWithin("/a/b", "/a"));
 * assert.ok(!isPathWithin("/ab", "/a"));
 * ```
 */
export function isPathWithin(path: string, ancestor: string): boolean {
  if (ancestor === "/") return path.startsWith("/");
  return path === ancestor || path.startsWith(`${ancestor}/`);
}
