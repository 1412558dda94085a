// Copyright 2026 the xenpv authors. MIT license.
// A ConsoleSession on a fresh simulated guest, for the session tests that
// need nothing else of the host: disposed with `await using`.
import { connect, SimulatedHost } from "../../mod.ts";
import { ConsoleSession } from "../../xencons/mod.ts";

/** The simulated guests' dialects, which are also their program names. */
export type Flavour = "windows" | "linux";

/** The simulated guests' administrator accounts. */
export const ADMIN: Record<Flavour, { user: string; password: string }> = {
  windows: { user: "Administrator", password: "xenpv" },
  linux: { user: "root", password: "xenpv" },
};

/** A session on a new simulated guest "g1"; logged in as {@linkcode ADMIN} with `login`. */
export async function simulatedSession(
  flavour: Flavour,
  options: { login?: boolean } = {},
): Promise<{ session: ConsoleSession } & AsyncDisposable> {
  const host = new SimulatedHost();
  try {
    await host.createGuest({ name: "g1", program: flavour });
    const session = new ConsoleSession(await connect("g1", { host }), {
      dialect: flavour,
      ownsConsole: true,
      timeout: 5000,
    });
    const env = {
      session,
      async [Symbol.asyncDispose]() {
        await session.close();
        await host.close();
      },
    };
    if (options.login) {
      await session.login(ADMIN[flavour]).catch(async (err) => {
        await env[Symbol.asyncDispose]();
        throw err;
      });
    }
    return env;
  } catch (err) {
    await host.close();
    throw err;
  }
}
