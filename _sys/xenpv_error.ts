// Copyright 2026 the xenpv authors. MIT license.

/**
 * The base of every error xenpv throws for a condition a caller may catch
 * (bad arguments are `TypeError` and `RangeError` instead). Every subclass
 * takes its specific details first and `options?: { cause }` last.
 *
 * @example Catch anything of xenpv's
 * ```ts
 * import { GuestNotFoundError, XenpvError } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * const err = new GuestNotFoundError("web01", { cause: new Error("lookup") });
 * assert.ok(err instanceof XenpvError);
 * assert.equal(err.name, "GuestNotFoundError");
 * assert.equal((err.cause as Error).message, "lookup");
 * ```
 */
export class XenpvError extends Error {
  /** Builds the error; its `name` is the subclass's. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
