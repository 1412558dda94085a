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

import { parseArgs } from "node:util";
import { XenstoreServer } from "../xenstore/mod.ts";

const USAGE = `usage: deno run --allow-ffi examples/xenstored.ts --socket PATH

Serves an in-memory xenstore (xenstored's wire protocol) on a unix socket.
Point libxenstore tools at it with XENSTORED_PATH=PATH.

  --socket PATH   where to listen (required)
  -h, --help      this text`;

function main(): number | Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: Deno.args,
      options: {
        socket: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (err) {
    console.error(`xenstored: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const path = args.values.socket;
  if (path === undefined) {
    console.error(`xenstored: --socket PATH is required\n\n${USAGE}`);
    return 2;
  }
  const server = new XenstoreServer();
  try {
    server.listen(path);
  } catch (err) {
    console.error(`xenstored: ${(err as Error).message}`);
    return 1;
  }
  console.log(`xenstored: listening on ${path} (export XENSTORED_PATH=${path})`);
  return new Promise((resolve) => {
    const stop = async () => {
      await server.close();
      resolve(0);
    };
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      Deno.addSignalListener(signal, stop);
    }
  });
}

if (import.meta.main) Deno.exit(await main());
