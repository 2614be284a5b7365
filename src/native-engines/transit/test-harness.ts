/**
 * A transit mount for tests (not exported from the folder): the engine over the Storage a
 * test passes in (the reference memory storage), a hand-driven clock, and short-hands for
 * calls that return what the wire would carry, secrets revealed.
 */

import { fromBase64, revealingStringify, toBase64, utf8 } from '../../core/index.js';
import type { Engine, GatewayError, JsonObject, JsonValue, Operation, OperationResponse, Storage } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { instantiateEngine } from '../framework/instantiate.js';
import { backendRequest, createTestRuntime, dumpStorageText, gatewayFailure } from '../test-support.js';
import type { RequestInit, TestRuntime } from '../test-support.js';
import { transitEngine } from './engine.js';

/** A mounted transit engine and what it runs on. */
export interface TransitHarness {
  engine: Engine;
  storage: Storage;
  runtime: TestRuntime;
  /** Runs one operation; returns the response. */
  call(operation: Operation, path: string, init?: RequestInit): Promise<OperationResponse>;
  /** `update` on `path` with `data`; returns the revealed `data` of the response. */
  write(path: string, data?: JsonObject): Promise<JsonObject>;
  /** `read` on `path`; returns the revealed `data`. */
  read(path: string, params?: Record<string, string>): Promise<JsonObject>;
  /** Creates key `name` with `settings`. */
  createKey(name: string, settings?: JsonObject): Promise<JsonObject>;
  /** Encrypts UTF-8 `text` with key `name`; returns the ciphertext. */
  encrypt(name: string, text: string, extra?: JsonObject): Promise<string>;
  /** Decrypts with key `name`; returns the UTF-8 plaintext. */
  decrypt(name: string, ciphertext: string, extra?: JsonObject): Promise<string>;
  failure(promise: Promise<unknown>): Promise<GatewayError>;
  dump(): Promise<Map<string, string>>;
}

/** The response as the wire would carry it, secrets revealed. */
export function revealed(response: OperationResponse): JsonObject {
  const parsed: unknown = JSON.parse(revealingStringify(response));
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.fromEntries(Object.entries(parsed)) : {};
}

/** `value` as a JSON object (fails the test otherwise). */
export function obj(value: JsonValue | undefined): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected an object');
  return value;
}

/** `value` as a string (fails the test otherwise). */
export function str(value: JsonValue | undefined): string {
  if (typeof value !== 'string') throw new Error('expected a string');
  return value;
}

/** `value` as an array of objects (fails the test otherwise). */
export function items(value: JsonValue | undefined): JsonObject[] {
  if (!Array.isArray(value)) throw new Error('expected an array');
  return value.map(obj);
}

/** Base64 of UTF-8 text. */
export function b64(text: string): string {
  return toBase64(utf8(text));
}

/** UTF-8 text of base64. */
export function unb64(text: string): string {
  const bytes = fromBase64(text);
  if (bytes === null) throw new Error('not base64');
  return new TextDecoder().decode(bytes);
}

/** Mounts transit on `storage` with `options`. */
export function createTransitHarness(storage: Storage = createMemoryStorage(), options: unknown = {}, runtime: TestRuntime = createTestRuntime()): TransitHarness {
  const engine = instantiateEngine(transitEngine, { storage, runtime, options });
  const call = (operation: Operation, path: string, init: RequestInit = {}) => engine.handle(backendRequest(operation, path, { mountPath: 'transit/', ...init }, 'transit'));
  const dataOf = (response: OperationResponse) => {
    const data = revealed(response).data;
    return data === undefined ? {} : obj(data);
  };
  const harness: TransitHarness = {
    engine,
    storage,
    runtime,
    call,
    write: async (path, data = {}) => dataOf(await call('update', path, { data })),
    read: async (path, params = {}) => dataOf(await call('read', path, { params })),
    createKey: (name, settings = {}) => harness.write(`keys/${name}`, settings),
    async encrypt(name, text, extra = {}) {
      return str((await harness.write(`encrypt/${name}`, { plaintext: b64(text), ...extra })).ciphertext);
    },
    async decrypt(name, ciphertext, extra = {}) {
      return unb64(str((await harness.write(`decrypt/${name}`, { ciphertext, ...extra })).plaintext));
    },
    failure: gatewayFailure,
    dump: () => dumpStorageText(storage),
  };
  return harness;
}

/** Hex to bytes. */
export function hex(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Known key material for `knownKeyBackup`: a raw key (AEAD, hmac, Ed25519 seed‖public) or a private JWK. */
export interface KnownKey {
  key?: Uint8Array;
  jwk?: JsonObject;
  publicKey?: string | null;
}

/**
 * A backup (as `backup/{name}` returns it) of a one-version key holding known material, so
 * tests can bring a key of their own in through `restore`.
 */
export function knownKeyBackup(name: string, type: string, known: KnownKey, settings: JsonObject = {}): string {
  const policy: JsonObject = {
    name,
    id: '00000000-0000-4000-8000-000000000000',
    type,
    derived: false,
    convergent_encryption: false,
    exportable: true,
    allow_plaintext_backup: true,
    deletion_allowed: false,
    latest_version: 1,
    min_decryption_version: 1,
    min_encryption_version: 0,
    min_available_version: 0,
    auto_rotate_period_ms: 0,
    key_size: type === 'hmac' ? (known.key?.length ?? 0) : 0,
    created_ms: 0,
    versions: { '1': { created_ms: 0, public_key: known.publicKey ?? null } },
    backup_info: null,
    restore_info: null,
    ...settings,
  };
  const version: JsonObject = {
    key: known.key === undefined ? null : toBase64(known.key),
    hmac_key: toBase64(new Uint8Array(32).fill(7)),
    private_jwk: known.jwk ?? null,
  };
  return toBase64(utf8(JSON.stringify({ format: 'keygate-transit-backup', format_version: 1, policy, versions: { '1': version } })));
}
