// Copyright 2026 the xenpv authors. MIT license.
/**
 * Copies a file to or from a guest over its PV console, like scp: no network
 * needed in the guest, every chunk checked by hash at the other end.
 *
 * ```sh
 * XENPV_USER=Administrator XENPV_PASSWORD=... \
 *   deno run --allow-ffi examples/cp.ts win1:C:\\logs\\app.log ./app.log
 * deno run --allow-ffi examples/cp.ts --dialect linux ./fix.sh deb1:/root/fix.sh
 * deno run --allow-ffi examples/cp.ts --simulate linux deb1:/root/notes.txt ./notes.txt
 * ```
 *
 * Exit status: 0 copied, 255 when it failed (see `--help`), 129/130/143 when
 * stopped by a signal.
 *
 * @module
 */

import {
  EXIT,
  EXIT_HELP,
  explain,
  failureJson,
  parseFlags,
  StopSignals,
  UsageError,
} from "./_cli.ts";
import {
  CREDENTIALS_HELP,
  GUEST_FLAGS,
  type GuestTarget,
  inSession,
  passwordFileFlag,
  timeoutFlag,
} from "./_guest.ts";
import { SIMULATED, simulatedByName, takeSimulate } from "./_simulate.ts";
import {
  DEFAULT_MAX_BYTES,
  type FileProgress,
  type FileTransferResult,
  jsonSafe,
} from "../xencons/mod.ts";

const USAGE = `usage: deno run --allow-ffi examples/cp.ts [options] SOURCE DESTINATION

Copy one file to or from a guest over its PV console (no network needed in
the guest). One side is GUEST:PATH (a guest name or domid, a colon, the path
on the guest), the other a path here:

  cp.ts win1:C:\\\\logs\\\\app.log ./app.log     from a Windows guest
  cp.ts ./fix.sh deb1:/root/fix.sh           to a Linux guest

The file is typed as base64 through the guest's shell, in chunks, each
checked by hash where it arrived (Linux: base64 and sha256sum, or md5sum;
Windows: echo and certutil), and the whole file again; it replaces the
destination only once whole. A PATH ending in / or \\ (or a local ".") is a
directory: the file keeps its name. A console is slow: expect KB/s, not MB/s.

  -d, --dialect windows|linux   the guest's dialect (default: linux for a guest
                                path starting with /, windows for one like C:\\,
                                else windows)
  -u, --user NAME               user name (default: $XENPV_USER)
      --password-file FILE      read the password from FILE (mode 0600)
      --elevate                 answer yes to "Run Elevated" (UAC-limited accounts)
      --timeout SECONDS         give up on login, and on each step of the copy,
                                after this long (default 60)
      --max-bytes N             refuse a file larger than N bytes (default
                                ${DEFAULT_MAX_BYTES}, 16 MiB)
  -q, --quiet                   no progress bar (one is drawn on stderr when it
                                is a terminal)
      --json                    print one JSON object: {"guest", "direction"
                                ("put" or "get"), "source", "destination",
                                "bytes", "chunks", "algorithm", "hash",
                                "durationMs", "bytesPerSecond"}; when it fails,
                                {"guest", "source", "destination", "error":
                                {"name", "message"}} (the message on stderr too)
      --simulate [windows|linux]
                                use a built-in simulated guest (no Xen needed):
                                win1 (windows) or deb1 (linux), named as the
                                GUEST of GUEST:PATH
  -h, --help                    this text

${CREDENTIALS_HELP}

${EXIT_HELP.replace(/\n {2}1-253[\s\S]*?\n {2}255/, "\n  255")}`;

/** One side of the copy: here, or on a guest. */
type Side = { guest: string; path: string } | { guest?: undefined; path: string };

/**
 * `GUEST:PATH` (a colon before any slash, as scp reads it) or a local path.
 * A local path with a colon in it is written `./a:b`.
 */
function parseSide(text: string): Side {
  const m = /^([^:/\\]+):(.*)$/s.exec(text);
  if (!m || text.startsWith("./")) return { path: text };
  if (m[2] === "") throw new UsageError(`no path after "${m[1]}:"`);
  return { guest: m[1], path: m[2] };
}

/** The dialect a guest path speaks, if it tells. */
function dialectOfPath(path: string): "windows" | "linux" | undefined {
  if (path.startsWith("/")) return "linux";
  if (/^[A-Za-z]:[\\/]/.test(path) || path.includes("\\")) return "windows";
  return undefined;
}

/** The last part of a path (either separator). */
function baseName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).at(-1) ?? path;
}

interface CpPlan {
  target: GuestTarget;
  direction: "put" | "get";
  /** The guest's name or domid, as given. */
  guest: string;
  source: string;
  destination: string;
  /** The path on the guest and the one here, directories resolved. */
  remote: string;
  local: string;
  maxBytes: number;
  quiet: boolean;
  json: boolean;
}

function parse(args: string[]): CpPlan | "help" {
  const { args: flags, dialect: simulated } = takeSimulate(args);
  const { values: v, positionals } = parseFlags({
    args: flags,
    allowPositionals: true,
    options: {
      dialect: { type: "string", short: "d" },
      json: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      "max-bytes": { type: "string" },
      ...GUEST_FLAGS,
    },
  });
  if (v.help) return "help";
  if (positionals.length !== 2) {
    throw new UsageError("give a SOURCE and a DESTINATION, one of them GUEST:PATH");
  }
  const [from, to] = positionals.map(parseSide);
  if ((from.guest === undefined) === (to.guest === undefined)) {
    throw new UsageError(
      from.guest === undefined
        ? "one side must be on a guest: GUEST:PATH"
        : "copy between a guest and here: one side must be a local path",
    );
  }
  const direction = to.guest !== undefined ? "put" : "get";
  const remoteSide = (direction === "put" ? to : from) as { guest: string; path: string };
  const localSide = direction === "put" ? from : to;
  if (v.dialect !== undefined && v.dialect !== "windows" && v.dialect !== "linux") {
    throw new UsageError(`--dialect takes windows or linux, got "${v.dialect}"`);
  }
  let dialect = (v.dialect as "windows" | "linux" | undefined) ?? dialectOfPath(remoteSide.path);
  let simulate: "windows" | "linux" | undefined;
  if (v.simulate) {
    simulate = simulatedByName(remoteSide.guest) ?? simulated ?? dialect ?? "windows";
    if (SIMULATED[simulate].name !== remoteSide.guest) {
      throw new UsageError(
        `the simulated guests are ${SIMULATED.windows.name} and ${SIMULATED.linux.name}, not "${remoteSide.guest}"`,
      );
    }
    if (dialect !== undefined && dialect !== simulate) {
      throw new UsageError(`--dialect ${dialect} does not fit the simulated ${simulate} guest`);
    }
    dialect = simulate;
  }
  const maxText = v["max-bytes"];
  const maxBytes = maxText === undefined ? DEFAULT_MAX_BYTES : Number(maxText);
  if (maxText !== undefined && !(/^\d{1,15}$/.test(maxText) && Number.isSafeInteger(maxBytes))) {
    throw new UsageError(`--max-bytes takes a whole number of bytes, got "${maxText}"`);
  }
  let remote = remoteSide.path;
  let local = localSide.path;
  if (direction === "put" && /[\\/]$/.test(remote)) remote += baseName(local);
  if (direction === "get" && (local === "." || local === ".." || local.endsWith("/"))) {
    local = `${local.replace(/\/$/, "")}/${baseName(remote)}`;
  }
  return {
    target: {
      domain: simulate ? undefined : remoteSide.guest,
      simulate,
      dialect: dialect ?? "windows",
      user: v.user,
      passwordFile: passwordFileFlag(v["password-file"]),
      elevate: v.elevate,
      timeout: timeoutFlag(v.timeout),
    },
    direction,
    guest: remoteSide.guest,
    source: positionals[0],
    destination: positionals[1],
    remote,
    local,
    maxBytes,
    quiet: v.quiet ?? false,
    json: v.json ?? false,
  };
}

/** Sizes as people read them: 1.5 KiB, 12.0 MiB. */
function size(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ["KiB", "MiB", "GiB"];
  let u = -1;
  do {
    n /= 1024;
    u++;
  } while (n >= 1024 && u < units.length - 1);
  return `${n.toFixed(1)} ${units[u]}`;
}

/** A progress bar on stderr (a terminal): one line, redrawn. */
function progressBar(name: string): { draw(p: FileProgress): void; done(): void } {
  const encoder = new TextEncoder();
  let last = 0;
  let drawn = false;
  const draw = (p: FileProgress, force = false) => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    const width = 24;
    const frac = p.total > 0 ? p.bytes / p.total : 1;
    const bar = "#".repeat(Math.round(frac * width)).padEnd(width, ".");
    const left = p.bytesPerSecond > 0 ? (p.total - p.bytes) / p.bytesPerSecond : 0;
    const eta = p.bytes < p.total && left > 0 ? `  ${Math.ceil(left)} s left` : "";
    const line = `${name.slice(0, 30)} [${bar}] ${Math.floor(frac * 100)}% ${size(p.bytes)} / ${
      size(p.total)
    }  ${size(p.bytesPerSecond)}/s${eta}`;
    Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${line}`));
    drawn = true;
  };
  return {
    draw: (p) => draw(p, p.bytes === p.total),
    done: () => {
      if (drawn) Deno.stderr.writeSync(encoder.encode("\n"));
    },
  };
}

async function main(args: string[]): Promise<number> {
  using stop = new StopSignals();
  let plan: ReturnType<typeof parse>;
  try {
    plan = parse(args);
  } catch (err) {
    if (args.includes("--json")) {
      console.log(
        jsonSafe({ guest: null, source: null, destination: null, error: failureJson(err) }),
      );
    }
    return explain("cp", err);
  }
  if (plan === "help") {
    console.log(USAGE);
    return EXIT.ok;
  }
  const { target, direction, guest, source, destination, remote, local, json } = plan;
  const within = () => AbortSignal.any([stop.signal, AbortSignal.timeout(target.timeout)]);
  const onFailure = json
    ? (error: { name: string; message: string }) =>
      console.log(jsonSafe({ guest, source, destination, error }))
    : undefined;
  const bar = !plan.quiet && Deno.stderr.isTerminal() ? progressBar(baseName(source)) : undefined;
  return await inSession("cp", target, stop, within, async (session) => {
    const options = {
      signal: stop.signal,
      maxBytes: plan.maxBytes,
      stepTimeout: target.timeout,
      onProgress: bar?.draw,
    };
    let result: FileTransferResult;
    try {
      result = direction === "put"
        ? await session.putFile(local, remote, options)
        : await session.getFile(remote, { ...options, to: local });
    } finally {
      bar?.done();
    }
    if (json) {
      const { bytes, chunks, algorithm, hash, elapsedMs, bytesPerSecond } = result;
      console.log(jsonSafe({
        guest,
        direction,
        source,
        destination,
        bytes,
        chunks,
        algorithm,
        hash,
        durationMs: Math.round(elapsedMs),
        bytesPerSecond: Math.round(bytesPerSecond),
      }));
    }
    return EXIT.ok;
  }, onFailure);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
