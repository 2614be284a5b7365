/**
 * Logical path canonicalisation. A path is decoded exactly once; anything that could mean
 * two different things to two layers (dot segments, encoded slashes, NUL, control
 * characters, empty segments) is refused, never normalised.
 */

import { GatewayError } from './errors.js';
import { utf8ByteLength } from './bytes.js';

/** Default bound on a logical path, in UTF-8 bytes after decoding. */
export const DEFAULT_MAX_PATH_BYTES = 512;

export interface CanonicalPath {
  /** Decoded segments joined by `/`; no leading or trailing slash; `""` for the root. */
  path: string;
  /** The request ended in `/` (a folder, as in `GET /api/v1/secrets/app/?list=true`). */
  trailingSlash: boolean;
}

// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A path that needs no decoding and breaks no rule but dot segments: segments of characters
 * other than `/`, `%`, `\` and controls, one `/` between them. Most request paths are such.
 */
// eslint-disable-next-line no-control-regex -- the controls are what it excludes
const PLAIN_PATH = /^[^/%\\\u0000-\u001f\u007f-\u009f]+(?:\/[^/%\\\u0000-\u001f\u007f-\u009f]+)*$/;
/** A `.` or `..` segment in a path with no escapes. */
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;

/**
 * Canonicalises a raw, still percent-encoded path (what follows `/api/v1/secrets/`).
 * Throws `ERR_PATH_TOO_LONG` past `maxBytes` and `ERR_PATH_INVALID` for dot segments,
 * encoded `/` or `\`, malformed escapes, NUL or other control characters, and empty segments.
 */
export function canonicalizePath(raw: string, maxBytes = DEFAULT_MAX_PATH_BYTES): CanonicalPath {
  // A raw path can be at most 3 bytes per decoded byte; refuse long ones before any work.
  if (raw.length > maxBytes * 3) throw tooLong(maxBytes);
  if (raw === '') return { path: '', trailingSlash: false };
  const trailingSlash = raw.endsWith('/');
  const body = trailingSlash ? raw.slice(0, -1) : raw;
  if (body === '') throw invalid('the path must not start with "/"');
  // The common case in one pass: nothing to decode, so the path is the body itself. A UTF-16
  // unit is at most 3 UTF-8 bytes, so a body of at most maxBytes / 3 units needs no count.
  if (PLAIN_PATH.test(body) && !DOT_SEGMENT.test(body)) {
    if (body.length * 3 > maxBytes && utf8ByteLength(body) > maxBytes) throw tooLong(maxBytes);
    return { path: body, trailingSlash };
  }
  const segments: string[] = [];
  for (const rawSegment of body.split('/')) {
    if (rawSegment === '') throw invalid('empty path segments ("//") are not allowed');
    let segment = rawSegment;
    if (rawSegment.includes('%')) {
      try {
        segment = decodeURIComponent(rawSegment);
      } catch {
        throw invalid('the path contains a malformed percent-escape');
      }
    }
    checkSegment(segment);
    segments.push(segment);
  }
  const path = segments.join('/');
  if (utf8ByteLength(path) > maxBytes) throw tooLong(maxBytes);
  return { path, trailingSlash };
}

/**
 * True when a raw request path has a `.` or `..` segment, plain or percent-encoded. The
 * gateway refuses such requests before routing: URL parsers resolve them, so the route a
 * framework matched is not the path the client sent.
 */
export function hasDotSegment(rawPath: string): boolean {
  // Most paths have neither a dot nor an escape: no split for them.
  if (!rawPath.includes('.') && !rawPath.includes('%')) return false;
  for (const segment of rawPath.split('/')) {
    // A dot segment is at most "%2e%2e", and starts with "." or "%".
    if (segment.length > 6 || segment === '' || (segment[0] !== '.' && segment[0] !== '%')) continue;
    const decoded = segment.replace(/%2e/gi, '.');
    if (decoded === '.' || decoded === '..') return true;
  }
  return false;
}

/**
 * Checks an already-decoded logical path (from config, a request body, or a backend):
 * the same rules as `canonicalizePath`, without decoding. Returns it unchanged.
 */
export function assertLogicalPath(path: string, maxBytes = DEFAULT_MAX_PATH_BYTES): string {
  if (path === '') return path;
  if (utf8ByteLength(path) > maxBytes) throw tooLong(maxBytes);
  for (const segment of path.split('/')) {
    if (segment === '') throw invalid('empty path segments are not allowed');
    checkSegment(segment);
  }
  return path;
}

function checkSegment(segment: string): void {
  if (segment === '.' || segment === '..') throw invalid('"." and ".." path segments are not allowed');
  if (segment.includes('/')) throw invalid('encoded "/" (%2F) is not allowed in a path segment');
  if (segment.includes('\\')) throw invalid('"\\" is not allowed in a path');
  if (CONTROL.test(segment)) throw invalid('control characters (including NUL) are not allowed in a path');
}

function invalid(reason: string): GatewayError {
  return new GatewayError('ERR_PATH_INVALID', `invalid path: ${reason}`);
}

function tooLong(maxBytes: number): GatewayError {
  return new GatewayError('ERR_PATH_TOO_LONG', `path exceeds the limit of ${maxBytes} bytes`);
}
