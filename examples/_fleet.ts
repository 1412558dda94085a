// Copyright 2026 the xenpv authors. MIT license.
// Shared by conserver_cf.ts and console_sockets.ts: this dom0's guests by
// name, kept current from xenstore's @introduceDomain and @releaseDomain,
// with a grace for a guest that went away (a reboot comes back under the
// same name, and its console should stay).

import { type XenstoreClient, XenstoreError } from "../xenstore/mod.ts";
import { printable } from "../xencons/mod.ts";
import { UsageError } from "./_cli.ts";

/** A guest name conserver.cf, a file name and /bin/sh all take as it is. */
export const SAFE_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}$/;

/** The running guests' names (xenstore's `/local/domain/<domid>/name`). */
export async function guestNames(xs: XenstoreClient): Promise<string[]> {
  const ids = await xs.directory("/local/domain").catch((err) => {
    if (err instanceof XenstoreError && err.code === "ENOENT") return [] as string[];
    throw err;
  });
  const domids = ids.filter((id) => /^[1-9][0-9]{0,4}$/.test(id) && Number(id) < 0x7ff0);
  const names = await Promise.all(domids.map((d) => xs.tryRead(`/local/domain/${d}/name`)));
  return names.filter((name): name is string => name !== undefined);
}

const warned = new Set<string>();

/** The names of `names` that are {@linkcode SAFE_NAME}s; a warning (once) for each other one. */
export function usable(program: string, names: readonly string[]): string[] {
  return names.filter((name) => {
    if (SAFE_NAME.test(name)) return true;
    if (!warned.has(name)) {
      warned.add(name);
      console.error(`${program}: left out the guest "${printable(name)}": not a name it can use`);
    }
    return false;
  });
}

/**
 * The names to serve: the guests running now, and those gone for less than
 * the grace. Returns them and when the next gone one expires.
 */
export class Roster {
  #gone = new Map<string, number>();
  #listed = new Set<string>();

  /** Takes the running guests' names at time `now`. */
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
      names: [...this.#listed].sort(),
      nextExpiry: expiries.length > 0 ? Math.min(...expiries) : undefined,
    };
  }
}

/**
 * Calls `onChange` with the guests' names (sorted; gone ones kept for
 * `graceMs`) at once and whenever they change, one call at a time, until
 * `signal` aborts or xenstore goes away. A failing `onChange` ends it.
 */
export async function watchGuests(
  xs: XenstoreClient,
  program: string,
  graceMs: number,
  signal: AbortSignal,
  onChange: (names: string[]) => Promise<void>,
): Promise<void> {
  const roster = new Roster();
  let last: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let queue = Promise.resolve();
  const update = () =>
    queue = queue.then(async () => {
      if (signal.aborted) return;
      const running = usable(program, await guestNames(xs));
      const { names, nextExpiry } = roster.update(running, Date.now(), graceMs);
      clearTimeout(timer);
      if (nextExpiry !== undefined) {
        timer = setTimeout(update, Math.max(0, nextExpiry - Date.now()) + 10);
      }
      const key = names.join("\n");
      if (key === last) return;
      last = key;
      await onChange(names);
    });
  try {
    const watches = await Promise.all(
      ["@introduceDomain", "@releaseDomain"].map((path) => xs.watch(path, { signal })),
    );
    // each watch fires once when set: that first event gives the first names
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

/** How conserver reaches the consoles: a command per guest, or console_sockets.ts's sockets. */
export interface ConsoleBlocks {
  /** The conserver host that manages them: `master`. */
  master: string;
  /** `type exec`: this command, the guest's name appended. */
  attach?: string;
  /** `type uds`: the folder of the sockets (`<uds>/<guest>`). */
  uds?: string;
}

/** conserver.cf's console blocks for `names`. */
export function renderConsoles(names: readonly string[], how: ConsoleBlocks): string {
  const lines = [`# xenpv: the guests of ${how.master}, written by xenpv; do not edit`];
  for (const name of [...names].sort()) {
    const reach = how.uds === undefined
      ? [`  type exec;`, `  exec "${how.attach} ${name}";`]
      : [`  type uds;`, `  uds ${how.uds}/${name};`];
    lines.push(`console ${name} {`, `  master ${how.master};`, ...reach, `}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * A conserver.cf fragment of this dom0's consoles, rewritten whole (a
 * temporary file renamed over it) when they change, and the conserver
 * whose pid `reloadPid` holds told to reread it (SIGHUP).
 */
export class ConserverFile {
  #path: string;
  #how: ConsoleBlocks & { reloadPid?: string };
  #written: string | undefined;

  private constructor(path: string, how: ConsoleBlocks & { reloadPid?: string }, now?: string) {
    this.#path = path;
    this.#how = how;
    this.#written = now;
  }

  /** The file's path. */
  get path(): string {
    return this.#path;
  }

  /** The file at `path`, with what it holds now (the same text is not rewritten). */
  static async open(
    path: string,
    how: ConsoleBlocks & { reloadPid?: string },
  ): Promise<ConserverFile> {
    return new ConserverFile(path, how, await Deno.readTextFile(path).catch(() => undefined));
  }

  /** Writes the blocks for `names` and reloads, if they changed (or `always`); whether it wrote. */
  async update(names: readonly string[], options: { always?: boolean } = {}): Promise<boolean> {
    const text = renderConsoles(names, this.#how);
    if (text === this.#written && !options.always) return false;
    const temp = `${this.#path}.${Deno.pid}.tmp`;
    try {
      await Deno.writeTextFile(temp, text, { mode: 0o644 });
      await Deno.rename(temp, this.#path);
    } catch (err) {
      await Deno.remove(temp).catch(() => {});
      throw err;
    }
    this.#written = text;
    if (this.#how.reloadPid !== undefined) await reload(this.#how.reloadPid);
    return true;
  }
}

/**
 * SIGHUP to the conserver whose pid `pidFile` holds: it rereads its
 * configuration. No conserver running (no file, no such process) is said,
 * not thrown: it reads the file when it starts.
 */
async function reload(pidFile: string): Promise<void> {
  let text;
  try {
    text = (await Deno.readTextFile(pidFile)).trim();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    console.error(`xenpv: no ${pidFile}: conserver is not running, nothing to reload`);
    return;
  }
  if (!/^[1-9][0-9]{0,9}$/.test(text)) {
    throw new UsageError(`${pidFile} holds no pid ("${printable(text.slice(0, 20))}")`);
  }
  try {
    Deno.kill(Number(text), "SIGHUP");
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    console.error(`xenpv: no process ${text} (${pidFile}): conserver is not running`);
  }
}
