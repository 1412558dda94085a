// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { Expect, ExpectTimeoutError, StreamEndedError, UnencodableError } from "./mod.ts";

const enc = new TextEncoder();

/** A console whose output the test feeds by hand. */
function fakeConsole() {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const typed: string[] = [];
  const readable = new ReadableStream<Uint8Array>({ start: (c) => void (ctl = c) }, {
    highWaterMark: 0,
  });
  const writable = new WritableStream<Uint8Array>({
    write: (c) => void typed.push(new TextDecoder().decode(c)),
  });
  return {
    console: { readable, writable },
    typed,
    feed: (s: string) => ctl.enqueue(enc.encode(s)),
    end: () => ctl.close(),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("expect: the earliest match wins, before holds the text before it", async () => {
  const f = fakeConsole();
  await using ex = new Expect(f.console);
  f.feed("noise Password: later login: ");
  const m = await ex.expect(["login: ", /Pass(\w+): /]);
  assert.equal(m.index, 1);
  assert.equal(m.before, "noise ");
  assert.deepEqual(m.groups, ["word"]);
  assert.equal(ex.buffer, "later login: ");
  assert.equal(ex.discard(), "later login: ");
  assert.equal(ex.buffer, "");
});

Deno.test("expect: a pattern split across chunks still matches", async () => {
  const f = fakeConsole();
  await using ex = new Expect(f.console);
  const p = ex.expect("MARKER\r\n");
  for (const ch of "xxMARKER\r\n") {
    f.feed(ch);
    await tick();
  }
  assert.equal((await p).before, "xx");
});

Deno.test("expect: a timeout signal gives ExpectTimeoutError with the tail", async () => {
  const f = fakeConsole();
  await using ex = new Expect(f.console);
  f.feed("Booting Windows");
  await assert.rejects(
    ex.expect("login: ", { signal: AbortSignal.timeout(30) }),
    (e: unknown) => e instanceof ExpectTimeoutError && e.tail === "Booting Windows",
  );
  // Another abort reason comes through as it is.
  const c = new AbortController();
  const p = ex.expect("x", { signal: c.signal });
  c.abort(new RangeError("mine"));
  await assert.rejects(p, RangeError);
});

Deno.test("expect: the end of the stream rejects with StreamEndedError", async () => {
  const f = fakeConsole();
  await using ex = new Expect(f.console);
  const p = ex.expect("never");
  f.feed("last words");
  f.end();
  await assert.rejects(
    p,
    (e: unknown) => e instanceof StreamEndedError && e.tail === "last words",
  );
  assert.equal(ex.ended, true);
  await assert.rejects(ex.expect("x"), StreamEndedError);
});

Deno.test("expect: memory stays bounded by the window with output nobody matches", async () => {
  const f = fakeConsole();
  await using ex = new Expect(f.console, { window: 4096 });
  const p = ex.expect("END");
  const block = "y".repeat(65536);
  for (let i = 0; i < 160; i++) { // 10 MiB
    f.feed(block);
    await tick();
    assert.ok(ex.buffer.length <= 4096 + 4096 + block.length);
  }
  f.feed("tailEND");
  const m = await p;
  assert.equal(m.before.length, 4096);
  assert.equal(m.dropped, 160 * 65536 + 4 - 4096);
  assert.ok(m.before.endsWith("ytail"));
});

Deno.test("expect: maxBefore keeps a whole command output beyond the window", async () => {
  const f = fakeConsole();
  await using ex = new Expect(f.console, { window: 1024 });
  const p = ex.expect("END", { maxBefore: 100_000 });
  for (let i = 0; i < 50; i++) {
    f.feed(`line ${i}\r\n`.padEnd(1000, "."));
    await tick();
  }
  f.feed("END");
  const m = await p;
  assert.equal(m.dropped, 0);
  assert.ok(m.before.startsWith("line 0"));
  assert.equal(m.before.length, 50_000);
});

Deno.test("expect: a new expect() also searches output that arrived before it (settled pieces)", async () => {
  const f = fakeConsole();
  await using ex = new Expect(f.console);
  f.feed("early MARK ");
  for (let i = 0; i < 10; i++) {
    f.feed("z".repeat(4000));
    await tick();
  }
  const m = await ex.expect("MARK");
  assert.equal(m.before, "early ");
  assert.equal(ex.buffer.length, 1 + 40000);
});

Deno.test("expect: noise and ANSI sequences are cut out even when split across chunks", async () => {
  const f = fakeConsole();
  await using ex = new Expect(f.console, { noise: /\[ *\d+\.\d+\] [^\n]*\n/g, stripAnsi: true });
  const p = ex.expect("MARK42\r\n");
  for (
    const piece of ["MA", "RK[   5.12", "3456] eth0: up\r", "\n\x1b[1", ";31m42", "\x1b[0m\r\n"]
  ) {
    f.feed(piece);
    await tick();
  }
  assert.equal((await p).before, "");
});

Deno.test("expect: bad arguments are TypeError/RangeError; one waiter at a time", async () => {
  const f = fakeConsole();
  assert.throws(() => new Expect({} as never), TypeError);
  assert.throws(() => new Expect(fakeConsole().console, { window: 3 }), RangeError);
  assert.throws(() => new Expect(fakeConsole().console, { noise: /x/ }), TypeError);
  await using ex = new Expect(f.console);
  assert.throws(() => ex.expect([]), TypeError);
  assert.throws(() => ex.expect(""), TypeError);
  const first = ex.expect("a");
  await assert.rejects(ex.expect("b"), TypeError);
  f.feed("a");
  await first;
  await assert.rejects(ex.send(42 as never), TypeError);
});

Deno.test("expect: send records in the transcript, secrets redacted; close releases the locks", async () => {
  const f = fakeConsole();
  const ex = new Expect(f.console);
  await ex.send("Administrator\r");
  await ex.send("s3cret\r", { secret: true });
  f.feed("oops s3cret");
  await tick();
  assert.deepEqual(f.typed, ["Administrator\r", "s3cret\r"]);
  assert.doesNotMatch(ex.transcript.toString(), /s3cret/);
  const pending = ex.expect("never");
  await ex.close();
  await assert.rejects(pending, TypeError);
  // The locks are free again.
  f.console.readable.getReader().releaseLock();
  f.console.writable.getWriter().releaseLock();
  await assert.rejects(ex.send("x"), TypeError);
});

/** A console that hands the test its raw bytes, both ways. */
function byteConsole() {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const typed: number[][] = [];
  const readable = new ReadableStream<Uint8Array>({ start: (c) => void (ctl = c) }, {
    highWaterMark: 0,
  });
  const writable = new WritableStream<Uint8Array>({ write: (c) => void typed.push([...c]) });
  return {
    console: { readable, writable },
    typed,
    feed: (b: number[]) => ctl.enqueue(new Uint8Array(b)),
  };
}

Deno.test("expect: a cp850 encoding matches and types cp850 text; € throws before any byte", async () => {
  const f = byteConsole();
  await using ex = new Expect(f.console, { encoding: "cp850" });
  assert.equal(ex.encoding, "cp850");
  // "C:\Users\Müller>" in cp850 (ü is 0x81, not valid UTF-8 on its own).
  f.feed([...enc.encode("C:\\Users\\M"), 0x81, ...enc.encode("ller>")]);
  const m = await ex.expect(/\\([^\\]+)>$/, { signal: AbortSignal.timeout(1000) });
  assert.equal(m.groups[0], "Müller");
  await ex.send("echo ä ö ü ß\r");
  assert.deepEqual(f.typed, [[
    ...enc.encode("echo "),
    0x84,
    0x20,
    0x94,
    0x20,
    0x81,
    0x20,
    0xe1,
    0x0d,
  ]]);
  await assert.rejects(() => ex.send("echo ä ö ü ß €\r"), UnencodableError);
  assert.equal(f.typed.length, 1);
  assert.equal(ex.transcript.entries.filter((e) => e.direction === "in").length, 1);
});

Deno.test("expect: setEncoding switches both directions from the next chunk", async () => {
  const f = byteConsole();
  await using ex = new Expect(f.console);
  f.feed([0x81, 0x0a]);
  await ex.expect("\n", { signal: AbortSignal.timeout(1000) });
  ex.setEncoding(850);
  f.feed([0x81, 0x0a]);
  const m = await ex.expect("\n", { signal: AbortSignal.timeout(1000) });
  assert.equal(m.before, "ü");
  await ex.send("ü");
  assert.deepEqual(f.typed, [[0x81]]);
  ex.setEncoding("utf-8");
  await ex.send("ü");
  assert.deepEqual(f.typed[1], [0xc3, 0xbc]);
  assert.throws(() => ex.setEncoding(932), RangeError);
  assert.throws(() => ex.setEncoding("no-such-label"), RangeError);
});

Deno.test("expect: text that came with a match is kept as far as that call's maxBefore, for the next call", async () => {
  // run() awaits a command's begin marker, then its end marker with maxOutput: output longer
  // than the window that arrived in the same read as the begin marker lost its start.
  const f = fakeConsole();
  await using ex = new Expect(f.console, { window: 1024 });
  const body = "x".repeat(100_000); // far more than the window and the active tail
  const begun = ex.expect("BEGIN\n", { maxBefore: 200_000 });
  f.feed(`BEGIN\n${body}END`);
  await begun;
  await tick();
  const m = await ex.expect("END", { maxBefore: 200_000 });
  assert.equal(m.before.length, body.length);
  assert.equal(m.dropped, 0);
  // Without a bound of its own, the window applies as before.
  const second = ex.expect("BEGIN\n");
  f.feed(`BEGIN\n${body}END`);
  await second;
  await tick();
  const cut = await ex.expect("END");
  assert.equal(cut.before.length, 1024);
  assert.equal(cut.dropped + cut.before.length, body.length);
});
