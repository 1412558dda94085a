// Copyright 2026 the xenpv authors. MIT license.

import { LineEditor } from "./_line_editor.ts";
import type { GuestConsole, GuestProgram } from "./guest_program.ts";

/** An account of the simulated Windows guest. */
export interface WindowsAccount {
  /** The password LogonUser accepts. */
  password: string;
  /** A UAC-limited token: the helper asks `Run Elevated [yes|no]: `. */
  limited?: boolean;
}

/** Options for {@linkcode windowsGuest}. */
export interface WindowsGuestOptions {
  /** COMPUTERNAME, shown in the login prompt (upper-cased). */
  hostname: string;
  /** Accounts by user name (case-insensitive). Default: Administrator/xenpv (full), User/user (limited). */
  accounts?: Record<string, WindowsAccount>;
}

const DEFAULT_ACCOUNTS: Record<string, WindowsAccount> = {
  administrator: { password: "xenpv" },
  user: { password: "user", limited: true },
};

type State = "user" | "password" | "elevate" | "shell";

/**
 * A simulated Windows guest as the XENCONS monitor and tty helper present it:
 * `[ATTACHED]`, `<HOST> login: `, `Password: ` (not echoed), `Run Elevated
 * [yes|no]: ` for limited accounts, then a cmd.exe-like shell over pipes: the
 * helper echoes what is typed, CR ends a line, DEL erases, control characters
 * echo as `^X`, ^C interrupts. The shell knows echo, set and %VAR%, cd,
 * hostname, ver, whoami, exit and exit /b N, %ERRORLEVEL%, and answers
 * anything else with cmd's "is not recognized" and errorlevel 9009.
 *
 * @example
 * ```ts
 * import { windowsGuest } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * let screen = "";
 * const guest = windowsGuest({ hostname: "win1" });
 * guest.start({ write: (d) => screen += typeof d === "string" ? d : new TextDecoder().decode(d) });
 * assert.match(screen, /\[ATTACHED\]\r\n\r\nWIN1 login: $/);
 * ```
 */
export function windowsGuest(options: WindowsGuestOptions): GuestProgram {
  const host = options.hostname.toUpperCase();
  const accounts = Object.fromEntries(
    Object.entries(options.accounts ?? DEFAULT_ACCOUNTS).map(([k, v]) => [k.toLowerCase(), v]),
  );
  let out: GuestConsole | undefined;
  let state: State = "user";
  let user = "";
  let cwd = "";
  let errorlevel = 0;
  const env = new Map<string, string>();
  const write = (s: string) => out?.write(s);

  const prompt = () => write(`${cwd}>`);
  const loginPrompt = () => {
    state = "user";
    editor.echo = true;
    write(`\r\n${host} login: `);
  };
  const startShell = () => {
    state = "shell";
    cwd = `C:\\Users\\${user}`;
    errorlevel = 0;
    env.clear();
    env.set("COMPUTERNAME", host);
    env.set("USERNAME", user);
    write(
      "Microsoft Windows [Version 10.0.17763.4010]\r\n" +
        "(c) 2018 Microsoft Corporation. All rights reserved.\r\n\r\n",
    );
    prompt();
  };
  const expand = (text: string) =>
    text.replace(/%([^%]+)%/g, (whole, name: string) => {
      if (name.toUpperCase() === "ERRORLEVEL") return String(errorlevel);
      if (name.toUpperCase() === "CD") return cwd;
      return env.get(name.toUpperCase()) ?? whole;
    });

  const run = (raw: string): "exit" | void => {
    const line = expand(raw).trim();
    if (line === "") return;
    const [cmd, ...rest] = line.split(/\s+/);
    const args = line.slice(cmd.length).trim();
    switch (cmd.toLowerCase()) {
      case "echo":
        if (args === "") write(`ECHO is off.\r\n`);
        else write(`${args}\r\n`);
        errorlevel = 0;
        return;
      case "set": {
        if (args === "") {
          for (const [k, v] of env) write(`${k}=${v}\r\n`);
          return;
        }
        const eq = args.indexOf("=");
        if (eq < 0) {
          const hits = [...env].filter(([k]) => k.startsWith(args.toUpperCase()));
          if (hits.length === 0) {
            write(`Environment variable ${args} not defined\r\n`);
            errorlevel = 1;
          } else for (const [k, v] of hits) write(`${k}=${v}\r\n`);
          return;
        }
        const name = args.slice(0, eq).toUpperCase();
        const value = args.slice(eq + 1);
        if (value === "") env.delete(name);
        else env.set(name, value);
        return;
      }
      case "cd":
        if (args === "") write(`${cwd}\r\n`);
        else if (args === "..") cwd = cwd.replace(/\\[^\\]+$/, "") || "C:\\";
        else if (/^[a-zA-Z]:\\/.test(args)) cwd = args.replace(/\\$/, "");
        else cwd = `${cwd}\\${args}`;
        errorlevel = 0;
        return;
      case "hostname":
        write(`${host}\r\n`);
        errorlevel = 0;
        return;
      case "ver":
        write("\r\nMicrosoft Windows [Version 10.0.17763.4010]\r\n");
        errorlevel = 0;
        return;
      case "whoami":
        write(`${host.toLowerCase()}\\${user.toLowerCase()}\r\n`);
        errorlevel = 0;
        return;
      case "exit": {
        const m = /^\/b(?:\s+(-?\d+))?$/i.exec(args);
        if (m) {
          errorlevel = Number(m[1] ?? errorlevel);
          return;
        }
        return "exit";
      }
      default:
        write(
          `'${cmd}' is not recognized as an internal or external command,\r\n` +
            "operable program or batch file.\r\n",
        );
        errorlevel = 9009;
        void rest;
    }
  };

  const editor: LineEditor = new LineEditor({
    echo: (text) => write(text),
    interrupt: () => {
      if (state === "shell") prompt();
      else loginPrompt();
    },
    line: (line) => {
      switch (state) {
        case "user":
          if (line.trim() === "") return loginPrompt();
          user = line.trim();
          state = "password";
          editor.echo = false;
          write("Password: ");
          return;
        case "password": {
          editor.echo = true;
          const account = accounts[user.toLowerCase()];
          if (account === undefined || account.password !== line) {
            write("Logon failure: unknown user name or bad password.\r\n");
            return loginPrompt();
          }
          if (account.limited) {
            state = "elevate";
            write("Run Elevated [yes|no]: ");
            return;
          }
          return startShell();
        }
        case "elevate":
          if (/^y(es)?$/i.test(line.trim())) write("Running Elevated\r\n\r\n");
          return startShell();
        case "shell":
          if (run(line) === "exit") return loginPrompt();
          write("\r\n");
          return prompt();
      }
    },
  });

  return {
    start(console) {
      out = console;
      write("\r\n[ATTACHED]\r\n");
      loginPrompt();
    },
    input(data) {
      editor.input(new TextDecoder().decode(data));
    },
    stop() {
      out = undefined;
    },
  };
}
