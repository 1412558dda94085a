// Copyright 2026 the xenpv authors. MIT license.
// putFile/getFile on the simulated guests: 1 MiB of random bytes there and
// back, byte for byte (Linux, Windows, a code-page 850 Windows with a
// non-ASCII path); a guest that changes a byte in a chunk, either way, is
// caught and the chunk named; an abort, and a failure, leave no temporary
// file behind.

import assert from "node:assert/strict";
import { connect } from "../../mod.ts";
import { SimulatedHost, windowsGuest } from "../../sim/mod.ts";
import {
  CommandAbortedError,
  ConsoleSession,
  type ConsoleStreams,
  type FileProgress,
  FileTransferError,
} from "../../xencons/mod.ts";
import { parseHash } from "../../xencons/_file_scripts.ts";
import { prng } from "../_prng.ts";
import { ADMIN, type Flavour } from "./_simulated_session.ts";

/** `n` bytes from a seeded generator: every value, no pattern. */
function randomBytes(n: number, seed: number): Uint8Array {
  const next = prng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
  return out;
}

/** When a flipper strikes: at the `nth` piece carrying base64 once armed (counted from 1). */
interface Trigger {
  armed: boolean;
  nth: number;
}

/** Streams that change one letter of a base64 run in one piece (see {@linkcode Trigger}). */
function flipping(
  console: ConsoleStreams,
  direction: "typed" | "printed",
  trigger: Trigger,
): ConsoleStreams {
  let seen = 0;
  const flip = (chunk: Uint8Array): Uint8Array => {
    if (!trigger.armed) return chunk;
    const text = new TextDecoder("latin1").decode(chunk);
    const run = /[A-Za-z0-9+/]{60,}/.exec(text);
    if (!run || ++seen !== trigger.nth) return chunk;
    trigger.armed = false;
    const at = run.index + 30;
    const out = chunk.slice();
    out[at] = out[at] === 0x41 ? 0x42 : 0x41; // another letter: still base64
    return out;
  };
  if (direction === "printed") {
    return {
      readable: console.readable.pipeThrough(
        new TransformStream({ transform: (c, ctl) => ctl.enqueue(flip(c)) }),
      ),
      writable: console.writable,
    };
  }
  const writer = console.writable.getWriter();
  return {
    readable: console.readable,
    writable: new WritableStream({
      write: (c) => writer.write(flip(c)),
      close: () => writer.close(),
      abort: (r) => writer.abort(r),
    }),
  };
}

interface Guest extends AsyncDisposable {
  session: ConsoleSession;
}

async function guest(
  flavour: Flavour,
  options: { codePage?: number; wrap?: (c: ConsoleStreams) => ConsoleStreams } = {},
): Promise<Guest> {
  const host = new SimulatedHost();
  try {
    await host.createGuest({
      name: "g1",
      program: flavour === "windows"
        ? (o) => windowsGuest({ ...o, codePage: options.codePage ?? 437 })
        : "linux",
    });
    const console = await connect("g1", { host });
    const streams = options.wrap ? options.wrap(console) : console;
    const session = new ConsoleSession(
      { ...streams, close: () => console.close() },
      { dialect: flavour, ownsConsole: true, timeout: 20000 },
    );
    await session.login(ADMIN[flavour]);
    return {
      session,
      async [Symbol.asyncDispose]() {
        await session.close();
        await host.close();
      },
    };
  } catch (err) {
    await host.close();
    throw err;
  }
}

/** The guest's temporary files of a copy (none should be left). */
async function temporaries(session: ConsoleSession, flavour: Flavour): Promise<string[]> {
  const listing = flavour === "linux"
    ? (await session.run("ls -a /root /tmp")).output
    : (await session.run("dir /b & dir /b %TEMP%")).output;
  return listing.split(/\s+/).filter((name) => /xpv/i.test(name));
}

const MiB = 1 << 20;
const PATHS: Record<Flavour, string> = {
  linux: "/root/blob.bin",
  windows: "C:\\Users\\Administrator\\blob.bin",
};

for (const flavour of ["linux", "windows"] as const) {
  Deno.test(`1 MiB of random bytes round-trips to and from the simulated ${flavour} guest`, async () => {
    await using g = await guest(flavour);
    const data = randomBytes(MiB, 32);
    const events: FileProgress[] = [];
    const put = await g.session.putFile(data, PATHS[flavour], {
      onProgress: (p) => events.push(p),
    });
    assert.equal(put.bytes, MiB);
    assert.equal(put.algorithm, "sha256");
    assert.equal(events.at(-1)?.bytes, MiB);
    assert.ok(
      events.length > 2 && events.every((p, i) => i === 0 || p.bytes >= events[i - 1].bytes),
    );
    const got = await g.session.getFile(PATHS[flavour]);
    assert.equal(got.hash, put.hash);
    assert.deepEqual(got.data, data);
    assert.deepEqual(await temporaries(g.session, flavour), []);
  });
}

for (const flavour of ["linux", "windows"] as const) {
  Deno.test(`sizes at the chunks' edges round-trip on the simulated ${flavour} guest`, async () => {
    await using g = await guest(flavour);
    // 0-4 bytes (base64's padding), Linux's 32 KiB read chunks, Windows' 1000-line chunks
    // (48 bytes a line, 2 frame lines: 997-999 lines of base64 around the first edge).
    for (
      const n of [0, 1, 2, 3, 4, 32767, 32768, 32769, 997 * 48, 998 * 48, 998 * 48 + 1, 999 * 48]
    ) {
      const data = randomBytes(n, n);
      await g.session.putFile(data, PATHS[flavour]);
      const got = await g.session.getFile(PATHS[flavour]);
      assert.deepEqual(got.data, data, `${n} bytes`);
    }
  });
}

Deno.test("1 MiB round-trips to a code-page 850 Windows guest under a non-ASCII path", async () => {
  await using g = await guest("windows", { codePage: 850 });
  assert.equal(g.session.codePage, 850);
  const path = "C:\\Users\\Administrator\\Müller Überweisung.bin";
  const data = randomBytes(MiB, 850);
  await g.session.putFile(data, path);
  assert.match((await g.session.run("dir /b")).output, /Müller Überweisung\.bin/);
  const got = await g.session.getFile(path);
  assert.deepEqual(got.data, data);
  assert.deepEqual(await temporaries(g.session, "windows"), []);
});

for (const flavour of ["linux", "windows"] as const) {
  Deno.test(`a ${flavour} guest changing a byte of a typed chunk is caught, the chunk named`, async () => {
    // The 5th piece of typed base64: Linux's chunk 5, a piece of Windows' chunk 1.
    const trigger = { armed: true, nth: 5 };
    await using g = await guest(flavour, { wrap: (c) => flipping(c, "typed", trigger) });
    let done = 0;
    const err = await g.session.putFile(randomBytes(64 * 1024, 5), PATHS[flavour], {
      onProgress: (p) => done = p.chunk,
    }).catch((e) => e);
    assert.ok(err instanceof FileTransferError, String(err));
    assert.equal(err.reason, "mismatch");
    assert.equal(err.chunk, done + 1); // the chunk being written, named
    assert.ok(err.chunk! >= 1);
    assert.match(err.message, new RegExp(`chunk ${err.chunk}\\b`));
    assert.deepEqual(await temporaries(g.session, flavour), []);
    assert.equal(
      (await g.session.run(flavour === "linux" ? "ls /root" : "dir /b")).output.includes(
        "blob.bin",
      ),
      false,
    );
  });
}

Deno.test("a Linux guest changing a byte it prints is caught in the chunk it read", async () => {
  const trigger = { armed: false, nth: 40 }; // well into the 2nd of 5 chunks of 48 KiB
  await using g = await guest("linux", { wrap: (c) => flipping(c, "printed", trigger) });
  await g.session.putFile(randomBytes(200 * 1024, 7), PATHS.linux);
  trigger.armed = true;
  let done = 0;
  const err = await g.session.getFile(PATHS.linux, { onProgress: (p) => done = p.chunk })
    .catch((e) => e);
  assert.ok(err instanceof FileTransferError, String(err));
  assert.equal(err.reason, "mismatch");
  assert.ok(err.chunk! >= 1);
  assert.equal(err.chunk, done + 1);
});

Deno.test("a Windows guest changing a byte it prints is caught in the chunk it read", async () => {
  const trigger = { armed: false, nth: 30 }; // in the 2nd of 6 chunks of 1000 lines
  await using g = await guest("windows", { wrap: (c) => flipping(c, "printed", trigger) });
  await g.session.putFile(randomBytes(256 * 1024, 9), PATHS.windows);
  trigger.armed = true;
  let done = 0;
  const err = await g.session.getFile(PATHS.windows, { onProgress: (p) => done = p.chunk })
    .catch((e) => e);
  assert.ok(err instanceof FileTransferError, String(err));
  assert.equal(err.reason, "mismatch");
  assert.ok(err.chunk! >= 1);
  assert.equal(err.chunk, done + 1);
  assert.match(err.message, /sha256 of chunk \d+ differs/);
  assert.deepEqual(await temporaries(g.session, "windows"), []);
});

for (const flavour of ["linux", "windows"] as const) {
  Deno.test(`aborting a copy to the ${flavour} guest leaves no temporary file`, async () => {
    await using g = await guest(flavour);
    const stop = new AbortController();
    const err = await g.session.putFile(randomBytes(256 * 1024, 3), PATHS[flavour], {
      signal: stop.signal,
      onProgress: (p) => p.chunk === 2 && stop.abort(new Error("enough")),
    }).catch((e) => e);
    assert.ok(err instanceof CommandAbortedError, String(err));
    assert.equal(err.recovered, true);
    assert.equal(g.session.state, "ready");
    assert.deepEqual(await temporaries(g.session, flavour), []);
    assert.equal(
      (await g.session.run(flavour === "linux" ? "ls /root" : "dir /b")).output.includes(
        "blob.bin",
      ),
      false,
    );
  });
}

Deno.test("aborting a copy from the Windows guest leaves no temporary file in %TEMP%", async () => {
  await using g = await guest("windows");
  await g.session.putFile(randomBytes(256 * 1024, 4), PATHS.windows);
  const stop = new AbortController();
  const err = await g.session.getFile(PATHS.windows, {
    signal: stop.signal,
    onProgress: (p) => p.chunk === 1 && stop.abort(new Error("enough")),
  }).catch((e) => e);
  assert.ok(err instanceof CommandAbortedError, String(err));
  assert.equal(g.session.state, "ready");
  assert.deepEqual(await temporaries(g.session, "windows"), []);
});

Deno.test("a missing file, a too-large file, a missing directory are FileTransferErrors; an empty file copies", async () => {
  await using g = await guest("linux");
  const missing = await g.session.getFile("/root/nope").catch((e) => e);
  assert.ok(missing instanceof FileTransferError && missing.reason === "remote", String(missing));
  assert.match(missing.message, /No such file/);
  await g.session.putFile(new Uint8Array(100), "/root/hundred");
  const big = await g.session.getFile("/root/hundred", { maxBytes: 99 }).catch((e) => e);
  assert.ok(big instanceof FileTransferError && big.reason === "too-large");
  await assert.rejects(
    g.session.putFile(new Uint8Array(100), "/root/x", { maxBytes: 10 }),
    (e) => e instanceof FileTransferError && e.reason === "too-large",
  );
  const nodir = await g.session.putFile(new Uint8Array(3), "/nowhere/x").catch((e) => e);
  assert.ok(nodir instanceof FileTransferError && nodir.reason === "remote", String(nodir));
  const isDir = await g.session.putFile(new Uint8Array(3), "/root").catch((e) => e);
  assert.ok(isDir instanceof FileTransferError && isDir.reason === "remote", String(isDir));
  assert.match(isDir.message, /Is a directory/);
  await assert.rejects(
    g.session.putFile(new Uint8Array(3), `/root/${"x".repeat(900)}`),
    RangeError,
  );
  // An empty file copies too.
  await g.session.putFile(new Uint8Array(0), "/root/empty");
  assert.equal((await g.session.getFile("/root/empty")).data.length, 0);
});

Deno.test("hashes are read as sha256sum, busybox and certutil (Windows 7 and 10) print them", () => {
  const h = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
  assert.equal(parseHash(`${h}  /root/x\n`, "sha256"), h);
  assert.equal(parseHash(`\\${h}  /root/a\\\\b\n`, "sha256"), h);
  assert.equal(
    parseHash(
      `SHA256 hash of x.c:\n${h}\nCertUtil: -hashfile command completed successfully.\n`,
      "sha256",
    ),
    h,
  );
  const spaced = h.match(/../g)!.join(" ");
  assert.equal(
    parseHash(
      `SHA256 hash of file x.c:\n${spaced}\nCertUtil: -hashfile command completed successfully.\n`,
      "sha256",
    ),
    h,
  );
  assert.equal(
    parseHash("d41d8cd98f00b204e9800998ecf8427e  -\n", "md5"),
    "d41d8cd98f00b204e9800998ecf8427e",
  );
  assert.equal(parseHash(`${h.slice(1)}  x\n`, "sha256"), undefined);
});

/**
 * A tiny Linux console that answers each typed line in ONE read: the login
 * dialogue, the probe, and a command's begin marker, 200,000 characters of
 * output and its end marker together (as a console stream with large reads
 * would deliver them).
 */
function oneReadConsole(): ConsoleStreams {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const say = (s: string) => ctl.enqueue(new TextEncoder().encode(s));
  let typed = "";
  return {
    readable: new ReadableStream({ start: (c) => void (ctl = c) }),
    writable: new WritableStream({
      write(chunk) {
        typed += new TextDecoder().decode(chunk);
        let at;
        while ((at = typed.indexOf("\r")) >= 0) {
          const line = typed.slice(0, at);
          typed = typed.slice(at + 1);
          const probe = /echo (XPV\w+)''R/.exec(line);
          const command = /echo (XPV\w+)''B/.exec(line);
          if (line === "") say("\r\ng1 login: ");
          else if (line === "root") say("root\r\nPassword: ");
          else if (line === "xenpv") say("\r\n# ");
          else if (probe) say(`${line}\r\n${probe[1]}R\r\n# `);
          else if (command) {
            // A moment later: run() awaits the begin marker by then.
            const out = `${line}\r\n${command[1]}B\r\n${"y".repeat(200_000)}\r\n${
              command[1]
            }E:0\r\n# `;
            setTimeout(() => say(out), 20);
          }
        }
      },
    }),
  };
}

Deno.test("run() keeps an output far longer than the window that comes in the read with its begin marker", async () => {
  // login()'s settling waits on an unref'd timer: something must keep this test's loop alive.
  const alive = setInterval(() => {}, 1000);
  try {
    await using session = new ConsoleSession(oneReadConsole(), { dialect: "linux", timeout: 5000 });
    await session.login({ user: "root", password: "xenpv" });
    const r = await session.run("yes | head -c 200000", { maxOutput: 1 << 20 });
    assert.equal(r.dropped, 0);
    assert.equal(r.output, `${"y".repeat(200_000)}\n`);
  } finally {
    clearInterval(alive);
  }
});
