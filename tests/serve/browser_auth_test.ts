// Copyright 2026 the xenpv authors. MIT license.
// The console server's credentials in a real browser (Debian's chromium):
// after logging in, another server on another port of 127.0.0.1 (another
// program, another user's) receives none of them (cookies are not isolated
// by port: the server sets none), and a link a guest prints (OSC 8) opens
// only after an in-page confirmation, in a new tab with no opener, no
// referrer and no credential.

import assert from "node:assert/strict";
import { SimulatedHost } from "../../sim/mod.ts";
import { serveConsoles } from "../../serve/mod.ts";
import { launch, noChromium, terminalPoint, terminalShows, until } from "./_browser.ts";

const ignore = await noChromium();

/** What the other server saw of one request. */
interface Seen {
  path: string;
  cookie: string | null;
  authorization: string | null;
  referer: string | null;
}

Deno.test({
  name:
    "serve in chromium: no credential reaches another port; a guest's link opens after a confirmation, bare",
  ignore,
  // playwright keeps its browser pipe and timers to itself
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const seen: Seen[] = [];
  // another server on this host: what reaches it from the browser
  await using other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const h = request.headers;
      seen.push({
        path: new URL(request.url).pathname,
        cookie: h.get("cookie"),
        authorization: h.get("authorization"),
        referer: h.get("referer"),
      });
      return new Response("<title>elsewhere</title>elsewhere", {
        headers: { "content-type": "text/html" },
      });
    },
  );
  const landing = `http://127.0.0.1:${other.addr.port}/landing`;
  await using host = new SimulatedHost();
  // a guest that prints a hyperlink (OSC 8): the text shown is not the address
  const guest = await host.createGuest({
    name: "linky",
    program: () => ({
      start: (console) =>
        console.write(`see \x1b]8;;${landing}\x1b\\the manual\x1b]8;;\x1b\\ now\r\nlinky$ `),
      input: () => {},
      stop: () => {},
    }),
  });
  const logDir = await Deno.makeTempDir();
  await using server = await serveConsoles({ host, logDir });
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      d.dismiss();
    });
    assert.equal((await page.goto(`${server.url}?token=${server.token}`))?.status(), 200);
    // the token left the address bar (it is in this tab's sessionStorage)
    assert.equal(page.url(), server.url);
    await page.click(`tr[data-domid="${guest.domid}"]`);
    await terminalShows(page, /see the manual now/);

    // another server on another port of this host gets no credential of ours
    const elsewhere = await context.newPage();
    assert.equal(
      (await elsewhere.goto(`http://127.0.0.1:${other.addr.port}/visit`))?.status(),
      200,
    );
    const visit = seen.find((s) => s.path === "/visit");
    assert.ok(visit);
    assert.equal(visit.cookie, null, `another port got our cookie: ${visit.cookie}`);
    assert.equal(visit.authorization, null);
    await elsewhere.close();
    // who this page is: the token's holder, an operator
    await until(
      page,
      `document.querySelector("#you").textContent === "You: token, operator (may type)"`,
    );

    // a click on the guest's link asks first, naming where it goes; nothing opens yet
    const at = await terminalPoint(page, "the manual");
    await page.mouse.move(at.x, at.y);
    await page.mouse.click(at.x, at.y);
    await until(page, `document.querySelector("#link-dialog").open`, 5000);
    assert.equal(await page.textContent("#link-host"), `127.0.0.1:${other.addr.port}`);
    assert.equal(await page.textContent("#link-url"), landing);
    assert.deepEqual(dialogs, []); // the page's own dialog, not the browser's confirm()
    assert.ok(!seen.some((s) => s.path === "/landing"), "the link opened before it was confirmed");
    await page.click("#link-cancel");
    await until(page, `!document.querySelector("#link-dialog").open`);
    assert.equal(context.pages().length, 1);
    assert.ok(!seen.some((s) => s.path === "/landing"));

    // confirmed: a new tab, with no opener, no referrer and no credential
    await page.mouse.move(at.x, at.y + 100); // off the link and back: xterm.js hovers it again
    await page.mouse.move(at.x, at.y);
    await page.mouse.click(at.x, at.y);
    await until(page, `document.querySelector("#link-dialog").open`, 5000);
    const opened = context.waitForEvent("page", { timeout: 5000 });
    await page.click("#link-open");
    const tab = await opened;
    await tab.waitForLoadState("load");
    assert.equal(tab.url(), landing);
    assert.equal(await tab.evaluate<boolean>("window.opener === null"), true);
    const went = seen.find((s) => s.path === "/landing");
    assert.ok(went);
    assert.deepEqual(
      { cookie: went.cookie, authorization: went.authorization, referer: went.referer },
      { cookie: null, authorization: null, referer: null },
    );
    // and the token was never anywhere the other server could see it
    assert.doesNotMatch(JSON.stringify(seen), new RegExp(server.token));

    // the Log link still works without a cookie: fetched with the token, shown as text
    await tab.close();
    const logTab = context.waitForEvent("page", { timeout: 5000 });
    await page.click("#log");
    const log = await logTab;
    await log.waitForLoadState("load");
    assert.match(log.url(), /^blob:/);
    assert.match(await log.evaluate<string>("document.body.textContent"), /the manual/);
    await context.close();
  } finally {
    await browser.close();
    await Deno.remove(logDir, { recursive: true });
  }
});
