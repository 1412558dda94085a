// Copyright 2026 the xenpv authors. MIT license.
/**
 * Logs in to a Windows guest, runs `netsh`, asks it for
 * `interface ipv4 show global` at its `netsh>` prompt and prints the table as
 * JSON key/values:
 *
 * ```sh
 * XENPV_USER=Administrator XENPV_PASSWORD=... deno run --allow-ffi --allow-env examples/netsh.ts win10
 * deno run --allow-ffi --allow-env examples/netsh.ts --simulate
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { explain, GUEST_FLAGS, openSession } from "./_guest.ts";

const USAGE = `usage: examples/netsh.ts [options] <domain>

Print "netsh interface ipv4 show global" of a Windows guest as JSON.
Credentials come from XENPV_USER / XENPV_PASSWORD.

  -u, --user NAME          user name (default: $XENPV_USER)
      --elevate            answer yes to "Run Elevated" (UAC-limited accounts)
      --timeout SECONDS    give up after this long (default 60)
      --simulate           use the built-in simulated Windows guest
  -h, --help               this text`;

/** Turns netsh's `Name      : value` lines into an object. */
export function parseNetshTable(text: string): Record<string, string> {
  const table: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^(\S.*?)\s*:\s(.*?)\s*$/.exec(line);
    if (m) table[m[1]] = m[2];
  }
  return table;
}

async function main(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: GUEST_FLAGS,
  });
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const { session, host, timeout } = await openSession({
      ...v,
      domain: positionals[0],
      simulate: v.simulate ? "windows" : undefined,
    });
    try {
      const signal = AbortSignal.timeout(timeout);
      const netsh = await session.nested("netsh", { prompt: /netsh>$/, signal });
      const text = await netsh.run("interface ipv4 show global", { signal });
      await netsh.close({ signal });
      const table = parseNetshTable(text);
      if (Object.keys(table).length === 0) {
        console.error(`netsh: no table in the output:\n${text}`);
        return 1;
      }
      console.log(JSON.stringify(table, null, 2));
      return 0;
    } finally {
      await session.close();
      await host?.close();
    }
  } catch (err) {
    return explain("netsh", err);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
