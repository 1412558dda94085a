// Copyright 2026 the xenpv authors. MIT license.
// The server's secret: making one, comparing in constant time, and finding it
// in a request (query, bearer header or WebSocket subprotocol; no cookie), and
// the gate every request passes: Host allow-list, identity, WebSocket Origin.

import {
  type IdentityPolicy,
  normalAddress,
  roleOf,
  subprotocolToken,
  TOKEN_USER,
  USER_SYNTAX,
} from "./_identity.ts";
import type { Role } from "./types.ts";

/** Who a request is: its authenticated user and that user's role. */
export interface Identity {
  user: string;
  role: Role;
}

const encoder = new TextEncoder();

/** 32 random bytes as 64 hex digits. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What a token may be: printable ASCII without spaces, quotes, `;` or `,`. */
export const TOKEN_SYNTAX = /^[!#-+\--:<-~]{16,256}$/;

/**
 * Whether `given` is `secret`, in time that depends on neither: both are
 * hashed first, so the comparison is over 32 bytes whatever their lengths.
 */
export async function sameSecret(given: string, secret: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(secret)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/** Where a request carries the token. */
export interface Presented {
  /** The token presented, if any. */
  token: string | undefined;
  /** Whether it came in the URL (to be moved out of the address bar). */
  fromQuery: boolean;
}

/**
 * The token a request presents: `?token=`, then `Authorization: Bearer`, then
 * a WebSocket subprotocol (what the page's WebSockets carry it in). Never a
 * cookie: cookies are not isolated by port, so any other server on this host
 * would receive it (see docs/serve.md).
 */
export function presentedToken(request: Request, url: URL): Presented {
  const query = url.searchParams.get("token");
  if (query !== null) return { token: query, fromQuery: true };
  const auth = request.headers.get("authorization");
  const bearer = auth?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer !== undefined) return { token: bearer, fromQuery: false };
  const offered = subprotocolToken(request.headers.get("sec-websocket-protocol"));
  return { token: offered, fromQuery: false };
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** A request admitted: who it is, and whether its token came in the URL. */
export interface Admission {
  identity: Identity;
  /** The token, when it came in the URL (`/?token=` is moved into the page's fragment). */
  queryToken: string | undefined;
}

/** A request refused: the status and the one line that says why. */
export interface Refusal {
  status: 401 | 403;
  message: string;
}

/** What the gate knows. */
export interface GateOptions {
  /** The server's token. */
  token: string;
  /** The server speaks HTTPS (the Origin is `https:`). */
  secure: boolean;
  /** Who is trusted to name users, and who may type. */
  policy: IdentityPolicy;
  /** More origins the page may be opened from (a reverse proxy's public address). */
  origins?: readonly string[];
}

/**
 * The server's gate: the Host allow-list (against DNS rebinding), who a
 * request is (a trusted proxy's user header, or the token: query, bearer or
 * WebSocket subprotocol; never a cookie), and the WebSocket's Origin.
 * Built before the server listens; `listening()` gives it the bound port.
 */
export class Gate {
  #secret: string;
  #secure: boolean;
  #policy: IdentityPolicy;
  #origins: Set<string>;
  #allowedHosts: Set<string> | undefined;

  constructor(options: GateOptions) {
    this.#secret = options.token;
    this.#secure = options.secure;
    this.#policy = options.policy;
    this.#origins = new Set(options.origins ?? []);
  }

  /** The server listens on `hostname`, port `port`: the names its Host header may give. */
  listening(hostname: string, port: number): void {
    if (LOOPBACK.has(hostname)) {
      this.#allowedHosts = new Set(["127.0.0.1", "localhost", "[::1]"].map((h) => `${h}:${port}`));
    } else if (hostname !== "0.0.0.0" && hostname !== "::") {
      const name = hostname.includes(":") ? `[${hostname}]` : hostname;
      this.#allowedHosts = new Set([`${name}:${port}`.toLowerCase()]);
    }
  }

  /** Whether the Host header names this server (a DNS rebinding attack names another). */
  hostAllowed(host: string | null): boolean {
    return host !== null &&
      (this.#allowedHosts === undefined || this.#allowedHosts.has(host.toLowerCase()));
  }

  /**
   * Who `request` (from `peer`, an address without its port) is. From a
   * trusted proxy: the user its header names (none: 401). From anywhere else
   * a request carrying that header is refused (403: a forged identity, or a
   * proxy missing from the list); otherwise the token decides.
   */
  async admit(request: Request, url: URL, peer: string): Promise<Admission | Refusal> {
    const { authHeader, trustedProxies } = this.#policy;
    if (authHeader !== undefined) {
      const named = request.headers.get(authHeader);
      if (trustedProxies.has(normalAddress(peer))) {
        if (named === null || named === "") {
          return { status: 401, message: `401: the proxy named no user in ${authHeader}` };
        }
        if (!USER_SYNTAX.test(named)) {
          return { status: 403, message: `403: the proxy's ${authHeader} is not a user name` };
        }
        if (named === TOKEN_USER) {
          // the token's holder: an operator's role and the audit's name are not a proxy user's
          return {
            status: 403,
            message:
              `403: the proxy's ${authHeader} names "${TOKEN_USER}", the token holder's identity`,
          };
        }
        return { identity: this.#identity(named), queryToken: undefined };
      }
      if (named !== null) {
        return {
          status: 403,
          message: `403: ${authHeader} is trusted only from the proxies the server lists ` +
            "(--trusted-proxy)",
        };
      }
    }
    const { token, fromQuery } = presentedToken(request, url);
    if (token === undefined || !(await sameSecret(token, this.#secret))) {
      return {
        status: 401,
        message: "401: open the address printed at the server's start (it ends in #token=...)",
      };
    }
    return { identity: this.#identity(TOKEN_USER), queryToken: fromQuery ? token : undefined };
  }

  #identity(user: string): Identity {
    return { user, role: roleOf(this.#policy, user) };
  }

  /**
   * Whether a WebSocket request comes from the page's own origin (`host` as
   * the request named it), or from one of the listed public origins.
   */
  sameOrigin(request: Request, host: string): boolean {
    const origin = request.headers.get("origin");
    return origin !== null &&
      (origin === `${this.#secure ? "https" : "http"}://${host}` || this.#origins.has(origin));
  }
}

/**
 * The host part of the server's address as printed: 127.0.0.1 (or [::1])
 * for loopback and wildcard listeners, else `hostname` (bracketed if IPv6).
 */
export function shownHost(hostname: string): string {
  if (LOOPBACK.has(hostname) || hostname === "0.0.0.0" || hostname === "::") {
    return hostname === "::1" ? "[::1]" : "127.0.0.1";
  }
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
