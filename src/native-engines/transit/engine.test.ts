import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { describeEngine, instantiateEngine, nativeEngines } from '../index.js';
import { backendRequest, createTestRuntime } from '../test-support.js';
import { transitEngine } from './engine.js';
import { createTransitHarness } from './test-harness.js';

describe('transit: definition', () => {
  it('is registered as transit, with the rotate action', () => {
    expect(nativeEngines.transit).toBe(transitEngine);
    expect(transitEngine.type).toBe('transit');
    expect(transitEngine.actions).toEqual(['rotate']);
  });

  it('validates mount options, naming each bad field', () => {
    const mount = (options: unknown) => instantiateEngine(transitEngine, { storage: createMemoryStorage(), runtime: createTestRuntime(), options });
    expect(() => mount(undefined)).not.toThrow();
    expect(() => mount({ policy_cache_ttl: '0s' })).not.toThrow();
    let caught: unknown;
    try {
      mount({ policy_cache_ttl: 'soon', other: 1 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect(caught).toMatchObject({ details: [{ field: 'options.other' }, { field: 'options.policy_cache_ttl' }] });
  });

  it('describes Vault\'s transit paths for OpenAPI, with secret fields marked', () => {
    const described = describeEngine(transitEngine);
    const routes = described.map((d) => `${d.operation} ${d.pattern}`);
    for (const route of [
      'list keys',
      'read keys/{name}',
      'update keys/{name}',
      'delete keys/{name}',
      'rotate keys/{name}',
      'update keys/{name}/config',
      'update keys/{name}/trim',
      'read export/{type}/{name}/{version}',
      'read backup/{name}',
      'update restore/{name}',
      'create encrypt/{name}',
      'update encrypt/{name}',
      'update decrypt/{name}',
      'update rewrap/{name}',
      'update datakey/{plaintext}/{name}',
      'update random/{source}/{bytes}',
      'update hash/{algorithm}',
      'update hmac/{name}/{algorithm}',
      'update sign/{name}/{algorithm}',
      'update verify/{name}/{algorithm}',
      'read cache-config',
      'update auto-rotate',
    ]) {
      expect(routes).toContain(route);
    }
    const decrypt = described.find((d) => d.pattern === 'decrypt/{name}');
    expect(decrypt?.sensitive).toEqual(['plaintext', 'batch_results']);
    expect(decrypt?.body).toMatchObject({ properties: { ciphertext: { type: 'string' }, batch_input: { type: 'array', maxItems: 1000 } } });
    expect(described.find((d) => d.pattern === 'encrypt/{name}')?.sensitive).toContain('plaintext');
  });

  it('serves help for its paths, and 404 for paths it does not have', async () => {
    const t = createTransitHarness();
    const help = await t.engine.help?.(backendRequest('update', 'encrypt/k', { mountPath: 'transit/' }, 'transit'));
    expect(help?.data).toMatchObject({ pattern: 'encrypt/{name}', operations: { update: { fields: { plaintext: { in: 'body', sensitive: true } } } } });
    expect((await t.failure(t.write('nothing/here'))).code).toBe('ERR_UNSUPPORTED_PATH');
    expect((await t.failure(t.call('delete', 'encrypt/k'))).code).toBe('ERR_METHOD_NOT_ALLOWED');
  });
});
