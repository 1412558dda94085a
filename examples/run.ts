// Copyright 2026 the xenpv authors. MIT license.
/**
 * Runs one command on a guest's console shell, prints its output and exits
 * with its exit status:
 *
 * ```sh
 * XENPV_USER=Administrator XENPV_PASSWORD=... \
 *   deno run --allow-ffi examples/run.ts win10 -- ipconfig /all
 * deno run --allow-ffi examples/run.ts --simulate windows -- ver
 * ```
 *
 * Exit status: the command's own in 1-253, 254 for any other failing status
 * (printed on stderr), 255 when xenpv itself failed (see `--help`).
 *
 * @module
 */

import {
  commandExit,
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
import {
  isSimulated,
  SIMULATED,
  simulatedByName,
  simulatedGuest,
  takeSimulate,
} from "./_simulate.ts";
import { type ConsoleSession, jsonSafe } from "../xencons/mod.ts";

const USAGE = `usage: deno run --allow-ffi examples/run.ts [options] <domain> [--] <command...>
       deno run --allow-ffi examples/run.ts --stdio [options] <domain>

Log in to a guest's PV console, run one command, log out; print its output and
exit with its status. The command starts at "--" or at the first word after the
domain. Credentials: see below.

  -d, --dialect windows|linux   the guest's console dialect (default windows)
  -u, --user NAME               user name (default: $XENPV_USER)
      --password-file FILE      read the password from FILE (mode 0600)
      --elevate                 answer yes to "Run Elevated" (UAC-limited accounts)
      --timeout SECONDS         give up on login and on the command after this
                                long (default 60)
      --json                    print one JSON object instead of the output:
                                {"guest", "command", "exitCode", "output",
                                "durationMs"} (the command's own time, login
                                not included); when xenpv fails, {"guest",
                                "command", "error": {"name", "message"}} (the
                                message on stderr too). The exit status is the
                                same as without --json.
      --record FILE             record the session (login to logout) to FILE in
                                asciinema's format (asciicast v2, 80x24;
                                replay with asciinema play FILE); passwords
                                masked as attach.ts --log masks them
      --stdio                   log in once and run many commands: read one
                                JSON object a line on stdin, {"command": "..."},
                                answer each with one line on stdout,
                                {"exitCode", "output", "durationMs"} (or
                                {"error": {"name", "message"}}); files:
                                {"put": {"to": PATH, "base64": DATA}} and
                                {"get": {"from": PATH}} (answered with
                                "bytes", "hash", and "base64" for get, copied
                                as cp.ts copies); the first line
                                out is {"ready": true, "guest"} once logged in.
                                Logs out and exits 0 when stdin ends (for tools
                                that keep a connection: Ansible, docs/fleet.md)
      --password-stdin          the password is stdin's first line (with
                                --user; the way to pass it over ssh)
      --simulate [windows|linux]
                                use a built-in simulated guest (no Xen needed):
                                win1 (windows, the default) or deb1 (linux);
                                the domain is then win1, deb1 or left out
  -h, --help                    this text

${CREDENTIALS_HELP}

${EXIT_HELP}`;

/** Options that take a value: the word after them is not the domain. */
const VALUE_FLAGS = new Set([
  "-d",
  "--dialect",
  "-u",
  "--user",
  "--timeout",
  "--password-file",
  "--record",
]);

/** The options, and the command: from "--", or from the first word after the domain. */
function splitCommand(args: string[]): { own: string[]; command: string[] } {
  let domain = false;
  let simulating = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return { own: args.slice(0, i), command: args.slice(i + 1) };
    if (arg.startsWith("-") && arg !== "-") {
      if (arg === "--simulate" || arg.startsWith("--simulate=")) {
        simulating = true;
        if (arg === "--simulate" && isSimulated(args[i + 1])) i++; // its dialect
      } else if (VALUE_FLAGS.has(arg)) i++;
      continue;
    }
    // The domain is the first word; with --simulate it may be left out, so
    // there it is a simulated guest's name (or, named wrong, the word right
    // before "--"). The word after it starts the command.
    if (!domain && (!simulating || simulatedByName(arg) || args[i + 1] === "--")) {
      domain = true;
      continue;
    }
    return { own: args.slice(0, i), command: args.slice(i) };
  }
  return { own: args, command: [] };
}

/** The command line, checked. */
interface RunPlan {
  target: GuestTarget;
  /** The command; empty with --stdio. */
  command: string;
  /** --stdio: commands as JSON lines on stdin. */
  stdio: boolean;
  /** --password-stdin: the password is stdin's first line. */
  passwordStdin: boolean;
  /** --json: the result (or the failure) as one JSON object on stdout. */
  json: boolean;
}

/** The command line as a plan, or "help". */
function parse(args: string[]): RunPlan | "help" {
  const { own, command } = splitCommand(args);
  const { args: flags, dialect: simulated } = takeSimulate(own);
  const { values: v, positionals } = parseFlags({
    args: flags,
    allowPositionals: true,
    options: {
      dialect: { type: "string", short: "d" },
      json: { type: "boolean" },
      record: { type: "string" },
      stdio: { type: "boolean" },
      "password-stdin": { type: "boolean" },
      ...GUEST_FLAGS,
    },
  });
  if (v.help) return "help";
  const [domain] = positionals;
  if (v.dialect !== undefined && v.dialect !== "windows" && v.dialect !== "linux") {
    throw new UsageError(`--dialect takes windows or linux, got "${v.dialect}"`);
  }
  const dialect = v.dialect as "windows" | "linux" | undefined;
  const simulate = v.simulate ? simulatedGuest(simulated, domain, dialect) : undefined;
  if (simulate !== undefined && dialect !== undefined && dialect !== simulate) {
    throw new UsageError(
      `--dialect ${dialect} does not fit the simulated ${simulate} guest ${
        SIMULATED[simulate].name
      }`,
    );
  }
  if (!v.simulate && domain === undefined) {
    throw new UsageError("which guest? give a name or a domid (or --simulate)");
  }
  if (v.stdio && command.length > 0) {
    throw new UsageError("--stdio reads its commands from stdin: give none after the domain");
  }
  if (!v.stdio && command.length === 0) {
    throw new UsageError("which command? give it after the domain");
  }
  if (v["password-stdin"] && (v.user === undefined || v["password-file"] !== undefined)) {
    throw new UsageError("--password-stdin takes the user from --user, and no --password-file");
  }
  if (v.record === "") throw new UsageError("--record needs a file name");
  return {
    target: {
      domain: simulate ? undefined : domain,
      simulate,
      dialect: simulate ?? dialect ?? "windows",
      user: v.user,
      passwordFile: passwordFileFlag(v["password-file"]),
      elevate: v.elevate,
      timeout: timeoutFlag(v.timeout),
      record: v.record,
    },
    command: command.join(" "),
    json: v.json ?? false,
    stdio: v.stdio ?? false,
    passwordStdin: v["password-stdin"] ?? false,
  };
}

/** --json's object for a failure: the guest and command (null when not known yet), the error. */
function jsonFailure(
  guest: string | null,
  command: string | null,
  error: { name: string; message: string },
): string {
  return jsonSafe({ guest, command, error });
}

async function main(args: string[]): Promise<number> {
  using stop = new StopSignals();
  let plan: ReturnType<typeof parse>;
  try {
    plan = parse(args);
  } catch (err) {
    // --json promised one object on stdout: a bad command line gets one too
    if (splitCommand(args).own.includes("--json")) {
      console.log(jsonFailure(null, null, failureJson(err)));
    }
    return explain("run", err);
  }
  if (plan === "help") {
    console.log(USAGE);
    return EXIT.ok;
  }
  const { target, command, json } = plan;
  const guest = target.simulate ? SIMULATED[target.simulate].name : target.domain!;
  const within = () => AbortSignal.any([stop.signal, AbortSignal.timeout(target.timeout)]);
  const stdin = new StdinLines();
  if (plan.passwordStdin) {
    const password = await stdin.next();
    if (password === undefined) {
      return explain("run", new UsageError("--password-stdin: stdin ended"));
    }
    target.password = password.replace(/\r$/, "");
  }
  if (plan.stdio) {
    return await inSession(
      "run",
      target,
      stop,
      within,
      (session) => serveStdio(session, stdin, guest, within, stop.signal, target.timeout),
    );
  }
  const onFailure = json
    ? (failure: { name: string; message: string }) =>
      console.log(jsonFailure(guest, command, failure))
    : undefined;
  return await inSession("run", target, stop, within, async (session) => {
    const started = performance.now();
    const result = await session.run(command, { signal: within() });
    const durationMs = Math.round(performance.now() - started);
    const { exitCode, output } = result;
    const text = json ? `${jsonSafe({ guest, command, exitCode, output, durationMs })}\n` : output;
    await writeAll(new TextEncoder().encode(text));
    const code = commandExit(exitCode);
    if (code === EXIT.outOfRange) {
      console.error(`run: the command exited with status ${exitCode}`);
    }
    return code;
  }, onFailure);
}

/** Lines of stdin, read as they come (the password first, then --stdio's requests). */
class StdinLines {
  #reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  #rest = "";
  #done = false;

  /** The next line without its newline; undefined at the end of stdin. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const at = this.#rest.indexOf("\n");
      if (at >= 0) {
        const line = this.#rest.slice(0, at);
        this.#rest = this.#rest.slice(at + 1);
        return line;
      }
      if (this.#done) {
        const last = this.#rest;
        this.#rest = "";
        return last === "" ? undefined : last;
      }
      const { value, done } = await this.#reader.read();
      if (done) this.#done = true;
      else this.#rest += value;
    }
  }
}

/** A --stdio request, checked: a command, or a file to put on the guest or get from it. */
type StdioRequest =
  | { command: string }
  | { put: { to: string; data: Uint8Array } }
  | { get: { from: string } };

const REQUESTS = 'a request is {"command": "..."}, {"put": {"to": PATH, "base64": DATA}} ' +
  'or {"get": {"from": PATH}}';

function stdioRequest(line: string): StdioRequest | undefined {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof request?.command === "string" && request.command !== "") {
    return { command: request.command };
  }
  const put = request?.put;
  if (typeof put?.to === "string" && put.to !== "" && typeof put.base64 === "string") {
    try {
      return { put: { to: put.to, data: Uint8Array.fromBase64(put.base64) } };
    } catch {
      return undefined;
    }
  }
  const get = request?.get;
  if (typeof get?.from === "string" && get.from !== "") return { get: { from: get.from } };
  return undefined;
}

/**
 * --stdio: one logged-in session, many requests: a JSON request a line in, a
 * JSON answer a line out, until stdin ends (then 0) or the session is lost
 * (then 255, after an answer saying why). Files travel in the JSON as
 * base64, so they cross ssh as the commands do.
 */
async function serveStdio(
  session: ConsoleSession,
  stdin: StdinLines,
  guest: string,
  within: () => AbortSignal,
  stop: AbortSignal,
  timeout: number,
): Promise<number> {
  const say = (value: unknown) => writeAll(new TextEncoder().encode(`${jsonSafe(value)}\n`));
  await say({ ready: true, guest });
  for (let line = await stdin.next(); line !== undefined; line = await stdin.next()) {
    if (line.trim() === "") continue;
    const request = stdioRequest(line);
    if (request === undefined) {
      await say({ error: { name: "UsageError", message: REQUESTS } });
      continue;
    }
    const started = performance.now();
    const durationMs = () => Math.round(performance.now() - started);
    try {
      if ("command" in request) {
        const { exitCode, output } = await session.run(request.command, { signal: within() });
        if (session.state !== "ready") {
          // the command ended the shell (exit N): nothing more runs on this login
          await say({ exitCode, output, durationMs: durationMs(), ended: true });
          return EXIT.ok;
        }
        await say({ exitCode, output, durationMs: durationMs() });
      } else if ("put" in request) {
        // a copy takes as long as it takes: each of its steps is bounded instead
        const options = { signal: stop, stepTimeout: timeout };
        const { bytes, algorithm, hash } = await session.putFile(
          request.put.data,
          request.put.to,
          options,
        );
        await say({ bytes, algorithm, hash, durationMs: durationMs() });
      } else {
        const options = { signal: stop, stepTimeout: timeout };
        const { data, bytes, algorithm, hash } = await session.getFile(request.get.from, options);
        await say({ base64: data.toBase64(), bytes, algorithm, hash, durationMs: durationMs() });
      }
    } catch (err) {
      await say({ error: failureJson(err) });
      if (session.state !== "ready") return EXIT.failed; // the shell is lost
    }
  }
  return EXIT.ok;
}

async function writeAll(data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await Deno.stdout.write(data.subarray(offset));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
