import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSpool } from './spool.node.js';
import { tempDir } from './test-receivers.node.js';

const line = (i: number, pad = 0) => JSON.stringify({ seq: i, data: 'x'.repeat(pad) });

describe('spool', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('spool');
  });
  afterEach(() => tmp.remove());

  it('hands lines back in append order across segments, and forgets them only when acked', async () => {
    const dir = join(tmp.dir, 'dev');
    const spool = await createSpool({ dir, max_bytes: 1024 * 1024 });
    const lines = Array.from({ length: 400 }, (_, i) => line(i + 1, 500));
    await Promise.all(lines.map((l) => spool.append(l)));
    expect(spool.size().records).toBe(400);
    expect(readdirSync(dir).filter((n) => n.startsWith('seg-')).length).toBeGreaterThan(1);

    const got: string[] = [];
    for (;;) {
      const batch = await spool.peekBatch(37);
      if (batch.length === 0) break;
      // Peeking again without an ack gives the same lines.
      expect(await spool.peekBatch(37)).toEqual(batch);
      await spool.ack(batch.length);
      got.push(...batch);
    }
    expect(got).toEqual(lines);
    expect(spool.size()).toEqual({ records: 0, bytes: 0 });
    // Fully read segments are deleted.
    expect(readdirSync(dir).filter((n) => n.startsWith('seg-')).length).toBe(1);
    await spool.close();
  });

  it('keeps unacknowledged lines across a restart, and a partial ack moves the read position exactly', async () => {
    const dir = join(tmp.dir, 'dev');
    const first = await createSpool({ dir });
    for (let i = 1; i <= 10; i++) await first.append(line(i));
    expect(await first.peekBatch(4)).toEqual([line(1), line(2), line(3), line(4)]);
    await first.ack(3);
    // Delivered but not acked before the "crash": comes back (at-least-once).
    expect(await first.peekBatch(2)).toEqual([line(4), line(5)]);
    await first.close();

    const second = await createSpool({ dir });
    expect(second.size().records).toBe(7);
    expect(await second.peekBatch(100)).toEqual(Array.from({ length: 7 }, (_, i) => line(i + 4)));
    await second.close();
  });

  it('cuts a line torn by a crash mid-append, and appends after it cleanly', async () => {
    const dir = join(tmp.dir, 'dev');
    const spool = await createSpool({ dir });
    await spool.append(line(1));
    await spool.close();
    const segment = readdirSync(dir).find((n) => n.startsWith('seg-')) ?? '';
    appendFileSync(join(dir, segment), '{"seq":2,"da');
    const again = await createSpool({ dir });
    expect(again.size().records).toBe(1);
    await again.append(line(3));
    expect(await again.peekBatch(10)).toEqual([line(1), line(3)]);
    await again.close();
  });

  it('refuses appends beyond max_records or max_bytes, and accepts again once acked', async () => {
    const dir = join(tmp.dir, 'dev');
    const spool = await createSpool({ dir, max_records: 3 });
    expect(await spool.append(line(1))).toBe(true);
    expect(await spool.append(line(2))).toBe(true);
    expect(await spool.append(line(3))).toBe(true);
    expect(await spool.append(line(4))).toBe(false);
    await spool.peekBatch(1);
    await spool.ack(1);
    expect(await spool.append(line(5))).toBe(true);
    expect(await spool.peekBatch(10)).toEqual([line(2), line(3), line(5)]);
    await spool.close();

    const small = await createSpool({ dir: join(tmp.dir, 'small'), max_bytes: 4096 });
    let stored = 0;
    while (await small.append(line(stored, 100))) stored++;
    expect(stored).toBeGreaterThan(30);
    expect(small.size().bytes).toBeLessThanOrEqual(4096);
    await small.close();
  });

  it('refuses a second owner of a directory while the first is open, and starts over from a damaged ack', async () => {
    const dir = join(tmp.dir, 'dev');
    const spool = await createSpool({ dir });
    await expect(createSpool({ dir })).rejects.toMatchObject({ kind: 'io' });
    await spool.append(line(1));
    await spool.close();
    writeFileSync(join(dir, 'ack'), 'not json');
    const again = await createSpool({ dir });
    expect(await again.peekBatch(5)).toEqual([line(1)]);
    await again.close();
  });
});
