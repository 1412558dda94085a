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

import { XenstoreClient, XenstoreError } from "../xenstore/mod.ts";
import { printable } from "../xencons/mod.ts";
import { EXIT, explain, parseCount, parseFlags, StopSignals, UsageError } from "./_cli.ts";

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
  --attach CMD        the command that attaches, the guest's name appended
                      (default: stty -opost && exec deno run --allow-ffi
                      <this folder>/attach.ts --follow --escape none)
  -h, --help          this text

Guests whose names conserver.cf cannot hold as they are (anything but letters,
digits, "_", "." and "-", or a leading "-") are left out, with a warning.

exit status: 0 when written; 255 for bad usage, no Xen here or a file that
cannot be written; 129, 130, 143 when --watch is stopped by SIGHUP, SIGINT,
SIGTERM (128 + the signal's number).`;

/** A guest name conserver.cf and /bin/sh take as it is. */
const SAFE_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}$/;

interface Plan {
  master: string;
  out?: string;
  watch: boolean;
  graceMs: number;
  reloadPid?: string;
  attach: string;
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
  return {
    master: v.master,
    out: v.out,
    watch: v.watch,
    graceMs: parseCount("--grace", v.grace, 0, 86400) * 1000,
    reloadPid: v["reload-pid"],
    attach,
  };
}

/** The running guests' names (xenstore's `/local/domain/<domid>/name`), by domid. */
async function guestNames(xs: XenstoreClient): Promise<string[]> {
  const ids = await xs.directory("/local/domain").catch((err) => {
    if (err instanceof XenstoreError && err.code === "ENOENT") return [] as string[];
    throw err;
  });
  const domids = ids.filter((id) => /^[1-9][0-9]{0,4}$/.test(id) && Number(id) < 0x7ff0);
  const names = await Promise.all(domids.map((d) => xs.tryRead(`/local/domain/${d}/name`)));
  return names.filter((name): name is string => name !== undefined);
}

const warned = new Set<string>();

/** The names conserver.cf can hold; a warning (once) for each other one. */
function usable(names: readonly string[]): string[] {
  return names.filter((name) => {
    if (SAFE_NAME.test(name)) return true;
    if (!warned.has(name)) {
      warned.add(name);
      console.error(
        `conserver_cf: left out the guest "${printable(name)}": not a name conserver.cf takes`,
      );
    }
    return false;
  });
}

/** conserver.cf's console blocks for `names`. */
function render(names: readonly string[], plan: Pick<Plan, "master" | "attach">): string {
  const lines = [
    `# xenpv: the guests of ${plan.master}, written by examples/conserver_cf.ts; do not edit`,
  ];
  for (const name of [...names].sort()) {
    lines.push(
      `console ${name} {`,
      `  master ${plan.master};`,
      `  type exec;`,
      `  exec "${plan.attach} ${name}";`,
      `}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Writes `text` to `path` whole: a temporary file beside it, renamed over it. */
async function replaceFile(path: string, text: string): Promise<void> {
  const temp = `${path}.${Deno.pid}.tmp`;
  try {
    await Deno.writeTextFile(temp, text, { mode: 0o644 });
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}

async function reload(pidFile: string): Promise<void> {
  const text = (await Deno.readTextFile(pidFile)).trim();
  if (!/^[1-9][0-9]{0,9}$/.test(text)) {
    throw new UsageError(
      `--reload-pid: ${pidFile} holds no pid ("${printable(text.slice(0, 20))}")`,
    );
  }
  Deno.kill(Number(text), "SIGHUP");
}

/**
 * The consoles to list: the guests running now, and those gone for less than
 * the grace (a reboot brings them back under the same name). Returns the
 * names and when the next gone one expires.
 */
class Roster {
  #gone = new Map<string, number>();
  #listed = new Set<string>();

  update(running: readonly string[], now: number, graceMs: number): {
    names: string[];
    nextExpiry?: number;
  } {
    const up = new Set(running);
    for (const name of this.#listed) {
      if (!up.has(name) && !this.#gone.has(name)) this.#gone.set(name, now);
    }
    for (const name of up) this.#gone.delete(name);
    for (const [name, since] of this.#gone) if (now - since >= graceMs) this.#gone.delete(name);
    this.#listed = new Set([...up, ...this.#gone.keys()]);
    const expiries = [...this.#gone.values()].map((since) => since + graceMs);
    return {
      names: [...this.#listed],
      nextExpiry: expiries.length > 0 ? Math.min(...expiries) : undefined,
    };
  }
}

async function watch(xs: XenstoreClient, plan: Plan, stop: AbortSignal): Promise<void> {
  const roster = new Roster();
  // what the file holds already (the same text: no rewrite, no reload)
  let written = await Deno.readTextFile(plan.out!).catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let queue = Promise.resolve();
  const update = () =>
    queue = queue.then(async () => {
      if (stop.aborted) return;
      const { names, nextExpiry } = roster.update(
        usable(await guestNames(xs)),
        Date.now(),
        plan.graceMs,
      );
      clearTimeout(timer);
      if (nextExpiry !== undefined) {
        timer = setTimeout(update, Math.max(0, nextExpiry - Date.now()) + 10);
      }
      const text = render(names, plan);
      if (text === written) return;
      await replaceFile(plan.out!, text);
      written = text;
      console.error(`conserver_cf: ${plan.out}: ${names.length} console(s)`);
      if (plan.reloadPid !== undefined) await reload(plan.reloadPid);
    });
  try {
    const watches = await Promise.all(
      ["@introduceDomain", "@releaseDomain"].map((path) => xs.watch(path, { signal: stop })),
    );
    // each watch fires once when set: that first event writes the file
    await Promise.all(watches.map(async (w) => {
      for await (const _ of w) {
        update();
        await queue;
      }
    }));
    await queue;
  } finally {
    clearTimeout(timer);
  }
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
      const text = render(usable(await guestNames(xs)), plan);
      if (plan.out === undefined) await Deno.stdout.write(new TextEncoder().encode(text));
      else await replaceFile(plan.out, text);
      if (plan.reloadPid !== undefined) await reload(plan.reloadPid);
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
