// Copyright 2026 the xenpv authors. MIT license.
// examples/attach.ts as people use it: in a real terminal (tmux: banner, log
// in, run a command, detach with the escape, terminal restored) and in pipe
// mode from a script.

import assert from "node:assert/strict";
import { have, run, runDeno, skipUnless } from "../_peers.ts";

const attach = new URL("../../examples/attach.ts", import.meta.url).pathname;
const deno = Deno.execPath();

function attachPiped(args: string[], input: string) {
  return runDeno(["--allow-ffi", attach, ...args], input);
}

Deno.test("pipe mode: log in and run a command on the simulated Windows guest", async () => {
  const r = await attachPiped(
    ["--simulate", "windows"],
    "Administrator\rxenpv\rver\r",
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\[ATTACHED\]\r\n\r\nWIN1 login: Administrator\r\nPassword: \r\n/);
  assert.match(r.out, /C:\\Users\\Administrator>ver\r\n\r\nMicrosoft Windows \[Version/);
  assert.doesNotMatch(r.out, /xenpv/); // the password was not echoed
});

Deno.test("pipe mode: the escape ends the session even in the middle of a chunk", async () => {
  const r = await attachPiped(
    ["--simulate", "linux", "-e", "~."],
    "root\rxenpv\recho one~.echo two\r",
  );
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.out, /two/);
});

Deno.test("--sanitize shows the guest's escape sequences as text; --log keeps raw output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = `${dir}/console.log`;
    const r = await attachPiped(
      ["--simulate", "linux", "--sanitize", "--log", log, "--timestamps"],
      "root\rxenpv\recho \x1b]0;pwned\x07 \u009d8;;x\u009c \u20ac\r",
    );
    assert.equal(r.code, 0, r.err);
    assert.ok(!r.out.includes("\x1b"), "an ESC reached the terminal");
    assert.ok(!/[\u0080-\u009f]/.test(r.out), "a C1 control reached the terminal");
    assert.match(r.out, /\^\[\]0;pwned\^G <U\+009D>8;;x<U\+009C> \u20ac/); // text stays text
    const logged = await Deno.readTextFile(log);
    assert.match(logged, /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] /m);
    assert.doesNotMatch(logged, /xenpv\r/); // no password in the log
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const [flavour, login] of [["windows", "Administrator"], ["linux", "root"]]) {
  Deno.test(`--log (${flavour}): the password typed at the prompt is masked wherever the guest prints it later`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const log = `${dir}/console.log`;
      const r = await attachPiped(
        ["--simulate", flavour, "--log", log],
        `${login}\rxenpv\recho the password is xenpv.\r`,
      );
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /\r\nthe password is xenpv\.\r\n/); // the terminal shows what the guest printed
      const logged = await Deno.readTextFile(log);
      assert.match(logged, /echo the password is \[redacted\]\.\r\n/);
      assert.match(logged, /\r\nthe password is \[redacted\]\.\r\n/);
      assert.doesNotMatch(logged, /xenpv/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** The log's bytes as one character each (latin1): a guest's raw code page bytes, visible. */
async function rawLog(path: string): Promise<string> {
  return String.fromCharCode(...await Deno.readFile(path));
}

Deno.test("--encoding cp850: a cp850 guest's output shows as UTF-8, typed text goes in cp850", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = `${dir}/console.log`;
    const r = await attachPiped(
      ["--simulate", "windows", "--guest-code-page", "850", "--encoding", "cp850", "--log", log],
      "Administrator\rxenpv\recho Grüße €> grüße.txt\rdir /b\rtype grüße.txt\r",
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\r\ngrüße\.txt\r\n/);
    assert.match(r.out, /type grüße\.txt\r\nGrüße \r\n/); // € was not sent
    assert.match(r.err, /€ is not in code page 850: not sent/);
    // What the guest got and printed: cp850 bytes (ü 0x81, ß 0xE1), not UTF-8's.
    const logged = await rawLog(log);
    assert.match(logged, /\r\ngr\x81\xe1e\.txt\r\n/);
    assert.doesNotMatch(logged, /\xc3\xbc/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--encoding auto: UTF-8 until chcp's answer, then the guest's page both ways", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = `${dir}/console.log`;
    const r = await attachPiped(
      ["--simulate", "windows", "--guest-code-page", "850", "--log", log],
      "Administrator\rxenpv\rchcp\recho Grüße> grüße.txt\rdir /b\r",
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Active code page: 850\r\n/);
    assert.match(r.err, /the guest's code page is cp850/);
    assert.match(r.out, /\r\ngrüße\.txt\r\n/);
    assert.match(await rawLog(log), /\r\ngr\x81\xe1e\.txt\r\n/);
    // Forced UTF-8 (what attach did before): the cp850 guest gets UTF-8's bytes.
    const u = await attachPiped(
      ["--simulate", "windows", "--guest-code-page", "850", "--encoding", "utf-8", "--log", log],
      "Administrator\rxenpv\recho grüße\r",
    );
    assert.equal(u.code, 0, u.err);
    assert.match(await rawLog(log), /echo gr\xc3\xbc\xc3\x9fe\r\n/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--encoding and --guest-code-page take only pages with a table", async () => {
  for (const args of [["--encoding", "cp932"], ["--guest-code-page", "932"]]) {
    const r = await attachPiped(["--simulate", "windows", ...args], "");
    assert.equal(r.code, 255, r.err);
    assert.match(r.err, /932/);
  }
});

Deno.test("no Xen host: says so and points at --simulate, exit 255", async () => {
  const r = await attachPiped(["win1"], "");
  assert.equal(r.code, 255);
  assert.match(r.err, /no Xen here/);
  assert.match(r.err, /--simulate/);
});

Deno.test("bad flags are one-line usage errors, exit 255", async () => {
  for (
    const args of [
      ["--mode", "fast", "x"],
      ["--type", "hvc", "x"],
      ["--kind", "hvc", "x"],
      ["--kind", "pv", "--type", "pv", "x"],
      ["--num", "-1", "x"],
      ["--num", "1e3", "x"],
      ["--num", "", "x"],
      ["--linger", "soon", "x"],
      ["--bogus", "x"],
      ["--simulate", "solaris"],
      ["a", "b"],
      [],
    ]
  ) {
    const r = await attachPiped(args, "");
    assert.equal(r.code, 255, `${args}: ${r.err}`);
    assert.match(r.err, /^attach: .*\(try --help\)\n$/, `${args}`);
  }
});

const tmux = skipUnless(await have("tmux", ["-V"]), "tmux");

Deno.test(
  { name: "in a terminal: log in, run a command, detach, terminal restored", ignore: tmux },
  async () => {
    const session = `xenpv-${Deno.pid}`;
    const sttyFile = await Deno.makeTempFile();
    const tm = (...args: string[]) => run("tmux", args);
    const screen = async () => (await tm("capture-pane", "-t", session, "-p", "-S", "-100")).stdout;
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 200; i++) {
        const s = await screen();
        if (re.test(s)) return s;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${re}:\n${await screen()}`);
    };
    try {
      await tm(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "100",
        "-y",
        "40",
        `${deno} run --allow-ffi ${attach} --simulate windows; stty -a > ${sttyFile}; sleep 60`,
      );
      await waitFor(/WIN1 login:$/m);
      await tm("send-keys", "-t", session, "Administrator", "Enter");
      await waitFor(/Password:/);
      await tm("send-keys", "-t", session, "xenpv", "Enter");
      await waitFor(/Administrator>$/m);
      await tm("send-keys", "-t", session, "echo typed in tmux", "Enter");
      const s = await waitFor(/^typed in tmux$/m);
      assert.match(s, /^Password:$/m); // the password was not echoed
      await tm("send-keys", "-t", session, "C-]");
      await waitFor(/\[detached\]/);
      for (let i = 0; i < 100 && (await Deno.readTextFile(sttyFile)) === ""; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const stty = await Deno.readTextFile(sttyFile);
      // cooked mode again: canonical input, echo, signals
      assert.match(stty, /(^|\s)icanon(\s|$)/m);
      assert.match(stty, /(^|\s)echo(\s|$)/m);
      assert.match(stty, /(^|\s)isig(\s|$)/m);
    } finally {
      await tm("kill-session", "-t", session);
      await Deno.remove(sttyFile);
    }
  },
);

Deno.test("pipe mode presses Enter on Windows: LF and CRLF line ends are sent as one CR", async () => {
  for (const eol of ["\n", "\r\n"]) {
    const r = await attachPiped(
      ["--simulate", "windows"],
      ["Administrator", "xenpv", "ver", ""].join(eol),
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /C:\\Users\\Administrator>ver\r\n\r\nMicrosoft Windows \[Version/);
    // one Enter per line: a CRLF sent as two would show an extra prompt
    assert.equal(r.out.match(/C:\\Users\\Administrator>/g)?.length, 2, JSON.stringify(r.out));
  }
});

Deno.test("pipe mode --binary sends the input untouched", async () => {
  const r = await attachPiped(["--simulate", "windows", "--binary", "--linger", "600"], "ver\n");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /WIN1 login: ver\^J/); // the XENCONS helper got a bare LF, and waits for CR
  assert.doesNotMatch(r.out, /Password:/);
  assert.match(r.err, /no prompt within --linger 600 ms/);
});

Deno.test("pipe mode waits for slow output: until the guest shows its prompt again", async () => {
  const r = await attachPiped(["--simulate", "linux"], "root\nxenpv\nsleep 3; echo done\n");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\ndone\r\nroot@deb1:~# $/);
});

/** Starts attach.ts with its stdin held open; resolves once `ready` shows in its output. */
async function startAttach(args: string[], ready: RegExp) {
  const child = new Deno.Command(deno, {
    args: ["run", "--allow-ffi", attach, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  let out = "";
  const decoder = new TextDecoder();
  while (!ready.test(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return child;
}

Deno.test("a stop signal detaches with 128 + its number (SIGTERM 143, SIGHUP 129)", async () => {
  for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129], ["SIGINT", 130]] as const) {
    const child = await startAttach(["--simulate", "linux"], /login: $/);
    child.kill(signal);
    await child.stdin.close();
    const status = await child.output();
    assert.equal(status.code, code, signal);
  }
});

Deno.test("-t serial on a guest without one says so at once, exit 255", async () => {
  const r = await attachPiped(["--simulate", "linux", "-t", "serial"], "");
  assert.equal(r.code, 255);
  assert.match(r.err, /has no serial console.*only HVM guests/);
});

Deno.test("--simulate windows win1: the simulated guest named after its dialect; another name is refused", async () => {
  const r = await attachPiped(["--simulate", "windows", "win1"], "Administrator\rxenpv\rver\r");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /C:\\Users\\Administrator>ver\r\n\r\nMicrosoft Windows \[Version/);
  const wrong = await attachPiped(["--simulate", "web01"], "");
  assert.equal(wrong.code, 255);
  assert.match(wrong.err, /^attach: no simulated guest "web01".*win1.*deb1.*\(try --help\)\n$/);
});

Deno.test("pipe mode: a last line without a newline is still entered, as a shell runs a script's", async () => {
  const r = await attachPiped(["--simulate", "windows"], "Administrator\nxenpv\nver");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /C:\\Users\\Administrator>ver\r\n\r\nMicrosoft Windows \[Version/);
});

Deno.test("pipe mode -e '~.': input ending in a '~' (no newline) still sends it", async () => {
  const r = await attachPiped(["--simulate", "linux", "-e", "~."], "root\nxenpv\necho a~");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /# echo a~\r\na~\r\n/);
});
