// Copyright 2026 the xenpv authors. MIT license.
// ConsoleLog's mask: what is logged of a console, with the passwords typed at
// it masked.

import { stripAnsi } from "./strip_ansi.ts";
import { Transcript } from "./transcript.ts";

/**
 * A guest line asking for a secret: "Password: ", "Password for root: ",
 * "Enter passphrase", "Enter PIN ", with or without colours (matched on the
 * line with ANSI sequences removed).
 */
const PASSWORD_PROMPT = /\b(pass(word|phrase|code)|PIN)\b[^\n]*$/i;

/** Lines typed ahead (not at a password prompt) that may turn out to be a password. */
const CANDIDATES = 4;

/** What replaces a password in a typed line. */
const REDACTED = "[redacted]";

/** Passwords remembered to mask them in later typed lines. */
const SECRETS_KEPT = 8;

/** A line typed at the console, as {@linkcode LogMask} reports it. */
export interface MaskedLine {
  /** The line without its Enter key; `[redacted]` for a password (and any password in it). */
  text: string;
  /** Whether the line was a password. */
  secret: boolean;
}

/** A typed line until it is known whether it was a password. */
interface Typed {
  text: string;
  secret: boolean | undefined;
}

/**
 * The line a guest's line editor holds as keys are typed, with its cursor:
 * printable keys insert at the cursor; BS and DEL erase before it; Left,
 * Right, Home and End (`ESC [ D`, `C`, `H`, `F`, `ESC O ...`, `ESC [ 1 ~`,
 * `4 ~`, `7 ~`, `8 ~`) move it; Delete (`ESC [ 3 ~`) erases under it. Other
 * escape sequences (Up, Down, function keys) are taken whole and ignored;
 * other control keys are kept, as a canonical tty keeps them.
 */
class TypedLineEditor {
  #text = "";
  #cursor = 0;
  /** An escape sequence under way (ESC, then `[` or `O`, parameters, a final byte). */
  #escape = "";

  /** The line as it stands. */
  get line(): string {
    return this.#text;
  }

  /** Nothing typed on this line yet (no key, no escape under way). */
  get empty(): boolean {
    return this.#text === "" && this.#escape === "";
  }

  clear(): void {
    this.#text = "";
    this.#cursor = 0;
    this.#escape = "";
  }

  /** One key byte (not Enter, ^C or ^U); true when it was a key typed into the line. */
  key(b: number): boolean {
    const ch = String.fromCharCode(b);
    if (this.#escape !== "") {
      this.#escape += ch;
      if (this.#escape.length === 2) {
        if (ch !== "[" && ch !== "O") this.#escape = ""; // ESC and a key (Alt-key): dropped
        return false;
      }
      if (b >= 0x40 && b <= 0x7e) this.#move(this.#escape.slice(2));
      else if (this.#escape.length > 16) this.#escape = ""; // not a key's sequence
      return false;
    }
    if (b === 0x1b) {
      this.#escape = ch;
      return false;
    }
    if (b === 0x7f || b === 0x08) {
      if (this.#cursor > 0) {
        this.#text = this.#text.slice(0, this.#cursor - 1) + this.#text.slice(this.#cursor);
        this.#cursor--;
      }
      return true;
    }
    this.#text = this.#text.slice(0, this.#cursor) + ch + this.#text.slice(this.#cursor);
    this.#cursor++;
    return true;
  }

  /** The end of an escape sequence: its parameters and final byte (`D`, `3~`). */
  #move(sequence: string): void {
    this.#escape = "";
    const at = { D: this.#cursor - 1, C: this.#cursor + 1, H: 0, F: this.#text.length }[
      sequence
    ] ?? { "1~": 0, "7~": 0, "4~": this.#text.length, "8~": this.#text.length }[sequence];
    if (at !== undefined) this.#cursor = Math.max(0, Math.min(this.#text.length, at));
    else if (sequence === "3~") {
      this.#text = this.#text.slice(0, this.#cursor) + this.#text.slice(this.#cursor + 1);
    }
  }
}

/** Bytes as latin1 text and back: 1:1, so what is logged stays the guest's raw bytes. */
const latin1 = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const fromLatin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/**
 * What goes to a console log: the guest's raw output, with every password
 * masked wherever the guest prints it later (an echoing guest, a command line
 * repeating it), even split across reads (Transcript holds the possible start
 * of one back). A password is:
 * - a line typed while a password prompt shows; the guest's echo of its keys
 *   as they are typed is never logged;
 * - the last line typed before a password prompt appears (a script typing
 *   ahead), unless it answered the prompt showing then (the user name at
 *   "login: "). Its echo by the tty before the prompt (login has not turned
 *   echo off yet) is held back until the next line shows whether it was one.
 */
export class LogMask {
  #out = "";
  #masker = new Transcript({ limit: 0, sink: (e) => this.#out += e.text });
  /** The guest's current line, to see prompts and echoes. */
  #line = "";
  /** The line being typed (as the guest's line editor holds it), and whether it started at a password prompt. */
  #editor = new TypedLineEditor();
  #atPrompt = false;
  /** Keys typed at the password prompt that the guest has not echoed yet. */
  #echo = "";
  /** Lines typed ahead, newest last. */
  #candidates: Typed[] = [];
  /** Where typed lines go, once settled (in the order typed); none: not reported. */
  #lines: ((line: MaskedLine) => void) | undefined;
  /** Typed lines not reported yet: the oldest waits to be settled. */
  #typed: Typed[] = [];
  /** The last passwords, masked in typed lines. */
  #secrets: string[] = [];
  /** The guest shows a prompt (a line without its newline) that no typed line has answered yet. */
  #unanswered = false;
  /** Output held back: echoes of typed-ahead lines, until a prompt settles what they were. */
  #held = "";

  /** `lines`: told every typed line (its Enter pressed), in order, once it is known whether it was a password. */
  constructor(lines?: (line: MaskedLine) => void) {
    this.#lines = lines;
  }

  /** Guest output; returns what may be logged now. Call it before acting on the output. */
  output(chunk: Uint8Array): Uint8Array {
    for (let at = 0; at < chunk.length; at += 4096) {
      let text = latin1(chunk.subarray(at, at + 4096));
      if (this.#echo !== "") text = this.#dropEcho(text);
      for (const piece of text.split(/(?<=[\r\n])/)) {
        if (piece.endsWith("\n") || piece.endsWith("\r")) this.#lineEnd(piece);
        else if (piece !== "") this.#partial(piece);
      }
    }
    return this.#take();
  }

  /** Keyboard input, as it is sent to the guest. */
  input(chunk: Uint8Array): void {
    for (const b of chunk) {
      if (this.#editor.empty && !this.#atPrompt) this.#atPrompt = this.#promptShows();
      if (b === 0x0d || b === 0x0a) {
        const typed = this.#editor.line;
        if (this.#atPrompt) {
          this.#secret(typed);
          this.#type(typed, true);
        } else if (this.#unanswered) {
          this.#settle(this.#candidates.splice(0), undefined); // it answers the prompt showing
          this.#type(typed, false);
        } else if (typed.trim() !== "") {
          // not the answer to the prompt showing: typed ahead of one to come
          this.#candidates.push(this.#type(typed, undefined));
          this.#settle(this.#candidates.splice(0, this.#candidates.length - CANDIDATES), undefined);
        } else this.#type(typed, false);
        this.#unanswered = false;
        this.#editor.clear();
        this.#atPrompt = false;
        this.#echo = "";
      } else if (b === 0x03 || b === 0x15) { // ^C, ^U
        this.#editor.clear();
        this.#echo = "";
      } else if (this.#editor.key(b)) {
        if (this.#atPrompt && b >= 0x20 && b !== 0x7f) this.#echo += String.fromCharCode(b);
      }
    }
  }

  /** The console is done: what is still held back (as [redacted] if it could start a password). */
  end(): Uint8Array {
    this.#settle(this.#candidates.splice(0), undefined);
    this.#release();
    this.#masker.flush();
    return this.#take();
  }

  #promptShows(): boolean {
    return PASSWORD_PROMPT.test(stripAnsi(this.#line));
  }

  /** Removes the guest's echo of password keys, in order. */
  #dropEcho(text: string): string {
    let kept = "";
    for (const ch of text) {
      if (this.#echo !== "" && ch === this.#echo[0]) this.#echo = this.#echo.slice(1);
      else kept += ch;
    }
    return kept;
  }

  /**
   * Could the current line still become the echo of a typed-ahead line (after
   * a prompt: the line ends with the start of one)?
   */
  #maybeEcho(line: string): boolean {
    const seen = stripAnsi(line);
    return this.#candidates.some(({ text: c }) => {
      for (let k = Math.min(c.length, seen.length); k > 0; k--) {
        if (seen.endsWith(c.slice(0, k))) return true;
      }
      return false;
    });
  }

  #partial(piece: string): void {
    this.#line = (this.#line + piece).slice(-256);
    this.#unanswered = true;
    if (this.#candidates.length > 0 && this.#maybeEcho(this.#line)) {
      this.#held += piece;
      return;
    }
    if (this.#candidates.length > 0 && this.#promptShows()) {
      // the typed-ahead line just before the prompt was the password
      const candidates = this.#candidates.splice(0);
      this.#secret(candidates.at(-1)!.text);
      this.#settle(candidates, candidates.at(-1));
    }
    this.#release();
    this.#masker.record("out", piece);
  }

  #lineEnd(piece: string): void {
    const line = stripAnsi(this.#line + piece).trim();
    this.#line = "";
    this.#unanswered = false;
    const echo = this.#candidates.some(({ text: c }) => line.endsWith(c.trim()));
    if (echo || (line === "" && this.#held !== "")) {
      this.#held += piece; // an echo of a typed-ahead line (or the blank line after one)
      return;
    }
    this.#release();
    this.#masker.record("out", piece);
  }

  /** A password: masked in the log from now on. */
  #secret(text: string): void {
    this.#masker.addSecret(text);
    if (text === "") return;
    this.#secrets.push(text);
    this.#secrets.splice(0, this.#secrets.length - SECRETS_KEPT);
  }

  /** A line typed (its Enter pressed); `secret` undefined until known. */
  #type(text: string, secret: boolean | undefined): Typed {
    const typed = { text, secret };
    if (this.#lines === undefined) return typed;
    this.#typed.push(typed);
    this.#report();
    return typed;
  }

  /** Typed-ahead lines settled: `secret` was the password, the others were not. */
  #settle(lines: Typed[], secret: Typed | undefined): void {
    for (const line of lines) line.secret = line === secret;
    this.#report();
  }

  /** Reports the typed lines settled, in the order typed. */
  #report(): void {
    while (this.#typed.length > 0 && this.#typed[0].secret !== undefined) {
      const { text, secret } = this.#typed.shift()!;
      let shown = secret ? REDACTED : text;
      for (const s of this.#secrets) shown = shown.replaceAll(s, REDACTED);
      this.#lines!({ text: shown, secret: secret! });
    }
  }

  #release(): void {
    if (this.#held === "") return;
    this.#masker.record("out", this.#held);
    this.#held = "";
  }

  #take(): Uint8Array {
    const out = fromLatin1(this.#out);
    this.#out = "";
    return out;
  }
}
