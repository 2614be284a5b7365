/**
 * The in-memory provider: the reference implementation of `SecretProvider` (the conformance
 * suite's first subject, and a mount type for tests and demos). It behaves like the clouds
 * where they agree: versions with stages, recoverable deletes, tags, paging, and optional
 * fault injection so resilience can be tested against something real.
 */

import { Sensitive } from '../core/index.js';
import { ProviderError } from './types.js';
import type { ProviderSecretInfo, ProviderValue, ProviderVersion, SecretProvider, Stage, VersionSelector } from './types.js';

interface StoredVersion {
  id: string;
  value: ProviderValue;
  stages: Set<Stage>;
  createdTime: string;
  enabled: boolean;
  destroyed: boolean;
}

interface StoredSecret {
  name: string;
  tags: Record<string, string>;
  versions: StoredVersion[];
  createdTime: string;
  updatedTime: string;
  deleted: boolean;
}

export interface MemoryProviderFaults {
  /** Every call fails with this kind (e.g. `throttled`, `unavailable`) until cleared. */
  failWith?: 'throttled' | 'unavailable' | 'unauthorized' | null;
  /** Every call waits this long first (honouring the signal). */
  delayMs?: number;
  /** Calls made, by method (for tests of retries and circuit breaking). */
  calls: Record<string, number>;
}

export function createMemoryProvider(opts: { now?: () => number } = {}): SecretProvider & { faults: MemoryProviderFaults } {
  const secrets = new Map<string, StoredSecret>();
  const now = () => new Date((opts.now ?? Date.now)()).toISOString();
  let counter = 0;
  const faults: MemoryProviderFaults = { failWith: null, delayMs: 0, calls: {} };

  const enter = async (method: string, signal: AbortSignal): Promise<void> => {
    faults.calls[method] = (faults.calls[method] ?? 0) + 1;
    if ((faults.delayMs ?? 0) > 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, faults.delayMs);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new ProviderError('timeout', 'the call was cancelled'));
        }, { once: true });
      });
    }
    if (signal.aborted) throw new ProviderError('timeout', 'the call was cancelled');
    if (faults.failWith === 'throttled') throw new ProviderError('throttled', 'the store is throttling requests', { retryAfterMs: 50, retryable: true });
    if (faults.failWith === 'unavailable') throw new ProviderError('unavailable', 'the store is unavailable', { retryable: true });
    if (faults.failWith === 'unauthorized') throw new ProviderError('unauthorized', 'the store refused the credentials');
  };
  const live = (name: string): StoredSecret => {
    const s = secrets.get(name);
    if (s === undefined) throw new ProviderError('not_found', 'no such secret');
    if (s.deleted) throw new ProviderError('deleted', 'the secret is scheduled for deletion');
    return s;
  };
  const copyValue = (v: ProviderValue): ProviderValue =>
    v.kind === 'text' ? { kind: 'text', text: new Sensitive(v.text.reveal()) } : { kind: 'binary', bytes: new Sensitive(v.bytes.reveal().slice()) };
  const view = (v: StoredVersion): ProviderVersion => ({ id: v.id, stages: [...v.stages].sort(), createdTime: v.createdTime, enabled: v.enabled });
  const holding = (s: StoredSecret, stage: Stage) => s.versions.find((v) => v.stages.has(stage));
  const newVersion = (value: ProviderValue, stages: Stage[], enabled = true): StoredVersion => ({
    id: `v${String(++counter).padStart(8, '0')}`,
    value: copyValue(value),
    stages: new Set(stages),
    createdTime: now(),
    enabled,
    destroyed: false,
  });
  const makeCurrent = (s: StoredSecret, v: StoredVersion) => {
    const old = holding(s, 'current');
    for (const other of s.versions) other.stages.delete('previous');
    if (old !== undefined && old !== v) {
      old.stages.delete('current');
      old.stages.add('previous');
    }
    v.stages.delete('pending');
    v.stages.add('current');
    v.enabled = true;
    s.updatedTime = now();
  };

  return {
    type: 'memory',
    capabilities: { binary: true, recoverableDelete: true, destroyVersion: true, atomicConditionalWrite: true },
    faults,
    async validate(signal) {
      await enter('validate', signal);
    },
    async read(name, selector: VersionSelector, signal) {
      await enter('read', signal);
      const s = secrets.get(name);
      if (s === undefined || s.deleted) return null;
      const v = 'versionId' in selector ? s.versions.find((x) => x.id === selector.versionId) : holding(s, selector.stage);
      if (v === undefined || v.destroyed || !v.enabled) return null;
      return { value: copyValue(v.value), version: view(v), etag: s.updatedTime };
    },
    async describe(name, signal) {
      await enter('describe', signal);
      const s = secrets.get(name);
      if (s === undefined) return null;
      const info: ProviderSecretInfo = {
        name,
        tags: { ...s.tags },
        createdTime: s.createdTime,
        updatedTime: s.updatedTime,
        deleted: s.deleted,
        versions: [...s.versions].reverse().slice(0, 100).map(view),
        etag: s.updatedTime,
      };
      return info;
    },
    async create(name, value, tags, signal) {
      await enter('create', signal);
      if (secrets.has(name)) throw new ProviderError('conflict', 'the secret exists');
      const v = newVersion(value, ['current']);
      const t = now();
      secrets.set(name, { name, tags: { ...tags }, versions: [v], createdTime: t, updatedTime: t, deleted: false });
      return view(v);
    },
    async addVersion(name, value, options, signal) {
      await enter('addVersion', signal);
      const s = live(name);
      if (options.expectCurrent !== undefined && holding(s, 'current')?.id !== options.expectCurrent) {
        throw new ProviderError('precondition_failed', 'the current version is not the expected one');
      }
      if (options.stage === 'pending') {
        for (const other of s.versions) other.stages.delete('pending');
        const v = newVersion(value, ['pending']);
        s.versions.push(v);
        return view(v);
      }
      const v = newVersion(value, []);
      s.versions.push(v);
      makeCurrent(s, v);
      return view(v);
    },
    async promote(name, versionId, signal) {
      await enter('promote', signal);
      const s = live(name);
      const v = s.versions.find((x) => x.id === versionId && !x.destroyed);
      if (v === undefined) throw new ProviderError('not_found', 'no such version');
      makeCurrent(s, v);
    },
    async discardPending(name, versionId, signal) {
      await enter('discardPending', signal);
      const s = live(name);
      const v = s.versions.find((x) => x.id === versionId);
      if (v === undefined) throw new ProviderError('not_found', 'no such version');
      v.stages.delete('pending');
      if (!v.stages.has('current')) v.enabled = false;
    },
    async delete(name, options, signal) {
      await enter('delete', signal);
      const s = secrets.get(name);
      if (s === undefined) throw new ProviderError('not_found', 'no such secret');
      if (options.force) secrets.delete(name);
      else s.deleted = true;
    },
    async restore(name, signal) {
      await enter('restore', signal);
      const s = secrets.get(name);
      if (s === undefined) throw new ProviderError('not_found', 'no such secret');
      s.deleted = false;
    },
    async destroyVersion(name, versionId, signal) {
      await enter('destroyVersion', signal);
      const v = live(name).versions.find((x) => x.id === versionId);
      if (v === undefined) throw new ProviderError('not_found', 'no such version');
      if (v.stages.has('current')) throw new ProviderError('invalid', 'the current version cannot be destroyed');
      v.destroyed = true;
      v.enabled = false;
      v.stages.clear();
    },
    async list(options, signal) {
      await enter('list', signal);
      const names = [...secrets.values()].filter((s) => !s.deleted && s.name.startsWith(options.prefix)).map((s) => s.name).sort();
      const start = options.pageToken === undefined ? 0 : Number(options.pageToken);
      const page = names.slice(start, start + options.pageSize);
      const next = start + options.pageSize;
      return next < names.length ? { names: page, nextPageToken: String(next) } : { names: page };
    },
    async putTags(name, tags, signal) {
      await enter('putTags', signal);
      Object.assign(live(name).tags, tags);
    },
    async removeTags(name, keys, signal) {
      await enter('removeTags', signal);
      const s = live(name);
      for (const k of keys) delete s.tags[k];
    },
  };
}
