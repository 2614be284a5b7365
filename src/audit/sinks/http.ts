/**
 * The HTTP sink (`type: 'http'`), runtime-neutral over `fetch`: records go in batches to a
 * Splunk HTTP Event Collector, an Elasticsearch/OpenSearch `_bulk` endpoint or any receiver
 * of JSON lines, optionally gzipped and optionally mapped to OCSF API Activity first.
 *
 * A record's `write()` resolves when the batch holding it is acknowledged: a 2xx, and for
 * Elastic a bulk answer with `errors: false`. Network errors, timeouts, 429 and 5xx are
 * retried with exponential backoff and full jitter (`Retry-After` honoured); other 4xx are
 * not. Bulk documents carry `_id` = the record's chain hash, so a retried batch overwrites
 * instead of duplicating. Batching, retries and the spool are `delivery.ts`.
 */

import { z } from 'zod';
import { parseOrThrow, readStreamBounded, sensitive, utf8, utf8ByteLength } from '../../core/index.js';
import type { JsonObject } from '../../core/index.js';
import type { AuditSink, ChainedRecord, SinkContext } from '../types.js';
import { MiB, TransportError, durationMs, parseRetryAfter } from './common.js';
import { createQueuedSink } from './delivery.js';
import { toOcsfApiActivity } from './ocsf.js';
import type { EncodedEntry, SinkDeps, Spool, Transport } from './types.js';

/** Headers the sink sets itself; `headers` may not override them. */
const RESERVED_HEADERS = new Set(['authorization', 'content-type', 'content-encoding', 'content-length', 'host', 'transfer-encoding', 'connection']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const HEADER_VALUE = /^[\t\x20-\x7e]{0,4096}$/;

/** The largest bulk response read (an answer lists every item). */
const MAX_RESPONSE_BYTES = 16 * MiB;

/** Limits of the on-disk spool (optional devices on Node); the same shape as `spoolOptionsSchema`. */
const spoolLimits = z.strictObject({
  max_bytes: z.int().min(4096).max(64 * 1024 * MiB).optional(),
  max_records: z.int().min(1).max(100_000_000).optional(),
});

/** Options of an `http` device. */
export const httpSinkOptionsSchema = z.strictObject({
  url: z
    .string()
    .max(2048)
    .refine((value) => {
      try {
        const u = new URL(value);
        return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '';
      } catch {
        return false;
      }
    }, 'must be an http(s) URL without credentials in it')
    .describe('The receiver. For splunk-hec and elastic-bulk a URL without a path gets /services/collector/event or /_bulk.'),
  format: z.enum(['splunk-hec', 'elastic-bulk', 'jsonl']).default('jsonl'),
  token: z
    .string()
    .min(1)
    .max(4096)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .transform((value) => sensitive(value))
    .optional()
    .describe('Write-only. Sent as "Authorization: Splunk <token>" (splunk-hec) or "Authorization: Bearer <token>".'),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .superRefine((headers, ctx) => {
      if (headers === undefined) return;
      const names = Object.keys(headers);
      if (names.length > 32) ctx.addIssue({ code: 'custom', message: 'must have at most 32 headers' });
      for (const [name, value] of Object.entries(headers)) {
        if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', message: 'has a header name that is not a valid HTTP token' });
        else if (RESERVED_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', message: 'may not set Authorization, Content-Type, Content-Encoding, Content-Length, Host, Transfer-Encoding or Connection' });
        if (!HEADER_VALUE.test(value)) ctx.addIssue({ code: 'custom', message: 'has a header value with characters HTTP does not allow' });
      }
    })
    .describe('Extra request headers.'),
  index: z.string().min(1).max(255).optional().describe('Splunk index, or Elastic _index of each document.'),
  source_type: z.string().min(1).max(255).optional().describe('Splunk sourcetype (default "keygate:audit", or "ocsf:api_activity" with ocsf).'),
  hostname: z.string().min(1).max(255).optional().describe('Splunk "host" of each event (default: the gateway host name where known).'),
  batch_max_records: z.int().min(1).max(10_000).default(100),
  batch_max_bytes: z.int().min(1024).max(64 * MiB).default(MiB).describe('Uncompressed bytes per batch; a single larger record is sent alone.'),
  flush_interval: durationMs(0)
    .optional()
    .describe('How long a partial batch waits for more records. Default 1s for optional devices; 0 for required ones (send as soon as the previous batch is acknowledged).'),
  gzip: z.boolean().default(true),
  timeout: durationMs(1).default(5000).describe('Time limit of one request.'),
  retry: z
    .strictObject({
      max_attempts: z.int().min(1).max(100).default(5),
      backoff_initial: durationMs(1).default(250),
      backoff_max: durationMs(1).default(10_000),
    })
    .prefault({}),
  ocsf: z.boolean().default(false).describe('Send each record mapped to OCSF API Activity (class 6003) instead of as it is.'),
  spool: spoolLimits.optional().describe('Optional devices: limits of the on-disk spool used while the receiver is down.'),
});

/** Validated `http` options (durations in ms, token wrapped as `Sensitive`). */
export type HttpSinkOptions = z.output<typeof httpSinkOptionsSchema>;

/** The request URL: a bare origin gets the format's standard path. */
export function endpointUrl(url: string, format: HttpSinkOptions['format']): string {
  const u = new URL(url);
  if (u.pathname === '/' || u.pathname === '') {
    if (format === 'splunk-hec') u.pathname = '/services/collector/event';
    if (format === 'elastic-bulk') u.pathname = '/_bulk';
  }
  return u.toString();
}

/** Encodes one record as its format's batch entry (see docs/audit-sinks.md for examples). */
export function encodeHttpEntry(record: ChainedRecord, opts: Pick<HttpSinkOptions, 'format' | 'ocsf' | 'index' | 'source_type'>, host: string | undefined, now: number): EncodedEntry {
  const doc: JsonObject = opts.ocsf ? toOcsfApiActivity(record.record) : record.record;
  const docText = opts.ocsf ? JSON.stringify(doc) : record.line;
  let text: string;
  switch (opts.format) {
    case 'splunk-hec': {
      const at = typeof record.record.time === 'string' ? Date.parse(record.record.time) : Number.NaN;
      const event: JsonObject = { time: Math.round(Number.isNaN(at) ? now : at) / 1000 };
      if (host !== undefined) event.host = host;
      event.source = 'keygate';
      event.sourcetype = opts.source_type ?? (opts.ocsf ? 'ocsf:api_activity' : 'keygate:audit');
      if (opts.index !== undefined) event.index = opts.index;
      // The record's own text is spliced in, so what Splunk stores is the chained line itself.
      text = `${JSON.stringify(event).slice(0, -1)},"event":${docText}}`;
      break;
    }
    case 'elastic-bulk': {
      const action: JsonObject = {};
      if (opts.index !== undefined) action._index = opts.index;
      if (typeof record.record.hash === 'string') action._id = record.record.hash;
      text = `${JSON.stringify({ index: action })}\n${docText}\n`;
      break;
    }
    case 'jsonl':
      text = `${docText}\n`;
      break;
  }
  return { text, bytes: utf8ByteLength(text) };
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Reads whether an Elastic bulk answer reports item failures, and whether all of them are retryable. */
function bulkFailures(answer: unknown): { failed: number; total: number; retryable: boolean; status: number | null } | null {
  if (typeof answer !== 'object' || answer === null) return null;
  const errors: unknown = Reflect.get(answer, 'errors');
  const items: unknown = Reflect.get(answer, 'items');
  if (errors === false) return { failed: 0, total: Array.isArray(items) ? items.length : 0, retryable: true, status: null };
  if (errors !== true || !Array.isArray(items)) return null;
  let failed = 0;
  let retryable = true;
  let status: number | null = null;
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    for (const result of Object.values(item)) {
      const s: unknown = typeof result === 'object' && result !== null ? Reflect.get(result, 'status') : undefined;
      if (typeof s === 'number' && (s < 200 || s >= 300)) {
        failed++;
        status ??= s;
        if (s !== 429 && s < 500) retryable = false;
      }
    }
  }
  return { failed: Math.max(failed, 1), total: items.length, retryable, status };
}

function createHttpTransport(opts: HttpSinkOptions, deps: SinkDeps): Transport {
  const url = endpointUrl(opts.url, opts.format);
  const contentType = opts.format === 'splunk-hec' ? 'application/json' : 'application/x-ndjson';
  const token = opts.token;
  const authorization = token === undefined ? undefined : `${opts.format === 'splunk-hec' ? 'Splunk' : 'Bearer'} ${token.reveal()}`;

  return {
    async send(batch, signal) {
      const raw = utf8(batch.map((entry) => entry.text).join(''));
      const body = opts.gzip ? await gzip(raw) : raw;
      const headers = new Headers();
      for (const [name, value] of Object.entries(opts.headers ?? {})) headers.set(name, value);
      headers.set('content-type', contentType);
      if (opts.gzip) headers.set('content-encoding', 'gzip');
      if (authorization !== undefined) headers.set('authorization', authorization);
      let res: Response;
      try {
        res = await deps.runtime.fetch(url, { method: 'POST', headers, body, signal, redirect: 'manual' });
      } catch (err) {
        throw new TransportError(true, signal.aborted ? 'the audit receiver did not answer in time' : 'the audit receiver could not be reached', { cause: err });
      }
      const status = res.status;
      if (status >= 200 && status < 300) {
        if (opts.format !== 'elastic-bulk') {
          await res.body?.cancel().catch(() => undefined);
          return;
        }
        let answer: unknown = null;
        try {
          const bytes = await readStreamBounded(res.body, MAX_RESPONSE_BYTES);
          answer = bytes === null ? null : JSON.parse(new TextDecoder().decode(bytes));
        } catch (err) {
          throw new TransportError(true, 'the bulk answer could not be read', { cause: err, status });
        }
        const failures = bulkFailures(answer);
        if (failures === null) throw new TransportError(false, 'the bulk answer was not an Elasticsearch bulk response', { status });
        if (failures.failed > 0) {
          throw new TransportError(failures.retryable, `${failures.failed} of ${failures.total} documents were refused`, { status: failures.status });
        }
        return;
      }
      await res.body?.cancel().catch(() => undefined);
      if (status === 429 || status >= 500) {
        throw new TransportError(true, `the audit receiver answered ${status}`, { status, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), deps.runtime.now()) });
      }
      throw new TransportError(false, `the audit receiver answered ${status}`, { status });
    },
    close: async () => undefined,
  };
}

/**
 * Creates an HTTP sink. `deps.spool` (optional devices) holds records while the receiver is
 * down; `deps.hostname` is the default Splunk `host`. Throws `ValidationError` for bad options.
 */
export async function createHttpSink(options: unknown, ctx: SinkContext, deps: SinkDeps & { spool?: Spool; hostname?: string }): Promise<AuditSink> {
  const opts = parseOrThrow(httpSinkOptionsSchema, options, 'invalid http audit device options', ['options']);
  const host = opts.hostname ?? deps.hostname;
  return createQueuedSink({
    type: 'http',
    ctx,
    runtime: deps.runtime,
    transport: createHttpTransport(opts, deps),
    encode: (record) => encodeHttpEntry(record, opts, host, deps.runtime.now()),
    settings: {
      maxRecords: opts.batch_max_records,
      maxBytes: opts.batch_max_bytes,
      flushIntervalMs: opts.flush_interval ?? (ctx.required ? 0 : 1000),
      timeoutMs: opts.timeout,
      retry: { maxAttempts: opts.retry.max_attempts, backoffInitialMs: opts.retry.backoff_initial, backoffMaxMs: opts.retry.backoff_max },
    },
    ...(deps.spool === undefined ? {} : { spool: deps.spool }),
  });
}
