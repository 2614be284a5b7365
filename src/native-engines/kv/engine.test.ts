import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { describeEngine, instantiateEngine, nativeEngines } from '../index.js';
import { backendRequest, createTestRuntime } from '../test-support.js';
import { kvEngine } from './engine.js';

describe('kv: definition', () => {
  it('is registered as kv, with its actions', () => {
    expect(nativeEngines.kv).toBe(kvEngine);
    expect(kvEngine.type).toBe('kv');
    expect(kvEngine.actions).toEqual(['rotate', 'undelete', 'destroy']);
  });

  it('validates mount options, naming each bad field', () => {
    const mount = (options: unknown) => instantiateEngine(kvEngine, { storage: createMemoryStorage(), runtime: createTestRuntime(), options });
    expect(() => mount(undefined)).not.toThrow();
    expect(() => mount({ max_versions: 1000, cas_required: true, delete_version_after: '24h' })).not.toThrow();
    let caught: unknown;
    try {
      mount({ max_versions: 0, cas_required: 'yes', delete_version_after: '1 day', other: 1 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect(caught).toMatchObject({
      details: [
        { field: 'options.other', reason: 'is not a known field' },
        { field: 'options.max_versions', reason: 'must be at least 1' },
        { field: 'options.cas_required', reason: 'must be a boolean' },
        { field: 'options.delete_version_after' },
      ],
    });
  });

  it('describes all thirteen operations on {path} for OpenAPI', () => {
    const described = describeEngine(kvEngine);
    expect(described.map((d) => d.operation)).toEqual([
      'read',
      'list',
      'create',
      'update',
      'patch',
      'delete',
      'undelete',
      'destroy',
      'rotate',
      'read-metadata',
      'write-metadata',
      'patch-metadata',
      'delete-metadata',
    ]);
    for (const d of described) {
      expect(d.pattern).toBe('{path}');
      expect(d.pathParams).toEqual(['path']);
      expect(d.matchesRoot).toBe(true);
    }
    const read = described[0];
    expect(read?.sensitive).toEqual(['*']);
    expect(read?.query).toMatchObject({ properties: { version: { type: 'string' } } });
    expect(read?.response).toMatchObject({ type: 'object', sensitive: true });
    const update = described.find((d) => d.operation === 'update');
    expect(update?.body).toMatchObject({ type: 'object', additionalProperties: {} });
    expect(update?.query).toMatchObject({ properties: { cas: { type: 'string' } } });
    const undelete = described.find((d) => d.operation === 'undelete');
    expect(undelete?.body).toMatchObject({ required: ['versions'], properties: { versions: { type: 'array', maxItems: 100 } } });
    expect(described.find((d) => d.operation === 'read-metadata')?.response).toMatchObject({
      properties: { current_version: { type: 'integer' } },
    });
  });

  it('serves help for any path', async () => {
    const engine = instantiateEngine(kvEngine, { storage: createMemoryStorage(), runtime: createTestRuntime(), options: {} });
    const help = await engine.help?.(backendRequest('read', 'app/db'));
    expect(help?.data).toMatchObject({
      synopsis: 'Versioned key-value secrets.',
      pattern: '{path*}',
      operations: {
        read: { fields: { version: { in: 'query', required: false } } },
        update: { fields: { cas: { in: 'query' }, '*': { in: 'body', sensitive: true } } },
        'write-metadata': { fields: { max_versions: { in: 'body', type: 'integer' } } },
      },
    });
  });
});
