/**
 * Endpoint URLs in options: a cloud endpoint (AWS) or a vault URL (Azure) is an origin,
 * `scheme://host[:port]` and nothing else, and plaintext only ever reaches a loopback
 * emulator.
 */

import { z } from 'zod';

/**
 * Whether `host` is a loopback host, the only kind for which plaintext (http, or gRPC
 * without TLS) is accepted: a local emulator. Takes a host as `URL.hostname` gives it
 * (`[::1]`) or bare (`::1`).
 */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host);
}

/**
 * The canonical origin of `text` (`scheme://host[:port]`, lower-case host, no trailing
 * slash), or null when it is not acceptable: not a URL, credentials, a path, a query or a
 * fragment, or a scheme other than https (http only where `allowHttp(hostname)`).
 */
export function canonicalOrigin(text: string, allowHttp: (hostname: string) => boolean = () => false): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return null;
  if (url.pathname !== '/' && url.pathname !== '') return null;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowHttp(url.hostname))) return null;
  return url.origin;
}

/** A string option holding an origin: at most 512 characters, trimmed, then `canonical` or refused with `message`. */
export function originSchema(canonical: (text: string) => string | null, message: string) {
  return z
    .string()
    .max(512)
    .transform((text, ctx) => {
      const origin = canonical(text.trim());
      if (origin === null) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return origin;
    });
}
