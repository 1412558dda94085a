// Copyright 2026 the xenpv authors. MIT license.

import { LogMask } from "./_log_mask.ts";

/** A line typed at a console, as {@linkcode TypedLines} reports it. */
export interface TypedLine<T> {
  /**
   * The line as a line editor like readline ends up with it, without its
   * Enter key (edited per UTF-8 character: erasures, the cursor keys Left,
   * Right, Home, End, Delete and their Ctrl/Alt word moves, ^A, ^E, ^K, ^U,
   * ^W applied; other sequences dropped, other control keys as they came);
   * `[redacted]` for a password, and any earlier password in it masked.
   */
  text: string;
  /** Whether the line was a password. */
  secret: boolean;
  /**
   * Whether `text` is only the editor model's guess: a key other than a
   * printable character was typed on the line (an erasure, a cursor key, Up
   * or Down recalling a line from the guest's history, Tab completing one,
   * any other escape sequence or control key). What the guest ran may differ;
   * `keys` says what was typed.
   */
  approximate: boolean;
  /**
   * The keys typed on the line as they came, without the Enter key (control
   * keys and escape sequences too: Up is `"\x1b[A"`); masked as `text` is:
   * `[redacted]` for a password, any earlier password in it masked.
   */
  keys: string;
  /** Who typed it: what {@linkcode TypedLines.input} was given with it. */
  by: T;
}

/**
 * What is typed at a console, line by line, with passwords masked the way
 * {@linkcode ConsoleLog} masks them: for an audit log of who typed what.
 *
 * Give it what the guest prints ({@linkcode TypedLines.output}) and what is
 * typed ({@linkcode TypedLines.input}), in the order they happen. A line
 * typed while a password prompt shows is reported as `[redacted]`. A line
 * typed ahead of the guest (before the prompt it answers shows) is reported
 * once the guest shows what it was: the last one before a password prompt
 * was the password. Lines are reported in the order typed. A line on which
 * a key other than a printable character was typed (Up recalling a command,
 * an erasure) is reported `approximate`, with the keys as typed beside it.
 *
 * @example Audit a login
 * ```ts
 * import { TypedLines } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * const lines = new TypedLines<string>((line) => seen.push(`${line.by}: ${line.text}`));
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * lines.output(bytes("\r\nWIN1 login: "));
 * lines.input(bytes("Administrator\r"), "alice");
 * lines.output(bytes("Administrator\r\nPassword: "));
 * lines.input(bytes("hunter2\r"), "alice");
 * lines.output(bytes("\r\nC:\\>"));
 * lines.input(bytes("ver\r"), "bob");
 * lines.end();
 * assert.deepEqual(seen, ["alice: Administrator", "alice: [redacted]", "bob: ver"]);
 * ```
 */
export class TypedLines<T> {
  #mask: LogMask;
  /** Who pressed each Enter not reported yet, in order. */
  #typists: T[] = [];

  /** `onLine` is told every typed line once it is known whether it was a password. */
  constructor(onLine: (line: TypedLine<T>) => void) {
    if (typeof onLine !== "function") throw new TypeError("TypedLines needs an onLine function");
    this.#mask = new LogMask(({ text, secret, approximate, keys }) => {
      const by = this.#typists.shift() as T;
      onLine({ text, secret, approximate, keys, by });
    });
  }

  /** Guest output (to see prompts), before acting on it. */
  output(chunk: Uint8Array): void {
    this.#mask.output(chunk);
  }

  /** Keyboard input as the guest gets it, and who typed it. */
  input(chunk: Uint8Array, by: T): void {
    for (const b of chunk) if (b === 0x0d || b === 0x0a) this.#typists.push(by);
    this.#mask.input(chunk);
  }

  /** The console is done: lines still waiting to be settled are reported (as not passwords). */
  end(): void {
    this.#mask.end();
  }
}
