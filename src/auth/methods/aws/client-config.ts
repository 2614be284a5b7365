/**
 * `config/client`: where logins are verified (`sts_endpoint`, `sts_region`), the server-id
 * header value signed requests must carry, and which extra headers a signed request may
 * have. Logins are refused until `iam_server_id_header_value` is set: without it a signed
 * GetCallerIdentity made for any other service would be accepted here.
 */

import { z } from 'zod';
import { noBody, noQuery } from '../../../native-engines/framework/index.js';
import { NotFoundError } from '../../../core/index.js';
import { parseEndpointUrl } from '../endpoint-url.js';
import { loadJson, saveJson } from '../../../native-engines/framework/stored-json.js';
import { stringListSchema } from '../string-list.js';
import { aws } from './context.js';
import type { AwsPathContext } from './context.js';
import { SERVER_ID_HEADERS } from './server-id-header.js';

/** Where the configuration is stored in the mount's view. */
export const CONFIG_KEY = 'config/client';

/** STS's global endpoint, Vault's default. */
export const DEFAULT_STS_ENDPOINT = 'https://sts.amazonaws.com/';

/** The canonical form of an STS endpoint (`scheme://host[:port]/`), or null when it is not acceptable. */
export function canonicalStsEndpoint(text: string): string | null {
  const url = parseEndpointUrl(text.trim());
  if (url === null || url.search !== '' || (url.pathname !== '/' && url.pathname !== '')) return null;
  return `${url.origin}/`;
}

const stsEndpointSchema = z
  .string()
  .max(512)
  .transform((text, ctx) => {
    const canonical = canonicalStsEndpoint(text);
    if (canonical === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an https URL with no path, query or credentials (http only for loopback hosts)' });
      return z.NEVER;
    }
    return canonical;
  })
  .describe('The STS endpoint logins are verified against, e.g. "https://sts.us-east-2.amazonaws.com".');

/** Headers the request reaches STS without, or that fetch sets itself: never allowed as extras. */
const RESERVED_HEADERS = new Set([
  'connection',
  'content-length',
  'host',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  ...SERVER_ID_HEADERS,
]);

const headerNameSchema = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s) => /^[a-z0-9-]{1,64}$/.test(s), 'must be a header name: letters, digits and "-"')
  .refine((s) => !RESERVED_HEADERS.has(s), 'is a header that cannot be allowed');

const printable = (s: string): boolean => /^[\x20-\x7e]*$/.test(s);

/** Body of `config/client` writes. Fields left out keep their current value (defaults on creation). */
export const clientConfigBody = z.strictObject({
  sts_endpoint: stsEndpointSchema.default(DEFAULT_STS_ENDPOINT),
  sts_region: z
    .string()
    .refine((s) => /^([a-z]{2}(-[a-z0-9]+){1,3})?$/.test(s), 'must be an AWS region such as us-east-1, or empty')
    .default('')
    .describe('When set, the region signed requests must be scoped to (the region of sts_endpoint).'),
  iam_server_id_header_value: z
    .string()
    .max(256)
    .refine(printable, 'must be printable ASCII')
    .default('')
    .describe('The value the signed x-keygate-aws-iam-server-id (or x-vault-aws-iam-server-id) header must carry. Required for logins.'),
  allowed_sts_header_values: stringListSchema(32, 64)
    .pipe(z.array(headerNameSchema))
    .default([])
    .describe('Extra request headers a signed login request may carry and have forwarded to STS.'),
});

/** The stored configuration. */
export const storedClientConfigSchema = z.object({
  sts_endpoint: z.string(),
  sts_region: z.string(),
  iam_server_id_header_value: z.string(),
  allowed_sts_header_values: z.array(z.string()),
});

/** A stored configuration. */
export type ClientConfig = z.output<typeof storedClientConfigSchema>;

/** The mount's configuration, or null when none was written. */
export function loadClientConfig(ctx: AwsPathContext): Promise<ClientConfig | null> {
  return loadJson(ctx.storage, CONFIG_KEY, storedClientConfigSchema, 'AWS client configuration');
}

/** `config/client`: read, write, delete. */
export const clientConfigPath = aws.definePath({
  pattern: 'config/client',
  help: {
    synopsis: 'Where and how IAM logins are verified.',
    description:
      'sts_endpoint (default https://sts.amazonaws.com), sts_region, iam_server_id_header_value (required for logins) and allowed_sts_header_values. Writes change only the fields given.',
  },
  async exists(ctx) {
    return (await loadClientConfig(ctx)) !== null;
  },
  operations: {
    read: aws.defineOperation({
      summary: 'Read the client configuration',
      body: noBody,
      query: noQuery,
      response: storedClientConfigSchema,
      async handler(ctx) {
        const config = await loadClientConfig(ctx);
        if (config === null) throw new NotFoundError('no client configuration');
        return { data: { ...config }, cache: 'no-store' };
      },
    }),
    update: aws.defineOperation({
      summary: 'Write the client configuration',
      body: clientConfigBody,
      query: noQuery,
      async handler(ctx) {
        const provided = new Set(Object.keys(ctx.req.data));
        const existing = await loadClientConfig(ctx);
        const pick = <K extends keyof ClientConfig>(key: K): ClientConfig[K] =>
          existing === null || provided.has(key) ? ctx.body[key] : existing[key];
        const config: ClientConfig = {
          sts_endpoint: pick('sts_endpoint'),
          sts_region: pick('sts_region'),
          iam_server_id_header_value: pick('iam_server_id_header_value'),
          allowed_sts_header_values: pick('allowed_sts_header_values'),
        };
        await saveJson(ctx.storage, CONFIG_KEY, config);
        return { status: 204 };
      },
    }),
    delete: aws.defineOperation({
      summary: 'Delete the client configuration',
      body: noBody,
      query: noQuery,
      async handler(ctx) {
        await ctx.storage.delete(CONFIG_KEY);
        return { status: 204 };
      },
    }),
  },
});
