// Copyright 2026 the xenpv authors. MIT license.
// The node operations shared by a client and a transaction: they differ only
// in the transaction id their requests carry.

import { MessageType, splitPayload } from "./wire.ts";
import { assertPath } from "./path.ts";
import { formatPermission, parsePermission, type Permission } from "./permissions.ts";
import { XenstoreError, XenstoreProtocolError } from "./errors.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Most bytes of child names one listing may take (a bound on what a server can make us hold). */
const DIRECTORY_MAX = 16 * 1024 * 1024;

/** Options every request takes. */
export interface RequestOptions {
  /** Abandon the request (it rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * Reads, writes and lists nodes. {@linkcode XenstoreClient} runs them outside
 * any transaction, {@linkcode XenstoreTransaction} inside one.
 */
export abstract class XenstoreOperations {
  /** Sends one request and resolves to the reply payload. */
  protected abstract request(
    type: number,
    parts: readonly (string | Uint8Array)[],
    options: RequestOptions & { path?: string },
  ): Promise<Uint8Array>;

  /**
   * Reads a node's value as bytes. Rejects with `ENOENT` when missing. A
   * client hands out a small value as a view that shares its `ArrayBuffer`
   * with other replies (as Node's `Buffer` pool does): `slice()` it to keep
   * many for long.
   */
  read(path: string, options: RequestOptions = {}): Promise<Uint8Array> {
    // Not async: one promise less a request (the usual one, in a loop).
    try {
      assertPath(path, { relative: true });
      return this.request(MessageType.READ, [path], { signal: options.signal, path });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Reads a node's value as UTF-8 text. */
  async readString(path: string, options: RequestOptions = {}): Promise<string> {
    return decoder.decode(await this.read(path, options));
  }

  /** Reads a node's value as text, or `undefined` when the node is missing. */
  async tryRead(path: string, options: RequestOptions = {}): Promise<string | undefined> {
    try {
      return await this.readString(path, options);
    } catch (err) {
      if (err instanceof XenstoreError && err.code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** Whether a node exists (and is readable). */
  async exists(path: string, options: RequestOptions = {}): Promise<boolean> {
    try {
      await this.read(path, options);
      return true;
    } catch (err) {
      if (err instanceof XenstoreError && (err.code === "ENOENT" || err.code === "EACCES")) {
        return false;
      }
      throw err;
    }
  }

  /** Writes a node's value, creating it and any missing parents. */
  async write(
    path: string,
    value: string | Uint8Array,
    options: RequestOptions = {},
  ): Promise<void> {
    assertPath(path, { relative: true });
    const bytes = typeof value === "string" ? encoder.encode(value) : value;
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError("xenstore value must be a string or a Uint8Array");
    }
    await this.request(MessageType.WRITE, [path, bytes], { ...options, path });
  }

  /** Creates a node (and parents) with an empty value, if missing. */
  async mkdir(path: string, options: RequestOptions = {}): Promise<void> {
    assertPath(path, { relative: true });
    await this.request(MessageType.MKDIR, [path], { ...options, path });
  }

  /** Removes a node and everything below it. Missing nodes are fine. */
  async rm(path: string, options: RequestOptions = {}): Promise<void> {
    assertPath(path, { relative: true });
    await this.request(MessageType.RM, [path], { ...options, path });
  }

  /**
   * Lists a node's children (leaf names). Lists larger than one message are
   * fetched in parts with DIRECTORY_PART, retried if the node changes meanwhile.
   */
  async directory(path: string, options: RequestOptions = {}): Promise<string[]> {
    assertPath(path, { relative: true });
    try {
      const reply = await this.request(MessageType.DIRECTORY, [path], { ...options, path });
      return splitPayload(reply);
    } catch (err) {
      if (!(err instanceof XenstoreError) || err.code !== "E2BIG") throw err;
    }
    return await this.#directoryParts(path, options);
  }

  async #directoryParts(path: string, options: RequestOptions): Promise<string[]> {
    for (let attempt = 0; attempt < 32; attempt++) {
      const names: string[] = [];
      let generation: string | undefined;
      let offset = 0;
      let changed = false;
      for (;;) {
        const reply = await this.request(
          MessageType.DIRECTORY_PART,
          [path, String(offset)],
          { ...options, path },
        );
        // <gencnt>|<name>|<name>|... ; the last part ends with an empty name.
        const nul = reply.indexOf(0);
        if (nul < 0) throw new XenstoreProtocolError("DIRECTORY_PART reply without generation");
        const gen = decoder.decode(reply.subarray(0, nul));
        if (generation === undefined) generation = gen;
        else if (gen !== generation) {
          changed = true;
          break;
        }
        const body = reply.subarray(nul + 1);
        const done = body.length === 0 ||
          (body.length >= 1 && body[body.length - 1] === 0 &&
            (body.length === 1 || body[body.length - 2] === 0));
        const parts = splitPayload(done ? body.subarray(0, body.length - 1) : body);
        for (const name of parts) {
          names.push(name);
          offset += encoder.encode(name).length + 1;
        }
        if (offset > DIRECTORY_MAX) {
          throw new XenstoreProtocolError(
            `DIRECTORY_PART of ${path} goes on past ${DIRECTORY_MAX} bytes of names`,
          );
        }
        if (done) return names;
        if (parts.length === 0) {
          throw new XenstoreProtocolError("DIRECTORY_PART reply made no progress");
        }
      }
      if (!changed) break;
    }
    throw new XenstoreError("EAGAIN", { op: "DIRECTORY_PART", path });
  }

  /** A node's permissions; the first entry is the owner and the default. */
  async getPerms(path: string, options: RequestOptions = {}): Promise<Permission[]> {
    assertPath(path, { relative: true });
    const reply = await this.request(MessageType.GET_PERMS, [path], { ...options, path });
    return splitPayload(reply).map((text) => {
      const perm = parsePermission(text);
      if (perm === undefined) {
        throw new XenstoreProtocolError(`bad permission ${JSON.stringify(text)} for ${path}`);
      }
      return perm;
    });
  }

  /** Sets a node's permissions; the first entry is the owner and the default. */
  async setPerms(
    path: string,
    perms: readonly Permission[],
    options: RequestOptions = {},
  ): Promise<void> {
    assertPath(path, { relative: true });
    if (!Array.isArray(perms) || perms.length === 0) {
      throw new TypeError("xenstore setPerms needs at least the owner entry");
    }
    const parts = perms.map(formatPermission);
    await this.request(MessageType.SET_PERMS, [path, ...parts], { ...options, path });
  }
}
