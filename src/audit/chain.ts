/**
 * Tamper evidence (docs/audit.md): each record carries its device, chain segment, sequence
 * number and the previous record's hash; its own `hash` is SHA-256 over its canonical JSON
 * without `hash`. Segment starts and periodic checkpoints are signed with the device's
 * Ed25519 key, so a rewritten file cannot re-sign them. The verifier is `verify.ts`.
 */

import { fromBase64, toBase64, toHex, utf8 } from '../core/index.js';
import type { JsonObject, Runtime } from '../core/index.js';
import type { ChainedRecord } from './types.js';
import type { AuditDigests } from './digests.js';

/** The `prev_hash` of a segment's first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 (hex) of a record's canonical text without its `hash` field. */
export async function recordHash(subtle: SubtleCrypto, withoutHash: JsonObject): Promise<string> {
  return recordHashOfText(subtle, JSON.stringify(withoutHash));
}

async function recordHashOfText(subtle: SubtleCrypto, text: string): Promise<string> {
  return toHex(new Uint8Array(await subtle.digest('SHA-256', utf8(text))));
}

/** The bytes a segment start or checkpoint signs. */
export function signedPayload(record: { device: string; segment: string; seq: number; prev_hash: string; type: string }): Uint8Array {
  return utf8(`keygate-audit:v1:${record.type}:${record.device}:${record.segment}:${record.seq}:${record.prev_hash}`);
}

export interface Signer {
  /** Raw Ed25519 public key, base64: what verifiers need (`GET /api/v1/sys/audit`). */
  publicKey: string;
  sign(payload: Uint8Array): Promise<string>;
}

/** An Ed25519 signer from a PKCS#8 private key. */
export async function createSigner(subtle: SubtleCrypto, pkcs8: Uint8Array, publicKeyRaw: Uint8Array): Promise<Signer> {
  const key = await subtle.importKey('pkcs8', new Uint8Array(pkcs8), { name: 'Ed25519' }, false, ['sign']);
  return {
    publicKey: toBase64(publicKeyRaw),
    sign: async (payload) => toBase64(new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, new Uint8Array(payload)))),
  };
}

/** A fresh Ed25519 key pair: PKCS#8 private and raw public bytes. */
export async function generateSigningKey(subtle: SubtleCrypto): Promise<{ pkcs8: Uint8Array; publicKey: Uint8Array }> {
  const pair = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  return {
    pkcs8: new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey)),
    publicKey: new Uint8Array(await subtle.exportKey('raw', pair.publicKey)),
  };
}

/** Verifies a signature made by `createSigner` with a base64 raw public key. */
export async function verifySignature(subtle: SubtleCrypto, publicKeyB64: string, payload: Uint8Array, signatureB64: string): Promise<boolean> {
  const raw = fromBase64(publicKeyB64);
  const signature = fromBase64(signatureB64);
  if (raw === null || signature === null || raw.length !== 32) return false;
  try {
    const key = await subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
    return await subtle.verify({ name: 'Ed25519' }, key, signature, new Uint8Array(payload));
  } catch {
    return false;
  }
}

export interface ChainHead {
  segment: string;
  seq: number;
  hash: string;
}

/**
 * One device's chain. `append` assigns the next sequence number and links the record to
 * the previous one; calls must be serialised by the caller (the device does).
 */
export interface Chain {
  head(): ChainHead;
  /**
   * Links `body` as the next record (its chain fields are added after its own) and computes
   * its hash. A `hash` the body brings is dropped: it is not part of what the hash covers.
   * Synchronous when the chain's SHA-256 is.
   */
  append(device: string, body: JsonObject): ChainedRecord | Promise<ChainedRecord>;
  /**
   * `append` for a body already serialised: `bodyJson` must be `JSON.stringify` of a
   * non-empty record object without chain fields (`record.ts` builds it).
   */
  appendJson(device: string, bodyJson: string): ChainedRecord | Promise<ChainedRecord>;
  /** Starts a new segment (after a restart or a failed write), linked to the last acknowledged head. */
  restart(segment: string): void;
}

/**
 * A chained record. The object form is parsed from the line the first time a sink asks for
 * it (the HTTP and syslog sinks do; the file sink writes the line only).
 */
class LinkedRecord implements ChainedRecord {
  #record: JsonObject | null = null;
  constructor(
    readonly line: string,
    readonly seq: number,
    readonly segment: string,
    readonly hash: string,
  ) {}
  get record(): JsonObject {
    this.#record ??= JSON.parse(this.line) as JsonObject;
    return this.#record;
  }
}

export function createChain(runtime: Pick<Runtime, 'subtle'>, segment: string, digests?: Pick<AuditDigests, 'sha256Hex'>): Chain {
  let head: ChainHead = { segment, seq: 0, hash: GENESIS_HASH };
  let segmentJson = JSON.stringify(segment);
  const sha256Hex = digests === undefined ? (text: string) => recordHashOfText(runtime.subtle, text) : (text: string) => digests.sha256Hex(text);
  /** `device`'s JSON text, for the last device name asked (a chain serves one device). */
  let deviceName = '';
  let deviceJson = '""';

  const finish = (text: string, seq: number, hash: string): ChainedRecord => {
    head = { segment: head.segment, seq, hash };
    // `hash` is the last key and hex: the line is the record's JSON with it, not serialised twice.
    return new LinkedRecord(`${text.slice(0, -1)},"hash":"${hash}"}`, seq, head.segment, hash);
  };

  const appendJson = (device: string, bodyJson: string): ChainedRecord | Promise<ChainedRecord> => {
    if (bodyJson.length < 3 || !bodyJson.endsWith('}')) throw new Error('an audit record body must be a non-empty JSON object');
    if (device !== deviceName) {
      deviceName = device;
      deviceJson = JSON.stringify(device);
    }
    const seq = head.seq + 1;
    // The same text as JSON.stringify({ ...body, device, segment, seq, prev_hash }) (the hash is hex).
    const text = `${bodyJson.slice(0, -1)},"device":${deviceJson},"segment":${segmentJson},"seq":${seq},"prev_hash":"${head.hash}"}`;
    const hash = sha256Hex(text);
    return typeof hash === 'string' ? finish(text, seq, hash) : hash.then((h) => finish(text, seq, h));
  };

  return {
    head: () => head,
    append(device, body) {
      if (!Object.hasOwn(body, 'hash')) return appendJson(device, JSON.stringify(body));
      const { hash: _dropped, ...rest } = body;
      return appendJson(device, JSON.stringify(rest));
    },
    appendJson,
    restart(next) {
      head = { segment: next, seq: 0, hash: GENESIS_HASH };
      segmentJson = JSON.stringify(next);
    },
  };
}
