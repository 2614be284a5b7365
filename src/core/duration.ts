/**
 * Go-style durations (`1h30m`, `45s`, `500ms`, `0s`), parsed with a strict, bounded regex
 * rather than a general parser: only the units a secret's lifetime needs, no signs, no
 * fractions, no spaces.
 */

import { z } from 'zod';

/** Longest accepted duration text. */
export const MAX_DURATION_TEXT = 32;

/** Largest accepted duration: 100 years of 365 days, far beyond any sane version lifetime. */
export const MAX_DURATION_MS = 876_000 * 3_600_000;

const WHOLE = /^(?:0|(?:[0-9]{1,9}(?:h|ms|m|s))+)$/;
const PART = /([0-9]{1,9})(h|ms|m|s)/g;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** Milliseconds of a duration text, or null when it is malformed, too long or too large. */
export function parseDuration(text: string): number | null {
  if (text.length > MAX_DURATION_TEXT || !WHOLE.test(text)) return null;
  let total = 0;
  for (const [, digits, unit] of text.matchAll(PART)) {
    total += Number(digits) * (UNIT_MS[unit ?? ''] ?? 0);
  }
  return total <= MAX_DURATION_MS ? total : null;
}

/** The canonical text of a duration: `1h30m`, `45s`, `1m500ms`; `0s` for zero. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1_000);
  const millis = ms % 1_000;
  let out = '';
  if (hours > 0) out += `${hours}h`;
  if (minutes > 0) out += `${minutes}m`;
  if (seconds > 0) out += `${seconds}s`;
  if (millis > 0) out += `${millis}ms`;
  return out;
}

const DURATION_REASON = `must be a duration such as "30s", "1h30m", "500ms" or "0s" (units h, m, s, ms; at most 876000h)`;

/** A duration field: text in, canonical text out (`90m` becomes `1h30m`). */
export const durationSchema = z
  .string()
  .max(MAX_DURATION_TEXT)
  .describe('A duration: digits followed by h, m, s or ms, e.g. "1h30m" or "45s"; "0s" disables.')
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: DURATION_REASON });
      return z.NEVER;
    }
    return formatDuration(ms);
  });

/**
 * A time-to-live as Vault takes it: a whole number of seconds, or a duration text
 * (`"768h"`, `"30m"`). Output: milliseconds. Bounded like `parseDuration`.
 */
export const ttlSchema = z
  .union([z.int().min(0).max(MAX_DURATION_MS / 1000), z.string().max(MAX_DURATION_TEXT)])
  .describe('Seconds, or a duration such as "1h" or "30m".')
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? value * 1000 : /^[0-9]{1,12}$/.test(value) ? Number(value) * 1000 : parseDuration(value);
    if (ms === null || ms > MAX_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: DURATION_REASON });
      return z.NEVER;
    }
    return ms;
  });
