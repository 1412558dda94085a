// Copyright 2026 the xenpv authors. MIT license.
// The event channel layer's errors.

import { XenpvError } from "../errors.ts";

/** The channel was closed while (or before) waiting on it. */
export class EventChannelClosedError extends XenpvError {
  /** Builds the error for `port`. */
  constructor(port: number, options?: ErrorOptions) {
    super(`event channel port ${port} is closed`, options);
  }
}
