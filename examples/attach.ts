// Copyright 2026 the xenpv authors. MIT license.
/**
 * Interactive attach to a guest's console, like `xl console` and better; and
 * pipe mode for scripts:
 *
 * ```sh
 * deno run --allow-ffi examples/attach.ts win-guest          # in dom0, as root
 * deno run --allow-ffi examples/attach.ts --simulate windows  # anywhere
 * printf 'Administrator\npassword\nver\n' | deno run --allow-ffi examples/attach.ts win-guest
 * ```
 *
 * @module
 */

import {
  connect,
  type ConsoleKind,
  type ConsoleMode,
  GuestGoneError,
  type XenConsole,
} from "../mod.ts";
import type { SimulatedHost } from "../sim/mod.ts";
import {
  type CodePage,
  ConsoleEncoding,
  ConsoleLog,
  EscapeScanner,
  LineTyper,
  printable,
  Recorder,
  sanitizeForTerminal,
} from "../xencons/mod.ts";
import {
  EXIT,
  EXIT_HELP,
  explain,
  parseCount,
  parseEncoding,
  parseFlags,
  parseMode,
  StopSignals,
  UsageError,
} from "./_cli.ts";
import {
  guestCodePageFlag,
  simulate,
  SIMULATED,
  type Simulated,
  simulatedGuest,
  takeSimulate,
} from "./_simulate.ts";

const USAGE = `usage: deno run --allow-ffi examples/attach.ts [options] <domain>

Attach to a Xen guest's console (by name or domid) from dom0. In a terminal it
is interactive; with stdin or stdout not a terminal it is in pipe mode.

  -t, --kind pv|serial   which console: the PV console (default) or an HVM
                         guest's emulated serial port (--type, as xl console)
  -n, --num N            console number (default 0; N > 0: secondary PV consoles)
  -e, --escape SEQ       detach sequence (default ^]); "^X" means Ctrl-X, anything
                         else is taken literally; recognised anywhere in the input;
                         none: no detach sequence, every byte goes to the guest
                         (under conserver, whose own escape is ^Ec)
  -m, --mode auto|pty|ring
                         pty: through xenconsoled (like xl console); ring: be the
                         backend (xenconsoled must not serve the console)
      --follow           stay attached across a reboot of a named guest
      --log FILE         append the guest's output to FILE (a password typed at a
                         password prompt is masked wherever the guest prints it)
      --timestamps       prefix each logged line with the time
      --record FILE      record the session to FILE in asciinema's format
                         (asciicast v2; replay with asciinema play FILE):
                         the guest's output, passwords masked as in --log;
                         the terminal's size, or 80x24 in pipe mode
      --sanitize         show escape sequences from the guest as text (^[),
                         so they cannot reach your terminal
      --encoding auto|utf-8|cp850|...
                         the guest console's code page: its output is shown as
                         UTF-8 and what you type is sent in it (a character it
                         lacks is not sent). auto (default): UTF-8 until the
                         guest answers a chcp (typed after logging in to
                         Windows), then that page. Pages: cp437, cp850, cp852,
                         cp857, cp866, windows-1250, -1251, -1252, utf-8
      --simulate [windows|linux]
                         attach to a built-in simulated guest instead (no Xen
                         needed): win1 (windows, the default) or deb1 (linux);
                         the domain is then win1, deb1 or left out
      --guest-code-page N
                         the simulated Windows guest's console code page
                         (default 437, as US English Windows)
  -h, --help             this text

pipe mode (for scripts):
  Input is typed a line at a time, each after the guest echoed the previous one,
  and each line's end (LF or CRLF) is sent as CR, the Enter key of a terminal;
  a last line without a newline is entered too, as a shell runs a script's.
  When the input ends, attach waits for the guest to finish: until it shows a
  prompt (its last line ends in ">", "$", "#", "%" or ":") and stays quiet for
  0.3 s, at most --linger.
      --linger MS        the longest wait after the input ends (default 30000)
      --binary           send the input's bytes untouched: no CR for line ends
                         (none added at the end), no waiting for echoes

${EXIT_HELP}
  (attach exits 0 when you detach or its input is done.)`;

const encoder = new TextEncoder();
const UTF8 = 65001;

/** The command line, checked. */
interface AttachPlan {
  domain?: string;
  simulate?: Simulated;
  kind: ConsoleKind;
  index: number;
  mode: ConsoleMode;
  follow: boolean;
  /** The detach sequence; undefined for --escape none. */
  escape?: string;
  log?: string;
  timestamps: boolean;
  record?: string;
  sanitize: boolean;
  encoding: "auto" | CodePage;
  guestCodePage: number;
  linger: number;
  binary: boolean;
}

function parse(args: string[]): AttachPlan | "help" {
  const { args: flags, dialect } = takeSimulate(args);
  const { values: v, positionals } = parseFlags({
    args: flags,
    allowPositionals: true,
    options: {
      kind: { type: "string", short: "t" },
      type: { type: "string" },
      num: { type: "string", short: "n", default: "0" },
      escape: { type: "string", short: "e", default: "^]" },
      mode: { type: "string", short: "m" },
      follow: { type: "boolean", default: false },
      log: { type: "string" },
      timestamps: { type: "boolean", default: false },
      record: { type: "string" },
      sanitize: { type: "boolean", default: false },
      encoding: { type: "string" },
      "guest-code-page": { type: "string" },
      linger: { type: "string", default: "30000" },
      binary: { type: "boolean", default: false },
      simulate: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) return "help";
  if (v.kind !== undefined && v.type !== undefined) {
    throw new UsageError("--kind and --type are the same option: give one");
  }
  const kind = v.kind ?? v.type ?? "pv";
  if (kind !== "pv" && kind !== "serial") throw new UsageError("--kind must be pv or serial");
  const mode = parseMode(v.mode);
  if (positionals.length > 1) throw new UsageError(`one guest only, got ${positionals.join(" ")}`);
  const [word] = positionals;
  const simulate = v.simulate ? simulatedGuest(dialect, word) : undefined;
  if (!v.simulate && word === undefined) {
    throw new UsageError("which guest? give a name or a domid (or --simulate)");
  }
  if (v.log === "") throw new UsageError("--log needs a file name");
  if (v.record === "") throw new UsageError("--record needs a file name");
  const encoding = parseEncoding(v.encoding);
  const guestCodePage = guestCodePageFlag(v["guest-code-page"]);
  if (v.escape === "") throw new UsageError("--escape must not be empty");
  return {
    domain: v.simulate ? undefined : word,
    simulate,
    kind,
    index: parseCount("--num", v.num, 0, 65535),
    mode,
    follow: v.follow,
    escape: v.escape === "none" ? undefined : v.escape,
    log: v.log,
    timestamps: v.timestamps,
    record: v.record,
    sanitize: v.sanitize,
    encoding,
    guestCodePage,
    linger: parseCount("--linger", v.linger, 0, 86_400_000),
    binary: v.binary,
  };
}

/** Connects to the guest, or to a new simulated one. */
async function open(plan: AttachPlan): Promise<{ console: XenConsole; sim?: SimulatedHost }> {
  const { kind, index, mode, follow } = plan;
  if (plan.simulate === undefined) {
    return { console: await connect(plan.domain!, { kind, index, mode, follow }) };
  }
  const sim = await simulate([plan.simulate], {
    codePage: plan.guestCodePage,
    ring: mode === "ring",
  });
  const { name, hint } = SIMULATED[plan.simulate];
  console.error(
    `[simulated ${plan.simulate} guest "${name}" (domain ${sim.guest(name)!.domid}); ${hint}` +
      "; help lists the commands]",
  );
  try {
    return { console: await connect(name, { host: sim, kind, index, mode, follow }), sim };
  } catch (err) {
    await sim.close();
    throw err;
  }
}

/**
 * What is typed (a UTF-8 terminal's bytes, a character cut between reads
 * waiting for the rest) as the guest's page has it: a character the page
 * lacks is left out, with a notice.
 */
function typedForGuest(
  encoding: ConsoleEncoding,
  notice: (text: string) => void,
): (bytes: Uint8Array) => Uint8Array {
  const typed = new TextDecoder();
  return (bytes) => {
    if (encoding.page.id === UTF8) return bytes;
    const page = encoding.page.id;
    let noticed = false;
    return encoding.encode(typed.decode(bytes, { stream: true }), {
      onUnencodable: (c) => {
        if (!noticed) notice(`[attach: ${c} is not in code page ${page}: not sent]`);
        noticed = true;
      },
    });
  };
}

/** Between the console and this process's stdin and stdout. */
interface Terminal {
  console: XenConsole;
  plan: AttachPlan;
  interactive: boolean;
  encoding: ConsoleEncoding;
  typer: LineTyper;
  typed: (bytes: Uint8Array) => Uint8Array;
  log?: ConsoleLog;
  recorder?: Recorder;
}

/** Copies guest output to stdout (and the log) until the console ends; throws if it fails. */
async function showOutput({ console: console_, plan, encoding, typer, log, recorder }: Terminal) {
  for await (const chunk of console_.readable) {
    const logged = log?.output(chunk); // the mask sees a prompt before anything typed at it
    const recorded = recorder?.output(chunk);
    const utf8 = encoding.page.id === UTF8;
    const text = encoding.decode(chunk);
    // UTF-8 to a UTF-8 terminal: as it came (unless a chcp answer in it switched pages)
    const raw = utf8 && encoding.page.id === UTF8 && !plan.sanitize;
    typer.watch.seen(text);
    await writeAll(raw ? chunk : encoder.encode(plan.sanitize ? sanitizeForTerminal(text) : text));
    await logged;
    await recorded;
  }
}

/**
 * Types stdin into the console until it ends or the escape is typed; in pipe
 * mode a line at a time, each after the guest echoed the one before, and
 * then waits for the guest to settle. Returns why it stopped.
 */
async function typeInput(
  { console: console_, plan, interactive, typer, typed, log, recorder }: Terminal,
): Promise<"escape" | "prompt" | "linger"> {
  const scanner = plan.escape === undefined ? NO_ESCAPE : new EscapeScanner(plan.escape);
  const writer = console_.writable.getWriter();
  const send = (data: Uint8Array) => {
    log?.input(data);
    recorder?.input(data);
    return writer.write(data);
  };
  try {
    for await (const chunk of Deno.stdin.readable) {
      const { forward, escaped } = scanner.scan(chunk);
      if (interactive || plan.binary) {
        const bytes = plan.binary ? forward : typed(forward); // --binary: untouched
        if (bytes.length > 0) await send(bytes.slice());
      } else await typer.type(forward, send);
      if (escaped) return "escape";
    }
    // the input ended: a possible start of the escape held back was none, and is typed
    const held = scanner.flush();
    if (interactive || plan.binary) {
      const bytes = plan.binary ? held : typed(held);
      if (bytes.length > 0) await send(bytes.slice());
    } else {
      await typer.type(held, send);
      await typer.end(send); // a last line without its newline
    }
  } finally {
    writer.releaseLock();
  }
  return interactive ? "escape" : await typer.watch.settled(plan.linger);
}

/** --escape none: everything is forwarded, nothing held back. */
const NO_ESCAPE: Pick<EscapeScanner, "scan" | "flush"> = {
  scan: (chunk) => ({ forward: chunk, escaped: false }),
  flush: () => new Uint8Array(0),
};

/** Shows the console's output and types stdin into it until either ends or a stop signal. */
async function attach(terminal: Terminal, stop: StopSignals): Promise<number> {
  const { console: console_, plan } = terminal;
  console_.addEventListener("reattach", (e) => {
    const { from, to } = (e as CustomEvent<{ from: number; to: number }>).detail;
    console.error(`\r\n[guest rebooted: domain ${from} -> ${to}]\r`);
  });
  const stopped = new Promise<number>((resolve) =>
    stop.signal.addEventListener("abort", () => resolve(stop.code!), { once: true })
  );
  const output = showOutput(terminal).then(
    () => EXIT.ok,
    (err) => {
      const why = err instanceof GuestGoneError ? err.message : `console error: ${err.message}`;
      console.error(`\r\n[${printable(why)}]\r`);
      return EXIT.failed;
    },
  );
  const input = typeInput(terminal).then(
    (why) => {
      if (why === "linger") {
        console.error(`attach: the guest showed no prompt within --linger ${plan.linger} ms`);
      }
      return EXIT.ok;
    },
    () => EXIT.failed,
  );
  return await Promise.race([output, input, stopped]);
}

async function main(args: string[]): Promise<number> {
  using stop = new StopSignals();
  let plan: AttachPlan | "help";
  let opened: Awaited<ReturnType<typeof open>>;
  let log: ConsoleLog | undefined;
  let recorder: Recorder | undefined;
  try {
    plan = parse(args);
    if (plan === "help") {
      console.log(USAGE);
      return EXIT.ok;
    }
    opened = await open(plan);
  } catch (err) {
    return explain("attach", err);
  }
  const { console: console_, sim } = opened;
  try {
    if (plan.log !== undefined) log = ConsoleLog.open(plan.log, { timestamps: plan.timestamps });
    if (plan.record !== undefined) recorder = record(plan, console_);
  } catch (err) {
    await log?.close();
    await console_.close();
    await sim?.close();
    return explain("attach", err);
  }

  const interactive = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  const stopResizes = interactive && recorder ? recordResizes(recorder) : undefined;
  if (interactive) {
    Deno.stdin.setRaw(true);
    const { name, tty } = console_.info;
    console.error(
      `[attached to ${printable(name ?? "domain")} (domain ${console_.domid}, ` +
        `${console_.mode}${tty ? ` ${printable(tty)}` : ""})` +
        `${plan.escape === undefined ? "" : `; detach with ${plan.escape}`}]\r`,
    );
  }
  const notice = (text: string) => console.error(`\r\n${text}\r`);
  const encoding = new ConsoleEncoding(plan.encoding, {
    onPageChange: (page) => notice(`[attach: the guest's code page is ${page.name}]`),
  });
  const typed = typedForGuest(encoding, notice);
  const typer = new LineTyper({ encoding, encode: typed });
  const code = await attach(
    { console: console_, plan, interactive, encoding, typer, typed, log, recorder },
    stop,
  );

  if (interactive) {
    try {
      Deno.stdin.setRaw(false);
    } catch { /* not a tty any more */ }
    console.error("\r\n[detached]");
  }
  stopResizes?.();
  await console_.close();
  await log?.close();
  await recorder?.close();
  await sim?.close();
  return code;
}

/** --record's recorder: the terminal's size (80x24 in pipe mode), the guest's name and console kind. */
function record(plan: AttachPlan, console_: XenConsole): Recorder {
  let size = { columns: 80, rows: 24 };
  if (Deno.stdin.isTerminal() && Deno.stdout.isTerminal()) {
    try {
      size = Deno.consoleSize();
    } catch { /* no size known: 80x24 */ }
  }
  return Recorder.open(plan.record!, {
    width: size.columns,
    height: size.rows,
    guest: { name: console_.info.name ?? `domain ${console_.domid}`, kind: plan.kind },
    encoding: plan.encoding,
  });
}

/**
 * Records each new size of the terminal (SIGWINCH) as a resize event; the
 * returned function stops listening.
 */
function recordResizes(recorder: Recorder): () => void {
  const resized = () => {
    try {
      const { columns, rows } = Deno.consoleSize();
      recorder.resize(columns, rows).catch(() => {}); // a failed write shows on the next output
    } catch { /* no size known now */ }
  };
  Deno.addSignalListener("SIGWINCH", resized);
  return () => Deno.removeSignalListener("SIGWINCH", resized);
}

async function writeAll(data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await Deno.stdout.write(data.subarray(offset));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
