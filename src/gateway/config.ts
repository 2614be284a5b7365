/**
 * The configuration schema: one zod schema validates the YAML file, gives the types, and
 * fills defaults. Runtime-neutral; reading files and the environment is `config.node.ts`.
 */

import { z } from 'zod';
import { DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_PATH_BYTES, ValidationError, check, durationSchema } from '../core/index.js';
import { auditDeviceSchema } from '../audit/index.js';
import { DEFAULT_MAX_ENCRYPTIONS, MAX_ENCRYPTIONS_LIMIT, SEAL_NAME } from '../barrier/index.js';
import type { SealDefinition } from '../barrier/index.js';
import { cidrListSchema } from '../auth/index.js';
import { nativeEngines } from '../native-engines/index.js';
import type { EngineDefinition } from '../native-engines/index.js';
import { mountCacheOptionsSchema, normalizeMountPath } from '../router/index.js';

export const DEFAULT_LISTEN = '127.0.0.1:8080';
export const DEFAULT_DATA_DIR = '.keygate';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const listenSchema = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/, 'must be host:port, e.g. 127.0.0.1:8080')
  .refine((v) => {
    const port = Number(v.slice(v.lastIndexOf(':') + 1));
    return port >= 0 && port <= 65535;
  }, 'port must be 0..65535');

/**
 * A seal stanza as Vault writes it: `type`, the common `name`, `priority` and `disabled`, and
 * the type's own fields beside them (checked against the type's schema in `parseConfig`).
 */
const sealStanzaSchema = z
  .looseObject({
    type: z.string().min(1).max(64).describe('Seal type: dev-key-file, shamir, awskms, gcpckms or azurekeyvault.'),
    name: z.string().regex(SEAL_NAME, 'must be 1-64 letters, digits, ".", "_" or "-"').optional().describe('Unique name (default: the type).'),
    priority: z.int().min(1).max(100).optional().describe('Order in status output; lower first.'),
    disabled: z.boolean().default(false).describe('Unseals only, and is dropped once the enabled seals have each unsealed once (seal migration).'),
  })
  .describe('A seal stanza.');

const mountSchema = z
  .strictObject({
    path: z.string().max(129).describe('Logical path prefix: "" for the default route, else e.g. "team/".'),
    type: z.string().min(1).max(64).describe('Backend type, e.g. "kv".'),
    description: z.string().max(256).default(''),
    options: z.record(z.string(), z.json()).default({}).describe('Backend options, validated by the backend.'),
    cache: mountCacheOptionsSchema.optional(),
  })
  .describe('A mount: a logical path prefix routed to a backend.');

export const configSchema = z.strictObject({
  listen: listenSchema.default(DEFAULT_LISTEN).describe('Address to listen on (host:port).'),
  data_dir: z.string().min(1).default(DEFAULT_DATA_DIR).describe('Directory for the database and the dev seal key.'),
  storage: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('sqlite'), path: z.string().min(1).optional() }),
      z.strictObject({ type: z.literal('memory') }),
    ])
    .default({ type: 'sqlite' })
    .describe('Physical storage. sqlite (default, file under data_dir) or memory (tests only: lost on exit).'),
  seal: z
    .union([sealStanzaSchema, z.array(sealStanzaSchema).min(1).max(16)])
    .prefault({ type: 'dev-key-file' })
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .describe('What wraps the root key: one Vault-style seal stanza or a list (docs/seals/README.md). Default: dev-key-file (development only).'),
  multi_seal: z
    .strictObject({
      required: z.int().min(1).max(16).default(1).describe('How many of the enabled seals must unwrap to unseal: 1 (any one) or k of n.'),
      unwrap_timeout: durationSchema.default('15s').describe('How long one seal may take before it counts as unavailable.'),
    })
    .prefault({}),
  keyring: z
    .strictObject({
      max_encryptions: z.int().min(1_000).max(MAX_ENCRYPTIONS_LIMIT).default(DEFAULT_MAX_ENCRYPTIONS).describe('Encryptions per keyring term before the term rotates by itself.'),
      rotation_interval: durationSchema.optional().describe('Also rotate the keyring term this often (e.g. 720h). Off by default.'),
    })
    .prefault({}),
  mounts: z
    .array(mountSchema)
    .max(256)
    .default([
      { path: '', type: 'kv', description: 'default route: native versioned KV', options: {} },
      { path: 'transit/', type: 'transit', description: 'encryption as a service', options: {} },
    ])
    .describe('Mounts declared here are created at start; more can be added at run time through sys/mounts.'),
  auth: z
    .array(
      z.strictObject({
        path: z.string().min(1).max(129).describe('Auth mount path, e.g. "approle/".'),
        type: z.string().min(1).max(64).describe('Auth method type: approle, jwt, kubernetes or aws.'),
        description: z.string().max(256).default(''),
        config: z.record(z.string(), z.json()).optional().describe('Written to <mount>/config at start (jwt, kubernetes; aws: config/client).'),
        roles: z.record(z.string(), z.record(z.string(), z.json())).optional().describe('Written to <mount>/role/<name> at start.'),
      }),
    )
    .max(64)
    .default([])
    .describe('Auth methods enabled at start; more can be enabled at run time through sys/auth.'),
  policies: z
    .record(z.string().max(128), z.string().max(64 * 1024))
    .default({})
    .describe('ACL policies (name → HCL or JSON text) written at start.'),
  audit: z
    .array(auditDeviceSchema)
    .max(32)
    .default([])
    .describe('Audit devices. Required devices fail requests closed when they cannot write (docs/audit.md).'),
  tokens: z
    .strictObject({
      default_ttl: durationSchema.default('768h').describe('TTL of tokens that ask for none.'),
      max_ttl: durationSchema.default('768h').describe('Longest a non-periodic token may live.'),
    })
    .prefault({}),
  trusted_proxies: cidrListSchema
    .default([])
    .describe('Proxies whose X-Forwarded-For is believed when finding the client address (CIDR blocks).'),
  login_limits: z
    .strictObject({
      failures_per_identity: z.int().min(1).max(100_000).default(10),
      failures_per_address: z.int().min(1).max(100_000).default(30),
      window: durationSchema.default('1m'),
    })
    .prefault({})
    .describe('Failed logins allowed per auth mount × identity and × client address, per window (per replica).'),
  limits: z
    .strictObject({
      max_body_bytes: z.int().min(1024).max(64 * 1024 * 1024).default(DEFAULT_MAX_BODY_BYTES),
      max_json_depth: z.int().min(2).max(256).default(DEFAULT_MAX_JSON_DEPTH),
      max_path_bytes: z.int().min(64).max(4096).default(DEFAULT_MAX_PATH_BYTES),
    })
    .prefault({}),
  cache: z
    .strictObject({
      enabled: z.boolean().default(true).describe('Serve cacheable reads from the read cache (docs/cache.md).'),
      max_entries: z.int().min(1).max(10_000_000).default(50_000).describe('Most answers held.'),
      max_bytes: z.int().min(64 * 1024).max(16 * 1024 * 1024 * 1024).default(128 * 1024 * 1024).describe('Most bytes held (estimated: decrypted values, structure and one serialised copy).'),
      max_entry_bytes: z.int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024).describe('Largest single answer cached; larger ones are served but not kept.'),
    })
    .prefault({})
    .describe('The read-through cache; per-mount TTLs are under mounts[].cache.'),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      access: z.boolean().default(true).describe('One log line per request (method, path, status, duration). Off for benchmarks or when a proxy logs access.'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type MountConfig = Config['mounts'][number];
export type Limits = Config['limits'];
export type AuthMountConfig = Config['auth'][number];
export type SealStanza = Config['seal'][number];

/** The fields every seal stanza has; the rest belong to the seal type. */
const COMMON_SEAL_FIELDS = new Set(['type', 'name', 'priority', 'disabled']);

/** Seal types every runtime knows; KMS types come from the entry's `SealDefinition`s. */
export const BUILTIN_SEAL_OPTIONS: Readonly<Record<string, z.ZodType>> = {
  'dev-key-file': z.strictObject({ path: z.string().min(1).optional().describe('Key file, relative to data_dir (default seal.key).') }),
  shamir: z.strictObject({}),
};

/** A seal stanza's own fields (everything but type, name, priority, disabled). */
export function sealOptions(stanza: SealStanza): Record<string, unknown> {
  return Object.fromEntries(Object.entries(stanza).filter(([k]) => !COMMON_SEAL_FIELDS.has(k)));
}

/** A stanza's name: `name`, or its type. */
export function sealName(stanza: SealStanza): string {
  return stanza.name ?? stanza.type;
}

/** A configuration error: `issues` name each field (dotted path) and the reason. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: { field: string; reason: string }[],
  ) {
    super(`invalid configuration in ${source}:\n${issues.map((i) => `  - ${i.field || '(root)'}: ${i.reason}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates raw configuration (parsed YAML merged with overrides) and fills defaults.
 * `engines` are the mount types available (native engines, plus the providers the entry
 * registers), whose own schemas check each mount's options.
 * Throws `ConfigError` naming every bad field; messages never echo values.
 */
export function parseConfig(
  raw: unknown,
  source: string,
  engines: Readonly<Record<string, EngineDefinition>> = nativeEngines,
  seals: Readonly<Record<string, Pick<SealDefinition, 'options'>>> = {},
): Config {
  const result = check(configSchema, raw ?? {});
  if (!result.ok) throw new ConfigError(source, result.issues);
  checkSeals(result.value, source, seals);
  const paths = new Set<string>();
  for (const [i, m] of result.value.mounts.entries()) {
    try {
      m.path = normalizeMountPath(m.path, `mounts.${i}.path`);
    } catch (err) {
      if (err instanceof ValidationError) throw new ConfigError(source, err.details ?? []);
      throw err;
    }
    if (paths.has(m.path)) throw new ConfigError(source, [{ field: `mounts.${i}.path`, reason: 'duplicate mount path' }]);
    paths.add(m.path);
    // Options are checked here too, so a typo fails at start with the field's full name.
    const engine = engines[m.type];
    if (engine === undefined) {
      throw new ConfigError(source, [{ field: `mounts.${i}.type`, reason: `must be one of: ${Object.keys(engines).join(', ')}` }]);
    }
    const options = check(engine.options, m.options, ['mounts', i, 'options']);
    if (!options.ok) throw new ConfigError(source, options.issues);
  }
  return result.value;
}

/** Each stanza's type and fields, unique names, one shamir at most, and k within the enabled seals. */
function checkSeals(config: Config, source: string, definitions: Readonly<Record<string, Pick<SealDefinition, 'options'>>>): void {
  const types: Record<string, z.ZodType> = { ...BUILTIN_SEAL_OPTIONS, ...Object.fromEntries(Object.entries(definitions).map(([k, d]) => [k, d.options])) };
  const names = new Set<string>();
  for (const [i, stanza] of config.seal.entries()) {
    const schema = types[stanza.type];
    if (schema === undefined) throw new ConfigError(source, [{ field: `seal.${i}.type`, reason: `must be one of: ${Object.keys(types).join(', ')}` }]);
    const options = check(schema, sealOptions(stanza), ['seal', i]);
    if (!options.ok) throw new ConfigError(source, options.issues);
    const name = sealName(stanza);
    if (!SEAL_NAME.test(name)) throw new ConfigError(source, [{ field: `seal.${i}.name`, reason: 'must be 1-64 letters, digits, ".", "_" or "-" (set name when the type is not a valid name)' }]);
    if (names.has(name)) throw new ConfigError(source, [{ field: `seal.${i}.name`, reason: `"${name}" is used by another seal stanza: give each a unique name` }]);
    names.add(name);
  }
  if (config.seal.filter((s) => s.type === 'shamir').length > 1) throw new ConfigError(source, [{ field: 'seal', reason: 'at most one shamir seal' }]);
  const enabled = config.seal.filter((s) => !s.disabled).length;
  if (enabled === 0) throw new ConfigError(source, [{ field: 'seal', reason: 'at least one seal must be enabled' }]);
  if (config.multi_seal.required > enabled) {
    throw new ConfigError(source, [{ field: 'multi_seal.required', reason: `must not exceed the ${enabled} enabled seal(s)` }]);
  }
}
