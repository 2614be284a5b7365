import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GatewayError, ValidationError } from '../../core/index.js';
import type { Engine, FieldIssue } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { backendRequest, createTestRuntime } from '../test-support.js';
import { describeEngine } from './describe.js';
import { engineKit, noBody, noQuery } from './engine-kit.js';
import { instantiateEngine } from './instantiate.js';

const CANARY = 'CANARY-7f3e9b1c-do-not-echo';

interface ToyOptions {
  greeting: string;
  limit: number;
}
interface ToyState {
  setups: number;
}

let setupCalls = 0;
const kit = engineKit<ToyOptions, ToyState>();

const keyBody = z.object({
  value: z.string().max(16).describe('The value to store.'),
  mode: z.enum(['fast', 'safe']).optional(),
  count: z.int().min(0).max(10).optional(),
  nested: z.strictObject({ flag: z.boolean() }).optional(),
});

const toyEngine = kit.defineEngine({
  type: 'toy',
  description: 'A toy engine for framework tests.',
  options: z.strictObject({
    greeting: z.string().max(10).default('hi'),
    limit: z.int().min(1).max(5).default(3),
  }),
  actions: ['rotate'],
  setup: () => {
    setupCalls++;
    return { setups: setupCalls };
  },
  paths: [
    kit.definePath({
      pattern: 'keys/special',
      help: { synopsis: 'The special key.', description: 'Shadows keys/{name} for "special".' },
      operations: {
        read: kit.defineOperation({
          summary: 'Read the special key',
          body: noBody,
          query: noQuery,
          handler: async () => ({ data: { special: true } }),
        }),
      },
    }),
    kit.definePath({
      pattern: 'keys/{name}',
      help: { synopsis: 'One key.', description: 'Reads and writes one key.' },
      exists: async (ctx) => ctx.params.name === 'present',
      operations: {
        read: kit.defineOperation({
          summary: 'Read a key',
          body: noBody,
          query: z.object({ verbose: z.enum(['yes', 'no']).optional() }),
          response: z.object({ name: z.string(), verbose: z.string(), greeting: z.string(), setups: z.int() }),
          handler: async (ctx) => ({
            data: {
              name: ctx.params.name ?? '',
              verbose: ctx.query.verbose ?? 'no',
              greeting: ctx.options.greeting,
              setups: ctx.state.setups,
            },
          }),
        }),
        update: kit.defineOperation({
          summary: 'Write a key',
          description: 'Stores a value.',
          body: keyBody,
          query: noQuery,
          sensitive: ['value'],
          handler: async (ctx) => ({ data: { operation: ctx.req.operation, length: ctx.body.value.length } }),
        }),
        delete: kit.defineOperation({
          summary: 'Delete a key',
          body: noBody,
          query: noQuery,
          handler: async () => ({ status: 204 }),
        }),
        rotate: kit.defineOperation({
          summary: 'Rotate a key',
          body: noBody,
          query: noQuery,
          handler: async () => ({ data: { rotated: true } }),
        }),
      },
    }),
    kit.definePath({
      pattern: 'config',
      help: { synopsis: 'Config.', description: 'Create-only config.' },
      operations: {
        create: kit.defineOperation({
          summary: 'Create config',
          body: noBody,
          query: noQuery,
          handler: async (ctx) => ({ data: { operation: ctx.req.operation } }),
        }),
      },
    }),
    kit.definePath({
      pattern: 'files/{rest+}',
      help: { synopsis: 'Files.', description: 'Any depth below files/.' },
      operations: {
        read: kit.defineOperation({
          summary: 'Read a file',
          body: noBody,
          query: noQuery,
          handler: async (ctx) => ({ data: { rest: ctx.params.rest ?? '' } }),
        }),
      },
    }),
    kit.definePath({
      pattern: 'tree/{path*}',
      help: { synopsis: 'Tree.', description: 'The tree and anything below it.' },
      operations: {
        list: kit.defineOperation({
          summary: 'List the tree',
          body: noBody,
          query: noQuery,
          handler: async (ctx) => ({ data: { path: ctx.params.path ?? '' } }),
        }),
      },
    }),
  ],
});

function mount(options: unknown = {}): Engine {
  return instantiateEngine(toyEngine, { storage: createMemoryStorage(), runtime: createTestRuntime(), options });
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

function everything(err: GatewayError): string {
  return JSON.stringify({ message: err.message, details: err.details, headers: err.headers, stack: err.stack });
}

describe('engine framework: dispatch', () => {
  it('serves the first matching spec: literal before {name}', async () => {
    const engine = mount();
    expect((await engine.handle(backendRequest('read', 'keys/special', {}, 'toy'))).data).toEqual({ special: true });
    expect((await engine.handle(backendRequest('read', 'keys/other', {}, 'toy'))).data).toMatchObject({ name: 'other' });
  });

  it('captures {name+} and {name*} parameters', async () => {
    const engine = mount();
    expect((await engine.handle(backendRequest('read', 'files/a/b/c', {}, 'toy'))).data).toEqual({ rest: 'a/b/c' });
    expect((await engine.handle(backendRequest('list', 'tree', {}, 'toy'))).data).toEqual({ path: '' });
    expect((await engine.handle(backendRequest('list', 'tree/x/y', {}, 'toy'))).data).toEqual({ path: 'x/y' });
  });

  it('answers ERR_UNSUPPORTED_PATH (404) when no spec matches', async () => {
    const engine = mount();
    for (const path of ['', 'nope', 'files', 'keys/a/b']) {
      const err = await failure(engine.handle(backendRequest('read', path, {}, 'toy')));
      expect(err.code).toBe('ERR_UNSUPPORTED_PATH');
      expect(err.status).toBe(404);
    }
  });

  it('answers ERR_METHOD_NOT_ALLOWED (405) listing the supported operations', async () => {
    const err = await failure(mount().handle(backendRequest('patch', 'keys/a', {}, 'toy')));
    expect(err.code).toBe('ERR_METHOD_NOT_ALLOWED');
    expect(err.status).toBe(405);
    expect(err.message).toContain('read, update, delete, rotate');
  });

  it('treats create as update and update as create (writes are create-or-update)', async () => {
    const engine = mount();
    const created = await engine.handle(backendRequest('create', 'keys/a', { data: { value: 'v' } }, 'toy'));
    expect(created.data).toEqual({ operation: 'create', length: 1 });
    const updated = await engine.handle(backendRequest('update', 'config', {}, 'toy'));
    expect(updated.data).toEqual({ operation: 'update' });
  });

  it('uses the spec\'s exists check, true without one, false without a matching spec', async () => {
    const engine = mount();
    expect(await engine.exists?.(backendRequest('update', 'keys/present', {}, 'toy'))).toBe(true);
    expect(await engine.exists?.(backendRequest('update', 'keys/absent', {}, 'toy'))).toBe(false);
    expect(await engine.exists?.(backendRequest('create', 'config', {}, 'toy'))).toBe(true);
    expect(await engine.exists?.(backendRequest('create', 'nowhere', {}, 'toy'))).toBe(false);
  });

  it('exposes the type and actions of the definition', () => {
    const engine = mount();
    expect(engine.type).toBe('toy');
    expect(engine.actions).toEqual(['rotate']);
  });

  it('refuses an action that no path implements when the engine is defined', () => {
    expect(() =>
      kit.defineEngine({
        type: 'broken',
        description: '',
        options: z.strictObject({ greeting: z.string().default(''), limit: z.int().default(1) }),
        actions: ['destroy'],
        setup: () => ({ setups: 0 }),
        paths: [],
      }),
    ).toThrow(/destroy/);
  });
});

describe('engine framework: input validation', () => {
  const write = (data: Record<string, unknown>, params: Record<string, string> = {}) =>
    failure(mount().handle({ ...backendRequest('update', 'keys/a', { params }, 'toy'), data: JSON.parse(JSON.stringify(data)) }));

  it('names each bad field with a reason', async () => {
    const err = await write({ value: 5, count: 11, nested: { flag: 'x' } });
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.status).toBe(400);
    expect(err.details).toEqual<FieldIssue[]>([
      { field: 'value', reason: 'must be a string' },
      { field: 'count', reason: 'must be at most 10' },
      { field: 'nested.flag', reason: 'must be a boolean' },
    ]);
  });

  it('says a missing required field is required', async () => {
    const err = await write({});
    expect(err.details).toEqual([{ field: 'value', reason: 'is required' }]);
  });

  it('refuses unknown body fields by name, even for a non-strict object schema', async () => {
    const err = await write({ value: 'ok', colour: 'red' });
    expect(err.details).toEqual([{ field: 'colour', reason: 'is not a known field' }]);
  });

  it('refuses unknown fields of nested strict objects', async () => {
    const err = await write({ value: 'ok', nested: { flag: true, extra: 1 } });
    expect(err.details).toEqual([{ field: 'nested.extra', reason: 'is not a known field' }]);
  });

  it('refuses a body on an operation that takes none', async () => {
    const err = await failure(mount().handle(backendRequest('delete', 'keys/a', { data: { anything: 1 } }, 'toy')));
    expect(err.details).toEqual([{ field: 'anything', reason: 'is not a known field' }]);
  });

  it('refuses query options an operation does not take, and unknown ones, by name', async () => {
    const none = await failure(mount().handle(backendRequest('delete', 'keys/a', { params: { force: 'true' } }, 'toy')));
    expect(none.details).toEqual([{ field: 'force', reason: 'is not a known field' }]);
    const unknown = await failure(
      mount().handle(backendRequest('read', 'keys/a', { params: { verbose: 'yes', colour: 'x' } }, 'toy')),
    );
    expect(unknown.details).toEqual([{ field: 'colour', reason: 'is not a known field' }]);
  });

  it('validates and types query options', async () => {
    const ok = await mount().handle(backendRequest('read', 'keys/a', { params: { verbose: 'yes' } }, 'toy'));
    expect(ok.data).toMatchObject({ verbose: 'yes' });
    const bad = await failure(mount().handle(backendRequest('read', 'keys/a', { params: { verbose: 'maybe' } }, 'toy')));
    expect(bad.details).toEqual([{ field: 'verbose', reason: 'must be one of "yes", "no"' }]);
  });

  it('gathers body and query problems into one error', async () => {
    const err = await write({ value: 1 }, { force: '1' });
    expect(err.details?.map((d) => d.field)).toEqual(['value', 'force']);
  });

  it('never echoes a submitted value: wrong type, enum, unknown key, too long, nested', async () => {
    const cases: Record<string, unknown>[] = [
      { value: { secret: CANARY } },
      { value: [CANARY] },
      { value: 'ok', mode: CANARY },
      { value: 'ok', [`${CANARY}!`]: CANARY },
      { value: 'ok', unknown_field: CANARY },
      { value: `${CANARY}${CANARY}` },
      { value: 'ok', nested: { flag: CANARY, [CANARY]: CANARY } },
      { value: 'ok', count: CANARY },
    ];
    for (const data of cases) {
      const err = await write(data, { [`p-${CANARY}!`]: CANARY });
      expect(err).toBeInstanceOf(ValidationError);
      expect(everything(err)).not.toContain(CANARY);
      expect(everything(err)).not.toContain('7f3e9b1c');
    }
    const query = await failure(mount().handle(backendRequest('read', 'keys/a', { params: { verbose: CANARY } }, 'toy')));
    expect(everything(query)).not.toContain(CANARY);
  });

  it('echoes unknown field names only in the snake_case style of real fields', async () => {
    const err = await write({ value: 'ok', 'has space': 1, Token: 2, 'a-b': 3, max_version: 4 });
    // Hidden names collapse into one entry: they carry no information apart.
    expect(err.details).toEqual([
      { field: '[key]', reason: 'is not a known field' },
      { field: 'max_version', reason: 'is not a known field' },
    ]);
  });

  it('caps the number of reported issues', async () => {
    const data: Record<string, unknown> = { value: 'ok' };
    for (let i = 0; i < 100; i++) data[`f${i}`] = i;
    const err = await write(data);
    expect(err.details?.length).toBe(21);
    expect(err.details?.[20]).toEqual({ field: '…', reason: '80 more problems not listed' });
  });
});

describe('engine framework: options and setup', () => {
  it('applies option defaults and calls setup once per mount', async () => {
    const before = setupCalls;
    const engine = mount(undefined);
    expect(setupCalls).toBe(before + 1);
    await engine.handle(backendRequest('read', 'keys/a', {}, 'toy'));
    const second = await engine.handle(backendRequest('read', 'keys/b', {}, 'toy'));
    expect(setupCalls).toBe(before + 1);
    expect(second.data).toMatchObject({ greeting: 'hi', setups: before + 1 });
  });

  it('refuses bad options with details naming each field under options.', () => {
    let caught: unknown;
    try {
      mount({ greeting: `${CANARY}`, limit: 0, colour: CANARY });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const err = caught instanceof ValidationError ? caught : new ValidationError('unreachable');
    expect(err.details).toEqual([
      { field: 'options.colour', reason: 'is not a known field' },
      { field: 'options.greeting', reason: 'must be at most 10 characters long' },
      { field: 'options.limit', reason: 'must be at least 1' },
    ]);
    expect(everything(err)).not.toContain(CANARY);
  });

  it('refuses options that are not an object', () => {
    expect(() => mount('fast')).toThrow(ValidationError);
  });
});

describe('engine framework: help and describe', () => {
  it('returns help for the matched spec, with fields from the schemas', async () => {
    const help = await mount().help?.(backendRequest('update', 'keys/a', {}, 'toy'));
    expect(help?.data).toMatchObject({
      synopsis: 'One key.',
      description: 'Reads and writes one key.',
      pattern: 'keys/{name}',
      operations: {
        read: { summary: 'Read a key', fields: { verbose: { in: 'query', type: 'string', required: false } } },
        update: {
          summary: 'Write a key',
          description: 'Stores a value.',
          fields: {
            value: { in: 'body', type: 'string', required: true, sensitive: true, description: 'The value to store.' },
            mode: { in: 'body', type: 'string', required: false, sensitive: false },
          },
        },
      },
    });
  });

  it('answers 404 for help on a path no spec matches', async () => {
    const err = await failure(mount().help?.(backendRequest('read', 'nowhere', {}, 'toy')) ?? Promise.resolve());
    expect(err.code).toBe('ERR_UNSUPPORTED_PATH');
  });

  it('describes one operation per (path spec × operation) for OpenAPI', () => {
    const described = describeEngine(toyEngine);
    expect(described.map((d) => `${d.operation} ${d.pattern}`)).toEqual([
      'read keys/special',
      'read keys/{name}',
      'update keys/{name}',
      'delete keys/{name}',
      'rotate keys/{name}',
      'create config',
      'read files/{rest}',
      'list tree/{path}',
    ]);
    const update = described.find((d) => d.operation === 'update');
    expect(update).toMatchObject({
      pathParams: ['name'],
      summary: 'Write a key',
      query: null,
      response: null,
      sensitive: ['value'],
      body: { type: 'object', required: ['value'], properties: { value: { type: 'string', maxLength: 16 } } },
    });
    expect(update?.body).not.toHaveProperty('$schema');
    const read = described.find((d) => d.operation === 'read' && d.pattern === 'keys/{name}');
    expect(read?.query).toMatchObject({ properties: { verbose: { enum: ['yes', 'no'] } } });
    expect(read?.response).toMatchObject({ properties: { setups: { type: 'integer' } } });
    expect(read?.body).toBeNull();
    expect(described.find((d) => d.operation === 'list')?.matchesRoot).toBe(false);
  });

  it('hands out copies of the generated schemas', () => {
    const first = describeEngine(toyEngine)[2];
    if (first?.body) first.body.type = 'mutated';
    expect(describeEngine(toyEngine)[2]?.body?.type).toBe('object');
  });
});
