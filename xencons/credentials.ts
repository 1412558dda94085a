// Copyright 2026 the xenpv authors. MIT license.

import { readCheckedFile } from "../_sys/files.ts";
import { getenv, geteuid } from "../_sys/libc.ts";
import { S_IFMT, S_IFREG } from "../_sys/stat.ts";
import { SystemError } from "../errors.ts";
import { PasswordFileError } from "./errors.ts";

/** What {@linkcode credentialsFromEnv} found; a missing variable is `undefined`. */
export interface EnvCredentials {
  /** `XENPV_USER`. */
  user: string | undefined;
  /** From the file `XENPV_PASSWORD_FILE` names, else `XENPV_PASSWORD`. */
  password: string | undefined;
}

/** Options for {@linkcode credentialsFromEnv}. */
export interface CredentialsOptions {
  /**
   * A password file that takes the place of `XENPV_PASSWORD_FILE` and
   * `XENPV_PASSWORD` (a CLI's `--password-file`): neither is looked at.
   */
  passwordFile?: string;
}

/**
 * Reads the login credentials scripts pass in the environment: `XENPV_USER`,
 * and the password from the file `XENPV_PASSWORD_FILE` names (read with
 * {@linkcode passwordFromFile}: refused unless only its owner, this user,
 * may read it) or else from `XENPV_PASSWORD` (a password on a command line
 * would show in `ps`). With both set, the file wins; `options.passwordFile`
 * wins over both.
 *
 * They are read through libc, like `XENSTORED_PATH`, so `--allow-ffi` is the
 * only permission needed; `--allow-env` is not.
 *
 * @throws {TypeError} `options.passwordFile` is `""` (an empty
 * `XENPV_PASSWORD_FILE` is taken as unset).
 * @throws {PasswordFileError} `options.passwordFile` or `XENPV_PASSWORD_FILE`
 * names a file that is refused (see {@linkcode passwordFromFile}).
 *
 * @example
 * ```ts
 * import { credentialsFromEnv } from "@xenpv/console/xencons";
 *
 * const { user, password } = credentialsFromEnv();
 * if (user === undefined || password === undefined) {
 *   console.log("set XENPV_USER and XENPV_PASSWORD (or XENPV_PASSWORD_FILE) to log in");
 * }
 *
 * // a --password-file flag, in place of the variables
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hunter2\n");
 * await Deno.chmod(path, 0o600);
 * console.log(credentialsFromEnv({ passwordFile: path }).password === "hunter2");
 * await Deno.remove(path);
 * ```
 */
export function credentialsFromEnv(options: CredentialsOptions = {}): EnvCredentials {
  if (options.passwordFile === "") {
    throw new TypeError(
      "credentialsFromEnv: passwordFile is empty; give a file name or leave it out",
    );
  }
  const file = options.passwordFile ?? getenv("XENPV_PASSWORD_FILE");
  const password = file !== undefined && file !== ""
    ? passwordFromFile(file)
    : getenv("XENPV_PASSWORD");
  return { user: getenv("XENPV_USER"), password };
}

/** The longest password file read (a larger one is not a password). */
const MAX_PASSWORD_FILE = 4096;

/**
 * The password in the file `path`, as ssh takes a private key: the file
 * itself (a symlink is not followed: a planted one could point at another
 * secret of the user's, to be typed into a guest), a regular file, owned by
 * the user this process runs as, that neither group nor others may read or
 * write (mode 0600 or 0400). It holds one line: a trailing newline (LF or
 * CRLF) is stripped, anything else is kept, spaces included.
 *
 * @throws {PasswordFileError} the file is refused; its message names the
 * file and the fix, never what it holds.
 *
 * @example
 * ```ts
 * import { PasswordFileError, passwordFromFile } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hunter2\n");
 * await Deno.chmod(path, 0o600);
 * assert.equal(passwordFromFile(path), "hunter2");
 *
 * await Deno.chmod(path, 0o644); // others could read it
 * assert.throws(() => passwordFromFile(path), PasswordFileError);
 * await Deno.remove(path);
 * ```
 */
export function passwordFromFile(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readCheckedFile(path, MAX_PASSWORD_FILE, (stat) => {
      if ((stat.mode & S_IFMT) !== S_IFREG) {
        throw new PasswordFileError(path, "not-regular", "not a regular file");
      }
      const uid = geteuid();
      if (stat.uid !== uid) {
        throw new PasswordFileError(
          path,
          "not-owner",
          `owned by uid ${stat.uid}, not by this user (uid ${uid}): keep a password file of your own`,
        );
      }
      if ((stat.mode & 0o077) !== 0) {
        const mode = (stat.mode & 0o7777).toString(8).padStart(4, "0");
        throw new PasswordFileError(
          path,
          "too-open",
          `mode ${mode}: group or others may read or write it (chmod 600 it)`,
        );
      }
    });
  } catch (err) {
    if (!(err instanceof SystemError)) throw err;
    throw new PasswordFileError(path, "unreadable", `cannot be read: ${err.message}`, {
      cause: err,
    });
  }
  const notAPassword = (what: string) => new PasswordFileError(path, "not-a-password", what);
  if (bytes.length > MAX_PASSWORD_FILE) {
    throw notAPassword(`larger than ${MAX_PASSWORD_FILE} bytes: not a password`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw notAPassword("not UTF-8 text");
  }
  const password = text.replace(/\r?\n$/, "");
  if (password === "") throw notAPassword("empty: no password in it");
  if (/[\r\n]/.test(password)) {
    throw notAPassword("more than one line (only a trailing newline is stripped)");
  }
  return password;
}
