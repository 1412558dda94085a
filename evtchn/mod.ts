// Copyright 2026 the xenpv authors. MIT license.

/**
 * Xen event channels: the `/dev/xen/evtchn` interface through libc (bind an
 * interdomain port, notify, wait without blocking the event loop, unbind on
 * close), and an in-process channel pair with the same interface for
 * simulation.
 *
 * @example
 * ```ts
 * import { createEventChannelPair } from "@xenpv/console/evtchn";
 *
 * const [a, b] = createEventChannelPair();
 * setTimeout(() => a.notify(), 10);
 * await b.wait(AbortSignal.timeout(1000));
 * await a.close();
 * await b.close();
 * ```
 *
 * @module
 */

export { createEventChannelPair, type EventChannel, XenEventChannel } from "./event_channel.ts";
export { EventChannelClosedError } from "./errors.ts";
export { XenpvError } from "../errors.ts";
