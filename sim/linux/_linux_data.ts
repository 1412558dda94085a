// Copyright 2026 the xenpv authors. MIT license.
// The simulated Linux guest's data tools, as coreutils prints them (busybox
// prints the same): printf, tee, base64 (-d; 76 columns), sha256sum and
// md5sum (`<hex>  <name>`), dd (if= of= bs= skip= count=, its records on
// standard error), mv. Bytes flow through pipes and files as they are.

import { createHash } from "node:crypto";
import { bytesOf } from "../machine.ts";
import type { Io, LinuxHandler, Sh } from "./_linux_command.ts";

/** `printf FORMAT [ARG...]`: %s %d %% and \n \t \\ escapes; the format is reused for extra args. */
function printf(args: string[], io: Io): number {
  if (args.length === 0) {
    io.err("printf: missing operand\n");
    return 1;
  }
  const [format, ...rest] = args;
  const escapes = (s: string) =>
    s.replace(
      /\\([ntr\\]|0[0-7]{0,3})/g,
      (_, e: string) =>
        e === "n"
          ? "\n"
          : e === "t"
          ? "\t"
          : e === "r"
          ? "\r"
          : e === "\\"
          ? "\\"
          : String.fromCharCode(parseInt(e, 8)),
    );
  let out = "";
  let i = 0;
  do {
    let used = false;
    out += escapes(format).replace(/%([sd%])/g, (_, c: string) => {
      if (c === "%") return "%";
      used = true;
      const a = rest[i++] ?? "";
      return c === "d" ? String(parseInt(a, 10) || 0) : a;
    });
    if (!used) break;
  } while (i < rest.length);
  io.out(out);
  return 0;
}

/** `tee [-a] FILE...`: standard input to the files and to standard output. */
function tee(args: string[], io: Io, sh: Sh): number {
  const append = args.some((a) => /^-\w*a/.test(a));
  const data = io.input ?? "";
  let status = 0;
  for (const file of args.filter((a) => !a.startsWith("-"))) {
    const path = sh.resolve(file);
    if (!sh.fs.isDir(sh.fs.parent(path)) || sh.fs.isDir(path) || !sh.writable(path)) {
      io.err(`tee: ${file}: ${sh.fs.isDir(path) ? "Is a directory" : "Permission denied"}\n`);
      status = 1;
      continue;
    }
    if (append && sh.fs.isFile(path)) sh.fs.append(path, data);
    else sh.fs.write(path, data);
  }
  io.out(data);
  return status;
}

/** Bytes to base64, wrapped at `wrap` columns (0: not wrapped), as `base64` prints it. */
function encode(bytes: Uint8Array, wrap: number): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  const text = btoa(binary);
  if (text === "") return "";
  if (wrap === 0) return `${text}\n`;
  let out = "";
  for (let i = 0; i < text.length; i += wrap) out += `${text.slice(i, i + wrap)}\n`;
  return out;
}

/** `base64 [-d] [-w COLS] [FILE]`. */
function base64(args: string[], io: Io, sh: Sh): number {
  let decode = false;
  let wrap = 76;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-d" || a === "--decode") decode = true;
    else if (a === "-w") wrap = Number(args[++i]);
    else if (/^-w\d+$/.test(a)) wrap = Number(a.slice(2));
    else if (a.startsWith("-") && a !== "-") {
      io.err(`base64: invalid option -- '${a.slice(1)}'\n`);
      return 1;
    } else files.push(a);
  }
  const data = sh.data("base64", files[0] ?? "-", io);
  if (data === undefined) return 1;
  if (!decode) {
    io.out(encode(bytesOf(data), Number.isInteger(wrap) && wrap >= 0 ? wrap : 76));
    return 0;
  }
  const text = new TextDecoder().decode(bytesOf(data)).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
    io.err("base64: invalid input\n");
    return 1;
  }
  const binary = atob(text.padEnd(Math.ceil(text.length / 4) * 4, "="));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  io.out(out);
  return 0;
}

/** `sha256sum [FILE...]` / `md5sum`: `<hex>  <name>` a line, `-` for standard input. */
function sum(alg: "sha256" | "md5"): LinuxHandler {
  return (args, io, sh) => {
    const tool = `${alg}sum`;
    let status = 0;
    const files = args.filter((a) => a === "-" || !a.startsWith("-"));
    for (const file of files.length > 0 ? files : ["-"]) {
      const data = sh.data(tool, file, io);
      if (data === undefined) {
        status = 1;
        continue;
      }
      // A name with a backslash or a newline is escaped, the line then starts with `\`.
      const odd = /[\\\n]/.test(file);
      const name = odd ? file.replaceAll("\\", "\\\\").replaceAll("\n", "\\n") : file;
      io.out(`${odd ? "\\" : ""}${createHash(alg).update(bytesOf(data)).digest("hex")}  ${name}\n`);
    }
    return status;
  };
}

/** `dd if= of= bs= skip= count=`: copies blocks; its record counts on standard error. */
function dd(args: string[], io: Io, sh: Sh): number {
  const opt = new Map<string, string>();
  for (const a of args) {
    const m = /^(if|of|bs|skip|count)=(.*)$/.exec(a);
    if (!m) {
      io.err(`dd: unrecognized operand '${a}'\n`);
      return 1;
    }
    opt.set(m[1], m[2]);
  }
  const num = (name: string, fallback: number) => {
    const v = opt.get(name);
    const n = v === undefined ? fallback : Number(v);
    return Number.isSafeInteger(n) && n >= 0 ? n : NaN;
  };
  const bs = num("bs", 512);
  const skip = num("skip", 0);
  const count = num("count", Infinity);
  if (!(bs > 0) || Number.isNaN(skip) || Number.isNaN(count)) {
    io.err("dd: invalid number\n");
    return 1;
  }
  const data = sh.data("dd", opt.get("if") ?? "-", io);
  if (data === undefined) return 1;
  const bytes = bytesOf(data);
  const start = Math.min(bytes.length, skip * bs);
  const end = count === Infinity ? bytes.length : Math.min(bytes.length, start + count * bs);
  const out = bytes.slice(start, end);
  const of = opt.get("of");
  if (of === undefined) io.out(out);
  else {
    const path = sh.resolve(of);
    if (!sh.writable(path) || !sh.fs.isDir(sh.fs.parent(path))) {
      io.err(`dd: failed to open '${of}': Permission denied\n`);
      return 1;
    }
    sh.fs.write(path, out);
  }
  const full = Math.floor(out.length / bs);
  const part = out.length % bs === 0 ? 0 : 1;
  io.err(
    `${full}+${part} records in\n${full}+${part} records out\n` +
      `${out.length} bytes (${out.length} B) copied, 0.000120 s, 0 B/s\n`,
  );
  return 0;
}

/** `mv [-f] FROM TO`: renames a file (a directory as TO: into it). */
function mv(args: string[], io: Io, sh: Sh): number {
  const names = args.filter((a) => !a.startsWith("-"));
  if (names.length !== 2) {
    io.err("mv: missing destination file operand\n");
    return 1;
  }
  const [from, to] = names;
  const src = sh.resolve(from);
  let dst = sh.resolve(to);
  if (sh.fs.isDir(dst)) dst = `${dst === "/" ? "" : dst}/${src.slice(src.lastIndexOf("/") + 1)}`;
  const data = sh.fs.data(src);
  if (data === undefined) {
    io.err(`mv: cannot stat '${from}': No such file or directory\n`);
    return 1;
  }
  if (!sh.writable(src) || !sh.writable(dst) || !sh.fs.isDir(sh.fs.parent(dst))) {
    io.err(`mv: cannot move '${from}' to '${to}': Permission denied\n`);
    return 1;
  }
  sh.fs.remove(src);
  sh.fs.write(dst, data);
  return 0;
}

/** `test EXPR` / `[ EXPR ]`: -e -f -d -s -z -n FILE/STRING, = and !=, and ! before one. */
function test(args: string[], io: Io, sh: Sh, bracket = false): number {
  let words = args;
  if (bracket) {
    if (words.at(-1) !== "]") {
      io.err("-sh: [: missing ]\n");
      return 2;
    }
    words = words.slice(0, -1);
  }
  let negate = false;
  if (words[0] === "!") {
    negate = true;
    words = words.slice(1);
  }
  let ok: boolean;
  if (words.length === 0) ok = false;
  else if (words.length === 1) ok = words[0] !== "";
  else if (words.length === 2 && /^-[efdszn]$/.test(words[0])) {
    const path = sh.resolve(words[1]);
    const op = words[0];
    ok = op === "-z"
      ? words[1] === ""
      : op === "-n"
      ? words[1] !== ""
      : op === "-d"
      ? sh.fs.isDir(path)
      : op === "-f"
      ? sh.fs.isFile(path)
      : op === "-s"
      ? (sh.fs.data(path)?.length ?? 0) > 0
      : sh.fs.isDir(path) || sh.fs.isFile(path);
  } else if (words.length === 3 && (words[1] === "=" || words[1] === "!=")) {
    ok = (words[0] === words[2]) === (words[1] === "=");
  } else {
    io.err(`-sh: ${bracket ? "[" : "test"}: ${words[0]}: unknown operand\n`);
    return 2;
  }
  return ok !== negate ? 0 : 1;
}

/** The data tools' commands. */
export const DATA_COMMANDS: Record<string, LinuxHandler> = {
  printf,
  tee,
  base64,
  sha256sum: sum("sha256"),
  md5sum: sum("md5"),
  dd,
  mv,
  test: (args, io, sh) => test(args, io, sh),
  "[": (args, io, sh) => test(args, io, sh, true),
};
