import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChainedRecord } from '../types.js';
import { createAuditSinkFactories } from './index.node.js';
import { createStdoutSink } from './stdout.node.js';
import { CANARY, captureLogger, freePort, makeRecord, startHttpReceiver, startSyslogUdp, tempDir, waitFor } from './test-receivers.node.js';
import type { HttpReceiver } from './test-receivers.node.js';

const never = () => new AbortController().signal;
const fastRetry = { backoff_initial: '10ms', backoff_max: '40ms' };

/** A record whose (HMAC'd) data, path and display name carry the canary. */
const canaryRecord = (seq: number): ChainedRecord =>
  makeRecord(seq, {
    path: `secret/${CANARY}`,
    request: { data: { [CANARY]: `hmac-sha256:${CANARY}` }, params: { q: CANARY } },
    auth: { accessor_hmac: `hmac-sha256:${CANARY}`, principal_id: CANARY, display_name: CANARY, policies: [CANARY], metadata: { k: CANARY } },
  });

const messageOf = (e: unknown) => (e instanceof Error ? `${e.name} ${e.message} ${JSON.stringify(e)}` : String(e));

describe('sinks never log record content', () => {
  let tmp: ReturnType<typeof tempDir>;
  let logger: ReturnType<typeof captureLogger>;
  const receivers: HttpReceiver[] = [];
  beforeEach(() => {
    tmp = tempDir('canary');
    logger = captureLogger();
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    tmp.remove();
  });

  it('keeps a canary in record data out of every log line and error message, through failures, outages and drops', async () => {
    const runtime = { now: () => Date.now(), logger, fetch: globalThis.fetch };
    const factories = createAuditSinkFactories({ runtime });
    const errors: string[] = [];
    const attempt = (p: Promise<void>) => p.catch((e: unknown) => void errors.push(messageOf(e)));

    // File: writes, size rotation, reopen.
    const file = await factories.file({ path: join(tmp.dir, 'audit.log'), rotate_max_bytes: 2048 }, { name: 'file', required: true });
    for (let i = 1; i <= 10; i++) await attempt(file.write(canaryRecord(i), never()));
    await file.reopen?.();
    await file.close();

    // HTTP: a receiver that echoes the document in its errors, as Elasticsearch does.
    const echo = await startHttpReceiver((req) => {
      if (req.path === '/refuse') return { status: 400, body: { error: { reason: `failed to parse [${req.body}]` } } };
      if (req.path === '/busy') return { status: 503, body: req.body };
      return { body: { errors: true, items: [{ index: { status: 400, error: { type: 'mapper_parsing_exception', reason: req.body } } }] } };
    });
    receivers.push(echo);
    for (const path of ['/refuse', '/busy', '/_bulk']) {
      const sink = await factories.http({ url: `${echo.url}${path}`, format: path === '/_bulk' ? 'elastic-bulk' : 'jsonl', flush_interval: 0, retry: { ...fastRetry, max_attempts: 2 } }, { name: 'http', required: true });
      await attempt(sink.write(canaryRecord(1), never()));
      await sink.close();
    }

    // An optional device through an outage, a full spool, a refusal of spooled records, and the drain.
    const port = await freePort();
    const optional = await factories.http(
      { url: `http://127.0.0.1:${port}/`, flush_interval: 0, retry: fastRetry, spool: { max_records: 3 } },
      { name: 'optional', required: false, spoolDir: join(tmp.dir, 'spool') },
    );
    for (let i = 1; i <= 6; i++) await attempt(optional.write(canaryRecord(i), never()));
    let answered = 0;
    const back = await startHttpReceiver(() => (++answered === 1 ? { status: 422, body: CANARY } : { status: 200 }), port);
    receivers.push(back);
    await waitFor(() => optional.counters().failed + optional.counters().written >= 3, 10_000, 'the drain');
    await optional.close();

    // Syslog: a datagram over its cap; a receiver that is not there.
    const udp = await startSyslogUdp();
    const small = await factories.syslog({ transport: 'udp', host: '127.0.0.1', port: udp.port, max_datagram_bytes: 480 }, { name: 'udp', required: true });
    await attempt(small.write(canaryRecord(1), never()));
    await small.close();
    await udp.close();
    const down = await factories.syslog({ transport: 'tcp', host: '127.0.0.1', port: await freePort(), retry: { ...fastRetry, max_attempts: 2 } }, { name: 'tcp', required: true });
    await attempt(down.write(canaryRecord(1), never()));
    await down.close();

    // Stdout on a broken stream.
    const broken = new Writable({ write: (_c, _e, done) => done(Object.assign(new Error('boom'), { code: 'EPIPE' })) });
    broken.on('error', () => undefined);
    const out = await createStdoutSink({}, { name: 'stdout', required: true }, { runtime, stream: broken });
    await attempt(out.write(canaryRecord(1), never()));

    // The scenario did produce logs and errors worth checking…
    expect(logger.lines.length).toBeGreaterThanOrEqual(8);
    expect(errors.length).toBeGreaterThanOrEqual(8);
    // …and none of them carries the canary.
    for (const line of logger.lines) expect(line).not.toContain(CANARY);
    for (const message of errors) expect(message).not.toContain(CANARY);
  });
});
