// Copyright 2026 the xenpv authors. MIT license.
// Faults across a real socket: the xenstored process dies, or dies and a new
// one starts on the same socket, with requests and watches pending. Every
// pending call must reject with XenstoreClosedError within a second.

import assert from "node:assert/strict";
import { XenstoreClient, XenstoreClosedError } from "../../xenstore/mod.ts";
import { socketPath, startXenstored } from "../_peers.ts";
import { within } from "../_within.ts";

/** Both ways to a socket: libc through FFI, and Deno's own unix sockets. */
const TRANSPORTS = ["libc", "deno"] as const;

/** Kills the server (if it still runs), reaps it and removes its socket. */
async function killAndClean(server: Deno.ChildProcess, path: string): Promise<void> {
  try {
    server.kill("SIGKILL");
  } catch { /* already gone */ }
  await server.status;
  try {
    Deno.removeSync(path);
  } catch { /* removed */ }
}

for (const transport of TRANSPORTS) {
  Deno.test(`xenstored killed mid-request: pending calls and watches reject within 1 s (${transport})`, async () => {
    const path = socketPath("fault");
    const server = await startXenstored(path);
    const client = await XenstoreClient.connect({ path, transport });
    try {
      await client.write("/f", "1");
      const watch = await client.watch("/f");
      await watch.next();
      server.kill("SIGSTOP"); // requests now stay pending
      const pending = [
        client.read("/f"),
        client.write("/f/x", "y"),
        client.transaction((tx) => tx.read("/f")),
        watch.next(),
      ];
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(client.pendingRequests, 3);
      server.kill("SIGKILL");
      for (const p of pending) {
        await within(1000, assert.rejects(p, XenstoreClosedError));
      }
      await assert.rejects(client.read("/f"), XenstoreClosedError);
    } finally {
      await client.close();
      await killAndClean(server, path);
    }
  });
}

for (const transport of TRANSPORTS) {
  Deno.test(`xenstored restarted mid-request: the old client fails within 1 s and stays closed; a new one works (${transport})`, async () => {
    const path = socketPath("restart");
    let server = await startXenstored(path);
    const client = await XenstoreClient.connect({ path, transport });
    try {
      await client.write("/r", "before");
      const watch = await client.watch("/r");
      await watch.next();
      server.kill("SIGSTOP");
      const pending = [client.read("/r"), watch.next()];
      await new Promise((r) => setTimeout(r, 50));
      server.kill("SIGKILL");
      const failed = within(
        1000,
        Promise.all(pending.map((p) => assert.rejects(p, XenstoreClosedError))),
      );
      await server.status;
      server = await startXenstored(path); // a new xenstored, empty, on the same socket
      await failed;
      // The old connection does not quietly come back: its watches and
      // transactions died with the old server.
      await assert.rejects(client.read("/r"), XenstoreClosedError);
      assert.equal(client.closed, true);
      await using again = await XenstoreClient.connect({ path, transport });
      assert.equal(await again.tryRead("/r"), undefined);
      await again.write("/r", "after");
      assert.equal(await again.readString("/r"), "after");
    } finally {
      await client.close();
      await killAndClean(server, path);
    }
  });
}

/** This process's open fds, as /proc shows them. */
function openFds(): string[] {
  return [...Deno.readDirSync("/proc/self/fd")].map((e) => e.name).sort();
}

for (const transport of TRANSPORTS) {
  Deno.test(`a closed client leaves no fd open, even with a read pending (${transport})`, async () => {
    const path = socketPath(`fds-${transport}`);
    const server = await startXenstored(path); // its own process: only our client's fds here
    try {
      const before = openFds();
      const client = await XenstoreClient.connect({ path, transport });
      await client.write("/x", "1");
      const watch = await client.watch("/x"); // the client's read loop is waiting
      await watch.next();
      await client.close();
      assert.deepEqual(openFds(), before);
    } finally {
      await killAndClean(server, path);
    }
  });
}
