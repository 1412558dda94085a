// Copyright 2026 the xenpv authors. MIT license.
// The mode choice as a pure function of what is asked and what xenstore says,
// and the error for a console the guest does not have.

import assert from "node:assert/strict";
import {
  chooseMode,
  consolePath,
  consoleRequest,
  keyToAwait,
  missingConsole,
  parseConsoleKeys,
} from "../../console/mode.ts";

const PATH = "/local/domain/3/console";
const keys = (tty?: string, port?: string) => parseConsoleKeys(PATH, true, tty, "1234", port);

Deno.test("consoleRequest: the defaults, and what is refused", () => {
  assert.deepEqual(consoleRequest({}), { kind: "pv", index: 0, mode: "auto" });
  assert.deepEqual(consoleRequest({ kind: "serial", index: 1 }), {
    kind: "serial",
    index: 1,
    mode: "auto",
  });
  assert.throws(() => consoleRequest({ kind: "vga" as never }), TypeError);
  assert.throws(() => consoleRequest({ mode: "fast" as never }), TypeError);
  assert.throws(() => consoleRequest({ index: -1 }), RangeError);
  assert.throws(() => consoleRequest({ index: 1.5 }), RangeError);
  assert.throws(() => consoleRequest({ kind: "serial", mode: "ring" }), TypeError);
});

Deno.test("consolePath: primary, secondary and serial consoles", () => {
  assert.equal(consolePath(3, "pv", 0), "/local/domain/3/console");
  assert.equal(consolePath(3, "pv", 2), "/local/domain/3/device/console/2");
  assert.equal(consolePath(3, "serial", 0), "/local/domain/3/serial/0");
});

Deno.test("parseConsoleKeys: numbers only where numbers are meant, an empty tty is none", () => {
  assert.deepEqual(parseConsoleKeys(PATH, true, "", "12", "3"), {
    path: PATH,
    exists: true,
    tty: undefined,
    ringRef: 12n,
    port: 3,
  });
  const hostile = parseConsoleKeys(PATH, true, "/dev/pts/4", "0x10", "3; rm");
  assert.equal(hostile.ringRef, undefined);
  assert.equal(hostile.port, undefined);
  assert.equal(hostile.tty, "/dev/pts/4");
});

Deno.test("chooseMode: what is asked against what xenstore says", () => {
  const pv = { kind: "pv", mode: "auto" } as const;
  assert.equal(chooseMode(pv, { exists: false, tty: "/dev/pts/1", port: 3 }), "missing");
  assert.equal(chooseMode(pv, keys("/dev/pts/1", "3")), "ring"); // auto: the ring first
  assert.equal(chooseMode(pv, keys("/dev/pts/1")), "pty"); // no port: the pty
  assert.equal(chooseMode(pv, keys()), "missing");
  assert.equal(chooseMode({ kind: "pv", mode: "pty" }, keys(undefined, "3")), "pty");
  assert.equal(chooseMode({ kind: "pv", mode: "ring" }, keys("/dev/pts/1")), "missing");
  assert.equal(chooseMode({ kind: "serial", mode: "auto" }, keys()), "pty");
  assert.equal(keyToAwait(pv), "port");
  assert.equal(keyToAwait({ kind: "pv", mode: "pty" }), "tty");
  assert.equal(keyToAwait({ kind: "serial", mode: "auto" }), "tty");
});

Deno.test("missingConsole: the reason and what the guest's kind explains", () => {
  const hvm = { domid: 3, name: "win1", type: "hvm" } as const;
  const pv = { domid: 4, name: "deb1", type: "pv" } as const;
  const serial = missingConsole(pv, { path: consolePath(4, "serial", 0) }, "serial");
  assert.equal(serial.reason, "no-serial");
  assert.match(serial.message, /PV guest\).*only HVM guests/);
  const primary = missingConsole(hvm, { path: PATH }, "pv");
  assert.equal(primary.reason, "no-console");
  assert.match(primary.message, /kind "serial"/);
  const secondary = missingConsole(hvm, { path: consolePath(3, "pv", 1) }, "pv");
  assert.equal(secondary.reason, "no-secondary");
  assert.equal(secondary.domid, 3);
});
