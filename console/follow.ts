// Copyright 2026 the xenpv authors. MIT license.
// A console's guest going and coming back: whether an ended stream was the
// guest going away, and (with `follow`) the guest's next domain, found by
// name and attached once its console is published.

import type { XenstoreClient } from "../xenstore/client.ts";
import { openTransport, TTY_TIMEOUT_MS, waitForValue } from "./attach.ts";
import { describeGuest, findByName, type Guest } from "./guests.ts";
import type { XenHost } from "./host.ts";
import { consolePath, consoleRequest, keyToAwait } from "./mode.ts";
import type { Attached } from "./transports.ts";
import type { ConnectOptions } from "./types.ts";

/**
 * How long an ended stream waits for xenstore to say the guest is gone
 * before it is reported as the console closing (the guest still running).
 * Destroys were seen in xenstore 1-26 ms after the stream ended on real Xen.
 */
export const GONE_GRACE_MS = 500;

/**
 * Whether `gone` (xenstore saying the guest went away) settles within
 * {@linkcode GONE_GRACE_MS}: the stream may end a moment before it does.
 */
export async function goneSoon(gone: Promise<void>, graceMs = GONE_GRACE_MS): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      gone.then(() => true),
      new Promise<boolean>((r) => timer = setTimeout(() => r(false), graceMs)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits (watching `@introduceDomain`) for a guest named `name` on a domain
 * other than `from`; `undefined` if the watch ended first.
 */
export async function nextDomain(
  xs: XenstoreClient,
  name: string,
  from: number,
  signal: AbortSignal,
): Promise<Guest | undefined> {
  await using intro = await xs.watch("@introduceDomain", { signal });
  for await (const _ of intro) {
    const domid = await findByName(xs, name);
    if (domid === undefined || domid === from) continue;
    const guest = await describeGuest(xs, domid);
    if (guest !== undefined) return guest;
  }
  return undefined;
}

/**
 * Attaches to a new domain's console as `options` asks. xenstored announces
 * a new domain before the toolstack has written its console keys: the one
 * the mode needs is waited for first (bounded by `ttyTimeout`;
 * {@linkcode openTransport} then says what is missing).
 */
export async function attachNext(
  host: XenHost,
  xs: XenstoreClient,
  guest: Guest,
  options: ConnectOptions,
  signal: AbortSignal,
): Promise<Attached> {
  const request = consoleRequest(options);
  const key = `${consolePath(guest.domid, request.kind, request.index)}/${keyToAwait(request)}`;
  await waitForValue(xs, key, options.ttyTimeout ?? TTY_TIMEOUT_MS, signal);
  return await openTransport(host, xs, guest, options);
}
