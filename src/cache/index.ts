export { createReadCache, isCacheableOperation } from './read-cache.js';
export type { CacheAnswer, CacheOutcome, CacheRequest, CacheStats, CacheableOperation, Loader, ReadCache, ReadCacheOptions } from './read-cache.js';
export { createInProcessBus, covers, parentFolders } from './invalidation.js';
export type { EntryKind, Invalidation, InvalidationBus, InvalidationHandler } from './invalidation.js';
