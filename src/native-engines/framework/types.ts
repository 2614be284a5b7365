/**
 * The engine framework's contracts (ARCHITECTURE.md, decision 4): a native engine is data,
 * an ordered list of path specs. One framework matches paths, validates inputs, answers
 * 404/405, serves help and describes the engine in OpenAPI.
 */

import type { z } from 'zod';
import type {
  ActionOperation,
  BackendRequest,
  Operation,
  OperationResponse,
  Runtime,
  Storage,
} from '../../core/index.js';

/** What the process gives an engine instance when a mount is created. */
export interface EngineDeps {
  /** Barrier view private to the mount (`logical/<mount id>/`): plaintext in, ciphertext below. */
  storage: Storage;
  runtime: Runtime;
  /** Mount options as configured; validated against `EngineDefinition.options` before use. */
  options: unknown;
}

/** What a handler receives: the request, its validated inputs, and the mount's resources. */
export interface HandlerContext<Options, State, Body, Query> {
  req: BackendRequest;
  /** Values captured by the path pattern, e.g. `{ path: 'db/pg' }` for `{path+}`. */
  params: Readonly<Record<string, string>>;
  /** The request body, validated by `OperationSpec.body`. */
  body: Body;
  /** `req.params`, validated by `OperationSpec.query`. */
  query: Query;
  storage: Storage;
  runtime: Runtime;
  options: Options;
  state: State;
}

export interface OperationSpec<Options, State, Body = unknown, Query = unknown> {
  summary: string;
  description?: string;
  /** Schema of the JSON body. Omitted: the body must be empty (`{}`). */
  body?: z.ZodType<Body>;
  /** Schema of the query options (strings in, typed out). Omitted: unknown options are refused. */
  query?: z.ZodType<Query>;
  /** Schema of `data` in a 200 response, for OpenAPI. */
  response?: z.ZodType;
  handler(ctx: HandlerContext<Options, State, Body, Query>): Promise<OperationResponse>;
}

export interface PathSpec<Options, State> {
  /**
   * Relative to the mount. Literal segments, `{name}` for exactly one segment, and a final
   * `{name+}` for one or more segments or `{name*}` for zero or more. Earlier specs win.
   */
  pattern: string;
  // Each operation has its own body/query types; `any` here would leak, so specs are
  // declared through `defineOperation`, which checks them, and stored type-erased.
  operations: Partial<Record<Operation, OperationSpec<Options, State, never, never>>>;
  /** Whether the object exists, so writes are classed `create` or `update`. */
  exists?(ctx: Omit<HandlerContext<Options, State, unknown, unknown>, 'body' | 'query'>): Promise<boolean>;
  help: { synopsis: string; description: string };
}

export interface EngineDefinition<Options, State> {
  type: string;
  description: string;
  /** Schema of the mount options (`mounts[].options` in config, `options` on `POST sys/mounts`). */
  options: z.ZodType<Options>;
  /** Trailing POST actions the engine understands. */
  actions: readonly ActionOperation[];
  /** Builds per-mount state (locks, caches) once, when the mount is created. */
  setup(deps: EngineDeps & { options: Options }): State;
  paths: readonly PathSpec<Options, State>[];
}
