// Copyright 2026 the xenpv authors. MIT license.

import { CodePage, type CodePageDecoder } from "./code_page.ts";
import { stripAnsi } from "./strip_ansi.ts";

/** Options for {@linkcode ConsoleEncoding}. */
export interface ConsoleEncodingOptions {
  /**
   * Told when auto mode switches pages (a `chcp` answer named another one),
   * with the new page and the one before.
   */
  onPageChange?: (page: CodePage, previous: CodePage) => void;
}

/** Options for {@linkcode ConsoleEncoding.encode}. */
export interface ConsoleEncodeOptions {
  /**
   * Leave out each character the page lacks, telling this function, instead
   * of throwing {@linkcode UnencodableError}.
   */
  onUnencodable?: (character: string) => void;
}

/** chcp's answer in any language: a line that is not a prompt, ending in the page's number. */
const CHCP_ANSWER = /^[^\d>]*?(\d{3,5})\.?\s*$/;
/** The echo of a typed `chcp` (at a cmd prompt, or alone). */
const CHCP_COMMAND = /(?:^|[>&]\s*)chcp(?:\s+\d+)?\s*(?:>\s*nul)?\s*$/i;
/** What a line holding a chcp command holds. */
const CHCP = /chcp/i;
/** Bytes as one character each: to look for ASCII in any page's bytes. */
const latin1 = new TextDecoder("latin1");
/** The longest unfinished output line kept to watch for chcp. */
const LINE_KEPT = 256;

const UTF8 = 65001;

/**
 * The code page between a guest's console and a UTF-8 user: guest output
 * decoded to text, typed text encoded for the guest. Fixed to one page, or
 * `"auto"`: UTF-8 until the guest answers a `chcp` (its echo, then a line
 * ending in the page's number, in any language: `Active code page: 850`,
 * `Aktive Codepage: 850.`), then the page it names, if there is a table
 * for it ({@linkcode CodePage.supported}).
 *
 * In auto mode the page follows what the guest prints: a guest that prints
 * a fake chcp answer changes how its own output is decoded, and the page
 * typed text is sent in. Nothing else.
 *
 * @example Auto: UTF-8 until chcp answers
 * ```ts
 * import { ConsoleEncoding, UnencodableError } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const pages: string[] = [];
 * const enc = new ConsoleEncoding("auto", { onPageChange: (page) => pages.push(page.name) });
 * assert.equal(enc.page.id, 65001);
 * enc.decode(new TextEncoder().encode("C:\\>chcp\r\nActive code page: 850\r\n\r\nC:\\>"));
 * assert.deepEqual(pages, ["cp850"]);
 * // cp850 bytes: "Müller" (ü is 0x81)
 * assert.equal(enc.decode(new Uint8Array([0x4d, 0x81, 0x6c, 0x6c, 0x65, 0x72])), "Müller");
 * assert.deepEqual([...enc.encode("ß")], [0xe1]);
 * assert.throws(() => enc.encode("5 €"), UnencodableError);
 * const left: string[] = [];
 * assert.deepEqual([...enc.encode("5 €", { onUnencodable: (c) => left.push(c) })], [0x35, 0x20]);
 * assert.deepEqual(left, ["€"]);
 * ```
 *
 * @example A fixed page
 * ```ts
 * import { ConsoleEncoding } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const enc = new ConsoleEncoding(850);
 * assert.equal(enc.auto, false);
 * assert.equal(enc.decode(new Uint8Array([0x84, 0x94])), "äö");
 * ```
 */
export class ConsoleEncoding {
  #page: CodePage;
  #auto: boolean;
  #decoder: CodePageDecoder;
  #onPageChange: ((page: CodePage, previous: CodePage) => void) | undefined;
  /** Auto mode: the current output line, and whether a chcp's answer comes next. */
  #line = "";
  #chcp = false;
  #answered: (() => void)[] = [];

  /**
   * `setting`: `"auto"` (the default), or the page: a {@linkcode CodePage},
   * its number (`850`, `65001`) or name (`"cp850"`, `"utf-8"`).
   *
   * @throws {RangeError} a page without a table.
   * @throws {TypeError} a bad `onPageChange`.
   */
  constructor(
    setting: "auto" | CodePage | number | string = "auto",
    options: ConsoleEncodingOptions = {},
  ) {
    this.#auto = setting === "auto";
    this.#page = setting instanceof CodePage
      ? setting
      : CodePage.of(setting === "auto" ? UTF8 : setting);
    this.#decoder = this.#page.decoder();
    if (options.onPageChange !== undefined && typeof options.onPageChange !== "function") {
      throw new TypeError("onPageChange must be a function");
    }
    this.#onPageChange = options.onPageChange;
  }

  /** The page in use now. */
  get page(): CodePage {
    return this.#page;
  }

  /** Whether the page follows the guest's chcp answers. */
  get auto(): boolean {
    return this.#auto;
  }

  /**
   * Guest output as text, streaming (a UTF-8 sequence cut between chunks
   * waits for the next). Auto mode watches it for chcp's answer: output
   * after the answer's line is decoded in the new page.
   */
  decode(chunk: Uint8Array): string {
    if (!this.#auto) return this.#decoder.decode(chunk, { stream: true });
    if (!this.#chcp && !this.#mentionsChcp(latin1.decode(chunk))) {
      const text = this.#decoder.decode(chunk, { stream: true });
      this.#watch(text);
      return text;
    }
    // Decode up to each line end, so a page switch applies from the next line on.
    let text = "";
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== 0x0a) continue;
      const piece = this.#decoder.decode(chunk.subarray(from, i + 1), { stream: true });
      text += piece;
      from = i + 1;
      this.#watch(piece);
    }
    if (from < chunk.length) {
      const piece = this.#decoder.decode(chunk.subarray(from), { stream: true });
      text += piece;
      this.#watch(piece);
    }
    return text;
  }

  /**
   * `text` in the page, for the guest. A character the page lacks throws
   * {@linkcode UnencodableError} (and nothing is returned), or, with
   * `onUnencodable`, is left out and reported.
   */
  encode(text: string, options: ConsoleEncodeOptions = {}): Uint8Array {
    if (typeof text !== "string") throw new TypeError("encode() takes a string");
    const report = options.onUnencodable;
    if (report === undefined || this.#page.unencodable(text) === undefined) {
      return this.#page.encode(text);
    }
    let kept = "";
    for (const c of text) {
      if (this.#page.unencodable(c) === undefined) kept += c;
      else report(c);
    }
    return this.#page.encode(kept);
  }

  /**
   * Resolves once no chcp answer is awaited, or after `ms`: in auto mode,
   * typing after a `chcp` should wait for the page its answer names.
   */
  settled(ms: number): Promise<void> {
    if (!this.#auto || !this.#chcp) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const at = this.#answered.indexOf(done);
        if (at >= 0) this.#answered.splice(at, 1);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#answered.push(done);
    });
  }

  /**
   * Whether the current line and `text` after it may hold a chcp (the word
   * may be in the line already, typed a key at a time, with its line end
   * still to come). ASCII is the same in every page.
   */
  #mentionsChcp(text: string): boolean {
    return CHCP.test(this.#line) || CHCP.test(this.#line.slice(-3) + text);
  }

  #watch(text: string): void {
    if (!this.#chcp && !this.#mentionsChcp(text)) {
      // the common case, quick: no chcp to see, only the current line to keep
      const all = this.#line + text;
      const end = all.endsWith("\r") ? all.length - 1 : all.length;
      const cut = Math.max(all.lastIndexOf("\n", end - 1), all.lastIndexOf("\r", end - 1));
      this.#line = all.slice(Math.max(cut + 1, all.length - LINE_KEPT));
      return;
    }
    const lines = (this.#line + text).split(/\r?\n|\r(?!$)/);
    this.#line = lines.pop()!.slice(-LINE_KEPT);
    for (const raw of lines) {
      const line = stripAnsi(raw);
      if (this.#chcp && line.trim() !== "") {
        this.#chcp = false;
        for (const done of this.#answered.slice()) done();
        const m = CHCP_ANSWER.exec(line);
        const id = m ? Number(m[1]) : undefined;
        if (id !== undefined && id !== this.#page.id && CodePage.has(id)) {
          const previous = this.#page;
          this.#page = CodePage.of(id);
          this.#decoder = this.#page.decoder();
          this.#onPageChange?.(this.#page, previous);
        }
      }
      if (CHCP_COMMAND.test(line)) this.#chcp = true;
    }
  }
}
