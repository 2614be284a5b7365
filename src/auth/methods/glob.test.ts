import { describe, expect, it } from 'vitest';
import { MAX_GLOB_INPUT, globMatch, isGlob } from './glob.js';

describe('globMatch', () => {
  it('matches literals exactly', () => {
    expect(globMatch('abc', 'abc')).toBe(true);
    expect(globMatch('abc', 'abcd')).toBe(false);
    expect(globMatch('abc', 'ab')).toBe(false);
    expect(globMatch('', '')).toBe(true);
    expect(globMatch('', 'a')).toBe(false);
  });

  it('treats * as any run of characters, anywhere', () => {
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('*', 'anything at all')).toBe(true);
    expect(globMatch('team-*', 'team-a')).toBe(true);
    expect(globMatch('team-*', 'team-')).toBe(true);
    expect(globMatch('team-*', 'xteam-a')).toBe(false);
    expect(globMatch('*-prod', 'api-prod')).toBe(true);
    expect(globMatch('*-prod', 'api-prod-2')).toBe(false);
    expect(globMatch('repo:org/*:ref:refs/heads/main', 'repo:org/app:ref:refs/heads/main')).toBe(true);
    expect(globMatch('repo:org/*:ref:refs/heads/main', 'repo:org/app:ref:refs/heads/dev')).toBe(false);
    expect(globMatch('a*b*c', 'aXXbYYc')).toBe(true);
    expect(globMatch('a*b*c', 'aXXcYYb')).toBe(false);
    expect(globMatch('**a**', 'xxaxx')).toBe(true);
  });

  it('gives no meaning to regex or shell metacharacters other than *', () => {
    expect(globMatch('a.c', 'abc')).toBe(false);
    expect(globMatch('a?c', 'abc')).toBe(false);
    expect(globMatch('[ab]', 'a')).toBe(false);
    expect(globMatch('(.*)', '(.*)')).toBe(true);
  });

  it('refuses over-long inputs and stays fast on adversarial patterns', () => {
    expect(globMatch('*', 'x'.repeat(MAX_GLOB_INPUT + 1))).toBe(false);
    expect(globMatch('*'.repeat(MAX_GLOB_INPUT + 1), 'x')).toBe(false);
    const pattern = `${'*a'.repeat(400)}b`;
    const value = 'a'.repeat(MAX_GLOB_INPUT);
    const started = performance.now();
    expect(globMatch(pattern, value)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('says whether a pattern is a glob', () => {
    expect(isGlob('a*')).toBe(true);
    expect(isGlob('a')).toBe(false);
  });
});
