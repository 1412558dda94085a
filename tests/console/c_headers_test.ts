// Copyright 2026 the xenpv authors. MIT license.
// Our constants against the C headers: a small program compiled here prints
// the ioctl numbers and struct offsets from linux-libc-dev's xen/*.h and
// libxen-dev's xen/io/*.h, and we compare.

import assert from "node:assert/strict";
import { CONSOLE_LAYOUT } from "../../ring/layout.ts";
import { GNTDEV, PRIVCMD } from "../../ring/mapping.ts";
import { EVTCHN_IOCTL } from "../../evtchn/ioctl.ts";
import { HEADER_SIZE, MessageType, PAYLOAD_MAX } from "../../xenstore/wire.ts";
import { ABS_PATH_MAX, REL_PATH_MAX } from "../../xenstore/path.ts";
import { have, skipUnless } from "../_peers.ts";

const headers = await (async () => {
  try {
    await Deno.stat("/usr/include/xen/io/console.h");
    await Deno.stat("/usr/include/xen/evtchn.h");
    return await have("cc", ["--version"]);
  } catch {
    return false;
  }
})();
const ignore = skipUnless(headers, "cc with libxen-dev and linux-libc-dev headers");

const PROGRAM = `
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <xen/interface/xen.h> /* the stub below: what the kernel's xen.h provides */
#include <xen/evtchn.h>
#include <xen/gntdev.h>
#include <xen/privcmd.h>
#include <xen/io/console.h>
#include <xen/io/xs_wire.h>
#define P(name, value) printf("%s %llu\\n", name, (unsigned long long)(value))
int main(void) {
  P("BIND_VIRQ", IOCTL_EVTCHN_BIND_VIRQ);
  P("BIND_INTERDOMAIN", IOCTL_EVTCHN_BIND_INTERDOMAIN);
  P("BIND_UNBOUND_PORT", IOCTL_EVTCHN_BIND_UNBOUND_PORT);
  P("UNBIND", IOCTL_EVTCHN_UNBIND);
  P("NOTIFY", IOCTL_EVTCHN_NOTIFY);
  P("RESET", IOCTL_EVTCHN_RESET);
  P("RESTRICT_DOMID", IOCTL_EVTCHN_RESTRICT_DOMID);
  P("MAP_GRANT_REF", IOCTL_GNTDEV_MAP_GRANT_REF);
  P("UNMAP_GRANT_REF", IOCTL_GNTDEV_UNMAP_GRANT_REF);
  P("MMAPBATCH_V2", IOCTL_PRIVCMD_MMAPBATCH_V2);
  P("mmapbatch.dom", offsetof(struct privcmd_mmapbatch_v2, dom));
  P("mmapbatch.addr", offsetof(struct privcmd_mmapbatch_v2, addr));
  P("mmapbatch.arr", offsetof(struct privcmd_mmapbatch_v2, arr));
  P("mmapbatch.err", offsetof(struct privcmd_mmapbatch_v2, err));
  P("map_grant.index", offsetof(struct ioctl_gntdev_map_grant_ref, index));
  P("map_grant.refs", offsetof(struct ioctl_gntdev_map_grant_ref, refs));
  P("IN_OFFSET", offsetof(struct xencons_interface, in));
  P("OUT_OFFSET", offsetof(struct xencons_interface, out));
  P("IN_CONS", offsetof(struct xencons_interface, in_cons));
  P("IN_PROD", offsetof(struct xencons_interface, in_prod));
  P("OUT_CONS", offsetof(struct xencons_interface, out_cons));
  P("OUT_PROD", offsetof(struct xencons_interface, out_prod));
  P("STRUCT_END", sizeof(struct xencons_interface));
  P("HEADER_SIZE", sizeof(struct xsd_sockmsg));
  P("PAYLOAD_MAX", XENSTORE_PAYLOAD_MAX);
  P("ABS_PATH_MAX", XENSTORE_ABS_PATH_MAX);
  P("REL_PATH_MAX", XENSTORE_REL_PATH_MAX);
  P("XS_DIRECTORY_PART", XS_DIRECTORY_PART);
  P("XS_RESET_WATCHES", XS_RESET_WATCHES);
  P("XS_INVALID", XS_INVALID);
  return 0;
}
`;

Deno.test({ name: "constants match the C headers", ignore }, async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/h.c`, PROGRAM);
    // privcmd.h includes the kernel-internal xen/interface/xen.h: stand in for it.
    await Deno.mkdir(`${dir}/inc/xen/interface`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/inc/xen/interface/xen.h`,
      "#include <stdint.h>\ntypedef uint16_t domid_t;\ntypedef uint32_t grant_ref_t;\n" +
        "typedef unsigned long xen_pfn_t;\n",
    );
    const cc = await new Deno.Command("cc", {
      args: ["-I", `${dir}/inc`, "-o", `${dir}/h`, `${dir}/h.c`],
    }).output();
    assert.ok(cc.success, new TextDecoder().decode(cc.stderr));
    const out = await new Deno.Command(`${dir}/h`).output();
    const c = Object.fromEntries(
      new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => {
        const [k, v] = l.split(" ");
        return [k, BigInt(v)];
      }),
    );
    for (const k of Object.keys(EVTCHN_IOCTL) as (keyof typeof EVTCHN_IOCTL)[]) {
      assert.equal(EVTCHN_IOCTL[k], c[k], k);
    }
    assert.equal(GNTDEV.MAP_GRANT_REF, c.MAP_GRANT_REF);
    assert.equal(GNTDEV.UNMAP_GRANT_REF, c.UNMAP_GRANT_REF);
    assert.equal(PRIVCMD.MMAPBATCH_V2, c.MMAPBATCH_V2);
    // the struct offsets ring/mapping.ts writes by hand
    assert.deepEqual(
      [c["mmapbatch.dom"], c["mmapbatch.addr"], c["mmapbatch.arr"], c["mmapbatch.err"]],
      [4n, 8n, 16n, 24n],
    );
    assert.deepEqual([c["map_grant.index"], c["map_grant.refs"]], [8n, 16n]);
    for (
      const k of ["IN_OFFSET", "OUT_OFFSET", "IN_CONS", "IN_PROD", "OUT_CONS", "OUT_PROD"] as const
    ) {
      assert.equal(BigInt(CONSOLE_LAYOUT[k]), c[k], k);
    }
    // the 2025 connection byte sits right after the 4.17 struct
    assert.equal(BigInt(CONSOLE_LAYOUT.CONNECTION), c.STRUCT_END);
    assert.equal(BigInt(HEADER_SIZE), c.HEADER_SIZE);
    assert.equal(BigInt(PAYLOAD_MAX), c.PAYLOAD_MAX);
    assert.equal(BigInt(ABS_PATH_MAX), c.ABS_PATH_MAX);
    assert.equal(BigInt(REL_PATH_MAX), c.REL_PATH_MAX);
    assert.equal(BigInt(MessageType.DIRECTORY_PART), c.XS_DIRECTORY_PART);
    assert.equal(BigInt(MessageType.RESET_WATCHES), c.XS_RESET_WATCHES);
    assert.equal(BigInt(MessageType.INVALID), c.XS_INVALID);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
