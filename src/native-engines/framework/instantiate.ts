/**
 * `instantiateEngine`: turns an engine definition into a mounted `Engine`. It owns the
 * dispatch every engine shares: first matching path spec, 404 for no match, 405 for an
 * operation the spec lacks (with Vault's create-or-update equivalence), input validation
 * (inside each operation) and help.
 */

import { GatewayError } from '../../core/index.js';
import type { BackendRequest, Engine, Operation, OperationResponse } from '../../core/index.js';
import { pathHelp } from './help.js';
import { matchPattern } from './pattern.js';
import type { BoundPath, EngineDefinition, EngineDeps, PathDescription } from './types.js';

interface Match {
  path: BoundPath;
  params: Readonly<Record<string, string>>;
}

function findPath(paths: readonly BoundPath[], relativePath: string): Match | null {
  for (const path of paths) {
    const params = matchPattern(path.description.compiled, relativePath);
    if (params !== null) return { path, params };
  }
  return null;
}

function unsupportedPath(): GatewayError {
  return new GatewayError('ERR_UNSUPPORTED_PATH', 'unsupported path: no operation of this backend is served here');
}

/**
 * The operation of `path` that serves `operation`: itself, or for `create`/`update` the
 * other one (writes are create-or-update, as in Vault). Throws `ERR_METHOD_NOT_ALLOWED`,
 * listing the supported operations, when there is none.
 */
export function resolveOperation(path: PathDescription, operation: Operation): Operation {
  if (path.operations[operation] !== undefined) return operation;
  if (operation === 'create' && path.operations.update !== undefined) return 'update';
  if (operation === 'update' && path.operations.create !== undefined) return 'create';
  const supported = Object.keys(path.operations).join(', ');
  throw new GatewayError(
    'ERR_METHOD_NOT_ALLOWED',
    `operation "${operation}" is not supported on this path; supported operations: ${supported}`,
  );
}

/**
 * Mounts `definition`: validates `deps.options` against `definition.options` (throws
 * `ValidationError` whose details name each bad field, e.g. `options.max_versions`) and
 * calls the definition's `setup` once.
 */
export function instantiateEngine(definition: EngineDefinition, deps: EngineDeps): Engine {
  const { paths, hooks } = definition.bind(deps);
  return {
    type: definition.type,
    actions: definition.actions,
    ...hooks,
    async handle(req: BackendRequest): Promise<OperationResponse> {
      const match = findPath(paths, req.relativePath);
      if (match === null) throw unsupportedPath();
      const operation = resolveOperation(match.path.description, req.operation);
      return match.path.invoke(operation, req, match.params);
    },
    async exists(req: BackendRequest): Promise<boolean> {
      const match = findPath(paths, req.relativePath);
      return match === null ? false : match.path.exists(req, match.params);
    },
    async help(req: BackendRequest): Promise<OperationResponse> {
      const match = findPath(paths, req.relativePath);
      if (match === null) throw unsupportedPath();
      return pathHelp(match.path.description);
    },
  };
}
