// Copyright 2026 the xenpv authors. MIT license.
// The console server's page in a real browser: Debian's chromium, driven by
// playwright-core (from the npm registry; it downloads no browser), against
// simulated guests. Without chromium the test is skipped outside CI; in CI
// (CI=true) a missing chromium fails it: .ci/run installs it.
//
// A screenshot of the page is saved to .cache/serve-browser.png (or
// $XENPV_SCREENSHOT) and its path printed.

import assert from "node:assert/strict";
import { SimulatedHost } from "../../sim/mod.ts";
import { serveConsoles } from "../../serve/mod.ts";
import { windowsGuest } from "../../sim/mod.ts";
import { have, skipUnless } from "../_peers.ts";

const CHROMIUM = "/usr/bin/chromium";
/** Pinned: the version the test was written against. */
const PLAYWRIGHT = "npm:playwright-core@1.65.1";

const ignore = skipUnless(await have(CHROMIUM, ["--version"]), "chromium (Debian's)");

/** The little of playwright-core's API used here. */
interface Page {
  goto(url: string): Promise<{ status(): number } | null>;
  click(selector: string): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  press(selector: string, key: string): Promise<void>;
  textContent(selector: string): Promise<string | null>;
  waitForSelector(selector: string, options?: { timeout: number }): Promise<unknown>;
  evaluate<T>(fn: string): Promise<T>;
  keyboard: { type(text: string): Promise<void>; press(key: string): Promise<void> };
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
}
interface Context {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Browser {
  newContext(): Promise<Context>;
  close(): Promise<void>;
}

/** The terminal's whole buffer as text (browser side). */
const TERMINAL_TEXT = `(() => {
  const b = globalThis.xenpv.term.buffer.active;
  const lines = [];
  for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
  return lines.join("\\n");
})()`;

/** Polls `expression` in the page (evaluated through the DevTools protocol, as CSP allows) until it is truthy. */
async function until(page: Page, expression: string, timeout = 10000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await page.evaluate<unknown>(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the terminal shows `pattern`; fails with what it shows. */
async function terminalShows(page: Page, pattern: RegExp, timeout = 10000): Promise<void> {
  const deadline = Date.now() + timeout;
  let text = "";
  while (!pattern.test(text = await page.evaluate<string>(TERMINAL_TEXT))) {
    if (Date.now() > deadline) {
      throw new Error(`the terminal never showed ${pattern}; it shows:\n${text.trimEnd()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test({
  name:
    "serve in chromium: log in to Windows by typing, ver, a second page, the keyboard, a gone guest",
  ignore,
  // playwright keeps its browser pipe and timers to itself
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const { chromium } = await import(PLAYWRIGHT) as {
    chromium: { launch(o: object): Promise<Browser> };
  };
  await using host = new SimulatedHost();
  // a German Windows: console code page 850, a user named Müller
  const win = await host.createGuest({
    name: "win1",
    program: (o) =>
      windowsGuest({
        ...o,
        codePage: 850,
        accounts: { Administrator: { password: "xenpv" }, "Müller": { password: "x" } },
      }),
  });
  const deb = await host.createGuest({ name: "deb1", program: "linux" });
  const logDir = await Deno.makeTempDir();
  await using server = await serveConsoles({ host, logDir });
  // a second, foreign site on the same machine (same-site for cookies; the
  // server sets none, and the Origin check keeps its WebSockets out)
  await using foreign = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("<title>elsewhere</title>", { headers: { "content-type": "text/html" } }),
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // CI runs as root, where chromium's sandbox cannot start
    args: ["--no-sandbox"],
  });
  try {
    // no token: the page (public), but no guests: 401
    const stranger = await browser.newContext();
    const strangerPage = await stranger.newPage();
    assert.equal((await strangerPage.goto(server.url))?.status(), 200);
    await until(strangerPage, `document.querySelector("#status").textContent.includes("401")`);
    assert.equal(
      await strangerPage.evaluate<number>(`document.querySelectorAll("tr[data-domid]").length`),
      0,
    );
    await stranger.close();

    const context = await browser.newContext();
    const alice = await context.newPage();
    await alice.setViewportSize({ width: 1280, height: 720 });
    const opened = await alice.goto(`${server.url}?token=${server.token}`);
    assert.equal(opened?.status(), 200); // after the redirect that moved the token into the fragment
    await alice.fill("#me", "alice");
    await alice.press("#me", "Enter");
    await alice.waitForSelector(`tr[data-domid="${win.domid}"]`);
    await alice.click(`tr[data-domid="${win.domid}"]`);
    await terminalShows(alice, /WIN1 login: $/m);
    await alice.click("#take");
    await until(alice, `document.querySelector("#keyboard").textContent.includes("(you)")`);
    await alice.click("#terminal");
    await alice.keyboard.type("Administrator");
    await alice.keyboard.press("Enter");
    await terminalShows(alice, /Password: $/m);
    await alice.keyboard.type("xenpv");
    await alice.keyboard.press("Enter");
    await terminalShows(alice, /C:\\Users\\Administrator>$/m);
    await alice.keyboard.type("ver");
    await alice.keyboard.press("Enter");
    await terminalShows(alice, /Microsoft Windows \[Version 10\.0\.15063\]/);
    // chcp tells the server the page (850): the guest's bytes reach xterm.js as UTF-8
    // and what is typed reaches the guest in cp850
    await alice.keyboard.type("chcp");
    await alice.keyboard.press("Enter");
    await terminalShows(alice, /^Active code page: 850$/m);
    await alice.keyboard.type("dir /b C:\\Users");
    await alice.keyboard.press("Enter");
    await terminalShows(alice, /^Müller$/m);
    await alice.keyboard.type("dir /b C:\\Users\\Müller");
    await alice.keyboard.press("Enter");
    await terminalShows(alice, /^Documents$/m);
    await until(alice, `document.querySelector("tr.current td.page")?.textContent === "850"`);
    // the page links the guest's log: plain text, the password masked
    assert.equal(await alice.evaluate<boolean>(`document.querySelector("#log").hidden`), false);
    // (with the token as the page sends it: in a header, there is no cookie)
    const log = await alice.evaluate<string>(
      `fetch(document.querySelector("#log").href, {
        headers: { authorization: "Bearer " + sessionStorage.getItem("xenpv-token") },
      }).then((r) => r.text())`,
    );
    assert.match(log, /\] Microsoft Windows \[Version 10\.0\.15063\]/);
    assert.doesNotMatch(log, /xenpv/);

    // a second page: the same output (replayed), read-only until it takes the keyboard
    const bob = await context.newPage();
    await bob.goto(`${server.url}#token=${server.token}&${win.domid}`);
    await bob.fill("#me", "bob");
    await bob.press("#me", "Enter");
    await terminalShows(bob, /Microsoft Windows \[Version 10\.0\.15063\]/);
    await until(bob, `document.querySelector("#keyboard").textContent.includes("alice")`);
    await bob.click("#terminal");
    await bob.keyboard.type("hostname");
    await until(bob, `document.querySelector("#notice").textContent.includes("read-only")`);
    await bob.click("#take");
    await until(alice, `document.querySelector("#keyboard").textContent.includes("bob")`);
    await bob.click("#terminal");
    await bob.keyboard.type("hostname");
    await bob.keyboard.press("Enter");
    await terminalShows(alice, /^WIN1$/m);
    await terminalShows(bob, /^WIN1$/m);

    // a page of another origin cannot open a WebSocket
    const evil = await context.newPage();
    await evil.goto(`http://127.0.0.1:${foreign.addr.port}/`);
    const wsUrl = new URL(`/ws/${win.domid}`, server.url);
    wsUrl.protocol = "ws:";
    const outcome = await evil.evaluate<string>(`new Promise((resolve) => {
      const ws = new WebSocket(${JSON.stringify(wsUrl.href)});
      ws.onopen = () => resolve("opened");
      ws.onerror = () => resolve("refused");
    })`);
    assert.equal(outcome, "refused");

    // a destroyed guest is shown as gone
    await alice.waitForSelector(`tr[data-domid="${deb.domid}"]`);
    await deb.destroy();
    await alice.waitForSelector(`tr.gone[data-domid="${deb.domid}"]`, { timeout: 10000 });
    assert.equal(await alice.textContent(`tr[data-domid="${deb.domid}"] td.state`), "gone");

    const shot = Deno.env.get("XENPV_SCREENSHOT") ??
      new URL("../../.cache/serve-browser.png", import.meta.url).pathname;
    await alice.screenshot({ path: shot });
    console.log(`  screenshot: ${shot}`);
    await context.close();
  } finally {
    await browser.close();
    await Deno.remove(logDir, { recursive: true });
  }
});
