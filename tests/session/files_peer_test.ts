// Copyright 2026 the xenpv authors. MIT license.
// The Linux copy commands against the real tools, not our simulation of
// them: busybox's (as the e2e guests and minimal images have them) and this
// machine's coreutils under sh. Each step runs as `sh -c` in a process of
// its own, its output and status handed back as run() would; the copy's flow
// is the library's own (putFile/getFile of xencons/file_transfer.ts).

import assert from "node:assert/strict";
import { getFile, putFile, type RunCommand } from "../../xencons/file_transfer.ts";
import { FileTransferError, linuxDialect, type RunResult } from "../../xencons/mod.ts";
import { have, skipUnless } from "../_peers.ts";
import { prng } from "../_prng.ts";

const hasBusybox = await have("busybox", ["true"]);

/** A RunCommand that runs each command with `shell` (`sh -c`), stderr after stdout. */
function runWith(shell: string[], refuse?: RegExp, cwd?: string): RunCommand {
  return async (command: string): Promise<RunResult> => {
    if (refuse?.test(command)) return { output: "sh: not found\n", exitCode: 127, dropped: 0 };
    const out = await new Deno.Command(shell[0], {
      args: [...shell.slice(1), command],
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return {
      output: dec.decode(out.stdout) + dec.decode(out.stderr),
      exitCode: out.code,
      dropped: 0,
    };
  };
}

function randomBytes(n: number, seed: number): Uint8Array {
  const next = prng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

async function roundTrip(run: RunCommand, expectAlgorithm: "sha256" | "md5") {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-files-" });
  try {
    const data = randomBytes(100_000, 11); // several chunks each way (32 KiB a chunk read)
    const remote = `${dir}/it's a file.bin`; // a quote in the path
    const put = await putFile(run, linuxDialect, data, remote);
    assert.equal(put.algorithm, expectAlgorithm);
    assert.deepEqual(await Deno.readFile(remote), data);
    const got = await getFile(run, linuxDialect, remote);
    assert.deepEqual(got.data, data);
    assert.equal(got.hash, put.hash);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["it's a file.bin"]);
    const missing = await getFile(run, linuxDialect, `${dir}/nope`).catch((e) => e);
    assert.ok(missing instanceof FileTransferError && missing.reason === "remote", String(missing));
    const isDir = await putFile(run, linuxDialect, data, dir).catch((e) => e);
    assert.ok(
      isDir instanceof FileTransferError && /Is a directory/.test(isDir.message),
      String(isDir),
    );
    // the empty file
    await putFile(run, linuxDialect, new Uint8Array(0), `${dir}/empty`);
    assert.equal((await getFile(run, linuxDialect, `${dir}/empty`)).data.length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "busybox: base64, sha256sum, tee, dd, wc, mv as the copy uses them",
  ignore: skipUnless(hasBusybox, "busybox"),
  fn: () => roundTrip(runWith(["busybox", "sh", "-c"]), "sha256"),
});

Deno.test({
  name: "busybox without sha256sum: the copy falls back to md5sum",
  ignore: skipUnless(hasBusybox, "busybox"),
  fn: () => roundTrip(runWith(["busybox", "sh", "-c"], /^sha256sum/), "md5"),
});

Deno.test("sh and coreutils: the same copy", () => roundTrip(runWith(["sh", "-c"]), "sha256"));

/** A relative path that starts with a dash, put and got in a directory of its own. */
async function dashPath(shell: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-files-" });
  try {
    const run = runWith(shell, undefined, dir);
    const data = randomBytes(1000, 12);
    await putFile(run, linuxDialect, data, "-n");
    assert.deepEqual(await Deno.readFile(`${dir}/-n`), data);
    assert.deepEqual((await getFile(run, linuxDialect, "-n")).data, data);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["-n"]); // no temporary left
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "busybox: a remote path starting with a dash is a file, not an option",
  ignore: skipUnless(hasBusybox, "busybox"),
  fn: () => dashPath(["busybox", "sh", "-c"]),
});

Deno.test("sh and coreutils: a remote path starting with a dash is a file, not an option", () =>
  dashPath(["sh", "-c"]));
