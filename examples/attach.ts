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
  type XenHost,
} from "../mod.ts";
import { SimulatedHost } from "../sim/mod.ts";
import { CodePage, ConsoleEncoding, ConsoleLog, windowsGuest } from "../xencons/mod.ts";
import { EXIT, EXIT_HELP, parseCount, parseFlags, StopSignals, UsageError } from "./_cli.ts";
import { explain } from "./_guest.ts";
import { ECHO_MS, OutputWatch } from "./_output_watch.ts";

const USAGE = `usage: deno run --allow-ffi examples/attach.ts [options] <domain>

Attach to a Xen guest's console (by name or domid) from dom0. In a terminal it
is interactive; with stdin or stdout not a terminal it is in pipe mode.

  -t, --type pv|serial   console type (default pv)
  -n, --num N            console number (default 0; N > 0: secondary PV consoles)
  -e, --escape SEQ       detach sequence (default ^]); "^X" means Ctrl-X, anything
                         else is taken literally; recognised anywhere in the input
  -m, --mode auto|pty|ring
                         pty: through xenconsoled (like xl console); ring: be the
                         backend (xenconsoled must not serve the console)
      --follow           stay attached across a reboot of a named guest
      --log FILE         append the guest's output to FILE (a password typed at a
                         password prompt is masked wherever the guest prints it)
      --timestamps       prefix each logged line with the time
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
                         attach to a built-in simulated guest instead (no Xen needed)
      --guest-code-page N
                         the simulated Windows guest's console code page
                         (default 437, as US English Windows)
  -h, --help             this text

pipe mode (for scripts):
  Input is typed a line at a time, each after the guest echoed the previous one,
  and each line's end (LF or CRLF) is sent as CR, the Enter key of a terminal.
  When the input ends, attach waits for the guest to finish: until it shows a
  prompt (its last line ends in ">", "$", "#", "%" or ":") and stays quiet for
  0.3 s, at most --linger.
      --linger MS        the longest wait after the input ends (default 30000)
      --binary           send the input's bytes untouched: no CR for line ends,
                         no waiting for echoes

${EXIT_HELP}
  (attach exits 0 when you detach or its input is done.)`;

const encoder = new TextEncoder();

function parseEscape(text: string): Uint8Array {
  if (/^\^[@-_a-z?]$/.test(text)) {
    const c = text[1].toUpperCase();
    return new Uint8Array([c === "?" ? 0x7f : c.charCodeAt(0) - 0x40]);
  }
  if (text.length === 0) throw new UsageError("--escape must not be empty");
  return encoder.encode(text);
}

/** Text from a guest or from xenstore, safe to print in a status line: no control characters. */
function printable(text: string): string {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || (c >= 0x7f && c <= 0x9f) ? `<U+${c.toString(16).padStart(4, "0")}>` : ch;
  }
  return out;
}

/**
 * Makes guest output safe for the operator's terminal: ESC and the other C0
 * controls (but CR, LF, TAB, BS), DEL, and the C1 controls U+0080-U+009F
 * (which terminals may obey as CSI, OSC, DCS even when UTF-8 encoded) are
 * shown as text (on the decoded text: see {@linkcode ConsoleEncoding}).
 */
function sanitize(text: string): string {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c === 0x1b) out += "^[";
    else if (c < 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x08) {
      out += `^${String.fromCharCode(c + 0x40)}`;
    } else if (c === 0x7f) out += "^?";
    else if (c >= 0x80 && c <= 0x9f) {
      out += `<U+${c.toString(16).toUpperCase().padStart(4, "0")}>`;
    } else out += ch;
  }
  return out;
}

/**
 * The guest console's code page between it and a UTF-8 terminal
 * ({@linkcode ConsoleEncoding}), with typed stdin bytes (UTF-8, a character
 * cut between reads waits for the rest) re-encoded for the guest.
 */
class GuestEncoding {
  readonly console: ConsoleEncoding;
  #typed = new TextDecoder();
  #notice: (text: string) => void;

  constructor(setting: "auto" | CodePage, notice: (text: string) => void) {
    this.#notice = notice;
    this.console = new ConsoleEncoding(setting, {
      onPageChange: (page) => notice(`[attach: the guest's code page is ${page.name}]`),
    });
  }

  /** Whether the guest's bytes are UTF-8 already (they can go to the terminal as they are). */
  get utf8(): boolean {
    return this.console.page.id === 65001;
  }

  /** Typed bytes (UTF-8) for the guest; a character its page lacks is left out, with a notice. */
  encode(bytes: Uint8Array): Uint8Array {
    if (this.utf8) return bytes;
    const page = this.console.page.id;
    let noticed = false;
    return this.console.encode(this.#typed.decode(bytes, { stream: true }), {
      onUnencodable: (c) => {
        if (!noticed) this.#notice(`[attach: ${c} is not in code page ${page}: not sent]`);
        noticed = true;
      },
    });
  }
}

/** Finds the escape sequence in typed input, across chunk boundaries. */
class EscapeScanner {
  #seq: Uint8Array;
  #held = new Uint8Array(0);
  constructor(seq: Uint8Array) {
    this.#seq = seq;
  }
  /** Returns [bytes to forward, escaped?]. */
  scan(chunk: Uint8Array): [Uint8Array, boolean] {
    const data = new Uint8Array(this.#held.length + chunk.length);
    data.set(this.#held);
    data.set(chunk, this.#held.length);
    const seq = this.#seq;
    outer: for (let i = 0; i < data.length; i++) {
      for (let j = 0; j < seq.length; j++) {
        if (i + j >= data.length) {
          // a possible start of the sequence at the end: hold it back
          this.#held = data.slice(i);
          return [data.subarray(0, i), false];
        }
        if (data[i + j] !== seq[j]) continue outer;
      }
      this.#held = new Uint8Array(0);
      return [data.subarray(0, i), true];
    }
    this.#held = new Uint8Array(0);
    return [data, false];
  }
}

/** Pipe mode: each line's end (LF, CRLF or CR) becomes one CR; the input split into lines. */
class LineTyper {
  #afterCR = false;

  /** The chunk's lines, each ending in CR, and what follows the last line end. */
  lines(chunk: Uint8Array): Uint8Array[] {
    const lines: Uint8Array[] = [];
    let line: number[] = [];
    for (const b of chunk) {
      if (b === 0x0a && this.#afterCR) {
        this.#afterCR = false; // the LF of a CRLF: its CR was the line end
        continue;
      }
      this.#afterCR = b === 0x0d;
      if (b === 0x0a || b === 0x0d) {
        line.push(0x0d);
        lines.push(Uint8Array.from(line));
        line = [];
      } else line.push(b);
    }
    if (line.length > 0) lines.push(Uint8Array.from(line));
    return lines;
  }
}

/** The command line, checked. */
interface AttachPlan {
  domain?: string;
  simulate?: "windows" | "linux";
  kind: ConsoleKind;
  index: number;
  mode: ConsoleMode;
  follow: boolean;
  escape: Uint8Array;
  escapeText: string;
  log?: string;
  timestamps: boolean;
  sanitize: boolean;
  encoding: "auto" | CodePage;
  guestCodePage: number;
  linger: number;
  binary: boolean;
}

function parse(args: string[]): AttachPlan | "help" {
  const { values: v, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: {
      type: { type: "string", short: "t", default: "pv" },
      num: { type: "string", short: "n", default: "0" },
      escape: { type: "string", short: "e", default: "^]" },
      mode: { type: "string", short: "m", default: "auto" },
      follow: { type: "boolean", default: false },
      log: { type: "string" },
      timestamps: { type: "boolean", default: false },
      sanitize: { type: "boolean", default: false },
      encoding: { type: "string", default: "auto" },
      "guest-code-page": { type: "string", default: "437" },
      linger: { type: "string", default: "30000" },
      binary: { type: "boolean", default: false },
      simulate: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) return "help";
  if (v.type !== "pv" && v.type !== "serial") throw new UsageError("--type must be pv or serial");
  if (v.mode !== "auto" && v.mode !== "pty" && v.mode !== "ring") {
    throw new UsageError("--mode must be auto, pty or ring");
  }
  if (positionals.length > 1) throw new UsageError(`one guest only, got ${positionals.join(" ")}`);
  const [word] = positionals;
  if (v.simulate && word !== undefined && word !== "windows" && word !== "linux") {
    throw new UsageError(`--simulate takes windows or linux, got "${word}"`);
  }
  if (!v.simulate && word === undefined) {
    throw new UsageError("which guest? give a name or a domid (or --simulate)");
  }
  if (v.log === "") throw new UsageError("--log needs a file name");
  if (v.encoding !== "auto" && !CodePage.has(v.encoding)) {
    throw new UsageError(
      `--encoding takes auto or a code page (${
        CodePage.supported.join(", ")
      }), got "${v.encoding}"`,
    );
  }
  const guestCodePage = parseCount("--guest-code-page", v["guest-code-page"], 0, 65535);
  if (!CodePage.has(guestCodePage)) {
    throw new UsageError(
      `--guest-code-page takes one of ${CodePage.supported.join(", ")}, got ${guestCodePage}`,
    );
  }
  return {
    domain: v.simulate ? undefined : word,
    simulate: v.simulate ? (word === "linux" ? "linux" : "windows") : undefined,
    kind: v.type,
    index: parseCount("--num", v.num, 0, 65535),
    mode: v.mode,
    follow: v.follow,
    escape: parseEscape(v.escape),
    escapeText: v.escape,
    log: v.log,
    timestamps: v.timestamps,
    sanitize: v.sanitize,
    encoding: v.encoding === "auto" ? "auto" : CodePage.of(v.encoding),
    guestCodePage,
    linger: parseCount("--linger", v.linger, 0, 86_400_000),
    binary: v.binary,
  };
}

/** Connects to the guest, or to a new simulated one. */
async function open(plan: AttachPlan): Promise<{ console: XenConsole; sim?: SimulatedHost }> {
  let host: XenHost | undefined;
  let sim: SimulatedHost | undefined;
  let domain = plan.domain!;
  if (plan.simulate) {
    sim = new SimulatedHost();
    const guest = await sim.createGuest({
      name: plan.simulate === "windows" ? "win1" : "deb1",
      program: plan.simulate === "windows"
        ? (o) => windowsGuest({ ...o, codePage: plan.guestCodePage })
        : plan.simulate,
    });
    if (plan.mode === "ring") await guest.stopXenconsoled();
    host = sim;
    domain = guest.name;
    console.error(
      `[simulated ${plan.simulate} guest "${guest.name}" (domain ${guest.domid}); ` +
        (plan.simulate === "windows"
          ? "log in as Administrator / xenpv, or User / user; try dir, ipconfig /all, systeminfo"
          : "log in as root / xenpv; try ls, cat notes.txt, ip addr") +
        "; help lists the commands]",
    );
  }
  try {
    const { kind, index, mode, follow } = plan;
    return { console: await connect(domain, { host, kind, index, mode, follow }), sim };
  } catch (err) {
    await sim?.close();
    throw err;
  }
}

/** Copies guest output to stdout (and the log) until the console ends; throws if it fails. */
async function showOutput(
  console_: XenConsole,
  plan: AttachPlan,
  watch: OutputWatch,
  log: ConsoleLog | undefined,
  encoding: GuestEncoding,
): Promise<void> {
  for await (const chunk of console_.readable) {
    const logged = log?.output(chunk); // the mask sees a prompt before anything typed at it
    const utf8 = encoding.utf8;
    const text = encoding.console.decode(chunk);
    // UTF-8 to a UTF-8 terminal: as it came (unless a chcp answer in it switched pages)
    const raw = utf8 && encoding.utf8 && !plan.sanitize;
    watch.seen(text);
    await writeAll(raw ? chunk : encoder.encode(plan.sanitize ? sanitize(text) : text));
    await logged;
  }
}

/**
 * Types stdin into the console until it ends or the escape is typed; in pipe
 * mode, then waits for the guest to settle. Returns why it stopped.
 */
async function typeInput(
  console_: XenConsole,
  plan: AttachPlan,
  interactive: boolean,
  watch: OutputWatch,
  log: ConsoleLog | undefined,
  encoding: GuestEncoding,
): Promise<"escape" | "prompt" | "linger"> {
  const scanner = new EscapeScanner(plan.escape);
  const typer = new LineTyper();
  const writer = console_.writable.getWriter();
  const send = (data: Uint8Array) => {
    log?.input(data);
    return writer.write(data);
  };
  try {
    for await (const chunk of Deno.stdin.readable) {
      const [forward, escaped] = scanner.scan(chunk);
      if (interactive || plan.binary) {
        const bytes = plan.binary ? forward : encoding.encode(forward); // --binary: untouched
        if (bytes.length > 0) await send(bytes.slice());
      } else {
        // A guest's line editor may drop what follows Enter in the same read
        // (the XENCONS helper does): each line waits for the previous one's echo
        // (and, after a chcp, for its answer: the page to type the line in).
        for (const raw of typer.lines(forward)) {
          await encoding.console.settled(ECHO_MS);
          const line = encoding.encode(raw);
          const typed = line.at(-1) === 0x0d ? line.subarray(0, -1) : undefined;
          const echoed = typed && watch.echo(encoding.console.page.decode(typed));
          await send(line);
          await echoed;
        }
      }
      if (escaped) return "escape";
    }
  } finally {
    writer.releaseLock();
  }
  return interactive ? "escape" : await watch.settled(plan.linger);
}

async function main(args: string[]): Promise<number> {
  using stop = new StopSignals();
  let plan: AttachPlan | "help";
  let opened: Awaited<ReturnType<typeof open>>;
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
  let log: ConsoleLog | undefined;
  try {
    log = plan.log === undefined
      ? undefined
      : ConsoleLog.open(plan.log, { timestamps: plan.timestamps });
  } catch (err) {
    await console_.close();
    await sim?.close();
    return explain("attach", err);
  }

  const interactive = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  if (interactive) {
    Deno.stdin.setRaw(true);
    const { name, tty } = console_.info;
    console.error(
      `[attached to ${printable(name ?? "domain")} (domain ${console_.domid}, ` +
        `${console_.mode}${tty ? ` ${printable(tty)}` : ""}); detach with ${plan.escapeText}]\r`,
    );
  }
  console_.addEventListener("reattach", (e) => {
    const { from, to } = (e as CustomEvent<{ from: number; to: number }>).detail;
    console.error(`\r\n[guest rebooted: domain ${from} -> ${to}]\r`);
  });

  const watch = new OutputWatch();
  const encoding = new GuestEncoding(plan.encoding, (text) => console.error(`\r\n${text}\r`));
  const stopped = new Promise<number>((resolve) =>
    stop.signal.addEventListener("abort", () => resolve(stop.code!), { once: true })
  );
  const output = showOutput(console_, plan, watch, log, encoding).then(
    () => EXIT.ok,
    (err) => {
      const why = err instanceof GuestGoneError ? err.message : `console error: ${err.message}`;
      console.error(`\r\n[${printable(why)}]\r`);
      return EXIT.failed;
    },
  );
  const input = typeInput(console_, plan, interactive, watch, log, encoding).then(
    (why) => {
      if (why === "linger") {
        console.error(`attach: the guest showed no prompt within --linger ${plan.linger} ms`);
      }
      return EXIT.ok;
    },
    () => EXIT.failed,
  );
  const code = await Promise.race([output, input, stopped]);

  if (interactive) {
    try {
      Deno.stdin.setRaw(false);
    } catch { /* not a tty any more */ }
    console.error("\r\n[detached]");
  }
  await console_.close();
  await log?.close();
  await sim?.close();
  return code;
}

async function writeAll(data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await Deno.stdout.write(data.subarray(offset));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
