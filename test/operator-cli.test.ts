/**
 * `keygate operator …` against an in-process gateway: init prints the shares once, unseal
 * takes them (argument or standard input) with progress, seal-status exits 3 while sealed,
 * seal needs a token, and failures name the gateway's error code, never a share.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { ManagedStorage } from '../src/core/index.js';
import { createMemoryStorage } from '../src/storage/index.js';
import { runOperator } from '../src/cli/operator.js';
import type { OperatorIo } from '../src/cli/operator.js';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';

const open: TestGateway[] = [];
afterEach(async () => {
  for (const g of open.splice(0)) await g.close();
});

function durableStorage(): ManagedStorage {
  return { ...createMemoryStorage(), close: async () => undefined };
}

async function shamirGateway(storage: ManagedStorage): Promise<TestGateway> {
  const g = await createTestGateway({ storage, config: { seal: { type: 'shamir' } } });
  open.push(g);
  return g;
}

interface Captured extends OperatorIo {
  stdout: string;
  stderr: string;
  urls: string[];
}

function io(g: TestGateway, opts: { stdin?: string; env?: Record<string, string> } = {}): Captured {
  const c: Captured = {
    stdout: '',
    stderr: '',
    urls: [],
    out: (s) => (c.stdout += s),
    err: (s) => (c.stderr += s),
    readLine: async () => opts.stdin ?? null,
    env: opts.env ?? {},
    fetch: async (url, init) => {
      c.urls.push(url);
      const u = new URL(url);
      return g.app.fetch(new Request(url, init), { rawUrl: u.pathname + u.search });
    },
  };
  return c;
}

describe('keygate operator', () => {
  it('initialises a Shamir store, unseals it share by share after a restart, and reports status', async () => {
    const storage = durableStorage();
    const g = await shamirGateway(storage);
    const initIo = io(g);
    expect(await runOperator(['init', '--key-shares', '3', '--key-threshold', '2'], initIo)).toBe(0);
    const keys = [...initIo.stdout.matchAll(/^Unseal Key \d: ([0-9a-f]+)$/gm)].map((m) => m[1] ?? '');
    expect(keys).toHaveLength(3);
    const token = /^Initial Root Token: (\S+)$/m.exec(initIo.stdout)?.[1] ?? '';
    expect(token).not.toBe('');
    expect(initIo.urls[0]).toBe('http://127.0.0.1:8080/api/v1/sys/init');
    // A second init is refused with the gateway's code.
    const again = io(g);
    expect(await runOperator(['init'], again)).toBe(1);
    expect(again.stderr).toMatch(/init failed: ERR_/);

    await g.call('PUT', '/api/v1/secrets/app', { token, body: { v: 'cli' } });
    await g.close();
    open.splice(open.indexOf(g), 1);
    const h = await shamirGateway(storage);

    const status = io(h);
    expect(await runOperator(['seal-status'], status)).toBe(3);
    expect(status.stdout).toMatch(/Sealed\s+true/);
    expect(status.stdout).toMatch(/Threshold\s+2/);

    const first = io(h, { stdin: `${keys[2]}\n` });
    expect(await runOperator(['unseal'], first)).toBe(0);
    expect(first.stdout).toMatch(/Unseal progress\s+1\/2/);
    const reset = io(h);
    expect(await runOperator(['unseal', '--reset', '--json'], reset)).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ sealed: true, progress: 0 });
    expect(await runOperator(['unseal', keys[0] ?? ''], io(h))).toBe(0);
    const last = io(h, { stdin: keys[1] ?? '' });
    expect(await runOperator(['unseal', '-', '--addr', 'http://127.0.0.1:9999/'], last)).toBe(0);
    expect(last.urls[0]).toBe('http://127.0.0.1:9999/api/v1/sys/unseal');
    expect(last.stdout).toMatch(/Sealed\s+false/);
    expect((await h.call('GET', '/api/v1/secrets/app', { token })).body.data).toEqual({ v: 'cli' });
    expect(await runOperator(['seal-status', '--json'], io(h))).toBe(0);

    // seal: needs a token; with one, the gateway seals.
    const noToken = io(h);
    expect(await runOperator(['seal'], noToken)).toBe(2);
    expect(noToken.stderr).toContain('KEYGATE_TOKEN');
    const sealed = io(h, { env: { KEYGATE_TOKEN: token } });
    expect(await runOperator(['seal'], sealed)).toBe(0);
    expect(h.core.barrier.sealed).toBe(true);
  });

  it('never echoes a refused share, and names the error code', async () => {
    const g = await shamirGateway(durableStorage());
    await runOperator(['init', '--key-shares', '1', '--key-threshold', '1'], io(g));
    const canary = 'ab'.repeat(33);
    const c = io(g);
    // Unsealed already: a share is refused or ignored, but never printed back.
    await runOperator(['unseal', canary], c);
    expect(c.stdout + c.stderr).not.toContain(canary);
    await g.core.seals.seal();
    const wrong = io(g);
    expect(await runOperator(['unseal', canary], wrong)).toBe(1);
    expect(wrong.stderr).toMatch(/unseal failed: ERR_[A-Z_]+/);
    expect(wrong.stdout + wrong.stderr).not.toContain(canary);
  });

  it('refuses bad usage with exit 2 and a reason', async () => {
    const g = await shamirGateway(durableStorage());
    const cases: [string[], RegExp][] = [
      [[], /missing command/],
      [['rekey'], /unknown command/],
      [['init', '--key-shares'], /needs a value/],
      [['init', '--key-shares', 'many'], /whole number/],
      [['init', '--key-shares', '256'], /whole number/],
      [['init', '--bogus'], /unknown option/],
      [['unseal', '--reset', 'abc'], /takes no share/],
      [['unseal'], /no share given/],
      [['seal-status', '--addr', 'ftp://x'], /http or https/],
      [['seal-status', '--addr', 'not a url'], /must be a URL/],
    ];
    for (const [argv, reason] of cases) {
      const c = io(g);
      expect(await runOperator(argv, c), argv.join(' ')).toBe(2);
      expect(c.stderr, argv.join(' ')).toMatch(reason);
    }
  });

  it('says when the gateway cannot be reached', async () => {
    const g = await shamirGateway(durableStorage());
    const c = io(g);
    c.fetch = async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    };
    expect(await runOperator(['seal-status', '--addr', 'http://127.0.0.1:1'], c)).toBe(1);
    expect(c.stderr).toContain('cannot reach the gateway at http://127.0.0.1:1');
    expect(c.stderr).toContain('ECONNREFUSED');
  });
});
