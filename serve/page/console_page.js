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
//
// Credentials: the token comes in the address's fragment (`#token=`, which no
// request carries), is kept in this tab's sessionStorage (this origin's only:
// scheme, host and port) and sent in an `Authorization` header (fetch) or a
// WebSocket subprotocol, never in a cookie: cookies are not isolated by port,
// so every other server on this host would get them. Behind an authenticating
// proxy there is no token: the proxy's own credentials pass.

/** @import { ClientMessage, GuestSummary, ServerMessage, ViewerInfo } from "../mod.ts" */
/** @import { XtermModules } from "./xterm_api.ts" */

/** Where this tab keeps the token (sessionStorage: this origin, this tab). */
const TOKEN_KEY = "xenpv-token";

/**
 * The token: from the address's fragment (`#token=...`, then taken out of the
 * address bar and history), else as this tab kept it; null behind a proxy.
 *
 * @returns {string | null}
 */
function takeToken() {
  const found = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (found) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(found[1]));
    const rest = location.hash.slice(1).split("&").filter((p) => !p.startsWith("token="));
    history.replaceState(null, "", location.pathname + (rest.length ? "#" + rest.join("&") : ""));
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/**
 * The WebSocket subprotocols that carry `token` (a browser cannot give a
 * WebSocket headers): the page's, and the token base64url-encoded.
 *
 * @param {string | null} token
 * @returns {string[]}
 */
function subprotocols(token) {
  if (token === null) return ["xenpv"];
  const b64 = btoa(token).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return ["xenpv", "xenpv.token." + b64];
}

/**
 * Asks before opening a link a guest printed (an OSC 8 hyperlink): the dialog
 * shows its address and host as text; "Open" opens it in a new tab with no
 * opener, no referrer and none of this page's credentials (there is no
 * cookie; the token stays in this tab). Only http(s) links are offered.
 *
 * @param {string} uri the address, as the guest printed it
 */
function confirmLink(uri) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("link-dialog"));
  /** @type {URL} */
  let url;
  try {
    url = new URL(uri);
  } catch {
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return;
  const shown = url.href.length > 300 ? url.href.slice(0, 300) + "…" : url.href;
  /** @type {HTMLElement} */ (dialog.querySelector("#link-host")).textContent = url.host;
  /** @type {HTMLElement} */ (dialog.querySelector("#link-url")).textContent = shown;
  /** @type {HTMLElement} */ (dialog.querySelector("#link-cancel")).onclick = () => dialog.close();
  /** @type {HTMLElement} */ (dialog.querySelector("#link-open")).onclick = () => {
    dialog.close();
    globalThis.open(url.href, "_blank", "noopener,noreferrer");
  };
  dialog.showModal();
}

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
  const token = takeToken();
  /** @type {Record<string, string>} */
  const auth = token === null ? {} : { authorization: "Bearer " + token };

  const term = new Terminal({
    scrollback: 5000,
    cursorBlink: true,
    convertEol: false,
    linkHandler: { activate: (_event, uri) => confirmLink(uri), allowNonHttpProtocols: false },
  });
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
  /** Who watches this console, by id. @type {Map<number, ViewerInfo>} */
  let watching = new Map();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let noticeTimer;

  nameInput.value = localStorage.getItem("xenpv-name") || "viewer";
  nameInput.addEventListener("change", () => {
    localStorage.setItem("xenpv-name", nameInput.value);
    if (current !== null) open(current);
  });

  /**
   * Who a viewer is: its authenticated user (`token` for the token's holder),
   * its role when it only views, its self-declared name in quotes, its number.
   *
   * @param {ViewerInfo | null | undefined} v
   */
  const who = (v) =>
    v
      ? v.user + (v.role === "viewer" ? " (views)" : "") +
        (v.name !== "viewer" && v.name !== v.user ? " \u201c" + v.name + "\u201d" : "") +
        " #" + v.id
      : "nobody";
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
      const response = await fetch("/api/guests", { cache: "no-store", headers: auth });
      if (!response.ok) throw new Error("the server said " + response.status);
      /** @type {GuestSummary[]} */
      const guests = await response.json();
      list.replaceChildren(...guests.map(row));
      $("status").textContent = guests.length + " guest(s)";
    } catch (err) {
      $("status").textContent = "cannot list guests: " + /** @type {Error} */ (err).message;
    }
  }

  function showWatching() {
    $("viewers").textContent = "watching: " + [...watching.values()].map(who).join(", ");
  }

  function showKeyboard() {
    $("keyboard").textContent = holder ? who(holder) + (mine() ? " (you)" : "") : "nobody";
    take.disabled = socket === null || me?.role !== "operator";
    take.hidden = mine();
    release.hidden = !mine();
  }

  /** @param {ServerMessage} m */
  function control(m) {
    switch (m.type) {
      case "hello":
        me = m.you;
        $("you").textContent = "You: " + m.you.user + ", " + m.you.role +
          (m.you.role === "operator" ? " (may type)" : " (may watch, not type)");
        showKeyboard();
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
      case "viewers": // the whole list, when this page joins
        watching = new Map(m.viewers.map((v) => [v.id, v]));
        showWatching();
        break;
      case "viewersChanged": // then who joined and left, in batches
        for (const v of m.joined) watching.set(v.id, v);
        for (const id of m.left) watching.delete(id);
        showWatching();
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
    history.replaceState(null, "", location.pathname + "#" + domid);
    term.reset();
    const url = new URL("/ws/" + domid, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("name", nameInput.value);
    const ws = new WebSocket(url, subprotocols(token));
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
  // The log needs the credentials a plain link would not carry (there is no
  // cookie): fetched with them, then shown from memory as text in a new tab.
  log.addEventListener("click", async (event) => {
    event.preventDefault();
    const response = await fetch(log.href, { headers: auth, cache: "no-store" });
    if (!response.ok) return notice("cannot read the log: the server said " + response.status);
    const blob = new Blob([await response.arrayBuffer()], { type: "text/plain; charset=utf-8" });
    const href = URL.createObjectURL(blob);
    globalThis.open(href, "_blank"); // text/plain from memory: nothing in it runs
    setTimeout(() => URL.revokeObjectURL(href), 60000);
  });

  await refresh();
  setInterval(refresh, 2000);
  const wanted = Number(location.hash.slice(1));
  if (location.hash.length > 1 && Number.isInteger(wanted)) open(wanted);
}
