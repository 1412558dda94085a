// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { CodePage } from "./code_page.ts";
import { ConsoleEncoding } from "./console_encoding.ts";
import { UnencodableError } from "./errors.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("ConsoleEncoding auto: UTF-8 until chcp's answer, in any language, split across chunks", () => {
  const changes: string[] = [];
  const enc = new ConsoleEncoding("auto", {
    onPageChange: (page, previous) => changes.push(`${previous.id}->${page.id}`),
  });
  assert.equal(enc.auto, true);
  assert.equal(enc.decode(bytes("C:\\>echo grüße\r\ngrüße\r\n")), "C:\\>echo grüße\r\ngrüße\r\n");
  // A number on a line not after a chcp changes nothing.
  enc.decode(bytes("Active code page: 850\r\n"));
  assert.deepEqual(changes, []);
  enc.decode(bytes("C:\\>ch"));
  enc.decode(bytes("cp\r\nAktive Codepage: 8"));
  enc.decode(bytes("50.\r\n"));
  assert.deepEqual(changes, ["65001->850"]);
  // The rest of the chunk with the answer is decoded in the new page already.
  const enc2 = new ConsoleEncoding();
  assert.equal(
    enc2.decode(Uint8Array.from([...bytes("chcp\r\nActive code page: 850\r\n"), 0x81])),
    "chcp\r\nActive code page: 850\r\nü",
  );
  // An answer naming a page without a table: the page stays.
  enc.decode(bytes("C:\\>chcp 932\r\nActive code page: 932\r\n"));
  assert.equal(enc.page.id, 850);
  enc.decode(bytes("C:\\>chcp 65001\r\nActive code page: 65001\r\n"));
  assert.equal(enc.page.id, 65001);
  assert.deepEqual(changes, ["65001->850", "850->65001"]);
});

Deno.test("ConsoleEncoding fixed: no chcp watching; encode throws or leaves out", () => {
  const enc = new ConsoleEncoding(CodePage.of("cp850"));
  assert.equal(enc.auto, false);
  enc.decode(bytes("chcp\r\nActive code page: 437\r\n"));
  assert.equal(enc.page.id, 850);
  assert.throws(
    () => enc.encode("a€b"),
    (e) => e instanceof UnencodableError && e.character === "€",
  );
  const left: string[] = [];
  assert.deepEqual([...enc.encode("a€b😀ü", { onUnencodable: (c) => left.push(c) })], [
    0x61,
    0x62,
    0x81,
  ]);
  assert.deepEqual(left, ["€", "😀"]);
  assert.deepEqual([...new ConsoleEncoding("utf-8").encode("€")], [0xe2, 0x82, 0xac]);
  assert.throws(() => new ConsoleEncoding(932), RangeError);
  assert.throws(() => new ConsoleEncoding("auto", { onPageChange: 1 as never }), TypeError);
});

Deno.test("ConsoleEncoding.settled: waits for chcp's answer, at most the time given", async () => {
  const enc = new ConsoleEncoding();
  await enc.settled(10); // nothing awaited
  enc.decode(bytes("C:\\>chcp\r\n"));
  let done = false;
  const waiting = enc.settled(5000).then(() => done = true);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(done, false);
  enc.decode(bytes("Active code page: 850\r\n"));
  await waiting;
  assert.equal(enc.page.id, 850);
  enc.decode(bytes("C:\\>chcp\r\n"));
  const t0 = Date.now();
  await enc.settled(50); // no answer: gives up
  assert.ok(Date.now() - t0 >= 40);
});

Deno.test("ConsoleEncoding: a hostile guest's endless line is bounded", () => {
  const enc = new ConsoleEncoding();
  const line = bytes("x".repeat(100_000));
  for (let i = 0; i < 20; i++) enc.decode(line);
  enc.decode(bytes("chcp\r\nActive code page: 850\r\n")); // no: the chcp ends a line of x
  assert.equal(enc.page.id, 65001);
  enc.decode(bytes("C:\\>chcp\r\nActive code page: 850\r\n"));
  assert.equal(enc.page.id, 850);
});

Deno.test("ConsoleEncoding auto: a chcp echoed a key at a time, its line end in a chunk of its own", () => {
  // as a browser or a terminal types it: the guest echoes each key, then CR LF
  const enc = new ConsoleEncoding("auto");
  enc.decode(bytes("C:\\Users\\Administrator>"));
  for (const key of "chcp") enc.decode(bytes(key));
  enc.decode(bytes("\r\n"));
  enc.decode(bytes("Active code page: 850\r\n\r\nC:\\Users\\Administrator>"));
  assert.equal(enc.page.id, 850);
  assert.equal(enc.decode(Uint8Array.from([0x4d, 0x81, 0x6c, 0x6c, 0x65, 0x72])), "Müller");
});
