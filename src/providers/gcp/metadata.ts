/**
 * How Keygate's notions live on a GCP `Secret` (docs/providers/gcp.md):
 *
 * - **Stages** are version aliases (`version_aliases`): `current`, `pending` and `previous`
 *   each name a version number, so any GCP client can read `versions/current`.
 * - **Tags** are labels where Google's label rules allow (keys `[a-z][a-z0-9_-]{0,62}`, values
 *   `[a-z0-9_-]{0,63}`, at most 64 labels); every other tag goes into one JSON annotation,
 *   `keygate-tags`, so any key and value round-trip.
 * - **Value kind**: a payload is bytes; the numbers of versions Keygate wrote as binary are
 *   listed in the annotation `keygate-binary-versions`. Any other version reads as text when
 *   it is valid UTF-8 (as every text value Keygate writes is), else as binary.
 *
 * Pure functions over plain maps: the port reads a secret, computes the new maps here, and
 * writes them back with the etag it read.
 */

import type { Stage } from '../types.js';

/** The annotation that holds tags that cannot be labels, as a JSON object of strings. */
export const TAGS_ANNOTATION = 'keygate-tags';
/** The annotation that lists, comma-separated, the version numbers written as binary. */
export const BINARY_ANNOTATION = 'keygate-binary-versions';
/** Google's limit on the total size of a secret's annotation keys and values (bytes, exclusive). */
export const ANNOTATIONS_MAX_BYTES = 16 * 1024;
/** Google's limit on labels per resource. */
export const MAX_LABELS = 64;
/**
 * Binary marks kept (the newest versions): bounds the annotation to a few KiB. An older
 * binary version past this reads by the UTF-8 rule, which still says binary unless its bytes
 * happen to be valid UTF-8.
 */
export const MAX_BINARY_MARKS = 500;

/** Keygate's stages, in the order they are written as aliases. */
export const STAGES: readonly Stage[] = ['current', 'pending', 'previous'];

const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

/** A version number as text (`"3"`), or null for anything that is not one. */
export function versionNumber(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === 'string' && /^[1-9][0-9]{0,17}$/.test(value)) return value;
  if (typeof value === 'object' && value !== null && 'toString' in value) {
    const text = String(value);
    return /^[1-9][0-9]{0,17}$/.test(text) ? text : null;
  }
  return null;
}

/** Version aliases as the client library returns them (int64 as string, number or Long), normalised to text. */
export function normaliseAliases(aliases: Record<string, unknown> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [alias, value] of Object.entries(aliases ?? {})) {
    const n = versionNumber(value);
    if (n !== null) out[alias] = n;
  }
  return out;
}

/** The stages each version holds, by version number. */
export function stagesByVersion(aliases: Record<string, string>): Map<string, Stage[]> {
  const out = new Map<string, Stage[]>();
  for (const stage of STAGES) {
    const id = aliases[stage];
    if (id === undefined) continue;
    out.set(id, [...(out.get(id) ?? []), stage]);
  }
  for (const [id, stages] of out) out.set(id, stages.sort());
  return out;
}

/**
 * Aliases after `versionId` becomes current: the old current (if another version) becomes
 * `previous`; `pending` is cleared; aliases Keygate does not own are kept.
 */
export function aliasesForCurrent(aliases: Record<string, string>, versionId: string): Record<string, string> {
  const next = { ...aliases };
  const old = aliases.current;
  delete next.pending;
  if (old !== undefined && old !== versionId) next.previous = old;
  next.current = versionId;
  return next;
}

/** Aliases after `versionId` becomes pending (replacing any other pending). */
export function aliasesForPending(aliases: Record<string, string>, versionId: string): Record<string, string> {
  return { ...aliases, pending: versionId };
}

/** Aliases without any of Keygate's stages that point at `versionId`. */
export function aliasesWithout(aliases: Record<string, string>, versionId: string, stages: readonly Stage[] = STAGES): Record<string, string> {
  const next = { ...aliases };
  for (const stage of stages) if (next[stage] === versionId) delete next[stage];
  return next;
}

/** True when two alias maps are the same. */
export function sameAliases(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Whether a tag can be stored as a GCP label as it is. */
export function fitsLabel(key: string, value: string): boolean {
  return LABEL_KEY.test(key) && LABEL_VALUE.test(value);
}

function parseTagAnnotation(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
    return out;
  } catch {
    // Edited by hand into something else: it holds no tags Keygate can vouch for.
    return {};
  }
}

/** Keygate's tags on a secret: every label, plus the tags kept in the `keygate-tags` annotation. */
export function tagsFromCloud(labels: Record<string, string> | null | undefined, annotations: Record<string, string> | null | undefined): Record<string, string> {
  return { ...parseTagAnnotation(annotations?.[TAGS_ANNOTATION]), ...(labels ?? {}) };
}

/** Labels and annotations of a secret. */
export interface SecretMetadata {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * Labels and annotations after setting `put` and removing `remove`. Each key ends up in one
 * place: a label when it fits Google's label rules (and the 64-label limit), else in the
 * `keygate-tags` annotation. Other annotations are kept as they are.
 */
export function applyTags(current: SecretMetadata, put: Record<string, string>, remove: readonly string[] = []): SecretMetadata {
  const labels = { ...current.labels };
  const annotations = { ...current.annotations };
  const extra = parseTagAnnotation(annotations[TAGS_ANNOTATION]);
  for (const key of [...remove, ...Object.keys(put)]) {
    delete labels[key];
    delete extra[key];
  }
  for (const [key, value] of Object.entries(put)) {
    if (fitsLabel(key, value) && Object.keys(labels).length < MAX_LABELS) labels[key] = value;
    else extra[key] = value;
  }
  const keys = Object.keys(extra).sort();
  if (keys.length === 0) delete annotations[TAGS_ANNOTATION];
  else annotations[TAGS_ANNOTATION] = JSON.stringify(Object.fromEntries(keys.map((k) => [k, extra[k]])));
  return { labels, annotations };
}

/** The version numbers Keygate wrote as binary. */
export function binaryVersions(annotations: Record<string, string> | null | undefined): Set<string> {
  const text = annotations?.[BINARY_ANNOTATION] ?? '';
  return new Set(text.split(',').filter((id) => versionNumber(id) !== null));
}

/** Annotations with `versionId` marked binary (or unmarked), and versions in `drop` unmarked. */
export function withBinaryMark(annotations: Record<string, string>, versionId: string | null, binary: boolean, drop: readonly string[] = []): Record<string, string> {
  const ids = binaryVersions(annotations);
  if (versionId !== null) {
    if (binary) ids.add(versionId);
    else ids.delete(versionId);
  }
  for (const id of drop) ids.delete(id);
  const next = { ...annotations };
  const kept = [...ids].sort((a, b) => Number(a) - Number(b)).slice(-MAX_BINARY_MARKS);
  if (kept.length === 0) delete next[BINARY_ANNOTATION];
  else next[BINARY_ANNOTATION] = kept.join(',');
  return next;
}

/** Size of annotations as Google counts it: UTF-8 bytes of every key and value. */
export function annotationsSize(annotations: Record<string, string>): number {
  const encoder = new TextEncoder();
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) size += encoder.encode(k).length + encoder.encode(v).length;
  return size;
}
