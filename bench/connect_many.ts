// Copyright 2026 the xenpv authors. MIT license.
// `connect("name")` among many guests: the simulated host with N guests (no
// xenconsoled, ring mode), the last one looked up by name, each attach
// closed again. Its xenstore is our server over a unix socket, in this
// process, through the transport chosen (--transport libc|deno). Prints one
// JSON line: ms per connect.
//
//   deno run -A bench/connect_many.ts [--guests 200] [--rounds 20] [--transport libc]

import { parseArgs } from "node:util";
import { connect, type XenHost } from "../mod.ts";
import { SimulatedHost } from "../sim/mod.ts";
import { XenstoreClient } from "../xenstore/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    guests: { type: "string", default: "200" },
    rounds: { type: "string", default: "20" },
    transport: { type: "string", default: "libc" },
  },
});
const guests = Number(values.guests);
const rounds = Number(values.rounds);
const transport = values.transport as "libc" | "deno";

await using host = new SimulatedHost();
for (let i = 0; i < guests; i++) {
  await host.createGuest({
    name: `g${i}`,
    xenconsoled: false,
    program: () => ({ start() {}, input() {}, stop() {} }),
  });
}
// The toolstack's xenstore as a real client would reach it: over a socket.
const socket = `/tmp/xenpv-connect-many-${Deno.pid}.sock`;
await using _listener = host.xenstore.listen(socket, { transport });
const viaSocket: XenHost = {
  openXenstore: () => XenstoreClient.connect({ path: socket, transport }),
  mapConsolePage: (domid, options) => host.mapConsolePage(domid, options),
  bindEventChannel: (domid, port) => host.bindEventChannel(domid, port),
  openPty: (path) => host.openPty(path),
  lockConsole: (domid) => host.lockConsole(domid),
};
const name = `g${guests - 1}`;
for (let i = 0; i < 3; i++) await (await connect(name, { host: viaSocket, mode: "ring" })).close();
const start = performance.now();
for (let i = 0; i < rounds; i++) {
  await (await connect(name, { host: viaSocket, mode: "ring" })).close();
}
const ms = (performance.now() - start) / rounds;
console.log(JSON.stringify({ guests, transport, msPerConnect: Number(ms.toFixed(2)) }));
