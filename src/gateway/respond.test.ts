import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { revealingStringify, Sensitive } from '../core/index.js';
import { frozenAnswer, jsonAnswer } from './respond.js';

/** Values as a backend returns them: plain or wrapped, long or short, with and without characters JSON escapes. */
const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 250, maxLength: 1200 }),
  fc.stringMatching(/^[a-zA-Z0-9+/=]{256,1500}$/),
  fc.integer(),
  fc.constant(null),
);

describe('frozenAnswer', () => {
  it('reads back the body it was given, byte for byte, whichever value it keeps by reference (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.tuple(value, fc.boolean()), { maxKeys: 4 }), fc.string({ maxLength: 300 }), (entries, note) => {
        const data = Object.fromEntries(Object.entries(entries).map(([k, [v, wrap]]) => [k, wrap && typeof v === 'string' ? new Sensitive(v) : v]));
        // The metadata may even repeat a value: any occurrence rebuilds the same text.
        const body = { data, metadata: { note, copy: Object.values(entries)[0]?.[0] ?? null } };
        const expected = revealingStringify(body);
        const answer = frozenAnswer(jsonAnswer(200, body, { etag: '"3"' }), Object.values(data));
        expect(answer.body).toBe(expected);
        expect(answer.body).toBe(expected);
        expect(answer.status).toBe(200);
        expect(answer.headers).toMatchObject({ etag: '"3"', 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        expect(Object.isFrozen(answer) && Object.isFrozen(answer.headers)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a long plain value by reference, not inside a second copy of the body', () => {
    const secret = 'k'.repeat(1024);
    const spliced = frozenAnswer(jsonAnswer(200, { data: { value: new Sensitive(secret) }, metadata: { version: 1 } }), [new Sensitive(secret)]);
    expect(Object.hasOwn(spliced, 'body')).toBe(false);
    expect(spliced.body).toBe(`{"data":{"value":"${secret}"},"metadata":{"version":1}}`);
    // Short values, values JSON must escape, and values the body does not hold keep the body as it is.
    for (const [data, values] of [
      [{ value: 'short' }, ['short']],
      [{ value: `${'q'.repeat(300)}"` }, [`${'q'.repeat(300)}"`]],
      [{ value: 'a'.repeat(300) }, ['b'.repeat(300)]],
    ] as const) {
      const plain = frozenAnswer(jsonAnswer(200, { data }), values);
      expect(Object.hasOwn(plain, 'body')).toBe(true);
      expect(plain.body).toBe(JSON.stringify({ data }));
    }
    const empty = frozenAnswer({ status: 204, headers: {}, body: null }, [secret]);
    expect(empty.body).toBeNull();
  });

  it('keeps every header, in order, frozen: a JSON answer shares one headers object, one with an entity tag has a fixed shape, others stay as given', () => {
    const entries = (a: { headers: Record<string, string> }) => Object.entries(a.headers);
    const json = jsonAnswer(200, { data: { a: 1 } });
    const one = frozenAnswer({ ...json, headers: { ...json.headers } });
    const two = frozenAnswer(jsonAnswer(200, { data: { b: 2 } }));
    expect(one.headers).toBe(two.headers);
    expect(entries(one)).toEqual(entries(json));
    const tagged = jsonAnswer(200, { data: {} }, { etag: '"7"' });
    const frozenTagged = frozenAnswer({ ...tagged, headers: { ...tagged.headers } });
    expect(entries(frozenTagged)).toEqual(entries(tagged));
    expect(Object.keys(frozenTagged.headers).at(-1)).toBe('etag');
    const other = jsonAnswer(200, { data: {} }, { etag: '"7"', 'x-extra': 'y' });
    const frozenOther = frozenAnswer(other);
    expect(entries(frozenOther)).toEqual(entries(other));
    for (const a of [one, frozenTagged, frozenOther]) {
      expect(Object.isFrozen(a)).toBe(true);
      expect(Object.isFrozen(a.headers)).toBe(true);
    }
  });
});
