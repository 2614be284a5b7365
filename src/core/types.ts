/** Contracts shared by every layer (ARCHITECTURE.md, "Contracts"). */

import type { Sensitive } from './sensitive.js';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * JSON that may carry `Sensitive` values at any depth. Responses use it, so a secret stays
 * wrapped until the response writer serialises it.
 */
export type SafeJsonValue = JsonPrimitive | Sensitive<JsonValue> | SafeJsonValue[] | { [key: string]: SafeJsonValue };
export type SafeJsonObject = { [key: string]: SafeJsonValue };

/**
 * What a request does to a path. Every face (`/api/v1`, `/v1`, `sys`) reduces a request to
 * one of these. Backends advertise which trailing POST actions they support (`Engine.actions`).
 *
 * - `read`, `list`, `create`, `update`, `patch`, `delete`: as in Vault.
 * - `rotate`: `POST …/rotate` on the path before it.
 * - `undelete`, `destroy`: `POST …/undelete`, `POST …/destroy` on versioned backends.
 * - `read-metadata`, `write-metadata`, `patch-metadata`, `delete-metadata`: the secret's
 *   metadata (`/api/v1/metadata/{path}`); `delete-metadata` removes the secret with every version.
 */
export type Operation =
  | 'read'
  | 'list'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'rotate'
  | 'undelete'
  | 'destroy'
  | 'read-metadata'
  | 'write-metadata'
  | 'patch-metadata'
  | 'delete-metadata';

/** Operations a face may reach through a trailing POST segment (`POST {path}/{action}`). */
export type ActionOperation = Extract<Operation, 'rotate' | 'undelete' | 'destroy'>;

/** An identity entity: one person or workload, across the auth mounts it logs in through. */
export interface Entity {
  id: string;
  name: string;
  metadata: Readonly<Record<string, string>>;
  /** One alias per auth mount the entity has logged in through, with what its last login said about it. */
  aliases: readonly { mountAccessor: string; mountType: string; name: string; metadata?: Readonly<Record<string, string>> }[];
}

/** Who is calling, after authentication. */
export interface Principal {
  /** Stable id of the identity (entity id, or `root`). */
  id: string;
  displayName: string;
  policies: readonly string[];
  /** Token accessor, for audit and revocation without the token itself. */
  accessor?: string;
  /** Expiry in ms since the epoch; null for tokens that never expire. */
  expiresAt: number | null;
  /** Token metadata (role name, mapped claims, …). */
  metadata?: Readonly<Record<string, string>>;
  /** The identity entity behind the token, for templated policies; absent for root and orphan tokens without one. */
  entity?: Entity;
}

/**
 * What a successful login produces (an auth method's `login` path answers with it in
 * `OperationResponse.auth`); the gateway turns it into a token.
 */
export interface AuthResult {
  /** Who this is within the auth mount (e.g. the role-scoped subject); names the identity alias. */
  alias: { name: string; metadata?: Readonly<Record<string, string>> };
  displayName: string;
  /** Token policies (`default` is added unless `noDefaultPolicy`). */
  policies: readonly string[];
  noDefaultPolicy?: boolean;
  /** Token metadata: role name, mapped claims, … (never secrets). */
  metadata: Readonly<Record<string, string>>;
  /** Token TTL and max TTL in ms; the mount's or the system's defaults apply when absent. */
  ttlMs?: number;
  maxTtlMs?: number;
  /** Periodic tokens renew by this period forever (no max TTL). */
  periodMs?: number;
  /** Uses before the token is revoked; 0 or absent: unlimited. */
  numUses?: number;
  /** CIDR blocks the token may be used from. */
  boundCidrs?: readonly string[];
}

/** Conditional-request headers, as the face received them. Backends interpret them. */
export interface Preconditions {
  /** `If-Match` entity tags, unquoted; `['*']` for `If-Match: *`. */
  ifMatch?: readonly string[];
  /** `If-None-Match` entity tags, unquoted; `['*']` for `If-None-Match: *`. */
  ifNoneMatch?: readonly string[];
}

/** The one internal request every face produces. Handlers never see HTTP. */
export interface OperationRequest {
  operation: Operation;
  /** Canonical logical path, mount prefix included, no leading or trailing slash (list requests keep none either). */
  path: string;
  /** The body, for writes; `{}` otherwise. */
  data: JsonObject;
  /** Query options (`version`, `versions`, `cas`, `after`, `limit`, …), as strings; face-level flags (`list`, `help`) removed. */
  params: Readonly<Record<string, string>>;
  preconditions: Preconditions;
  principal: Principal;
  requestId: string;
  signal: AbortSignal;
  /** The client's address (trusted-proxy aware), when the face knows it. */
  clientAddress?: string | null;
  /**
   * The caller asked to skip the read cache (`Cache-Control: no-cache` or `?cache=bypass`):
   * the backend answers, the answer refreshes the cache, and the audit request entry says so
   * (docs/cache.md).
   */
  bypassCache?: boolean;
}

/** A mount as a backend sees it. */
export interface MountRef {
  /** The mount's prefix: `""` for the default route, else ends in `/`. */
  path: string;
  /** Stable id; a backend's storage lives under it, so a renamed mount keeps its data. */
  id: string;
  type: string;
}

/**
 * A mount's read-cache settings, resolved (durations in ms). `ttlMs` 0 turns the cache off for
 * the mount (no lookups, no single-flight, no invalidations published).
 */
export interface MountCachePolicy {
  /** How long an answer is fresh. */
  ttlMs: number;
  /** How long a not-found answer is remembered; 0: never (the default). */
  negativeTtlMs: number;
  /** How long past freshness an answer may still be served when the backend is unavailable; 0: never (the default). */
  staleIfErrorMs: number;
}

/** An `OperationRequest` after routing: the backend's own view of it. */
export interface BackendRequest extends OperationRequest {
  mount: MountRef;
  /** `path` with the mount prefix removed; `""` addresses the mount's root. */
  relativePath: string;
}

export interface LeaseInfo {
  id: string;
  ttlMs: number;
  renewable: boolean;
}

export interface OperationResponse {
  /** Response data; secret material inside stays wrapped in `Sensitive`. */
  data?: SafeJsonObject;
  metadata?: JsonObject;
  lease?: LeaseInfo;
  warnings?: string[];
  /**
   * Whether the read cache may keep this answer (docs/cache.md). Absent or `'no-store'`: never
   * cached. `{ ttlMs }`: cacheable for at most `ttlMs` (`Infinity`: as long as the mount's cache
   * TTL allows); only successful `read`, `list` and `read-metadata` answers without a lease or
   * `auth` are ever kept. A backend marks an answer cacheable only when it is the same for
   * every caller allowed to ask and changes only through writes to the same path.
   */
  cache?: { ttlMs: number } | 'no-store';
  /** Entity tag of the addressed object, unquoted (e.g. the version number). */
  etag?: string;
  /** 200 unless set; 204 responses have no body. */
  status?: 200 | 201 | 204;
  /** Set by an auth method's `login`: the gateway issues a token for it. */
  auth?: AuthResult;
}

/**
 * A backend mounted in the routing table: a native engine, or (later) a cloud provider
 * adapted to this shape. Backends never see HTTP.
 */
export interface Engine {
  readonly type: string;
  /** Trailing POST actions this backend understands, e.g. `['rotate', 'undelete', 'destroy']`. */
  readonly actions: readonly ActionOperation[];
  /**
   * Answers one request. Throws `GatewayError`s with stable codes: `ERR_NOT_FOUND`,
   * `ERR_UNSUPPORTED_PATH`, `ERR_METHOD_NOT_ALLOWED`, `ERR_VALIDATION`, `ERR_PRECONDITION_FAILED`, …
   */
  handle(req: BackendRequest): Promise<OperationResponse>;
  /**
   * Whether the addressed object exists, so a write can be classed `create` or `update`
   * before authorization. Backends without it treat every write as `update`.
   */
  exists?(req: BackendRequest): Promise<boolean>;
  /** Help for the addressed path (`GET …?help=1`): synopsis, description, operations. */
  help?(req: BackendRequest): Promise<OperationResponse>;
  /**
   * Work the gateway's scheduler should run now (e.g. secrets whose rotation interval has
   * passed), at most `limit` items. The scheduler runs each through the pipeline, audited,
   * as the `system` principal.
   */
  due?(now: number, limit: number, signal: AbortSignal): Promise<{ operation: Operation; relativePath: string }[]>;
  /** A cheap check that the backend's configuration works (cloud credentials, endpoints). */
  validate?(signal: AbortSignal): Promise<void>;
  /** Releases timers and connections. */
  close?(): Promise<void>;
}
