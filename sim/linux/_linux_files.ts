// Copyright 2026 the xenpv authors. MIT license.
// The simulated Linux guest's disk and text commands: cd, pwd, ls, cat,
// grep, head, tail, wc, mkdir, touch, rm, with the real tools' messages and
// statuses, and the user's rights (root anywhere, others at home and in /tmp).

import { byteLength, textOf } from "../machine.ts";
import { type Io, isPerson, type LinuxHandler, type Sh } from "./_linux_command.ts";

/** Lines of a text (a final "\n" does not start another). */
function lines(text: string): string[] {
  const out = text.split("\n");
  if (out.at(-1) === "") out.pop();
  return out;
}
/** Names laid out as `ls` does on an 80-column terminal: down the columns (one a line if they do not fit). */
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

function cd(args: string[], io: Io, sh: Sh): number {
  const home = sh.vars.get("HOME") ?? sh.homeDir();
  const arg = args[0] === "-" ? sh.vars.get("OLDPWD") ?? sh.cwd : args[0] ?? home;
  const target = sh.resolve(arg);
  if (!sh.fs.isDir(target)) {
    const why = sh.fs.isFile(target) ? "Not a directory" : "No such file or directory";
    io.err(`-sh: cd: can't cd to ${arg}: ${why}\n`);
    return 2;
  }
  sh.vars.set("OLDPWD", sh.cwd);
  sh.cwd = target;
  sh.vars.set("PWD", target);
  if (args[0] === "-") io.out(`${target}\n`);
  return 0;
}

function ls(args: string[], io: Io, sh: Sh): number {
  const flags = args.filter((a) => /^-\w/.test(a)).join("");
  // Columns on a terminal (or with -C), one name a line into a pipe or a file (or with -1).
  const across = flags.lastIndexOf("C") > flags.lastIndexOf("1")
    ? true
    : flags.includes("1")
    ? false
    : io.tty === true;
  const long = flags.includes("l");
  const hidden = flags.includes("a");
  const paths = args.filter((a) => !/^-\w/.test(a));
  const owner = (path: string) =>
    sh.accounts.find((a) => isPerson(a) && (path + "/").startsWith(`${a.home}/`))?.name ??
      "root";
  const show = (dir: string, entries: [string, number | "dir"][]) => {
    const names = entries.map(([n]) => n);
    if (!long) return io.out(across ? columns(names) : names.map((n) => `${n}\n`).join(""));
    const blocks = entries.reduce((sum, [, s]) => sum + (s === "dir" || s > 0 ? 4 : 0), 0);
    if (dir !== "") io.out(`total ${blocks}\n`);
    for (const [name, size] of entries) {
      const who = owner(dir === "" ? sh.resolve(name) : `${dir}/${name}`).padEnd(4);
      const mode = size === "dir" ? "drwxr-xr-x 2" : "-rw-r--r-- 1";
      const bytes = size === "dir" ? 4096 : size;
      io.out(`${mode} ${who} ${who} ${String(bytes).padStart(4)} Nov 22  2024 ${name}\n`);
    }
  };
  let status = 0;
  const files: [string, number][] = [];
  const dirs: string[] = [];
  for (const path of paths.length > 0 ? paths : ["."]) {
    const full = sh.resolve(path);
    const content = sh.fs.read(full);
    if (content !== undefined) files.push([path, byteLength(content)]);
    else if (sh.fs.isDir(full)) dirs.push(path);
    else {
      io.err(`ls: cannot access '${path}': No such file or directory\n`);
      status = 2;
    }
  }
  if (files.length > 0) show("", files);
  dirs.forEach((path, i) => {
    const full = sh.resolve(path);
    if (files.length > 0 || i > 0) io.out("\n");
    if (files.length + dirs.length > 1) io.out(`${path}:\n`);
    const dots: [string, "dir"][] = hidden ? [[".", "dir"], ["..", "dir"]] : [];
    const list = sh.fs.list(full).filter(([n]) => hidden || !n.startsWith("."));
    show(full === "/" ? "" : full, [...dots, ...list]);
  });
  return status;
}

function cat(args: string[], io: Io, sh: Sh): number {
  let status = 0;
  for (const path of args.length > 0 ? args : ["-"]) {
    const content = sh.read("cat", path, io);
    if (content === undefined) status = 1;
    else io.out(content);
  }
  return status;
}

function grep(args: string[], io: Io, sh: Sh): number {
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
    const content = sh.read("grep", file, io);
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

function headTail(args: string[], io: Io, sh: Sh, tool: "head" | "tail"): number {
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
    const content = sh.read(tool, file, io);
    if (content === undefined) {
      status = 1;
      continue;
    }
    if (files.length > 1) io.out(`==> ${file} <==\n`);
    const all = lines(content);
    const part = tool === "head" ? all.slice(0, count) : all.slice(Math.max(0, all.length - count));
    io.out(part.map((l) => `${l}\n`).join(""));
  }
  return status;
}

function wc(args: string[], io: Io, sh: Sh): number {
  const flags = args.filter((a) => /^-[lwc]+$/.test(a)).join("");
  const files = args.filter((a) => !/^-[lwc]+$/.test(a));
  const want = flags === "" ? "lwc" : flags;
  let status = 0;
  for (const file of files.length > 0 ? files : ["-"]) {
    const data = sh.data("wc", file, io);
    if (data === undefined) {
      status = 1;
      continue;
    }
    const content = textOf(data);
    const counts = [
      want.includes("l") ? [(content.match(/\n/g) ?? []).length] : [],
      want.includes("w") ? [content.split(/\s+/).filter(Boolean).length] : [],
      want.includes("c") ? [byteLength(data)] : [],
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

function mkdir(args: string[], io: Io, sh: Sh): number {
  const parents = args.includes("-p");
  let status = 0;
  for (const dir of args.filter((a) => a !== "-p")) {
    const full = sh.resolve(dir);
    const fail = (why: string) => {
      io.err(`mkdir: cannot create directory '${dir}': ${why}\n`);
      status = 1;
    };
    if (sh.fs.isDir(full) || sh.fs.isFile(full)) {
      if (!parents || sh.fs.isFile(full)) fail("File exists");
    } else if (!parents && !sh.fs.isDir(sh.fs.parent(full))) {
      fail("No such file or directory");
    } else if (!sh.writable(full)) fail("Permission denied");
    else sh.fs.mkdir(full);
  }
  return status;
}

function touch(args: string[], io: Io, sh: Sh): number {
  let status = 0;
  for (const file of args) {
    const full = sh.resolve(file);
    if (sh.fs.isDir(full) || sh.fs.isFile(full)) continue;
    const why = !sh.fs.isDir(sh.fs.parent(full))
      ? "No such file or directory"
      : !sh.writable(full)
      ? "Permission denied"
      : undefined;
    if (why) {
      io.err(`touch: cannot touch '${file}': ${why}\n`);
      status = 1;
    } else sh.fs.write(full, "");
  }
  return status;
}

function rm(args: string[], io: Io, sh: Sh): number {
  const force = args.some((a) => /^-\w*f/.test(a));
  let status = 0;
  for (const file of args.filter((a) => !a.startsWith("-"))) {
    const full = sh.resolve(file);
    const why = sh.fs.isDir(full)
      ? "Is a directory"
      : !sh.fs.isFile(full)
      ? force ? undefined : "No such file or directory"
      : !sh.writable(full)
      ? "Permission denied"
      : (sh.fs.remove(full), undefined);
    if (why) {
      io.err(`rm: cannot remove '${file}': ${why}\n`);
      status = 1;
    }
  }
  return status;
}

/** The disk's and the text tools' commands. */
export const FILE_COMMANDS: Record<string, LinuxHandler> = {
  pwd: (_, io, sh) => (io.out(`${sh.cwd}\n`), 0),
  cd,
  ls,
  cat,
  grep,
  head: (args, io, sh) => headTail(args, io, sh, "head"),
  tail: (args, io, sh) => headTail(args, io, sh, "tail"),
  wc,
  mkdir,
  touch,
  rm,
};
