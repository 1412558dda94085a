// Copyright 2026 the xenpv authors. MIT license.
// ConsoleSession against both simulated guests through connect() and the
// simulated xenconsoled's pty: noise, stale backlog, slow guests, wrong
// passwords, elevation, ^C, long input, reboots.
import assert from "node:assert/strict";
import { connect } from "../../mod.ts";
import {
  type GuestProgram,
  linuxGuest,
  type LinuxGuestOptions,
  SimulatedHost,
  windowsGuest,
  type WindowsGuestOptions,
} from "../../sim/mod.ts";
import {
  CommandAbortedError,
  ConsoleSession,
  type ConsoleSessionOptions,
  LoginError,
  SessionEndedError,
  SessionStateError,
} from "../../xencons/mod.ts";

type Flavour = "windows" | "linux";
const ADMIN = {
  windows: { user: "Administrator", password: "xenpv" },
  linux: { user: "root", password: "xenpv" },
};

async function setup(
  flavour: Flavour,
  guestOptions: Partial<WindowsGuestOptions & LinuxGuestOptions> = {},
  sessionOptions: Partial<ConsoleSessionOptions> = {},
  wrap: (p: GuestProgram) => GuestProgram = (p) => p,
) {
  const host = new SimulatedHost();
  const guest = await host.createGuest({
    name: "g1",
    program: (o) =>
      wrap(
        flavour === "windows"
          ? windowsGuest({ ...o, ...guestOptions })
          : linuxGuest({ ...o, ...guestOptions }),
      ),
  });
  const open = async (follow = false) =>
    new ConsoleSession(await connect("g1", { host, follow }), {
      dialect: flavour,
      ownsConsole: true,
      timeout: 5000,
      ...sessionOptions,
    });
  return {
    host,
    guest,
    open,
    async [Symbol.asyncDispose]() {
      await host.close();
    },
  };
}

for (const flavour of ["windows", "linux"] as const) {
  Deno.test(`${flavour}: login, run with output and exit status, logout`, async () => {
    await using env = await setup(flavour);
    await using s = await env.open();
    assert.equal(s.state, "logged-out");
    await assert.rejects(s.run(`echo hi`), SessionStateError);
    await s.login(ADMIN[flavour]);
    assert.equal(s.state, "ready");
    assert.equal(s.user, ADMIN[flavour].user);
    assert.deepEqual(await s.run(`echo hello world`), {
      output: "hello world\n",
      exitCode: 0,
      dropped: 0,
    });
    const unknown = await s.run("frobnicate");
    assert.equal(unknown.exitCode, flavour === "windows" ? 9009 : 127);
    assert.match(
      unknown.output,
      flavour === "windows" ? /'frobnicate' is not recognized/ : /frobnicate: not found/,
    );
    if (flavour === "windows") {
      assert.equal((await s.run("cmd /c exit 3")).exitCode, 3);
      assert.equal((await s.run("echo after")).exitCode, 0, "ERRORLEVEL is cleared per command");
      assert.equal((await s.run("hostname")).output, "G1\n");
      assert.equal((await s.run("whoami")).output, "g1\\administrator\n");
    } else {
      assert.equal((await s.run("false")).exitCode, 1);
      assert.equal((await s.run("true")).exitCode, 0);
      assert.equal((await s.run("echo $?; false; echo $?")).output, "0\n1\n");
    }
    // Prompts and markers inside the output do not fool it.
    const tricky = flavour === "windows"
      ? "echo C:\\Users\\Administrator^> login: Password: & echo XPVFAKEE"
      : "echo 'root@g1:~# login: Password: '; echo XPVFAKEE:0";
    assert.match((await s.run(tricky)).output, /login: Password: /);
    await s.logout();
    assert.equal(s.state, "logged-out");
    await assert.rejects(s.run("echo x"), SessionStateError);
    assert.doesNotMatch(s.transcript.toString(), /xenpv/, "the password is redacted");
  });

  Deno.test(`${flavour}: a wrong password is a LoginError and the session stays usable`, async () => {
    await using env = await setup(flavour);
    await using s = await env.open();
    await assert.rejects(
      s.login({ user: ADMIN[flavour].user, password: "wrong" }),
      (e: unknown) => e instanceof LoginError && e.reason === "bad-credentials",
    );
    assert.equal(s.state, "logged-out");
    await s.login(ADMIN[flavour]);
    assert.equal((await s.run("echo ok")).output, "ok\n");
    assert.doesNotMatch(s.transcript.toString(), /wrong/);
  });

  Deno.test(`${flavour}: noisy and slow guest (driver/kernel lines mid-output, 3-byte pieces, latency)`, async () => {
    await using env = await setup(flavour, { noise: 0.5, chunk: 3, latency: 1, seed: 7 });
    await using s = await env.open();
    await s.login(ADMIN[flavour]);
    for (let i = 0; i < 15; i++) {
      const r = await s.run(`echo line${i} two words`);
      assert.deepEqual(r, { output: `line${i} two words\n`, exitCode: 0, dropped: 0 });
    }
    assert.match(
      s.transcript.toString(),
      flavour === "windows" ? /XEN[A-Z]+\|/ : /\[ +\d+\.\d+\]/,
      "noise really was there",
    );
  });

  Deno.test(`${flavour}: stale backlog from an earlier session (prompts, markers) is skipped`, async () => {
    // What the guest printed while nobody was attached, replayed by
    // xenconsoled on attach: old prompts, an old shell, old markers.
    let screen: { write(s: string): void } | undefined;
    await using env = await setup(flavour, {}, {}, (program) => ({
      ...program,
      start(c) {
        screen = { write: (t) => c.write(t) };
        program.start(c);
      },
    }));
    const prompt = flavour === "windows" ? "C:\\Users\\Administrator>" : "root@g1:~# ";
    screen!.write(
      `G1 login: Administrator\r\nPassword: \r\n${prompt}echo XPVOLD1B& x& echo XPVOLD1E\r\n` +
        `XPVOLD1B\r\nXPVOLD1E\r\n\r\n${prompt}Password: G1 login: ${prompt}`,
    );
    await new Promise((r) => setTimeout(r, 50));
    await using s = await env.open();
    await s.login(ADMIN[flavour]);
    assert.deepEqual(await s.run("echo fresh"), { output: "fresh\n", exitCode: 0, dropped: 0 });
    assert.match(s.transcript.toString(), /XPVOLD1B/, "the backlog was replayed");
  });

  Deno.test(`${flavour}: ^C interrupts a command and the session recovers; a timeout does the same`, async () => {
    await using env = await setup(flavour);
    await using s = await env.open();
    await s.login(ADMIN[flavour]);
    const long = flavour === "windows" ? "waitfor /t 30 never" : "sleep 30";
    const running = s.run(long);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(s.state, "busy");
    await s.interrupt();
    await assert.rejects(running, (e: unknown) => e instanceof CommandAbortedError && e.recovered);
    assert.equal(s.state, "ready");
    assert.equal((await s.run("echo back")).output, "back\n");
    await assert.rejects(
      s.run(long, { signal: AbortSignal.timeout(150) }),
      (e: unknown) =>
        e instanceof CommandAbortedError && e.recovered &&
        (e.cause as Error).name === "ExpectTimeoutError",
    );
    assert.equal((await s.run("echo again")).output, "again\n");
  });

  Deno.test(`${flavour}: a command line of 5 KiB gets through intact`, async () => {
    await using env = await setup(flavour, { chunk: 64 });
    await using s = await env.open();
    await s.login(ADMIN[flavour]);
    const payload = flavour === "windows"
      ? Array.from({ length: 500 }, (_, i) => `w${i}^&"q&${i}"`).join("")
      : Array.from({ length: 500 }, (_, i) => `w${i}"q;${i}"`).join("");
    const command = `echo ${payload}`;
    assert.ok(command.length >= 5120, `${command.length} characters`);
    const r = await s.run(command);
    const expected = flavour === "windows"
      ? payload.replaceAll("^&", "&")
      : payload.replaceAll('"', "");
    assert.equal(r.output, expected + "\n");
    assert.equal(r.exitCode, 0);
    assert.equal((await s.run("echo next")).output, "next\n");
  });

  Deno.test(`${flavour}: a reboot mid-command ends the session with SessionEndedError`, async () => {
    await using env = await setup(flavour);
    await using s = await env.open(true);
    await s.login(ADMIN[flavour]);
    const running = s.run(flavour === "windows" ? "waitfor /t 30 never" : "sleep 30");
    await new Promise((r) => setTimeout(r, 100));
    await env.guest.reboot();
    await assert.rejects(running, SessionEndedError);
    assert.equal(s.state, "logged-out");
    await s.login(ADMIN[flavour]);
    assert.equal((await s.run("echo reborn")).output, "reborn\n");
  });
}

Deno.test("windows: elevation is asked for limited accounts and answered as told", async () => {
  await using env = await setup("windows");
  await using s = await env.open();
  await s.login({ user: "User", password: "user", elevate: true });
  assert.match(s.transcript.toString(), /Running Elevated/);
  assert.equal((await s.run("whoami")).output, "g1\\user\n");
  await s.logout();
  s.transcript.clear();
  await s.login({ user: "User", password: "user" });
  assert.doesNotMatch(s.transcript.toString(), /Running Elevated/);
  assert.match(s.transcript.toString(), /> "no\\r"/);
});

Deno.test("windows: nested netsh prompt, and a session that says it is broken", async () => {
  await using env = await setup("windows", { pingInterval: 20 }, { timeout: 1000 });
  await using s = await env.open();
  await s.login(ADMIN.windows);
  const netsh = await s.nested("netsh", { prompt: /netsh>$/ });
  assert.equal(s.state, "busy");
  const table = await netsh.run("interface ipv4 show global");
  assert.match(table, /^Querying active state\.\.\.\n\nGeneral Global Parameters\n-+\n/);
  assert.match(table, /^Minimum Mtu {25}: 576$/m);
  assert.match(await netsh.run("frob"), /The following command was not found: frob\./);
  assert.deepEqual(await netsh.close(), { output: "", exitCode: 0, dropped: 0 });
  assert.equal(s.state, "ready");
  // ping -t only prints statistics on Ctrl-Break (as the real one does):
  // ^C cannot bring the shell back, and the session says so.
  await assert.rejects(
    s.run("ping -t localhost", { signal: AbortSignal.timeout(100) }),
    (e: unknown) => e instanceof CommandAbortedError && !e.recovered && /Reply from/.test(e.output),
  );
  assert.equal(s.state, "broken");
  await assert.rejects(
    s.run("echo x"),
    (e: unknown) => e instanceof SessionStateError && /broken/.test(e.message),
  );
});

Deno.test("windows: a long command's %VAR% is expanded wherever the line is cut into set pieces", async () => {
  await using env = await setup("windows");
  await using s = await env.open();
  await s.login(ADMIN.windows);
  // The first piece is cut at 900 characters: from 890 x on, %USERNAME% straddled the cut.
  for (let n = 886; n < 900; n++) {
    const r = await s.run(`echo ${"x".repeat(n)} %USERNAME% ${"y".repeat(200)}`);
    assert.equal(r.output, `${"x".repeat(n)} Administrator ${"y".repeat(200)}\n`, `${n} x`);
  }
});

Deno.test("windows: typed errors for bad arguments, before anything is sent", async () => {
  await using env = await setup("windows");
  await using s = await env.open();
  assert.throws(() => s.login({ user: "a b", password: "x" }), TypeError);
  assert.throws(() => s.login({ user: "a", password: "x\ry" }), TypeError);
  await s.login(ADMIN.windows);
  assert.throws(() => s.run(""), TypeError);
  assert.throws(() => s.run("echo a\necho b"), TypeError);
  assert.throws(() => s.run('echo "open'), TypeError);
  assert.throws(() => s.run("echo " + "x".repeat(9000)), RangeError);
  assert.throws(() => s.run("echo x", { maxOutput: -1 }), RangeError);
  assert.throws(() => new ConsoleSession({} as never, {} as never), TypeError);
  // no dialect: it is not guessed
  assert.throws(() => new ConsoleSession({} as never, { ownsConsole: true } as never), /dialect/);
  assert.equal((await s.run("echo still fine")).output, "still fine\n");
});

Deno.test("linux: multi-line commands, comments and quotes cannot swallow the end marker", async () => {
  await using env = await setup("linux", { cursorQuery: true });
  await using s = await env.open();
  await s.login(ADMIN.linux);
  assert.deepEqual(await s.run("echo one # a comment"), {
    output: "one\n",
    exitCode: 0,
    dropped: 0,
  });
  assert.deepEqual(await s.run("echo 'it'\"'\"'s'\nfalse"), {
    output: "it's\n",
    exitCode: 1,
    dropped: 0,
  });
  assert.deepEqual(await s.run("echo a &&\nfalse || echo b"), {
    output: "a\nb\n",
    exitCode: 0,
    dropped: 0,
  });
});

Deno.test("the guest going away: StreamEndedError, and the session says it is broken", async () => {
  await using env = await setup("windows");
  await using s = await env.open();
  await s.login(ADMIN.windows);
  const running = s.run("waitfor /t 30 never");
  await new Promise((r) => setTimeout(r, 50));
  await env.guest.destroy();
  await assert.rejects(running, (e: unknown) => (e as Error).name === "StreamEndedError");
  assert.equal(s.state, "broken");
});
