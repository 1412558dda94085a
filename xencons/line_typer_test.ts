// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { ConsoleEncoding } from "./console_encoding.ts";
import { LineTyper } from "./line_typer.ts";
import { OutputWatch } from "./output_watch.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test("LineTyper.lines: LF, CRLF and CR each end a line as one CR, also split between chunks", () => {
  const typer = new LineTyper();
  assert.deepEqual(typer.lines(bytes("a\nb\r\nc\rd")).map(text), ["a\r", "b\r", "c\r", "d"]);
  assert.deepEqual(typer.lines(bytes("e\r")).map(text), ["e\r"]);
  assert.deepEqual(typer.lines(bytes("\nf\n\n")).map(text), ["f\r", "\r"]);
  assert.deepEqual(typer.lines(bytes("")), []);
});

Deno.test("LineTyper.type: each line waits for the previous one's echo", async () => {
  const watch = new OutputWatch({ echoTimeout: 5000 });
  const typer = new LineTyper({ watch });
  const sent: string[] = [];
  let done = false;
  watch.seen("C:\\>");
  const typing = typer.type(bytes("one\ntwo\n"), (line) => {
    sent.push(text(line));
  }).then(() => done = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(sent, ["one\r"]); // "two" waits for one's echo
  watch.seen("one\r\n");
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(sent, ["one\r", "two\r"]);
  assert.equal(done, false, "done before two's echo");
  watch.seen("\r\nC:\\>two\r\n");
  await typing;
});

Deno.test("LineTyper.type: encode gives the guest's bytes; the echo is looked for in the page", async () => {
  const encoding = new ConsoleEncoding(850);
  const typer = new LineTyper({
    encoding,
    encode: (line) => encoding.encode(text(line)),
    watch: new OutputWatch({ echoTimeout: 5000 }),
  });
  const sent: number[][] = [];
  const typing = typer.type(bytes("grüße\n"), (line) => {
    sent.push([...line]);
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(sent, [[0x67, 0x72, 0x81, 0xe1, 0x65, 0x0d]]);
  typer.watch.seen(encoding.decode(new Uint8Array([0x67, 0x72, 0x81, 0xe1, 0x65, 0x0d, 0x0a])));
  await typing;
});

Deno.test("LineTyper.end: a last line left without its line end gets its Enter; an ended one nothing", async () => {
  const typer = new LineTyper({ watch: new OutputWatch({ echoTimeout: 0 }) });
  const sent: string[] = [];
  const send = (line: Uint8Array) => void sent.push(text(line));
  await typer.type(bytes("one\nve"), send);
  await typer.type(bytes("r"), send);
  assert.equal(await typer.end(send), true);
  assert.deepEqual(sent, ["one\r", "ve", "r", "\r"]);
  assert.equal(await typer.end(send), false); // once
  await typer.type(bytes("two\r\n"), send);
  assert.equal(await typer.end(send), false);
  assert.deepEqual(sent.slice(4), ["two\r"]);
});
