// Copyright 2026 the xenpv authors. MIT license.
// The simulated Linux guest's commands: a table of handlers over a small file
// system and the session's variables, all reporting the same machine
// (../machine.ts). Handlers write "\n"; the console adds the "\r" (ONLCR),
// files keep what was written.

import { byteLength, machineOf, SimFiles, type SimMachine } from "../machine.ts";

const KERNEL = "6.1.0-28-amd64";
const KERNEL_VERSION = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)";

/** `uname -a` without the trailing "GNU/Linux": what Debian's motd starts with. */
export function kernelLine(host: string): string {
  return `Linux ${host} ${KERNEL} ${KERNEL_VERSION} x86_64`;
}

/** Printed after a login: what this simulated guest can do. */
export const MOTD = "This Debian guest is simulated: `help` lists the commands it knows.\r\n\r\n";

const HELP = [
  "Commands this simulated Debian guest knows:",
  "  cat [FILE...]      cd [DIR|-]         clear              echo [-n] [WORD...]",
  "  env                eval WORDS         exit [N], logout   export NAME=VALUE",
  "  false, true        grep [-ivcn] PATTERN [FILE...]        head, tail [-n N]",
  "  help               hostname [-I]      id                 ip addr|link|route",
  "  ls [-la] [PATH...] mkdir [-p] DIR     ps                 pwd",
  "  rm [-f] FILE       sleep SECONDS      touch FILE         uname [-asnrvmo]",
  "  unset NAME         wc [-lwc]          whoami",
  "and sh's ' \" \\ quoting, $? $NAME ${NAME} ~, NAME=VALUE, # comments,",
  "; && || | between commands, > >> 2> 2>&1 < redirections.",
  "",
].join("\n");

/** The status of a command, or "interrupted" when ^C stopped it. */
export type Status = number | "interrupted";

/** Where a command's output goes and what it reads. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Standard input: what the command before `|` printed, or a `<` file. */
  input?: string;
}

type Handler = (args: string[], io: Io) => Status | Promise<Status>;

/** An account as /etc/passwd has it. */
interface Account {
  name: string;
  uid: number;
  home: string;
}

/** A person's account (not root's, not the system's). */
function isPerson(a: Account): boolean {
  return a.uid >= 1000 && a.uid < 65534;
}

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

/** Lines of a text (a final "\n" does not start another). */
function lines(text: string): string[] {
  const out = text.split("\n");
  if (out.at(-1) === "") out.pop();
  return out;
}

/** Names laid out as `ls` does on an 80-column terminal: down the columns. */
function columns(names: string[]): string {
  if (names.length === 0) return "";
  for (let cols = names.length; cols > 1; cols--) {
    const rows = Math.ceil(names.length / cols);
    const widths = Array.from(
      { length: cols },
      (_, c) => Math.max(0, ...names.slice(c * rows, (c + 1) * rows).map((n) => n.length)),
    );
    if (widths.reduce((a, b) => a + b + 2, 0) - 2 > 80) continue;
    let out = "";
    for (let r = 0; r < rows; r++) {
      const row = widths.map((w, c) => [names[c * rows + r], w] as const)
        .filter(([n]) => n !== undefined);
      out += row.map(([n, w], i) => i === row.length - 1 ? n : n.padEnd(w + 2)).join("") + "\n";
    }
    return out;
  }
  return names.join("\n") + "\n";
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
  #sleep: (seconds: number) => Promise<boolean>;
  #table: Map<string, Handler>;

  constructor(
    host: string,
    users: string[],
    user: () => string,
    sleep: (seconds: number) => Promise<boolean>,
  ) {
    this.#m = machineOf(host);
    this.#accounts = accountsOf(users);
    this.#fs = linuxFiles(this.#m, this.#accounts);
    this.#user = user;
    this.#sleep = sleep;
    this.#table = this.#commands();
  }

  #commands(): Map<string, Handler> {
    const text = (io: Io, t: string) => (io.out(t), 0);
    return new Map<string, Handler>([
      ["echo", (args, io) => this.#echo(args, io)],
      ["true", () => 0],
      [":", () => 0],
      ["false", () => 1],
      ["sleep", (args, io) => this.#sleepCommand(args, io)],
      ["help", (_, io) => text(io, HELP)],
      ["clear", (_, io) => text(io, "\x1b[H\x1b[J")],
      [
        "hostname",
        (args, io) => text(io, args[0] === "-I" ? `${this.#m.ip} \n` : `${this.#m.host}\n`),
      ],
      ["whoami", (_, io) => text(io, `${this.#user()}\n`)],
      ["id", (_, io) => this.#id(io)],
      ["uname", (args, io) => this.#uname(args, io)],
      ["pwd", (_, io) => text(io, `${this.#cwd}\n`)],
      ["cd", (args, io) => this.#cd(args, io)],
      ["ls", (args, io) => this.#ls(args, io)],
      ["cat", (args, io) => this.#cat(args, io)],
      ["grep", (args, io) => this.#grep(args, io)],
      ["head", (args, io) => this.#headTail(args, io, "head")],
      ["tail", (args, io) => this.#headTail(args, io, "tail")],
      ["wc", (args, io) => this.#wc(args, io)],
      ["mkdir", (args, io) => this.#mkdir(args, io)],
      ["touch", (args, io) => this.#touch(args, io)],
      ["rm", (args, io) => this.#rm(args, io)],
      [
        "env",
        (_, io) =>
          text(
            io,
            [...this.#vars].filter(([k]) => this.#exported.has(k)).map(([k, v]) => `${k}=${v}\n`)
              .join(""),
          ),
      ],
      ["export", (args) => this.#export(args)],
      [
        "unset",
        (args) => (args.forEach((a) => (this.#vars.delete(a), this.#exported.delete(a))), 0),
      ],
      ["ps", (_, io) => this.#ps(io)],
      ["ip", (args, io) => this.#ip(args, io)],
    ]);
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

  /** `NAME=value` typed alone. */
  assign(name: string, value: string): void {
    this.#vars.set(name, value);
  }

  /** Runs one simple command. */
  async run(cmd: string, args: string[], io: Io): Promise<Status> {
    const handler = this.#table.get(cmd);
    if (handler) return await handler(args, io);
    io.err(`-sh: ${cmd}: not found\n`);
    return 127;
  }

  /** Opens a file for `>` or `>>`: a writer, or the shell's complaint. */
  open(target: string, append: boolean): ((text: string) => void) | string {
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
  slurp(target: string): { content: string } | { error: string } {
    if (target === "/dev/null") return { content: "" };
    const content = this.#fs.read(this.#resolve(target));
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
  #read(tool: string, path: string, io: Io): string | undefined {
    if (path === "-") return io.input ?? "";
    const full = this.#resolve(path);
    const content = this.#fs.read(full);
    if (content !== undefined) return content;
    const why = this.#fs.isDir(full) ? "Is a directory" : "No such file or directory";
    io.err(`${tool}: ${path}: ${why}\n`);
    return undefined;
  }

  #echo(args: string[], io: Io): number {
    const newline = args[0] !== "-n";
    io.out(`${(newline ? args : args.slice(1)).join(" ")}${newline ? "\n" : ""}`);
    return 0;
  }

  async #sleepCommand(args: string[], io: Io): Promise<Status> {
    if (args.length === 0) {
      io.err("sleep: missing operand\nTry 'sleep --help' for more information.\n");
      return 1;
    }
    const unit: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86400 };
    let seconds = 0;
    for (const arg of args) {
      const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
      if (!m) {
        io.err(`sleep: invalid time interval '${arg}'\nTry 'sleep --help' for more information.\n`);
        return 1;
      }
      seconds += Number(m[1]) * unit[m[2]];
    }
    return (await this.#sleep(seconds)) ? 0 : "interrupted";
  }

  #id(io: Io): number {
    const a = this.#account();
    io.out(`uid=${a.uid}(${a.name}) gid=${a.uid}(${a.name}) groups=${a.uid}(${a.name})\n`);
    return 0;
  }

  #uname(args: string[], io: Io): number {
    const all = ["Linux", this.#m.host, KERNEL, KERNEL_VERSION, "x86_64", "GNU/Linux"];
    const pick: Record<string, number> = { s: 0, n: 1, r: 2, v: 3, m: 4, o: 5 };
    const chosen = new Set<number>();
    const usage = "Try 'uname --help' for more information.\n";
    for (const arg of args) {
      if (arg === "--all") {
        all.forEach((_, i) => chosen.add(i));
        continue;
      }
      if (!/^-./.test(arg)) {
        io.err(`uname: extra operand '${arg}'\n${usage}`);
        return 1;
      }
      for (const f of arg.slice(1)) {
        if (f === "a") all.forEach((_, i) => chosen.add(i));
        else if (Object.hasOwn(pick, f)) chosen.add(pick[f]);
        else {
          io.err(`uname: invalid option -- '${f}'\n${usage}`);
          return 1;
        }
      }
    }
    if (chosen.size === 0) chosen.add(0);
    io.out(`${[...chosen].sort().map((i) => all[i]).join(" ")}\n`);
    return 0;
  }

  #cd(args: string[], io: Io): number {
    const home = this.#vars.get("HOME") ?? this.#homeDir();
    const arg = args[0] === "-" ? this.#vars.get("OLDPWD") ?? this.#cwd : args[0] ?? home;
    const target = this.#resolve(arg);
    if (!this.#fs.isDir(target)) {
      const why = this.#fs.isFile(target) ? "Not a directory" : "No such file or directory";
      io.err(`-sh: cd: can't cd to ${arg}: ${why}\n`);
      return 2;
    }
    this.#vars.set("OLDPWD", this.#cwd);
    this.#cwd = target;
    this.#vars.set("PWD", target);
    if (args[0] === "-") io.out(`${target}\n`);
    return 0;
  }

  #ls(args: string[], io: Io): number {
    const flags = args.filter((a) => /^-\w/.test(a)).join("");
    const long = flags.includes("l");
    const hidden = flags.includes("a");
    const paths = args.filter((a) => !/^-\w/.test(a));
    const owner = (path: string) =>
      this.#accounts.find((a) => isPerson(a) && (path + "/").startsWith(`${a.home}/`))?.name ??
        "root";
    const show = (dir: string, entries: [string, number | "dir"][]) => {
      if (!long) return io.out(columns(entries.map(([n]) => n)));
      const blocks = entries.reduce((sum, [, s]) => sum + (s === "dir" || s > 0 ? 4 : 0), 0);
      if (dir !== "") io.out(`total ${blocks}\n`);
      for (const [name, size] of entries) {
        const who = owner(dir === "" ? this.#resolve(name) : `${dir}/${name}`).padEnd(4);
        const mode = size === "dir" ? "drwxr-xr-x 2" : "-rw-r--r-- 1";
        const bytes = size === "dir" ? 4096 : size;
        io.out(`${mode} ${who} ${who} ${String(bytes).padStart(4)} Nov 22  2024 ${name}\n`);
      }
    };
    let status = 0;
    const files: [string, number][] = [];
    const dirs: string[] = [];
    for (const path of paths.length > 0 ? paths : ["."]) {
      const full = this.#resolve(path);
      const content = this.#fs.read(full);
      if (content !== undefined) files.push([path, byteLength(content)]);
      else if (this.#fs.isDir(full)) dirs.push(path);
      else {
        io.err(`ls: cannot access '${path}': No such file or directory\n`);
        status = 2;
      }
    }
    if (files.length > 0) show("", files);
    dirs.forEach((path, i) => {
      const full = this.#resolve(path);
      if (files.length > 0 || i > 0) io.out("\n");
      if (files.length + dirs.length > 1) io.out(`${path}:\n`);
      const dots: [string, "dir"][] = hidden ? [[".", "dir"], ["..", "dir"]] : [];
      const list = this.#fs.list(full).filter(([n]) => hidden || !n.startsWith("."));
      show(full === "/" ? "" : full, [...dots, ...list]);
    });
    return status;
  }

  #cat(args: string[], io: Io): number {
    let status = 0;
    for (const path of args.length > 0 ? args : ["-"]) {
      const content = this.#read("cat", path, io);
      if (content === undefined) status = 1;
      else io.out(content);
    }
    return status;
  }

  #grep(args: string[], io: Io): number {
    const flags = args.filter((a) => /^-[a-zA-Z]+$/.test(a)).join("");
    const [pattern, ...files] = args.filter((a) => !/^-[a-zA-Z]+$/.test(a));
    if (pattern === undefined) {
      io.err(
        "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n",
      );
      return 2;
    }
    let re: RegExp;
    try {
      re = new RegExp(
        flags.includes("F") ? pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : pattern,
        flags.includes("i") ? "i" : "",
      );
    } catch {
      io.err(`grep: Invalid regular expression\n`);
      return 2;
    }
    let found = 0;
    let failed = false;
    for (const file of files.length > 0 ? files : ["-"]) {
      const content = this.#read("grep", file, io);
      if (content === undefined) {
        failed = true;
        continue;
      }
      const prefix = files.length > 1 ? `${file}:` : "";
      const hits = lines(content).map((l, i) => [l, i + 1] as const)
        .filter(([l]) => re.test(l) !== flags.includes("v"));
      found += hits.length;
      if (flags.includes("c")) io.out(`${prefix}${hits.length}\n`);
      else {
        for (const [l, n] of hits) io.out(`${prefix}${flags.includes("n") ? `${n}:` : ""}${l}\n`);
      }
    }
    return failed ? 2 : found > 0 ? 0 : 1;
  }

  #headTail(args: string[], io: Io, tool: "head" | "tail"): number {
    let count = 10;
    const files: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === "-n") count = Number(args[++i]);
      else if (/^-n?\d+$/.test(args[i])) count = Number(args[i].replace(/^-n?/, ""));
      else files.push(args[i]);
    }
    if (!Number.isInteger(count) || count < 0) {
      io.err(`${tool}: invalid number of lines\n`);
      return 1;
    }
    let status = 0;
    for (const file of files.length > 0 ? files : ["-"]) {
      const content = this.#read(tool, file, io);
      if (content === undefined) {
        status = 1;
        continue;
      }
      if (files.length > 1) io.out(`==> ${file} <==\n`);
      const all = lines(content);
      const part = tool === "head"
        ? all.slice(0, count)
        : all.slice(Math.max(0, all.length - count));
      io.out(part.map((l) => `${l}\n`).join(""));
    }
    return status;
  }

  #wc(args: string[], io: Io): number {
    const flags = args.filter((a) => /^-[lwc]+$/.test(a)).join("");
    const files = args.filter((a) => !/^-[lwc]+$/.test(a));
    const want = flags === "" ? "lwc" : flags;
    let status = 0;
    for (const file of files.length > 0 ? files : ["-"]) {
      const content = this.#read("wc", file, io);
      if (content === undefined) {
        status = 1;
        continue;
      }
      const counts = [
        want.includes("l") ? [(content.match(/\n/g) ?? []).length] : [],
        want.includes("w") ? [content.split(/\s+/).filter(Boolean).length] : [],
        want.includes("c") ? [byteLength(content)] : [],
      ].flat();
      const width = counts.length === 1 ? 0 : 7;
      io.out(
        `${counts.map((c) => String(c).padStart(width)).join(" ")}${
          file === "-" ? "" : ` ${file}`
        }\n`,
      );
    }
    return status;
  }

  #mkdir(args: string[], io: Io): number {
    const parents = args.includes("-p");
    let status = 0;
    for (const dir of args.filter((a) => a !== "-p")) {
      const full = this.#resolve(dir);
      const fail = (why: string) => {
        io.err(`mkdir: cannot create directory '${dir}': ${why}\n`);
        status = 1;
      };
      if (this.#fs.isDir(full) || this.#fs.isFile(full)) {
        if (!parents || this.#fs.isFile(full)) fail("File exists");
      } else if (!parents && !this.#fs.isDir(this.#fs.parent(full))) {
        fail("No such file or directory");
      } else if (!this.#writable(full)) fail("Permission denied");
      else this.#fs.mkdir(full);
    }
    return status;
  }

  #touch(args: string[], io: Io): number {
    let status = 0;
    for (const file of args) {
      const full = this.#resolve(file);
      if (this.#fs.isDir(full) || this.#fs.isFile(full)) continue;
      const why = !this.#fs.isDir(this.#fs.parent(full))
        ? "No such file or directory"
        : !this.#writable(full)
        ? "Permission denied"
        : undefined;
      if (why) {
        io.err(`touch: cannot touch '${file}': ${why}\n`);
        status = 1;
      } else this.#fs.write(full, "");
    }
    return status;
  }

  #rm(args: string[], io: Io): number {
    const force = args.some((a) => /^-\w*f/.test(a));
    let status = 0;
    for (const file of args.filter((a) => !a.startsWith("-"))) {
      const full = this.#resolve(file);
      const why = this.#fs.isDir(full)
        ? "Is a directory"
        : !this.#fs.isFile(full)
        ? force ? undefined : "No such file or directory"
        : !this.#writable(full)
        ? "Permission denied"
        : (this.#fs.remove(full), undefined);
      if (why) {
        io.err(`rm: cannot remove '${file}': ${why}\n`);
        status = 1;
      }
    }
    return status;
  }

  #export(args: string[]): number {
    for (const arg of args) {
      const eq = arg.indexOf("=");
      if (eq > 0) this.#vars.set(arg.slice(0, eq), arg.slice(eq + 1));
      this.#exported.add(eq > 0 ? arg.slice(0, eq) : arg);
    }
    return 0;
  }

  #ps(io: Io): number {
    const pid = this.#account().uid === 0 ? 612 : 731;
    io.out(
      "    PID TTY          TIME CMD\n" +
        `${String(pid).padStart(7)} hvc0     00:00:00 sh\n` +
        `${String(pid + 89).padStart(7)} hvc0     00:00:00 ps\n`,
    );
    return 0;
  }

  #ip(args: string[], io: Io): number {
    const m = this.#m;
    const object = args[0] ?? "";
    const is = (full: string, shortest: number) =>
      object.length >= shortest && full.startsWith(object);
    const lo = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN " +
      "mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n";
    const eth = "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP " +
      `mode DEFAULT group default qlen 1000\n    link/ether ${m.mac} brd ff:ff:ff:ff:ff:ff\n`;
    if (is("address", 1)) {
      io.out(
        (lo + "    inet 127.0.0.1/8 scope host lo\n" +
          "       valid_lft forever preferred_lft forever\n" +
          "    inet6 ::1/128 scope host noprefixroute \n" +
          "       valid_lft forever preferred_lft forever\n" +
          eth + `    inet ${m.ip}/24 brd 10.0.0.255 scope global eth0\n` +
          "       valid_lft forever preferred_lft forever\n" +
          `    inet6 ${m.ipv6}/64 scope link \n` +
          "       valid_lft forever preferred_lft forever\n").replaceAll("mode DEFAULT ", ""),
      );
      return 0;
    }
    if (is("link", 1)) return (io.out(lo + eth), 0);
    if (is("route", 1)) {
      io.out(
        `default via ${m.gateway} dev eth0 onlink \n` +
          `10.0.0.0/24 dev eth0 proto kernel scope link src ${m.ip} \n`,
      );
      return 0;
    }
    io.err(`Object "${object}" is unknown, try "ip help".\n`);
    return 255;
  }
}
