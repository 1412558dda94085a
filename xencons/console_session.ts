// Copyright 2026 the xenpv authors. MIT license.

import { hasControl } from "../_sys/text.ts";
import { CodePage } from "./code_page.ts";
import type { AckedLine, CommandPlan, Dialect, InterruptKey } from "./dialect.ts";
import {
  CommandAbortedError,
  LoginError,
  SessionEndedError,
  SessionStateError,
  StreamEndedError,
  UnencodableError,
  UnsupportedCodePageError,
} from "./errors.ts";
import { type ConsoleStreams, Expect, type ExpectMatch, type Pattern } from "./expect.ts";
import { linuxDialect } from "./linux_dialect.ts";
import type {
  ConsoleSessionOptions,
  LoginOptions,
  NestedOptions,
  RunOptions,
  RunResult,
  SessionState,
} from "./session_types.ts";
import type { Transcript } from "./transcript.ts";
import { windowsDialect } from "./windows_dialect.ts";
import { answerLoginPrompts } from "./_login.ts";
import { type Recorder, recordStreams } from "./recorder.ts";
import { MAX_OUTPUT, type NestedOps, newTag, normalize, typeLine } from "./_session_util.ts";
import { NestedShell } from "./nested_shell.ts";
import { getFile, putFile } from "./_file_transfer.ts";
import type {
  FileTransferOptions,
  FileTransferResult,
  GetFileOptions,
  GetFileResult,
} from "./session_types.ts";

class Interrupted extends Error {}

/**
 * A logged-in conversation with a guest's console shell: {@linkcode login},
 * {@linkcode run} a command and get its output and exit status,
 * {@linkcode interrupt} with ^C, {@linkcode nested} prompts like `netsh>`,
 * {@linkcode logout}. Works over any `{ readable, writable }` console,
 * e.g. the one {@linkcode connect} returns.
 *
 * `run()` is not fooled by stale backlog, echo, prompts in the output or
 * interleaved kernel/driver messages: the shell prints unique markers around
 * the output and the status. Lines are typed one at a time and each is
 * acknowledged before the next, so the 1 KiB input ring and the guest's line
 * editor (which drops what follows Enter in the same read) lose nothing.
 * Calls are queued; each one has an AbortSignal.
 *
 * @example
 * ```ts
 * import { ConsoleSession } from "@xenpv/console/xencons";
 * import { SimulatedHost } from "@xenpv/console/sim";
 * import { connect } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * await using host = new SimulatedHost();
 * await host.createGuest({ name: "win1", program: "windows" });
 * const console = await connect("win1", { host });
 * await using session = new ConsoleSession(console, { dialect: "windows", ownsConsole: true });
 * await session.login({ user: "Administrator", password: "xenpv" });
 * const { output, exitCode } = await session.run("hostname");
 * assert.equal(output, "WIN1\n");
 * assert.equal(exitCode, 0);
 * ```
 */
export class ConsoleSession implements AsyncDisposable {
  #console: ConsoleStreams & { close?(): Promise<void> };
  #ex: Expect;
  #dialect: Dialect;
  #timeout: number;
  #owns: boolean;
  #stateNow: SessionState = "logged-out";
  #queue: Promise<unknown> = Promise.resolve();
  #current: AbortController | undefined;
  /** The interrupt key for the running call. */
  #currentKey: InterruptKey | undefined;
  #user = "";
  #codePageMode: "auto" | "utf-8" | "fixed";
  /** The page learned or given (undefined until known). */
  #codePage: number | undefined;
  /** In "utf-8" mode: the page to restore at logout. */
  #restore: number | undefined;
  #encoding: string | number;
  #recorder: Recorder | undefined;

  /** Starts reading the console (it is drained from now on, so the guest never stalls). */
  constructor(
    console: ConsoleStreams & { close?(): Promise<void> },
    options: ConsoleSessionOptions,
  ) {
    const d = options?.dialect;
    this.#dialect = d === "windows" ? windowsDialect : d === "linux" ? linuxDialect : d;
    if (typeof this.#dialect?.command !== "function") {
      throw new TypeError(`dialect must be "windows", "linux" or a Dialect, got ${String(d)}`);
    }
    this.#timeout = options.timeout ?? 30000;
    if (!(this.#timeout > 0)) throw new RangeError(`timeout must be > 0 ms, got ${this.#timeout}`);
    this.#owns = options.ownsConsole ?? false;
    this.#console = console;
    const cp = options.codePage ?? "auto";
    if (typeof cp === "number") {
      if (!CodePage.has(cp)) {
        throw new RangeError(
          `codePage ${cp} has no table: use one of ${
            CodePage.supported.join(", ")
          }, "auto" or "utf-8"`,
        );
      }
      this.#codePageMode = "fixed";
      this.#codePage = cp;
    } else if (cp === "auto" || cp === "utf-8") {
      this.#codePageMode = cp;
    } else {
      throw new TypeError(`codePage must be "auto", "utf-8" or a number, got ${String(cp)}`);
    }
    this.#encoding = this.#codePage ?? options.encoding ?? "utf-8";
    this.#recorder = options.record;
    const streams = options.record ? recordStreams(console, options.record) : console;
    this.#ex = new Expect(streams, {
      noise: options.noise === undefined ? this.#dialect.noise : options.noise,
      stripAnsi: options.stripAnsi ?? true,
      transcript: options.transcript,
      window: options.window,
      encoding: this.#encoding,
    });
  }

  /** Where the session is: `"logged-out"`, `"ready"`, `"busy"`, `"broken"` or `"closed"`. */
  get state(): SessionState {
    return this.#state;
  }

  get #state(): SessionState {
    return this.#stateNow;
  }

  /** Closed is for good: a call still finishing after close() does not change it. */
  set #state(state: SessionState) {
    if (this.#stateNow !== "closed") this.#stateNow = state;
  }

  /** Whether close() ran (asked again after an await: it may have run meanwhile). */
  #isClosed(): boolean {
    return this.#stateNow === "closed";
  }

  /** The user logged in (empty when logged out). */
  get user(): string {
    return this.#state === "logged-out" ? "" : this.#user;
  }

  /**
   * The console's code page in use (850, 65001...): given, or learned at
   * login; `undefined` before it is known.
   */
  get codePage(): number | undefined {
    return this.#codePage;
  }

  /** The dialect in use. */
  get dialect(): Dialect {
    return this.#dialect;
  }

  /** The expect layer underneath, for dialogs of your own (do not use it while a call runs). */
  get expect(): Expect {
    return this.#ex;
  }

  /** The traffic so far, passwords redacted. */
  get transcript(): Transcript {
    return this.#ex.transcript;
  }

  /**
   * Logs in: wakes the console with Enter, answers the login, password and
   * elevation prompts, and proves the shell runs by having it echo a marker.
   * A shell left logged in is logged out first unless `reuse` is set.
   * Throws {@linkcode LoginError} for rejected credentials or no prompt.
   */
  login(options: LoginOptions): Promise<void> {
    if (
      typeof options?.user !== "string" || options.user === "" || /\s/.test(options.user) ||
      hasControl(options.user)
    ) {
      throw new TypeError("login() needs a user name without spaces or control characters");
    }
    if (typeof options.password !== "string" || hasControl(options.password, "\t")) {
      throw new TypeError("login() needs a password without CR, LF, ^C or DEL");
    }
    this.#checkCredentials(options);
    return this.#serial("login", ["logged-out", "ready"], async () => {
      try {
        await this.#login(options);
      } catch (err) {
        if (err instanceof StreamEndedError) this.#state = "broken";
        throw err;
      }
    });
  }

  /**
   * Runs one command and returns its output (echo removed, `\n` line ends)
   * and exit status. A command that ends the shell with a status (`exit 3`;
   * on Windows `exit [/b] N` typed alone) returns that status, and the
   * session is then logged out. Throws {@linkcode CommandAbortedError} when `signal`
   * fires or {@linkcode interrupt} is called (the session recovers with ^C if
   * it can), {@linkcode SessionEndedError} when the shell or guest goes away.
   */
  run(command: string, options: RunOptions = {}): Promise<RunResult> {
    const maxOutput = options.maxOutput ?? MAX_OUTPUT;
    if (!Number.isInteger(maxOutput) || maxOutput < 0) {
      throw new RangeError(`maxOutput must be a non-negative integer, got ${maxOutput}`);
    }
    const key = options.interrupt ?? "ctrl-c";
    this.#interruptKey(key); // TypeError now for a key this console does not act on
    const tag = newTag();
    const plan = this.#dialect.command(command, tag); // throws TypeError/RangeError early
    this.#checkLines(plan);
    this.#checkEncodable(plan);
    return this.#serial(
      "run",
      ["ready"],
      () => this.#run(command, plan, options.signal, maxOutput, key),
    );
  }

  /**
   * Copies a file to the guest: `data` (bytes, or the path of a file on this
   * machine) becomes `remotePath` there, whole or not at all. Typed as
   * base64 through the shell, a chunk per command, each chunk's hash checked
   * as the guest wrote it and the whole file's after decoding (Linux:
   * `printf >>` into /tmp then `tail -n 1 | sha256sum`, `base64 -d` into a
   * new file beside the remote one, `mv`; md5sum if sha256sum is missing;
   * Windows: `echo` into a file, `certutil -hashfile ... SHA256`, `certutil
   * -decode`, `move`). The file goes into place only once its hash matched;
   * the temporary files are removed on success and on failure; a Linux
   * guest user who can write the remote directory cannot make the copy
   * write through a symlink (docs/library.md). The base64 the guest echoes
   * is in every log and recording of the console (the password mask does
   * not cover it): do not copy a secret through a logged console. Throws {@linkcode FileTransferError} (`reason` "mismatch" with
   * the `chunk`, "remote", "too-large"), {@linkcode CommandAbortedError} when
   * `signal` fires. A dialect of your own copies with the Linux commands
   * unless it is named "windows" or has code-page commands (cmd.exe's).
   *
   * @example
   * ```ts
   * import { ConsoleSession } from "@xenpv/console/xencons";
   * import { SimulatedHost } from "@xenpv/console/sim";
   * import { connect } from "@xenpv/console";
   * import assert from "node:assert/strict";
   *
   * await using host = new SimulatedHost();
   * await host.createGuest({ name: "deb1", program: "linux" });
   * await using session = new ConsoleSession(await connect("deb1", { host }), {
   *   dialect: "linux",
   *   ownsConsole: true,
   * });
   * await session.login({ user: "root", password: "xenpv" });
   * const sent = new Uint8Array([0, 1, 2, 255]);
   * await session.putFile(sent, "/root/blob.bin");
   * const { data } = await session.getFile("/root/blob.bin");
   * assert.deepEqual(data, sent);
   * ```
   */
  putFile(
    data: Uint8Array | string,
    remotePath: string,
    options: FileTransferOptions = {},
  ): Promise<FileTransferResult> {
    return putFile((c, o) => this.run(c, o), this.#dialect, data, remotePath, options);
  }

  /**
   * Copies `remotePath` from the guest and returns its bytes (and writes them
   * to `options.to`, if given). Linux: 32 KiB chunks read with `dd` and sent
   * as `base64`, each followed by its `sha256sum`; Windows: `certutil
   * -encode` into a temporary file in %TEMP%, its lines numbered with
   * `findstr /r /n`, then 1000 lines a chunk picked by their numbers, typed
   * and hashed with `certutil -hashfile`. The whole file's hash is checked
   * too, and the temporary files removed. `options.to` also writes it here,
   * replaced whole and mode 0600. Throws as {@linkcode putFile} does; the
   * file's base64 is in every log and recording of the console, as there.
   *
   * @example
   * ```ts
   * import { ConsoleSession } from "@xenpv/console/xencons";
   * import { SimulatedHost } from "@xenpv/console/sim";
   * import { connect } from "@xenpv/console";
   * import assert from "node:assert/strict";
   *
   * await using host = new SimulatedHost();
   * await host.createGuest({ name: "deb1", program: "linux" });
   * await using session = new ConsoleSession(await connect("deb1", { host }), {
   *   dialect: "linux",
   *   ownsConsole: true,
   * });
   * await session.login({ user: "root", password: "xenpv" });
   * await session.run("printf 'hello\\n' > /root/notes.txt");
   * const to = `${await Deno.makeTempDir()}/notes.txt`;
   * const got = await session.getFile("/root/notes.txt", { to });
   * assert.equal(new TextDecoder().decode(got.data), "hello\n");
   * assert.equal(got.bytes, 6);
   * assert.equal(await Deno.readTextFile(to), "hello\n");
   * ```
   */
  getFile(remotePath: string, options: GetFileOptions = {}): Promise<GetFileResult> {
    return getFile((c, o) => this.run(c, o), this.#dialect, remotePath, options);
  }

  /**
   * Types an interrupt key now (not queued), ^C unless `key` says otherwise
   * (see {@linkcode RunOptions.interrupt}): the running command is stopped
   * and its `run()` rejects with {@linkcode CommandAbortedError}.
   */
  async interrupt(key: InterruptKey = "ctrl-c"): Promise<void> {
    const bytes = this.#interruptKey(key);
    if (this.#state === "closed") throw new SessionStateError("interrupt", "closed");
    if (this.#current) {
      this.#currentKey = key;
      this.#current.abort(new Interrupted(`interrupted with ${key}`));
    } else await this.#ex.send(bytes);
  }

  /** The bytes of an interrupt key the console acts on; TypeError for another. */
  #interruptKey(key: InterruptKey = "ctrl-c"): string {
    const keys = this.#dialect.interruptKeys ?? { "ctrl-c": this.#dialect.interrupt };
    const bytes = (keys as Record<string, string | undefined>)[key];
    if (typeof bytes !== "string" || !Object.hasOwn(keys, key)) {
      throw new TypeError(
        `the ${this.#dialect.name} console's interrupt keys are ${
          Object.keys(keys).join(", ")
        }, not ${String(key)}`,
      );
    }
    return bytes;
  }

  /**
   * Starts an interactive program with its own prompt (`netsh`, `diskpart`,
   * `python`) and returns a {@linkcode NestedShell} to talk to it; closing
   * that leaves the program and returns its exit status.
   */
  nested(command: string, options: NestedOptions): Promise<NestedShell> {
    if (!(options?.prompt instanceof RegExp)) {
      throw new TypeError("nested() needs the program's prompt as a RegExp");
    }
    const tag = newTag();
    const plan = this.#dialect.command(command, tag);
    this.#checkLines(plan);
    this.#checkEncodable(plan);
    let release!: () => void;
    const held = new Promise<void>((r) => release = r);
    let finished: Promise<void> | undefined;
    const leave = async () => {
      release();
      await finished?.catch(() => {});
    };
    return new Promise<NestedShell>((resolve, reject) => {
      finished = this.#serial("nested", ["ready"], async () => {
        try {
          const signal = this.#bound(options.signal);
          await this.#prepare(plan, signal);
          await this.#typeLine(plan.line);
          await this.#await([plan.begin], signal);
          await this.#await([options.prompt], signal);
        } catch (err) {
          reject(await this.#failed("nested", command, err));
          return;
        }
        resolve(new NestedShell(this.#nestedOps(), plan, options, leave));
        await held;
      });
      finished.catch(reject);
    });
  }

  /**
   * Leaves the shell (`exit`) and waits for the login prompt. With
   * `codePage: "utf-8"` the console's own page is set back first. On a
   * session logged out already (never logged in, the shell ended, an
   * `exit N` run) it does nothing, so a script may always call it before
   * closing. Throws {@linkcode SessionStateError} only once closed.
   */
  logout(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#serial("logout", ["ready", "broken", "logged-out"], async () => {
      if (this.#state === "logged-out") return;
      const cp = this.#dialect.codePage;
      if (cp && this.#restore !== undefined && this.#state === "ready") {
        const page = this.#restore;
        await this.#acked(cp.set(page, newTag()), this.#bound(options.signal));
        this.#restore = undefined;
        this.#codePage = CodePage.has(page) ? page : undefined;
        this.#setEncoding(this.#codePage ?? this.#encoding);
      }
      await this.#typeLine(this.#dialect.logout);
      await this.#ex.expect([this.#dialect.loginPrompt, this.#dialect.detached], {
        signal: this.#bound(options.signal),
      });
      this.#state = "logged-out";
    });
  }

  /**
   * Stops reading (and closes the console if the session owns it). A call in
   * flight rejects with {@linkcode SessionStateError} (state "closed"), what
   * stopped it as `cause`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#current?.abort(new Interrupted("session closed"));
    await this.#ex.close();
    if (this.#owns) await this.#console.close?.();
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- internals ----

  /** The steps of this session a nested shell takes, bound to it. */
  #nestedOps(): NestedOps {
    return {
      typeLine: (line) => this.#typeLine(line),
      await: (patterns, signal, maxBefore) => this.#await(patterns, this.#bound(signal), maxBefore),
      finish: async (plan, command, signal) => {
        try {
          return await this.#finish(plan, this.#bound(signal), MAX_OUTPUT);
        } catch (err) {
          throw await this.#failed("nested", command, err);
        }
      },
    };
  }

  /**
   * Credentials the console's page cannot carry fail before anything is
   * typed: UnencodableError (the password's character unnamed), or a
   * TypeError when the page is not known yet.
   */
  #checkCredentials(options: LoginOptions): void {
    const ascii = (s: string) => !/[^\p{ASCII}]/u.test(s);
    const known = this.#codePage !== undefined || !this.#dialect.codePage;
    if (!known && !(ascii(options.user) && ascii(options.password))) {
      throw new TypeError(
        "the guest's code page is not known before the first login, so a user name or " +
          "password with non-ASCII characters cannot be typed: give the page, e.g. codePage: 850 " +
          "(the number chcp prints on the guest)",
      );
    }
    const page = CodePage.has(this.#ex.encoding) ? CodePage.of(this.#ex.encoding) : undefined;
    const bad = page?.unencodable(options.user);
    if (bad !== undefined) throw new UnencodableError(bad, page!.id);
    if (page?.unencodable(options.password) !== undefined) {
      throw new UnencodableError(undefined, page!.id);
    }
  }

  /**
   * After login: learns the console's code page with one `chcp` (and, in
   * "utf-8" mode, switches it to 65001), then decodes and encodes in it.
   */
  async #learnCodePage(signal: AbortSignal): Promise<void> {
    const cp = this.#dialect.codePage;
    if (!cp || this.#codePageMode === "fixed") return;
    const toUtf8 = this.#codePageMode === "utf-8";
    const q = cp.query(newTag(), toUtf8 ? 65001 : undefined);
    await this.#typeLine(q.line);
    await this.#await([q.begin], signal);
    const m = await this.#await([q.end], signal);
    // No number at all (a shell that is not cmd.exe?): decode as before.
    const page = cp.parse(normalize(m.before));
    if (toUtf8) {
      // Logged in again without logout() (the console still at 65001): keep the page to restore.
      if (!(page === 65001 && this.#restore !== undefined)) this.#restore = page;
      this.#codePage = 65001;
      this.#setEncoding(65001);
      return;
    }
    if (page === undefined || page === this.#codePage) return;
    if (!CodePage.has(page)) {
      this.#codePage = undefined;
      this.#setEncoding(this.#encoding);
      throw new UnsupportedCodePageError(page);
    }
    this.#codePage = page;
    this.#setEncoding(page);
  }

  /** Decodes and encodes in `encoding` from now on, the recording too. */
  #setEncoding(encoding: string | number): void {
    this.#ex.setEncoding(encoding);
    this.#recorder?.setEncoding(encoding);
  }

  /** Every line of `plan` can be typed in the console's page, or UnencodableError now. */
  #checkEncodable(plan: CommandPlan): void {
    const encoding = this.#ex.encoding;
    if (!CodePage.has(encoding)) return;
    const page = CodePage.of(encoding);
    for (const line of [...plan.prepare.map((p) => p.line), plan.line]) {
      const bad = page.unencodable(line);
      if (bad !== undefined) throw new UnencodableError(bad, page.id);
    }
  }

  #checkLines(plan: CommandPlan): void {
    const lines = [...plan.prepare.map((p) => p.line), ...plan.line.split("\n")];
    const long = lines.find((l) => l.length > this.#dialect.maxLine);
    if (long !== undefined) {
      throw new RangeError(
        `a line of ${long.length} characters exceeds the ${this.#dialect.name} line editor's ${this.#dialect.maxLine}`,
      );
    }
  }

  #serial<T>(method: string, allowed: SessionState[], fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(async () => {
      if (!allowed.includes(this.#state)) throw new SessionStateError(method, this.#state);
      const before = this.#state;
      if (method !== "login" && method !== "logout") this.#state = "busy";
      try {
        return await fn();
      } finally {
        if (this.#state === "busy") this.#state = before;
      }
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  #bound(signal?: AbortSignal): AbortSignal {
    return signal ?? AbortSignal.timeout(this.#timeout);
  }

  #typeLine(line: string): Promise<void> {
    return typeLine(this.#ex, this.#dialect, line);
  }

  /** Waits for one of `patterns`; a detach or a login prompt ends the session instead. */
  async #await(patterns: Pattern[], signal: AbortSignal, maxBefore?: number): Promise<ExpectMatch> {
    const d = this.#dialect;
    const m = await this.#ex.expect([...patterns, d.detached, d.loginPrompt], {
      signal,
      maxBefore,
    });
    if (m.index === patterns.length) {
      this.#state = "logged-out";
      throw new SessionEndedError("the console was detached or the guest rebooted", true, m.before);
    }
    if (m.index === patterns.length + 1) {
      this.#state = "logged-out";
      throw new SessionEndedError(
        "the shell ended (the guest shows a login prompt)",
        false,
        m.before,
      );
    }
    return m;
  }

  async #prepare(plan: CommandPlan, signal: AbortSignal): Promise<void> {
    for (const step of plan.prepare) await this.#acked(step, signal);
  }

  async #acked(step: AckedLine, signal: AbortSignal): Promise<void> {
    await this.#typeLine(step.line);
    await this.#await([step.ack], signal);
  }

  async #login(options: LoginOptions): Promise<void> {
    const signal = this.#bound(options.signal);
    this.#ex.transcript.addSecret(options.password);
    this.#state = "logged-out";
    await answerLoginPrompts(this.#ex, this.#dialect, options, signal);
    // Prove the shell is there and skip the banner and stale output.
    try {
      await this.#acked(this.#dialect.probe(newTag()), signal);
    } catch (err) {
      if (err instanceof SessionEndedError) {
        throw new LoginError("refused", options.user, { cause: err });
      }
      throw err;
    }
    this.#user = options.user;
    this.#state = "ready";
    await this.#learnCodePage(signal);
  }

  async #run(
    command: string,
    plan: CommandPlan,
    signal: AbortSignal | undefined,
    maxOutput: number,
    key: InterruptKey,
  ): Promise<RunResult> {
    const control = new AbortController();
    this.#current = control;
    this.#currentKey = key;
    const combined = signal ? AbortSignal.any([signal, control.signal]) : control.signal;
    try {
      this.#checkEncodable(plan); // the page may have changed since run() was called
      await this.#prepare(plan, combined);
      await this.#typeLine(plan.line);
      // maxOutput: what arrives with the begin marker is kept as far as the output is.
      await this.#await([plan.begin], combined, maxOutput);
      return await this.#finish(plan, combined, maxOutput);
    } catch (err) {
      // What the command printed so far is what the expect layer has not consumed.
      throw await this.#failed("run", command, err, this.#ex.buffer, this.#currentKey);
    } finally {
      this.#current = undefined;
      this.#currentKey = undefined;
    }
  }

  async #finish(
    plan: CommandPlan,
    signal: AbortSignal,
    maxOutput: number,
  ): Promise<RunResult> {
    const end = await this.#await([plan.end], signal, maxOutput);
    if (plan.status.line !== undefined) await this.#typeLine(plan.status.line);
    const status = await this.#await([plan.status.pattern], signal);
    const result = {
      output: normalize(end.before),
      exitCode: Number(status.groups[0]),
      dropped: end.dropped,
    };
    if (status.groups[1]) await this.#ended();
    return result;
  }

  /**
   * The shell reported its status as it exited: the session is logged out.
   * Waits (a while) for the login prompt or the detach that follows, so a
   * login() next answers a fresh prompt.
   */
  async #ended(): Promise<void> {
    this.#state = "logged-out";
    const d = this.#dialect;
    const bound = AbortSignal.timeout(Math.min(this.#timeout, 10000));
    try {
      await this.#ex.expect([d.loginPrompt, d.detached], { signal: bound });
    } catch (err) {
      if (err instanceof StreamEndedError) this.#state = "broken";
      else if (!bound.aborted) throw err;
    }
  }

  /**
   * Turns a failure of `method` into the error to throw, recovering the shell
   * after an abort. Closed meanwhile: SessionStateError, what stopped it as cause.
   */
  async #failed(
    method: string,
    command: string,
    err: unknown,
    output = "",
    key?: InterruptKey,
  ): Promise<unknown> {
    const closed = () => new SessionStateError(method, "closed", { cause: err });
    if (this.#isClosed()) return closed();
    if (err instanceof UnencodableError) return err; // nothing was typed
    if (err instanceof SessionEndedError || err instanceof StreamEndedError) {
      if (err instanceof StreamEndedError) this.#state = "broken";
      return err;
    }
    // Aborted, timed out or interrupted: ^C, then prove the shell answers.
    try {
      const recovered = await this.#recover(key);
      if (this.#isClosed()) return closed();
      this.#state = recovered ? "ready" : "broken";
      return new CommandAbortedError(command, normalize(output), recovered, key, {
        cause: err,
      });
    } catch (again) {
      if (this.#isClosed()) return closed();
      if (again instanceof SessionEndedError) return again;
      this.#state = "broken";
      return new CommandAbortedError(command, normalize(output), false, key, { cause: err });
    }
  }

  /**
   * Types the interrupt key (the dialect's ^C unless told) and probes the
   * shell (up to three times) within the recovery bound.
   */
  async #recover(key: InterruptKey | undefined): Promise<boolean> {
    const bound = Math.min(this.#timeout, 10000);
    await this.#ex.send(key === undefined ? this.#dialect.interrupt : this.#interruptKey(key));
    // The helper drops whatever shares a read with the ^C: let it be taken
    // alone (its echo ends a line) before typing more.
    try {
      await this.#ex.expect("\n", { signal: AbortSignal.timeout(bound / 4) });
      await this.#ex.quiet(50, { signal: AbortSignal.timeout(bound / 4) });
    } catch (err) {
      if (err instanceof StreamEndedError) throw err;
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.#acked(this.#dialect.probe(newTag()), AbortSignal.timeout(bound / 4));
        return true;
      } catch (err) {
        if (err instanceof SessionEndedError || err instanceof StreamEndedError) throw err;
      }
    }
    return false;
  }
}
