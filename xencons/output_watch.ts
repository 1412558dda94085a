// Copyright 2026 the xenpv authors. MIT license.

import { stripAnsi } from "./strip_ansi.ts";

/** Options for {@linkcode OutputWatch}. */
export interface OutputWatchOptions {
  /**
   * What the guest's last line looks like when it waits at a prompt, tested
   * on it without escape sequences. Default: ending in `>`, `$`, `#`, `%` or
   * `:`, perhaps with one space after (cmd's `C:\>`, `$ `, `# `, `login: `):
   * any guest's, so a script need not know which shell it types at. A
   * {@linkcode Dialect}'s prompts are stricter where the guest is known.
   */
  prompt?: RegExp;
  /** How long the guest must stay quiet at a prompt for {@linkcode OutputWatch.settled}, in ms. Default 300. */
  quiet?: number;
  /** The longest {@linkcode OutputWatch.echo} waits for a typed line's echo, in ms. Default 2000. */
  echoTimeout?: number;
}

/** The default {@linkcode OutputWatchOptions.prompt}. */
const PROMPT = /[>$#%:] ?$/;
/** The longest unfinished line kept. */
const LINE_KEPT = 256;
/** The end of a typed line compared with the guest's lines (a long line's start may be cut). */
const TAIL_KEPT = 200;

function milliseconds(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a number of milliseconds >= 0, got ${value}`);
  }
  return value;
}

/**
 * Watches a guest's output for what typing into it waits for: the echo of a
 * line just typed (so the next line may go: a guest's line editor may drop
 * what follows Enter in the same read, as the XENCONS helper does), and a
 * prompt with the guest quiet at it (the guest is done). Feed it the
 * output as text ({@linkcode OutputWatch.seen}); {@linkcode LineTyper} types
 * with it.
 *
 * Lines end at LF, CRLF or a lone CR (a CR and its LF in separate chunks
 * end one line); escape sequences are ignored.
 *
 * @example Wait for a typed line's echo, then for the prompt
 * ```ts
 * import { OutputWatch } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const watch = new OutputWatch();
 * watch.seen("C:\\>");
 * const echoed = watch.echo("ver");
 * watch.seen("ver\r\n"); // the guest echoes the line and ends it
 * await echoed;
 * watch.seen("\r\nMicrosoft Windows [Version 10.0.15063]\r\n\r\nC:\\>");
 * assert.equal(await watch.settled(5000), "prompt");
 * ```
 */
export class OutputWatch {
  #line = "";
  #onLine: ((line: string) => void) | undefined;
  #onOutput: (() => void) | undefined;
  #prompt: RegExp;
  #quiet: number;
  #echoTimeout: number;

  /**
   * A watch for one console's output: see {@linkcode OutputWatchOptions}.
   *
   * @throws {RangeError} a negative or non-finite time.
   * @throws {TypeError} a `prompt` that is not a RegExp.
   */
  constructor(options: OutputWatchOptions = {}) {
    if (options.prompt !== undefined && !(options.prompt instanceof RegExp)) {
      throw new TypeError("prompt must be a RegExp");
    }
    this.#prompt = options.prompt ?? PROMPT;
    this.#quiet = milliseconds("quiet", options.quiet, 300);
    this.#echoTimeout = milliseconds("echoTimeout", options.echoTimeout, 2000);
  }

  /** The longest {@linkcode OutputWatch.echo} waits, in ms. */
  get echoTimeout(): number {
    return this.#echoTimeout;
  }

  /** The guest's current (unfinished) line, without escape sequences: its last 256 characters. */
  get line(): string {
    return this.#line;
  }

  /** Output from the guest, decoded (see {@linkcode ConsoleEncoding.decode}). */
  seen(decoded: string): void {
    const text = stripAnsi(decoded);
    const lines = text.split(/\r?\n|\r(?!$)/);
    if (lines.length > 1) {
      // a CR held at the end of the last chunk is this chunk's LF's
      const completed = [(this.#line + lines[0]).replace(/\r$/, ""), ...lines.slice(1, -1)];
      this.#line = lines.at(-1)!;
      for (const line of completed) this.#onLine?.(line);
    } else this.#line = (this.#line + lines[0]).slice(-LINE_KEPT);
    this.#onOutput?.();
  }

  /**
   * Resolves when the guest has echoed the line just typed (`typed`, as
   * text, without its Enter key), or after
   * {@linkcode OutputWatchOptions.echoTimeout}. Call it before typing the
   * line. The echo is the line the guest then completes that ends with the
   * typed text, or, for a line it does not echo (a password), the one that
   * was waiting for input when it was typed. A blank line is never the
   * echo: it is the end of the previous command's output (cmd prints CRLF
   * before its prompt), which may come after the next line was typed;
   * taking it for the echo sent the line after that too early, into the
   * same read of the guest's line editor, which drops it.
   */
  echo(typed: string): Promise<void> {
    const before = this.#line;
    const tail = typed.slice(-TAIL_KEPT); // a long line's start may be cut (#line keeps 256)
    const isEcho = (line: string) =>
      line !== "" && ((tail !== "" && line.endsWith(tail)) || line === before);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#onLine = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.#echoTimeout);
      this.#onLine = (line) => isEcho(line) && done();
    });
  }

  /**
   * Resolves when the guest shows a prompt and stays quiet for
   * {@linkcode OutputWatchOptions.quiet} (`"prompt"`), or after `linger` ms
   * in all (`"linger"`).
   */
  settled(linger: number): Promise<"prompt" | "linger"> {
    return new Promise((resolve) => {
      let quiet: ReturnType<typeof setTimeout> | undefined;
      const done = (why: "prompt" | "linger") => {
        clearTimeout(quiet);
        clearTimeout(longest);
        this.#onOutput = undefined;
        resolve(why);
      };
      const arm = () => {
        clearTimeout(quiet);
        quiet = setTimeout(() => this.#prompt.test(this.#line) && done("prompt"), this.#quiet);
      };
      const longest = setTimeout(() => done("linger"), linger);
      this.#onOutput = arm;
      arm();
    });
  }
}
