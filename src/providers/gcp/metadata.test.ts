import { describe, expect, it } from 'vitest';
import {
  BINARY_ANNOTATION,
  MAX_BINARY_MARKS,
  TAGS_ANNOTATION,
  aliasesForCurrent,
  aliasesForPending,
  aliasesWithout,
  applyTags,
  binaryVersions,
  fitsLabel,
  normaliseAliases,
  stagesByVersion,
  tagsFromCloud,
  versionNumber,
  withBinaryMark,
} from './metadata.js';

describe('GCP metadata: stages as version aliases', () => {
  it('normalises int64 alias values and drops anything that is not a version number', () => {
    expect(normaliseAliases({ current: '3', previous: 2, odd: 'x', zero: 0, long: { toString: () => '7' } })).toEqual({ current: '3', previous: '2', long: '7' });
    expect(versionNumber('01')).toBeNull();
    expect(versionNumber('latest')).toBeNull();
  });

  it('moves current to previous, clears pending, and keeps aliases Keygate does not own', () => {
    expect(aliasesForCurrent({ current: '1', pending: '2', blue: '1' }, '2')).toEqual({ current: '2', previous: '1', blue: '1' });
    expect(aliasesForCurrent({ current: '2', previous: '1' }, '2')).toEqual({ current: '2', previous: '1' });
    expect(aliasesForCurrent({}, '1')).toEqual({ current: '1' });
    expect(aliasesForPending({ current: '1', pending: '2' }, '3')).toEqual({ current: '1', pending: '3' });
    expect(aliasesWithout({ current: '1', previous: '2', pending: '2', blue: '2' }, '2')).toEqual({ current: '1', blue: '2' });
    expect(aliasesWithout({ previous: '2', pending: '2' }, '2', ['pending'])).toEqual({ previous: '2' });
  });

  it('lists the stages each version holds', () => {
    expect(stagesByVersion({ current: '2', previous: '1', pending: '2', blue: '3' })).toEqual(new Map([
      ['2', ['current', 'pending']],
      ['1', ['previous']],
    ]));
  });
});

describe('GCP metadata: tags as labels and annotations', () => {
  it('keeps label-shaped tags as labels', () => {
    expect(fitsLabel('team', 'payments')).toBe(true);
    expect(fitsLabel('team', '')).toBe(true);
    expect(fitsLabel('Team', 'x')).toBe(false);
    expect(fitsLabel('team', 'Payments')).toBe(false);
    expect(fitsLabel('a'.repeat(64), 'x')).toBe(false);
    expect(fitsLabel('team', 'x'.repeat(64))).toBe(false);
    expect(fitsLabel('9lives', 'x')).toBe(false);
  });

  it('round-trips any tag, each key in one place, other annotations untouched', () => {
    const start = { labels: { foreign: 'label' }, annotations: { 'other.tool/state': 'keep' } };
    const after = applyTags(start, { team: 'payments', Owner: 'Alice', 'a/b': 'c d' });
    expect(after.labels).toEqual({ foreign: 'label', team: 'payments' });
    expect(after.annotations['other.tool/state']).toBe('keep');
    expect(JSON.parse(after.annotations[TAGS_ANNOTATION] ?? '')).toEqual({ Owner: 'Alice', 'a/b': 'c d' });
    expect(tagsFromCloud(after.labels, after.annotations)).toEqual({ foreign: 'label', team: 'payments', Owner: 'Alice', 'a/b': 'c d' });
    const moved = applyTags(after, { team: 'Payments!' }, ['Owner', 'a/b']);
    expect(moved.labels).toEqual({ foreign: 'label' });
    expect(JSON.parse(moved.annotations[TAGS_ANNOTATION] ?? '')).toEqual({ team: 'Payments!' });
    const cleared = applyTags(moved, {}, ['team']);
    expect(cleared.annotations[TAGS_ANNOTATION]).toBeUndefined();
  });

  it('ignores a keygate-tags annotation that was edited into something else', () => {
    expect(tagsFromCloud({ a: 'b' }, { [TAGS_ANNOTATION]: 'not json' })).toEqual({ a: 'b' });
    expect(tagsFromCloud({}, { [TAGS_ANNOTATION]: '["x"]' })).toEqual({});
    expect(tagsFromCloud({}, { [TAGS_ANNOTATION]: '{"n":1,"s":"v"}' })).toEqual({ s: 'v' });
  });
});

describe('GCP metadata: binary versions', () => {
  it('marks, unmarks and drops version numbers in one annotation', () => {
    let a = withBinaryMark({}, '3', true);
    a = withBinaryMark(a, '10', true);
    a = withBinaryMark(a, '4', false);
    expect(a[BINARY_ANNOTATION]).toBe('3,10');
    expect([...binaryVersions(a)]).toEqual(['3', '10']);
    expect(withBinaryMark(a, null, false, ['3', '10'])[BINARY_ANNOTATION]).toBeUndefined();
    expect(binaryVersions({ [BINARY_ANNOTATION]: '1,x,,2' })).toEqual(new Set(['1', '2']));
  });

  it('keeps only the newest marks, so the annotation stays small', () => {
    let a: Record<string, string> = {};
    for (let v = 1; v <= MAX_BINARY_MARKS + 20; v++) a = withBinaryMark(a, String(v), true);
    const marks = [...binaryVersions(a)];
    expect(marks).toHaveLength(MAX_BINARY_MARKS);
    expect(marks[0]).toBe('21');
    expect((a[BINARY_ANNOTATION] ?? '').length).toBeLessThan(4096);
  });
});
