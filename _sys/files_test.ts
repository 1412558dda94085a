// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { SystemError } from "../errors.ts";
import { readCheckedFile, writeFileReplacing } from "./files.ts";

Deno.test("readCheckedFile: a bound far above the file's size reads it (the buffer is the file's size, not the bound's)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/small`, new Uint8Array([1, 2, 3, 4, 5]));
    // cp.ts --max-bytes takes up to 15 digits: a buffer of the bound could not be allocated.
    const data = readCheckedFile(`${dir}/small`, 2 ** 40, () => {});
    assert.deepEqual(data, new Uint8Array([1, 2, 3, 4, 5]));
    // One byte more than the bound, so the caller can tell; an empty file is empty.
    assert.equal(readCheckedFile(`${dir}/small`, 3, () => {}).length, 4);
    assert.equal(readCheckedFile(`${dir}/small`, 5, () => {}).length, 5);
    await Deno.writeFile(`${dir}/empty`, new Uint8Array());
    assert.equal(readCheckedFile(`${dir}/empty`, 2 ** 40, () => {}).length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCheckedFile: a file whose size says 0 (as /proc's do) is read whole", () => {
  const data = readCheckedFile("/proc/self/status", 1 << 20, () => {});
  assert.match(new TextDecoder().decode(data), /^Name:/);
});

Deno.test("writeFileReplacing: a directory at the path is named, with the fix, and nothing is left beside it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/out`);
    assert.throws(
      () => writeFileReplacing(`${dir}/out`, new Uint8Array([1])),
      (e) =>
        e instanceof SystemError && e.code === "EISDIR" &&
        /is a directory: name a file/.test(e.message) &&
        !e.message.includes(".xpv-"),
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileReplacing: the file is created 0600, whatever the umask (a guest's /etc/shadow may come this way)", async () => {
  const dir = await Deno.makeTempDir();
  const old = Deno.umask(0o022);
  try {
    writeFileReplacing(`${dir}/shadow`, new Uint8Array([1, 2]));
    assert.equal((await Deno.stat(`${dir}/shadow`)).mode! & 0o777, 0o600);
    // Replacing a file that was readable by others: the new one is not.
    await Deno.writeFile(`${dir}/old`, new Uint8Array([3]), { mode: 0o644 });
    await Deno.chmod(`${dir}/old`, 0o644);
    writeFileReplacing(`${dir}/old`, new Uint8Array([4]));
    assert.equal((await Deno.stat(`${dir}/old`)).mode! & 0o777, 0o600);
  } finally {
    Deno.umask(old);
    await Deno.remove(dir, { recursive: true });
  }
});
