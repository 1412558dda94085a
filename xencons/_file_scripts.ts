// Copyright 2026 the xenpv authors. MIT license.
// The shell commands a file copy types, per dialect: Linux (POSIX sh with
// coreutils or busybox: printf, tail, base64, sha256sum or md5sum, dd, mv,
// rm) and Windows (cmd.exe: echo with > redirections, certutil -encode,
// -decode and -hashfile, type, move, del). Each is one `run()` command; what
// it prints is parsed here too. The flow is _file_transfer.ts'.

import { hasControl } from "../_sys/text.ts";
import { linuxDialect } from "./linux_dialect.ts";

/** A hash a guest can take of a file. */
export type HashAlgorithm = "sha256" | "md5";

/** The guest's temporary files of one copy, beside the remote file (put) or in the temp dir (get). */
export interface Temps {
  /** The remote file, as given. */
  remote: string;
  /** The base64 text. */
  b64: string;
  /** One chunk's text (Windows). */
  piece: string;
  /** The decoded file, renamed over the remote one once its hash matched. */
  part: string;
}

/** What a dialect types to move a file. */
export interface FileScript {
  /** The hash tools to try, best first. */
  readonly algorithms: readonly HashAlgorithm[];
  /** The temporary files of a copy with tag `tag`. */
  temps(remote: string, tag: string, get: boolean): Temps;
  /** Exits 0 if the guest has `alg`'s tool (undefined: it always has it). */
  probe(alg: HashAlgorithm): string | undefined;
  /** Creates the (empty) base64 file: fails early when the directory is not writable. */
  putStart(t: Temps): string;
  /** How many base64 characters one chunk's command carries. */
  putRoom(t: Temps, alg: HashAlgorithm): number;
  /** Appends `b64` to the base64 file and prints the hash of `text(b64)`. */
  putChunk(t: Temps, b64: string, alg: HashAlgorithm): string;
  /** What the guest hashes of a chunk: the text its shell wrote. */
  chunkText(b64: string): string;
  /** Decodes the base64 file into the part file and prints the part's hash. */
  putDecode(t: Temps, alg: HashAlgorithm): string;
  /** Makes the part file empty (an empty file is not decoded nor hashed: certutil may refuse one). */
  putEmpty(t: Temps): string;
  /** Renames the part over the remote file and removes the rest. */
  putCommit(t: Temps): string;
  /** Removes every temporary file (none there is fine). */
  cleanup(t: Temps): string;
  /** Prints the remote file's size and hash (Windows: also encodes it into the base64 file). */
  getStart(t: Temps, alg: HashAlgorithm): string;
  /** The size in what getStart printed (its hash is read with {@linkcode parseHash}). */
  parseStart(output: string): number | undefined;
  /** Bytes per chunk read, or undefined when the file comes in one piece. */
  readonly getChunkBytes: number | undefined;
  /**
   * Prints chunk `i` (of `bytes` bytes each) in base64, then its hash
   * (Linux); lines 1000i to 1000i+999 of the numbered base64 file, then
   * their hash (Windows).
   */
  getChunk(t: Temps, i: number, bytes: number, alg: HashAlgorithm): string;
}

/** The hash in a line of sha256sum/md5sum (`<hex>  name`) or certutil -hashfile output. */
export function parseHash(output: string, alg: HashAlgorithm): string | undefined {
  const hex = alg === "sha256" ? 64 : 32;
  for (const line of output.split("\n")) {
    // sha256sum: `<hex>  name` (a `\` first when the name was escaped);
    // certutil: the hash alone on a line (Windows 7: bytes split by spaces).
    const m = /^\\?([0-9a-fA-F ]+?)(?:\s\s.*|\s*)$/.exec(line.trim());
    const h = m?.[1].replaceAll(" ", "").toLowerCase();
    if (h && h.length === hex && /^[0-9a-f]+$/.test(h)) return h;
  }
  return undefined;
}

// ---- Linux ----

/** Busybox's line editor keeps 1024 characters (CONFIG_FEATURE_EDITING_MAX_LEN); stay below. */
const LINUX_LINE = 1000;
/** A tag as long as any newTag() makes, for measuring lines. */
const LONG_TAG = "XPVAAAAZZZZZZ";

function sq(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A path as a command's argument: quoted, and never taken for an option (`-n` is `./-n`). */
function arg(path: string): string {
  return sq(path.startsWith("-") ? `./${path}` : path);
}

const tool = (alg: HashAlgorithm) => alg === "sha256" ? "sha256sum" : "md5sum";

/**
 * Appends a chunk, then hashes the file's last line: what reached the disk,
 * not what the shell was given (a full disk fails the printf, and the chunk).
 * The base64 file is safe to append to by name: it is root's (the guest
 * user's) own, made by {@linkcode exclusive} in /tmp, whose sticky bit keeps
 * anyone else from replacing it.
 */
function linuxChunk(t: Temps, b64: string, alg: HashAlgorithm): string {
  return `printf '%s\\n' ${b64} >> ${arg(t.b64)} && tail -n 1 ${arg(t.b64)} | ${tool(alg)}`;
}

/**
 * Creates `path` as a new regular file (fd 3 of a subshell), then runs `then`
 * with its output there; fails if anything was at `path`. In a directory a
 * guest user can write, they may plant a symlink at the name once they saw it
 * in `ps`: noclobber (`set -C`) refuses an existing file or a dangling symlink
 * (dash and busybox open with O_EXCL); bash opens an existing non-regular
 * file (a symlink to a disk) even so, which the test of the opened file
 * (`/proc/self/fd/3`, not the name) refuses before a byte is written.
 */
function exclusive(path: string, then?: string): string {
  const write = then === undefined ? "" : ` && ${then} >&3`;
  return `(set -C; exec 3>${arg(path)} && [ -f /proc/self/fd/3 ]${write})`;
}

/** The Linux commands: text typed one line per chunk. */
export const linuxFiles: FileScript = {
  algorithms: ["sha256", "md5"],
  temps(remote, tag, get) {
    if (remote === "" || hasControl(remote)) {
      throw new TypeError("a remote path must be non-empty, without control characters");
    }
    // The base64 file in /tmp (sticky: once made, no one else can replace
    // it); the decoded file beside the remote one, to be renamed over it.
    const base = get ? `/tmp/.xpv${tag}` : `${remote}.xpv${tag}`;
    return { remote, b64: `/tmp/.xpv${tag}.b64`, piece: `${base}.c`, part: base };
  },
  probe: (alg) => `${tool(alg)} </dev/null`,
  // A directory as the remote path: mv would move the file into it, under the
  // temporary name. The part file is made (and removed) to fail early when
  // the remote directory is not writable.
  putStart: (t) =>
    `[ -d ${arg(t.remote)} ] && echo 'Is a directory'; [ ! -d ${arg(t.remote)} ] && ${
      exclusive(t.b64)
    } && ${exclusive(t.part)} && rm -f ${arg(t.part)}`,
  putRoom(t, alg) {
    // The other commands name the remote path up to three times: each must fit a line too.
    const others = [linuxFiles.putStart(t), linuxFiles.putDecode(t, alg), linuxFiles.cleanup(t)];
    if (others.some((c) => linuxDialect.command(c, LONG_TAG).line.length > LINUX_LINE)) return 0;
    const line = linuxDialect.command(linuxChunk(t, "", alg), LONG_TAG).line;
    return Math.floor((LINUX_LINE - line.length) / 4) * 4;
  },
  putChunk: linuxChunk,
  chunkText: (b64) => `${b64}\n`,
  putDecode: (t, alg) =>
    `${exclusive(t.part, `base64 -d ${arg(t.b64)}`)} && ${tool(alg)} ${arg(t.part)}`,
  putEmpty: (t) => exclusive(t.part),
  putCommit: (t) => `mv -f ${arg(t.part)} ${arg(t.remote)} && rm -f ${arg(t.b64)}`,
  cleanup: (t) => `rm -f ${arg(t.b64)} ${arg(t.part)}`,
  getStart: (t, alg) => `wc -c < ${arg(t.remote)} && ${tool(alg)} < ${arg(t.remote)}`,
  parseStart(output) {
    const size = /^\s*(\d+)\s*$/m.exec(output)?.[1];
    return size === undefined ? undefined : Number(size);
  },
  getChunkBytes: 32 * 1024, // 44K characters of base64: within the expect window
  getChunk(t, i, bytes, alg) {
    const dd = `dd if=${arg(t.remote)} bs=${bytes} skip=${i} count=1 2>/dev/null`;
    return `${dd} | base64 && ${dd} | ${tool(alg)}`;
  },
};

// ---- Windows ----

/** cmd.exe's 8,191 characters, less the markers run() adds and a margin. */
const CMD_ROOM = 7800;

function dq(path: string): string {
  return `"${path}"`;
}

function windowsChunk(t: Temps, b64: string): string {
  return `>${dq(t.piece)} echo ${b64}& certutil -hashfile ${dq(t.piece)} SHA256& ` +
    `type ${dq(t.piece)}>>${dq(t.b64)}`;
}

/** The Windows commands: chunks written with echo, certutil to encode, decode and hash. */
export const windowsFiles: FileScript = {
  algorithms: ["sha256"],
  temps(remote, tag, get) {
    if (remote === "" || hasControl(remote) || /["%]/.test(remote)) {
      throw new TypeError(
        'a Windows remote path must be non-empty, without control characters, " or %',
      );
    }
    if (remote.includes("!")) {
      // Quoted or not, cmd.exe expands !NAME! in a command line when delayed
      // expansion is on (`cmd /V:ON`, or DelayedExpansion in the registry):
      // the copy would write and move a file of another name.
      throw new RangeError(
        "a Windows remote path must not contain !: cmd.exe with DelayedExpansion on reads " +
          "!NAME! as a variable, even in quotes; rename the file, or copy to another name",
      );
    }
    const base = get ? `%TEMP%\\xpv${tag}` : `${remote}.xpv${tag}`;
    return { remote, b64: `${base}.b64`, piece: `${base}.c`, part: base };
  },
  probe: () => undefined,
  putStart: (t) => `type nul>${dq(t.b64)}`,
  putRoom(t) {
    const line = windowsChunk(t, "");
    // run() types a line this long in acknowledged `set` pieces (the helper keeps 1022).
    return Math.floor((CMD_ROOM - line.length) / 4) * 4;
  },
  putChunk: (t, b64) => windowsChunk(t, b64),
  chunkText: (b64) => `${b64}\r\n`,
  putEmpty: (t) => `type nul>${dq(t.part)}`,
  putDecode: (t) =>
    `certutil -f -decode ${dq(t.b64)} ${dq(t.part)} >nul&& certutil -hashfile ${dq(t.part)} SHA256`,
  putCommit: (t) =>
    `move /y ${dq(t.part)} ${dq(t.remote)} >nul&& del /f /q ${dq(t.b64)} ${dq(t.piece)}`,
  cleanup: (t) => `del /f /q ${dq(t.b64)} ${dq(t.piece)} ${dq(t.part)} 2>nul`,
  // The base64 file numbered once (`findstr /r /n "^"`: `N:line`), then read
  // 1000 lines at a time by their numbers' pattern (no tool of cmd's prints a
  // range of lines; a single TYPE of a large file is one huge output with no
  // check until its end, which a xenconsoled with a buffer limit may cut).
  getStart: (t) =>
    `certutil -f -encode ${dq(t.remote)} ${dq(t.b64)}&& findstr /r /n "^" ${dq(t.b64)} > ${
      dq(t.piece)
    }&& certutil -hashfile ${dq(t.remote)} SHA256`,
  parseStart(output) {
    // `Input Length = 1234` (localized: `Eingabelänge = 1234`): the first `= N`.
    const size = /=\s*(\d+)\s*$/m.exec(output)?.[1];
    return size === undefined ? undefined : Number(size);
  },
  getChunkBytes: undefined,
  getChunk(t, i) {
    const pattern = i === 0
      ? `/c:"[0-9]:" /c:"[0-9][0-9]:" /c:"[0-9][0-9][0-9]:"`
      : `/c:"${i}[0-9][0-9][0-9]:"`;
    // Into a file first, so that certutil hashes exactly what TYPE prints.
    return `findstr /r /b ${pattern} ${dq(t.piece)} > ${dq(t.part)}& type ${dq(t.part)}& ` +
      `certutil -hashfile ${dq(t.part)} SHA256`;
  },
};
