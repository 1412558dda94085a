// Copyright 2026 the xenpv authors. MIT license.
// attach.ts --record in pipe mode, played back by Debian's real asciinema,
// and examples/log2cast.ts's conversion of a --log --timestamps file.

import assert from "node:assert/strict";
import { asciinemaCat, have, run, runDeno, skipUnless } from "../_peers.ts";

const attach = new URL("../../examples/attach.ts", import.meta.url).pathname;
const noAsciinema = skipUnless(await have("asciinema", ["--version"]), "asciinema");

const SESSIONS = {
  windows: "Administrator\rxenpv\rhostname\recho the password is xenpv.\rver\r",
  linux: "root\rxenpv\rhostname\recho the password is xenpv.\runame -s\r",
};

for (const flavour of ["windows", "linux"] as const) {
  Deno.test({
    name: `attach.ts --record (${flavour}, pipe mode): asciinema cat gives what the guest printed`,
    ignore: noAsciinema,
    fn: async () => {
      const dir = await Deno.makeTempDir();
      try {
        const cast = `${dir}/s.cast`;
        const r = await runDeno(
          ["--allow-ffi", attach, "--simulate", flavour, "--record", cast],
          SESSIONS[flavour],
        );
        assert.equal(r.code, 0, r.err);
        const [header] = (await Deno.readTextFile(cast)).split("\n");
        const { version, width, height, title } = JSON.parse(header);
        assert.deepEqual({ version, width, height }, { version: 2, width: 80, height: 24 });
        assert.match(title, /^(win1|deb1) \(pv console\)$/);
        const { code, text } = await asciinemaCat(cast);
        assert.equal(code, 0);
        // the terminal got what the guest printed; the recording too, the password masked
        assert.match(r.out, /\r\nthe password is xenpv\.\r\n/);
        assert.equal(text, r.out.replaceAll("xenpv", "[redacted]"));
        assert.doesNotMatch(await Deno.readTextFile(cast), /xenpv/);
        assert.match(text, flavour === "windows" ? /Microsoft Windows \[Version/ : /\r\nLinux\r\n/);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

const runTs = new URL("../../examples/run.ts", import.meta.url).pathname;

for (const flavour of ["windows", "linux"] as const) {
  Deno.test({
    name: `run.ts --record (${flavour}): login, the command and logout, played by asciinema`,
    ignore: noAsciinema,
    fn: async () => {
      const dir = await Deno.makeTempDir();
      try {
        const cast = `${dir}/run.cast`;
        const r = await runDeno(
          [
            "--allow-ffi",
            "--allow-env",
            runTs,
            "--simulate",
            flavour,
            "--record",
            cast,
            "hostname",
          ],
          "",
        );
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out.trim(), flavour === "windows" ? "WIN1" : "deb1");
        const { code, text } = await asciinemaCat(cast);
        assert.equal(code, 0);
        assert.match(text, flavour === "windows" ? /login: Administrator\r\n/ : /login: root\r\n/);
        assert.match(text, new RegExp(`\\r\\n${r.out.trim()}\\r\\n`));
        assert.match(text, /login: $/); // logged out
        assert.doesNotMatch(await Deno.readTextFile(cast), /xenpv/);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

const log2cast = new URL("../../examples/log2cast.ts", import.meta.url).pathname;

Deno.test({
  name: "log2cast.ts: a --log --timestamps file plays in asciinema as the log holds it",
  ignore: noAsciinema,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const log = `${dir}/console.log`;
      const r = await runDeno(
        ["--allow-ffi", attach, "--simulate", "linux", "--log", log, "--timestamps"],
        SESSIONS.linux,
      );
      assert.equal(r.code, 0, r.err);
      const c = await runDeno(["--allow-ffi", "--allow-read", log2cast, log, `${dir}/c.cast`], "");
      assert.equal(c.code, 0, c.err);
      assert.match(c.err, /^log2cast: \d+ events, [\d.]+ s, in /);
      const { code, text } = await asciinemaCat(`${dir}/c.cast`);
      assert.equal(code, 0);
      const unstamped = (await Deno.readTextFile(log)).replace(/^\[[\dT:.Z-]+\] /gm, "");
      assert.equal(text, unstamped);
      assert.match(text, /\r\nthe password is \[redacted\]\.\r\n/);
      const bad = await runDeno(["--allow-ffi", "--allow-read", log2cast, log], "");
      assert.equal(bad.code, 255);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const tmux = skipUnless(await have("tmux", ["-V"]), "tmux");

Deno.test({
  name: "attach.ts --record in a terminal: the size, and a resize (SIGWINCH) as an r event",
  ignore: tmux,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const session = `xenpv-rec-${Deno.pid}`;
    const tm = (...args: string[]) => run("tmux", args);
    const screen = async () => (await tm("capture-pane", "-t", session, "-p")).stdout;
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 1200; i++) { // up to a minute: a loaded machine starts deno slowly
        if (re.test(await screen())) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${re}:\n${await screen()}`);
    };
    try {
      const cast = `${dir}/t.cast`;
      const deno = Deno.execPath();
      await tm(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "100",
        "-y",
        "30",
        `${deno} run --allow-ffi ${attach} --simulate linux --record ${cast}; sleep 60`,
      );
      await waitFor(/deb1 login:/);
      await tm("resize-window", "-t", session, "-x", "120", "-y", "40");
      await tm("send-keys", "-t", session, "root", "Enter");
      await waitFor(/Password:/);
      await tm("send-keys", "-t", session, "C-]");
      await waitFor(/\[detached\]/);
      const [header, ...events] = (await Deno.readTextFile(cast)).trim().split("\n");
      const { width, height } = JSON.parse(header);
      assert.deepEqual({ width, height }, { width: 100, height: 30 });
      const resizes = events.map((e) => JSON.parse(e)).filter((e) => e[1] === "r");
      assert.deepEqual(resizes.map((e) => e[2]), ["120x40"]);
    } finally {
      await tm("kill-session", "-t", session);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
