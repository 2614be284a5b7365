/**
 * The two errors every cloud KMS seal (`awskms`, `gcpckms`, `azurekeyvault`) ends in, as
 * `KeyWrapper` promises:
 *
 * - `ERR_UNSEAL_FAILED`, one opaque message and no cause, when the key service refused *this
 *   wrapped key* (tampered, another key, another context or AAD): fail closed, and nothing
 *   tells the reasons apart.
 * - `ERR_SEAL_UNAVAILABLE` for everything an operator can fix without touching the data
 *   (network, throttling, timeouts, credentials, permissions, the key's state): the gateway
 *   stays sealed and retries with backoff. The message is the seal's own sentence; the SDK
 *   error is kept only as a `Sensitive` cause, since every cloud's text names accounts,
 *   resources and requests.
 *
 * Each seal's `errors.ts` classifies its SDK's errors (reading them by shape through
 * `cloud/`) into its failure kinds and sentences, and builds its errors here.
 */

import { GatewayError, Sensitive } from '../../core/index.js';

/** The one message of every unwrap refusal (the same sentence as the dev seal's). */
export const UNSEAL_FAILED_MESSAGE = 'unseal failed: the seal could not unwrap the root key';

/** Failure kinds whose sentence reads the same for every key service but for its name. */
export type KmsTransportFailure = 'throttled' | 'timeout' | 'unreachable' | 'rejected';

/**
 * What went wrong, as far as the gateway needs to know, in the kinds every KMS seal tells
 * apart (each adds its own): `refused` is the wrapped key's fault (`ERR_UNSEAL_FAILED`),
 * everything else the key service's or the configuration's (`ERR_SEAL_UNAVAILABLE`).
 */
export type KmsSealFailure = 'refused' | KmsTransportFailure | 'credentials' | 'permission' | 'key_not_found' | 'bad_answer';

/** The sentences of the transport failures for `service` (`AWS KMS`, `Cloud KMS`, …). */
export function kmsTransportSentences(service: string): Record<KmsTransportFailure, string> {
  return {
    throttled: `${service} is throttling requests`,
    timeout: `${service} did not answer in time`,
    unreachable: `${service} could not be reached or failed`,
    rejected: `${service} rejected the request as invalid`,
  };
}

/** The opaque unwrap refusal: no cause, one message, so nothing tells the reasons apart. */
export function unsealFailed(): GatewayError {
  return new GatewayError('ERR_UNSEAL_FAILED', UNSEAL_FAILED_MESSAGE);
}

/** `ERR_SEAL_UNAVAILABLE` with `message` (Keygate's words only); `cause` is kept wrapped in `Sensitive`. */
export function sealUnavailable(message: string, cause?: unknown): GatewayError {
  return new GatewayError('ERR_SEAL_UNAVAILABLE', message, cause === undefined ? {} : { cause: new Sensitive(cause) });
}
