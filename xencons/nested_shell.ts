// Copyright 2026 the xenpv authors. MIT license.

import type { CommandPlan } from "./dialect.ts";
import type { NestedOptions, RunResult } from "./session_types.ts";
import { MAX_OUTPUT, type NestedOps, normalize } from "./_session_util.ts";

/**
 * An interactive program started by {@linkcode ConsoleSession.nested}, at its
 * own prompt. The session is busy until it is closed.
 *
 * @example
 * ```ts
 * import { ConsoleSession } from "@xenpv/console/xencons";
 * import { SimulatedHost } from "@xenpv/console/sim";
 * import { connect } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * await using host = new SimulatedHost();
 * await host.createGuest({ name: "win1" });
 * await using session = new ConsoleSession(await connect("win1", { host }), {
 *   dialect: "windows",
 *   ownsConsole: true,
 * });
 * await session.login({ user: "Administrator", password: "xenpv" });
 * const netsh = await session.nested("netsh", { prompt: /netsh>$/ });
 * const table = await netsh.run("interface ipv4 show global");
 * assert.match(table, /Default Hop Limit\s+: 128 hops/);
 * const { exitCode } = await netsh.close();
 * assert.equal(exitCode, 0);
 * ```
 */
export class NestedShell {
  #ops: NestedOps;
  #plan: CommandPlan;
  #prompt: RegExp;
  #exit: string;
  #release: () => Promise<void>;
  #closed = false;

  /** @internal Made by {@linkcode ConsoleSession.nested}. */
  constructor(
    ops: NestedOps,
    plan: CommandPlan,
    options: NestedOptions,
    release: () => Promise<void>,
  ) {
    this.#ops = ops;
    this.#plan = plan;
    this.#prompt = options.prompt;
    this.#exit = options.exit ?? "exit";
    this.#release = release;
  }

  /** Types `line` and returns what the program printed before its next prompt (echo removed). */
  async run(line: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    if (this.#closed) throw new TypeError("this nested shell was closed");
    if (typeof line !== "string" || /[\r\n]/.test(line)) {
      throw new TypeError("NestedShell.run() takes one line");
    }
    await this.#ops.typeLine(line);
    const m = await this.#ops.await([this.#prompt], options.signal, MAX_OUTPUT);
    let text = m.before;
    const echo = text.indexOf(line);
    const cut = text.indexOf("\n", echo >= 0 ? echo + line.length : 0);
    text = cut >= 0 ? text.slice(cut + 1) : "";
    return normalize(text);
  }

  /** Leaves the program and returns what it printed on the way out and its exit status. */
  async close(options: { signal?: AbortSignal } = {}): Promise<RunResult> {
    if (this.#closed) throw new TypeError("this nested shell was closed");
    this.#closed = true;
    try {
      await this.#ops.typeLine(this.#exit);
      const result = await this.#ops.finish(this.#plan, this.#exit, options.signal);
      const echo = `${this.#exit}\n`;
      const at = result.output.indexOf(echo);
      if (at >= 0) result.output = result.output.slice(at + echo.length);
      return result;
    } finally {
      await this.#release();
    }
  }
}
