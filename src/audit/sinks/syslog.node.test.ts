import { afterEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../core/index.js';
import type { AuditSink } from '../types.js';
import { createSyslogSink } from './syslog.node.js';
import {
  OPENSSL_MISSING,
  captureLogger,
  freePort,
  hasOpenssl,
  makeRecord,
  makeTestPki,
  parseRfc5424,
  startSyslogStream,
  startSyslogUdp,
  waitFor,
} from './test-receivers.node.js';
import type { SyslogReceiver } from './test-receivers.node.js';

const required = { name: 'syslog', required: true };
const never = () => new AbortController().signal;
const fastRetry = { backoff_initial: '10ms', backoff_max: '50ms' };

const openssl = hasOpenssl();
if (!openssl) {
  if (process.env.KEYGATE_TEST_REQUIRE_ALL === '1') throw new Error(OPENSSL_MISSING);
  console.warn(`syslog sink over TLS: ${OPENSSL_MISSING}`);
}

describe('syslog sink', () => {
  const open: { sinks: AuditSink[]; receivers: SyslogReceiver[] } = { sinks: [], receivers: [] };
  let logger = captureLogger();
  const sink = async (options: object, ctx = required) => {
    logger = captureLogger();
    const s = await createSyslogSink(options, ctx, { runtime: { now: () => Date.now(), logger, fetch: globalThis.fetch } });
    open.sinks.push(s);
    return s;
  };
  const track = (r: SyslogReceiver) => {
    open.receivers.push(r);
    return r;
  };
  afterEach(async () => {
    await Promise.all(open.sinks.splice(0).map((s) => s.close(AbortSignal.timeout(2000))));
    await Promise.all(open.receivers.splice(0).map((r) => r.close()));
  });

  it('sends RFC 5424 messages over TCP with octet counting, MSG the record line, in order', async () => {
    const receiver = track(await startSyslogStream());
    const s = await sink({ transport: 'tcp', host: '127.0.0.1', port: receiver.port, hostname: 'gw-1' });
    const records = Array.from({ length: 50 }, (_, i) => makeRecord(i + 1));
    await Promise.all(records.map((r) => s.write(r, never())));
    await waitFor(() => receiver.messages.length === 50);
    const parsed = receiver.messages.map(parseRfc5424);
    for (const [i, m] of parsed.entries()) {
      // local0 (16) × 8 + info (6).
      expect(m.pri).toBe(134);
      expect(m.version).toBe(1);
      expect(m.timestamp).toBe(records[i]?.record.time);
      expect(m.hostname).toBe('gw-1');
      expect(m.appName).toBe('keygate');
      expect(m.procId).toBe(String(process.pid));
      expect(m.msgId).toBe('audit');
      expect(m.structuredData).toBe('-');
    }
    expect(parsed.map((m) => m.msg)).toEqual(records.map((r) => r.line));
    expect(receiver.connections).toBe(1);
    expect(s.counters()).toMatchObject({ written: 50, failed: 0 });
  });

  it('uses the configured facility', async () => {
    const receiver = track(await startSyslogStream());
    const s = await sink({ host: '127.0.0.1', port: receiver.port, facility: 'authpriv' });
    await s.write(makeRecord(1), never());
    await waitFor(() => receiver.messages.length === 1);
    expect(parseRfc5424(receiver.messages[0] ?? '').pri).toBe(10 * 8 + 6);
  });

  it('sends one datagram per message over UDP and refuses, counts and logs a record over the cap', async () => {
    const receiver = track(await startSyslogUdp());
    const s = await sink({ transport: 'udp', host: '127.0.0.1', port: receiver.port, max_datagram_bytes: 2048 });
    const records = Array.from({ length: 5 }, (_, i) => makeRecord(i + 1));
    for (const r of records) await s.write(r, never());
    const big = makeRecord(6, { request: { data: { blob: `hmac-sha256:${'a'.repeat(4000)}` }, params: {} } });
    await expect(s.write(big, never())).rejects.toMatchObject({ kind: 'too_large' });
    await waitFor(() => receiver.messages.length === 5);
    expect(receiver.messages.map((m) => parseRfc5424(m).msg)).toEqual(records.map((r) => r.line));
    expect(s.counters()).toMatchObject({ written: 5, failed: 1 });
    expect(logger.entries.some((e) => e.level === 'warn' && JSON.stringify(e.obj).includes('too_large'))).toBe(true);
  });

  it('reconnects after the receiver restarts', async () => {
    const first = await startSyslogStream();
    const port = first.port;
    const s = await sink({ host: '127.0.0.1', port, retry: fastRetry });
    await s.write(makeRecord(1), never());
    await waitFor(() => first.messages.length === 1);
    await first.close();
    // A restart takes a moment, during which the sink sees the connection end. (A record written
    // into a connection the peer already closed, before its FIN arrives, is lost: plain TCP
    // syslog has no acknowledgements; docs/audit-sinks.md.)
    await new Promise((r) => setTimeout(r, 100));
    const second = track(await startSyslogStream({ port }));
    await s.write(makeRecord(2), never());
    await s.write(makeRecord(3), never());
    await waitFor(() => second.messages.length === 2);
    expect(second.messages.map((m) => parseRfc5424(m).msg)).toEqual([makeRecord(2).line, makeRecord(3).line]);
  });

  it('fails a required device\'s write when nothing listens, after its attempts, with backoff between connects', async () => {
    const port = await freePort();
    const s = await sink({ host: '127.0.0.1', port, retry: { ...fastRetry, max_attempts: 3 }, connect_timeout: '200ms' });
    await expect(s.write(makeRecord(1), never())).rejects.toMatchObject({ kind: 'unavailable' });
    expect(s.counters()).toMatchObject({ failed: 1, written: 0 });
  });

  describe.runIf(openssl)('over TLS', () => {
    const pki = openssl ? makeTestPki() : { caPem: '', server: { key: '', cert: '' } };

    it('sends over TLS to a receiver the configured CA signed', async () => {
      const receiver = track(await startSyslogStream({ tls: pki.server }));
      const s = await sink({ transport: 'tls', host: '127.0.0.1', port: receiver.port, tls: { ca: pki.caPem } });
      await Promise.all([1, 2, 3].map((i) => s.write(makeRecord(i), never())));
      await waitFor(() => receiver.messages.length === 3);
      expect(receiver.messages.map((m) => parseRfc5424(m).msg)).toEqual([1, 2, 3].map((i) => makeRecord(i).line));
    });

    it('refuses a receiver whose certificate it cannot verify, or that names another host', async () => {
      const receiver = track(await startSyslogStream({ tls: pki.server }));
      const untrusted = await sink({ transport: 'tls', host: '127.0.0.1', port: receiver.port, retry: { ...fastRetry, max_attempts: 1 } });
      await expect(untrusted.write(makeRecord(1), never())).rejects.toMatchObject({ kind: 'unavailable' });
      const wrongName = await sink({ transport: 'tls', host: '127.0.0.1', port: receiver.port, tls: { ca: pki.caPem, server_name: 'siem.example' }, retry: { ...fastRetry, max_attempts: 1 } });
      await expect(wrongName.write(makeRecord(1), never())).rejects.toMatchObject({ kind: 'unavailable' });
      expect(receiver.messages).toHaveLength(0);
    });
  });

  it('refuses bad options naming each field', async () => {
    const err: unknown = await createSyslogSink({ transport: 'carrier-pigeon', facility: 'local9', port: 70_000, tls: {}, colour: 1 }, required, {
      runtime: { now: () => 0, logger: captureLogger(), fetch: globalThis.fetch },
    }).catch((e: unknown) => e);
    expect(isGatewayError(err, 'ERR_VALIDATION')).toBe(true);
    const fields = isGatewayError(err) ? (err.details ?? []).map((d) => d.field).sort() : [];
    expect(fields).toEqual(['options.colour', 'options.facility', 'options.host', 'options.port', 'options.transport']);
  });
});
