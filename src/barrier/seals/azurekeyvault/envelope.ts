/**
 * The `azurekeyvault` seal's stored form (docs/seals/azurekeyvault.md, "Envelope").
 * RSA-OAEP binds no associated data, so the root key is not wrapped by Key Vault directly:
 * it is sealed with AES-256-GCM under a fresh 256-bit data key (DEK), with the barrier's
 * `aad` as GCM's associated data, and only the DEK is wrapped by Key Vault (RSA-OAEP-256).
 *
 * `WrappedKey.ciphertext` is base64 of the UTF-8 JSON
 * `{"v":1,"kid":…,"wrapped_dek":…,"nonce":…,"ciphertext":…}` (byte fields in base64;
 * `ciphertext` is the GCM ciphertext ‖ 16-byte tag). Runtime-neutral.
 */

import { z } from 'zod';
import { fromBase64, fromUtf8, toBase64, utf8 } from '../../../core/index.js';
import { NONCE_BYTES, TAG_BYTES } from '../../aes-gcm.js';
import { KEY_NAME } from './options.js';

/** The envelope format version. */
export const ENVELOPE_VERSION = 1;
/** RSA-4096 ciphertexts are 512 bytes: the largest wrapped DEK Key Vault produces. */
const MAX_WRAPPED_DEK_BYTES = 512;
/** Root keys are 32 bytes; room for larger secrets without accepting arbitrary blobs. */
const MAX_SEALED_BYTES = 1024 + TAG_BYTES;
/** Far above any honest envelope (≈ 1.2 KB with RSA-4096), far below anything costly to parse. */
const MAX_ENVELOPE_CHARS = 8192;
/** Key Vault version ids: 32 hex digits in vaults, other alphanumerics in Managed HSM. */
const KEY_VERSION = /^[0-9a-zA-Z]{1,64}$/;

/** An opened envelope. */
export interface AzureEnvelope {
  /** The key version that wrapped the DEK: `https://<vault>/keys/<name>/<version>`. */
  kid: string;
  /** The DEK, wrapped with RSA-OAEP-256 by that version. */
  wrappedDek: Uint8Array;
  /** The AES-GCM nonce (12 bytes). */
  nonce: Uint8Array;
  /** AES-256-GCM ciphertext ‖ tag of the root key under the DEK, with the barrier's `aad`. */
  ciphertext: Uint8Array;
}

const base64Field = z.string().max(4096);
const envelopeSchema = z.strictObject({
  v: z.literal(ENVELOPE_VERSION),
  kid: z.string().max(1024),
  wrapped_dek: base64Field,
  nonce: base64Field,
  ciphertext: base64Field,
});

/** Encodes `envelope` as `WrappedKey.ciphertext` (base64 of the JSON record). */
export function encodeEnvelope(envelope: AzureEnvelope): string {
  const record = {
    v: ENVELOPE_VERSION,
    kid: envelope.kid,
    wrapped_dek: toBase64(envelope.wrappedDek),
    nonce: toBase64(envelope.nonce),
    ciphertext: toBase64(envelope.ciphertext),
  };
  return toBase64(utf8(JSON.stringify(record)));
}

/**
 * Decodes `WrappedKey.ciphertext`, or returns null for anything that is not a well-formed
 * version-1 envelope with fields of plausible sizes (callers answer `ERR_UNSEAL_FAILED`).
 */
export function decodeEnvelope(text: unknown): AzureEnvelope | null {
  if (typeof text !== 'string' || text.length > MAX_ENVELOPE_CHARS) return null;
  const bytes = fromBase64(text);
  if (bytes === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(bytes));
  } catch {
    return null;
  }
  const record = envelopeSchema.safeParse(parsed);
  if (!record.success) return null;
  const wrappedDek = fromBase64(record.data.wrapped_dek);
  const nonce = fromBase64(record.data.nonce);
  const ciphertext = fromBase64(record.data.ciphertext);
  if (wrappedDek === null || wrappedDek.length === 0 || wrappedDek.length > MAX_WRAPPED_DEK_BYTES) return null;
  if (nonce === null || nonce.length !== NONCE_BYTES) return null;
  if (ciphertext === null || ciphertext.length <= TAG_BYTES || ciphertext.length > MAX_SEALED_BYTES) return null;
  return { kid: record.data.kid, wrappedDek, nonce, ciphertext };
}

/** A key version identifier, split. */
export interface KeyVersionId {
  /** `https://host[:port]`. */
  origin: string;
  name: string;
  version: string;
}

/**
 * Splits `https://<vault>/keys/<name>/<version>`; null for anything else (another object
 * type, no version, a query, credentials).
 */
export function parseKeyVersionId(kid: string): KeyVersionId | null {
  let url: URL;
  try {
    url = new URL(kid);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return null;
  const parts = url.pathname.split('/');
  const [empty, collection, name, version, ...rest] = parts;
  if (empty !== '' || collection !== 'keys' || rest.length > 0 || name === undefined || version === undefined) return null;
  if (!KEY_NAME.test(name) || !KEY_VERSION.test(version)) return null;
  return { origin: url.origin, name, version };
}
