// Copyright 2026 the xenpv authors. MIT license.
// The page the server serves: static HTML and its style (its script is
// serve/page/console_page.js, embedded in _page_script.ts). Nothing in
// them comes from a guest: guest output reaches xterm.js only, over the
// WebSocket's binary frames, and guest names (from xenstore) go into the page
// as text nodes, never as HTML.

/** The page at `/`. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>xenpv consoles</title>
<link rel="stylesheet" href="/static/xterm.css">
<link rel="stylesheet" href="/static/page.css">
<script type="module" src="/static/app.js"></script>
</head>
<body>
<aside>
  <h1>Guests</h1>
  <p id="you"></p>
  <label title="shown to others beside who you are; anyone may type any name here">Display name (self-declared) <input id="me" maxlength="32" autocomplete="off" spellcheck="false"></label>
  <table>
    <thead><tr><th>Name</th><th>Id</th><th class="opt">Kind</th><th class="opt">Mode</th><th class="opt" title="the console's code page, as the server reads and types it">Page</th><th>State</th><th title="viewers">Viewers</th><th>Keyboard</th></tr></thead>
    <tbody id="guests"></tbody>
  </table>
  <p id="status"></p>
</aside>
<main>
  <header>
    <div class="line">
      <h2 id="title">Pick a guest</h2>
      <span id="state"></span>
      <a id="log" hidden target="_blank" rel="noopener noreferrer">Log</a>
      <a id="replay" hidden>Recordings</a>
    </div>
    <div class="line">
      <span class="keyboard">Keyboard: <b id="keyboard">nobody</b></span>
      <button id="take" type="button" disabled>Take keyboard</button>
      <button id="release" type="button" hidden>Release keyboard</button>
      <span id="viewers"></span>
    </div>
  </header>
  <div id="notice" role="status"></div>
  <div id="terminal"></div>
</main>
<dialog id="link-dialog">
  <p>The guest printed a link to <b id="link-host"></b>:</p>
  <p><code id="link-url"></code></p>
  <p>Open it in a new tab? It gets none of this page's credentials.</p>
  <button id="link-cancel" type="button" autofocus>Cancel</button>
  <button id="link-open" type="button">Open link</button>
</dialog>
</body>
</html>
`;

/** The page's style. */
export const PAGE_CSS = `html, body { height: 100%; margin: 0; }
/* The page is the viewport: it never scrolls (the terminal and the guest list
   scroll inside), so the terminal's title stays on screen. Wide: the guest list
   beside the terminal; narrow (a phone): above it. The guest table drops its
   optional columns (Kind, Mode, Page) when the sidebar is too narrow for them. */
body { display: grid; grid-template-columns: clamp(20em, 32vw, 30em) minmax(0, 1fr); grid-template-rows: minmax(0, 1fr);
  height: 100vh; height: 100dvh; overflow: hidden; background: #16181c; color: #d8dde4;
  font: 14px/1.4 system-ui, sans-serif; }
aside { padding: 0.5em 0.6em; overflow: auto; border-right: 1px solid #2c3038; container-type: inline-size; min-width: 0; }
h1, h2 { font-size: 1.1em; margin: 0.4em 0; }
label input { background: #0d0f12; color: inherit; border: 1px solid #3a404a; padding: 2px 4px; width: 10em; }
table { border-collapse: collapse; width: 100%; margin-top: 0.8em; }
th, td { text-align: left; padding: 3px 4px; border-bottom: 1px solid #2c3038; white-space: nowrap; }
/* the name, state and keyboard columns share what the others leave, cut short with an ellipsis */
td.name, td.state, td.keyboard { width: 40%; max-width: 0; overflow: hidden; text-overflow: ellipsis; }
td.state { width: 20%; }
@container (max-width: 36em) { .opt { display: none; } }
tbody tr { cursor: pointer; }
tbody tr:hover { background: #22262d; }
tr.current { background: #263246; }
tr.gone td { color: #7d8590; text-decoration: line-through; }
tr.gone td.state { text-decoration: none; }
main { display: flex; flex-direction: column; min-width: 0; min-height: 0; overflow: hidden; }
/* the header: two lines at any width (the guest and its links; the keyboard and
   who watches), each one row, what is too long cut short with an ellipsis */
header { display: flex; flex-direction: column; gap: 0.3em; padding: 0.4em 1em; border-bottom: 1px solid #2c3038;
  flex: none; }
header .line { display: flex; gap: 1em; align-items: center; min-width: 0; }
header .line > * { white-space: nowrap; flex: none; }
header .line > #title, header .line > .keyboard { flex: 0 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
#title { margin: 0; }
#state { color: #9aa4b2; }
header .line > #viewers { color: #9aa4b2; font-size: 0.9em; flex: 1 1 0; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
button { background: #2f6feb; color: white; border: 0; padding: 4px 10px; border-radius: 4px; cursor: pointer; }
button:disabled { background: #3a404a; color: #8b949e; cursor: default; }
header a { color: #79c0ff; }
#notice { min-height: 1.4em; padding: 0 1em; color: #e3b341; flex: none; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
#terminal { flex: 1; min-height: 0; padding: 4px 8px; background: #000; overflow: hidden; }
#you { margin: 0.2em 0; color: #9aa4b2; }
dialog { background: #22262d; color: inherit; border: 1px solid #3a404a; max-width: 40em; }
dialog code { word-break: break-all; color: #e3b341; }
@media (max-width: 700px) {
  body { grid-template-columns: minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr); }
  aside { max-height: 32vh; border-right: 0; border-bottom: 1px solid #2c3038; padding: 0.2em 0.6em; }
  aside h1 { display: none; }
  table { margin-top: 0.3em; }
  header { padding: 0.3em 0.6em; }
  header .line { gap: 0.6em; }
  #viewers { display: none; }
}
`;

/**
 * The replay page's CSP: the console page's, and asciinema-player's terminal
 * (WebAssembly) may be compiled: 'wasm-unsafe-eval' allows that and no
 * JavaScript eval; scripts still come from this server only, none inline.
 */
export const REPLAY_CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; " +
  "style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; " +
  "font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The replay page, at `/static/replay.html#<domid>` (opened in the console
 * page's tab: it finds the token where that page keeps it): a guest's
 * recordings, played by asciinema-player.
 */
export const REPLAY_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>xenpv recordings</title>
<link rel="stylesheet" href="/static/asciinema-player.css">
<link rel="stylesheet" href="/static/replay.css">
<script src="/static/asciinema-player.min.js"></script>
<script type="module" src="/static/replay.js"></script>
</head>
<body>
<header>
  <h2 id="title">Recordings</h2>
  <label>Speed <select id="speed">
    <option value="0.5">0.5x</option><option value="1" selected>1x</option>
    <option value="2">2x</option><option value="4">4x</option><option value="8">8x</option>
  </select></label>
  <label title="pauses longer than this are shortened to it">Idle limit <select id="idle">
    <option value="0">none</option><option value="0.5">0.5 s</option><option value="1">1 s</option>
    <option value="2" selected>2 s</option><option value="5">5 s</option>
  </select></label>
  <a id="download" hidden>Download (.cast)</a>
  <a id="back">Console</a>
  <span id="status"></span>
</header>
<main>
  <ul id="recordings"></ul>
  <div id="player"></div>
</main>
</body>
</html>
`;

/** The replay page's style. */
export const REPLAY_CSS = `html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; height: 100vh; height: 100dvh; overflow: hidden;
  background: #16181c; color: #d8dde4; font: 14px/1.4 system-ui, sans-serif; }
header { display: flex; flex-wrap: wrap; gap: 0.3em 1em; align-items: center; padding: 0.4em 1em;
  border-bottom: 1px solid #2c3038; flex: none; }
h2 { font-size: 1.1em; margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 100%; }
select { background: #0d0f12; color: inherit; border: 1px solid #3a404a; }
header a { color: #79c0ff; }
#status { color: #9aa4b2; }
main { flex: 1; min-height: 0; display: grid; grid-template-columns: minmax(0, 14em) minmax(0, 1fr); }
#recordings { margin: 0; padding: 0.4em; list-style: none; overflow: auto; border-right: 1px solid #2c3038; }
#recordings li { padding: 3px 6px; cursor: pointer; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#recordings li:hover { background: #22262d; }
#recordings li.current { background: #263246; }
#player { min-width: 0; min-height: 0; overflow: hidden; padding: 4px; }
@media (max-width: 700px) {
  main { grid-template-columns: minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr); }
  #recordings { max-height: 25vh; border-right: 0; border-bottom: 1px solid #2c3038; }
}
`;
