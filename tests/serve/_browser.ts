// Copyright 2026 the xenpv authors. MIT license.
// The console page in a real browser, for tests: Debian's chromium driven by
// playwright-core (from the npm registry; it downloads no browser), the little
// of its API used, and waits on what the page shows; screenshots go to .cache/.

import { have, skipUnless } from "../_peers.ts";

/** Debian's chromium. */
export const CHROMIUM = "/usr/bin/chromium";
/** Pinned: the version the tests were written against. */
const PLAYWRIGHT = "npm:playwright-core@1.65.1";

/** Where a test's screenshot goes: .cache/<name>.png. */
export function screenshotPath(name: string): string {
  return new URL(`../../.cache/${name}.png`, import.meta.url).pathname;
}

/** `ignore` for a browser test: chromium missing (fails loudly under CI=true). */
export async function noChromium(): Promise<boolean> {
  return skipUnless(await have(CHROMIUM, ["--version"]), "chromium (Debian's)");
}

/** The little of playwright-core's Page used here. */
export interface Page {
  goto(url: string): Promise<{ status(): number } | null>;
  click(selector: string): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  selectOption(selector: string, value: string): Promise<unknown>;
  press(selector: string, key: string): Promise<void>;
  textContent(selector: string): Promise<string | null>;
  waitForSelector(selector: string, options?: { timeout?: number }): Promise<unknown>;
  waitForLoadState(state: "load"): Promise<void>;
  evaluate<T>(fn: string): Promise<T>;
  isDisabled(selector: string): Promise<boolean>;
  keyboard: { type(text: string): Promise<void>; press(key: string): Promise<void> };
  mouse: { move(x: number, y: number): Promise<void>; click(x: number, y: number): Promise<void> };
  on(
    event: "dialog",
    listener: (dialog: { message(): string; dismiss(): Promise<void> }) => void,
  ): void;
  on(event: "console" | "pageerror", listener: (what: { toString(): string }) => void): void;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  url(): string;
  close(): Promise<void>;
}
/** A browser context: its own cookies and storage. */
export interface Context {
  newPage(): Promise<Page>;
  pages(): Page[];
  waitForEvent(event: "page", options?: { timeout?: number }): Promise<Page>;
  close(): Promise<void>;
}
/** A browser. */
export interface Browser {
  /** `httpCredentials`: what it answers an HTTP auth challenge (basic auth) with. */
  newContext(
    options?: { httpCredentials?: { username: string; password: string } },
  ): Promise<Context>;
  close(): Promise<void>;
}

/** Starts Debian's chromium (without its sandbox: CI runs as root). */
export async function launch(): Promise<Browser> {
  const { chromium } = await import(PLAYWRIGHT) as {
    chromium: { launch(o: object): Promise<Browser> };
  };
  return await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

/** The terminal's whole buffer as text (browser side). */
export const TERMINAL_TEXT = `(() => {
  const b = globalThis.xenpv.term.buffer.active;
  const lines = [];
  for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
  return lines.join("\\n");
})()`;

/** Polls `expression` in the page (through the DevTools protocol, as CSP allows) until it is truthy. */
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

/** Where `text` is on the terminal's screen, in the page's pixels (the middle of its first cell). */
export async function terminalPoint(page: Page, text: string): Promise<{ x: number; y: number }> {
  return await page.evaluate<{ x: number; y: number }>(`(() => {
    const term = globalThis.xenpv.term;
    const b = term.buffer.active;
    for (let y = b.viewportY; y < b.viewportY + term.rows; y++) {
      const x = b.getLine(y)?.translateToString(true).indexOf(${JSON.stringify(text)}) ?? -1;
      if (x < 0) continue;
      const screen = document.querySelector(".xterm-screen").getBoundingClientRect();
      return {
        x: screen.left + (x + 0.5) * screen.width / term.cols,
        y: screen.top + (y - b.viewportY + 0.5) * screen.height / term.rows,
      };
    }
    throw new Error("not on the screen: " + ${JSON.stringify(text)});
  })()`);
}
