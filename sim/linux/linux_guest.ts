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
 * `tail`, `wc`, `ps`, `whoami`, `exit [N]`/`logout`, and `help`, which lists
 * them all. Anything else is "not found" with status 127, errors are the
 * real tools' with their status. ^C stops `sleep` (status 130) and drops the
 * rest of the line. `noise` drops kernel messages anywhere in the output, as
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
  const host = options.hostname;
  const accounts = options.accounts ?? { root: "xenpv" };
  const out = new ConsoleOutput(options, NOISE);
  const decoder = new TextDecoder();
  let state: "user" | "password" | "shell" = "user";
  let user = "";
  let pending = ""; // an unfinished (quoted) command
  const queue: string[] = [];
  let busy = false;
  let stopSleep: (() => void) | undefined;
  let loginTimer: ReturnType<typeof setTimeout> | undefined;
  const write = (s: string) => out.write(s);
  const prompt = () =>
    write(
      `${user}@${host}:${commands.where()}${user === "root" ? "#" : "$"} ${
        options.cursorQuery ? "\x1b[6n" : ""
      }`,
    );
  const login = () => {
    state = "user";
    pending = "";
    queue.length = 0;
    editor.echo = true;
    write(`\r\n${host} login: `);
  };

  const sleep = (seconds: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        stopSleep = undefined;
        resolve(true);
      }, seconds * 1000);
      stopSleep = () => {
        clearTimeout(timer);
        stopSleep = undefined;
        resolve(false);
      };
    });

  const commands = new LinuxCommands(host, Object.keys(accounts), () => user, sleep);
  let shell = new LinuxShell(commands, write);

  const drain = async () => {
    busy = true;
    while (queue.length > 0 && state === "shell") {
      const line = queue.shift()!;
      const text = pending === "" ? line : `${pending}\n${line}`;
      if (!complete(text)) {
        pending = text; // a quote is open: read on
        write("> ");
        continue;
      }
      pending = "";
      const r = await shell.execute(text);
      if (r === "exit") {
        login();
        break;
      }
      prompt();
    }
    busy = false;
  };

  const editor: LineEditor = new LineEditor({
    echo: (text) => write(text),
    interrupt: () => {
      if (state !== "shell") return login();
      if (stopSleep) return stopSleep();
      pending = "";
      queue.length = 0;
      prompt();
    },
    line: (line) => {
      if (state === "user") {
        if (line.trim() === "") return login();
        user = line.trim();
        state = "password";
        editor.echo = false;
        write("Password: ");
      } else if (state === "password") {
        editor.echo = true;
        if (accounts[user] !== line) {
          loginTimer = setTimeout(() => {
            loginTimer = undefined;
            write("\r\nLogin incorrect\r\n");
            login();
          }, 20);
          state = "user";
          return;
        }
        state = "shell";
        commands.login();
        shell = new LinuxShell(commands, write);
        write(`${kernelLine(host)}\r\n\r\n${MOTD}`);
        prompt();
      } else {
        queue.push(line);
        if (!busy) void drain();
      }
    },
  });
  return {
    start(console) {
      out.attach(console);
      write(`\r\nDebian GNU/Linux 12 ${host} hvc0\r\n`);
      login();
    },
    input(data) {
      editor.input(decoder.decode(data, { stream: true }));
    },
    stop() {
      stopSleep?.();
      clearTimeout(loginTimer);
      state = "user";
      out.attach(undefined);
    },
  };
}
