// Copyright 2026 the xenpv authors. MIT license.
// The one place that makes untrusted text (a guest's, xenstore's, a
// browser's) safe to print: every layer's messages use it.

/** Whether `text` has a C0 control character or DEL, other than those in `allow`. */
export function hasControl(text: string, allow = ""): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 || c === 0x7f) && !allow.includes(text[i])) return true;
  }
  return false;
}

/**
 * `value` as JSON (`JSON.stringify(value, null, space)`), safe to print on a
 * terminal or send down a pipe whatever a guest sent: JSON already escapes
 * the C0 controls (ESC as `\u001b`); the C1 controls U+0080-U+009F (which
 * terminals may obey as CSI, OSC...) and U+2028/U+2029 (line ends to
 * JavaScript and some viewers) are escaped too. The result is still JSON,
 * and parses back to the same value. What `run.ts --json` prints.
 * (Public as `jsonSafe` in `@xenpv/console/xencons`.)
 *
 * @example
 * ```ts
 * import { jsonSafe } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const output = "\x1b[2J\u009b31m\u2028";
 * assert.equal(jsonSafe({ output }), '{"output":"\\u001b[2J\\u009b31m\\u2028"}');
 * assert.equal(JSON.parse(jsonSafe({ output })).output, output);
 * ```
 */
export function jsonSafe(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(
    /[\u0080-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** `text` as a JSON string, escaped as {@linkcode jsonSafe} escapes: for messages. */
export function quote(text: string): string {
  return jsonSafe(text);
}

/**
 * `text` with its control characters (C0, DEL, C1) shown as `\xNN` escapes:
 * for text from a guest or xenstore (a name, a path) inside a message. With
 * `max`, at most that many characters, cut before an escape, never inside one.
 * (Public as `printable` in `@xenpv/console/xencons`.)
 *
 * @example
 * ```ts
 * import { printable } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * assert.equal(printable("win\x1b[2J1"), "win\\x1b[2J1");
 * assert.equal(printable("ab\x1bcd", 4), "ab"); // never half an escape
 * ```
 */
export function printable(text: string, max = Infinity): string {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const piece = c < 0x20 || (c >= 0x7f && c <= 0x9f)
      ? `\\x${c.toString(16).padStart(2, "0")}`
      : ch;
    if (out.length + piece.length > max) break;
    out += piece;
  }
  return out;
}
