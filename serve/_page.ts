// Copyright 2026 the xenpv authors. MIT license.
// The page the server serves: static HTML, its style and script. Nothing in
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
  <label>You are <input id="me" maxlength="32" autocomplete="off" spellcheck="false"></label>
  <table>
    <thead><tr><th>Name</th><th>Id</th><th>Kind</th><th>Mode</th><th title="the console's code page, as the server reads and types it">Page</th><th>State</th><th>Viewers</th><th>Keyboard</th></tr></thead>
    <tbody id="guests"></tbody>
  </table>
  <p id="status"></p>
</aside>
<main>
  <header>
    <h2 id="title">Pick a guest</h2>
    <span id="state"></span>
    <span class="keyboard">Keyboard: <b id="keyboard">nobody</b></span>
    <button id="take" type="button" disabled>Take keyboard</button>
    <button id="release" type="button" hidden>Release keyboard</button>
    <span id="viewers"></span>
    <a id="log" hidden target="_blank" rel="noopener noreferrer">Log</a>
  </header>
  <div id="notice" role="status"></div>
  <div id="terminal"></div>
</main>
</body>
</html>
`;

/** The page's style. */
export const PAGE_CSS = `html, body { height: 100%; margin: 0; }
body { display: grid; grid-template-columns: minmax(20em, 32em) 1fr; background: #16181c; color: #d8dde4;
  font: 14px/1.4 system-ui, sans-serif; }
aside { padding: 0.5em 1em; overflow: auto; border-right: 1px solid #2c3038; }
h1, h2 { font-size: 1.1em; margin: 0.4em 0; }
label input { background: #0d0f12; color: inherit; border: 1px solid #3a404a; padding: 2px 4px; width: 10em; }
table { border-collapse: collapse; width: 100%; margin-top: 0.8em; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #2c3038; white-space: nowrap; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: #22262d; }
tr.current { background: #263246; }
tr.gone td { color: #7d8590; text-decoration: line-through; }
tr.gone td.state { text-decoration: none; }
main { display: flex; flex-direction: column; min-width: 0; min-height: 0; }
header { display: flex; gap: 1em; align-items: center; padding: 0.4em 1em; border-bottom: 1px solid #2c3038;
  flex-wrap: wrap; }
#state { color: #9aa4b2; }
#viewers { color: #9aa4b2; font-size: 0.9em; }
button { background: #2f6feb; color: white; border: 0; padding: 4px 10px; border-radius: 4px; cursor: pointer; }
button:disabled { background: #3a404a; color: #8b949e; cursor: default; }
#log { color: #79c0ff; }
#notice { min-height: 1.4em; padding: 0 1em; color: #e3b341; }
#terminal { flex: 1; min-height: 0; padding: 4px 8px; background: #000; }
`;

/** The page's script (an ES module using the vendored xterm.js). */
export const APP_JS = String.raw`import { Terminal } from "/static/xterm.mjs";
import { FitAddon } from "/static/addon-fit.mjs";

const $ = (id) => document.getElementById(id);
const list = $("guests");
const nameInput = $("me");
const take = $("take");
const release = $("release");

const term = new Terminal({ scrollback: 5000, cursorBlink: true, convertEol: false });
const fit = new FitAddon();
term.loadAddon(fit);
term.open($("terminal"));
fit.fit();
addEventListener("resize", () => fit.fit());
// for tests and the curious: the terminal on this page
globalThis.xenpv = { term };

let socket = null;
let current = null;
let me = null;
let holder = null;
let noticeTimer;

nameInput.value = localStorage.getItem("xenpv-name") || "viewer";
nameInput.addEventListener("change", () => {
  localStorage.setItem("xenpv-name", nameInput.value);
  if (current !== null) open(current);
});

const who = (v) => v ? v.name + " #" + v.id : "nobody";
const mine = () => holder !== null && me !== null && holder.id === me.id;

function notice(text) {
  $("notice").textContent = text;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => $("notice").textContent = "", 5000);
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(g) {
  const tr = document.createElement("tr");
  tr.dataset.domid = String(g.domid);
  tr.className = (g.domid === current ? "current " : "") + (g.state === "gone" ? "gone" : "");
  const state = cell(g.state, "state");
  if (g.reason) state.title = g.reason;
  const viewers = cell(String(g.viewers.length));
  viewers.title = g.viewers.map(who).join(", ");
  tr.append(
    cell(g.name ?? "(no name)"),
    cell(String(g.domid)),
    cell(g.guestType ?? "?"),
    cell(g.mode ?? "-"),
    cell(g.codePage === 65001 ? "utf-8" : String(g.codePage), "page"),
    state,
    viewers,
    cell(g.writer ? who(g.writer) : "-"),
  );
  tr.addEventListener("click", () => open(g.domid));
  return tr;
}

async function refresh() {
  try {
    const response = await fetch("/api/guests", { cache: "no-store" });
    if (!response.ok) throw new Error("the server said " + response.status);
    const guests = await response.json();
    list.replaceChildren(...guests.map(row));
    $("status").textContent = guests.length + " guest(s)";
  } catch (err) {
    $("status").textContent = "cannot list guests: " + err.message;
  }
}

function showKeyboard() {
  $("keyboard").textContent = holder ? who(holder) + (mine() ? " (you)" : "") : "nobody";
  take.disabled = socket === null || mine();
  release.hidden = !mine();
}

function control(m) {
  switch (m.type) {
    case "hello":
      me = m.you;
      $("title").textContent = (m.name ?? "domain " + m.domid) + " (domain " + m.domid + ")";
      // the log is served as text/plain (never HTML) by the server itself
      $("log").href = "/api/guests/" + m.domid + "/log";
      $("log").hidden = !m.log;
      break;
    case "state":
      $("state").textContent = m.state + (m.mode ? ", " + m.mode : "") + (m.reason ? ": " + m.reason : "");
      break;
    case "keyboard":
      holder = m.holder;
      showKeyboard();
      break;
    case "viewers":
      $("viewers").textContent = "watching: " + m.viewers.map(who).join(", ");
      break;
    case "notice":
      notice(m.message);
      break;
    case "dropped":
      notice("the server dropped this view: " + m.reason);
      break;
    case "successor":
      notice("the guest came back as domain " + m.domid);
      open(m.domid);
      break;
  }
}

function open(domid) {
  if (socket !== null) {
    socket.onclose = null;
    socket.close();
  }
  current = domid;
  me = null;
  holder = null;
  history.replaceState(null, "", "#" + domid);
  term.reset();
  const url = new URL("/ws/" + domid, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("name", nameInput.value);
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onmessage = (e) => {
    if (typeof e.data === "string") control(JSON.parse(e.data));
    else term.write(new Uint8Array(e.data));
  };
  ws.onclose = (e) => {
    if (socket !== ws) return;
    socket = null;
    holder = null;
    showKeyboard();
    notice("disconnected" + (e.reason ? ": " + e.reason : " (" + e.code + ")"));
  };
  socket = ws;
  showKeyboard();
  refresh();
  term.focus();
}

term.onData((data) => {
  if (socket === null || socket.readyState !== WebSocket.OPEN) return;
  if (!mine()) {
    notice("read-only: press Take keyboard to type");
    return;
  }
  socket.send(JSON.stringify({ type: "input", data }));
});
take.addEventListener("click", () => {
  socket?.send(JSON.stringify({ type: "take" }));
  term.focus();
});
release.addEventListener("click", () => socket?.send(JSON.stringify({ type: "release" })));

await refresh();
setInterval(refresh, 2000);
const wanted = Number(location.hash.slice(1));
if (location.hash.length > 1 && Number.isInteger(wanted)) open(wanted);
`;
