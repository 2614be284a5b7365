import { describe, expect, it } from 'vitest';
import { createWebRuntime, fromUtf8, isGatewayError } from '../core/index.js';
import { createMemoryStorage } from '../storage/index.js';
import { createRootTokenAuthenticator } from './root-token.js';

const setup = () => {
  const storage = createMemoryStorage();
  return { storage, auth: createRootTokenAuthenticator({ storage, runtime: createWebRuntime() }) };
};

describe('root token', () => {
  it('issues a 256-bit prefixed token and stores only its hash', async () => {
    const { storage, auth } = setup();
    const token = await auth.generate();
    expect(token).toMatch(/^kg\.[A-Za-z0-9_-]{43}$/);
    const stored = fromUtf8((await storage.get('auth/root-token')) ?? new Uint8Array());
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(token.slice(3));
    expect(JSON.parse(stored)).toMatchObject({ hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('authenticates the token as root and refuses anything else with one error', async () => {
    const { auth } = setup();
    const token = await auth.generate();
    await expect(auth.authenticate(token)).resolves.toMatchObject({ id: 'root', policies: ['root'], expiresAt: null });
    for (const bad of [null, '', `${token}x`, token.slice(0, -1), 'x'.repeat(600)]) {
      const err = await auth.authenticate(bad).catch((e: unknown) => e);
      expect(isGatewayError(err, 'ERR_UNAUTHENTICATED')).toBe(true);
    }
  });

  it('refuses a second root token unless finishing an interrupted initialisation', async () => {
    const { auth } = setup();
    const first = await auth.generate();
    const err = await auth.generate().catch((e: unknown) => e);
    expect(isGatewayError(err, 'ERR_CONFLICT')).toBe(true);
    const second = await auth.generate({ replace: true });
    await expect(auth.authenticate(first)).rejects.toThrow();
    await expect(auth.authenticate(second)).resolves.toMatchObject({ id: 'root' });
  });

  it('refuses every token before one exists', async () => {
    const { auth } = setup();
    await expect(auth.authenticate('kg.anything')).rejects.toThrow();
  });
});
