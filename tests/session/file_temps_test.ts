// Copyright 2026 the xenpv authors. MIT license.
// A copy's temporary files on the guest are named so that a guest user cannot
// guess them: not from the command markers typed before (which anyone on the
// guest may see in `ps`), not from another copy's.

import assert from "node:assert/strict";
import { linuxDialect, type RunResult, windowsDialect } from "../../xencons/mod.ts";
import { getFile, putFile, type RunCommand } from "../../xencons/_file_transfer.ts";
import { newTag } from "../../xencons/_session_util.ts";

/** The temporary name part of each copy's first command (that then fails). */
async function tempTags(dialect: typeof linuxDialect, remote: string, n: number) {
  const tags: string[] = [];
  const run: RunCommand = (command) => {
    const tag = /\.xpv(\w+)\.b64/.exec(command)?.[1];
    // each copy's tag once (a failed copy's cleanup names it again)
    if (tag !== undefined && !tags.includes(tag)) tags.push(tag);
    const result: RunResult = { output: "", exitCode: tag === undefined ? 0 : 1, dropped: 0 };
    return Promise.resolve(result);
  };
  for (let i = 0; i < n; i++) {
    await putFile(run, dialect, new Uint8Array(3), remote).catch(() => {});
  }
  return tags;
}

for (
  const [dialect, remote] of [[linuxDialect, "/home/alice/x"], [windowsDialect, "C:\\x"]] as const
) {
  Deno.test(`${dialect.name}: a copy's temporary names are not guessable from a marker seen before`, async () => {
    const seen = newTag(); // a marker the guest saw: XPV, this process' 4 characters, a counter
    const tags = await tempTags(dialect, remote, 3);
    assert.equal(tags.length, 3);
    for (const tag of tags) {
      assert.ok(!tag.startsWith(seen.slice(0, 7)), `${tag} follows the markers' ${seen}`);
      assert.ok(tag.length >= 16, `${tag}: too few random characters`);
    }
    assert.equal(new Set(tags).size, 3);
  });
}

Deno.test("putFile/getFile: a stepTimeout that AbortSignal.timeout cannot take is a RangeError naming it", async () => {
  const run: RunCommand = () => Promise.reject(new Error("no command should run"));
  for (const stepTimeout of [Infinity, 2 ** 60, NaN, 0]) {
    await assert.rejects(
      putFile(run, linuxDialect, new Uint8Array(1), "/root/x", { stepTimeout }),
      (e) => e instanceof RangeError && /stepTimeout/.test(e.message),
      String(stepTimeout),
    );
    await assert.rejects(
      getFile(run, linuxDialect, "/root/x", { stepTimeout }),
      (e) => e instanceof RangeError && /stepTimeout/.test(e.message),
      String(stepTimeout),
    );
  }
});

Deno.test("windows: a remote path with ! is a RangeError naming delayed expansion, before anything is sent", async () => {
  const run: RunCommand = () => Promise.reject(new Error("no command should run"));
  const remote = "C:\\logs\\done!.txt";
  await assert.rejects(
    putFile(run, windowsDialect, new Uint8Array(1), remote),
    (e) => e instanceof RangeError && /!/.test(e.message) && /DelayedExpansion/.test(e.message),
  );
  await assert.rejects(
    getFile(run, windowsDialect, remote),
    (e) => e instanceof RangeError && /DelayedExpansion/.test(e.message),
  );
  // Linux takes it (single-quoted there).
  const linux: RunCommand = () => Promise.resolve({ output: "", exitCode: 1, dropped: 0 });
  const err = await putFile(linux, linuxDialect, new Uint8Array(1), "/root/done!.txt").catch((e) =>
    e
  );
  assert.ok(!(err instanceof RangeError), String(err));
});
