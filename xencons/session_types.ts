// Copyright 2026 the xenpv authors. MIT license.
// The options and results of ConsoleSession (its file copies too) and NestedShell.

import type { HashAlgorithm } from "./_file_scripts.ts";
import type { Dialect, InterruptKey } from "./dialect.ts";
import type { Recorder } from "./recorder.ts";
import type { Transcript } from "./transcript.ts";

/** Where a {@linkcode ConsoleSession} is. */
export type SessionState = "logged-out" | "ready" | "busy" | "broken" | "closed";

/** Options for {@linkcode ConsoleSession}. */
export interface ConsoleSessionOptions {
  /**
   * The guest's dialect, always given: the Windows XENCONS service and a Linux
   * getty differ in every prompt and in how a command's status is read.
   */
  dialect: "windows" | "linux" | Dialect;
  /** Bound in ms on login(), logout() and recovery after ^C when no signal is given. Default 30000. */
  timeout?: number;
  /** Noise to cut out of the output (default: the dialect's; null keeps everything). */
  noise?: RegExp | null;
  /**
   * Remove ANSI escape sequences from what is matched and returned. Default
   * true, as in {@linkcode Expect}: a prompt in colour still matches.
   */
  stripAnsi?: boolean;
  /** Where traffic is recorded (passwords redacted). */
  transcript?: Transcript;
  /**
   * An asciicast recording of the session: the guest's output (and the typed
   * lines, if the recorder records input), passwords masked. The session
   * writes to it; the caller opens and closes it.
   */
  record?: Recorder;
  /** Characters of output kept for prompt matching. Default 65536. */
  window?: number;
  /**
   * How the guest's output is decoded and input encoded until the code page
   * is known (a code page or TextDecoder label, as {@linkcode Expect}'s).
   * Default "utf-8".
   */
  encoding?: string;
  /**
   * The console's code page (Windows; a Linux console speaks UTF-8 and
   * ignores `"auto"` and `"utf-8"`):
   * - `"auto"` (default): after each login, `chcp` tells the page (one round
   *   trip) and output is decoded and input encoded in it from then on. The
   *   page is not known before the first login: a user name or password
   *   with non-ASCII characters then needs a fixed page.
   * - a number (`850`): that page from the start, no `chcp`.
   * - `"utf-8"`: after login, `chcp` tells the page and `chcp 65001` switches
   *   the console to UTF-8 (any character can be typed); {@linkcode logout}
   *   restores the page it had.
   *
   * A guest page without a table (932) makes `"auto"`'s login throw
   * {@linkcode UnsupportedCodePageError} (logged in; log out, or use
   * `"utf-8"`).
   */
  codePage?: "auto" | "utf-8" | number;
  /** Close the console too when the session is closed. Default false. */
  ownsConsole?: boolean;
}

/** Options for {@linkcode ConsoleSession.login}. */
export interface LoginOptions {
  /** The account. */
  user: string;
  /** Its password (never written to the transcript). */
  password: string;
  /** Answer "yes" to `Run Elevated [yes|no]: ` (UAC-limited Windows accounts). Default false. */
  elevate?: boolean;
  /**
   * If a shell is already running on the console (someone left it logged in),
   * use it as it is instead of logging it out first. Default false.
   */
  reuse?: boolean;
  /** Gives up (default: the session timeout). */
  signal?: AbortSignal;
}

/** Options for {@linkcode ConsoleSession.run}. */
export interface RunOptions {
  /** Gives up: the command is interrupted and {@linkcode CommandAbortedError} thrown. */
  signal?: AbortSignal;
  /**
   * The key typed to stop the command when `signal` fires (and to recover
   * the shell after it): `"ctrl-c"` (default) or, where the console acts on
   * it, `"ctrl-backslash"` (Linux: SIGQUIT, for a program that ignores
   * SIGINT). The Windows XENCONS console has only `"ctrl-c"`, which its
   * helper turns into Ctrl-Break (see docs/library.md).
   */
  interrupt?: InterruptKey;
  /** Keep at most this many characters of output (the rest is dropped and counted). Default 16 MiB. */
  maxOutput?: number;
}

/** What {@linkcode ConsoleSession.run} returns. */
export interface RunResult {
  /** What the command printed, without the echo, with `\n` line ends. */
  output: string;
  /** Its exit status (`%ERRORLEVEL%`, `$?`). */
  exitCode: number;
  /** Characters of output dropped beyond `maxOutput` (0 normally). */
  dropped: number;
}

/** Options for {@linkcode ConsoleSession.nested}. */
export interface NestedOptions {
  /** The nested program's prompt, e.g. `/netsh>$/`. */
  prompt: RegExp;
  /** What leaves it. Default "exit". */
  exit?: string;
  /** Gives up waiting for the first prompt. */
  signal?: AbortSignal;
}

export type { HashAlgorithm } from "./_file_scripts.ts";

/**
 * The default bound on a file copied over a console: 16 MiB. A console is
 * slow (docs/performance.md has the rates; a 1 MiB copy takes seconds on the
 * simulated guests and longer on a real ring), and a copy holds the file in
 * memory.
 */
export const DEFAULT_MAX_BYTES = 16 << 20;

/** How far a copy is: for a progress bar. */
export interface FileProgress {
  /** Bytes of the file moved so far. */
  bytes: number;
  /** The file's size in bytes. */
  total: number;
  /** Chunks done so far. */
  chunk: number;
  /** Chunks in all. */
  chunks: number;
  /** Milliseconds since the copy started. */
  elapsedMs: number;
  /** The rate so far, in bytes of the file per second. */
  bytesPerSecond: number;
}

/** Options of {@linkcode ConsoleSession.putFile} and {@linkcode ConsoleSession.getFile}. */
export interface FileTransferOptions {
  /** Stops the copy: it rejects with `CommandAbortedError`, the guest's temporary files removed. */
  signal?: AbortSignal;
  /** Called after each chunk (and once at the start, with 0 bytes). */
  onProgress?: (progress: FileProgress) => void;
  /** The largest file to copy, in bytes (default {@linkcode DEFAULT_MAX_BYTES}). */
  maxBytes?: number;
  /** The bound on each command of the copy, in ms (default 60000). */
  stepTimeout?: number;
}

/** Options of {@linkcode ConsoleSession.getFile}. */
export interface GetFileOptions extends FileTransferOptions {
  /**
   * Also write the file here (on this machine, replaced whole: never half
   * written), mode 0600 whatever its mode on the guest.
   */
  to?: string;
}

/** What a copy did. */
export interface FileTransferResult {
  /** The file on the guest. */
  remotePath: string;
  /** The file's size in bytes. */
  bytes: number;
  /** The chunks it moved in, each checked. */
  chunks: number;
  /** The hash both ends agreed on. */
  algorithm: HashAlgorithm;
  /** Its value, lower-case hex. */
  hash: string;
  /** How long the copy took, in ms. */
  elapsedMs: number;
  /** Bytes of the file per second. */
  bytesPerSecond: number;
}

/** What {@linkcode ConsoleSession.getFile} returns: the file, and how it came. */
export interface GetFileResult extends FileTransferResult {
  /** The file's bytes. */
  data: Uint8Array;
}
