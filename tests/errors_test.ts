// Copyright 2026 the xenpv authors. MIT license.
// Every error class of ours: one base (XenpvError), one constructor shape
// (details first, options?: { cause } last), its own name, the cause kept.
// The list is checked against what the public modules export, so a new error
// class that is not here fails the test.

import assert from "node:assert/strict";
import * as root from "../mod.ts";
import * as xenstore from "../xenstore/mod.ts";
import * as ring from "../ring/mod.ts";
import * as evtchn from "../evtchn/mod.ts";
import * as xencons from "../xencons/mod.ts";
import * as sim from "../sim/mod.ts";
import * as serve from "../serve/mod.ts";
import { XenpvError } from "../errors.ts";
import { ERRNO } from "../_sys/errno.ts";
import { SystemError } from "../errors.ts";
import { FdStreamClosedError } from "../_sys/fd_stream.ts";
import {
  ConsoleBusyError,
  ConsoleClosedError,
  ConsoleNotFoundError,
  GuestGoneError,
  GuestNotFoundError,
} from "../console/errors.ts";
import { XenstoreClosedError, XenstoreError, XenstoreProtocolError } from "../xenstore/errors.ts";
import { EventChannelClosedError } from "../evtchn/mod.ts";
import { RingCorruptionError } from "../ring/mod.ts";
import {
  CommandAbortedError,
  ExpectTimeoutError,
  FileTransferError,
  LoginError,
  PasswordFileError,
  SessionEndedError,
  SessionStateError,
  StreamEndedError,
  UnencodableError,
  UnsupportedCodePageError,
} from "../xencons/errors.ts";

type Options = { cause?: unknown } | undefined;
// deno-lint-ignore no-explicit-any
type AnyClass = abstract new (...args: any[]) => Error;

const INDICES = { inCons: 0, inProd: 5000, outCons: 0, outProd: 0 };

/** Each class, built from its specific arguments and `options`. */
const MAKERS = new Map<AnyClass, (options: Options) => Error>([
  [XenpvError, (o) => new XenpvError("something", o)],
  [SystemError, (o) => new SystemError(ERRNO.ENOENT, "open", { path: "/dev/x" }, o)],
  [FdStreamClosedError, (o) => new FdStreamClosedError("/dev/x: closed", o)],
  [GuestNotFoundError, (o) => new GuestNotFoundError("web01", o)],
  [ConsoleBusyError, (o) => new ConsoleBusyError(7, "backend", "xenconsoled serves it", o)],
  [ConsoleNotFoundError, (o) => new ConsoleNotFoundError(7, "no-serial", "no serial console", o)],
  [GuestGoneError, (o) => new GuestGoneError(7, o)],
  [ConsoleClosedError, (o) => new ConsoleClosedError(7, "pty", "transport", o)],
  [XenstoreError, (o) => new XenstoreError("ENOENT", { op: "READ", path: "/x" }, o)],
  [XenstoreProtocolError, (o) => new XenstoreProtocolError("bad header", o)],
  [XenstoreClosedError, (o) => new XenstoreClosedError("xenstore connection closed", o)],
  [EventChannelClosedError, (o) => new EventChannelClosedError(3, o)],
  [RingCorruptionError, (o) => new RingCorruptionError("out", "too many bytes", INDICES, o)],
  [ExpectTimeoutError, (o) => new ExpectTimeoutError(["login: "], "Booting", o)],
  [StreamEndedError, (o) => new StreamEndedError("bye", o)],
  [LoginError, (o) => new LoginError("bad-credentials", "root", o)],
  [PasswordFileError, (o) => new PasswordFileError("/root/pw", "too-open", "mode 0644", o)],
  [SessionEndedError, (o) => new SessionEndedError("the shell exited", false, "", o)],
  [CommandAbortedError, (o) => new CommandAbortedError("ping", "", true, "ctrl-c", o)],
  [SessionStateError, (o) => new SessionStateError("run", "logged-out", o)],
  [UnencodableError, (o) => new UnencodableError("€", 850, o)],
  [UnsupportedCodePageError, (o) => new UnsupportedCodePageError(932, o)],
  [FileTransferError, (o) => new FileTransferError("mismatch", "/root/x", "sha256 differs", 2, o)],
]);

Deno.test("every error class keeps the cause it is given, and is a XenpvError named after itself", () => {
  for (const [cls, make] of MAKERS) {
    const cause = new Error(`cause of ${cls.name}`);
    const err = make({ cause });
    assert.ok(err instanceof cls, cls.name);
    assert.ok(err instanceof XenpvError, `${cls.name} is a XenpvError`);
    assert.ok(err instanceof Error, cls.name);
    assert.equal(err.name, cls.name);
    assert.equal(err.cause, cause, `${cls.name} keeps its cause`);
    assert.match(String(err), new RegExp(`^${cls.name}: .`), cls.name);
    // Any value may be a cause, as with Error.
    assert.equal(make({ cause: "text" }).cause, "text", cls.name);
  }
});

Deno.test("without options an error has no cause", () => {
  for (const [cls, make] of MAKERS) {
    const err = make(undefined);
    assert.ok(!("cause" in err), `${cls.name} has no cause property`);
    assert.equal(make({}).cause, undefined, cls.name);
  }
});

Deno.test("every error class the public modules export is in this test's list", () => {
  const exported = new Set<AnyClass>();
  for (const mod of [root, xenstore, ring, evtchn, xencons, sim, serve]) {
    for (const value of Object.values(mod)) {
      if (typeof value === "function" && value.prototype instanceof Error) {
        exported.add(value as AnyClass);
      }
    }
  }
  assert.ok(exported.size >= 18, `found ${exported.size} exported error classes`);
  for (const cls of exported) assert.ok(MAKERS.has(cls), `${cls.name} is not tested here`);
});

/** Internal: the public layers end their streams instead; never reaches a caller. */
const INTERNAL = new Set<AnyClass>([FdStreamClosedError]);

Deno.test("the root exports every error a caller can receive, and the README's table names each", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const table = readme.slice(
    readme.indexOf("## Errors"),
    readme.indexOf("\n## ", readme.indexOf("## Errors") + 1),
  );
  const rootExports = new Set<unknown>(Object.values(root));
  for (const cls of MAKERS.keys()) {
    if (INTERNAL.has(cls)) continue;
    assert.ok(rootExports.has(cls), `the root module exports ${cls.name}`);
    assert.ok(table.includes(`\`${cls.name}\``), `README's error table names ${cls.name}`);
  }
});

Deno.test("a broken session's errors advise what works: login() is refused while broken", () => {
  for (
    const err of [
      new SessionStateError("run", "broken"),
      new CommandAbortedError("ping -t x", "", false),
    ]
  ) {
    assert.doesNotMatch(err.message, /log ?in/, err.name);
    assert.match(err.message, /close it and open a new one/, err.name);
  }
});
