/**
 * Cache invalidation as messages on a bus (ARCHITECTURE.md, decisions 9 and 10). The pipeline
 * publishes one message per write; every read cache subscribed to the bus drops what the
 * message covers. The in-process bus here delivers to this process's subscribers before
 * `publish` resolves; a shared bus (PostgreSQL LISTEN/NOTIFY, later) implements the same
 * interface and also carries messages to other replicas, so callers never change.
 */

/** What a write made stale. Messages carry paths and mount ids, never values. */
export type Invalidation =
  /** A secret changed: every cached answer for `path` (all versions, params, its metadata) and the listings of its parent folders. */
  | { kind: 'path'; mountId: string; path: string }
  /** A mount was removed, re-created or re-tuned: everything cached for it. */
  | { kind: 'mount'; mountId: string }
  /** Everything (an operator's purge). */
  | { kind: 'all' };

export type InvalidationHandler = (invalidation: Invalidation) => void;

export interface InvalidationBus {
  /**
   * Publishes `invalidation`. Resolves once every subscriber in this process has applied it
   * (so a write through this replica is visible to its next read); delivery to other
   * replicas is the implementation's business and may complete later (the cache TTL bounds
   * how late). Rejects only when a remote delivery failed; local subscribers have still run.
   */
  publish(invalidation: Invalidation): Promise<void>;
  /** Registers `handler` for every message, local or remote. Returns the unsubscribe function. */
  subscribe(handler: InvalidationHandler): () => void;
  /** Stops delivery and releases connections. */
  close?(): Promise<void>;
}

/** A bus for one process: synchronous delivery to its subscribers. A handler that throws does not stop the others. */
export function createInProcessBus(opts: { onHandlerError?: (err: unknown) => void } = {}): InvalidationBus {
  const handlers = new Set<InvalidationHandler>();
  return {
    publish(invalidation) {
      for (const handler of handlers) {
        try {
          handler(invalidation);
        } catch (err) {
          opts.onHandlerError?.(err);
        }
      }
      return Promise.resolve();
    },
    subscribe(handler) {
      // A wrapper, so the same function subscribed twice is two subscriptions.
      const entry: InvalidationHandler = (inv) => handler(inv);
      handlers.add(entry);
      return () => {
        handlers.delete(entry);
      };
    },
    close() {
      handlers.clear();
      return Promise.resolve();
    },
  };
}

/** The folders whose listings show `path` (directly or as a sub-folder): `a/b/c` → `a/b`, `a`, `""`. */
export function parentFolders(path: string): string[] {
  const out: string[] = [];
  let end = path.lastIndexOf('/');
  while (end > 0) {
    out.push(path.slice(0, end));
    end = path.lastIndexOf('/', end - 1);
  }
  if (path !== '') out.push('');
  return out;
}

/** Which cached answers an entry belongs to: a secret's (`item`: read, read-metadata) or a folder listing's (`list`). */
export type EntryKind = 'item' | 'list';

/** Whether `invalidation` covers an entry of `kind` for `path` on `mountId`. */
export function covers(invalidation: Invalidation, mountId: string, kind: EntryKind, path: string): boolean {
  if (invalidation.kind === 'all') return true;
  if (invalidation.mountId !== mountId) return false;
  if (invalidation.kind === 'mount') return true;
  if (kind === 'item') return invalidation.path === path;
  const p = invalidation.path;
  // A listing of `path` shows `p` when `p` lies below it.
  return path === '' ? p !== '' : p.length > path.length && p.startsWith(path) && p[path.length] === '/';
}
