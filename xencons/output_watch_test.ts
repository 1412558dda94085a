// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { OutputWatch } from "./output_watch.ts";

/** Whether `p` has settled, after the microtasks queued now have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => done = true);
  for (let i = 0; i < 3; i++) await Promise.resolve();
  return done;
}

Deno.test("OutputWatch.echo: the previous command's closing CRLF is not the typed line's echo", async () => {
  // cmd ends a command's output with CRLF, then its prompt; the next line may
  // be typed before that CRLF arrives (its echo seen), and its own echo
  // comes after it.
  const watch = new OutputWatch();
  watch.seen("C:\\Users\\Administrator>echo hi > a.txt\r\n");
  const echoed = watch.echo("dir /b");
  watch.seen("\r\n");
  watch.seen("C:\\Users\\Administrator>");
  assert.equal(await settled(echoed), false, "taken for the echo: a blank line");
  watch.seen("dir /b");
  assert.equal(await settled(echoed), false, "no line end yet");
  watch.seen("\r\na.txt\r\n");
  assert.equal(await settled(echoed), true);
});

Deno.test("OutputWatch.echo: a line typed ahead, in one chunk with others, split, or long", async () => {
  const watch = new OutputWatch();
  const ahead = watch.echo("ver");
  watch.seen("\r\nver\r\n"); // typed while a command ran: no prompt before it
  assert.equal(await settled(ahead), true);
  const split = watch.echo("echo Grüße");
  watch.seen("\x1b[1mC:\\>ec");
  watch.seen("ho Grü");
  assert.equal(await settled(split), false);
  watch.seen("ße\r");
  watch.seen("\n");
  assert.equal(await settled(split), true);
  const text = "x".repeat(1000);
  const long = watch.echo(text);
  watch.seen("C:\\>");
  for (let i = 0; i < 10; i++) watch.seen("x".repeat(100));
  watch.seen("\r\n");
  assert.equal(await settled(long), true);
});

Deno.test("OutputWatch.echo: a line not echoed (a password) ends the line that waited for it", async () => {
  const watch = new OutputWatch();
  watch.seen("\r\nWIN1 login: Administrator\r\nPassword: ");
  const password = watch.echo("xenpv");
  watch.seen("\r\nMicrosoft Windows [Version 10.0.15063]\r\n");
  assert.equal(await settled(password), true);
  // An empty line typed at a prompt: that prompt's line ends.
  watch.seen("C:\\>");
  const empty = watch.echo("");
  watch.seen("\r\n");
  assert.equal(await settled(empty), true);
});

Deno.test("OutputWatch.settled: a prompt and quiet, or the linger", async () => {
  const watch = new OutputWatch();
  watch.seen("C:\\>dir\r\nfile\r\n\r\nC:\\>");
  assert.equal(await watch.settled(5000), "prompt");
  watch.seen("still running...");
  assert.equal(await watch.settled(400), "linger");
});
