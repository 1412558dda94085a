// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { CodePage } from "./code_page.ts";
import { UnencodableError } from "./errors.ts";
import { have, skipUnless } from "../tests/_peers.ts";

const PAGES = [437, 850, 852, 857, 866, 1250, 1251, 1252];

/**
 * The independent oracle: Python 3's codecs (generated from Unicode's
 * published MICSFT/VENDORS tables), each byte decoded alone; null where
 * Python says the byte is undefined.
 */
async function pythonTable(page: number): Promise<(number | null)[]> {
  const script = `
import json, sys
out = []
for b in range(256):
    try:
        out.append(ord(bytes([b]).decode("cp${page}")))
    except UnicodeDecodeError:
        out.append(None)
print(json.dumps(out))
`;
  const { code, stdout, stderr } = await new Deno.Command("python3", {
    args: ["-c", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

// The oracle is a peer: without python3 these tests are skipped, in CI they fail.
const noPython = skipUnless(
  await have("python3", ["-c", "pass"]),
  "python3 (the code page oracle)",
);

for (const page of PAGES) {
  Deno.test({
    name: `CodePage ${page}: all 256 bytes decode as Python's cp${page} says`,
    ignore: noPython,
    async fn() {
      const oracle = await pythonTable(page);
      const cp = CodePage.of(page);
      let undefinedBytes = 0;
      for (let b = 0; b < 256; b++) {
        const got = cp.decode(new Uint8Array([b]));
        const want = oracle[b];
        if (want === null) {
          // Undefined in the page: U+FFFD, and nothing encodes to it.
          undefinedBytes++;
          assert.equal(got, "\ufffd", `byte 0x${b.toString(16)}`);
          continue;
        }
        assert.equal(got, String.fromCodePoint(want), `cp${page} byte 0x${b.toString(16)}`);
        // Both directions: the character encodes back to its byte.
        assert.deepEqual([...cp.encode(got)], [b], `cp${page} U+${want.toString(16)}`);
      }
      // All 256 bytes at once decode as the bytes one by one (no state between them).
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      assert.equal(
        cp.decode(all),
        oracle.map((c) => c === null ? "\ufffd" : String.fromCodePoint(c)).join(""),
      );
      assert.ok(undefinedBytes <= 5, `${undefinedBytes} undefined bytes`);
    },
  });
}

Deno.test({
  name: "CodePage: Python encodes every character of each page to the same byte",
  ignore: noPython,
  async fn() {
    for (const page of PAGES) {
      const cp = CodePage.of(page);
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const text = [...cp.decode(all)].filter((c) => c !== "\ufffd").join("");
      const { code, stdout } = await pipe(text, page);
      assert.equal(code, 0);
      assert.deepEqual(cp.encode(text), stdout, `cp${page}`);
    }
  },
});

async function pipe(text: string, page: number): Promise<{ code: number; stdout: Uint8Array }> {
  const child = new Deno.Command("python3", {
    args: ["-c", `import sys; sys.stdout.buffer.write(sys.stdin.read().encode("cp${page}"))`],
    stdin: "piped",
    stdout: "piped",
    env: { PYTHONIOENCODING: "utf-8" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout } = await child.output();
  return { code, stdout };
}

Deno.test("CodePage: 866 and 1250-1252 agree with TextDecoder on every byte both define", () => {
  const labels: Record<number, string> = {
    866: "ibm866",
    1250: "windows-1250",
    1251: "windows-1251",
    1252: "windows-1252",
  };
  for (const [page, label] of Object.entries(labels)) {
    const cp = CodePage.of(Number(page));
    const whatwg = new TextDecoder(label);
    for (let b = 0; b < 256; b++) {
      const bytes = new Uint8Array([b]);
      const got = cp.decode(bytes);
      const want = whatwg.decode(bytes);
      // WHATWG gives the C1 control U+0080+n for bytes Windows leaves
      // undefined (0x81 in 1252); this module gives U+FFFD there.
      if (got === "\ufffd") {
        assert.ok(
          b >= 0x80 && b <= 0x9f && want.charCodeAt(0) === b,
          `${label} 0x${b.toString(16)}`,
        );
      } else assert.equal(got, want, `${label} byte 0x${b.toString(16)}`);
    }
  }
});

Deno.test("CodePage: the well-known characters of the OEM pages", () => {
  const cp850 = CodePage.of(850);
  assert.deepEqual([...cp850.encode("ä ö ü ß Ä Ö Ü")], [
    0x84,
    0x20,
    0x94,
    0x20,
    0x81,
    0x20,
    0xe1,
    0x20,
    0x8e,
    0x20,
    0x99,
    0x20,
    0x9a,
  ]);
  assert.equal(CodePage.of(437).decode(new Uint8Array([0xc9, 0xcd, 0xbb])), "╔═╗");
  assert.equal(
    CodePage.of(866).decode(new Uint8Array([0x8f, 0xe0, 0xa8, 0xa2, 0xa5, 0xe2])),
    "Привет",
  );
  assert.equal(CodePage.of(852).decode(new Uint8Array([0xa5, 0x88])), "ął");
  assert.equal(CodePage.of(857).decode(new Uint8Array([0x98, 0x8d])), "İı");
  assert.equal(CodePage.of(1252).decode(new Uint8Array([0x80])), "€");
});

Deno.test("CodePage.encode throws UnencodableError naming the character, or replaces it", () => {
  const cp850 = CodePage.of(850);
  assert.throws(() => cp850.encode("ä ö ü ß €"), (e: unknown) => {
    assert.ok(e instanceof UnencodableError);
    assert.equal(e.character, "€");
    assert.equal(e.codePage, 850);
    assert.match(e.message, /"€" \(U\+20AC\)/);
    return true;
  });
  // A character beyond the BMP is named whole.
  assert.throws(
    () => cp850.encode("ok 😀"),
    (e: unknown) => (e as UnencodableError).character === "😀",
  );
  // Secret text: the message keeps the character out.
  assert.throws(() => cp850.encode("pässwörd€", { secret: true }), (e: unknown) => {
    assert.ok(e instanceof UnencodableError);
    assert.equal(e.character, undefined);
    assert.doesNotMatch(e.message, /€/);
    return true;
  });
  // U+FFFD (an undefined byte's decoding) cannot be typed.
  assert.throws(() => CodePage.of(1252).encode("\ufffd"), UnencodableError);
  assert.deepEqual([...cp850.encode("a€b", { replacement: 0x3f })], [0x61, 0x3f, 0x62]);
  assert.equal(cp850.unencodable("äöü€ß"), "€");
  assert.equal(cp850.unencodable("äöü"), undefined);
});

Deno.test("CodePage.of takes numbers and names; 65001 is UTF-8 with a streaming decoder", () => {
  assert.equal(CodePage.of("cp850"), CodePage.of(850));
  assert.equal(CodePage.of("IBM850").id, 850);
  assert.equal(CodePage.of("ibm866").name, "ibm866");
  assert.equal(CodePage.of("windows-1251").name, "windows-1251");
  assert.equal(CodePage.of("utf-8").id, 65001);
  assert.equal(CodePage.of(65001).name, "utf-8");
  assert.throws(() => CodePage.of(932), RangeError);
  assert.throws(() => CodePage.of("latin-1"), RangeError);
  assert.equal(CodePage.has(932), false);
  assert.equal(CodePage.has("cp437"), true);
  const utf8 = CodePage.of(65001);
  assert.deepEqual([...utf8.encode("€")], [0xe2, 0x82, 0xac]);
  const d = utf8.decoder();
  assert.equal(d.decode(new Uint8Array([0x41, 0xe2, 0x82]), { stream: true }), "A");
  assert.equal(d.decode(new Uint8Array([0xac]), { stream: true }), "€");
  assert.throws(() => new CodePage(850, "cp850", undefined), TypeError);
});
