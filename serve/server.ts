// Copyright 2026 the xenpv authors. MIT license.

/** Options for {@linkcode serveConsoles} (work in progress). */
export interface ServeConsolesOptions {
  /** Address to listen on. Default "127.0.0.1". */
  hostname?: string;
  /** Port; 0 picks a free one. */
  port?: number;
}

/** A running console server (work in progress). */
export interface ConsoleServer extends AsyncDisposable {
  /** The page's URL. */
  readonly url: string;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Serves every guest's console (skeleton). */
export function serveConsoles(_options: ServeConsolesOptions = {}): Promise<ConsoleServer> {
  return Promise.reject(new TypeError("not implemented yet"));
}
