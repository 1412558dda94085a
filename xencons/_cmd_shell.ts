// Copyright 2026 the xenpv authors. MIT license.
// A small cmd.exe for the simulated Windows guest, as `cmd.exe /q /a` behaves
// with its stdin and stdout on pipes: %VAR% expansion of the whole line
// first, then ^ escapes, "quotes", & && || and | (to find/findstr), a few
// internal commands and programs, ERRORLEVEL as cmd keeps it (ECHO and a
// successful SET or CD leave it alone), 9009 for unknown commands.

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
  #dirs: Set<string>;

  constructor(options: CmdShellOptions) {
    this.#o = options;
    this.#cwd = `C:\\Users\\${options.user}`;
    this.#dirs = new Set(
      ["C:", "C:\\Users", this.#cwd, "C:\\Windows", "C:\\Windows\\System32", "C:\\Temp"].map((
        d,
      ) => d.toUpperCase()),
    );
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
    const args = line.slice(name.length);
    const w = (t: string) => this.#o.write(t);
    switch (name.toLowerCase()) {
      case "echo": {
        if (args.startsWith(".")) w(`${args.slice(1)}\r\n`);
        else if (args.trim() === "") w("ECHO is off.\r\n");
        else w(`${args.slice(1)}\r\n`);
        return { code: this.#errorlevel, ok: true };
      }
      case "set": {
        const a = args.trim();
        if (a === "") {
          for (const [k, v] of [...this.#env].sort()) w(`${k}=${v}\r\n`);
          return { code: this.#errorlevel, ok: true };
        }
        const eq = args.indexOf("=");
        if (eq < 0) {
          const hits = [...this.#env].filter(([k]) => k.startsWith(a.toUpperCase())).sort();
          if (hits.length === 0) {
            w(`Environment variable ${a} not defined\r\n`);
            return this.#set(1, false);
          }
          for (const [k, v] of hits) w(`${k}=${v}\r\n`);
          return { code: this.#errorlevel, ok: true };
        }
        const key = args.slice(0, eq).trim().toUpperCase();
        const value = args.slice(eq + 1);
        if (value === "") this.#env.delete(key);
        else this.#env.set(key, value);
        return { code: this.#errorlevel, ok: true };
      }
      case "cd":
      case "chdir": {
        let a = args.trim().replace(/^\/d\s+/i, "").replace(/^"(.*)"$/, "$1");
        if (a === "") {
          w(`${this.#cwd}\r\n`);
          return { code: this.#errorlevel, ok: true };
        }
        a = a.replace(/\\+$/, "");
        let target: string;
        if (a === "..") target = this.#cwd.replace(/\\[^\\]+$/, "");
        else if (/^[a-zA-Z]:/.test(a)) target = a;
        else target = `${this.#cwd}\\${a}`;
        const known = [...this.#dirs].find((d) => d === target.toUpperCase());
        if (!known) {
          w("The system cannot find the path specified.\r\n");
          return this.#set(1, false);
        }
        this.#cwd = target.length === 2 ? `${target}\\` : target;
        if (this.#cwd.endsWith(":\\")) this.#cwd = this.#cwd.toUpperCase();
        return { code: this.#errorlevel, ok: true };
      }
      case "mkdir":
      case "md": {
        const a = args.trim().replace(/^"(.*)"$/, "$1");
        this.#dirs.add((/^[a-zA-Z]:/.test(a) ? a : `${this.#cwd}\\${a}`).toUpperCase());
        return { code: this.#errorlevel, ok: true };
      }
      case "hostname":
        w(`${this.#o.host}\r\n`);
        return this.#set(0);
      case "ver":
        w(`\r\nMicrosoft Windows [Version ${this.#o.version}]\r\n`);
        return this.#set(0); // hence the `ver >nul` idiom to clear ERRORLEVEL
      case "whoami":
        w(`${this.#o.host.toLowerCase()}\\${this.#o.user.toLowerCase()}\r\n`);
        return this.#set(0);
      case "exit": {
        // Outside a batch script EXIT and EXIT /B both end cmd.exe.
        const m = /^\s*(?:\/b\s*)?(-?\d+)?\s*$/i.exec(args);
        const code = m?.[1] !== undefined ? Number(m[1]) : this.#errorlevel;
        this.#exited = true;
        this.#o.exit(code);
        return this.#set(code);
      }
      case "cmd": {
        const m = /^\s*\/[ck]\s+(.*)$/i.exec(args);
        if (!m) {
          w(`Microsoft Windows [Version ${this.#o.version}]\r\n(c) 2017 Microsoft Corporation. All rights reserved.\r\n`);
          return this.#set(0);
        }
        return await this.#child(m[1].replace(/^"(.*)"$/, "$1"));
      }
      case "netsh":
        return this.#netshCommand(args.trim());
      case "ping":
        return await this.#ping(args.trim());
      case "waitfor":
        return await this.#waitfor(args.trim());
      case "timeout":
        w("ERROR: Input redirection is not supported, exiting the process immediately.\r\n");
        return this.#set(1);
      default:
        return this.#notRecognized(name);
    }
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
