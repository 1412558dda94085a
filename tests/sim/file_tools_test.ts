// Copyright 2026 the xenpv authors. MIT license.
// The simulated guests' file tools print what the real ones do, so that a
// script that works on them works on a real guest: coreutils/busybox base64
// (76 columns), sha256sum and md5sum (`<hex>  <name>`), dd's records on
// stderr, here-documents; certutil as Windows 10 prints it (Microsoft's
// docs and a real run: `Input Length = N`, the hash alone on its line,
// `CertUtil: -verb command completed successfully.`, `FAILED: 0x...` with
// the HRESULT as ERRORLEVEL), DEL's `Could Not Find` with ERRORLEVEL 0,
// MOVE's `1 file(s) moved.`, FINDSTR /R /N /B /C:.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { simulatedSession } from "../session/_simulated_session.ts";

// sha256("hello\n"), md5("hello\n"), as coreutils prints them.
const SHA = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
const MD5 = "b1946ac92492d2347c6235b4d2611184";

Deno.test("Linux: base64, sha256sum, md5sum, dd, tee, printf and mv as coreutils prints them", async () => {
  await using env = await simulatedSession("linux", { login: true });
  const run = async (line: string) => {
    const r = await env.session.run(line);
    return { out: r.output, status: r.exitCode };
  };
  assert.deepEqual(await run("echo hello > h; sha256sum h; md5sum < h"), {
    out: `${SHA}  h\n${MD5}  -\n`,
    status: 0,
  });
  assert.deepEqual(await run("sha256sum nope"), {
    out: "sha256sum: nope: No such file or directory\n",
    status: 1,
  });
  // base64 wraps at 76 columns; -d takes it back, line ends and all
  const a61 = "a".repeat(61);
  const b64 = btoa(a61); // 84 characters
  const wrapped = await run(`printf '%s' '${a61}' | base64`);
  assert.equal(wrapped.out, `${b64.slice(0, 76)}\n${b64.slice(76)}\n`);
  assert.equal((await run("echo hello | base64 | base64 -d")).out, "hello\n");
  assert.deepEqual(await run("echo '!!!' | base64 -d"), {
    out: "base64: invalid input\n",
    status: 1,
  });
  // bytes survive a file and a pipe: 0x00 and 0xff, hashed as bytes
  await run("printf '%s' AP8AgA== | base64 -d > bin");
  assert.equal((await run("wc -c < bin")).out, "4\n");
  assert.equal((await run("base64 bin")).out, "AP8AgA==\n");
  assert.equal((await run("dd if=bin bs=2 skip=1 count=1 2>/dev/null | base64")).out, "AIA=\n");
  assert.equal(
    (await run("dd if=bin bs=3 count=1 | base64")).out,
    "1+0 records in\n1+0 records out\n3 bytes (3 B) copied, 0.000120 s, 0 B/s\nAP8A\n",
  );
  assert.equal(
    (await run("printf '%s\\n' a b | tee -a t | sha256sum; cat t")).out.split("\n")[1],
    "a",
  );
  assert.equal((await run("mv -f t u && cat u && ls t")).status, 2);
  assert.deepEqual(await run("printf '%s-%d\\n' x 7"), { out: "x-7\n", status: 0 });
});

Deno.test("Linux: here-documents, quoted (taken as is) or not ($NAME expanded)", async () => {
  await using env = await simulatedSession("linux", { login: true });
  const r = await env.session.run(
    "cat <<'EOF' > doc\n$HOME is\n  kept\nEOF\ncat doc; cat <<EOF\nhome=$HOME\nEOF",
  );
  assert.deepEqual(r, { output: "$HOME is\n  kept\nhome=/root\n", exitCode: 0, dropped: 0 });
  const tabs = await env.session.run("base64 -d <<-X | sha256sum\n\taGVsbG8K\n\tX");
  assert.equal(tabs.output, `${SHA}  -\n`);
});

Deno.test("Windows: certutil -encode, -decode and -hashfile as Windows 10 prints them", async () => {
  await using env = await simulatedSession("windows", { login: true });
  const run = async (line: string) => {
    const r = await env.session.run(line);
    return { out: r.output, status: r.exitCode };
  };
  await run("echo hello> h.txt");
  assert.deepEqual(await run("certutil -hashfile h.txt SHA256"), {
    // of "hello\r\n": what echo wrote
    out: `SHA256 hash of h.txt:\n${createHash("sha256").update("hello\r\n").digest("hex")}` +
      "\nCertUtil: -hashfile command completed successfully.\n",
    status: 0,
  });
  assert.deepEqual(await run("certutil -hashfile nope.txt SHA256"), {
    out: "CertUtil: -hashfile command FAILED: 0x80070002 (WIN32: 2 ERROR_FILE_NOT_FOUND)\n" +
      "CertUtil: The system cannot find the file specified.\n",
    status: -2147024894,
  });
  assert.deepEqual(await run("certutil -encode h.txt h.b64"), {
    out:
      "Input Length = 7\nOutput Length = 70\nCertUtil: -encode command completed successfully.\n",
    status: 0,
  });
  assert.equal(
    (await run("type h.b64")).out,
    "-----BEGIN CERTIFICATE-----\naGVsbG8NCg==\n-----END CERTIFICATE-----\n",
  );
  assert.deepEqual(await run("certutil -encode h.txt h.b64"), {
    out:
      "Input Length = 7\nCertUtil: -encode command FAILED: 0x80070050 (WIN32: 80 ERROR_FILE_EXISTS)\n" +
      "CertUtil: The file exists.\n",
    status: -2147024816,
  });
  assert.equal(
    (await run("certutil -f -decode h.b64 back.txt")).out.split("\n")[1],
    "Output Length = 7",
  );
  assert.equal((await run("type back.txt")).out, "hello\n");
  assert.equal(
    (await run("echo !!!> bad.b64& certutil -decode bad.b64 x.bin")).status,
    -2146893819,
  );
});

Deno.test("Windows: DEL, MOVE, prefix redirections and FINDSTR /R /N /B /C:", async () => {
  await using env = await simulatedSession("windows", { login: true });
  const run = async (line: string) => {
    const r = await env.session.run(line);
    return { out: r.output, status: r.exitCode };
  };
  assert.deepEqual(await run('>"a b.txt" echo AB12& >>"a b.txt" echo CD34& type "a b.txt"'), {
    out: "AB12\nCD34\n",
    status: 0,
  });
  assert.deepEqual(await run('findstr /r /n "^" "a b.txt"'), {
    out: "1:AB12\n2:CD34\n",
    status: 0,
  });
  await run('findstr /r /n "^" "a b.txt" > n.txt');
  assert.deepEqual(await run('findstr /r /b /c:"[0-9]:" n.txt'), {
    out: "1:AB12\n2:CD34\n",
    status: 0,
  });
  assert.deepEqual(await run('findstr /r /b /c:"1[0-9][0-9][0-9]:" n.txt'), { out: "", status: 1 });
  assert.deepEqual(await run("findstr C.3 n.txt"), { out: "2:CD34\n", status: 0 }); // a regex by default
  assert.deepEqual(await run('findstr /c:"C.3" n.txt'), { out: "", status: 1 }); // /C: is literal
  assert.deepEqual(await run('move /y "a b.txt" c.txt'), {
    out: "        1 file(s) moved.\n",
    status: 0,
  });
  assert.deepEqual(await run('move "a b.txt" d.txt'), {
    out: "The system cannot find the file specified.\n",
    status: 1,
  });
  // DEL: a missing file is named on stderr, and ERRORLEVEL stays 0 (as cmd's does)
  const del = await run("del /f /q nope.txt c.txt");
  assert.match(del.out, /^Could Not Find C:\\Users\\Administrator\\nope\.txt\n$/);
  assert.equal(del.status, 0);
  assert.equal((await run("dir /b")).out.includes("c.txt"), false);
});

Deno.test("Linux: ( ) subshells, set -C, exec 3>file, >&3 and /proc/self/fd/3 as dash has them", async () => {
  await using env = await simulatedSession("linux", { login: true });
  const run = async (line: string) => {
    const r = await env.session.run(line);
    return { out: r.output, status: r.exitCode };
  };
  // What dash 0.5 prints for the same lines (its messages start `dash: 1:`, not `-sh:`).
  assert.deepEqual(await run("echo hi > f; (set -C; echo x > f); echo s=$?; cat f"), {
    out: "-sh: cannot create f: File exists\ns=2\nhi\n",
    status: 0,
  });
  assert.deepEqual(
    await run("(set -C; exec 3>g && [ -f /proc/self/fd/3 ] && echo one >&3); echo s=$?; cat g"),
    { out: "s=0\none\n", status: 0 },
  );
  assert.deepEqual(await run("(set -C; exec 3>g)"), {
    out: "-sh: cannot create g: File exists\n",
    status: 2,
  });
  assert.deepEqual(await run("(set -C; exec 3>/dev/null && [ -f /proc/self/fd/3 ])"), {
    out: "",
    status: 1,
  });
  // The subshell's directory, variables, options and descriptors are its own.
  assert.deepEqual(await run("(cd /; x=1; set -C; exec 3>h); echo x=$x; pwd; echo y > f; cat f"), {
    out: "x=\n/root\ny\n",
    status: 0,
  });
  assert.deepEqual(await run("echo z >&3"), { out: "-sh: 3: Bad file descriptor\n", status: 2 });
  assert.deepEqual(await run("(exit 3) && echo no; echo s=$?"), { out: "s=3\n", status: 0 });
  assert.deepEqual(await run("set -C; echo z > f; echo s=$?; echo y >| f; set +C; cat f"), {
    out: "-sh: cannot create f: File exists\ns=2\ny\n",
    status: 0,
  });
});
