import { describe, expect, it } from 'vitest';
import { createWebRuntime } from '../core/index.js';
import type { JsonObject } from '../core/index.js';
import { createChain, recordHash } from './chain.js';
import { createNodeAuditDigests } from './digests.node.js';
import type { ChainedRecord } from './types.js';
import { verifyAuditLines } from './verify.js';

const runtime = createWebRuntime();

describe('audit chain', () => {
  it('links a record synchronously with a synchronous digest: its line is its JSON, with the chain fields last and in order', async () => {
    const chain = createChain(runtime, 'seg-1', createNodeAuditDigests());
    const body: JsonObject = { type: 'request', time: 't', request_id: 'r1', nested: { a: [1, 'two'] } };
    const first = chain.append('main', body);
    expect(first).not.toBeInstanceOf(Promise);
    const record = first as ChainedRecord;
    expect(Object.keys(record.record)).toEqual(['type', 'time', 'request_id', 'nested', 'device', 'segment', 'seq', 'prev_hash', 'hash']);
    expect(record.line).toBe(JSON.stringify(record.record));
    const { hash, ...withoutHash } = record.record;
    expect(hash).toBe(await recordHash(runtime.subtle, withoutHash));
    expect(chain.head()).toEqual({ segment: 'seg-1', seq: 1, hash });
  });

  it('gives the same links with the WebCrypto digest (asynchronous)', async () => {
    const sync = createChain(runtime, 'seg', createNodeAuditDigests());
    const web = createChain(runtime, 'seg');
    for (let i = 0; i < 3; i++) {
      const a = sync.append('d', { request_id: `r${i}` }) as ChainedRecord;
      const b = await web.append('d', { request_id: `r${i}` });
      expect(b.line).toBe(a.line);
    }
  });

  it('leaves a hash the body brought out of what the hash covers, so the record verifies', async () => {
    const chain = createChain(runtime, 'seg-2', createNodeAuditDigests());
    const lines = [
      (chain.append('main', { type: 'request', hash: 'forged', request_id: 'a' }) as ChainedRecord).line,
      (chain.append('main', { type: 'request', request_id: 'b' }) as ChainedRecord).line,
    ];
    expect(JSON.parse(lines[0] ?? '{}')).not.toHaveProperty('hash', 'forged');
    const report = await verifyAuditLines(lines, { subtle: runtime.subtle });
    expect(report.problems.filter((p) => p.kind === 'edited')).toEqual([]);
  });

  it('links serialised bodies as it links objects, gives the segment and hash beside the record, and refuses what is not a non-empty object', async () => {
    const a = createChain(runtime, 'seg "quoted"', createNodeAuditDigests());
    const b = createChain(runtime, 'seg "quoted"', createNodeAuditDigests());
    const body = { type: 'request', path: 'a\\b\u2028', n: 1 };
    const fromObject = a.append('dev"ice', { ...body }) as ChainedRecord;
    const fromJson = b.appendJson('dev"ice', JSON.stringify(body)) as ChainedRecord;
    expect(fromJson.line).toBe(fromObject.line);
    expect([fromJson.segment, fromJson.seq, fromJson.hash]).toEqual(['seg "quoted"', 1, fromJson.record.hash]);
    expect(fromJson.record.device).toBe('dev"ice');
    b.restart('next');
    expect((b.appendJson('d', '{"x":1}') as ChainedRecord).record.segment).toBe('next');
    for (const bad of ['{}', '', '[1]', '"x"']) expect(() => b.appendJson('d', bad)).toThrow('non-empty JSON object');
  });
});

