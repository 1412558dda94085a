// Copyright 2026 the xenpv authors. MIT license.
// A small cmd.exe for the simulated Windows guest, as `cmd.exe /q /a` behaves
// with its stdin and stdout on pipes: %VAR% expansion of the whole line
// first, then ^ escapes, "quotes", & && || and | (the right side reads what
// the left printed), > >> 2> 2>&1 redirections (to files of the guest's disk
// or nul), a table of internal commands and programs, ERRORLEVEL as cmd keeps
// it (ECHO and a successful SET or CD leave it alone), 9009 for unknown
// commands. Errors go to standard error, as cmd's do. The commands are
// handlers (_cmd_command.ts), in tables by theme.

import type { Cmd, CmdHandler, CmdShellOptions, LineReader, Result, Sink } from "./_cmd_command.ts";
import { DATA_COMMANDS } from "./_cmd_data.ts";
import { ENV_COMMANDS, windowsEnv } from "./_cmd_env.ts";
import { FILE_COMMANDS } from "./_cmd_files.ts";
import { NETWORK_COMMANDS } from "./_cmd_network.ts";
import { SYSTEM_COMMANDS } from "./_cmd_system.ts";

export type { CmdShellOptions, ConsoleCodePage } from "./_cmd_command.ts";
export { windowsDisk } from "./_cmd_files.ts";

/** The commands cmd knows here: internal ones and the programs of this Windows. */
const COMMANDS = new Map<string, CmdHandler>(Object.entries({
  ...ENV_COMMANDS,
  ...FILE_COMMANDS,
  ...NETWORK_COMMANDS,
  ...SYSTEM_COMMANDS,
  ...DATA_COMMANDS,
}));

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

/** Programs (not cmd's internal commands): they may be typed with `.exe`. */
const PROGRAMS = new Set([
  "certutil",
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
  /** A program reading the console's lines itself (netsh at its prompt). */
  #reader: LineReader | undefined;
  #exited = false;
  /** Ctrl-Break stopped a program: the rest of the line is abandoned. */
  #broken = false;
  /** Where the running command's standard output and error go. */
  #out: Sink;
  #err: Sink;
  /** What the command before `|` printed: the running command's standard input. */
  #input: string | undefined;
  /** The shell as its commands see it. */
  #cmd: Cmd;

  constructor(options: CmdShellOptions) {
    this.#o = options;
    this.#out = options.write;
    this.#err = options.writeError ?? options.write;
    this.#cwd = `C:\\Users\\${options.user}`;
    this.#cmd = this.#context();
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
    this.#o.write(this.#reader ? this.#reader.prompt : `${this.#cwd}>`);
  }

  /** A line arrived on cmd's stdin (the helper adds the `\n`). */
  input(line: string): void {
    if (this.#exited) return;
    if (this.#reader) return this.#reader.line(line); // netsh reads stdin while it runs
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

  /** What the commands may see and do of this shell. */
  #context(): Cmd {
    // deno-lint-ignore no-this-alias
    const shell = this;
    return {
      options: this.#o,
      print: (text) => this.#out(text),
      error: (text) => this.#err(text),
      get input() {
        return shell.#input;
      },
      get errorlevel() {
        return shell.#errorlevel;
      },
      set: (code, ok) => this.#set(code, ok),
      same: () => this.#same(),
      get env() {
        return shell.#env; // a child's is replaced by a copy of its parent's
      },
      get cwd() {
        return shell.#cwd;
      },
      set cwd(path) {
        shell.#cwd = path;
      },
      resolve: (arg) => this.#resolve(arg),
      sleep: (ms) => this.#sleep(ms),
      onBreak: (stop) => this.#stop = stop,
      abandonLine: () => this.#broken = true,
      get exited() {
        return shell.#exited;
      },
      exit: (code) => {
        this.#exited = true;
        this.#o.exit(code);
      },
      child: (line) => this.#child(line),
      readLines: (reader) => {
        this.#reader = reader;
        if (!reader) return;
        this.#prompt();
        while (this.#reader === reader && this.#stdin.length > 0) {
          reader.line(this.#stdin.shift()!);
        }
      },
      prompt: () => this.#prompt(),
    };
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
    if (this.#o.disk.isDir(path)) return "Access is denied.\r\n";
    const dir = this.#o.disk.canonical(this.#o.disk.parent(path));
    if (dir === undefined || !this.#o.disk.isDir(dir)) {
      return "The system cannot find the path specified.\r\n";
    }
    const name = this.#o.disk.canonical(path) ??
      `${dir.replace(/\\$/, "")}\\${path.slice(dir.length).replace(/^\\/, "")}`;
    if (!append || !this.#o.disk.isFile(name)) this.#o.disk.write(name, "");
    return (t) => this.#o.disk.append(name, t);
  }

  #notRecognized(name: string): Result {
    this.#err(
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
      this.#err("The system cannot find the drive specified.\r\n");
      return this.#set(1, false);
    }
    // A command's name ends at a blank, a dot, a slash or a backslash: `echo.`, `dir/b`, `cd\`.
    const name = /^[^\s.\/\\]+|^\S+/.exec(line)![0].toLowerCase();
    let args = line.slice(name.length);
    if (PROGRAMS.has(name) && /^\.exe(?=[\s\/]|$)/i.test(args)) args = args.slice(4);
    const handler = COMMANDS.get(name);
    if (handler && (args === "" || !PROGRAMS.has(name) || /^[\s\/]/.test(args))) {
      return await handler(args, this.#cmd);
    }
    return this.#notRecognized(/^\S+/.exec(line)![0]);
  }

  /** ERRORLEVEL as it was: what ECHO, a good SET or CD leave. */
  #same(): Result {
    return { code: this.#errorlevel, ok: true };
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
}
