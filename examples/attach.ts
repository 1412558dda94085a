// Copyright 2026 the xenpv authors. MIT license.
/**
 * Interactive attach to a guest's console, like `xl console` and better:
 *
 * ```sh
 * deno run --allow-ffi examples/attach.ts win-guest          # in dom0, as root
 * deno run --allow-ffi examples/attach.ts --simulate windows  # anywhere
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  connect,
  ConsoleBusyError,
  GuestGoneError,
  GuestNotFoundError,
  SystemError,
} from "../mod.ts";
import { SimulatedHost } from "../sim/mod.ts";
import type { XenHost } from "../host.ts";
import { openAppend } from "../_sys/unix_socket.ts";
import { LogMask } from "./_log_mask.ts";

const USAGE = `usage: deno run --allow-ffi examples/attach.ts [options] <domain>

Attach to a Xen guest's console (by name or domid) from dom0.

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
      --linger MS        pipe mode: after stdin ends, wait this long for output
                         (default 1000); lines are typed one at a time, each
                         after the guest echoed the previous one
      --simulate [windows|linux]
                         attach to a built-in simulated guest instead (no Xen needed)
  -h, --help             this text`;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function parseEscape(text: string): Uint8Array {
  if (/^\^[@-_a-z?]$/.test(text)) {
    const c = text[1].toUpperCase();
    return new Uint8Array([c === "?" ? 0x7f : c.charCodeAt(0) - 0x40]);
  }
  if (text.length === 0) throw new TypeError("--escape must not be empty");
  return encoder.encode(text);
}

/**
 * Makes guest output safe for the operator's terminal: ESC and the other C0
 * controls (but CR, LF, TAB, BS), DEL, and the C1 controls U+0080-U+009F
 * (which terminals may obey as CSI, OSC, DCS even when UTF-8 encoded) are
 * shown as text. Decodes UTF-8 across chunks; invalid bytes become U+FFFD.
 */
function sanitizer(): (data: Uint8Array) => Uint8Array {
  const decoder = new TextDecoder();
  return (data) => {
    let out = "";
    for (const ch of decoder.decode(data, { stream: true })) {
      const c = ch.codePointAt(0)!;
      if (c === 0x1b) out += "^[";
      else if (c < 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x08) {
        out += `^${String.fromCharCode(c + 0x40)}`;
      } else if (c === 0x7f) out += "^?";
      else if (c >= 0x80 && c <= 0x9f) {
        out += `<U+${c.toString(16).toUpperCase().padStart(4, "0")}>`;
      } else out += ch;
    }
    return encoder.encode(out);
  };
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

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: Deno.args,
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
        linger: { type: "string", default: "1000" },
        simulate: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    console.error(`attach: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const kind = v.type;
  const mode = v.mode;
  const index = Number(v.num);
  if (kind !== "pv" && kind !== "serial") return usage(`--type must be pv or serial`);
  if (mode !== "auto" && mode !== "pty" && mode !== "ring") {
    return usage(`--mode must be auto, pty or ring`);
  }
  if (!Number.isInteger(index) || index < 0) return usage(`--num must be a whole number`);
  let escape: Uint8Array;
  try {
    escape = parseEscape(v.escape!);
  } catch (err) {
    return usage((err as Error).message);
  }
  const linger = Number(v.linger);

  let host: XenHost | undefined;
  let sim: SimulatedHost | undefined;
  let domain: string | undefined = args.positionals[0];
  if (v.simulate) {
    const flavour = args.positionals[0] === "linux" ? "linux" : "windows";
    if (args.positionals[0] !== undefined && !["linux", "windows"].includes(args.positionals[0])) {
      return usage("--simulate takes windows or linux");
    }
    sim = new SimulatedHost();
    const guest = await sim.createGuest({
      name: flavour === "windows" ? "win1" : "deb1",
      program: flavour,
    });
    if (mode === "ring") await guest.stopXenconsoled();
    host = sim;
    domain = guest.name;
    console.error(
      `[simulated ${flavour} guest "${guest.name}" (domain ${guest.domid}); ` +
        (flavour === "windows"
          ? "log in as Administrator / xenpv, or User / user"
          : "log in as root / xenpv") +
        "]",
    );
  }
  if (domain === undefined) return usage("which guest? give a name or a domid (or --simulate)");

  let console_;
  try {
    console_ = await connect(domain, {
      host,
      kind,
      index,
      mode,
      follow: v.follow,
    });
  } catch (err) {
    await sim?.close();
    return explain(err);
  }

  const interactive = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  const log = v.log === undefined ? undefined : openAppend(v.log);
  const mask = new LogMask();
  let atLineStart = true;
  const stamp = (data: Uint8Array): Uint8Array => {
    if (!v.timestamps) return data;
    let out = "";
    for (const ch of decoder.decode(data, { stream: true })) {
      if (atLineStart) out += `[${new Date().toISOString()}] `;
      out += ch;
      atLineStart = ch === "\n";
    }
    return encoder.encode(out);
  };

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    if (interactive) {
      try {
        Deno.stdin.setRaw(false);
      } catch { /* not a tty any more */ }
    }
  };
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => finish = resolve);
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const onSignal = () => finish(130);
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  if (interactive) {
    Deno.stdin.setRaw(true);
    console.error(
      `[attached to ${console_.info.name ?? "domain"} (domain ${console_.domid}, ` +
        `${console_.mode}${console_.info.tty ? ` ${console_.info.tty}` : ""}); ` +
        `detach with ${v.escape}]\r`,
    );
  }
  console_.addEventListener("reattach", (e) => {
    const { from, to } = (e as CustomEvent<{ from: number; to: number }>).detail;
    console.error(`\r\n[guest rebooted: domain ${from} -> ${to}]\r`);
  });

  // Pipe mode types one line at a time: a guest's line editor may drop what
  // follows Enter in the same read (the XENCONS helper does), so each line
  // waits until the guest has printed a newline (its echo), up to 2 s.
  let newline: (() => void) | undefined;
  const echoed = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => resolve(), 2000);
      newline = () => {
        clearTimeout(timer);
        newline = undefined;
        resolve();
      };
    });

  // guest -> terminal (and log)
  const sanitize = v.sanitize ? sanitizer() : undefined;
  const output = (async () => {
    try {
      for await (const chunk of console_.readable) {
        const logged = log ? mask.output(chunk) : undefined; // before typing on (pipe mode)
        if (newline && chunk.includes(0x0a)) newline();
        const shown = sanitize ? sanitize(chunk) : chunk;
        await writeAll(shown);
        if (log) await logWrite(log, stamp(logged!));
      }
      finish(0);
    } catch (err) {
      if (err instanceof GuestGoneError) {
        console.error(`\r\n[${err.message}]\r`);
        finish(1);
      } else {
        console.error(`\r\n[console error: ${(err as Error).message}]\r`);
        finish(1);
      }
    }
  })();

  // keyboard -> guest
  const input = (async () => {
    const scanner = new EscapeScanner(escape);
    const writer = console_.writable.getWriter();
    try {
      for await (const chunk of Deno.stdin.readable) {
        const [forward, escaped] = scanner.scan(chunk);
        /** Sends input, seen by the log's mask as the guest gets it. */
        const send = (data: Uint8Array) => {
          if (log) mask.input(data);
          return writer.write(data);
        };
        if (interactive) {
          if (forward.length > 0) await send(forward.slice());
        } else {
          let start = 0;
          for (let i = 0; i < forward.length; i++) {
            if (forward[i] !== 0x0d && forward[i] !== 0x0a) continue;
            const seen = echoed();
            await send(forward.slice(start, i + 1));
            await seen;
            start = i + 1;
          }
          if (start < forward.length) await send(forward.slice(start));
        }
        if (escaped) return finish(0);
      }
      // stdin ended (pipe mode): give the guest a moment to answer
      await new Promise((r) => setTimeout(r, linger));
      finish(0);
    } catch {
      finish(1);
    } finally {
      writer.releaseLock();
    }
  })();

  const code = await finished;
  restore();
  for (const s of signals) Deno.removeSignalListener(s, onSignal);
  if (interactive) console.error("\r\n[detached]");
  await console_.close();
  if (log) await logWrite(log, stamp(mask.end()));
  await log?.close();
  await sim?.close();
  void output;
  void input;
  return code;
}

async function logWrite(log: { write(data: Uint8Array): Promise<unknown> }, data: Uint8Array) {
  if (data.length > 0) await log.write(data);
}

async function writeAll(data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await Deno.stdout.write(data.subarray(offset));
}

function usage(message: string): number {
  console.error(`attach: ${message}\n\n${USAGE}`);
  return 2;
}

function explain(err: unknown): number {
  if (err instanceof GuestNotFoundError || err instanceof ConsoleBusyError) {
    console.error(`attach: ${err.message}`);
    return 1;
  }
  if (err instanceof SystemError) {
    if (err.code === "EACCES" || err.code === "EPERM") {
      console.error(`attach: ${err.message}\nattach: run as root in dom0.`);
    } else if (
      err.path === "/var/run/xenstored/socket" || err.path?.startsWith("/dev/xen") ||
      err.code === "ENOENT"
    ) {
      console.error(
        `attach: no Xen host here (${err.message}).\n` +
          "attach: run this in dom0 of a Xen host, or try the built-in simulated guest:\n" +
          "  deno run --allow-ffi examples/attach.ts --simulate windows",
      );
    } else {
      console.error(`attach: ${err.message}`);
    }
    return 1;
  }
  if (err instanceof Deno.errors.NotCapable) {
    console.error(`attach: ${err.message}`);
    return 1;
  }
  throw err;
}

if (import.meta.main) Deno.exit(await main());
