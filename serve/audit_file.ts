// Copyright 2026 the xenpv authors. MIT license.

import { openAppend } from "../_sys/files.ts";

/** JSON lines appended to a file: where `serve.ts --audit FILE` writes. */
export interface AuditFile extends AsyncDisposable {
  /** Appends `record` as one JSON line; lines are written in order (a failed write is told on stderr). */
  append(record: unknown): void;
  /** Waits for the lines appended so far, then closes the file. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();

/**
 * Opens `path` to append JSON lines to, as an audit log of
 * {@linkcode serveConsoles}' `audit` entries (created 0600 if missing, never
 * truncated). Opened with O_NOFOLLOW and checked on the open file (fstat),
 * not by name first: a symlink is refused, not followed (a `SystemError`
 * ELOOP), and so are a FIFO, any other non-regular file, and a file that is
 * not the server's own (another user's, or hard-linked: EPERM), each with
 * the fix in its message.
 *
 * @example
 * ```ts
 * import { openAuditFile } from "@xenpv/console/serve";
 * import assert from "node:assert/strict";
 *
 * const path = `${await Deno.makeTempDir()}/audit.jsonl`;
 * await using audit = openAuditFile(path);
 * audit.append({ event: "join", user: "alice" });
 * await audit.close();
 * assert.equal(await Deno.readTextFile(path), '{"event":"join","user":"alice"}\n');
 * assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
 * ```
 */
export function openAuditFile(path: string): AuditFile {
  const file = openAppend(path);
  let writes = Promise.resolve();
  let closed: Promise<void> | undefined;
  const close = () => closed ??= writes.then(() => file.close());
  return {
    append(record) {
      const line = encoder.encode(JSON.stringify(record) + "\n");
      writes = writes.then(() => file.write(line)).catch((err) =>
        console.error(`serve: audit log ${path}: ${err.message}`)
      );
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
