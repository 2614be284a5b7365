/**
 * Helpers the cloud KMS seals' tests share (awskms, gcpckms, azurekeyvault): the barrier
 * AADs, the rejection a seal answers, tampered ciphertexts, a port nothing listens on, and
 * the canary rendering of everything an operator or client could see (with the log lines
 * `createCaptureLogger` keeps).
 */

import { inspect } from 'node:util';
import { GatewayError, toBase64 } from '../../core/index.js';
import type { KeyWrapper, WrappedKey } from '../types.js';

export { createCaptureLogger } from '../../../test/helpers/capture-logger.js';
export { freePort } from '../../../test/emulators/free-port.js';

const enc = new TextEncoder();

/** A barrier AAD of a root key wrap, and another cluster's. */
export const AAD = enc.encode('keygate/root-key/v1|cluster=8d0c6a3e-cluster-a');
export const OTHER_CLUSTER_AAD = enc.encode('keygate/root-key/v1|cluster=1f7e9b2c-cluster-b');

/** A fresh random 256-bit root key. */
export const rootKey = (): Uint8Array => crypto.getRandomValues(new Uint8Array(32));

/** A generous deadline for one seal call. */
export const signal = (): AbortSignal => AbortSignal.timeout(15_000);

/** The error code a promise rejects with (`resolved` when it does not; undefined counts as resolved). */
export const codeOf = (p: Promise<unknown> | undefined): Promise<string> =>
  (p ?? Promise.resolve()).then(
    () => 'resolved',
    (e: unknown) => (e instanceof GatewayError ? e.code : `other:${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`),
  );

/** The rejection itself, which must be a GatewayError. */
export async function rejection(p: Promise<unknown> | undefined): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw new Error(`expected a GatewayError, got ${String(e)}`);
  }
  throw new Error('expected a rejection');
}

/** `wrapped` with one bit of ciphertext byte `index` flipped. */
export function flip(wrapped: WrappedKey, index: number): WrappedKey {
  const bytes = Uint8Array.from(atob(wrapped.ciphertext), (c) => c.charCodeAt(0));
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return { ...wrapped, ciphertext: toBase64(bytes) };
}

/**
 * The distinct outcomes (`code|message|cause`) of unwrapping `wrapped` with each single
 * ciphertext byte flipped in turn, and with each of the `malformed` ciphertexts instead.
 */
export async function tamperOutcomes(seal: KeyWrapper, wrapped: WrappedKey, malformed: readonly string[]): Promise<string[]> {
  const outcomes = new Set<string>();
  const length = atob(wrapped.ciphertext).length;
  const attempts = [...Array.from({ length }, (_, i) => flip(wrapped, i)), ...malformed.map((ciphertext) => ({ ...wrapped, ciphertext }))];
  for (const attempt of attempts) {
    const err = await rejection(seal.unwrap(attempt, AAD, signal()));
    outcomes.add(`${err.code}|${err.message}|${String(err.cause)}`);
  }
  return [...outcomes];
}

/** Collects what seal calls reject with, for a canary check (`rendered`). */
export function rejectionCollector(): { errors: unknown[]; collect: (p: Promise<unknown> | undefined) => Promise<void> } {
  const errors: unknown[] = [];
  return {
    errors,
    collect: async (p) => {
      try {
        await p;
      } catch (e) {
        errors.push(e);
      }
    },
  };
}

/** Everything `errors` and `logLines` could show anyone: messages, JSON forms, and the errors inspected deeply (causes included). */
export function rendered(errors: readonly unknown[], logLines: readonly string[]): string {
  return [...errors.map((e) => (e instanceof Error ? `${e.message} ${JSON.stringify(e)} ${inspect(e, { depth: 10 })}` : String(e))), ...logLines].join('\n');
}
