// Copyright 2026 the xenpv authors. MIT license.
/**
 * A simulated dom0 that other processes reach as they reach a real one: its
 * xenstore on a unix socket (point the CLIs at it with `XENSTORED_PATH`), its
 * guests' consoles on real ptys published in xenstore (`console/tty`, as
 * xenconsoled does). `attach.ts`, `run.ts`, conserver and Ansible then run
 * unchanged against it, through the same code path as in dom0 (pty mode, the
 * console lock in /var/lock), so it must run as root as they do:
 *
 * ```sh
 * deno run --allow-ffi examples/sim_dom0.ts --socket /tmp/xs.sock deb1:linux win1:windows &
 * XENSTORED_PATH=/tmp/xs.sock deno run --allow-ffi examples/attach.ts deb1
 * ```
 *
 * Lines on stdin change the guests as a toolstack would (`create NAME
 * linux|windows`, `destroy NAME`, `reboot NAME`); each is answered with one
 * line on stdout (`ok ...` or `error ...`).
 *
 * @module
 */

import { type SimulatedGuest, SimulatedHost } from "../sim/mod.ts";
import { EXIT, explain, parseCount, parseFlags, StopSignals, UsageError } from "./_cli.ts";

const USAGE =
  `usage: deno run --allow-ffi examples/sim_dom0.ts --socket PATH [options] [NAME:DIALECT ...]

Runs a simulated Xen host for other processes: its xenstore on the unix socket
PATH (export XENSTORED_PATH=PATH for the CLIs), each guest (NAME:linux or
NAME:windows) with a simulated xenconsoled on a real pty. Run it as root, as
the CLIs that attach to it (their console lock is in /var/lock).

  --socket PATH        where xenstore listens (required)
  --first-domid N      the first guest's domid (default 1): two simulated
                       hosts on one machine need ranges of their own, since
                       the console lock is /var/lock/xenconsole.<domid>
  --count N            also create N Linux guests named g1..gN (for scale runs)
  -h, --help           this text

stdin, a command a line (each answered by one line on stdout):
  create NAME linux|windows    boot a guest
  destroy NAME                 destroy it (@releaseDomain)
  reboot NAME                  destroy it and boot it again (a new domid)

exit status: 129, 130, 143 when stopped by SIGHUP, SIGINT, SIGTERM (128 + the
signal's number), as every CLI; 255 for bad usage or a socket it cannot listen
on.`;

type Dialect = "linux" | "windows";

function guestSpec(text: string): { name: string; dialect: Dialect } {
  const m = /^([A-Za-z0-9_.-]{1,64}):(linux|windows)$/.exec(text);
  if (m === null) throw new UsageError(`a guest is NAME:linux or NAME:windows, got "${text}"`);
  return { name: m[1], dialect: m[2] as Dialect };
}

function boot(host: SimulatedHost, name: string, dialect: Dialect): Promise<SimulatedGuest> {
  return host.createGuest({ name, program: dialect, type: dialect === "windows" ? "hvm" : "pv" });
}

/** One stdin command, done; the line that answers it. */
async function command(host: SimulatedHost, line: string): Promise<string> {
  const [verb, name, dialect] = line.trim().split(/\s+/);
  try {
    if (verb === "create") {
      const guest = await boot(host, name, guestSpec(`${name}:${dialect}`).dialect);
      return `ok ${guest.name} ${guest.domid}`;
    }
    const guest = host.guest(name ?? "");
    if (guest === undefined) return `error no guest "${name}"`;
    if (verb === "destroy") {
      await guest.destroy();
      return `ok ${name}`;
    }
    if (verb === "reboot") return `ok ${name} ${(await guest.reboot()).domid}`;
    return `error unknown command "${verb}": create, destroy or reboot`;
  } catch (err) {
    return `error ${(err as Error).message}`;
  }
}

async function commands(host: SimulatedHost, signal: AbortSignal): Promise<void> {
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let rest = "";
  const encoder = new TextEncoder();
  for await (const chunk of lines) {
    if (signal.aborted) break;
    rest += chunk;
    let at;
    while ((at = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, at);
      rest = rest.slice(at + 1);
      if (line.trim() === "") continue;
      await Deno.stdout.write(encoder.encode(`${await command(host, line)}\n`));
    }
  }
}

async function main(args: string[]): Promise<number> {
  using stop = new StopSignals();
  let host: SimulatedHost;
  let path: string;
  try {
    const { values: v, positionals } = parseFlags({
      args,
      allowPositionals: true,
      options: {
        socket: { type: "string" },
        "first-domid": { type: "string", default: "1" },
        count: { type: "string", default: "0" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (v.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    if (v.socket === undefined || v.socket === "") {
      throw new UsageError("where to listen? give --socket PATH");
    }
    path = v.socket;
    const specs = positionals.map(guestSpec);
    const count = parseCount("--count", v.count, 0, 4000);
    host = new SimulatedHost({
      firstDomid: parseCount("--first-domid", v["first-domid"], 1, 32000),
    });
    try {
      host.xenstore.listen(path);
      for (const { name, dialect } of specs) await boot(host, name, dialect);
      for (let i = 1; i <= count; i++) await boot(host, `g${i}`, "linux");
    } catch (err) {
      await host.close();
      throw err;
    }
  } catch (err) {
    return explain("sim_dom0", err);
  }
  const said = host.guests.map((g) => `${g.name} (domain ${g.domid})`);
  console.log(
    `sim_dom0: xenstore on ${path} (export XENSTORED_PATH=${path}); guests: ${
      said.length > 8
        ? `${said.slice(0, 8).join(", ")} and ${said.length - 8} more`
        : said.join(", ")
    }`,
  );
  commands(host, stop.signal).catch(() => {}); // stdin ending leaves the host running
  await new Promise<void>((resolve) =>
    stop.signal.addEventListener("abort", () => resolve(), { once: true })
  );
  await host.close(); // the guests destroyed, the socket removed
  return stop.code!;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
