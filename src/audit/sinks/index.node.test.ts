import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../core/index.js';
import { auditSinkFactories, createAuditSinkFactories } from './index.node.js';
import { captureLogger, freePort, tempDir } from './test-receivers.node.js';

describe('audit sink registry', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('registry');
  });
  afterEach(() => tmp.remove());
  const bound = () => createAuditSinkFactories({ runtime: { now: () => Date.now(), logger: captureLogger(), fetch: globalThis.fetch } });

  it('lists every sink type with a strict options schema', () => {
    expect(Object.keys(auditSinkFactories).sort()).toEqual(['file', 'http', 'stdout', 'syslog']);
    for (const entry of Object.values(auditSinkFactories)) {
      expect(entry.schema.safeParse({ not_an_option: true }).success).toBe(false);
    }
    expect(auditSinkFactories.http.schema.parse({ url: 'https://siem.example:8088' })).toMatchObject({
      format: 'jsonl',
      batch_max_records: 100,
      batch_max_bytes: 1024 * 1024,
      gzip: true,
      timeout: 5000,
      retry: { max_attempts: 5, backoff_initial: 250, backoff_max: 10_000 },
      ocsf: false,
    });
    expect(auditSinkFactories.file.schema.parse({ path: '/var/log/keygate/audit.log' })).toEqual({
      path: '/var/log/keygate/audit.log',
      mode: 0o600,
      fsync: 'always',
      fsync_interval: 1000,
      rotate_max_bytes: 100 * 1024 * 1024,
      rotate_interval: 0,
      rotate_keep: 10,
    });
    expect(auditSinkFactories.syslog.schema.parse({ host: 'siem.example' })).toMatchObject({ transport: 'tcp', facility: 'local0' });
  });

  it('builds each type, refusing bad options with the field named', async () => {
    const f = bound();
    const file = await f.file({ path: join(tmp.dir, 'a.log') }, { name: 'a', required: true });
    expect(file.type).toBe('file');
    await file.close();
    const err: unknown = await f.http({ url: 'https://x.example', batch_max_bytes: 'lots' }, { name: 'h', required: true }).catch((e: unknown) => e);
    expect(isGatewayError(err, 'ERR_VALIDATION') ? err.details : null).toEqual([{ field: 'options.batch_max_bytes', reason: 'must be a number' }]);
  });

  it('gives a spool only to optional stream devices', async () => {
    const f = bound();
    const port = await freePort();
    const dirs = { optionalHttp: join(tmp.dir, 'oh'), requiredHttp: join(tmp.dir, 'rh'), udp: join(tmp.dir, 'udp'), tcp: join(tmp.dir, 'tcp') };
    const sinks = [
      await f.http({ url: `http://127.0.0.1:${port}` }, { name: 'oh', required: false, spoolDir: dirs.optionalHttp }),
      await f.http({ url: `http://127.0.0.1:${port}` }, { name: 'rh', required: true, spoolDir: dirs.requiredHttp }),
      await f.syslog({ transport: 'udp', host: '127.0.0.1', port }, { name: 'udp', required: false, spoolDir: dirs.udp }),
      await f.syslog({ transport: 'tcp', host: '127.0.0.1', port }, { name: 'tcp', required: false, spoolDir: dirs.tcp }),
    ];
    expect([dirs.optionalHttp, dirs.requiredHttp, dirs.udp, dirs.tcp].map(existsSync)).toEqual([true, false, false, true]);
    await Promise.all(sinks.map((s) => s.close()));
    // Closing released the spool's lock: the device can start again.
    const again = await f.http({ url: `http://127.0.0.1:${port}` }, { name: 'oh', required: false, spoolDir: dirs.optionalHttp });
    await again.close();
  });
});
