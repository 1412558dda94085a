// Copyright 2026 the xenpv authors. MIT license.
// cmd.exe's disk and text commands over the guest's one small disk (C:):
// CD, MKDIR, DIR, TYPE, and the programs that read files or piped output,
// MORE, FIND and FINDSTR.

import { SimFiles, type SimMachine } from "../machine.ts";
import type { Cmd, CmdHandler, Result } from "./_cmd_command.ts";

/** The date `dir` shows for everything (the simulated disk has no clock). */
const FILE_DATE = "11/14/2017  09:12 AM";

const VOLUME = " Volume in drive C has no label.\r\n Volume Serial Number is 5A1F-3C2E\r\n";

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

/** CD [/D] [path]: shows or changes the current directory. */
function cd(args: string, cmd: Cmd): Result {
  const fs = cmd.options.disk;
  const a = args.trim().replace(/^\/d\s+/i, "").replace(/^"(.*)"$/, "$1");
  if (a === "" || /^c:$/i.test(a)) {
    cmd.print(`${cmd.cwd}\r\n`);
    return cmd.same();
  }
  const target = cmd.resolve(a);
  if (!fs.isDir(target)) {
    cmd.error(
      fs.isFile(target)
        ? "The directory name is invalid.\r\n"
        : "The system cannot find the path specified.\r\n",
    );
    return cmd.set(1, false);
  }
  cmd.cwd = fs.canonical(target) ?? target;
  return cmd.same();
}

/** MKDIR dir...: makes directories (and their parents). */
function mkdir(args: string, cmd: Cmd): Result {
  const fs = cmd.options.disk;
  const names = splitArgs(args);
  if (names.length === 0) {
    cmd.error("The syntax of the command is incorrect.\r\n");
    return cmd.set(1, false);
  }
  let result = cmd.same();
  for (const name of names) {
    const target = cmd.resolve(name);
    if (fs.isDir(target) || fs.isFile(target)) {
      cmd.error(`A subdirectory or file ${name} already exists.\r\n`);
      result = cmd.set(1, false);
    } else {
      fs.mkdir(target);
    }
  }
  return result;
}

/** DIR [/B] [path or wildcard]: a directory's entries (/B: names only). */
function dir(args: string, cmd: Cmd): Result {
  const fs = cmd.options.disk;
  const words = splitArgs(args.replaceAll("/", " /"));
  const bare = words.some((w) => /^\/b$/i.test(w)); // other switches change nothing here
  const arg = words.find((w) => !w.startsWith("/")) ?? ".";
  const path = cmd.resolve(arg);
  const name = path.slice(path.lastIndexOf("\\") + 1);
  const notFound = (why: string, dir?: string) => {
    if (!bare) cmd.print(`${VOLUME}\r\n${dir ? ` Directory of ${dir}\r\n\r\n` : ""}`);
    cmd.error(why);
    return cmd.set(1, false);
  };
  let dir: string;
  let entries: [string, number | "dir"][];
  if (fs.isDir(path)) {
    dir = fs.canonical(path)!;
    const dots: [string, "dir"][] = dir.endsWith(":\\") ? [] : [[".", "dir"], ["..", "dir"]];
    entries = [...dots, ...fs.list(dir)];
  } else {
    const parent = fs.canonical(fs.parent(path));
    if (parent === undefined || !fs.isDir(parent)) {
      return notFound("The system cannot find the path specified.\r\n");
    }
    dir = parent;
    const pattern = wildcard(name);
    entries = fs.list(dir).filter(([n]) => pattern.test(n));
    if (entries.length === 0) return notFound("File Not Found\r\n", dir);
  }
  if (bare) {
    for (const [n] of entries) if (n !== "." && n !== "..") cmd.print(`${n}\r\n`);
    return cmd.set(0);
  }
  cmd.print(`${VOLUME}\r\n Directory of ${dir}\r\n\r\n`);
  let files = 0, bytes = 0, dirs = 0;
  for (const [n, size] of entries) {
    if (size === "dir") dirs++;
    else (files++, bytes += size);
    const middle = size === "dir" ? "<DIR>         " : size.toLocaleString("en-US").padStart(14);
    cmd.print(`${FILE_DATE}    ${middle} ${n}\r\n`);
  }
  cmd.print(
    `${String(files).padStart(16)} File(s) ${
      bytes.toLocaleString("en-US").padStart(14)
    } bytes\r\n` +
      `${String(dirs).padStart(16)} Dir(s)  21,474,836,480 bytes free\r\n`,
  );
  return cmd.set(0);
}

/** A file's content, or (having said so) undefined. */
function read(
  cmd: Cmd,
  arg: string,
  tool: "type" | "find" | "findstr" | "more",
): string | undefined {
  if (/^nul:?$/i.test(arg)) return ""; // the NUL device reads as empty
  const fs = cmd.options.disk;
  const path = cmd.resolve(arg);
  const content = fs.read(path);
  if (content !== undefined) return content;
  if (tool === "find") cmd.error(`File not found - ${arg.toUpperCase()}\r\n`);
  else if (tool === "findstr") cmd.error(`FINDSTR: Cannot open ${arg}\r\n`);
  else if (tool === "more") cmd.error(`Cannot access file ${path}\r\n`);
  else {
    cmd.error(
      fs.isDir(path) ? "Access is denied.\r\n" : "The system cannot find the file specified.\r\n",
    );
  }
  return undefined;
}

/** TYPE file...: files' contents (several: each named, on standard error). */
function type(args: string, cmd: Cmd): Result {
  const names = splitArgs(args);
  if (names.length === 0) {
    cmd.error("The syntax of the command is incorrect.\r\n");
    return cmd.set(1, false);
  }
  let ok = true;
  for (const name of names) {
    if (names.length > 1) cmd.error(`\r\n${name}\r\n\r\n\r\n`); // TYPE names each of several
    const content = read(cmd, name, "type");
    if (content === undefined) {
      if (names.length > 1) cmd.error(`Error occurred while processing: ${name}.\r\n`);
      ok = false;
    } else {
      cmd.print(content);
    }
  }
  return ok ? cmd.set(0) : cmd.set(1, false);
}

/** MORE [file...]: files or the piped input, line by line. */
function more(args: string, cmd: Cmd): Result {
  const names = splitArgs(args).filter((a) => !a.startsWith("/"));
  let text = names.length === 0 ? cmd.input ?? "" : "";
  for (const name of names) {
    const content = read(cmd, name, "more");
    if (content === undefined) return cmd.set(1, false);
    text += content;
  }
  for (const l of lines(text)) cmd.print(`${l}\r\n`);
  return cmd.set(0);
}

/**
 * `find [/i] [/v] [/c] "text" [file...]` and `findstr [/i] [/v] words [file...]`
 * (findstr matches any of the words), over files or the piped input.
 */
function find(args: string, cmd: Cmd, findstr = false): Result {
  const words = args.trim().match(/"[^"]*"?|\S+/g) ?? [];
  const flags = words.filter((w) => w.startsWith("/")).join("").toLowerCase();
  const rest = words.filter((w) => !w.startsWith("/"));
  if (rest.length === 0 || (!findstr && !rest[0].startsWith('"'))) {
    cmd.error(
      findstr ? "FINDSTR: Bad command line\r\n" : "FIND: Parameter format not correct\r\n",
    );
    return cmd.set(2, false);
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
    ? rest.slice(1).map((f) => [f, read(cmd, f, findstr ? "findstr" : "find")])
    : [[undefined, cmd.input ?? ""]];
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
      cmd.print(count ? `\r\n${label}: ${matches.length}\r\n` : `\r\n${label}\r\n`);
    } else if (count) cmd.print(`${matches.length}\r\n`);
    if (count) continue;
    const prefix = findstr && sources.length > 1 ? `${file}:` : "";
    for (const l of matches) cmd.print(`${prefix}${l}\r\n`);
  }
  return found > 0 && !failed ? cmd.set(0) : cmd.set(1, false);
}

/** The disk's and the text tools' commands. */
export const FILE_COMMANDS: Record<string, CmdHandler> = {
  cd,
  chdir: cd,
  mkdir,
  md: mkdir,
  dir,
  type,
  more,
  find: (args, cmd) => find(args, cmd),
  findstr: (args, cmd) => find(args, cmd, true),
};
