/**
 * The OpenAPI 3.1 document, generated from the schemas that validate requests: the sys
 * routes' zod schemas and each native engine's path specs (`describeEngine`). Built once
 * per process, and a self-contained HTML reference rendered from it (no external assets).
 */

import { z } from 'zod';
import type { JsonObject, JsonValue, Operation } from '../core/index.js';
import { authMethods } from '../auth/index.js';
import { describeEngine, nativeEngines } from '../native-engines/index.js';
import type { EngineOperationDescriptor } from '../native-engines/index.js';
import { routePolicyPath } from './api-route.js';
import { apiRoutes } from './routes.js';

type Schema = JsonObject;

const errorSchema: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'request_id'],
      properties: {
        code: { type: 'string', description: 'Stable error code, e.g. ERR_NOT_FOUND.' },
        message: { type: 'string' },
        request_id: { type: 'string' },
        details: {
          type: 'array',
          items: { type: 'object', properties: { field: { type: 'string' }, reason: { type: 'string' } } },
        },
      },
    },
  },
};

/** Where each engine operation appears on the HTTP faces. */
const HTTP_MAPPING: Record<Operation, { face: 'secrets' | 'metadata'; methods: string[]; suffix: string; query?: JsonObject[] }> = {
  read: { face: 'secrets', methods: ['get'], suffix: '' },
  list: {
    face: 'secrets',
    methods: ['get'],
    suffix: '/',
    query: [{ name: 'list', in: 'query', required: true, schema: { type: 'boolean', const: true }, description: 'Selects listing (or use the LIST method).' }],
  },
  create: { face: 'secrets', methods: ['put', 'post'], suffix: '' },
  update: { face: 'secrets', methods: ['put', 'post'], suffix: '' },
  patch: { face: 'secrets', methods: ['patch'], suffix: '' },
  delete: { face: 'secrets', methods: ['delete'], suffix: '' },
  rotate: { face: 'secrets', methods: ['post'], suffix: '/rotate' },
  undelete: { face: 'secrets', methods: ['post'], suffix: '/undelete' },
  destroy: { face: 'secrets', methods: ['post'], suffix: '/destroy' },
  'read-metadata': { face: 'metadata', methods: ['get'], suffix: '' },
  'write-metadata': { face: 'metadata', methods: ['put', 'post'], suffix: '' },
  'patch-metadata': { face: 'metadata', methods: ['patch'], suffix: '' },
  'delete-metadata': { face: 'metadata', methods: ['delete'], suffix: '' },
};

let cached: { version: string; doc: JsonObject } | null = null;

/** The OpenAPI document for this build (static: it describes engine types, never live mounts). */
export function openApiDocument(version: string): JsonObject {
  if (cached?.version === version) return cached.doc;
  const components: Record<string, JsonValue> = { Error: errorSchema };
  const paths: Record<string, Record<string, JsonValue>> = {};
  const bearer = [{ token: [] }];

  const errorResponses = (codes: number[]): JsonObject =>
    Object.fromEntries(codes.map((c) => [String(c), { description: STATUS_TEXT[c] ?? 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]));

  for (const route of apiRoutes) {
    const params = Object.fromEntries([...route.path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1] ?? '', `{${m[1] ?? ''}}`]));
    const access =
      route.auth === 'none'
        ? 'No token needed.'
        : `Needs \`${route.capability ?? ''}\`${route.sudo === true ? ' and `sudo`' : ''} on \`${routePolicyPath(route, params)}\`.`;
    const isList = route.method === 'LIST';
    const op: JsonObject = {
      operationId: `${route.tag}_${route.method.toLowerCase()}_${route.path.replace(/^\/api\/v1\//, '').replace(/\W+/g, '_')}`,
      summary: route.summary,
      description: `${route.description} ${access}`,
      tags: [route.tag],
      security: route.auth === 'none' ? [] : bearer,
      responses: {
        ...(route.response === undefined
          ? { '204': { description: 'Done.' } }
          : { '200': { description: 'OK', content: { 'application/json': { schema: hoist(zodSchema(route.response), components, `${route.tag}_${route.summary}`) } } } }),
        ...errorResponses(route.auth === 'none' ? [400, 503] : [400, 401, 403, 503]),
      },
    };
    const parameters: JsonObject[] = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1] ?? '', in: 'path', required: true, schema: { type: 'string' } }));
    if (isList) parameters.push({ name: 'list', in: 'query', required: true, schema: { type: 'boolean', const: true }, description: 'Selects listing (or use the LIST method).' });
    if (parameters.length > 0) op.parameters = parameters;
    if (route.body !== undefined) {
      op.requestBody = { required: true, content: { 'application/json': { schema: hoist(zodSchema(route.body), components, `${route.tag}_${route.summary}_body`) } } };
    }
    (paths[route.path] ??= {})[isList ? 'get' : route.method.toLowerCase()] = op;
  }

  for (const [type, definition] of Object.entries(nativeEngines)) {
    for (const d of describeEngine(definition)) addEngineOperation(paths, components, type, d, errorResponses, bearer, 'secrets');
  }
  for (const [type, definition] of Object.entries(authMethods)) {
    for (const d of describeEngine(definition)) addEngineOperation(paths, components, type, d, errorResponses, bearer, 'auth');
  }

  const doc: JsonObject = {
    openapi: '3.1.0',
    info: {
      title: 'Keygate API',
      version,
      description:
        'One REST endpoint for every secret. Paths under /api/v1/secrets and /api/v1/metadata include the mount prefix; the embedded default routes every path to the native KV engine. Authenticate with `Authorization: Bearer <token>` or `X-Vault-Token`. Errors are `{ "error": { "code", "message", "request_id" } }`.',
    },
    servers: [{ url: '/' }],
    security: bearer,
    tags: [
      { name: 'sys', description: 'Seal lifecycle, keyring, mounts, auth methods and policies (Vault-shaped).' },
      { name: 'token', description: 'Tokens: create, look up, renew, revoke (Vault-shaped).' },
      { name: 'identity', description: 'Identity entities behind tokens.' },
      ...Object.entries(nativeEngines).map(([name, def]) => ({ name, description: def.description })),
      ...Object.entries(authMethods).map(([name, def]) => ({ name: `auth-${name}`, description: def.description })),
      { name: 'health', description: 'Liveness and readiness.' },
    ],
    paths: {
      '/health': {
        get: {
          operationId: 'health_ready',
          summary: 'Readiness',
          description: '200 when unsealed and storage answers; 503 when sealed or storage is unreachable. Also at /health/ready.',
          tags: ['health'],
          security: [],
          responses: { '200': { description: 'Ready' }, '503': { description: 'Sealed or storage unavailable' } },
        },
      },
      '/health/live': {
        get: { operationId: 'health_live', summary: 'Liveness', description: '200 while the process serves HTTP.', tags: ['health'], security: [], responses: { '200': { description: 'Alive' } } },
      },
      ...paths,
    },
    components: {
      schemas: components,
      securitySchemes: { token: { type: 'http', scheme: 'bearer', description: 'A Keygate token (X-Vault-Token also accepted).' } },
    },
  };
  cached = { version, doc };
  return doc;
}

function addEngineOperation(
  paths: Record<string, Record<string, JsonValue>>,
  components: Record<string, JsonValue>,
  type: string,
  d: EngineOperationDescriptor,
  errorResponses: (codes: number[]) => JsonObject,
  bearer: JsonValue,
  kind: 'secrets' | 'auth',
): void {
  const mapping = HTTP_MAPPING[d.operation];
  // A pattern that starts with a parameter takes the whole logical path (mount prefix included), as KV does;
  // otherwise the engine's paths sit below its mount. Auth methods always sit below theirs.
  const wholePath = kind === 'secrets' && d.pattern.startsWith('{');
  const face = kind === 'auth' ? 'auth' : mapping.face;
  // An auth method's login takes no token.
  const isLogin = kind === 'auth' && d.pattern === 'login';
  const tag = kind === 'auth' ? `auth-${type}` : type;
  const relative = d.pattern;
  const base = `/api/v1/${face}/${wholePath ? '' : '{mount}/'}${relative}`;
  const url = mapping.suffix === '/' ? `${base}/` : `${base}${mapping.suffix}`;
  const parameters: JsonObject[] = [];
  if (!wholePath) parameters.push({ name: 'mount', in: 'path', required: true, schema: { type: 'string' }, description: `Mount path of a ${type} mount.` });
  for (const p of d.pathParams) {
    parameters.push({ name: p, in: 'path', required: true, schema: { type: 'string' }, description: wholePath && p === 'path' ? 'Logical path, mount prefix included; may contain "/".' : '' });
  }
  parameters.push(...(mapping.query ?? []));
  if (d.query !== null) {
    const props = (d.query.properties ?? {}) as JsonObject;
    const required = Array.isArray(d.query.required) ? d.query.required : [];
    for (const [name, schema] of Object.entries(props)) {
      parameters.push({ name, in: 'query', required: required.includes(name), schema: schema ?? {} });
    }
  }
  const status = d.response === null && d.operation !== 'read' && d.operation !== 'list' ? '204' : '200';
  const authEnvelope: JsonObject = { type: 'object', properties: { auth: { type: 'object', description: 'Vault\'s auth envelope: client_token, accessor, policies, token_policies, metadata, lease_duration, renewable, entity_id, orphan.' } } };
  for (const method of mapping.methods) {
    const okBody: JsonObject = isLogin
      ? authEnvelope
      : {
          type: 'object',
          properties: {
            data: d.response === null ? { type: 'object' } : hoist(d.response, components, `${tag}_${d.operation}`),
            ...(kind === 'secrets' ? { metadata: { type: 'object', description: 'Includes mount and backend.' } } : {}),
          },
        };
    const op: JsonObject = {
      operationId: `${tag.replace(/-/g, '_')}_${d.operation.replace(/-/g, '_')}_${method}${wholePath ? '' : `_${d.pattern.replace(/\W+/g, '_')}`}`,
      summary: d.summary,
      description: isLogin ? `${d.description} Needs no token; failed logins are rate-limited (429) per identity and client address.` : d.description,
      tags: [tag],
      security: isLogin ? [] : bearer,
      parameters,
      responses: {
        [isLogin ? '200' : status]: status === '204' && !isLogin ? { description: 'Done.' } : { description: 'OK', content: { 'application/json': { schema: okBody } } },
        ...errorResponses(isLogin ? [400, 401, 404, 429, 503] : [400, 401, 403, 404, 412, 503]),
      },
    };
    if (d.body !== null) op.requestBody = { required: true, content: { 'application/json': { schema: hoist(d.body, components, `${tag}_${d.operation}_${d.pattern}_body`) } } };
    (paths[url] ??= {})[method] = op;
  }
}

function zodSchema(schema: z.ZodType): JsonObject {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
}

/**
 * Moves a JSON Schema's local `$defs` into `components.schemas` under unique names and
 * rewrites its `$ref`s, so the schema can sit anywhere in the OpenAPI document.
 */
function hoist(schema: JsonObject, components: Record<string, JsonValue>, prefix: string): JsonObject {
  const name = (def: string) => `${prefix.replace(/\W+/g, '_')}_${def}`.replace(/_+/g, '_');
  const defs = (schema.$defs ?? {}) as JsonObject;
  const rewrite = (value: JsonValue): JsonValue => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$schema' || k === '$defs') continue;
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) out.$ref = `#/components/schemas/${name(v.slice(8))}`;
      else if (k === 'sensitive') out['x-sensitive'] = v;
      else out[k] = rewrite(v);
    }
    return out;
  };
  for (const [def, body] of Object.entries(defs)) components[name(def)] = rewrite(body);
  const rewritten = rewrite(schema);
  return typeof rewritten === 'object' && rewritten !== null && !Array.isArray(rewritten) ? rewritten : {};
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid input (ERR_VALIDATION, ERR_PATH_INVALID, ERR_INVALID_JSON, …)',
  401: 'Missing or invalid token (ERR_UNAUTHENTICATED)',
  403: 'Not allowed (ERR_PERMISSION_DENIED)',
  404: 'Not found (ERR_NOT_FOUND, ERR_UNSUPPORTED_PATH)',
  412: 'A precondition failed (ERR_PRECONDITION_FAILED)',
  429: 'Too many failed logins (ERR_RATE_LIMITED; see Retry-After)',
  503: 'Sealed or storage unavailable (ERR_SEALED)',
};

/** A self-contained HTML reference for the document: no scripts, no external assets. */
export function renderReferencePage(doc: JsonObject): string {
  const info = (doc.info ?? {}) as JsonObject;
  const paths = (doc.paths ?? {}) as Record<string, Record<string, JsonObject>>;
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = Array.isArray(op.parameters) ? (op.parameters as JsonObject[]) : [];
      const body = (op.requestBody as JsonObject | undefined)?.content as JsonObject | undefined;
      const bodySchema = ((body?.['application/json'] as JsonObject | undefined)?.schema ?? null) as JsonValue;
      const responses = Object.keys((op.responses ?? {}) as JsonObject).join(', ');
      rows.push(`<section class="op">
<h3><span class="m m-${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p><strong>${esc(String(op.summary ?? ''))}</strong>${Array.isArray(op.tags) ? ` <span class="tag">${esc(op.tags.join(', '))}</span>` : ''}</p>
<p>${esc(String(op.description ?? ''))}</p>
${params.length > 0 ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>description</th></tr>${params.map((p) => `<tr><td><code>${esc(String(p.name))}</code></td><td>${esc(String(p.in))}</td><td>${p.required === true ? 'yes' : 'no'}</td><td>${esc(String(p.description ?? ''))}</td></tr>`).join('')}</table>` : ''}
${bodySchema !== null ? `<details><summary>Request body schema</summary><pre>${esc(JSON.stringify(bodySchema, null, 2))}</pre></details>` : ''}
<p class="resp">Responses: ${esc(responses)}</p>
</section>`);
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(String(info.title ?? 'API'))} reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1b1f24;line-height:1.45}
h1{margin-bottom:.2rem} .op{border:1px solid #d0d7de;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.op h3{margin:.2rem 0;font-size:1rem} .m{display:inline-block;min-width:4.5rem;text-align:center;border-radius:4px;color:#fff;padding:0 .3rem;font-size:.85rem}
.m-get{background:#1f6feb}.m-post{background:#1a7f37}.m-put{background:#9a6700}.m-patch{background:#8250df}.m-delete{background:#cf222e}
table{border-collapse:collapse;font-size:.9rem} td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;font-size:.8rem} .tag{color:#57606a;font-size:.85rem} .resp{color:#57606a;font-size:.9rem}
</style></head><body>
<h1>${esc(String(info.title ?? 'API'))}</h1><p>version ${esc(String(info.version ?? ''))} · <a href="/api/v1/openapi.json">openapi.json</a></p>
<p>${esc(String(info.description ?? ''))}</p>
${rows.join('\n')}
</body></html>`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
