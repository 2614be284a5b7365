import { GatewayError, UnauthenticatedError, constantTimeEqual, fromUtf8, toBase64Url, toHex, utf8 } from '../core/index.js';
import type { Principal, Runtime, Storage } from '../core/index.js';

/** Storage key (inside the `sys/` barrier view) of the root token's record. */
const ROOT_TOKEN_KEY = 'auth/root-token';
/** Token prefix, so secret scanners and people can tell a Keygate token at a glance. */
export const TOKEN_PREFIX = 'kg.';
/** Tokens are 256 bits from the secure RNG. */
const TOKEN_BYTES = 32;
/** Longest token accepted for hashing: bounds work on hostile input. */
const MAX_TOKEN_LENGTH = 512;

interface RootTokenRecord {
  /** SHA-256 of the token, hex. The token is 256 random bits, so a plain hash cannot be brute-forced. */
  hash: string;
  accessor: string;
  created_at: string;
}

/** The root principal: every capability. Identity and policies arrive with issue 3. */
const rootPrincipal = (accessor: string): Principal => ({
  id: 'root',
  displayName: 'root',
  policies: ['root'],
  accessor,
  expiresAt: null,
});

export interface RootTokenAuthenticator {
  /**
   * Creates the root token, stores only its hash, and returns the token (the only time it
   * exists in cleartext). Throws `ERR_CONFLICT` when one already exists, unless `replace`
   * (used only to finish an interrupted initialisation, whose token was never handed out).
   */
  generate(opts?: { replace?: boolean }): Promise<string>;
  /**
   * The principal for `token`. Throws `UnauthenticatedError` for a missing, malformed or
   * unknown token, with one message whatever the reason.
   */
  authenticate(token: string | null): Promise<Principal>;
  /** Forgets the cached hash (on seal). */
  reset(): void;
}

/**
 * Root-token authentication over the barrier's `sys/` view. The verified hash is cached in
 * memory after the first lookup; comparison is constant-time.
 */
export function createRootTokenAuthenticator(deps: {
  storage: Pick<Storage, 'get' | 'put'>;
  runtime: Pick<Runtime, 'randomBytes' | 'subtle' | 'now'>;
}): RootTokenAuthenticator {
  let cached: { hash: Uint8Array; accessor: string } | null = null;

  const sha256 = async (text: string): Promise<Uint8Array> =>
    new Uint8Array(await deps.runtime.subtle.digest('SHA-256', utf8(text)));

  const load = async (): Promise<{ hash: Uint8Array; accessor: string } | null> => {
    if (cached !== null) return cached;
    const raw = await deps.storage.get(ROOT_TOKEN_KEY);
    if (raw === null) return null;
    const record = JSON.parse(fromUtf8(raw)) as RootTokenRecord;
    const hash = hexToBytes(record.hash);
    if (hash === null) throw new GatewayError('ERR_INTERNAL', 'root token record is corrupt');
    cached = { hash, accessor: record.accessor };
    return cached;
  };

  return {
    async generate(opts = {}) {
      if (opts.replace !== true && (await deps.storage.get(ROOT_TOKEN_KEY)) !== null) {
        throw new GatewayError('ERR_CONFLICT', 'a root token already exists');
      }
      const token = TOKEN_PREFIX + toBase64Url(deps.runtime.randomBytes(TOKEN_BYTES));
      const record: RootTokenRecord = {
        hash: toHex(await sha256(token)),
        accessor: toBase64Url(deps.runtime.randomBytes(16)),
        created_at: new Date(deps.runtime.now()).toISOString(),
      };
      await deps.storage.put(ROOT_TOKEN_KEY, utf8(JSON.stringify(record)));
      cached = null;
      return token;
    },
    async authenticate(token) {
      if (token === null || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new UnauthenticatedError();
      const stored = await load();
      // Hash first, whatever the input looks like, so timing does not reveal which check failed.
      const presented = await sha256(token);
      if (stored === null || !constantTimeEqual(presented, stored.hash)) throw new UnauthenticatedError();
      return rootPrincipal(stored.accessor);
    },
    reset() {
      cached = null;
    },
  };
}

function hexToBytes(hex: string): Uint8Array | null {
  if (!/^[0-9a-f]{64}$/.test(hex)) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
