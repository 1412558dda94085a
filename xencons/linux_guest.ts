// Copyright 2026 the xenpv authors. MIT license.

import { ConsoleOutput } from "./_console_output.ts";
import { LineEditor } from "./_line_editor.ts";
import type { ConsoleConditions, GuestProgram } from "./guest_program.ts";
import { kernelLine, LinuxCommands, MOTD } from "./_linux_commands.ts";

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

/** Splits shell words: '...' literal, "..." with $? expanded, \ escapes, # comments. */
function words(text: string, status: number): { words: string[]; op: string; rest: string } {
  const out: string[] = [];
  let word: string | undefined;
  let i = 0;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") {
      let j = text.indexOf("'", i + 1);
      if (j < 0) j = text.length; // unterminated: the rest (drain() waits for the quote)
      word = (word ?? "") + text.slice(i + 1, j);
      i = j;
    } else if (ch === '"') {
      let j = i + 1;
      let s = "";
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && '"\\$'.includes(text[j + 1])) s += text[++j];
        else s += text[j];
      }
      word = (word ?? "") + s.replaceAll("$?", String(status));
      i = j;
    } else if (ch === "\\") {
      word = (word ?? "") + (text[++i] ?? "");
    } else if (ch === "#" && word === undefined) {
      i = text.indexOf("\n", i) < 0 ? text.length : text.indexOf("\n", i) - 1;
    } else if (/\s/.test(ch) && ch !== "\n") {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else if (
      ch === ";" || ch === "\n" || (ch === "&" && text[i + 1] === "&") ||
      (ch === "|" && text[i + 1] === "|")
    ) {
      if (word !== undefined) out.push(word);
      const op = ch === ";" || ch === "\n" ? ";" : ch + ch;
      return { words: out, op, rest: text.slice(i + op.length) };
    } else {
      word = (word ?? "") + (ch === "$" && text[i + 1] === "?" ? (i++, String(status)) : ch);
    }
  }
  if (word !== undefined) out.push(word);
  return { words: out, op: "", rest: "" };
}

/** Whether `text` ends outside quotes (else the shell reads another line). */
function complete(text: string): boolean {
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote === "'") {
      if (ch === "'") quote = "";
    } else if (ch === "\\") {
      i++;
    } else if (quote === '"') {
      if (ch === '"') quote = "";
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    }
  }
  return quote === "";
}

/**
 * A simulated Linux guest on hvc0: a getty `login:` and `Password:` (wrong
 * credentials get `Login incorrect`), then a small POSIX-like shell: `echo`,
 * `$?`, `true`, `false`, `sleep`, `eval`, `exit`/`logout`, quoting, `;`,
 * `&&`, `||`, comments, continuation lines (`> `) while a quote is open, and
 * the everyday commands over a small file system that agree with each other
 * and with the guest's name: `ls`, `cat`, `cd`, `pwd`, `uname`, `hostname`,
 * `id`, `whoami`, `ip addr`, `help`; anything else is "not found" with
 * status 127. ^C stops `sleep` (status 130)
 * and drops the rest of the line. `noise` drops kernel messages anywhere in
 * the output, as printk does on a console.
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
  let status = 0;
  let pending = ""; // an unfinished (quoted) command
  const queue: string[] = [];
  let busy = false;
  let stopSleep: (() => void) | undefined;
  let loginTimer: ReturnType<typeof setTimeout> | undefined;
  const write = (s: string) => out.write(s);
  const prompt = () =>
    write(
      `${user}@${host}:${shell.where()}${user === "root" ? "#" : "$"} ${
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

  const shell = new LinuxCommands(host, () => user, write, sleep);

  /** Runs a command list; "exit" ends the shell, "interrupted" drops the rest. */
  const execute = async (text: string): Promise<"exit" | "interrupted" | void> => {
    let skip = false;
    let rest = text;
    while (rest.trim() !== "") {
      const { words: argv, op, rest: next } = words(rest, status);
      rest = next;
      if (!skip && argv.length > 0) {
        const [cmd, ...args] = argv;
        if (cmd === "exit" || cmd === "logout") return "exit";
        if (cmd === "eval") {
          const r = await execute(args.join(" "));
          if (r) return r;
        } else {
          const r = await shell.run(cmd, args);
          if (r === "interrupted") {
            status = 130;
            return r;
          }
          status = r;
        }
      }
      skip = (op === "&&" && status !== 0) || (op === "||" && status === 0);
    }
  };

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
      const r = await execute(text);
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
        status = 0;
        shell.home();
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
