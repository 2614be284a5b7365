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
   * Links `body` as the next record: assigns the chain fields onto it (the chain takes the
   * object over; callers hand it a fresh one) and computes its hash. Synchronous when the
   * chain's SHA-256 is.
   */
  append(device: string, body: JsonObject): ChainedRecord | Promise<ChainedRecord>;
  /** Starts a new segment (after a restart or a failed write), linked to the last acknowledged head. */
  restart(segment: string): void;
}

export function createChain(runtime: Pick<Runtime, 'subtle'>, segment: string, digests?: Pick<AuditDigests, 'sha256Hex'>): Chain {
  let head: ChainHead = { segment, seq: 0, hash: GENESIS_HASH };
  const sha256Hex = digests === undefined ? (text: string) => recordHashOfText(runtime.subtle, text) : (text: string) => digests.sha256Hex(text);

  const finish = (record: JsonObject, text: string, seq: number, hash: string): ChainedRecord => {
    head = { segment: head.segment, seq, hash };
    // `hash` is the last key and hex: the line is JSON.stringify(record) without serialising twice.
    record.hash = hash;
    return { record, line: `${text.slice(0, -1)},"hash":"${hash}"}`, seq };
  };

  return {
    head: () => head,
    append(device, body) {
      const seq = head.seq + 1;
      // Assigned, not spread into a new object: a spread copy serialises at a third of the
      // speed (bench/README.md). Same key order as `{ ...body, device, segment, seq, prev_hash }`.
      // A `hash` the body brought is not part of what the hash covers (the verifier drops it).
      if (Object.hasOwn(body, 'hash')) delete body.hash;
      body.device = device;
      body.segment = head.segment;
      body.seq = seq;
      body.prev_hash = head.hash;
      const text = JSON.stringify(body);
      const hash = sha256Hex(text);
      return typeof hash === 'string' ? finish(body, text, seq, hash) : hash.then((h) => finish(body, text, seq, h));
    },
    restart(next) {
      head = { segment: next, seq: 0, hash: GENESIS_HASH };
    },
  };
}
