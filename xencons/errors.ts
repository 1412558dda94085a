// Copyright 2026 the xenpv authors. MIT license.

import { XenpvError } from "../errors.ts";
import { printable, quote } from "../_sys/text.ts";
import type { InterruptKey } from "./dialect.ts";

/** Keeps the last `n` characters of console text for an error message. */
function tailOf(text: string, n = 200): string {
  return text.length <= n ? text : `…${text.slice(-n)}`;
}

/**
 * No pattern matched before the timeout signal fired. `tail` is the end of
 * what the console had printed, which usually tells why.
 *
 * @example
 * ```ts
 * import { ExpectTimeoutError } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const e = new ExpectTimeoutError(["login: "], "Booting...");
 * assert.match(e.message, /login: /);
 * ```
 */
export class ExpectTimeoutError extends XenpvError {
  /** The patterns that were awaited, as text. */
  readonly patterns: string[];
  /** The last characters the console printed. */
  readonly tail: string;
  /** Makes the error. */
  constructor(patterns: string[], tail: string, options?: ErrorOptions) {
    super(
      `timed out waiting for ${patterns.join(" or ")}; the console last printed ${
        quote(tailOf(tail))
      }`,
      options,
    );
    this.patterns = patterns;
    this.tail = tail;
  }
}

/**
 * The stream an `Expect` or a `ConsoleSession` reads ended while a
 * pattern was awaited or input was sent. Its `cause` says why: the console's
 * own error (`GuestGoneError`: the guest was destroyed; `ConsoleClosedError`:
 * the console broke while the guest runs), or none when the console was
 * closed. `tail` is what the console printed last (passwords masked).
 *
 * So one `instanceof StreamEndedError` catches every end of the console at
 * this layer; `ConsoleClosedError` is the console's (the `connect()` layer's)
 * own failure, found here as the `cause`. Not `SessionEndedError` either:
 * that is the guest's shell ending while the console still works.
 *
 * @example
 * ```ts
 * import { StreamEndedError } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new StreamEndedError("bye").name, "StreamEndedError");
 * ```
 */
export class StreamEndedError extends XenpvError {
  /** The last characters the console printed. */
  readonly tail: string;
  /** Makes the error. */
  constructor(tail: string, options?: ErrorOptions) {
    super(
      `the console ended (guest destroyed or console closed); it last printed ${
        quote(tailOf(tail))
      }`,
      options,
    );
    this.tail = tail;
  }
}

/** Why a login failed. */
export type LoginFailure = "bad-credentials" | "refused" | "no-prompt";

/**
 * Logging in failed. `reason` is `"bad-credentials"` (the guest asked for the
 * login again or said "Login incorrect"), `"refused"` (it ended the session
 * right after the password) or `"no-prompt"` (no login prompt or shell showed
 * up: is the XENCONS service or a getty running on the console?).
 *
 * @example
 * ```ts
 * import { LoginError } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const e = new LoginError("bad-credentials", "Administrator");
 * assert.equal(e.reason, "bad-credentials");
 * ```
 */
export class LoginError extends XenpvError {
  /** Why it failed. */
  readonly reason: LoginFailure;
  /** The user name tried. */
  readonly user: string;
  /** Makes the error. */
  constructor(reason: LoginFailure, user: string, options?: ErrorOptions) {
    const why = reason === "bad-credentials"
      ? "the guest rejected the user name or password"
      : reason === "refused"
      ? "the guest ended the session right after the password (account disabled or not allowed to log on?)"
      : "no login prompt or shell appeared (is the XENCONS service or a getty running on this console?)";
    super(`login as ${JSON.stringify(user)} failed: ${why}`, options);
    this.reason = reason;
    this.user = user;
  }
}

/**
 * The shell went away under a command: it exited (an `exit` inside a longer
 * Windows line, where the status is lost), the helper restarted, or the
 * guest rebooted (`rebooted`). The session is logged out; `login()` again to
 * go on. (A command that is an `exit N` is not this: `run()` returns N.)
 *
 * @example
 * ```ts
 * import { SessionEndedError } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new SessionEndedError("the shell exited", false).rebooted, false);
 * ```
 */
export class SessionEndedError extends XenpvError {
  /** Whether the guest rebooted or its console device was re-attached. */
  readonly rebooted: boolean;
  /** Output the command printed before the session ended. */
  readonly output: string;
  /** Makes the error. */
  constructor(what: string, rebooted: boolean, output = "", options?: ErrorOptions) {
    super(`${what}; the session is logged out`, options);
    this.rebooted = rebooted;
    this.output = output;
  }
}

/** How an interrupt key is written in messages: as the tty echoes it. */
const KEY_ECHO: Record<InterruptKey, string> = { "ctrl-c": "^C", "ctrl-backslash": "^\\" };

/**
 * A command was aborted (its signal fired) or interrupted with ^C (or the
 * key `key` names) before it finished. `output` holds what it printed until
 * then; `recovered` says whether the session got the shell back (then it is
 * usable again) or is now broken.
 *
 * @example
 * ```ts
 * import { CommandAbortedError } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const e = new CommandAbortedError("ping -t host", "Reply from ...", true);
 * assert.match(e.message, /interrupted with \^C and the session is usable/);
 * const quit = new CommandAbortedError("sleep 9", "", true, "ctrl-backslash");
 * assert.match(quit.message, /interrupted with \^\\ /);
 * ```
 */
export class CommandAbortedError extends XenpvError {
  /** The command line. */
  readonly command: string;
  /** What it printed before it was stopped. */
  readonly output: string;
  /** Whether the shell answered again after the interrupt key. */
  readonly recovered: boolean;
  /** The interrupt key typed to stop it (and to get the shell back). */
  readonly key: InterruptKey;
  /** Makes the error; `key` is the interrupt key typed (^C unless told). */
  constructor(
    command: string,
    output: string,
    recovered: boolean,
    key: InterruptKey = "ctrl-c",
    options?: ErrorOptions,
  ) {
    if (!Object.hasOwn(KEY_ECHO, key)) {
      throw new TypeError(
        `key must be one of ${Object.keys(KEY_ECHO).join(", ")}, got ${String(key)}`,
      );
    }
    const typed = KEY_ECHO[key];
    super(
      `${JSON.stringify(command)} did not finish: ${
        recovered
          ? `it was interrupted with ${typed} and the session is usable`
          : `${typed} did not bring the shell back, the session is broken: close it and open a new one`
      }`,
      options,
    );
    this.command = command;
    this.output = output;
    this.recovered = recovered;
    this.key = key;
  }
}

/**
 * A session method was called in a state that does not allow it (not logged
 * in, broken, closed). The message names what to do.
 *
 * @example
 * ```ts
 * import { SessionStateError } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new SessionStateError("run", "logged-out").state, "logged-out");
 * ```
 */
export class SessionStateError extends XenpvError {
  /** The session state at the call. */
  readonly state: string;
  /** Makes the error for `method` called in `state`. */
  constructor(method: string, state: string, options?: ErrorOptions) {
    const fix = state === "logged-out"
      ? "call login() first"
      : state === "broken"
      ? "the session lost the shell: close it and open a new one"
      : state === "closed"
      ? "the session is closed: open a new one"
      : "wait for the current call";
    super(`${method}() is not possible while the session is ${state}: ${fix}`, options);
    this.state = state;
  }
}

/**
 * Text to be typed at the guest has a character its code page cannot carry
 * (`€` on a cp850 guest): nothing was typed. `character` is that character,
 * or `undefined` when the text is secret (a password is never put in a
 * message). Type the text without it, or switch the guest to UTF-8
 * (`ConsoleSession`'s `codePage: "utf-8"`, or `chcp 65001`).
 *
 * @example
 * ```ts
 * import { UnencodableError } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const e = new UnencodableError("€", 850);
 * assert.match(e.message, /"€" \(U\+20AC\).*code page 850/);
 * ```
 */
export class UnencodableError extends XenpvError {
  /** The character that cannot be encoded (`undefined` for secret text). */
  readonly character: string | undefined;
  /** The code page (850, 1252, ...). */
  readonly codePage: number;
  /** Makes the error. */
  constructor(character: string | undefined, codePage: number, options?: ErrorOptions) {
    const what = character === undefined
      ? "the secret text has a character that"
      : `${quote(character)} (U+${
        character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")
      })`;
    super(
      `${what} cannot be typed: code page ${codePage} has no such character, and nothing was typed; ` +
        'leave it out, or switch the guest to UTF-8 (codePage: "utf-8", or chcp 65001)',
      options,
    );
    this.character = character;
    this.codePage = codePage;
  }
}

/**
 * The guest's console uses a code page xenpv has no table for (`chcp` said,
 * e.g., 932). The session is logged in, still decoding as before; log out,
 * or use `codePage: "utf-8"` (the session switches the guest to UTF-8 and
 * restores its page at logout).
 *
 * @example
 * ```ts
 * import { UnsupportedCodePageError } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new UnsupportedCodePageError(932).codePage, 932);
 * ```
 */
export class UnsupportedCodePageError extends XenpvError {
  /** The code page the guest reported. */
  readonly codePage: number;
  /** Makes the error. */
  constructor(codePage: number, options?: ErrorOptions) {
    super(
      `the guest's console uses code page ${codePage}, which xenpv cannot decode; ` +
        'use codePage: "utf-8" (switches the guest to UTF-8 for the session) or a page of ' +
        "437, 850, 852, 857, 866, 1250, 1251, 1252",
      options,
    );
    this.codePage = codePage;
  }
}

/** Why a password file was refused: see {@linkcode PasswordFileError}. */
export type PasswordFileRefusal =
  | "unreadable"
  | "not-regular"
  | "not-owner"
  | "too-open"
  | "not-a-password";

/**
 * A password file was refused, as ssh refuses a private key: it could not be
 * opened (missing, a symlink: not followed; its `cause` says which), is not a
 * regular file, is not owned by the user this process runs as, may be read
 * or written by group or others, or holds no one-line password (empty,
 * several lines, over 4096 bytes, not UTF-8). The message names the file
 * and the fix, never what the file holds.
 *
 * @example
 * ```ts
 * import { PasswordFileError } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const err = new PasswordFileError("/root/pw", "too-open", "mode 0644: chmod 600 it");
 * assert.equal(err.reason, "too-open");
 * assert.match(err.message, /^password file \/root\/pw: mode 0644/);
 * ```
 */
export class PasswordFileError extends XenpvError {
  /** The file, as given. */
  readonly path: string;
  /** Why it was refused. */
  readonly reason: PasswordFileRefusal;
  /** Makes the error; `detail` says what is wrong and the fix. */
  constructor(
    path: string,
    reason: PasswordFileRefusal,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`password file ${printable(path)}: ${detail}`, options);
    this.path = path;
    this.reason = reason;
  }
}

/** Why a file copy failed: see {@linkcode FileTransferError}. */
export type FileTransferFailure = "mismatch" | "remote" | "too-large";

/**
 * A file copy over the console failed (`putFile`/`getFile`). `reason` is
 * `"mismatch"` (a hash taken at the other end differs: the console dropped
 * or changed bytes; `chunk` names the piece, counted from 1, when the
 * check was per chunk, 0 when it was of the whole file), `"remote"` (a
 * command on the guest failed: no such file, no permission, a tool missing;
 * `detail` is what it printed, made printable) or `"too-large"` (the file
 * is bigger than the `maxBytes` option). The guest's temporary files were
 * removed, if the shell still answered.
 *
 * @example
 * ```ts
 * import { FileTransferError } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const e = new FileTransferError("mismatch", "/root/fix.sh", "sha256 differs", 3);
 * assert.equal(e.chunk, 3);
 * assert.match(e.message, /chunk 3/);
 * ```
 */
export class FileTransferError extends XenpvError {
  /** What went wrong. */
  readonly reason: FileTransferFailure;
  /** The file on the guest. */
  readonly remotePath: string;
  /** What failed, printable (for "remote": the guest's own words). */
  readonly detail: string;
  /** The chunk whose hash differed, from 1; 0 for the whole file; undefined for other reasons. */
  readonly chunk: number | undefined;
  /** Makes the error. */
  constructor(
    reason: FileTransferFailure,
    remotePath: string,
    detail: string,
    chunk?: number,
    options?: ErrorOptions,
  ) {
    const where = printable(remotePath, 200);
    const what = printable(detail, 300);
    super(
      reason === "mismatch"
        ? `the copy of ${where} arrived changed (${what}) in ${
          chunk ? `chunk ${chunk}` : "the file"
        }: the console dropped or changed bytes; copy it again`
        : reason === "too-large"
        ? `${where} is too large to copy over a console (${what}): raise maxBytes (--max-bytes) if you mean it`
        : `the guest could not copy ${where}: ${what}`,
      options,
    );
    this.reason = reason;
    this.remotePath = remotePath;
    this.detail = what;
    this.chunk = chunk;
  }
}
