// Copyright 2026 the xenpv authors. MIT license.
// Who watches one console, told to its viewers as changes: a newcomer gets the
// whole list once; everyone else gets who joined and who left, batched over a
// short window. Telling everyone the whole list on every change cost O(n²)
// per join (issue 29: 400 viewers took seconds of CPU and a GiB of RSS).

import type { ServerMessage } from "./protocol.ts";
import type { ViewerInfo } from "./types.ts";

/** Changes within this window (ms) go out as one message per viewer. */
export const ROSTER_BATCH_MS = 100;

/** A `viewersChanged` message. */
export type RosterChange = Extract<ServerMessage, { type: "viewersChanged" }>;

/** The pending changes of one console's viewers, flushed as one message a window. */
export class ViewerRoster {
  #joined = new Map<number, ViewerInfo>();
  #left = new Set<number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flush: (change: RosterChange) => void;
  #window: number;

  /** `flush` tells every viewer a batch of changes. */
  constructor(flush: (change: RosterChange) => void, window = ROSTER_BATCH_MS) {
    this.#flush = flush;
    this.#window = window;
  }

  /** A viewer joined (it was sent the whole list itself). */
  joined(info: ViewerInfo): void {
    this.#joined.set(info.id, info);
    this.#schedule();
  }

  /** A viewer left. */
  left(id: number): void {
    this.#joined.delete(id);
    this.#left.add(id); // a newcomer may have seen it in its whole list
    this.#schedule();
  }

  /** Sends what is pending now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#joined.size === 0 && this.#left.size === 0) return;
    const change: RosterChange = {
      type: "viewersChanged",
      joined: [...this.#joined.values()],
      left: [...this.#left],
    };
    this.#joined.clear();
    this.#left.clear();
    this.#flush(change);
  }

  /** Drops what is pending (the console is closing). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#joined.clear();
    this.#left.clear();
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => this.flush(), this.#window);
  }
}
