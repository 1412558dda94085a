// Copyright 2026 the xenpv authors. MIT license.
// The fleet CLIs without their peers: conserver_cf.ts against a simulated
// dom0 whose xenstore holds hostile guest names (left out, said printably),
// bad usage (one line, 255), and run.ts --stdio's protocol.

import assert from "node:assert/strict";
import { runDeno } from "../_peers.ts";
import { example, Proc, simDom0 } from "./_procs.ts";
import { XenstoreClient } from "../../xenstore/mod.ts";

Deno.test("conserver_cf.ts: a guest name conserver.cf or sh would read otherwise is left out, said printably", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-cf-" });
  try {
    const socket = `${dir}/xs.sock`;
    await using dom0 = await simDom0("dom0", socket, ["web01:linux"], { firstDomid: 901 });
    // names a toolstack took from configs users wrote
    {
      await using xs = await XenstoreClient.connect({ path: socket });
      const names = ['x"; exec rm -rf / #', "-evil", "a\x1b[2Jb"];
      for (const [i, name] of names.entries()) {
        await xs.write(`/local/domain/${950 + i}/name`, name);
      }
    }
    const r = await runDeno(
      ["--allow-ffi", example("conserver_cf.ts"), "--master", "dom0a"],
      "",
      { XENSTORED_PATH: socket },
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^console web01 \{$/m);
    assert.equal(r.out.match(/^console /gm)?.length, 1, r.out);
    assert.match(r.err, /left out the guest "x"; exec rm -rf \/ #"/);
    assert.match(r.err, /left out the guest "-evil"/);
    assert.match(r.err, /left out the guest "a\\x1b\[2Jb"/); // no escape reaches the terminal
    void dom0;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("conserver_cf.ts, console_sockets.ts, sim_dom0.ts: bad usage is one line and status 255", async () => {
  const cases: [string, string[], RegExp][] = [
    ["conserver_cf.ts", [], /give --master HOST/],
    ["conserver_cf.ts", ["--master", "a b"], /--master takes a host name/],
    ["conserver_cf.ts", ["--master", "h", "--watch"], /--watch keeps a file current: give --out/],
    ["conserver_cf.ts", ["--master", "h", "--uds", "/a b"], /--uds takes a folder/],
    ["console_sockets.ts", [], /give --dir DIR/],
    ["console_sockets.ts", ["--dir", "/tmp/x", "--cf", "/tmp/x.cf"], /--cf needs --master/],
    ["sim_dom0.ts", ["--socket", "/tmp/x.sock", "web01"], /NAME:linux or NAME:windows/],
  ];
  for (const [cli, args, said] of cases) {
    const r = await runDeno(["--allow-ffi", example(cli), ...args], "");
    assert.equal(r.code, 255, `${cli} ${args.join(" ")}: ${r.err}`);
    assert.match(r.err, said);
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
  }
});

Deno.test("run.ts --stdio: one login, JSON lines both ways, a bad request answered, logout at the end", async () => {
  const requests = [
    '{"command": "X=one-login"}',
    "not json",
    '{"command": "echo $X; ls /nowhere"}',
    '{"command": ""}',
    '{"command": "exit 4"}',
    '{"command": "echo never"}',
  ].join("\n");
  const r = await runDeno(
    ["--allow-ffi", example("run.ts"), "--stdio", "--simulate", "linux"],
    `${requests}\n`,
  );
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines[0], { ready: true, guest: "deb1" });
  assert.equal(lines[1].exitCode, 0);
  assert.equal(lines[2].error.name, "UsageError");
  assert.equal(lines[3].exitCode, 2);
  assert.match(lines[3].output, /^one-login\nls: cannot access '\/nowhere': No such file/);
  assert.equal(lines[4].error.name, "UsageError");
  assert.equal(lines[5].exitCode, 4);
  assert.equal(lines[5].ended, true); // exit 4 ended the shell: run.ts exits 0 after it
  assert.equal(lines.length, 6);
});

Deno.test("run.ts --password-stdin: the password from stdin's first line, with --user only", async () => {
  const ok = await runDeno(
    [
      ...["--allow-ffi", example("run.ts"), "--stdio", "--simulate", "windows"],
      ...["--user", "User", "--password-stdin"],
    ],
    'user\n{"command": "whoami"}\n',
    { XENPV_PASSWORD: "wrong" }, // stdin wins
  );
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /"output":"win1\\\\user\\n"/);
  const bad = await runDeno(
    ["--allow-ffi", example("run.ts"), "--stdio", "--simulate", "linux", "--password-stdin"],
    "xenpv\n",
  );
  assert.equal(bad.code, 255);
  assert.match(bad.err, /--password-stdin takes the user from --user/);
  const refused = await runDeno(
    [
      ...["--allow-ffi", example("run.ts"), "--stdio", "--simulate", "linux"],
      ...["--user", "root", "--password-stdin"],
    ],
    "not-the-password\n",
  );
  assert.equal(refused.code, 255);
  assert.match(refused.err, /login as "root" failed/);
  assert.doesNotMatch(refused.out + refused.err, /not-the-password/);
});

Deno.test("console_sockets.ts --shard: two processes split a dom0's guests, each served once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-shard-" });
  try {
    const socket = `${dir}/xs.sock`;
    const guests = ["a1", "b2", "c3", "d4", "e5", "f6"];
    await using dom0 = await simDom0("dom0", socket, guests.map((g) => `${g}:linux`), {
      firstDomid: 1401,
    });
    void dom0;
    const served: string[][] = [];
    for (const k of [1, 2]) {
      await using shard = new Proc(`shard ${k}`, Deno.execPath(), [
        ...["run", "--allow-ffi", "--allow-net", "--allow-read", "--allow-write"],
        ...[example("console_sockets.ts"), "--dir", `${dir}/s${k}`, "--shard", `${k}/2`],
      ], { env: { XENSTORED_PATH: socket } });
      await shard.waitFor(/console\(s\)/);
      served.push([...Deno.readDirSync(`${dir}/s${k}`)].map((e) => e.name).sort());
    }
    assert.ok(served[0].length > 0 && served[1].length > 0, JSON.stringify(served));
    assert.deepEqual([...served[0], ...served[1]].sort(), guests);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
