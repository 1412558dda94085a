// Copyright 2026 the xenpv authors. MIT license.
// @ts-check
/// <reference lib="dom" />
// The console page's script, run in the browser: the guest list (polled from
// /api/guests), one guest's terminal at a time (xterm.js, fed by the binary
// frames of /ws/<domid>), the keyboard, notices. Served at /static/app.js
// after the two imports of the vendored xterm.js, with a call of
// startConsolePage() last: serve/_page_script.ts holds that script, written by
// `deno task page` (tools/build_page.ts) from this file. Nothing from a guest
// goes into the page as HTML: names are text nodes, output reaches xterm.js.

/** @import { ClientMessage, GuestSummary, ServerMessage, ViewerInfo } from "../mod.ts" */
/** @import { XtermModules } from "./xterm_api.ts" */

/**
 * Runs the page: lists the guests, opens the one named in the address's
 * `#domid` (or the one clicked).
 *
 * @param {XtermModules} xterm the vendored xterm.js's classes
 * @returns {Promise<void>} once the first list is shown
 */
export async function startConsolePage({ Terminal, FitAddon }) {
  /** @param {string} id */
  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const list = $("guests");
  const nameInput = /** @type {HTMLInputElement} */ ($("me"));
  const take = /** @type {HTMLButtonElement} */ ($("take"));
  const release = /** @type {HTMLButtonElement} */ ($("release"));
  const log = /** @type {HTMLAnchorElement} */ ($("log"));
  const replay = /** @type {HTMLAnchorElement} */ ($("replay"));

  const term = new Terminal({ scrollback: 5000, cursorBlink: true, convertEol: false });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open($("terminal"));
  fit.fit();
  // refit whenever the terminal's box changes: the window's size, and the
  // header's rows (it wraps as its text grows), so the page never scrolls
  new ResizeObserver(() => fit.fit()).observe($("terminal"));
  // for tests and the curious: the terminal on this page
  Object.assign(globalThis, { xenpv: { term } });

  /** @type {WebSocket | null} */
  let socket = null;
  /** @type {number | null} */
  let current = null;
  /** @type {ViewerInfo | null} */
  let me = null;
  /** @type {ViewerInfo | null} */
  let holder = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let noticeTimer;

  nameInput.value = localStorage.getItem("xenpv-name") || "viewer";
  nameInput.addEventListener("change", () => {
    localStorage.setItem("xenpv-name", nameInput.value);
    if (current !== null) open(current);
  });

  /** @param {ViewerInfo | null | undefined} v */
  const who = (v) => v ? v.name + " #" + v.id : "nobody";
  const mine = () => holder !== null && me !== null && holder.id === me.id;

  /** @param {string} text */
  function notice(text) {
    $("notice").textContent = text;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => $("notice").textContent = "", 5000);
  }

  /**
   * @param {string} text
   * @param {string} [className]
   */
  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  /** @param {GuestSummary} g */
  function row(g) {
    const tr = document.createElement("tr");
    tr.dataset.domid = String(g.domid);
    tr.className = (g.domid === current ? "current " : "") + (g.state === "gone" ? "gone" : "");
    const state = cell(g.state, "state");
    if (g.reason) state.title = g.reason;
    const viewers = cell(String(g.viewers.length));
    viewers.title = g.viewers.map(who).join(", ");
    // the name and the keyboard holder may be cut short (an ellipsis): whole in their titles
    const name = cell(g.name ?? "(no name)", "name");
    name.title = name.textContent ?? "";
    const keyboard = cell(g.writer ? who(g.writer) : "-", "keyboard");
    keyboard.title = keyboard.textContent ?? "";
    // "opt": the columns a narrow sidebar leaves out
    tr.append(
      name,
      cell(String(g.domid)),
      cell(g.guestType ?? "?", "opt"),
      cell(g.mode ?? "-", "opt"),
      cell(g.codePage === 65001 ? "utf-8" : String(g.codePage), "opt page"),
      state,
      viewers,
      keyboard,
    );
    tr.addEventListener("click", () => open(g.domid));
    return tr;
  }

  async function refresh() {
    try {
      const response = await fetch("/api/guests", { cache: "no-store" });
      if (!response.ok) throw new Error("the server said " + response.status);
      /** @type {GuestSummary[]} */
      const guests = await response.json();
      list.replaceChildren(...guests.map(row));
      $("status").textContent = guests.length + " guest(s)";
    } catch (err) {
      $("status").textContent = "cannot list guests: " + /** @type {Error} */ (err).message;
    }
  }

  function showKeyboard() {
    $("keyboard").textContent = holder ? who(holder) + (mine() ? " (you)" : "") : "nobody";
    take.disabled = socket === null;
    take.hidden = mine();
    release.hidden = !mine();
  }

  /** @param {ServerMessage} m */
  function control(m) {
    switch (m.type) {
      case "hello":
        me = m.you;
        $("title").textContent = (m.name ?? "domain " + m.domid) + " (domain " + m.domid + ")";
        // the log is served as text/plain (never HTML) by the server itself
        log.href = "/api/guests/" + m.domid + "/log";
        log.hidden = !m.log;
        // the guest's recordings, played on the replay page (in this tab: it
        // needs the credentials this page has)
        replay.href = "/static/replay.html#" + m.domid;
        replay.hidden = !m.recordings;
        break;
      case "state":
        $("state").textContent = m.state + (m.mode ? ", " + m.mode : "") +
          (m.reason ? ": " + m.reason : "");
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

  /** @param {ClientMessage} message */
  function send(message) {
    socket?.send(JSON.stringify(message));
  }

  /** @param {number} domid */
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
    // the terminal's size: the keyboard holder's is recorded (resize events)
    ws.onopen = () => send({ type: "resize", cols: term.cols, rows: term.rows });
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
    send({ type: "input", data });
  });
  term.onResize(({ cols, rows }) => {
    if (socket?.readyState === WebSocket.OPEN) send({ type: "resize", cols, rows });
  });
  take.addEventListener("click", () => {
    send({ type: "take" });
    term.focus();
  });
  release.addEventListener("click", () => send({ type: "release" }));

  await refresh();
  setInterval(refresh, 2000);
  const wanted = Number(location.hash.slice(1));
  if (location.hash.length > 1 && Number.isInteger(wanted)) open(wanted);
}
