/**
 * The seal record at `core/seal`: plaintext JSON naming the cluster, the root-key
 * generation, k of n, the share settings and every seal's wrapped copy of the root key (or
 * of one Shamir share of it). Nothing in it is secret: each wrapped key is useless without
 * its seal. Parsing is strict; anything unexpected is `null`, which the barrier turns into
 * its one opaque unseal failure.
 */

import { fromUtf8, isJsonObject, utf8 } from '../core/index.js';
import type { SealEntryStatus, SealRecordStatus, ShareSettings, WrappedKey } from './types.js';

export const SEAL_RECORD_VERSION = 2;
/** At most this many seals wrap one root key. */
export const MAX_SEAL_ENTRIES = 16;
/** Seal names: what the config stanza's `name` (default: its type) may be. */
export const SEAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface SealEntry {
  name: string;
  wrapped: WrappedKey;
  addedAt: number;
  verifiedAt: number | null;
}

export interface SealRecord {
  clusterId: string;
  createdAt: number;
  generation: number;
  required: number;
  shares: ShareSettings | null;
  entries: SealEntry[];
}

/**
 * The AAD a seal binds to what it wraps: purpose, cluster, root-key generation and entry
 * name. A wrapped key copied from another cluster, another generation or another entry does
 * not unwrap. KMS seals pass it on as their encryption context or additional data.
 */
export function entryAad(record: Pick<SealRecord, 'clusterId' | 'generation' | 'required'>, name: string): Uint8Array {
  const purpose = record.required > 1 ? 'root-key-share' : 'root-key';
  return utf8(`keygate/${purpose}/v2/${record.clusterId}/${record.generation}/${name}`);
}

/** The AAD of the keyring under a root-key generation. */
export function keyringAad(record: Pick<SealRecord, 'clusterId' | 'generation'>): Uint8Array {
  return utf8(`keygate/keyring/v2/${record.clusterId}/${record.generation}`);
}

export function serializeRecord(record: SealRecord): Uint8Array {
  return utf8(
    JSON.stringify({
      version: SEAL_RECORD_VERSION,
      cluster_id: record.clusterId,
      created_at: record.createdAt,
      generation: record.generation,
      required: record.required,
      shares: record.shares,
      entries: record.entries.map((e) => ({ name: e.name, wrapped: pickWrappedKey(e.wrapped), added_at: e.addedAt, verified_at: e.verifiedAt })),
    }),
  );
}

const CLUSTER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Parses and validates a stored record; null for anything malformed. */
export function parseRecord(blob: Uint8Array): SealRecord | null {
  let doc: unknown;
  try {
    doc = JSON.parse(fromUtf8(blob));
  } catch {
    return null;
  }
  if (!isJsonObject(doc) || doc.version !== SEAL_RECORD_VERSION) return null;
  const { cluster_id: clusterId, created_at: createdAt, generation, required, shares, entries } = doc;
  if (typeof clusterId !== 'string' || !CLUSTER_ID.test(clusterId) || !isTime(createdAt)) return null;
  if (!isCount(generation, 0xffff_ffff) || !isCount(required, MAX_SEAL_ENTRIES) || !Array.isArray(entries)) return null;
  if (entries.length === 0 || entries.length > MAX_SEAL_ENTRIES || required > entries.length) return null;
  let parsedShares: ShareSettings | null = null;
  if (shares !== null) {
    if (!isJsonObject(shares) || !isCount(shares.shares, 255) || !isCount(shares.threshold, 255) || typeof shares.check !== 'string') return null;
    parsedShares = { shares: shares.shares, threshold: shares.threshold, check: shares.check };
  }
  const parsed: SealEntry[] = [];
  const names = new Set<string>();
  for (const entry of entries) {
    if (!isJsonObject(entry) || typeof entry.name !== 'string' || !SEAL_NAME.test(entry.name) || names.has(entry.name)) return null;
    const wrapped = parseWrappedKey(entry.wrapped);
    if (wrapped === null || !isTime(entry.added_at) || (entry.verified_at !== null && !isTime(entry.verified_at))) return null;
    names.add(entry.name);
    parsed.push({ name: entry.name, wrapped, addedAt: entry.added_at, verifiedAt: entry.verified_at });
  }
  return { clusterId, createdAt, generation, required, shares: parsedShares, entries: parsed };
}

export function recordStatus(record: SealRecord): SealRecordStatus {
  return {
    clusterId: record.clusterId,
    createdAt: record.createdAt,
    required: record.required,
    generation: record.generation,
    shares: record.shares === null ? null : { ...record.shares },
    entries: record.entries.map(
      (e): SealEntryStatus => ({
        name: e.name,
        type: e.wrapped.type,
        ...(e.wrapped.keyId === undefined ? {} : { keyId: e.wrapped.keyId }),
        addedAt: e.addedAt,
        verifiedAt: e.verifiedAt,
      }),
    ),
  };
}

function parseWrappedKey(value: unknown): WrappedKey | null {
  if (!isJsonObject(value)) return null;
  const { type, ciphertext, keyId } = value;
  if (typeof type !== 'string' || type === '' || typeof ciphertext !== 'string' || ciphertext === '') return null;
  if (keyId !== undefined && typeof keyId !== 'string') return null;
  return keyId === undefined ? { type, ciphertext } : { type, ciphertext, keyId };
}

/** Only the documented fields: a seal's extra properties never reach storage by accident. */
export function pickWrappedKey(wrapped: WrappedKey): WrappedKey {
  return wrapped.keyId === undefined
    ? { type: wrapped.type, ciphertext: wrapped.ciphertext }
    : { type: wrapped.type, ciphertext: wrapped.ciphertext, keyId: wrapped.keyId };
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isCount(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max;
}
