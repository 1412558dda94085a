// Copyright 2026 the xenpv authors. MIT license.
import assert from "node:assert/strict";
import { createEventChannelPair, EventChannelClosedError, XenEventChannel } from "./mod.ts";
import { EVTCHN_IOCTL, packU32, unpackPorts } from "./ioctl.ts";
import { SystemError } from "../errors.ts";
import { libcReferences } from "../_sys/libc.ts";

Deno.test("ioctl numbers are the kernel's (x86-64 values)", () => {
  assert.equal(EVTCHN_IOCTL.BIND_VIRQ, 0x44500n);
  assert.equal(EVTCHN_IOCTL.BIND_INTERDOMAIN, 0x84501n);
  assert.equal(EVTCHN_IOCTL.BIND_UNBOUND_PORT, 0x44502n);
  assert.equal(EVTCHN_IOCTL.UNBIND, 0x44503n);
  assert.equal(EVTCHN_IOCTL.NOTIFY, 0x44504n);
  assert.equal(EVTCHN_IOCTL.RESET, 0x4505n);
  assert.equal(EVTCHN_IOCTL.RESTRICT_DOMID, 0x24506n);
});

Deno.test("struct packing", () => {
  assert.deepEqual([...packU32(1, 0x01020304)], [1, 0, 0, 0, 4, 3, 2, 1]);
  assert.throws(() => packU32(-1), RangeError);
  assert.deepEqual(unpackPorts(new Uint8Array([5, 0, 0, 0, 7, 0, 0, 0, 9])), [5, 7]);
});

Deno.test("simulated pair: notifications coalesce and wake the peer", async () => {
  const [a, b] = createEventChannelPair();
  a.notify();
  a.notify();
  await b.wait(); // one pending notification
  const waiting = b.wait();
  let woke = false;
  waiting.then(() => woke = true);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(woke, false);
  a.notify();
  await waiting;
  await a.close();
  await b.close();
});

Deno.test("simulated pair: abort and close end a wait", async () => {
  const [a, b] = createEventChannelPair();
  const controller = new AbortController();
  const waiting = b.wait(controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  const again = b.wait();
  await b.close();
  await assert.rejects(again, EventChannelClosedError);
  assert.throws(() => b.notify(), EventChannelClosedError);
  await a.close();
});

Deno.test("without Xen, binding says what is missing and leaks nothing", () => {
  const err = (() => {
    try {
      XenEventChannel.bindInterdomain(1, 2);
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof SystemError, String(err));
  assert.equal(err.path, "/dev/xen/evtchn");
  assert.match(err.message, /xen-evtchn|run as root/);
  assert.equal(libcReferences(), 0);
  assert.throws(() => XenEventChannel.bindInterdomain(-1, 2), RangeError);
  assert.throws(() => XenEventChannel.bindInterdomain(0x7ff0, 2), /remote domain must be .*0x7FF0/);
  assert.throws(() => XenEventChannel.bindInterdomain(1, 0), RangeError);
});
