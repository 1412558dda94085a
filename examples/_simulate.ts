// Copyright 2026 the xenpv authors. MIT license.
// Every CLI's --simulate, one way: the built-in simulated guests, with one
// set of names and accounts, on a SimulatedHost passed to connect() as
// `host`.

import { SimulatedHost, windowsGuest } from "../sim/mod.ts";
import { CodePage } from "../xencons/mod.ts";
import { parseCount, UsageError } from "./_cli.ts";

/** The simulated guests' dialects. */
export type Simulated = "windows" | "linux";

/** Each simulated guest: its name (and hostname), its account, what to try. */
export const SIMULATED = {
  windows: {
    name: "win1",
    user: "Administrator",
    password: "xenpv",
    hint: "log in as Administrator / xenpv, or User / user; try dir, ipconfig /all, systeminfo",
  },
  linux: {
    name: "deb1",
    user: "root",
    password: "xenpv",
    hint: "log in as root / xenpv; try ls, cat notes.txt, ip addr",
  },
} as const;

/** Options for {@linkcode simulate}. */
export interface SimulateOptions {
  /** The Windows guest's console code page (default 437, as US English Windows). */
  codePage?: number;
  /** Stop the simulated xenconsoled once the guests run (for --mode ring). */
  ring?: boolean;
}

/** A SimulatedHost running `guests`; the caller closes it. */
export async function simulate(
  guests: readonly Simulated[],
  options: SimulateOptions = {},
): Promise<SimulatedHost> {
  const host = new SimulatedHost();
  try {
    for (const dialect of guests) {
      const guest = await host.createGuest({
        name: SIMULATED[dialect].name,
        program: dialect === "windows"
          ? (o) => windowsGuest({ ...o, codePage: options.codePage ?? 437 })
          : "linux",
        type: dialect === "windows" ? "hvm" : "pv",
      });
      if (options.ring) await guest.stopXenconsoled();
    }
  } catch (err) {
    await host.close();
    throw err;
  }
  return host;
}

/** Whether `word` names a simulated guest's dialect ("--simulate linux"). */
export function isSimulated(word: string | undefined): word is Simulated {
  return word === "windows" || word === "linux";
}

/**
 * --simulate's dialect from the word after it, which must be one of
 * `allowed` (the first is the default when there is no word).
 */
export function simulatedDialect(
  word: string | undefined,
  allowed: readonly Simulated[] = ["windows", "linux"],
  fallback: Simulated = allowed[0],
): Simulated {
  if (word === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(word)) {
    throw new UsageError(`--simulate takes ${allowed.join(" or ")}, got "${word}"`);
  }
  return word as Simulated;
}

/** --guest-code-page: the simulated Windows guest's code page, one with a table. */
export function guestCodePageFlag(text: string | undefined): number {
  if (text === undefined) return 437;
  const page = parseCount("--guest-code-page", text, 0, 65535);
  if (!CodePage.has(page)) {
    throw new UsageError(
      `--guest-code-page takes one of ${CodePage.supported.join(", ")}, got ${page}`,
    );
  }
  return page;
}
