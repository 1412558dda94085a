// Copyright 2026 the xenpv authors. MIT license.

import type { FdStream } from "../_sys/fd_stream.ts";
import { openAppendSized } from "../_sys/files.ts";
import { checkRotation, shiftRotated } from "./_rotation.ts";
import { LogMask } from "./_log_mask.ts";

/** Options for {@linkcode ConsoleLog.open}. */
export interface ConsoleLogOptions {
  /** Prefix each logged line with the time (ISO 8601, UTC). Default false. */
  timestamps?: boolean;
  /**
   * Rotate the file when it reaches this many bytes (as xenconsoled's guest
   * logs rotate): `path` becomes `path.1`, `path.1` becomes `path.2`, and so
   * on up to {@linkcode ConsoleLogOptions.keep}; the oldest is overwritten.
   * Every file holds at most this many bytes (a line may be split between
   * two). Default: never rotate.
   */
  maxSize?: number;
  /** With `maxSize`: how many rotated files (`path.1` ... `path.N`) are kept, 1-99. Default 4. */
  keep?: number;
  /**
   * Refuse an existing file that group or others may read or write (`EPERM`,
   * the message naming the `chmod 600`), as the console server does for its
   * guest logs. Default false: such a file is appended to as it is.
   */
  private?: boolean;
}

const encoder = new TextEncoder();

/**
 * A console's output appended to a file, as the guest sent it, with every
 * password typed at it masked wherever the guest prints it later (`[redacted]`).
 *
 * Give it what the guest prints ({@linkcode ConsoleLog.output}) and what is
 * typed ({@linkcode ConsoleLog.input}), in the order they happen. A password
 * is a line typed while a password prompt shows, or the line typed just
 * before one appears if the guest has not echoed it. A password edited
 * (erased, cursor keys, keys that line editors and canonical ttys take
 * differently) is masked in each way the guest may have taken it, and what
 * the guest prints from the edit to the end of that line is `[redacted]`.
 * The file is created
 * 0600; a symlink is refused (a planted one in a world-writable directory
 * would make root write elsewhere), and so are a FIFO nobody reads, a file
 * another user owns and a file with more than one name (a hard link).
 *
 * Opening (and rotating, see {@linkcode ConsoleLogOptions.maxSize}) needs
 * only `--allow-ffi`.
 *
 * @example Log a console
 * ```ts
 * import { ConsoleLog } from "@xenpv/console/xencons";
 *
 * const path = await Deno.makeTempFile();
 * {
 *   await using log = ConsoleLog.open(path);
 *   await log.output(new TextEncoder().encode("Password: "));
 *   log.input(new TextEncoder().encode("hunter2\r"));
 *   await log.output(new TextEncoder().encode("\r\nyou typed hunter2\r\n"));
 * }
 * const text = await Deno.readTextFile(path);
 * if (text.includes("hunter2")) throw new Error("the password reached the log");
 * await Deno.remove(path);
 * ```
 *
 * @example Rotate by size, keeping two old files
 * ```ts
 * import { ConsoleLog } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * {
 *   await using log = ConsoleLog.open(`${dir}/g.log`, { maxSize: 4, keep: 2 });
 *   await log.output(new TextEncoder().encode("aaaabbbbccccdd"));
 * }
 * assert.equal(await Deno.readTextFile(`${dir}/g.log`), "dd");
 * assert.equal(await Deno.readTextFile(`${dir}/g.log.1`), "cccc");
 * assert.equal(await Deno.readTextFile(`${dir}/g.log.2`), "bbbb");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ConsoleLog implements AsyncDisposable {
  #file: FdStream;
  #path: string;
  #size: number;
  #maxSize: number;
  #keep: number;
  #private: boolean;
  #mask = new LogMask();
  #timestamps: boolean;
  #atLineStart = true;
  #decoder = new TextDecoder();
  #writes: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;

  private constructor(path: string, options: ConsoleLogOptions) {
    this.#path = path;
    this.#timestamps = options.timestamps ?? false;
    this.#maxSize = options.maxSize ?? Infinity;
    this.#keep = options.keep ?? 4;
    this.#private = options.private ?? false;
    ({ file: this.#file, size: this.#size } = openAppendSized(path, { private: this.#private }));
  }

  /**
   * Opens (or creates) `path` for appending.
   *
   * @throws {SystemError} when the file cannot be opened: `ELOOP` for a symlink,
   * `ENXIO` for a FIFO, `EPERM` for a file not ours (another user's, a hard
   * link; with `private`, open to others), `EACCES`, `ENOENT` for a missing
   * directory.
   * @throws {RangeError} `maxSize` is not a whole number > 0, or `keep` not 1-99.
   */
  static open(path: string, options: ConsoleLogOptions = {}): ConsoleLog {
    if (typeof path !== "string" || path === "") {
      throw new TypeError("ConsoleLog.open needs a file path");
    }
    checkRotation(options.maxSize, options.keep);
    return new ConsoleLog(path, options);
  }

  /**
   * Logs guest output. Call it as output arrives, before typing anything it
   * prompts for (the mask must see a password prompt before the password).
   * Resolves once the masked bytes are written.
   */
  output(chunk: Uint8Array): Promise<void> {
    return this.#write(this.#mask.output(chunk));
  }

  /** Notes keyboard input as the guest gets it (nothing of it is logged). */
  input(chunk: Uint8Array): void {
    this.#mask.input(chunk);
  }

  /** Writes what is held back (as `[redacted]` if it could start a password) and closes the file. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#write(this.#mask.end());
      } finally {
        await this.#file.close();
      }
    })();
    return this.#closing;
  }

  /** Same as {@linkcode ConsoleLog.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #write(data: Uint8Array): Promise<void> {
    if (data.length === 0) return this.#writes;
    const bytes = this.#timestamps ? this.#stamp(data) : data;
    this.#writes = this.#writes.then(() => this.#append(bytes));
    return this.#writes;
  }

  /** Appends, rotating first whenever the file is full. */
  async #append(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) {
      if (this.#size >= this.#maxSize) await this.#rotate();
      const piece = bytes.subarray(at, at + Math.max(1, this.#maxSize - this.#size));
      await this.#file.write(piece);
      this.#size += piece.length;
      at += piece.length;
    }
  }

  /**
   * path.(keep-1) -> path.keep, ..., path -> path.1, then a new path
   * (created 0600; a symlink planted meanwhile is refused).
   */
  async #rotate(): Promise<void> {
    await this.#file.close();
    shiftRotated(this.#path, this.#keep);
    ({ file: this.#file, size: this.#size } = openAppendSized(this.#path, {
      private: this.#private,
    }));
  }

  #stamp(data: Uint8Array): Uint8Array {
    let out = "";
    for (const ch of this.#decoder.decode(data, { stream: true })) {
      if (this.#atLineStart) out += `[${new Date().toISOString()}] `;
      out += ch;
      this.#atLineStart = ch === "\n";
    }
    return encoder.encode(out);
  }
}
