// Copyright 2026 the xenpv authors. MIT license.

/**
 * A key that stops a running command: `"ctrl-c"` (0x03) or
 * `"ctrl-backslash"` (0x1c). A console has no other: there is no byte for
 * Ctrl-Break. What the guest does with each is its own: the Windows XENCONS
 * helper turns ^C into CTRL_BREAK_EVENT (there is no Ctrl-C event to send);
 * a Linux tty sends SIGINT for ^C and SIGQUIT for ^\.
 */
export type InterruptKey = "ctrl-c" | "ctrl-backslash";

/** One typed line that the guest acknowledges by printing `ack`. */
export interface AckedLine {
  /** The line to type (without the Enter key). */
  line: string;
  /** The literal text the guest prints once it has taken the line. */
  ack: string;
}

/**
 * How a dialect runs one command so that its output and exit status can be
 * told apart from echo, prompts, stale backlog and noise: unique markers the
 * shell prints around the output.
 */
export interface CommandPlan {
  /** Lines typed first, one at a time, each waited for (long commands are built up in pieces). */
  prepare: AckedLine[];
  /** The line that runs the command. `\n` in it types Enter (multi-line input). */
  line: string;
  /** Literal text printed just before the command's output. */
  begin: string;
  /** Literal text printed just after it. */
  end: string;
  /**
   * Where the exit status comes from: a RegExp whose group 1 is the status,
   * awaited after `end` (after typing `line`, if given). A group 2 that
   * matched says the shell reported the status as it exited (the command was
   * an `exit N`): the session is then logged out.
   */
  status: { line?: string; pattern: RegExp };
}

/**
 * How a shell reports and sets its console's code page (Windows' `chcp`).
 * A dialect without it is taken to speak UTF-8 (Linux).
 */
export interface CodePageCommands {
  /**
   * One line that prints `begin`, then the active code page (as `chcp`
   * does), then `end`; with `switchTo`, it also sets that page before `end`
   * (printing nothing more). One round trip learns, and changes, the page.
   */
  query(tag: string, switchTo?: number): { line: string; begin: string; end: string };
  /** The page number in what the query printed, or `undefined` if it has none. */
  parse(output: string): number | undefined;
  /** A line that sets the page to `page` silently and then prints the ack. */
  set(page: number, tag: string): AckedLine;
}

/**
 * What a session needs to know about a guest's console: its prompts, what
 * ends a typed line, how to interrupt, how to wrap a command with markers.
 * {@linkcode windowsDialect} and {@linkcode linuxDialect} are built in; write
 * your own for another guest.
 */
export interface Dialect {
  /** A short name for messages. */
  readonly name: string;
  /** What the Enter key sends. */
  readonly enter: string;
  /** What ^C sends. */
  readonly interrupt: string;
  /**
   * The interrupt keys the guest's console acts on, and the bytes each
   * sends (default: only `"ctrl-c"`, {@linkcode Dialect.interrupt}). A key
   * a console does not act on is refused: the guest would type it into the
   * next line instead.
   */
  readonly interruptKeys?: Readonly<Partial<Record<InterruptKey, string>>>;
  /** The login prompt (group 1, if any: the host name). Matched at the end of the output. */
  readonly loginPrompt: RegExp;
  /** The password prompt. */
  readonly passwordPrompt: RegExp;
  /** A prompt asking whether to elevate (Windows UAC-limited accounts). */
  readonly elevatePrompt?: RegExp;
  /** A message that says the credentials were rejected. */
  readonly loginIncorrect?: RegExp;
  /** A sign that a shell is running (its banner or prompt). */
  readonly shellReady: RegExp;
  /** Output that means the console was detached or the guest is rebooting. */
  readonly detached: RegExp;
  /** Default noise (kernel or driver messages) cut out of the output, or null. */
  readonly noise: RegExp | null;
  /** The longest line the guest's line editor takes, without the Enter key. */
  readonly maxLine: number;
  /** The command that ends the shell. */
  readonly logout: string;
  /**
   * How the console's code page is learned and set (Windows). Absent: the
   * console speaks UTF-8, or whatever the session's `encoding` says.
   */
  readonly codePage?: CodePageCommands;
  /** The answer to the elevation prompt. */
  elevateAnswer(elevate: boolean): string;
  /** A line that makes the shell print `marker` (to prove it is there and to skip stale output). */
  probe(tag: string): AckedLine;
  /** How to run `command`; throws TypeError for a command the dialect cannot carry. */
  command(command: string, tag: string): CommandPlan;
}
