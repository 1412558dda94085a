// Copyright 2026 the xenpv authors. MIT license.

import type { FdStream } from "../_sys/fd_stream.ts";
import { openAppendSized } from "../_sys/files.ts";
import { checkRotation, shiftRotated } from "./_rotation.ts";
import { LogMask, type MaskedLine } from "./_log_mask.ts";
import type { ConsoleStreams } from "./expect.ts";
import { ConsoleEncoding } from "./console_encoding.ts";
import type { CodePage } from "./code_page.ts";

/** Options for {@linkcode Recorder.open}. */
export interface RecorderOptions {
  /** The terminal's columns when the recording starts. Default 80. */
  width?: number;
  /** The terminal's rows when the recording starts. Default 24. */
  height?: number;
  /** The recording's title. Default: the guest's name and kind, `"win1 (pv console)"`. */
  title?: string;
  /** The guest recorded: its name and its console's kind (`pv`, `serial`). */
  guest?: { name?: string; kind?: string };
  /** Captured environment variables for the header's `env` (asciinema's `TERM`, `SHELL`). */
  env?: Record<string, string>;
  /**
   * Record what is typed too (`"i"` events), a typed line per event once the
   * mask knows whether it was a password (a password is `[redacted]`).
   * Default false: output and resizes only.
   */
  input?: boolean;
  /**
   * Start a new file when this one would grow past this many bytes: `path`
   * becomes `path.1`, and so on up to {@linkcode RecorderOptions.keep}, as
   * {@linkcode ConsoleLog}'s rotation. Each file is a recording of its own
   * (a header, times from its start). Default: never.
   */
  maxSize?: number;
  /** With `maxSize` (or a non-empty file at `path`): how many older files are kept, 1-99. Default 4. */
  keep?: number;
  /** The clock, in ms since the epoch (for converting a log with its own times). Default `Date.now`. */
  clock?: () => number;
  /**
   * The guest's code page, as {@linkcode ConsoleEncoding} takes it: `"auto"`
   * (UTF-8 until the guest answers a `chcp`, then the page it names), or a
   * page (`850`, `"cp437"`, `"utf-8"`). The recording is UTF-8 text, as
   * asciicast requires. Default `"auto"`.
   */
  encoding?: "auto" | CodePage | number | string;
}

/** asciicast v2's event codes: output, input, resize. */
type EventCode = "o" | "i" | "r";

/** An event held to be written with others: its time (the clock's), code and text. */
interface HeldEvent {
  now: number;
  code: EventCode;
  data: string;
}

/** Events are written at most this long after they happen (ms)... */
const FLUSH_MS = 50;
/** ...or at once when this much text is held (backpressure: the caller waits for the write). */
const FLUSH_BYTES = 64 * 1024;

const encoder = new TextEncoder();

/** latin1 text (the mask's bytes) back to bytes. */
const fromLatin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** A terminal size: a whole number 1-65535. */
function checkSize(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new RangeError(`${what} must be a whole number 1-65535, got ${n}`);
  }
  return n;
}

/**
 * A console session recorded in asciinema's asciicast v2 format: a JSON
 * header line (`version`, `width`, `height`, `timestamp`, `title`, `env`),
 * then one `[seconds, code, data]` line per event: `"o"` for what the guest
 * printed, `"r"` for a resize (`"COLSxROWS"`), and `"i"` for a typed line when
 * {@linkcode RecorderOptions.input} asks for it. Play it with
 * `asciinema play FILE`, print it with `asciinema cat FILE`.
 *
 * Passwords are masked as {@linkcode ConsoleLog} masks them (the same
 * rules): a password typed at a prompt never reaches the file, not even
 * when a hostile guest echoes it back later. Give it what the guest prints
 * ({@linkcode Recorder.output}) before typing anything it prompts for, and
 * what is typed ({@linkcode Recorder.input}), in the order they happen.
 *
 * The guest's bytes are decoded in its code page ({@linkcode RecorderOptions.encoding}:
 * UTF-8 until a `chcp` answer names another), a UTF-8 character split
 * between chunks kept whole. Events are written in whole lines, together,
 * within 50 ms of happening, so a recording cut off by a kill plays up to its
 * last complete line (losing at most its last 50 ms). The file
 * is opened as ConsoleLog's: created 0600, a symlink or FIFO refused; a
 * non-empty file at `path` is moved aside to `path.1` first (a recording
 * is never appended to another).
 *
 * @example Record a console
 * ```ts
 * import { Recorder } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".cast" });
 * {
 *   await using rec = Recorder.open(path, { guest: { name: "deb1", kind: "pv" } });
 *   await rec.output(new TextEncoder().encode("Password: "));
 *   rec.input(new TextEncoder().encode("hunter2\r"));
 *   await rec.output(new TextEncoder().encode("\r\nyou typed hunter2\r\n"));
 *   await rec.resize(100, 30);
 * }
 * const [header, ...events] = (await Deno.readTextFile(path)).trim().split("\n");
 * assert.equal(JSON.parse(header).title, "deb1 (pv console)");
 * assert.equal(JSON.parse(events.at(-1)!)[2], "100x30");
 * assert(!events.join("").includes("hunter2"));
 * await Deno.remove(path);
 * ```
 */
export class Recorder implements AsyncDisposable {
  #file: FdStream;
  #path: string;
  #size: number;
  #maxSize: number;
  #keep: number;
  #clock: () => number;
  #header: Record<string, unknown>;
  #width: number;
  #height: number;
  /** The clock when this file started (ms). */
  #start = 0;
  /** The last event's time in this file (s): times never go back. */
  #last = 0;
  #mask: LogMask;
  #encoding: ConsoleEncoding;
  #writes: Promise<void> = Promise.resolve();
  /** Events not written yet, and their text's length. */
  #held: HeldEvent[] = [];
  #heldLength = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(path: string, options: RecorderOptions) {
    this.#path = path;
    this.#maxSize = options.maxSize ?? Infinity;
    this.#keep = options.keep ?? 4;
    this.#clock = options.clock ?? Date.now;
    this.#width = checkSize("width", options.width ?? 80);
    this.#height = checkSize("height", options.height ?? 24);
    const { name, kind } = options.guest ?? {};
    const title = options.title ??
      (name === undefined ? undefined : `${name}${kind ? ` (${kind} console)` : ""}`);
    this.#header = { title, env: options.env };
    this.#encoding = new ConsoleEncoding(options.encoding ?? "auto");
    this.#mask = new LogMask(options.input ? (line) => this.#typed(line) : undefined);
    ({ file: this.#file, size: this.#size } = openAppendSized(path));
    if (this.#size > 0) {
      this.#file.closeSync();
      shiftRotated(this.#path, this.#keep);
      ({ file: this.#file, size: this.#size } = openAppendSized(path));
    }
    this.#writes = this.#begin();
  }

  /**
   * Creates the recording at `path` and writes its header.
   *
   * @throws {SystemError} when the file cannot be opened: `ELOOP` for a symlink,
   * `ENXIO` for a FIFO, `EACCES`, `ENOENT` for a missing directory.
   * @throws {RangeError} a size not 1-65535, `maxSize` not a whole number > 0, `keep` not 1-99,
   * an `encoding` without a table.
   */
  static open(path: string, options: RecorderOptions = {}): Recorder {
    if (typeof path !== "string" || path === "") {
      throw new TypeError("Recorder.open needs a file path");
    }
    checkRotation(options.maxSize, options.keep);
    return new Recorder(path, options);
  }

  /** The file written to. */
  get path(): string {
    return this.#path;
  }

  /**
   * Records guest output. Call it as output arrives, before typing anything
   * it prompts for (the mask must see a password prompt before the
   * password). Events are written together, within 50 ms: this resolves at
   * once while less than 64 KiB is held, else once that is written (a caller
   * that awaits it goes at the file's pace). Rejects if a write failed.
   */
  output(chunk: Uint8Array): Promise<void> {
    if (this.#closing !== undefined) return this.#writes;
    return this.#event("o", this.#encoding.decode(this.#mask.output(chunk)));
  }

  /** Notes keyboard input as the guest gets it (recorded only with {@linkcode RecorderOptions.input}, masked). */
  input(chunk: Uint8Array): void {
    if (this.#closing === undefined) this.#mask.input(chunk);
  }

  /**
   * Decodes the guest's output in `page` from now on (a page number or name,
   * or `"auto"`), as when the guest's `chcp` was answered out of the
   * recorder's sight: {@linkcode ConsoleSession} calls it once it learns the
   * page.
   *
   * @throws {RangeError} a page without a table.
   */
  setEncoding(page: "auto" | CodePage | number | string): void {
    this.#encoding = new ConsoleEncoding(page);
  }

  /** Records the terminal's new size. */
  resize(width: number, height: number): Promise<void> {
    checkSize("width", width);
    checkSize("height", height);
    if (this.#closing !== undefined) return this.#writes;
    this.#width = width;
    this.#height = height;
    return this.#event("r", `${width}x${height}`);
  }

  /** Records what is held back (as `[redacted]` if it could start a password) and closes the file. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#event("o", this.#encoding.decode(this.#mask.end()));
      } finally {
        await this.#flush().catch(() => {});
        await this.#file.close();
      }
    })();
    return this.#closing;
  }

  /** Same as {@linkcode Recorder.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A typed line, settled by the mask: one input event with its Enter. */
  #typed(line: MaskedLine): void {
    const keys = this.#encoding.page.decode(fromLatin1(line.keys)); // typed in the guest's page
    void this.#event("i", `${keys}\r`).catch(() => {}); // its failure shows on the next output
  }

  /** Holds an event; writes what is held once it is FLUSH_BYTES, else within FLUSH_MS. */
  #event(code: EventCode, data: string): Promise<void> {
    if (data === "") return this.#writes;
    this.#held.push({ now: this.#clock(), code, data });
    this.#heldLength += data.length;
    if (this.#heldLength >= FLUSH_BYTES) return this.#flush();
    this.#timer ??= setTimeout(() => void this.#flush().catch(() => {}), FLUSH_MS);
    return this.#writes;
  }

  /** Writes every held event, after the writes before. */
  #flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const held = this.#held;
    this.#held = [];
    this.#heldLength = 0;
    if (held.length > 0) this.#writes = this.#writes.then(() => this.#append(held));
    return this.#writes;
  }

  /** The header line of a new file. */
  async #begin(): Promise<void> {
    this.#start = this.#clock();
    this.#last = 0;
    const header = {
      version: 2,
      width: this.#width,
      height: this.#height,
      timestamp: Math.floor(this.#start / 1000),
      ...this.#header,
    };
    const line = encoder.encode(`${JSON.stringify(header)}\n`);
    await this.#file.write(line);
    this.#size += line.length;
  }

  /** Event lines, complete lines in each write; a new file first when this one is full. */
  async #append(held: HeldEvent[]): Promise<void> {
    let lines: Uint8Array[] = [];
    let bytes = 0;
    for (const { now, code, data } of held) {
      let line = this.#line(now, code, data);
      if (this.#size + bytes + line.length > this.#maxSize && this.#size + bytes > 0) {
        await this.#write(lines, bytes);
        [lines, bytes] = [[], 0];
        await this.#rotate();
        line = this.#line(now, code, data);
      }
      lines.push(line);
      bytes += line.length;
    }
    await this.#write(lines, bytes);
  }

  /** `lines` (`bytes` in all) in one write. */
  async #write(lines: Uint8Array[], bytes: number): Promise<void> {
    if (bytes === 0) return;
    const all = lines.length === 1 ? lines[0] : new Uint8Array(bytes);
    if (lines.length > 1) {
      let at = 0;
      for (const line of lines) {
        all.set(line, at);
        at += line.length;
      }
    }
    await this.#file.write(all);
    this.#size += bytes;
  }

  #line(now: number, code: EventCode, data: string): Uint8Array {
    const seconds = Math.max(this.#last, Math.round(now - this.#start) / 1000);
    this.#last = seconds;
    return encoder.encode(`${JSON.stringify([seconds, code, data])}\n`);
  }

  /** A new file (created 0600; a symlink planted meanwhile is refused) with its header. */
  async #rotate(): Promise<void> {
    await this.#file.close();
    shiftRotated(this.#path, this.#keep);
    ({ file: this.#file, size: this.#size } = openAppendSized(this.#path));
    await this.#begin();
  }
}

/**
 * The console's streams with everything that passes recorded: what the
 * guest prints as it is read, what is written as it is sent. Hand the
 * result to {@linkcode Expect} or {@linkcode ConsoleSession} in place of the
 * console (ConsoleSession's `record` option does this). The console's
 * streams stay locked by the result.
 */
export function recordStreams(console: ConsoleStreams, recorder: Recorder): ConsoleStreams {
  const reader = console.readable.getReader();
  // read only when read from: nothing is drained past a reader that stopped
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) return controller.close();
      const written = recorder.output(value); // before anything can answer it
      controller.enqueue(value);
      await written;
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  const writer = console.writable.getWriter();
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      recorder.input(chunk);
      return writer.write(chunk);
    },
    close: () => writer.close(),
    abort: (reason) => writer.abort(reason),
  });
  return { readable, writable };
}
