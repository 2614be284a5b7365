import { afterEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../core/index.js';
import type { AuditSink } from '../types.js';
import { createHttpSink } from './http.js';
import { captureLogger, makeRecord, parseConcatenatedJson, startHttpReceiver } from './test-receivers.node.js';
import type { HttpReceiver, ReceivedRequest, Reply } from './test-receivers.node.js';

const required = { name: 'siem', required: true };
const never = () => new AbortController().signal;
const fast = { backoff_initial: '10ms', backoff_max: '50ms' };

describe('http sink', () => {
  const open: { sinks: AuditSink[]; receivers: HttpReceiver[] } = { sinks: [], receivers: [] };
  const receiver = async (handler: (req: ReceivedRequest) => Reply | Promise<Reply>) => {
    const r = await startHttpReceiver(handler);
    open.receivers.push(r);
    return r;
  };
  const sink = async (options: object, ctx = required) => {
    const s = await createHttpSink(options, ctx, { runtime: { now: () => Date.now(), logger: captureLogger(), fetch: globalThis.fetch }, hostname: 'gw-1' });
    open.sinks.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(open.sinks.splice(0).map((s) => s.close(AbortSignal.timeout(2000))));
    await Promise.all(open.receivers.splice(0).map((r) => r.close()));
  });

  it('sends Splunk HEC events, gzipped, with the Splunk token, to /services/collector/event', async () => {
    const hec = await receiver((req) => {
      if (req.headers.authorization !== 'Splunk hec-token-1') return { status: 401, body: { text: 'Invalid token', code: 4 } };
      return { body: { text: 'Success', code: 0 } };
    });
    const s = await sink({ url: hec.url, format: 'splunk-hec', token: 'hec-token-1', index: 'audit', source_type: 'keygate:audit', flush_interval: '50ms' });
    const records = Array.from({ length: 5 }, (_, i) => makeRecord(i + 1));
    await Promise.all(records.map((r) => s.write(r, never())));
    expect(hec.requests).toHaveLength(1);
    const req = hec.requests[0];
    expect(req?.path).toBe('/services/collector/event');
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.wireBytes).toBeLessThan(Buffer.byteLength(req?.body ?? ''));
    const events = parseConcatenatedJson(req?.body ?? '');
    expect(events).toEqual(
      records.map((r) => ({
        time: Date.parse(String(r.record.time)) / 1000,
        host: 'gw-1',
        source: 'keygate',
        sourcetype: 'keygate:audit',
        index: 'audit',
        event: r.record,
      })),
    );
    expect(s.counters()).toEqual({ written: 5, failed: 0, spooled: 0, dropped: 0 });
  });

  it('sends Elastic bulk NDJSON with _index and the chain hash as _id, and checks errors:false', async () => {
    const es = await receiver((req) => {
      const lines = req.body.split('\n');
      expect(lines.at(-1)).toBe('');
      const items = [];
      for (let i = 0; i + 1 < lines.length; i += 2) {
        const action = JSON.parse(lines[i] ?? '') as { index: { _index: string; _id: string } };
        items.push({ index: { _index: action.index._index, _id: action.index._id, status: 201, result: 'created' } });
      }
      return { body: { took: 1, errors: false, items } };
    });
    const s = await sink({ url: es.url, format: 'elastic-bulk', index: 'keygate-audit', token: 'api-key-1', gzip: false, flush_interval: '20ms' });
    const records = Array.from({ length: 3 }, (_, i) => makeRecord(i + 1));
    await Promise.all(records.map((r) => s.write(r, never())));
    const req = es.requests[0];
    expect(req?.path).toBe('/_bulk');
    expect(req?.headers['content-type']).toBe('application/x-ndjson');
    expect(req?.headers.authorization).toBe('Bearer api-key-1');
    expect(req?.headers['content-encoding']).toBeUndefined();
    expect(req?.body).toBe(records.map((r) => `{"index":{"_index":"keygate-audit","_id":"${String(r.record.hash)}"}}\n${r.line}\n`).join(''));
  });

  it('sends JSON lines, or OCSF events when asked', async () => {
    const jl = await receiver(() => ({ status: 204 }));
    const plain = await sink({ url: `${jl.url}/ingest`, format: 'jsonl', flush_interval: 0 });
    await plain.write(makeRecord(1), never());
    expect(jl.requests[0]?.path).toBe('/ingest');
    expect(jl.requests[0]?.body).toBe(`${makeRecord(1).line}\n`);
    expect(jl.requests[0]?.headers.authorization).toBeUndefined();

    const ocsf = await sink({ url: `${jl.url}/ocsf`, format: 'jsonl', ocsf: true, flush_interval: 0, headers: { 'X-Tenant': 'blue' } });
    await ocsf.write(makeRecord(2), never());
    const event = JSON.parse(jl.requests[1]?.body ?? '') as Record<string, unknown>;
    expect(event).toMatchObject({ class_uid: 6003, activity_id: 2, api: { operation: 'read', request: { uid: 'req-2' } } });
    expect(jl.requests[1]?.headers['x-tenant']).toBe('blue');
  });

  it('batches by record count, by bytes and by interval', async () => {
    const r = await receiver(() => ({ status: 200 }));
    // Full batches leave at once; the partial one waits for flush_interval (or, here, close).
    const byCount = await sink({ url: `${r.url}/count`, batch_max_records: 10, flush_interval: '1h', gzip: false });
    const writes = Array.from({ length: 25 }, (_, i) => byCount.write(makeRecord(i + 1), never()));
    await Promise.all(writes.slice(0, 20));
    expect(r.requests.filter((q) => q.path === '/count')).toHaveLength(2);
    await byCount.close();
    await Promise.all(writes);
    const counts = r.requests.filter((q) => q.path === '/count').map((q) => q.body.trimEnd().split('\n').length);
    expect(counts).toEqual([10, 10, 5]);

    const lineBytes = Buffer.byteLength(`${makeRecord(1).line}\n`);
    const maxBytes = Math.max(1024, lineBytes * 3 + 5);
    const perBatch = Math.floor(maxBytes / lineBytes);
    const bySize = await sink({ url: `${r.url}/bytes`, batch_max_bytes: maxBytes, flush_interval: '1h', gzip: false });
    const sized = Array.from({ length: perBatch * 2 + 1 }, (_, i) => bySize.write(makeRecord(i + 1), never()));
    await Promise.all(sized.slice(0, perBatch * 2));
    expect(r.requests.filter((q) => q.path === '/bytes')).toHaveLength(2);
    await bySize.close();
    await Promise.all(sized);
    const sizes = r.requests.filter((q) => q.path === '/bytes').map((q) => q.body.trimEnd().split('\n').length);
    expect(sizes).toEqual([perBatch, perBatch, 1]);

    const byTime = await sink({ url: `${r.url}/time`, flush_interval: '200ms', gzip: false });
    const t0 = Date.now();
    await Promise.all([1, 2, 3].map((i) => byTime.write(makeRecord(i), never())));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(r.requests.filter((q) => q.path === '/time').map((q) => q.body.trimEnd().split('\n').length)).toEqual([3]);
  });

  it('retries 503 with backoff and 429 after Retry-After, then succeeds', async () => {
    let calls = 0;
    const r = await receiver((req) => {
      calls++;
      if (req.path === '/busy' && calls <= 2) return { status: 503 };
      if (req.path === '/slow-down' && calls === 1) return { status: 429, headers: { 'retry-after': '1' } };
      return { status: 200 };
    });
    const s = await sink({ url: `${r.url}/busy`, flush_interval: 0, retry: fast });
    await s.write(makeRecord(1), never());
    expect(r.requests.map((q) => q.path)).toEqual(['/busy', '/busy', '/busy']);
    expect(new Set(r.requests.map((q) => q.body)).size).toBe(1);

    calls = 0;
    const t = await sink({ url: `${r.url}/slow-down`, flush_interval: 0, retry: fast });
    const started = Date.now();
    await t.write(makeRecord(2), never());
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(r.requests.filter((q) => q.path === '/slow-down')).toHaveLength(2);
  });

  it('never retries a 400, and gives up after max_attempts on a target that stays down', async () => {
    const r = await receiver((req) => (req.path === '/bad' ? { status: 400, body: { error: 'bad' } } : { status: 502 }));
    const bad = await sink({ url: `${r.url}/bad`, flush_interval: 0, retry: fast });
    await expect(bad.write(makeRecord(1), never())).rejects.toMatchObject({ kind: 'rejected', status: 400 });
    expect(r.requests.filter((q) => q.path === '/bad')).toHaveLength(1);
    expect(bad.counters()).toMatchObject({ written: 0, failed: 1 });

    const down = await sink({ url: `${r.url}/down`, flush_interval: 0, retry: { ...fast, max_attempts: 3 } });
    await expect(down.write(makeRecord(1), never())).rejects.toMatchObject({ kind: 'unavailable', status: 502 });
    expect(r.requests.filter((q) => q.path === '/down')).toHaveLength(3);
  });

  it('fails a batch when Elastic refuses one item, retrying only when every refusal is retryable', async () => {
    let calls = 0;
    const r = await receiver((req) => {
      calls++;
      const refused = req.path.startsWith('/mapping') ? { status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse' } } : { status: 429, error: { type: 'es_rejected_execution_exception' } };
      if (req.path.startsWith('/pressure') && calls > 1) return { body: { errors: false, items: [{ index: { status: 201 } }, { index: { status: 201 } }] } };
      return { body: { errors: true, items: [{ index: { status: 201 } }, { index: refused }] } };
    });
    const mapping = await sink({ url: `${r.url}/mapping/_bulk`, format: 'elastic-bulk', index: 'a', flush_interval: '20ms', retry: fast });
    const results = await Promise.allSettled([mapping.write(makeRecord(1), never()), mapping.write(makeRecord(2), never())]);
    expect(results.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    expect(r.requests).toHaveLength(1);

    calls = 0;
    const pressure = await sink({ url: `${r.url}/pressure/_bulk`, format: 'elastic-bulk', index: 'a', flush_interval: '20ms', retry: fast });
    await Promise.all([pressure.write(makeRecord(1), never()), pressure.write(makeRecord(2), never())]);
    expect(r.requests.filter((q) => q.path.startsWith('/pressure'))).toHaveLength(2);
  });

  it('rejects a queued record promptly when its deadline passes', async () => {
    const r = await receiver(() => ({ status: 200 }));
    const s = await sink({ url: r.url, flush_interval: '5s' });
    const deadline = AbortSignal.timeout(50);
    const started = Date.now();
    await expect(s.write(makeRecord(1), deadline)).rejects.toBeDefined();
    expect(Date.now() - started).toBeLessThan(1000);
    await s.close();
    expect(r.requests).toHaveLength(0);
  });

  it('refuses bad options naming each field, never echoing the token', async () => {
    const err: unknown = await createHttpSink(
      { url: 'ftp://user:pw@example', format: 'syslog', token: 'secret token with spaces', headers: { Authorization: 'x' }, batch_max_records: 0, extra: 1 },
      required,
      { runtime: { now: () => 0, logger: captureLogger(), fetch: globalThis.fetch } },
    ).catch((e: unknown) => e);
    expect(isGatewayError(err, 'ERR_VALIDATION')).toBe(true);
    const fields = isGatewayError(err) ? (err.details ?? []).map((d) => d.field).sort() : [];
    expect(fields).toEqual(['options.batch_max_records', 'options.extra', 'options.format', 'options.headers', 'options.token', 'options.url']);
    expect(JSON.stringify(isGatewayError(err) ? { m: err.message, d: err.details } : {})).not.toContain('secret token');
  });
});
