// Copyright 2026 the xenpv authors. MIT license.
/// <reference lib="dom" />
// The little of xterm.js (vendored in serve/_xterm.ts, served at
// /static/xterm.mjs and /static/addon-fit.mjs) that the page's script uses:
// types only, for console_page.js's type check.

/** The options the page creates its terminal with. */
export interface TerminalOptions {
  /** Lines kept above the screen. */
  scrollback: number;
  /** Whether the cursor blinks. */
  cursorBlink: boolean;
  /** Whether a line feed also returns the carriage (no: the guest sends CR LF). */
  convertEol: boolean;
  /** What a click on a link a guest printed (OSC 8) does, instead of xterm.js's default. */
  linkHandler: LinkHandler;
}

/** xterm.js's `ILinkHandler`: the page's, for the links guests print (OSC 8 hyperlinks). */
export interface LinkHandler {
  /** Called with the link's address when it is clicked. */
  activate(event: MouseEvent, uri: string): void;
  /** Whether links other than http(s) are offered at all (no). */
  allowNonHttpProtocols: boolean;
}

/** xterm.js's `Terminal`, as far as the page uses it. */
export interface Terminal {
  /** Adds an addon (the fit addon). */
  loadAddon(addon: FitAddon): void;
  /** Renders the terminal into `parent`. */
  open(parent: HTMLElement): void;
  /** Clears the screen, the scrollback and the modes. */
  reset(): void;
  /** Writes guest output (raw bytes: the terminal decodes UTF-8). */
  write(data: Uint8Array): void;
  /** Gives the terminal the keyboard focus. */
  focus(): void;
  /** Calls `listener` with what the user types. */
  onData(listener: (data: string) => void): unknown;
  /** Calls `listener` with the terminal's new size (after a fit). */
  onResize(listener: (size: { cols: number; rows: number }) => void): unknown;
  /** Its columns. */
  readonly cols: number;
  /** Its rows. */
  readonly rows: number;
}

/** @xterm/addon-fit's `FitAddon`: sizes the terminal to its element. */
export interface FitAddon {
  /** Resizes the terminal to fill its element. */
  fit(): void;
}

/** The modules the page's script is given (imported by the served script's first lines). */
export interface XtermModules {
  /** `Terminal` from /static/xterm.mjs. */
  Terminal: new (options: TerminalOptions) => Terminal;
  /** `FitAddon` from /static/addon-fit.mjs. */
  FitAddon: new () => FitAddon;
}
