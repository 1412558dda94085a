// Copyright 2026 the xenpv authors. MIT license.
// One guest's console as the server keeps it: attached for as long as the
// guest runs, its recent output, its viewers and the one keyboard holder.

import {
  type AttachMode,
  connect,
  type ConsoleMode,
  GuestGoneError,
  GuestNotFoundError,
  type GuestType,
  type XenConsole,
  type XenHost,
} from "../console/mod.ts";
import { printable } from "../_sys/text.ts";
import { type CodePage, ConsoleEncoding, TypedLines } from "../xencons/mod.ts";
import type { GuestLog, GuestLogs } from "./_logs.ts";
import { RateLimit } from "./_rate.ts";
import type { GuestRecording, GuestRecordings } from "./_recordings.ts";
import { ViewerRoster } from "./_roster.ts";
import { Scrollback } from "./_scrollback.ts";
import type { Viewer } from "./_viewer.ts";
import type { ServerMessage } from "./protocol.ts";
import type { AuditEntry, AuditEvent, GuestState, GuestSummary, ViewerInfo } from "./types.ts";

/** What every guest console shares. */
export interface ServedGuestOptions {
  host: XenHost | undefined;
  mode: ConsoleMode;
  scrollback: number;
  audit: ((entry: AuditEntry) => void) | undefined;
  /** Where guest logs go, if anywhere. */
  logs: GuestLogs | undefined;
  /** Where recordings go, if anywhere. */
  recordings?: GuestRecordings | undefined;
  /** The guests' console code page, or "auto": UTF-8 until a chcp answer names another. */
  encoding: "auto" | CodePage;
  /**
   * Most bytes a second typed into one guest, whoever types them: the limit
   * is the guest's, so viewers taking the keyboard in turn share it.
   */
  inputRate: number;
}

/** Input waiting for the guest beyond this is refused (a guest that does not read). */
const MAX_PENDING_INPUT = 64 * 1024;
/**
 * Above this many unsent bytes at any viewer, the pump lets the event loop
 * turn (a macrotask) before reading more: sockets flush, so a burst read in
 * one go does not look like a slow viewer. A viewer that does not drain at
 * all is dropped at its bound, after which the pump runs free again.
 */
const YIELD_ABOVE = 64 * 1024;
/**
 * Resize events recorded at most this often a second (bursts as large), and
 * one before each output event: a viewer flooding resize messages cannot fill
 * the disk. A size held back is recorded before the next output.
 */
const RESIZES_PER_SECOND = 10;
/** Waits between attach attempts while the console is unavailable. */
const RETRY_MS = [250, 500, 1000, 2000, 5000];
/** Above this many bytes not yet written to the log, the pump waits for the disk. */
const LOG_BEHIND = 1024 * 1024;

const utf8 = new TextEncoder();
const UTF8 = 65001;

/**
 * A line (or keys) TypedLines reports (one character per byte typed) as the UTF-8 text
 * it was: what the server types into the audit and mask is UTF-8.
 */
function typedText(text: string): string {
  return new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff));
}

/** Guest text shown in a reason line: no control characters (see `printable`), bounded. */
function shown(text: string): string {
  return printable(text, 300);
}

/** One guest's console, shared by its viewers. */
export class ServedGuest {
  readonly domid: number;
  readonly name: string | undefined;
  readonly guestType: GuestType | undefined;
  #options: ServedGuestOptions;
  #state: GuestState = "attaching";
  #reason: string | undefined;
  #mode: AttachMode | undefined;
  #scrollback: Scrollback;
  #viewers = new Set<Viewer>();
  /** Who joined and left, told to the viewers in batches. */
  #roster = new ViewerRoster((change) => this.#tellAll(change));
  #writer: Viewer | undefined;
  #console: XenConsole | undefined;
  #input: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #pendingInput = 0;
  /** The guest's input rate, shared by whoever holds the keyboard. */
  #rate: RateLimit;
  #typed: TypedLines<{ viewer: ViewerInfo; time: Date }>;
  /**
   * The guest's code page: its output is decoded in it and goes on (to the
   * viewers, scrollback, log and audit mask) as UTF-8; viewer input is
   * encoded in it for the guest (the log and mask get its UTF-8).
   */
  #encoding: ConsoleEncoding;
  #abort = new AbortController();
  #task: Promise<void>;
  #log: GuestLog | undefined;
  #logError: string | undefined;
  /** Settles when what was given to the log is written. */
  #logWrites: Promise<void> = Promise.resolve();
  #logBehind = 0;
  /** The recording of this attach of the console, if recording. */
  #recording: GuestRecording | undefined;
  /** When the recording is to end (the next UTC midnight, ms): a new one starts then. */
  #recordingEnds = 0;
  /** The size last recorded (`COLSxROWS`). */
  #recordedSize = "";
  #recordError: string | undefined;
  #recordResizes = new RateLimit(RESIZES_PER_SECOND);
  #recordWrites: Promise<void> = Promise.resolve();
  #recordBehind = 0;

  constructor(
    guest: { domid: number; name: string | undefined; guestType: GuestType | undefined },
    options: ServedGuestOptions,
  ) {
    this.domid = guest.domid;
    this.name = guest.name;
    this.guestType = guest.guestType;
    this.#options = options;
    this.#scrollback = new Scrollback(options.scrollback);
    this.#rate = new RateLimit(options.inputRate);
    this.#typed = new TypedLines(({ text, approximate, keys, by }) =>
      this.#audit("input", by.viewer, typedText(text), by.time, approximate ? keys : undefined)
    );
    this.#encoding = new ConsoleEncoding(options.encoding, {
      onPageChange: (page) => {
        this.#tellAll({ type: "notice", message: `the guest's code page is ${page.name}` });
      },
    });
    this.#task = this.#run();
  }

  get state(): GuestState {
    return this.#state;
  }

  /** What `/api/guests` says of it. */
  summary(): GuestSummary {
    return {
      domid: this.domid,
      name: this.name,
      guestType: this.guestType,
      mode: this.#mode,
      codePage: this.#encoding.page.id,
      state: this.#state,
      reason: this.#reason,
      viewers: [...this.#viewers].map((v) => v.info),
      writer: this.#writer?.info ?? null,
      scrollback: this.#scrollback.size,
      log: this.#log?.file,
      logError: this.#logError,
      recording: this.#recording?.file,
      recordError: this.#recordError,
    };
  }

  /**
   * A viewer opens the console: the scrollback, then the stream, and who is
   * here (the whole list to it; the others hear of it in the next batch).
   */
  join(viewer: Viewer): void {
    this.#viewers.add(viewer);
    this.#roster.joined(viewer.info);
    this.#audit("join", viewer.info);
    // one past its bound already (a huge scrollback, a socket that never reads) leaves here
    viewer.send({
      type: "hello",
      you: viewer.info,
      domid: this.domid,
      name: this.name,
      log: this.#log !== undefined,
      recordings: this.#options.recordings !== undefined,
    });
    viewer.send(this.#stateMessage());
    const backlog = this.#scrollback.snapshot();
    if (backlog.length > 0) viewer.output(backlog);
    viewer.send({ type: "keyboard", holder: this.#writer?.info ?? null });
    viewer.send({ type: "viewers", viewers: [...this.#viewers].map((v) => v.info) });
  }

  /** A viewer left (closed its tab, or was dropped). */
  leave(viewer: Viewer): void {
    if (!this.#viewers.delete(viewer)) return;
    if (this.#writer === viewer) this.#setWriter(undefined, viewer);
    this.#roster.left(viewer.info.id);
    this.#audit("leave", viewer.info);
  }

  /** A viewer was dropped for not keeping up (once; its close event comes later, or never). */
  dropped(viewer: Viewer, reason: string): void {
    if (!this.#viewers.has(viewer)) return;
    this.#audit("dropped", viewer.info, reason);
    this.leave(viewer);
  }

  /** A viewer takes the keyboard (from whoever had it). */
  take(viewer: Viewer): void {
    if (!this.#viewers.has(viewer) || this.#writer === viewer) return;
    if (viewer.info.role !== "operator") {
      viewer.send({ type: "notice", message: viewOnly(viewer.info) });
      return;
    }
    if (this.#state === "gone") {
      viewer.send({ type: "notice", message: "the guest is gone: there is no keyboard to take" });
      return;
    }
    this.#setWriter(viewer, viewer);
  }

  /** A viewer gives the keyboard back. */
  release(viewer: Viewer): void {
    if (this.#writer === viewer) this.#setWriter(undefined, viewer);
  }

  /**
   * Input from a viewer: only the keyboard holder's reaches the guest, within
   * the guest's rate (one for all its viewers), in the guest's code page (a character the page lacks is left
   * out, with a notice).
   */
  input(viewer: Viewer, text: string): void {
    if (text.length === 0) return;
    if (this.#writer !== viewer) {
      viewer.send({
        type: "notice",
        message: "read-only: take the keyboard to type" +
          (this.#writer ? ` (${who(this.#writer.info)} has it)` : ""),
      });
      return;
    }
    const input = this.#input;
    if (this.#state !== "live" || input === undefined) {
      viewer.send({ type: "notice", message: `input dropped: the console is ${this.#state}` });
      return;
    }
    let unencodable = 0;
    const data = this.#encoding.encode(text, { onUnencodable: () => unencodable++ });
    if (unencodable > 0) {
      // The characters are not named: it may be a password being typed.
      viewer.send({
        type: "notice",
        message: `${unencodable} character(s) not sent: the guest's code page ` +
          `${this.#encoding.page.id} has no such character (chcp 65001 switches it to UTF-8)`,
      });
    }
    if (data.length === 0) return;
    if (!this.#rate.take(data.length)) {
      viewer.send({ type: "notice", message: "input dropped: over the input rate limit" });
      return;
    }
    if (this.#pendingInput + data.length > MAX_PENDING_INPUT) {
      viewer.send({ type: "notice", message: "input dropped: the guest is not reading its input" });
      return;
    }
    // The audit's mask and the log see the guest's output as UTF-8: so what is typed.
    const typed = this.#encoding.page.id === UTF8 || unencodable === 0 && isAscii(data)
      ? data
      : this.#typedUtf8(text);
    this.#typed.input(typed, { viewer: viewer.info, time: new Date() });
    this.#log?.log.input(typed);
    this.#recording?.recorder.input(typed);
    this.#pendingInput += data.length;
    input.write(data).then(
      () => this.#pendingInput -= data.length,
      () => this.#pendingInput -= data.length,
    );
  }

  /**
   * A viewer's terminal size: recorded (a resize event) when it holds the
   * keyboard, the active viewer's terminal being the one that counts.
   */
  resize(viewer: Viewer, cols: number, rows: number): void {
    viewer.size = { cols, rows };
    if (this.#writer === viewer) this.#recordSize();
  }

  /** A guest of the same name came back as a new domain (a reboot): tell the viewers. */
  succeededBy(domid: number): void {
    this.#tellAll({ type: "successor", domid });
  }

  /**
   * The server lost xenstore: a console not attached now cannot attach until
   * it is back (one attached keeps streaming for as long as it lasts).
   */
  xenstoreLost(reason: string): void {
    if (this.#state !== "live") this.#setState("unavailable", shown(reason));
  }

  /** The guest is gone (xenstore says so): the console stays readable, with no keyboard. */
  markGone(): void {
    if (this.#state === "gone") return;
    this.#setState("gone", undefined);
    this.#abort.abort();
    if (this.#writer) this.#setWriter(undefined, this.#writer);
  }

  /** Detaches and closes every viewer. */
  async close(): Promise<void> {
    this.#abort.abort();
    this.#roster.close();
    for (const v of this.#viewers) v.drop("the server is closing", 1001);
    this.#viewers.clear();
    await this.#console?.close().catch(() => {});
    await this.#task;
  }

  /** The log's current file, once what was logged so far is written; undefined: no log. */
  async logFile(): Promise<string | undefined> {
    await this.#logWrites;
    return this.#log?.file;
  }

  async #openLog(): Promise<void> {
    const logs = this.#options.logs;
    if (logs === undefined) return;
    try {
      this.#log = await logs.open(this.domid, this.name, () => this.#state !== "gone");
    } catch (err) {
      this.#logError = shown(err instanceof Error ? err.message : String(err));
    }
  }

  /** Stops logging after a write failed (the disk is full, a file was replaced). */
  #logFailed(err: unknown): void {
    if (this.#logError !== undefined) return;
    this.#logError = shown(err instanceof Error ? err.message : String(err));
    this.#tellAll({ type: "notice", message: `the log stopped: ${this.#logError}` });
  }

  async #closeLog(): Promise<void> {
    await this.#logWrites;
    await this.#log?.close().catch((err) => this.#logFailed(err));
  }

  /**
   * Starts this attach's recording (a new file), the keyboard holder's
   * terminal size to begin with (80x24 without one).
   */
  #startRecording(): void {
    const recordings = this.#options.recordings;
    if (recordings === undefined || this.#recording !== undefined) return;
    const size = this.#writer?.size ?? { cols: 80, rows: 24 };
    try {
      this.#recording = recordings.open(this.domid, this.name, {
        kind: "pv", // the console the server attaches: the title says "win1 (pv console)"
        width: size.cols,
        height: size.rows,
      });
      this.#recordError = undefined;
      this.#recordedSize = `${size.cols}x${size.rows}`;
      const midnight = new Date();
      midnight.setUTCHours(24, 0, 0, 0);
      this.#recordingEnds = midnight.getTime();
    } catch (err) {
      this.#recordFailed(err);
    }
  }

  /** Ends the recording (what was given to it written first). */
  async #stopRecording(): Promise<void> {
    const recording = this.#recording;
    if (recording === undefined) return;
    this.#recording = undefined;
    await this.#recordWrites;
    await recording.recorder.close().catch((err) => this.#recordFailed(err, recording));
  }

  /** Guest output into the recording; past midnight (UTC), into a new one first. */
  #record(data: Uint8Array): void {
    if (Date.now() >= this.#recordingEnds) {
      const old = this.#recording!;
      this.#recording = undefined;
      const closed = this.#recordWrites.then(() => old.recorder.close());
      this.#startRecording();
      this.#recordWrites = closed.catch((err) => this.#recordFailed(err, old));
      if (this.#recording === undefined) return;
    }
    const recording = this.#recording!;
    this.#recordSize(true); // a size held back by the resize rate, first
    const size = data.length;
    this.#recordBehind += size;
    // now, not after the writes before it: the mask must see output and input in their order
    const written = recording.recorder.output(data);
    this.#recordWrites = written.then(
      () => void (this.#recordBehind -= size),
      (err) => {
        this.#recordBehind -= size;
        this.#recordFailed(err, recording);
      },
    );
  }

  /**
   * The keyboard holder's terminal size into the recording, when it changed
   * (within the resize rate: else before the next output, `beforeOutput`:
   * at most one per output event).
   */
  #recordSize(beforeOutput = false): void {
    const recording = this.#recording;
    const size = this.#writer?.size;
    if (recording === undefined || size === undefined) return;
    const text = `${size.cols}x${size.rows}`;
    if (text === this.#recordedSize || !(beforeOutput || this.#recordResizes.take(1))) return;
    this.#recordedSize = text;
    this.#recordWrites = recording.recorder.resize(size.cols, size.rows)
      .catch((err) => this.#recordFailed(err, recording));
  }

  /**
   * Stops recording after a failure of `recording` (the disk is full, a file
   * was refused; undefined: the next one could not start); an earlier
   * recording's failure leaves the current one alone.
   */
  #recordFailed(err: unknown, recording?: GuestRecording): void {
    const first = this.#recordError === undefined;
    this.#recordError = shown(err instanceof Error ? err.message : String(err));
    if (recording !== undefined && recording === this.#recording) {
      this.#recording = undefined;
      recording.recorder.close().catch(() => {});
    }
    if (!first) return;
    const message = {
      type: "notice" as const,
      message: `the recording stopped: ${this.#recordError}`,
    };
    for (const v of this.#viewers) v.send(message);
  }

  async #run(): Promise<void> {
    await this.#openLog();
    try {
      await this.#attach();
    } finally {
      await this.#closeLog();
    }
  }

  async #attach(): Promise<void> {
    const signal = this.#abort.signal;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        this.#console = await connect(this.domid, {
          host: this.#options.host,
          mode: this.#options.mode,
          signal,
        });
        // close() may abort between connect()'s return and this line, when
        // there was no console yet for it to close: this one is closed below.
        signal.throwIfAborted();
        attempt = 0;
        this.#mode = this.#console.mode;
        this.#input = this.#console.writable.getWriter();
        this.#setState("live", undefined);
        this.#startRecording();
        await this.#pump(this.#console);
        if (!signal.aborted) this.#setState("unavailable", "the console closed");
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof GuestGoneError || err instanceof GuestNotFoundError) {
          this.markGone();
          break;
        }
        this.#setState("unavailable", shown(err instanceof Error ? err.message : String(err)));
      } finally {
        this.#input = undefined;
        this.#pendingInput = 0;
        await this.#stopRecording();
        await this.#console?.close().catch(() => {});
        this.#console = undefined;
      }
      await delay(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)], signal);
    }
    this.#typed.end();
  }

  async #pump(console: XenConsole): Promise<void> {
    const reader = console.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        this.#output(value as Uint8Array<ArrayBuffer>);
        if (this.#logBehind > LOG_BEHIND) await this.#logWrites;
        if (this.#recordBehind > LOG_BEHIND) await this.#recordWrites;
        if (this.#backlogged()) await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } finally {
      reader.releaseLock();
    }
  }

  /** What of `text` was sent (the characters the page has), as UTF-8. */
  #typedUtf8(text: string): Uint8Array {
    const page = this.#encoding.page;
    let kept = "";
    for (const c of text) if (page.unencodable(c) === undefined) kept += c;
    return utf8.encode(kept);
  }

  /** Guest output as UTF-8: decoded in the guest's code page (as it came when that is UTF-8). */
  #transcode(data: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
    const encoding = this.#encoding;
    if (!encoding.auto && encoding.page.id === UTF8) return data;
    const before = encoding.page.id;
    const text = encoding.decode(data);
    return before === UTF8 && encoding.page.id === UTF8 ? data : utf8.encode(text);
  }

  /**
   * Guest output: as UTF-8 into the scrollback, the log, the audit's mask and
   * to every viewer that keeps up.
   */
  #output(raw: Uint8Array<ArrayBuffer>): void {
    const data = this.#transcode(raw);
    if (data.length === 0) return;
    this.#scrollback.push(data);
    const log = this.#log;
    if (log !== undefined && this.#logError === undefined) {
      const size = data.length;
      this.#logBehind += size;
      this.#logWrites = log.log.output(data).then(
        () => void (this.#logBehind -= size),
        (err) => {
          this.#logBehind -= size;
          this.#logFailed(err);
        },
      );
    }
    if (this.#recording !== undefined) this.#record(data);
    if (this.#options.audit !== undefined) this.#typed.output(data);
    for (const v of this.#viewers) v.output(data); // one past its bound is dropped
  }

  /** Whether a viewer has more than {@linkcode YIELD_ABOVE} bytes unsent. */
  #backlogged(): boolean {
    for (const v of this.#viewers) if (v.buffered > YIELD_ABOVE) return true;
    return false;
  }

  #setWriter(writer: Viewer | undefined, by: Viewer): void {
    const before = this.#writer;
    this.#writer = writer;
    if (before !== undefined && before !== writer) this.#audit("release", before.info);
    if (writer !== undefined) this.#audit("take", by.info);
    this.#recordSize();
    this.#tellAll({ type: "keyboard", holder: writer?.info ?? null });
  }

  #setState(state: GuestState, reason: string | undefined): void {
    if (this.#state === "gone") return;
    this.#state = state;
    this.#reason = reason;
    this.#tellAll(this.#stateMessage());
  }

  #stateMessage() {
    return {
      type: "state" as const,
      state: this.#state,
      reason: this.#reason,
      mode: this.#mode,
    };
  }

  /** Sends `message` to every viewer (one past its bound is dropped). */
  #tellAll(message: ServerMessage): void {
    for (const v of this.#viewers) v.send(message);
  }

  /** `keys`: an approximate input line's keys as typed (TypedLines' latin1). */
  #audit(
    event: AuditEvent,
    viewer: ViewerInfo,
    text?: string,
    time = new Date(),
    keys?: string,
  ): void {
    const audit = this.#options.audit;
    if (audit === undefined) return;
    const entry: AuditEntry = { time, event, domid: this.domid, guest: this.name, viewer };
    if (text !== undefined) entry.text = text;
    if (keys !== undefined) {
      entry.approximate = true;
      entry.keys = typedText(keys);
    }
    try {
      audit(entry);
    } catch { /* the audit sink's own failure must not stop the console */ }
  }
}

/** Waits `ms`, or less if `signal` aborts. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** A viewer as notices name it: its user, number and self-declared name (labelled). */
function who(info: ViewerInfo): string {
  const says = info.name === info.user || info.name === "viewer" ? "" : ` (says "${info.name}")`;
  return `${info.user} #${info.id}${says}`;
}

/** What a viewer who is no operator is told when it asks for the keyboard. */
function viewOnly(info: ViewerInfo): string {
  return `view only: ${info.user} is not one of the server's operators (it may watch, not type)`;
}

function isAscii(data: Uint8Array): boolean {
  for (const b of data) if (b >= 0x80) return false;
  return true;
}
