/**
 * The syslog sink (`type: 'syslog'`): one RFC 5424 message per record, MSG the record's JSON
 * line, over UDP (one datagram per message, size-capped: a record over the cap is refused and
 * counted, never truncated), TCP or TLS (RFC 6587 octet counting). Stream transports keep one
 * connection, reconnect after it breaks, with a connect timeout and backoff between failed
 * attempts; records queue in order and leave in groups (`delivery.ts`).
 *
 * Syslog has no acknowledgement: over TCP/TLS a record counts as delivered once the kernel
 * took it, so one that was in flight when the connection broke can be lost; over UDP once the
 * datagram was sent. Devices that must know a SIEM holds each record use the HTTP sink.
 */

import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { connect as netConnect, isIP, isIPv6 } from 'node:net';
import type { Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { z } from 'zod';
import { parseOrThrow, utf8ByteLength } from '../../core/index.js';
import type { AuditSink, SinkContext } from '../types.js';
import { MiB, SinkError, TransportError, durationMs } from './common.js';
import { createQueuedSink } from './delivery.js';
import { spoolOptionsSchema } from './spool.node.js';
import { SEVERITY_INFO, SYSLOG_FACILITIES, formatRfc5424, octetCounted, syslogTimestamp } from './syslog-format.js';
import type { SyslogFacility } from './syslog-format.js';
import type { EncodedEntry, SinkDeps, Spool, Transport } from './types.js';

const facilityNames = Object.keys(SYSLOG_FACILITIES) as [SyslogFacility, ...SyslogFacility[]];

/** Options of a `syslog` device. */
export const syslogSinkOptionsSchema = z
  .strictObject({
    transport: z.enum(['udp', 'tcp', 'tls']).default('tcp').describe('udp (RFC 5426), tcp (RFC 6587 octet counting) or tls (RFC 5425).'),
    host: z.string().min(1).max(253).describe('The receiver (collector, relay or SIEM) host name or IP address.'),
    port: z.int().min(1).max(65_535).optional().describe('Default 514 (udp, tcp) or 6514 (tls).'),
    facility: z.enum(facilityNames).default('local0').describe('RFC 5424 facility; severity is always info.'),
    hostname: z.string().min(1).max(255).optional().describe('HOSTNAME header field; default: this machine\'s host name.'),
    max_datagram_bytes: z.int().min(480).max(65_507).default(8192).describe('udp: largest message sent; a larger record is refused (counted), never truncated.'),
    connect_timeout: durationMs(1).default(5000).describe('tcp/tls: time limit of one connection attempt.'),
    timeout: durationMs(1).default(5000).describe('Time limit of one delivery attempt (connecting included).'),
    batch_max_records: z.int().min(1).max(10_000).default(1000).describe('Most records written in one go.'),
    batch_max_bytes: z.int().min(1024).max(64 * MiB).default(MiB).describe('Most bytes written in one go.'),
    retry: z
      .strictObject({
        max_attempts: z.int().min(1).max(100).default(3),
        backoff_initial: durationMs(1).default(250),
        backoff_max: durationMs(1).default(10_000),
      })
      .prefault({})
      .describe('Required devices: attempts per group of records, with backoff (full jitter) between them.'),
    tls: z
      .strictObject({
        ca: z.string().min(1).max(1_000_000).optional().describe('PEM bundle trusted instead of the system CAs.'),
        server_name: z.string().min(1).max(253).optional().describe('Name the certificate must carry (and SNI); default: host.'),
        reject_unauthorized: z.boolean().default(true).describe('Turn off only for testing: accepts any certificate.'),
      })
      .optional(),
    spool: spoolOptionsSchema.optional().describe('Optional devices (tcp, tls): limits of the on-disk spool used while the receiver is down.'),
  })
  .superRefine((value, ctx) => {
    if (value.tls !== undefined && value.transport !== 'tls') ctx.addIssue({ code: 'custom', path: ['tls'], message: 'is only allowed with transport "tls"' });
  });

/** Validated `syslog` options (durations in ms). */
export type SyslogSinkOptions = z.output<typeof syslogSinkOptionsSchema>;

/**
 * Creates a syslog sink; connects lazily (a receiver that is down at start only delays
 * delivery). `deps.spool` is used by optional tcp/tls devices. Throws `ValidationError` for
 * bad options.
 */
export async function createSyslogSink(options: unknown, ctx: SinkContext, deps: SinkDeps & { spool?: Spool }): Promise<AuditSink> {
  const opts = parseOrThrow(syslogSinkOptionsSchema, options, 'invalid syslog audit device options', ['options']);
  const port = opts.port ?? (opts.transport === 'tls' ? 6514 : 514);
  const hostname = opts.hostname ?? osHostname();
  const procId = String(process.pid);
  const transport = opts.transport === 'udp' ? createUdpTransport(opts.host, port) : createStreamTransport(opts, port);

  const encode = (record: Parameters<AuditSink['write']>[0]): EncodedEntry => {
    const message = formatRfc5424(
      {
        facility: opts.facility,
        severity: SEVERITY_INFO,
        timestamp: syslogTimestamp(record.record.time) ?? new Date(deps.runtime.now()).toISOString(),
        hostname,
        appName: 'keygate',
        procId,
        msgId: 'audit',
      },
      record.line,
    );
    if (opts.transport === 'udp') {
      const bytes = utf8ByteLength(message);
      if (bytes > opts.max_datagram_bytes) {
        throw new SinkError('too_large', `the record's syslog message is ${bytes} bytes, over max_datagram_bytes (${opts.max_datagram_bytes}); it was not sent`);
      }
      return { text: message, bytes };
    }
    const text = octetCounted(message);
    return { text, bytes: utf8ByteLength(text) };
  };

  return createQueuedSink({
    type: 'syslog',
    ctx,
    runtime: deps.runtime,
    transport,
    encode,
    settings: {
      maxRecords: opts.transport === 'udp' ? Math.min(opts.batch_max_records, 100) : opts.batch_max_records,
      maxBytes: opts.batch_max_bytes,
      flushIntervalMs: 0,
      timeoutMs: opts.timeout,
      retry: { maxAttempts: opts.retry.max_attempts, backoffInitialMs: opts.retry.backoff_initial, backoffMaxMs: opts.retry.backoff_max },
    },
    // A UDP target's outage cannot be seen, so a spool would never fill or drain usefully.
    ...(deps.spool === undefined || opts.transport === 'udp' ? {} : { spool: deps.spool }),
  });
}

/** One datagram per message; "delivered" means handed to the kernel. */
function createUdpTransport(host: string, port: number): Transport {
  let socket: UdpSocket | null = null;
  const open = (): UdpSocket => {
    if (socket !== null) return socket;
    const s = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    // Errors surface through each send's callback; a socket-level error closes it for a fresh one.
    s.on('error', () => {
      if (socket === s) socket = null;
      s.close();
    });
    socket = s;
    return s;
  };
  return {
    async send(batch, signal) {
      for (const entry of batch) {
        if (signal.aborted) throw new TransportError(true, 'the syslog send timed out');
        const s = open();
        await new Promise<void>((resolve, reject) => {
          s.send(entry.text, port, host, (err) => {
            if (err === null || err === undefined) resolve();
            else reject(new TransportError(true, 'the syslog datagram could not be sent', { cause: err }));
          });
        });
      }
    },
    async close() {
      const s = socket;
      socket = null;
      if (s !== null) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

/** One TCP (or TLS) connection, opened on demand and replaced when it breaks. */
function createStreamTransport(opts: SyslogSinkOptions, port: number): Transport {
  let socket: Socket | null = null;

  const usable = (s: Socket): boolean => !s.destroyed && s.writable && !s.readableEnded;

  const connect = (signal: AbortSignal): Promise<Socket> =>
    new Promise<Socket>((resolve, reject) => {
      const tlsOpts = opts.tls ?? { reject_unauthorized: true };
      const s: Socket =
        opts.transport === 'tls'
          ? tlsConnect({
              host: opts.host,
              port,
              ...(tlsOpts.ca === undefined ? {} : { ca: tlsOpts.ca }),
              ...(tlsOpts.server_name !== undefined ? { servername: tlsOpts.server_name } : isIP(opts.host) === 0 ? { servername: opts.host } : {}),
              rejectUnauthorized: tlsOpts.reject_unauthorized,
            })
          : netConnect({ host: opts.host, port });
      const readyEvent = opts.transport === 'tls' ? 'secureConnect' : 'connect';
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        s.off(readyEvent, onReady);
        s.off('error', onError);
      };
      const fail = (err: unknown) => {
        cleanup();
        s.destroy();
        reject(err instanceof TransportError ? err : new TransportError(true, 'the syslog receiver could not be reached', { cause: err }));
      };
      const onError = (err: Error) => fail(err);
      const onAbort = () => fail(new TransportError(true, 'the syslog connection attempt was cut short'));
      const onReady = () => {
        cleanup();
        s.setNoDelay(true);
        s.setKeepAlive(true, 30_000);
        // Receivers send nothing; read and discard so a chatty one cannot fill our buffers.
        s.on('data', () => undefined);
        s.on('error', () => s.destroy());
        s.on('end', () => s.destroy());
        s.on('close', () => {
          if (socket === s) socket = null;
        });
        resolve(s);
      };
      const timer = setTimeout(() => fail(new TransportError(true, 'the syslog connection attempt timed out')), opts.connect_timeout);
      signal.addEventListener('abort', onAbort, { once: true });
      s.once(readyEvent, onReady);
      s.once('error', onError);
    });

  return {
    async send(batch, signal) {
      let conn = socket;
      if (conn === null || !usable(conn)) {
        conn?.destroy();
        socket = null;
        conn = await connect(signal);
        socket = conn;
      }
      const open = conn;
      const text = batch.map((e) => e.text).join('');
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          open.destroy();
          reject(new TransportError(true, 'the syslog write timed out'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        open.write(text, (err) => {
          signal.removeEventListener('abort', onAbort);
          if (err === null || err === undefined) resolve();
          else {
            open.destroy();
            reject(new TransportError(true, 'the syslog connection broke', { cause: err }));
          }
        });
      });
    },
    async close() {
      const s = socket;
      socket = null;
      if (s === null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          s.destroy();
          resolve();
        }, 1000);
        s.end(() => {
          clearTimeout(timer);
          s.destroy();
          resolve();
        });
      });
    },
  };
}
