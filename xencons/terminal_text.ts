// Copyright 2026 the xenpv authors. MIT license.
// Guest output made safe for an operator's terminal. The message-sized
// sanitiser, printable(), and JSON safe to print, jsonSafe(), are
// _sys/text.ts's (the one sanitiser module), exported here for the CLIs'
// status lines and --json.

import { hasControl, jsonSafe, printable } from "../_sys/text.ts";

export { jsonSafe, printable };

/** The C1 controls, U+0080-U+009F. */
const C1 = /[\u0080-\u009f]/;

/**
 * Guest output, decoded (see {@linkcode ConsoleEncoding.decode}), made safe
 * for a terminal while still reading as the guest's: ESC and the other C0
 * controls but CR, LF, TAB and BS are shown in caret notation (`^[`, `^G`),
 * DEL as `^?`, and the C1 controls U+0080-U+009F (which terminals may obey
 * as CSI, OSC, DCS even when UTF-8 encoded) as `<U+009B>`. Escape sequences
 * show as text, so none reaches the terminal. What attach's `--sanitize`
 * prints.
 *
 * @example
 * ```ts
 * import { sanitizeForTerminal } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   sanitizeForTerminal("\x1b]0;pwned\x07 \u009b31m €\r\n"),
 *   "^[]0;pwned^G <U+009B>31m €\r\n",
 * );
 * ```
 */
export function sanitizeForTerminal(text: string): string {
  if (!hasControl(text, "\r\n\t\b") && !C1.test(text)) return text;
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c === 0x1b) out += "^[";
    else if (c < 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x08) {
      out += `^${String.fromCharCode(c + 0x40)}`;
    } else if (c === 0x7f) out += "^?";
    else if (c >= 0x80 && c <= 0x9f) {
      out += `<U+${c.toString(16).toUpperCase().padStart(4, "0")}>`;
    } else out += ch;
  }
  return out;
}
