// Copyright 2026 the xenpv authors. MIT license.

import { ConsoleOutput } from "../console_output.ts";
import { LineEditor } from "./_line_editor.ts";
import type { ConsoleConditions, GuestProgram } from "../guest_program.ts";
import { LinuxCommands } from "./_linux_commands.ts";
import { kernelLine, MOTD } from "./_linux_system.ts";
import { complete, LinuxShell } from "./_linux_shell.ts";

/** Options for {@linkcode linuxGuest}. */
export interface LinuxGuestOptions extends ConsoleConditions {
  /** The hostname in the banner and prompts. */
  hostname: string;
  /** Users and passwords. Default: root/xenpv. */
  accounts?: Record<string, string>;
  /** Write ESC[6n after each prompt, as busybox's shell does. Default false. */
  cursorQuery?: boolean;
}

const NOISE = [
  "[   42.133700] xen-blkback: backend/vbd/1/51712: using 2 queues, protocol 1 (x86_64-abi)\r\n",
  "[   57.004211] vif vif-1-0 vif1.0: Guest Rx ready\r\n",
  "[   61.517883] random: crng reseeded\r\n",
];

/**
 * A simulated Linux guest on hvc0: a getty `login:` and `Password:` (wrong
 * credentials get `Login incorrect`), then a small POSIX-like shell (quoting,
 * `$?`, `$NAME`, `~`, `;`, `&&`, `||`, `|`, `>`, `>>`, `2>`, `2>&1`, `<`,
 * comments, continuation lines (`> `) while a quote is open) and the
 * everyday commands, which agree with each other and with the guest's name:
 * `uname`, `hostname`, `ip addr` and /etc/hosts show one machine with one
 * network interface (a Xen MAC, an address on 10.0.0.0/24); `ls`, `cat`,
 * `cd`, `pwd`, `mkdir`, `touch`, `rm` and redirections share one small disk
 * (a home with a note for each account, /etc/passwd agreeing with `id`);
 * `echo`, `true`, `false`, `sleep`, `eval`, `env`, `export`, `grep`, `head`,
 * `tail`, `wc`, `ps`, `whoami`, `trap` (an EXIT trap runs when the shell
 * ends, with `$?` its status), `exit [N]`/`logout`, and `help`, which lists
 * them all. Anything else is "not found" with status 127, errors are the
 * real tools' with their status. ^C stops `sleep` (status 130) and drops the
 * rest of the line; ^\ (SIGQUIT, which the shell ignores) stops `sleep`
 * with `Quit` (status 131) and the line goes on. `noise` drops kernel messages anywhere in the output, as
 * printk does on a console.
 *
 * @example
 * ```ts
 * import { linuxGuest } from "@xenpv/console/sim";
 * import assert from "node:assert/strict";
 *
 * let screen = "";
 * const guest = linuxGuest({ hostname: "deb1" });
 * guest.start({ write: (d) => screen += typeof d === "string" ? d : new TextDecoder().decode(d) });
 * assert.match(screen, /deb1 login: $/);
 * guest.stop();
 * ```
 */
export function linuxGuest(options: LinuxGuestOptions): GuestProgram {
  const out = new ConsoleOutput(options, NOISE);
  const decoder = new TextDecoder();
  const hvc0 = new LinuxConsole(options, (s) => out.write(s));
  return {
    start(console) {
      out.attach(console);
      hvc0.start();
    },
    input(data) {
      hvc0.input(decoder.decode(data, { stream: true }));
    },
    stop() {
      hvc0.stop();
      out.attach(undefined);
    },
  };
}

/**
 * What runs on hvc0: the getty's login dialogue, then the shell, which runs
 * the lines typed one after another (reading on while a quote is open).
 */
class LinuxConsole {
  #host: string;
  #accounts: Record<string, string>;
  #cursorQuery: boolean;
  #write: (s: string) => void;
  #state: "user" | "password" | "shell" = "user";
  #user = "";
  #pending = ""; // an unfinished (quoted) command
  #queue: string[] = [];
  #busy = false;
  #stopSleep: ((how?: false | "quit") => void) | undefined;
  #loginTimer: ReturnType<typeof setTimeout> | undefined;
  #commands: LinuxCommands;
  #shell: LinuxShell;
  #editor: LineEditor;

  constructor(options: LinuxGuestOptions, write: (s: string) => void) {
    this.#host = options.hostname;
    this.#accounts = options.accounts ?? { root: "xenpv" };
    this.#cursorQuery = options.cursorQuery ?? false;
    this.#write = write;
    this.#commands = new LinuxCommands(
      this.#host,
      Object.keys(this.#accounts),
      () => this.#user,
      (seconds) => this.#sleep(seconds),
    );
    this.#shell = new LinuxShell(this.#commands, write);
    this.#editor = new LineEditor({
      echo: (text) => write(text),
      interrupt: () => this.#interrupt(),
      quit: () => this.#stopSleep?.("quit"),
      line: (line) => this.#line(line),
    });
  }

  /** The console comes up: the getty's banner and login prompt. */
  start(): void {
    this.#write(`\r\nDebian GNU/Linux 12 ${this.#host} hvc0\r\n`);
    this.#login();
  }

  /** Typed text, through the line editor. */
  input(text: string): void {
    this.#editor.input(text);
  }

  /** The console goes away: a running `sleep` ends, a pending "Login incorrect" is dropped. */
  stop(): void {
    this.#stopSleep?.();
    clearTimeout(this.#loginTimer);
    this.#state = "user";
  }

  #login(): void {
    this.#state = "user";
    this.#pending = "";
    this.#queue.length = 0;
    this.#editor.echo = true;
    this.#write(`\r\n${this.#host} login: `);
  }

  #prompt(): void {
    const user = this.#user;
    this.#write(
      `${user}@${this.#host}:${this.#commands.where()}${user === "root" ? "#" : "$"} ${
        this.#cursorQuery ? "\x1b[6n" : ""
      }`,
    );
  }

  /** `sleep`: true when it ran out, false when ^C (or the console going away) stopped it, "quit" for ^\. */
  #sleep(seconds: number): Promise<boolean | "quit"> {
    return new Promise<boolean | "quit">((resolve) => {
      const timer = setTimeout(() => {
        this.#stopSleep = undefined;
        resolve(true);
      }, seconds * 1000);
      this.#stopSleep = (how = false) => {
        clearTimeout(timer);
        this.#stopSleep = undefined;
        resolve(how);
      };
    });
  }

  /** A line was typed: the getty's user name or password, or the shell's input. */
  #line(line: string): void {
    if (this.#state === "user") this.#userName(line);
    else if (this.#state === "password") this.#password(line);
    else {
      this.#queue.push(line);
      if (!this.#busy) void this.#drain();
    }
  }

  #userName(line: string): void {
    if (line.trim() === "") return this.#login();
    this.#user = line.trim();
    this.#state = "password";
    this.#editor.echo = false;
    this.#write("Password: ");
  }

  #password(line: string): void {
    this.#editor.echo = true;
    if (this.#accounts[this.#user] !== line) {
      this.#loginTimer = setTimeout(() => {
        this.#loginTimer = undefined;
        this.#write("\r\nLogin incorrect\r\n");
        this.#login();
      }, 20);
      this.#state = "user";
      return;
    }
    this.#state = "shell";
    this.#commands.login();
    this.#shell = new LinuxShell(this.#commands, this.#write);
    this.#write(`${kernelLine(this.#host)}\r\n\r\n${MOTD}`);
    this.#prompt();
  }

  /** The shell loop: runs the typed lines in turn until none is left or the shell exits. */
  async #drain(): Promise<void> {
    this.#busy = true;
    while (this.#queue.length > 0 && this.#state === "shell") {
      const line = this.#queue.shift()!;
      const text = this.#pending === "" ? line : `${this.#pending}\n${line}`;
      if (!complete(text)) {
        this.#pending = text; // a quote is open: read on
        this.#write("> ");
        continue;
      }
      this.#pending = "";
      const r = await this.#shell.execute(text);
      if (r === "exit") {
        await this.#shell.exiting();
        this.#login();
        break;
      }
      this.#prompt();
    }
    this.#busy = false;
  }

  /** ^C: back to the login prompt, or stops `sleep`, or drops the rest of the input. */
  #interrupt(): void {
    if (this.#state !== "shell") return this.#login();
    if (this.#stopSleep) return this.#stopSleep();
    this.#pending = "";
    this.#queue.length = 0;
    this.#prompt();
  }
}
