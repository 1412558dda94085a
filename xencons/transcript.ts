// Copyright 2026 the xenpv authors. MIT license.

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

/**
 * A timestamped record of what went over a console, bounded in size, in which
 * passwords never appear: text sent as secret is recorded as `[redacted]`, and
 * a registered secret is also masked if the guest ever prints it.
 *
 * @example
 * ```ts
 * import { Transcript } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const t = new Transcript();
 * t.record("out", "Password: ");
 * t.record("in", "hunter2\r", { secret: true });
 * t.record("out", "echoed hunter2 by mistake");
 * assert.doesNotMatch(t.toString(), /hunter2/);
 * assert.equal(t.entries[1].text, "[redacted]\r"); // the Enter key stays visible
 * ```
 */
export class Transcript {
  #entries: TranscriptEntry[] = [];
  #size = 0;
  #limit: number;
  #sink: ((entry: TranscriptEntry) => void) | undefined;
  #secrets: string[] = [];
  #longest = 0;
  /** The last `#longest - 1` characters of the newest entry. */
  #tail = "";

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
    if (secret.length > 0 && !this.#secrets.includes(secret)) {
      this.#secrets.push(secret);
      this.#longest = Math.max(this.#longest, secret.length);
    }
  }

  /** Records text; `secret` replaces it whole and remembers it for masking. */
  record(
    direction: TranscriptEntry["direction"],
    text: string,
    options?: { secret?: boolean },
  ): void {
    if (options?.secret) {
      this.addSecret(text.replace(/[\r\n]+$/, ""));
      text = REDACTED + (/\r?\n?$/.exec(text)?.[0] ?? "");
    } else {
      text = this.#mask(text);
    }
    const entry: TranscriptEntry = { time: Date.now(), direction, text };
    this.#sink?.(entry);
    const last = this.#entries.at(-1);
    if (
      last && last.direction === direction && direction !== "note" && entry.time - last.time < 50
    ) {
      // Coalesce a burst of small chunks. A secret split across them can only
      // sit at the seam, so only the seam is re-masked (the entry itself is
      // never rescanned or sliced: a flood would make that quadratic).
      const seam = this.#tail + text;
      const masked = this.#mask(seam);
      const before = last.text.length;
      if (masked === seam) last.text += text;
      else last.text = last.text.slice(0, before - this.#tail.length) + masked;
      this.#size += last.text.length - before;
      this.#tail = this.#tailOf(masked);
    } else {
      this.#entries.push(entry);
      this.#size += text.length;
      this.#tail = this.#tailOf(text);
    }
    while (this.#size > this.#limit && this.#entries.length > 0) {
      this.#size -= this.#entries.shift()!.text.length;
    }
  }

  /** The end of an entry in which the start of a secret could hide. */
  #tailOf(text: string): string {
    const keep = this.#longest - 1;
    return keep > 0 ? text.slice(Math.max(0, text.length - keep)) : "";
  }

  #mask(text: string): string {
    for (const s of this.#secrets) text = text.replaceAll(s, REDACTED);
    return text;
  }

  /** Drops every entry (secrets stay registered). */
  clear(): void {
    this.#entries = [];
    this.#size = 0;
  }

  /**
   * One line per entry: UTC time, `<` (guest output), `>` (typed) or `#`
   * (note), and the text as a JSON string so control characters show.
   */
  toString(): string {
    return this.#entries.map((e) =>
      `${new Date(e.time).toISOString().slice(11, 23)} ${
        e.direction === "out" ? "<" : e.direction === "in" ? ">" : "#"
      } ${JSON.stringify(e.text)}`
    ).join("\n");
  }
}
