// Copyright 2026 the xenpv authors. MIT license.
// What a command of the simulated cmd.exe is: one handler type, called with
// its arguments (the text after its name, as typed) and the shell it runs in.
// The themes are tables of them: _cmd_env.ts (echo, set), _cmd_files.ts (the
// disk and text: cd, dir, type, find...), _cmd_network.ts (ipconfig, ping,
// netsh) and _cmd_system.ts (ver, chcp, help, exit, cmd /c...). The shell
// itself (parsing, pipes, redirections, ERRORLEVEL) is _cmd_shell.ts.

import type { SimFiles, SimMachine } from "../machine.ts";

/** The console's code page, shared by the helper and every cmd.exe on it (`chcp` sets it). */
export interface ConsoleCodePage {
  page: number;
}

export interface CmdShellOptions {
  host: string;
  /** The account's name as Windows spells it (its profile folder's name). */
  user: string;
  version: string;
  /** The guest's disk (C:), shared by every cmd.exe of the guest. */
  disk: SimFiles;
  /** The guest's one network interface. */
  machine: SimMachine;
  /** Standard output (the console, or for a child its parent's output). */
  write(text: string): void;
  /** Standard error. Default: `write`. */
  writeError?(text: string): void;
  /** cmd.exe exited (the helper then ends and is restarted). */
  exit(code: number): void;
  /** Milliseconds between ping replies. */
  pingInterval: number;
  /** The console's code page (CHCP shows and sets it). */
  codePage: ConsoleCodePage;
  /** A `cmd /c` child: no banner, no prompt. */
  child?: boolean;
}

/** How a command ended: ERRORLEVEL, and whether `&&` goes on (`||` when not). */
export type Result = { code: number; ok: boolean };

/** Where a command's output goes. */
export type Sink = (text: string) => void;

/** STATUS_CONTROL_C_EXIT, as ERRORLEVEL shows it. */
export const CONTROL_C_EXIT = -1073741510;

/** A program that reads the console's next lines itself, with a prompt of its own (netsh). */
export interface LineReader {
  prompt: string;
  line(text: string): void;
}

/** The shell a command runs in, as the command sees it. */
export interface Cmd {
  readonly options: CmdShellOptions;
  /** Writes to the command's standard output (the console, a pipe or a file). */
  print(text: string): void;
  /** Writes to its standard error. */
  error(text: string): void;
  /** Its standard input: what the command before `|` printed, if any. */
  readonly input: string | undefined;
  /** ERRORLEVEL as the command found it. */
  readonly errorlevel: number;
  /** Sets ERRORLEVEL to `code`: the command's result. */
  set(code: number, ok?: boolean): Result;
  /** ERRORLEVEL as it was: what ECHO, a good SET or CD leave. */
  same(): Result;
  /** The environment: upper-cased name -> [name as set, value]. */
  readonly env: Map<string, [string, string]>;
  /** The current directory. */
  cwd: string;
  /** An absolute path for `arg` (relative to the current directory), without a trailing \\. */
  resolve(arg: string): string;
  /** Waits `ms`: true, or false when Ctrl-Break ended the wait. */
  sleep(ms: number): Promise<boolean>;
  /** What Ctrl-Break does while the command runs (undefined: nothing). */
  onBreak(stop: (() => void) | undefined): void;
  /** Ctrl-Break stopped the command: the rest of the line is abandoned. */
  abandonLine(): void;
  /** cmd.exe has ended (EXIT, or the helper stopped it). */
  readonly exited: boolean;
  /** Ends cmd.exe with `code`. */
  exit(code: number): void;
  /** `cmd /c line`: a child cmd.exe; its exit code becomes ERRORLEVEL. */
  child(line: string): Promise<Result>;
  /**
   * Gives the console's next lines to `reader` (its prompt written first,
   * then the lines already typed), or with undefined, back to cmd.
   */
  readLines(reader: LineReader | undefined): void;
  /** Writes the prompt (the reader's while one reads the lines). */
  prompt(): void;
}

/** A command: internal to cmd.exe, or a program of this Windows. */
export type CmdHandler = (args: string, cmd: Cmd) => Result | Promise<Result>;
