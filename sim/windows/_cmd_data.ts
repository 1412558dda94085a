// Copyright 2026 the xenpv authors. MIT license.
// The simulated Windows guest's file tools: CERTUTIL -encode, -decode and
// -hashfile (as Windows 10 prints them: `Input Length = N`, the hash alone on
// a line, `CertUtil: -verb command completed successfully.`, failures as
// `FAILED: 0x8007...` with the HRESULT as ERRORLEVEL), DEL / ERASE and MOVE.

import { createHash } from "node:crypto";
import { bytesOf } from "../machine.ts";
import type { Cmd, CmdHandler, Result } from "./_cmd_command.ts";

/** Arguments split on blanks outside "quotes", the quotes removed. */
function splitArgs(args: string): string[] {
  return [...args.matchAll(/(?:"[^"]*"?|[^\s"]+)+/g)].map((m) => m[0].replaceAll('"', ""));
}

/** HRESULTs as ERRORLEVEL shows them (signed 32 bits). */
const E_NOT_FOUND = {
  hr: 0x80070002,
  text: "(WIN32: 2 ERROR_FILE_NOT_FOUND)",
  why: "The system cannot find the file specified.",
};
const E_EXISTS = { hr: 0x80070050, text: "(WIN32: 80 ERROR_FILE_EXISTS)", why: "The file exists." };
const E_BAD_DATA = { hr: 0x80090005, text: "(-2146893819 NTE_BAD_DATA)", why: "Bad Data." };
const E_ARGS = {
  hr: 0x800700a0,
  text: "(WIN32: 160 ERROR_BAD_ARGUMENTS)",
  why: "One or more arguments are not correct.",
};

function failed(cmd: Cmd, verb: string, e: typeof E_NOT_FOUND): Result {
  cmd.print(
    `CertUtil: ${verb} command FAILED: 0x${e.hr.toString(16)} ${e.text}\r\nCertUtil: ${e.why}\r\n`,
  );
  return cmd.set(e.hr | 0, false);
}

const ALGORITHMS: Record<string, string> = {
  MD5: "md5",
  SHA1: "sha1",
  SHA256: "sha256",
  SHA384: "sha384",
  SHA512: "sha512",
};

function base64Lines(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  const text = btoa(binary);
  let out = "";
  for (let i = 0; i < text.length; i += 64) out += `${text.slice(i, i + 64)}\r\n`;
  return out;
}

/** Base64 text (a BEGIN/END frame and blanks allowed) decoded, or undefined. */
function decodeText(text: string): Uint8Array | undefined {
  const body = text.replace(/-----BEGIN [^-\r\n]*-----|-----END [^-\r\n]*-----/g, "")
    .replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) return undefined;
  const binary = atob(body);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** CERTUTIL [-f] -encode IN OUT | -decode IN OUT | -hashfile FILE [ALG]. */
function certutil(args: string, cmd: Cmd): Result {
  const words = splitArgs(args);
  const force = words.some((w) => /^[-/]f$/i.test(w));
  const rest = words.filter((w) => !/^[-/]f$/i.test(w));
  const verb = rest.shift()?.toLowerCase() ?? "";
  const disk = cmd.options.disk;
  if (verb === "-hashfile") {
    const [file, alg = "SHA1"] = rest;
    const algorithm = ALGORITHMS[alg.toUpperCase()];
    if (file === undefined || algorithm === undefined) return failed(cmd, "-hashfile", E_ARGS);
    const data = disk.data(cmd.resolve(file));
    if (data === undefined) return failed(cmd, "-hashfile", E_NOT_FOUND);
    cmd.print(
      `${alg.toUpperCase()} hash of ${file}:\r\n${
        createHash(algorithm).update(bytesOf(data)).digest("hex")
      }\r\nCertUtil: -hashfile command completed successfully.\r\n`,
    );
    return cmd.set(0);
  }
  if (verb === "-encode" || verb === "-decode") {
    const [from, to] = rest;
    if (from === undefined || to === undefined) return failed(cmd, verb, E_ARGS);
    const data = disk.data(cmd.resolve(from));
    if (data === undefined) return failed(cmd, verb, E_NOT_FOUND);
    const input = bytesOf(data);
    cmd.print(`Input Length = ${input.length}\r\n`);
    const out = cmd.resolve(to);
    if (disk.isFile(out) && !force) return failed(cmd, verb, E_EXISTS);
    if (!disk.isDir(disk.parent(out))) return failed(cmd, verb, E_NOT_FOUND);
    let output: Uint8Array;
    if (verb === "-encode") {
      output = bytesOf(
        `-----BEGIN CERTIFICATE-----\r\n${base64Lines(input)}-----END CERTIFICATE-----\r\n`,
      );
    } else {
      const decoded = decodeText(new TextDecoder().decode(input));
      if (decoded === undefined) return failed(cmd, verb, E_BAD_DATA);
      output = decoded;
    }
    disk.write(disk.canonical(out) ?? out, output);
    cmd.print(
      `Output Length = ${output.length}\r\nCertUtil: ${verb} command completed successfully.\r\n`,
    );
    return cmd.set(0);
  }
  cmd.print(
    `CertUtil: Unknown arg: ${verb}\r\nCertUtil: -? -- Displays a verb list\r\n` +
      `CertUtil: ${verb} command FAILED: 0x${E_ARGS.hr.toString(16)} ${E_ARGS.text}\r\n` +
      `CertUtil: ${E_ARGS.why}\r\n`,
  );
  return cmd.set(E_ARGS.hr | 0, false);
}

/** DEL [/F] [/Q] names...: a missing file says so on standard error; ERRORLEVEL stays 0, as cmd's. */
function del(args: string, cmd: Cmd): Result {
  const names = splitArgs(args).filter((a) => !a.startsWith("/"));
  if (names.length === 0) {
    cmd.error("The syntax of the command is incorrect.\r\n");
    return cmd.set(1, false);
  }
  const disk = cmd.options.disk;
  for (const name of names) {
    const path = cmd.resolve(name);
    if (disk.isFile(path)) disk.remove(path);
    else cmd.error(`Could Not Find ${path}\r\n`);
  }
  return cmd.same();
}

/** MOVE [/Y] FROM TO: renames a file (TO a directory: into it). */
function move(args: string, cmd: Cmd): Result {
  const names = splitArgs(args).filter((a) => !a.startsWith("/"));
  if (names.length !== 2) {
    cmd.error("The syntax of the command is incorrect.\r\n");
    return cmd.set(1, false);
  }
  const disk = cmd.options.disk;
  const from = cmd.resolve(names[0]);
  let to = cmd.resolve(names[1]);
  const data = disk.data(from);
  if (data === undefined) {
    cmd.error("The system cannot find the file specified.\r\n");
    return cmd.set(1, false);
  }
  if (disk.isDir(to)) to = `${to.replace(/\\$/, "")}\\${from.slice(from.lastIndexOf("\\") + 1)}`;
  if (!disk.isDir(disk.parent(to))) {
    cmd.error("The system cannot find the path specified.\r\n");
    return cmd.set(1, false);
  }
  disk.remove(from);
  if (disk.isFile(to)) disk.remove(to);
  disk.write(to, data);
  cmd.print("        1 file(s) moved.\r\n");
  return cmd.set(0);
}

/** A findstr regular expression (. * ^ $ [class] \\x) as a JavaScript one. */
function findstrRegExp(pattern: string, blind: boolean): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\" && i + 1 < pattern.length) out += `\\${pattern[++i]}`;
    else if (ch === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) out += "\\[";
      else {
        out += pattern.slice(i, end + 1).replaceAll("\\", "\\\\");
        i = end;
      }
    } else if (
      ".*".includes(ch) || (ch === "^" && i === 0) || (ch === "$" && i === pattern.length - 1)
    ) {
      out += ch;
    } else out += ch.replace(/[|\\{}()[\]^$+?.*]/g, "\\$&");
  }
  return new RegExp(out, blind ? "i" : "");
}

/**
 * FINDSTR [/B] [/E] [/I] [/V] [/N] [/R] [/L] [/C:"string"]... [strings] [files]:
 * lines that match any search string (space-separated words: regular
 * expressions unless /L; or each /C: string: literal unless /R); /N puts
 * `N:` (several files: `file:N:`) before each.
 */
function findstr(args: string, cmd: Cmd): Result {
  const words = args.trim().match(/\/c:"[^"]*"?|\/c:\S+|"[^"]*"?|\S+/gi) ?? [];
  const strings: string[] = [];
  let flags = "";
  const rest: string[] = [];
  let literal = false; // /C: strings are literal (unless /R), plain ones regular expressions (unless /L)
  for (const w of words) {
    if (/^\/c:/i.test(w)) {
      strings.push(w.slice(3).replaceAll('"', ""));
      literal = true;
    } else if (w.startsWith("/")) flags += w.slice(1).toLowerCase();
    else rest.push(w.replaceAll('"', ""));
  }
  if (strings.length === 0) {
    const first = rest.shift();
    if (first !== undefined) strings.push(...first.split(" ").filter(Boolean));
  }
  if (strings.length === 0) {
    cmd.error("FINDSTR: Bad command line\r\n");
    return cmd.set(2, false);
  }
  const blind = flags.includes("i");
  const regex = flags.includes("r") || (!literal && !flags.includes("l"));
  const tests = strings.map((s) => {
    const re = regex
      ? findstrRegExp(s, blind)
      : new RegExp(s.replace(/[|\\{}()[\]^$+?.*]/g, "\\$&"), blind ? "i" : "");
    const anchored = new RegExp(
      `${flags.includes("b") ? "^(?:" : "(?:"}${re.source})${flags.includes("e") ? "$" : ""}`,
      re.flags,
    );
    return (line: string) => anchored.test(line);
  });
  const sources: [string | undefined, string | undefined][] = rest.length > 0
    ? rest.map((f) => {
      const data = cmd.options.disk.data(cmd.resolve(f));
      if (data === undefined) cmd.error(`FINDSTR: Cannot open ${f}\r\n`);
      return [f, data === undefined ? undefined : new TextDecoder().decode(bytesOf(data))];
    })
    : [[undefined, cmd.input ?? ""]];
  let found = 0;
  for (const [file, content] of sources) {
    if (content === undefined) continue;
    const all = content.split(/\r?\n/);
    if (all.at(-1) === "") all.pop();
    all.forEach((line, i) => {
      if (tests.some((t) => t(line)) === flags.includes("v")) return;
      found++;
      const where = `${sources.length > 1 ? `${file}:` : ""}${
        flags.includes("n") ? `${i + 1}:` : ""
      }`;
      cmd.print(`${where}${line}\r\n`);
    });
  }
  return found > 0 ? cmd.set(0) : cmd.set(1, false);
}

/** The file tools' commands. */
export const DATA_COMMANDS: Record<string, CmdHandler> = {
  certutil,
  del,
  erase: del,
  move,
  findstr,
};
