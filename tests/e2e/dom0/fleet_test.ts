// Copyright 2026 the xenpv authors. MIT license.
// The fleet pieces on a real PV guest, inside the e2e dom0, wired in:
// fleetTests() registers its tests where it is called, and it must run while
// the PV shell guest runs its shell under xenconsoled: console_test.ts calls
// it right after its "run() through the XENCONS-style login program" test
// (before ring mode stops xenconsoled and before guests are rebooted and
// destroyed). Ansible itself does not run in this dom0 (an
// initramfs without python; see docs/fleet.md): what its connection plugin
// does on the console is all run.ts --stdio, checked here; conserver's
// `type uds` side is console_sockets.ts, checked here with a unix socket
// client as conserver is one. Two deno starts (13-30 s each under TCG).

import assert from "node:assert/strict";
import { connect } from "../../../mod.ts";
import { runDeno } from "../../_peers.ts";
import { shellBack, type, waitFor } from "./_xen.ts";
import { SHELL_GUESTS } from "../_guests.ts";

const SH = SHELL_GUESTS.pv.name;
const encoder = new TextEncoder();

/** Registers the fleet tests (call it from console_test.ts, see above). */
export function fleetTests(): void {
  Deno.test(`fleet: run.ts --stdio, the Ansible plugin's console path (${SH})`, stdioOnPv);
  Deno.test(`fleet: console_sockets.ts serves ${SH}'s console on a unix socket`, socketOnPv);
}

/** run.ts --stdio on the PV guest: one login, many commands, exit statuses, a variable kept. */
async function stdioOnPv(): Promise<void> {
  {
    await using console = await connect(SH, { mode: "pty" });
    await shellBack(console);
    await type(console, "xpvguest login --once");
    await waitFor(console, /login: $/);
  }
  const requests = [
    { command: "X=kept-by-one-login" },
    { command: "echo $X on $(hostname)" },
    { command: "sh -c 'exit 3'" },
  ].map((r) => JSON.stringify(r)).join("\n");
  const r = await runDeno(
    [
      ...["--allow-ffi", "--no-check", "examples/run.ts", "--stdio", "--dialect", "linux"],
      ...["--user", "xenpv", "--password-stdin", SH],
    ],
    `e2e-secret\n${requests}\n`,
  );
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines[0], { ready: true, guest: SH });
  assert.equal(lines[1].exitCode, 0);
  assert.equal(lines[2].output, `kept-by-one-login on ${SH}\n`);
  assert.equal(lines[3].exitCode, 3);
  assert.doesNotMatch(r.out + r.err, /e2e-secret/);
  await using console = await connect(SH, { mode: "pty" });
  await shellBack(console); // run.ts logged out: the shell is back
}

/** console_sockets.ts serves the guest's console, read as conserver's type uds reads it. */
async function socketOnPv(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-e2e-sockets-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "--allow-ffi", "--allow-net", "--allow-read", "--allow-write", "--no-check"],
      ...["examples/console_sockets.ts", "--dir", `${dir}/consoles`],
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    // it says "<dir>: N console(s)" once the sockets listen
    const said = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!/console\(s\)/.test(text)) {
      const { value, done } = await said.read();
      if (done) throw new Error(`console_sockets.ts ended: ${text}`);
      text += value;
    }
    said.releaseLock();
    const conn = await Deno.connect({ transport: "unix", path: `${dir}/consoles/${SH}` });
    try {
      await conn.write(encoder.encode("echo uds-$((40+2))\r"));
      let seen = "";
      const reader = conn.readable.pipeThrough(new TextDecoderStream()).getReader();
      const timeout = Promise.withResolvers<never>();
      const timer = setTimeout(
        () => timeout.reject(new Error(`no uds-42 in 30 s: ${seen}`)),
        30_000,
      );
      try {
        while (!seen.includes("uds-42")) {
          const { value, done } = await Promise.race([reader.read(), timeout.promise]);
          if (done) break;
          seen += value;
        }
      } finally {
        clearTimeout(timer);
        await reader.cancel().catch(() => {});
      }
      assert.match(seen, /uds-42/);
    } finally {
      try {
        conn.close();
      } catch { /* closed with its stream */ }
    }
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stderr.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}
