// Copyright 2026 the xenpv authors. MIT license.
// The conformance suite against our server, in-process and over a unix
// socket through each transport (libc through FFI, and Deno's own sockets),
// client and server alike, and with the client's blocking waits. Set XENPV_CONFORMANCE_PATH to run
// it against another server as well (the Xen-in-QEMU run points it at the
// real xenstored).

import { XenstoreClient, XenstoreServer } from "../../xenstore/mod.ts";
import { conformanceSuite } from "./_xenstore_conformance.ts";
import { socketPath, startXenstored } from "../_peers.ts";

conformanceSuite("in-process", () => {
  const server = new XenstoreServer();
  return Promise.resolve({
    connect: () => Promise.resolve(server.connectClient()),
    close: () => server.close(),
  });
});

let socketCounter = 0;
for (const transport of ["libc", "deno"] as const) {
  conformanceSuite(`unix socket (${transport})`, () => {
    const server = new XenstoreServer();
    const path = `/tmp/xenpv-conformance-${Deno.pid}-${++socketCounter}.sock`;
    server.listen(path, { transport });
    return Promise.resolve({
      connect: () => XenstoreClient.connect({ path, transport }),
      close: () => server.close(),
    });
  });
}

// Blocking waits (the client waits for lone replies in the kernel): the
// server in a process of its own, as such a client is meant to be used.
conformanceSuite("unix socket, server in its own process, client with blocking waits", async () => {
  const path = socketPath("conformance-blocking");
  const server = await startXenstored(path);
  return {
    connect: () => XenstoreClient.connect({ path, blockingWaitUs: 2000 }),
    close: async () => {
      server.kill("SIGTERM");
      await server.status;
    },
  };
});

const other = Deno.env.get("XENPV_CONFORMANCE_PATH");
if (other) {
  conformanceSuite(`xenstored at ${other}`, () =>
    Promise.resolve({
      connect: () => XenstoreClient.connect({ path: other }),
      close: () => Promise.resolve(),
    }));
}
