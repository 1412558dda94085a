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

/** The simulated guests, for messages: "win1 (windows) and deb1 (linux)". */
const GUESTS_SAID = "the simulated guests are win1 (windows) and deb1 (linux)";

/**
 * Takes `--simulate` out of the options before a "--", with its dialect
 * when one follows (`--simulate linux`, `--simulate=linux`): the rule is that
 * a word `windows` or `linux` right after `--simulate` is its value, and
 * anything else is not (`serve.ts --simulate`, `run.ts --simulate -- ver`).
 * What is left keeps a bare `--simulate` for parseArgs.
 */
export function takeSimulate(
  args: readonly string[],
): { args: string[]; dialect?: Simulated } {
  const rest: string[] = [];
  let dialect: Simulated | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      rest.push(...args.slice(i));
      break;
    }
    if (arg.startsWith("--simulate=")) {
      const word = arg.slice("--simulate=".length);
      if (!isSimulated(word)) {
        throw new UsageError(`--simulate takes windows or linux, got "${word}": ${GUESTS_SAID}`);
      }
      dialect = word;
      rest.push("--simulate");
    } else if (arg === "--simulate" && isSimulated(args[i + 1])) {
      dialect = args[++i] as Simulated;
      rest.push("--simulate");
    } else rest.push(arg);
  }
  return { args: rest, dialect };
}

/** The simulated guest called `name` (win1, deb1): its dialect. */
export function simulatedByName(name: string): Simulated | undefined {
  return (Object.keys(SIMULATED) as Simulated[]).find((d) => SIMULATED[d].name === name);
}

/**
 * Which simulated guest to run: from --simulate's dialect and the guest
 * named on the command line (either may be left out; `fallback` when both
 * are). A guest that is not simulated, or one of the other dialect, is a
 * {@linkcode UsageError} naming the simulated guests.
 */
export function simulatedGuest(
  dialect: Simulated | undefined,
  guest: string | undefined,
  fallback: Simulated = "windows",
): Simulated {
  if (guest === undefined) return dialect ?? fallback;
  const named = simulatedByName(guest);
  if (named === undefined) {
    throw new UsageError(
      `no simulated guest "${guest}": ${GUESTS_SAID} (--simulate takes windows or linux)`,
    );
  }
  if (dialect !== undefined && dialect !== named) {
    throw new UsageError(
      `the simulated ${dialect} guest is ${SIMULATED[dialect].name}, not ${guest}: ${GUESTS_SAID}`,
    );
  }
  return named;
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
