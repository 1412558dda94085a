// Copyright 2026 the xenpv authors. MIT license.
// examples/serve.ts as users run it: `deno task serve`'s command line, in a
// subprocess with the permissions its docs name.
import assert from "node:assert/strict";
import { WsViewer } from "./_ws_client.ts";

const SERVE = new URL("../../examples/serve.ts", import.meta.url).pathname;
const PERMS = ["--allow-ffi", "--allow-net"];

async function output(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, SERVE, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

Deno.test("serve.ts --simulate: prints the address with the token once, serves both guests, stops on SIGTERM", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, SERVE, "--simulate"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  while (!first.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    first += value;
  }
  try {
    const match = /^(http:\/\/127\.0\.0\.1:\d+\/)#token=([0-9a-f]{64})\n$/.exec(first);
    assert.ok(match, `the first line: ${JSON.stringify(first)}`);
    const [, url, token] = match;
    const denied = await fetch(new URL("/api/guests", url));
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
    let names: string[] = [];
    for (let i = 0; i < 100 && names.length < 2; i++) {
      const r = await fetch(new URL(`/api/guests?token=${token}`, url));
      const guests: { name: string; state: string }[] = await r.json();
      names = guests.filter((g) => g.state === "live").map((g) => g.name).sort();
      if (names.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(names, ["deb1", "win1"]);
  } finally {
    child.kill("SIGTERM");
    await lines.cancel();
  }
  const { code } = await child.status;
  assert.equal(code, 143, await stderr);
});

Deno.test("serve.ts: --help, and bad options are one-line usage errors (255)", async () => {
  const help = await output(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /--token-file FILE/);
  assert.match(help.out, /--encoding auto\|utf-8\|cp850/);
  for (
    const [args, said] of [
      [["--port", "70000"], /--port takes a whole number from 0 to 65535/],
      [["--mode", "fast"], /--mode takes auto, pty or ring/],
      [["--cert", "x.pem"], /--cert and --key go together/],
      [["--bogus"], /unknown option --bogus/],
      [["--log-size", "4096"], /--log-size goes with --log-dir/],
      [["--log-dir", "/tmp", "--log-keep", "100"], /--log-keep takes a whole number from 1 to 99/],
      [["--encoding", "cp932"], /--encoding takes auto or a code page \(437, 850/],
      [["--guest-code-page", "850"], /--guest-code-page goes with --simulate/],
      [["--record-dir", ""], /--record-dir needs a directory/],
      [["--auth-header", "X-Remote-User"], /--auth-header and --trusted-proxy go together/],
      [["--trusted-proxy", "127.0.0.1"], /--auth-header and --trusted-proxy go together/],
      [["--operators", "alice,,bob"], /--operators takes a comma-separated list/],
      [
        ["--auth-header", "X-Remote-User", "--trusted-proxy", "proxy.example"],
        /trustedProxies: proxy\.example is not an IP address/,
      ],
      [["--simulate", "--guest-code-page", "932"], /--guest-code-page takes one of 437, 850/],
    ] as const
  ) {
    const r = await output([...args]);
    assert.equal(r.code, 255, r.err);
    assert.match(r.err, said);
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
  }
});

Deno.test("serve.ts: no Xen here is said plainly (255)", async () => {
  const r = await output([]);
  assert.equal(r.code, 255);
  assert.match(r.err, /^serve: /);
});

Deno.test("serve.ts --simulate --log-dir: each guest logged to a 0600 file, served on the page's endpoint", async () => {
  const root = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, SERVE, "--simulate", "--log-dir", root, "--log-size", "4096"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  try {
    while (!first.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) break;
      first += value;
    }
    const [, url, token] = /^(\S+)#token=(\S+)\n$/.exec(first) ?? [];
    assert.ok(token, first);
    const auth = { authorization: `Bearer ${token}` };
    let text = "";
    for (let i = 0; i < 100 && !/login: /.test(text); i++) {
      const guests: { domid: number; name: string; log: string }[] =
        await (await fetch(new URL("/api/guests", url), { headers: auth })).json();
      const win = guests.find((g) => g.name === "win1");
      if (win?.log === "guest-win1.log") {
        const r = await fetch(new URL(`/api/guests/${win.domid}/log`, url), { headers: auth });
        text = await r.text();
      }
      if (!/login: /.test(text)) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(text, /^\[\d{4}-[^\]]+Z\] /);
    assert.match(text, /login: /);
    const names = [...Deno.readDirSync(root)].map((e) => e.name).sort();
    assert.deepEqual(names, ["guest-deb1.log", "guest-win1.log"]);
    assert.equal((await Deno.stat(`${root}/guest-win1.log`)).mode! & 0o777, 0o600);
  } finally {
    child.kill("SIGTERM");
    await lines.cancel();
  }
  const { code } = await child.status;
  assert.equal(code, 143, await stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("serve.ts --log-dir: a symlink for the directory is refused in one line", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.symlink("/tmp", `${root}/link`);
    const r = await output(["--simulate", "--log-dir", `${root}/link`]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /^serve: .*ELOOP.*give the directory itself\n$/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** serve.ts with these permissions and arguments, stdin not a tty (Deno cannot prompt). */
async function bounded(perms: string[], args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...perms, SERVE, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A hang bound, not a timed assertion: the old serve.ts ignored SIGTERM
  // while starting, so a hung one is SIGKILLed and fails below (status 137).
  const hung = setTimeout(() => child.kill("SIGKILL"), 20_000);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
  } finally {
    clearTimeout(hung);
  }
}

Deno.test("serve.ts: a taken port, an address not here, a bad certificate: 255 and one line naming it", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/garbage.pem`, "garbage\n");
    const pem = `${dir}/garbage.pem`;
    for (
      const [args, said] of [
        [["--port", String(taken.addr.port)], /port .*taken|address already in use/i],
        [["--hostname", "999.1.1.1"], /hostname 999\.1\.1\.1 is not an address/],
        [["--cert", pem, "--key", pem], /not a PEM certificate/],
      ] as const
    ) {
      const r = await bounded([...PERMS, "--allow-read"], ["--simulate", ...args]);
      assert.equal(r.code, 255, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, said);
      assert.equal(r.err.trim().split("\n").length, 1, r.err);
      assert.equal(r.out, "");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve.ts without --allow-net: 255 and one line saying to add --allow-net (no prompt)", async () => {
  const r = await bounded(["--allow-ffi"], ["--simulate"]);
  assert.equal(r.code, 255, r.err);
  assert.match(r.err, /^serve: needs --allow-net .*: add it to the command line\n$/);
  assert.equal(r.err.trim().split("\n").length, 1, r.err);
});

Deno.test("serve.ts: SIGTERM while starting (stuck reading --token-file) exits 143 at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fifo = `${dir}/token`;
    assert.ok((await new Deno.Command("mkfifo", { args: ["-m", "600", fifo] }).output()).success);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMS, "--allow-read", SERVE, "--simulate", "--token-file", fifo],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Opening the FIFO's other end returns once serve.ts has opened it to read
    // (its signal listeners are in place by then); it then waits for a token that never comes.
    using _writer = await Deno.open(fifo, { write: true });
    const hung = setTimeout(() => child.kill("SIGKILL"), 20_000); // a hang bound
    child.kill("SIGTERM");
    const out = await child.output();
    clearTimeout(hung);
    assert.equal(out.signal, null, "killed, not exited");
    assert.equal(out.code, 143, new TextDecoder().decode(out.stderr));
    assert.equal(new TextDecoder().decode(out.stdout), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve.ts --auth-header --trusted-proxy --operators: a header from elsewhere is 403; the token's holder views", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMS,
      SERVE,
      "--simulate",
      "--auth-header",
      "X-Remote-User",
      "--trusted-proxy",
      "127.0.0.2",
      "--operators",
      "alice,bob",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  try {
    while (!first.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) break;
      first += value;
    }
    const [, url, token] = /^(\S+)#token=(\S+)\n$/.exec(first) ?? [];
    assert.ok(token, first);
    const forged = await fetch(new URL("/api/guests", url), {
      headers: { "x-remote-user": "alice" },
    });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    let guests: { domid: number }[] = [];
    for (let i = 0; i < 100 && guests.length === 0; i++) {
      const r = await fetch(new URL("/api/guests", url), {
        headers: { authorization: `Bearer ${token}` },
      });
      guests = await r.json();
      if (guests.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await using v = await WsViewer.open({ url, token }, guests[0].domid, "me");
    await v.waitMessage((m) => m.type === "hello");
    const hello = v.messages.find((m) => m.type === "hello");
    assert.ok(hello?.type === "hello");
    assert.deepEqual([hello.you.user, hello.you.role], ["token", "viewer"]);
  } finally {
    child.kill("SIGTERM");
    await lines.cancel();
  }
  const { code } = await child.status;
  assert.equal(code, 143, await stderr);
  assert.match(await stderr, /users named in X-Remote-User by 127\.0\.0\.2/);
});

Deno.test("serve.ts --simulate --record-dir: each guest recorded (asciicast v2, 0600), listed and served, with --allow-ffi --allow-net only", async () => {
  const root = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, SERVE, "--simulate", "--record-dir", root],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  try {
    while (!first.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) break;
      first += value;
    }
    // the address and its token (?token= today, #token= without a cookie)
    const [, url, token] = /^(\S+?)[?#]token=(\S+)\n$/.exec(first) ?? [];
    assert.ok(token, first);
    const auth = { authorization: `Bearer ${token}` };
    let cast = "";
    let type: string | null = null;
    for (let i = 0; i < 100 && !/login: /.test(cast); i++) {
      const guests: { domid: number; name: string }[] =
        await (await fetch(new URL("/api/guests", url), { headers: auth })).json();
      const win = guests.find((g) => g.name === "win1");
      if (win !== undefined) {
        const list = await fetch(new URL(`/api/guests/${win.domid}/recordings`, url), {
          headers: auth,
        });
        const { recordings } = await list.json() as { recordings: { file: string }[] };
        if (recordings.length > 0) {
          const r = await fetch(
            new URL(`/api/guests/${win.domid}/recordings/${recordings[0].file}`, url),
            { headers: auth },
          );
          type = r.headers.get("content-type");
          cast = await r.text();
        }
      }
      if (!/login: /.test(cast)) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(type, "application/x-asciicast");
    assert.equal(JSON.parse(cast.split("\n")[0]).version, 2);
    assert.match(cast, /login: /);
    const names = [...Deno.readDirSync(root)].map((e) => e.name).sort();
    assert.equal(names.length, 2, names.join(" "));
    assert.match(names[0], /^guest-deb1-\d{8}T\d{6}Z\.cast$/);
    assert.match(names[1], /^guest-win1-\d{8}T\d{6}Z\.cast$/);
    assert.equal((await Deno.stat(`${root}/${names[1]}`)).mode! & 0o777, 0o600);
  } finally {
    child.kill("SIGTERM");
    await lines.cancel();
  }
  const { code } = await child.status;
  assert.equal(code, 143, await stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("serve.ts --audit: a symlink or a hard-linked file is refused on the open file, not followed (255)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/passwd`, "root:x:0:0\n");
    await Deno.link(`${dir}/passwd`, `${dir}/linked`);
    const linked = await output(["--simulate", "--audit", `${dir}/linked`]);
    assert.equal(linked.code, 255, linked.err);
    assert.match(linked.err, /hard link/);
    await Deno.symlink(`${dir}/passwd`, `${dir}/symlink`);
    const symlink = await output(["--simulate", "--audit", `${dir}/symlink`]);
    assert.equal(symlink.code, 255, symlink.err);
    assert.match(symlink.err, /symlink/);
    assert.equal(await Deno.readTextFile(`${dir}/passwd`), "root:x:0:0\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
