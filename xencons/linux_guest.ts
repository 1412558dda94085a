// Copyright 2026 the xenpv authors. MIT license.

import { LineEditor } from "./_line_editor.ts";
import type { GuestConsole, GuestProgram } from "./guest_program.ts";

/** Options for {@linkcode linuxGuest}. */
export interface LinuxGuestOptions {
  /** The hostname in the banner and prompts. */
  hostname: string;
  /** Users and passwords. Default: root/xenpv. */
  accounts?: Record<string, string>;
  /** Write ESC[6n after each prompt, as busybox's shell does. Default false. */
  cursorQuery?: boolean;
}

/**
 * A simulated Linux guest on hvc0: a getty `login:` and `Password:`, then a
 * small shell with echo (and `$?`), true, false and exit; anything else is
 * "not found" with status 127.
 *
 * @example
 * ```ts
 * import { linuxGuest } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * let screen = "";
 * const guest = linuxGuest({ hostname: "deb1" });
 * guest.start({ write: (d) => screen += typeof d === "string" ? d : new TextDecoder().decode(d) });
 * assert.match(screen, /deb1 login: $/);
 * ```
 */
export function linuxGuest(options: LinuxGuestOptions): GuestProgram {
  const host = options.hostname;
  const accounts = options.accounts ?? { root: "xenpv" };
  let out: GuestConsole | undefined;
  let state: "user" | "password" | "shell" = "user";
  let user = "";
  let status = 0;
  const write = (s: string) => out?.write(s);
  const prompt = () =>
    write(
      `${user}@${host}:~${user === "root" ? "#" : "$"} ${options.cursorQuery ? "\x1b[6n" : ""}`,
    );
  const login = () => {
    state = "user";
    editor.echo = true;
    write(`\r\n${host} login: `);
  };
  const run = (line: string): "exit" | void => {
    const words = line.trim().split(/\s+/).filter((w) => w !== "");
    if (words.length === 0) return;
    const [cmd, ...args] = words;
    switch (cmd) {
      case "echo":
        write(`${args.join(" ").replaceAll("$?", String(status))}\r\n`);
        status = 0;
        return;
      case "true":
        status = 0;
        return;
      case "false":
        status = 1;
        return;
      case "exit":
      case "logout":
        return "exit";
      default:
        write(`-sh: ${cmd}: not found\r\n`);
        status = 127;
    }
  };
  const editor: LineEditor = new LineEditor({
    echo: (text) => write(text),
    interrupt: () => state === "shell" ? prompt() : login(),
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
          write("\r\nLogin incorrect\r\n");
          return login();
        }
        state = "shell";
        status = 0;
        write(`Linux ${host} 6.1.0-28-amd64 #1 SMP PREEMPT_DYNAMIC Debian x86_64\r\n`);
        prompt();
      } else {
        if (run(line) === "exit") return login();
        prompt();
      }
    },
  });
  return {
    start(console) {
      out = console;
      write(`\r\nDebian GNU/Linux 12 ${host} hvc0\r\n`);
      login();
    },
    input(data) {
      editor.input(new TextDecoder().decode(data));
    },
    stop() {
      out = undefined;
    },
  };
}
