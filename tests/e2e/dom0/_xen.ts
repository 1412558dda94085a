// Copyright 2026 the xenpv authors. MIT license.
// Helpers for the tests that run inside the e2e dom0: xl, guests, the
// xenconsoled daemon, and what this process holds open.

import { Expect } from "../../../xencons/mod.ts";
import { check } from "../../_peers.ts";
import type { XenConsole } from "../../../mod.ts";

/** Runs `xl`; resolves to its stdout, throws with its stderr on failure. */
export const xl = (...args: string[]): Promise<string> => check("xl", args);

/** The domid of a running guest. */
export async function domid(name: string): Promise<number> {
  return Number((await xl("domid", name)).trim());
}

/** Creates a PV guest with the e2e kernel; `mode` picks what its console runs. */
export async function createGuest(name: string, mode: "shell" | "login"): Promise<number> {
  const config = `/tmp/${name}.cfg`;
  await Deno.writeTextFile(
    config,
    [
      `name = "${name}"`,
      `type = "pv"`,
      `kernel = "/guest/vmlinuz"`,
      `ramdisk = "/guest/initrd"`,
      `extra = "console=hvc0 rdinit=/init xpv=${mode} xpvhost=${name} loglevel=3"`,
      `memory = 128`,
      `vcpus = 1`,
      `on_reboot = "restart"`,
      `on_poweroff = "destroy"`,
      "",
    ].join("\n"),
  );
  await xl("create", config);
  return await domid(name);
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
  await check("xenconsoled", [`--pid-file=${XENCONSOLED_PID}`]);
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
