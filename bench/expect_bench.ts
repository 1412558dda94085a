// Copyright 2026 the xenpv authors. MIT license.
// The expect layer and the transcript on a large command output: both must
// stay linear in the output (a quadratic rescan showed up as 64 s for 8 MiB).
import { Expect, Transcript } from "../xencons/mod.ts";

const LINE = new TextEncoder().encode(("y".repeat(78) + "\r\n").repeat(25)); // 2000 bytes
const END = new TextEncoder().encode("END\r\n");

Deno.bench(
  "expect(): 8 MB of output collected with maxBefore, noise and ANSI cleaning on",
  async () => {
    let ctl!: ReadableStreamDefaultController<Uint8Array>;
    const readable = new ReadableStream<Uint8Array>({ start: (c) => void (ctl = c) }, {
      highWaterMark: 0,
    });
    const ex = new Expect({ readable, writable: new WritableStream() }, {
      noise: /\[ *\d+\.\d+\] [^\r\n]*\r?\n/g,
      stripAnsi: true,
    });
    const done = ex.expect("END\r\n", { maxBefore: 16 << 20 });
    for (let i = 0; i < 4000; i++) {
      ctl.enqueue(LINE);
      await 0;
    }
    ctl.enqueue(END);
    const m = await done;
    if (m.before.length !== 4000 * LINE.length) throw new Error("lost output");
    await ex.close();
  },
);

Deno.bench("transcript: 16 MiB recorded in one burst of 2 KiB chunks, a secret registered", () => {
  const t = new Transcript();
  t.addSecret("hunter2");
  const chunk = "x".repeat(2048);
  for (let i = 0; i < 8192; i++) t.record("out", chunk);
});
