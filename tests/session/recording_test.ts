// Copyright 2026 the xenpv authors. MIT license.
// Recordings of the simulated guests' sessions played back by Debian's real
// asciinema: what `asciinema cat` prints is what the guest printed; a
// password echoed by a hostile guest never reaches the file; a recording cut
// mid-line plays to its last complete event.

import assert from "node:assert/strict";
import { connect } from "../../mod.ts";
import { type GuestConsole, SimulatedHost, windowsGuest } from "../../sim/mod.ts";
import { ConsoleSession, Recorder } from "../../xencons/mod.ts";
import { asciinemaCat, have, skipUnless } from "../_peers.ts";

const noAsciinema = skipUnless(await have("asciinema", ["--version"]), "asciinema");

const ADMIN = {
  windows: { user: "Administrator", password: "xenpv" },
  linux: { user: "root", password: "xenpv" },
};
const COMMANDS = {
  windows: ["hostname", "echo recorded %USERNAME%", "ver"],
  linux: ["hostname", "echo recorded $USER", "uname -s"],
};

for (const flavour of ["windows", "linux"] as const) {
  Deno.test({
    name: `${flavour}: a session recorded through the library plays back in asciinema as printed`,
    ignore: noAsciinema,
    fn: async () => {
      const dir = await Deno.makeTempDir();
      try {
        await using host = new SimulatedHost();
        await host.createGuest({ name: "g1", program: flavour });
        const console_ = await connect("g1", { host });
        let printed = "";
        const decoder = new TextDecoder();
        const tapped = {
          readable: console_.readable.pipeThrough(
            new TransformStream<Uint8Array, Uint8Array>({
              transform(chunk, c) {
                printed += decoder.decode(chunk, { stream: true });
                c.enqueue(chunk);
              },
            }),
          ),
          writable: console_.writable,
          close: () => console_.close(),
        };
        const outputs: string[] = [];
        {
          await using rec = Recorder.open(`${dir}/s.cast`, {
            input: true,
            guest: { name: "g1", kind: "pv" },
          });
          await using s = new ConsoleSession(tapped, {
            dialect: flavour,
            ownsConsole: true,
            timeout: 5000,
            record: rec,
          });
          await s.login(ADMIN[flavour]);
          for (const command of COMMANDS[flavour]) {
            outputs.push((await s.run(command)).output);
            if (outputs.length === 1) await rec.resize(100, 30);
          }
          await s.logout();
        }
        const { code, text } = await asciinemaCat(`${dir}/s.cast`);
        assert.equal(code, 0);
        assert.equal(text, printed);
        for (const output of outputs) {
          assert(text.includes(output.replaceAll("\n", "\r\n")), output);
        }
        assert.match(text, /recorded (Administrator|root)/);
        const cast = await Deno.readTextFile(`${dir}/s.cast`);
        assert.match(cast, /\[[\d.]+,"r","100x30"\]/);
        assert.doesNotMatch(cast, /xenpv/); // the password, typed and recorded as input
        assert.match(cast.split("\n")[0], /"title":"g1 \(pv console\)"/);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

/** A login that echoes the password back and prints it again later, as a hostile guest might. */
function hostileLogin() {
  let console_: GuestConsole;
  let stage = 0;
  return {
    start(c: GuestConsole) {
      console_ = c;
      c.write("\r\nhost login: ");
    },
    input(data: Uint8Array) {
      const text = new TextDecoder().decode(data);
      console_.write(text.replace(/\r/, "\r\n"));
      if (!/[\r\n]/.test(text)) return;
      if (stage++ === 0) return console_.write("Password: ");
      if (stage === 2) return console_.write(`your password was ${text.trim()}\r\n$ `);
      console_.write(`${text.trim()}: not found\r\n$ `);
    },
    stop() {},
  };
}

Deno.test({
  name: "a password typed at the prompt and echoed by a hostile guest never reaches the recording",
  ignore: noAsciinema,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using host = new SimulatedHost();
      await host.createGuest({ name: "evil", program: () => hostileLogin() });
      await using console_ = await connect("evil", { host });
      {
        await using rec = Recorder.open(`${dir}/e.cast`, { input: true });
        const reader = console_.readable.getReader();
        const writer = console_.writable.getWriter();
        const until = async (what: string) => {
          let seen = "";
          while (!seen.includes(what)) {
            const { value } = await reader.read();
            await rec.output(value!);
            seen += new TextDecoder().decode(value);
          }
        };
        const type = async (line: string) => {
          rec.input(new TextEncoder().encode(line));
          await writer.write(new TextEncoder().encode(line));
        };
        await until("login: ");
        await type("root\r");
        await until("Password: ");
        await type("Tr0ub4dor&3\r");
        await until("$ ");
        await type("echo Tr0ub4dor&3\r");
        await until("$ ");
        reader.releaseLock();
        writer.releaseLock();
      }
      const cast = await Deno.readTextFile(`${dir}/e.cast`);
      assert.doesNotMatch(cast, /Tr0ub4dor|ub4dor&3/);
      assert.match(cast, /your password was \[redacted\]/);
      const { code, text } = await asciinemaCat(`${dir}/e.cast`);
      assert.equal(code, 0);
      assert.match(text, /host login: root\r\nPassword: /);
      assert.doesNotMatch(text, /Tr0ub4dor/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a recording cut mid-line (a kill) plays in asciinema up to its last complete event",
  ignore: noAsciinema,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/k.cast`;
      {
        await using rec = Recorder.open(path);
        for (const line of ["C:\\>dir\r\n", " Volume in drive C\r\n", "C:\\>type big.txt\r\n"]) {
          await rec.output(new TextEncoder().encode(line));
        }
      }
      const whole = await Deno.readTextFile(path);
      const last = whole.lastIndexOf("\n", whole.length - 2);
      await Deno.writeTextFile(path, whole.slice(0, last + 10)); // into the last line
      const { text } = await asciinemaCat(path);
      // asciinema 2.2 prints every complete event, then stops at the cut line
      assert.equal(text, "C:\\>dir\r\n Volume in drive C\r\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a code-page 850 guest records Müller, not U+FFFD, once chcp names the page",
  ignore: noAsciinema,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using host = new SimulatedHost();
      await host.createGuest({
        name: "w850",
        program: (o) => windowsGuest({ ...o, codePage: 850 }),
      });
      const console_ = await connect("w850", { host });
      const rec = Recorder.open(`${dir}/cp.cast`, { guest: { name: "w850" } });
      {
        await using session = new ConsoleSession(console_, {
          dialect: "windows",
          ownsConsole: true,
          record: rec,
        });
        await session.login(ADMIN.windows);
        const { output } = await session.run("echo Müller");
        assert.equal(output.trim(), "Müller");
      }
      await rec.close();
      const { code, text } = await asciinemaCat(`${dir}/cp.cast`);
      assert.equal(code, 0);
      assert.match(text, /\r\nMüller\r\n/);
      assert.doesNotMatch(text, /\ufffd/);
      // a page fixed by the caller decodes from the first byte
      const fixed = Recorder.open(`${dir}/fixed.cast`, { encoding: 850 });
      await fixed.output(new Uint8Array([0x4d, 0x81, 0x6c, 0x6c, 0x65, 0x72, 0x0d, 0x0a]));
      await fixed.close();
      assert.equal((await asciinemaCat(`${dir}/fixed.cast`)).text, "Müller\r\n");
      assert.throws(() => Recorder.open(`${dir}/x.cast`, { encoding: 12345 }), RangeError);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
