// Copyright 2026 the xenpv authors. MIT license.
// A small cmd.exe for the simulated Windows guest, as `cmd.exe /q /a` behaves
// with its stdin and stdout on pipes: %VAR% expansion of the whole line
// first, then ^ escapes, "quotes", & && || and | (the right side reads what
// the left printed), > >> 2> 2>&1 redirections (to files of the guest's disk
// or nul), a table of internal commands and programs, ERRORLEVEL as cmd keeps
// it (ECHO and a successful SET or CD leave it alone), 9009 for unknown
// commands. Errors go to standard error, as cmd's do.

import { SimFiles, type SimMachine } from "../machine.ts";
import { CodePage } from "../../xencons/code_page.ts";

/** The console's code page, shared by the helper and every cmd.exe on it (`chcp` sets it). */
export interface ConsoleCodePage {
  page: number;
}

export interface CmdShellOptions {
  host: string;
  /** The account's name as Windows spells it (its profile folder's name). */
  user: string;
  version: string;
  /** The guest's disk (C:), shared by every cmd.exe of the guest. */
  disk: SimFiles;
  /** The guest's one network interface. */
  machine: SimMachine;
  /** Standard output (the console, or for a child its parent's output). */
  write(text: string): void;
  /** Standard error. Default: `write`. */
  writeError?(text: string): void;
  /** cmd.exe exited (the helper then ends and is restarted). */
  exit(code: number): void;
  /** Milliseconds between ping replies. */
  pingInterval: number;
  /** The console's code page (CHCP shows and sets it). */
  codePage: ConsoleCodePage;
  /** A `cmd /c` child: no banner, no prompt. */
  child?: boolean;
}

/** The network adapter's name, as the Xen PV network driver registers it. */
const NIC = "Xen PV Network Device #0";

/** The date `dir` shows for everything (the simulated disk has no clock). */
const FILE_DATE = "11/14/2017  09:12 AM";

const VOLUME = " Volume in drive C has no label.\r\n Volume Serial Number is 5A1F-3C2E\r\n";

/** What `help` lists: the commands this simulated cmd.exe knows. */
const HELP: [string, string][] = [
  ["CD", "Displays the name of or changes the current directory."],
  ["CHCP", "Displays or sets the active code page number."],
  ["CHDIR", "Displays the name of or changes the current directory."],
  ["CLS", "Clears the screen."],
  ["CMD", "Starts a new instance of the command interpreter (/C runs a line)."],
  ["DIR", "Displays a list of files and subdirectories (/B: names only)."],
  ["ECHO", "Displays messages."],
  ["EXIT", "Quits the CMD.EXE program (EXIT /B n: with exit code n)."],
  ["FIND", "Searches for a text string in a file or in piped output."],
  ["FINDSTR", "Searches for strings in files or in piped output."],
  ["HELP", "Provides Help information for Windows commands."],
  ["HOSTNAME", "Prints the name of this computer."],
  ["IPCONFIG", "Displays the IP configuration (/ALL for every detail)."],
  ["MD", "Creates a directory."],
  ["MKDIR", "Creates a directory."],
  ["MORE", "Displays a file or piped output."],
  ["NETSH", "Network shell: interface ipv4 show global."],
  ["PING", "Sends echo requests (-n count, -t until Ctrl+C)."],
  ["SET", "Displays, sets, or removes Windows environment variables."],
  ["SYSTEMINFO", "Displays this computer's configuration."],
  ["TASKLIST", "Displays the running processes."],
  ["TYPE", "Displays the contents of a text file."],
  ["VER", "Displays the Windows version."],
  ["WAITFOR", "Waits for a signal (/T seconds)."],
  ["WHOAMI", "Prints the domain and user name."],
];

/** What `tasklist` shows. */
const TASKLIST = "\r\n" + [
  ["Image Name", "PID", "Session Name", "Session#", "Mem Usage"],
  ["System Idle Process", "0", "Services", "0", "8 K"],
  ["System", "4", "Services", "0", "140 K"],
  ["smss.exe", "312", "Services", "0", "1,024 K"],
  ["csrss.exe", "416", "Services", "0", "4,388 K"],
  ["wininit.exe", "488", "Services", "0", "5,132 K"],
  ["services.exe", "564", "Services", "0", "7,496 K"],
  ["lsass.exe", "572", "Services", "0", "12,744 K"],
  ["svchost.exe", "668", "Services", "0", "18,212 K"],
  ["xenagent.exe", "1432", "Services", "0", "6,108 K"],
  ["cmd.exe", "2816", "Services", "0", "3,076 K"],
  ["tasklist.exe", "3100", "Services", "0", "7,812 K"],
].map(([image, pid, session, number, mem], i) =>
  `${image.padEnd(25)} ${pid.padStart(8)} ${session.padEnd(16)} ${number.padStart(11)} ${
    mem.padStart(12)
  }\r\n` + (i === 0
    ? `${"=".repeat(25)} ${"=".repeat(8)} ${"=".repeat(16)} ${"=".repeat(11)} ${"=".repeat(12)}\r\n`
    : "")
).join("");

/**
 * The simulated disk of a Windows guest: a profile for each account (with a
 * note to read), the hosts file, a few of Windows' own folders.
 */
export function windowsDisk(users: string[], m: SimMachine): SimFiles {
  const entries: Record<string, string | null> = {
    "C:\\PerfLogs": null,
    "C:\\Program Files\\Common Files": null,
    "C:\\Program Files (x86)": null,
    "C:\\ProgramData": null,
    "C:\\Temp": null,
    "C:\\Users\\Public\\Documents": null,
    "C:\\Windows\\win.ini": "; for 16-bit app support\r\n[fonts]\r\n[extensions]\r\n",
    "C:\\Windows\\System32\\Wbem": null,
    "C:\\Windows\\System32\\drivers\\etc\\hosts":
      `# Copyright (c) 1993-2009 Microsoft Corp.\r\n127.0.0.1       localhost\r\n${
        m.ip.padEnd(16)
      }${m.host}\r\n`,
  };
  for (const user of users) {
    const home = `C:\\Users\\${user}`;
    for (const dir of ["Desktop", "Downloads", "AppData\\Local\\Temp", "AppData\\Roaming"]) {
      entries[`${home}\\${dir}`] = null;
    }
    entries[`${home}\\Documents\\notes.txt`] = `Notes on ${m.host}\r\n\r\n` +
      "This Windows guest is simulated; its console is a XENCONS session, as on a real one.\r\n" +
      "Try: ipconfig /all, systeminfo, tasklist, dir, cd, type, set, ver, whoami,\r\n" +
      `echo hello> hello.txt, ping -n 2 ${m.host}, netsh interface ipv4 show global.\r\n`;
  }
  return new SimFiles("\\", entries);
}

/** The environment cmd.exe starts with, as Windows 10 sets it for `user`. */
function windowsEnv(host: string, user: string): Record<string, string> {
  const home = `C:\\Users\\${user}`;
  return {
    ALLUSERSPROFILE: "C:\\ProgramData",
    APPDATA: `${home}\\AppData\\Roaming`,
    CommonProgramFiles: "C:\\Program Files\\Common Files",
    COMPUTERNAME: host,
    ComSpec: "C:\\Windows\\system32\\cmd.exe",
    HOMEDRIVE: "C:",
    HOMEPATH: `\\Users\\${user}`,
    LOCALAPPDATA: `${home}\\AppData\\Local`,
    LOGONSERVER: `\\\\${host}`,
    NUMBER_OF_PROCESSORS: "2",
    OS: "Windows_NT",
    Path: "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\Wbem",
    PATHEXT: ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
    PROCESSOR_ARCHITECTURE: "AMD64",
    ProgramData: "C:\\ProgramData",
    ProgramFiles: "C:\\Program Files",
    PROMPT: "$P$G",
    PUBLIC: "C:\\Users\\Public",
    SystemDrive: "C:",
    SystemRoot: "C:\\Windows",
    TEMP: `${home}\\AppData\\Local\\Temp`,
    TMP: `${home}\\AppData\\Local\\Temp`,
    USERDOMAIN: host,
    USERNAME: user,
    USERPROFILE: home,
    windir: "C:\\Windows",
  };
}

/** STATUS_CONTROL_C_EXIT, as ERRORLEVEL shows it. */
const CONTROL_C_EXIT = -1073741510;

// `netsh interface ipv4 show global`: the rows the XENCONS announcement shows
// (Windows 10.0.15063), then the rest of that release's table.
const GLOBAL_PARAMETERS: [string, string][] = [
  ["Default Hop Limit", "128 hops"],
  ["Neighbor Cache Limit", "256 entries per interface"],
  ["Route Cache Limit", "4096 entries per compartment"],
  ["Reassembly Limit", "33420160 bytes"],
  ["ICMP Redirects", "enabled"],
  ["Source Routing Behavior", "dontforward"],
  ["Task Offload", "enabled"],
  ["Dhcp Media Sense", "enabled"],
  ["Media Sense Logging", "disabled"],
  ["MLD Level", "all"],
  ["MLD Version", "version3"],
  ["Multicast Forwarding", "disabled"],
  ["Group Forwarded Fragments", "disabled"],
  ["Randomize Identifiers", "enabled"],
  ["Address Mask Reply", "disabled"],
  ["Minimum Mtu", "576"],
];

function globalTable(): string {
  return "Querying active state...\r\n\r\nGeneral Global Parameters\r\n" +
    "---------------------------------------------\r\n" +
    GLOBAL_PARAMETERS.map(([k, v]) => `${k.padEnd(36)}: ${v}\r\n`).join("") + "\r\n";
}

/** `>file`, `>>file`, `2>nul`, `2>&1`: handle `fd` goes to `target`. */
interface Redirect {
  fd: number;
  /** A path, `nul`, or `&1` / `&2` (another handle). */
  target: string;
  append: boolean;
}

interface Part {
  text: string;
  /** What follows the command: "&", "&&", "||", "|" or "" at the end. */
  op: string;
  redirects: Redirect[];
}

/** Splits a line on unquoted, unescaped & && || | and > redirections, removing carets outside quotes. */
function parse(line: string): Part[] {
  const parts: Part[] = [];
  let text = "";
  let quoted = false;
  let redirects: Redirect[] = [];
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      quoted = !quoted;
      text += ch;
    } else if (quoted) {
      text += ch;
    } else if (ch === "^") {
      if (i + 1 < line.length) text += line[++i];
    } else if (ch === ">") {
      // A digit right before > names the handle (hence `echo 1>x` echoing nothing).
      let fd = 1;
      if (/\d$/.test(text)) {
        fd = Number(text.at(-1));
        text = text.slice(0, -1);
      }
      const append = line[i + 1] === ">";
      if (append) i++;
      while (line[i + 1] === " ") i++;
      let target = "";
      if (line[i + 1] === "&" && /\d/.test(line[i + 2] ?? "")) {
        target = `&${line[i + 2]}`;
        i += 2;
      } else {
        let inQuotes = false;
        while (i + 1 < line.length && (inQuotes || !" &|<>".includes(line[i + 1]))) {
          const c = line[++i];
          if (c === '"') inQuotes = !inQuotes;
          else target += c;
        }
      }
      redirects.push({ fd, target, append });
    } else if (ch === "&" || ch === "|") {
      let op = ch;
      if (line[i + 1] === ch) op += line[++i];
      parts.push({ text, op, redirects });
      text = "";
      redirects = [];
    } else {
      text += ch;
    }
  }
  parts.push({ text, op: "", redirects });
  return parts;
}

/** Arguments split on blanks outside "quotes", the quotes removed. */
function splitArgs(args: string): string[] {
  return [...args.matchAll(/(?:"[^"]*"?|[^\s"]+)+/g)].map((m) => m[0].replaceAll('"', ""));
}

/** A `*` / `?` wildcard as a case-blind RegExp. */
function wildcard(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")
    .replaceAll("?", ".");
  return new RegExp(`^${body}$`, "i");
}

/** Lines of a text (a final line end does not start another). */
function lines(text: string): string[] {
  const out = text.split(/\r?\n/);
  if (out.at(-1) === "") out.pop();
  return out;
}

type Result = { code: number; ok: boolean };
type Handler = (args: string) => Result | Promise<Result>;
type Sink = (text: string) => void;

/** Programs (not cmd's internal commands): they may be typed with `.exe`. */
const PROGRAMS = new Set([
  "cmd",
  "find",
  "findstr",
  "help",
  "hostname",
  "ipconfig",
  "more",
  "netsh",
  "ping",
  "systeminfo",
  "tasklist",
  "timeout",
  "waitfor",
  "whoami",
]);

export class CmdShell {
  #o: CmdShellOptions;
  /** Upper-cased name -> [name as set, value]: Windows keeps the case, compares without it. */
  #env = new Map<string, [string, string]>();
  #cwd: string;
  #errorlevel = 0;
  #stdin: string[] = [];
  #busy = false;
  #stop: (() => void) | undefined;
  #netsh = false;
  #exited = false;
  /** Ctrl-Break stopped a program: the rest of the line is abandoned. */
  #broken = false;
  #fs: SimFiles;
  #machine: SimMachine;
  #commands: Map<string, Handler>;
  /** Where the running command's standard output and error go. */
  #out: Sink;
  #err: Sink;
  /** What the command before `|` printed: the running command's standard input. */
  #input: string | undefined;

  constructor(options: CmdShellOptions) {
    this.#o = options;
    this.#out = options.write;
    this.#err = options.writeError ?? options.write;
    this.#cwd = `C:\\Users\\${options.user}`;
    this.#machine = options.machine;
    this.#fs = options.disk;
    this.#commands = this.#table();
    for (const [k, v] of Object.entries(windowsEnv(options.host, options.user))) {
      this.#env.set(k.toUpperCase(), [k, v]);
    }
    if (options.child) return;
    this.#o.write(
      `Microsoft Windows [Version ${options.version}]\r\n` +
        "(c) 2017 Microsoft Corporation. All rights reserved.\r\n\r\n" +
        "A simulated guest: HELP lists the commands it knows.\r\n\r\n",
    );
    this.#prompt();
  }

  #prompt(): void {
    this.#o.write(this.#netsh ? "netsh>" : `${this.#cwd}>`);
  }

  #print(text: string): void {
    this.#out(text);
  }

  #error(text: string): void {
    this.#err(text);
  }

  /** A line arrived on cmd's stdin (the helper adds the `\n`). */
  input(line: string): void {
    if (this.#exited) return;
    if (this.#netsh) return this.#netshLine(line); // netsh reads stdin while it runs
    this.#stdin.push(line);
    if (!this.#busy) void this.#drain();
  }

  /** CTRL_BREAK_EVENT, sent by the helper for ^C. */
  break(): void {
    if (this.#exited) return;
    if (this.#stop) {
      const stop = this.#stop;
      this.#stop = undefined;
      stop();
    }
  }

  stop(): void {
    this.#exited = true;
    this.#stop?.();
    this.#stop = undefined;
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    while (this.#stdin.length > 0 && !this.#exited) {
      const line = this.#stdin.shift()!;
      await this.#line(line);
      if (this.#exited) break;
      this.#o.write("\r\n");
      this.#prompt();
    }
    this.#busy = false;
  }

  #getenv(name: string): string | undefined {
    return this.#env.get(name.toUpperCase())?.[1];
  }

  #expand(line: string): string {
    return line.replace(/%([^%\r\n]+)%/g, (whole, name: string) => {
      const key = name.toUpperCase();
      if (key === "ERRORLEVEL" && !this.#env.has(key)) return String(this.#errorlevel);
      if (key === "CD" && !this.#env.has(key)) return this.#cwd;
      return this.#getenv(key) ?? whole; // undefined stays as typed at the prompt
    });
  }

  async #line(raw: string): Promise<void> {
    this.#broken = false;
    let last: Result = { code: 0, ok: true };
    let skip = false;
    let input: string | undefined; // what the command before a | printed
    for (const part of parse(this.#expand(raw))) {
      if (!skip) {
        if (part.op === "|") {
          let captured = "";
          await this.#run(part, (t) => captured += t, input);
          input = captured;
        } else {
          last = await this.#run(part, this.#out, input);
          input = undefined;
        }
        if (this.#broken || this.#exited) return; // Ctrl-Break abandons the line
      }
      if (part.op === "|") continue; // a pipeline runs, or is skipped, as a whole
      skip = part.op === "&&" ? !last.ok : part.op === "||" ? last.ok : false;
    }
  }

  /** Runs one command of a line with its redirections, `out` as its output. */
  async #run(part: Part, out: Sink, input: string | undefined): Promise<Result> {
    let err = this.#err;
    for (const r of part.redirects) {
      let sink: Sink;
      if (r.target === "&1" || r.target === "&2") sink = r.target === "&1" ? out : err;
      else if (/^nul:?$/i.test(r.target)) sink = () => {};
      else {
        const file = r.target === ""
          ? "The syntax of the command is incorrect.\r\n"
          : this.#open(r.target, r.append);
        if (typeof file === "string") {
          err(file);
          return this.#set(1, false);
        }
        sink = file;
      }
      if (r.fd === 1) out = sink;
      else if (r.fd === 2) err = sink;
    }
    const saved = { out: this.#out, err: this.#err, input: this.#input };
    this.#out = out;
    this.#err = err;
    this.#input = input;
    try {
      return await this.#command(part.text);
    } finally {
      ({ out: this.#out, err: this.#err, input: this.#input } = saved);
    }
  }

  /** Opens a file for a redirection: a sink, or cmd's complaint. */
  #open(target: string, append: boolean): Sink | string {
    const path = this.#resolve(target);
    if (this.#fs.isDir(path)) return "Access is denied.\r\n";
    const dir = this.#fs.canonical(this.#fs.parent(path));
    if (dir === undefined || !this.#fs.isDir(dir)) {
      return "The system cannot find the path specified.\r\n";
    }
    const name = this.#fs.canonical(path) ??
      `${dir.replace(/\\$/, "")}\\${path.slice(dir.length).replace(/^\\/, "")}`;
    if (!append || !this.#fs.isFile(name)) this.#fs.write(name, "");
    return (t) => this.#fs.append(name, t);
  }

  #notRecognized(name: string): Result {
    this.#error(
      `'${name}' is not recognized as an internal or external command,\r\n` +
        "operable program or batch file.\r\n",
    );
    return this.#set(9009, false);
  }

  #set(code: number, ok = code === 0): Result {
    this.#errorlevel = code;
    return { code, ok };
  }

  async #command(text: string): Promise<Result> {
    const line = text.replace(/^[\s@]+/, "");
    if (line.trim() === "") return this.#same();
    if (/^[a-zA-Z]:\s*$/.test(line)) {
      // Changing drives: this machine has only C:.
      if (/^c/i.test(line)) return this.#same();
      this.#error("The system cannot find the drive specified.\r\n");
      return this.#set(1, false);
    }
    // A command's name ends at a blank, a dot, a slash or a backslash: `echo.`, `dir/b`, `cd\`.
    const name = /^[^\s.\/\\]+|^\S+/.exec(line)![0].toLowerCase();
    let args = line.slice(name.length);
    if (PROGRAMS.has(name) && /^\.exe(?=[\s\/]|$)/i.test(args)) args = args.slice(4);
    const handler = this.#commands.get(name);
    if (handler && (args === "" || !PROGRAMS.has(name) || /^[\s\/]/.test(args))) {
      return await handler(args);
    }
    return this.#notRecognized(/^\S+/.exec(line)![0]);
  }

  /** ERRORLEVEL as it was: what ECHO, a good SET or CD leave. */
  #same(): Result {
    return { code: this.#errorlevel, ok: true };
  }

  /** The commands cmd knows here: internal ones and the programs of this Windows. */
  #table(): Map<string, Handler> {
    const p = (t: string) => this.#print(t);
    return new Map<string, Handler>([
      ["echo", (args) => this.#echo(args)],
      ["chcp", (args) => this.#chcp(args)],
      ["set", (args) => this.#setCommand(args)],
      ["cd", (args) => this.#cd(args)],
      ["chdir", (args) => this.#cd(args)],
      ["mkdir", (args) => this.#mkdir(args)],
      ["md", (args) => this.#mkdir(args)],
      ["dir", (args) => this.#dir(args)],
      ["type", (args) => this.#type(args)],
      ["cls", () => (p("\f"), this.#same())], // on a pipe, CLS writes a form feed
      ["help", (args) => this.#help(args)],
      ["hostname", () => (p(`${this.#o.host}\r\n`), this.#set(0))],
      // hence the `ver >nul` idiom to clear ERRORLEVEL
      ["ver", () => (p(`\r\nMicrosoft Windows [Version ${this.#o.version}]\r\n`), this.#set(0))],
      [
        "whoami",
        () => (p(`${this.#o.host.toLowerCase()}\\${this.#o.user.toLowerCase()}\r\n`), this.#set(0)),
      ],
      ["ipconfig", (args) => this.#ipconfig(args)],
      ["systeminfo", (args) => this.#noArgs("SYSTEMINFO", args, () => this.#systeminfo())],
      ["tasklist", (args) => this.#noArgs("TASKLIST", args, () => TASKLIST)],
      ["find", (args) => this.#find(args, false)],
      ["findstr", (args) => this.#find(args, true)],
      ["more", (args) => this.#more(args)],
      ["exit", (args) => this.#exit(args)],
      ["cmd", (args) => this.#cmd(args)],
      ["netsh", (args) => this.#netshCommand(args.trim())],
      ["ping", (args) => this.#ping(args.trim())],
      ["waitfor", (args) => this.#waitfor(args.trim())],
      [
        "timeout",
        () => (
          this.#error(
            "ERROR: Input redirection is not supported, exiting the process immediately.\r\n",
          ), this.#set(1)
        ),
      ],
    ]);
  }

  /** A program that takes no arguments here (`systeminfo`, `tasklist`). */
  #noArgs(name: string, args: string, output: () => string): Result {
    const extra = args.trim();
    if (extra !== "") {
      this.#error(
        `ERROR: Invalid argument/option - '${extra.split(/\s+/)[0]}'.\r\n` +
          `Type "${name} /?" for usage.\r\n`,
      );
      return this.#set(1, false);
    }
    this.#print(output());
    return this.#set(0);
  }

  /** CHCP [nnn]: shows the console's code page, or sets it (to one the console has a table for). */
  #chcp(args: string): Result {
    const arg = args.trim().replace(/^:\s*/, "");
    if (arg !== "") {
      if (!/^\d+$/.test(arg)) {
        this.#error("Parameter format not correct - " + arg + "\r\n");
        return this.#set(1, false);
      }
      if (!CodePage.has(Number(arg))) {
        this.#error("Invalid code page\r\n");
        return this.#set(1, false);
      }
      this.#o.codePage.page = Number(arg);
    }
    this.#print(`Active code page: ${this.#o.codePage.page}\r\n`);
    return this.#set(0);
  }

  #echo(args: string): Result {
    if (args.startsWith(".")) this.#print(`${args.slice(1)}\r\n`);
    else if (args.trim() === "") this.#print("ECHO is off.\r\n");
    else this.#print(`${args.slice(1)}\r\n`);
    return this.#same();
  }

  #setCommand(args: string): Result {
    const a = args.trim();
    const sorted = () => [...this.#env].sort(([a], [b]) => a < b ? -1 : 1);
    if (a === "") {
      for (const [, [k, v]] of sorted()) this.#print(`${k}=${v}\r\n`);
      return this.#same();
    }
    const eq = args.indexOf("=");
    if (eq < 0) {
      const hits = sorted().filter(([k]) => k.startsWith(a.toUpperCase()));
      if (hits.length === 0) {
        this.#error(`Environment variable ${a} not defined\r\n`);
        return this.#set(1, false);
      }
      for (const [, [k, v]] of hits) this.#print(`${k}=${v}\r\n`);
      return this.#same();
    }
    const name = args.slice(0, eq).trim();
    const value = args.slice(eq + 1);
    if (value === "") this.#env.delete(name.toUpperCase());
    else this.#env.set(name.toUpperCase(), [this.#env.get(name.toUpperCase())?.[0] ?? name, value]);
    return this.#same();
  }

  /** An absolute path for `arg` (relative to the current directory), without a trailing \\. */
  #resolve(arg: string): string {
    const a = arg.trim().replace(/^"(.*)"$/, "$1");
    let path = /^[a-zA-Z]:\\/.test(a) ? a : /^[cC]:/.test(a)
      ? `${this.#cwd}\\${a.slice(2)}` // C:name is relative to C:'s current directory
      : /^[a-zA-Z]:/.test(a)
      ? a
      : a.startsWith("\\")
      ? `C:${a}`
      : `${this.#cwd}\\${a}`;
    const out: string[] = [];
    for (const part of path.split("\\")) {
      if (part === "..") out.length > 1 && out.pop();
      else if (part !== "." && part !== "") out.push(part);
    }
    path = out.join("\\");
    return path.length === 2 ? `${path}\\` : path;
  }

  #cd(args: string): Result {
    const a = args.trim().replace(/^\/d\s+/i, "").replace(/^"(.*)"$/, "$1");
    if (a === "" || /^c:$/i.test(a)) {
      this.#print(`${this.#cwd}\r\n`);
      return this.#same();
    }
    const target = this.#resolve(a);
    if (!this.#fs.isDir(target)) {
      this.#error(
        this.#fs.isFile(target)
          ? "The directory name is invalid.\r\n"
          : "The system cannot find the path specified.\r\n",
      );
      return this.#set(1, false);
    }
    this.#cwd = this.#fs.canonical(target) ?? target;
    return this.#same();
  }

  #mkdir(args: string): Result {
    const names = splitArgs(args);
    if (names.length === 0) {
      this.#error("The syntax of the command is incorrect.\r\n");
      return this.#set(1, false);
    }
    let result = this.#same();
    for (const name of names) {
      const target = this.#resolve(name);
      if (this.#fs.isDir(target) || this.#fs.isFile(target)) {
        this.#error(`A subdirectory or file ${name} already exists.\r\n`);
        result = this.#set(1, false);
      } else {
        this.#fs.mkdir(target);
      }
    }
    return result;
  }

  #dir(args: string): Result {
    const words = splitArgs(args.replaceAll("/", " /"));
    const bare = words.some((w) => /^\/b$/i.test(w)); // other switches change nothing here
    const arg = words.find((w) => !w.startsWith("/")) ?? ".";
    const path = this.#resolve(arg);
    const name = path.slice(path.lastIndexOf("\\") + 1);
    const notFound = (why: string, dir?: string) => {
      if (!bare) this.#print(`${VOLUME}\r\n${dir ? ` Directory of ${dir}\r\n\r\n` : ""}`);
      this.#error(why);
      return this.#set(1, false);
    };
    let dir: string;
    let entries: [string, number | "dir"][];
    if (this.#fs.isDir(path)) {
      dir = this.#fs.canonical(path)!;
      const dots: [string, "dir"][] = dir.endsWith(":\\") ? [] : [[".", "dir"], ["..", "dir"]];
      entries = [...dots, ...this.#fs.list(dir)];
    } else {
      const parent = this.#fs.canonical(this.#fs.parent(path));
      if (parent === undefined || !this.#fs.isDir(parent)) {
        return notFound("The system cannot find the path specified.\r\n");
      }
      dir = parent;
      const pattern = wildcard(name);
      entries = this.#fs.list(dir).filter(([n]) => pattern.test(n));
      if (entries.length === 0) return notFound("File Not Found\r\n", dir);
    }
    if (bare) {
      for (const [n] of entries) if (n !== "." && n !== "..") this.#print(`${n}\r\n`);
      return this.#set(0);
    }
    this.#print(`${VOLUME}\r\n Directory of ${dir}\r\n\r\n`);
    let files = 0, bytes = 0, dirs = 0;
    for (const [n, size] of entries) {
      if (size === "dir") dirs++;
      else (files++, bytes += size);
      const middle = size === "dir" ? "<DIR>         " : size.toLocaleString("en-US").padStart(14);
      this.#print(`${FILE_DATE}    ${middle} ${n}\r\n`);
    }
    this.#print(
      `${String(files).padStart(16)} File(s) ${
        bytes.toLocaleString("en-US").padStart(14)
      } bytes\r\n` +
        `${String(dirs).padStart(16)} Dir(s)  21,474,836,480 bytes free\r\n`,
    );
    return this.#set(0);
  }

  /** A file's content, or (having said so) undefined. */
  #read(arg: string, tool: "type" | "find" | "findstr" | "more"): string | undefined {
    const path = this.#resolve(arg);
    const content = this.#fs.read(path);
    if (content !== undefined) return content;
    if (tool === "find") this.#error(`File not found - ${arg.toUpperCase()}\r\n`);
    else if (tool === "findstr") this.#error(`FINDSTR: Cannot open ${arg}\r\n`);
    else if (tool === "more") this.#error(`Cannot access file ${path}\r\n`);
    else {
      this.#error(
        this.#fs.isDir(path)
          ? "Access is denied.\r\n"
          : "The system cannot find the file specified.\r\n",
      );
    }
    return undefined;
  }

  #type(args: string): Result {
    const names = splitArgs(args);
    if (names.length === 0) {
      this.#error("The syntax of the command is incorrect.\r\n");
      return this.#set(1, false);
    }
    let ok = true;
    for (const name of names) {
      if (names.length > 1) this.#error(`\r\n${name}\r\n\r\n\r\n`); // TYPE names each of several
      const content = this.#read(name, "type");
      if (content === undefined) {
        if (names.length > 1) this.#error(`Error occurred while processing: ${name}.\r\n`);
        ok = false;
      } else {
        this.#print(content);
      }
    }
    return ok ? this.#set(0) : this.#set(1, false);
  }

  #more(args: string): Result {
    const names = splitArgs(args).filter((a) => !a.startsWith("/"));
    let text = names.length === 0 ? this.#input ?? "" : "";
    for (const name of names) {
      const content = this.#read(name, "more");
      if (content === undefined) return this.#set(1, false);
      text += content;
    }
    for (const l of lines(text)) this.#print(`${l}\r\n`);
    return this.#set(0);
  }

  /**
   * `find [/i] [/v] [/c] "text" [file...]` and `findstr [/i] [/v] words [file...]`
   * (findstr matches any of the words), over files or the piped input.
   */
  #find(args: string, findstr: boolean): Result {
    const words = args.trim().match(/"[^"]*"?|\S+/g) ?? [];
    const flags = words.filter((w) => w.startsWith("/")).join("").toLowerCase();
    const rest = words.filter((w) => !w.startsWith("/"));
    if (rest.length === 0 || (!findstr && !rest[0].startsWith('"'))) {
      this.#error(
        findstr ? "FINDSTR: Bad command line\r\n" : "FIND: Parameter format not correct\r\n",
      );
      return this.#set(2, false);
    }
    const text = rest[0].replaceAll('"', "");
    const blind = flags.includes("/i");
    const needles = (findstr ? text.split(" ").filter(Boolean) : [text])
      .map((n) => blind ? n.toLowerCase() : n);
    const hit = (l: string) => {
      const hay = blind ? l.toLowerCase() : l;
      return needles.some((n) => hay.includes(n)) !== flags.includes("/v");
    };
    const count = flags.includes("/c") && !findstr;
    const sources: [string | undefined, string | undefined][] = rest.length > 1
      ? rest.slice(1).map((f) => [f, this.#read(f, findstr ? "findstr" : "find")])
      : [[undefined, this.#input ?? ""]];
    let found = 0;
    let failed = false;
    for (const [file, content] of sources) {
      if (content === undefined) {
        failed = true;
        continue;
      }
      const matches = lines(content).filter(hit);
      found += matches.length;
      const label = file === undefined ? "" : `---------- ${file.toUpperCase()}`;
      if (!findstr && file !== undefined) {
        this.#print(count ? `\r\n${label}: ${matches.length}\r\n` : `\r\n${label}\r\n`);
      } else if (count) this.#print(`${matches.length}\r\n`);
      if (count) continue;
      const prefix = findstr && sources.length > 1 ? `${file}:` : "";
      for (const l of matches) this.#print(`${prefix}${l}\r\n`);
    }
    return found > 0 && !failed ? this.#set(0) : this.#set(1, false);
  }

  #help(args: string): Result {
    const topic = args.trim().toUpperCase();
    if (topic !== "") {
      const row = HELP.find(([name]) => name === topic);
      if (!row) {
        this.#print(
          `This command is not supported by the help utility.  Try "${topic.toLowerCase()} /?".\r\n`,
        );
        return this.#set(1, false);
      }
      this.#print(`${row[1]}\r\n`);
      return this.#set(0);
    }
    this.#print(
      "For more information on a specific command, type HELP command-name\r\n" +
        HELP.map(([name, what]) => `${name.padEnd(15)}${what}\r\n`).join("") +
        "\r\nThis simulated cmd.exe knows only these, and & && || | > >> 2> 2>&1 %VAR%.\r\n",
    );
    return this.#set(0);
  }

  #ipconfig(args: string): Result {
    const m = this.#machine;
    const a = args.trim().toLowerCase();
    if (a !== "" && a !== "/all") {
      this.#error(
        "Error: unrecognized or incomplete command line.\r\n\r\n" +
          "USAGE:\r\n    ipconfig [/all]   (what this simulated guest knows)\r\n",
      );
      return this.#set(1, false);
    }
    const all = a === "/all";
    // Dot leaders on every other column, the colon in column 37.
    const row = (label: string, value: string) => {
      let lead = label;
      for (let col = label.length; col < 34; col++) lead += col % 2 === 0 ? "." : " ";
      return `   ${lead}: ${value}\r\n`;
    };
    let out = "\r\nWindows IP Configuration\r\n\r\n";
    if (all) {
      out += row("Host Name", m.host) + row("Primary Dns Suffix", "") +
        row("Node Type", "Hybrid") + row("IP Routing Enabled", "No") +
        row("WINS Proxy Enabled", "No") + "\r\n";
    }
    out += "\r\nEthernet adapter Ethernet:\r\n\r\n";
    out += row("Connection-specific DNS Suffix", "");
    if (all) {
      out += row("Description", NIC) +
        row("Physical Address", m.mac.toUpperCase().replaceAll(":", "-")) +
        row("DHCP Enabled", "No") + row("Autoconfiguration Enabled", "Yes");
    }
    const preferred = all ? "(Preferred)" : "";
    out += row("Link-local IPv6 Address", `${m.ipv6}%4${preferred}`) +
      row("IPv4 Address", `${m.ip}${preferred}`) +
      row("Subnet Mask", "255.255.255.0") + row("Default Gateway", m.gateway);
    if (all) out += row("DNS Servers", m.gateway) + row("NetBIOS over Tcpip", "Enabled");
    this.#print(out);
    return this.#set(0);
  }

  #systeminfo(): string {
    const m = this.#machine;
    const version = this.#o.version;
    const row = (label: string, value: string) => `${`${label}:`.padEnd(27)}${value}\r\n`;
    const more = (value: string) => `${"".padEnd(27)}${value}\r\n`;
    return "\r\n" + row("Host Name", m.host.toUpperCase()) +
      row("OS Name", "Microsoft Windows 10 Pro") +
      row("OS Version", `${version} N/A Build ${version.split(".").at(-1)}`) +
      row("OS Manufacturer", "Microsoft Corporation") +
      row("OS Configuration", "Standalone Workstation") +
      row("OS Build Type", "Multiprocessor Free") +
      row("Registered Owner", "Windows User") +
      row("Registered Organization", "") +
      row("Original Install Date", "11/14/2017, 9:12:04 AM") +
      row("System Manufacturer", "Xen") + row("System Model", "HVM domU") +
      row("System Type", "x64-based PC") +
      row("Processor(s)", "1 Processor(s) Installed.") +
      more("[01]: Intel64 Family 6 Model 85 Stepping 4 GenuineIntel ~2100 Mhz") +
      row("BIOS Version", "Xen 4.17, 11/14/2017") +
      row("Windows Directory", "C:\\Windows") +
      row("System Directory", "C:\\Windows\\system32") +
      row("System Locale", "en-us;English (United States)") +
      row("Time Zone", "(UTC) Coordinated Universal Time") +
      row("Total Physical Memory", "4,095 MB") + row("Domain", "WORKGROUP") +
      row("Logon Server", `\\\\${m.host.toUpperCase()}`) +
      row("Network Card(s)", "1 NIC(s) Installed.") +
      more(`[01]: ${NIC}`) +
      more("      Connection Name: Ethernet") +
      more("      DHCP Enabled:    No") +
      more("      IP address(es)") +
      more(`      [01]: ${m.ip}`) +
      more(`      [02]: ${m.ipv6}`);
  }

  #exit(args: string): Result {
    // Outside a batch script EXIT and EXIT /B both end cmd.exe.
    const m = /^\s*(?:\/b\s*)?(-?\d+)?\s*$/i.exec(args);
    const code = m?.[1] !== undefined ? Number(m[1]) : this.#errorlevel;
    this.#exited = true;
    this.#o.exit(code);
    return this.#set(code);
  }

  async #cmd(args: string): Promise<Result> {
    const m = /^\s*\/[ck]\s+(.*)$/i.exec(args);
    if (!m) {
      this.#print(
        `Microsoft Windows [Version ${this.#o.version}]\r\n(c) 2017 Microsoft Corporation. All rights reserved.\r\n`,
      );
      return this.#set(0);
    }
    return await this.#child(m[1].replace(/^"(.*)"$/, "$1"));
  }

  /** `cmd /c line`: a child cmd.exe; its exit code becomes ERRORLEVEL. */
  async #child(line: string): Promise<Result> {
    const child = new CmdShell({
      ...this.#o,
      write: this.#out,
      writeError: this.#err,
      exit: () => {},
      child: true,
    });
    child.#env = new Map(this.#env);
    child.#cwd = this.#cwd;
    child.#errorlevel = this.#errorlevel;
    this.#stop = () => child.break();
    await child.#line(line);
    this.#stop = undefined;
    if (child.#broken) this.#broken = true;
    return this.#set(child.#errorlevel);
  }

  #netshCommand(args: string): Result | Promise<Result> {
    if (args === "") {
      // netsh reads the following lines of stdin; cmd resumes when it exits.
      return new Promise<Result>((resolve) => {
        this.#netsh = true;
        this.#netshDone = (code) => {
          this.#netsh = false;
          this.#stop = undefined;
          this.#netshDone = undefined;
          resolve(this.#set(code, code === 0));
        };
        this.#stop = () => {
          this.#print("^C");
          this.#broken = true;
          this.#netshDone?.(CONTROL_C_EXIT);
        };
        this.#prompt();
        while (this.#netsh && this.#stdin.length > 0) this.#netshLine(this.#stdin.shift()!);
      });
    }
    return this.#netshRun(args) ? this.#set(0) : this.#set(1, false);
  }

  #netshDone: ((code: number) => void) | undefined;

  /** Runs one netsh command; false when it does not exist. */
  #netshRun(command: string): boolean {
    const words = command.toLowerCase().split(/\s+/).filter((x) => x !== "");
    const want = ["interface", "ipv4", "show", "global"];
    const alt = ["interface", "ip", "show", "global"];
    const ok = (ref: string[]) =>
      words.length === ref.length && words.every((wd, i) => ref[i].startsWith(wd));
    if (ok(want) || ok(alt)) {
      this.#print(globalTable());
      return true;
    }
    this.#print(`The following command was not found: ${command}.\r\n`);
    return false;
  }

  #netshLine(line: string): void {
    const cmd = line.trim();
    if (/^(exit|bye|quit)$/i.test(cmd)) {
      this.#netshDone?.(0);
      return;
    }
    if (cmd !== "") this.#netshRun(cmd);
    this.#prompt();
  }

  #sleep(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#stop = undefined;
        resolve(true);
      }, ms);
      this.#stop = () => {
        clearTimeout(timer);
        resolve(false);
      };
    });
  }

  async #ping(args: string): Promise<Result> {
    const words = args.split(/\s+/).filter((x) => x !== "");
    let count = 4;
    let forever = false;
    let host = "";
    for (let i = 0; i < words.length; i++) {
      const wd = words[i].toLowerCase();
      if (wd === "-t" || wd === "/t") forever = true;
      else if (wd === "-n" || wd === "/n") count = Number(words[++i]);
      else if (wd === "-w" || wd === "/w") i++;
      else host = words[i];
    }
    const w = (t: string) => this.#print(t);
    if (host === "") {
      w("\r\nUsage: ping [-t] [-n count] [-w timeout] target_name\r\n");
      return this.#set(1, false);
    }
    // The hosts file's names: localhost and this machine (its one address).
    const ip = /^\d+\.\d+\.\d+\.\d+$/.test(host)
      ? host
      : host.toLowerCase() === "localhost"
      ? "127.0.0.1"
      : host.toLowerCase() === this.#machine.host.toLowerCase()
      ? this.#machine.ip
      : undefined;
    if (!ip) {
      w(`Ping request could not find host ${host}. Please check the name and try again.\r\n`);
      return this.#set(1, false);
    }
    w(`\r\nPinging ${host === ip ? ip : `${host} [${ip}]`} with 32 bytes of data:\r\n`);
    let sent = 0;
    const stats = () =>
      w(
        `\r\nPing statistics for ${ip}:\r\n    Packets: Sent = ${sent}, Received = ${sent}, Lost = 0 (0% loss),\r\n` +
          "Approximate round trip times in milli-seconds:\r\n    Minimum = 0ms, Maximum = 0ms, Average = 0ms\r\n",
      );
    while (forever || sent < count) {
      if (this.#exited) return this.#set(CONTROL_C_EXIT);
      const done = await this.#sleep(sent === 0 ? 0 : this.#o.pingInterval);
      if (!done) {
        // ping handles Ctrl-Break itself: statistics, then it goes on.
        stats();
        w("Control-Break\r\n");
        continue;
      }
      sent++;
      w(`Reply from ${ip}: bytes=32 time<1ms TTL=128\r\n`);
    }
    stats();
    return this.#set(0);
  }

  async #waitfor(args: string): Promise<Result> {
    const m = /^(?:\/t\s+(\d+)\s+)?(\S+)$/i.exec(args);
    if (!m) {
      this.#error('ERROR: Invalid syntax.\r\nType "WAITFOR /?" for usage.\r\n');
      return this.#set(1, false);
    }
    const done = await this.#sleep(m[1] ? Number(m[1]) * 1000 : 2 ** 31 - 1);
    if (!done) {
      this.#print("^C");
      this.#broken = true;
      return this.#set(CONTROL_C_EXIT, false);
    }
    this.#error(`ERROR: Timed out waiting for '${m[2]}'.\r\n`);
    return this.#set(1, false);
  }
}
