// Copyright 2026 the xenpv authors. MIT license.
// What attach.ts's pipe mode watches of the guest's output: when a typed
// line was echoed (the next may go), and when the guest sits quiet at a
// prompt (the session may end).

import { stripAnsi } from "./strip_ansi.ts";

/** The guest's last line looks like a prompt (cmd's "C:\\>", "$ ", "# ", "login: "). */
const PROMPT = /[>$#%:] ?$/;
/** How long the guest must be quiet at a prompt before pipe mode ends. */
const QUIET_MS = 300;
/** How long pipe mode waits for a typed line's echo before typing the next. */
export const ECHO_MS = 2000;

/** What pipe mode watches of the guest's output: its last line, and each line it completes. */
export class OutputWatch {
  #line = "";
  #onLine: ((line: string) => void) | undefined;
  #onOutput: (() => void) | undefined;

  seen(decoded: string): void {
    const text = stripAnsi(decoded);
    const lines = text.split(/\r?\n|\r(?!$)/);
    if (lines.length > 1) {
      // a CR held at the end of the last chunk is this chunk's LF's
      const completed = [(this.#line + lines[0]).replace(/\r$/, ""), ...lines.slice(1, -1)];
      this.#line = lines.at(-1)!;
      for (const line of completed) this.#onLine?.(line);
    } else this.#line = (this.#line + lines[0]).slice(-256);
    this.#onOutput?.();
  }

  /**
   * Resolves when the guest has echoed the line just typed (`typed`, without
   * its CR), or after ECHO_MS. The echo is the line the guest then completes
   * that ends with the typed text, or, for a line it does not echo (a
   * password), the one that was waiting for input when it was typed. A blank
   * line is never the echo: it is the end of the previous command's output
   * (cmd prints CRLF before its prompt), which may come after the next line
   * was typed; taking it for the echo sent the line after that too early,
   * into the same read of the guest's line editor, which drops it.
   */
  echo(typed: string): Promise<void> {
    const before = this.#line;
    const tail = typed.slice(-200); // a long line's start may be cut (#line keeps 256)
    const isEcho = (line: string) =>
      line !== "" && ((tail !== "" && line.endsWith(tail)) || line === before);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#onLine = undefined;
        resolve();
      };
      const timer = setTimeout(done, ECHO_MS);
      this.#onLine = (line) => isEcho(line) && done();
    });
  }

  /**
   * Resolves when the guest shows a prompt and stays quiet for QUIET_MS
   * ("prompt"), or after `linger` ms in all ("linger").
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
        quiet = setTimeout(() => PROMPT.test(this.#line) && done("prompt"), QUIET_MS);
      };
      const longest = setTimeout(() => done("linger"), linger);
      this.#onOutput = arm;
      arm();
    });
  }
}
