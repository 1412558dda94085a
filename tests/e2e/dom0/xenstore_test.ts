// Copyright 2026 the xenpv authors. MIT license.
// Our xenstore client against the real xenstored (Xen 4.17, C), over its
// unix socket and through the kernel's /dev/xen/xenbus: the same conformance
// suite that runs against our own server in tests/.

import assert from "node:assert/strict";
import { XenstoreClient } from "../../../xenstore/mod.ts";
import { conformanceSuite } from "../../_xenstore_conformance.ts";

const PATHS = { socket: "/var/run/xenstored/socket", xenbus: "/dev/xen/xenbus" };

for (const [how, path] of Object.entries(PATHS)) {
  Deno.test(`real xenstored over ${how}: dom0's own entries`, async () => {
    await using client = await XenstoreClient.connect({ path });
    assert.equal(await client.readString("/local/domain/0/name"), "Domain-0");
    assert.equal(await client.getDomainPath(0), "/local/domain/0");
    assert.equal(await client.isDomainIntroduced(0), true);
  });

  conformanceSuite(`real xenstored over ${how}`, () =>
    Promise.resolve({
      connect: () => XenstoreClient.connect({ path }),
      close: () => Promise.resolve(),
    }));
}
