/**
 * The request pipeline every face shares (ARCHITECTURE.md, "The request, end to end"):
 * route → classify the write → authorize → audit the request → backend → audit the
 * response. The read cache (issue 7) slots in before the backend; nothing here knows HTTP.
 */

import { GatewayError } from '../core/index.js';
import type { BackendRequest, JsonObject, MountRef, Operation, OperationRequest, OperationResponse, Principal } from '../core/index.js';
import type { AuditEvent } from '../audit/index.js';
import type { RouteMatch, RoutingTable } from '../router/index.js';

export interface PipelineResult {
  response: OperationResponse;
  mount: MountRef;
}

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
}

export function createPipeline(deps: { table: () => RoutingTable; authorize: AuthorizeFn; audit: AuditHooks; now: () => number }): Pipeline {
  const route = (path: string) => deps.table().match(path);
  const routed = (req: OperationRequest): { backendReq: BackendRequest; match: RouteMatch } => {
    const match = route(req.path);
    if (match === null) throw new GatewayError('ERR_UNSUPPORTED_PATH', 'no mount serves this path');
    return { backendReq: { ...req, mount: match.mount, relativePath: match.relativePath }, match };
  };
  return {
    route,
    async help(req) {
      const { backendReq, match } = routed(req);
      if (match.engine.help === undefined) throw new GatewayError('ERR_UNSUPPORTED_PATH', 'no help for this path');
      await deps.authorize(req.principal, 'read', req.path, {});
      return match.engine.help({ ...backendReq, operation: 'read' });
    },
    async handle(req) {
      const { backendReq, match } = routed(req);
      // Vault semantics: a write is `create` when the object does not exist yet, so policies can tell them apart.
      if ((req.operation === 'update' || req.operation === 'create') && match.engine.exists !== undefined) {
        backendReq.operation = (await match.engine.exists(backendReq)) ? 'update' : 'create';
      }
      await deps.authorize(req.principal, backendReq.operation, req.path, req.data);
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
      // Written before the backend runs: if no required device takes it, the backend is never called.
      await deps.audit.logRequest(request);
      const response = await match.engine.handle(backendReq);
      await deps.audit.logResponse({ ...request, type: 'response', time: deps.now(), responseData: response.data ?? null, status: response.status ?? 200 });
      return { response, mount: match.mount };
    },
  };
}
