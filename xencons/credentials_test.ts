// Copyright 2026 the xenpv authors. MIT license.
// A password from a file, as ssh takes a private key: only a regular file of
// the user's own that nobody else may read or write, never through a symlink;
// the password never in a message.

import assert from "node:assert/strict";
import { credentialsFromEnv, passwordFromFile } from "./credentials.ts";
import { PasswordFileError } from "./errors.ts";

const SECRET = "hunter2-s3cret";

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function writeSecret(path: string, text: string, mode = 0o600): Promise<void> {
  await Deno.writeTextFile(path, text, { mode });
  await Deno.chmod(path, mode); // whatever the umask
}

/** The refusal of `path`, checked to carry no password. */
function refusal(path: string): PasswordFileError {
  try {
    passwordFromFile(path);
  } catch (err) {
    assert.ok(err instanceof PasswordFileError, String(err));
    assert.equal(err.path, path);
    assert.ok(!err.message.includes(SECRET), err.message);
    assert.ok(!err.message.includes("\n"), err.message);
    return err;
  }
  assert.fail(`${path} was accepted`);
}

Deno.test("passwordFromFile: the file's one line, a trailing newline stripped", async () => {
  await inTempDir(async (dir) => {
    for (const text of [SECRET, `${SECRET}\n`, `${SECRET}\r\n`]) {
      await writeSecret(`${dir}/pw`, text);
      assert.equal(passwordFromFile(`${dir}/pw`), SECRET, JSON.stringify(text));
    }
    await writeSecret(`${dir}/pw`, " spaces kept \t\n", 0o400);
    assert.equal(passwordFromFile(`${dir}/pw`), " spaces kept \t");
  });
});

Deno.test("passwordFromFile: refused when group or others may read or write it", async () => {
  await inTempDir(async (dir) => {
    for (const mode of [0o644, 0o640, 0o620, 0o602, 0o604, 0o660]) {
      await writeSecret(`${dir}/pw`, `${SECRET}\n`, mode);
      const err = refusal(`${dir}/pw`);
      assert.equal(err.reason, "too-open", mode.toString(8));
      assert.match(err.message, /chmod 600/);
      assert.match(err.message, new RegExp(`0${mode.toString(8)}`));
    }
  });
});

Deno.test("passwordFromFile: refused when not a regular file, a symlink, missing or not the user's", async () => {
  await inTempDir(async (dir) => {
    await writeSecret(`${dir}/pw`, SECRET);
    await Deno.symlink(`${dir}/pw`, `${dir}/link`);
    assert.equal(refusal(`${dir}/link`).reason, "unreadable");
    assert.match(refusal(`${dir}/link`).message, /symlink/);
    assert.equal(refusal(`${dir}/missing`).reason, "unreadable");
    assert.equal(refusal(dir).reason, "not-regular");
    assert.equal(refusal("/dev/null").reason, "not-regular");
    if (Deno.uid() === 0) {
      await Deno.chown(`${dir}/pw`, 65534, 65534);
      const err = refusal(`${dir}/pw`);
      assert.equal(err.reason, "not-owner");
      assert.match(err.message, /owned by uid 65534/);
    } else {
      assert.equal(refusal("/etc/passwd").reason, "not-owner");
    }
  });
});

Deno.test("passwordFromFile: refused when it holds no password: empty, several lines, huge, not UTF-8", async () => {
  await inTempDir(async (dir) => {
    for (const text of ["", "\n", `${SECRET}\nsecond`, `${SECRET}\n\n`, "x".repeat(5000)]) {
      await writeSecret(`${dir}/pw`, text);
      assert.equal(
        refusal(`${dir}/pw`).reason,
        "not-a-password",
        JSON.stringify(text.slice(0, 20)),
      );
    }
    await Deno.writeFile(`${dir}/pw`, new Uint8Array([0x68, 0xff, 0x0a]), { mode: 0o600 });
    assert.equal(refusal(`${dir}/pw`).reason, "not-a-password");
  });
});

Deno.test("credentialsFromEnv: an empty passwordFile is a TypeError, never XENPV_PASSWORD instead", () => {
  assert.throws(
    () => credentialsFromEnv({ passwordFile: "" }),
    (e) => e instanceof TypeError && /passwordFile/.test(e.message),
  );
});
