/**
 * `help` for a path spec (`GET …?help=1`): synopsis, description, and per operation its
 * summary and fields, derived from the same schemas that validate requests, so the help
 * can never drift from what the engine accepts.
 */

import type { JsonObject, JsonValue, OperationResponse } from '../../core/index.js';
import { jsonSchemaOf } from './json-schema.js';
import type { OperationDescription, PathDescription } from './types.js';

type FieldLocation = 'body' | 'query';

function typeOf(schema: unknown): string {
  if (typeof schema !== 'object' || schema === null) return 'any';
  const type: unknown = Reflect.get(schema, 'type');
  if (typeof type === 'string') return type;
  if (Array.isArray(type) && type.every((t) => typeof t === 'string')) return type.join(' | ');
  const anyOf: unknown = Reflect.get(schema, 'anyOf');
  if (Array.isArray(anyOf)) return anyOf.map(typeOf).join(' | ');
  return 'any';
}

function stringAt(schema: unknown, key: string): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const value: unknown = Reflect.get(schema, key);
  return typeof value === 'string' ? value : undefined;
}

function addFields(
  out: JsonObject,
  schema: Record<string, unknown> | null,
  location: FieldLocation,
  sensitive: readonly string[],
): void {
  if (schema === null) return;
  const properties = schema.properties;
  const required: readonly unknown[] = Array.isArray(schema.required) ? schema.required : [];
  if (typeof properties === 'object' && properties !== null) {
    for (const [name, property] of Object.entries(properties)) {
      const field: JsonObject = {
        in: location,
        type: typeOf(property),
        required: required.includes(name),
        sensitive: sensitive.includes(name) || sensitive.includes('*'),
      };
      const description = stringAt(property, 'description');
      if (description !== undefined) field.description = description;
      out[name] = field;
    }
  }
  // A free-form object (a secret's own fields) has no named properties: say so with `*`.
  if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) {
    out['*'] = {
      in: location,
      type: typeOf(schema.additionalProperties),
      required: false,
      sensitive: sensitive.includes('*'),
      description: stringAt(schema, 'description') ?? 'any field name',
    };
  }
}

function operationHelp(spec: OperationDescription): JsonValue {
  const fields: JsonObject = {};
  addFields(fields, jsonSchemaOf(spec.query, 'input'), 'query', spec.sensitive);
  addFields(fields, jsonSchemaOf(spec.body, 'input'), 'body', spec.sensitive);
  return { summary: spec.summary, description: spec.description, fields };
}

/** Builds the help response for one path spec. */
export function pathHelp(path: PathDescription): OperationResponse {
  const operations: JsonObject = {};
  for (const [operation, spec] of Object.entries(path.operations)) {
    if (spec !== undefined) operations[operation] = operationHelp(spec);
  }
  return {
    data: {
      synopsis: path.help.synopsis,
      description: path.help.description,
      pattern: path.pattern,
      operations,
    },
  };
}
