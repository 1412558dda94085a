// Copyright 2026 the xenpv authors. MIT license.
// examples/run.ts and examples/netsh.ts as users run them, in subprocesses
// with the permissions their docs name.
import assert from "node:assert/strict";
import { runDeno } from "./_peers.ts";

const RUN = new URL("../examples/run.ts", import.meta.url).pathname;
const NETSH = new URL("../examples/netsh.ts", import.meta.url).pathname;
const PERMS = ["--allow-ffi", "--allow-env"];

Deno.test("run.ts: prints the output and exits with the command's status", async () => {
  const win = await runDeno([
    ...PERMS,
    RUN,
    "--simulate",
    "windows",
    "--",
    "echo",
    "hi&",
    "cmd",
    "/c",
    "exit",
    "7",
  ], "");
  assert.equal(win.out, "hi\n");
  assert.equal(win.code, 7, win.err);
  const linux = await runDeno([...PERMS, RUN, "--simulate", "linux", "--", "echo $?; false"], "");
  assert.equal(linux.out, "0\n");
  assert.equal(linux.code, 1, linux.err);
});

Deno.test("run.ts: no Xen host, no credentials, no command: clear messages, status 2", async () => {
  const noXen = await runDeno([...PERMS, RUN, "win10", "--", "ver"], "");
  assert.equal(noXen.code, 2);
  assert.match(noXen.err, /XENPV_USER|no Xen here/);
  const usage = await runDeno([...PERMS, RUN, "--simulate", "windows"], "");
  assert.equal(usage.code, 2);
  assert.match(usage.err, /usage: examples\/run\.ts/);
});

Deno.test("netsh.ts: the simulated guest's global IPv4 parameters as JSON", async () => {
  const r = await runDeno([...PERMS, NETSH, "--simulate"], "");
  assert.equal(r.code, 0, r.err);
  const table = JSON.parse(r.out);
  assert.equal(table["Default Hop Limit"], "128 hops");
  assert.equal(table["Reassembly Limit"], "33420160 bytes");
  assert.equal(table["Source Routing Behavior"], "dontforward");
  assert.equal(Object.keys(table).length, 16);
});
