// Copyright 2026 the xenpv authors. MIT license.
// The simulated Linux guest's login: its disk, its accounts, the shell's
// variables and current directory, and a table of commands (handlers of
// _linux_command.ts, by theme), all reporting the same machine (../machine.ts).

import { machineOf, type SimData, SimFiles, type SimMachine, textOf } from "../machine.ts";
import {
  type Account,
  type Io,
  isPerson,
  type LinuxHandler,
  type Sh,
  type Status,
} from "./_linux_command.ts";
import { DATA_COMMANDS } from "./_linux_data.ts";
import { FILE_COMMANDS } from "./_linux_files.ts";
import { SYSTEM_COMMANDS } from "./_linux_system.ts";

/** The commands this guest knows. */
const COMMANDS = new Map<string, LinuxHandler>(Object.entries({
  ...SYSTEM_COMMANDS,
  ...FILE_COMMANDS,
  ...DATA_COMMANDS,
}));

/** The system's own accounts, then the guest's users from uid 1000. */
function accountsOf(users: string[]): Account[] {
  const system: Account[] = [
    { name: "root", uid: 0, home: "/root" },
    { name: "daemon", uid: 1, home: "/usr/sbin" },
    { name: "bin", uid: 2, home: "/bin" },
    { name: "sys", uid: 3, home: "/dev" },
    { name: "nobody", uid: 65534, home: "/nonexistent" },
  ];
  const own = users.filter((u) => !system.some((a) => a.name === u))
    .map((name, i) => ({ name, uid: 1000 + i, home: `/home/${name}` }));
  return [...system, ...own];
}

function notes(host: string): string {
  return `Notes on ${host}\n\n` +
    "This Debian guest is simulated; its console is hvc0, the PV console, as on a real one.\n" +
    "Try: uname -a, hostname, id, ip addr, ls -l /etc, cat /etc/hosts, cd /tmp,\n" +
    "echo hello > hello.txt, cat hello.txt, ip a | grep inet, sleep 2, help.\n";
}

/** The simulated disk. */
function linuxFiles(m: SimMachine, accounts: Account[]): SimFiles {
  const entries: Record<string, string | null> = {
    "/bin": null,
    "/etc/debian_version": "12.8\n",
    "/etc/hostname": `${m.host}\n`,
    "/etc/hosts": `127.0.0.1\tlocalhost\n${m.ip}\t${m.host}\n`,
    "/etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n' +
      'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
    "/etc/passwd": accounts.map((a) =>
      `${a.name}:x:${a.uid}:${a.uid}:${a.name}:${a.home}:${
        a.uid === 0 || isPerson(a) ? "/bin/sh" : "/usr/sbin/nologin"
      }\n`
    ).join(""),
    "/home": null,
    "/root/.profile": 'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n',
    "/root/notes.txt": notes(m.host),
    "/tmp": null,
    "/usr/bin": null,
    "/var/log": null,
  };
  for (const a of accounts) {
    if (isPerson(a)) entries[`${a.home}/notes.txt`] = notes(m.host);
  }
  return new SimFiles("/", entries);
}

/** The shell's commands, its variables and its current directory. */
export class LinuxCommands {
  #m: SimMachine;
  #fs: SimFiles;
  #accounts: Account[];
  #cwd = "/";
  #vars = new Map<string, string>();
  /** The variables `env` shows (the login's, and those exported since). */
  #exported = new Set<string>();
  #user: () => string;
  #sleep: (seconds: number) => Promise<boolean | "quit">;
  /** The login as its commands see it. */
  #sh: Sh;

  constructor(
    host: string,
    users: string[],
    user: () => string,
    sleep: (seconds: number) => Promise<boolean | "quit">,
  ) {
    this.#m = machineOf(host);
    this.#accounts = accountsOf(users);
    this.#fs = linuxFiles(this.#m, this.#accounts);
    this.#user = user;
    this.#sleep = sleep;
    this.#sh = this.#context();
  }

  /** What the commands may see and do of this login. */
  #context(): Sh {
    // deno-lint-ignore no-this-alias
    const self = this;
    return {
      machine: this.#m,
      fs: this.#fs,
      accounts: this.#accounts,
      get cwd() {
        return self.#cwd;
      },
      set cwd(path) {
        self.#cwd = path;
      },
      get vars() {
        return self.#vars; // a login replaces them
      },
      get exported() {
        return self.#exported;
      },
      user: () => this.#user(),
      account: () => this.#account(),
      homeDir: () => this.#homeDir(),
      writable: (path) => this.#writable(path),
      resolve: (path) => this.#resolve(path),
      read: (tool, path, io) => {
        const data = this.#read(tool, path, io);
        return data === undefined ? undefined : textOf(data);
      },
      data: (tool, path, io) => this.#read(tool, path, io),
      sleep: (seconds) => this.#sleep(seconds),
    };
  }

  /** A fresh login: the user's home directory and environment. */
  login(): void {
    const user = this.#user();
    this.#cwd = this.#homeDir();
    this.#vars = new Map([
      ["HOME", this.#cwd],
      ["LOGNAME", user],
      ["PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      ["PWD", this.#cwd],
      ["SHELL", "/bin/sh"],
      ["TERM", "vt220"],
      ["USER", user],
    ]);
    this.#exported = new Set(this.#vars.keys());
  }

  /** The directory as a prompt shows it (`~` at home). */
  where(): string {
    return this.#cwd === this.#homeDir() ? "~" : this.#cwd;
  }

  /** A variable's value (unset: undefined). */
  variable(name: string): string | undefined {
    return this.#vars.get(name);
  }

  /** Every variable, sorted by name (what `set` alone prints). */
  variables(): [string, string][] {
    return [...this.#vars].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  }

  /** `NAME=value` typed alone. */
  assign(name: string, value: string): void {
    this.#vars.set(name, value);
  }

  /** The state a subshell `( ... )` changes for itself only: restore() puts it back. */
  save(): () => void {
    const cwd = this.#cwd;
    const vars = new Map(this.#vars);
    const exported = new Set(this.#exported);
    return () => {
      this.#cwd = cwd;
      this.#vars = vars;
      this.#exported = exported;
    };
  }

  /** A path as the shell opens it: absolute, `.` and `..` resolved. */
  resolve(target: string): string {
    return target === "/dev/null" ? target : this.#resolve(target);
  }

  /** Whether a regular file is at `target` (noclobber refuses to create it). */
  isFile(target: string): boolean {
    return target !== "/dev/null" && this.#fs.isFile(this.#resolve(target));
  }

  /** Runs one simple command. */
  async run(cmd: string, args: string[], io: Io): Promise<Status> {
    const handler = COMMANDS.get(cmd);
    if (handler) return await handler(args, io, this.#sh);
    io.err(`-sh: ${cmd}: not found\n`);
    return 127;
  }

  /** Opens a file for `>` or `>>`: a writer, or the shell's complaint. */
  open(target: string, append: boolean): ((text: SimData) => void) | string {
    if (target === "/dev/null") return () => {};
    const path = this.#resolve(target);
    if (this.#fs.isDir(path)) return `-sh: cannot create ${target}: Is a directory\n`;
    if (!this.#fs.isDir(this.#fs.parent(path))) {
      return `-sh: cannot create ${target}: Directory nonexistent\n`;
    }
    if (!this.#writable(path)) return `-sh: cannot create ${target}: Permission denied\n`;
    if (!append || !this.#fs.isFile(path)) this.#fs.write(path, "");
    return (text) => this.#fs.append(path, text);
  }

  /** A file's content for `<`, or the shell's complaint. */
  slurp(target: string): { content: SimData } | { error: string } {
    if (target === "/dev/null") return { content: "" };
    const content = this.#fs.data(this.#resolve(target));
    return content === undefined
      ? { error: `-sh: cannot open ${target}: No such file\n` }
      : { content };
  }

  #account(): Account {
    const user = this.#user();
    return this.#accounts.find((a) => a.name === user) ??
      { name: user, uid: 1000, home: `/home/${user}` };
  }

  #homeDir(): string {
    return this.#account().home;
  }

  /** Whether the user may change `path`: root anywhere, others at home and in /tmp. */
  #writable(path: string): boolean {
    const a = this.#account();
    return a.uid === 0 || [a.home, "/tmp"].some((d) => path === d || path.startsWith(`${d}/`));
  }

  #resolve(path: string): string {
    const start = path.startsWith("/") ? [] : this.#cwd.split("/").filter(Boolean);
    for (const part of path.split("/")) {
      if (part === "..") start.pop();
      else if (part !== "." && part !== "") start.push(part);
    }
    return `/${start.join("/")}`;
  }

  /** A file for a command that reads files (cat, grep...), or its complaint. */
  #read(tool: string, path: string, io: Io): SimData | undefined {
    if (path === "-") return io.input ?? "";
    const full = this.#resolve(path);
    const content = this.#fs.data(full);
    if (content !== undefined) return content;
    const why = this.#fs.isDir(full) ? "Is a directory" : "No such file or directory";
    io.err(`${tool}: ${path}: ${why}\n`);
    return undefined;
  }
}
