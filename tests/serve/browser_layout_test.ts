// Copyright 2026 the xenpv authors. MIT license.
// The console page's layout in a real browser (Debian's chromium), at a small
// laptop's 1024x768, a laptop's 1280x800 and a phone's 390x844: the page never
// scrolls (no sideways scrollbar, the terminal's title stays on screen while
// typing), the guest table fits its sidebar (its "Keyboard" column whole), the
// header is at most two rows. Each size's screenshot goes to
// .cache/serve-<width>x<height>.png; with XENPV_UPDATE_DOCS=1 the 1280x800 one
// also replaces docs/serve.png (the README's picture).

import assert from "node:assert/strict";
import { SimulatedHost, windowsGuest } from "../../sim/mod.ts";
import { serveConsoles } from "../../serve/mod.ts";
import { launch, noChromium, type Page, screenshotPath, terminalShows, until } from "./_browser.ts";

/** What the layout is at this moment, measured in the page. */
interface Layout {
  viewport: { width: number; height: number };
  /** The page's scrollable size (larger than the viewport: it scrolls). */
  scroll: { width: number; height: number; x: number; y: number };
  /** The title's box. */
  title: { top: number; bottom: number; left: number; right: number; text: string };
  /** The sidebar's visible width, its content's width, and the table's right edge and the sidebar's. */
  aside: { client: number; scroll: number; right: number; tableRight: number };
  /** The Keyboard column's heading: its text's width and its box's. */
  keyboard: { scroll: number; client: number; right: number; visible: boolean };
  /** The header's rows (its shown items' distinct middles). */
  header: { rows: number };
  /** The terminal's box height and its rows. */
  terminal: { height: number; rows: number; bottom: number };
}

const MEASURE = `(() => {
  const box = (s) => document.querySelector(s).getBoundingClientRect();
  const el = document.scrollingElement;
  const aside = document.querySelector("aside");
  const th = [...document.querySelectorAll("thead th")].find((t) => t.textContent === "Keyboard");
  const title = box("#title");
  return {
    viewport: { width: innerWidth, height: innerHeight },
    scroll: { width: el.scrollWidth, height: el.scrollHeight, x: scrollX, y: scrollY },
    title: { top: title.top, bottom: title.bottom, left: title.left, right: title.right,
      text: document.querySelector("#title").textContent },
    aside: { client: aside.clientWidth, scroll: aside.scrollWidth, right: box("aside").right,
      tableRight: box("aside table").right },
    keyboard: { scroll: th.scrollWidth, client: th.clientWidth, right: th.getBoundingClientRect().right,
      visible: th.getBoundingClientRect().width > 0 },
    header: { rows: [...document.querySelectorAll("header .line > *")]
      .map((c) => c.getBoundingClientRect()).filter((r) => r.width > 0)
      .map((r) => (r.top + r.bottom) / 2).sort((a, b) => a - b)
      .filter((y, i, all) => i === 0 || y - all[i - 1] > 8).length },
    terminal: { height: box("#terminal").height, rows: globalThis.xenpv.term.rows,
      bottom: box("#terminal").bottom },
  };
})()`;

/** Asserts the layout facts at one size. */
function assertLayout(layout: Layout, size: string, rows: number): void {
  const { viewport, scroll, title, aside, keyboard, header, terminal } = layout;
  const at = `${size}: ${JSON.stringify(layout)}`;
  // the page itself never scrolls, sideways or down
  assert(scroll.width <= viewport.width, `a sideways scrollbar at ${at}`);
  assert(scroll.height <= viewport.height, `the page scrolls down at ${at}`);
  assert.equal(scroll.x, 0, at);
  assert.equal(scroll.y, 0, at);
  // the terminal's title is on screen
  assert.match(title.text, /\(domain \d+\)$/, at);
  assert(title.top >= 0 && title.bottom <= viewport.height, `the title is off screen at ${at}`);
  assert(title.left >= 0 && title.right <= viewport.width, `the title is cut at ${at}`);
  // the guest table fits its sidebar, the Keyboard column whole
  assert(aside.scroll <= aside.client, `the guest table scrolls sideways at ${at}`);
  assert(aside.tableRight <= aside.right, `the guest table overflows its sidebar at ${at}`);
  assert(keyboard.visible, `no Keyboard column at ${at}`);
  assert(keyboard.scroll <= keyboard.client, `"Keyboard" is cut at ${at}`);
  assert(keyboard.right <= aside.right, `"Keyboard" is past the sidebar at ${at}`);
  // the header wraps to `rows` at most; the terminal fills the rest
  assert(header.rows <= rows, `the header takes ${header.rows} rows at ${at}`);
  assert(terminal.rows >= 5, `the terminal has ${terminal.rows} rows at ${at}`);
  assert(terminal.bottom <= viewport.height + 0.5, `the terminal runs off the page at ${at}`);
}

/** The sizes checked: a small laptop, a laptop, a phone. */
const SIZES = [
  // the header's rows at most
  { width: 1024, height: 768, rows: 2 },
  { width: 1280, height: 800, rows: 2 },
  { width: 390, height: 844, rows: 2 },
];

Deno.test({
  name: "serve in chromium: the page fits 1024x768, 1280x800 and a phone, while typing",
  ignore: await noChromium(),
  // playwright keeps its browser pipe and timers to itself
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  await using host = new SimulatedHost();
  const win = await host.createGuest({
    name: "win2019-build-agent",
    program: (o) => windowsGuest({ ...o, accounts: { Administrator: { password: "xenpv" } } }),
  });
  await host.createGuest({ name: "debian-bookworm-web01", program: "linux" });
  // logged and recorded: the header shows its Log and Recordings links too
  const dir = await Deno.makeTempDir();
  await using server = await serveConsoles({ host, logDir: dir, recordDir: dir });
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const page: Page = await context.newPage();
    await page.setViewportSize(SIZES[0]);
    await page.goto(`${server.url}?token=${server.token}`);
    await page.fill("#me", "alice.longname@example");
    await page.press("#me", "Enter");
    await page.waitForSelector(`tr[data-domid="${win.domid}"]`);
    await page.click(`tr[data-domid="${win.domid}"]`);
    await terminalShows(page, /login: $/m);
    await page.click("#take");
    await until(page, `document.querySelector("#keyboard").textContent.includes("(you)")`);
    // a second viewer: the header's "watching" list grows
    const bob = await context.newPage();
    // its own credentials: the token's address (a cookie today, the tab's storage without one)
    await bob.goto(`${server.url}?token=${server.token}`);
    await bob.waitForSelector(`tr[data-domid="${win.domid}"]`);
    await bob.click(`tr[data-domid="${win.domid}"]`);
    await until(page, `document.querySelector("#viewers").textContent.includes(", ")`);
    await page.click("#terminal");
    await page.keyboard.type("Administrator");
    await page.keyboard.press("Enter");
    await terminalShows(page, /Password: $/m);
    await page.keyboard.type("xenpv");
    await page.keyboard.press("Enter");
    await terminalShows(page, /C:\\Users\\Administrator>$/m);
    await until(page, `document.querySelector("tr.current td:last-child").textContent !== "-"`);
    await until(page, `!document.querySelector("#log").hidden`);
    await until(page, `!document.querySelector("#replay")?.hidden`);
    /** Types a command and waits for the prompt after its answer (its `n`th `answer`). */
    const seen = new Map<string, number>();
    const run = async (command: string, answer: string) => {
      const n = (seen.get(answer) ?? 0) + 1;
      seen.set(answer, n);
      await page.keyboard.type(command);
      await page.keyboard.press("Enter");
      await terminalShows(page, new RegExp(`(${answer}[^]*){${n}}>`));
    };
    for (const { width, height, rows } of SIZES) {
      await page.setViewportSize({ width, height });
      // typing, enough to scroll the terminal a few screens
      for (let i = 0; i < 4; i++) await run("dir /b C:\\Users", "Public");
      await run("ver", "Microsoft Windows \\[Version");
      const name = `${width}x${height}`;
      // the terminal refits to its box (a resize event, then a frame)
      await until(
        page,
        `globalThis.xenpv.term.element.getBoundingClientRect().height <= document.querySelector("#terminal").getBoundingClientRect().height`,
      );
      assertLayout(await page.evaluate<Layout>(MEASURE), name, rows);
      const shot = screenshotPath(`serve-${name}`);
      await page.screenshot({ path: shot });
      console.log(`  screenshot: ${shot}`);
      if (name === "1280x800" && Deno.env.get("XENPV_UPDATE_DOCS") === "1") {
        const docs = new URL("../../docs/serve.png", import.meta.url).pathname;
        await Deno.copyFile(shot, docs);
        console.log(`  wrote ${docs}`);
      }
    }
    await context.close();
  } finally {
    await browser.close();
    await Deno.remove(dir, { recursive: true });
  }
});
