// Copyright 2026 the xenpv authors. MIT license.
// The server's secret: making one, comparing in constant time, and finding it
// in a request (query, cookie or bearer header).

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
