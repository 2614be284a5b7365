/**
 * The audit broker (ARCHITECTURE.md, decision 8): every request and response goes to every
 * device; when devices marked `required` exist and none accepts a record within its
 * deadline, the request fails with 503 `ERR_AUDIT_UNAVAILABLE` and (for a request record)
 * the backend is never called. Devices come from the config file and from
 * `/api/v1/sys/audit/{name}`; their table and keys live behind the barrier.
 */

import { z } from 'zod';
import { GatewayError, NotFoundError, ValidationError, fromBase64, fromUtf8, parseDuration, parseOrThrow, redactCredentials, toBase64, utf8 } from '../core/index.js';
import type { JsonObject, Runtime, Storage } from '../core/index.js';
import { createSigner, generateSigningKey } from './chain.js';
import type { ChainHead } from './chain.js';
import { startAuditDevice } from './device.js';
import type { AuditDevice } from './device.js';
import { createWebAuditDigests } from './digests.js';
import type { AuditDigests } from './digests.js';
import { createHmacer } from './hmac.js';
import type { AuditEvent } from './record.js';
import type { AuditSink, SinkContext, SinkCounters } from './types.js';

const TABLE_KEY = 'audit/devices';
const KEYS = (name: string) => `audit/device/${name}/keys`;
const HEAD = (name: string) => `audit/device/${name}/head`;
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Creates a sink of one type; throws `ValidationError` for bad options. */
export type SinkFactory = (options: JsonObject, ctx: SinkContext) => Promise<AuditSink>;

export const auditDeviceSchema = z.strictObject({
  name: z.string().regex(NAME, 'lower-case letters, digits, "_" and "-", at most 64'),
  type: z.string().min(1).max(32),
  description: z.string().max(256).default(''),
  required: z.boolean().default(true).describe('Required devices fail requests closed when they cannot write.'),
  log_raw: z.boolean().default(false).describe('Debugging only: write data values in the clear.'),
  deadline: z.string().max(16).default('2s').describe('How long one write may take before the request fails.'),
  checkpoint_every: z.int().min(1).max(1_000_000).default(1000),
  checkpoint_interval: z.string().max(16).default('1m'),
  cache_hit_records: z
    .enum(['pair', 'response'])
    .default('response')
    .describe('A read-cache hit as its response record alone, which carries every request field (the default), or as a request and a response record, as every other request (decisions 0020, 0021).'),
  options: z.record(z.string(), z.json()).default({}),
});
export type AuditDeviceConfig = z.output<typeof auditDeviceSchema>;

interface StoredDevice extends AuditDeviceConfig {
  source: 'config' | 'api';
  created_time: string;
}

export interface AuditDeviceInfo {
  name: string;
  type: string;
  description: string;
  required: boolean;
  log_raw: boolean;
  cache_hit_records: 'pair' | 'response';
  source: 'config' | 'api';
  options: JsonObject;
  public_key: string;
  counters: SinkCounters;
  head: ChainHead;
}

export interface AuditBroker {
  /** Starts every device (config and run-time ones) after unseal. */
  load(declared: readonly AuditDeviceConfig[]): Promise<void>;
  /**
   * Checkpoints every device and persists its chain head, devices staying open: the step
   * before the barrier seals, so the next start links to the last record (decision 0017).
   */
  flush(): Promise<void>;
  /** Stops every device (on seal and shutdown), writing a last checkpoint where it can. */
  unload(): Promise<void>;
  list(): AuditDeviceInfo[];
  /** Enables a run-time device. `ERR_CONFLICT` if the name is taken, `ERR_VALIDATION` for bad settings. */
  enable(input: unknown): Promise<void>;
  /** Disables a run-time device. `ERR_NOT_FOUND`, `ERR_CONFLICT` for config devices. */
  disable(name: string): Promise<void>;
  /** The device's HMAC of a value. `ERR_NOT_FOUND` for an unknown device. */
  hash(device: string, value: string): Promise<string>;
  /** Records a request before the backend runs. Throws `ERR_AUDIT_UNAVAILABLE` (fail closed). */
  logRequest(event: AuditEvent): Promise<void>;
  /** Records a response before the client gets it. Throws `ERR_AUDIT_UNAVAILABLE`. */
  logResponse(event: AuditEvent): Promise<void>;
  /**
   * Records an answer that needed no backend call (a read-cache hit) before it leaves: a
   * device with `cache_hit_records: response` (the default) writes the response record alone;
   * one with `pair` chains both records in order and takes them at once. Resolves once they
   * are accepted; throws `ERR_AUDIT_UNAVAILABLE` if a required device does not accept them.
   */
  logPair(request: AuditEvent, response: AuditEvent): Promise<void>;
  /**
   * Records a failure the gateway answers with: closes the request's record pair when a
   * request record was written, else writes a lone response record with what is known.
   */
  logFailure(requestId: string, fallback: Omit<AuditEvent, 'type' | 'requestId'>): Promise<void>;
  /** Re-opens file sinks (SIGHUP). */
  reopen(): Promise<void>;
}

export function createAuditBroker(deps: {
  storage: Pick<Storage, 'get' | 'put' | 'delete'>;
  runtime: Pick<Runtime, 'now' | 'randomUUID' | 'randomBytes' | 'subtle' | 'logger'>;
  sinks: Readonly<Record<string, SinkFactory>>;
  /** Root directory for optional devices' spools (Node), or none. */
  spoolRoot?: string;
  /** HMAC and chain digests (default WebCrypto; the Node entry passes `createNodeAuditDigests()`). */
  digests?: AuditDigests;
}): AuditBroker {
  const { storage, runtime } = deps;
  const digests = deps.digests ?? createWebAuditDigests(runtime.subtle);
  let devices = new Map<string, { device: AuditDevice; stored: StoredDevice }>();
  const pending = new Map<string, AuditEvent>();

  const readTable = async (): Promise<StoredDevice[]> => {
    const raw = await storage.get(TABLE_KEY);
    if (raw === null) return [];
    // A table written before `cache_hit_records` existed: its devices keep the pair they were enabled with (decision 0021).
    const table = JSON.parse(fromUtf8(raw)) as (Omit<StoredDevice, 'cache_hit_records'> & { cache_hit_records?: StoredDevice['cache_hit_records'] })[];
    return table.map((d) => ({ ...d, cache_hit_records: d.cache_hit_records ?? 'pair' }));
  };
  const writeTable = (table: StoredDevice[]) => storage.put(TABLE_KEY, utf8(JSON.stringify(table)));

  const keysOf = async (name: string) => {
    const raw = await storage.get(KEYS(name));
    if (raw !== null) {
      const parsed = JSON.parse(fromUtf8(raw)) as { hmac: string; signing: string; public: string };
      return { hmac: fromBase64(parsed.hmac) ?? new Uint8Array(), signing: fromBase64(parsed.signing) ?? new Uint8Array(), public: fromBase64(parsed.public) ?? new Uint8Array() };
    }
    const signing = await generateSigningKey(runtime.subtle);
    const keys = { hmac: runtime.randomBytes(32), signing: signing.pkcs8, public: signing.publicKey };
    await storage.put(KEYS(name), utf8(JSON.stringify({ hmac: toBase64(keys.hmac), signing: toBase64(keys.signing), public: toBase64(keys.public) })));
    return keys;
  };

  const start = async (stored: StoredDevice): Promise<AuditDevice> => {
    const factory = deps.sinks[stored.type];
    if (factory === undefined) {
      throw new ValidationError('unknown audit device type', [{ field: 'type', reason: `must be one of: ${Object.keys(deps.sinks).join(', ')}` }]);
    }
    const deadlineMs = parseDuration(stored.deadline);
    const checkpointMs = parseDuration(stored.checkpoint_interval);
    if (deadlineMs === null || deadlineMs <= 0) throw new ValidationError('invalid deadline', [{ field: 'deadline', reason: 'must be a duration such as "2s"' }]);
    if (checkpointMs === null || checkpointMs <= 0) throw new ValidationError('invalid checkpoint interval', [{ field: 'checkpoint_interval', reason: 'must be a duration such as "1m"' }]);
    const sink = await factory(stored.options, {
      name: stored.name,
      required: stored.required,
      ...(deps.spoolRoot === undefined ? {} : { spoolDir: `${deps.spoolRoot}/${stored.name}` }),
    });
    const keys = await keysOf(stored.name);
    const headRaw = await storage.get(HEAD(stored.name));
    if (stored.log_raw) runtime.logger.warn({ device: stored.name }, 'AUDIT DEVICE LOGS RAW VALUES: secrets will be written in the clear. Debugging only; turn log_raw off.');
    return startAuditDevice({
      settings: {
        name: stored.name,
        type: stored.type,
        required: stored.required,
        logRaw: stored.log_raw,
        deadlineMs,
        checkpointEvery: stored.checkpoint_every,
        checkpointIntervalMs: checkpointMs,
      },
      sink,
      hmacer: await createHmacer(keys.hmac, runtime, digests),
      digests,
      signer: await createSigner(runtime.subtle, keys.signing, keys.public),
      runtime,
      previous: headRaw === null ? null : (JSON.parse(fromUtf8(headRaw)) as ChainHead),
      onCheckpoint: (head) => storage.put(HEAD(stored.name), utf8(JSON.stringify(head))),
    });
  };

  /** Fans records out to every device; fails closed when required devices exist and none accepted them. */
  const fanOut = async (submit: (device: AuditDevice, stored: StoredDevice) => Promise<void>): Promise<void> => {
    if (devices.size === 0) return;
    if (devices.size === 1) {
      // The common case, without the fan-out's arrays and settled results.
      for (const { device, stored } of devices.values()) {
        try {
          await submit(device, stored);
        } catch {
          runtime.logger.warn({ device: stored.name, required: stored.required }, 'audit device failed to write a record');
          if (stored.required) throw new GatewayError('ERR_AUDIT_UNAVAILABLE', 'the audit log is unavailable; the request was not performed');
        }
      }
      return;
    }
    const entries = [...devices.values()];
    const results = await Promise.allSettled(entries.map(({ device, stored }) => submit(device, stored)));
    let requiredSeen = false;
    let requiredOk = false;
    results.forEach((result, i) => {
      const entry = entries[i];
      if (entry === undefined) return;
      if (entry.stored.required) {
        requiredSeen = true;
        if (result.status === 'fulfilled') requiredOk = true;
      }
      if (result.status === 'rejected') runtime.logger.warn({ device: entry.stored.name, required: entry.stored.required }, 'audit device failed to write a record');
    });
    if (requiredSeen && !requiredOk) throw new GatewayError('ERR_AUDIT_UNAVAILABLE', 'the audit log is unavailable; the request was not performed');
  };

  return {
    async load(declared) {
      const stored = await readTable();
      const next: StoredDevice[] = [];
      for (const d of declared) {
        const existing = stored.find((s) => s.name === d.name);
        next.push({ ...d, source: 'config', created_time: existing?.created_time ?? new Date(runtime.now()).toISOString() });
      }
      for (const s of stored) if (s.source === 'api' && !next.some((n) => n.name === s.name)) next.push(s);
      await writeTable(next);
      const started = new Map<string, { device: AuditDevice; stored: StoredDevice }>();
      try {
        for (const s of next) started.set(s.name, { device: await start(s), stored: s });
      } catch (err) {
        await Promise.all([...started.values()].map(({ device }) => device.close().catch(() => undefined)));
        throw err;
      }
      devices = started;
    },

    async flush() {
      await Promise.all([...devices.values()].map(({ device }) => device.flush()));
    },

    async unload() {
      const closing = [...devices.values()];
      devices = new Map();
      pending.clear();
      await Promise.all(closing.map(({ device }) => device.close().catch(() => undefined)));
    },

    list() {
      return [...devices.values()].map(({ device, stored }) => ({
        name: stored.name,
        type: stored.type,
        description: stored.description,
        required: stored.required,
        log_raw: stored.log_raw,
        cache_hit_records: stored.cache_hit_records,
        source: stored.source,
        options: redactCredentials(stored.options) as JsonObject,
        public_key: device.publicKey,
        counters: device.counters(),
        head: device.head(),
      }));
    },

    async enable(input) {
      const parsed = parseOrThrow(auditDeviceSchema, input, 'invalid audit device');
      if (devices.has(parsed.name)) throw new GatewayError('ERR_CONFLICT', 'an audit device with that name exists');
      const stored: StoredDevice = { ...parsed, source: 'api', created_time: new Date(runtime.now()).toISOString() };
      const device = await start(stored);
      await writeTable([...(await readTable()).filter((s) => s.name !== stored.name), stored]);
      devices = new Map([...devices, [stored.name, { device, stored }]]);
    },

    async disable(name) {
      const entry = devices.get(name);
      if (entry === undefined) throw new NotFoundError('no such audit device');
      if (entry.stored.source === 'config') throw new GatewayError('ERR_CONFLICT', 'this audit device is declared in the config file; remove it there');
      const next = new Map(devices);
      next.delete(name);
      devices = next;
      await writeTable((await readTable()).filter((s) => s.name !== name));
      await entry.device.close();
      await storage.delete(KEYS(name));
      await storage.delete(HEAD(name));
    },

    async hash(name, value) {
      const entry = devices.get(name);
      if (entry === undefined) throw new NotFoundError('no such audit device');
      return entry.device.hash(value);
    },

    async logRequest(event) {
      if (devices.size === 0) return;
      await fanOut((device) => device.submit(event));
      // Only a written request waits for its response record; bounded by requests in flight.
      pending.set(event.requestId, event);
    },

    async logResponse(event) {
      if (pending.size > 0) pending.delete(event.requestId);
      await fanOut((device) => device.submit(event));
    },

    async logPair(request, response) {
      if (devices.size === 0) return;
      // Each device chains both in this order and hands them to its sink together (one write,
      // one fsync), instead of one write after the other; or, as configured, writes the
      // response record alone: it holds every field of the request record (decision 0020).
      await fanOut((device, stored) => (stored.cache_hit_records === 'response' ? device.submit(response) : device.submitPair(request, response)));
    },

    async logFailure(requestId, fallback) {
      const request = pending.get(requestId);
      pending.delete(requestId);
      const base = request ?? { ...fallback, type: 'request' as const, requestId };
      const event: AuditEvent = { ...base, type: 'response', time: fallback.time, status: fallback.status, ...(fallback.error === undefined ? {} : { error: fallback.error }), responseData: undefined };
      await fanOut((device) => device.submit(event));
    },

    async reopen() {
      await Promise.all([...devices.values()].map(({ device }) => device.reopen()));
    },
  };
}
