// Copyright 2026 the xenpv authors. MIT license.

const encoder = new TextEncoder();

/** What {@linkcode EscapeScanner.scan} found in a chunk of typed input. */
export interface EscapeScan {
  /** The bytes to send to the guest: those before the escape sequence, or the whole chunk. */
  forward: Uint8Array;
  /** Whether the escape sequence was typed (the bytes after it are dropped). */
  escaped: boolean;
}

/**
 * The bytes of an escape sequence written as `xl console` and attach's
 * `--escape` take it: `"^X"` is Ctrl-X (`^@` to `^_`, a lower-case letter
 * as its upper case, `^?` DEL); anything else is taken literally (UTF-8).
 *
 * @throws {RangeError} an empty sequence.
 *
 * @example
 * ```ts
 * import { escapeSequence } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...escapeSequence("^]")], [0x1d]);
 * assert.deepEqual([...escapeSequence("^c")], [0x03]);
 * assert.deepEqual([...escapeSequence("~.")], [0x7e, 0x2e]);
 * ```
 */
export function escapeSequence(text: string): Uint8Array {
  if (typeof text !== "string") throw new TypeError("escapeSequence() takes a string");
  if (/^\^[@-_a-z?]$/.test(text)) {
    const c = text[1].toUpperCase();
    return new Uint8Array([c === "?" ? 0x7f : c.charCodeAt(0) - 0x40]);
  }
  if (text.length === 0) throw new RangeError("the escape sequence must not be empty");
  return encoder.encode(text);
}

/**
 * Finds an escape sequence (detach, like `xl console`'s `^]`) in typed
 * input, anywhere in it and across chunk boundaries: a possible start of the
 * sequence at a chunk's end is held back until the next chunk tells, or
 * until {@linkcode EscapeScanner.flush} gives it back when the input ends.
 *
 * @example A sequence split between two chunks
 * ```ts
 * import { EscapeScanner } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const scanner = new EscapeScanner("~.");
 * const text = (b: Uint8Array) => new TextDecoder().decode(b);
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * let scan = scanner.scan(bytes("echo one~"));
 * assert.deepEqual([text(scan.forward), scan.escaped], ["echo one", false]); // "~" held
 * scan = scanner.scan(bytes(".echo two"));
 * assert.deepEqual([text(scan.forward), scan.escaped], ["", true]);
 *
 * const ctrl = new EscapeScanner(); // ^] by default
 * assert.equal(ctrl.scan(new Uint8Array([0x61, 0x1d])).escaped, true);
 * ```
 */
export class EscapeScanner {
  #seq: Uint8Array;
  #held = new Uint8Array(0);

  /**
   * `escape`: the sequence's bytes, or its text as {@linkcode escapeSequence}
   * reads it (default `"^]"`, Ctrl-]).
   *
   * @throws {RangeError} an empty sequence.
   */
  constructor(escape: string | Uint8Array = "^]") {
    this.#seq = typeof escape === "string" ? escapeSequence(escape) : escape.slice();
    if (this.#seq.length === 0) throw new RangeError("the escape sequence must not be empty");
  }

  /** The escape sequence's bytes. */
  get sequence(): Uint8Array {
    return this.#seq.slice();
  }

  /**
   * The chunk (after any bytes held back from the one before) up to the
   * escape sequence, and whether it was typed.
   */
  scan(chunk: Uint8Array): EscapeScan {
    const data = new Uint8Array(this.#held.length + chunk.length);
    data.set(this.#held);
    data.set(chunk, this.#held.length);
    const seq = this.#seq;
    outer: for (let i = 0; i < data.length; i++) {
      for (let j = 0; j < seq.length; j++) {
        if (i + j >= data.length) {
          // a possible start of the sequence at the end: hold it back
          this.#held = data.slice(i);
          return { forward: data.subarray(0, i), escaped: false };
        }
        if (data[i + j] !== seq[j]) continue outer;
      }
      this.#held = new Uint8Array(0);
      return { forward: data.subarray(0, i), escaped: true };
    }
    this.#held = new Uint8Array(0);
    return { forward: data, escaped: false };
  }

  /**
   * The input ended: the bytes held back as a possible start of the escape
   * sequence (it was none), to send to the guest; empty if none are held.
   * The scanner holds nothing after it.
   *
   * @example Input ending in the start of the sequence
   * ```ts
   * import { EscapeScanner } from "@xenpv/console/xencons";
   * import assert from "node:assert/strict";
   *
   * const scanner = new EscapeScanner("~.");
   * const text = (b: Uint8Array) => new TextDecoder().decode(b);
   * assert.equal(text(scanner.scan(new TextEncoder().encode("echo a~")).forward), "echo a");
   * assert.equal(text(scanner.flush()), "~"); // no "." came: the "~" was typed
   * assert.equal(scanner.flush().length, 0);
   * ```
   */
  flush(): Uint8Array {
    const held = this.#held;
    this.#held = new Uint8Array(0);
    return held;
  }
}
