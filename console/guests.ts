// Copyright 2026 the xenpv authors. MIT license.
// Guest lookup: which guests xenstore lists, what it says of each (name and
// kind), a guest found by domid or name, and its name fit to show. One module
// for connect() and for the console server's guest directory.

import { assertDomid, isDomid } from "../_sys/domid.ts";
import { printable } from "../_sys/text.ts";
import type { XenstoreClient } from "../xenstore/client.ts";
import { XenstoreError } from "../xenstore/errors.ts";
import { GuestNotFoundError } from "./errors.ts";
import type { GuestType } from "./types.ts";

const GUEST_TYPES: readonly string[] = ["pv", "pvh", "hvm"] satisfies GuestType[];

/** The longest guest name shown (longer ones are cut). */
const NAME_SHOWN = 128;

/** A guest as xenstore describes it. */
export interface Guest {
  /** Its domain id. */
  domid: number;
  /** Its name (`/local/domain/<domid>/name`) as xenstore has it, if it has one. */
  name: string | undefined;
  /** Its kind, as libxl recorded it (`/libxl/<domid>/type`), if it is one. */
  type: GuestType | undefined;
}

/** `text` (libxl's `/libxl/<domid>/type`) as a {@linkcode GuestType}; undefined if it is none. */
export function parseGuestType(text: string | undefined): GuestType | undefined {
  return text !== undefined && GUEST_TYPES.includes(text) ? text as GuestType : undefined;
}

/**
 * A guest's name fit to show (a page, a log line): control characters
 * escaped (`\xNN`), at most 128 characters. The raw name is what `connect()`
 * matches.
 */
export function displayName(name: string | undefined): string | undefined {
  return name === undefined ? undefined : printable(name, NAME_SHOWN);
}

/**
 * The guests' domids in a listing of `/local/domain`: guests only (not dom0,
 * not Xen's reserved ids), in their canonical spelling (no stray key).
 */
export function guestDomids(ids: readonly string[]): number[] {
  return ids.filter((id) => /^[1-9][0-9]{0,4}$/.test(id)).map(Number)
    .filter((domid) => isDomid(domid, { guest: true }));
}

/** The running guests' domids (none when there is no `/local/domain` at all). */
export async function listGuests(xs: XenstoreClient): Promise<number[]> {
  // No /local/domain at all: no guests. Anything else (xenstored gone) is not "none".
  const ids = await xs.directory("/local/domain").catch((err) => {
    if (err instanceof XenstoreError && err.code === "ENOENT") return [] as string[];
    throw err;
  });
  return guestDomids(ids);
}

/** The guest's name and kind, read together (libxl keeps the kind under /libxl, dom0's). */
export async function readGuest(xs: XenstoreClient, domid: number): Promise<Guest> {
  const [name, type] = await Promise.all([
    xs.tryRead(`/local/domain/${domid}/name`),
    xs.tryRead(`/libxl/${domid}/type`),
  ]);
  return { domid, name, type: parseGuestType(type) };
}

/** The guest as xenstore describes it; undefined if it has no `/local/domain/<domid>`. */
export async function describeGuest(
  xs: XenstoreClient,
  domid: number,
): Promise<Guest | undefined> {
  const [guest, exists] = await Promise.all([
    readGuest(xs, domid),
    xs.exists(`/local/domain/${domid}`),
  ]);
  return exists ? guest : undefined;
}

/** The domid of the guest named `name` (exactly), if one runs. */
export async function findByName(xs: XenstoreClient, name: string): Promise<number | undefined> {
  const domids = await listGuests(xs);
  // Every name read at once: the requests are pipelined on the connection,
  // so finding one guest among many costs about one round trip, not one each.
  const names = await Promise.all(
    domids.map((domid) => xs.tryRead(`/local/domain/${domid}/name`)),
  );
  const at = names.indexOf(name);
  return at < 0 ? undefined : domids[at];
}

/**
 * The guest `domain` names: a domid (a number, or a string of digits) or a
 * guest's name.
 *
 * @throws {GuestNotFoundError} no such guest.
 * @throws {RangeError} dom0 or not a domain's id; {TypeError} neither a domid nor a name.
 */
export async function resolveDomain(xs: XenstoreClient, domain: number | string): Promise<Guest> {
  if (typeof domain === "number" || /^[0-9]+$/.test(domain)) {
    const domid = assertDomid(Number(domain));
    if (domid === 0) throw new RangeError("dom0 has no PV console to attach to");
    return await describeGuest(xs, domid) ?? throwNotFound(domid);
  }
  if (typeof domain !== "string" || domain === "") {
    throw new TypeError(`domain must be a domid or a guest name, got ${domain}`);
  }
  const domid = await findByName(xs, domain);
  const guest = domid === undefined ? undefined : await describeGuest(xs, domid);
  return guest ?? throwNotFound(domain);
}

function throwNotFound(domain: number | string): never {
  throw new GuestNotFoundError(domain);
}

/** "domain 7 (an HVM guest)": what an error says of the guest. */
export function guestInMessage(guest: Guest): string {
  const kind = guest.type === undefined ? "" : ` (a ${guest.type.toUpperCase()} guest)`;
  return `domain ${guest.domid}${kind}`;
}
