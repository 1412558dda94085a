// Copyright 2026 the xenpv authors. MIT license.
// Page mapping on objects any Linux has (a memfd mapped twice stands for a
// guest page mapped by the guest and by dom0), and the error paths of the
// real gntdev/privcmd mapping on this non-Xen machine.

import assert from "node:assert/strict";
import { ConsoleRing, mapConsolePage } from "./mod.ts";
import { GNTDEV, PRIVCMD } from "./mapping.ts";
import { Mapping } from "../_sys/mmap.ts";
import { acquireLibc, cString, libcReferences, MFD_CLOEXEC, releaseLibc } from "../_sys/libc.ts";
import { SystemError } from "../errors.ts";

function withMemfd(fn: (fd: number) => void): void {
  const libc = acquireLibc();
  const fd = libc.memfd_create(cString("xenpv-test-page"), MFD_CLOEXEC);
  assert.ok(fd >= 0);
  try {
    assert.equal(libc.ftruncate(fd, 4096n), 0);
    fn(fd);
  } finally {
    libc.close(fd);
    releaseLibc();
  }
}

Deno.test("ioctl numbers for gntdev and privcmd", () => {
  assert.equal(GNTDEV.MAP_GRANT_REF, 0x184700n);
  assert.equal(GNTDEV.UNMAP_GRANT_REF, 0x104701n);
  assert.equal(PRIVCMD.MMAPBATCH_V2, 0x205004n);
});

Deno.test("one page, two mappings: backend and frontend rings see each other", () => {
  withMemfd((fd) => {
    const guestMap = Mapping.map(fd, 4096, 0n);
    const dom0Map = Mapping.map(fd, 4096, 0n);
    const guest = new ConsoleRing(guestMap.buffer, { role: "frontend" });
    const dom0 = new ConsoleRing(dom0Map.buffer, { role: "backend" });
    let sent = 0;
    let received = 0;
    let sum = 0;
    let check = 0;
    const chunk = new Uint8Array(1500);
    while (received < 8 * 1024 * 1024) {
      for (let i = 0; i < chunk.length; i++) chunk[i] = (sent + i) * 7;
      const n = guest.write(chunk);
      for (let i = 0; i < n; i++) sum = (sum * 31 + chunk[i]) >>> 0;
      sent += n;
      const got = dom0.read();
      for (const b of got) check = (check * 31 + b) >>> 0;
      received += got.length;
    }
    assert.equal(
      check,
      ((): number => {
        // checksum of the first `received` bytes the guest wrote
        let s = 0;
        for (let i = 0; i < received; i++) s = (s * 31 + ((i * 7) & 0xff)) >>> 0;
        return s;
      })(),
    );
    assert.ok(sent >= received);
    assert.ok(sum !== 0);
    dom0Map.close();
    guestMap.close();
    // use after close throws instead of touching unmapped memory
    assert.throws(() => dom0.read(), TypeError);
    assert.throws(() => dom0Map.buffer, TypeError);
    dom0Map.close(); // idempotent
  });
  assert.equal(libcReferences(), 0);
});

Deno.test("mmap failure is a SystemError naming the path", () => {
  const err = (() => {
    try {
      Mapping.map(-1, 4096, 0n, { path: "/dev/xen/gntdev" });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof SystemError);
  assert.equal(err.code, "EBADF");
  assert.equal(err.path, "/dev/xen/gntdev");
  assert.equal(libcReferences(), 0);
});

Deno.test("without Xen: gntdev, privcmd and auto fail with the device and the fix", () => {
  for (const method of ["gntdev", "privcmd", "auto"] as const) {
    const err = (() => {
      try {
        mapConsolePage(1, { method, ringRef: 456706 });
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof SystemError, `${method}: ${err}`);
    assert.match(err.message, /\/dev\/xen\/(gntdev|privcmd)/);
    assert.match(err.message, /modprobe|run as root/);
    if (method === "auto") assert.match(err.message, /gntdev failed first/);
  }
  assert.equal(libcReferences(), 0);
  assert.throws(() => mapConsolePage(0), RangeError);
  assert.throws(() => mapConsolePage(1, { method: "privcmd" }), TypeError);
  assert.throws(() => mapConsolePage(1, { method: "other" as never }), TypeError);
});
