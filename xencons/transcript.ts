// Copyright 2026 the xenpv authors. MIT license.

import { quote } from "../_sys/text.ts";

/** One piece of console traffic. */
export interface TranscriptEntry {
  /** When it was sent or received (ms since the epoch). */
  time: number;
  /** `"out"`: printed by the guest; `"in"`: typed by us; `"note"`: a remark of the session. */
  direction: "in" | "out" | "note";
  /** The text, with secrets replaced by `[redacted]`. */
  text: string;
}

/** Options for {@linkcode Transcript}. */
export interface TranscriptOptions {
  /** Keep at most this many characters of entries (oldest dropped). Default 1 MiB. */
  limit?: number;
  /** Called with every entry as it is recorded (already redacted), e.g. to stream a log. */
  sink?: (entry: TranscriptEntry) => void;
}

const REDACTED = "[redacted]";
/** The shortest piece of a secret that redact() masks at the ends of a text. */
const MIN_PIECE = 3;

/**
 * A timestamped record of what went over a console, bounded in size, in which
 * passwords never appear: text sent as secret is recorded as `[redacted]`, and
 * a registered secret is also masked if the guest ever prints it, even one
 * character at a time. Text that could be the start of a secret (at most its
 * length - 1 characters at the end of what was recorded) is held back until
 * what follows shows whether it is one; {@linkcode Transcript.flush} records
 * what is still held, as `[redacted]`. Neither `entries` nor the sink ever see
 * part of a secret.
 *
 * @example
 * ```ts
 * import { Transcript } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const logged: string[] = [];
 * const t = new Transcript({ sink: (e) => logged.push(e.text) });
 * t.record("out", "Password: ");
 * t.record("in", "hunter2\r", { secret: true });
 * for (const ch of "echoed hunter2 by mistake") t.record("out", ch); // a guest echoing it
 * assert.doesNotMatch(t.toString(), /hunter2/);
 * assert.doesNotMatch(logged.join(""), /hunt/);
 * assert.equal(t.entries[1].text, "[redacted]\r"); // the Enter key stays visible
 * ```
 */
export class Transcript {
  #entries: TranscriptEntry[] = [];
  #size = 0;
  #limit: number;
  #sink: ((entry: TranscriptEntry) => void) | undefined;
  #secrets: string[] = [];
  /** Per direction: recorded text held back because it could be the start of a secret. */
  #held = { in: "", out: "" };

  /** Makes an empty transcript. */
  constructor(options: TranscriptOptions = {}) {
    const limit = options.limit ?? 1 << 20;
    if (!Number.isInteger(limit) || limit < 0) {
      throw new RangeError(`transcript limit must be a non-negative integer, got ${limit}`);
    }
    this.#limit = limit;
    this.#sink = options.sink;
  }

  /** The entries still held, oldest first. */
  get entries(): readonly TranscriptEntry[] {
    return this.#entries;
  }

  /** Masks `secret` in every later entry (a password, a token). Empty strings are ignored. */
  addSecret(secret: string): void {
    if (typeof secret !== "string") {
      throw new TypeError(`a secret must be a string, got ${typeof secret}`);
    }
    if (secret.length > 0 && !this.#secrets.includes(secret)) this.#secrets.push(secret);
  }

  /** Records text; `secret` replaces it whole and remembers it for masking. */
  record(
    direction: TranscriptEntry["direction"],
    text: string,
    options?: { secret?: boolean },
  ): void {
    if (direction !== "in" && direction !== "out" && direction !== "note") {
      throw new TypeError(`direction must be "in", "out" or "note", got ${String(direction)}`);
    }
    if (typeof text !== "string") throw new TypeError(`text must be a string, got ${typeof text}`);
    if (options?.secret) {
      this.addSecret(text.replace(/[\r\n]+$/, ""));
      text = REDACTED + (/\r?\n?$/.exec(text)?.[0] ?? "");
    } else if (direction === "note") {
      text = this.#mask(text);
    } else {
      const masked = this.#mask(this.#held[direction] + text);
      const keep = this.#startOfSecret(masked);
      this.#held[direction] = masked.slice(masked.length - keep);
      text = masked.slice(0, masked.length - keep);
      if (text === "") return;
    }
    this.#add(direction, text);
  }

  /**
   * Records what is held back as the possible start of a secret, as
   * `[redacted]` (call it when the console is done: nothing more can follow).
   */
  flush(): void {
    for (const direction of ["out", "in"] as const) {
      if (this.#held[direction] === "") continue;
      this.#held[direction] = "";
      this.#add(direction, REDACTED);
    }
  }

  #add(direction: TranscriptEntry["direction"], text: string): void {
    const entry: TranscriptEntry = { time: Date.now(), direction, text };
    this.#sink?.(entry);
    const last = this.#entries.at(-1);
    if (
      last && last.direction === direction && direction !== "note" && entry.time - last.time < 50
    ) {
      // Coalesce a burst of small chunks (no secret can straddle two: its
      // start would have been held back).
      last.text += text;
    } else {
      this.#entries.push({ ...entry }); // its own object: coalescing must not change what the sink got
    }
    this.#size += text.length;
    while (this.#size > this.#limit && this.#entries.length > 0) {
      this.#size -= this.#entries.shift()!.text.length;
    }
  }

  /** How many characters at the end of `text` could begin a secret (the longest such suffix). */
  #startOfSecret(text: string): number {
    let keep = 0;
    for (const s of this.#secrets) {
      for (let k = Math.min(s.length - 1, text.length); k > keep; k--) {
        if (text.endsWith(s.slice(0, k))) {
          keep = k;
          break;
        }
      }
    }
    return keep;
  }

  #mask(text: string): string {
    for (const s of this.#secrets) text = text.replaceAll(s, REDACTED);
    return text;
  }

  /**
   * `text` with every secret masked, also a piece of one cut off at either
   * end (a tail of console output may begin in the middle of a password):
   * for text that leaves the transcript, such as an error's message.
   */
  redact(text: string): string {
    text = this.#mask(text);
    for (const s of this.#secrets) {
      const shortest = Math.min(s.length, MIN_PIECE);
      for (let k = s.length - 1; k >= shortest; k--) {
        if (text.startsWith(s.slice(s.length - k))) {
          text = REDACTED + text.slice(k);
          break;
        }
      }
      for (let k = s.length - 1; k >= shortest; k--) {
        if (text.endsWith(s.slice(0, k))) {
          text = text.slice(0, text.length - k) + REDACTED;
          break;
        }
      }
    }
    return text;
  }

  /** Drops every entry (secrets stay registered). */
  clear(): void {
    this.#entries = [];
    this.#size = 0;
  }

  /**
   * One line per entry: UTC time, `<` (guest output), `>` (typed) or `#`
   * (note), and the text quoted so that control characters (C0 and C1)
   * show as escapes and never reach a terminal.
   */
  toString(): string {
    return this.#entries.map((e) =>
      `${new Date(e.time).toISOString().slice(11, 23)} ${
        e.direction === "out" ? "<" : e.direction === "in" ? ">" : "#"
      } ${quote(e.text)}`
    ).join("\n");
  }
}
