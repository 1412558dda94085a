// Copyright 2026 the xenpv authors. MIT license.

import { CmdShell, type ConsoleCodePage, windowsDisk } from "./_cmd_shell.ts";
import { CodePage } from "../../xencons/code_page.ts";
import { machineOf } from "../machine.ts";
import { ConsoleOutput } from "../console_output.ts";
import type { ConsoleConditions, GuestProgram } from "../guest_program.ts";

/** An account of the simulated Windows guest. */
export interface WindowsAccount {
  /** The password LogonUser accepts. */
  password: string;
  /** A UAC-limited token: the helper asks `Run Elevated [yes|no]: `. */
  limited?: boolean;
}

/** Options for {@linkcode windowsGuest}. */
export interface WindowsGuestOptions extends ConsoleConditions {
  /** COMPUTERNAME, shown in the login prompt (upper-cased). */
  hostname: string;
  /**
   * Accounts by user name (case-insensitive). Default: `Administrator` /
   * `xenpv` (full token) and `User` / `user` (UAC-limited).
   */
  accounts?: Record<string, WindowsAccount>;
  /** The version cmd.exe and `ver` report. Default "10.0.15063" (the XENCONS announcement's). */
  version?: string;
  /** Milliseconds between `ping` replies. Default 1000. */
  pingInterval?: number;
  /**
   * The console's code page, as a localized Windows sets it: what its
   * output is written in and its input read in (850 for most of Western
   * Europe, 852, 866, 1252, or 65001 for UTF-8). `chcp` shows and changes
   * it; the change lasts for the guest's console, across logins. A
   * character the page lacks is written as `?`, as Windows does. Default
   * 437 (US English).
   */
  codePage?: number;
}

const DEFAULT_ACCOUNTS: Record<string, WindowsAccount> = {
  Administrator: { password: "xenpv" },
  User: { password: "user", limited: true },
};

/** The helper reads lines into 1024-character buffers (1023 for the shell, one kept for `\n`). */
const CREDENTIAL_LINE = 1024;
const SHELL_LINE = 1023;

const NOISE = [
  "XENBUS|PollerThread: event pending\r\n",
  "XENVIF|FrontendSetState: CONNECTED -> CONNECTED\r\n",
  "XENVBD|PdoUpdateInquiryData: Target[0] : VENDOR XENSRC\r\n",
];

type Stage = "user" | "password" | "elevate" | "shell";

/**
 * A simulated Windows guest as the XENCONS monitor service and its tty
 * helper present it, rule for rule:
 * - the monitor prints `\r\n[ATTACHED]\r\n` when the console device comes
 *   up and `\r\n[DETACHED]\r\n` when it goes; it restarts the helper
 *   whenever the helper exits;
 * - the helper prints `\r\n<HOST> login: ` and `Password: ` (not echoed),
 *   and for a UAC-limited account `\r\nRun Elevated [yes|no]: `; an empty
 *   user name, a failed logon or a ^C makes it exit silently (a new login
 *   prompt follows); only `yes` elevates (`Running Elevated`);
 * - its line editor echoes printable characters, erases with DEL, shows
 *   other control characters as `^X`, ends a line with CR (echoing `\r\n`)
 *   and DROPS whatever followed the CR in the same read, and drops a line
 *   that reaches 1023 characters without a CR; ^C becomes Ctrl-Break;
 * - behind it runs a small `cmd.exe /q /a` on pipes: the banner, prompts,
 *   `echo`, `set` and `%VAR%`, `exit [/b] [N]`, `cmd /c`, `netsh` (with its
 *   `netsh>` prompt and `interface ipv4 show global`), `ping` (which, like
 *   the real one, only prints statistics on Ctrl-Break), `waitfor`, `&`,
 *   `&&`, `||`, `|` (into `find`, `findstr`, `more`), `>`, `>>`, `2>`,
 *   `2>&1`, and cmd's "is not recognized" with ERRORLEVEL 9009;
 * - the everyday commands agree with each other and with the guest's name:
 *   `hostname`, `whoami`, `ipconfig [/all]`, `systeminfo` and the hosts file
 *   show one network interface (a Xen MAC, an address on 10.0.0.0/24), and
 *   `dir`, `type`, `cd`, `mkdir` and redirections share one small disk (a
 *   profile per account with a note in `Documents`), kept across logins;
 *   `tasklist`, `cls`, `ver`, `chcp` (the console's code page: see
 *   `codePage`), and `help`, which lists them all.
 *
 * `latency`, `chunk` and `noise` make the console slow, fragmented or noisy
 * (XENBUS-style driver log lines dropped anywhere in the output).
 *
 * @example
 * ```ts
 * import { windowsGuest } from "@xenpv/console/sim";
 * import assert from "node:assert/strict";
 *
 * let screen = "";
 * const guest = windowsGuest({ hostname: "win1" });
 * guest.start({ write: (d) => screen += typeof d === "string" ? d : new TextDecoder().decode(d) });
 * assert.match(screen, /\[ATTACHED\]\r\n\r\nWIN1 login: $/);
 * guest.stop();
 * ```
 */
export function windowsGuest(options: WindowsGuestOptions): GuestProgram {
  const host = options.hostname.toUpperCase();
  const accounts = accountsByName(options.accounts ?? DEFAULT_ACCOUNTS);
  const machine = machineOf(host);
  // One disk for the guest's life: what one session makes, the next one sees.
  const disk = windowsDisk(Object.values(accounts).map((a) => a.name), machine);
  const version = options.version ?? "10.0.15063";
  const codePage: ConsoleCodePage = { page: options.codePage ?? 437 };
  CodePage.of(codePage.page); // RangeError for a page without a table
  const out = new ConsoleOutput(
    options,
    NOISE,
    (text) => CodePage.of(codePage.page).encode(text, { replacement: 0x3f }),
  );
  const decode = inputDecoder(codePage);
  const write = (s: string) => out.write(s);
  const helper = new TtyHelper(host, accounts, write, (user, exit) =>
    new CmdShell({
      host,
      user,
      version,
      disk,
      machine,
      write,
      pingInterval: options.pingInterval ?? 1000,
      codePage,
      exit,
    }));
  let running = false;

  return {
    start(console) {
      running = true;
      out.attach(console);
      write("\r\n[ATTACHED]\r\n");
      helper.start();
    },
    input(data) {
      if (running) helper.read(decode(data));
    },
    stop() {
      if (!running) return;
      running = false;
      helper.stop();
      out.write("\r\n[DETACHED]\r\n");
      out.attach(undefined);
    },
  };
}

/** An account, with its name as Windows spells it. */
type NamedAccount = WindowsAccount & { name: string };

/** The accounts by lower-cased name (Windows user names are case-insensitive). */
function accountsByName(accounts: Record<string, WindowsAccount>): Record<string, NamedAccount> {
  return Object.fromEntries(
    Object.entries(accounts).map(([k, v]) => [k.toLowerCase(), { ...v, name: k }]),
  );
}

/** Decodes input bytes in the console's page (UTF-8 keeps a cut sequence for the next read). */
function inputDecoder(codePage: ConsoleCodePage): (data: Uint8Array) => string {
  let utf8 = new TextDecoder();
  return (data) => {
    if (codePage.page === 65001) return utf8.decode(data, { stream: true });
    utf8 = new TextDecoder();
    return CodePage.of(codePage.page).decode(data);
  };
}

/**
 * The XENCONS tty helper: its line editor, its login dialogue (user name,
 * password, elevation for a limited account), then cmd.exe, which it feeds
 * lines. The monitor (re)starts it.
 */
class TtyHelper {
  #host: string;
  #accounts: Record<string, NamedAccount>;
  #write: (s: string) => void;
  #newShell: (user: string, exit: () => void) => CmdShell;
  #stage: Stage = "user";
  #buffer = "";
  #user = "";
  #password = "";
  #shell: CmdShell | undefined;

  constructor(
    host: string,
    accounts: Record<string, NamedAccount>,
    write: (s: string) => void,
    newShell: (user: string, exit: () => void) => CmdShell,
  ) {
    this.#host = host;
    this.#accounts = accounts;
    this.#write = write;
    this.#newShell = newShell;
  }

  /** The helper (re)starts: a fresh login prompt. */
  start(): void {
    this.stop();
    this.#stage = "user";
    this.#buffer = "";
    this.#user = "";
    this.#password = "";
    this.#write(`\r\n${this.#host} login: `);
  }

  /** cmd.exe ends with the console. */
  stop(): void {
    this.#shell?.stop();
    this.#shell = undefined;
  }

  /** One read of the helper: characters after a line's end are lost with the read. */
  read(chunk: string): void {
    const noEcho = this.#stage === "password";
    const limit = this.#stage === "shell" ? SHELL_LINE : CREDENTIAL_LINE;
    for (const ch of chunk) {
      const code = ch.codePointAt(0)!;
      const control = code < 0x20 || code === 0x7f;
      if (!control) {
        if (!noEcho) this.#write(ch);
        this.#buffer += ch;
      } else if (code === 0x7f) {
        if (this.#buffer.length > 0) {
          const removed = this.#buffer.codePointAt(this.#buffer.length - 1)!;
          this.#buffer = this.#buffer.slice(0, -1);
          if (removed < 0x20) this.#write("\b\b  \b\b");
          else if (!noEcho) this.#write("\b \b");
        }
      } else if (code === 0x03 || code === 0x0d) {
        const line = this.#buffer;
        this.#buffer = "";
        this.#endLine(line, ch as "\r" | "\x03");
        return;
      } else {
        this.#write(`^${String.fromCharCode(code + 0x40)}`);
        this.#buffer += ch;
      }
      if (this.#buffer.length >= limit) {
        this.#buffer = "";
        this.#endLine("", "");
        return;
      }
    }
  }

  /** A line ended (with CR, ^C, or by filling the buffer): the dialogue's next step. */
  #endLine(line: string, end: "\r" | "\x03" | ""): void {
    this.#write("\r\n");
    switch (this.#stage) {
      case "user":
        if (end !== "\r" || line === "") return this.start();
        this.#user = line;
        this.#stage = "password";
        this.#write("Password: ");
        return;
      case "password":
        if (end !== "\r") return this.start();
        this.#password = line;
        return this.#logon();
      case "elevate":
        if (end !== "\r" || line === "") return this.start();
        this.#write("\r\n");
        if (line === "yes") this.#write("Running Elevated\r\n\r\n");
        return this.#startShell();
      case "shell":
        if (end === "\x03") return this.#shell?.break();
        if (end === "\r") this.#shell?.input(line);
        return; // a full buffer without CR is dropped
    }
  }

  #logon(): void {
    const account = this.#accounts[this.#user.toLowerCase()];
    const ok = account !== undefined && account.password === this.#password;
    this.#password = "";
    if (!ok) return this.start(); // LogonUser failed: the helper exits
    if (account.limited) {
      this.#stage = "elevate";
      this.#write("\r\nRun Elevated [yes|no]: ");
      return;
    }
    this.#startShell();
  }

  #startShell(): void {
    this.#stage = "shell";
    const user = this.#accounts[this.#user.toLowerCase()]?.name ?? this.#user;
    const me = this.#newShell(user, () => {
      // cmd.exe ended: the helper's threads end, it exits, the monitor restarts it.
      if (this.#shell === me) queueMicrotask(() => this.start());
    });
    this.#shell = me;
  }
}
