// Copyright 2026 the xenpv authors. MIT license.
// A small cmd.exe for the simulated Windows guest, as `cmd.exe /q /a` behaves
// with its stdin and stdout on pipes: %VAR% expansion of the whole line
// first, then ^ escapes, "quotes", & && || and | (to find/findstr), a few
// internal commands and programs, ERRORLEVEL as cmd keeps it (ECHO and a
// successful SET or CD leave it alone), 9009 for unknown commands.

import { machineOf, SimFiles, type SimMachine } from "./_sim_machine.ts";

export interface CmdShellOptions {
  host: string;
  user: string;
  version: string;
  write(text: string): void;
  /** cmd.exe exited (the helper then ends and is restarted). */
  exit(code: number): void;
  /** Milliseconds between ping replies. */
  pingInterval: number;
  /** A `cmd /c` child: no banner, no prompt. */
  child?: boolean;
}

/** The network adapter's name, as the Xen PV network driver registers it. */
const NIC = "Xen PV Network Device #0";

/** The date `dir` shows for everything (the simulated disk never changes by itself). */
const FILE_DATE = "11/14/2017  09:12 AM";

/** What `help` lists: the commands this simulated Windows knows. */
const HELP = [
  "The simulated Windows guest (xenpv) knows these commands:",
  "CD       Displays the name of or changes the current directory.",
  "CLS      Clears the screen.",
  "CMD      Starts a new instance of the Windows command interpreter (/C runs one line).",
  "DIR      Displays a list of files and subdirectories in a directory.",
  "ECHO     Displays messages.",
  "EXIT     Quits the CMD.EXE program (command interpreter).",
  "FIND     Searches for a text string in piped output (also FINDSTR).",
  "HOSTNAME, IPCONFIG [/ALL], NETSH, PING, SYSTEMINFO, TASKLIST, WAITFOR, WHOAMI",
  "MKDIR    Creates a directory.",
  "SET      Displays, sets, or removes Windows environment variables.",
  "TYPE     Displays the contents of a text file.",
  "VER      Displays the Windows version.",
  "",
].join("\r\n");

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

/** The simulated disk: the user's profile, a note, the hosts file. */
function windowsFiles(user: string, m: SimMachine): SimFiles {
  const home = `C:\\Users\\${user}`;
  return new SimFiles("\\", {
    [`${home}\\Desktop`]: null,
    [`${home}\\Documents\\notes.txt`]:
      `This Windows guest is simulated by xenpv.\r\nIts console is a XENCONS session, as on a real one.\r\n`,
    "C:\\Temp": null,
    "C:\\Windows\\win.ini": "; for 16-bit app support\r\n[fonts]\r\n[extensions]\r\n",
    "C:\\Windows\\System32\\drivers\\etc\\hosts":
      `# Copyright (c) 1993-2009 Microsoft Corp.\r\n127.0.0.1       localhost\r\n${
        m.ip.padEnd(16)
      }${m.host}\r\n`,
  });
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

interface Part {
  text: string;
  op: string;
  /** Output redirected (`>nul`, `2>nul`, `>file`): the simulation has no files, it goes nowhere. */
  redirected: boolean;
}

/** Splits a line on unquoted, unescaped & && || | and > redirections, removing carets outside quotes. */
function parse(line: string): Part[] {
  const parts: Part[] = [];
  let text = "";
  let quoted = false;
  let redirected = false;
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
      redirected = true;
      if (/\d$/.test(text)) text = text.slice(0, -1);
      if (line[i + 1] === ">") i++;
      while (line[i + 1] === " ") i++;
      while (i + 1 < line.length && !" &|".includes(line[i + 1])) i++; // the target
    } else if (ch === "&" || ch === "|") {
      let op = ch;
      if (line[i + 1] === ch) op += line[++i];
      parts.push({ text, op, redirected });
      text = "";
      redirected = false;
    } else {
      text += ch;
    }
  }
  parts.push({ text, op: "", redirected });
  return parts;
}

type Result = { code: number; ok: boolean };

export class CmdShell {
  #o: CmdShellOptions;
  #env = new Map<string, string>();
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
  #commands: Map<string, (args: string) => Result | Promise<Result>>;

  constructor(options: CmdShellOptions) {
    this.#o = options;
    this.#cwd = `C:\\Users\\${options.user}`;
    this.#machine = machineOf(options.host);
    this.#fs = windowsFiles(options.user, this.#machine);
    this.#commands = this.#table();
    for (
      const [k, v] of Object.entries({
        COMPUTERNAME: options.host,
        USERNAME: options.user,
        USERPROFILE: this.#cwd,
        SYSTEMROOT: "C:\\Windows",
        COMSPEC: "C:\\Windows\\system32\\cmd.exe",
        OS: "Windows_NT",
      })
    ) this.#env.set(k, v);
    if (options.child) return;
    this.#o.write(
      `Microsoft Windows [Version ${options.version}]\r\n` +
        "(c) 2017 Microsoft Corporation. All rights reserved.\r\n\r\n",
    );
    this.#prompt();
  }

  #prompt(): void {
    this.#o.write(this.#netsh ? "netsh>" : `${this.#cwd}>`);
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

  #expand(line: string): string {
    return line.replace(/%([^%\r\n]+)%/g, (whole, name: string) => {
      const key = name.toUpperCase();
      if (key === "ERRORLEVEL" && !this.#env.has(key)) return String(this.#errorlevel);
      if (key === "CD" && !this.#env.has(key)) return this.#cwd;
      return this.#env.get(key) ?? whole; // undefined stays as typed at the prompt
    });
  }

  async #line(raw: string): Promise<void> {
    this.#broken = false;
    const parts = parse(this.#expand(raw));
    let last: Result = { code: 0, ok: true };
    let skip = false;
    for (let i = 0; i < parts.length; i++) {
      const { text, redirected } = parts[i];
      let op = parts[i].op;
      if (op === "|") {
        // left | right: right filters what left printed.
        const right = parts[++i];
        if (!skip) {
          let captured = "";
          await this.#capture(text, (t) => captured += t);
          last = this.#filter(right.text, captured);
        }
        op = right.op;
      } else if (!skip) {
        last = redirected ? await this.#capture(text, () => {}) : await this.#command(text);
      }
      if (this.#broken || this.#exited) return; // Ctrl-Break abandons the line
      skip = op === "&&" ? !last.ok : op === "||" ? last.ok : false;
    }
  }

  /** Runs one command with its output going to `sink` instead of the console. */
  async #capture(text: string, sink: (text: string) => void): Promise<Result> {
    const write = this.#o.write;
    this.#o.write = sink;
    try {
      return await this.#command(text);
    } finally {
      this.#o.write = write;
    }
  }

  #notRecognized(name: string): Result {
    this.#o.write(
      `'${name}' is not recognized as an internal or external command,\r\n` +
        "operable program or batch file.\r\n",
    );
    return this.#set(9009, false);
  }

  #filter(command: string, text: string): Result {
    const m = /^\s*(findstr|find)\s+(?:\/i\s+)?"?([^"]*)"?\s*$/i.exec(command);
    if (!m) return this.#notRecognized(command.trim().split(/\s+/)[0]);
    const needle = m[2].toLowerCase();
    const lines = text.split("\r\n").filter((l) => l.toLowerCase().includes(needle));
    for (const l of lines) this.#o.write(`${l}\r\n`);
    return this.#set(lines.length > 0 ? 0 : 1, lines.length > 0);
  }

  #set(code: number, ok = code === 0): Result {
    this.#errorlevel = code;
    return { code, ok };
  }

  async #command(text: string): Promise<Result> {
    const line = text.replace(/^[\s@]+/, "");
    if (line.trim() === "") return { code: this.#errorlevel, ok: true };
    const name = /^[^\s.\/]+|^\S+/.exec(line)![0];
    const handler = this.#commands.get(name.toLowerCase().replace(/\.exe$/, ""));
    return handler ? await handler(line.slice(name.length)) : this.#notRecognized(name);
  }

  /** ERRORLEVEL as it was: what ECHO, a good SET or CD leave. */
  #same(): Result {
    return { code: this.#errorlevel, ok: true };
  }

  /** The commands cmd knows here: internal ones and the programs of this Windows. */
  #table(): Map<string, (args: string) => Result | Promise<Result>> {
    const w = (t: string) => this.#o.write(t);
    return new Map<string, (args: string) => Result | Promise<Result>>([
      ["echo", (args) => this.#echo(args)],
      ["set", (args) => this.#setCommand(args)],
      ["cd", (args) => this.#cd(args)],
      ["chdir", (args) => this.#cd(args)],
      ["mkdir", (args) => this.#mkdir(args)],
      ["md", (args) => this.#mkdir(args)],
      ["dir", (args) => this.#dir(args)],
      ["type", (args) => this.#type(args)],
      ["cls", () => (w("\f"), this.#same())],
      ["help", () => (w(HELP), this.#set(0))],
      ["hostname", () => (w(`${this.#o.host}\r\n`), this.#set(0))],
      // hence the `ver >nul` idiom to clear ERRORLEVEL
      ["ver", () => (w(`\r\nMicrosoft Windows [Version ${this.#o.version}]\r\n`), this.#set(0))],
      [
        "whoami",
        () => (w(`${this.#o.host.toLowerCase()}\\${this.#o.user.toLowerCase()}\r\n`), this.#set(0)),
      ],
      ["ipconfig", (args) => this.#ipconfig(args)],
      ["systeminfo", () => (w(this.#systeminfo()), this.#set(0))],
      ["tasklist", () => (w(TASKLIST), this.#set(0))],
      ["exit", (args) => this.#exit(args)],
      ["cmd", (args) => this.#cmd(args)],
      ["netsh", (args) => this.#netshCommand(args.trim())],
      ["ping", (args) => this.#ping(args.trim())],
      ["waitfor", (args) => this.#waitfor(args.trim())],
      [
        "timeout",
        () => (
          w("ERROR: Input redirection is not supported, exiting the process immediately.\r\n"),
            this.#set(1)
        ),
      ],
    ]);
  }

  #echo(args: string): Result {
    if (args.startsWith(".")) this.#o.write(`${args.slice(1)}\r\n`);
    else if (args.trim() === "") this.#o.write("ECHO is off.\r\n");
    else this.#o.write(`${args.slice(1)}\r\n`);
    return this.#same();
  }

  #setCommand(args: string): Result {
    const w = (t: string) => this.#o.write(t);
    const a = args.trim();
    if (a === "") {
      for (const [k, v] of [...this.#env].sort()) w(`${k}=${v}\r\n`);
      return this.#same();
    }
    const eq = args.indexOf("=");
    if (eq < 0) {
      const hits = [...this.#env].filter(([k]) => k.startsWith(a.toUpperCase())).sort();
      if (hits.length === 0) {
        w(`Environment variable ${a} not defined\r\n`);
        return this.#set(1, false);
      }
      for (const [k, v] of hits) w(`${k}=${v}\r\n`);
      return this.#same();
    }
    const key = args.slice(0, eq).trim().toUpperCase();
    const value = args.slice(eq + 1);
    if (value === "") this.#env.delete(key);
    else this.#env.set(key, value);
    return this.#same();
  }

  /** An absolute path for `arg` (relative to the current directory), without a trailing \\. */
  #resolve(arg: string): string {
    const a = arg.trim().replace(/^"(.*)"$/, "$1");
    let path = /^[a-zA-Z]:/.test(a) ? a : a.startsWith("\\") ? `C:${a}` : `${this.#cwd}\\${a}`;
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
    if (a === "") {
      this.#o.write(`${this.#cwd}\r\n`);
      return this.#same();
    }
    const target = this.#resolve(a);
    if (!this.#fs.isDir(target)) {
      this.#o.write("The system cannot find the path specified.\r\n");
      return this.#set(1, false);
    }
    this.#cwd = this.#fs.canonical(target) ?? target;
    return this.#same();
  }

  #mkdir(args: string): Result {
    const target = this.#resolve(args);
    if (this.#fs.isDir(target) || this.#fs.read(target) !== undefined) {
      this.#o.write(`A subdirectory or file ${args.trim()} already exists.\r\n`);
      return this.#set(1, false);
    }
    this.#fs.mkdir(target);
    return this.#same();
  }

  #dir(args: string): Result {
    const w = (t: string) => this.#o.write(t);
    const arg = args.replace(/\s\/\w+/g, "").trim(); // switches (/w, /b...) change nothing here
    const path = arg === "" ? this.#cwd : this.#resolve(arg);
    const file = this.#fs.read(path);
    if (!this.#fs.isDir(path) && file === undefined) {
      w(" Volume in drive C has no label.\r\n Volume Serial Number is 5A1F-3C2E\r\n\r\n");
      w("File Not Found\r\n");
      return this.#set(1, false);
    }
    const dir = file === undefined ? this.#fs.canonical(path)! : this.#fs.parent(path);
    const entries: [string, number | "dir"][] = file === undefined
      ? [[".", "dir"], ["..", "dir"], ...this.#fs.list(dir)]
      : [[this.#fs.canonical(path)!.slice(dir.length).replace(/^\\/, ""), file.length]];
    w(" Volume in drive C has no label.\r\n Volume Serial Number is 5A1F-3C2E\r\n\r\n");
    w(` Directory of ${dir}\r\n\r\n`);
    let files = 0, bytes = 0, dirs = 0;
    for (const [name, size] of entries) {
      if (size === "dir") dirs++;
      else (files++, bytes += size);
      const middle = size === "dir" ? "<DIR>         " : size.toLocaleString("en-US").padStart(14);
      w(`${FILE_DATE}    ${middle} ${name}\r\n`);
    }
    w(`${String(files).padStart(16)} File(s) ${
      bytes.toLocaleString("en-US").padStart(14)
    } bytes\r\n`);
    w(`${String(dirs).padStart(16)} Dir(s)  21,474,836,480 bytes free\r\n`);
    return this.#set(0);
  }

  #type(args: string): Result {
    const arg = args.trim();
    if (arg === "") {
      this.#o.write("The syntax of the command is incorrect.\r\n");
      return this.#set(1, false);
    }
    const path = this.#resolve(arg);
    const content = this.#fs.read(path);
    if (content === undefined) {
      this.#o.write(
        this.#fs.isDir(path)
          ? "Access is denied.\r\n"
          : "The system cannot find the file specified.\r\n",
      );
      return this.#set(1, false);
    }
    this.#o.write(content);
    return this.#set(0);
  }

  #ipconfig(args: string): Result {
    const m = this.#machine;
    const all = /\/all\b/i.test(args);
    const row = (label: string, value: string) =>
      `   ${label.padEnd(35, " .").replace(/ \.$/, "  ").slice(0, 35)}: ${value}\r\n`;
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
    out += row("IPv4 Address", all ? `${m.ip}(Preferred)` : m.ip) +
      row("Subnet Mask", "255.255.255.0") + row("Default Gateway", m.gateway);
    if (all) out += row("DNS Servers", m.gateway) + row("NetBIOS over Tcpip", "Enabled");
    this.#o.write(out);
    return this.#set(0);
  }

  #systeminfo(): string {
    const m = this.#machine;
    const row = (label: string, value: string) => `${`${label}:`.padEnd(27)}${value}\r\n`;
    return "\r\n" + row("Host Name", m.host.toUpperCase()) +
      row("OS Name", "Microsoft Windows 10 Pro") +
      row("OS Version", `${this.#o.version} N/A Build ${this.#o.version.split(".").at(-1)}`) +
      row("OS Manufacturer", "Microsoft Corporation") +
      row("System Manufacturer", "Xen") + row("System Model", "HVM domU") +
      row("System Type", "x64-based PC") + row("Windows Directory", "C:\\Windows") +
      row("Total Physical Memory", "4,095 MB") + row("Domain", "WORKGROUP") +
      row("Network Card(s)", "1 NIC(s) Installed.") +
      `${"".padEnd(27)}[01]: ${NIC}\r\n` +
      `${"".padEnd(27)}      Connection Name: Ethernet\r\n` +
      `${"".padEnd(27)}      DHCP Enabled:    No\r\n` +
      `${"".padEnd(27)}      IP address(es)\r\n` +
      `${"".padEnd(27)}      [01]: ${m.ip}\r\n`;
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
      this.#o.write(
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
      write: (t) => this.#o.write(t),
      exit: () => {},
      child: true,
    });
    child.#env = new Map(this.#env);
    child.#cwd = this.#cwd;
    child.#fs = this.#fs;
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
          this.#o.write("^C");
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
      this.#o.write(globalTable());
      return true;
    }
    this.#o.write(`The following command was not found: ${command}.\r\n`);
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
    const w = (t: string) => this.#o.write(t);
    const ip = /^\d+\.\d+\.\d+\.\d+$/.test(host)
      ? host
      : ["localhost", this.#o.host.toLowerCase()].includes(host.toLowerCase())
      ? "127.0.0.1"
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
      this.#o.write('ERROR: Invalid syntax.\r\nType "WAITFOR /?" for usage.\r\n');
      return this.#set(1, false);
    }
    const done = await this.#sleep(m[1] ? Number(m[1]) * 1000 : 2 ** 31 - 1);
    if (!done) {
      this.#o.write("^C");
      this.#broken = true;
      return this.#set(CONTROL_C_EXIT, false);
    }
    this.#o.write(`ERROR: Timed out waiting for '${m[2]}'.\r\n`);
    return this.#set(1, false);
  }
}
