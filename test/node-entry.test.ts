/** The real thing a newcomer runs: the built Node entry on SQLite with the dev key file. */
import { mkdtemp, readFile, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canaryForms, containsBytes } from './helpers/storage-walk.js';
import { rawRequest } from './helpers/raw-http.js';
import { runToExit, startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

let dir: string;
let dataDir: string;
let server: ServerProcess | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'keygate-entry-'));
  dataDir = path.join(dir, 'data');
});
afterEach(async () => {
  await server?.stop('SIGKILL');
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('npm start on an empty data directory', () => {
  it('initialises, writes a 0600 root token, serves the quick start, and keeps data across a restart', async () => {
    server = await startServer({ dataDir });
    const tokenFile = path.join(dataDir, 'root-token');
    expect(await mode(dataDir)).toBe(0o700);
    expect(await mode(tokenFile)).toBe(0o600);
    expect(await mode(path.join(dataDir, 'seal.key'))).toBe(0o600);
    expect(await mode(path.join(dataDir, 'keygate.db'))).toBe(0o600);
    expect(server.output.join('\n')).toContain(tokenFile);
    const token = (await readFile(tokenFile, 'utf8')).trim();
    expect(token).toMatch(/^kg\.[A-Za-z0-9_-]{43}$/);
    expect(server.output.join('\n')).not.toContain(token);

    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const put = await fetch(`${server.url}/api/v1/secrets/database/postgres`, { method: 'PUT', headers: auth, body: JSON.stringify({ username: 'admin', password: 'secure123' }) });
    expect(put.status).toBe(200);
    const got = await fetch(`${server.url}/api/v1/secrets/database/postgres`, { headers: auth });
    expect(((await got.json()) as { data: unknown }).data).toEqual({ username: 'admin', password: 'secure123' });
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);

    expect(await server.stop('SIGTERM')).toBe(0);
    server = await startServer({ dataDir });
    expect(server.output.join('\n')).not.toContain('root token written');
    expect((await readFile(tokenFile, 'utf8')).trim()).toBe(token);
    const again = await fetch(`${server.url}/api/v1/secrets/database/postgres`, { headers: auth });
    expect(((await again.json()) as { data: unknown }).data).toEqual({ username: 'admin', password: 'secure123' });
  });

  it('refuses traversal sent raw on the wire, before URL normalisation could hide it', async () => {
    server = await startServer({ dataDir });
    const token = (await readFile(path.join(dataDir, 'root-token'), 'utf8')).trim();
    const headers = { authorization: `Bearer ${token}` };
    for (const target of ['/api/v1/secrets/../sys/seal', '/api/v1/secrets/a/%2e%2e/b', '/api/v1/secrets/a/%2E%2E/b', '/api/v1/secrets/a%2fb', '/api/v1/secrets/./a']) {
      const res = await rawRequest(server.url, 'GET', target, { headers });
      expect(res.status, target).toBe(400);
      expect(res.json.error.code, target).toBe('ERR_PATH_INVALID');
    }
    const sealed = await rawRequest(server.url, 'POST', '/api/v1/secrets/../sys/seal', { headers });
    expect(sealed.status).toBe(400);
    expect((await rawRequest(server.url, 'GET', '/api/v1/sys/seal-status')).json.sealed).toBe(false);
  });

  it('keeps a canary out of every file in the data directory and out of the logs', async () => {
    const canary = 'CANARY-entry-5b1e0d-never-on-disk';
    server = await startServer({ dataDir });
    const token = (await readFile(path.join(dataDir, 'root-token'), 'utf8')).trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${server.url}/api/v1/secrets/canary/${i}`, { method: 'PUT', headers, body: JSON.stringify({ password: canary, i }) });
      expect(res.status).toBe(200);
    }
    const bad = await fetch(`${server.url}/api/v1/secrets/canary/0`, { method: 'PUT', headers, body: `{"password":"${canary}"` });
    expect(await bad.text()).not.toContain(canary);
    // Read while running (WAL holds the newest pages) and again after a clean stop (checkpointed).
    const scan = async () => {
      for (const name of await readdir(dataDir)) {
        const bytes = new Uint8Array(await readFile(path.join(dataDir, name)));
        for (const form of canaryForms(canary)) expect(containsBytes(bytes, form), `canary in ${name}`).toBe(false);
      }
    };
    await scan();
    await server.stop('SIGTERM');
    server = undefined;
    await scan();
  });
});

describe('start-up failures exit non-zero with a clear reason', () => {
  it('names the bad field of the config file', async () => {
    const file = path.join(dir, 'keygate.yaml');
    await writeFile(file, 'listen: "127.0.0.1:0"\nlimits:\n  max_body_bytes: "lots"\nmounts:\n  - path: ""\n    type: kv\n    colour: blue\n');
    const { code, output } = await runToExit({ dataDir, args: ['--config', file], env: { KEYGATE_LISTEN: '' } });
    expect(code).toBe(2);
    expect(output).toContain('limits.max_body_bytes');
    expect(output).toContain('mounts.0');
    expect(output).toContain('colour');
  });

  it('reports unreadable and malformed files, and unknown arguments', async () => {
    expect((await runToExit({ dataDir, args: ['--config', path.join(dir, 'missing.yaml')] })).output).toContain('cannot read the file');
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'listen: [unclosed\n');
    const malformed = await runToExit({ dataDir, args: ['--config', file] });
    expect(malformed.code).toBe(2);
    expect(malformed.output).toContain('not valid YAML');
    const unknown = await runToExit({ dataDir, args: ['--bogus'] });
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain('usage: keygate');
  });

  it('takes the config file from KEYGATE_CONFIG and overrides it from the environment', async () => {
    const file = path.join(dir, 'keygate.yaml');
    await writeFile(file, 'listen: "127.0.0.1:1"\nmounts:\n  - path: ""\n    type: kv\n    options: { max_versions: 2 }\n  - path: team\n    type: kv\n');
    server = await startServer({ dataDir, env: { KEYGATE_CONFIG: file } });
    const token = (await readFile(path.join(dataDir, 'root-token'), 'utf8')).trim();
    const mounts = (await (await fetch(`${server.url}/api/v1/sys/mounts`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: Record<string, unknown> };
    expect(Object.keys(mounts.data).sort()).toEqual(['', 'team/']);
  });

  it('refuses to start when the data exists but the seal key file is gone', async () => {
    server = await startServer({ dataDir });
    await server.stop('SIGTERM');
    server = undefined;
    await unlink(path.join(dataDir, 'seal.key'));
    const { code, output } = await runToExit({ dataDir });
    expect(code).toBe(2);
    expect(output).toContain('seal.key');
  });
});
