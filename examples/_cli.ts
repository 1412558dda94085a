// Copyright 2026 the xenpv authors. MIT license.
// What every CLI shares: the exit statuses, strict option parsing (a bad
// option is a one-line usage error, never a stack trace), the options more
// than one CLI takes, the stop signals, and a failure explained in one line.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { type ConsoleMode, SystemError } from "../mod.ts";
import { CodePage } from "../xencons/mod.ts";

/**
 * The exit statuses of every CLI, like ssh's: the guest command's own status
 * where it fits, and one status for the tool's own failures, so a script can
 * tell "the command failed" from "we could not run it".
 */
export const EXIT = {
  /** Success (the command exited 0; attach: detached, or its input ended). */
  ok: 0,
  /** run.ts: the command failed with a status outside 1-253 (the real one is on stderr). */
  outOfRange: 254,
  /** The tool failed: bad usage, no Xen, no such guest, console busy, login, timeout, console lost. */
  failed: 255,
} as const;

/** The exit statuses, for every CLI's --help. */
export const EXIT_HELP = `exit status:
  0       success
  1-253   run.ts: the command's own exit status; a command that ends its
          shell with exit N (Linux) or exit /b N (Windows) gives N
  254     run.ts: the command failed with a status outside 1-253 (e.g. Windows'
          9009 or 256); the real status is printed on stderr
  255     xenpv failed: bad usage, no Xen here, no such guest, console busy,
          login failed, timed out, console lost (a message on stderr says which)
  129, 130, 143
          stopped by SIGHUP, SIGINT, SIGTERM (128 + the signal's number)`;

/**
 * The exit status for a command's status: itself in 1-253, {@linkcode EXIT}.outOfRange
 * for any other failure (never 0 for a failure, whatever its value).
 */
export function commandExit(status: number): number {
  if (status === 0) return EXIT.ok;
  return Number.isInteger(status) && status >= 1 && status <= 253 ? status : EXIT.outOfRange;
}

/** A bad command line: printed with a pointer to --help, exit 255. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** node:util's parseArgs errors, said shortly. */
const PARSE_ERRORS: [RegExp, (flag: string) => string][] = [
  [/^Unknown option '([^']*)'/, (flag) => `unknown option ${flag}`],
  [/^Option '(?:-\w, )?([^' ]*)[^']*' argument missing/, (flag) => `${flag} needs a value`],
  [
    /^Option '([^']*)' argument is ambiguous/,
    (flag) => `${flag} needs a value (one starting with "-" is written ${flag}=-…)`,
  ],
  [/^Unexpected argument '([^']*)'/, (word) => `unexpected argument ${word}`],
];

/** node:util's parseArgs, with its errors (unknown option, missing value) as UsageErrors. */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    // node's messages are long-winded; say what was wrong with which option.
    const message = (err as Error).message;
    const said = PARSE_ERRORS.map(([re, say]) => {
      const m = re.exec(message);
      return m && say(m[1]);
    }).find(Boolean);
    throw new UsageError(said ?? message.split("\n")[0], { cause: err });
  }
}

/** A whole number in [min, max] from an option's text ("1e3", "", "0x10" and "1.5" are not). */
export function parseCount(flag: string, text: string, min: number, max: number): number {
  const n = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

/** A positive number of seconds ("30", "0.5"). */
export function parseSeconds(flag: string, text: string): number {
  const n = /^\d{1,7}(\.\d{1,3})?$/.test(text) ? Number(text) : NaN;
  if (!(n > 0)) throw new UsageError(`${flag} takes seconds > 0, got "${text}"`);
  return n;
}

/** --mode: how a console is attached. */
export function parseMode(text: string | undefined): ConsoleMode {
  const mode = text ?? "auto";
  if (mode !== "auto" && mode !== "pty" && mode !== "ring") {
    throw new UsageError(`--mode takes auto, pty or ring, got "${mode}"`);
  }
  return mode;
}

/** --encoding: "auto" or a code page with a table. */
export function parseEncoding(text: string | undefined): "auto" | CodePage {
  const encoding = text ?? "auto";
  if (encoding === "auto") return "auto";
  if (!CodePage.has(encoding)) {
    throw new UsageError(
      `--encoding takes auto or a code page (${CodePage.supported.join(", ")}), got "${encoding}"`,
    );
  }
  return CodePage.of(encoding);
}

/** Xen's own files: missing, they mean this is not a Xen control domain. */
const XEN_PATHS =
  /^(\/dev\/xen\/|\/proc\/xen(\/|$)|\/sys\/hypervisor(\/|$)|(\/var)?\/run\/xenstored\/)/;

/** Whether a missing `path` means "no Xen here" (not a user's file that does not exist). */
function isXenPath(path: string | undefined): boolean {
  return path !== undefined && XEN_PATHS.test(path);
}

/**
 * What {@linkcode explain} says about a failure, without the program's name:
 * the reason, and the fix when there is one.
 */
export function failureLines(err: unknown): string[] {
  if (err instanceof UsageError) return [`${err.message} (try --help)`];
  if (err instanceof SystemError && (err.code === "EACCES" || err.code === "EPERM")) {
    return [err.message, "run it as root in dom0."];
  }
  if (err instanceof SystemError && err.code === "ENOENT" && isXenPath(err.path)) {
    return [`no Xen here: ${err.message}`];
  }
  return [err instanceof Error ? err.message : String(err)];
}

/**
 * Prints a one-line reason for a failure of the tool itself (never the
 * command's) and returns {@linkcode EXIT}.failed.
 */
export function explain(program: string, err: unknown): number {
  for (const line of failureLines(err)) console.error(`${program}: ${line}`);
  return EXIT.failed;
}

/** A failure as --json reports it: the error's class name and what explain() says. */
export function failureJson(err: unknown): { name: string; message: string } {
  return { name: err instanceof Error ? err.name : "Error", message: failureLines(err).join(" ") };
}

/** The signals that stop a CLI, and the exit status each gives (128 + its number). */
const STOP_SIGNALS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Listens for SIGHUP, SIGINT and SIGTERM while in scope: `signal` aborts on
 * the first, and `code` is then the exit status to use.
 */
export class StopSignals implements Disposable {
  readonly #controller = new AbortController();
  readonly #listeners: [Deno.Signal, () => void][] = [];
  #code: number | undefined;

  constructor() {
    for (const [name, code] of Object.entries(STOP_SIGNALS)) {
      const listener = () => {
        this.#code ??= code;
        this.#controller.abort(new Error(`stopped by ${name}`));
      };
      Deno.addSignalListener(name as Deno.Signal, listener);
      this.#listeners.push([name as Deno.Signal, listener]);
    }
  }

  /** Aborts when a stop signal arrives. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The exit status for the signal that arrived, if one did. */
  get code(): number | undefined {
    return this.#code;
  }

  [Symbol.dispose](): void {
    for (const [name, listener] of this.#listeners) Deno.removeSignalListener(name, listener);
    this.#listeners.length = 0;
  }
}
