// Copyright 2026 the xenpv authors. MIT license.
// putFile/getFile on real Xen: 16 KiB of random bytes to a PV and a PVH
// guest and back, through busybox's base64 and sha256sum, in pty mode
// (through xenconsoled) and in ring mode (xenconsoled stopped), logged in
// through `xpvguest login` as console_test.ts' run() tests are.
// console_test.ts calls registerFileTests() right after its "run() through
// the XENCONS-style login program" test (the guests are up and their shells
// back on the console, nothing rebooted or destroyed yet). The rates go to stdout as `files: ...` lines and to files.json
// beside results.json (in $XPV_E2E_OUT), per kind and mode, in bytes/s.

import assert from "node:assert/strict";
import { type AttachMode, connect } from "../../../mod.ts";
import { ConsoleSession } from "../../../xencons/mod.ts";
import {
  shellBack,
  startXenconsoled,
  stopXenconsoled,
  type,
  waitFor,
  xenconsShell,
} from "./_xen.ts";
import { type E2eGuestType, parseKinds, SHELL_GUESTS } from "../_guests.ts";

const KINDS = parseKinds(Deno.env.get("XPV_E2E_KINDS") ?? "pv").filter((k) => k !== "hvm");
const SIZE = 16 * 1024; // a put is round-trip bound: 2.8 KB/s to PV, 1.2 KB/s to PVH under TCG (256 KiB took 317 s)
const out = Deno.env.get("XPV_E2E_OUT");
/** The rates measured, by kind and mode: saved as files.json. */
const rates: Record<
  string,
  Record<string, { putBytesPerSecond: number; getBytesPerSecond: number }>
> = {};

/** `size` random bytes (getRandomValues gives at most 64 KiB a call). */
function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
  }
  return bytes;
}

/** Copies SIZE random bytes to `name` and back in `mode`; returns the rates (bytes/s). */
async function roundTrip(name: string, mode: AttachMode): Promise<{ put: number; get: number }> {
  const data = randomBytes(SIZE);
  {
    await using console = await connect(name, { mode: "pty" });
    await shellBack(console);
    await type(console, "xpvguest login --once");
    await waitFor(console, /login: $/);
  }
  if (mode === "ring") await stopXenconsoled();
  try {
    const session = new ConsoleSession(await connect(name, { mode }), {
      dialect: xenconsShell,
      ownsConsole: true,
      timeout: 120_000,
    });
    try {
      await session.login({ user: "xenpv", password: "e2e-secret" });
      const path = `/tmp/files-${mode}.bin`;
      const put = await session.putFile(data, path, { stepTimeout: 120_000 });
      assert.equal(put.algorithm, "sha256"); // busybox's sha256sum
      const got = await session.getFile(path, { stepTimeout: 120_000 });
      assert.deepEqual(got.data, data);
      const left = await session.run("ls -a /tmp");
      assert.doesNotMatch(left.output, /\.xpv/);
      await session.run(`rm -f ${path}`);
      await session.logout();
      return { put: put.bytesPerSecond, get: got.bytesPerSecond };
    } finally {
      // a failed copy leaves the guest as found: logged out, the shell back on the console
      if (session.state === "ready") await session.logout().catch(() => {});
      await session.close();
    }
  } finally {
    if (mode === "ring") await startXenconsoled();
    await using console = await connect(name, { mode: "pty" });
    await shellBack(console);
  }
}

/**
 * Registers the tests: pty mode, then ring mode (xenconsoled stopped and
 * started again), for the PV and PVH guests of the run.
 */
export function registerFileTests(): void {
  for (const mode of ["pty", "ring"] as const) {
    Deno.test(`files: ${SIZE / 1024} KiB to and from ${KINDS.join(", ")} in ${mode} mode (busybox base64, sha256sum)`, async () => {
      for (const kind of KINDS as E2eGuestType[]) {
        const name = SHELL_GUESTS[kind].name;
        const rate = await roundTrip(name, mode);
        (rates[kind] ??= {})[mode] = {
          putBytesPerSecond: Math.round(rate.put),
          getBytesPerSecond: Math.round(rate.get),
        };
        if (out) {
          await Deno.writeTextFile(
            `${out}/files.json`,
            JSON.stringify({ bytes: SIZE, rates }, null, 2) + "\n",
          );
        }
        console.log(
          `files: ${kind} ${mode} put ${(rate.put / 1024).toFixed(1)} KiB/s, get ${
            (rate.get / 1024).toFixed(1)
          } KiB/s`,
        );
      }
    });
  }
}
