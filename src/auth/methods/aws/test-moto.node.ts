/**
 * A moto server for the AWS IAM login tests (a test helper, excluded from the build): STS
 * and IAM on 127.0.0.1 at a free port, started with `python3 -m moto.server`, stopped by
 * its PID. When python3 or moto is missing the suite is skipped with one line saying so,
 * unless `KEYGATE_TEST_REQUIRE_ALL=1`, which turns the skip into a failure.
 */

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** Whether moto's server can run here, and if not, the one line that says what is missing. */
export type MotoAvailability = { ok: true } | { ok: false; reason: string };

/** Checks once, synchronously (so a suite can decide to skip at collection time). */
export function motoAvailability(): MotoAvailability {
  const probe = spawnSync('python3', ['-c', 'import moto.server, flask; print(moto.__version__ if hasattr(moto, "__version__") else "")'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (probe.error !== undefined) {
    return { ok: false, reason: 'python3 is not installed; install Python 3, then: pip install "moto[server]"' };
  }
  if (probe.status !== 0) return { ok: false, reason: 'moto server is not installed for python3; install it with: pip install "moto[server]"' };
  return { ok: true };
}

/** Whether missing tools must fail the run rather than skip (`.ci/run` sets it). */
export function requireAll(): boolean {
  return process.env.KEYGATE_TEST_REQUIRE_ALL === '1';
}

/** AWS credentials, long-lived or temporary. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A running moto server. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>/`. */
  endpoint: string;
  host: string;
  port: number;
  /** Calls a query-protocol action (IAM or STS), signed with `credentials`; returns the XML. */
  action(service: 'iam' | 'sts', params: Record<string, string>, credentials?: AwsCredentials): Promise<{ status: number; body: string }>;
  /** From now on moto checks signatures against the access keys it issued (`/moto-api/reset-auth 0`). */
  enforceSignatures(): Promise<void>;
  /** Stops the server by PID. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; we release it just before moto binds it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    if (child.exitCode !== null) throw new Error(`moto exited early with code ${child.exitCode}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('moto did not start within the time allowed');
}

/** Test credentials moto accepts before signature checking is switched on. */
export const BOOTSTRAP_CREDENTIALS: AwsCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** Starts moto on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4096);
  });
  const host = `127.0.0.1:${port}`;
  const endpoint = `http://${host}/`;
  try {
    await waitUntilUp(`${endpoint}moto-api/`, child, Date.now() + 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${stderr}`);
  }

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };

  return {
    endpoint,
    host,
    port,
    async action(service, params, credentials = BOOTSTRAP_CREDENTIALS) {
      const body = new URLSearchParams({ Version: service === 'iam' ? '2010-05-08' : '2011-06-15', ...params }).toString();
      const signed = await signRequest({ service, host, body, credentials, headers: {} });
      const res = await fetch(endpoint, { method: 'POST', headers: signed, body });
      return { status: res.status, body: await res.text() };
    },
    async enforceSignatures() {
      const res = await fetch(`${endpoint}moto-api/reset-auth`, { method: 'POST', body: '0' });
      if (res.status !== 200) throw new Error(`moto reset-auth answered ${res.status}`);
      await res.body?.cancel();
    },
    stop,
  };
}

/** What to sign: a form-encoded POST to `/` on `host`. */
export interface SignInput {
  service: 'iam' | 'sts';
  host: string;
  body: string;
  credentials: AwsCredentials;
  /** Extra headers to sign (e.g. the server-id header). */
  headers: Record<string, string>;
  region?: string;
}

/** Signs a POST with SigV4 (the AWS SDK's own signer) and returns every header to send, `host` included. */
export async function signRequest(input: SignInput): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: input.service, region: input.region ?? 'us-east-1', credentials: input.credentials, sha256: Sha256 });
  const [hostname, port] = input.host.split(':');
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: hostname ?? input.host,
    port: port === undefined ? undefined : Number(port),
    path: '/',
    query: {},
    headers: { host: input.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...input.headers },
    body: input.body,
  });
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) out[name] = value;
  return out;
}

/** The text of the first `<tag>` in `xml` (for reading moto's answers in tests). */
export function xmlField(xml: string, tag: string): string {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (match?.[1] === undefined) throw new Error(`no <${tag}> in moto's answer: ${xml.slice(0, 300)}`);
  return match[1];
}
