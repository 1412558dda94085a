// Copyright 2026 the xenpv authors. MIT license.

import { UPPER_HALVES } from "./_code_page_tables.ts";
import { UnencodableError } from "./errors.ts";

/** A streaming decoder of a {@linkcode CodePage}: what `TextDecoder` does for UTF-8. */
export interface CodePageDecoder {
  /** Decodes `bytes`; with `stream: true` an unfinished UTF-8 sequence waits for the next call. */
  decode(bytes?: Uint8Array, options?: { stream?: boolean }): string;
}

/** Options for {@linkcode CodePage.encode}. */
export interface EncodeOptions {
  /**
   * Put this byte in place of a character the page cannot carry instead of
   * throwing (Windows itself writes `?`, 0x3F). Default: throw.
   */
  replacement?: number;
  /** The text is secret: an error does not name the character. */
  secret?: boolean;
}

const UTF8 = 65001;
const pages = new Map<number, CodePage>();
let construct = false;

/**
 * A console code page: the bytes a Windows guest's console reads and writes.
 * The OEM pages Windows consoles use by default (437 US, 850 Western Europe,
 * 852 Central Europe, 857 Turkish, 866 Cyrillic), the ANSI pages 1250-1252,
 * and UTF-8 (65001, what `chcp 65001` selects).
 *
 * Bytes 0x00-0x7F are ASCII in every page. A byte a page leaves undefined
 * (0x81 in 1252, 0xD5 in 857) decodes to U+FFFD; U+FFFD cannot be encoded.
 * Encoding a character the page has no byte for throws
 * {@linkcode UnencodableError} before anything is returned.
 *
 * @example
 * ```ts
 * import { CodePage, UnencodableError } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const cp850 = CodePage.of(850);
 * assert.equal(cp850.decode(new Uint8Array([0x4d, 0x81, 0x6c, 0x6c, 0x65, 0x72])), "Müller");
 * assert.deepEqual([...cp850.encode("ß")], [0xe1]);
 * assert.throws(() => cp850.encode("5 €"), UnencodableError);
 * assert.equal(CodePage.of("cp1252").id, 1252);
 * ```
 */
export class CodePage {
  /** The page's number: 850, 1252, 65001. */
  readonly id: number;
  /** Its name: `"cp850"`, `"windows-1252"`, `"ibm866"`, `"utf-8"`. */
  readonly name: string;
  #decode: Uint16Array | undefined;
  #encode: Map<number, number> | undefined;

  /** @internal Use {@linkcode CodePage.of}. */
  constructor(id: number, name: string, upper: string | undefined) {
    if (!construct) throw new TypeError("use CodePage.of() to get a code page");
    this.id = id;
    this.name = name;
    if (upper === undefined) return;
    const decode = new Uint16Array(256);
    const encode = new Map<number, number>();
    for (let b = 0; b < 256; b++) {
      const c = b < 0x80 ? b : upper.charCodeAt(b - 0x80);
      decode[b] = c;
      if (c !== 0xfffd && !encode.has(c)) encode.set(c, b);
    }
    this.#decode = decode;
    this.#encode = encode;
  }

  /** The code pages there are tables for (UTF-8, 65001, too). */
  static get supported(): number[] {
    return [...UPPER_HALVES.keys(), UTF8];
  }

  /**
   * The code page `page`: its number (`850`, `65001`, what `chcp` prints) or
   * a name (`"cp850"`, `"ibm850"`, `"850"`, `"windows-1252"`, `"utf-8"`).
   * Throws RangeError for a page there is no table for.
   */
  static of(page: number | string): CodePage {
    const id = CodePage.#number(page);
    if (id === undefined || (id !== UTF8 && !UPPER_HALVES.has(id))) {
      throw new RangeError(
        `no table for code page ${JSON.stringify(page)}: use one of ${
          CodePage.supported.join(", ")
        } (or a name like "cp850", "windows-1252", "utf-8")`,
      );
    }
    let cp = pages.get(id);
    if (!cp) {
      const name = id === UTF8
        ? "utf-8"
        : id >= 1250
        ? `windows-${id}`
        : id === 866
        ? "ibm866"
        : `cp${id}`;
      construct = true;
      try {
        cp = new CodePage(id, name, UPPER_HALVES.get(id));
      } finally {
        construct = false;
      }
      pages.set(id, cp);
    }
    return cp;
  }

  /** Whether `page` names a code page there is a table for (see {@linkcode CodePage.of}). */
  static has(page: number | string): boolean {
    const id = CodePage.#number(page);
    return id !== undefined && (id === UTF8 || UPPER_HALVES.has(id));
  }

  static #number(page: number | string): number | undefined {
    if (typeof page === "number") return Number.isInteger(page) ? page : undefined;
    if (typeof page !== "string") return undefined;
    const label = page.trim().toLowerCase();
    if (label === "utf-8" || label === "utf8" || label === "unicode-1-1-utf-8") return UTF8;
    const m = /^(?:cp|ibm|windows-|oem)?-?(\d{3,5})$/.exec(label);
    return m ? Number(m[1]) : undefined;
  }

  /** Decodes `bytes` (a single-byte page has no state between calls; UTF-8 here replaces a cut sequence). */
  decode(bytes: Uint8Array): string {
    return this.decoder().decode(bytes);
  }

  /** A streaming decoder (only UTF-8 keeps state: a sequence cut between chunks). */
  decoder(): CodePageDecoder {
    const table = this.#decode;
    if (!table) return new TextDecoder("utf-8");
    return {
      decode(bytes?: Uint8Array): string {
        if (!bytes || bytes.length === 0) return "";
        const units = new Uint16Array(bytes.length);
        for (let i = 0; i < bytes.length; i++) units[i] = table[bytes[i]];
        return utf16.decode(units);
      },
    };
  }

  /**
   * The bytes of `text` in this page. Throws {@linkcode UnencodableError}
   * for the first character the page has no byte for (unless `replacement`
   * is given); then nothing is returned at all.
   */
  encode(text: string, options: EncodeOptions = {}): Uint8Array {
    if (typeof text !== "string") throw new TypeError("encode() takes a string");
    const map = this.#encode;
    if (!map || !NON_ASCII.test(text)) return utf8.encode(text); // ASCII is ASCII everywhere
    const replacement = options.replacement;
    if (
      replacement !== undefined &&
      !(Number.isInteger(replacement) && replacement >= 0 && replacement < 256)
    ) {
      throw new RangeError(`replacement must be a byte (0-255), got ${replacement}`);
    }
    const out = new Uint8Array(text.length);
    let n = 0;
    for (const ch of text) {
      const c = ch.codePointAt(0)!;
      const b = c < 0x80 ? c : map.get(c);
      if (b === undefined) {
        if (replacement === undefined) {
          throw new UnencodableError(options.secret ? undefined : ch, this.id);
        }
        out[n++] = replacement;
      } else out[n++] = b;
    }
    return out.subarray(0, n);
  }

  /** The first character of `text` this page cannot encode, or `undefined`. */
  unencodable(text: string): string | undefined {
    const map = this.#encode;
    if (!map) return undefined;
    for (const ch of text) {
      const c = ch.codePointAt(0)!;
      if (c >= 0x80 && !map.has(c)) return ch;
    }
    return undefined;
  }
}

const utf16 = new TextDecoder("utf-16le");
const NON_ASCII = /[^\p{ASCII}]/u;
const utf8 = new TextEncoder();
