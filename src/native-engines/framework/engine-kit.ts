/**
 * `engineKit<Options, State>()`: the typed way to declare an engine. Each operation is
 * checked against its own body and query schemas, then erased to an `OperationSpec` that
 * validates its inputs itself, so the framework stores and calls heterogeneous operations
 * without `any` or casts.
 */

import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import type { FieldIssue, Operation } from '../../core/index.js';
import { compilePattern } from './pattern.js';
import type {
  BoundPath,
  EngineDefinition,
  EngineSpec,
  OperationInput,
  OperationSpec,
  PathDescription,
  PathSpec,
} from './types.js';
import { check, declaredKeys, invalidInput, parseOrThrow } from '../../core/index.js';

/** The body schema of an operation that takes no body: only `{}` passes. */
export const noBody = z.strictObject({});

/** The query schema of an operation that takes no options: any option is refused by name. */
export const noQuery = z.strictObject({});

/** The typed declaration helpers for one engine's options and state. */
export interface EngineKit<Options, State> {
  /** Checks one operation against its schemas and erases its body and query types. */
  defineOperation<Body, Query>(input: OperationInput<Options, State, Body, Query>): OperationSpec<Options, State>;
  /** Declares one path spec (identity; it fixes the spec's option and state types). */
  definePath(spec: PathSpec<Options, State>): PathSpec<Options, State>;
  /**
   * Compiles the patterns and checks the spec (throws `TypeError` for a malformed pattern,
   * an action no path implements, or a non-object query schema), then erases it.
   */
  defineEngine(spec: EngineSpec<Options, State>): EngineDefinition;
}

/** Returns the declaration helpers for an engine with these options and state. */
export function engineKit<Options, State>(): EngineKit<Options, State> {
  return {
    defineOperation: (input) => defineOperation(input),
    definePath: (spec) => spec,
    defineEngine: (spec) => defineEngine(spec),
  };
}

function defineOperation<Options, State, Body, Query>(
  input: OperationInput<Options, State, Body, Query>,
): OperationSpec<Options, State> {
  // Unknown query options are refused by name, which needs the declared names.
  if (declaredKeys(input.query) === null) throw new TypeError(`operation "${input.summary}": query must be an object schema`);
  return {
    summary: input.summary,
    description: input.description ?? input.summary,
    body: input.body === noBody ? null : input.body,
    query: input.query === noQuery ? null : input.query,
    response: input.response ?? null,
    sensitive: input.sensitive ?? [],
    async invoke(ctx) {
      const body = check(input.body, ctx.req.data);
      const query = check(input.query, ctx.req.params);
      if (!body.ok || !query.ok) {
        const issues: FieldIssue[] = [...(body.ok ? [] : body.issues), ...(query.ok ? [] : query.issues)];
        throw invalidInput('invalid request', issues);
      }
      return input.handler({ ...ctx, body: body.value, query: query.value });
    },
  };
}

function defineEngine<Options, State>(spec: EngineSpec<Options, State>): EngineDefinition {
  const table = spec.paths.map((path) => {
    const description: PathDescription = {
      pattern: path.pattern,
      compiled: compilePattern(path.pattern),
      operations: path.operations,
      help: path.help,
    };
    return { path, description };
  });
  for (const action of spec.actions) {
    if (!spec.paths.some((path) => path.operations[action] !== undefined)) {
      throw new TypeError(`engine "${spec.type}": action "${action}" has no operation`);
    }
  }
  return {
    type: spec.type,
    description: spec.description,
    options: spec.options,
    actions: spec.actions,
    paths: table.map((entry) => entry.description),
    bind(deps) {
      // A mount configured without options gets every default.
      const options = parseOrThrow(spec.options, deps.options ?? {}, `invalid options for a ${spec.type} mount`, ['options']);
      const state = spec.setup({ storage: deps.storage, runtime: deps.runtime, options });
      const mount = { storage: deps.storage, runtime: deps.runtime, options, state };
      const paths = table.map(({ path, description }): BoundPath => ({
        description,
        exists: (req, params) => (path.exists === undefined ? Promise.resolve(true) : path.exists({ ...mount, req, params })),
        invoke(operation: Operation, req, params) {
          const op = path.operations[operation];
          if (op === undefined) throw new GatewayError('ERR_INTERNAL', 'operation dispatched to a path that lacks it');
          return op.invoke({ ...mount, req, params });
        },
      }));
      return { paths, hooks: spec.hooks?.(mount) ?? {} };
    },
  };
}
