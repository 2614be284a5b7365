/**
 * An in-repo HTTPS double of the Azure Key Vault secrets and keys REST APIs (api-version
 * 7.0–7.6 and 2025-07-01), used where Lowkey Vault cannot be had
 * (docs/decisions/0011-azure-emulator.md). It follows Azure's documented behaviour, not
 * Keygate's needs:
 *
 * - challenge authentication: a request without a bearer token gets 401 with a
 *   `WWW-Authenticate` challenge; an unknown token 401; a token marked forbidden 403
 *   (`ForbiddenByRbac`, with the caller's tenant and the vault in the message, as Azure does);
 * - names `^[0-9a-zA-Z-]{1,127}$`, compared case-insensitively, kept as first written;
 *   versions are 32 lower-case hex digits; `attributes.created/updated` are Unix seconds;
 * - GET without a version returns the newest version, and a disabled version (newest or by
 *   id) answers 403 `Forbidden` / `SecretDisabled`; PATCH replaces tags when given;
 * - soft delete: DELETE answers at once, but the deleted secret shows under `/deletedsecrets`
 *   only after a short while (`settlePolls` reads), during which purge and set answer 409
 *   `ObjectIsBeingDeleted`; set on a deleted name answers 409 `ObjectIsDeletedButRecoverable`;
 *   recovery likewise becomes visible after `settlePolls` reads;
 * - lists page with `maxresults` (1–25) and an opaque `$skiptoken` in `nextLink`;
 * - limits: at most 15 tags (keys ≤ 512, values ≤ 256 characters), values ≤ 25 KiB;
 * - keys (see `routeKeys`): RSA keys of 2048, 3072 or 4096 bits created with `key_ops`,
 *   versions made by create and rotate, attributes updated by PATCH, `wrapkey`/`unwrapkey`
 *   with real RSA-OAEP (SHA-1) and RSA-OAEP-256 (SHA-256) over `node:crypto`, identifiers
 *   `<vault>/keys/<name>/<version>`, and Azure's errors: 404 `KeyNotFound`, 403 `Forbidden`
 *   with `KeyDisabled` (any use of a disabled version, also get) or `KeyOperationForbidden`
 *   (an operation outside the version's `key_ops`), 400 `BadParameter`; RSA-OAEP binds no
 *   associated data, as in Azure;
 * - RBAC by data action for tokens given `tokenDataActions` (e.g. the built-in role Key Vault
 *   Crypto Service Encryption User: keys read, wrap and unwrap only), answered with 403
 *   `ForbiddenByRbac` naming the missing action.
 *
 * Not modelled: EC and oct keys, RSA1_5 (Node 20 no longer decrypts PKCS#1 v1.5), key
 * deletion and recovery, rotation policies, release policies, `exp`/`nbf` enforcement.
 * `seedKey` is an admin hook that creates a key version without a request.
 *
 * Faults (throttling with `Retry-After`, 5xx, hangs) can be queued, for the errors a test
 * cannot otherwise provoke. Every response carries `x-ms-request-id`, so tests can check that
 * Keygate never repeats one. Listens on 127.0.0.1 only; `stop()` closes every connection.
 */

import { execFileSync } from 'node:child_process';
import { constants as cryptoConstants, generateKeyPair, privateDecrypt, publicEncrypt, randomBytes, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fault the next requests (after authentication) answer with. */
export interface QueuedFault {
  status: number;
  code: string;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  /** Never answer (until the server stops): a hung upstream. */
  hang?: boolean;
  /** Applies to the next request whose path contains this text (default: the next request). */
  match?: string;
}

export interface KeyVaultDoubleOptions {
  /** Bearer tokens the vault accepts. */
  acceptedTokens: readonly string[];
  /** Bearer tokens that authenticate but hold no role on the vault (403 `ForbiddenByRbac`). */
  forbiddenTokens?: readonly string[];
  /** Reads of `/deletedsecrets/{name}` (or of the recovered secret) before a delete (recover) settles. Default 1. */
  settlePolls?: number;
  /** Appears in error messages as Azure's do (tenant, vault name): lets tests prove Keygate never repeats them. */
  tenantId?: string;
  vaultName?: string;
  /**
   * Tokens restricted to the listed data actions (`Microsoft.KeyVault/vaults/keys/wrap/action`,
   * …); a request outside them answers 403 `ForbiddenByRbac`. Such tokens are accepted even
   * when not in `acceptedTokens`; tokens listed only there hold every action.
   */
  tokenDataActions?: Readonly<Record<string, readonly string[]>>;
}

/** What `seedKey` creates (defaults: RSA, 2048 bits, Azure's default RSA operations, enabled). */
export interface SeedKeyOptions {
  kty?: 'RSA' | 'RSA-HSM';
  keySize?: number;
  keyOps?: readonly string[];
  enabled?: boolean;
}

/** A key version made by `seedKey`. */
export interface SeededKey {
  /** `<vaultUrl>/keys/<name>/<version>`. */
  kid: string;
  version: string;
  /** The public key (SPKI PEM), for checking wraps independently of the double. */
  publicKeyPem: string;
}

/** The data actions of the built-in role Key Vault Crypto Service Encryption User. */
export const CRYPTO_SERVICE_ENCRYPTION_USER_ACTIONS: readonly string[] = [
  'Microsoft.KeyVault/vaults/keys/read',
  'Microsoft.KeyVault/vaults/keys/wrap/action',
  'Microsoft.KeyVault/vaults/keys/unwrap/action',
];

export interface KeyVaultDouble {
  /** `https://127.0.0.1:<port>`, no trailing slash. */
  vaultUrl: string;
  /** The self-signed certificate the server presents (PEM). */
  caPem: string;
  /** Queues faults answered, in order, to the next authenticated requests (those matching `match`, when given). */
  queueFaults(...faults: QueuedFault[]): void;
  /** Request ids sent so far (`x-ms-request-id`). */
  readonly requestIds: readonly string[];
  /** Requests received, by `METHOD path-without-query` (for tests of call counts). */
  readonly requests: readonly string[];
  /** Admin hook: creates a new version of key `name` (the key too, when new) without a request. */
  seedKey(name: string, options?: SeedKeyOptions): Promise<SeededKey>;
  stop(): Promise<void>;
}

interface Version {
  id: string;
  value: string;
  contentType: string | undefined;
  tags: Record<string, string> | undefined;
  enabled: boolean;
  nbf: number | undefined;
  exp: number | undefined;
  created: number;
  updated: number;
  /** Creation order, for "newest". */
  seq: number;
}

interface Secret {
  name: string;
  versions: Version[];
  /** Soft-delete state: null while live. */
  deleted: { date: number; scheduledPurge: number; pollsLeft: number } | null;
  /** Reads of the secret that still answer 404 after a recovery. */
  recoveringPollsLeft: number;
}

interface KeyVersion {
  id: string;
  kty: 'RSA' | 'RSA-HSM';
  keyOps: string[];
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Modulus and exponent, base64url (JWK). */
  n: string;
  e: string;
  enabled: boolean;
  nbf: number | undefined;
  exp: number | undefined;
  tags: Record<string, string> | undefined;
  created: number;
  updated: number;
  seq: number;
}

interface VaultKey {
  name: string;
  versions: KeyVersion[];
}

/** Key operations Azure knows (JsonWebKeyOperation). */
const KEY_OPERATIONS = new Set(['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey', 'import', 'export']);
/** What an RSA key may do when `key_ops` is not given. */
const DEFAULT_RSA_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'];
const RSA_KEY_SIZES = new Set([2048, 3072, 4096]);
/** RSA-OAEP uses SHA-1 for the hash and MGF1; RSA-OAEP-256 SHA-256 for both (JWA, RFC 7518 §4.3). */
const OAEP_HASH: Record<string, 'sha1' | 'sha256'> = { 'RSA-OAEP': 'sha1', 'RSA-OAEP-256': 'sha256' };
const KEY_ACTION = 'Microsoft.KeyVault/vaults/keys';
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

const generateRsa = (modulusLength: number, publicExponent: number): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> =>
  new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength, publicExponent }, (err, publicKey, privateKey) => (err === null ? resolve({ publicKey, privateKey }) : reject(err)));
  });

/**
 * The RBAC data action a request needs. Keys follow Azure's action names; secrets are
 * approximated by get (reads) and set (everything else).
 */
function dataActionOf(method: string, parts: readonly string[]): string {
  const [collection, name = '', second = '', third = ''] = parts;
  if (collection === 'keys') {
    const op = (third === '' ? second : third).toLowerCase();
    if (method === 'POST' && op === 'wrapkey') return `${KEY_ACTION}/wrap/action`;
    if (method === 'POST' && op === 'unwrapkey') return `${KEY_ACTION}/unwrap/action`;
    if (method === 'POST' && second.toLowerCase() === 'rotate') return `${KEY_ACTION}/rotate/action`;
    if (method === 'POST' && second.toLowerCase() === 'create') return `${KEY_ACTION}/create/action`;
    if (method === 'PATCH') return `${KEY_ACTION}/update/action`;
    if (method === 'GET' || name === '') return `${KEY_ACTION}/read`;
    return `${KEY_ACTION}/write/action`;
  }
  return method === 'GET' ? 'Microsoft.KeyVault/vaults/secrets/getSecret/action' : 'Microsoft.KeyVault/vaults/secrets/setSecret/action';
}

const API_VERSIONS = new Set(['7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '2025-07-01']);
const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION = /^[0-9a-f]{32}$/;
const MAX_TAGS = 15;
const MAX_VALUE_BYTES = 25 * 1024;
const RECOVERABLE_DAYS = 90;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly inner?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Generates a self-signed certificate for 127.0.0.1 and localhost with the `openssl` CLI. */
function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-kv-double-'));
  try {
    writeFileSync(join(dir, 'ext.cnf'), '[req]\ndistinguished_name=dn\n[dn]\n[ext]\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:TRUE\n');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=key-vault-double.localhost', '-config', 'ext.cnf', '-extensions', 'ext'],
      { cwd: dir, stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = () => Math.floor(Date.now() / 1000);

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, 'BadParameter', 'The request body is not valid JSON.'));
      }
    });
    req.on('error', reject);
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function tagsFrom(body: Record<string, unknown>): Record<string, string> | undefined {
  const tags = body.tags;
  if (tags === undefined || tags === null) return undefined;
  if (!isRecord(tags)) throw new HttpError(400, 'BadParameter', 'Tags must be an object.');
  const out: Record<string, string> = {};
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw new HttpError(400, 'BadParameter', `Number of tags exceeds the maximum of ${MAX_TAGS}.`);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw new HttpError(400, 'BadParameter', 'Tag values must be strings.');
    if (k.length > 512 || v.length > 256) throw new HttpError(400, 'BadParameter', 'Tag key or value is too long.');
    out[k] = v;
  }
  return out;
}

/** Starts the double on 127.0.0.1 (a free port). Needs the `openssl` CLI for its certificate. */
export async function startKeyVaultDouble(options: KeyVaultDoubleOptions): Promise<KeyVaultDouble> {
  const tls = selfSigned();
  const settlePolls = options.settlePolls ?? 1;
  const tenantId = options.tenantId ?? randomUUID();
  const vaultName = options.vaultName ?? 'keygate-double';
  const secrets = new Map<string, Secret>();
  const keys = new Map<string, VaultKey>();
  const faults: QueuedFault[] = [];
  const requestIds: string[] = [];
  const requests: string[] = [];
  let seq = 0;
  let vaultUrl = '';

  const find = (name: string): Secret | undefined => secrets.get(name.toLowerCase());
  /** The newest of `versions` (secret or key versions) by creation order. */
  const newestOf = <V extends { seq: number }>(versions: readonly V[]): V | undefined => versions.reduce<V | undefined>((a, v) => (a === undefined || v.seq > a.seq ? v : a), undefined);
  const newest = (s: Secret): Version | undefined => newestOf(s.versions);
  /** A version's `attributes` as Key Vault returns them, for secrets and keys alike. */
  const attributes = (v: Pick<Version, 'enabled' | 'nbf' | 'exp' | 'created' | 'updated'>) => ({
    enabled: v.enabled,
    ...(v.nbf === undefined ? {} : { nbf: v.nbf }),
    ...(v.exp === undefined ? {} : { exp: v.exp }),
    created: v.created,
    updated: v.updated,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: RECOVERABLE_DAYS,
  });
  const bundle = (s: Secret, v: Version, withValue: boolean) => ({
    ...(withValue ? { value: v.value } : {}),
    id: `${vaultUrl}/secrets/${s.name}/${v.id}`,
    attributes: attributes(v),
    ...(v.tags === undefined ? {} : { tags: v.tags }),
    ...(v.contentType === undefined ? {} : { contentType: v.contentType }),
  });
  const deletedBundle = (s: Secret, v: Version) => ({
    ...bundle(s, v, false),
    recoveryId: `${vaultUrl}/deletedsecrets/${s.name}`,
    scheduledPurgeDate: s.deleted?.scheduledPurge,
    deletedDate: s.deleted?.date,
  });
  const notFound = (name: string, version = '') =>
    new HttpError(404, 'SecretNotFound', `A secret with (name/id) ${name}${version === '' ? '' : `/${version}`} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
  const checkName = (name: string) => {
    if (!NAME.test(name)) throw new HttpError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
  };
  /** A live secret, or the errors Azure gives for one that is absent, being deleted or deleted. */
  const live = (name: string): Secret => {
    checkName(name);
    const s = find(name);
    if (s === undefined || s.deleted !== null) throw notFound(name);
    if (s.recoveringPollsLeft > 0) {
      s.recoveringPollsLeft--;
      throw notFound(name);
    }
    return s;
  };
  const getVersion = (s: Secret, version: string): Version => {
    if (version === '') {
      const v = newest(s);
      if (v === undefined) throw notFound(s.name);
      return v;
    }
    if (!VERSION.test(version)) throw notFound(s.name, version);
    const v = s.versions.find((x) => x.id === version);
    if (v === undefined) throw notFound(s.name, version);
    return v;
  };
  const disabled = () => new HttpError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
  const forbiddenByRbac = (action: string) =>
    new HttpError(
      403,
      'Forbidden',
      `Caller is not authorized to perform action on resource.\r\nCaller: appid=${randomUUID()};oid=${randomUUID()};iss=https://sts.windows.net/${tenantId}/\r\nAction: '${action}'\r\nResource: '/subscriptions/${randomUUID()}/resourcegroups/keygate/providers/microsoft.keyvault/vaults/${vaultName}'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'\r\nVault: ${vaultName};location=westeurope\r\n`,
      'ForbiddenByRbac',
    );

  // ---- keys -------------------------------------------------------------------------------

  const findKey = (name: string): VaultKey | undefined => keys.get(name.toLowerCase());
  const newestKey = (k: VaultKey): KeyVersion | undefined => newestOf(k.versions);
  const keyNotFound = (name: string, version = '') =>
    new HttpError(404, 'KeyNotFound', `A key with (name/id) ${name}${version === '' ? '' : `/${version}`} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
  const keyDisabled = (operation: string) => new HttpError(403, 'Forbidden', `Operation ${operation} is not allowed on a disabled key.`, 'KeyDisabled');
  const keyAttributes = (v: KeyVersion) => ({ ...attributes(v), exportable: false });
  const kidOf = (k: VaultKey, v: KeyVersion) => `${vaultUrl}/keys/${k.name}/${v.id}`;
  const keyBundle = (k: VaultKey, v: KeyVersion) => ({
    key: { kid: kidOf(k, v), kty: v.kty, key_ops: v.keyOps, n: v.n, e: v.e },
    attributes: keyAttributes(v),
    ...(v.tags === undefined ? {} : { tags: v.tags }),
  });
  const keyItem = (k: VaultKey, v: KeyVersion, withVersion: boolean) => ({
    kid: withVersion ? kidOf(k, v) : `${vaultUrl}/keys/${k.name}`,
    attributes: keyAttributes(v),
    ...(v.tags === undefined ? {} : { tags: v.tags }),
  });
  /** A version of an existing key: the newest for `''`. */
  const keyVersion = (name: string, version: string): { key: VaultKey; version: KeyVersion } => {
    checkName(name);
    const k = findKey(name);
    if (k === undefined) throw keyNotFound(name);
    const v = version === '' ? newestKey(k) : VERSION.test(version) ? k.versions.find((x) => x.id === version) : undefined;
    if (v === undefined) throw keyNotFound(name, version);
    return { key: k, version: v };
  };
  const keyOpsFrom = (raw: unknown, fallback: readonly string[]): string[] => {
    if (raw === undefined || raw === null) return [...fallback];
    if (!Array.isArray(raw) || raw.some((op) => typeof op !== 'string' || !KEY_OPERATIONS.has(op))) {
      throw new HttpError(400, 'BadParameter', 'Invalid key operation: key_ops must list JsonWebKeyOperation values.');
    }
    return [...new Set(raw.filter((op): op is string => typeof op === 'string'))];
  };
  /** Adds a version to key `name` (creating the key): create, rotate and `seedKey`. */
  const addKeyVersion = async (
    name: string,
    spec: { kty: 'RSA' | 'RSA-HSM'; size: number; exponent: number; keyOps: string[]; enabled: boolean; nbf?: number; exp?: number; tags?: Record<string, string> },
  ): Promise<{ key: VaultKey; version: KeyVersion }> => {
    const { publicKey, privateKey } = await generateRsa(spec.size, spec.exponent);
    const jwk = publicKey.export({ format: 'jwk' });
    let k = findKey(name);
    if (k === undefined) {
      k = { name, versions: [] };
      keys.set(name.toLowerCase(), k);
    }
    const now = seconds();
    const v: KeyVersion = {
      id: randomBytes(16).toString('hex'),
      kty: spec.kty,
      keyOps: spec.keyOps,
      privateKey,
      publicKey,
      n: jwk.n ?? '',
      e: jwk.e ?? '',
      enabled: spec.enabled,
      nbf: spec.nbf,
      exp: spec.exp,
      tags: spec.tags,
      created: now,
      updated: now,
      seq: ++seq,
    };
    k.versions.push(v);
    return { key: k, version: v };
  };
  const decodeValue = (raw: unknown): Buffer => {
    if (typeof raw !== 'string' || raw === '' || !BASE64URL.test(raw)) throw new HttpError(400, 'BadParameter', 'Property value is required and must be base64url.');
    return Buffer.from(raw, 'base64url');
  };

  /** The keys API (docs: https://learn.microsoft.com/rest/api/keyvault/keys/). */
  const routeKeys = async (method: string, url: URL, parts: string[], body: unknown, apiVersion: string): Promise<{ status: number; body?: unknown }> => {
    const [, name = '', second = '', third = ''] = parts;
    if (parts.length > 4) throw new HttpError(404, 'NotFound', 'The requested resource was not found.');
    // GET /keys: the newest version of each key, without versions in the ids.
    if (name === '' && method === 'GET') {
      const items = [...keys.values()]
        .sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1))
        .flatMap((k) => {
          const v = newestKey(k);
          return v === undefined ? [] : [keyItem(k, v, false)];
        });
      return { status: 200, body: page(items, url, '/keys', apiVersion) };
    }
    const op = second.toLowerCase();
    if (method === 'GET' && op === 'versions' && third === '') {
      const k = keyVersion(name, '').key;
      const items = [...k.versions].sort((a, b) => (a.id < b.id ? -1 : 1)).map((v) => keyItem(k, v, true));
      return { status: 200, body: page(items, url, `/keys/${k.name}/versions`, apiVersion) };
    }
    if (method === 'POST' && op === 'create' && third === '') {
      checkName(name);
      if (!isRecord(body)) throw new HttpError(400, 'BadParameter', 'The request body is required.');
      if (body.kty !== 'RSA' && body.kty !== 'RSA-HSM') {
        throw new HttpError(400, 'BadParameter', typeof body.kty === 'string' ? `Key type ${body.kty} is not supported by this double (RSA and RSA-HSM only).` : 'Property kty is required.');
      }
      const size = body.key_size === undefined || body.key_size === null ? 2048 : body.key_size;
      if (typeof size !== 'number' || !RSA_KEY_SIZES.has(size)) throw new HttpError(400, 'BadParameter', 'The specified RSA key size is not supported: use 2048, 3072 or 4096.');
      const exponent = body.public_exponent === undefined || body.public_exponent === null ? 65537 : body.public_exponent;
      if (exponent !== 65537 && exponent !== 3) throw new HttpError(400, 'BadParameter', 'The specified public exponent is not supported.');
      const attrs = isRecord(body.attributes) ? body.attributes : {};
      const created = await addKeyVersion(name, {
        kty: body.kty,
        size,
        exponent,
        keyOps: keyOpsFrom(body.key_ops, DEFAULT_RSA_OPS),
        enabled: typeof attrs.enabled === 'boolean' ? attrs.enabled : true,
        ...(typeof attrs.nbf === 'number' ? { nbf: attrs.nbf } : {}),
        ...(typeof attrs.exp === 'number' ? { exp: attrs.exp } : {}),
        ...(tagsFrom(body) === undefined ? {} : { tags: tagsFrom(body) }),
      });
      return { status: 200, body: keyBundle(created.key, created.version) };
    }
    if (method === 'POST' && op === 'rotate' && third === '') {
      // Without a rotation policy, the new version takes the current version's type, size and operations.
      const { key: k, version: current } = keyVersion(name, '');
      const size = current.publicKey.asymmetricKeyDetails?.modulusLength ?? 2048;
      const exponent = Number(current.publicKey.asymmetricKeyDetails?.publicExponent ?? 65537n);
      const rotated = await addKeyVersion(k.name, { kty: current.kty, size, exponent, keyOps: [...current.keyOps], enabled: true, ...(current.tags === undefined ? {} : { tags: current.tags }) });
      return { status: 200, body: keyBundle(rotated.key, rotated.version) };
    }
    const crypto = third !== '' ? third.toLowerCase() : op === 'wrapkey' || op === 'unwrapkey' ? op : '';
    if (method === 'POST' && (crypto === 'wrapkey' || crypto === 'unwrapkey')) {
      const operation = crypto === 'wrapkey' ? 'wrapKey' : 'unwrapKey';
      const { key: k, version: v } = keyVersion(name, third === '' ? '' : second);
      if (!v.enabled) throw keyDisabled(operation);
      if (!v.keyOps.includes(operation)) throw new HttpError(403, 'Forbidden', `Operation ${operation} is not permitted on this key.`, 'KeyOperationForbidden');
      if (!isRecord(body)) throw new HttpError(400, 'BadParameter', 'The request body is required.');
      const hash = typeof body.alg === 'string' ? OAEP_HASH[body.alg] : undefined;
      if (hash === undefined) {
        throw new HttpError(400, 'BadParameter', body.alg === 'RSA1_5' ? 'RSA1_5 is not supported by this double.' : `Invalid algorithm: ${String(body.alg)} cannot be used with an RSA key.`);
      }
      const value = decodeValue(body.value);
      const padding = cryptoConstants.RSA_PKCS1_OAEP_PADDING;
      let out: Buffer;
      try {
        out = operation === 'wrapKey' ? publicEncrypt({ key: v.publicKey, padding, oaepHash: hash }, value) : privateDecrypt({ key: v.privateKey, padding, oaepHash: hash }, value);
      } catch {
        throw new HttpError(400, 'BadParameter', operation === 'wrapKey' ? 'The value is too long for this key and algorithm.' : 'Error occurred while decoding OAEP padding.');
      }
      return { status: 200, body: { kid: kidOf(k, v), value: out.toString('base64url') } };
    }
    if (method === 'GET' && third === '') {
      const { key: k, version: v } = keyVersion(name, second);
      if (!v.enabled) throw keyDisabled('get');
      return { status: 200, body: keyBundle(k, v) };
    }
    if (method === 'PATCH' && third === '') {
      const { key: k, version: v } = keyVersion(name, second);
      if (!isRecord(body)) throw new HttpError(400, 'BadParameter', 'The request body is required.');
      const attrs = isRecord(body.attributes) ? body.attributes : {};
      if (typeof attrs.enabled === 'boolean') v.enabled = attrs.enabled;
      if (typeof attrs.nbf === 'number') v.nbf = attrs.nbf;
      if (typeof attrs.exp === 'number') v.exp = attrs.exp;
      if (body.key_ops !== undefined) v.keyOps = keyOpsFrom(body.key_ops, v.keyOps);
      const tags = tagsFrom(body);
      if (tags !== undefined) v.tags = tags;
      v.updated = seconds();
      return { status: 200, body: keyBundle(k, v) };
    }
    throw new HttpError(405, 'MethodNotAllowed', 'The requested method is not allowed on this resource.');
  };

  const page = <T>(items: T[], url: URL, path: string, apiVersion: string): { value: T[]; nextLink: string | null } => {
    const raw = url.searchParams.get('maxresults');
    const max = raw === null ? 25 : Number(raw);
    if (!Number.isInteger(max) || max < 1 || max > 25) throw new HttpError(400, 'BadParameter', 'The value of maxresults must be between 1 and 25.');
    const token = url.searchParams.get('$skiptoken');
    let start = 0;
    if (token !== null) {
      const decoded: unknown = (() => {
        try {
          return JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
        } catch {
          return null;
        }
      })();
      if (!isRecord(decoded) || typeof decoded.o !== 'number') throw new HttpError(400, 'BadParameter', 'The $skiptoken is invalid.');
      start = decoded.o;
    }
    const next = start + max;
    const nextToken = Buffer.from(JSON.stringify({ o: next, n: randomBytes(6).toString('hex') })).toString('base64');
    return {
      value: items.slice(start, next),
      nextLink: next < items.length ? `${vaultUrl}${path}?api-version=${apiVersion}&$skiptoken=${encodeURIComponent(nextToken)}&maxresults=${max}` : null,
    };
  };

  const route = async (method: string, url: URL, body: unknown, apiVersion: string): Promise<{ status: number; body?: unknown }> => {
    const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    const [collection, name = '', tail = ''] = parts;
    if (collection === 'keys') return routeKeys(method, url, parts, body, apiVersion);
    if (parts.length > 3) throw new HttpError(404, 'NotFound', 'The requested resource was not found.');
    if (collection === 'secrets') {
      if (name === '' && method === 'GET') {
        const items = [...secrets.values()]
          .filter((s) => s.deleted === null && s.recoveringPollsLeft === 0)
          .sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1))
          .flatMap((s) => {
            const v = newest(s);
            return v === undefined ? [] : [{ id: `${vaultUrl}/secrets/${s.name}`, attributes: attributes(v), ...(v.tags === undefined ? {} : { tags: v.tags }), ...(v.contentType === undefined ? {} : { contentType: v.contentType }) }];
          });
        return { status: 200, body: page(items, url, '/secrets', apiVersion) };
      }
      if (tail === 'versions' && method === 'GET') {
        const s = live(name);
        // Azure lists versions in no documented order (by id, in practice): callers sort by `created`.
        const items = [...s.versions].sort((a, b) => (a.id < b.id ? -1 : 1)).map((v) => ({ id: `${vaultUrl}/secrets/${s.name}/${v.id}`, attributes: attributes(v), ...(v.tags === undefined ? {} : { tags: v.tags }), ...(v.contentType === undefined ? {} : { contentType: v.contentType }) }));
        return { status: 200, body: page(items, url, `/secrets/${s.name}/versions`, apiVersion) };
      }
      if (method === 'PUT' && tail === '') {
        checkName(name);
        if (!isRecord(body) || typeof body.value !== 'string') throw new HttpError(400, 'BadParameter', 'Property value is required.');
        if (Buffer.byteLength(body.value, 'utf8') > MAX_VALUE_BYTES) throw new HttpError(400, 'BadParameter', 'Secret value exceeds the maximum size.');
        const attrs = isRecord(body.attributes) ? body.attributes : {};
        let s = find(name);
        if (s?.deleted != null) {
          if (s.deleted.pollsLeft > 0) throw new HttpError(409, 'Conflict', `Secret ${s.name} is currently being deleted.`, 'ObjectIsBeingDeleted');
          throw new HttpError(409, 'Conflict', `Secret ${s.name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable');
        }
        if (s === undefined) {
          s = { name, versions: [], deleted: null, recoveringPollsLeft: 0 };
          secrets.set(name.toLowerCase(), s);
        }
        const now = seconds();
        const v: Version = {
          id: randomBytes(16).toString('hex'),
          value: body.value,
          contentType: typeof body.contentType === 'string' ? body.contentType : undefined,
          tags: tagsFrom(body),
          enabled: typeof attrs.enabled === 'boolean' ? attrs.enabled : true,
          nbf: typeof attrs.nbf === 'number' ? attrs.nbf : undefined,
          exp: typeof attrs.exp === 'number' ? attrs.exp : undefined,
          created: now,
          updated: now,
          seq: ++seq,
        };
        s.versions.push(v);
        return { status: 200, body: bundle(s, v, true) };
      }
      if (method === 'GET' && name !== '') {
        const s = live(name);
        const v = getVersion(s, tail);
        if (!v.enabled) throw disabled();
        return { status: 200, body: bundle(s, v, true) };
      }
      if (method === 'PATCH' && name !== '') {
        const s = live(name);
        const v = getVersion(s, tail);
        if (!isRecord(body)) throw new HttpError(400, 'BadParameter', 'The request body is required.');
        const attrs = isRecord(body.attributes) ? body.attributes : {};
        if (typeof attrs.enabled === 'boolean') v.enabled = attrs.enabled;
        if (typeof body.contentType === 'string') v.contentType = body.contentType;
        const tags = tagsFrom(body);
        if (tags !== undefined) v.tags = tags;
        v.updated = seconds();
        return { status: 200, body: bundle(s, v, false) };
      }
      if (method === 'DELETE' && name !== '' && tail === '') {
        const s = live(name);
        const now = seconds();
        s.deleted = { date: now, scheduledPurge: now + RECOVERABLE_DAYS * 86_400, pollsLeft: settlePolls };
        const v = newest(s);
        if (v === undefined) throw notFound(name);
        return { status: 200, body: deletedBundle(s, v) };
      }
    }
    if (collection === 'deletedsecrets') {
      if (name === '' && method === 'GET') {
        const items = [...secrets.values()]
          .filter((s) => s.deleted !== null && s.deleted.pollsLeft === 0)
          .sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1))
          .flatMap((s) => {
            const v = newest(s);
            return v === undefined ? [] : [{ ...deletedBundle(s, v), id: `${vaultUrl}/secrets/${s.name}` }];
          });
        return { status: 200, body: page(items, url, '/deletedsecrets', apiVersion) };
      }
      checkName(name);
      const s = find(name);
      const missing = () => new HttpError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
      if (s === undefined || s.deleted === null) throw missing();
      if (method === 'GET' && tail === '') {
        if (s.deleted.pollsLeft > 0) {
          s.deleted.pollsLeft--;
          throw missing();
        }
        const v = newest(s);
        if (v === undefined) throw missing();
        return { status: 200, body: deletedBundle(s, v) };
      }
      if (method === 'DELETE' && tail === '') {
        if (s.deleted.pollsLeft > 0) throw new HttpError(409, 'Conflict', `Secret ${s.name} is currently being deleted.`, 'ObjectIsBeingDeleted');
        secrets.delete(s.name.toLowerCase());
        return { status: 204 };
      }
      if (method === 'POST' && tail === 'recover') {
        if (s.deleted.pollsLeft > 0) throw new HttpError(409, 'Conflict', `Secret ${s.name} is currently being deleted.`, 'ObjectIsBeingDeleted');
        s.deleted = null;
        s.recoveringPollsLeft = settlePolls;
        const v = newest(s);
        if (v === undefined) throw missing();
        return { status: 200, body: bundle(s, v, false) };
      }
    }
    throw new HttpError(405, 'MethodNotAllowed', 'The requested method is not allowed on this resource.');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    requestIds.push(requestId);
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'x-ms-request-id': requestId,
      'x-ms-keyvault-region': 'westeurope',
      'x-ms-keyvault-service-version': '1.9.0.0',
      'x-ms-keyvault-network-info': 'conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;',
    };
    const send = (status: number, body?: unknown, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...headers, ...extra });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', vaultUrl);
    const method = req.method ?? 'GET';
    requests.push(`${method} ${url.pathname}`);
    try {
      const body = await readJson(req);
      const auth = req.headers.authorization ?? '';
      const token = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
      const challenge = { 'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="https://vault.azure.net"` };
      if (token === '') throw new HttpError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', undefined, challenge);
      const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
      if (options.forbiddenTokens?.includes(token) === true) throw forbiddenByRbac(dataActionOf(method, parts));
      const restricted = options.tokenDataActions?.[token];
      if (restricted !== undefined && !restricted.includes(dataActionOf(method, parts))) throw forbiddenByRbac(dataActionOf(method, parts));
      if (restricted === undefined && !options.acceptedTokens.includes(token)) {
        throw new HttpError(401, 'Unauthorized', `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${tenantId}/, found https://sts.windows.net/${randomUUID()}/.`, undefined, challenge);
      }
      const apiVersion = url.searchParams.get('api-version') ?? '';
      if (!API_VERSIONS.has(apiVersion)) throw new HttpError(400, 'BadParameter', 'The specified version of the API is not supported or the api-version parameter is missing.');
      const at = faults.findIndex((f) => f.match === undefined || url.pathname.toLowerCase().includes(f.match.toLowerCase()));
      const fault = at < 0 ? undefined : faults.splice(at, 1)[0];
      if (fault !== undefined) {
        if (fault.hang === true) return;
        throw new HttpError(fault.status, fault.code, `Request was not processed (${fault.code}) by vault ${vaultName}; request ${requestId}.`, undefined, fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) });
      }
      const out = await route(method, url, body, apiVersion);
      send(out.status, out.body);
    } catch (err) {
      if (err instanceof HttpError) {
        send(err.status, { error: { code: err.code, message: err.message, ...(err.inner === undefined ? {} : { innererror: { code: err.inner } }) } }, err.headers);
      } else {
        send(500, { error: { code: 'InternalServerError', message: `Internal error in vault ${vaultName}.` } });
      }
    }
  };

  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  vaultUrl = `https://127.0.0.1:${port}`;
  return {
    vaultUrl,
    caPem: tls.cert,
    queueFaults: (...f) => {
      faults.push(...f);
    },
    requestIds,
    requests,
    seedKey: async (name, seed = {}) => {
      if (!NAME.test(name)) throw new Error(`invalid key name: ${name}`);
      const size = seed.keySize ?? 2048;
      if (!RSA_KEY_SIZES.has(size)) throw new Error(`unsupported RSA key size: ${size}`);
      const { key: k, version: v } = await addKeyVersion(name, { kty: seed.kty ?? 'RSA', size, exponent: 65537, keyOps: keyOpsFrom(seed.keyOps, DEFAULT_RSA_OPS), enabled: seed.enabled ?? true });
      return { kid: kidOf(k, v), version: v.id, publicKeyPem: String(v.publicKey.export({ type: 'spki', format: 'pem' })) };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
