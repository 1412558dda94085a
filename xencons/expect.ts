// Copyright 2026 the xenpv authors. MIT license.

import { CodePage, type CodePageDecoder } from "./code_page.ts";
import { ExpectTimeoutError, StreamEndedError } from "./errors.ts";
import { stripAnsi as strip } from "./strip_ansi.ts";
import { Transcript } from "./transcript.ts";

/** What {@linkcode Expect.expect} waits for: literal text or a regular expression. */
export type Pattern = string | RegExp;

/** A console as the expect layer needs it: bytes in, bytes out. */
export interface ConsoleStreams {
  /** What the guest prints. */
  readable: ReadableStream<Uint8Array>;
  /** What is typed at the guest. */
  writable: WritableStream<Uint8Array>;
}

/** Options for {@linkcode Expect}. */
export interface ExpectOptions {
  /**
   * How many characters of unmatched output are kept for matching (older text
   * is dropped and counted in {@linkcode ExpectMatch.dropped}). Default 65536.
   */
  window?: number;
  /**
   * Remove ANSI escape sequences before matching (a prompt in colour still
   * matches). Default true, as in `ConsoleSession`; false matches the raw text.
   */
  stripAnsi?: boolean;
  /**
   * Messages to cut out of the output before matching (kernel printk lines,
   * driver log lines) wherever they land, even mid-line. A global RegExp that
   * matches one whole message ending in `\n`, shorter than 1 KiB, with no
   * other `\n` inside. Default: none.
   */
  noise?: RegExp | null;
  /** Where traffic is recorded (default: a new bounded {@linkcode Transcript}). */
  transcript?: Transcript;
  /**
   * How the guest's bytes are decoded and typed text encoded: a console code
   * page (`850`, `"cp850"`, `"windows-1252"`, `"utf-8"`; see
   * {@linkcode CodePage}) or any other TextDecoder label (then input is sent
   * as UTF-8). Default "utf-8". {@linkcode Expect.setEncoding} changes it.
   */
  encoding?: string | number;
}

/** Per-call options of {@linkcode Expect.expect}. */
export interface ExpectCallOptions {
  /** Fires to give up: with `AbortSignal.timeout()` the error is an {@linkcode ExpectTimeoutError}. */
  signal?: AbortSignal;
  /**
   * Keep up to this many characters of text before the match (default: the
   * window). Raise it to collect a command's whole output.
   */
  maxBefore?: number;
}

/** The result of {@linkcode Expect.expect}. */
export interface ExpectMatch {
  /** Which pattern matched (its position in the list). */
  index: number;
  /** The pattern that matched. */
  pattern: Pattern;
  /** The matched text. */
  match: string;
  /** Capture groups of a RegExp match (empty for strings). */
  groups: (string | undefined)[];
  /** The text between the previous match (or the last discard) and this one. */
  before: string;
  /** How many characters before `before` were dropped to keep memory bounded. */
  dropped: number;
}

interface Waiter {
  patterns: Pattern[];
  regexps: (RegExp | undefined)[];
  scanFrom: number;
  maxBefore: number;
  resolve(m: ExpectMatch): void;
  reject(e: unknown): void;
}

/** How far back a RegExp is re-tried when new text arrives. */
const REGEXP_OVERLAP = 4096;
/** Noise messages and escape sequences are assumed shorter than this. */
const NOISE_MAX = 1024;
/**
 * Characters kept in the active tail that is searched and cleaned; older
 * text moves to a list of settled pieces that is only joined when a match
 * takes it, so long outputs cost linear time, not quadratic.
 */
const ACTIVE = 2 * REGEXP_OVERLAP;

/** The decoder and, for a code page, the encoder of an encoding option. */
function codecOf(
  encoding: string | number,
): { page: CodePage | undefined; decoder: CodePageDecoder } {
  if (CodePage.has(encoding)) {
    const page = CodePage.of(encoding);
    return { page, decoder: page.decoder() };
  }
  if (typeof encoding !== "string") {
    throw new RangeError(
      `encoding: no code page ${encoding}; use one of ${CodePage.supported.join(", ")}`,
    );
  }
  return { page: undefined, decoder: new TextDecoder(encoding) }; // RangeError for a bad label
}

function describe(p: Pattern): string {
  return typeof p === "string" ? JSON.stringify(p) : String(p);
}

/**
 * The expect layer over any console stream: wait for one of several
 * patterns, get which matched and the text before it, send input. Matching
 * works on a bounded window so memory never grows with output; traffic goes
 * to a {@linkcode Transcript} with passwords redacted. Every wait takes an
 * AbortSignal (use `AbortSignal.timeout(ms)` for timeouts).
 *
 * The console is read continuously from construction on (what nobody waits
 * for is trimmed to the window), so the guest never stalls on a full ring.
 *
 * @example
 * ```ts
 * import { Expect } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * // Any {readable, writable} pair works; here, a fake guest.
 * const typed: string[] = [];
 * const readable = new ReadableStream<Uint8Array>({
 *   start(c) {
 *     c.enqueue(new TextEncoder().encode("\r\nWIN1 login: "));
 *     c.close();
 *   },
 * });
 * const writable = new WritableStream<Uint8Array>({
 *   write(chunk) { typed.push(new TextDecoder().decode(chunk)); },
 * });
 * await using ex = new Expect({ readable, writable });
 * const m = await ex.expect([/(\S+) login: $/, "Password: "], { signal: AbortSignal.timeout(1000) });
 * assert.equal(m.index, 0);
 * assert.equal(m.groups[0], "WIN1");
 * await ex.send("Administrator\r");
 * assert.deepEqual(typed, ["Administrator\r"]);
 * ```
 */
export class Expect implements AsyncDisposable {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #decoder: CodePageDecoder;
  #page: CodePage | undefined;
  #encoding: string;
  #transcript: Transcript;
  #window: number;
  #stripAnsi: boolean;
  #noise: RegExp | null;
  /** Settled text, older than the active tail: never searched again. */
  #head: string[] = [];
  #headLength = 0;
  /** The active tail: searched for patterns and cleaned of noise. */
  #pending = "";
  #cleanFrom = 0;
  #dropped = 0;
  #ended = false;
  #failure: unknown;
  #closed = false;
  #waiter: Waiter | undefined;
  #pump: Promise<void>;
  #listeners = new Set<(text: string) => void>();
  /**
   * The bound the last match kept text to: until the next expect() is
   * waiting, text after that match is kept as far (a command's output that
   * arrives with its begin marker must not be cut to the window before the
   * end marker is awaited).
   */
  #keep = 0;

  /** Starts reading `console`. It takes the reader and writer locks until {@linkcode close}. */
  constructor(console: ConsoleStreams, options: ExpectOptions = {}) {
    if (
      !(console?.readable instanceof ReadableStream) ||
      !(console.writable instanceof WritableStream)
    ) {
      throw new TypeError(
        "Expect needs a console with a ReadableStream readable and a WritableStream writable",
      );
    }
    const window = options.window ?? 65536;
    if (!Number.isInteger(window) || window < 256) {
      throw new RangeError(`window must be an integer >= 256, got ${window}`);
    }
    if (options.noise != null && !(options.noise instanceof RegExp && options.noise.global)) {
      throw new TypeError("noise must be a global RegExp (with the g flag)");
    }
    this.#window = window;
    this.#stripAnsi = options.stripAnsi ?? true;
    this.#noise = options.noise ?? null;
    this.#transcript = options.transcript ?? new Transcript();
    const codec = codecOf(options.encoding ?? "utf-8");
    this.#decoder = codec.decoder;
    this.#page = codec.page;
    this.#encoding = codec.page?.name ?? String(options.encoding);
    this.#reader = console.readable.getReader();
    this.#writer = console.writable.getWriter();
    this.#pump = this.#read();
  }

  /** The encoding in use: a code page's name (`"cp850"`, `"utf-8"`) or the TextDecoder label given. */
  get encoding(): string {
    return this.#encoding;
  }

  /**
   * Decodes what arrives from now on, and encodes what is sent, in
   * `encoding` (as the `encoding` option; e.g. after `chcp 850`). Text
   * already received stays as it was decoded; a UTF-8 sequence cut at the
   * switch becomes U+FFFD.
   */
  setEncoding(encoding: string | number): void {
    const codec = codecOf(encoding);
    if (!this.#closed && !this.#ended) this.#ingest(this.#decoder.decode());
    this.#decoder = codec.decoder;
    this.#page = codec.page;
    this.#encoding = codec.page?.name ?? String(encoding);
  }

  /** The record of this console's traffic. */
  get transcript(): Transcript {
    return this.#transcript;
  }

  /** The unmatched text received so far (cleaned as configured). */
  get buffer(): string {
    return this.#head.join("") + this.#pending;
  }

  /** Whether the console stream has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Calls `fn` with every piece of cleaned text as it arrives; returns an unsubscribe function. */
  onText(fn: (text: string) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Resolves once the console has printed nothing for `ms` milliseconds (or
   * has ended): the backlog and a slow guest's pending output are then in
   * {@linkcode buffer}.
   */
  quiet(ms: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`quiet() needs ms >= 0, got ${ms}`);
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout>;
      const finish = (err?: unknown) => {
        clearTimeout(timer);
        off();
        signal?.removeEventListener("abort", onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => finish(), this.#ended ? 0 : ms);
      };
      const onAbort = () => finish(signal!.reason);
      const off = this.onText(arm);
      signal?.addEventListener("abort", onAbort, { once: true });
      arm();
    });
  }

  /** Drops the unmatched text (stale output) and returns it. */
  discard(): string {
    const text = this.buffer;
    this.#head = [];
    this.#headLength = 0;
    this.#pending = "";
    this.#cleanFrom = 0;
    this.#dropped = 0;
    return text;
  }

  /**
   * Waits until one of `patterns` appears in the output and consumes the
   * output through the match. The earliest match wins; on a tie, the first
   * pattern. A string matches literally; a RegExp is tried as written (so
   * `$` means "at the end of what has arrived", handy for prompts). RegExp
   * matches longer than 4 KiB may be missed.
   */
  expect(patterns: Pattern | Pattern[], options: ExpectCallOptions = {}): Promise<ExpectMatch> {
    const list = Array.isArray(patterns) ? patterns : [patterns];
    if (list.length === 0) throw new TypeError("expect() needs at least one pattern");
    for (const p of list) {
      if (!(typeof p === "string" && p !== "") && !(p instanceof RegExp)) {
        throw new TypeError(`a pattern is a non-empty string or a RegExp, got ${String(p)}`);
      }
    }
    const maxBefore = options.maxBefore ?? this.#window;
    if (!Number.isInteger(maxBefore) || maxBefore < 0) {
      throw new RangeError(`maxBefore must be a non-negative integer, got ${maxBefore}`);
    }
    if (this.#closed) return Promise.reject(new TypeError("expect() on a closed Expect"));
    if (this.#waiter) {
      return Promise.reject(new TypeError("another expect() is already waiting on this console"));
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(this.#abortError(list, signal));
    return new Promise<ExpectMatch>((resolve, reject) => {
      const onAbort = () => {
        if (this.#waiter !== waiter) return;
        this.#waiter = undefined;
        reject(this.#abortError(list, signal!));
      };
      const done = () => signal?.removeEventListener("abort", onAbort);
      const waiter: Waiter = {
        patterns: list,
        regexps: list.map((p) =>
          p instanceof RegExp ? new RegExp(p.source, p.flags.replace(/[gy]/g, "") + "g") : undefined
        ),
        scanFrom: 0,
        maxBefore,
        resolve: (m) => {
          done();
          resolve(m);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiter = waiter;
      this.#unsettle();
      this.#match();
    });
  }

  /**
   * Types `data` at the guest (waits for the console to accept it), a string
   * encoded in the {@linkcode encoding}. `secret` keeps it out of the
   * transcript. A character the code page cannot carry throws
   * `UnencodableError` and nothing is typed.
   */
  async send(data: string | Uint8Array, options: { secret?: boolean } = {}): Promise<void> {
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      throw new TypeError("send() takes a string or a Uint8Array");
    }
    if (this.#closed) throw new TypeError("send() on a closed Expect");
    const page = this.#page ?? CodePage.of(65001);
    const bytes = typeof data === "string" ? page.encode(data, { secret: options.secret }) : data;
    this.#transcript.record("in", typeof data === "string" ? data : page.decode(data), options);
    try {
      await this.#writer.write(bytes);
    } catch (err) {
      // The console's stream failed (guest gone, console closed): the same
      // typed end as a read sees.
      throw new StreamEndedError(this.#redact(this.buffer), { cause: err });
    }
  }

  /** Stops reading and releases the console's locks (the console itself stays open). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiter?.reject(new TypeError("the Expect was closed"));
    this.#waiter = undefined;
    try {
      this.#reader.releaseLock(); // rejects the pending read: the pump ends
    } catch { /* already released */ }
    await this.#pump;
    this.#transcript.flush(); // nothing more can follow what is held back
    try {
      this.#writer.releaseLock();
    } catch { /* already released */ }
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #read(): Promise<void> {
    try {
      while (true) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        this.#ingest(this.#decoder.decode(value, { stream: true }));
      }
      this.#ingest(this.#decoder.decode());
    } catch (err) {
      if (!this.#closed) this.#failure = err;
    }
    this.#ended = true;
    this.#transcript.flush();
    const w = this.#waiter;
    if (w && !this.#closed) {
      this.#waiter = undefined;
      w.reject(new StreamEndedError(this.#redact(this.buffer), { cause: this.#failure }));
    }
  }

  #ingest(raw: string): void {
    if (raw === "") return;
    this.#transcript.record("out", raw);
    let text = raw;
    if (this.#noise || this.#stripAnsi) {
      // Re-clean the unfinished tail (a message or sequence split across chunks).
      const from = this.#cleanFrom;
      text = this.#pending.slice(from) + raw;
      this.#pending = this.#pending.slice(0, from);
      if (this.#noise) text = text.replace(this.#noise, "");
      if (this.#stripAnsi) text = strip(text);
      if (this.#waiter) this.#waiter.scanFrom = Math.min(this.#waiter.scanFrom, from);
    }
    this.#pending += text;
    if (this.#noise || this.#stripAnsi) {
      const len = this.#pending.length;
      const nl = this.#pending.lastIndexOf("\n") + 1;
      this.#cleanFrom = Math.max(nl, len - NOISE_MAX, 0);
      const esc = this.#pending.lastIndexOf("\x1b", len - 1);
      if (esc >= 0 && esc < this.#cleanFrom && len - esc < NOISE_MAX) this.#cleanFrom = esc;
    }
    for (const fn of this.#listeners) fn(text);
    this.#match();
    this.#settle();
  }

  /** Moves all but the last ACTIVE characters to the settled pieces, bounded by the window. */
  #settle(): void {
    const len = this.#pending.length;
    if (len > 2 * ACTIVE) {
      const k = len - ACTIVE;
      this.#head.push(this.#pending.slice(0, k));
      this.#headLength += k;
      this.#pending = this.#pending.slice(k);
      this.#cleanFrom = Math.max(0, this.#cleanFrom - k);
      if (this.#waiter) this.#waiter.scanFrom = Math.max(0, this.#waiter.scanFrom - k);
    }
    const limit = Math.max(this.#window, this.#waiter?.maxBefore ?? this.#keep);
    while (this.#headLength > limit) {
      const excess = this.#headLength - limit;
      const first = this.#head[0];
      const cut = Math.min(excess, first.length);
      if (cut === first.length) this.#head.shift();
      else this.#head[0] = first.slice(cut);
      this.#headLength -= cut;
      this.#dropped += cut;
    }
  }

  /** A new expect() searches all the text kept, settled pieces included. */
  #unsettle(): void {
    if (this.#headLength === 0) return;
    const head = this.#head.join("");
    this.#pending = head + this.#pending;
    this.#cleanFrom += head.length;
    this.#head = [];
    this.#headLength = 0;
  }

  #match(): void {
    const w = this.#waiter;
    if (!w) return;
    const text = this.#pending;
    let best:
      | { index: number; at: number; match: string; groups: (string | undefined)[] }
      | undefined;
    w.patterns.forEach((p, index) => {
      if (typeof p === "string") {
        const at = text.indexOf(p, Math.max(0, w.scanFrom - p.length + 1));
        if (at >= 0 && (!best || at < best.at)) best = { index, at, match: p, groups: [] };
      } else {
        const re = w.regexps[index]!;
        re.lastIndex = Math.max(0, w.scanFrom - REGEXP_OVERLAP);
        const m = re.exec(text);
        if (m && (!best || m.index < best.at)) {
          best = { index, at: m.index, match: m[0], groups: m.slice(1) };
        }
      }
    });
    if (!best) {
      w.scanFrom = text.length;
      if (this.#ended) {
        this.#waiter = undefined;
        w.reject(new StreamEndedError(this.#redact(text), { cause: this.#failure }));
      }
      return;
    }
    this.#waiter = undefined;
    this.#keep = w.maxBefore;
    let before = this.#head.join("") + text.slice(0, best.at);
    this.#head = [];
    this.#headLength = 0;
    let dropped = this.#dropped;
    if (before.length > w.maxBefore) {
      dropped += before.length - w.maxBefore;
      before = before.slice(before.length - w.maxBefore);
    }
    const end = best.at + best.match.length;
    this.#pending = text.slice(end);
    this.#cleanFrom = Math.max(0, this.#cleanFrom - end);
    this.#dropped = 0;
    w.resolve({
      index: best.index,
      pattern: w.patterns[best.index],
      match: best.match,
      groups: best.groups,
      before,
      dropped,
    });
  }

  /** Console text for an error: the transcript's secrets masked (a guest may echo a password). */
  #redact(text: string): string {
    return this.#transcript.redact(text);
  }

  #abortError(patterns: Pattern[], signal: AbortSignal): unknown {
    const reason = signal.reason;
    if (reason instanceof DOMException && reason.name === "TimeoutError") {
      return new ExpectTimeoutError(patterns.map(describe), this.#redact(this.#pending), {
        cause: reason,
      });
    }
    return reason;
  }
}
