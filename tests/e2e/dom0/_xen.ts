// Copyright 2026 the xenpv authors. MIT license.
// Helpers for the tests that run inside the e2e dom0: xl, guests, the
// xenconsoled daemon, what this process holds open, and a shell guest's
// console (typing a line, waiting for the shell, its login program's dialect).

import { type Dialect, Expect, linuxDialect, windowsDialect } from "../../../xencons/mod.ts";
import { check } from "../../_peers.ts";
import type { XenConsole } from "../../../mod.ts";
import { type E2eGuest, guestConfig } from "../_guests.ts";

/** Runs `xl`; resolves to its stdout, throws with its stderr on failure. */
export const xl = (...args: string[]): Promise<string> => check("xl", args);

/** The domid of a running guest. */
export async function domid(name: string): Promise<number> {
  return Number((await xl("domid", name)).trim());
}

/** Creates a guest with the e2e kernel (see _guests.ts); resolves to its domid. */
export async function createGuest(guest: E2eGuest): Promise<number> {
  const config = `/tmp/${guest.name}.cfg`;
  await Deno.writeTextFile(config, guestConfig(guest));
  await xl("create", "-q", config);
  return await domid(guest.name);
}

/** Where init.sh notes the boot guests' creation (see init.sh). */
const BOOT_GUESTS_DIR = "/run/xpv-guests";

/** Waits until init.sh has created the boot guests (in the background, while deno started). */
export async function bootGuestsCreated(signal: AbortSignal): Promise<void> {
  while (!(await Deno.stat(`${BOOT_GUESTS_DIR}/done`).then(() => true, () => false))) {
    signal.throwIfAborted();
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** When init.sh created a boot guest, in seconds since the epoch (Xen's wall clock). */
export async function createdAt(name: string): Promise<number> {
  return Number((await Deno.readTextFile(`${BOOT_GUESTS_DIR}/${name}.created`)).trim());
}

/** Pid from a pid file, or undefined when the daemon is not running. */
async function pidOf(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(file)).trim());
    Deno.kill(pid, "SIGCONT"); // throws when it is gone
    return pid;
  } catch {
    return undefined;
  }
}

const XENCONSOLED_PID = "/run/xenconsoled.pid";

/** Stops xenconsoled and waits until it has exited (its bindings are released then). */
export async function stopXenconsoled(): Promise<void> {
  const pid = await pidOf(XENCONSOLED_PID);
  if (pid === undefined) return;
  Deno.kill(pid, "SIGTERM");
  for (let i = 0; i < 100; i++) {
    if (!(await Deno.stat(`/proc/${pid}`).then(() => true, () => false))) {
      await Deno.remove(XENCONSOLED_PID).catch(() => {});
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`xenconsoled (${pid}) did not exit`);
}

/** Starts xenconsoled unless it runs. */
export async function startXenconsoled(): Promise<void> {
  if (await pidOf(XENCONSOLED_PID) !== undefined) return;
  await check("xenconsoled", [`--pid-file=${XENCONSOLED_PID}`, "--log=guest"]); // as init.sh
}

/** What this process holds: open fds and mappings of /dev/xen devices. */
export function held(): { fds: string[]; xenMappings: string[] } {
  const fds: string[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      fds.push(`${entry.name} -> ${Deno.readLinkSync(`/proc/self/fd/${entry.name}`)}`);
    } catch {
      // the fd readDir itself used, already closed
    }
  }
  const xenMappings = Deno.readTextFileSync("/proc/self/maps").split("\n")
    .filter((line) => /\/dev\/xen\/|privcmd|gntdev/.test(line));
  return { fds: fds.filter((f) => /xen|pts|ptmx|socket|anon_inode/.test(f)).sort(), xenMappings };
}

/** Waits for `pattern` on a console; returns what matched and what came before it. */
export async function waitFor(
  console: XenConsole,
  pattern: RegExp | string,
  ms = 30_000,
): Promise<{ match: string; before: string }> {
  await using expect = new Expect(console, { stripAnsi: true });
  const m = await expect.expect(pattern, { signal: AbortSignal.timeout(ms) });
  return { match: m.match, before: m.before };
}

const encoder = new TextEncoder();

/** Types `line` and Enter (CR) on a console. */
export async function type(console: XenConsole, line: string): Promise<void> {
  const writer = console.writable.getWriter();
  try {
    await writer.write(encoder.encode(line + "\r"));
  } finally {
    writer.releaseLock();
  }
}

/**
 * Waits until the shell answers on the console again: after a logout the
 * login program prompts once more and exits a second later, and what is typed
 * meanwhile is its (lost) input, so this tries again.
 */
export async function shellBack(console: XenConsole): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      const tag = `sb${Math.floor(Math.random() * 1e9)}`;
      await type(console, `echo ${tag}-$((6*7))`);
      await waitFor(console, `${tag}-42`, 5_000);
      return;
    } catch (err) {
      if (attempt === 5) throw new Error("the shell did not come back", { cause: err });
    }
  }
}

/**
 * The XENCONS framing of xpvguest login ([ATTACHED], "<HOST> login: ",
 * unechoed "Password: ", CR, its own echo) with a POSIX shell behind it:
 * Windows' prompts, Linux's command protocol.
 */
export const xenconsShell: Dialect = {
  ...linuxDialect,
  name: "xencons-sh",
  loginPrompt: windowsDialect.loginPrompt,
  passwordPrompt: windowsDialect.passwordPrompt,
  detached: windowsDialect.detached,
  maxLine: windowsDialect.maxLine,
  noise: null,
};
