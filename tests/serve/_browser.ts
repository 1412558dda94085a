// Copyright 2026 the xenpv authors. MIT license.
// The browser tests' shared part: Debian's chromium driven by playwright-core
// (from the npm registry; it downloads no browser), the little of its API the
// tests use, and waits that poll the page through the DevTools protocol (as
// the page's CSP allows). Without chromium the tests are skipped outside CI;
// in CI (CI=true) a missing chromium fails them: .ci/run installs it.

import { have, skipUnless } from "../_peers.ts";

/** Debian's chromium. */
export const CHROMIUM = "/usr/bin/chromium";
/** Pinned: the version the tests were written against. */
const PLAYWRIGHT = "npm:playwright-core@1.65.1";

/** `ignore` for the browser tests: true without chromium (outside CI). */
export const ignoreWithoutChromium: boolean = skipUnless(
  await have(CHROMIUM, ["--version"]),
  "chromium (Debian's)",
);

/** The little of playwright-core's Page used here. */
export interface Page {
  goto(url: string): Promise<{ status(): number } | null>;
  click(selector: string): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  press(selector: string, key: string): Promise<void>;
  selectOption(selector: string, value: string): Promise<unknown>;
  textContent(selector: string): Promise<string | null>;
  waitForSelector(selector: string, options?: { timeout: number }): Promise<unknown>;
  evaluate<T>(fn: string): Promise<T>;
  keyboard: { type(text: string): Promise<void>; press(key: string): Promise<void> };
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  on(event: "console" | "pageerror", listener: (what: { toString(): string }) => void): void;
}
/** A browser context (its own cookie jar). */
export interface Context {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
/** A running chromium. */
export interface Browser {
  newContext(): Promise<Context>;
  close(): Promise<void>;
}

/** Starts Debian's chromium, headless. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import(PLAYWRIGHT) as {
    chromium: { launch(o: object): Promise<Browser> };
  };
  return await chromium.launch({
    executablePath: CHROMIUM,
    // CI runs as root, where chromium's sandbox cannot start
    args: ["--no-sandbox"],
  });
}

/** Where a test's screenshot goes: .cache/<name>.png. */
export function screenshotPath(name: string): string {
  return new URL(`../../.cache/${name}.png`, import.meta.url).pathname;
}

/** The terminal's whole buffer as text (browser side). */
export const TERMINAL_TEXT = `(() => {
  const b = globalThis.xenpv.term.buffer.active;
  const lines = [];
  for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
  return lines.join("\\n");
})()`;

/** Polls `expression` in the page until it is truthy. */
export async function until(page: Page, expression: string, timeout = 10000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await page.evaluate<unknown>(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the terminal shows `pattern`; fails with what it shows. */
export async function terminalShows(page: Page, pattern: RegExp, timeout = 10000): Promise<void> {
  const deadline = Date.now() + timeout;
  let text = "";
  while (!pattern.test(text = await page.evaluate<string>(TERMINAL_TEXT))) {
    if (Date.now() > deadline) {
      throw new Error(`the terminal never showed ${pattern}; it shows:\n${text.trimEnd()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
