// Copyright 2026 the xenpv authors. MIT license.
/**
 * Runs the in-memory xenstore server on a unix socket, for real xenstore
 * clients (libxenstore's CLIs, pyxs, our client):
 *
 * ```sh
 * deno run --allow-ffi examples/xenstored.ts --socket /tmp/xs.sock &
 * XENSTORED_PATH=/tmp/xs.sock xenstore-write /hello world
 * ```
 *
 * @module
 */

import { XenstoreServer } from "../xenstore/mod.ts";
import { EXIT, explain, parseFlags, StopSignals, UsageError } from "./_cli.ts";

const USAGE = `usage: deno run --allow-ffi examples/xenstored.ts --socket PATH

Serves an in-memory xenstore (xenstored's wire protocol) on a unix socket.
Point libxenstore tools at it with XENSTORED_PATH=PATH.

  --socket PATH   where to listen (required)
  -h, --help      this text

exit status: 129, 130, 143 when stopped by SIGHUP, SIGINT, SIGTERM (128 + the
signal's number), as every CLI; 255 for bad usage or a socket it cannot listen
on (a message on stderr says which).`;

async function main(): Promise<number> {
  using stop = new StopSignals();
  await using server = new XenstoreServer();
  let path: string;
  try {
    const { values } = parseFlags({
      args: Deno.args,
      options: {
        socket: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    if (values.socket === undefined || values.socket === "") {
      throw new UsageError("where to listen? give --socket PATH");
    }
    path = values.socket;
    server.listen(path);
  } catch (err) {
    return explain("xenstored", err);
  }
  console.log(`xenstored: listening on ${path} (export XENSTORED_PATH=${path})`);
  await new Promise<void>((resolve) =>
    stop.signal.addEventListener("abort", () => resolve(), { once: true })
  );
  return stop.code!; // the server closes (its socket removed) on the way out
}

if (import.meta.main) Deno.exit(await main());
