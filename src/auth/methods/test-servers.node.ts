/**
 * Test helpers (not exported from the folder): small HTTP and HTTPS servers on 127.0.0.1
 * (free port, closed by the test) that record what they receive, and a throw-away PKI
 * generated with the `openssl` CLI.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One request a test server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** What a handler answers; `hang: true` never answers (until the server closes). */
export interface TestReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | object;
  hang?: boolean;
}

/** A running test server. */
export interface TestServer {
  /** `http(s)://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Certificate and key for an HTTPS test server. */
export interface TlsIdentity {
  key: string;
  cert: string;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts a server on 127.0.0.1 (HTTPS when `tls` is given) answering with `handler`. */
export async function startTestServer(
  handler: (req: RecordedRequest) => TestReply | Promise<TestReply>,
  tls?: TlsIdentity,
): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      const recorded = { method: req.method ?? 'GET', path: req.url ?? '/', headers, body: await readBody(req) };
      requests.push(recorded);
      const reply = await handler(recorded);
      if (reply.hang === true) return;
      const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(body);
    })().catch(() => {
      res.destroy();
    });
  };
  const server: Server = tls === undefined ? createHttpServer(listener) : createHttpsServer({ key: tls.key, cert: tls.cert }, listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A throw-away PKI: a CA, a server identity it signed (for 127.0.0.1 and localhost), and an unrelated CA. */
export interface TestPki {
  caPem: string;
  server: TlsIdentity;
  otherCaPem: string;
}

/** Whether the `openssl` CLI is on the PATH. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Generates a `TestPki` with `openssl` (EC P-256, valid one day). Throws when openssl is missing. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-pki-'));
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=keygate test CA');
    run('req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.pem', '-days', '1', '-subj', '/CN=keygate other CA');
    run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
    const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
    return { caPem: read('ca.pem'), server: { key: read('server.key'), cert: read('server.pem') }, otherCaPem: read('other.pem') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The one line printed when a suite is skipped for want of openssl (TESTING.md). */
export const OPENSSL_MISSING = 'skipped: the openssl CLI is missing (apt-get install -y openssl); it generates the test CA';
