// Copyright 2026 the xenpv authors. MIT license.

import { XenpvError } from "../errors.ts";

/** No guest by that name or domid. */
export class GuestNotFoundError extends XenpvError {
  /** What was asked for. */
  readonly domain: number | string;
  /** Builds the error for `domain`. */
  constructor(domain: number | string, options?: ErrorOptions) {
    super(
      typeof domain === "number"
        ? `no domain ${domain} (see \`xl list\`)`
        : `no guest named ${JSON.stringify(domain)} (see \`xl list\`)`,
      options,
    );
    this.domain = domain;
  }
}

/**
 * The console cannot be attached the way asked: xenconsoled serves it (ring
 * mode), another client holds its lock (pty mode), or it has no pty.
 */
export class ConsoleBusyError extends XenpvError {
  /** The guest. */
  readonly domid: number;
  /** Builds the error with what is in the way and what to do. */
  constructor(domid: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.domid = domid;
  }
}

/**
 * The guest has no such console: a serial port on a PV or PVH guest (only
 * HVM guests have one, when their config asks for it), or no PV console keys
 * where the console was asked for. The message says why for the guest's kind.
 *
 * @example
 * ```ts
 * import { ConsoleNotFoundError } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * const err = new ConsoleNotFoundError(7, "domain 7 has no serial console");
 * assert.equal(err.domid, 7);
 * assert.equal(err.name, "ConsoleNotFoundError");
 * ```
 */
export class ConsoleNotFoundError extends XenpvError {
  /** The guest. */
  readonly domid: number;
  /** Builds the error with what is missing and what to attach instead. */
  constructor(domid: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.domid = domid;
  }
}

/**
 * The guest went away (destroyed or shut down) while attached: a
 * `XenConsole`'s streams fail with it (unless `follow` re-attaches).
 */
export class GuestGoneError extends XenpvError {
  /** The guest's domid. */
  readonly domid: number;
  /** Builds the error for `domid`. */
  constructor(domid: number, options?: ErrorOptions) {
    super(`domain ${domid} is gone (destroyed or shut down)`, options);
    this.domid = domid;
  }
}

/**
 * What failed in a {@linkcode ConsoleClosedError}: the console's stream
 * (`"transport"`: the pty closed, or the ring's event channel or page failed),
 * or its xenstore connection (`"xenstore"`: xenstored died or dropped it, so
 * the guest's end could no longer be seen).
 */
export type ConsoleFailure = "transport" | "xenstore";

/**
 * The console stopped working while the guest still runs: xenconsoled died or
 * closed the pty, the event channel failed, or xenstored went away. `reason`
 * says which part failed; `cause` holds what it reported, if anything.
 *
 * A `XenConsole`'s streams fail with it (with `GuestGoneError`
 * when the guest itself went away instead). It is not `StreamEndedError`
 * (`@xenpv/console/xencons`): that is what an `Expect` or `ConsoleSession`
 * reading the console throws whenever its stream ends, for any reason, and
 * it carries this error as its `cause` when this was the reason.
 *
 * @example
 * ```ts
 * import { ConsoleClosedError } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * const err = new ConsoleClosedError(7, "pty");
 * assert.match(err.message, /xenconsoled/);
 * assert.equal(err.reason, "transport");
 * assert.match(new ConsoleClosedError(7, "ring", "xenstore").message, /xenstored/);
 * ```
 */
export class ConsoleClosedError extends XenpvError {
  /** The guest's domid. */
  readonly domid: number;
  /** The mode the console was attached in. */
  readonly mode: "pty" | "ring";
  /** Which part failed: the console's stream, or its xenstore connection. */
  readonly reason: ConsoleFailure;
  /** Builds the error for `domid` attached in `mode`. */
  constructor(
    domid: number,
    mode: "pty" | "ring",
    reason: ConsoleFailure = "transport",
    options?: ErrorOptions,
  ) {
    if (reason !== "transport" && reason !== "xenstore") {
      throw new TypeError(`reason must be "transport" or "xenstore", got ${String(reason)}`);
    }
    super(
      reason === "xenstore"
        ? `the console of domain ${domid} lost its xenstore connection (xenstored died or ` +
          `dropped it), so the guest's end can no longer be seen (check "systemctl status ` +
          `xenstored", then attach again)`
        : mode === "pty"
        ? `the console of domain ${domid} closed while the guest runs: xenconsoled died or ` +
          `dropped its pty (check "systemctl status xenconsoled", then attach again)`
        : `the console ring of domain ${domid} failed while the guest runs (its event ` +
          `channel or page went away); attach again`,
      options,
    );
    this.domid = domid;
    this.mode = mode;
    this.reason = reason;
  }
}
