// Copyright 2026 the xenpv authors. MIT license.

/**
 * A byte stream to a xenstore server: a unix socket, `/dev/xen/xenbus`, or an
 * in-process connection to {@linkcode XenstoreServer}.
 */
export interface XenstoreTransport {
  /** The next bytes from the server; `null` at end of stream. */
  read(): Promise<Uint8Array | null>;
  /** Sends bytes (whole messages or parts of them). */
  write(data: Uint8Array): Promise<void>;
  /** Closes the stream; a pending `read()` resolves `null`. */
  close(): Promise<void>;
  /** The largest payload this path takes, when less than the protocol's 4096 bytes. */
  readonly maxPayload?: number;
}
