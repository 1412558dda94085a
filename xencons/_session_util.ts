// Copyright 2026 the xenpv authors. MIT license.
// What ConsoleSession, NestedShell and the login dialogue share: the
// markers a command is framed with, its line ends, typing a line, and the
// steps of a session a nested shell takes.

import type { CommandPlan, Dialect } from "./dialect.ts";
import type { Expect, ExpectMatch, Pattern } from "./expect.ts";
import type { RunResult } from "./session_types.ts";

/** The default bound on a command's output, in characters. */
export const MAX_OUTPUT = 16 << 20;

let tagCounter = 0;
const tagBase = (() => {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return Array.from(bytes, (b) => (b % 36).toString(36)).join("").toUpperCase();
})();

/** A marker unique to this process and call, for the shell to print. */
export function newTag(): string {
  return `XPV${tagBase}${(++tagCounter).toString(36).toUpperCase()}`;
}

/** `text` with `\n` line ends. */
export function normalize(text: string): string {
  return text.replace(/\r*\n/g, "\n");
}

/** Types `line` and Enter (a `\n` in it is typed as Enter too). */
export async function typeLine(ex: Expect, dialect: Dialect, line: string): Promise<void> {
  await ex.send(line.replaceAll("\n", dialect.enter) + dialect.enter);
}

/**
 * What a nested shell needs of its session: the session's own steps, bound
 * to it by {@linkcode ConsoleSession.nested} (the session's state stays
 * private to it).
 */
export interface NestedOps {
  /** Types a line and Enter. */
  typeLine(line: string): Promise<void>;
  /** Waits for one of `patterns` (a detach or a login prompt ends the session instead). */
  await(patterns: Pattern[], signal?: AbortSignal, maxBefore?: number): Promise<ExpectMatch>;
  /** Reads a command's output and status up to its end marker. */
  finish(plan: CommandPlan, command: string, signal?: AbortSignal): Promise<RunResult>;
}
