/**
 * The request pipeline every face shares (ARCHITECTURE.md, "The request, end to end"):
 * route → classify the write → authorize → audit the request → read cache → backend →
 * audit the response. Writes publish an invalidation for what they touched (docs/cache.md).
 * Nothing here knows HTTP.
 */

import { GatewayError } from '../core/index.js';
import type { BackendRequest, JsonObject, MountCachePolicy, MountRef, Operation, OperationRequest, OperationResponse, Preconditions, Principal } from '../core/index.js';
import type { AuditEvent } from '../audit/index.js';
import { isCacheableOperation } from '../cache/index.js';
import type { CacheOutcome, CacheRequest, CacheableOperation, InvalidationBus, ReadCache } from '../cache/index.js';
import type { RouteMatch, RoutingTable } from '../router/index.js';

export interface PipelineResult {
  response: OperationResponse;
  mount: MountRef;
  /**
   * How the read cache answered, when it was consulted. With `hit`, `miss` or `coalesced`
   * and a cacheable answer, `response` is the cached object itself (frozen, see `shared`).
   */
  cache?: CacheOutcome;
  /** True when `response` is the cached, frozen object that every reader of the entry gets. */
  shared?: boolean;
}

/** The read cache as the pipeline uses it: consulted after authorization, invalidated through the bus. */
export interface PipelineCache {
  cache: ReadCache;
  bus: InvalidationBus;
  /** Called when publishing an invalidation fails (the write stands; the TTL bounds what other replicas serve). */
  onPublishError?(err: unknown): void;
}

/** Operations that never change what a path answers; every other one invalidates the path. */
const READ_ONLY: ReadonlySet<Operation> = new Set<Operation>(['read', 'list', 'read-metadata']);

export interface Pipeline {
  /**
   * Runs one operation. Throws `ERR_UNSUPPORTED_PATH` when no mount serves the path,
   * `ERR_SEALED` while sealed, `ERR_PERMISSION_DENIED`, and whatever the backend throws.
   */
  handle(req: OperationRequest): Promise<PipelineResult>;
  /** Help for the path (`?help=1`): routed and authorized like a read. Throws `ERR_UNSUPPORTED_PATH` when there is none. */
  help(req: OperationRequest): Promise<OperationResponse>;
  /** The backend that would serve `path`, for faces that must ask it something first (its actions). */
  route(path: string): ReturnType<RoutingTable['match']>;
}

/** Decides whether `principal` may perform `operation` on `path`; throws `ERR_PERMISSION_DENIED` if not. */
export type AuthorizeFn = (principal: Principal, operation: Operation, path: string, data: JsonObject) => Promise<void>;

/** The audit steps: both throw `ERR_AUDIT_UNAVAILABLE` to fail the request closed. */
export interface AuditHooks {
  logRequest(event: AuditEvent): Promise<void>;
  logResponse(event: AuditEvent): Promise<void>;
  /** Both records of an answer that needed no backend call (a cache hit), handed over together (decision 0015). */
  logPair(request: AuditEvent, response: AuditEvent): Promise<void>;
}

export function createPipeline(deps: { table: () => RoutingTable; authorize: AuthorizeFn; audit: AuditHooks; now: () => number; cache?: PipelineCache }): Pipeline {
  const route = (path: string) => deps.table().match(path);
  const routed = (req: OperationRequest): { backendReq: BackendRequest; match: RouteMatch } => {
    const match = route(req.path);
    if (match === null) throw new GatewayError('ERR_UNSUPPORTED_PATH', 'no mount serves this path');
    return { backendReq: withRoute(req, match), match };
  };
  return {
    route,
    async help(req) {
      const { backendReq, match } = routed(req);
      if (match.engine.help === undefined) throw new GatewayError('ERR_UNSUPPORTED_PATH', 'no help for this path');
      await deps.authorize(req.principal, 'read', req.path, {});
      backendReq.operation = 'read';
      return match.engine.help(backendReq);
    },
    async handle(req) {
      const { backendReq, match } = routed(req);
      // Vault semantics: a write is `create` when the object does not exist yet, so policies can tell them apart.
      if ((req.operation === 'update' || req.operation === 'create') && match.engine.exists !== undefined) {
        backendReq.operation = (await match.engine.exists(backendReq)) ? 'update' : 'create';
      }
      await deps.authorize(req.principal, backendReq.operation, req.path, req.data);
      const operation = backendReq.operation;
      const policy = deps.cache === undefined ? undefined : match.cache;
      const bypass = req.bypassCache === true;
      const request: AuditEvent = {
        type: 'request',
        time: deps.now(),
        requestId: req.requestId,
        operation: backendReq.operation,
        path: req.path,
        mount: { path: match.mount.path, type: match.mount.type },
        clientAddress: req.clientAddress ?? null,
        principal: req.principal,
        requestData: req.data,
        params: req.params,
      };
      // A cache bypass is on record, in clear.
      if (bypass) request.cache = 'bypass';
      const cacheRequest = deps.cache !== undefined && policy !== undefined && isCacheableOperation(operation) && !hasPreconditions(req) ? new RouteCacheRequest(backendReq, operation, policy, bypass) : null;
      // A fresh hit needs no backend call: its request and response records go to the audit
      // devices together, and the answer leaves only once both are accepted (decision 0015).
      const hit = cacheRequest === null ? null : (deps.cache?.cache.hit(cacheRequest) ?? null);
      if (hit !== null) {
        const responseEvent = responseEventOf(request, hit.response, 'hit', deps.now());
        await deps.audit.logPair(request, responseEvent);
        return { response: hit.response, mount: match.mount, cache: 'hit', shared: true };
      }
      // Written before the cache or the backend answers: if no required device takes it, neither does.
      await deps.audit.logRequest(request);
      let response: OperationResponse;
      let outcome: CacheOutcome | undefined;
      let shared = false;
      if (deps.cache !== undefined && cacheRequest !== null) {
        // After authorization, always: the cache never decides who may see an answer.
        const answer = await deps.cache.cache.read(cacheRequest, (signal) =>
          match.engine.handle(signal === req.signal ? backendReq : new RoutedRequest(backendReq, match, () => signal)),
        );
        ({ response, outcome, shared } = answer);
      } else {
        try {
          response = await match.engine.handle(backendReq);
        } finally {
          // Also after a failure: a write that timed out may still have happened.
          if (deps.cache !== undefined && policy !== undefined && !READ_ONLY.has(operation)) await publish(deps.cache, match.mount.id, match.relativePath);
        }
      }
      await deps.audit.logResponse(responseEventOf(request, response, outcome, deps.now()));
      return { response, mount: match.mount, ...(outcome === undefined ? {} : { cache: outcome, shared }) };
    },
  };
}

/**
 * An `OperationRequest` whose signal is made on first read: on Node, a request's signal costs
 * an AbortController and a listener, and a cache hit never needs one. A class, with the
 * getter on its prototype, on purpose: an object literal with a getter gets a new closure per
 * request, which gives every request object a hidden class of its own; those live in the old
 * generation and keep each request's objects alive past young-generation collections, which
 * made GC the largest cost of a cached read (bench/README.md). A spread (`{ ...req }`) does
 * not copy the signal: build a new instance instead.
 */
export class LazySignalRequest implements OperationRequest {
  operation: Operation;
  path: string;
  data: JsonObject;
  params: Readonly<Record<string, string>>;
  preconditions: Preconditions;
  principal: Principal;
  requestId: string;
  clientAddress: string | null;
  bypassCache: boolean;
  readonly #makeSignal: () => AbortSignal;
  #signal: AbortSignal | null = null;

  constructor(fields: Omit<OperationRequest, 'signal'>, makeSignal: () => AbortSignal) {
    this.operation = fields.operation;
    this.path = fields.path;
    this.data = fields.data;
    this.params = fields.params;
    this.preconditions = fields.preconditions;
    this.principal = fields.principal;
    this.requestId = fields.requestId;
    this.clientAddress = fields.clientAddress ?? null;
    this.bypassCache = fields.bypassCache === true;
    this.#makeSignal = makeSignal;
  }

  get signal(): AbortSignal {
    return (this.#signal ??= this.#makeSignal());
  }
}

/** The backend's view of a request: the request plus where it routed, its signal still the caller's, read lazily. */
class RoutedRequest extends LazySignalRequest implements BackendRequest {
  mount: MountRef;
  relativePath: string;
  constructor(req: OperationRequest, match: RouteMatch, signal: () => AbortSignal) {
    super(req, signal);
    this.mount = match.mount;
    this.relativePath = match.relativePath;
  }
}

function withRoute(req: OperationRequest, match: RouteMatch): BackendRequest {
  return new RoutedRequest(req, match, () => req.signal);
}

/** What the read cache is asked, its signal the request's (read only on a miss). A class for the reason `LazySignalRequest` is. */
class RouteCacheRequest implements CacheRequest {
  mountId: string;
  operation: CacheableOperation;
  path: string;
  params: Readonly<Record<string, string>>;
  policy: MountCachePolicy;
  bypass: boolean;
  readonly #request: BackendRequest;
  constructor(request: BackendRequest, operation: CacheableOperation, policy: MountCachePolicy, bypass: boolean) {
    this.mountId = request.mount.id;
    this.operation = operation;
    this.path = request.relativePath;
    this.params = request.params;
    this.policy = policy;
    this.bypass = bypass;
    this.#request = request;
  }
  get signal(): AbortSignal {
    return this.#request.signal;
  }
}

/** The response record's event for `request`: the answer's data and status, and how the cache took part. */
function responseEventOf(request: AuditEvent, response: OperationResponse, cache: CacheOutcome | undefined, time: number): AuditEvent {
  // Field by field, not `{ ...request, … }`: a spread copy costs several times as much (bench/README.md).
  const event: AuditEvent = {
    type: 'response',
    time,
    requestId: request.requestId,
    operation: request.operation,
    path: request.path,
    mount: request.mount,
    clientAddress: request.clientAddress,
    principal: request.principal,
    requestData: request.requestData,
    params: request.params,
    responseData: response.data ?? null,
    status: response.status ?? 200,
  };
  if (request.error !== undefined) event.error = request.error;
  const outcome = cache ?? request.cache;
  if (outcome !== undefined) event.cache = outcome;
  return event;
}

/** Conditional reads skip the cache: a backend may answer them differently (and they are rare). */
function hasPreconditions(req: OperationRequest): boolean {
  return req.preconditions.ifMatch !== undefined || req.preconditions.ifNoneMatch !== undefined;
}

async function publish(cache: PipelineCache, mountId: string, path: string): Promise<void> {
  try {
    await cache.bus.publish({ kind: 'path', mountId, path });
  } catch (err) {
    cache.onPublishError?.(err);
  }
}
