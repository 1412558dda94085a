// Copyright 2026 the xenpv authors. MIT license.
/**
 * Logs in to a Windows guest, runs `netsh`, asks it for
 * `interface ipv4 show global` at its `netsh>` prompt and prints the table as
 * JSON key/values:
 *
 * ```sh
 * XENPV_USER=Administrator XENPV_PASSWORD=... deno run --allow-ffi examples/netsh.ts win10
 * deno run --allow-ffi examples/netsh.ts --simulate
 * ```
 *
 * @module
 */

import { EXIT, EXIT_HELP, explain, parseFlags, StopSignals, UsageError } from "./_cli.ts";
import {
  CREDENTIALS_HELP,
  GUEST_FLAGS,
  type GuestTarget,
  inSession,
  passwordFileFlag,
  timeoutFlag,
} from "./_guest.ts";
import { simulatedGuest, takeSimulate } from "./_simulate.ts";
import { jsonSafe } from "../xencons/mod.ts";

const USAGE = `usage: deno run --allow-ffi examples/netsh.ts [options] <domain>

Print "netsh interface ipv4 show global" of a Windows guest as JSON.
Credentials: see below.

  -u, --user NAME          user name (default: $XENPV_USER)
      --password-file FILE the password from FILE (mode 0600)
      --elevate            answer yes to "Run Elevated" (UAC-limited accounts)
      --timeout SECONDS    give up after this long (default 60)
      --simulate [windows] use the built-in simulated Windows guest, win1 (the
                           domain is then win1 or left out)
  -h, --help               this text

${CREDENTIALS_HELP}

${EXIT_HELP}
  (netsh.ts runs no command of yours: it exits 0 or 255.)`;

/** Turns netsh's `Name      : value` lines into an object. */
export function parseNetshTable(text: string): Record<string, string> {
  const table: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^(\S.*?)\s*:\s(.*?)\s*$/.exec(line);
    if (m) table[m[1]] = m[2];
  }
  return table;
}

/** The command line as a target, or "help". */
function parse(args: string[]): GuestTarget | "help" {
  const { args: flags, dialect } = takeSimulate(args);
  const { values: v, positionals } = parseFlags({
    args: flags,
    allowPositionals: true,
    options: GUEST_FLAGS,
  });
  if (v.help) return "help";
  if (positionals.length > 1) throw new UsageError(`one guest only, got ${positionals.join(" ")}`);
  const [domain] = positionals;
  if (v.simulate && simulatedGuest(dialect, domain) !== "windows") {
    throw new UsageError("netsh is a Windows command: --simulate takes windows (its guest: win1)");
  }
  if (!v.simulate && domain === undefined) {
    throw new UsageError("which guest? give a name or a domid (or --simulate)");
  }
  return {
    domain: v.simulate ? undefined : domain,
    simulate: v.simulate ? "windows" : undefined,
    dialect: "windows",
    user: v.user,
    passwordFile: passwordFileFlag(v["password-file"]),
    elevate: v.elevate,
    timeout: timeoutFlag(v.timeout),
  };
}

async function main(args: string[]): Promise<number> {
  using stop = new StopSignals();
  let target: ReturnType<typeof parse>;
  try {
    target = parse(args);
  } catch (err) {
    return explain("netsh", err);
  }
  if (target === "help") {
    console.log(USAGE);
    return EXIT.ok;
  }
  // One deadline for it all: login, netsh, its answer.
  const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(target.timeout)]);
  return await inSession("netsh", target, stop, () => signal, async (session) => {
    const netsh = await session.nested("netsh", { prompt: /netsh>$/, signal });
    const text = await netsh.run("interface ipv4 show global", { signal });
    await netsh.close({ signal });
    const table = parseNetshTable(text);
    if (Object.keys(table).length === 0) {
      console.error(`netsh: no table in netsh's output:\n${text}`);
      return EXIT.failed;
    }
    console.log(jsonSafe(table, 2));
    return EXIT.ok;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
