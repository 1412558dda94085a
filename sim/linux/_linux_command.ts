// Copyright 2026 the xenpv authors. MIT license.
// What a command of the simulated Linux guest is: one handler type, called
// with its words, its streams and the login it runs in. The themes are tables
// of them: _linux_files.ts (the disk and text: ls, cat, grep, cd...) and
// _linux_system.ts (the machine and the session: uname, id, ip, env...). The
// login's state is _linux_commands.ts', the shell language _linux_shell.ts'.
// Handlers write "\n"; the console adds the "\r" (ONLCR), files keep what was
// written.

import type { SimData, SimFiles, SimMachine } from "../machine.ts";

/** The status of a command, or "interrupted" when ^C stopped it. */
export type Status = number | "interrupted";

/** Where a command's output goes and what it reads. */
export interface Io {
  /** Standard output: text, or bytes (`base64 -d`, `dd`). */
  out(text: SimData): void;
  err(text: string): void;
  /** Standard input: what the command before `|` printed, or a `<` file. */
  input?: SimData;
  /** Whether standard output is the terminal (not a pipe or a file): `ls` lays names out in columns only there. */
  tty?: boolean;
}

/** An account as /etc/passwd has it. */
export interface Account {
  name: string;
  uid: number;
  home: string;
}

/** A person's account (not root's, not the system's). */
export function isPerson(a: Account): boolean {
  return a.uid >= 1000 && a.uid < 65534;
}

/** The login a command runs in, as the command sees it. */
export interface Sh {
  /** The guest's machine (its name and one network interface). */
  readonly machine: SimMachine;
  /** The guest's disk. */
  readonly fs: SimFiles;
  /** /etc/passwd's accounts. */
  readonly accounts: Account[];
  /** The current directory. */
  cwd: string;
  /** The shell's variables. */
  readonly vars: Map<string, string>;
  /** The variables `env` shows (the login's, and those exported since). */
  readonly exported: Set<string>;
  /** The user logged in. */
  user(): string;
  /** The user's account. */
  account(): Account;
  /** The user's home directory. */
  homeDir(): string;
  /** Whether the user may change `path`: root anywhere, others at home and in /tmp. */
  writable(path: string): boolean;
  /** `path` made absolute (from the current directory), `.` and `..` resolved. */
  resolve(path: string): string;
  /** A file for a command that reads files (cat, grep...), or (having said so) undefined. */
  read(tool: string, path: string, io: Io): string | undefined;
  /** The same, as it is: text or bytes (for the tools that read bytes: base64, sha256sum, dd). */
  data(tool: string, path: string, io: Io): SimData | undefined;
  /** Waits: true, false when ^C ended the wait, "quit" when ^\ did (SIGQUIT). */
  sleep(seconds: number): Promise<boolean | "quit">;
}

/** A command of the simulated Linux guest. */
export type LinuxHandler = (args: string[], io: Io, sh: Sh) => Status | Promise<Status>;
