// Copyright 2026 the xenpv authors. MIT license.
// The Windows dialect against an independent cmd.exe: Wine's (Debian's
// wine64), behind _wine_helper.py, a stand-in for the XENCONS tty helper
// (login prompts, its echo and line editing, cmd.exe /q /a on pipes, ^C as a
// console control event). Everything else in tests/ talks to our own
// simulation of cmd.exe; a bug shared by the dialect and the simulation
// shows here. Where Wine's cmd.exe differs from Windows', docs/testing.md
// says how. One Wine prefix and one login for the whole file: Wine starts
// in seconds, each command then takes milliseconds.
import assert from "node:assert/strict";
import { CommandAbortedError, ConsoleSession, stripAnsi } from "../../xencons/mod.ts";
import { have, skipUnless } from "../_peers.ts";

const WINE = "/usr/lib/wine/wine64";
const ADMIN = { user: "Administrator", password: "xenpv" };
const ignore = skipUnless(
  (await have(WINE, ["--version"])) && (await have("python3", ["--version"])),
  "wine64 (Debian's Wine, /usr/lib/wine/wine64) and python3",
);

/** Wine's environment for a prefix of our own, with no display to reach for. */
function wineEnv(prefix: string): Record<string, string> {
  return { WINEPREFIX: prefix, WINEDEBUG: "-all", DISPLAY: "", WAYLAND_DISPLAY: "" };
}

/** Waits until the guest has printed `text` once more (a command typed runs). */
async function printed(s: ConsoleSession, text: string, bound = 10000): Promise<void> {
  const out = () =>
    s.transcript.entries.filter((e) => e.direction === "out").map((e) => e.text).join("");
  const before = out().split(text).length;
  const deadline = Date.now() + bound;
  while (out().split(text).length === before) {
    if (Date.now() > deadline) throw new Error(`${JSON.stringify(text)} not printed`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test({
  name: "wine cmd.exe behind a XENCONS-like helper: the Windows dialect's contract",
  ignore,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "xenpv-wine-" });
    const prefix = `${dir}/prefix`;
    const env = wineEnv(prefix);
    let helper: Deno.ChildProcess | undefined;
    let session: ConsoleSession | undefined;
    try {
      // The prefix, once (wineboot runs with the first program).
      const init = await new Deno.Command(WINE, {
        args: ["cmd.exe", "/c", "exit"],
        env,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).output();
      assert.ok(init.success, "wine could not make its prefix");
      helper = new Deno.Command("python3", {
        args: [
          new URL("./_wine_helper.py", import.meta.url).pathname,
          "WINE1",
          ADMIN.user,
          "xenpv",
        ],
        env,
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const s = session = new ConsoleSession(
        { readable: helper.stdout, writable: helper.stdin },
        { dialect: "windows", timeout: 20000 },
      );

      await t.step("login: Wine's banner is a shell; chcp gives the console's page", async () => {
        await s.login(ADMIN);
        assert.equal(s.state, "ready");
        assert.match(s.transcript.toString(), /Microsoft Windows 6\.1\.7601/);
        assert.equal(s.codePage, 437); // codePage "auto": learned with chcp
      });

      await t.step("run(): output and exit statuses", async () => {
        assert.deepEqual(await s.run("echo hello world"), {
          output: "hello world\n",
          exitCode: 0,
          dropped: 0,
        });
        for (const n of [0, 7, 253, 254, 255, 256, -5]) {
          assert.equal((await s.run(`cmd /c exit ${n}`)).exitCode, n, `cmd /c exit ${n}`);
        }
        const unknown = await s.run("frobnicate");
        assert.equal(unknown.exitCode, 9009);
        // Windows: 'frobnicate' is not recognized as an internal or external command, ...
        assert.match(unknown.output, /Can't recognize 'frobnicate' as an internal or external/);
        // Internal commands like ECHO leave ERRORLEVEL as it was: the dialect clears it.
        assert.equal((await s.run("echo after")).exitCode, 0);
        assert.equal((await s.run("cd")).exitCode, 0);
        assert.equal((await s.run("cmd /c exit 3 || echo failed")).output, "failed\n");
      });

      await t.step("^ escapes each special character; quotes keep them", async () => {
        for (const ch of "&|<>()^") {
          assert.equal((await s.run(`echo a^${ch}b`)).output, `a${ch}b\n`, `echo a^${ch}b`);
        }
        assert.equal((await s.run('echo "q&|<>()^"')).output, '"q&|<>()^"\n');
        assert.equal((await s.run("echo a^&b& echo c")).output, "a&b\nc\n");
        assert.equal((await s.run("echo 100%")).output, "100%\n");
        assert.equal((await s.run("echo x^")).exitCode, 0); // a trailing caret escapes nothing
        // markers and prompts in the output do not fool it
        assert.match((await s.run("echo C:\\^> login: Password: XPVFAKEE")).output, /Password:/);
      });

      await t.step("a command longer than the helper's line", async () => {
        const long = `echo ${"y".repeat(3000)}`;
        assert.ok(long.length > s.dialect.maxLine);
        assert.deepEqual(await s.run(long), {
          output: `${"y".repeat(3000)}\n`,
          exitCode: 0,
          dropped: 0,
        });
        // Wine difference: it expands %VAR% after it parsed the line, so the
        // carets of a long command, stored in variables, stay (Windows parses
        // the expanded line: `w&x`).
        const special = await s.run(`echo ${"w^&x ".repeat(300)}`);
        assert.equal(special.output, `${"w^&x ".repeat(300)}\n`);
        assert.equal((await s.run("echo next")).output, "next\n");
        // a %VAR% where the first set piece (900 characters) is cut is still expanded
        await s.run("set XPVV=expanded");
        for (const n of [886, 893, 898]) {
          const r = await s.run(`echo ${"x".repeat(n)} %XPVV% ${"y".repeat(200)}`);
          assert.equal(r.output, `${"x".repeat(n)} expanded ${"y".repeat(200)}\n`, `${n} x`);
        }
      });

      await t.step("cd and set last across runs", async () => {
        assert.match((await s.run("cd")).output, /^C:\\users\\[^\\\n]+\n$/i);
        await s.run("cd /d C:\\windows");
        assert.equal((await s.run("cd")).output, "C:\\windows\n");
        await s.run("set XPVTEST=kept value");
        assert.equal((await s.run("echo [%XPVTEST%]")).output, "[kept value]\n");
      });

      await t.step("chcp and the code page: text round-trips in 437", async () => {
        assert.equal((await s.run("chcp")).output, "Active code page: 437\n");
        assert.equal((await s.run("echo ä ö ü ß é")).output, "ä ö ü ß é\n");
        await s.run("chcp 850 >nul");
        assert.equal((await s.run("chcp")).output, "Active code page: 850\n");
        await s.run("chcp 437 >nul");
      });

      await t.step("a file copy's cmd.exe steps, certutil and findstr aside", async () => {
        // Wine's certutil is a stub (it prints nothing) and its findstr has no /N: putFile and
        // getFile as a whole are checked against the simulated cmd.exe only. What Wine checks:
        // the prefix redirections a chunk is written with, TYPE >>, MOVE /Y, DEL's status.
        await s.run("cd /d %TEMP%");
        assert.equal((await s.run('type nul>"x p.b64"')).exitCode, 0);
        const chunk = '>"x p.c" echo AB12+/9=& type "x p.c">>"x p.b64"';
        assert.deepEqual(await s.run(chunk), { output: "", exitCode: 0, dropped: 0 });
        await s.run(chunk.replace("AB12+/9=", "CD34"));
        assert.equal((await s.run('type "x p.b64"')).output, "AB12+/9=\nCD34\n");
        assert.equal((await s.run('type "x p.c"')).output, "CD34\n"); // > starts the chunk afresh
        const moved = await s.run(
          'move /y "x p.b64" "x q.txt" >nul&& del /f /q "x p.c" "nope" 2>nul',
        );
        assert.deepEqual(moved, { output: "", exitCode: 0, dropped: 0 }); // DEL: 0, a file missing
        assert.equal((await s.run('type "x q.txt"')).output, "AB12+/9=\nCD34\n");
        assert.notEqual((await s.run('type "x p.c"')).exitCode, 0);
        await s.run('del "x q.txt"');
        await s.run("cd /d C:\\windows");
      });

      await t.step("interrupt(): ^C stops the running program, the shell stays", async () => {
        const typed = printed(s, "ping -n 30 127.0.0.1");
        const running = s.run("ping -n 30 127.0.0.1");
        await typed;
        await new Promise((r) => setTimeout(r, 300)); // ping has started
        await s.interrupt();
        await assert.rejects(
          running,
          (e: unknown) => e instanceof CommandAbortedError && e.recovered,
        );
        assert.equal(s.state, "ready");
        assert.equal((await s.run("echo back")).output, "back\n");
        assert.equal((await s.run("cd")).output, "C:\\windows\n", "the same shell");
      });

      await t.step("nested(): a child cmd at its prompt, its exit status", async () => {
        const inner = await s.nested("cmd", { prompt: /[A-Za-z]:\\[^\r\n>]*>$/, exit: "exit 3" });
        assert.equal(s.state, "busy");
        assert.match(await inner.run("echo inner"), /^inner$/m);
        assert.equal((await inner.close()).exitCode, 3);
        assert.equal(s.state, "ready");
        assert.equal((await s.run("echo outer")).output, "outer\n");
      });

      await t.step("exit N alone ends cmd.exe with N; a new login gets a new shell", async () => {
        assert.equal((await s.run("exit 7")).exitCode, 7);
        assert.equal(s.state, "logged-out");
        await s.login(ADMIN);
        assert.match((await s.run("cd")).output, /^C:\\users\\/i);
        await s.logout();
        assert.equal(s.state, "logged-out");
      });

      await t.step("Wine's console escapes (cursor hide/show, title) are stripped", () => {
        // What Wine's conhost prints around `echo hi` when cmd.exe runs on a tty.
        const raw = "\x1b]0;C:\\windows\\system32\\cmd.exe\x07\x1b[?25lhi\x1b[?25h\r\r\n";
        assert.equal(stripAnsi(raw), "hi\r\r\n");
        assert.ok(!s.transcript.toString().includes("\x1b"));
      });
    } finally {
      await session?.close();
      if (helper) {
        await helper.stdin.close().catch(() => {});
        await helper.stdout.cancel().catch(() => {});
        await helper.status;
      }
      await new Deno.Command(WINE.replace(/wine64$/, "wineserver"), { args: ["-k"], env })
        .output().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});
