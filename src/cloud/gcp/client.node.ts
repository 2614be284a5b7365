/**
 * Building a Google API client (`SecretManagerServiceClient`, `KeyManagementServiceClient`)
 * from Keygate's endpoint options, and cancelling its calls on the wire. Node-only (the gRPC
 * transport).
 */

import { InterceptingCall, credentials as grpcCredentials, status as grpcStatus } from '@grpc/grpc-js';
import type { Interceptor } from '@grpc/grpc-js';
import type { GcpConnectionOptions } from './options.js';

/**
 * Constructor options of a Google API client for `options`: gRPC (no HTTP fallback), the
 * endpoint and port when set, plaintext when `insecure`, the service account key when given
 * (else application default credentials), and the channel's own retries off. Builds nothing.
 */
export function gcpClientOptions(options: GcpConnectionOptions) {
  const key = options.credentials;
  return {
    projectId: options.project,
    fallback: false,
    ...(options.api_endpoint === undefined ? {} : { apiEndpoint: options.api_endpoint }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.insecure ? { sslCreds: grpcCredentials.createInsecure() } : {}),
    ...(key === undefined
      ? {}
      : {
          credentials: {
            client_email: key.client_email,
            private_key: key.private_key,
            ...(key.universe_domain === undefined ? {} : { universe_domain: key.universe_domain }),
          },
        }),
    // Keygate retries (the providers' resilience middleware, the gateway's unseal backoff); the channel should not.
    'grpc.enable_retries': 0,
  };
}

/**
 * An interceptor for one call that cancels it on the wire (`CANCELLED`) when `signal` aborts,
 * also when it already has by the time the call starts; `release` removes its listeners once
 * the call has settled.
 */
export function cancelOnAbort(signal: AbortSignal): { interceptor: Interceptor; release: () => void } {
  const cleanups: (() => void)[] = [];
  const interceptor: Interceptor = (callOptions, nextCall) => {
    const intercepting: InterceptingCall = new InterceptingCall(nextCall(callOptions), {
      start(metadata, listener, next) {
        next(metadata, listener);
        const cancel = () => intercepting.cancelWithStatus(grpcStatus.CANCELLED, 'cancelled by Keygate');
        if (signal.aborted) return cancel();
        signal.addEventListener('abort', cancel, { once: true });
        cleanups.push(() => signal.removeEventListener('abort', cancel));
      },
    });
    return intercepting;
  };
  return {
    interceptor,
    release: () => {
      for (const cleanup of cleanups) cleanup();
    },
  };
}
