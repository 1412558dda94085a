// Copyright 2026 the xenpv authors. MIT license.

// CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ESC \), other
// two-byte escapes (not ESC [ or ESC ], which start the longer kinds: an
// unfinished one stays until the rest arrives), and the 8-bit CSI.
const ESC = "\x1b";
const BEL = "\x07";
const CSI8 = "\x9b";
const ANSI = new RegExp(
  [
    `${ESC}\\[[0-?]*[ -/]*[@-~]`,
    `${CSI8}[0-?]*[ -/]*[@-~]`,
    `${ESC}\\][^${BEL}${ESC}]*(?:${BEL}|${ESC}\\\\)`,
    `${ESC}[PX^_][^${ESC}]*${ESC}\\\\`,
    `${ESC}[ -/]*[0-Z\\\\^-~]`,
  ].join("|"),
  "g",
);

/**
 * Removes ANSI/VT100 escape sequences (colours, cursor movement, cursor
 * position queries, window titles) from console text. Plain text, CR and LF
 * are kept.
 *
 * @example
 * ```ts
 * import { stripAnsi } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * assert.equal(stripAnsi("\x1b[1;32mroot@deb1\x1b[0m:~# \x1b[6n"), "root@deb1:~# ");
 * ```
 */
export function stripAnsi(text: string): string {
  if (typeof text !== "string") throw new TypeError("stripAnsi() takes a string");
  return text.indexOf("\x1b") < 0 && text.indexOf("\x9b") < 0 ? text : text.replace(ANSI, "");
}
