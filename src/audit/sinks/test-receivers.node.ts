/**
 * Test helpers (not exported from the folder): audit records, a capturing logger, and real
 * local receivers on 127.0.0.1 (free ports, closed by the tests): syslog over TCP (RFC 6587
 * octet counting), TLS and UDP, and HTTP servers that gunzip and record what they get. A
 * throw-away PKI comes from the `openssl` CLI.
 */

import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { Server as TcpServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { gunzipSync } from 'node:zlib';
import type { JsonObject, Logger } from '../../core/index.js';
import type { ChainedRecord } from '../types.js';
import type { TlsIdentity } from '../../auth/methods/test-servers.node.js';

/** A placeholder planted in record data by the canary tests. */
export const CANARY = 'canary-7f3a9c1e-must-never-be-logged';

/**
 * A record shaped like the broker's (HMAC'd data, chain fields). `extra` values replace or
 * add top-level fields.
 */
export function makeRecord(seq: number, extra: JsonObject = {}): ChainedRecord {
  const record: JsonObject = {
    type: 'request',
    time: new Date(Date.UTC(2026, 10, 23, 1, 2, 3) + seq).toISOString(),
    request_id: `req-${seq}`,
    operation: 'read',
    path: `secret/app/${seq}`,
    mount: { path: 'secret/', type: 'kv' },
    client_address: '192.0.2.10',
    auth: { accessor_hmac: 'hmac-sha256:aa', principal_id: 'ent-1', display_name: 'approle-ci', policies: ['default'], metadata: {} },
    request: { data: { password: 'hmac-sha256:0f0e' }, params: {} },
    device: 'siem',
    segment: 'seg-1',
    seq,
    prev_hash: seq === 1 ? '0'.repeat(64) : `h${seq - 1}`,
    hash: `h${seq}`,
    ...extra,
  };
  return { record, line: JSON.stringify(record), seq, segment: 'seg-1', hash: `h${seq}` };
}

/** A logger that keeps every call as one JSON line (object and message), for log assertions. */
export function captureLogger(): Logger & { lines: string[]; entries: { level: string; obj: object; msg: string }[] } {
  const lines: string[] = [];
  const entries: { level: string; obj: object; msg: string }[] = [];
  const at =
    (level: string) =>
    (a: object | string, b?: string): void => {
      const obj = typeof a === 'string' ? {} : a;
      const msg = typeof a === 'string' ? a : (b ?? '');
      entries.push({ level, obj, msg });
      lines.push(JSON.stringify({ level, ...obj, msg }));
    };
  const logger = {
    lines,
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

/** Polls until `check` holds (or throws after `ms`). */
export async function waitFor(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A fresh temporary directory and its removal. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `keygate-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The parts of an RFC 5424 message. */
export interface ParsedSyslog {
  pri: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: string;
  msg: string;
}

/** Parses `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]` (SD only as NILVALUE). */
export function parseRfc5424(message: string): ParsedSyslog {
  const m = /^<([0-9]{1,3})>([1-9][0-9]{0,2}) (\S+) (\S+) (\S+) (\S+) (\S+) (-)(?: ([\s\S]*))?$/.exec(message);
  if (m === null) throw new Error('not an RFC 5424 message');
  return {
    pri: Number(m[1]),
    version: Number(m[2]),
    timestamp: m[3] ?? '',
    hostname: m[4] ?? '',
    appName: m[5] ?? '',
    procId: m[6] ?? '',
    msgId: m[7] ?? '',
    structuredData: m[8] ?? '',
    msg: m[9] ?? '',
  };
}

/** Splits an RFC 6587 octet-counted stream into messages; returns them and the unparsed rest. */
export function parseOctetCounted(buffer: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let offset = 0;
  for (;;) {
    const space = buffer.indexOf(0x20, offset);
    if (space < 0) break;
    const lenText = buffer.subarray(offset, space).toString('ascii');
    if (!/^[1-9][0-9]{0,8}$/.test(lenText)) throw new Error(`bad octet count ${JSON.stringify(lenText)}`);
    const len = Number(lenText);
    if (buffer.length < space + 1 + len) break;
    messages.push(buffer.subarray(space + 1, space + 1 + len).toString('utf8'));
    offset = space + 1 + len;
  }
  return { messages, rest: buffer.subarray(offset) };
}

/** A running syslog receiver. */
export interface SyslogReceiver {
  port: number;
  messages: string[];
  /** Connections accepted so far (stream receivers). */
  connections: number;
  close(): Promise<void>;
}

/** A TCP (or, with `tls`, TLS) syslog receiver parsing octet-counted frames; `port` 0 picks a free one. */
export async function startSyslogStream(options: { port?: number; tls?: TlsIdentity } = {}): Promise<SyslogReceiver> {
  const messages: string[] = [];
  const sockets = new Set<Socket>();
  const receiver: SyslogReceiver = { port: 0, messages, connections: 0, close: () => Promise.resolve() };
  const onSocket = (socket: Socket) => {
    receiver.connections++;
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const parsed = parseOctetCounted(Buffer.concat([pending, chunk]));
      messages.push(...parsed.messages);
      pending = Buffer.from(parsed.rest);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const server: TcpServer = options.tls === undefined ? createTcpServer(onSocket) : createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  receiver.port = typeof address === 'object' && address !== null ? address.port : 0;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return receiver;
}

/** A UDP syslog receiver: one message per datagram. */
export async function startSyslogUdp(): Promise<SyslogReceiver> {
  const messages: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (msg) => messages.push(msg.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: socket.address().port,
    messages,
    connections: 0,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** One request an HTTP receiver got (body gunzipped when it was gzip-encoded). */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Bytes on the wire (compressed when gzip). */
  wireBytes: number;
}

/** What an HTTP receiver's handler answers. */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | object;
}

/** A running HTTP receiver. */
export interface HttpReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** An HTTP receiver on 127.0.0.1 (`port` 0: a free one) that answers with `handler`. */
export async function startHttpReceiver(handler: (req: ReceivedRequest) => Reply | Promise<Reply>, port = 0): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const wire = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(wire).toString('utf8') : wire.toString('utf8');
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
        const received = { method: req.method ?? 'GET', path: req.url ?? '/', headers, body, wireBytes: wire.length };
        requests.push(received);
        const reply = await handler(received);
        const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end(text);
      })().catch(() => res.destroy());
    });
  };
  const server = createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A free TCP port on 127.0.0.1 (bound and released; a test then listens on it). */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Parses a stream of concatenated JSON values (Splunk HEC batches). */
export function parseConcatenatedJson(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}') {
      depth--;
      if (depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
    } else if (depth === 0 && ch !== undefined && !/\s/.test(ch)) throw new Error('unexpected text between events');
  }
  if (depth !== 0) throw new Error('truncated event');
  return out;
}

// The throw-away PKI is shared with the auth methods' TLS tests.
export { OPENSSL_MISSING, hasOpenssl, makeTestPki } from '../../auth/methods/test-servers.node.js';
export type { TlsIdentity } from '../../auth/methods/test-servers.node.js';
