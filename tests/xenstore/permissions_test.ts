// Copyright 2026 the xenpv authors. MIT license.
// What each part needs from Deno's permission system: the codec and the
// in-memory server need nothing; reaching a real xenstored needs --allow-ffi
// only, and without it the error says how to run.

import assert from "node:assert/strict";
import { runDeno } from "../_peers.ts";

// For the scripts only: set in this process, it would reach every later test
// file's child processes too (one deno test process runs them all).
const ENV = { XENSTORED_PATH: "/tmp/xenpv-env-probe.sock" };
const mod = new URL("../../xenstore/mod.ts", import.meta.url).href;
const wire = new URL("../../xenstore/wire.ts", import.meta.url).href;

async function runScript(code: string, flags: string[]): Promise<{ code: number; out: string }> {
  const r = await runDeno(["--no-prompt", "--no-config", ...flags, "-"], code, ENV);
  return { code: r.code, out: r.out + r.err };
}

Deno.test("the in-memory server and codec run with no permissions at all", async () => {
  const r = await runScript(
    `import { XenstoreServer } from "${mod}";
     import { encodeMessage, MessageType } from "${wire}";
     await using s = new XenstoreServer();
     await using c = s.connectClient();
     await c.write("/x", "1");
     encodeMessage({ type: MessageType.READ, reqId: 1, txId: 0, payload: new Uint8Array() });
     console.log("value", await c.readString("/x"));`,
    [],
  );
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /value 1/);
});

Deno.test("connecting without --allow-ffi says how to run", async () => {
  const r = await runScript(
    `import { XenstoreClient } from "${mod}";
     try { await XenstoreClient.connect({ path: "/tmp/none.sock" }); }
     catch (e) { console.log(e.name, e.message); }`,
    [],
  );
  assert.match(r.out, /NotCapable .*--allow-ffi/);
});

Deno.test("--allow-ffi alone reaches sockets and reads XENSTORED_PATH", async () => {
  const r = await runScript(
    `import { XenstoreClient } from "${mod}";
     try { await XenstoreClient.connect(); }
     catch (e) { console.log(e.name, e.message); }`,
    ["--allow-ffi"],
  );
  // XENSTORED_PATH (ENV, above) is honoured without --allow-env
  assert.match(r.out, /SystemError connect \/tmp\/xenpv-env-probe.sock: ENOENT/);
});
