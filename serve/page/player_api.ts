// Copyright 2026 the xenpv authors. MIT license.
/// <reference lib="dom" />
// The little of asciinema-player (vendored in serve/_player.ts, served at
// /static/asciinema-player.min.js: a classic script defining the global
// `AsciinemaPlayer`) that the replay page's script uses: types only, for
// replay_page.js's type check.

/** The options the replay page creates a player with. */
export interface PlayerOptions {
  /** Playback speed: 2 plays twice as fast. */
  speed: number;
  /** Pauses longer than this many seconds are shortened to it. */
  idleTimeLimit?: number;
  /** Starts playing once loaded. */
  autoPlay: boolean;
  /** Where to start, in seconds. */
  startAt?: number;
  /** How the terminal fits its element. */
  fit: "width" | "height" | "both" | false;
  /** The terminal's font size. */
  terminalFontSize?: string;
}

/** A player on the page. */
export interface Player {
  /** Where playback is, in seconds. */
  getCurrentTime(): number;
  /** How long the recording is, in seconds (once loaded). */
  getDuration(): number | undefined;
  /** Removes the player from the page. */
  dispose(): void;
  /** Calls `listener` on `"play"`, `"pause"`, `"ended"`. */
  addEventListener(event: string, listener: () => void): void;
}

/** The global the bundle defines. */
export interface AsciinemaPlayerModule {
  /** Creates a player in `element` playing the recording at `url`, fetched with `fetchOpts`. */
  create(
    source: { url: string; fetchOpts?: RequestInit },
    element: HTMLElement,
    options: PlayerOptions,
  ): Player;
}
