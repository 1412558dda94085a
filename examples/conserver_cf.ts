// Copyright 2026 the xenpv authors. MIT license.
/**
 * Writes conserver.cf `console` blocks for this dom0's guests, each a
 * `type exec` console running `attach.ts --follow --escape none GUEST`, with
 * this dom0 as its `master`, so that every dom0's conserver serves its own
 * guests and redirects clients to the others' (docs/fleet.md):
 *
 * ```sh
 * deno run --allow-ffi examples/conserver_cf.ts --master "$(hostname)"    # print them
 * deno run --allow-ffi --allow-read --allow-write --allow-run examples/conserver_cf.ts \
 *   --master "$(hostname)" --out /etc/conserver/xen.cf --watch --reload-pid /run/conserver.pid
 * ```
 *
 * With `--watch` the file is rewritten when guests come and go (xenstore's
 * `@introduceDomain` and `@releaseDomain`), and conserver is told to reload
 * it (SIGHUP). A guest that went away keeps its console for `--grace`
 * seconds, so a reboot (a new domain under the same name) keeps its console
 * and its attach.ts, which follows the guest to its new domain.
 *
 * @module
 */

import { XenstoreClient } from "../xenstore/mod.ts";
import { printable } from "../xencons/mod.ts";
import { EXIT, explain, parseCount, parseFlags, StopSignals, UsageError } from "./_cli.ts";
import { ConserverFile, guestNames, renderConsoles, usable, watchGuests } from "./_fleet.ts";

const USAGE = `usage: deno run --allow-ffi examples/conserver_cf.ts --master HOST [options]

Prints conserver.cf console blocks for the guests of this dom0: one "type exec"
console per guest, named as the guest, running attach.ts in the mode conserver
needs (--follow: a reboot keeps the console; --escape none: conserver's ^Ec is
the only escape; raw, since conserver gives it a pty), managed by HOST.

  --master HOST       this dom0's name as the fleet's conservers know it: the
                      console's master (required)
  --out FILE          write FILE (replaced whole, atomically) instead of stdout;
                      needs --allow-read --allow-write
  --watch             keep FILE current as guests come and go (needs --out)
  --grace SECONDS     a guest that went away keeps its console this long, so a
                      reboot keeps it (default 120)
  --reload-pid FILE   after each change, send SIGHUP to the conserver whose pid
                      FILE holds: conserver rereads its configuration, starts
                      new consoles and stops removed ones (needs --allow-run)
  --uds DIR           consoles of "type uds" on the sockets console_sockets.ts
                      --dir DIR serves (one xenpv process for every guest)
                      instead of one attach.ts per guest ("type exec")
  --attach CMD        the command that attaches, the guest's name appended
                      (default: stty -opost && exec deno run --allow-ffi
                      <this folder>/attach.ts --follow --escape none)
  -h, --help          this text

Guests whose names conserver.cf cannot hold as they are (anything but letters,
digits, "_", "." and "-", or a leading "-") are left out, with a warning.

exit status: 0 when written; 255 for bad usage, no Xen here or a file that
cannot be written; 129, 130, 143 when --watch is stopped by SIGHUP, SIGINT,
SIGTERM (128 + the signal's number).`;

interface Plan {
  master: string;
  out?: string;
  watch: boolean;
  graceMs: number;
  reloadPid?: string;
  attach: string;
  /** --uds: the folder of console_sockets.ts's sockets. */
  uds?: string;
}

function defaultAttach(): string {
  const path = new URL("./attach.ts", import.meta.url);
  const where = path.protocol === "file:" ? decodeURIComponent(path.pathname) : path.href;
  // conserver runs it on a pty left as a terminal's: no output processing
  // (-opost), or the guest's CRLF would reach the logs as CR CR LF
  return `stty -opost && exec deno run --allow-ffi ${shellWord(where)} --follow --escape none`;
}

/** A word /bin/sh reads back as it is. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

function parse(args: string[]): Plan | "help" {
  const { values: v } = parseFlags({
    args,
    options: {
      master: { type: "string" },
      out: { type: "string" },
      watch: { type: "boolean", default: false },
      grace: { type: "string", default: "120" },
      "reload-pid": { type: "string" },
      attach: { type: "string" },
      uds: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) return "help";
  if (v.master === undefined || !/^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/.test(v.master)) {
    throw new UsageError(
      v.master === undefined
        ? 'which conserver host manages these consoles? give --master HOST (e.g. "$(hostname)")'
        : `--master takes a host name or address, got "${printable(v.master)}"`,
    );
  }
  if (v.watch && v.out === undefined) {
    throw new UsageError("--watch keeps a file current: give --out");
  }
  if (v.out === "") throw new UsageError("--out needs a file name");
  if (v["reload-pid"] === "") throw new UsageError("--reload-pid needs a file name");
  const attach = v.attach ?? defaultAttach();
  if (/["\\\n]/.test(attach)) {
    throw new UsageError('--attach cannot hold ", \\ or a newline (conserver.cf quotes it)');
  }
  if (v.uds !== undefined && (v.uds === "" || /[\s"\\;{}#]/.test(v.uds))) {
    throw new UsageError("--uds takes a folder whose path has no spaces, quotes or ;{}#");
  }
  if (v.uds !== undefined && v.attach !== undefined) {
    throw new UsageError("--uds and --attach are two ways to reach the consoles: give one");
  }
  return {
    uds: v.uds,
    master: v.master,
    out: v.out,
    watch: v.watch,
    graceMs: parseCount("--grace", v.grace, 0, 86400) * 1000,
    reloadPid: v["reload-pid"],
    attach,
  };
}

async function watch(xs: XenstoreClient, plan: Plan, stop: AbortSignal): Promise<void> {
  const file = await ConserverFile.open(plan.out!, plan);
  await watchGuests(xs, "conserver_cf", plan.graceMs, stop, async (names) => {
    if (await file.update(names)) {
      console.error(`conserver_cf: ${plan.out}: ${names.length} console(s)`);
    }
  });
}

async function main(args: string[]): Promise<number> {
  using stop = new StopSignals();
  let plan: Plan | "help";
  let xs: XenstoreClient;
  try {
    plan = parse(args);
    if (plan === "help") {
      console.log(USAGE);
      return EXIT.ok;
    }
    xs = await XenstoreClient.connect();
  } catch (err) {
    return explain("conserver_cf", err);
  }
  try {
    if (!plan.watch) {
      const names = usable("conserver_cf", await guestNames(xs));
      if (plan.out === undefined) {
        await Deno.stdout.write(new TextEncoder().encode(renderConsoles(names, plan)));
      } else await (await ConserverFile.open(plan.out, plan)).update(names, { always: true });
      return EXIT.ok;
    }
    await watch(xs, plan, stop.signal);
    return stop.code ?? EXIT.failed;
  } catch (err) {
    if (stop.code !== undefined) return stop.code;
    return explain("conserver_cf", err);
  } finally {
    await xs.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
