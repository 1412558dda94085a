// Copyright 2026 the xenpv authors. MIT license.
// examples/run.ts and examples/netsh.ts as users run them, in subprocesses
// with the permissions their docs name.
import assert from "node:assert/strict";
import { runDeno } from "../_peers.ts";

const RUN = new URL("../../examples/run.ts", import.meta.url).pathname;
const NETSH = new URL("../../examples/netsh.ts", import.meta.url).pathname;
/** All the CLIs need: the credentials in the environment are read through libc. */
const PERMS = ["--allow-ffi"];

Deno.test("run.ts: prints the output and exits with the command's status", async () => {
  const win = await runDeno([
    ...PERMS,
    RUN,
    "--simulate",
    "windows",
    "--",
    "echo",
    "hi&",
    "cmd",
    "/c",
    "exit",
    "7",
  ], "");
  assert.equal(win.out, "hi\n");
  assert.equal(win.code, 7, win.err);
  const linux = await runDeno([...PERMS, RUN, "--simulate", "linux", "--", "echo $?; false"], "");
  assert.equal(linux.out, "0\n");
  assert.equal(linux.code, 1, linux.err);
});

Deno.test("run.ts: no Xen host, no command: clear messages, status 255", async () => {
  const noXen = await runDeno([...PERMS, RUN, "win10", "--", "ver"], "");
  assert.equal(noXen.code, 255);
  assert.match(noXen.err, /^run: no Xen here/); // before asking for credentials
  const usage = await runDeno([...PERMS, RUN, "--simulate", "windows"], "");
  assert.equal(usage.code, 255);
  assert.match(usage.err, /^run: which command\?.*\(try --help\)$/m);
});

Deno.test("netsh.ts: the simulated guest's global IPv4 parameters as JSON", async () => {
  const r = await runDeno([...PERMS, NETSH, "--simulate"], "");
  assert.equal(r.code, 0, r.err);
  const table = JSON.parse(r.out);
  assert.equal(table["Default Hop Limit"], "128 hops");
  assert.equal(table["Reassembly Limit"], "33420160 bytes");
  assert.equal(table["Source Routing Behavior"], "dontforward");
  assert.equal(Object.keys(table).length, 16);
});

Deno.test("run.ts: a failing status never becomes 0: outside 1-253 it is 254, the real one on stderr", async () => {
  for (
    const [command, status] of [
      ["cmd /c exit 254", "254"], // 254 and 255 are run.ts's own: a command's is out of range
      ["cmd /c exit 255", "255"],
      ["cmd /c exit 256", "256"],
      ["cmd /c exit -5", "-5"],
      ["nosuchcommand", "9009"],
    ]
  ) {
    const r = await runDeno([...PERMS, RUN, "--simulate", "windows", "--", command], "");
    assert.equal(r.code, 254, `${command}: ${r.err}`);
    assert.match(r.err, new RegExp(`^run: the command exited with status ${status}$`, "m"));
  }
  const own = await runDeno([...PERMS, RUN, "--simulate", "windows", "--", "cmd /c exit 253"], "");
  assert.equal(own.code, 253, own.err);
});

Deno.test("run.ts: the command may follow the domain without --", async () => {
  const r = await runDeno([...PERMS, RUN, "--simulate", "windows", "ver"], "");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Microsoft Windows \[Version/);
  // after the domain, words starting with "-" are the command's
  const dashes = await runDeno([...PERMS, RUN, "--simulate", "windows", "echo", "-n", "--x"], "");
  assert.equal(dashes.code, 0, dashes.err);
  assert.equal(dashes.out, "-n --x\n");
});

Deno.test("run.ts, netsh.ts: bad options are one-line errors with status 255, no stack trace", async () => {
  for (
    const args of [
      [RUN, "--bogus", "--", "ver"],
      [RUN, "--timeout", "1e3", "--simulate", "--", "ver"],
      [RUN, "--timeout", "", "--simulate", "--", "ver"],
      [RUN, "--dialect", "vms", "--simulate", "--", "ver"],
      [NETSH, "--bogus"],
      [NETSH, "--simulate", "linux"],
      [NETSH, "a", "b"],
    ]
  ) {
    const r = await runDeno([...PERMS, ...args], "");
    assert.equal(r.code, 255, `${args.slice(1)}: ${r.err}`);
    assert.match(r.err, /^(run|netsh): .*\(try --help\)\n$/, `${args.slice(1)}`);
  }
});

Deno.test("netsh.ts: no Xen host is said before credentials are asked for", async () => {
  const r = await runDeno([...PERMS, NETSH, "3"], "");
  assert.equal(r.code, 255);
  assert.match(r.err, /^netsh: no Xen here/);
  assert.doesNotMatch(r.err, /XENPV_USER/);
});

Deno.test("run.ts: credentials come from the environment with --allow-ffi alone", async () => {
  const bad = await runDeno(
    [...PERMS, RUN, "--simulate", "windows", "--user", "Administrator", "--", "ver"],
    "",
    {
      XENPV_PASSWORD: "not-the-password",
    },
  );
  assert.equal(bad.code, 255, bad.err);
  assert.match(bad.err, /^run: login as "Administrator" failed/);
  assert.doesNotMatch(bad.err, /not-the-password/);
  const user = await runDeno(
    [...PERMS, RUN, "--simulate", "windows", "--user", "User", "--", "echo", "%USERNAME%"],
    "",
    { XENPV_PASSWORD: "user" },
  );
  assert.equal(user.code, 0, user.err);
  assert.equal(user.out, "User\n");
});

Deno.test("run.ts --simulate: the simulated guest's own account, whatever XENPV_USER says (the README's recipe order)", async () => {
  const env = { XENPV_USER: "Administrator", XENPV_PASSWORD: "the-real-guests-password" };
  const r = await runDeno([...PERMS, RUN, "--simulate", "linux", "--", "ls /etc; false"], "", env);
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /hostname/);
  const help = await runDeno([...PERMS, RUN, "--help"], "");
  assert.match(help.out, /root \/ xenpv/); // the accounts are in --help
});

Deno.test("run.ts --simulate --user: credentials as for a real guest, so a missing password is said", async () => {
  assert.equal(Deno.env.get("XENPV_PASSWORD"), undefined, "this test needs XENPV_PASSWORD unset");
  assert.equal(Deno.env.get("XENPV_PASSWORD_FILE"), undefined);
  const r = await runDeno(
    [...PERMS, RUN, "--simulate", "windows", "--user", "User", "--", "ver"],
    "",
  );
  assert.equal(r.code, 255, r.err);
  assert.match(
    r.err,
    /^run: no password for "User": set XENPV_PASSWORD_FILE or XENPV_PASSWORD, or give --password-file \(try --help\)\n$/,
  );
});

/** A temporary password file holding `text` with `mode`. */
async function passwordFile(text: string, mode = 0o600): Promise<string> {
  const path = await Deno.makeTempFile();
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, mode);
  return path;
}

Deno.test("run.ts, netsh.ts: --password-file and XENPV_PASSWORD_FILE, refused when others may read them", async () => {
  const good = await passwordFile("user\n");
  const open = await passwordFile("xenpv-s3cret\n", 0o644);
  try {
    const flag = await runDeno(
      [
        ...PERMS,
        RUN,
        "--simulate",
        "windows",
        "--user",
        "User",
        "--password-file",
        good,
        "--",
        "echo %USERNAME%",
      ],
      "",
      { XENPV_PASSWORD: "wrong", XENPV_PASSWORD_FILE: open }, // the flag wins over both
    );
    assert.equal(flag.code, 0, flag.err);
    assert.equal(flag.out, "User\n");
    const env = await runDeno(
      [...PERMS, RUN, "--simulate", "windows", "--password-file", good, "--", "echo %USERNAME%"],
      "",
      { XENPV_USER: "User" }, // with --password-file the user comes from XENPV_USER
    );
    assert.equal(env.code, 0, env.err);
    assert.equal(env.out, "User\n");
    const file = await runDeno(
      [...PERMS, RUN, "--simulate", "windows", "--user", "User", "--", "echo %USERNAME%"],
      "",
      { XENPV_PASSWORD: "wrong", XENPV_PASSWORD_FILE: good }, // the file wins over the variable
    );
    assert.equal(file.code, 0, file.err);
    for (
      const [args, env] of [
        [
          [RUN, "--simulate", "windows", "--user", "User", "--password-file", open, "--", "ver"],
          {},
        ],
        [[RUN, "--simulate", "windows", "--user", "User", "--", "ver"], {
          XENPV_PASSWORD_FILE: open,
        }],
        [[NETSH, "--simulate", "--user", "User", "--password-file", open], {}],
      ] as const
    ) {
      const r = await runDeno([...PERMS, ...args], "", env);
      assert.equal(r.code, 255, r.err);
      assert.match(r.err, /^(run|netsh): password file .* mode 0644: .*chmod 600.*\n$/);
      assert.doesNotMatch(r.err + r.out, /s3cret/);
    }
  } finally {
    await Deno.remove(good);
    await Deno.remove(open);
  }
});

Deno.test("README's exit-status table and every --help say a command's own `exit N` is its status", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const table = readme.slice(readme.indexOf("| status"), readme.indexOf("## Use it as a library"));
  assert.match(table, /`exit N`/);
  for (const cli of [RUN, NETSH]) {
    const help = await runDeno([...PERMS, cli, "--help"], "");
    assert.match(help.out, /exit N/, cli);
  }
});

Deno.test("--simulate: its dialect is its value; the guest may then be named (win1, deb1) or left out", async () => {
  for (
    const args of [
      ["--simulate", "windows", "win1", "ver"],
      ["win1", "--simulate", "windows", "ver"],
      ["--simulate", "win1", "--", "ver"],
      ["--simulate=windows", "ver"],
      ["--simulate", "windows", "ver"],
    ]
  ) {
    const r = await runDeno([...PERMS, RUN, ...args], "");
    assert.equal(r.code, 0, `${args}: ${r.err}`);
    assert.match(r.out, /^\r?\n?Microsoft Windows \[Version/, `${args}`);
  }
  const linux = await runDeno([...PERMS, RUN, "deb1", "--simulate", "--", "hostname"], "");
  assert.equal(linux.code, 0, linux.err);
  assert.equal(linux.out, "deb1\n");
});

Deno.test("--simulate: a guest that is not simulated is a usage error naming the simulated guests", async () => {
  for (
    const args of [
      [RUN, "--simulate", "windows", "win2", "--", "ver"],
      [RUN, "--simulate", "linux", "win1", "--", "ver"],
      [RUN, "--simulate=vms", "--", "ver"],
      [RUN, "--dialect", "linux", "--simulate", "windows", "--", "ver"],
      [NETSH, "--simulate", "deb1"],
      [NETSH, "--simulate", "web01"],
    ]
  ) {
    const r = await runDeno([...PERMS, ...args], "");
    assert.equal(r.code, 255, `${args.slice(1)}: ${r.err}`);
    assert.match(r.err, /^(run|netsh): [^\n]*win1[^\n]*\(try --help\)\n$/, `${args.slice(1)}`);
  }
});

Deno.test("run.ts --json: one JSON object on stdout, the exit status unchanged", async () => {
  const r = await runDeno(
    [...PERMS, RUN, "--json", "--simulate", "linux", "--", "echo hi; false"],
    "",
  );
  assert.equal(r.code, 1, r.err);
  assert.equal(r.out.split("\n").length, 2, r.out); // one line, and its end
  const result = JSON.parse(r.out);
  assert.deepEqual(Object.keys(result), ["guest", "command", "exitCode", "output", "durationMs"]);
  assert.equal(result.guest, "deb1");
  assert.equal(result.command, "echo hi; false");
  assert.equal(result.exitCode, 1);
  assert.equal(result.output, "hi\n");
  assert.ok(Number.isInteger(result.durationMs) && result.durationMs >= 0);

  const big = await runDeno([...PERMS, RUN, "win1", "--simulate", "--json", "cmd /c exit 256"], "");
  assert.equal(big.code, 254, big.err);
  assert.equal(JSON.parse(big.out).exitCode, 256);
});

Deno.test("run.ts --json: C1 controls and U+2028/U+2029 in the guest's output are escaped", async () => {
  // The simulated shell echoes them back; NEL (U+0085) and a CSI (U+009B)
  // that ends the output are not escape sequences, so they reach the JSON.
  const r = await runDeno(
    [...PERMS, RUN, "--json", "--simulate", "linux", "--", "echo a\u0085b\u2028c\u2029d é \u009b"],
    "",
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /"output":"a\\u0085b\\u2028c\\u2029d é \\u009b\\n"/);
  assert.doesNotMatch(r.out, /[\u0080-\u009f\u2028\u2029]/);
  assert.equal(JSON.parse(r.out).output, "a\u0085b\u2028c\u2029d é \u009b\n");
});

Deno.test("run.ts --json: a failure of xenpv's is a JSON error object too, with status 255", async () => {
  const noXen = await runDeno([...PERMS, RUN, "--json", "win10", "--", "ver"], "");
  assert.equal(noXen.code, 255);
  assert.match(noXen.err, /^run: no Xen here/); // stderr as without --json
  const failure = JSON.parse(noXen.out);
  assert.deepEqual(Object.keys(failure), ["guest", "command", "error"]);
  assert.equal(failure.guest, "win10");
  assert.equal(failure.command, "ver");
  assert.equal(failure.error.name, "SystemError");
  assert.match(failure.error.message, /^no Xen here: /);

  const usage = await runDeno([...PERMS, RUN, "--json", "--bogus", "--", "ver"], "");
  assert.equal(usage.code, 255);
  assert.deepEqual(JSON.parse(usage.out), {
    guest: null,
    command: null,
    error: { name: "UsageError", message: "unknown option --bogus (try --help)" },
  });
});
