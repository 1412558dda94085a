// Copyright 2026 the xenpv authors. MIT license.

/**
 * Every guest's console in the browser: a dom0 console server.
 *
 * @module
 */

export { type ConsoleServer, serveConsoles, type ServeConsolesOptions } from "./server.ts";
