// Copyright 2026 the xenpv authors. MIT license.
// A flooding guest in a process of its own, as a real guest is a domain of
// its own: it owns its console page (a memfd), its xenstore (our in-memory
// server on a unix socket, standing in for xenstored) and the far end of its
// event channel (a unix socket carrying one byte per notification). The
// reader's process attaches with connect() in ring mode through
// `processGuest()`'s host, and waits on the socket through the same poll
// helper that waits on /dev/xen/evtchn. So the reader's memory is measured
// alone, as in dom0.
//
// Child:  deno run -A tests/console/_flood_guest.ts --dir DIR --bytes N [--storm S] [--text]
//         prints one JSON line ({ pid, pageFd }) once it is ready, then floods.

import { parseArgs } from "node:util";
import { setImmediate } from "node:timers";
import { ConsoleRing } from "../../ring/mod.ts";
import { EventChannelClosedError } from "../../evtchn/mod.ts";
import type { EventChannel } from "../../evtchn/mod.ts";
import { XenstoreServer } from "../../xenstore/mod.ts";
import type { ConsolePage, HostLock, XenHost } from "../../console/host.ts";
import { XenstoreClient } from "../../xenstore/mod.ts";
import { Mapping } from "../../_sys/mmap.ts";
import type { FdStream } from "../../_sys/fd_stream.ts";
import { connectUnix, UnixListener } from "../../_sys/unix_socket.ts";
import { openDevice } from "../../_sys/files.ts";
import { acquireLibc, cString, MFD_CLOEXEC, releaseLibc } from "../../_sys/libc.ts";
import { FileLock } from "../../_sys/flock.ts";

const DOMID = 1;
const PORT = 3;
const ONE = new Uint8Array([1]);

/**
 * The byte at stream position `i`: a hash, so a lost, repeated or swapped
 * block shows. With `text`: printable ASCII in lines of 80 (what a guest
 * printing a log looks like), still a hash.
 */
export function expected(i: number, text = false): number {
  const h = Math.imul(i ^ (i >>> 13), 0x5bd1e995);
  const byte = (h ^ (h >>> 15)) & 0xff;
  if (!text) return byte;
  return i % 80 === 79 ? 0x0a : 0x20 + byte % 95;
}

/** An event channel over a connected unix socket: a notification is one byte. */
class SocketEventChannel implements EventChannel {
  readonly localPort = PORT;
  #stream: FdStream;
  #scratch = new Uint8Array(256);

  constructor(stream: FdStream) {
    this.#stream = stream;
  }

  notify(): void {
    // 0 written means the socket is full of notifications the peer has not taken yet.
    this.#stream.tryWrite(ONE);
  }

  async wait(signal?: AbortSignal): Promise<void> {
    const n = await this.#stream.readInto(this.#scratch, signal);
    if (n === null) throw new EventChannelClosedError(PORT);
  }

  close(): Promise<void> {
    return this.#stream.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A running guest process and the host through which to attach to it. */
export interface ProcessGuest extends AsyncDisposable {
  /** For `connect(DOMID, { host, mode: "ring" })`. */
  readonly host: XenHost;
  /** The guest's domid in its xenstore. */
  readonly domid: number;
  /** Ends the guest process and removes its files. */
  close(): Promise<void>;
}

/**
 * Starts a guest process that writes `total` bytes of `expected()` as fast as
 * its ring takes; or, with `storm`, one that writes nothing and notifies as
 * fast as it can for that many seconds (a hostile guest keeping dom0 busy).
 */
export async function processGuest(
  total: number,
  storm = 0,
  printable = false,
): Promise<ProcessGuest> {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-flood-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--dir",
      dir,
      "--bytes",
      String(total),
      "--storm",
      String(storm),
      ...(printable ? ["--text"] : []),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error("the guest process ended before it was ready");
    text += value;
  }
  lines.releaseLock();
  child.stdout.cancel().catch(() => {});
  const { pid, pageFd } = JSON.parse(text.split("\n")[0]);
  const evtchn = new SocketEventChannel(await connectUnix(`${dir}/evtchn.sock`));
  const host: XenHost = {
    // libc sockets, as a dom0 tool run with --allow-ffi only reaches xenstored
    openXenstore: () =>
      XenstoreClient.connect({ path: `${dir}/xenstored.sock`, transport: "libc" }),
    mapConsolePage: (): ConsolePage => {
      const file = openDevice(`/proc/${pid}/fd/${pageFd}`);
      try {
        const mapping = Mapping.map(file.fd, 4096, 0n);
        return { buffer: mapping.buffer, method: "memfd", close: () => mapping.close() };
      } finally {
        file.closeSync(); // the mapping keeps the page
      }
    },
    bindEventChannel: () => evtchn,
    openPty: () => {
      throw new TypeError("the flood guest has no pty");
    },
    lockConsole: (domid): HostLock =>
      FileLock.acquire(`${dir}/xenconsole.${domid}`, "a console client", {
        unlinkOnRelease: true,
      }),
  };
  const close = async () => {
    await evtchn.close().catch(() => {});
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  };
  return { host, domid: DOMID, close, [Symbol.asyncDispose]: close };
}

async function guestMain(
  dir: string,
  total: number,
  storm: number,
  text: boolean,
): Promise<void> {
  await using server = new XenstoreServer();
  await using _listener = server.listen(`${dir}/xenstored.sock`);
  await using xs = server.connectClient();
  const home = `/local/domain/${DOMID}`;
  await xs.write(`${home}/name`, "flood");
  await xs.write(`${home}/console/port`, String(PORT));
  await xs.write(`${home}/console/ring-ref`, "1");
  server.introduceDomain(DOMID);

  const libc = acquireLibc();
  const pageFd = libc.memfd_create(cString("xenpv-flood-page"), MFD_CLOEXEC);
  libc.ftruncate(pageFd, 4096n);
  const page = Mapping.map(pageFd, 4096, 0n);
  const ring = new ConsoleRing(page.buffer, { role: "frontend" });
  ring.connected = false; // until a backend attaches

  const evtchnListener = UnixListener.listen(`${dir}/evtchn.sock`);
  console.log(JSON.stringify({ pid: Deno.pid, pageFd }));
  const stream = await evtchnListener.accept();
  if (stream === null) return;
  await evtchnListener.close();
  const channel = new SocketEventChannel(stream);

  const chunk = new Uint8Array(64 * 1024);
  try {
    const stormEnd = performance.now() + storm * 1000;
    while (performance.now() < stormEnd) {
      channel.notify(); // nothing written: only to wake the backend
      await new Promise((r) => setImmediate(r));
    }
    for (let at = 0; at < total; at += chunk.length) {
      const n = Math.min(chunk.length, total - at);
      for (let i = 0; i < n; i++) chunk[i] = expected(at + i, text);
      for (let off = 0; off < n;) {
        const wrote = ring.write(chunk.subarray(off, n));
        if (wrote > 0) {
          off += wrote;
          channel.notify();
        } else await channel.wait(); // the ring is full: the backend makes room and notifies
      }
    }
    // Done: stay until the reader goes (its end of the channel closes).
    for (;;) await channel.wait();
  } catch (err) {
    if (!(err instanceof EventChannelClosedError)) throw err;
  } finally {
    await channel.close();
    page.close();
    libc.close(pageFd);
    releaseLibc();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      dir: { type: "string" },
      bytes: { type: "string" },
      storm: { type: "string" },
      text: { type: "boolean", default: false },
    },
  });
  const total = Number(values.bytes);
  const storm = Number(values.storm ?? 0);
  if (values.dir === undefined || !Number.isInteger(total) || total <= 0 || !(storm >= 0)) {
    throw new TypeError("usage: _flood_guest.ts --dir DIR --bytes N [--storm SECONDS] [--text]");
  }
  await guestMain(values.dir, total, storm, values.text);
}
