/**
 * The request pipeline every face shares (ARCHITECTURE.md, "The request, end to end"):
 * route → classify the write → authorize → backend. Audit (issue 4) and the read cache
 * (issue 7) slot in between authorize and the backend; nothing here knows HTTP.
 */

import { GatewayError } from '../core/index.js';
import type { BackendRequest, JsonObject, MountRef, Operation, OperationRequest, OperationResponse, Principal } from '../core/index.js';
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

export function createPipeline(deps: { table: () => RoutingTable; authorize: AuthorizeFn }): Pipeline {
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
      const response = await match.engine.handle(backendReq);
      return { response, mount: match.mount };
    },
  };
}
