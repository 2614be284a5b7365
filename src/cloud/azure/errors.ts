/**
 * Azure SDK errors, read by shape (`name`, `statusCode`, the service's error and inner
 * error codes), not by class or message: no SDK import, so this stays runtime-neutral, and
 * nothing of Key Vault's text (vault names, tenant and object ids, request ids) is read.
 */

import { field, text } from '../errors.js';

/** Credential failures from `@azure/identity` (by error name). */
export const AZURE_CREDENTIAL_ERRORS: ReadonlySet<string> = new Set(['AuthenticationError', 'AggregateAuthenticationError', 'CredentialUnavailableError', 'AuthenticationRequiredError']);

/** What Keygate reads from an Azure SDK error: never its message. */
export interface AzureServiceErrorShape {
  name: string;
  status: number | undefined;
  /** The service's error code (`KeyNotFound`, `SecretNotFound`, `Forbidden`, …) or a network code. */
  code: string;
  /** The service's inner error code (`KeyDisabled`, `SecretDisabled`, `ForbiddenByRbac`, …). */
  innerCode: string;
}

/** Reads the parts of an SDK error that classification uses. */
export function azureServiceErrorShape(err: unknown): AzureServiceErrorShape {
  const status = field(err, 'statusCode');
  const serviceError = field(field(err, 'details'), 'error');
  const inner = field(serviceError, 'innerError') ?? field(serviceError, 'innererror');
  return {
    name: text(field(err, 'name')),
    status: typeof status === 'number' ? status : undefined,
    code: text(field(serviceError, 'code')) || text(field(err, 'code')) || text(field(field(err, 'cause'), 'code')),
    innerCode: text(field(inner, 'code')),
  };
}
