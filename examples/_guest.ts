// Copyright 2026 the xenpv authors. MIT license.
// Shared by run.ts and netsh.ts: connect to a real guest, or to a simulated
// one with --simulate, and log in from flags or environment variables.

import { connect, ConsoleBusyError, GuestNotFoundError, SystemError } from "../mod.ts";
import { SimulatedHost } from "../sim/mod.ts";
import {
  CommandAbortedError,
  ConsoleSession,
  LoginError,
  SessionEndedError,
} from "../xencons/mod.ts";

/** The parseArgs options both examples take. */
export const GUEST_FLAGS = {
  user: { type: "string", short: "u" },
  elevate: { type: "boolean" },
  timeout: { type: "string" },
  simulate: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export interface GuestFlags {
  domain?: string;
  simulate?: string | boolean;
  dialect?: string;
  user?: string;
  elevate?: boolean;
  timeout?: string;
}

/** Connects and logs in; the caller disposes the returned session (and the simulated host). */
export async function openSession(
  flags: GuestFlags,
): Promise<{ session: ConsoleSession; host?: SimulatedHost; timeout: number }> {
  const timeout = Number(flags.timeout ?? 60) * 1000;
  if (!(timeout > 0)) throw new TypeError(`--timeout must be seconds > 0, got ${flags.timeout}`);
  let host: SimulatedHost | undefined;
  let domain = flags.domain;
  let dialect = flags.dialect ?? "windows";
  if (flags.simulate !== undefined && flags.simulate !== false) {
    const flavour = flags.simulate === true || flags.simulate === "" ? dialect : flags.simulate;
    if (flavour !== "windows" && flavour !== "linux") {
      throw new TypeError("--simulate takes windows or linux");
    }
    dialect = flavour;
    host = new SimulatedHost();
    const guest = await host.createGuest({ name: `sim-${flavour}`, program: flavour });
    domain = guest.name;
  }
  if (dialect !== "windows" && dialect !== "linux") {
    throw new TypeError("--dialect takes windows or linux");
  }
  if (domain === undefined) {
    throw new TypeError("which guest? give a name or a domid (or --simulate)");
  }
  // Credentials: flags or XENPV_USER / XENPV_PASSWORD (never a password flag:
  // it would show in `ps`). The simulated guests' defaults otherwise.
  const user = flags.user ?? Deno.env.get("XENPV_USER") ??
    (host ? (dialect === "windows" ? "Administrator" : "root") : undefined);
  const password = Deno.env.get("XENPV_PASSWORD") ?? (host ? "xenpv" : undefined);
  if (user === undefined || password === undefined) {
    throw new TypeError("set XENPV_USER (or --user) and XENPV_PASSWORD to log in");
  }
  try {
    const console = await connect(domain, { host });
    const session = new ConsoleSession(console, {
      dialect: dialect as "windows" | "linux",
      ownsConsole: true,
      timeout,
    });
    try {
      await session.login({ user, password, elevate: flags.elevate });
    } catch (err) {
      await session.close();
      throw err;
    }
    return { session, host, timeout };
  } catch (err) {
    await host?.close();
    throw err;
  }
}

/** Prints a one-line reason for a failure and returns the exit status to use. */
export function explain(program: string, err: unknown): number {
  const known = err instanceof LoginError || err instanceof SessionEndedError ||
    err instanceof CommandAbortedError || err instanceof GuestNotFoundError ||
    err instanceof ConsoleBusyError || err instanceof TypeError || err instanceof RangeError;
  if (err instanceof SystemError && err.code === "ENOENT") {
    console.error(
      `${program}: no Xen here (${err.message}).\n` +
        `Run it in dom0 of a Xen host, or try the simulated guest: add --simulate`,
    );
    return 2;
  }
  console.error(`${program}: ${known || err instanceof Error ? (err as Error).message : err}`);
  return known ? 2 : 1;
}
