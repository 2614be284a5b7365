/**
 * Rotation with one model for every cloud (decision 0010): current, pending, previous.
 * Keygate generates the new values (the secret's generator settings), writes them as a
 * pending version, optionally asks a verification webhook, then promotes pending to current
 * (the old current becomes previous). A failed verification discards pending. The phase is
 * recorded behind the barrier before each step, so an interrupted rotation resumes (when it
 * was verified) or rolls back on the next attempt, and never leaves two currents.
 */

import { z } from 'zod';
import {
  GatewayError,
  NotFoundError,
  Sensitive,
  ValidationError,
  deadline,
  durationSchema,
  isJsonObject,
  parseDuration,
  rotateFields,
  rotationConfigSchema,
} from '../core/index.js';
import type { Runtime, Storage } from '../core/index.js';
import { loadJson, saveJson } from '../native-engines/framework/index.js';
import { ProviderError } from './types.js';
import type { SecretProvider } from './types.js';

/** Rotation settings on a cloud secret: the generator, an optional interval and webhook. */
export const rotationSettingsSchema = rotationConfigSchema.extend({
  interval: durationSchema.optional().describe('Rotate on this interval, from the gateway\'s scheduler.'),
  webhook: z
    .strictObject({
      url: z.url().max(2048),
      timeout: durationSchema.default('10s'),
    })
    .optional()
    .describe('POSTed {mount, path, version} before promotion; any non-2xx answer rolls the rotation back.'),
});
export type RotationSettings = z.output<typeof rotationSettingsSchema>;

const storedSettings = z.object({ config: rotationSettingsSchema, lastRotated: z.string().nullable() });
const storedState = z.object({ pending: z.string(), phase: z.enum(['pending', 'verified']), started: z.string() });

const SETTINGS = (path: string) => `rotation/settings/${path}`;
const STATE = (path: string) => `rotation/state/${path}`;

export interface RotationResult {
  version: string;
  rotatedFields: string[];
  /** The attempt finished an interrupted, verified rotation instead of starting a new one. */
  resumed: boolean;
}

export interface Rotation {
  settings(path: string): Promise<{ config: RotationSettings; lastRotated: string | null } | null>;
  configure(path: string, config: RotationSettings | null): Promise<void>;
  rotate(path: string, cloudName: string, ctx: { mount: string; signal: AbortSignal; allowedWebhooks: readonly string[] }): Promise<RotationResult>;
  /** Secrets whose interval has passed, at most `limit`. */
  due(now: number, limit: number): Promise<{ operation: 'rotate'; relativePath: string }[]>;
}

export function createRotation(deps: { port: SecretProvider; storage: Storage; runtime: Pick<Runtime, 'now' | 'fetch' | 'logger' | 'randomBytes'> }): Rotation {
  const { port, storage, runtime } = deps;
  const iso = () => new Date(runtime.now()).toISOString();
  // One rotation per secret at a time in this process; across replicas the pending stage and the recorded phase keep it safe.
  const running = new Map<string, Promise<RotationResult>>();

  const verify = async (config: RotationSettings, body: { mount: string; path: string; version: string }, allowed: readonly string[], signal: AbortSignal): Promise<boolean> => {
    if (config.webhook === undefined) return true;
    const hook = config.webhook;
    // The mount's allow-list is checked again here: it may have shrunk since the settings were written.
    if (!allowed.some((prefix) => hook.url.startsWith(prefix))) return false;
    const bounded = deadline(signal, parseDuration(hook.timeout) ?? 10_000);
    try {
      const res = await runtime.fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'keygate-rotation' },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: bounded.signal,
      });
      await res.body?.cancel().catch(() => undefined);
      return res.status >= 200 && res.status < 300;
    } catch {
      return false;
    } finally {
      bounded.release();
    }
  };

  const rotateOnce = async (path: string, name: string, ctx: { mount: string; signal: AbortSignal; allowedWebhooks: readonly string[] }): Promise<RotationResult> => {
    const settings = await loadJson(storage, SETTINGS(path), storedSettings, 'rotation settings');
    if (settings === null) {
      throw new ValidationError('rotation is not configured for this secret: set it with write-metadata, e.g. {"rotation": {"fields": ["password"], "length": 32}}', [
        { field: 'rotation', reason: 'is not configured for this secret' },
      ]);
    }
    const state = await loadJson(storage, STATE(path), storedState, 'rotation state');
    if (state !== null) {
      if (state.phase === 'verified') {
        // Verified before the interruption: finish it.
        await port.promote(name, state.pending, ctx.signal);
        await storage.delete(STATE(path));
        await saveJson(storage, SETTINGS(path), { ...settings, lastRotated: iso() });
        return { version: state.pending, rotatedFields: settings.config.fields, resumed: true };
      }
      // Not verified: roll back, then start over.
      await port.discardPending(name, state.pending, ctx.signal).catch((err: unknown) => {
        if (!(err instanceof ProviderError && err.kind === 'not_found')) throw err;
      });
      await storage.delete(STATE(path));
    }

    const current = await port.read(name, { stage: 'current' }, ctx.signal);
    if (current === null) throw new NotFoundError('no such secret');
    let parsed: unknown = null;
    if (current.value.kind === 'text') {
      try {
        parsed = JSON.parse(current.value.text.reveal());
      } catch {
        parsed = null;
      }
    }
    if (!isJsonObject(parsed)) throw new ValidationError('only JSON secrets can be rotated', [{ field: 'path', reason: 'the current value is not a JSON object' }]);
    const next = rotateFields(parsed, settings.config, runtime);
    const pending = await port.addVersion(name, { kind: 'text', text: new Sensitive(JSON.stringify(next)) }, { stage: 'pending' }, ctx.signal);
    await saveJson(storage, STATE(path), { pending: pending.id, phase: 'pending', started: iso() });

    if (!(await verify(settings.config, { mount: ctx.mount, path, version: pending.id }, ctx.allowedWebhooks, ctx.signal))) {
      await port.discardPending(name, pending.id, ctx.signal);
      await storage.delete(STATE(path));
      runtime.logger.warn({ mount: ctx.mount, path }, 'rotation verification failed; rolled back');
      throw new GatewayError('ERR_UPSTREAM_ROTATION_FAILED', 'the verification webhook did not approve the new value; the rotation was rolled back');
    }
    await saveJson(storage, STATE(path), { pending: pending.id, phase: 'verified', started: iso() });
    await port.promote(name, pending.id, ctx.signal);
    await storage.delete(STATE(path));
    await saveJson(storage, SETTINGS(path), { ...settings, lastRotated: iso() });
    return { version: pending.id, rotatedFields: settings.config.fields, resumed: false };
  };

  return {
    settings: (path) => loadJson(storage, SETTINGS(path), storedSettings, 'rotation settings'),
    async configure(path, config) {
      if (config === null) {
        await storage.delete(SETTINGS(path));
        return;
      }
      const existing = await loadJson(storage, SETTINGS(path), storedSettings, 'rotation settings');
      await saveJson(storage, SETTINGS(path), { config, lastRotated: existing?.lastRotated ?? null });
    },
    rotate(path, name, ctx) {
      const pending = running.get(path);
      if (pending !== undefined) return pending;
      const next = rotateOnce(path, name, ctx).finally(() => running.delete(path));
      running.set(path, next);
      return next;
    },
    async due(now, limit) {
      const out: { operation: 'rotate'; relativePath: string }[] = [];
      const stack = [''];
      let scanned = 0;
      while (stack.length > 0 && out.length < limit && scanned < 100_000) {
        const folder = stack.pop() ?? '';
        for (const child of await storage.list(`rotation/settings/${folder}`)) {
          scanned++;
          if (child.endsWith('/')) {
            stack.push(folder + child);
            continue;
          }
          const path = folder + child;
          const settings = await loadJson(storage, SETTINGS(path), storedSettings, 'rotation settings');
          const interval = settings?.config.interval === undefined ? null : parseDuration(settings.config.interval);
          if (settings === null || interval === null || interval <= 0) continue;
          const last = settings.lastRotated === null ? 0 : Date.parse(settings.lastRotated);
          if (now - last >= interval) out.push({ operation: 'rotate', relativePath: path });
          if (out.length >= limit) break;
        }
      }
      return out;
    },
  };
}
