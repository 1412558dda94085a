// Copyright 2026 the xenpv authors. MIT license.
// Shared by run.ts and netsh.ts: connect to a real guest, or to a simulated
// one with --simulate, log in from --user and the environment, and always
// log out again.

import { connect } from "../mod.ts";
import type { SimulatedHost } from "../sim/mod.ts";
import { ConsoleSession, credentialsFromEnv, Recorder } from "../xencons/mod.ts";
import { explain, failureJson, parseSeconds, type StopSignals, UsageError } from "./_cli.ts";
import { simulate, SIMULATED, type Simulated } from "./_simulate.ts";

/** The parseArgs options both CLIs take. */
export const GUEST_FLAGS = {
  user: { type: "string", short: "u" },
  "password-file": { type: "string" },
  elevate: { type: "boolean" },
  timeout: { type: "string" },
  simulate: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** What openSession needs, checked by the CLI's own parsing. */
export interface GuestTarget {
  /** A guest name or domid; undefined with `simulate`. */
  domain?: string;
  /** Run a built-in simulated guest of this dialect instead. */
  simulate?: Simulated;
  dialect: "windows" | "linux";
  user?: string;
  /** --password-file: the password is read from this file. */
  passwordFile?: string;
  /** The password itself (run.ts --password-stdin read it): before any other source. */
  password?: string;
  elevate?: boolean;
  /** Milliseconds for login and for the command. */
  timeout: number;
  /** --record: the session (login to logout) recorded to this file, asciicast v2. */
  record?: string;
}

/** --timeout in milliseconds (default 60 s). */
export function timeoutFlag(text: string | undefined): number {
  return text === undefined ? 60_000 : parseSeconds("--timeout", text) * 1000;
}

/** --password-file: a file name, not empty. */
export function passwordFileFlag(text: string | undefined): string | undefined {
  if (text === "") throw new UsageError("--password-file needs a file name");
  return text;
}

/** How to log in, for every --help that logs in. */
export const CREDENTIALS_HELP = `credentials:
  The user is --user or XENPV_USER; the password comes from --password-file
  FILE, else the file XENPV_PASSWORD_FILE names, else XENPV_PASSWORD (never a
  password on the command line: it would show in ps). A password file must be
  a regular file of yours that only you may read (chmod 600), not a symlink;
  a trailing newline is stripped.
  --simulate logs in with the simulated guest's own account (win1: Administrator
  / xenpv; deb1: root / xenpv) and leaves XENPV_USER and XENPV_PASSWORD(_FILE),
  meant for your real guests, alone; give --user or --password-file to log in
  to it as for a real guest (win1 also has User / user).`;

/**
 * The account to log in as: --user or XENPV_USER, and the password from
 * --password-file, XENPV_PASSWORD_FILE or XENPV_PASSWORD. A simulated guest's
 * own account unless --user or --password-file was given.
 */
function credentials(target: GuestTarget): { user: string; password: string } {
  if (
    target.simulate && target.user === undefined && target.passwordFile === undefined &&
    target.password === undefined
  ) {
    const { user, password } = SIMULATED[target.simulate];
    return { user, password };
  }
  if (target.password !== undefined && target.user !== undefined) {
    return { user: target.user, password: target.password };
  }
  const env = credentialsFromEnv({ passwordFile: target.passwordFile });
  const user = target.user ?? env.user;
  const password = env.password;
  if (user === undefined) throw new UsageError("which user? give --user or set XENPV_USER");
  if (password === undefined) {
    throw new UsageError(
      `no password for "${user}": set XENPV_PASSWORD_FILE or XENPV_PASSWORD, or give --password-file`,
    );
  }
  return { user, password };
}

/**
 * Connects and logs in; the caller disposes the returned session (and the
 * simulated host). The guest is reached before the credentials are looked
 * at, so "no Xen here" or "no such guest" comes first.
 */
async function openSession(
  target: GuestTarget,
  signal: AbortSignal,
): Promise<{ session: ConsoleSession; host?: SimulatedHost; recorder?: Recorder }> {
  const host = target.simulate && await simulate([target.simulate]);
  const domain = target.simulate ? SIMULATED[target.simulate].name : target.domain;
  try {
    if (domain === undefined) {
      throw new UsageError("which guest? give a name or a domid (or --simulate)");
    }
    const console = await connect(domain, { host });
    let recorder: Recorder | undefined;
    try {
      if (target.record !== undefined) {
        recorder = Recorder.open(target.record, { guest: { name: domain, kind: "pv" } });
      }
    } catch (err) {
      await console.close();
      throw err;
    }
    const session = new ConsoleSession(console, {
      dialect: target.dialect,
      ownsConsole: true,
      timeout: target.timeout,
      record: recorder,
    });
    try {
      const { user, password } = credentials(target);
      await session.login({ user, password, elevate: target.elevate, signal });
    } catch (err) {
      await session.close();
      await recorder?.close();
      throw err;
    }
    return { session, host, recorder };
  } catch (err) {
    await host?.close();
    throw err;
  }
}

/**
 * Logs in to the target, runs `body` and logs out (also after a failure, a
 * timeout or a signal: the next person to attach must not get a logged-in
 * shell). Returns `body`'s exit status, or the one for what went wrong.
 * `within` gives the signal for each step (login, then what `body` asks);
 * `onFailure` hears of a failure (or a stop signal) as --json reports it.
 */
export async function inSession(
  program: string,
  target: GuestTarget,
  stop: StopSignals,
  within: () => AbortSignal,
  body: (session: ConsoleSession) => Promise<number>,
  onFailure?: (failure: { name: string; message: string }) => void,
): Promise<number> {
  try {
    const { session, host, recorder } = await openSession(target, within());
    try {
      return await body(session);
    } finally {
      if (session.state !== "logged-out") {
        await session.logout({ signal: AbortSignal.timeout(10_000) }).catch((err) => {
          console.error(`${program}: logging out failed (${err.message ?? err}): log out by hand`);
        });
      }
      await session.close();
      await recorder?.close();
      await host?.close();
    }
  } catch (err) {
    if (stop.code !== undefined) {
      const message = stop.signal.reason?.message ?? "stopped by a signal";
      console.error(`${program}: ${message}`);
      onFailure?.({ name: "Stopped", message });
      return stop.code;
    }
    onFailure?.(failureJson(err));
    return explain(program, err);
  }
}
