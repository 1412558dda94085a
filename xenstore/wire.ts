// Copyright 2026 the xenpv authors. MIT license.
// The xenstore wire format (Xen's io/xs_wire.h): a 16-byte little-endian
// header {type, req_id, tx_id, len} followed by `len` payload bytes, at most
// 4096. Payloads are NUL-separated strings.

import { XenstoreProtocolError } from "./errors.ts";

/**
 * Message types of the xenstore protocol, with their wire values.
 *
 * @example
 * ```ts
 * import { MessageType, messageTypeName } from "./wire.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MessageType.WRITE, 11);
 * assert.equal(messageTypeName(22), "DIRECTORY_PART");
 * ```
 */
export const MessageType: {
  readonly CONTROL: 0;
  readonly DIRECTORY: 1;
  readonly READ: 2;
  readonly GET_PERMS: 3;
  readonly WATCH: 4;
  readonly UNWATCH: 5;
  readonly TRANSACTION_START: 6;
  readonly TRANSACTION_END: 7;
  readonly INTRODUCE: 8;
  readonly RELEASE: 9;
  readonly GET_DOMAIN_PATH: 10;
  readonly WRITE: 11;
  readonly MKDIR: 12;
  readonly RM: 13;
  readonly SET_PERMS: 14;
  readonly WATCH_EVENT: 15;
  readonly ERROR: 16;
  readonly IS_DOMAIN_INTRODUCED: 17;
  readonly RESUME: 18;
  readonly SET_TARGET: 19;
  readonly RESET_WATCHES: 21;
  readonly DIRECTORY_PART: 22;
  readonly GET_FEATURE: 23;
  readonly SET_FEATURE: 24;
  readonly GET_QUOTA: 25;
  readonly SET_QUOTA: 26;
  readonly INVALID: 0xffff;
} = Object.freeze({
  CONTROL: 0,
  DIRECTORY: 1,
  READ: 2,
  GET_PERMS: 3,
  WATCH: 4,
  UNWATCH: 5,
  TRANSACTION_START: 6,
  TRANSACTION_END: 7,
  INTRODUCE: 8,
  RELEASE: 9,
  GET_DOMAIN_PATH: 10,
  WRITE: 11,
  MKDIR: 12,
  RM: 13,
  SET_PERMS: 14,
  WATCH_EVENT: 15,
  ERROR: 16,
  IS_DOMAIN_INTRODUCED: 17,
  RESUME: 18,
  SET_TARGET: 19,
  // 20 was RESTRICT; it has been removed and is invalid.
  RESET_WATCHES: 21,
  DIRECTORY_PART: 22,
  GET_FEATURE: 23,
  SET_FEATURE: 24,
  GET_QUOTA: 25,
  SET_QUOTA: 26,
  INVALID: 0xffff,
});

/** A message type value (see {@linkcode MessageType}). */
export type MessageTypeValue = typeof MessageType[keyof typeof MessageType];

const TYPE_NAMES: Map<number, string> = new Map(
  Object.entries(MessageType).map(([name, value]) => [value, name]),
);

/** The name of a message type, e.g. `2` -> `"READ"`; unknown -> `"TYPE_<n>"`. */
export function messageTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE_${type}`;
}

/** Size of the message header in bytes. */
export const HEADER_SIZE = 16;
/** Largest payload either side may send (XENSTORE_PAYLOAD_MAX). */
export const PAYLOAD_MAX = 4096;

/** One protocol message. */
export interface Message {
  /** Message type (see {@linkcode MessageType}). */
  type: number;
  /** Request id, echoed in the reply. */
  reqId: number;
  /** Transaction id, 0 outside a transaction. */
  txId: number;
  /** The payload bytes (at most {@linkcode PAYLOAD_MAX}). */
  payload: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 decoding with a fast path for the short ASCII strings xenstore uses. */
function decodeText(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (bytes[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, end) as never);
  }
  return decoder.decode(bytes.subarray(start, end));
}
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes a message: header plus payload, in one new buffer.
 *
 * @example
 * ```ts
 * import { encodeMessage, MessageType, payloadOf } from "./wire.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeMessage({
 *   type: MessageType.READ, reqId: 7, txId: 0, payload: payloadOf(["/a"]),
 * });
 * assert.deepEqual([...bytes], [2, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 47, 97, 0]);
 * ```
 *
 * @throws {RangeError} when the payload exceeds {@linkcode PAYLOAD_MAX} or a
 * header field is not a u32.
 */
export function encodeMessage(message: Message): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(HEADER_SIZE + message.payload.length);
  encodeMessageInto(message, out, 0);
  return out;
}

/** Encodes `message` into `out` at `offset`; returns the bytes written. */
export function encodeMessageInto(message: Message, out: Uint8Array, offset: number): number {
  const { type, reqId, txId, payload } = message;
  if (payload.length > PAYLOAD_MAX) {
    throw new RangeError(
      `xenstore payload of ${payload.length} bytes exceeds the ${PAYLOAD_MAX}-byte limit`,
    );
  }
  checkU32("type", type);
  checkU32("reqId", reqId);
  checkU32("txId", txId);
  putU32(out, offset, type);
  putU32(out, offset + 4, reqId);
  putU32(out, offset + 8, txId);
  putU32(out, offset + 12, payload.length);
  out.set(payload, offset + HEADER_SIZE);
  return HEADER_SIZE + payload.length;
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`xenstore ${name} must be a u32, got ${v}`);
  }
}

/** The size of a pooled decoder's shared blocks. */
const POOL_SIZE = 8192;

function getU32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | bytes[at + 3] << 24) >>> 0;
}

function putU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = v >>> 24;
}

/**
 * Builds a payload from parts, each followed by a NUL, except that a final
 * binary value (a `Uint8Array`, as in WRITE's `<path>|<value>`) is appended
 * as is.
 *
 * @example
 * ```ts
 * import { payloadOf } from "./wire.ts";
 * import assert from "node:assert/strict";
 *
 * const p = payloadOf(["/a", new TextEncoder().encode("hi")]);
 * assert.equal(new TextDecoder().decode(p), "/a\0hi");
 * ```
 */
export function payloadOf(parts: readonly (string | Uint8Array)[]): Uint8Array<ArrayBuffer> {
  // Paths and values are mostly ASCII: copied straight in, no encoder call.
  const last = parts.length - 1;
  let size = 0;
  for (let i = 0; i <= last; i++) {
    const p = parts[i];
    if (typeof p === "string") {
      for (let j = 0; j < p.length; j++) if (p.charCodeAt(j) >= 0x80) return encodedPayload(parts);
      size += p.length + 1;
    } else {
      size += p.length + (i === last ? 0 : 1);
    }
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i <= last; i++) {
    const p = parts[i];
    if (typeof p === "string") {
      for (let j = 0; j < p.length; j++) out[at++] = p.charCodeAt(j);
      at++; // the NUL (out is zero-filled)
    } else {
      out.set(p, at);
      at += p.length + (i === last ? 0 : 1);
    }
  }
  return out;
}

/** payloadOf for parts with non-ASCII text. */
function encodedPayload(parts: readonly (string | Uint8Array)[]): Uint8Array<ArrayBuffer> {
  const last = parts.length - 1;
  const chunks = parts.map((p) => typeof p === "string" ? encoder.encode(p) : p);
  let size = 0;
  for (let i = 0; i <= last; i++) {
    size += chunks[i].length + (typeof parts[i] !== "string" && i === last ? 0 : 1);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i <= last; i++) {
    out.set(chunks[i], at);
    at += chunks[i].length + (typeof parts[i] !== "string" && i === last ? 0 : 1);
  }
  return out;
}

/**
 * Splits a payload into its NUL-terminated strings. A missing final NUL is
 * tolerated (the last piece is still returned); an empty payload gives `[]`.
 *
 * @example
 * ```ts
 * import { splitPayload } from "./wire.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("a\0b\0");
 * assert.deepEqual(splitPayload(bytes), ["a", "b"]);
 * ```
 */
export function splitPayload(payload: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < payload.length; i++) {
    if (payload[i] === 0) {
      out.push(decodeText(payload, start, i));
      start = i + 1;
    }
  }
  if (start < payload.length) out.push(decodeText(payload, start, payload.length));
  return out;
}

/**
 * Like {@linkcode splitPayload} but requires every string to be NUL-terminated
 * valid UTF-8: returns `undefined` otherwise (for validating peer input).
 */
export function splitPayloadStrict(payload: Uint8Array): string[] | undefined {
  if (payload.length > 0 && payload[payload.length - 1] !== 0) return undefined;
  const out: string[] = [];
  let start = 0;
  try {
    for (let i = 0; i < payload.length; i++) {
      if (payload[i] === 0) {
        out.push(strictDecoder.decode(payload.subarray(start, i)));
        start = i + 1;
      }
    }
  } catch {
    return undefined;
  }
  return out;
}

/**
 * Incremental decoder of a byte stream into messages. Memory is bounded: it
 * never holds more than one header plus {@linkcode PAYLOAD_MAX} bytes of a
 * partial message, and a header announcing a larger payload throws
 * {@linkcode XenstoreProtocolError} (the stream has lost its framing then).
 *
 * @example
 * ```ts
 * import { encodeMessage, MessageDecoder, MessageType } from "./wire.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeMessage({
 *   type: MessageType.READ, reqId: 1, txId: 0, payload: new Uint8Array([47, 0]),
 * });
 * const decoder = new MessageDecoder();
 * assert.deepEqual(decoder.push(bytes.subarray(0, 5)), []);
 * const [message] = decoder.push(bytes.subarray(5));
 * assert.equal(message.type, MessageType.READ);
 * ```
 */
export class MessageDecoder {
  /** Payloads up to this size are copied into a shared block (see the constructor). */
  static readonly POOLED_MAX = 1024;
  #pool: Uint8Array | undefined;
  #pooled: boolean;
  #poolUsed = 0;
  #header = new Uint8Array(HEADER_SIZE);
  #headerView = new DataView(this.#header.buffer);
  #headerFill = 0;
  #payload: Uint8Array | undefined;
  #payloadFill = 0;
  #type = 0;
  #reqId = 0;
  #txId = 0;
  #failed: XenstoreProtocolError | undefined;

  /**
   * With `pooled`, a small payload of a whole message (up to `POOLED_MAX`
   * bytes) is a view into an 8 KiB block shared with the payloads decoded
   * before and after it, as Node's `Buffer` pool does: a new `Uint8Array` of
   * its own costs more than decoding the message (about 1.5 µs in Deno). Such
   * a payload keeps its block alive while it is held; use it where payloads
   * are short-lived (a client's replies), not where they are stored.
   */
  constructor(options: { pooled?: boolean } = {}) {
    this.#pooled = options.pooled === true;
  }

  /** A copy of `chunk[start, end)`: from the pool when small enough. */
  #copy(chunk: Uint8Array, start: number, end: number): Uint8Array {
    const len = end - start;
    if (!this.#pooled || len > MessageDecoder.POOLED_MAX) return chunk.slice(start, end);
    let pool = this.#pool;
    if (pool === undefined || this.#poolUsed + len > pool.length) {
      this.#pool = pool = new Uint8Array(POOL_SIZE);
      this.#poolUsed = 0;
    }
    const at = this.#poolUsed;
    if (len <= 64) { for (let i = 0; i < len; i++) pool[at + i] = chunk[start + i]; }
    else pool.set(chunk.subarray(start, end), at);
    this.#poolUsed = at + len;
    return pool.subarray(at, at + len);
  }

  /** Bytes of a partial message held now. */
  get buffered(): number {
    return this.#headerFill + this.#payloadFill;
  }

  /**
   * Feeds bytes; returns every message they complete (payloads are copies).
   *
   * @throws {XenstoreProtocolError} on a header whose length exceeds
   * {@linkcode PAYLOAD_MAX}; the decoder stays failed afterwards.
   */
  push(chunk: Uint8Array): Message[] {
    if (this.#failed !== undefined) throw this.#failed;
    const out: Message[] = [];
    let at = 0;
    while (at < chunk.length) {
      // A whole message in the chunk (the usual case): no copy of its header.
      if (
        this.#payload === undefined && this.#headerFill === 0 && chunk.length - at >= HEADER_SIZE
      ) {
        const len = getU32(chunk, at + 12);
        if (len <= PAYLOAD_MAX && chunk.length - at - HEADER_SIZE >= len) {
          out.push({
            type: getU32(chunk, at),
            reqId: getU32(chunk, at + 4),
            txId: getU32(chunk, at + 8),
            payload: this.#copy(chunk, at + HEADER_SIZE, at + HEADER_SIZE + len),
          });
          at += HEADER_SIZE + len;
          continue;
        }
      }
      if (this.#payload === undefined) {
        const take = Math.min(HEADER_SIZE - this.#headerFill, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + take), this.#headerFill);
        this.#headerFill += take;
        at += take;
        if (this.#headerFill < HEADER_SIZE) break;
        const len = this.#headerView.getUint32(12, true);
        this.#type = this.#headerView.getUint32(0, true);
        this.#reqId = this.#headerView.getUint32(4, true);
        this.#txId = this.#headerView.getUint32(8, true);
        if (len > PAYLOAD_MAX) {
          this.#failed = new XenstoreProtocolError(
            `message ${messageTypeName(this.#type)} announces a ${len}-byte payload ` +
              `(limit ${PAYLOAD_MAX})`,
          );
          throw this.#failed;
        }
        this.#payload = new Uint8Array(len);
        this.#payloadFill = 0;
      }
      const need = this.#payload.length - this.#payloadFill;
      const take = Math.min(need, chunk.length - at);
      this.#payload.set(chunk.subarray(at, at + take), this.#payloadFill);
      this.#payloadFill += take;
      at += take;
      if (this.#payloadFill === this.#payload.length) {
        out.push({
          type: this.#type,
          reqId: this.#reqId,
          txId: this.#txId,
          payload: this.#payload,
        });
        this.#payload = undefined;
        this.#payloadFill = 0;
        this.#headerFill = 0;
      }
    }
    return out;
  }
}
