// Copyright 2026 the xenpv authors. MIT license.
/**
 * Every guest's console in the browser: serves a page with a terminal per
 * guest from dom0 (see `serveConsoles` in `@xenpv/console/serve`).
 *
 * ```sh
 * deno run --allow-ffi --allow-net examples/serve.ts --simulate   # anywhere
 * deno run --allow-ffi --allow-net examples/serve.ts --port 8023  # in dom0, as root
 * ```
 *
 * @module
 */

import type { ConsoleMode } from "../mod.ts";
import type { SimulatedHost } from "../sim/mod.ts";
import { type AuditEntry, openAuditFile, serveConsoles, type ServerProblem } from "../serve/mod.ts";
import {
  EXIT,
  explain,
  parseCount,
  parseEncoding,
  parseFlags,
  parseMode,
  StopSignals,
  UsageError,
} from "./_cli.ts";
import { guestCodePageFlag, simulate, SIMULATED } from "./_simulate.ts";

const USAGE = `usage: deno run --allow-ffi --allow-net examples/serve.ts [options]

Serve every Xen guest's console in the browser: a page listing the guests
(found through xenstore, followed live) with a terminal per guest. Many can
watch a console; one at a time holds the keyboard. Every request needs the
token (the address to open, with it, is printed once at start) or a user
named by an authenticating reverse proxy (docs/serve.md has an nginx recipe).

      --hostname ADDR    listen on ADDR (default 127.0.0.1: this machine only;
                         anything else should have --cert and --key)
      --port N           listen on port N (default 0: any free port)
      --token-file FILE  read the token from FILE (needs --allow-read) instead
                         of making a random one
      --auth-header NAME identities from an authenticating reverse proxy: the
                         request header it names the user in (X-Remote-User),
                         trusted only from --trusted-proxy addresses; a
                         request from elsewhere carrying it is refused (403)
      --trusted-proxy ADDR[,ADDR]
                         the proxies' IP addresses (as they connect here)
      --origin URL[,URL] the address users open behind the proxy
                         (https://consoles.example.org): its WebSockets pass
      --operators NAME[,NAME]
                         who may take the keyboard and type (the token's
                         holder is "token"); everyone else views. Default:
                         everyone
  -m, --mode auto|pty|ring
                         how consoles are attached (default auto)
      --scrollback BYTES recent output kept per guest (default 65536)
      --cert FILE, --key FILE
                         serve HTTPS with this PEM certificate chain and key
                         (needs --allow-read)
      --audit FILE       append the audit log (who joined, took the keyboard,
                         typed which line, passwords masked) to FILE as JSON
                         lines (needs --allow-write); default: stderr. A
                         failed request or a risky setup goes there too,
                         one line each
      --log-dir DIR      log every guest's console to DIR/guest-<name>.log
                         (0600, each line stamped with the time, passwords
                         masked; a rebooted guest keeps its file); readable
                         from the page too. DIR must exist (not a symlink)
      --log-size BYTES   rotate a guest's log at BYTES (default 1048576):
                         .log -> .log.1 -> ... -> .log.N
      --log-keep N       rotated logs kept per guest (default 4, at most 99)
      --record-dir DIR   record every guest's console (asciicast v2, as
                         asciinema plays) in DIR: a new 0600 file per attach
                         and per UTC day, guest-<name>-<UTC time>.cast; the
                         guest's output and the keyboard holder's terminal
                         size, not what is typed. The page lists and replays
                         them. DIR must exist (not a symlink)
      --encoding auto|utf-8|cp850|...
                         the guests' console code page: their output is shown
                         as UTF-8 and what viewers type is sent in it (a
                         character it lacks is not sent). auto (default): per
                         guest, UTF-8 until it answers a chcp (typed after
                         logging in to Windows), then that page. Pages: cp437,
                         cp850, cp852, cp857, cp866, windows-1250, -1251,
                         -1252, utf-8
      --simulate         serve simulated Windows and Linux guests (no Xen needed)
      --guest-code-page N
                         the simulated Windows guest's console code page
                         (default 437, as US English Windows)
  -h, --help             this text

Stop it with Ctrl-C (exit 130) or SIGTERM (exit 143).`;

interface ServePlan {
  hostname: string;
  port: number;
  tokenFile: string | undefined;
  authHeader: string | undefined;
  trustedProxies: string[] | undefined;
  origins: string[] | undefined;
  operators: string[] | undefined;
  mode: ConsoleMode;
  scrollback: number;
  cert: string | undefined;
  key: string | undefined;
  audit: string | undefined;
  logDir: string | undefined;
  recordDir: string | undefined;
  logSize: number;
  logKeep: number;
  encoding: "auto" | number;
  simulate: boolean;
  guestCodePage: number;
}

function parse(args: string[]): ServePlan | "help" {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: {
      hostname: { type: "string" },
      port: { type: "string" },
      "token-file": { type: "string" },
      "auth-header": { type: "string" },
      "trusted-proxy": { type: "string" },
      origin: { type: "string" },
      operators: { type: "string" },
      mode: { type: "string", short: "m" },
      scrollback: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      audit: { type: "string" },
      "log-dir": { type: "string" },
      "log-size": { type: "string" },
      "log-keep": { type: "string" },
      "record-dir": { type: "string" },
      encoding: { type: "string" },
      simulate: { type: "boolean" },
      "guest-code-page": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const mode = parseMode(values.mode);
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError("--cert and --key go together");
  }
  if (values.hostname === "") throw new UsageError("--hostname needs an address");
  if (values["log-dir"] === "") throw new UsageError("--log-dir needs a directory");
  if (values["record-dir"] === "") throw new UsageError("--record-dir needs a directory");
  if (values["log-dir"] === undefined) {
    for (const flag of ["log-size", "log-keep"] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --log-dir`);
    }
  }
  if ((values["auth-header"] === undefined) !== (values["trusted-proxy"] === undefined)) {
    throw new UsageError(
      "--auth-header and --trusted-proxy go together: the header is trusted from those addresses only",
    );
  }
  const encoding = parseEncoding(values.encoding);
  if (values["guest-code-page"] !== undefined && !values.simulate) {
    throw new UsageError("--guest-code-page goes with --simulate");
  }
  const guestCodePage = guestCodePageFlag(values["guest-code-page"]);
  return {
    hostname: values.hostname ?? "127.0.0.1",
    port: values.port === undefined ? 0 : parseCount("--port", values.port, 0, 65535),
    tokenFile: values["token-file"],
    authHeader: values["auth-header"],
    trustedProxies: list("--trusted-proxy", values["trusted-proxy"]),
    origins: list("--origin", values.origin),
    operators: list("--operators", values.operators),
    mode,
    scrollback: values.scrollback === undefined
      ? 64 * 1024
      : parseCount("--scrollback", values.scrollback, 0, 64 * 1024 * 1024),
    cert: values.cert,
    key: values.key,
    audit: values.audit,
    logDir: values["log-dir"],
    recordDir: values["record-dir"],
    logSize: values["log-size"] === undefined
      ? 1024 * 1024
      : parseCount("--log-size", values["log-size"], 1, 999_999_999),
    logKeep: values["log-keep"] === undefined
      ? 4
      : parseCount("--log-keep", values["log-keep"], 1, 99),
    encoding: encoding === "auto" ? "auto" : encoding.id,
    simulate: values.simulate ?? false,
    guestCodePage,
  };
}

/** A comma-separated flag's items (none empty), or undefined without the flag. */
function list(flag: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(",").map((item) => item.trim());
  if (items.some((item) => item === "")) {
    throw new UsageError(`${flag} takes a comma-separated list, got "${value}"`);
  }
  return items;
}

/** The token in `path`: its first line; a file others can read earns a warning. */
async function readToken(path: string): Promise<string> {
  const info = await Deno.stat(path);
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    console.error(`serve: warning: ${path} can be read by others (chmod 600 it)`);
  }
  const token = (await Deno.readTextFile(path)).split(/\r?\n/)[0];
  if (token === "") throw new UsageError(`${path} is empty: put the token on its first line`);
  return token;
}

/**
 * Where audit entries and the server's problems go: JSON lines appended to a
 * file (0600, the server's own: see openAuditFile), or stderr; one line each.
 */
function auditSink(path: string | undefined): {
  write(entry: AuditEntry): void;
  problem(problem: ServerProblem): void;
  close(): Promise<void>;
} {
  if (path === undefined) {
    return {
      write: (e) => {
        const v = e.viewer;
        const says = v.name === v.user || v.name === "viewer" ? "" : ` (says "${v.name}")`;
        const who = `${v.user} ${v.role} #${v.id}${says} (${v.address})`;
        const guest = `domain ${e.domid}${e.guest === undefined ? "" : ` (${e.guest})`}`;
        const text = e.text === undefined ? "" : ` ${JSON.stringify(e.text)}`;
        console.error(`${e.time.toISOString()} ${guest} ${who} ${e.event}${text}`);
      },
      problem: (p) => {
        const where = p.request === undefined ? "" : ` ${p.status} ${p.request} from ${p.address}:`;
        console.error(`${p.time.toISOString()} serve: ${p.kind}:${where} ${p.message}`);
      },
      close: () => Promise.resolve(),
    };
  }
  // O_NOFOLLOW, and the open file checked (fstat): a name checked first could be swapped after.
  const file = openAuditFile(path);
  const append = (record: unknown) => file.append(record);
  return {
    write: append,
    problem: ({ kind, ...rest }) => append({ event: "problem", problem: kind, ...rest }),
    close: () => file.close(),
  };
}

/** `p`, or a rejection as soon as a stop signal arrives; what `p` gives later is closed. */
function untilStopped<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const stopped = () => {
      reject(signal.reason);
      p.then((late) => (late as { close?: () => unknown } | undefined)?.close?.(), () => {});
    };
    signal.addEventListener("abort", stopped, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", stopped));
  });
}

/** Throws, instead of letting Deno prompt, when listening on `hostname:port` is not allowed. */
function checkNet(hostname: string, port: number): void {
  const host = port === 0 ? hostname : `${hostname}:${port}`;
  const { state } = Deno.permissions.querySync({ name: "net", host });
  if (state !== "granted") {
    throw new Error(`needs --allow-net (to listen on ${host}): add it to the command line`);
  }
}

async function main(args: string[]): Promise<number> {
  using stop = new StopSignals();
  let sim: SimulatedHost | undefined;
  let audit: ReturnType<typeof auditSink> | undefined;
  try {
    const plan = parse(args);
    if (plan === "help") {
      console.log(USAGE);
      return EXIT.ok;
    }
    checkNet(plan.hostname, plan.port);
    // Every step of the start is cut short by a stop signal (SIGINT, SIGTERM).
    const token = plan.tokenFile === undefined
      ? undefined
      : await untilStopped(readToken(plan.tokenFile), stop.signal);
    const tls = plan.cert === undefined ? undefined : {
      cert: await untilStopped(Deno.readTextFile(plan.cert), stop.signal),
      key: await untilStopped(Deno.readTextFile(plan.key!), stop.signal),
    };
    audit = auditSink(plan.audit); // never blocks: a FIFO is refused, not waited on
    if (plan.simulate) {
      const simulated = simulate(["windows", "linux"], { codePage: plan.guestCodePage });
      sim = await untilStopped(simulated, stop.signal);
    }
    await using server = await untilStopped(
      serveConsoles({
        host: sim,
        hostname: plan.hostname,
        port: plan.port,
        token,
        authHeader: plan.authHeader,
        trustedProxies: plan.trustedProxies,
        origins: plan.origins,
        operators: plan.operators,
        mode: plan.mode,
        scrollback: plan.scrollback,
        tls,
        audit: audit.write,
        onProblem: audit.problem,
        logDir: plan.logDir,
        logSize: plan.logSize,
        logKeep: plan.logKeep,
        recordDir: plan.recordDir,
        encoding: plan.encoding,
      }),
      stop.signal,
    );
    if (token === undefined) console.log(`${server.url}#token=${server.token}`);
    else console.log(`${server.url} (open it with #token= and the token in ${plan.tokenFile})`);
    if (plan.authHeader !== undefined) {
      console.error(
        `serve: users named in ${plan.authHeader} by ${plan.trustedProxies!.join(", ")}`,
      );
    }
    if (sim !== undefined) {
      const { windows, linux } = SIMULATED;
      console.error(
        `serve: simulated guests ${windows.name} (${windows.user} / ${windows.password}) ` +
          `and ${linux.name} (${linux.user} / ${linux.password})`,
      );
    }
    await new Promise<void>((resolve) =>
      stop.signal.addEventListener("abort", () => resolve(), { once: true })
    );
    return stop.code!;
  } catch (err) {
    if (stop.code !== undefined) return stop.code;
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      return explain("serve", new Error(`${err.message} (see --help for the permissions)`));
    }
    return explain("serve", err);
  } finally {
    await audit?.close();
    await sim?.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
