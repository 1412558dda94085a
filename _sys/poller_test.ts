// Copyright 2026 the xenpv authors. MIT license.

import assert from "node:assert/strict";
import { Poller } from "./poller.ts";
import { acquireLibc, EFD_CLOEXEC, EFD_NONBLOCK, POLLIN, releaseLibc } from "./libc.ts";

const ONE = new Uint8Array(new BigUint64Array([1n]).buffer);

/** An eventfd: readable once something is written to it. */
function eventFd(): number {
  const libc = acquireLibc();
  try {
    const fd = libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert.ok(fd >= 0);
    return fd;
  } finally {
    releaseLibc();
  }
}

Deno.test("Poller: 64 idle waits at once do not keep a ready fd's wait from returning", async () => {
  // Deno runs nonblocking FFI calls on at most 32 helper threads: with a
  // poll() per wait, 32 idle ones held them all and the ready one never ran.
  const libc = acquireLibc();
  const fds = Array.from({ length: 65 }, eventFd);
  const pollers = fds.map(() => new Poller());
  try {
    const waits = fds.map((fd, i) => pollers[i].wait(fd, POLLIN));
    libc.write(fds[64], ONE, 8n);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<"stalled">((r) => timer = setTimeout(() => r("stalled"), 30_000));
    const got = await Promise.race([waits[64], stalled]);
    clearTimeout(timer);
    assert.equal(got, POLLIN);
    for (const poller of pollers) poller.wake();
    const rest = await Promise.all(waits.slice(0, 64));
    assert.deepEqual(new Set(rest), new Set([null]));
  } finally {
    await Promise.all(pollers.map((p) => p.close()));
    for (const fd of fds) libc.close(fd);
    releaseLibc();
  }
});

Deno.test("Poller: wake() before a wait makes it return null at once; one wait at a time", async () => {
  const fd = eventFd();
  const poller = new Poller();
  const libc = acquireLibc();
  try {
    poller.wake();
    assert.equal(await poller.wait(fd, POLLIN), null);
    const waiting = poller.wait(fd, POLLIN);
    assert.equal(poller.busy, true);
    await assert.rejects(poller.wait(fd, POLLIN), /already running/);
    libc.write(fd, ONE, 8n);
    assert.equal(await waiting, POLLIN);
    assert.equal(poller.busy, false);
  } finally {
    await poller.close();
    await assert.rejects(poller.wait(fd, POLLIN), /closed/);
    libc.close(fd);
    releaseLibc();
  }
});
