// Copyright 2026 the xenpv authors. MIT license.
// examples/cp.ts as users (and the Ansible connection plugin) run it: in a
// subprocess with --allow-ffi alone, on the simulated guests; its --json
// object, its exit statuses, its files here replaced whole.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { runDeno } from "../_peers.ts";
import { prng } from "../_prng.ts";

const CP = new URL("../../examples/cp.ts", import.meta.url).pathname;
const PERMS = ["--allow-ffi"];
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

Deno.test("cp.ts: a local file to the simulated Linux guest, --json, --allow-ffi alone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-cp-" });
  try {
    const next = prng(1);
    const data = Uint8Array.from({ length: 20_000 }, () => Math.floor(next() * 256));
    await Deno.writeFile(`${dir}/fix.bin`, data);
    const r = await runDeno(
      [...PERMS, CP, "--simulate", "--json", `${dir}/fix.bin`, "deb1:/root/"],
      "",
    );
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, ""); // no progress bar: stderr is not a terminal
    const result = JSON.parse(r.out);
    assert.deepEqual(
      { ...result, durationMs: 0, bytesPerSecond: 0, chunks: 0 },
      {
        guest: "deb1",
        direction: "put",
        source: `${dir}/fix.bin`,
        destination: "deb1:/root/",
        bytes: 20_000,
        chunks: 0,
        algorithm: "sha256",
        hash: sha256(data),
        durationMs: 0,
        bytesPerSecond: 0,
      },
    );
    assert.ok(result.chunks > 1 && result.durationMs >= 0 && result.bytesPerSecond > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cp.ts: a file from each simulated guest, into a file or a directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-cp-" });
  try {
    const linux = await runDeno([
      ...PERMS,
      CP,
      "--simulate",
      "deb1:/root/notes.txt",
      `${dir}/n.txt`,
    ], "");
    assert.equal(linux.code, 0, linux.err);
    assert.equal(linux.out, "");
    assert.match(await Deno.readTextFile(`${dir}/n.txt`), /^Notes on deb1\n/);
    const win = await runDeno(
      [...PERMS, CP, "--simulate", "--json", "win1:Documents\\notes.txt", `${dir}/`],
      "",
    );
    assert.equal(win.code, 0, win.err);
    const copied = await Deno.readFile(`${dir}/notes.txt`);
    assert.match(new TextDecoder().decode(copied), /^Notes on WIN1\r\n/);
    assert.equal(JSON.parse(win.out).hash, sha256(copied));
    // Nothing but the files themselves: the temporary file was renamed over them.
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["n.txt", "notes.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cp.ts: failures are status 255 with one line (and a JSON error with --json)", async () => {
  const missing = await runDeno(
    [...PERMS, CP, "--simulate", "--json", "deb1:/root/nope", "/tmp/xenpv-never"],
    "",
  );
  assert.equal(missing.code, 255);
  assert.equal(JSON.parse(missing.out).error.name, "FileTransferError");
  assert.match(missing.err, /^cp: the guest could not copy \/root\/nope: .*No such file/m);
  const big = await runDeno(
    [...PERMS, CP, "--simulate", "--max-bytes", "10", "deb1:/root/notes.txt", "/tmp/xenpv-never"],
    "",
  );
  assert.equal(big.code, 255);
  assert.match(big.err, /too large to copy over a console.*--max-bytes/);
  const nowhere = await runDeno(
    [...PERMS, CP, "--simulate", "deb1:/root/notes.txt", "/nonexistent-xenpv/x"],
    "",
  );
  assert.equal(nowhere.code, 255);
  assert.match(nowhere.err, /^cp: open \/nonexistent-xenpv\/x: ENOENT/m); // not the temporary name
  const twoLocal = await runDeno([...PERMS, CP, "a", "b"], "");
  assert.equal(twoLocal.code, 255);
  assert.match(twoLocal.err, /^cp: one side must be on a guest: GUEST:PATH \(try --help\)$/m);
  const noXen = await runDeno([...PERMS, CP, "./a", "web01:/root/a"], "");
  assert.equal(noXen.code, 255);
  assert.match(noXen.err, /^cp: no Xen here/);
});
