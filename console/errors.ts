// Copyright 2026 the xenpv authors. MIT license.

import { XenpvError } from "../errors.ts";
import type { AttachMode } from "./types.ts";

/**
 * No guest by that name or domid.
 *
 * @example
 * ```ts
 * import { GuestNotFoundError } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * const err = new GuestNotFoundError("web01");
 * assert.equal(err.domain, "web01");
 * assert.match(err.message, /no guest named "web01"/);
 * ```
 */
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
 * What is in the way in a {@linkcode ConsoleBusyError}: another client holds
 * the console lock (`"locked"`: `xl console`, or another xenpv), a backend
 * such as xenconsoled holds the ring's event channel (`"backend"`, ring
 * mode), or no pty appeared in time (`"no-tty"`: xenconsoled, or QEMU for a
 * serial port, is not running).
 */
export type ConsoleBusyReason = "locked" | "backend" | "no-tty";

const BUSY_REASONS: readonly string[] = [
  "locked",
  "backend",
  "no-tty",
] satisfies ConsoleBusyReason[];

/**
 * The console cannot be attached the way asked: `reason` says what is in the
 * way (see {@linkcode ConsoleBusyReason}); the message says what to do.
 *
 * @example
 * ```ts
 * import { ConsoleBusyError } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * const err = new ConsoleBusyError(7, "locked");
 * assert.equal(err.reason, "locked");
 * assert.match(err.message, /another console client .* domain 7/);
 * const why = new ConsoleBusyError(7, "no-tty", "the pty did not appear within 100 ms");
 * assert.equal(why.message, "the pty did not appear within 100 ms");
 * ```
 */
export class ConsoleBusyError extends XenpvError {
  /** The guest. */
  readonly domid: number;
  /** What is in the way. */
  readonly reason: ConsoleBusyReason;
  /** Builds the error; `message` (what is in the way, what to do) replaces the default one. */
  constructor(
    domid: number,
    reason: ConsoleBusyReason,
    message?: string,
    options?: ErrorOptions,
  ) {
    if (!BUSY_REASONS.includes(reason)) {
      throw new TypeError(
        `reason must be one of ${BUSY_REASONS.join(", ")}, got ${String(reason)}`,
      );
    }
    super(
      message ??
        (reason === "locked"
          ? `another console client (xl console, or another xenpv) is attached to domain ${domid}`
          : reason === "backend"
          ? `xenconsoled (or another backend) serves the console of domain ${domid}: its event ` +
            `channel has one peer and it is bound. Attach in pty mode, or stop xenconsoled first`
          : `the console of domain ${domid} has no pty: is xenconsoled (or, for a serial port, ` +
            `QEMU) running? (without xenconsoled, use mode "ring")`),
      options,
    );
    this.domid = domid;
    this.reason = reason;
  }
}

/**
 * What a guest lacks in a {@linkcode ConsoleNotFoundError}: a serial port
 * (`"no-serial"`: PV and PVH guests have none, an HVM guest one only when its
 * config asks), its PV console (`"no-console"`: no valid keys in xenstore), or
 * the secondary console asked for (`"no-secondary"`: `device/console/N`).
 */
export type ConsoleNotFoundReason = "no-serial" | "no-console" | "no-secondary";

const NOT_FOUND_REASONS: readonly string[] = [
  "no-serial",
  "no-console",
  "no-secondary",
] satisfies ConsoleNotFoundReason[];

/**
 * The guest has no such console: a serial port on a PV or PVH guest (only
 * HVM guests have one, when their config asks for it), or no PV console keys
 * where the console was asked for. `reason` says which; the message says why
 * for the guest's kind.
 *
 * @example
 * ```ts
 * import { ConsoleNotFoundError } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * const err = new ConsoleNotFoundError(7, "no-serial");
 * assert.equal(err.domid, 7);
 * assert.equal(err.reason, "no-serial");
 * assert.equal(err.name, "ConsoleNotFoundError");
 * assert.match(err.message, /domain 7 has no serial console/);
 * ```
 */
export class ConsoleNotFoundError extends XenpvError {
  /** The guest. */
  readonly domid: number;
  /** What the guest lacks. */
  readonly reason: ConsoleNotFoundReason;
  /** Builds the error; `message` (what is missing, what to attach instead) replaces the default one. */
  constructor(
    domid: number,
    reason: ConsoleNotFoundReason,
    message?: string,
    options?: ErrorOptions,
  ) {
    if (!NOT_FOUND_REASONS.includes(reason)) {
      throw new TypeError(
        `reason must be one of ${NOT_FOUND_REASONS.join(", ")}, got ${String(reason)}`,
      );
    }
    super(
      message ??
        (reason === "no-serial"
          ? `domain ${domid} has no serial console: only HVM guests have one, when their config ` +
            `says serial = "pty". Attach its PV console instead (kind "pv")`
          : reason === "no-secondary"
          ? `domain ${domid} has no such secondary console (its config's channel/console list)`
          : `domain ${domid} has no PV console: its toolstack published none for it`),
      options,
    );
    this.domid = domid;
    this.reason = reason;
  }
}

/**
 * The guest went away (destroyed or shut down) while attached: a
 * `XenConsole`'s streams fail with it (unless `follow` re-attaches).
 *
 * @example
 * ```ts
 * import { GuestGoneError } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new GuestGoneError(7).domid, 7);
 * ```
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
  readonly mode: AttachMode;
  /** Which part failed: the console's stream, or its xenstore connection. */
  readonly reason: ConsoleFailure;
  /** Builds the error for `domid` attached in `mode`. */
  constructor(
    domid: number,
    mode: AttachMode,
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
