import { ValidationError } from '../core/index.js';

/** Upper bounds on mount paths: short, few segments, plain characters (they appear in URLs, policies and metrics). */
export const MAX_MOUNT_PATH_LENGTH = 128;
export const MAX_MOUNT_SEGMENTS = 8;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Normalises a user-supplied mount path to its canonical form (`""`, or segments ending in
 * `/`): one trailing slash is added if missing. Throws `ValidationError` (field `path`) for
 * anything else: leading or doubled slashes, dot segments, characters outside
 * `[A-Za-z0-9_.-]`, too many segments, or too long.
 */
export function normalizeMountPath(input: string, field = 'path'): string {
  if (input === '' || input === '/') return '';
  const trimmed = input.endsWith('/') ? input.slice(0, -1) : input;
  const fail = (reason: string): never => {
    throw new ValidationError(`invalid mount path: ${reason}`, [{ field, reason }]);
  };
  if (trimmed.length > MAX_MOUNT_PATH_LENGTH) fail(`must be at most ${MAX_MOUNT_PATH_LENGTH} characters`);
  const segments = trimmed.split('/');
  if (segments.length > MAX_MOUNT_SEGMENTS) fail(`must have at most ${MAX_MOUNT_SEGMENTS} segments`);
  for (const segment of segments) {
    if (segment === '..' || segment === '.') fail('dot segments are not allowed');
    if (!SEGMENT.test(segment)) fail('each segment must start with a letter or digit and contain only letters, digits, "_", "." and "-"');
  }
  return `${trimmed}/`;
}

/**
 * True when two non-default mount paths overlap (one is a prefix of the other). The
 * default route `""` overlaps nothing: it is the fallback by design.
 */
export function mountsOverlap(a: string, b: string): boolean {
  if (a === '' || b === '') return false;
  return a.startsWith(b) || b.startsWith(a);
}
