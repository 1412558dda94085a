// Copyright 2026 the xenpv authors. MIT license.
// A file copied over the console: the flow of ConsoleSession.putFile and
// getFile (chunks, hashes, progress, bounds, cleanup) over run(); the
// commands each dialect types are _file_scripts.ts'.

import { createHash } from "node:crypto";
import { readCheckedFile, writeFileReplacing } from "../_sys/files.ts";
import { S_IFMT, S_IFREG } from "../_sys/stat.ts";
import { SystemError } from "../errors.ts";
import { EINVAL } from "../_sys/errno.ts";
import type { Dialect } from "./dialect.ts";
import { CommandAbortedError, FileTransferError } from "./errors.ts";
import {
  type FileScript,
  type HashAlgorithm,
  linuxFiles,
  parseHash,
  type Temps,
  windowsFiles,
} from "./_file_scripts.ts";
import {
  DEFAULT_MAX_BYTES,
  type FileTransferOptions,
  type FileTransferResult,
  type GetFileOptions,
  type GetFileResult,
  type RunOptions,
  type RunResult,
} from "./session_types.ts";

/** How a copy runs one command: the session's `run()`. */
export type RunCommand = (command: string, options: RunOptions) => Promise<RunResult>;

/**
 * A tag for a copy's temporary file names: 16 random characters (80 bits),
 * upper-case letters and digits (Windows' names ignore case). Not newTag():
 * the markers it makes are typed, so seen by anyone on the guest (`ps`), and
 * count up; a guest user who could guess a temporary name could plant a
 * symlink there for root to write through.
 */
function tempTag(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => (b & 31).toString(32)).join("").toUpperCase();
}

function hashOf(alg: HashAlgorithm, data: Uint8Array | string): string {
  return createHash(alg).update(data).digest("hex");
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | undefined {
  const clean = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) return undefined;
  const binary = atob(clean);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * The commands for a dialect: cmd.exe's for "windows" and for a dialect of
 * your own with code-page commands (chcp), a POSIX shell's for any other.
 */
function scriptOf(dialect: Dialect): FileScript {
  return dialect.name === "windows" || dialect.codePage !== undefined ? windowsFiles : linuxFiles;
}

function checkOptions(options: FileTransferOptions): { maxBytes: number; stepTimeout: number } {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
  const stepTimeout = options.stepTimeout ?? 60000;
  // AbortSignal.timeout takes finite delays only, and a timer fires at once past 2^31-1 ms.
  if (!(stepTimeout > 0 && stepTimeout <= 0x7fffffff)) {
    throw new RangeError(`stepTimeout must be > 0 ms and at most 2^31-1, got ${stepTimeout}`);
  }
  return { maxBytes, stepTimeout };
}

/** A local file's bytes (a regular file, no symlink followed), at most `max`. */
function readLocal(path: string, max: number): Uint8Array {
  const data = readCheckedFile(path, max, (stat) => {
    if ((stat.mode & S_IFMT) !== S_IFREG) {
      throw new SystemError(EINVAL, "open", { path, hint: "not a regular file: not copied" });
    }
  });
  if (data.length > max) {
    throw new FileTransferError("too-large", path, `more than maxBytes, ${max} bytes`);
  }
  return data;
}

/** One copy in progress: its commands, its bounds and its progress. */
class Copy {
  readonly started = performance.now();
  total = 0;
  chunks = 1;

  constructor(
    readonly run: RunCommand,
    readonly script: FileScript,
    readonly temps: Temps,
    readonly options: FileTransferOptions,
    readonly stepTimeout: number,
  ) {}

  #signal(): AbortSignal {
    const bound = AbortSignal.timeout(this.stepTimeout);
    return this.options.signal ? AbortSignal.any([this.options.signal, bound]) : bound;
  }

  /** Runs a command of the copy; a status other than 0 is the guest's failure. */
  async step(command: string, doing: string, maxOutput?: number): Promise<string> {
    const r = await this.run(command, { signal: this.#signal(), maxOutput });
    if (r.exitCode !== 0) {
      const said = r.output.trim().split("\n").slice(-3).join(" / ");
      throw new FileTransferError(
        "remote",
        this.temps.remote,
        `${doing} failed with status ${r.exitCode}${said ? `: ${said}` : ""}`,
      );
    }
    return r.output;
  }

  progress(bytes: number, chunk: number): void {
    const elapsedMs = performance.now() - this.started;
    this.options.onProgress?.({
      bytes,
      total: this.total,
      chunk,
      chunks: this.chunks,
      elapsedMs,
      bytesPerSecond: elapsedMs > 0 ? bytes / (elapsedMs / 1000) : 0,
    });
  }

  /** The hash tool the guest has (one probe per copy). */
  async algorithm(): Promise<HashAlgorithm> {
    for (const alg of this.script.algorithms) {
      const probe = this.script.probe(alg);
      if (probe === undefined) return alg;
      const r = await this.run(probe, { signal: this.#signal() });
      if (r.exitCode === 0) return alg;
    }
    throw new FileTransferError(
      "remote",
      this.temps.remote,
      `the guest has none of ${this.script.algorithms.map((a) => `${a}sum`).join(", ")}`,
    );
  }

  /** Removes the temporary files (best effort: the shell may be gone). */
  async cleanup(err: unknown): Promise<void> {
    if (err instanceof CommandAbortedError && !err.recovered) return;
    try {
      await this.run(this.script.cleanup(this.temps), { signal: AbortSignal.timeout(10000) });
    } catch {
      // The shell is gone or broken: the error that brought us here says so.
    }
  }

  result(alg: HashAlgorithm, hash: string): FileTransferResult {
    const elapsedMs = performance.now() - this.started;
    return {
      remotePath: this.temps.remote,
      bytes: this.total,
      chunks: this.chunks,
      algorithm: alg,
      hash,
      elapsedMs,
      bytesPerSecond: elapsedMs > 0 ? this.total / (elapsedMs / 1000) : 0,
    };
  }
}

/**
 * Copies `data` (bytes, or the path of a local file) to `remotePath` on the
 * guest, through `run`; see {@linkcode ConsoleSession.putFile}.
 */
export async function putFile(
  run: RunCommand,
  dialect: Dialect,
  data: Uint8Array | string,
  remotePath: string,
  options: FileTransferOptions = {},
): Promise<FileTransferResult> {
  const script = scriptOf(dialect);
  const { maxBytes, stepTimeout } = checkOptions(options);
  const temps = script.temps(remotePath, tempTag(), false);
  const bytes = typeof data === "string" ? readLocal(data, maxBytes) : data;
  if (!(bytes instanceof Uint8Array)) throw new TypeError("putFile() needs bytes or a path");
  if (bytes.length > maxBytes) {
    throw new FileTransferError(
      "too-large",
      remotePath,
      `${bytes.length} bytes > maxBytes ${maxBytes}`,
    );
  }
  if (script.putRoom(temps, "sha256") < 64) {
    throw new RangeError(`the remote path is too long to copy to: ${remotePath.length} characters`);
  }
  options.signal?.throwIfAborted();
  const copy = new Copy(run, script, temps, options, stepTimeout);
  copy.total = bytes.length;
  const alg = await copy.algorithm();
  const room = script.putRoom(temps, alg);
  const per = (room / 4) * 3; // bytes of the file per chunk
  copy.chunks = Math.max(1, Math.ceil(bytes.length / per));
  // Once the first command ran, the guest may hold a temporary file: removed on any failure.
  let created = false;
  try {
    created = true;
    await copy.step(
      script.putStart(temps),
      script === linuxFiles
        ? `creating ${temps.b64} and ${temps.part} (the directory not writable? ` +
          "a file planted there? /proc not mounted?)"
        : `creating ${temps.b64}`,
    );
    copy.progress(0, 0);
    for (let i = 0; i < copy.chunks; i++) {
      const b64 = toBase64(bytes.subarray(i * per, (i + 1) * per));
      if (b64 === "") break; // an empty file: no chunk at all
      const output = await copy.step(
        script.putChunk(temps, b64, alg),
        `writing chunk ${i + 1} to ${temps.b64} (is the guest's disk full?)`,
      );
      const got = parseHash(output, alg);
      if (got !== hashOf(alg, script.chunkText(b64))) {
        throw new FileTransferError(
          "mismatch",
          remotePath,
          got ? `${alg} of chunk ${i + 1} differs` : `no ${alg} for chunk ${i + 1}`,
          i + 1,
        );
      }
      copy.progress(Math.min(bytes.length, (i + 1) * per), i + 1);
    }
    const want = hashOf(alg, bytes);
    if (bytes.length === 0) await copy.step(script.putEmpty(temps), "creating the file");
    else {
      const output = await copy.step(
        script.putDecode(temps, alg),
        `decoding the file into ${temps.part} (is the guest's disk full?)`,
      );
      const got = parseHash(output, alg);
      if (got !== want) {
        throw new FileTransferError(
          "mismatch",
          remotePath,
          `${alg} of the decoded file differs`,
          0,
        );
      }
    }
    await copy.step(script.putCommit(temps), "moving the file into place");
    return copy.result(alg, want);
  } catch (err) {
    if (created || !(err instanceof FileTransferError)) await copy.cleanup(err);
    throw err;
  }
}

/**
 * Copies `remotePath` from the guest, through `run`; see
 * {@linkcode ConsoleSession.getFile}.
 */
export async function getFile(
  run: RunCommand,
  dialect: Dialect,
  remotePath: string,
  options: GetFileOptions = {},
): Promise<GetFileResult> {
  const script = scriptOf(dialect);
  const { maxBytes, stepTimeout } = checkOptions(options);
  const temps = script.temps(remotePath, tempTag(), true);
  if (options.to !== undefined && (typeof options.to !== "string" || options.to === "")) {
    throw new TypeError("getFile()'s `to` must be a local path");
  }
  options.signal?.throwIfAborted();
  const copy = new Copy(run, script, temps, options, stepTimeout);
  const alg = await copy.algorithm();
  try {
    const start = await copy.step(script.getStart(temps, alg), "reading the file");
    const size = script.parseStart(start);
    const want = parseHash(start, alg);
    if (size === undefined || want === undefined) {
      throw new FileTransferError("remote", remotePath, "its size and hash were not printed");
    }
    if (size > maxBytes) {
      throw new FileTransferError("too-large", remotePath, `${size} bytes > maxBytes ${maxBytes}`);
    }
    copy.total = size;
    const data = script.getChunkBytes === undefined
      ? await numberedLines(copy, alg, size)
      : await hashedChunks(copy, alg, size, script.getChunkBytes);
    if (data.length !== size) {
      throw new FileTransferError("mismatch", remotePath, `${data.length} bytes, not ${size}`, 0);
    }
    if (hashOf(alg, data) !== want) {
      throw new FileTransferError("mismatch", remotePath, `${alg} of the file differs`, 0);
    }
    if (script.getChunkBytes === undefined) await copy.cleanup(undefined);
    if (options.to !== undefined) writeFileReplacing(options.to, data);
    return { ...copy.result(alg, want), data };
  } catch (err) {
    if (script.getChunkBytes === undefined) await copy.cleanup(err);
    throw err;
  }
}

/** Linux: chunks read with dd, each followed by its hash (checked here). */
async function hashedChunks(
  copy: Copy,
  alg: HashAlgorithm,
  size: number,
  per: number,
): Promise<Uint8Array> {
  const { temps, script } = copy;
  copy.chunks = Math.max(1, Math.ceil(size / per));
  copy.progress(0, 0);
  const data = new Uint8Array(size);
  let at = 0;
  for (let i = 0; at < size; i++) {
    const room = Math.ceil(per / 3) * 4 * 2 + 4096; // base64, its line ends, the hash
    const output = await copy.step(script.getChunk(temps, i, per, alg), "reading", room);
    const chunk = parseChunk(output, alg, true);
    const expect = Math.min(per, size - at);
    if (chunk === undefined || chunk.data.length !== expect) {
      throw new FileTransferError(
        "mismatch",
        temps.remote,
        chunk === undefined
          ? "unreadable base64 or hash"
          : `${chunk.data.length} bytes where ${expect} were due`,
        i + 1,
      );
    }
    if (chunk.hash !== hashOf(alg, chunk.data)) {
      throw new FileTransferError(
        "mismatch",
        temps.remote,
        `${alg} of chunk ${i + 1} differs`,
        i + 1,
      );
    }
    data.set(chunk.data, at);
    at += chunk.data.length;
    copy.progress(at, i + 1);
  }
  return data;
}

/** Lines of certutil's base64 per Windows chunk. */
const LINES = 1000;

/**
 * Windows: the numbered base64 file read 1000 lines a chunk, each followed
 * by certutil's hash of those lines (checked here); the line numbers must
 * run on without a gap, every base64 line but the last full.
 */
async function numberedLines(copy: Copy, alg: HashAlgorithm, size: number): Promise<Uint8Array> {
  const { temps, script } = copy;
  const b64Lines = Math.ceil(Math.ceil(size / 3) * 4 / 64);
  const total = b64Lines + 2; // certutil's BEGIN and END lines
  copy.chunks = Math.floor(total / LINES) + 1;
  copy.progress(0, 0);
  const text: string[] = [];
  for (let i = 0; i < copy.chunks; i++) {
    const first = Math.max(1, i * LINES);
    const last = Math.min(total, i * LINES + LINES - 1);
    const room = (last - first + 1) * 80 + 4096;
    const output = await copy.step(script.getChunk(temps, i, 0, alg), "reading", room);
    const all = output.split("\n").filter((l) => l !== "");
    const lines = all.filter((l) => /^\d+:/.test(l)); // the rest is certutil's
    const bad = (why: string) => new FileTransferError("mismatch", temps.remote, why, i + 1);
    const hash = parseHash(all.filter((l) => !/^\d+:/.test(l)).join("\n"), alg);
    if (hash === undefined) throw bad(`no ${alg} for chunk ${i + 1}`);
    if (hash !== hashOf(alg, lines.map((l) => `${l}\r\n`).join(""))) {
      throw bad(`${alg} of chunk ${i + 1} differs`);
    }
    if (lines.length !== last - first + 1) {
      throw bad(`${lines.length} lines where ${last - first + 1} were due`);
    }
    lines.forEach((line, k) => {
      const m = /^(\d+):(.*)$/.exec(line.trimEnd());
      if (!m || Number(m[1]) !== first + k) throw bad(`line ${first + k} is missing or garbled`);
      const n = first + k;
      const body = m[2];
      const full = n >= 2 && n < total - 1; // a base64 line that is not the last
      if (n >= 2 && n < total && !/^[A-Za-z0-9+/=]+$/.test(body)) {
        throw bad(`line ${n} is not base64`);
      }
      if (full && body.length !== 64) throw bad(`line ${n} has ${body.length} characters, not 64`);
      if (n >= 2 && n < total) text.push(body);
    });
    copy.progress(Math.min(size, Math.floor(text.length * 48)), i + 1);
  }
  const data = fromBase64(text.join(""));
  if (data === undefined) {
    throw new FileTransferError("mismatch", temps.remote, "unreadable base64", 0);
  }
  return data;
}

/**
 * A chunk's base64 (certutil's BEGIN/END lines cut) decoded, and the hash
 * printed after it (Linux: its last line).
 */
function parseChunk(
  output: string,
  alg: HashAlgorithm,
  hashed: boolean,
): { data: Uint8Array; hash?: string } | undefined {
  const lines = output.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  let hash: string | undefined;
  if (hashed) {
    hash = parseHash(lines.pop() ?? "", alg);
    if (hash === undefined) return undefined;
  }
  const body = lines.filter((l) => !/^-----(?:BEGIN|END) /.test(l)).join("");
  const data = fromBase64(body);
  return data && { data, hash };
}
