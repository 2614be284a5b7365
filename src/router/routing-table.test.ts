import { describe, expect, it } from 'vitest';
import type { Engine } from '../core/index.js';
import { createRoutingTable } from './routing-table.js';
import { mountsOverlap, normalizeMountPath } from './mount-path.js';

const engine = (type: string): Engine => ({ type, actions: [], handle: async () => ({}) });
const route = (path: string) => ({ mount: { path, id: `id-${path}`, type: 'kv' }, engine: engine(path) });

describe('routing table', () => {
  const table = createRoutingTable([route(''), route('aws/'), route('aws/prod/'), route('transit/')]);

  it('routes by longest prefix at segment boundaries', () => {
    expect(table.match('aws/prod/db')).toMatchObject({ mount: { path: 'aws/prod/' }, relativePath: 'db' });
    expect(table.match('aws/dev/db')).toMatchObject({ mount: { path: 'aws/' }, relativePath: 'dev/db' });
    expect(table.match('awsx/db')).toMatchObject({ mount: { path: '' }, relativePath: 'awsx/db' });
    expect(table.match('transit/keys/k')).toMatchObject({ mount: { path: 'transit/' }, relativePath: 'keys/k' });
  });

  it('sends everything else to the default route and a bare mount name to its root', () => {
    expect(table.match('database/postgres')).toMatchObject({ mount: { path: '' }, relativePath: 'database/postgres' });
    expect(table.match('transit')).toMatchObject({ mount: { path: 'transit/' }, relativePath: '' });
    expect(table.match('')).toMatchObject({ mount: { path: '' }, relativePath: '' });
  });

  it('answers null without a default route', () => {
    const noDefault = createRoutingTable([route('kv/')]);
    expect(noDefault.match('other/x')).toBeNull();
    expect(noDefault.match('')).toBeNull();
    expect(noDefault.match('kv/x')).toMatchObject({ relativePath: 'x' });
  });

  it('gives a repeated path the same frozen match, and stays right past the memo size', () => {
    const table = createRoutingTable([route(''), route('kv/'), route('kv/team/')]);
    const first = table.match('kv/team/app');
    expect(first).toMatchObject({ mount: { path: 'kv/team/' }, relativePath: 'app' });
    expect(Object.isFrozen(first)).toBe(true);
    expect(table.match('kv/team/app')).toBe(first);
    // More distinct paths than the memo holds: every answer is still the longest prefix.
    for (let i = 0; i < 10_000; i++) {
      const path = i % 2 === 0 ? `kv/team/s${i}` : `kv/s${i}`;
      expect(table.match(path)).toMatchObject({ mount: { path: i % 2 === 0 ? 'kv/team/' : 'kv/' }, relativePath: `s${i}` });
    }
    expect(table.match('kv/team/app')).toEqual(first);
    expect(table.match('other/x')).toMatchObject({ mount: { path: '' }, relativePath: 'other/x' });
  });

  it('refuses duplicate and malformed mount paths', () => {
    expect(() => createRoutingTable([route('a/'), route('a/')])).toThrow(/duplicate/);
    expect(() => createRoutingTable([route('a')])).toThrow(/end in/);
  });
});

describe('mount paths', () => {
  it('normalises to a trailing slash and validates characters', () => {
    expect(normalizeMountPath('aws')).toBe('aws/');
    expect(normalizeMountPath('aws/prod/')).toBe('aws/prod/');
    expect(normalizeMountPath('')).toBe('');
    for (const bad of ['/aws', 'a//b', '../x', 'a/./b', 'a b', 'a*', '-x', 'x'.repeat(200), 'a/b/c/d/e/f/g/h/i']) {
      expect(() => normalizeMountPath(bad), bad).toThrow(/invalid mount path/);
    }
  });

  it('detects nesting but never counts the default route as overlapping', () => {
    expect(mountsOverlap('a/', 'a/b/')).toBe(true);
    expect(mountsOverlap('a/', 'ab/')).toBe(false);
    expect(mountsOverlap('', 'a/')).toBe(false);
  });
});
