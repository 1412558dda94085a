// Copyright 2026 the xenpv authors. MIT license.
// The guests of a host, found through xenstore and followed live: a new
// domain is attached as it appears, a destroyed one marked gone.

import type { GuestType } from "../connect.ts";
import type { XenHost } from "../host.ts";
import { xenHost } from "../host.ts";
import { type XenstoreClient, XenstoreError } from "../xenstore/mod.ts";
import {
  delay,
  ServedGuest as GuestConsole,
  type ServedGuestOptions as GuestConsoleOptions,
} from "./_served_guest.ts";

/** Gone guests kept listed (their scrollback readable), newest first. */
const GONE_KEPT = 16;
/** Domain ids a guest can have (Xen's reserved ids from 0x7FF0 are none). */
const MAX_DOMID = 0x7fef;
const GUEST_TYPES: readonly string[] = ["pv", "pvh", "hvm"] satisfies GuestType[];
/** Waits between attempts to reach xenstore again after its connection broke (ms). */
const RECONNECT_MS = [100, 250, 500, 1000, 2000, 5000];

/** A name read from xenstore, fit to show: bounded, no control characters. */
function guestName(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, "?").slice(0, 128);
}

/** Every guest's console on a host, kept current by `@introduceDomain` and `@releaseDomain`. */
export class GuestDirectory {
  #host: XenHost;
  #options: GuestConsoleOptions;
  #guests = new Map<number, GuestConsole>();
  #xs: XenstoreClient | undefined;
  #abort = new AbortController();
  #scanning: Promise<void> | undefined;
  #again = false;
  #supervising: Promise<void> | undefined;

  constructor(options: GuestConsoleOptions) {
    this.#host = options.host ?? xenHost;
    this.#options = options;
  }

  /**
   * Opens xenstore, lists the guests and starts watching for more. If the
   * connection breaks later (xenstored restarted), the guests not attached are
   * marked unavailable and xenstore is reached again with backoff (up to 5 s
   * between attempts, until `close()`), then the guests are listed again.
   */
  async start(): Promise<void> {
    let lost: Promise<unknown>;
    try {
      ({ lost } = await this.#open());
    } catch (err) {
      await this.close();
      throw err;
    }
    this.#supervising = this.#supervise(lost);
  }

  /** Connects, watches, lists the guests; `lost` settles (with why) when the connection breaks. */
  async #open(): Promise<{ lost: Promise<unknown> }> {
    const xs = await this.#host.openXenstore();
    this.#xs = xs;
    try {
      const signal = this.#abort.signal;
      const ends: Promise<unknown>[] = [];
      for (const path of ["@introduceDomain", "@releaseDomain"]) {
        const watch = await xs.watch(path, { signal });
        ends.push((async () => {
          try {
            for await (const _ of watch) await this.rescan().catch(() => {});
            return new Error("the watch ended");
          } catch (err) {
            return err;
          }
        })());
      }
      await this.#scan();
      return { lost: Promise.race(ends) };
    } catch (err) {
      this.#xs = undefined;
      await xs.close().catch(() => {});
      throw err;
    }
  }

  /** Reconnects whenever the connection to xenstore is lost, until closed. */
  async #supervise(lost: Promise<unknown>): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const err = await lost;
      if (signal.aborted) return;
      const xs = this.#xs;
      this.#xs = undefined;
      await xs?.close().catch(() => {});
      const why = err instanceof Error ? err.message : String(err);
      for (const guest of this.#guests.values()) {
        guest.xenstoreLost(`xenstore connection lost (${why}): reconnecting`);
      }
      for (let attempt = 0;; attempt++) {
        await delay(RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)], signal);
        if (signal.aborted) return;
        try {
          ({ lost } = await this.#open());
          break;
        } catch { /* xenstored not back yet */ }
      }
    }
  }

  /** The guest with this domid. */
  get(domid: number): GuestConsole | undefined {
    return this.#guests.get(domid);
  }

  /** Every guest: running ones first, by domid; then the gone ones. */
  list(): GuestConsole[] {
    const all = [...this.#guests.values()];
    return [...all.filter((g) => g.state !== "gone"), ...all.filter((g) => g.state === "gone")];
  }

  /** Lists the guests again (coalesced: one scan runs at a time, one more follows if asked). */
  rescan(): Promise<void> {
    if (this.#scanning !== undefined) {
      this.#again = true;
      return this.#scanning;
    }
    this.#scanning = (async () => {
      try {
        do {
          this.#again = false;
          await this.#scan();
        } while (this.#again && !this.#abort.signal.aborted);
      } finally {
        this.#scanning = undefined;
      }
    })();
    return this.#scanning;
  }

  async #scan(): Promise<void> {
    const xs = this.#xs;
    if (xs === undefined || this.#abort.signal.aborted) return;
    const listed = await xs.directory("/local/domain").catch((err) => {
      if (err instanceof XenstoreError && err.code === "ENOENT") return [] as string[];
      throw err;
    });
    const running = new Set<number>();
    for (const id of listed) {
      if (!/^[1-9][0-9]{0,4}$/.test(id) || Number(id) > MAX_DOMID) continue;
      running.add(Number(id));
    }
    for (const [domid, guest] of this.#guests) {
      if (!running.has(domid)) guest.markGone();
    }
    for (const domid of running) {
      if (this.#guests.has(domid) || this.#abort.signal.aborted) continue;
      const [name, type] = await Promise.all([
        xs.tryRead(`/local/domain/${domid}/name`),
        xs.tryRead(`/libxl/${domid}/type`),
      ]).catch(() => [undefined, undefined]);
      if (this.#guests.has(domid) || this.#abort.signal.aborted) continue;
      const guest = new GuestConsole({
        domid,
        name: guestName(name),
        guestType: type !== undefined && GUEST_TYPES.includes(type) ? type as GuestType : undefined,
      }, this.#options);
      if (guest.name !== undefined) {
        for (const old of this.#guests.values()) {
          if (old.state === "gone" && old.name === guest.name) old.succeededBy(domid);
        }
      }
      this.#guests.set(domid, guest);
    }
    await this.#forgetOldGone();
  }

  /** Keeps the newest {@linkcode GONE_KEPT} gone guests. */
  async #forgetOldGone(): Promise<void> {
    const gone = [...this.#guests.values()].filter((g) => g.state === "gone");
    for (const guest of gone.slice(0, Math.max(0, gone.length - GONE_KEPT))) {
      this.#guests.delete(guest.domid);
      await guest.close();
    }
  }

  /** Stops watching and closes every console. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#scanning?.catch(() => {});
    await this.#xs?.close().catch(() => {}); // ends the watches
    await this.#supervising;
    await Promise.allSettled([...this.#guests.values()].map((g) => g.close()));
    this.#guests.clear();
    await this.#xs?.close();
  }
}
