// Copyright 2026 the xenpv authors. MIT license.
/**
 * Turns a console log written with timestamps (`attach.ts --log FILE
 * --timestamps`) into an asciinema recording, with the timing the log has:
 *
 * ```sh
 * deno run --allow-ffi --allow-read examples/log2cast.ts console.log console.cast
 * asciinema play console.cast
 * ```
 *
 * @module
 */

import { logToCast } from "../mod.ts";
import { EXIT, explain, parseCount, parseFlags, UsageError } from "./_cli.ts";

const USAGE = `usage: deno run --allow-ffi --allow-read examples/log2cast.ts [options] <log> <cast>

Convert a console log written with --timestamps (attach.ts --log FILE
--timestamps) into an asciicast v2 recording (replay: asciinema play <cast>):
each logged line is shown at its time. A file at <cast> is moved aside to
<cast>.1 first.

      --width N        the terminal's columns (default 80)
      --height N       the terminal's rows (default 24)
      --title TEXT     the recording's title (default: the log's file name)
  -h, --help           this text`;

async function main(args: string[]): Promise<number> {
  try {
    const { values: v, positionals } = parseFlags({
      args,
      allowPositionals: true,
      options: {
        width: { type: "string", default: "80" },
        height: { type: "string", default: "24" },
        title: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (v.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    if (positionals.length !== 2) {
      throw new UsageError("give the log file and the recording to write");
    }
    const [log, cast] = positionals;
    const { events, duration } = await logToCast(await Deno.readFile(log), cast, {
      width: parseCount("--width", v.width, 1, 65535),
      height: parseCount("--height", v.height, 1, 65535),
      title: v.title ?? log.split("/").pop(),
    });
    console.error(`log2cast: ${events} events, ${duration.toFixed(1)} s, in ${cast}`);
    return EXIT.ok;
  } catch (err) {
    return explain("log2cast", err);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
