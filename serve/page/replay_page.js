// Copyright 2026 the xenpv authors. MIT license.
// @ts-check
/// <reference lib="dom" />
// The replay page's script, run in the browser at /static/replay.html#<domid>:
// lists the guest's recordings (/api/guests/<domid>/recordings) and plays the
// one picked with the vendored asciinema-player (its classic script, loaded
// first, defines the global AsciinemaPlayer), at the speed and idle-time limit
// chosen. Served at /static/replay.js with a call of startReplayPage() last:
// serve/_page_script.ts holds that script, written by `deno task page`
// (tools/build_page.ts). Recording names are shown as text nodes.
//
// Credentials: the token, where the console page keeps it in this tab
// (sessionStorage "xenpv-token", or `&token=` in the fragment), goes in an
// Authorization header; without one the request goes as it is (a cookie, or
// an authenticating proxy's own credentials).

/** @import { AsciinemaPlayerModule, Player } from "./player_api.ts" */
/** @import { RecordingInfo } from "../mod.ts" */

/**
 * The token the console page keeps in this tab: from the fragment
 * (`&token=...`, then taken out of the address bar), else sessionStorage's
 * "xenpv-token"; null when there is none (a cookie or a proxy authenticates).
 *
 * @returns {string | null}
 */
function takeToken() {
  const found = /[#&]token=([^&]*)/.exec(location.hash);
  if (found) {
    sessionStorage.setItem("xenpv-token", decodeURIComponent(found[1]));
    const rest = location.hash.slice(1).split("&").filter((p) => !p.startsWith("token="));
    history.replaceState(null, "", location.pathname + (rest.length ? "#" + rest.join("&") : ""));
  }
  return sessionStorage.getItem("xenpv-token");
}

/**
 * Runs the replay page for the guest named in the address's `#domid`.
 *
 * @param {AsciinemaPlayerModule} AsciinemaPlayer the vendored player
 * @returns {Promise<void>} once the list is shown
 */
export async function startReplayPage(AsciinemaPlayer) {
  /** @param {string} id */
  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const speed = /** @type {HTMLSelectElement} */ ($("speed"));
  const idle = /** @type {HTMLSelectElement} */ ($("idle"));
  const download = /** @type {HTMLAnchorElement} */ ($("download"));
  const domid = Number(/^#([0-9]+)/.exec(location.hash)?.[1] ?? NaN);
  const token = takeToken();
  /** @type {Record<string, string>} */
  const auth = token === null ? {} : { authorization: "Bearer " + token };
  /** @type {Player | null} */
  let player = null;
  /** @type {string | null} */
  let current = null;
  // for tests and the curious: the player on this page
  const state = { player: /** @type {Player | null} */ (null), file: "" };
  Object.assign(globalThis, { xenpv: state });

  /** @param {string} text */
  const status = (text) => $("status").textContent = text;

  /**
   * Plays `file` from `startAt` seconds.
   *
   * @param {string} file
   * @param {number} [startAt]
   */
  function play(file, startAt = 0) {
    player?.dispose();
    current = file;
    const url = "/api/guests/" + domid + "/recordings/" + encodeURIComponent(file);
    const limit = Number(idle.value);
    player = AsciinemaPlayer.create({ url, fetchOpts: { headers: auth } }, $("player"), {
      speed: Number(speed.value),
      idleTimeLimit: limit > 0 ? limit : undefined,
      autoPlay: true,
      startAt,
      fit: "both",
    });
    state.player = player;
    state.file = file;
    download.href = url;
    download.dataset.file = file;
    download.hidden = false;
    for (const li of $("recordings").children) {
      li.classList.toggle("current", /** @type {HTMLElement} */ (li).dataset.file === file);
    }
  }

  // the .cast, fetched with the credentials (a plain link would carry none), saved from memory
  download.addEventListener("click", async (event) => {
    event.preventDefault();
    const response = await fetch(download.href, { headers: auth, cache: "no-store" });
    if (!response.ok) return status("cannot download: the server said " + response.status);
    const blob = new Blob([await response.arrayBuffer()], { type: "application/x-asciicast" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = download.dataset.file ?? "recording.cast";
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
  });

  // a new speed or idle limit: the player again, from where it was
  for (const control of [speed, idle]) {
    control.addEventListener("change", () => {
      if (current !== null) play(current, player?.getCurrentTime() ?? 0);
    });
  }

  if (!Number.isInteger(domid) || location.hash.length < 2) {
    status("open this page from a guest's console (its Recordings link, in the same tab)");
    return;
  }
  $("back").setAttribute("href", "/#" + domid);
  try {
    const response = await fetch("/api/guests/" + domid + "/recordings", {
      cache: "no-store",
      headers: auth,
    });
    if (!response.ok) throw new Error("the server said " + response.status);
    /** @type {{ guest: string, recordings: RecordingInfo[] }} */
    const { guest, recordings } = await response.json();
    $("title").textContent = "Recordings of " + guest;
    $("recordings").replaceChildren(...recordings.map((r) => {
      const li = document.createElement("li");
      li.dataset.file = r.file;
      li.textContent = r.started.replace("T", " ").replace("Z", " UTC");
      li.title = r.file;
      li.addEventListener("click", () => play(r.file));
      return li;
    }));
    status(recordings.length + " recording(s)");
  } catch (err) {
    status("cannot list recordings: " + /** @type {Error} */ (err).message);
  }
}
