/**
 * The request checks on their own, with requests signed by the AWS SDK's signer under
 * throwaway keys (nothing verifies these signatures here: STS would). These run on every
 * machine; `login.test.ts` repeats the important ones end to end against moto.
 */

import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { toBase64, utf8 } from '../../../core/index.js';
import { LoginRefusal } from '../login-refusal.js';
import type { ClientConfig } from './client-config.js';
import { buildStsRequest } from './sts-request.js';
import type { SignedRequestParts } from './sts-request.js';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const BODY = 'Action=GetCallerIdentity&Version=2011-06-15';
const CONFIG: ClientConfig = {
  sts_endpoint: 'https://sts.amazonaws.com/',
  sts_region: '',
  iam_server_id_header_value: 'keygate.example.com',
  allowed_sts_header_values: [],
};

async function sign(extra: Record<string, string> = { 'x-keygate-aws-iam-server-id': 'keygate.example.com' }, body = BODY): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: 'sts',
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'FwoGZXIvYXdzEXAMPLE' },
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: 'sts.amazonaws.com',
      path: '/',
      query: {},
      headers: { host: 'sts.amazonaws.com', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...extra },
      body,
    },
    { signingDate: new Date(NOW) },
  );
  return { ...signed.headers };
}

function parts(headers: Record<string, string | string[]>, over: Partial<{ method: string; url: string; body: string }> = {}): SignedRequestParts {
  return {
    iam_http_request_method: over.method ?? 'POST',
    iam_request_url: toBase64(utf8(over.url ?? 'https://sts.amazonaws.com/')),
    iam_request_body: toBase64(utf8(over.body ?? BODY)),
    iam_request_headers: toBase64(utf8(JSON.stringify(headers))),
  };
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof LoginRefusal) return err.reason;
    throw err;
  }
  return 'accepted';
}

describe('aws: rebuilding the signed STS request', () => {
  it('forwards the signing headers and the body bytes to the configured endpoint, never Host or Content-Length', async () => {
    const headers = await sign();
    const request = buildStsRequest(parts({ ...headers, 'content-length': '43', 'User-Agent': 'aws-cli/2' }), CONFIG, NOW);
    expect(request.url).toBe('https://sts.amazonaws.com/');
    expect(new TextDecoder().decode(request.body)).toBe(BODY);
    expect(Object.keys(request.headers).sort()).toEqual([
      'authorization',
      'content-type',
      'x-amz-content-sha256',
      'x-amz-date',
      'x-amz-security-token',
      'x-keygate-aws-iam-server-id',
    ]);
  });

  it('takes the URL without a trailing slash and the body parameters in either order', async () => {
    const body = 'Version=2011-06-15&Action=GetCallerIdentity';
    const headers = await sign(undefined, body);
    expect(reason(() => buildStsRequest(parts(headers, { url: 'https://sts.amazonaws.com', body }), CONFIG, NOW))).toBe('accepted');
  });

  it('refuses each disallowed part with its own logged reason', async () => {
    const good = await sign();
    const unsignedServerId = { ...(await sign({})), 'x-keygate-aws-iam-server-id': 'keygate.example.com' };
    const wrongValue = await sign({ 'x-keygate-aws-iam-server-id': 'keygate.example.org' });
    const extraSigned = await sign({ 'x-keygate-aws-iam-server-id': 'keygate.example.com', 'x-forwarded-for': '1.2.3.4' });
    const cases: [string, () => unknown][] = [
      ['method_not_allowed', () => buildStsRequest(parts(good, { method: 'GET' }), CONFIG, NOW)],
      ['url_not_allowed', () => buildStsRequest(parts(good, { url: 'https://sts.us-east-2.amazonaws.com/' }), CONFIG, NOW)],
      ['url_not_allowed', () => buildStsRequest(parts(good, { url: 'http://sts.amazonaws.com/' }), CONFIG, NOW)],
      ['url_not_allowed', () => buildStsRequest(parts(good, { url: 'https://sts.amazonaws.com:8443/' }), CONFIG, NOW)],
      ['url_not_allowed', () => buildStsRequest(parts(good, { url: 'https://sts.amazonaws.com/#x' }), CONFIG, NOW)],
      ['url_not_allowed', () => buildStsRequest(parts(good, { url: 'https://user@sts.amazonaws.com/' }), CONFIG, NOW)],
      ['body_not_allowed', () => buildStsRequest(parts(good, { body: 'Action=GetCallerIdentity&Version=2011-06-15&Action=AssumeRole' }), CONFIG, NOW)],
      ['body_not_allowed', () => buildStsRequest(parts(good, { body: 'Action=GetCallerIdentity' }), CONFIG, NOW)],
      ['body_not_allowed', () => buildStsRequest(parts(good, { body: `${BODY}\n` }), CONFIG, NOW)],
      ['server_id_unsigned', () => buildStsRequest(parts(unsignedServerId), CONFIG, NOW)],
      ['server_id_mismatch', () => buildStsRequest(parts(wrongValue), CONFIG, NOW)],
      ['header_not_allowed', () => buildStsRequest(parts(extraSigned), CONFIG, NOW)],
      ['header_not_allowed', () => buildStsRequest(parts({ ...good, 'x-unsigned-extra': 'x' }), CONFIG, NOW)],
      ['headers_malformed', () => buildStsRequest(parts({ ...good, 'X-Amz-Date': good['x-amz-date'] ?? '' }), CONFIG, NOW)],
      ['headers_malformed', () => buildStsRequest(parts({ ...good, 'x-amz-date': ['a', 'b'] }), CONFIG, NOW)],
      ['headers_malformed', () => buildStsRequest(parts({ ...good, 'content-length': '999' }), CONFIG, NOW)],
      ['headers_malformed', () => buildStsRequest(parts({ ...good, 'x-amz-security-token': 'a\r\nx-injected: 1' }), CONFIG, NOW)],
      ['headers_oversize', () => buildStsRequest(parts({ ...good, 'x-amz-security-token': 't'.repeat(8193) }), CONFIG, NOW)],
      ['headers_oversize', () => buildStsRequest(parts(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x-h${i}`, 'v']))), CONFIG, NOW)],
      ['authorization_malformed', () => buildStsRequest(parts({ ...good, authorization: 'Bearer abc' }), CONFIG, NOW)],
      ['credential_scope', () => buildStsRequest(parts(good), { ...CONFIG, sts_region: 'eu-west-1' }, NOW)],
      ['host_mismatch', () => buildStsRequest(parts({ ...good, host: 'sts.attacker.example' }), CONFIG, NOW)],
      ['request_date', () => buildStsRequest(parts(good), CONFIG, NOW + 16 * 60_000)],
      ['request_date', () => buildStsRequest(parts(good), CONFIG, NOW - 16 * 60_000)],
    ];
    for (const [expected, attempt] of cases) expect([expected, reason(attempt)]).toEqual([expected, expected]);
  });

  it('takes the headers as an object too, and allows operator-listed extras', async () => {
    const extra = await sign({ 'x-keygate-aws-iam-server-id': 'keygate.example.com', 'x-request-id': 'r-1' });
    const objectParts: SignedRequestParts = { ...parts(extra), iam_request_headers: extra };
    expect(reason(() => buildStsRequest(objectParts, CONFIG, NOW))).toBe('header_not_allowed');
    const request = buildStsRequest(objectParts, { ...CONFIG, allowed_sts_header_values: ['x-request-id'] }, NOW);
    expect(request.headers['x-request-id']).toBe('r-1');
  });
});
