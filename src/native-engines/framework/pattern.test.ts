import { describe, expect, it } from 'vitest';
import { compilePattern, matchPattern, matchesRoot, openApiTemplate, patternParams } from './pattern.js';

const match = (pattern: string, path: string) => matchPattern(compilePattern(pattern), path);

describe('path patterns', () => {
  it('matches literal segments exactly', () => {
    expect(match('config', 'config')).toEqual({});
    expect(match('config/urls', 'config/urls')).toEqual({});
    expect(match('config', 'config/x')).toBeNull();
    expect(match('config', 'conf')).toBeNull();
    expect(match('config', '')).toBeNull();
  });

  it('matches {name} against exactly one segment', () => {
    expect(match('keys/{name}', 'keys/a')).toEqual({ name: 'a' });
    expect(match('keys/{name}', 'keys')).toBeNull();
    expect(match('keys/{name}', 'keys/a/b')).toBeNull();
    expect(match('{a}/{b}', 'x/y')).toEqual({ a: 'x', b: 'y' });
  });

  it('matches a final {name+} against one or more segments', () => {
    expect(match('files/{rest+}', 'files/a')).toEqual({ rest: 'a' });
    expect(match('files/{rest+}', 'files/a/b/c')).toEqual({ rest: 'a/b/c' });
    expect(match('files/{rest+}', 'files')).toBeNull();
  });

  it('matches a final {name*} against zero or more segments, including the mount root', () => {
    expect(match('{path*}', '')).toEqual({ path: '' });
    expect(match('{path*}', 'a/b')).toEqual({ path: 'a/b' });
    expect(match('tree/{path*}', 'tree')).toEqual({ path: '' });
    expect(match('tree/{path*}', 'tree/x/y')).toEqual({ path: 'x/y' });
    expect(match('tree/{path*}', 'other')).toBeNull();
  });

  it('matches the empty pattern only at the mount root', () => {
    expect(match('', '')).toEqual({});
    expect(match('', 'a')).toBeNull();
  });

  it('refuses malformed patterns when compiled', () => {
    expect(() => compilePattern('a//b')).toThrow(TypeError);
    expect(() => compilePattern('{rest+}/x')).toThrow(/last segment/);
    expect(() => compilePattern('{a}/{a}')).toThrow(/repeats/);
    expect(() => compilePattern('{Bad-Name}')).toThrow(/bad parameter name/);
    expect(() => compilePattern('x{y}')).toThrow(/malformed/);
  });

  it('renders OpenAPI templates and parameter lists', () => {
    expect(openApiTemplate(compilePattern('{path*}'))).toBe('{path}');
    expect(openApiTemplate(compilePattern('files/{rest+}'))).toBe('files/{rest}');
    expect(openApiTemplate(compilePattern('keys/{name}/rotate'))).toBe('keys/{name}/rotate');
    expect(patternParams(compilePattern('keys/{name}/{rest*}'))).toEqual(['name', 'rest']);
    expect(matchesRoot(compilePattern('{path*}'))).toBe(true);
    expect(matchesRoot(compilePattern('{path+}'))).toBe(false);
  });
});
