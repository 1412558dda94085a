// Copyright 2026 the xenpv authors. MIT license.

import type { FdStream } from "../_sys/fd_stream.ts";
import { openAppend } from "../_sys/unix_socket.ts";
import { LogMask } from "./_log_mask.ts";

/** Options for {@linkcode ConsoleLog.open}. */
export interface ConsoleLogOptions {
  /** Prefix each logged line with the time (ISO 8601, UTC). Default false. */
  timestamps?: boolean;
}

const encoder = new TextEncoder();

/**
 * A console's output appended to a file, as the guest sent it, with every
 * password typed at it masked wherever the guest prints it later (`[redacted]`).
 *
 * Give it what the guest prints ({@linkcode ConsoleLog.output}) and what is
 * typed ({@linkcode ConsoleLog.input}), in the order they happen. A password
 * is a line typed while a password prompt shows, or the line typed just
 * before one appears if the guest has not echoed it. The file is created
 * 0600; a symlink is refused (a planted one in a world-writable directory
 * would make root write elsewhere), and so is a FIFO nobody reads.
 *
 * Opening needs only `--allow-ffi`.
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
 */
export class ConsoleLog implements AsyncDisposable {
  #file: FdStream;
  #mask = new LogMask();
  #timestamps: boolean;
  #atLineStart = true;
  #decoder = new TextDecoder();
  #writes: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;

  private constructor(file: FdStream, options: ConsoleLogOptions) {
    this.#file = file;
    this.#timestamps = options.timestamps ?? false;
  }

  /**
   * Opens (or creates) `path` for appending.
   *
   * @throws {SystemError} when the file cannot be opened: `ELOOP` for a symlink,
   * `ENXIO` for a FIFO, `EACCES`, `ENOENT` for a missing directory.
   */
  static open(path: string, options: ConsoleLogOptions = {}): ConsoleLog {
    if (typeof path !== "string" || path === "") {
      throw new TypeError("ConsoleLog.open needs a file path");
    }
    return new ConsoleLog(openAppend(path), options);
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
    this.#writes = this.#writes.then(() => this.#file.write(bytes));
    return this.#writes;
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
