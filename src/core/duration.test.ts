import { describe, expect, it } from 'vitest';
import { MAX_DURATION_MS, durationSchema, formatDuration, parseDuration } from './duration.js';

describe('durations', () => {
  it('parses Go-style durations', () => {
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2m3s4ms')).toBe(123_004);
    expect(parseDuration('876000h')).toBe(MAX_DURATION_MS);
  });

  it('refuses anything else', () => {
    for (const text of ['', '1', '-1s', '1.5h', '1 h', '1d', 'h', '1hm', 's1', '876001h', `${'1s'.repeat(17)}`, '1H']) {
      expect(parseDuration(text)).toBeNull();
    }
  });

  it('formats canonically', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(60_500)).toBe('1m500ms');
    expect(durationSchema.parse('90m')).toBe('1h30m');
  });
});
