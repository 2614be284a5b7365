/**
 * The engine framework's contracts (ARCHITECTURE.md, decision 4): a native engine is data,
 * an ordered list of path specs. One framework matches paths, validates inputs, answers
 * 404/405, serves help and describes the engine for OpenAPI.
 *
 * Authoring is typed (`engineKit<Options, State>()` checks every operation against its own
 * body and query schemas); what the framework stores is erased over those per-operation
 * types, so heterogeneous operations and engines sit in one list or registry without `any`.
 */

import type { z } from 'zod';
import type {
  ActionOperation,
  Engine,
  BackendRequest,
  JsonObject,
  Operation,
  OperationResponse,
  Runtime,
  Storage,
} from '../../core/index.js';
import type { CompiledPattern } from './pattern.js';

/** What the process gives an engine instance when a mount is created. */
export interface EngineDeps {
  /** Barrier view private to the mount (`logical/<mount id>/`): plaintext in, ciphertext below. */
  storage: Storage;
  runtime: Runtime;
  /** Mount options as configured (`undefined` means none); validated against `EngineDefinition.options`. */
  options: unknown;
}

/** What `setup` receives: the mount's storage, runtime and validated options. */
export interface SetupContext<Options> {
  storage: Storage;
  runtime: Runtime;
  /** The validated mount options (defaults applied). */
  options: Options;
}

/** The mount's resources, as every handler sees them. */
export interface MountContext<Options, State> extends SetupContext<Options> {
  /** What `setup` returned for this mount. */
  state: State;
}

/** A request matched to a path spec: what `exists` receives. */
export interface PathContext<Options, State> extends MountContext<Options, State> {
  req: BackendRequest;
  /** Values captured by the path pattern, e.g. `{ path: 'db/pg' }` for `{path+}`. */
  params: Readonly<Record<string, string>>;
}

/** What a handler receives: the matched request, its validated inputs, and the mount's resources. */
export interface HandlerContext<Options, State, Body, Query> extends PathContext<Options, State> {
  /** `req.data`, validated by `OperationSpec.body`. */
  body: Body;
  /** `req.params`, validated by `OperationSpec.query`. */
  query: Query;
}

/**
 * An operation as its author writes it, typed by its own schemas (see `engineKit`). `body`
 * and `query` are required (`noBody`/`noQuery` say "none"): with an optional schema the
 * framework could not produce a value of the handler's `Body` type without a cast.
 */
export interface OperationInput<Options, State, Body, Query> {
  summary: string;
  description?: string;
  /**
   * Schema of the JSON body; `noBody` when the operation takes none (the body must be `{}`).
   * For an object schema, fields it does not declare are refused by name, strict or not.
   */
  body: z.ZodType<Body>;
  /**
   * Schema of the query options: an object schema whose fields take strings; `noQuery`
   * when the operation takes none. Options it does not declare are refused by name.
   */
  query: z.ZodType<Query>;
  /** Schema of `data` in a 200 response, for OpenAPI. Omitted: no documented body (e.g. 204). */
  response?: z.ZodType;
  /**
   * Top-level field names, in the body or in the response `data`, whose values are secret
   * material; `'*'` means every field (a free-form secret). Feeds help and OpenAPI.
   */
  sensitive?: readonly string[];
  handler(ctx: HandlerContext<Options, State, Body, Query>): Promise<OperationResponse>;
}

/** What describes an operation, whatever its engine: help and OpenAPI read only this. */
export interface OperationDescription {
  readonly summary: string;
  readonly description: string;
  readonly body: z.ZodType | null;
  readonly query: z.ZodType | null;
  readonly response: z.ZodType | null;
  readonly sensitive: readonly string[];
}

/**
 * A checked operation, erased over its body and query types: `invoke` validates `req.data`
 * and `req.params` with the operation's own schemas, then calls its typed handler. Build
 * one with `engineKit().defineOperation`.
 */
export interface OperationSpec<Options, State> extends OperationDescription {
  /** Validates the inputs (throws `ValidationError`) and runs the handler. */
  invoke(ctx: PathContext<Options, State>): Promise<OperationResponse>;
}

/** Help text for one path spec. */
export interface PathHelp {
  synopsis: string;
  description: string;
}

/** One path spec: a pattern, its operations, help, and an optional existence check. */
export interface PathSpec<Options, State> {
  /**
   * Relative to the mount. Literal segments, `{name}` for exactly one segment, and a final
   * `{name+}` for one or more segments or `{name*}` for zero or more. Earlier specs win.
   */
  pattern: string;
  operations: Partial<Record<Operation, OperationSpec<Options, State>>>;
  /** Whether the addressed object exists, so writes are classed `create` or `update`. Omitted: true. */
  exists?(ctx: PathContext<Options, State>): Promise<boolean>;
  help: PathHelp;
}

/** A path spec as help and OpenAPI see it. */
export interface PathDescription {
  readonly pattern: string;
  readonly compiled: CompiledPattern;
  readonly operations: Partial<Record<Operation, OperationDescription>>;
  readonly help: PathHelp;
}

/** An engine as its author writes it (see `engineKit().defineEngine`). */
export interface EngineSpec<Options, State> {
  type: string;
  description: string;
  /** Schema of the mount options (`mounts[].options` in config, `options` on `POST sys/mounts`). */
  options: z.ZodType<Options>;
  /** Trailing POST actions the engine understands; each must be an operation of some path. */
  actions: readonly ActionOperation[];
  /** Builds per-mount state (locks, caches) once, when the mount is created. */
  setup(ctx: SetupContext<Options>): State;
  paths: readonly PathSpec<Options, State>[];
  /** Engine-level hooks over the mount's state: scheduled work, a configuration check, cleanup. */
  hooks?(mount: MountContext<Options, State>): EngineHooks;
}

/** What an engine offers the gateway besides its paths (see `Engine.due`, `validate`, `close`). */
export interface EngineHooks {
  due?: Engine['due'];
  validate?: Engine['validate'];
  close?: Engine['close'];
}

/** A path spec bound to one mount's options and state: what an engine instance dispatches to. */
export interface BoundPath {
  readonly description: PathDescription;
  exists(req: BackendRequest, params: Readonly<Record<string, string>>): Promise<boolean>;
  /** Runs `operation`, which must be a key of `description.operations` (see `resolveOperation`). */
  invoke(operation: Operation, req: BackendRequest, params: Readonly<Record<string, string>>): Promise<OperationResponse>;
}

/**
 * A native engine, erased over its options and state so that engines of every type fit
 * one registry. Produced by `engineKit().defineEngine`; mounted by `instantiateEngine`.
 */
export interface EngineDefinition {
  readonly type: string;
  readonly description: string;
  readonly options: z.ZodType;
  readonly actions: readonly ActionOperation[];
  readonly paths: readonly PathDescription[];
  /**
   * Framework-internal (call `instantiateEngine`): validates `deps.options` (throws
   * `ValidationError`), runs `setup` once, and binds every path to the result.
   */
  readonly bind: (deps: EngineDeps) => { paths: readonly BoundPath[]; hooks: EngineHooks };
}

/** One (path spec × operation) pair, for the gateway's OpenAPI document. */
export interface EngineOperationDescriptor {
  operation: Operation;
  /** OpenAPI-style template relative to the mount: `{path}` for `{path+}`/`{path*}`, `keys/{name}`. */
  pattern: string;
  /** The names captured by the pattern, in order. */
  pathParams: string[];
  /** The final parameter may be empty (`{name*}`), so the template also matches the mount root. */
  matchesRoot: boolean;
  summary: string;
  description: string;
  /** JSON Schema (draft 2020-12) of the body, or null when the operation takes none. */
  body: JsonObject | null;
  /** JSON Schema of the query options (string inputs), or null when none are accepted. */
  query: JsonObject | null;
  /** JSON Schema of `data` in a 200 response, or null (e.g. 204). */
  response: JsonObject | null;
  /** Field names holding secret material; `'*'` means every field. */
  sensitive: string[];
}
