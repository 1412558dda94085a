// Copyright 2026 the xenpv authors. MIT license.
// The page's script is served from serve/_page_script.ts, which
// tools/build_page.ts (`deno task page`) writes from serve/page/console_page.js:
// the embedded copy must be current.

import assert from "node:assert/strict";
import {
  GENERATED,
  pageScript,
  pageScriptModule,
  REPLAY_SOURCE,
  replayScript,
  SOURCE,
} from "../../tools/build_page.ts";
import { APP_JS, REPLAY_JS } from "../../serve/_page_script.ts";
import { setup } from "./_server.ts";

Deno.test("serve page: serve/_page_script.ts is serve/page/*_page.js as built (else: deno task page)", async () => {
  const source = await Deno.readTextFile(SOURCE);
  const replay = await Deno.readTextFile(REPLAY_SOURCE);
  assert.equal(
    await Deno.readTextFile(GENERATED),
    pageScriptModule(source, replay),
    "serve/_page_script.ts is stale: run `deno task page`",
  );
  assert.equal(APP_JS, pageScript(source));
  assert.equal(REPLAY_JS, replayScript(replay));
});

Deno.test("serve page: /static/app.js imports the vendored xterm.js, then starts the page", async () => {
  await using t = await setup();
  const response = await fetch(new URL("/static/app.js", t.server.url), {
    headers: { authorization: `Bearer ${t.server.token}` },
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/javascript; charset=utf-8");
  const script = await response.text();
  assert.equal(script, APP_JS);
  assert.match(script, /^import \{ Terminal \} from "\/static\/xterm\.mjs";\n/);
  assert.match(script, /\nawait startConsolePage\(\{ Terminal, FitAddon \}\);\n$/);
});
