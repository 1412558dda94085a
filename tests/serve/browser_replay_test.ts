// Copyright 2026 the xenpv authors. MIT license.
// A recording (recordDir) replayed in a real browser (Debian's chromium): a
// Windows login and a command typed through the page are recorded, the page's
// Recordings link opens the replay page (in its tab), which lists the guest's recordings
// and plays the one clicked with the vendored asciinema-player, under the
// page's CSP (no violation, no page error). The screenshot goes to
// .cache/serve-replay.png.

import assert from "node:assert/strict";
import { SimulatedHost } from "../../sim/mod.ts";
import { serveConsoles } from "../../serve/mod.ts";
import { launch, noChromium, screenshotPath, terminalShows, until } from "./_browser.ts";

/** The player's screen as text (asciinema-player renders its terminal as DOM text). */
const PLAYER_TEXT =
  `document.querySelector("#player .ap-term, #player .ap-terminal")?.textContent ?? ""`;

Deno.test({
  name: "serve in chromium: a recorded session replayed on the replay page, at the speed chosen",
  ignore: await noChromium(),
  // playwright keeps its browser pipe and timers to itself
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir();
  await using host = new SimulatedHost();
  const win = await host.createGuest({ name: "win1", program: "windows" });
  await using server = await serveConsoles({ host, recordDir: dir });
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.url}?token=${server.token}`);
    await page.waitForSelector(`tr[data-domid="${win.domid}"]`);
    await page.click(`tr[data-domid="${win.domid}"]`);
    await terminalShows(page, /WIN1 login: $/m);
    await page.click("#take");
    await until(page, `document.querySelector("#keyboard").textContent.includes("(you)")`);
    await page.click("#terminal");
    await page.keyboard.type("Administrator");
    await page.keyboard.press("Enter");
    await terminalShows(page, /Password: $/m);
    await page.keyboard.type("xenpv");
    await page.keyboard.press("Enter");
    await terminalShows(page, /C:\\Users\\Administrator>$/m);
    await page.keyboard.type("ver");
    await page.keyboard.press("Enter");
    await terminalShows(page, />ver\n+Microsoft Windows \[Version 10\.0\.15063\][^]*>\s*$/);
    assert.equal(await page.evaluate<boolean>(`document.querySelector("#replay").hidden`), false);
    const replayUrl = await page.evaluate<string>(`document.querySelector("#replay").href`);
    assert.equal(replayUrl, new URL(`/static/replay.html#${win.domid}`, server.url).href);

    // the Recordings link, in the same tab (the replay page uses its credentials)
    const replay = page;
    const problems: string[] = [];
    replay.on("console", (m) => {
      if (/security policy|refused to/i.test(m.toString())) problems.push(m.toString());
    });
    replay.on("pageerror", (e) => problems.push(e.toString()));
    await replay.setViewportSize({ width: 1024, height: 640 });
    await replay.click("#replay");
    await replay.waitForSelector("#recordings li");
    assert.match(await replay.textContent("#title") ?? "", /^Recordings of win1$/);
    await replay.selectOption("#speed", "4");
    await replay.selectOption("#idle", "0.5");
    await replay.click("#recordings li");
    await until(replay, `globalThis.xenpv.player !== null`);
    // played to the end: the last command's answer and the prompt after it
    await until(replay, `/Version 10\\.0\\.15063[^]*Administrator>/.test(${PLAYER_TEXT})`, 20000);
    const text = await replay.evaluate<string>(PLAYER_TEXT);
    assert.match(text, /WIN1 login: Administrator/);
    assert.doesNotMatch(text, /xenpv/);
    assert.match(
      await replay.evaluate<string>(`document.querySelector("#download").getAttribute("href")`),
      new RegExp(`^/api/guests/${win.domid}/recordings/guest-win1-\\d{8}T\\d{6}Z\\.cast$`),
    );
    assert.deepEqual(problems, []);
    const shot = screenshotPath("serve-replay");
    await replay.screenshot({ path: shot });
    console.log(`  screenshot: ${shot}`);
    // on a phone: the list above the player, nothing scrolls sideways, the player on screen
    await replay.setViewportSize({ width: 390, height: 844 });
    await until(
      replay,
      `document.scrollingElement.scrollWidth <= innerWidth && ` +
        `document.scrollingElement.scrollHeight <= innerHeight`,
    );
    const player = await replay.evaluate<{ left: number; right: number; top: number }>(
      `(() => { const r = document.querySelector("#player .ap-player, #player").getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top }; })()`,
    );
    assert(player.left >= 0 && player.right <= 390 && player.top < 844, JSON.stringify(player));
    const phone = screenshotPath("serve-replay-390x844");
    await replay.screenshot({ path: phone });
    console.log(`  screenshot: ${phone}`);
    await context.close();
  } finally {
    await browser.close();
    await Deno.remove(dir, { recursive: true });
  }
});
