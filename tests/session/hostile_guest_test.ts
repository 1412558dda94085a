// Copyright 2026 the xenpv authors. MIT license.
// A hostile guest on its own xenstore connection, against the simulated
// host, which sets libxl's permissions.

import assert from "node:assert/strict";
import { connect, ConsoleNotFoundError } from "../../mod.ts";
import {
  type GuestConsole,
  type SimulatedGuest,
  type SimulatedGuestOptions,
  SimulatedHost,
} from "../../sim/mod.ts";
import { ConsoleSession } from "../../xencons/mod.ts";
import { XenstoreError } from "../../xenstore/mod.ts";

const isEacces = (e: unknown) => e instanceof XenstoreError && e.code === "EACCES";

Deno.test("a guest cannot plant a console of its own or rewrite its console keys", async () => {
  await using host = new SimulatedHost();
  const guest = await host.createGuest({ name: "evil", program: "linux" });
  const home = `/local/domain/${guest.domid}`;
  await using xs = host.xenstore.connectClient({ domid: guest.domid });
  await assert.rejects(xs.write(`${home}/device/console/1/tty`, "/dev/pts/0"), isEacces);
  await assert.rejects(xs.write(`${home}/console/tty`, "/dev/pts/0"), isEacces);
  await assert.rejects(xs.write(`${home}/console/ring-ref`, "1"), isEacces);
  await assert.rejects(xs.write(`${home}/name`, "dom0"), isEacces);
  assert.equal(await xs.readString(`${home}/console/port`), "2"); // it reads them
  await xs.write(`${home}/data/hello`, "mine"); // its own corner
  await assert.rejects(connect("evil", { host, index: 1 }), ConsoleNotFoundError);
});

/** Every message in an error's cause chain. */
function messages(err: unknown): string {
  const out: string[] = [];
  for (let e = err; e instanceof Error; e = e.cause) out.push(`${e.name}: ${e.message}`);
  return out.join("\n");
}

/** A login prompt that echoes the password back, then does `then`. */
function echoingLogin(then: "end" | "hang"): SimulatedGuestOptions["program"] {
  return () => {
    let console_: GuestConsole;
    let stage = 0;
    return {
      start(c) {
        console_ = c;
        c.write("\r\nhost login: ");
      },
      input(data) {
        const text = new TextDecoder().decode(data);
        if (!/[\r\n]/.test(text)) return;
        if (stage++ === 0) return console_.write("\r\nPassword: ");
        console_.write(`\r\n${text.trim()}\r\n\x1b]0;pwned\x07\u009b31m`); // the password, echoed
        if (then === "end") setTimeout(() => guest?.destroy(), 200);
      },
      stop() {},
    };
  };
}

let guest: SimulatedGuest | undefined;

for (const then of ["end", "hang"] as const) {
  Deno.test(`a guest that echoes the password then ${then}s: no error message carries it (or its escapes)`, async () => {
    await using host = new SimulatedHost();
    guest = await host.createGuest({ name: "echo", program: echoingLogin(then) });
    await using session = new ConsoleSession(await connect("echo", { host }), {
      dialect: "linux",
      ownsConsole: true,
      timeout: 1500,
    });
    const err = await session.login({ user: "root", password: "Tr0ub4dor&3" }).catch((e) => e);
    assert.ok(err instanceof Error, String(err));
    const text = messages(err);
    assert.doesNotMatch(text, /Tr0ub4dor|ub4dor&3/, text);
    assert.ok(!hasControl(text.replaceAll("\n", " ")), JSON.stringify(text));
    assert.match(text, /\[redacted\]/);
  });
}

/** Whether `text` holds a C0 or C1 control character (or DEL, or U+2028). */
function hasControl(text: string): boolean {
  return [...text].some((ch) => {
    const c = ch.codePointAt(0)!;
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028;
  });
}
