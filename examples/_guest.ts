// Copyright 2026 the xenpv authors. MIT license.
// Shared by run.ts and netsh.ts: connect to a real guest, or to a simulated
// one with --simulate, and log in from --user and the environment.

import { connect, SystemError } from "../mod.ts";
import { SimulatedHost } from "../sim/mod.ts";
import { ConsoleSession, credentialsFromEnv } from "../xencons/mod.ts";
import { EXIT, parseSeconds, UsageError } from "./_cli.ts";

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
  simulate?: "windows" | "linux";
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

/** --simulate's dialect when the first positional names one ("--simulate linux"). */
export function simulatedDialect(word: string | undefined): "windows" | "linux" | undefined {
  return word === "windows" || word === "linux" ? word : undefined;
}

/**
 * Connects and logs in; the caller disposes the returned session (and the
 * simulated host). The guest is reached before the credentials are looked
 * at, so "no Xen here" or "no such guest" comes first.
 */
export async function openSession(
  target: GuestTarget,
  signal: AbortSignal,
): Promise<{ session: ConsoleSession; host?: SimulatedHost }> {
  let host: SimulatedHost | undefined;
  let domain = target.domain;
  if (target.simulate) {
    host = new SimulatedHost();
    const guest = await host.createGuest({
      name: `sim-${target.simulate}`,
      program: target.simulate,
    });
    domain = guest.name;
  }
  if (domain === undefined) {
    throw new UsageError("which guest? give a name or a domid (or --simulate)");
  }
  try {
    const console = await connect(domain, { host });
    const session = new ConsoleSession(console, {
      dialect: target.dialect,
      ownsConsole: true,
      timeout: target.timeout,
    });
    try {
      // Never a password flag: it would show in `ps`. The simulated guests'
      // accounts otherwise.
      const env = credentialsFromEnv();
      const user = target.user ?? env.user ??
        (host ? (target.dialect === "windows" ? "Administrator" : "root") : undefined);
      const password = env.password ?? (host ? "xenpv" : undefined);
      if (user === undefined || password === undefined) {
        throw new UsageError("set XENPV_USER (or --user) and XENPV_PASSWORD to log in");
      }
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
 * Prints a one-line reason for a failure of the tool itself (never the
 * command's) and returns {@linkcode EXIT}.failed.
 */
export function explain(program: string, err: unknown): number {
  if (err instanceof UsageError) {
    console.error(`${program}: ${err.message} (try --help)`);
  } else if (err instanceof SystemError && (err.code === "EACCES" || err.code === "EPERM")) {
    console.error(`${program}: ${err.message}\n${program}: run it as root in dom0.`);
  } else if (err instanceof SystemError && err.code === "ENOENT") {
    console.error(`${program}: no Xen here: ${err.message}`);
  } else if (err instanceof Error) {
    console.error(`${program}: ${err.message}`);
  } else {
    console.error(`${program}: ${String(err)}`);
  }
  return EXIT.failed;
}
