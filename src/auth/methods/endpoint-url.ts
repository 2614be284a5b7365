/**
 * URLs of endpoints an auth method calls (JWKS, OIDC discovery, the Kubernetes API). Keys
 * fetched over plain HTTP could be replaced in transit, which would let anyone log in, so
 * `https:` is required; `http:` is accepted only for loopback hosts (local development and
 * tests). Credentials in the URL and fragments are refused.
 */

import { z } from 'zod';

/** Longest accepted endpoint URL. */
export const MAX_URL_LENGTH = 2048;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether `hostname` (as `URL.hostname` gives it) is a loopback name or address. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** The parsed URL when `text` is an acceptable endpoint, else null. */
export function parseEndpointUrl(text: string): URL | null {
  if (text.length > MAX_URL_LENGTH) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') return null;
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  return null;
}

/** An endpoint URL field: trimmed, kept as written (issuers are compared byte for byte). */
export const endpointUrlSchema = z
  .string()
  .max(MAX_URL_LENGTH)
  .transform((s) => s.trim())
  .refine((s) => parseEndpointUrl(s) !== null, {
    message: 'must be an https URL (http only for loopback hosts), without credentials or a fragment',
  });

/** `base` with `suffix` appended to its path (`https://h/prefix` + `/apis/x` → `https://h/prefix/apis/x`). */
export function joinUrlPath(base: string, suffix: string): string {
  return `${base.replace(/\/+$/, '')}${suffix}`;
}
