// Copyright 2026 the xenpv authors. MIT license.

/** Whether `text` has a C0 control character or DEL, other than those in `allow`. */
export function hasControl(text: string, allow = ""): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 || c === 0x7f) && !allow.includes(text[i])) return true;
  }
  return false;
}

/**
 * `text` as a JSON string, with the C1 controls (U+0080-U+009F, which
 * terminals may obey as CSI, OSC...) and U+2028/U+2029 escaped too: safe to
 * print, whatever a guest sent.
 */
export function quote(text: string): string {
  return JSON.stringify(text).replace(
    /[\u0080-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
