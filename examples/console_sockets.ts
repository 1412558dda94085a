// Copyright 2026 the xenpv authors. MIT license.
/**
 * One process for every console of this dom0: each guest's console on a
 * unix socket `DIR/<guest>`, for conserver's `type uds` consoles
 * (conserver_cf.ts --uds DIR writes them), kept current as guests come and
 * go. A connection gets the console raw, both ways, following the guest
 * across reboots; one connection at a time per guest (the console's lock).
 *
 * ```sh
 * deno run --allow-ffi --allow-net --allow-read=/run/xenpv --allow-write=/run/xenpv \
 *   examples/console_sockets.ts --dir /run/xenpv/consoles
 * ```
 *
 * @module
 */

import { connect } from "../mod.ts";
import { XenstoreClient } from "../xenstore/mod.ts";
import { printable } from "../xencons/mod.ts";
import { EXIT, explain, parseCount, parseFlags, StopSignals, UsageError } from "./_cli.ts";
import { ConserverFile, watchGuests } from "./_fleet.ts";

const USAGE =
  `usage: deno run --allow-ffi --allow-read=DIR --allow-write=DIR examples/console_sockets.ts --dir DIR

Serves each guest's PV console on the unix socket DIR/<guest name> (DIR made
mode 0700: only this user may connect), raw both ways, for conserver's "type
uds" consoles (conserver_cf.ts --uds DIR writes them). Sockets come and go
with the guests; a connection follows its guest across a reboot. One process
serves every guest of the dom0.

  --dir DIR          where the sockets go (required; needs --allow-read and
                     --allow-write for it, and --allow-net: Deno asks it for
                     unix sockets)
  --grace SECONDS    a guest that went away keeps its socket this long, so a
                     reboot keeps it (default 120)
  --shard K/N        serve only the guests whose name hashes to K of N (FNV-1a
                     of the name, mixed, mod N, plus 1): run N processes, K = 1..N,
                     each with its own --cf, to spread a large dom0's guests
                     over processes (one served 200 consoles in 126 MiB)
  --cf FILE          also keep FILE, conserver.cf's "type uds" console blocks
                     for the sockets, current (as conserver_cf.ts --uds DIR
                     --watch does, in step with the sockets: a new socket
                     listens before its console is written, a gone one's
                     console is removed before its socket); needs --allow-read
                     and --allow-write for FILE
  --master HOST      with --cf: this dom0's name, the consoles' master
  --reload-pid FILE  with --cf: SIGHUP the conserver whose pid FILE holds after
                     each change (needs --allow-read for FILE and --allow-run)
  -h, --help         this text

exit status: 255 for bad usage or no Xen here; 129, 130, 143 when stopped by
SIGHUP, SIGINT, SIGTERM (128 + the signal's number), its sockets removed.`;

/** FNV-1a of `name`, its bits mixed (murmur3's finalizer): which shard serves it. */
function shardOf(name: string, count: number): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) hash = Math.imul(hash ^ byte, 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  hash ^= hash >>> 16;
  return ((hash >>> 0) % count) + 1;
}

/** One guest's socket and the connection it serves, if any. */
class GuestSocket {
  readonly name: string;
  readonly path: string;
  #listener: Deno.UnixListener;
  #served = new Set<Promise<void>>();
  #closers = new Set<() => void>();
  #accepting: Promise<void>;

  constructor(dir: string, name: string) {
    this.name = name;
    this.path = `${dir}/${name}`;
    try {
      Deno.removeSync(this.path); // a socket left by a process that is gone
    } catch { /* none */ }
    this.#listener = Deno.listen({ transport: "unix", path: this.path });
    this.#accepting = this.#accept();
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const served = this.#serve(conn).catch(() => {});
        this.#served.add(served);
        served.finally(() => this.#served.delete(served));
      }
    } catch { /* listener closed */ }
  }

  /** The console, raw both ways, until either side ends. */
  async #serve(conn: Deno.UnixConn): Promise<void> {
    const ended = new AbortController();
    const close = () => ended.abort();
    this.#closers.add(close);
    try {
      let console_;
      try {
        console_ = await connect(this.name, { follow: true, signal: ended.signal });
      } catch (err) {
        const said = `\r\n[xenpv: ${printable((err as Error).message)}]\r\n`;
        await conn.write(new TextEncoder().encode(said)).catch(() => {});
        return;
      }
      try {
        const options = { signal: ended.signal, preventAbort: false };
        await Promise.race([
          console_.readable.pipeTo(conn.writable, options),
          conn.readable.pipeTo(console_.writable, options),
          new Promise((resolve) => ended.signal.addEventListener("abort", resolve)),
        ]).catch(() => {});
      } finally {
        await console_.close().catch(() => {});
      }
    } finally {
      this.#closers.delete(close);
      try {
        conn.close();
      } catch { /* closed by a pipe */ }
    }
  }

  /** Stops listening, removes the socket, ends its connection. */
  async close(): Promise<void> {
    this.#listener.close();
    for (const close of this.#closers) close();
    await this.#accepting;
    await Promise.all(this.#served);
    await Deno.remove(this.path).catch(() => {});
  }
}

async function main(args: string[]): Promise<number> {
  using stop = new StopSignals();
  let dir: string;
  let graceMs: number;
  let xs: XenstoreClient;
  let cf: ConserverFile | undefined;
  let shard: { k: number; n: number } | undefined;
  try {
    const { values: v } = parseFlags({
      args,
      options: {
        dir: { type: "string" },
        grace: { type: "string", default: "120" },
        cf: { type: "string" },
        master: { type: "string" },
        "reload-pid": { type: "string" },
        shard: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (v.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    if (v.dir === undefined || v.dir === "") throw new UsageError("where? give --dir DIR");
    dir = v.dir;
    graceMs = parseCount("--grace", v.grace, 0, 86400) * 1000;
    if (v.shard !== undefined) {
      const m = /^(\d{1,4})\/(\d{1,4})$/.exec(v.shard);
      if (m === null || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) {
        throw new UsageError(`--shard takes K/N with 1 <= K <= N, got "${v.shard}"`);
      }
      shard = { k: Number(m[1]), n: Number(m[2]) };
    }
    if ((v.master !== undefined || v["reload-pid"] !== undefined) && v.cf === undefined) {
      throw new UsageError("--master and --reload-pid go with --cf");
    }
    if (v.cf !== undefined) {
      if (v.master === undefined || !/^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/.test(v.master)) {
        throw new UsageError("--cf needs --master HOST: this dom0's name as the fleet knows it");
      }
      if (/[\s"\\;{}#]/.test(dir)) {
        throw new UsageError("with --cf, --dir must have no spaces, quotes or ;{}#");
      }
      cf = await ConserverFile.open(v.cf, {
        master: v.master,
        uds: dir,
        reloadPid: v["reload-pid"],
      });
    }
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.chmod(dir, 0o700);
    xs = await XenstoreClient.connect();
  } catch (err) {
    return explain("console_sockets", err);
  }
  const sockets = new Map<string, GuestSocket>();
  try {
    await watchGuests(xs, "console_sockets", graceMs, stop.signal, async (all) => {
      const names = shard === undefined ? all : all.filter((n) => shardOf(n, shard.n) === shard.k);
      // new sockets listen before conserver hears of them; gone ones close after
      for (const name of names) {
        if (!sockets.has(name)) sockets.set(name, new GuestSocket(dir, name));
      }
      if (await cf?.update(names)) console.error(`console_sockets: ${cf!.path} written`);
      const wanted = new Set(names);
      for (const [name, socket] of sockets) {
        if (wanted.has(name)) continue;
        sockets.delete(name);
        await socket.close();
      }
      console.error(`console_sockets: ${dir}: ${sockets.size} console(s)`);
    });
    return stop.code ?? EXIT.failed;
  } catch (err) {
    return stop.code ?? explain("console_sockets", err);
  } finally {
    for (const socket of sockets.values()) await socket.close();
    await xs.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
