// Copyright 2026 the xenpv authors. MIT license.

import { getenv } from "../_sys/libc.ts";

/** What {@linkcode credentialsFromEnv} found; a missing variable is `undefined`. */
export interface EnvCredentials {
  /** `XENPV_USER`. */
  user: string | undefined;
  /** `XENPV_PASSWORD`. */
  password: string | undefined;
}

/**
 * Reads the login credentials scripts pass in the environment, `XENPV_USER`
 * and `XENPV_PASSWORD` (a password on a command line would show in `ps`).
 *
 * They are read through libc, like `XENSTORED_PATH`, so `--allow-ffi` is the
 * only permission needed; `--allow-env` is not.
 *
 * @example
 * ```ts
 * import { credentialsFromEnv } from "@xenpv/console/xencons";
 *
 * const { user, password } = credentialsFromEnv();
 * if (user === undefined || password === undefined) {
 *   console.log("set XENPV_USER and XENPV_PASSWORD to log in");
 * }
 * ```
 */
export function credentialsFromEnv(): EnvCredentials {
  return { user: getenv("XENPV_USER"), password: getenv("XENPV_PASSWORD") };
}
