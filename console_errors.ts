// Copyright 2026 the xenpv authors. MIT license.

/** No guest by that name or domid. */
export class GuestNotFoundError extends Error {
  /** What was asked for. */
  readonly domain: number | string;
  /** Builds the error for `domain`. */
  constructor(domain: number | string) {
    super(
      typeof domain === "number"
        ? `no domain ${domain} (see \`xl list\`)`
        : `no guest named ${JSON.stringify(domain)} (see \`xl list\`)`,
    );
    this.name = "GuestNotFoundError";
    this.domain = domain;
  }
}

/**
 * The console cannot be attached the way asked: xenconsoled serves it (ring
 * mode), another client holds its lock (pty mode), or it has no pty.
 */
export class ConsoleBusyError extends Error {
  /** The guest. */
  readonly domid: number;
  /** Builds the error with what is in the way and what to do. */
  constructor(domid: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConsoleBusyError";
    this.domid = domid;
  }
}

/** The guest went away (destroyed or shut down) while attached. */
export class GuestGoneError extends Error {
  /** The guest's domid. */
  readonly domid: number;
  /** Builds the error for `domid`. */
  constructor(domid: number) {
    super(`domain ${domid} is gone (destroyed or shut down)`);
    this.name = "GuestGoneError";
    this.domid = domid;
  }
}

/**
 * The console's stream ended while the guest still runs: xenconsoled died or
 * closed the pty, or the event channel failed. `cause` holds what the
 * transport reported, if anything.
 *
 * @example
 * ```ts
 * import { ConsoleClosedError } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * const err = new ConsoleClosedError(7, "pty");
 * assert.match(err.message, /xenconsoled/);
 * ```
 */
export class ConsoleClosedError extends Error {
  /** The guest's domid. */
  readonly domid: number;
  /** The mode the console was attached in. */
  readonly mode: "pty" | "ring";
  /** Builds the error for `domid` attached in `mode`. */
  constructor(domid: number, mode: "pty" | "ring", options?: ErrorOptions) {
    super(
      mode === "pty"
        ? `the console of domain ${domid} closed while the guest runs: xenconsoled died or ` +
          `dropped its pty (check "systemctl status xenconsoled", then attach again)`
        : `the console ring of domain ${domid} failed while the guest runs (its event ` +
          `channel or page went away); attach again`,
      options,
    );
    this.name = "ConsoleClosedError";
    this.domid = domid;
    this.mode = mode;
  }
}
