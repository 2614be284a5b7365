/**
 * An in-repo HTTPS double of the Azure Key Vault secrets REST API (api-version 7.0–7.6 and
 * 2025-07-01), used where Lowkey Vault cannot be had (docs/decisions/0011-azure-emulator.md).
 * It follows Azure's documented behaviour, not Keygate's needs:
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
 * - limits: at most 15 tags (keys ≤ 512, values ≤ 256 characters), values ≤ 25 KiB.
 *
 * Faults (throttling with `Retry-After`, 5xx, hangs) can be queued, for the errors a test
 * cannot otherwise provoke. Every response carries `x-ms-request-id`, so tests can check that
 * Keygate never repeats one. Listens on 127.0.0.1 only; `stop()` closes every connection.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
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
}

export interface KeyVaultDouble {
  /** `https://127.0.0.1:<port>`, no trailing slash. */
  vaultUrl: string;
  /** The self-signed certificate the server presents (PEM). */
  caPem: string;
  /** Queues faults answered, in order, to the next authenticated requests. */
  queueFaults(...faults: QueuedFault[]): void;
  /** Request ids sent so far (`x-ms-request-id`). */
  readonly requestIds: readonly string[];
  /** Requests received, by `METHOD path-without-query` (for tests of call counts). */
  readonly requests: readonly string[];
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
  const faults: QueuedFault[] = [];
  const requestIds: string[] = [];
  const requests: string[] = [];
  let seq = 0;
  let vaultUrl = '';

  const find = (name: string): Secret | undefined => secrets.get(name.toLowerCase());
  const newest = (s: Secret): Version | undefined => s.versions.reduce<Version | undefined>((a, v) => (a === undefined || v.seq > a.seq ? v : a), undefined);
  const attributes = (v: Version) => ({
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
      if (options.forbiddenTokens?.includes(token) === true) {
        throw new HttpError(
          403,
          'Forbidden',
          `Caller is not authorized to perform action on resource.\r\nCaller: appid=${randomUUID()};oid=${randomUUID()};iss=https://sts.windows.net/${tenantId}/\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nResource: '/subscriptions/${randomUUID()}/resourcegroups/keygate/providers/microsoft.keyvault/vaults/${vaultName}'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'\r\nVault: ${vaultName};location=westeurope\r\n`,
          'ForbiddenByRbac',
        );
      }
      if (!options.acceptedTokens.includes(token)) {
        throw new HttpError(401, 'Unauthorized', `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${tenantId}/, found https://sts.windows.net/${randomUUID()}/.`, undefined, challenge);
      }
      const apiVersion = url.searchParams.get('api-version') ?? '';
      if (!API_VERSIONS.has(apiVersion)) throw new HttpError(400, 'BadParameter', 'The specified version of the API is not supported or the api-version parameter is missing.');
      const fault = faults.shift();
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
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
