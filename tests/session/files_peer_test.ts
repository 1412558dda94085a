// Copyright 2026 the xenpv authors. MIT license.
// The Linux copy commands against the real tools, not our simulation of
// them: busybox's (as the e2e guests and minimal images have them) and this
// machine's coreutils under sh. Each step runs as `sh -c` in a process of
// its own, its output and status handed back as run() would; the copy's flow
// is the library's own (putFile/getFile of xencons/_file_transfer.ts).

import assert from "node:assert/strict";
import { getFile, putFile, type RunCommand } from "../../xencons/_file_transfer.ts";
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

/**
 * A guest user who can write the remote file's directory (no sticky bit, as
 * /home/alice) watches `ps` for the copy's temporary names and plants a
 * symlink at one, to a file of root's, before the copy writes there: the
 * copy must fail, and never write through it.
 */
async function plantedSymlink(shell: string[], which: "part" | "b64", target?: string) {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-files-" });
  const victim = `${dir}/victim`;
  await Deno.writeTextFile(victim, "root's file\n");
  const remote = `${dir}/home/notes.txt`;
  await Deno.mkdir(`${dir}/home`);
  const inner = runWith(shell);
  const planted: string[] = [];
  const run: RunCommand = async (command, options) => {
    // The part file when the decoding starts (the early check has passed), the b64 file at once.
    const m = /'([^']*\.xpv\w+)(\.b64)?'/.exec(command);
    if (m && planted.length === 0 && (which === "b64" || /base64 -d/.test(command))) {
      const tag = /\.xpv(\w+)/.exec(m[1])![1];
      const path = which === "part"
        ? `${remote}.xpv${tag}`
        : command.includes(`/tmp/.xpv${tag}.b64`)
        ? `/tmp/.xpv${tag}.b64`
        : `${remote}.xpv${tag}.b64`;
      await Deno.symlink(target ?? victim, path);
      planted.push(path);
    }
    return await inner(command, options);
  };
  try {
    const err = await putFile(run, linuxDialect, randomBytes(5000, 13), remote).catch((e) => e);
    assert.equal(planted.length, 1);
    assert.equal(await Deno.readTextFile(victim), "root's file\n");
    assert.ok(err instanceof FileTransferError && err.reason === "remote", String(err));
    assert.ok(!(await Deno.lstat(remote).catch(() => undefined)), "no remote file");
  } finally {
    for (const p of planted) await Deno.remove(p).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

for (
  const [name, shell] of [["busybox sh", ["busybox", "sh", "-c"]], ["dash", ["dash", "-c"]], [
    "bash",
    ["bash", "-c"],
  ]] as const
) {
  const ok = name === "busybox sh" ? hasBusybox : await have(shell[0], ["-c", "true"]);
  for (const which of ["part", "b64"] as const) {
    Deno.test({
      name: `${name}: a symlink planted at the ${which} file is not written through`,
      ignore: skipUnless(ok, shell[0]),
      fn: () => plantedSymlink([...shell], which),
    });
  }
  Deno.test({
    name: `${name}: a symlink planted at the part file to a device is not written to`,
    ignore: skipUnless(ok, shell[0]),
    fn: () => plantedSymlink([...shell], "part", "/dev/null"),
  });
}

/**
 * The guest's disk fills during a copy (here a file size limit, `ulimit -f`,
 * with SIGXFSZ ignored: the write fails as on a full disk): a failed write is
 * the guest's failure, named, not a chunk "corrupted on the console".
 */
async function fullDisk(shell: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-files-" });
  const inner = runWith(shell);
  // 100 blocks of 512 bytes: a few chunks of the 133 KB of base64 pass, then one fails.
  const run: RunCommand = (command, options) =>
    inner(`ulimit -f 100; trap '' XFSZ; ${command}`, options);
  try {
    const err = await putFile(run, linuxDialect, randomBytes(100_000, 14), `${dir}/big.bin`)
      .catch((e) => e);
    assert.ok(err instanceof FileTransferError && err.reason === "remote", String(err));
    assert.match(err.message, /writing chunk \d+ .*disk full/);
    assert.deepEqual([...Deno.readDirSync(dir)], []); // the part file never made, nor left
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "busybox: a write that fails (a full disk) fails the chunk, reason remote",
  ignore: skipUnless(hasBusybox, "busybox"),
  fn: () => fullDisk(["busybox", "sh", "-c"]),
});

Deno.test("dash: a write that fails (a full disk) fails the chunk, reason remote", () =>
  fullDisk(["dash", "-c"]));

/** A put that fails at its start (the remote directory is missing): nothing is left in /tmp. */
async function failedStart(shell: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-files-" });
  const inner = runWith(shell);
  const tags = new Set<string>();
  const run: RunCommand = (command, options) => {
    for (const m of command.matchAll(/\.xpv(\w+)/g)) tags.add(m[1]);
    return inner(command, options);
  };
  try {
    const err = await putFile(run, linuxDialect, randomBytes(10, 15), `${dir}/missing/x`)
      .catch((e) => e);
    assert.ok(err instanceof FileTransferError && err.reason === "remote", String(err));
    assert.equal(tags.size, 1);
    const [tag] = tags;
    assert.equal(await Deno.lstat(`/tmp/.xpv${tag}.b64`).catch(() => "gone"), "gone");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "busybox: a put into a missing directory leaves nothing in /tmp",
  ignore: skipUnless(hasBusybox, "busybox"),
  fn: () => failedStart(["busybox", "sh", "-c"]),
});

Deno.test("dash: a put into a missing directory leaves nothing in /tmp", () =>
  failedStart(["dash", "-c"]));
