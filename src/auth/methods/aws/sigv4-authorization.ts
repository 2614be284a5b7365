/**
 * The `Authorization` header of a SigV4-signed request, parsed strictly: which key, date,
 * region and service it is scoped to, and which headers it signs. Keygate never verifies
 * the signature itself (it has no key); STS does. Parsing tells us what the signature
 * covers, so we can insist that it covers the server-id header.
 */

/** The parts of `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
export interface SigV4Authorization {
  accessKeyId: string;
  /** `YYYYMMDD` of the credential scope. */
  date: string;
  region: string;
  service: string;
  /** Lower-case header names, as listed. */
  signedHeaders: readonly string[];
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})\/([0-9]{8})\/([a-z0-9-]{1,32})\/([a-z0-9-]{1,32})\/aws4_request, ?SignedHeaders=([a-z0-9-]{1,64}(?:;[a-z0-9-]{1,64}){0,63}), ?Signature=[0-9a-f]{64}$/;

/** Parses a SigV4 `Authorization` header value; null for anything else (other schemes, extra parts, bad shapes). */
export function parseSigV4Authorization(value: string): SigV4Authorization | null {
  if (value.length > 4096) return null;
  const match = AUTHORIZATION.exec(value);
  if (match === null) return null;
  const [, accessKeyId = '', date = '', region = '', service = '', signed = ''] = match;
  const signedHeaders = signed.split(';');
  if (new Set(signedHeaders).size !== signedHeaders.length) return null;
  return { accessKeyId, date, region, service, signedHeaders };
}
