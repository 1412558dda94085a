// Copyright 2026 the xenpv authors. MIT license.

/** Whether `text` has a C0 control character or DEL, other than those in `allow`. */
export function hasControl(text: string, allow = ""): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 || c === 0x7f) && !allow.includes(text[i])) return true;
  }
  return false;
}
