// Copyright 2026 the xenpv authors. MIT license.
// The CLIs' failure messages say what went wrong, once, in one line: a
// missing file is not "no Xen here", every CLI's bad usage is one line and
// status 255, a signal is named once.

import assert from "node:assert/strict";
import { runDeno } from "../_peers.ts";
import { commandExit, EXIT, StopSignals } from "../../examples/_cli.ts";
import { inSession } from "../../examples/_guest.ts";

const example = (name: string) => new URL(`../../examples/${name}`, import.meta.url).pathname;

Deno.test("commandExit: 1-253 are the command's own; 254 and 255 (ours) and every other failure are 254", () => {
  assert.equal(commandExit(0), EXIT.ok);
  for (const status of [1, 7, 253]) assert.equal(commandExit(status), status);
  for (const status of [254, 255, 256, 9009, -5, -1, 1.5, NaN]) {
    assert.equal(commandExit(status), EXIT.outOfRange, String(status));
  }
  assert.notEqual(commandExit(255), EXIT.failed); // a command's 255 never reads as "xenpv failed"
});

Deno.test('a path that does not exist is said so, not "no Xen here"', async () => {
  const attach = await runDeno(
    ["--allow-ffi", example("attach.ts"), "--simulate", "windows", "--log", "/nonexistent/x.log"],
    "",
  );
  assert.equal(attach.code, 255, attach.err);
  assert.doesNotMatch(attach.err, /Xen/);
  assert.match(attach.err, /^attach: .*\/nonexistent\/x\.log.*no such file or directory/im);

  const serve = await runDeno(
    ["--allow-ffi", "--allow-net", example("serve.ts"), "--simulate", "--log-dir", "/nonexistent"],
    "",
  );
  assert.equal(serve.code, 255, serve.err);
  assert.doesNotMatch(serve.err, /Xen/);
  assert.match(
    serve.err,
    /^serve: .*\/nonexistent.*no such file or directory.*mkdir -p \/nonexistent/im,
  );

  // where Xen's own files are missing, it still says so
  const noXen = await runDeno(["--allow-ffi", example("attach.ts"), "7"], "");
  assert.equal(noXen.code, 255);
  assert.match(noXen.err, /^attach: no Xen here: /);
});

Deno.test("xenstored.ts: bad usage is one line and status 255, as every CLI's", async () => {
  for (const args of [["--bogus"], [], ["--socket"], ["extra", "--socket", "/tmp/x"]]) {
    const r = await runDeno(["--allow-ffi", example("xenstored.ts"), ...args], "");
    assert.equal(r.code, 255, `${args}: ${r.err}`);
    assert.match(r.err, /^xenstored: [^\n]*\(try --help\)\n$/, `${args}`);
  }
});

Deno.test("xenstored.ts: a stop signal exits 128 + its number, as every CLI's, its socket removed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130], ["SIGHUP", 129]] as const) {
      const socket = `${dir}/xs.sock`;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-ffi", example("xenstored.ts"), "--socket", socket],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = child.stdout.getReader();
      let out = "";
      while (!out.includes("listening")) { // its signal listeners are in place before this
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      reader.releaseLock();
      child.kill(signal);
      const r = await child.output();
      assert.equal(r.code, code, `${signal}: ${new TextDecoder().decode(r.stderr)}`);
      assert.equal(await Deno.lstat(socket).then(() => true, () => false), false, signal);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('a stop signal is named once: "run: stopped by SIGHUP"', async () => {
  const said: string[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => said.push(args.join(" "));
  try {
    using stop = new StopSignals();
    const code = await inSession(
      "run",
      { simulate: "linux", dialect: "linux", timeout: 60_000 },
      stop,
      () => stop.signal,
      async () => {
        const stopped = new Promise((resolve) => stop.signal.addEventListener("abort", resolve));
        Deno.kill(Deno.pid, "SIGHUP");
        await stopped;
        throw stop.signal.reason;
      },
    );
    assert.equal(code, 129);
  } finally {
    console.error = error;
  }
  assert.deepEqual(said, ["run: stopped by SIGHUP"]);
});
