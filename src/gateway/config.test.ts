import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

const issuesOf = (raw: unknown) => {
  try {
    parseConfig(raw, 'test.yaml');
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
};

describe('configuration', () => {
  it('fills the embedded default', () => {
    const config = parseConfig({}, 'defaults');
    expect(config).toMatchObject({
      listen: '127.0.0.1:8080',
      data_dir: '.keygate',
      storage: { type: 'sqlite' },
      seal: [{ type: 'dev-key-file', disabled: false }],
      multi_seal: { required: 1, unwrap_timeout: '15s' },
      keyring: { max_encryptions: 3_865_470_566 },
      mounts: [{ path: '', type: 'kv' }, { path: 'transit/', type: 'transit' }],
      limits: { max_body_bytes: 1048576, max_json_depth: 32, max_path_bytes: 512 },
      log: { level: 'info', access: true },
    });
  });

  it('names every bad field and never echoes values', () => {
    const issues = issuesOf({ listen: 'SECRET-VALUE', limits: { max_body_bytes: 'lots' }, colour: 'blue', storage: { type: 'mongo' }, mounts: [{ path: 'a', type: 'kv', extra: 1 }] });
    const fields = issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['listen', 'limits.max_body_bytes', 'storage.type', 'mounts.0.extra', 'colour']));
    expect(issues.find((i) => i.field === 'colour')?.reason).toBe('is not a known field');
    expect(JSON.stringify(issues)).not.toContain('SECRET-VALUE');
  });

  it('normalises mount paths and refuses bad or duplicate ones', () => {
    expect(parseConfig({ mounts: [{ path: 'team', type: 'kv' }] }, 't').mounts[0]?.path).toBe('team/');
    expect(issuesOf({ mounts: [{ path: '../x', type: 'kv' }] })[0]?.field).toBe('mounts.0.path');
    expect(issuesOf({ mounts: [{ path: 'a', type: 'kv' }, { path: 'a/', type: 'kv' }] })[0]).toMatchObject({ field: 'mounts.1.path', reason: 'duplicate mount path' });
  });

  it('validates mount types and options with the engine’s own schema', () => {
    expect(issuesOf({ mounts: [{ path: '', type: 'nope' }] })[0]?.field).toBe('mounts.0.type');
    expect(issuesOf({ mounts: [{ path: '', type: 'kv', options: { max_versions: 0 } }] })[0]?.field).toBe('mounts.0.options.max_versions');
    expect(issuesOf({ mounts: [{ path: '', type: 'kv', options: { max_version: 3 } }] })[0]?.field).toBe('mounts.0.options.max_version');
  });

  it('checks listen addresses', () => {
    expect(parseConfig({ listen: '[::1]:0' }, 't').listen).toBe('[::1]:0');
    expect(issuesOf({ listen: 'localhost:99999' })[0]?.field).toBe('listen');
    expect(issuesOf({ listen: 'localhost' })[0]?.field).toBe('listen');
  });
});
