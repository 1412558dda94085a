// Copyright 2026 the xenpv authors. MIT license.
// For the fleet tests: long-running processes (simulated dom0s, conservers,
// console clients) whose output is collected and waited on by pattern, and
// killed at the end of the test, however it ends.

const decoder = () => new TextDecoder();

/** A spawned process with its stdout and stderr gathered into one text. */
export class Proc implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly name: string;
  #text = "";
  #waiters = new Set<() => void>();
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #pumps: Promise<void>[];
  #ended = false;

  constructor(
    name: string,
    command: string,
    args: string[],
    options: { env?: Record<string, string>; stdin?: boolean; cwd?: string } = {},
  ) {
    this.name = name;
    this.child = new Deno.Command(command, {
      args,
      env: options.env,
      cwd: options.cwd,
      stdin: options.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (options.stdin) this.#writer = this.child.stdin.getWriter();
    this.#pumps = [this.#pump(this.child.stdout), this.#pump(this.child.stderr)];
    this.child.status.then(() => {
      this.#ended = true;
      this.#wake();
    });
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const dec = decoder();
    for await (const chunk of stream) {
      this.#text += dec.decode(chunk, { stream: true });
      this.#wake();
    }
  }

  #wake(): void {
    for (const fn of this.#waiters) fn();
  }

  /** Everything it printed so far (stdout and stderr, interleaved as read). */
  get text(): string {
    return this.#text;
  }

  /** Types `text` on its stdin. */
  async send(text: string): Promise<void> {
    if (this.#ended) throw new Error(`${this.name} ended; it printed:\n${this.#text.slice(-3000)}`);
    await this.#writer!.write(new TextEncoder().encode(text));
  }

  /** Closes its stdin. */
  async endInput(): Promise<void> {
    await this.#writer?.close().catch(() => {});
    this.#writer = undefined;
  }

  /**
   * Waits until its output after `from` (a length of {@linkcode text})
   * matches `pattern`; the match. Throws with the output when the process
   * ends first or the signal fires (20 s by default).
   */
  async waitFor(
    pattern: RegExp,
    options: { from?: number; signal?: AbortSignal } = {},
  ): Promise<RegExpMatchArray> {
    const signal = options.signal ?? AbortSignal.timeout(20_000);
    const from = options.from ?? 0;
    for (;;) {
      const m = this.#text.slice(from).match(pattern);
      if (m !== null) return m;
      if (this.#ended || signal.aborted) {
        throw new Error(
          `${this.name}: ${this.#ended ? "ended" : "timed out"} before ${pattern}; it printed:\n` +
            this.#text.slice(-3000),
        );
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#waiters.delete(done);
          signal.removeEventListener("abort", done);
          resolve();
        };
        this.#waiters.add(done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** Sends `signal` (if it still runs) and waits for it to end; its status. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    await this.endInput();
    if (!this.#ended) {
      try {
        this.child.kill(signal);
      } catch { /* already gone */ }
    }
    const status = await this.child.status;
    await Promise.all(this.#pumps).catch(() => {});
    return status;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop().then(() => {});
  }
}

const example = (name: string) => new URL(`../../examples/${name}`, import.meta.url).pathname;

/**
 * A simulated dom0 (examples/sim_dom0.ts) with `guests` ("deb1:linux"...),
 * its xenstore on `socket`; ready when it said so.
 */
export async function simDom0(
  name: string,
  socket: string,
  guests: string[],
  options: { firstDomid?: number; count?: number } = {},
): Promise<Proc> {
  const args = ["run", "--allow-ffi", example("sim_dom0.ts"), "--socket", socket];
  if (options.firstDomid !== undefined) args.push("--first-domid", String(options.firstDomid));
  if (options.count !== undefined) args.push("--count", String(options.count));
  const proc = new Proc(name, Deno.execPath(), [...args, ...guests], { stdin: true });
  try {
    await proc.waitFor(/^sim_dom0: xenstore on /m, { signal: AbortSignal.timeout(120_000) });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

/** A free TCP port on loopback (free when asked: the caller binds it soon). */
export function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return (listener.addr as Deno.NetAddr).port;
}

/**
 * Waits until something accepts TCP connections on `hostname:port`: for a
 * daemon (conserver) that says nothing when it starts to listen. Tries every
 * 50 ms for at most 20 s.
 */
export async function listening(hostname: string, port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname, port });
      conn.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The path of an example CLI. */
export { example };
