/**
 * `describeEngine`: the engine as data for the gateway's OpenAPI document. The gateway
 * chooses HTTP methods and paths; this says only what each operation takes and returns.
 */

import type { Operation } from '../../core/index.js';
import { jsonSchemaOf } from './json-schema.js';
import { matchesRoot, openApiTemplate, patternParams } from './pattern.js';
import type { EngineDefinition, EngineOperationDescriptor, OperationDescription } from './types.js';

/** One descriptor per (path spec × operation), in declaration order. */
export function describeEngine(definition: EngineDefinition): EngineOperationDescriptor[] {
  const out: EngineOperationDescriptor[] = [];
  for (const path of definition.paths) {
    const pattern = openApiTemplate(path.compiled);
    const pathParams = patternParams(path.compiled);
    const root = matchesRoot(path.compiled);
    for (const [operation, spec] of operationEntries(path.operations)) {
      out.push({
        operation,
        pattern,
        pathParams: [...pathParams],
        matchesRoot: root,
        summary: spec.summary,
        description: spec.description,
        body: jsonSchemaOf(spec.body, 'input'),
        query: jsonSchemaOf(spec.query, 'input'),
        response: jsonSchemaOf(spec.response, 'output'),
        sensitive: [...spec.sensitive],
      });
    }
  }
  return out;
}

const OPERATIONS: readonly Operation[] = [
  'read',
  'list',
  'create',
  'update',
  'patch',
  'delete',
  'rotate',
  'undelete',
  'destroy',
  'read-metadata',
  'write-metadata',
  'patch-metadata',
  'delete-metadata',
];

// Object.entries would type keys as string; walking the known list keeps them `Operation`
// (and keeps the author's declaration order).
function operationEntries(
  operations: Partial<Record<Operation, OperationDescription>>,
): [Operation, OperationDescription][] {
  const declared = Object.keys(operations);
  const out: [Operation, OperationDescription][] = [];
  for (const op of OPERATIONS) {
    const spec = operations[op];
    if (spec !== undefined) out.push([op, spec]);
  }
  return out.sort(([a], [b]) => declared.indexOf(a) - declared.indexOf(b));
}
