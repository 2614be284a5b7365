/**
 * A write answered 2xx survives SIGKILL: stream PUTs from several clients, kill the server
 * mid-stream, restart it on the same data directory, and read back every acknowledged version.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const dirs: string[] = [];
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('durability', () => {
  it('every version acknowledged before SIGKILL reads back intact after restart', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keygate-durability-'));
    dirs.push(dir);
    const first = await startServer({ dataDir: dir });
    servers.push(first);
    const token = (await readFile(path.join(dir, 'root-token'), 'utf8')).trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    const acknowledged: { path: string; version: number; body: { writer: number; seq: number; pad: string } }[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let seq = 0; !stop && seq < 10_000; seq++) {
        const secretPath = `durable/w${w}/s${seq % 100}`;
        const body = { writer: w, seq, pad: `${w}-${seq}-`.repeat(20) };
        try {
          const res = await fetch(`${first.url}/api/v1/secrets/${secretPath}`, { method: 'PUT', headers, body: JSON.stringify(body) });
          if (res.status === 200) {
            const json = (await res.json()) as { data: { version: number } };
            acknowledged.push({ path: secretPath, version: json.data.version, body });
          }
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    // Kill once a good number of writes have been acknowledged (bounded wait).
    const deadline = Date.now() + 10_000;
    while (acknowledged.length < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    first.proc.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await first.stop('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(150);

    const second = await startServer({ dataDir: dir });
    servers.push(second);
    let checked = 0;
    for (const ack of acknowledged) {
      const res = await fetch(`${second.url}/api/v1/secrets/${ack.path}?version=${ack.version}`, { headers });
      expect(res.status, `${ack.path} v${ack.version}`).toBe(200);
      expect(((await res.json()) as { data: unknown }).data).toEqual(ack.body);
      checked++;
    }
    expect(checked).toBe(acknowledged.length);
  });
});
