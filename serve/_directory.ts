// Copyright 2026 the xenpv authors. MIT license.
// The guests of a host, found through xenstore and followed live: a new
// domain is attached as it appears, a destroyed one marked gone.

import { displayName, listGuests, readGuest } from "../console/guests.ts";
import { type XenHost, xenHost } from "../console/host.ts";
import type { XenstoreClient } from "../xenstore/mod.ts";
import { delay, ServedGuest, type ServedGuestOptions } from "./_served_guest.ts";

/** Gone guests kept listed (their scrollback readable), newest first. */
const GONE_KEPT = 16;
/** Waits between attempts to reach xenstore again after its connection broke (ms). */
const RECONNECT_MS = [100, 250, 500, 1000, 2000, 5000];

/** Every guest's console on a host, kept current by `@introduceDomain` and `@releaseDomain`. */
export class GuestDirectory {
  #host: XenHost;
  #options: ServedGuestOptions;
  #guests = new Map<number, ServedGuest>();
  #xs: XenstoreClient | undefined;
  #abort = new AbortController();
  #scanning: Promise<void> | undefined;
  #again = false;
  #supervising: Promise<void> | undefined;

  constructor(options: ServedGuestOptions) {
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
  get(domid: number): ServedGuest | undefined {
    return this.#guests.get(domid);
  }

  /** Every guest: running ones first, by domid; then the gone ones. */
  list(): ServedGuest[] {
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
    const running = new Set(await listGuests(xs));
    for (const [domid, guest] of this.#guests) {
      if (!running.has(domid)) guest.markGone();
    }
    for (const domid of running) {
      if (this.#guests.has(domid) || this.#abort.signal.aborted) continue;
      const { name, type } = await readGuest(xs, domid)
        .catch(() => ({ name: undefined, type: undefined }));
      if (this.#guests.has(domid) || this.#abort.signal.aborted) continue;
      const guest = new ServedGuest({
        domid,
        name: displayName(name),
        guestType: type,
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
