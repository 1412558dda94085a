// Copyright 2026 the xenpv authors. MIT license.
// The simulated Linux guest's shell language, as much of sh as people type
// at a console: '...', "..." and \ quoting; $? $$ $NAME ${NAME} and ~
// expansion; # comments; NAME=value; ; && || and newlines; | pipelines;
// > >> >| 2> 2>&1 >&3 and < redirections; `( list )` subshells; `set -C`
// (noclobber, as dash: an existing regular file is refused); `exec 3>file`
// (descriptors 3 to 9, /proc/self/fd/N naming the file open there). A
// command list is read one pipeline at a time, so `$?` expands to the status
// of the pipeline before. The commands themselves are LinuxCommands'.

import { concatData, type SimData, textOf } from "../machine.ts";
import type { Io, Status } from "./_linux_command.ts";
import type { LinuxCommands } from "./_linux_commands.ts";

/** `>file`, `2>>file`, `<file`, `2>&1`: handle `fd` reads or writes `target`. */
interface Redirect {
  fd: number;
  /** A path, or `&1` / `&2` (another handle). */
  target: string;
  append: boolean;
  /** `>|`: written even under noclobber. */
  clobber?: boolean;
}

interface Simple {
  words: string[];
  redirects: Redirect[];
  /** A redirection without a target. */
  syntaxError?: boolean;
}

/** The value of `$name` (`?` and `$` included): undefined if unset. */
type Lookup = (name: string) => string | undefined;

/** Reads one simple command off the front of `text`, expanding as it goes. */
function next(text: string, lookup: Lookup): { command: Simple; op: string; rest: string } {
  const words: string[] = [];
  const redirects: Redirect[] = [];
  let word = "";
  let started = false; // a word is under way, even an empty one ("")
  let quoted = false; // ...and part of it was quoted (so `2` before `>` is a word)
  let pending: { fd: number; append: boolean; clobber: boolean } | undefined; // its target comes next
  const finish = () => {
    if (!started) return;
    if (pending) redirects.push({ ...pending, target: word });
    else words.push(word);
    pending = undefined;
    word = "";
    started = quoted = false;
  };
  /** `$...` at `i`: its value and the index of its last character. */
  const dollar = (i: number): [string, number] => {
    const m = /^\{([A-Za-z_]\w*|[?$])\}/.exec(text.slice(i + 1)) ??
      /^([A-Za-z_]\w*|[?$])/.exec(text.slice(i + 1));
    return m ? [lookup(m[1]) ?? "", i + m[0].length] : ["$", i];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") {
      let j = text.indexOf("'", i + 1);
      if (j < 0) j = text.length; // unterminated: the rest (the caller waits for the quote)
      word += text.slice(i + 1, j);
      started = quoted = true;
      i = j;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && '"\\$`'.includes(text[j + 1])) word += text[++j];
        else if (text[j] === "$") {
          const [value, end] = dollar(j);
          word += value;
          j = end;
        } else word += text[j];
      }
      started = quoted = true;
      i = j;
    } else if (ch === "\\") {
      if (text[i + 1] === "\n") i++; // a continued line
      else {
        word += text[++i] ?? "";
        started = quoted = true;
      }
    } else if (ch === "$") {
      const [value, end] = dollar(i);
      word += value;
      if (value !== "") started = true; // an empty expansion makes no word
      i = end;
    } else if (ch === "~" && !started && /^(?:$|[\/\s;|&<>])/.test(text.slice(i + 1))) {
      word += lookup("HOME") ?? "~";
      started = true;
    } else if (ch === "#" && !started) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end - 1;
    } else if (ch === " " || ch === "\t") {
      finish();
    } else if (ch === ">" || ch === "<") {
      let fd = ch === ">" ? 1 : 0;
      if (started && !quoted && /^\d$/.test(word)) {
        fd = Number(word);
        word = "";
        started = false;
      } else finish();
      if (pending) return { command: { words, redirects, syntaxError: true }, op: "", rest: "" };
      const append = ch === ">" && text[i + 1] === ">";
      if (append) i++;
      const clobber = ch === ">" && !append && text[i + 1] === "|";
      if (clobber) i++;
      if (text[i + 1] === "&" && /\d/.test(text[i + 2] ?? "")) {
        redirects.push({ fd, target: `&${text[i + 2]}`, append });
        i += 2;
      } else pending = { fd, append, clobber };
    } else if (ch === ";" || ch === "\n" || ch === "|" || (ch === "&" && text[i + 1] === "&")) {
      finish();
      const op = ch === "\n" ? ";" : ch !== ";" && text[i + 1] === ch ? ch + ch : ch;
      return {
        command: { words, redirects, syntaxError: !!pending },
        op,
        rest: text.slice(i + op.length),
      };
    } else {
      word += ch;
      started = true;
    }
  }
  finish();
  return { command: { words, redirects, syntaxError: !!pending }, op: "", rest: "" };
}

/** Whether `text` ends outside quotes. */
function quotesClosed(text: string): boolean {
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

/** A `<<WORD` (or `<<-WORD`, `<<'WORD'`) in a line: where it is and what ends its body. */
interface HereDoc {
  start: number;
  end: number;
  delimiter: string;
  /** A quoted delimiter: the body is taken as it is (no $ expansion). */
  quoted: boolean;
  /** `<<-`: leading tabs are stripped from the body and the delimiter line. */
  tabs: boolean;
}

/** The here-documents a command line opens, in order (outside quotes). */
function hereDocs(line: string): HereDoc[] {
  const out: HereDoc[] = [];
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote === "'") {
      if (ch === "'") quote = "";
    } else if (ch === "\\") {
      i++;
    } else if (quote === '"') {
      if (ch === '"') quote = "";
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === "<" && line[i + 1] === "<") {
      const m = /^<<(-?)[ \t]*('([^']*)'|"([^"]*)"|\\?([^\s;&|<>()'"]+))/.exec(line.slice(i));
      if (!m) continue;
      out.push({
        start: i,
        end: i + m[0].length,
        delimiter: m[3] ?? m[4] ?? m[5],
        quoted: m[3] !== undefined || m[4] !== undefined || m[2].startsWith("\\"),
        tabs: m[1] === "-",
      });
      i += m[0].length - 1;
    }
  }
  return out;
}

/**
 * `text` with its here-documents taken out: each `<<WORD` becomes a `<`
 * redirection from a name no one can type (`\0HEREDOC<n>`), and `bodies[n]`
 * holds its lines; `open` when a body's end line has not come yet.
 */
function takeHereDocs(
  text: string,
): { text: string; bodies: HereDoc[]; texts: string[]; open: boolean } {
  const lines = text.split("\n");
  const out: string[] = [];
  const bodies: HereDoc[] = [];
  const texts: string[] = [];
  let done = "";
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    const docs = quotesClosed(done) ? hereDocs(line) : [];
    for (let k = docs.length - 1; k >= 0; k--) {
      const d = docs[k];
      line = `${line.slice(0, d.start)}<\0HEREDOC${bodies.length + k}${line.slice(d.end)}`;
    }
    out.push(line);
    done += `${line}\n`;
    for (const d of docs) {
      const body: string[] = [];
      for (;;) {
        if (++i >= lines.length) return { text: out.join("\n"), bodies, texts, open: true };
        const l = d.tabs ? lines[i].replace(/^\t+/, "") : lines[i];
        if (l === d.delimiter) break;
        body.push(l);
      }
      bodies.push(d);
      texts.push(body.map((l) => `${l}\n`).join(""));
    }
  }
  return { text: out.join("\n"), bodies, texts, open: false };
}

/** The index of the `)` that closes the `(` before `from` (quotes and nesting heeded), or -1. */
function closingParen(text: string, from: number): number {
  let depth = 1;
  let quote = "";
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (quote === "'") {
      if (ch === "'") quote = "";
    } else if (ch === "\\") {
      i++;
    } else if (quote === '"') {
      if (ch === '"') quote = "";
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i;
  }
  return -1;
}

/** Whether `text` is a whole command list: quotes closed, every here-document ended. */
export function complete(text: string): boolean {
  const taken = takeHereDocs(text);
  return !taken.open && quotesClosed(taken.text);
}

/** The shell of one login: runs command lists, keeps `$?`. */
export class LinuxShell {
  #commands: LinuxCommands;
  #console: Io;
  /** `$?`. */
  status = 0;
  /** `trap ACTION SIGNAL...`: the actions set, by signal name (EXIT for 0). */
  #traps = new Map<string, string>();
  /** `set -C`. */
  #noclobber = false;
  /** `exec N>file`: the files open on descriptors 3 to 9 (absolute paths). */
  #fds = new Map<number, string>();

  /** `write` is the console: "\n" becomes "\r\n" there, as the tty's ONLCR does. */
  constructor(commands: LinuxCommands, write: (text: string) => void) {
    this.#commands = commands;
    const tty = (text: SimData) => write(textOf(text).replaceAll("\n", "\r\n"));
    this.#console = { out: tty, err: tty };
  }

  #lookup = (name: string): string | undefined =>
    name === "?" ? String(this.status) : name === "$"
      ? "612" // the login shell's pid, as ps shows it
      : this.#commands.variable(name);

  /** The shell ends (`exit`, `logout`, the end of an `eval`'s exit): its EXIT trap runs, with `$?` the status. */
  async exiting(): Promise<void> {
    const action = this.#traps.get("EXIT");
    this.#traps.delete("EXIT");
    if (action !== undefined) await this.execute(action);
  }

  /** `trap [ACTION SIGNAL...]`, `trap - SIGNAL...`: as busybox ash (only EXIT's action is ever run here). */
  #trap(args: string[], io: Io): number {
    if (args.length === 0) {
      for (const [name, action] of this.#traps) {
        io.out(`trap -- '${action.replaceAll("'", `'\\''`)}' ${name}\n`);
      }
      return 0;
    }
    const [action, ...signals] = args.length === 1 ? ["-", ...args] : args;
    for (const signal of signals) {
      const name = signal === "0" ? "EXIT" : signal.toUpperCase().replace(/^SIG/, "");
      if (!/^(EXIT|HUP|INT|QUIT|TERM|USR1|USR2|PIPE|ALRM|CHLD|\d+)$/.test(name)) {
        io.err(`-sh: trap: ${signal}: bad trap\n`);
        return 1;
      }
      if (action === "-") this.#traps.delete(name);
      else this.#traps.set(name, action);
    }
    return 0;
  }

  /** Here-documents of the command list running: `\0HEREDOC<n>` -> its body, expanded. */
  #hereDocs = new Map<string, string>();

  /** Runs a command list; "exit" ends the shell, "interrupted" (^C) drops the rest. */
  async execute(text: string): Promise<"exit" | "interrupted" | void> {
    const taken = takeHereDocs(text);
    taken.bodies.forEach((d, n) => {
      const body = taken.texts[n];
      // An unquoted delimiter: $NAME and ${NAME} expand in the body (a `\$` stays `$`).
      this.#hereDocs.set(
        `\0HEREDOC${n}`,
        d.quoted
          ? body
          : body.replace(/\\\$|\$\{([A-Za-z_]\w*|[?$])\}|\$([A-Za-z_]\w*|[?$])/g, (m, a, b) =>
            m === "\\$" ? "$" : this.#lookup(a ?? b) ?? ""),
      );
    });
    let skip = false;
    let rest = taken.text;
    while (rest.trim() !== "") {
      const open = /^\s*\(/.exec(rest);
      if (open) {
        const close = closingParen(rest, open[0].length);
        const after = close < 0 ? undefined : /^[ \t]*(&&|\|\||;|\n|$)/.exec(rest.slice(close + 1));
        if (close < 0 || after === null || after === undefined) {
          this.#console.err(
            `-sh: Syntax error: ${close < 0 ? "end of file" : "redirection"} unexpected\n`,
          );
          this.status = 2;
          return;
        }
        if (!skip) {
          const r = await this.#subshell(rest.slice(open[0].length, close));
          if (r === "interrupted") return r;
        }
        const op = after[1] === "\n" ? ";" : after[1];
        rest = rest.slice(close + 1 + after[0].length);
        skip = (op === "&&" && this.status !== 0) || (op === "||" && this.status === 0);
        continue;
      }
      const pipeline: Simple[] = [];
      let op: string;
      do {
        const parsed = next(rest, this.#lookup);
        pipeline.push(parsed.command);
        op = parsed.op;
        rest = parsed.rest;
      } while (op === "|");
      const empty = pipeline.length === 1 && pipeline[0].words.length === 0 &&
        pipeline[0].redirects.length === 0 && !pipeline[0].syntaxError;
      if (!skip && !empty) {
        const r = await this.#pipeline(pipeline);
        if (r === "interrupted") this.status = 130;
        if (r) return r;
      }
      skip = (op === "&&" && this.status !== 0) || (op === "||" && this.status === 0);
    }
  }

  /** `( list )`: the list in a copy of the shell (options, descriptors, directory, variables, traps). */
  async #subshell(text: string): Promise<"interrupted" | void> {
    const restore = this.#commands.save();
    const noclobber = this.#noclobber;
    const fds = new Map(this.#fds);
    const traps = new Map(this.#traps);
    try {
      const r = await this.execute(text);
      if (r === "interrupted") return r; // `exit` ends the subshell only, with its status
    } finally {
      restore();
      this.#noclobber = noclobber;
      this.#fds = fds;
      this.#traps = traps;
    }
  }

  /** `set [-C|+C|-o noclobber|+o noclobber]`; alone, the variables. */
  #set(args: string[], io: Io): number {
    if (args.length === 0) {
      for (const [name, value] of this.#commands.variables()) {
        io.out(`${name}='${value.replaceAll("'", `'\\''`)}'\n`);
      }
    }
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === "-C" || a === "+C") this.#noclobber = a === "-C";
      else if ((a === "-o" || a === "+o") && args[i + 1] === "noclobber") {
        this.#noclobber = a === "-o";
        i++;
      } else {
        io.err(`-sh: set: Illegal option ${a}\n`);
        return 2;
      }
    }
    return 0;
  }

  /** `>file` (not `>>`, not `>|`) under noclobber: an existing regular file is refused. */
  #clobbers(r: Redirect): boolean {
    return this.#noclobber && !r.append && !r.clobber && this.#commands.isFile(r.target);
  }

  /** `exec N>file...` with no command: the descriptors stay open in this shell. */
  #exec(redirects: Redirect[], io: Io): number {
    for (const r of redirects) {
      if (r.fd < 3 || r.fd > 9 || r.target.startsWith("&") || r.fd === 0) {
        io.err(`-sh: exec: only descriptors 3 to 9 opened for writing are simulated\n`);
        return 2;
      }
      if (this.#clobbers(r)) {
        io.err(`-sh: cannot create ${r.target}: File exists\n`);
        return 2;
      }
      const sink = this.#commands.open(r.target, r.append);
      if (typeof sink === "string") return (io.err(sink), 2);
      this.#fds.set(r.fd, this.#commands.resolve(r.target));
    }
    return 0;
  }

  /** `a | b | c`: each reads what the one before printed; the status is the last one's. */
  async #pipeline(commands: Simple[]): Promise<"exit" | "interrupted" | void> {
    let input: SimData | undefined;
    for (let k = 0; k < commands.length; k++) {
      let captured: SimData = "";
      const last = k === commands.length - 1;
      const out = last ? this.#console.out : (t: SimData) => captured = concatData(captured, t);
      const r = await this.#simple(commands[k], { out, err: this.#console.err, input, tty: last });
      if (r === "interrupted" || (r === "exit" && commands.length === 1)) return r;
      this.status = r === "exit" ? 0 : r;
      input = captured;
    }
  }

  async #simple(command: Simple, io: Io): Promise<Status | "exit"> {
    if (command.syntaxError) {
      io.err("-sh: Syntax error: newline unexpected\n");
      return 2;
    }
    if (command.words.length === 1 && command.words[0] === "exec") {
      return this.#exec(command.redirects, io);
    }
    for (const r of command.redirects) {
      if (/^&[3-9]$/.test(r.target)) {
        const path = this.#fds.get(Number(r.target[1]));
        if (path === undefined) return (io.err(`-sh: ${r.target[1]}: Bad file descriptor\n`), 2);
        const sink = this.#commands.open(path, true); // the open file: written on, not truncated
        if (typeof sink === "string") return (io.err(sink), 2);
        if (r.fd === 1) {
          io.out = sink;
          io.tty = false;
        } else if (r.fd === 2) io.err = sink;
      } else if (r.target === "&1" || r.target === "&2") {
        const sink = r.target === "&1" ? io.out : io.err;
        if (r.fd === 1) {
          io.out = sink;
          io.tty = r.target === "&1" ? io.tty : true; // >&2: the terminal
        } else if (r.fd === 2) io.err = sink;
      } else if (r.fd === 0 && this.#hereDocs.has(r.target)) {
        io.input = this.#hereDocs.get(r.target);
      } else if (r.fd === 0) {
        const file = this.#commands.slurp(r.target);
        if ("error" in file) return (io.err(file.error), 2);
        io.input = file.content;
      } else {
        if (this.#clobbers(r)) return (io.err(`-sh: cannot create ${r.target}: File exists\n`), 2);
        const sink = this.#commands.open(r.target, r.append);
        if (typeof sink === "string") return (io.err(sink), 2);
        if (r.fd === 1) {
          io.out = sink;
          io.tty = false;
        } else if (r.fd === 2) io.err = sink;
      }
    }
    // /proc/self/fd/N: the file open on descriptor N.
    let words = command.words.map((w) => {
      const fd = /^\/proc\/self\/fd\/([3-9])$/.exec(w)?.[1];
      return fd === undefined ? w : this.#fds.get(Number(fd)) ?? w;
    });
    const assignments = words.findIndex((w) => !/^[A-Za-z_]\w*=/.test(w));
    if (assignments < 0) {
      // NAME=value alone sets a variable of the shell.
      for (const w of words) {
        this.#commands.assign(w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1));
      }
      return 0;
    }
    words = words.slice(assignments); // NAME=value before a command: for that command only
    const [name, ...args] = words;
    if (name === "exit" || name === "logout") {
      if (args[0] !== undefined && !/^\d+$/.test(args[0])) {
        io.err(`-sh: exit: Illegal number: ${args[0]}\n`);
        return 2;
      }
      this.status = args[0] !== undefined ? Number(args[0]) & 0xff : this.status;
      return "exit";
    }
    if (name === "trap") return this.#trap(args, io);
    if (name === "set") return this.#set(args, io);
    if (name === "eval") {
      const r = await this.execute(args.join(" "));
      return r === "exit" || r === "interrupted" ? r : this.status;
    }
    return await this.#commands.run(name, args, io);
  }
}
