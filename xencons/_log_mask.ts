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

/** Passwords (each in its readings) remembered to mask them in later typed lines. */
const SECRETS_KEPT = 40;

/** A line typed at the console, as {@linkcode LogMask} reports it. */
export interface MaskedLine {
  /** The line without its Enter key; `[redacted]` for a password (and any password in it). */
  text: string;
  /** Whether the line was a password. */
  secret: boolean;
  /** Whether a key other than a printable character was typed on it: `text` is the editor model's guess. */
  approximate: boolean;
  /** The keys typed, as they came, without the Enter; masked as `text` is. */
  keys: string;
}

/** A typed line until it is known whether it was a password. */
interface Typed {
  text: string;
  secret: boolean | undefined;
  /** What the guest may have taken it for, were it a password (see {@linkcode TypedLineEditor.readings}). */
  readings: string[];
  approximate: boolean;
  keys: string;
}

const utf16 = new TextDecoder("utf-16le");
/**
 * Bytes as latin1 text and back: 1:1, so what is logged stays the guest's raw
 * bytes (each byte widened to a UTF-16 unit and decoded natively: the
 * "latin1" label of TextDecoder is windows-1252, not 1:1).
 */
const latin1 = (bytes: Uint8Array): string => utf16.decode(new Uint16Array(bytes));
function fromLatin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Whether a latin1 byte is a UTF-8 continuation byte. */
const continuation = (ch: string): boolean => (ch.charCodeAt(0) & 0xc0) === 0x80;

/** How many bytes a UTF-8 character starting with this byte has (1 if it starts none). */
function utf8Length(b: number): number {
  return b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 1;
}

/** The length of the last UTF-8 character (as latin1 bytes) of `text`: 1 for a stray byte. */
function lastCharLength(text: string): number {
  let k = 1;
  while (k < 4 && k < text.length && continuation(text[text.length - k])) k++;
  const lead = text.charCodeAt(text.length - k);
  return k > 1 && utf8Length(lead) === k ? k : 1;
}

/**
 * Keys (latin1) as a canonical tty takes them (getty's login, sudo): BS and
 * DEL erase the character before (a whole UTF-8 character), ^U the line;
 * anything else, arrow keys' escape sequences too, is typed in as it came.
 */
function canonical(keys: string): string {
  let line = "";
  for (const ch of keys) {
    if (ch === "\x7f" || ch === "\b") line = line.slice(0, line.length - lastCharLength(line));
    else if (ch === "\x15") line = "";
    else line += ch;
  }
  return line;
}

/** An escape sequence: CSI (`ESC [`, parameters, a final byte), SS3 (`ESC O` and a byte), or ESC and a key (Alt-key). */
// deno-lint-ignore no-control-regex
const ESCAPE_SEQUENCE = /\x1b(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|O.?|[^[O])?/gs;

/** A printable character (latin1: a UTF-8 character's bytes count). */
// deno-lint-ignore no-control-regex
const PRINTABLE = /[^\x00-\x1f\x7f]/;

/** A line editor's word character (readline's: letters and digits). */
const WORD = /^[\p{L}\p{N}]$/u;

/**
 * The line a guest's line editor holds as keys are typed, with its cursor,
 * edited per character (a UTF-8 character's bytes are one): printable keys
 * insert at the cursor; BS and DEL erase before it; Left, Right, Home and End
 * (`ESC [ D`, `C`, `H`, `F`, `ESC O ...`, `ESC [ 1 ~`, `4 ~`, `7 ~`, `8 ~`,
 * readline's ^B, ^F, ^A, ^E) move it, a word at a time with Ctrl or Alt
 * (`ESC [ 1 ; 5 D`, `ESC b`, `ESC f`); Delete (`ESC [ 3 ~`) erases under it;
 * ^K, ^U and ^W erase to the end, to the start, the word before. Other escape
 * sequences (Up, Down, function keys) are taken whole and ignored; other
 * control keys are kept, as a canonical tty keeps them.
 *
 * That is readline's model; a canonical tty (getty, sudo) and other editors
 * take the same keys otherwise. So beside the edited {@linkcode line} it keeps
 * the {@linkcode keys} as typed, and says whether any key but a printable
 * character was typed ({@linkcode edited}): then what the guest took is not
 * known for sure.
 */
class TypedLineEditor {
  /** The line, a character (its bytes as latin1) per entry. */
  #chars: string[] = [];
  #cursor = 0;
  /** A UTF-8 character under way: its bytes so far. */
  #partial = "";
  /** An escape sequence under way (ESC, then `[` or `O`, parameters, a final byte). */
  #escape = "";
  /** Every key typed on this line, as latin1. */
  #keys = "";
  #edited = false;

  /** The line as it stands. */
  get line(): string {
    return this.#chars.slice(0, this.#cursor).join("") + this.#partial +
      this.#chars.slice(this.#cursor).join("");
  }

  /** The keys typed on this line, as they came (latin1). */
  get keys(): string {
    return this.#keys;
  }

  /** Whether a key other than a printable character was typed on this line. */
  get edited(): boolean {
    return this.#edited;
  }

  /** Nothing typed on this line yet. */
  get empty(): boolean {
    return this.#keys === "";
  }

  /**
   * What the guest may have taken the keys for, as a password: the edited
   * line, the keys as typed and as a canonical tty takes them, with and
   * without their escape sequences. Only readings with a printable character
   * (outside escape sequences): masking keys alone (Up, BS) would mask the
   * guest's own control sequences.
   */
  readings(): string[] {
    const keys = this.#keys, bare = keys.replace(ESCAPE_SEQUENCE, "");
    return [...new Set([this.line, keys, bare, canonical(keys), canonical(bare)])]
      .filter((r) => PRINTABLE.test(r.replace(ESCAPE_SEQUENCE, "")));
  }

  clear(): void {
    this.#chars = [];
    this.#cursor = 0;
    this.#partial = "";
    this.#escape = "";
    this.#keys = "";
    this.#edited = false;
  }

  /** One key byte (not Enter or ^C); true when it was a printable key, typed into the line. */
  key(b: number): boolean {
    const ch = String.fromCharCode(b);
    this.#keys += ch;
    if (this.#partial !== "") {
      if (continuation(ch)) {
        this.#partial += ch;
        if (this.#partial.length === utf8Length(this.#partial.charCodeAt(0))) {
          this.#insert(this.#partial);
          this.#partial = "";
        }
        return true;
      }
      this.#insert(this.#partial); // a character cut short: its bytes as they came
      this.#partial = "";
    }
    if (this.#escape !== "") return this.#sequence(ch);
    if (b >= 0x20 && b !== 0x7f) {
      if (utf8Length(b) > 1) this.#partial = ch;
      else this.#insert(ch);
      return true;
    }
    this.#edited = true;
    const at = this.#cursor;
    switch (b) {
      case 0x1b:
        this.#escape = ch;
        break;
      case 0x7f:
      case 0x08:
        this.#erase(at - 1, at);
        break;
      case 0x01: // ^A
        this.#cursor = 0;
        break;
      case 0x05: // ^E
        this.#cursor = this.#chars.length;
        break;
      case 0x02: // ^B
        this.#cursor = Math.max(0, at - 1);
        break;
      case 0x06: // ^F
        this.#cursor = Math.min(this.#chars.length, at + 1);
        break;
      case 0x0b: // ^K
        this.#erase(at, this.#chars.length);
        break;
      case 0x15: // ^U
        this.#erase(0, at);
        break;
      case 0x17: { // ^W: back over blanks, then over the word
        let from = at;
        while (from > 0 && this.#chars[from - 1] === " ") from--;
        while (from > 0 && this.#chars[from - 1] !== " ") from--;
        this.#erase(from, at);
        break;
      }
      default:
        this.#insert(ch);
    }
    return false;
  }

  #insert(ch: string): void {
    this.#chars.splice(this.#cursor, 0, ch);
    this.#cursor++;
  }

  /** Erases the characters from `from` up to `to`, leaving the cursor at `from`. */
  #erase(from: number, to: number): void {
    from = Math.max(0, from);
    if (to <= from) return;
    this.#chars.splice(from, to - from);
    this.#cursor = from;
  }

  /** The next byte of an escape sequence; false: it is no key typed into the line. */
  #sequence(ch: string): false {
    this.#escape += ch;
    const b = ch.charCodeAt(0);
    if (this.#escape.length === 2) {
      if (ch === "[" || ch === "O") return false;
      this.#escape = "";
      if (ch === "b") this.#cursor = this.#wordStart();
      else if (ch === "f") this.#cursor = this.#wordEnd();
      return false; // other Alt-keys: ignored
    }
    if (b >= 0x40 && b <= 0x7e) this.#move(this.#escape.slice(2));
    else if (this.#escape.length > 16) this.#escape = ""; // not a key's sequence
    return false;
  }

  #isWord(at: number): boolean {
    return WORD.test(new TextDecoder().decode(fromLatin1(this.#chars[at])));
  }

  /** Where readline's backward-word goes: back over non-word characters, then over a word. */
  #wordStart(): number {
    let at = this.#cursor;
    while (at > 0 && !this.#isWord(at - 1)) at--;
    while (at > 0 && this.#isWord(at - 1)) at--;
    return at;
  }

  /** Where readline's forward-word goes: over non-word characters, then over a word. */
  #wordEnd(): number {
    let at = this.#cursor;
    const end = this.#chars.length;
    while (at < end && !this.#isWord(at)) at++;
    while (at < end && this.#isWord(at)) at++;
    return at;
  }

  /** The end of an escape sequence: its parameters and final byte (`D`, `3~`). */
  #move(sequence: string): void {
    this.#escape = "";
    const end = this.#chars.length;
    const word = /^1;[35]([CD])$/.exec(sequence)?.[1]; // Ctrl- or Alt-Right, -Left
    const at = word === "D"
      ? this.#wordStart()
      : word === "C"
      ? this.#wordEnd()
      : { D: this.#cursor - 1, C: this.#cursor + 1, H: 0, F: end }[sequence] ??
        { "1~": 0, "7~": 0, "4~": end, "8~": end }[sequence];
    if (at !== undefined) this.#cursor = Math.max(0, Math.min(end, at));
    else if (sequence === "3~") this.#erase(this.#cursor, this.#cursor + 1);
  }
}

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
 *
 * How the guest took a password's keys is not known for sure once it was
 * edited (a line editor moves the cursor on Left, a canonical tty types its
 * bytes in; keys no editor model knows, Up, Alt-keys, ...): every reading of
 * it is masked (see {@linkcode TypedLineEditor.readings}), and whatever the
 * guest prints from the first key that is not a printable character to the
 * end of the line after Enter is logged as `[redacted]` (its echo or redraw
 * of the line, which the keys no longer tell).
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
  /**
   * A password line was edited: guest output is masked while it is typed
   * ("typing") and after its Enter ("entered") up to the end of the line.
   */
  #blind: "typing" | "entered" | undefined;
  /** `[redacted]` was logged for the masked output on this output line. */
  #blindShown = false;
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
        if (piece === "") continue;
        if (this.#blind !== undefined) this.#masked(piece);
        else if (piece.endsWith("\n") || piece.endsWith("\r")) this.#lineEnd(piece);
        else this.#partial(piece);
      }
    }
    return this.#take();
  }

  /** Keyboard input, as it is sent to the guest. */
  input(chunk: Uint8Array): void {
    for (const b of chunk) {
      if (this.#editor.empty && !this.#atPrompt) this.#atPrompt = this.#promptShows();
      if (b === 0x0d || b === 0x0a) {
        const typed = this.#typedLine();
        if (this.#atPrompt) {
          this.#secret(typed.readings);
          this.#type(typed, true);
        } else if (this.#unanswered) {
          this.#settle(this.#candidates.splice(0), undefined); // it answers the prompt showing
          this.#type(typed, false);
        } else if (typed.text.trim() !== "") {
          // not the answer to the prompt showing: typed ahead of one to come
          this.#candidates.push(this.#type(typed, undefined));
          this.#settle(this.#candidates.splice(0, this.#candidates.length - CANDIDATES), undefined);
        } else this.#type(typed, false);
        this.#unanswered = false;
        this.#editor.clear();
        this.#atPrompt = false;
        this.#echo = "";
        if (this.#blind !== undefined) this.#blind = "entered";
      } else if (b === 0x03) { // ^C
        this.#editor.clear();
        this.#echo = "";
        if (this.#blind !== undefined) this.#blind = "entered";
      } else if (this.#editor.key(b)) {
        if (this.#atPrompt && this.#blind === undefined) this.#echo += String.fromCharCode(b);
      } else if (this.#atPrompt) {
        this.#blind = "typing"; // edited: its echo is no longer known
        this.#echo = "";
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
      this.#secret(candidates.at(-1)!.readings);
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

  /**
   * Output while a password line is edited, to the end of the line after its
   * Enter: `[redacted]` (once an output line), line ends as they came.
   */
  #masked(piece: string): void {
    const end = /[\r\n]$/.test(piece);
    if (piece.length > (end ? 1 : 0) && !this.#blindShown) {
      this.#release();
      this.#masker.record("out", REDACTED);
      this.#blindShown = true;
    }
    if (!end) return;
    this.#blindShown = false;
    this.#line = "";
    this.#unanswered = false;
    if (this.#blind === "entered") this.#blind = undefined;
    this.#release();
    this.#masker.record("out", piece.slice(-1));
  }

  /** A password, in each of its readings: masked in the log from now on. */
  #secret(readings: string[]): void {
    for (const text of readings) {
      this.#masker.addSecret(text);
      if (text === "" || this.#secrets.includes(text)) continue;
      this.#secrets.push(text);
    }
    this.#secrets.splice(0, this.#secrets.length - SECRETS_KEPT);
  }

  /** The line typed as the editor has it, `secret` not known yet. */
  #typedLine(): Typed {
    const editor = this.#editor;
    return {
      text: editor.line,
      secret: undefined,
      readings: editor.readings(),
      approximate: editor.edited,
      keys: editor.keys,
    };
  }

  /** A line typed (its Enter pressed); `secret` undefined until known. */
  #type(typed: Typed, secret: boolean | undefined): Typed {
    typed.secret = secret;
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
      const { text, secret, approximate, keys } = this.#typed.shift()!;
      const longestFirst = this.#secrets.toSorted((a, b) => b.length - a.length);
      const masked = (line: string) =>
        secret ? REDACTED : longestFirst.reduce((shown, s) => shown.replaceAll(s, REDACTED), line);
      this.#lines!({ text: masked(text), secret: secret!, approximate, keys: masked(keys) });
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
