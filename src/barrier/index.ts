/**
 * The barrier's runtime-neutral surface. The dev key file loader is Node-only and is
 * imported from `./seals/dev-key-file.node.js` by the Node entry, never from here.
 */

export {
  createBarrier,
  DEFAULT_MAX_ENCRYPTIONS,
  DEFAULT_UNWRAP_TIMEOUT_MS,
  keyringStorageKey,
  MAX_ENCRYPTIONS_LIMIT,
  RESERVED_PREFIX,
  SEAL_STORAGE_KEY,
  USAGE_FLUSH_EVERY,
  usagePrefix,
} from './barrier.js';
export type { BarrierDeps } from './barrier.js';
export { entryAad, MAX_SEAL_ENTRIES, SEAL_NAME } from './seal-record.js';
export { checkShareCounts, combineShares, MAX_SHARES, splitSecret } from './shamir.js';
export { createStaticKeySeal, keyFingerprint, parseDevKey } from './seals/static-key.js';
export type { StaticKeySealOptions } from './seals/static-key.js';
export type { SealDefinition } from './seals/definition.js';
export type {
  Barrier,
  InitializeOptions,
  KeyringStatus,
  KeyWrapper,
  NamedSeal,
  SealEntryStatus,
  SealRecordStatus,
  SealsArg,
  ShareSettings,
  UnsealOutcome,
  UnsealReport,
  UpdateSealsOptions,
  WrappedKey,
} from './types.js';
export { createWebAesGcm } from './aes-gcm.js';
export type { AesGcm, AesGcmKey } from './aes-gcm.js';
