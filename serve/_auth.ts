// Copyright 2026 the xenpv authors. MIT license.
// The server's secret: making one, comparing in constant time, and finding it
// in a request (query, cookie or bearer header), and the gate every request
// passes: Host allow-list, token, cookie, WebSocket Origin.

const encoder = new TextEncoder();

/** 32 random bytes as 64 hex digits. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What a token may be: printable ASCII without spaces, quotes, `;` or `,` (cookie-safe). */
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

/** A cookie's value from a `Cookie` header, or undefined. */
export function cookieValue(header: string | null, name: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Where a request carries the token. */
export interface Presented {
  /** The token presented, if any. */
  token: string | undefined;
  /** Whether it came in the URL (to be moved into the cookie). */
  fromQuery: boolean;
}

/** The token a request presents: `?token=`, then the cookie, then `Authorization: Bearer`. */
export function presentedToken(request: Request, url: URL, cookie: string): Presented {
  const query = url.searchParams.get("token");
  if (query !== null) return { token: query, fromQuery: true };
  const fromCookie = cookieValue(request.headers.get("cookie"), cookie);
  if (fromCookie !== undefined) return { token: fromCookie, fromQuery: false };
  const auth = request.headers.get("authorization");
  const bearer = auth?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return { token: bearer, fromQuery: false };
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * The server's gate: the Host allow-list (against DNS rebinding), the token
 * (query, cookie or bearer; the cookie named after the port), the
 * WebSocket's Origin, and the redirect that moves a `?token=` into the cookie.
 * Built before the server listens; `listening()` gives it the bound port.
 */
export class Gate {
  #secret: string;
  #secure: boolean;
  #cookie = "";
  #allowedHosts: Set<string> | undefined;

  /** `secure`: the server speaks HTTPS (the cookie is `Secure`, the Origin `https:`). */
  constructor(secret: string, secure: boolean) {
    this.#secret = secret;
    this.#secure = secure;
  }

  /** The server listens on `hostname`, port `port`: the names its Host header may give. */
  listening(hostname: string, port: number): void {
    this.#cookie = `xenpv-${port}`;
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

  /** The token `request` presents and where, if it is the secret; undefined if none or another. */
  async admitted(
    request: Request,
    url: URL,
  ): Promise<{ token: string; fromQuery: boolean } | undefined> {
    const { token, fromQuery } = presentedToken(request, url, this.#cookie);
    if (token === undefined || !(await sameSecret(token, this.#secret))) return undefined;
    return { token, fromQuery };
  }

  /** The `Set-Cookie` value that keeps `token` for the page (HttpOnly, SameSite=Strict). */
  cookieFor(token: string): string {
    const secure = this.#secure ? "; Secure" : "";
    return `${this.#cookie}=${token}; Path=/; HttpOnly; SameSite=Strict${secure}`;
  }

  /** Whether a WebSocket request comes from the page's own origin (`host` as the request named it). */
  sameOrigin(request: Request, host: string): boolean {
    return request.headers.get("origin") === `${this.#secure ? "https" : "http"}://${host}`;
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
