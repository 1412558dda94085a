// Copyright 2026 the xenpv authors. MIT license.

import { Recorder, type RecorderOptions } from "./recorder.ts";

/** A line's stamp as {@linkcode ConsoleLog} writes it with `timestamps`: `[ISO 8601 UTC] `. */
const STAMP = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)\] /;

/** What {@linkcode logToCast} wrote. */
export interface LogToCastResult {
  /** Output events written (one per logged line). */
  events: number;
  /** Seconds from the first stamp to the last. */
  duration: number;
}

/**
 * Converts a console log written with timestamps ({@linkcode ConsoleLog}'s
 * `timestamps`, `attach.ts --log FILE --timestamps`) into an asciicast v2
 * recording at `path`, with the timing it has: each logged line is an output
 * event at its stamp (a line without one, as the rest of a line a rotation
 * split, goes with the line before). The log's bytes are the guest's as it
 * sent them (UTF-8 decoded; its passwords were masked when it was written).
 * `options` as {@linkcode Recorder.open}'s, but the clock is the log's.
 *
 * @throws {TypeError} when the log has no stamped line (not written with timestamps).
 *
 * @example Convert a log
 * ```ts
 * import { logToCast } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const log = new TextEncoder().encode(
 *   "[2026-12-07T10:00:00.000Z] login: root\r\n[2026-12-07T10:00:02.500Z] # ",
 * );
 * const path = await Deno.makeTempFile({ suffix: ".cast" });
 * const { events, duration } = await logToCast(log, path);
 * assert.deepEqual({ events, duration }, { events: 2, duration: 2.5 });
 * assert.match(await Deno.readTextFile(path), /\n\[2\.5,"o","# "\]\n$/);
 * await Deno.remove(path);
 * ```
 */
export async function logToCast(
  log: Uint8Array,
  path: string,
  options: Omit<RecorderOptions, "clock" | "input"> = {},
): Promise<LogToCastResult> {
  // latin1: one character per byte, so the guest's bytes go through as they are
  let text = "";
  for (let at = 0; at < log.length; at += 8192) {
    text += String.fromCharCode(...log.subarray(at, at + 8192));
  }
  const lines: { time: number | undefined; data: string }[] = [];
  for (const line of text.split(/(?<=\n)/)) {
    const m = STAMP.exec(line);
    const time = m ? Date.parse(m[1]) : undefined;
    if (m && !Number.isNaN(time)) lines.push({ time, data: line.slice(m[0].length) });
    else if (lines.length > 0) lines[lines.length - 1].data += line;
    else if (line !== "") lines.push({ time: undefined, data: line });
  }
  const first = lines.find((l) => l.time !== undefined)?.time;
  if (first === undefined) {
    throw new TypeError("the log has no timestamps: it was not written with --timestamps");
  }
  let now = first;
  let events = 0;
  {
    await using rec = Recorder.open(path, { ...options, clock: () => now });
    for (const { time, data } of lines) {
      now = Math.max(now, time ?? now);
      if (data === "") continue;
      await rec.output(Uint8Array.from(data, (c) => c.charCodeAt(0)));
      events++;
    }
  }
  return { events, duration: (now - first) / 1000 };
}
