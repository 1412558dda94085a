// Copyright 2026 the xenpv authors. MIT license.
// Guest lookup against an in-memory xenstore: which ids are guests, a guest
// found by domid or name, its kind, and its name fit to show.

import assert from "node:assert/strict";
import { XenstoreServer } from "../../xenstore/mod.ts";
import {
  describeGuest,
  displayName,
  findByName,
  guestDomids,
  guestInMessage,
  listGuests,
  parseGuestType,
  readGuest,
  resolveDomain,
} from "../../console/guests.ts";
import { GuestNotFoundError } from "../../console/errors.ts";

Deno.test("guestDomids: guests only, in their canonical spelling", () => {
  assert.deepEqual(
    guestDomids(["0", "1", "7", "32751", "32752", "65535", "01", "7a", "", "-1", "123456"]),
    [1, 7, 32751],
  );
});

Deno.test("parseGuestType: pv, pvh, hvm; anything else is undefined", () => {
  assert.equal(parseGuestType("hvm"), "hvm");
  assert.equal(parseGuestType("pvh"), "pvh");
  assert.equal(parseGuestType("pv"), "pv");
  for (const text of [undefined, "", "HVM", "xen", "pv\n"]) {
    assert.equal(parseGuestType(text), undefined);
  }
});

Deno.test("displayName: control characters escaped, at most 128 characters", () => {
  assert.equal(displayName(undefined), undefined);
  // an escape at the cut is left out whole, never cut in half
  assert.equal(displayName("a".repeat(126) + "\x1b"), "a".repeat(126));
  assert.equal(displayName("web01"), "web01");
  assert.equal(displayName("x\x1b[31m\n"), "x\\x1b[31m\\x0a");
  assert.equal(displayName("\x9b" + "A".repeat(300))!.length, 128);
});

Deno.test("lookup: by domid or name, with the kind libxl recorded", async () => {
  await using server = new XenstoreServer();
  await using xs = server.connectClient();
  assert.deepEqual(await listGuests(xs), []); // no /local/domain at all
  await xs.write("/local/domain/0/name", "Domain-0");
  await xs.write("/local/domain/3/name", "web01");
  await xs.write("/libxl/3/type", "hvm");
  await xs.write("/local/domain/5/name", "deb1");
  await xs.write("/libxl/5/type", "\x1b]0;pwned\x07");
  assert.deepEqual(await listGuests(xs), [3, 5]);
  assert.deepEqual(await readGuest(xs, 3), { domid: 3, name: "web01", type: "hvm" });
  assert.deepEqual(await describeGuest(xs, 5), { domid: 5, name: "deb1", type: undefined });
  assert.equal(await describeGuest(xs, 9), undefined);
  assert.equal(await findByName(xs, "deb1"), 5);
  assert.equal(await findByName(xs, "Domain-0"), undefined); // dom0 is no guest
  assert.equal((await resolveDomain(xs, "web01")).domid, 3);
  assert.equal((await resolveDomain(xs, "3")).name, "web01");
  assert.equal((await resolveDomain(xs, 5)).name, "deb1");
  await assert.rejects(resolveDomain(xs, "nobody"), GuestNotFoundError);
  await assert.rejects(resolveDomain(xs, 9), GuestNotFoundError);
  await assert.rejects(resolveDomain(xs, 0), RangeError);
  await assert.rejects(resolveDomain(xs, ""), TypeError);
  assert.equal(guestInMessage({ domid: 3, name: "web01", type: "hvm" }), "domain 3 (a HVM guest)");
  assert.equal(guestInMessage({ domid: 5, name: undefined, type: undefined }), "domain 5");
});
