import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../../../core/index.js';
import { UNSEAL_FAILED_MESSAGE, azureErrorLabel, azureSealError, classifyAzureSealError } from './errors.js';

/** The shape of a `RestError` from the SDK (recognised by shape, so a plain object stands in). */
const restError = (statusCode: number, code: string, inner?: string) => ({
  name: 'RestError',
  statusCode,
  message: `Caller is not authorized. Vault: kg-prod;location=westeurope request 7b1e…`,
  details: { error: { code, message: 'Vault: kg-prod', ...(inner === undefined ? {} : { innerError: { code: inner } }) } },
});

describe('azurekeyvault seal errors', () => {
  it('refuses only what unwrapKey rejects as a request (the wrapped bytes); the same answer to getKey is a configuration problem', () => {
    expect(classifyAzureSealError(restError(400, 'BadParameter'), 'unwrapKey')).toBe('refused');
    expect(classifyAzureSealError(restError(400, 'BadParameter'), 'getKey')).toBe('rejected');
    expect(classifyAzureSealError(restError(400, 'BadParameter'), 'wrapKey')).toBe('rejected');
  });

  it('classifies key state, permissions, credentials and transport failures', () => {
    const table: [unknown, string][] = [
      [restError(403, 'Forbidden', 'KeyDisabled'), 'key_disabled'],
      [restError(403, 'Forbidden', 'KeyOperationForbidden'), 'key_operation_forbidden'],
      [restError(403, 'Forbidden', 'ForbiddenByRbac'), 'permission'],
      [restError(403, 'Forbidden', 'ForbiddenByPolicy'), 'permission'],
      [restError(401, 'Unauthorized'), 'credentials'],
      [restError(404, 'KeyNotFound'), 'key_not_found'],
      [restError(409, 'Conflict', 'ObjectIsBeingDeleted'), 'unreachable'],
      [restError(429, 'Throttled'), 'throttled'],
      [restError(500, 'InternalServerError'), 'unreachable'],
      [restError(503, 'ServiceUnavailable'), 'unreachable'],
      [restError(504, 'GatewayTimeout'), 'timeout'],
      [{ name: 'AbortError' }, 'timeout'],
      [{ name: 'CredentialUnavailableError', message: 'tenant 0000…' }, 'credentials'],
      [{ name: 'AuthenticationError' }, 'credentials'],
      [{ name: 'RestError', code: 'ECONNREFUSED' }, 'unreachable'],
      [new Error('Key https://kg-prod.vault.azure.net/keys/k/1 expired'), 'unreachable'],
      ['a string', 'unreachable'],
    ];
    for (const [err, failure] of table) expect(classifyAzureSealError(err, 'unwrapKey'), JSON.stringify(err)).toBe(failure);
  });

  it('maps refusals to the one opaque ERR_UNSEAL_FAILED, everything else to ERR_SEAL_UNAVAILABLE whose message does not say which check failed', () => {
    const refused = azureSealError('refused', 'unwrap', restError(400, 'BadParameter'));
    expect(isGatewayError(refused, 'ERR_UNSEAL_FAILED')).toBe(true);
    expect(refused.message).toBe(UNSEAL_FAILED_MESSAGE);
    expect(refused.cause).toBeUndefined();
    const messages = new Set<string>();
    for (const failure of ['key_disabled', 'permission', 'key_operation_forbidden', 'credentials', 'key_not_found'] as const) {
      const err = azureSealError(failure, 'unwrap', restError(403, 'Forbidden', 'KeyDisabled'));
      expect(isGatewayError(err, 'ERR_SEAL_UNAVAILABLE')).toBe(true);
      expect(err.message).not.toMatch(/disabled|permission|role|key_ops|not found|kg-prod/i);
      expect(String(err.cause)).toBe('[redacted]');
      messages.add(err.message);
    }
    expect(messages.size).toBe(1);
  });

  it('labels errors for logs with fixed identifiers only', () => {
    expect(azureErrorLabel(restError(403, 'Forbidden', 'KeyDisabled'))).toBe('KeyDisabled');
    expect(azureErrorLabel(restError(404, 'KeyNotFound'))).toBe('KeyNotFound');
    expect(azureErrorLabel({ name: 'vault kg-prod said no' })).toBe('other');
    expect(azureErrorLabel(undefined)).toBe('other');
  });
});
