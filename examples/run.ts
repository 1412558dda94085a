// Copyright 2026 the xenpv authors. MIT license.
/**
 * Runs one command on a guest's console shell, prints its output and exits
 * with its exit status:
 *
 * ```sh
 * XENPV_USER=Administrator XENPV_PASSWORD=... \
 *   deno run --allow-ffi --allow-env examples/run.ts win10 -- ipconfig /all
 * deno run --allow-ffi --allow-env examples/run.ts --simulate windows -- ver
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { explain, GUEST_FLAGS, openSession } from "./_guest.ts";

const USAGE = `usage: examples/run.ts [options] <domain> -- <command...>

Log in to a guest's PV console, run one command, log out; print its output and
exit with its status. Credentials come from XENPV_USER / XENPV_PASSWORD.

  -d, --dialect windows|linux   the guest's console dialect (default windows)
  -u, --user NAME               user name (default: $XENPV_USER)
      --elevate                 answer yes to "Run Elevated" (UAC-limited accounts)
      --timeout SECONDS         give up on the command after this long (default 60)
      --simulate [windows|linux]
                                use a built-in simulated guest (no Xen needed)
  -h, --help                    this text`;

async function main(args: string[]): Promise<number> {
  const dash = args.indexOf("--");
  const own = dash < 0 ? args : args.slice(0, dash);
  const command = dash < 0 ? [] : args.slice(dash + 1);
  const { values: v, positionals } = parseArgs({
    args: own,
    allowPositionals: true,
    options: { dialect: { type: "string", short: "d" }, ...GUEST_FLAGS },
  });
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  let simulate: string | boolean | undefined = v.simulate;
  let domain: string | undefined = positionals[0];
  if (simulate && (domain === "windows" || domain === "linux")) {
    simulate = domain;
    domain = undefined;
  }
  if (command.length === 0) {
    console.error(USAGE);
    return 2;
  }
  try {
    const { session, host, timeout } = await openSession({ ...v, domain, simulate });
    try {
      const result = await session.run(command.join(" "), { signal: AbortSignal.timeout(timeout) });
      await Deno.stdout.write(new TextEncoder().encode(result.output));
      // Never leave a logged-in shell on a console: the next person to attach would get it.
      await session.logout({ signal: AbortSignal.timeout(10_000) }).catch((err) => {
        console.error(`run: the command ran, but logging out failed (${err}): log out by hand`);
      });
      return result.exitCode & 0xff;
    } finally {
      await session.close();
      await host?.close();
    }
  } catch (err) {
    return explain("run", err);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
