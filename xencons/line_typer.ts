// Copyright 2026 the xenpv authors. MIT license.

import { ConsoleEncoding } from "./console_encoding.ts";
import { OutputWatch } from "./output_watch.ts";

/** Options for {@linkcode LineTyper}. */
export interface LineTyperOptions {
  /**
   * The watch that sees the guest's output (feed it yourself): each line
   * waits for the previous one's echo in it. Default: a new one, as
   * {@linkcode LineTyper.watch}.
   */
  watch?: OutputWatch;
  /**
   * The console's code page, also given the guest's output (feed it
   * yourself): a line's echo is looked for in its page, and in auto mode a
   * line typed after a `chcp` waits for the answer (the page to send it in).
   * Default: UTF-8.
   */
  encoding?: ConsoleEncoding;
  /**
   * The bytes the guest gets for a typed line's bytes (its CR included), as
   * the page is now: e.g. a UTF-8 terminal's input re-encoded in the page.
   * Default: as they are.
   */
  encode?: (line: Uint8Array) => Uint8Array;
}

/**
 * Types input into a console a line at a time, the way a script's input
 * should reach a guest (attach's pipe mode): each line's end (LF, CRLF or
 * CR) is sent as one CR, the Enter key of a terminal, and each line waits
 * for the guest to echo the one before (a guest's line editor may drop what
 * follows Enter in the same read, as the XENCONS helper does) or, after a
 * `chcp`, for its answer.
 *
 * Feed the guest's output to {@linkcode LineTyper.watch} (and to the
 * {@linkcode ConsoleEncoding}, if given); type with
 * {@linkcode LineTyper.type}; when the input ends, {@linkcode LineTyper.end}
 * enters a last line left without its line end, and
 * {@linkcode OutputWatch.settled} tells when the guest is done.
 *
 * @example Type two lines into a simulated cmd
 * ```ts
 * import { LineTyper } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const typer = new LineTyper();
 * const sent: string[] = [];
 * const guest = (bytes: Uint8Array) => {
 *   const line = new TextDecoder().decode(bytes);
 *   sent.push(line);
 *   // the guest echoes the line, answers, and prompts again
 *   setTimeout(() => typer.watch.seen(`${line}\n${line.trim()}: done\r\nC:\\>`), 10);
 * };
 * typer.watch.seen("C:\\>");
 * await typer.type(new TextEncoder().encode("ver\r\ndir\n"), guest);
 * assert.deepEqual(sent, ["ver\r", "dir\r"]);
 * assert.equal(await typer.watch.settled(5000), "prompt");
 * ```
 */
export class LineTyper {
  /** The watch each line waits on: give it the guest's output. */
  readonly watch: OutputWatch;
  #encoding: ConsoleEncoding;
  #encode: (line: Uint8Array) => Uint8Array;
  #afterCR = false;
  /** Whether what was typed last is a line not ended yet. */
  #open = false;

  /** A typer for one console: see {@linkcode LineTyperOptions}. */
  constructor(options: LineTyperOptions = {}) {
    this.watch = options.watch ?? new OutputWatch();
    this.#encoding = options.encoding ?? new ConsoleEncoding("utf-8");
    this.#encode = options.encode ?? ((line) => line);
  }

  /**
   * The chunk's lines, each ending in CR, and then what follows the last
   * line end (not ended yet: sent as it is). A CRLF split between chunks is
   * one line end.
   */
  lines(chunk: Uint8Array): Uint8Array[] {
    const lines: Uint8Array[] = [];
    let line: number[] = [];
    for (const b of chunk) {
      if (b === 0x0a && this.#afterCR) {
        this.#afterCR = false; // the LF of a CRLF: its CR was the line end
        continue;
      }
      this.#afterCR = b === 0x0d;
      if (b === 0x0a || b === 0x0d) {
        line.push(0x0d);
        lines.push(Uint8Array.from(line));
        line = [];
      } else line.push(b);
    }
    if (line.length > 0) lines.push(Uint8Array.from(line));
    return lines;
  }

  /**
   * Types the chunk's {@linkcode LineTyper.lines} with `send`, each once
   * the line before was echoed (or after the watch's echo timeout).
   * Resolves when the last was echoed.
   */
  async type(
    chunk: Uint8Array,
    send: (bytes: Uint8Array) => Promise<void> | void,
  ): Promise<void> {
    for (const raw of this.lines(chunk)) {
      await this.#encoding.settled(this.watch.echoTimeout);
      const line = this.#encode(raw);
      const typed = line.at(-1) === 0x0d ? line.subarray(0, -1) : undefined;
      const echoed = typed && this.watch.echo(this.#encoding.page.decode(typed));
      await send(line);
      this.#open = raw.at(-1) !== 0x0d;
      await echoed;
    }
  }

  /**
   * Ends the input: a last line typed without its line end is entered (CR,
   * the Enter key), as a shell runs a script's last line that lacks its
   * newline. Resolves `true` when it was, `false` when the input ended with
   * a line end (nothing is sent).
   *
   * @example
   * ```ts
   * import { LineTyper, OutputWatch } from "@xenpv/console/xencons";
   * import assert from "node:assert/strict";
   *
   * const typer = new LineTyper({ watch: new OutputWatch({ echoTimeout: 0 }) });
   * const sent: string[] = [];
   * const send = (bytes: Uint8Array) => void sent.push(new TextDecoder().decode(bytes));
   * await typer.type(new TextEncoder().encode("dir\nver"), send);
   * assert.equal(await typer.end(send), true);
   * assert.deepEqual(sent, ["dir\r", "ver", "\r"]);
   * ```
   */
  async end(send: (bytes: Uint8Array) => Promise<void> | void): Promise<boolean> {
    if (!this.#open) return false;
    this.#open = false;
    await send(this.#encode(Uint8Array.of(0x0d)));
    return true;
  }
}
