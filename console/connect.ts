// Copyright 2026 the xenpv authors. MIT license.
// connect(): check what is asked, find the guest, open its console in the
// mode chosen, and hand the transport to a XenConsole.

import { xenHost } from "./host.ts";
import { resolveDomain } from "./guests.ts";
import { consoleRequest } from "./mode.ts";
import { openTransport } from "./attach.ts";
import { XenConsole } from "./xen_console.ts";
import type { ConnectOptions } from "./types.ts";

/**
 * Attaches to a guest's console, by domid or name.
 *
 * @example Against the simulated host
 * ```ts
 * import { connect } from "@xenpv/console";
 * import { SimulatedHost } from "@xenpv/console/sim";
 * import assert from "node:assert/strict";
 *
 * await using host = new SimulatedHost();
 * await host.createGuest({ name: "deb1", program: "linux" });
 * await using console = await connect("deb1", { host });
 * assert.equal(console.mode, "pty");
 * ```
 *
 * @example In dom0
 * ```ts ignore
 * import { connect } from "@xenpv/console";
 *
 * await using console = await connect("win-guest");
 * await console.readable.pipeTo(Deno.stdout.writable);
 * ```
 *
 * @throws {GuestNotFoundError} no such guest.
 * @throws {ConsoleNotFoundError} the guest has no such console (e.g. a serial
 * port on a PV guest): the message says what its kind of guest has.
 * @throws {ConsoleBusyError} xenconsoled serves it (ring mode), the lock is
 * held (another `xl console`), or the pty never appeared.
 * @throws {SystemError} no Xen here, not root, no device: with the fix.
 */
export async function connect(
  domain: number | string,
  options: ConnectOptions = {},
): Promise<XenConsole> {
  const { kind, index } = consoleRequest(options);
  options.signal?.throwIfAborted();
  const host = options.host ?? xenHost;
  const xs = await host.openXenstore();
  try {
    const guest = await resolveDomain(xs, domain);
    const { transport, mode, tty, mapMethod } = await openTransport(host, xs, guest, options);
    if (options.signal?.aborted) {
      // aborted while the transport opened: no console to hand over (a
      // caller's close() found none), so nothing of it may stay open
      await transport.close().catch(() => {});
      options.signal.throwIfAborted();
    }
    return new XenConsole(host, xs, transport, {
      domid: guest.domid,
      name: guest.name,
      guestType: guest.type,
      kind,
      index,
      mode,
      tty,
      mapMethod,
    }, options);
  } catch (err) {
    await xs.close();
    throw err;
  }
}
