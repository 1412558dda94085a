// Copyright 2026 the xenpv authors. MIT license.
// Shared by run.ts and netsh.ts: connect to a real guest, or to a simulated
// one with --simulate, log in from --user and the environment, and always
// log out again.

import { connect } from "../mod.ts";
import type { SimulatedHost } from "../sim/mod.ts";
import { ConsoleSession, credentialsFromEnv } from "../xencons/mod.ts";
import { explain, parseSeconds, type StopSignals, UsageError } from "./_cli.ts";
import { simulate, SIMULATED, type Simulated } from "./_simulate.ts";

/** The parseArgs options both CLIs take. */
export const GUEST_FLAGS = {
  user: { type: "string", short: "u" },
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
  elevate?: boolean;
  /** Milliseconds for login and for the command. */
  timeout: number;
}

/** --timeout in milliseconds (default 60 s). */
export function timeoutFlag(text: string | undefined): number {
  return text === undefined ? 60_000 : parseSeconds("--timeout", text) * 1000;
}

/**
 * The account to log in as: --user or XENPV_USER, and XENPV_PASSWORD (never
 * a password flag: it would show in `ps`); a simulated guest's own otherwise.
 */
function credentials(target: GuestTarget): { user: string; password: string } {
  const env = credentialsFromEnv();
  const simulated = target.simulate && SIMULATED[target.simulate];
  const user = target.user ?? env.user ?? simulated?.user;
  const password = env.password ?? simulated?.password;
  if (user === undefined || password === undefined) {
    throw new UsageError("set XENPV_USER (or --user) and XENPV_PASSWORD to log in");
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
): Promise<{ session: ConsoleSession; host?: SimulatedHost }> {
  const host = target.simulate && await simulate([target.simulate]);
  const domain = target.simulate ? SIMULATED[target.simulate].name : target.domain;
  try {
    if (domain === undefined) {
      throw new UsageError("which guest? give a name or a domid (or --simulate)");
    }
    const console = await connect(domain, { host });
    const session = new ConsoleSession(console, {
      dialect: target.dialect,
      ownsConsole: true,
      timeout: target.timeout,
    });
    try {
      const { user, password } = credentials(target);
      await session.login({ user, password, elevate: target.elevate, signal });
    } catch (err) {
      await session.close();
      throw err;
    }
    return { session, host };
  } catch (err) {
    await host?.close();
    throw err;
  }
}

/**
 * Logs in to the target, runs `body` and logs out (also after a failure, a
 * timeout or a signal: the next person to attach must not get a logged-in
 * shell). Returns `body`'s exit status, or the one for what went wrong.
 * `within` gives the signal for each step (login, then what `body` asks).
 */
export async function inSession(
  program: string,
  target: GuestTarget,
  stop: StopSignals,
  within: () => AbortSignal,
  body: (session: ConsoleSession) => Promise<number>,
): Promise<number> {
  try {
    const { session, host } = await openSession(target, within());
    try {
      return await body(session);
    } finally {
      if (session.state !== "logged-out") {
        await session.logout({ signal: AbortSignal.timeout(10_000) }).catch((err) => {
          console.error(`${program}: logging out failed (${err.message ?? err}): log out by hand`);
        });
      }
      await session.close();
      await host?.close();
    }
  } catch (err) {
    if (stop.code !== undefined) {
      console.error(`${program}: ${stop.signal.reason?.message ?? "stopped by a signal"}`);
      return stop.code;
    }
    return explain(program, err);
  }
}
