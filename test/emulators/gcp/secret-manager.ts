/**
 * `google.cloud.secretmanager.v1.SecretManagerService`, in memory, as Google documents it.
 * Each rule implemented is listed (with the page that documents it) in `double.test.ts`,
 * which proves it through Google's own Node client. Main references:
 *
 * - API reference: https://cloud.google.com/secret-manager/docs/reference/rpc/google.cloud.secretmanager.v1
 *   (and the comments of the shipped `service.proto` / `resources.proto`)
 * - ETags: https://cloud.google.com/secret-manager/docs/etags
 * - Filtering: https://cloud.google.com/secret-manager/docs/filtering
 * - Version aliases: https://cloud.google.com/secret-manager/docs/assign-alias-to-secret-version
 * - Data integrity: https://cloud.google.com/secret-manager/docs/data-integrity
 * - Quotas and limits: https://cloud.google.com/secret-manager/quotas
 *
 * Features Keygate does not use (IAM policies, topics, rotation schedules, expiry, CMEK,
 * delayed destroy, regional secrets, tags, managed rotation) answer UNIMPLEMENTED rather
 * than pretending.
 */

import { crc32c } from '../../../src/cloud/gcp/crc32c.js';
import { compileFilter } from './filter.js';
import type { Predicate } from './filter.js';
import type { DoubleService, UnaryHandler } from './server.js';
import { googleProtoDirs } from './server.js';
import { RpcError } from './status.js';

type State = 'ENABLED' | 'DISABLED' | 'DESTROYED';

interface VersionRecord {
  number: number;
  createMs: number;
  destroyMs: number | null;
  state: State;
  data: Uint8Array | null;
  crc32c: number;
  clientChecksum: boolean;
  etag: string;
}

interface SecretRecord {
  project: string;
  id: string;
  /** Creation order, for newest-first listing and stable page tokens. */
  seq: number;
  createMs: number;
  replication: { automatic: Record<string, never> } | { user_managed: { replicas: { location: string }[] } };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  aliases: Record<string, number>;
  etag: string;
  versions: VersionRecord[];
}

/** Limits Google documents (proto comments and https://cloud.google.com/secret-manager/quotas). */
export const LIMITS = {
  payloadBytes: 64 * 1024,
  secretIdLength: 255,
  labels: 64,
  aliases: 50,
  annotationBytes: 16 * 1024,
  maxPageSize: 25_000,
  /** What the double answers for `page_size: 0` ("the server decides"). */
  defaultPageSize: 100,
} as const;

const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;
const PROJECT = /^[a-z0-9][a-z0-9.:-]{0,62}$/;
const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const ANNOTATION_KEY = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$/;
const ALIAS = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
const LOCATION = /^[a-z]+-[a-z]+[0-9]+$/;

const utf8Length = (text: string) => new TextEncoder().encode(text).length;

const invalid = (message: string) => new RpcError('INVALID_ARGUMENT', message);
const notFound = (what: string) => new RpcError('NOT_FOUND', `${what} not found or has no versions.`);
const unimplemented = (what: string) => new RpcError('UNIMPLEMENTED', `${what} is not implemented by the Keygate GCP double`);

// ---- reading requests (proto-loader objects: snake_case keys, int64 as strings) ----

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(obj: Record<string, unknown>, key: string): string {
  const v = obj[key];
  return typeof v === 'string' ? v : '';
}

function int(obj: Record<string, unknown>, key: string): number {
  const v = obj[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return 0;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, value] of Object.entries(v)) if (typeof value === 'string') out[k] = value;
  return out;
}

function has(obj: Record<string, unknown>, key: string): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'string') return v !== '';
  if (isRecord(v)) return Object.keys(v).length > 0;
  return true;
}

// ---- validation ----

function validateLabels(labels: Record<string, string>): void {
  if (Object.keys(labels).length > LIMITS.labels) throw invalid(`A secret may have at most ${LIMITS.labels} labels.`);
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k) || utf8Length(k) > 128) throw invalid('Label keys must be 1-63 characters, start with a lower-case letter and use lower-case letters, digits, _ and -.');
    if (!LABEL_VALUE.test(v) || utf8Length(v) > 128) throw invalid('Label values must be 0-63 characters of lower-case letters, digits, _ and -.');
  }
}

function validateAnnotations(annotations: Record<string, string>): void {
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    if (!ANNOTATION_KEY.test(k) || utf8Length(k) > 128) throw invalid('Annotation keys must be 1-63 characters, begin and end with an alphanumeric character, and use [a-zA-Z0-9._-].');
    size += utf8Length(k) + utf8Length(v);
  }
  if (size >= LIMITS.annotationBytes) throw invalid('The total size of annotation keys and values must be less than 16KiB.');
}

function validateAliases(aliases: Record<string, unknown>, secret: SecretRecord | null): Record<string, number> {
  const out: Record<string, number> = {};
  const entries = Object.entries(aliases);
  if (entries.length > LIMITS.aliases) throw invalid(`A secret may have at most ${LIMITS.aliases} version aliases.`);
  for (const [alias, raw] of entries) {
    if (!ALIAS.test(alias) || alias === 'latest' || alias === 'NEW') {
      throw invalid('A version alias is at most 63 characters of letters, digits, - and _, starts with a letter, and is not "latest" or "NEW".');
    }
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    // Assumption (not documented): an alias must name a version of this secret.
    if (!Number.isSafeInteger(n) || secret === null || !secret.versions.some((v) => v.number === n)) {
      throw invalid(`Version alias ${alias} must refer to an existing secret version.`);
    }
    out[alias] = n;
  }
  return out;
}

function parseReplication(v: unknown): SecretRecord['replication'] {
  if (!isRecord(v) || (!isRecord(v.automatic) && !isRecord(v.user_managed))) throw invalid('Secret.replication is required.');
  if (isRecord(v.automatic)) {
    if (has(v.automatic, 'customer_managed_encryption')) throw unimplemented('Customer-managed encryption');
    return { automatic: {} };
  }
  const userManaged = isRecord(v.user_managed) ? v.user_managed : {};
  const replicas = Array.isArray(userManaged.replicas) ? userManaged.replicas : [];
  if (replicas.length === 0) throw invalid('Secret.replication.user_managed.replicas must not be empty.');
  const locations: string[] = [];
  for (const replica of replicas) {
    const location = isRecord(replica) ? str(replica, 'location') : '';
    if (!LOCATION.test(location)) throw invalid('A replica location must be a valid location, e.g. us-central1.');
    if (isRecord(replica) && has(replica, 'customer_managed_encryption')) throw unimplemented('Customer-managed encryption');
    if (locations.includes(location)) throw invalid('Replica locations must be unique.');
    locations.push(location);
  }
  return { user_managed: { replicas: locations.map((location) => ({ location })) } };
}

/** Secret fields the double stores; the rest of `Secret` is refused when set. */
const UNSUPPORTED_SECRET_FIELDS = ['topics', 'expire_time', 'ttl', 'rotation', 'version_destroy_ttl', 'customer_managed_encryption', 'tags', 'secret_type'];

// ---- the store ----

/** The double's state and handlers; `reset()` empties it between tests that need isolation. */
export interface SecretManagerDouble {
  service: DoubleService;
  reset(): void;
  /** Test hook: the stored payload of a version, as the service holds it (null once destroyed). */
  storedPayload(project: string, secretId: string, version: number): Uint8Array | null;
}

/** A fresh, empty Secret Manager. `now` is the service clock (ms since the epoch). */
export function createSecretManagerDouble(opts: { now?: () => number } = {}): SecretManagerDouble {
  const now = opts.now ?? Date.now;
  const secrets = new Map<string, SecretRecord>();
  let seq = 0;
  let etagCounter = 0;
  // Google's etags are quoted opaque strings, e.g. "\"1616e4a1b4e5c3\"".
  const newEtag = () => `"${(++etagCounter).toString(16).padStart(14, '0')}"`;

  const timestamp = (ms: number) => ({ seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 });
  const secretName = (s: SecretRecord) => `projects/${s.project}/secrets/${s.id}`;
  const versionName = (s: SecretRecord, v: VersionRecord) => `${secretName(s)}/versions/${v.number}`;

  const secretView = (s: SecretRecord) => ({
    name: secretName(s),
    replication: s.replication,
    create_time: timestamp(s.createMs),
    labels: s.labels,
    etag: s.etag,
    version_aliases: Object.fromEntries(Object.entries(s.aliases).map(([k, n]) => [k, String(n)])),
    annotations: s.annotations,
  });
  const versionView = (s: SecretRecord, v: VersionRecord) => ({
    name: versionName(s, v),
    create_time: timestamp(v.createMs),
    ...(v.destroyMs === null ? {} : { destroy_time: timestamp(v.destroyMs) }),
    state: v.state,
    etag: v.etag,
    client_specified_payload_checksum: v.clientChecksum,
    replication_status: 'automatic' in s.replication
      ? { automatic: {} }
      : { user_managed: { replicas: s.replication.user_managed.replicas.map((r) => ({ location: r.location })) } },
  });

  function parseParent(parent: string): string {
    const m = /^projects\/([^/]+)$/.exec(parent);
    if (m === null) {
      if (/^projects\/[^/]+\/locations\/[^/]+$/.test(parent)) throw unimplemented('Regional secrets');
      throw invalid('The parent must be of the form projects/*.');
    }
    const project = m[1] ?? '';
    if (!PROJECT.test(project)) throw invalid('The project in the parent is not valid.');
    return project;
  }

  function parseSecretName(name: string): { project: string; id: string; key: string } {
    const m = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(name);
    if (m === null) throw invalid('The name must be of the form projects/*/secrets/*.');
    const project = m[1] ?? '';
    const id = m[2] ?? '';
    if (!PROJECT.test(project) || !SECRET_ID.test(id)) throw invalid('The secret name is not valid.');
    return { project, id, key: `${project}/${id}` };
  }

  function getSecret(name: string): SecretRecord {
    const { key } = parseSecretName(name);
    const s = secrets.get(key);
    if (s === undefined) throw notFound(`Secret [${name}]`);
    return s;
  }

  function resolveVersion(name: string): { secret: SecretRecord; version: VersionRecord } {
    const m = /^(projects\/[^/]+\/secrets\/[^/]+)\/versions\/([^/]+)$/.exec(name);
    if (m === null) throw invalid('The name must be of the form projects/*/secrets/*/versions/*.');
    const secret = getSecret(m[1] ?? '');
    const ref = m[2] ?? '';
    let version: VersionRecord | undefined;
    if (ref === 'latest') {
      // "an alias to the most recently created SecretVersion", whatever its state.
      version = secret.versions[secret.versions.length - 1];
    } else if (/^[0-9]+$/.test(ref)) {
      version = secret.versions.find((v) => v.number === Number(ref));
    } else if (ALIAS.test(ref)) {
      const n = secret.aliases[ref];
      version = n === undefined ? undefined : secret.versions.find((v) => v.number === n);
    } else {
      throw invalid('The version must be a number, "latest" or a version alias.');
    }
    if (version === undefined) throw notFound(`Secret Version [${name}]`);
    return { secret, version };
  }

  function checkEtag(given: string, current: string): void {
    // https://cloud.google.com/secret-manager/docs/etags: a stale etag fails with FAILED_PRECONDITION (HTTP 400).
    if (given !== '' && given !== current) throw new RpcError('FAILED_PRECONDITION', 'The etag provided in the request does not match the current etag of the resource.');
  }

  function page<T>(items: readonly T[], seqOf: (item: T) => number, request: Record<string, unknown>, filter: string): { items: T[]; next: string } {
    const size = int(request, 'page_size');
    if (size < 0) throw invalid('page_size must not be negative.');
    const limit = size === 0 ? LIMITS.defaultPageSize : Math.min(size, LIMITS.maxPageSize);
    const token = str(request, 'page_token');
    let after = Number.POSITIVE_INFINITY;
    if (token !== '') {
      const decoded = Buffer.from(token, 'base64url').toString('utf8');
      const m = /^(\d+)\|(.*)$/s.exec(decoded);
      if (m === null || m[2] !== filter) throw invalid('The page token is not valid for this request.');
      after = Number(m[1]);
    }
    const rest = items.filter((item) => seqOf(item) < after);
    const chosen = rest.slice(0, limit);
    const last = chosen[chosen.length - 1];
    const next = rest.length > limit && last !== undefined ? Buffer.from(`${seqOf(last)}|${filter}`, 'utf8').toString('base64url') : '';
    return { items: chosen, next };
  }

  const handlers: Record<string, UnaryHandler> = {
    CreateSecret(request) {
      const project = parseParent(str(request, 'parent'));
      const id = str(request, 'secret_id');
      if (!SECRET_ID.test(id)) throw invalid('The secret id must be 1-255 characters of letters, digits, - and _.');
      const body = isRecord(request.secret) ? request.secret : null;
      if (body === null) throw invalid('Secret is required.');
      for (const f of UNSUPPORTED_SECRET_FIELDS) if (has(body, f)) throw unimplemented(`Secret.${f}`);
      const replication = parseReplication(body.replication);
      const labels = stringMap(body.labels);
      validateLabels(labels);
      const annotations = stringMap(body.annotations);
      validateAnnotations(annotations);
      const key = `${project}/${id}`;
      if (secrets.has(key)) throw new RpcError('ALREADY_EXISTS', `Secret [projects/${project}/secrets/${id}] already exists.`);
      // A new secret has no versions, so no alias can refer to one.
      if (has(body, 'version_aliases')) validateAliases(isRecord(body.version_aliases) ? body.version_aliases : {}, null);
      const record: SecretRecord = { project, id, seq: ++seq, createMs: now(), replication, labels, annotations, aliases: {}, etag: newEtag(), versions: [] };
      secrets.set(key, record);
      return secretView(record);
    },

    GetSecret(request) {
      return secretView(getSecret(str(request, 'name')));
    },

    ListSecrets(request) {
      const project = parseParent(str(request, 'parent'));
      const filter = str(request, 'filter');
      const predicate: Predicate = compileFilter(filter, 'secret');
      const all = [...secrets.values()].filter((s) => s.project === project).sort((a, b) => b.seq - a.seq);
      const matching = all.filter((s) => predicate({ id: s.id, labels: s.labels }));
      const { items, next } = page(matching, (s) => s.seq, request, filter);
      return { secrets: items.map(secretView), next_page_token: next, total_size: filter === '' ? matching.length : 0 };
    },

    UpdateSecret(request) {
      const body = isRecord(request.secret) ? request.secret : null;
      if (body === null) throw invalid('Secret is required.');
      const paths = isRecord(request.update_mask) && Array.isArray(request.update_mask.paths) ? request.update_mask.paths.filter((p): p is string => typeof p === 'string') : [];
      if (paths.length === 0) throw invalid('update_mask is required and must name at least one field.');
      const secret = getSecret(str(body, 'name'));
      checkEtag(str(body, 'etag'), secret.etag);
      let labels = secret.labels;
      let annotations = secret.annotations;
      let aliases = secret.aliases;
      for (const path of paths) {
        switch (path) {
          case 'labels':
            labels = stringMap(body.labels);
            validateLabels(labels);
            break;
          case 'annotations':
            annotations = stringMap(body.annotations);
            validateAnnotations(annotations);
            break;
          case 'version_aliases':
            aliases = validateAliases(isRecord(body.version_aliases) ? body.version_aliases : {}, secret);
            break;
          case 'replication':
            throw invalid('Secret.replication is immutable.');
          case 'name':
          case 'create_time':
          case 'etag':
          case 'policy_member':
            throw invalid(`Secret.${path} cannot be updated.`);
          default:
            if (UNSUPPORTED_SECRET_FIELDS.includes(path)) throw unimplemented(`Updating Secret.${path}`);
            throw invalid(`The update_mask path ${path} is not a field of Secret.`);
        }
      }
      // All or nothing: fields change only once every path has validated.
      secret.labels = labels;
      secret.annotations = annotations;
      secret.aliases = aliases;
      secret.etag = newEtag();
      return secretView(secret);
    },

    DeleteSecret(request) {
      const name = str(request, 'name');
      const secret = getSecret(name);
      checkEtag(str(request, 'etag'), secret.etag);
      secrets.delete(parseSecretName(name).key);
      return {};
    },

    AddSecretVersion(request) {
      const secret = getSecret(str(request, 'parent'));
      const payload = isRecord(request.payload) ? request.payload : null;
      if (payload === null) throw invalid('Payload is required.');
      const raw = payload.data;
      const data = raw instanceof Uint8Array ? new Uint8Array(raw) : new Uint8Array(0);
      if (data.length > LIMITS.payloadBytes) throw invalid('Secret payload data must be no larger than 64KiB.');
      const sum = crc32c(data);
      const given = payload.data_crc32c;
      const clientChecksum = given !== undefined && given !== null;
      if (clientChecksum && String(given) !== String(sum)) throw invalid('Checksum mismatch: the data_crc32c does not match the payload data.');
      const last = secret.versions[secret.versions.length - 1];
      const version: VersionRecord = {
        number: (last?.number ?? 0) + 1,
        createMs: now(),
        destroyMs: null,
        state: 'ENABLED',
        data,
        crc32c: sum,
        clientChecksum,
        etag: newEtag(),
      };
      secret.versions.push(version);
      return versionView(secret, version);
    },

    GetSecretVersion(request) {
      const { secret, version } = resolveVersion(str(request, 'name'));
      return versionView(secret, version);
    },

    AccessSecretVersion(request) {
      const { secret, version } = resolveVersion(str(request, 'name'));
      if (version.state !== 'ENABLED' || version.data === null) {
        throw new RpcError('FAILED_PRECONDITION', `Secret Version [${versionName(secret, version)}] is in ${version.state} state.`);
      }
      return { name: versionName(secret, version), payload: { data: Buffer.from(version.data), data_crc32c: String(version.crc32c) } };
    },

    ListSecretVersions(request) {
      const secret = getSecret(str(request, 'parent'));
      const filter = str(request, 'filter');
      const predicate = compileFilter(filter, 'version');
      const matching = [...secret.versions].reverse().filter((v) => predicate({ id: secret.id, labels: secret.labels, state: v.state }));
      const { items, next } = page(matching, (v) => v.number, request, filter);
      return { versions: items.map((v) => versionView(secret, v)), next_page_token: next, total_size: filter === '' ? matching.length : 0 };
    },

    EnableSecretVersion(request) {
      return changeState(request, 'ENABLED');
    },
    DisableSecretVersion(request) {
      return changeState(request, 'DISABLED');
    },
    DestroySecretVersion(request) {
      return changeState(request, 'DESTROYED');
    },
  };

  function changeState(request: Record<string, unknown>, state: State): object {
    const { secret, version } = resolveVersion(str(request, 'name'));
    checkEtag(str(request, 'etag'), version.etag);
    // DESTROYED is terminal: "A version may not leave this state once entered."
    if (version.state === 'DESTROYED') throw new RpcError('FAILED_PRECONDITION', `Secret Version [${versionName(secret, version)}] is in DESTROYED state.`);
    version.state = state;
    if (state === 'DESTROYED') {
      version.data = null;
      version.destroyMs = now();
    }
    // Every modification, even one that changes nothing, gets a new etag (etags page).
    version.etag = newEtag();
    return versionView(secret, version);
  }

  return {
    service: {
      name: 'google.cloud.secretmanager.v1.SecretManagerService',
      protoFile: 'google/cloud/secretmanager/v1/service.proto',
      includeDirs: googleProtoDirs('@google-cloud/secret-manager'),
      handlers,
    },
    reset() {
      secrets.clear();
    },
    storedPayload(project, secretId, version) {
      const v = secrets.get(`${project}/${secretId}`)?.versions.find((x) => x.number === version);
      return v?.data ?? null;
    },
  };
}
